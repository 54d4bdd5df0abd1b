//! Markers (ITU T.81 B.1.1.3, table B.1) and the one walk over a file's marker segments that
//! every reader of JPEG structure uses: the header probe, the decoder's marker loop, its look-ahead
//! over progressive scans, restart scheduling, and the upload metadata stripper (`ingest`).
//!
//! A marker is `0xFF` and a code; any number of `0xFF` fill bytes may precede it. Standalone
//! markers (SOI, EOI, TEM, RST0–7) are the code alone; every other marker starts a segment whose
//! big-endian length (at least 2) counts itself and the data after it. After a scan header (SOS)
//! come entropy-coded data, in which `FF 00` is a stuffed `0xFF` and RST markers separate restart
//! intervals; the first other marker ends them.

/// A marker code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    /// Start of image (D8).
    Soi,
    /// End of image (D9).
    Eoi,
    /// Temporary private use in arithmetic coding (01).
    Tem,
    /// Restart marker `n` (D0–D7, `n` 0 to 7).
    Rst(u8),
    /// Start of frame `n` (C0–CF but C4, C8 and CC): `n` names the coding process.
    Sof(u8),
    /// Huffman tables (C4).
    Dht,
    /// Arithmetic coding conditioning (CC).
    Dac,
    /// Quantisation tables (DB).
    Dqt,
    /// Restart interval (DD).
    Dri,
    /// Number of lines (DC).
    Dnl,
    /// Start of scan (DA).
    Sos,
    /// Application segment `n` (E0–EF, `n` 0 to 15).
    App(u8),
    /// Comment (FE).
    Com,
    /// Any other code: reserved ones, JPG extensions, DHP, EXP, and `00` where a walk that allows
    /// only fill bytes between segments meets one.
    Other(u8),
}

impl Marker {
    /// The marker of a code.
    pub(crate) fn from_code(code: u8) -> Self {
        match code {
            0xD8 => Marker::Soi,
            0xD9 => Marker::Eoi,
            0x01 => Marker::Tem,
            0xD0..=0xD7 => Marker::Rst(code - 0xD0),
            0xC4 => Marker::Dht,
            0xCC => Marker::Dac,
            0xC0..=0xCF if code != 0xC8 => Marker::Sof(code - 0xC0),
            0xDB => Marker::Dqt,
            0xDD => Marker::Dri,
            0xDC => Marker::Dnl,
            0xDA => Marker::Sos,
            0xE0..=0xEF => Marker::App(code - 0xE0),
            0xFE => Marker::Com,
            other => Marker::Other(other),
        }
    }

    /// The code, as written after `0xFF`.
    pub(crate) fn code(self) -> u8 {
        match self {
            Marker::Soi => 0xD8,
            Marker::Eoi => 0xD9,
            Marker::Tem => 0x01,
            Marker::Rst(n) => 0xD0 + n,
            Marker::Sof(n) => 0xC0 + n,
            Marker::Dht => 0xC4,
            Marker::Dac => 0xCC,
            Marker::Dqt => 0xDB,
            Marker::Dri => 0xDD,
            Marker::Dnl => 0xDC,
            Marker::Sos => 0xDA,
            Marker::App(n) => 0xE0 + n,
            Marker::Com => 0xFE,
            Marker::Other(code) => code,
        }
    }

    /// Whether the marker stands alone, without a length and data.
    pub(crate) fn is_standalone(self) -> bool {
        matches!(
            self,
            Marker::Soi | Marker::Eoi | Marker::Tem | Marker::Rst(_)
        )
    }
}

/// One marker and its segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment<'a> {
    /// The marker.
    pub(crate) marker: Marker,
    /// Where the marker starts: the `0xFF` just before its code (the last of any fill bytes).
    pub(crate) at: usize,
    /// The data after the length field; empty for a standalone marker.
    pub(crate) data: &'a [u8],
    /// Where the segment ends: after its data, or after the code of a standalone marker.
    pub(crate) end: usize,
}

/// Why a walk stopped short. `at` is where the marker starts (or, for [`Self::NotAMarker`],
/// where one should have).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SegmentError {
    /// A byte other than `0xFF` where a walk that allows only fill bytes between segments
    /// expects a marker.
    NotAMarker {
        /// Where the marker should start.
        at: usize,
    },
    /// The data ends within a marker's fill bytes (`marker` is then `None`), its length field
    /// or its segment.
    Truncated {
        /// Where the marker starts.
        at: usize,
        /// The marker, when its code was read.
        marker: Option<Marker>,
    },
    /// A length field below 2.
    BadLength {
        /// Where the marker starts.
        at: usize,
        /// The marker.
        marker: Marker,
    },
}

