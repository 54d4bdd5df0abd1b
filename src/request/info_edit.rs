//! `PUT /api/v1/Person/{id}/ImageInfo` (an extension of the vendor's API, SPEC §7c): set or clear
//! the photo's focal point, `{"FocalPoint":{"Left":410,"Top":300,"Width":380,"Height":380}}` or
//! `{"FocalPoint":null}`, conditional on `If-Match`.

use crate::auth::{CallerIdentity, CredentialsError};
use crate::headers::IfMatch;
use crate::person_id::PersonId;
use crate::render::FocalPoint;
use crate::{Error, Result};

/// The largest body read: a focal point written out with room to spare.
pub(crate) const MAX_INFO_EDIT_BODY_BYTES: u64 = 4096;

/// A change to a photo's info: its focal point, set (`Some`) or cleared (`None`).
#[derive(Debug)]
pub struct InfoEdit {
    /// Whose photo.
    pub person: PersonId,
    /// The caller's credentials, or the 401 their parsing produced.
    pub identity: std::result::Result<CallerIdentity, CredentialsError>,
    /// `If-Match`, when sent and valid: the write goes ahead only while the photo has a version it
    /// names (else 412).
    pub if_match: Option<IfMatch>,
    /// The box to keep in `fit=cover` crops, in pixels of the photo as displayed; `None` clears
    /// it (the detected or default point applies again). Checked against the photo's size by the
    /// service.
    pub focal_point: Option<FocalPoint>,
}

/// Parses the body: a JSON object whose `FocalPoint` (any case) is `null` or an object of four
/// integers `Left`, `Top` (0 or more) and `Width`, `Height` (1 or more), each at most 65535.
pub(crate) fn parse_focal_point_body(body: &[u8]) -> Result<Option<FocalPoint>> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|error| Error::invalid("body", format!("is not valid JSON: {error}")))?;
    let object = value.as_object().ok_or_else(|| {
        Error::invalid(
            "body",
            "must be a JSON object with FocalPoint (an object with Left, Top, Width and Height, or null)",
        )
    })?;
    let field = |object: &serde_json::Map<String, serde_json::Value>, name: &str| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    let point = match field(object, "FocalPoint") {
        None => return Err(Error::invalid("FocalPoint", "is missing")),
        Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Object(point)) => point,
        Some(_) => {
            return Err(Error::invalid(
                "FocalPoint",
                "must be an object with Left, Top, Width and Height, or null",
            ))
        }
    };
    let side = |name: &'static str, least: u64| -> Result<u32> {
        let value = field(&point, name)
            .ok_or_else(|| Error::invalid(name, "is missing from FocalPoint"))?;
        value
            .as_u64()
            .filter(|side| (least..=u64::from(u16::MAX)).contains(side))
            .and_then(|side| u32::try_from(side).ok())
            .ok_or_else(|| {
                Error::invalid(
                    name,
                    format!("must be an integer from {least} to 65535, got {value}"),
                )
            })
    };
    Ok(Some(FocalPoint {
        left: side("Left", 0)?,
        top: side("Top", 0)?,
        width: side("Width", 1)?,
        height: side("Height", 1)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_box_or_null_and_refuses_the_rest() {
        let point = parse_focal_point_body(
            br#"{"focalpoint":{"Left":10,"top":20,"Width":30,"Height":40},"Other":1}"#,
        )
        .unwrap();
        assert_eq!(
            point,
            Some(FocalPoint {
                left: 10,
                top: 20,
                width: 30,
                height: 40
            })
        );
        assert_eq!(
            parse_focal_point_body(br#"{"FocalPoint":null}"#).unwrap(),
            None
        );
        for (body, name) in [
            (&b"nope"[..], "body"),
            (b"[1]", "body"),
            (b"{}", "FocalPoint"),
            (br#"{"FocalPoint":3}"#, "FocalPoint"),
            (br#"{"FocalPoint":{"Left":1,"Top":2,"Width":3}}"#, "Height"),
            (
                br#"{"FocalPoint":{"Left":-1,"Top":2,"Width":3,"Height":4}}"#,
                "Left",
            ),
            (
                br#"{"FocalPoint":{"Left":1,"Top":2,"Width":0,"Height":4}}"#,
                "Width",
            ),
            (
                br#"{"FocalPoint":{"Left":1,"Top":2.5,"Width":3,"Height":4}}"#,
                "Top",
            ),
            (
                br#"{"FocalPoint":{"Left":1,"Top":2,"Width":3,"Height":70000}}"#,
                "Height",
            ),
        ] {
            let error = parse_focal_point_body(body).unwrap_err();
            assert_eq!(error.status(), 400);
            assert!(
                matches!(&error, Error::InvalidParameter { name: got, .. } if *got == name),
                "{}: {error:?}",
                String::from_utf8_lossy(body)
            );
        }
    }
}
