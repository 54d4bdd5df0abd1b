//! The contents of marker segments: frame header (SOF, ITU T.81 B.2.2), scan header (SOS, B.2.3),
//! quantisation and Huffman tables (DQT B.2.4.1, DHT B.2.4.2), arithmetic conditioning (DAC
//! B.2.4.3), the JFIF, Adobe and ICC application segments. Every length is checked against the
//! segment.

use super::error::{DecodeError, Result};
use super::huffman::HuffmanTable;
use super::marker::Marker;

/// Zigzag position to natural (row-major) position in an 8×8 block.
pub(super) const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// One component of the frame.
#[derive(Debug, Clone)]
pub(super) struct FrameComponent {
    /// The component identifier scans refer to.
    pub(super) id: u8,
    /// Horizontal sampling factor (1, 2 or 4).
    pub(super) h: usize,
    /// Vertical sampling factor (1, 2 or 4).
    pub(super) v: usize,
    /// The quantisation table (0 to 3).
    pub(super) quant: usize,
}

/// How a frame's entropy-coded data is coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coding {
    /// Huffman coding (SOF0 to SOF2).
    Huffman,
    /// Arithmetic coding (SOF9, SOF10; ITU T.81 Annex D).
    Arithmetic,
}

/// The conditioning of one DC arithmetic table (DAC, B.2.4.3): the bounds `L` and `U` of the
/// classes of the previous DC difference (F.1.4.4.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct DcConditioning {
    /// Lower bound `L` (0 to 15): a previous difference of magnitude at most `2^L / 2` counts
    /// as zero.
    pub(super) lower: u8,
    /// Upper bound `U` (`L` to 15): a previous difference of magnitude above `2^U` is large.
    pub(super) upper: u8,
}

impl Default for DcConditioning {
    /// The default when no DAC segment sets it: `L` = 0, `U` = 1 (F.1.4.4.1.4).
    fn default() -> Self {
        DcConditioning { lower: 0, upper: 1 }
    }
}

/// The default `Kx` of an AC arithmetic table (F.1.4.4.2.1).
const DEFAULT_KX: u8 = 5;

/// The frame header.
#[derive(Debug, Clone)]
pub(super) struct Frame {
    /// Progressive process (SOF2, SOF10), else sequential.
    pub(super) progressive: bool,
    /// Huffman or arithmetic coding.
    pub(super) coding: Coding,
    /// Samples per line (not 0).
    pub(super) width: usize,
    /// Lines (not 0).
    pub(super) height: usize,
    /// The components, in frame order.
    pub(super) components: Vec<FrameComponent>,
}

/// A scan header: which components (indices into the frame's), their tables, and the spectral
/// selection and successive approximation.
#[derive(Debug, Clone)]
pub(super) struct Scan {
    /// `(component index, DC table, AC table)`.
    pub(super) components: Vec<(usize, usize, usize)>,
    /// Start of spectral selection (zigzag position; 0 in sequential scans).
    pub(super) ss: usize,
    /// End of spectral selection (63 in sequential scans).
    pub(super) se: usize,
    /// Successive approximation high bit: 0 in a first pass, else a refinement.
    pub(super) ah: u32,
    /// Successive approximation low bit: the point transform.
    pub(super) al: u32,
}

/// Tables and metadata seen so far, updated marker by marker.
pub(super) struct Tables {
    /// Quantisation tables in zigzag order.
    pub(super) quant: [Option<[u16; 64]>; 4],
    /// DC Huffman tables.
    pub(super) dc: [Option<HuffmanTable>; 4],
    /// AC Huffman tables.
    pub(super) ac: [Option<HuffmanTable>; 4],
    /// DC arithmetic conditioning, per table.
    pub(super) dc_conditioning: [DcConditioning; 4],
    /// AC arithmetic conditioning `Kx` (1 to 63), per table: zigzag positions up to `Kx` use
    /// the low-frequency magnitude statistics.
    pub(super) ac_conditioning: [u8; 4],
    /// Units (MCUs, or blocks of a non-interleaved scan) per restart interval; 0: none.
    pub(super) restart_interval: usize,
    /// The Adobe APP14 transform flag, when that segment is present.
    pub(super) adobe_transform: Option<u8>,
    /// A JFIF APP0 segment was seen (three components are then YCbCr).
    pub(super) jfif: bool,
    /// ICC chunks: `(sequence number, count, bytes)`.
    icc: Vec<(u8, u8, Vec<u8>)>,
}

