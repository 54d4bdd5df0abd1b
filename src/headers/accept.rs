//! The `Accept` header: media ranges with q-values (RFC 9110 §12.5.1).

use super::syntax::{is_token, parse_qvalue, split_outside_quotes, token, unquote};

/// At most this many valid media ranges are kept; later members are not even looked at.
const MAX_RANGES: usize = 64;
/// At most this many members (valid or not) are examined, so a 10 000-member header stays cheap.
const MAX_MEMBERS: usize = 256;
/// A longer member is skipped unparsed.
const MAX_MEMBER_LEN: usize = 512;
/// A member with more parameters than this is skipped.
const MAX_PARAMS: usize = 8;

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
    ///
    /// Members are `type/subtype` (or `type/*`, `*/*`) with optional `;name=value` parameters
    /// (token or quoted-string values) and a `q` weight of 0 to 1 with up to three decimals;
    /// parameters after `q` are ignored. Malformed members (no slash, bad characters, `*/png`,
    /// `q=2`, `q=abc`, an unterminated quote) are skipped. Only the first 64 valid ranges out of
    /// the first 256 members are kept, so hostile headers cost little.
    ///
    /// ```
    /// use person_image::headers::AcceptList;
    /// let accept = AcceptList::parse([&b"image/*;q=0.5, image/png;q=0"[..]]);
    /// assert_eq!(accept.quality("image/png"), 0);
    /// assert_eq!(accept.quality("image/jpeg"), 500);
    /// ```
    pub fn parse<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let mut ranges = Vec::new();
        let mut examined = 0;
        'lines: for line in lines {
            for member in split_outside_quotes(line, b',') {
                if ranges.len() >= MAX_RANGES || examined >= MAX_MEMBERS {
                    break 'lines;
                }
                examined += 1;
                if let Some(range) = MediaRange::parse(member) {
                    ranges.push(range);
                }
            }
        }
        AcceptList { ranges }
    }

    /// The weight (0–1000) the caller gives to `mime` (e.g. `image/png`): the most specific
    /// matching range decides; 0 when nothing matches.
    ///
    /// Specificity: `type/subtype` with parameters (more parameters win) > `type/subtype` >
    /// `type/*` > `*/*`. A range with parameters matches only a `mime` carrying the same
    /// parameters (names and values compared case-insensitively); `mime`'s extra parameters do not
    /// prevent a match. Among equally specific ranges the first one in header order decides.
    pub fn quality(&self, mime: &str) -> u16 {
        let (essence, mime_params) = mime.split_once(';').unwrap_or((mime, ""));
        let Some((kind, subtype)) = essence.trim().split_once('/') else {
            return 0;
        };
        let mime_params: Vec<(&str, &str)> = mime_params
            .split(';')
            .filter_map(|param| param.split_once('='))
            .map(|(name, value)| (name.trim(), value.trim().trim_matches('"')))
            .collect();
        let mut best: Option<((u8, usize), u16)> = None;
        for range in &self.ranges {
            let level = if range.kind == "*" {
                0
            } else if !range.kind.eq_ignore_ascii_case(kind) {
                continue;
            } else if range.subtype == "*" {
                1
            } else if range.subtype.eq_ignore_ascii_case(subtype) {
                2
            } else {
                continue;
            };
            let params_match = range.params.iter().all(|(name, value)| {
                mime_params
                    .iter()
                    .any(|(n, v)| n.eq_ignore_ascii_case(name) && v.eq_ignore_ascii_case(value))
            });
            if !params_match {
                continue;
            }
            let specificity = (level, range.params.len());
            if best.is_none_or(|(current, _)| specificity > current) {
                best = Some((specificity, range.quality));
            }
        }
        best.map_or(0, |(_, quality)| quality)
    }

    /// The media ranges, in header order.
    pub fn ranges(&self) -> &[MediaRange] {
        &self.ranges
    }
}

