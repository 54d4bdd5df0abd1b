//! The JSON body of `POST /api/v1/Agents/Person/GetPersonImages`:
//! `{"PersonIds":[1,2,3],"ScaledWidth":64,"ScaledHeight":64}`, and the extension `"Fit":"cover"`.

use super::fit::Fit;
use super::query::Dimension;
use crate::limits::Limits;
use crate::person_id::PersonId;
use crate::{Error, Result};

/// Largest batch body read: room for well over 10 000 ids written out in full, so that too many
/// ids get their own 400 (`PersonIds` says how many are allowed) rather than a 413, while the
/// parsed JSON stays a few MiB at most.
pub(crate) const MAX_BATCH_BODY_BYTES: u64 = 256 * 1024;

/// What a batch asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BatchBody {
    pub(crate) persons: Vec<PersonId>,
    pub(crate) width: Option<Dimension>,
    pub(crate) height: Option<Dimension>,
    pub(crate) fit: Fit,
}

/// Parses a batch body. Property names match case-insensitively, as in the vendor's API; unknown
/// properties are ignored; `ScaledWidth`/`ScaledHeight` of 0 or absent mean "not constrained".
pub(crate) fn parse_batch_body(body: &[u8], limits: &Limits) -> Result<BatchBody> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|error| Error::invalid("body", format!("is not valid JSON: {error}")))?;
    let serde_json::Value::Object(object) = value else {
        return Err(Error::invalid(
            "body",
            "must be a JSON object with PersonIds, ScaledWidth and ScaledHeight",
        ));
    };
    let field = |name: &str| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    };
    let ids = match field("PersonIds") {
        Some(serde_json::Value::Array(ids)) => ids,
        Some(_) => return Err(Error::invalid("PersonIds", "must be an array of int32 ids")),
        None => return Err(Error::invalid("PersonIds", "is missing")),
    };
    if ids.len() > limits.max_batch_persons {
        return Err(Error::invalid(
            "PersonIds",
            format!(
                "may hold at most {} ids, got {}",
                limits.max_batch_persons,
                ids.len()
            ),
        ));
    }
    let persons = ids
        .iter()
        .enumerate()
        .map(|(index, id)| {
            id.as_i64()
                .and_then(|id| i32::try_from(id).ok())
                .map(PersonId)
                .ok_or_else(|| {
                    Error::invalid(
                        "PersonIds",
                        format!(
                            "must hold int32 ids, got {} at index {index}",
                            crate::error::truncate_for_message(&id.to_string())
                        ),
                    )
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(BatchBody {
        persons,
        width: side(field("ScaledWidth"), "ScaledWidth", limits)?,
        height: side(field("ScaledHeight"), "ScaledHeight", limits)?,
        fit: fit(field("Fit"))?,
    })
}

/// `Fit`: absent or `null` is [`Fit::Contain`]; otherwise the string `contain` or `cover`.
fn fit(value: Option<&serde_json::Value>) -> Result<Fit> {
    let Some(value) = value.filter(|value| !value.is_null()) else {
        return Ok(Fit::Contain);
    };
    value
        .as_str()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| {
            Error::invalid(
                "Fit",
                format!(
                    "must be \"contain\" or \"cover\" (any case), got {}",
                    crate::error::truncate_for_message(&value.to_string())
                ),
            )
        })
}

/// A scaled side: absent, `null` or 0 is unconstrained; otherwise 1 to `max_side`.
fn side(
    value: Option<&serde_json::Value>,
    name: &'static str,
    limits: &Limits,
) -> Result<Option<Dimension>> {
    let Some(value) = value.filter(|value| !value.is_null()) else {
        return Ok(None);
    };
    match value.as_u64() {
        Some(pixels) if pixels <= u64::from(limits.max_side) => {
            Ok(u32::try_from(pixels).ok().and_then(Dimension::new))
        }
        _ => Err(Error::invalid(
            name,
            format!(
                "must be an integer from 0 to {}, got {}",
                limits.max_side,
                crate::error::truncate_for_message(&value.to_string())
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<BatchBody> {
        parse_batch_body(body.as_bytes(), &Limits::default())
    }

    #[test]
    fn parses_the_vendor_shape() {
        let body = parse(r#"{"PersonIds":[1,-2,7],"ScaledWidth":64,"ScaledHeight":0}"#).unwrap();
        assert_eq!(body.persons, [PersonId(1), PersonId(-2), PersonId(7)]);
        assert_eq!(body.width, Dimension::new(64));
        assert_eq!(body.height, None);
        assert_eq!(body.fit, Fit::Contain);
        let body = parse(r#"{"PersonIds":[1],"fit":"Cover"}"#).unwrap();
        assert_eq!(body.fit, Fit::Cover);
        let body = parse(r#"{"PersonIds":[1],"Fit":null}"#).unwrap();
        assert_eq!(body.fit, Fit::Contain);
        let body = parse(r#"{"personids":[],"scaledHeight":32,"Other":{"x":[1]}}"#).unwrap();
        assert!(body.persons.is_empty());
        assert_eq!((body.width, body.height), (None, Dimension::new(32)));
    }

    #[test]
    fn bad_bodies_are_400_naming_the_field() {
        let too_many = format!(r#"{{"PersonIds":[{}1]}}"#, "1,".repeat(10_000));
        let cases = [
            ("", "body"),
            ("[1,2]", "body"),
            ("{\"PersonIds\":[1,2]", "body"),
            ("{}", "PersonIds is missing"),
            (r#"{"PersonIds":"1,2"}"#, "PersonIds must be an array"),
            (r#"{"PersonIds":[1,"x"]}"#, "got \"x\" at index 1"),
            (r#"{"PersonIds":[1.5]}"#, "got 1.5 at index 0"),
            (r#"{"PersonIds":[2147483648]}"#, "at index 0"),
            (
                r#"{"PersonIds":[1],"ScaledWidth":-1}"#,
                "ScaledWidth must be",
            ),
            (
                r#"{"PersonIds":[1],"ScaledHeight":5000}"#,
                "ScaledHeight must be",
            ),
            (too_many.as_str(), "at most 100 ids, got 10001"),
            (
                r#"{"PersonIds":[1],"Fit":"bogus"}"#,
                "Fit must be \"contain\" or \"cover\" (any case), got \"bogus\"",
            ),
            (r#"{"PersonIds":[1],"Fit":1}"#, "Fit must be"),
        ];
        for (body, expected) in cases {
            let error = parse(body).unwrap_err();
            assert_eq!(error.status(), 400, "{body:.40}");
            assert!(
                error.to_string().contains(expected),
                "{error} for {body:.40}"
            );
        }
        assert!(too_many.len() < MAX_BATCH_BODY_BYTES as usize);
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!(
            r#"{{"PersonIds":[1],"x":{}{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(parse(&deep).unwrap_err().status(), 400);
    }
}
