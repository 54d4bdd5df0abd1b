//! The header grammar of RFC 9110 §5.6 shared by the header parsers: tokens, quoted-strings,
//! q-values and lists split outside quotes. The crate's one home for it.

/// A `tchar` of RFC 9110 §5.6.2 (the characters of a token, such as a cookie name).
pub(crate) fn is_tchar(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Whether `bytes` is a non-empty token (RFC 9110 §5.6.2).
pub(crate) fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|&b| is_tchar(b))
}

/// A token, lowercased; `None` when empty or holding a non-token character.
pub(crate) fn token(bytes: &[u8]) -> Option<String> {
    if !is_token(bytes) {
        return None;
    }
    std::str::from_utf8(bytes).ok().map(str::to_ascii_lowercase)
}

/// The content of a quoted-string that spans all of `raw` (`"a\"b"` → `a"b`).
pub(crate) fn unquote(raw: &[u8]) -> Option<String> {
    let inner = raw.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut bytes = inner.iter();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'\\' => {
                let &escaped = bytes.next()?;
                if escaped.is_ascii_control() && escaped != b'\t' {
                    return None;
                }
                out.push(escaped);
            }
            b'"' => return None,
            b'\t' => out.push(byte),
            _ if byte.is_ascii_control() => return None,
            _ => out.push(byte),
        }
    }
    String::from_utf8(out).ok()
}

/// A weight (`0`, `0.5`, `1.000`) in thousandths; `None` for anything else (`2`, `0.1234`, `.5`).
pub(crate) fn parse_qvalue(text: &[u8]) -> Option<u16> {
    let (whole, fraction) = match text {
        [whole] => (*whole, &[][..]),
        [whole, b'.', fraction @ ..] if fraction.len() <= 3 => (*whole, fraction),
        _ => return None,
    };
    if !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    match whole {
        b'1' if fraction.iter().all(|&b| b == b'0') => Some(1000),
        b'0' => Some(
            fraction
                .iter()
                .zip([100, 10, 1])
                .map(|(&digit, scale)| u16::from(digit - b'0') * scale)
                .sum(),
        ),
        _ => None,
    }
}

/// Splits `input` at `separator` bytes that are not inside a quoted-string (a `\` inside quotes
/// escapes the next byte). One linear pass; an unterminated quote runs to the end of the input.
pub(crate) fn split_outside_quotes(input: &[u8], separator: u8) -> SplitOutsideQuotes<'_> {
    SplitOutsideQuotes {
        rest: Some(input),
        separator,
    }
}

/// The iterator of [`split_outside_quotes`].
pub(crate) struct SplitOutsideQuotes<'a> {
    rest: Option<&'a [u8]>,
    separator: u8,
}

impl<'a> Iterator for SplitOutsideQuotes<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let rest = self.rest?;
        let mut in_quotes = false;
        let mut escaped = false;
        for (index, &byte) in rest.iter().enumerate() {
            if escaped {
                escaped = false;
            } else if in_quotes && byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_quotes = !in_quotes;
            } else if !in_quotes && byte == self.separator {
                let (piece, after) = rest.split_at(index);
                self.rest = after.get(1..);
                return Some(piece);
            }
        }
        self.rest = None;
        Some(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_qvalues() {
        let cases: [(&str, Option<u16>); 12] = [
            ("0", Some(0)),
            ("1", Some(1000)),
            ("0.5", Some(500)),
            ("0.25", Some(250)),
            ("0.125", Some(125)),
            ("1.000", Some(1000)),
            ("1.0001", None),
            ("1.5", None),
            ("2", None),
            ("0,5", None),
            ("", None),
            ("0.x", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_qvalue(text.as_bytes()), expected, "{text}");
        }
    }

    #[test]
    fn splits_outside_quotes_only() {
        let pieces: Vec<&[u8]> = split_outside_quotes(br#"a, "b,c", d\,e"#, b',').collect();
        assert_eq!(pieces, [&b"a"[..], b" \"b,c\"", b" d\\", b"e"]);
        assert_eq!(unquote(br#""a\"b""#).as_deref(), Some("a\"b"));
        assert_eq!(token(b"Image/PNG"), None);
        assert_eq!(token(b"PNG").as_deref(), Some("png"));
    }
}