impl MediaRange {
    /// Parses one member (`image/png;q=0.8`); `None` when it is malformed.
    fn parse(member: &[u8]) -> Option<Self> {
        if member.len() > MAX_MEMBER_LEN {
            return None;
        }
        let mut pieces = split_outside_quotes(member, b';');
        let essence = pieces.next()?.trim_ascii();
        let slash = essence.iter().position(|&b| b == b'/')?;
        let kind = token(essence.get(..slash)?)?;
        let subtype = token(essence.get(slash + 1..)?)?;
        if kind == "*" && subtype != "*" {
            return None;
        }
        let mut params = Vec::new();
        let mut quality = 1000;
        for piece in pieces {
            let piece = piece.trim_ascii();
            if piece.is_empty() {
                continue;
            }
            let (name, value) = parse_param(piece)?;
            if name == "q" {
                // The weight ends the media range; what follows is an extension we ignore.
                quality = match value {
                    ParamValue::Token(text) => parse_qvalue(text.as_bytes())?,
                    ParamValue::Quoted(_) => return None,
                };
                break;
            }
            if params.len() >= MAX_PARAMS {
                return None;
            }
            params.push((name, value.into_string()));
        }
        Some(MediaRange {
            kind,
            subtype,
            params,
            quality,
        })
    }
}

/// A parameter value as written: a bare token or the content of a quoted-string.
enum ParamValue {
    Token(String),
    Quoted(String),
}

impl ParamValue {
    fn into_string(self) -> String {
        match self {
            ParamValue::Token(text) | ParamValue::Quoted(text) => text,
        }
    }
}

