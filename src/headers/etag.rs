//! Entity tags and `If-None-Match` (RFC 9110 §8.8.3, §13.1.2).

use super::syntax::split_outside_quotes;
use crate::render::{info_representation, photo_representation, version_digest, Variant};

/// A strong entity tag, stored in its header form (with quotes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ETag(String);

impl ETag {
    /// An entity tag from an opaque value of visible ASCII without `"` (others are replaced).
    pub fn new(opaque: &str) -> Self {
        let mut quoted = String::with_capacity(opaque.len() + 2);
        quoted.push('"');
        if opaque.bytes().all(is_etagc) {
            quoted.push_str(opaque);
        } else {
            quoted.extend(opaque.chars().map(|c| {
                if c.is_ascii() && is_etagc(c as u8) {
                    c
                } else {
                    '_'
                }
            }));
        }
        quoted.push('"');
        ETag(quoted)
    }

    /// The tag of a representation, the one format every replica computes alike:
    /// `<subject>.<representation>`, the subject being the FNV-1a hash of the stored version (or
    /// `ph` for placeholders, which belong to no photo): `"…16 hex….w64h0tjpeg"` for a photo
    /// (`"…16 hex….w64h64tjpeg+cover"` with `fit=cover`),
    /// `"…16 hex….info"` for its info, `"ph.no-photo:png:96x96:de"` for a placeholder.
    pub(crate) fn for_variant(variant: &Variant) -> Self {
        let (subject, representation) = match variant {
            Variant::Photo {
                version: stored,
                width,
                height,
                fit,
                focus,
                preference,
                ..
            } => (
                version_digest(stored),
                photo_representation(*width, *height, *fit, *focus, preference),
            ),
            Variant::Info {
                version: stored,
                focus,
            } => (version_digest(stored), info_representation(*focus)),
            Variant::Placeholder {
                kind,
                output,
                size: (width, height),
                caption,
                json,
            } => {
                let caption =
                    caption.map_or(String::new(), |language| format!(":{}", language.as_str()));
                let json = if *json { "+json" } else { "" };
                (
                    "ph".to_owned(),
                    format!("{}:{output}:{width}x{height}{caption}{json}", kind.as_str()),
                )
            }
        };
        ETag::new(&format!("{subject}.{representation}"))
    }

    /// The header form, with quotes: `"abc"`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The opaque value, without quotes.
    pub fn opaque(&self) -> &str {
        self.0.get(1..self.0.len() - 1).unwrap_or_default()
    }
}

/// Visible ASCII other than `"`: what an entity tag may hold (RFC 9110 `etagc`, ASCII part).
fn is_etagc(byte: u8) -> bool {
    byte.is_ascii_graphic() && byte != b'"'
}

/// At most this many entity tags are kept from `If-None-Match`.
const MAX_TAGS: usize = 64;
/// At most this many members (valid or not) are examined.
const MAX_MEMBERS: usize = 256;
/// A longer entity tag cannot be one of ours and is skipped.
const MAX_TAG_LEN: usize = 256;

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
    ///
    /// `*` (alone, on one or several lines) is [`IfNoneMatch::Any`]; otherwise each member must be
    /// `"opaque"` or `W/"opaque"` and is stored without quotes and without `W/` (this header uses
    /// weak comparison). Malformed members, and a `*` mixed with tags, are skipped; at most 64
    /// tags are kept.
    ///
    /// ```
    /// use person_image::headers::{ETag, IfNoneMatch};
    /// let header = IfNoneMatch::parse([&b"W/\"v1\", \"v2\""[..]]).unwrap();
    /// assert!(header.matches(&ETag::new("v1")));
    /// assert!(!header.matches(&ETag::new("v3")));
    /// ```
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Option<Self> {
        let mut tags = Vec::new();
        let mut stars = 0usize;
        let mut others = 0usize;
        let mut examined = 0;
        'lines: for line in lines {
            for member in split_outside_quotes(line, b',') {
                if tags.len() >= MAX_TAGS || examined >= MAX_MEMBERS {
                    break 'lines;
                }
                examined += 1;
                let member = member.trim_ascii();
                if member.is_empty() {
                    continue;
                }
                if member == b"*" {
                    stars += 1;
                    continue;
                }
                others += 1;
                if let Some(tag) = parse_entity_tag(member) {
                    tags.push(tag);
                }
            }
        }
        if stars > 0 && others == 0 {
            Some(IfNoneMatch::Any)
        } else if tags.is_empty() {
            None
        } else {
            Some(IfNoneMatch::Tags(tags))
        }
    }

    /// Whether the representation with `etag` matches (and so deserves a 304).
    pub fn matches(&self, etag: &ETag) -> bool {
        match self {
            IfNoneMatch::Any => true,
            IfNoneMatch::Tags(tags) => tags.iter().any(|tag| tag == etag.opaque()),
        }
    }
}

/// A parsed `If-Match` header of a write about a photo (`PUT …/ImageInfo`): the write goes ahead
/// only while the photo has a version the caller saw. Any entity tag the service gave for the
/// photo's version names it: the info's (`"….info"`) or any rendering's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfMatch(IfNoneMatch);

