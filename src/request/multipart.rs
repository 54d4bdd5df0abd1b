//! `multipart/form-data` bodies (RFC 7578), as browsers send a file input: find the one part an
//! upload names, without copying it.
//!
//! The body is already in memory and bounded by the body limit, so the parser works on the whole
//! slice: each part is a zero-copy [`Bytes::slice`] of the body. Every malformed shape is a 400
//! naming what was wrong; nothing in the body can make the parser allocate more than its part
//! list (at most [`MAX_PARTS`] entries).

use bytes::Bytes;

use crate::{Error, Result};

/// Most parts a body may have; a form posting a photo has one or a few.
pub(crate) const MAX_PARTS: usize = 64;

/// Longest header block of one part (its `Content-Disposition` and `Content-Type` lines).
const MAX_PART_HEADERS: usize = 8 * 1024;

/// A part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The `name` of its `Content-Disposition: form-data`.
    pub(crate) name: Option<String>,
    /// Its own `Content-Type`, when it says one.
    pub(crate) content_type: Option<String>,
    /// Its content.
    pub(crate) body: Bytes,
}

/// The boundary of a `multipart/form-data` content type, `None` for any other content type, and a
/// 400 for a multipart type without a usable boundary.
pub(crate) fn form_data_boundary(content_type: &str) -> Result<Option<String>> {
    let Ok(parsed) = content_type.parse::<mime::Mime>() else {
        return Ok(None);
    };
    if parsed.type_() != mime::MULTIPART {
        return Ok(None);
    }
    if parsed.subtype() != mime::FORM_DATA {
        return Err(body_error(format!(
            "multipart/{} is not supported, send multipart/form-data",
            parsed.subtype()
        )));
    }
    let boundary = parsed
        .get_param(mime::BOUNDARY)
        .map(|boundary| boundary.as_str().to_owned())
        .ok_or_else(|| body_error("multipart/form-data without a boundary"))?;
    // RFC 2046: 1 to 70 characters, none of them line breaks.
    let valid = (1..=70).contains(&boundary.len())
        && !boundary.bytes().any(|byte| byte == b'\r' || byte == b'\n');
    if !valid {
        return Err(body_error(
            "the multipart boundary must be 1 to 70 characters",
        ));
    }
    Ok(Some(boundary))
}

/// The parts of `body`, delimited by `boundary`, up to the closing delimiter.
pub(crate) fn parts(body: &Bytes, boundary: &str) -> Result<Vec<Part>> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    // The first delimiter may follow a preamble, which is ignored.
    let mut at = if body.starts_with(delimiter) {
        delimiter.len()
    } else {
        find_delimiter(body, 0, delimiter)
            .ok_or_else(|| body_error("the multipart boundary does not occur in the body"))?
            .1
    };
    let mut parts = Vec::new();
    loop {
        let rest = &body[at..];
        if rest.starts_with(b"--") {
            return Ok(parts); // The closing delimiter; an epilogue after it is ignored.
        }
        // Transport padding, then the line break that ends the delimiter line.
        let padding = rest
            .iter()
            .take_while(|&&byte| byte == b' ' || byte == b'\t')
            .count();
        if !rest[padding..].starts_with(b"\r\n") {
            return Err(body_error(
                "a multipart delimiter line does not end in CRLF",
            ));
        }
        let headers_start = at + padding + 2;
        // A part without headers starts with the blank line at once.
        let (headers_end, content_start) = if body[headers_start..].starts_with(b"\r\n") {
            (headers_start, headers_start + 2)
        } else {
            find(body, headers_start, b"\r\n\r\n")
                .map(|end| (end, end + 4))
                .ok_or_else(|| body_error("a multipart part's headers do not end"))?
        };
        if headers_end - headers_start > MAX_PART_HEADERS {
            return Err(body_error("a multipart part's headers are too long"));
        }
        let (content_end, next) =
            find_delimiter(body, content_start, delimiter).ok_or_else(|| {
                body_error("the multipart body ends without its closing boundary (truncated?)")
            })?;
        if parts.len() == MAX_PARTS {
            return Err(body_error(format!(
                "a multipart body may have at most {MAX_PARTS} parts"
            )));
        }
        let mut part = Part {
            name: None,
            content_type: None,
            body: body.slice(content_start..content_end),
        };
        read_part_headers(&body[headers_start..headers_end], &mut part)?;
        parts.push(part);
        at = next;
    }
}

/// Fills `part`'s name and content type from its header lines.
fn read_part_headers(headers: &[u8], part: &mut Part) -> Result<()> {
    let headers = std::str::from_utf8(headers)
        .map_err(|_| body_error("a multipart part's headers are not UTF-8"))?;
    for line in headers.split("\r\n").filter(|line| !line.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| body_error("a multipart part has a header line without a colon"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-disposition") {
            part.name = disposition_name(value)?;
        } else if name.eq_ignore_ascii_case("content-type") {
            part.content_type = Some(value.to_owned());
        }
    }
    Ok(())
}

