//! The request paths: `/api/v1/Person/{personId}/Image`, its `ImageInfo`, and the batch call.

use super::percent::percent_decode;
use super::Method;
use crate::error::{truncate_for_message, Error};
use crate::person_id::PersonId;
use crate::Result;

/// The paths this crate answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/api/v1/Person/{personId}/Image`.
    Image(PersonId),
    /// `/api/v1/Person/{personId}/ImageInfo`.
    ImageInfo(PersonId),
    /// `/api/v1/Agents/Person/GetPersonImages`.
    PersonImages,
}

impl Route {
    /// The methods the route takes.
    pub(crate) fn allowed(&self) -> &'static [Method] {
        match self {
            Route::Image(_) => &[
                Method::Get,
                Method::Head,
                Method::Post,
                Method::Put,
                Method::Delete,
            ],
            Route::ImageInfo(_) => &[Method::Get, Method::Head, Method::Put],
            Route::PersonImages => &[Method::Post],
        }
    }
}

/// Splits a request target into the route and the raw query string.
///
/// Paths are matched segment by segment, case-insensitively, one trailing slash tolerated; an
/// absolute-form target (`http://host/api/...`) is reduced to its path first. A person id segment
/// is percent-decoded, then must be a decimal int32 (see [`PersonId`]'s `FromStr`), else 400. The
/// query is returned raw, without `?` (empty when none).
///
/// Returns `Ok(None)` when the path is none of ours (so a router can 404).
pub(crate) fn parse_route(target: &str) -> Result<Option<(Route, &str)>> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = strip_scheme_and_authority(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    let is = |index: usize, name: &str| {
        segments
            .get(index)
            .is_some_and(|segment| segment.eq_ignore_ascii_case(name))
    };
    if segments.len() < 4 || !(is(0, "") && is(1, "api") && is(2, "v1")) {
        return Ok(None);
    }
    let route = match segments.len() {
        6 if is(3, "Agents") && is(4, "Person") && is(5, "GetPersonImages") => Route::PersonImages,
        6 if is(3, "Person") && is(5, "Image") => Route::Image(person_id(segments[4])?),
        6 if is(3, "Person") && is(5, "ImageInfo") => Route::ImageInfo(person_id(segments[4])?),
        _ => return Ok(None),
    };
    Ok(Some((route, query)))
}

/// Splits an image request target into the person id and the raw query string; `Ok(None)` for
/// any other path, ours or not.
pub(crate) fn parse_image_path(target: &str) -> Result<Option<(PersonId, &str)>> {
    Ok(match parse_route(target)? {
        Some((Route::Image(person), query)) => Some((person, query)),
        _ => None,
    })
}

/// The person id path segment, percent-decoded.
fn person_id(segment: &str) -> Result<PersonId> {
    let decoded = percent_decode(segment, false).ok_or_else(|| {
        Error::invalid(
            "personId",
            format!(
                "must be a decimal int32, got invalid percent-encoding {:?}",
                truncate_for_message(segment)
            ),
        )
    })?;
    decoded.parse::<PersonId>()
}

