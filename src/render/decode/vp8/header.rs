//! The frame header of a VP8 key frame (RFC 6386 §9, §19.2): the uncompressed tag and size, then,
//! in the first partition, the segmentation, the quantisers and the token probabilities; and the
//! table of the token partitions that follows the first partition.

use super::bool_decoder::BoolDecoder;
use super::corrupt;
use super::tables::{AC_QUANT, COEFF_BANDS, COEFF_PROBS, COEFF_UPDATE_PROBS, DC_QUANT};
use crate::Result;

/// The token probabilities as coded: [block type][band][context][tree node].
type BandProbs = [[[[u8; 11]; 3]; 8]; 4];

/// The token probabilities by scan position rather than band: [block type][position][context]
/// [tree node]. A token's probabilities are then one load from its position, not two (the band,
/// then its probabilities) on the chain from one token to the next.
pub(super) type CoeffProbs = [[[[u8; 11]; 3]; 16]; 4];

/// The start code that follows the frame tag of a key frame.
const START_CODE: [u8; 3] = [0x9d, 0x01, 0x2a];

/// The dequantisation factors of one segment, `[DC, AC]` for each kind of block.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Quant {
    /// Luma blocks.
    pub(super) y: [i32; 2],
    /// The second-order block of the luma DCs.
    pub(super) y2: [i32; 2],
    /// Chroma blocks.
    pub(super) uv: [i32; 2],
}

/// What the frame header says that the macroblocks need.
pub(super) struct FrameHeader<'a> {
    /// The picture's size in pixels, and in macroblocks.
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) mb_width: usize,
    pub(super) mb_height: usize,
    /// The probabilities of the segment id tree, when each macroblock names its segment.
    pub(super) segment_probs: Option<[u8; 3]>,
    /// The dequantisation factors of each segment (all four alike without segmentation).
    pub(super) quant: [Quant; 4],
    pub(super) coeff_probs: CoeffProbs,
    /// The probability that a macroblock has coefficients, when the frame codes it.
    pub(super) skip_prob: Option<u8>,
    /// The first partition, read past the header: the macroblocks' modes follow.
    pub(super) modes: BoolDecoder<'a>,
    /// The token partitions; macroblock row `y` reads partition `y % len`.
    pub(super) partitions: Vec<BoolDecoder<'a>>,
}

/// The size a key frame declares, from its first ten bytes; `None` for anything else.
pub(super) fn size(payload: &[u8]) -> Option<(u32, u32)> {
    let header = payload.get(..10)?;
    if header[0] & 1 != 0 || header[3..6] != START_CODE {
        return None;
    }
    let side = |low: u8, high: u8| u32::from(u16::from_le_bytes([low, high]) & 0x3fff);
    Some((side(header[6], header[7]), side(header[8], header[9])))
}