impl IfMatch {
    /// Parses every `If-Match` header line, with the syntax of [`IfNoneMatch::parse`]; `None`
    /// when no valid member is present.
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Option<Self> {
        IfNoneMatch::parse(lines).map(IfMatch)
    }

    /// Whether a write to the photo stored at `version` may go ahead: `*`, or a listed tag of
    /// that version.
    pub(crate) fn allows_version(&self, version: &str) -> bool {
        match &self.0 {
            IfNoneMatch::Any => true,
            IfNoneMatch::Tags(tags) => {
                let digest = version_digest(version);
                tags.iter().any(|tag| {
                    tag.split_once('.')
                        .is_some_and(|(subject, _)| subject == digest)
                })
            }
        }
    }
}

/// `"opaque"` or `W/"opaque"` → `opaque`; `None` when malformed (RFC 9110 §8.8.3 `etagc`).
fn parse_entity_tag(member: &[u8]) -> Option<String> {
    let quoted = member.strip_prefix(b"W/").unwrap_or(member);
    let opaque = quoted.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    if opaque.len() > MAX_TAG_LEN {
        return None;
    }
    let is_etagc = |b: &u8| *b == 0x21 || (0x23..=0x7E).contains(b) || *b >= 0x80;
    if !opaque.iter().all(is_etagc) {
        return None;
    }
    String::from_utf8(opaque.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lines: &[&[u8]]) -> Option<IfNoneMatch> {
        IfNoneMatch::parse(lines.iter().copied())
    }

    fn tags(list: &[&str]) -> Option<IfNoneMatch> {
        Some(IfNoneMatch::Tags(
            list.iter().map(|t| t.to_string()).collect(),
        ))
    }

    #[test]
    fn parses_tags_and_star() {
        let cases: Vec<(Vec<&[u8]>, Option<IfNoneMatch>)> = vec![
            (vec![b"*"], Some(IfNoneMatch::Any)),
            (vec![b" * "], Some(IfNoneMatch::Any)),
            (vec![b"*", b"*"], Some(IfNoneMatch::Any)),
            (vec![b"\"abc\""], tags(&["abc"])),
            (vec![b"W/\"abc\""], tags(&["abc"])),
            (vec![b"\"a\", W/\"b\" ,\"c\""], tags(&["a", "b", "c"])),
            (vec![b"\"a\"", b"\"b\""], tags(&["a", "b"])),
            (vec![b"\"a,b\""], tags(&["a,b"])),
            (vec![b"\"\""], tags(&[""])),
            (vec![b"\"a\", *"], tags(&["a"])),
            (vec![b"abc, \"ok\""], tags(&["ok"])),
            (vec![b"w/\"a\", \"ok\""], tags(&["ok"])),
            (vec![b"\"a b\", \"ok\""], tags(&["ok"])),
            (vec![b"\"a\"b, \"ok\""], tags(&["ok"])),
            (vec![b"W/ \"a\", \"ok\""], tags(&["ok"])),
            (vec![b"\"\xc3\xa5\""], tags(&["å"])),
            (vec![b"\"\xff\""], None),
            (vec![b"abc"], None),
            (vec![b""], None),
            (vec![b" , , "], None),
            (vec![], None),
            (vec![b"\"unterminated"], None),
        ];
        for (lines, expected) in cases {
            assert_eq!(parse(&lines), expected, "{lines:?}");
        }
    }

    #[test]
    fn matches_weakly() {
        let etag = ETag::new("v1-abc");
        let cases: [(&[u8], bool); 6] = [
            (b"*", true),
            (b"\"v1-abc\"", true),
            (b"W/\"v1-abc\"", true),
            (b"\"x\", \"v1-abc\"", true),
            (b"\"v1-ABC\"", false),
            (b"\"x\"", false),
        ];
        for (header, expected) in cases {
            let parsed = parse(&[header]).unwrap();
            assert_eq!(parsed.matches(&etag), expected, "{header:?}");
        }
    }

    #[test]
    fn hostile_headers_are_capped() {
        let many = "\"t\", ".repeat(10_000);
        match parse(&[many.as_bytes()]) {
            Some(IfNoneMatch::Tags(tags)) => assert_eq!(tags.len(), MAX_TAGS),
            other => panic!("{other:?}"),
        }
        let long = format!("\"{}\"", "a".repeat(100_000));
        assert_eq!(parse(&[long.as_bytes()]), None);
    }

    #[test]
    fn if_match_allows_any_tag_of_the_version() {
        let info = ETag::for_variant(&Variant::Info {
            version: "v1".to_owned(),
            focus: None,
        });
        let header = IfMatch::parse([info.as_str().as_bytes()]).unwrap();
        assert!(header.allows_version("v1"));
        assert!(!header.allows_version("v2"));
        assert!(IfMatch::parse([&b"*"[..]]).unwrap().allows_version("v2"));
        assert!(!IfMatch::parse([&b"\"v1\""[..]])
            .unwrap()
            .allows_version("v1"));
        assert_eq!(IfMatch::parse([&b"nonsense"[..]]), None);
    }

    #[test]
    fn etag_header_form() {
        assert_eq!(ETag::new("abc").as_str(), "\"abc\"");
        assert_eq!(ETag::new("a\"b c").as_str(), "\"a_b_c\"");
    }
}