impl Tables {
    /// No tables yet.
    pub(super) fn new() -> Self {
        Tables {
            quant: [None; 4],
            dc: [None, None, None, None],
            ac: [None, None, None, None],
            dc_conditioning: [DcConditioning::default(); 4],
            ac_conditioning: [DEFAULT_KX; 4],
            restart_interval: 0,
            adobe_transform: None,
            jfif: false,
            icc: Vec::new(),
        }
    }

    /// The ICC profile, when its chunks are all there and consistent.
    pub(super) fn icc_profile(&self) -> Option<Vec<u8>> {
        let count = self.icc.first()?.1;
        if count == 0 || self.icc.len() != usize::from(count) {
            return None;
        }
        let mut chunks: Vec<&(u8, u8, Vec<u8>)> = self.icc.iter().collect();
        chunks.sort_by_key(|chunk| chunk.0);
        let mut profile = Vec::new();
        for (expected, chunk) in (1..=count).zip(&chunks) {
            if chunk.0 != expected || chunk.1 != count {
                return None;
            }
            profile.extend_from_slice(&chunk.2);
        }
        Some(profile)
    }

    /// Reads a DQT segment (B.2.4.1): one or more 8- or 16-bit tables.
    pub(super) fn read_dqt(&mut self, mut segment: &[u8]) -> Result<()> {
        let bad = || DecodeError::Corrupt("JPEG quantisation table is invalid");
        while let Some((&info, rest)) = segment.split_first() {
            let (precision, id) = (info >> 4, usize::from(info & 15));
            if id > 3 || precision > 1 {
                return Err(bad());
            }
            let size = if precision == 1 { 128 } else { 64 };
            let values = rest.get(..size).ok_or_else(bad)?;
            let mut table = [0u16; 64];
            for (k, value) in table.iter_mut().enumerate() {
                *value = if precision == 1 {
                    u16::from_be_bytes([values[2 * k], values[2 * k + 1]])
                } else {
                    u16::from(values[k])
                };
            }
            self.quant[id] = Some(table);
            segment = &rest[size..];
        }
        Ok(())
    }

    /// Reads a DHT segment (B.2.4.2): one or more DC or AC tables.
    pub(super) fn read_dht(&mut self, mut segment: &[u8]) -> Result<()> {
        let bad = || DecodeError::Corrupt("JPEG Huffman table segment is invalid");
        while let Some((&info, rest)) = segment.split_first() {
            let (class, id) = (info >> 4, usize::from(info & 15));
            if class > 1 || id > 3 {
                return Err(bad());
            }
            let counts: [u8; 16] = rest
                .get(..16)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?;
            let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
            let symbols = rest.get(16..16 + total).ok_or_else(bad)?;
            let table = HuffmanTable::new(&counts, symbols, class == 1)?;
            if class == 0 {
                self.dc[id] = Some(table);
            } else {
                self.ac[id] = Some(table);
            }
            segment = &rest[16 + total..];
        }
        Ok(())
    }