/// The `name` parameter of a `form-data` disposition (quoted or a token).
fn disposition_name(value: &str) -> Result<Option<String>> {
    let mut params = value.split(';').map(str::trim);
    let kind = params.next().unwrap_or_default();
    if !kind.eq_ignore_ascii_case("form-data") {
        return Err(body_error(
            "a multipart part's Content-Disposition is not form-data",
        ));
    }
    for param in params {
        let Some((key, raw)) = param.split_once('=') else {
            continue;
        };
        if key.trim().eq_ignore_ascii_case("name") {
            let raw = raw.trim();
            let name = match raw.strip_prefix('"') {
                Some(quoted) => quoted
                    .strip_suffix('"')
                    .ok_or_else(|| body_error("a multipart part's name is not closed"))?,
                None => raw,
            };
            return Ok(Some(name.to_owned()));
        }
    }
    Ok(None)
}

/// The start of the next `CRLF--boundary` at or after `from`, and the index just past it.
fn find_delimiter(body: &[u8], from: usize, delimiter: &[u8]) -> Option<(usize, usize)> {
    let mut at = from;
    loop {
        let line_break = find(body, at, b"\r\n")?;
        let after = line_break + 2;
        if body[after..].starts_with(delimiter) {
            return Some((line_break, after + delimiter.len()));
        }
        at = after;
    }
}

/// The index of the first `needle` in `haystack` at or after `from`.
fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut at = from;
    while let Some(offset) = haystack.get(at..)?.iter().position(|&byte| byte == first) {
        let candidate = at + offset;
        if haystack[candidate..].starts_with(needle) {
            return Some(candidate);
        }
        at = candidate + 1;
    }
    None
}

/// A 400 about the request body.
fn body_error(reason: impl Into<String>) -> Error {
    Error::invalid("body", reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(text: &str) -> Bytes {
        Bytes::from(text.replace('\n', "\r\n"))
    }

    #[test]
    fn finds_each_part_with_its_name_and_type() {
        let body = body(
            "preamble\n--XyZ\nContent-Disposition: form-data; name=\"caption\"\n\nhello\n\
             --XyZ\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\n\
             Content-Type: image/png\n\n\u{1}\u{2}\n\u{3}\n--XyZ--\nepilogue",
        );
        let parts = parts(&body, "XyZ").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name.as_deref(), Some("caption"));
        assert_eq!(&parts[0].body[..], b"hello");
        assert_eq!(parts[1].name.as_deref(), Some("image"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/png"));
        assert_eq!(&parts[1].body[..], b"\x01\x02\r\n\x03");
    }

    #[test]
    fn boundaries_come_from_form_data_content_types_only() {
        let boundary = form_data_boundary("multipart/form-data; boundary=\"a b\"").unwrap();
        assert_eq!(boundary.as_deref(), Some("a b"));
        assert_eq!(form_data_boundary("image/jpeg").unwrap(), None);
        assert_eq!(form_data_boundary("not a type").unwrap(), None);
        for bad in [
            "multipart/form-data",
            "multipart/mixed; boundary=x",
            &format!("multipart/form-data; boundary={}", "x".repeat(71)),
        ] {
            assert_eq!(form_data_boundary(bad).unwrap_err().status(), 400, "{bad}");
        }
    }

    #[test]
    fn malformed_bodies_are_400() {
        let cases = [
            (
                "--b\nContent-Disposition: form-data; name=\"image\"\n\nabc",
                "closing boundary",
            ),
            ("nothing here", "does not occur"),
            (
                "--b\nContent-Disposition: form-data; name=\"image\"",
                "headers do not end",
            ),
            (
                "--b\nContent-Disposition: attachment\n\nx\n--b--",
                "not form-data",
            ),
            ("--b\nno colon\n\nx\n--b--", "without a colon"),
            ("--bjunk\n\nx\n--b--", "CRLF"),
        ];
        for (text, reason) in cases {
            let error = parts(&body(text), "b").unwrap_err();
            assert_eq!(error.status(), 400, "{text}");
            assert!(error.to_string().contains(reason), "{error} for {text}");
        }
    }

    #[test]
    fn the_number_of_parts_is_bounded() {
        let one = "--b\nContent-Disposition: form-data; name=\"x\"\n\n1\n";
        let text = format!("{}--b--", one.repeat(MAX_PARTS + 1));
        let error = parts(&body(&text), "b").unwrap_err();
        assert!(error.to_string().contains("at most"), "{error}");
        let text = format!("{}--b--", one.repeat(MAX_PARTS));
        assert_eq!(parts(&body(&text), "b").unwrap().len(), MAX_PARTS);
    }

    #[test]
    fn an_empty_part_has_an_empty_body() {
        let parts = parts(&body("--b\n\n\n--b--"), "b").unwrap();
        assert_eq!(parts.len(), 1);
        assert!(parts[0].body.is_empty());
        assert_eq!(parts[0].name, None);
    }
}