/// Parses the header of the key frame `payload` (a VP8 chunk's contents).
pub(super) fn parse(payload: &[u8]) -> Result<FrameHeader<'_>> {
    let (width, height) = size(payload).ok_or_else(|| corrupt("not a key frame"))?;
    if width == 0 || height == 0 {
        return Err(corrupt("an empty picture"));
    }
    let tag = u32::from_le_bytes([payload[0], payload[1], payload[2], 0]);
    if (tag >> 1) & 7 > 3 {
        return Err(corrupt("an unknown profile"));
    }
    if (tag >> 4) & 1 == 0 {
        return Err(corrupt("a frame that is not shown"));
    }
    let first_len = (tag >> 5) as usize;
    let rest = &payload[10..];
    let first = rest
        .get(..first_len)
        .ok_or_else(|| corrupt("the first partition is cut short"))?;
    let mut modes = BoolDecoder::new(first);
    // Colour space and clamping: the one colour space there is, and clamping always done.
    modes.read_literal(2);

    let mut segment_quant = None;
    let mut segment_probs = None;
    if modes.read_flag() {
        let update_map = modes.read_flag();
        if modes.read_flag() {
            let absolute = modes.read_flag();
            let quantisers: [i32; 4] = std::array::from_fn(|_| modes.read_optional_signed(7));
            // The segments' loop filter strengths: no filter runs here.
            for _ in 0..4 {
                modes.read_optional_signed(6);
            }
            segment_quant = Some((absolute, quantisers));
        } else {
            // Segments without their own data: in a key frame, absolute quantisers of 0, as
            // libwebp's reset state has them.
            segment_quant = Some((true, [0; 4]));
        }
        if update_map {
            segment_probs = Some(std::array::from_fn(|_| {
                if modes.read_flag() {
                    modes.read_literal(8) as u8
                } else {
                    255
                }
            }));
        }
    }

    // The loop filter's type, level and sharpness, and its deltas: no filter runs here (see the
    // module docs), but the bits are read past.
    modes.read_literal(1 + 6 + 3);
    if modes.read_flag() && modes.read_flag() {
        for _ in 0..8 {
            modes.read_optional_signed(6);
        }
    }

    let partition_count = 1usize << modes.read_literal(2);
    let partitions = partitions(&rest[first_len..], partition_count)?;

    let base = modes.read_literal(7) as i32;
    let deltas: [i32; 5] = std::array::from_fn(|_| modes.read_optional_signed(4));
    let quant = std::array::from_fn(|segment| {
        let q = match segment_quant {
            Some((true, quantisers)) => quantisers[segment],
            Some((false, quantisers)) => base + quantisers[segment],
            None => base,
        };
        dequantisation(q, deltas)
    });

    // Whether to keep these probabilities for the next frame: there is none.
    modes.read_flag();
    let mut band_probs: BandProbs = COEFF_PROBS;
    for (probs, updates) in band_probs
        .iter_mut()
        .flatten()
        .flatten()
        .flatten()
        .zip(COEFF_UPDATE_PROBS.iter().flatten().flatten().flatten())
    {
        if modes.read(*updates) {
            *probs = modes.read_literal(8) as u8;
        }
    }
    let skip_prob = modes.read_flag().then(|| modes.read_literal(8) as u8);
    if modes.overran() {
        return Err(corrupt("the frame header is cut short"));
    }
    Ok(FrameHeader {
        width,
        height,
        mb_width: width.div_ceil(16) as usize,
        mb_height: height.div_ceil(16) as usize,
        segment_probs,
        quant,
        coeff_probs: by_position(&band_probs),
        skip_prob,
        modes,
        partitions,
    })
}

/// The probabilities of each scan position: those of its band (RFC 6386 §13.3).
fn by_position(bands: &BandProbs) -> CoeffProbs {
    let mut positions = [[[[0; 11]; 3]; 16]; 4];
    for (by_position, by_band) in positions.iter_mut().zip(bands) {
        for (position, probs) in by_position.iter_mut().enumerate() {
            *probs = by_band[usize::from(COEFF_BANDS[position])];
        }
    }
    positions
}

/// The dequantisation factors for quantiser index `q` and the header's deltas (luma DC, second-
/// order DC and AC, chroma DC and AC), as RFC 6386 §14.1 and §20.4 compute them.
fn dequantisation(q: i32, deltas: [i32; 5]) -> Quant {
    let [y_dc, y2_dc, y2_ac, uv_dc, uv_ac] = deltas;
    let dc = |delta: i32| i32::from(DC_QUANT[(q + delta).clamp(0, 127) as usize]);
    let ac = |delta: i32| i32::from(AC_QUANT[(q + delta).clamp(0, 127) as usize]);
    Quant {
        y: [dc(y_dc), ac(0)],
        y2: [dc(y2_dc) * 2, (ac(y2_ac) * 155 / 100).max(8)],
        uv: [dc(uv_dc).min(132), ac(uv_ac)],
    }
}

/// Splits what follows the first partition into `count` token partitions: the sizes of all but
/// the last (three bytes each, little-endian), then the partitions. A size past the end is cut
/// to what there is, as libwebp does; the last partition takes the rest and may not be empty.
fn partitions(data: &[u8], count: usize) -> Result<Vec<BoolDecoder<'_>>> {
    let table_len = 3 * (count - 1);
    let (table, mut rest) = (
        data.get(..table_len)
            .ok_or_else(|| corrupt("the partition table is cut short"))?,
        &data[table_len..],
    );
    let mut partitions = Vec::with_capacity(count);
    for size in table.chunks_exact(3) {
        let size = (u32::from_le_bytes([size[0], size[1], size[2], 0]) as usize).min(rest.len());
        let (partition, after) = rest.split_at(size);
        partitions.push(BoolDecoder::new(partition));
        rest = after;
    }
    if rest.is_empty() {
        return Err(corrupt("the last token partition is empty"));
    }
    partitions.push(BoolDecoder::new(rest));
    Ok(partitions)
}