    /// Reads a DAC segment (B.2.4.3): conditioning of DC (`L`, `U`) and AC (`Kx`) arithmetic
    /// tables.
    pub(super) fn read_dac(&mut self, segment: &[u8]) -> Result<()> {
        let bad = || DecodeError::Corrupt("JPEG arithmetic conditioning segment is invalid");
        if !segment.len().is_multiple_of(2) {
            return Err(bad());
        }
        for pair in segment.chunks_exact(2) {
            let (class, id, value) = (pair[0] >> 4, usize::from(pair[0] & 15), pair[1]);
            if id > 3 {
                return Err(bad());
            }
            match class {
                0 => {
                    let (lower, upper) = (value & 15, value >> 4);
                    if lower > upper {
                        return Err(bad());
                    }
                    self.dc_conditioning[id] = DcConditioning { lower, upper };
                }
                1 if (1..=63).contains(&value) => self.ac_conditioning[id] = value,
                _ => return Err(bad()),
            }
        }
        Ok(())
    }

    /// Reads the application segments that matter to decoding: JFIF, ICC profile chunks, Adobe.
    pub(super) fn read_app(&mut self, marker: Marker, segment: &[u8]) {
        match marker {
            Marker::App(0) if segment.starts_with(b"JFIF\0") => self.jfif = true,
            Marker::App(2) => {
                if let Some([sequence, count, rest @ ..]) = segment.strip_prefix(b"ICC_PROFILE\0") {
                    // A few bytes of bookkeeping per chunk; the bytes are bounded by the file.
                    if self.icc.len() < 256 {
                        self.icc.push((*sequence, *count, rest.to_vec()));
                    }
                }
            }
            Marker::App(14) => {
                if let [b'A', b'd', b'o', b'b', b'e', rest @ ..] = segment {
                    self.adobe_transform = rest.get(6).copied().or(Some(0));
                }
            }
            _ => {}
        }
    }
}

/// A frame header (SOF, ITU T.81 B.2.2) as written, before any check of what it asks for: the one
/// parser of SOF segments, for the header probe and the decoder. The coding process is the `n` of
/// the SOFn marker ([`Marker::Sof`]): 0 baseline, 1 extended, 2 progressive, 3 lossless; 9 to 11
/// the same with arithmetic coding; 5 to 7 and 13 to 15 hierarchical.
#[derive(Debug, Clone, Copy)]
pub(super) struct FrameHeader<'a> {
    /// Bits per sample.
    pub(super) precision: u8,
    /// Lines (0: defined later by DNL).
    pub(super) height: u16,
    /// Samples per line.
    pub(super) width: u16,
    /// Number of components.
    pub(super) count: u8,
    /// The component specifications that follow (3 bytes each), possibly fewer than `count`.
    specs: &'a [u8],
}

impl<'a> FrameHeader<'a> {
    /// Reads the data of a SOFn segment; `None` when it is shorter than the fixed fields.
    pub(super) fn parse(data: &'a [u8]) -> Option<Self> {
        let [precision, h0, h1, w0, w1, count, specs @ ..] = data else {
            return None;
        };
        Some(FrameHeader {
            precision: *precision,
            height: u16::from_be_bytes([*h0, *h1]),
            width: u16::from_be_bytes([*w0, *w1]),
            count: *count,
            specs,
        })
    }

    /// The component specifications, `[id, sampling factors (h << 4 | v), quantisation table]`
    /// each; `None` when the segment holds fewer than `count`.
    pub(super) fn components(&self) -> Option<impl Iterator<Item = [u8; 3]> + 'a> {
        let specs = self.specs.get(..3 * usize::from(self.count))?;
        Some(
            specs
                .chunks_exact(3)
                .map(|spec| [spec[0], spec[1], spec[2]]),
        )
    }
}