impl SegmentError {
    /// The marker the walk stopped at, when its code was read.
    pub(crate) fn marker(self) -> Option<Marker> {
        match self {
            SegmentError::NotAMarker { .. } => None,
            SegmentError::Truncated { marker, .. } => marker,
            SegmentError::BadLength { marker, .. } => Some(marker),
        }
    }

    /// Where the marker starts, or should have.
    pub(crate) fn at(self) -> usize {
        match self {
            SegmentError::NotAMarker { at }
            | SegmentError::Truncated { at, .. }
            | SegmentError::BadLength { at, .. } => at,
        }
    }
}

/// The marker segments of a JPEG from a position on, in file order, standalone markers included.
///
/// Entropy-coded data after a scan header is skipped up to the next marker, and the RST markers
/// within it are yielded too. Between segments, [`Segments::new`] allows only fill bytes (ITU T.81
/// B.1.1.2) while [`Segments::lenient`] skips any bytes, as decoders do. The walk ends (`None`)
/// at the end of the data, or after yielding an error.
#[derive(Debug, Clone)]
pub(crate) struct Segments<'a> {
    /// The whole file.
    data: &'a [u8],
    /// Where the next marker (or the bytes before it) starts.
    pos: usize,
    /// Any bytes may stand between segments.
    lenient: bool,
    /// The walk is in entropy-coded data: after SOS, up to the first marker other than RST.
    in_scan: bool,
    /// An error was yielded.
    failed: bool,
}

impl<'a> Segments<'a> {
    /// The walk from `pos` (2 to start after SOI), allowing only fill bytes between segments.
    pub(crate) fn new(data: &'a [u8], pos: usize) -> Self {
        Segments {
            data,
            pos,
            lenient: false,
            in_scan: false,
            failed: false,
        }
    }

    /// The walk from `pos`, skipping any bytes between segments (and finding a marker anywhere
    /// in entropy-coded data, as a decoder does when a scan stops short).
    pub(crate) fn lenient(data: &'a [u8], pos: usize) -> Self {
        Segments {
            lenient: true,
            ..Segments::new(data, pos)
        }
    }

    /// Goes on from `pos`: where a decoded scan's data ended.
    pub(crate) fn seek(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// Where the walk stands: after the last segment yielded.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// The next marker: its start and code.
    fn next_marker(&self) -> Result<Option<(usize, u8)>, SegmentError> {
        if self.lenient || self.in_scan {
            return Ok(next_marker(self.data, self.pos).map(|(at, marker)| (at, marker.code())));
        }
        match self.data.get(self.pos) {
            None => return Ok(None),
            Some(0xFF) => {}
            Some(_) => return Err(SegmentError::NotAMarker { at: self.pos }),
        }
        let mut code_at = self.pos + 1;
        while self.data.get(code_at) == Some(&0xFF) {
            code_at += 1;
        }
        match self.data.get(code_at) {
            Some(&code) => Ok(Some((code_at - 1, code))),
            None => Err(SegmentError::Truncated {
                at: code_at - 1,
                marker: None,
            }),
        }
    }

    /// The segment of `marker`, which starts at `at`.
    fn segment(&self, at: usize, marker: Marker) -> Result<Segment<'a>, SegmentError> {
        if marker.is_standalone() {
            return Ok(Segment {
                marker,
                at,
                data: &[],
                end: at + 2,
            });
        }
        let truncated = SegmentError::Truncated {
            at,
            marker: Some(marker),
        };
        let length = usize::from(read_u16(self.data, at + 2).ok_or(truncated)?);
        if length < 2 {
            return Err(SegmentError::BadLength { at, marker });
        }
        let end = at + 2 + length;
        let data = self.data.get(at + 4..end).ok_or(truncated)?;
        Ok(Segment {
            marker,
            at,
            data,
            end,
        })
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Result<Segment<'a>, SegmentError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let found = self.next_marker().transpose()?.and_then(|(at, code)| {
            let marker = Marker::from_code(code);
            if !matches!(marker, Marker::Rst(_)) {
                self.in_scan = false;
            }
            self.segment(at, marker)
        });
        match &found {
            Ok(segment) => {
                self.pos = segment.end;
                self.in_scan |= segment.marker == Marker::Sos;
            }
            Err(_) => self.failed = true,
        }
        Some(found)
    }
}

/// Where the entropy-coded data from `pos` ends: at the first marker other than RST, or at the
/// end of the data.
pub(super) fn scan_end(data: &[u8], pos: usize) -> usize {
    for segment in Segments::lenient(data, pos) {
        match segment {
            Ok(segment) if matches!(segment.marker, Marker::Rst(_)) => {}
            Ok(segment) => return segment.at,
            Err(error) => return error.at(),
        }
    }
    data.len()
}