/// `name=value` with a token name (lowercased) and a token or quoted-string value.
fn parse_param(piece: &[u8]) -> Option<(String, ParamValue)> {
    let equals = piece.iter().position(|&b| b == b'=')?;
    let name = token(piece.get(..equals)?.trim_ascii())?;
    let raw = piece.get(equals + 1..)?.trim_ascii();
    let value = if raw.first() == Some(&b'"') {
        ParamValue::Quoted(unquote(raw)?)
    } else {
        ParamValue::Token(
            std::str::from_utf8(raw)
                .ok()
                .filter(|_| is_token(raw))?
                .to_owned(),
        )
    };
    Some((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(lines: &[&str]) -> AcceptList {
        AcceptList::parse(lines.iter().map(|line| line.as_bytes()))
    }

    fn range(kind: &str, subtype: &str, params: &[(&str, &str)], quality: u16) -> MediaRange {
        MediaRange {
            kind: kind.into(),
            subtype: subtype.into(),
            params: params
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            quality,
        }
    }

    #[test]
    fn parses_members() {
        let cases: Vec<(&str, Vec<MediaRange>)> = vec![
            ("image/png", vec![range("image", "png", &[], 1000)]),
            ("IMAGE/PNG;Q=0.5", vec![range("image", "png", &[], 500)]),
            (
                "image/png;q=0.5, image/*;q=0.25 ,*/*;q=0",
                vec![
                    range("image", "png", &[], 500),
                    range("image", "*", &[], 250),
                    range("*", "*", &[], 0),
                ],
            ),
            (
                "text/html;level=1;q=0.7",
                vec![range("text", "html", &[("level", "1")], 700)],
            ),
            (
                "text/html ; Charset=\"UTF-8\" ; q=1.000",
                vec![range("text", "html", &[("charset", "UTF-8")], 1000)],
            ),
            (
                "a/b;x=\"1,2;3\\\"\", c/d",
                vec![
                    range("a", "b", &[("x", "1,2;3\"")], 1000),
                    range("c", "d", &[], 1000),
                ],
            ),
            ("a/b;q=0.3;ext=1", vec![range("a", "b", &[], 300)]),
            ("a/b;;q=0.", vec![range("a", "b", &[], 0)]),
            ("a/b;q=1.", vec![range("a", "b", &[], 1000)]),
            ("a/b;q=0.05", vec![range("a", "b", &[], 50)]),
            ("a/b;q=0.001", vec![range("a", "b", &[], 1)]),
            ("", vec![]),
            (" , ,, ", vec![]),
        ];
        for (header, expected) in cases {
            assert_eq!(accept(&[header]).ranges(), expected.as_slice(), "{header}");
        }
    }

    #[test]
    fn skips_malformed_members() {
        let malformed = [
            "png",
            "image/",
            "/png",
            "*/png",
            "image/png/x",
            "ima ge/png",
            "image/p(ng",
            "image/png;q=2",
            "image/png;q=1.001",
            "image/png;q=0.1234",
            "image/png;q=abc",
            "image/png;q=.5",
            "image/png;q=",
            "image/png;q=\"0.5\"",
            "image/png;q=-0",
            "image/png;noequals",
            "image/png;=1",
            "image/png;x=a b",
            "image/png;x=\"bad\"tail",
            "image/pn\u{e9}g",
        ];
        for member in malformed {
            let list = accept(&[&format!("{member}, image/gif;q=0.2")]);
            assert_eq!(list.ranges(), [range("image", "gif", &[], 200)], "{member}");
        }
        // An unterminated quote swallows the rest of its line, not the next line.
        let list = accept(&["image/png;x=\"open, image/jpeg", "image/gif;q=0.2"]);
        assert_eq!(list.ranges(), [range("image", "gif", &[], 200)]);
        let list = AcceptList::parse([&b"image/\xff, image/gif"[..], b"text/x;p=\"\xff\""]);
        assert_eq!(list.ranges(), [range("image", "gif", &[], 1000)]);
    }

    #[test]
    fn quality_follows_specificity() {
        let list = accept(&["image/*;q=0.5, image/png;q=0"]);
        let cases = [
            ("image/png", 0),
            ("image/jpeg", 500),
            ("IMAGE/JPEG", 500),
            ("application/json", 0),
            ("garbage", 0),
            ("", 0),
        ];
        for (mime, expected) in cases {
            assert_eq!(list.quality(mime), expected, "{mime}");
        }

        let list = accept(&[
            "*/*;q=0.1, image/*;q=0.4, image/png;q=0.6, text/html;level=1;q=0.9, text/html;q=0.7",
        ]);
        let cases = [
            ("image/png", 600),
            ("image/gif", 400),
            ("application/json", 100),
            ("application/json; charset=utf-8", 100),
            ("text/html", 700),
            ("text/html;level=1", 900),
            ("text/html; LEVEL=\"1\"", 900),
            ("text/html;level=2", 700),
            ("text/plain", 100),
        ];
        for (mime, expected) in cases {
            assert_eq!(list.quality(mime), expected, "{mime}");
        }
    }

    #[test]
    fn equally_specific_ranges_first_one_wins() {
        let list = accept(&["image/png;q=0.3, image/png;q=0.9"]);
        assert_eq!(list.quality("image/png"), 300);
    }

    #[test]
    fn joins_several_lines() {
        let list = accept(&["image/png;q=0.2", "", "image/gif, application/json;q=0.5"]);
        assert_eq!(list.quality("image/png"), 200);
        assert_eq!(list.quality("image/gif"), 1000);
        assert_eq!(list.quality("application/json; charset=utf-8"), 500);
        assert_eq!(list.quality("image/jpeg"), 0);
    }

    #[test]
    fn misspelled_types_match_nothing() {
        let list = accept(&["aplication/json"]);
        assert_eq!(list.ranges(), [range("aplication", "json", &[], 1000)]);
        assert_eq!(list.quality("application/json"), 0);
        assert_eq!(list.quality("image/png"), 0);
    }

    #[test]
    fn empty_header_accepts_nothing() {
        let list = accept(&[""]);
        assert!(list.ranges().is_empty());
        assert_eq!(list.quality("image/png"), 0);
        assert_eq!(AcceptList::parse([]).quality("image/png"), 0);
    }

    #[test]
    fn hostile_headers_are_capped() {
        let many = "image/png;q=0.5, ".repeat(10_000);
        let list = accept(&[&many]);
        assert_eq!(list.ranges().len(), MAX_RANGES);

        let junk = format!("{}, image/png", "x, ".repeat(10_000));
        assert!(accept(&[&junk]).ranges().is_empty());

        let long_member = format!("image/png;x={}", "a".repeat(100_000));
        let list = accept(&[&long_member, "image/gif"]);
        assert_eq!(list.ranges(), [range("image", "gif", &[], 1000)]);

        let quote = format!("image/png;x=\"{}", "a,".repeat(50_000));
        assert!(accept(&[&quote]).ranges().is_empty());

        let params = format!("image/png{}", ";a=b".repeat(MAX_PARAMS + 1));
        assert!(accept(&[&params]).ranges().is_empty());
    }
}