/// Reads the SOFn segment of `process` for the decoder. Declines (as unsupported) what this
/// decoder leaves to the fallback: lossless (Huffman or arithmetic) and hierarchical processes,
/// precision other than 8 bits, and sampling factors outside 1, 2 or 4.
pub(super) fn read_sof(process: u8, segment: &[u8]) -> Result<Frame> {
    let unsupported = DecodeError::Declined;
    let (progressive, coding) = match process {
        0 | 1 => (false, Coding::Huffman),
        2 => (true, Coding::Huffman),
        9 => (false, Coding::Arithmetic),
        10 => (true, Coding::Arithmetic),
        other => return Err(unsupported(format!("JPEG process SOF{other}"))),
    };
    let bad = || DecodeError::Corrupt("JPEG frame header is invalid");
    let header = FrameHeader::parse(segment).ok_or_else(bad)?;
    let (precision, count) = (header.precision, header.count);
    if precision != 8 {
        return Err(unsupported(format!("{precision}-bit JPEG")));
    }
    let (width, height) = (usize::from(header.width), usize::from(header.height));
    if width == 0 || height == 0 {
        return Err(DecodeError::Corrupt(
            "JPEG frame header declares an empty image (or DNL, unsupported)",
        ));
    }
    if !matches!(count, 1 | 3 | 4) {
        return Err(unsupported(format!("JPEG with {count} components")));
    }
    let mut components = Vec::with_capacity(usize::from(count));
    for [id, factors, quant] in header.components().ok_or_else(bad)? {
        let (h, v) = (factors >> 4, factors & 15);
        if !matches!(h, 1 | 2 | 4) || !matches!(v, 1 | 2 | 4) {
            return Err(unsupported(format!("JPEG sampling factors {h}x{v}")));
        }
        if quant > 3 {
            return Err(bad());
        }
        if components.iter().any(|c: &FrameComponent| c.id == id) {
            return Err(DecodeError::Corrupt(
                "JPEG frame has two components with one id",
            ));
        }
        components.push(FrameComponent {
            id,
            h: usize::from(h),
            v: usize::from(v),
            quant: usize::from(quant),
        });
    }
    Ok(Frame {
        progressive,
        coding,
        width,
        height,
        components,
    })
}

/// Reads a SOS segment against `frame`, checking the progression parameters.
pub(super) fn read_sos(segment: &[u8], frame: &Frame) -> Result<Scan> {
    let bad = || DecodeError::Corrupt("JPEG scan header is invalid");
    let (&count, rest) = segment.split_first().ok_or_else(bad)?;
    let count = usize::from(count);
    if count == 0 || count > 4 {
        return Err(bad());
    }
    let specs = rest.get(..2 * count).ok_or_else(bad)?;
    let mut components = Vec::with_capacity(count);
    for spec in specs.chunks_exact(2) {
        let index = frame
            .components
            .iter()
            .position(|c| c.id == spec[0])
            .ok_or_else(bad)?;
        if components.iter().any(|&(i, _, _)| i == index) {
            return Err(bad());
        }
        let (dc, ac) = (usize::from(spec[1] >> 4), usize::from(spec[1] & 15));
        if dc > 3 || ac > 3 {
            return Err(bad());
        }
        components.push((index, dc, ac));
    }
    let [ss, se, approx] = rest.get(2 * count..2 * count + 3).ok_or_else(bad)? else {
        return Err(bad());
    };
    let (ss, se, ah, al) = (
        usize::from(*ss),
        usize::from(*se),
        u32::from(approx >> 4),
        u32::from(approx & 15),
    );
    // An interleaved scan's MCU holds at most 10 blocks (ITU T.81 B.2.3), whatever the process.
    if count > 1
        && components
            .iter()
            .map(|&(i, _, _)| frame.components[i].h * frame.components[i].v)
            .sum::<usize>()
            > 10
    {
        return Err(bad());
    }
    if !frame.progressive {
        // Sequential scans cover the whole block whatever they say.
        return Ok(Scan {
            components,
            ss: 0,
            se: 63,
            ah: 0,
            al: 0,
        });
    }
    let dc_scan = ss == 0;
    if (dc_scan && se != 0)
        || (!dc_scan && (se < ss || se > 63 || count != 1))
        || ah > 13
        || al > 13
    {
        return Err(DecodeError::Corrupt(
            "JPEG progressive scan parameters are invalid",
        ));
    }
    Ok(Scan {
        components,
        ss,
        se,
        ah,
        al,
    })
}
