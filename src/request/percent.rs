//! Percent-decoding of the request target (RFC 3986 §2.1), shared by the path and query parsers.

use std::borrow::Cow;

/// Decodes `%XX` escapes (and `+` as a space when `plus_as_space`); `None` when an escape is
/// malformed or the result is not UTF-8.
pub(super) fn percent_decode(input: &str, plus_as_space: bool) -> Option<Cow<'_, str>> {
    let needs_decoding = input.contains('%') || (plus_as_space && input.contains('+'));
    if !needs_decoding {
        return Some(Cow::Borrowed(input));
    }
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match byte {
            b'%' => {
                let high = bytes.get(index + 1).and_then(|&b| hex_value(b))?;
                let low = bytes.get(index + 2).and_then(|&b| hex_value(b))?;
                out.push(high << 4 | low);
                index += 3;
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                index += 1;
            }
            _ => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_plus_and_percent() {
        let cases = [
            ("a+b", Some("a b")),
            ("a%20b", Some("a b")),
            ("%C3%A5", Some("å")),
            ("%c3%a5", Some("å")),
            ("100%", None),
            ("%G0", None),
            ("%C3", None),
            ("plain", Some("plain")),
        ];
        for (raw, expected) in cases {
            assert_eq!(percent_decode(raw, true).as_deref(), expected, "{raw}");
        }
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
    }
}