/// `http://host:port/path` → `/path`; an origin-form path is returned unchanged.
fn strip_scheme_and_authority(path: &str) -> &str {
    let lower_prefix = |prefix: &str| {
        path.get(..prefix.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
    };
    let rest = if lower_prefix("http://") {
        &path["http://".len()..]
    } else if lower_prefix("https://") {
        &path["https://".len()..]
    } else {
        return path;
    };
    rest.find('/').map_or("", |slash| &rest[slash..])
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn matches_the_image_path() {
        let cases = [
            ("/api/v1/Person/7/Image", 7, ""),
            ("/api/v1/person/7/image", 7, ""),
            ("/API/V1/PERSON/7/IMAGE", 7, ""),
            ("/api/v1/Person/7/Image/", 7, ""),
            ("/api/v1/Person/7/Image?w=64&h=32", 7, "w=64&h=32"),
            ("/api/v1/Person/7/Image/?w=64", 7, "w=64"),
            ("/api/v1/Person/7/Image?", 7, ""),
            ("/api/v1/Person/7/Image?a?b", 7, "a?b"),
            ("/api/v1/Person/007/Image", 7, ""),
            ("/api/v1/Person/-5/Image", -5, ""),
            ("/api/v1/Person/0/Image", 0, ""),
            ("/api/v1/Person/2147483647/Image", i32::MAX, ""),
            ("/api/v1/Person/-2147483648/Image", i32::MIN, ""),
            ("/api/v1/Person/%34%32/Image", 42, ""),
            ("http://crm.example/api/v1/Person/7/Image?w=1", 7, "w=1"),
            ("HTTPS://crm.example:8443/api/v1/Person/7/Image", 7, ""),
        ];
        for (target, id, query) in cases {
            assert_eq!(
                parse_image_path(target).unwrap(),
                Some((PersonId(id), query)),
                "{target}"
            );
        }
    }

    #[test]
    fn other_paths_are_not_our_route() {
        for target in [
            "",
            "/",
            "/api/v1/Person/7",
            "/api/v1/Person/7/Image//",
            "/api/v1/Person/7/Image/extra",
            "/api/v1/Person/7/Images",
            "/api/v2/Person/7/Image",
            "/api/v1/Contact/7/Image",
            "/api/v1/Person/Image",
            "//api/v1/Person/7/Image",
            "api/v1/Person/7/Image",
            "/prefix/api/v1/Person/7/Image",
            "/api/v1/Person/7/%49mage",
            "http://crm.example",
            "http://crm.example/other",
        ] {
            assert_eq!(parse_image_path(target).unwrap(), None, "{target}");
        }
    }

    #[test]
    fn routes_the_other_calls() {
        let cases = [
            ("/api/v1/Person/7/ImageInfo", Route::ImageInfo(PersonId(7))),
            ("/api/v1/person/7/imageinfo/", Route::ImageInfo(PersonId(7))),
            ("/api/v1/Agents/Person/GetPersonImages", Route::PersonImages),
            (
                "/API/V1/agents/person/getpersonimages?x=1",
                Route::PersonImages,
            ),
            ("/api/v1/Person/7/Image", Route::Image(PersonId(7))),
        ];
        for (target, route) in cases {
            assert_eq!(parse_route(target).unwrap().unwrap().0, route, "{target}");
        }
        for target in [
            "/api/v1/Agents/Person",
            "/api/v1/Agents/Person/GetPersonImage",
            "/api/v1/Agents/Contact/GetPersonImages",
            "/api/v1/Person/7/ImageInfos",
        ] {
            assert_eq!(parse_route(target).unwrap(), None, "{target}");
        }
        assert_eq!(
            parse_route("/api/v1/Person/x/ImageInfo")
                .unwrap_err()
                .status(),
            400
        );
    }

    #[test]
    fn bad_ids_are_400_naming_person_id() {
        let cases = [
            ("/api/v1/Person/seven/Image", "\"seven\""),
            ("/api/v1/Person//Image", "\"\""),
            ("/api/v1/Person/+5/Image", "\"+5\""),
            ("/api/v1/Person/%2B5/Image", "\"+5\""),
            ("/api/v1/Person/%205/Image", "\" 5\""),
            ("/api/v1/Person/-/Image", "\"-\""),
            ("/api/v1/Person/1.5/Image", "\"1.5\""),
            ("/api/v1/Person/0x10/Image", "\"0x10\""),
            ("/api/v1/Person/2147483648/Image", "\"2147483648\""),
            ("/api/v1/Person/-2147483649/Image", "\"-2147483649\""),
            (
                "/api/v1/Person/%zz/Image",
                "invalid percent-encoding \"%zz\"",
            ),
            (
                "/api/v1/Person/%FF/Image",
                "invalid percent-encoding \"%FF\"",
            ),
        ];
        for (target, got) in cases {
            let error = parse_image_path(target).unwrap_err();
            assert_eq!(error.status(), 400, "{target}");
            let message = error.to_string();
            assert!(
                message.starts_with("personId must be a decimal int32"),
                "{message}"
            );
            assert!(message.ends_with(&format!("got {got}")), "{message}");
        }
    }

    #[test]
    fn person_id_from_str_follows_the_same_rules() {
        assert_eq!("42".parse::<PersonId>().unwrap(), PersonId(42));
        assert_eq!("-0".parse::<PersonId>().unwrap(), PersonId(0));
        assert_eq!(
            "+1".parse::<PersonId>().unwrap_err().to_string(),
            "personId must be a decimal int32 from -2147483648 to 2147483647, got \"+1\""
        );
        assert_eq!(PersonId(7).to_string(), "7");
        assert_eq!(PersonId(7).get(), 7);
    }

    proptest! {
        #[test]
        fn path_round_trips_every_id(id in any::<i32>(), query in "[a-z=&0-9]{0,20}") {
            let target = format!("/api/v1/Person/{id}/Image?{query}");
            let (person, raw_query) = parse_image_path(&target).unwrap().unwrap();
            prop_assert_eq!(person.get(), id);
            prop_assert_eq!(raw_query, query.as_str());
        }

        #[test]
        fn path_parser_never_panics(target in "\\PC{0,120}") {
            let _ = parse_route(&target);
        }
    }
}