/// The next marker at or after `pos` (where its last `0xFF` is, and the marker), skipping
/// entropy-coded bytes, stuffed `FF 00` and fill bytes.
pub(super) fn next_marker(data: &[u8], mut pos: usize) -> Option<(usize, Marker)> {
    loop {
        pos = find_ff(data, pos)?;
        let mut next = pos + 1;
        while data.get(next) == Some(&0xFF) {
            next += 1;
        }
        match data.get(next) {
            None => return None,
            Some(0) => pos = next + 1,
            Some(&code) => return Some((next - 1, Marker::from_code(code))),
        }
    }
}

/// The next byte of entropy-coded data at `pos`, or where the data ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EntropyByte {
    /// A data byte (`FF 00` read as `0xFF`) and the position after it.
    Byte(u8, usize),
    /// A marker starts at this position (its last `0xFF` fill byte), or the data ends there.
    Marker(usize),
}

/// Reads one byte of entropy-coded data at `pos`: a stuffed `FF 00` is one `0xFF`; fill bytes
/// (`FF FF …`) before a marker belong to the marker.
pub(super) fn entropy_byte(data: &[u8], pos: usize) -> EntropyByte {
    match data.get(pos) {
        Some(&0xFF) => {
            let mut next = pos + 1;
            while data.get(next) == Some(&0xFF) {
                next += 1;
            }
            match data.get(next) {
                Some(0) => EntropyByte::Byte(0xFF, next + 1),
                _ => EntropyByte::Marker(next - 1),
            }
        }
        Some(&value) => EntropyByte::Byte(value, pos + 1),
        None => EntropyByte::Marker(data.len()),
    }
}

/// The position of the next `0xFF` at or after `pos`, sixteen bytes per step.
fn find_ff(data: &[u8], mut pos: usize) -> Option<usize> {
    while let Some(chunk) = data.get(pos..pos + 16) {
        let (a, b) = chunk.split_at(8);
        let word = |bytes: &[u8]| u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]));
        if super::huffman::has_ff(word(a)) || super::huffman::has_ff(word(b)) {
            break;
        }
        pos += 16;
    }
    Some(pos + data.get(pos..)?.iter().position(|&b| b == 0xFF)?)
}

/// A big-endian `u16` at `pos`.
pub(super) fn read_u16(bytes: &[u8], pos: usize) -> Option<u16> {
    let pair = bytes.get(pos..pos + 2)?;
    Some(u16::from_be_bytes([pair[0], pair[1]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in 0..=255u8 {
            assert_eq!(Marker::from_code(code).code(), code);
        }
    }

    #[test]
    fn strict_walk_refuses_bytes_between_segments_and_skips_scan_data() {
        // SOI, APP0 (2 data bytes), SOS (1 byte), data with stuffing and RST0, EOI.
        let data = [
            0xFF, 0xD8, 0xFF, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xDA, 0, 3, 9, 0x12, 0xFF, 0, 0xFF,
            0xD0, 0x34, 0xFF, 0xD9,
        ];
        let walked: Vec<_> = Segments::new(&data, 2)
            .map(|segment| segment.map(|s| (s.marker, s.at, s.data.len(), s.end)))
            .collect();
        assert_eq!(
            walked,
            [
                Ok((Marker::App(0), 3, 2, 9)),
                Ok((Marker::Sos, 9, 1, 14)),
                Ok((Marker::Rst(0), 17, 0, 19)),
                Ok((Marker::Eoi, 20, 0, 22)),
            ]
        );
        let garbage = [0xFF, 0xD8, 0x00, 0xFF, 0xD9];
        let mut strict = Segments::new(&garbage, 2);
        assert_eq!(
            strict.next().map(|s| s.map(|s| s.marker)),
            Some(Err(SegmentError::NotAMarker { at: 2 }))
        );
        assert!(strict.next().is_none());
        let mut lenient = Segments::lenient(&garbage, 2);
        assert_eq!(
            lenient.next().map(|s| s.map(|s| s.marker)),
            Some(Ok(Marker::Eoi))
        );
    }

    #[test]
    fn cut_segments_are_reported_with_their_marker() {
        let data = [0xFF, 0xD8, 0xFF, 0xDB, 0, 9, 1];
        assert_eq!(
            Segments::new(&data, 2).next(),
            Some(Err(SegmentError::Truncated {
                at: 2,
                marker: Some(Marker::Dqt)
            }))
        );
        let data = [0xFF, 0xD8, 0xFF, 0xDB, 0, 1];
        let error = Segments::new(&data, 2).next().and_then(Result::err);
        assert_eq!(error.and_then(SegmentError::marker), Some(Marker::Dqt));
        assert!(matches!(error, Some(SegmentError::BadLength { at: 2, .. })));
        let data = [0xFF, 0xD8, 0xFF, 0xFF];
        assert_eq!(
            Segments::new(&data, 2).next(),
            Some(Err(SegmentError::Truncated {
                at: 3,
                marker: None
            }))
        );
    }
}
