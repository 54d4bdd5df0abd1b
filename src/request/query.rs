//! The query string of `GET /api/v1/Person/{id}/Image` (SPEC §1): `w`, `h`, `type`, `ifBlank`,
//! and the extension `fit` (SPEC §5.1).

use std::num::NonZeroU32;
use std::str::FromStr;

use super::fit::Fit;
use super::percent::percent_decode;
use crate::error::truncate_for_message;
use crate::error::Error;
use crate::format::OutputFormat;
use crate::limits::Limits;
use crate::Result;

/// A requested width or height: a positive number of pixels, at most [`Limits::max_side`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dimension(NonZeroU32);

impl Dimension {
    /// A dimension of `pixels`; `None` for 0.
    pub fn new(pixels: u32) -> Option<Self> {
        NonZeroU32::new(pixels).map(Dimension)
    }

    /// The number of pixels.
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

/// What to answer when the person has no image (`ifBlank`, SPEC §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum IfBlank {
    /// The service's configured default placeholder (`0`).
    Default,
    /// A fully transparent image (`1`).
    ClearPixel,
    /// A neutral "no photo" person silhouette (`2`).
    SrNoPhoto,
    /// The silhouette with a thin border (`3`).
    SrNoPhotoWithBorder,
    /// No placeholder: 404 (`4`, and the meaning of an absent `ifBlank`).
    #[default]
    Null,
    /// A generic document icon (`5`).
    GenericFileIcon,
}

impl IfBlank {
    /// Every value, in the order of their numbers (0–5).
    pub const ALL: [IfBlank; 6] = [
        IfBlank::Default,
        IfBlank::ClearPixel,
        IfBlank::SrNoPhoto,
        IfBlank::SrNoPhotoWithBorder,
        IfBlank::Null,
        IfBlank::GenericFileIcon,
    ];

    /// The value with the vendor's number (`0` = `Default` … `5` = `GenericFileIcon`); `None` above 5.
    pub fn from_number(number: u32) -> Option<Self> {
        usize::try_from(number)
            .ok()
            .and_then(|index| IfBlank::ALL.get(index))
            .copied()
    }

    /// The vendor's number of this value (0–5).
    pub fn number(self) -> u32 {
        match self {
            IfBlank::Default => 0,
            IfBlank::ClearPixel => 1,
            IfBlank::SrNoPhoto => 2,
            IfBlank::SrNoPhotoWithBorder => 3,
            IfBlank::Null => 4,
            IfBlank::GenericFileIcon => 5,
        }
    }

    /// The vendor's name of this value (`SrNoPhoto`).
    pub fn as_str(self) -> &'static str {
        match self {
            IfBlank::Default => "Default",
            IfBlank::ClearPixel => "ClearPixel",
            IfBlank::SrNoPhoto => "SrNoPhoto",
            IfBlank::SrNoPhotoWithBorder => "SrNoPhotoWithBorder",
            IfBlank::Null => "Null",
            IfBlank::GenericFileIcon => "GenericFileIcon",
        }
    }
}

impl FromStr for IfBlank {
    type Err = Error;

    /// Parses a name (`SrNoPhoto`, any case) or a number (`2`, leading zeros allowed).
    ///
    /// The empty string is an error here; [`ImageQuery::parse`] treats an empty `ifBlank=` as
    /// [`IfBlank::Null`].
    fn from_str(value: &str) -> Result<Self> {
        let by_name = IfBlank::ALL
            .into_iter()
            .find(|candidate| candidate.as_str().eq_ignore_ascii_case(value));
        let by_number = || {
            if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let digits = value.trim_start_matches('0');
            if digits.len() > 1 {
                return None;
            }
            IfBlank::from_number(digits.parse().unwrap_or(0))
        };
        by_name.or_else(by_number).ok_or_else(|| {
            Error::invalid(
                "ifBlank",
                format!(
                    "must be one of Default, ClearPixel, SrNoPhoto, SrNoPhotoWithBorder, Null, \
                     GenericFileIcon (any case) or their numbers 0 to 5, got {:?}",
                    truncate_for_message(value)
                ),
            )
        })
    }
}

/// The parsed, validated query of an image request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ImageQuery {
    /// `w`: the largest width wanted; `None` when absent, empty or 0.
    pub width: Option<Dimension>,
    /// `h`: the largest height wanted; `None` when absent, empty or 0.
    pub height: Option<Dimension>,
    /// `type`: the output format asked for, which overrides `Accept`.
    pub format: Option<OutputFormat>,
    /// `ifBlank`: what to do when there is no image.
    pub if_blank: IfBlank,
    /// `fit` (an extension of the vendor's API): fit inside the box, or cover it exactly.
    pub fit: Fit,
}

impl ImageQuery {
    /// Parses a raw (still percent-encoded) query string, without the leading `?`.
    ///
    /// Names are case-insensitive and percent-decoded (`+` is a space); a pair whose name cannot be
    /// decoded is skipped, as are unknown names. The first occurrence of a name wins, even when its
    /// value is empty; later ones are ignored unchecked. `w`/`h` of `0`, `-0` or empty mean "not
    /// given"; a value that is not valid percent-encoded UTF-8 is a 400 naming the parameter.
    ///
    /// ```
    /// use person_image::request::{IfBlank, ImageQuery};
    /// use person_image::Limits;
    /// let query = ImageQuery::parse("W=64&type=png&ifBlank=2", &Limits::default())?;
    /// assert_eq!(query.width.map(|w| w.get()), Some(64));
    /// assert_eq!(query.if_blank, IfBlank::SrNoPhoto);
    /// assert!(ImageQuery::parse("w=-3", &Limits::default()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parse(query: &str, limits: &Limits) -> Result<Self> {
        let mut width = None;
        let mut height = None;
        let mut format = None;
        let mut if_blank = None;
        let mut fit = None;
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
            let Some(name) = percent_decode(raw_name, true) else {
                continue;
            };
            let Some(param) = Param::from_name(&name) else {
                continue;
            };
            let already_seen = match param {
                Param::Width => width.is_some(),
                Param::Height => height.is_some(),
                Param::Type => format.is_some(),
                Param::IfBlank => if_blank.is_some(),
                Param::Fit => fit.is_some(),
            };
            if already_seen {
                continue;
            }
            let value = percent_decode(raw_value, true).ok_or_else(|| {
                Error::invalid(
                    param.name(),
                    format!(
                        "must be percent-encoded UTF-8, got {:?}",
                        truncate_for_message(raw_value)
                    ),
                )
            })?;
            match param {
                Param::Width => width = Some(parse_dimension("w", &value, limits.max_side)?),
                Param::Height => height = Some(parse_dimension("h", &value, limits.max_side)?),
                Param::Type if value.is_empty() => format = Some(None),
                Param::Type => format = Some(Some(value.parse::<OutputFormat>()?)),
                Param::IfBlank if value.is_empty() => if_blank = Some(IfBlank::Null),
                Param::IfBlank => if_blank = Some(value.parse::<IfBlank>()?),
                Param::Fit if value.is_empty() => fit = Some(Fit::Contain),
                Param::Fit => fit = Some(value.parse::<Fit>()?),
            }
        }
        Ok(ImageQuery {
            width: width.flatten(),
            height: height.flatten(),
            format: format.flatten(),
            if_blank: if_blank.unwrap_or_default(),
            fit: fit.unwrap_or_default(),
        })
    }
}

/// The query parameters this endpoint knows.
#[derive(Clone, Copy)]
enum Param {
    Width,
    Height,
    Type,
    IfBlank,
    Fit,
}

impl Param {
    fn from_name(name: &str) -> Option<Self> {
        [
            Param::Width,
            Param::Height,
            Param::Type,
            Param::IfBlank,
            Param::Fit,
        ]
        .into_iter()
        .find(|param| param.name().eq_ignore_ascii_case(name))
    }

    fn name(self) -> &'static str {
        match self {
            Param::Width => "w",
            Param::Height => "h",
            Param::Type => "type",
            Param::IfBlank => "ifBlank",
            Param::Fit => "fit",
        }
    }
}

/// Parses `w` or `h`: a decimal int32 from 0 to `max_side`; `None` for empty, `0` and `-0`.
fn parse_dimension(name: &'static str, value: &str, max_side: u32) -> Result<Option<Dimension>> {
    let max = max_side.min(i32::MAX as u32);
    let invalid = || {
        Error::invalid(
            name,
            format!(
                "must be an integer from 0 to {max}, got {:?}",
                truncate_for_message(value)
            ),
        )
    };
    if value.is_empty() {
        return Ok(None);
    }
    let (negative, digits) = match value.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, value),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let number = digits.parse::<i32>().map_err(|_| invalid())?;
    // `-0` is zero, as int.Parse reads it on the vendor's side: "not given", not an error.
    if number == 0 {
        return Ok(None);
    }
    if negative {
        return Err(invalid());
    }
    let pixels = number.unsigned_abs();
    if pixels > max {
        return Err(Error::invalid(
            name,
            format!(
                "must be an integer from 0 to {max} (the configured maximum side), got {pixels}"
            ),
        ));
    }
    Ok(Dimension::new(pixels))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(query: &str) -> Result<ImageQuery> {
        ImageQuery::parse(query, &Limits::default())
    }

    fn dims(query: &ImageQuery) -> (Option<u32>, Option<u32>) {
        (
            query.width.map(Dimension::get),
            query.height.map(Dimension::get),
        )
    }

    #[test]
    fn parses_sizes() {
        type Sizes = (Option<u32>, Option<u32>);
        let cases: [(&str, Sizes); 16] = [
            ("", (None, None)),
            ("w=64", (Some(64), None)),
            ("h=32", (None, Some(32))),
            ("w=64&h=32", (Some(64), Some(32))),
            ("W=64&H=32", (Some(64), Some(32))),
            ("w=", (None, None)),
            ("w", (None, None)),
            ("w=0&h=0", (None, None)),
            ("w=-0", (None, None)),
            ("w=007", (Some(7), None)),
            ("w=4096", (Some(4096), None)),
            ("w=1&w=2", (Some(1), None)),
            ("w=&w=2", (None, None)),
            ("w=5&w=-3&w=abc", (Some(5), None)),
            ("%77=12", (Some(12), None)),
            ("w=%31%32", (Some(12), None)),
        ];
        for (text, expected) in cases {
            let query = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(dims(&query), expected, "{text}");
        }
    }

    #[test]
    fn rejects_bad_sizes_naming_the_parameter_and_range() {
        let cases = [
            ("w=-3", "w must be an integer from 0 to 4096, got \"-3\""),
            ("h=-1", "h must be an integer from 0 to 4096, got \"-1\""),
            ("w=1e3", "w must be an integer from 0 to 4096, got \"1e3\""),
            ("w=%205", "w must be an integer from 0 to 4096, got \" 5\""),
            ("w=+5", "w must be an integer from 0 to 4096, got \" 5\""),
            ("w=%2B5", "w must be an integer from 0 to 4096, got \"+5\""),
            (
                "w=0x10",
                "w must be an integer from 0 to 4096, got \"0x10\"",
            ),
            ("w=-", "w must be an integer from 0 to 4096, got \"-\""),
            ("w=5.0", "w must be an integer from 0 to 4096, got \"5.0\""),
            (
                "w=2147483648",
                "w must be an integer from 0 to 4096, got \"2147483648\"",
            ),
            (
                "w=-2147483649",
                "w must be an integer from 0 to 4096, got \"-2147483649\"",
            ),
            (
                "h=4097",
                "h must be an integer from 0 to 4096 (the configured maximum side), got 4097",
            ),
            (
                "w=2147483647",
                "w must be an integer from 0 to 4096 (the configured maximum side), got 2147483647",
            ),
            ("w=%zz", "w must be percent-encoded UTF-8, got \"%zz\""),
            ("h=%FF", "h must be percent-encoded UTF-8, got \"%FF\""),
            ("w=%4", "w must be percent-encoded UTF-8, got \"%4\""),
        ];
        for (text, message) in cases {
            let error = parse(text).unwrap_err();
            assert_eq!(error.status(), 400, "{text}");
            assert_eq!(error.to_string(), message, "{text}");
        }
    }

    #[test]
    fn max_side_comes_from_the_limits() {
        let limits = Limits::default().max_side(100);
        let query = ImageQuery::parse("w=100", &limits).unwrap();
        assert_eq!(dims(&query), (Some(100), None));
        let error = ImageQuery::parse("w=101", &limits).unwrap_err();
        assert_eq!(
            error.to_string(),
            "w must be an integer from 0 to 100 (the configured maximum side), got 101"
        );
        let query = ImageQuery::parse("w=2147483647", &Limits::no_limits()).unwrap();
        assert_eq!(dims(&query), (Some(2_147_483_647), None));
        let error = ImageQuery::parse("w=2147483648", &Limits::no_limits()).unwrap_err();
        assert_eq!(
            error.to_string(),
            "w must be an integer from 0 to 2147483647, got \"2147483648\""
        );
    }

    #[test]
    fn parses_type() {
        let cases = [
            ("type=png", Some(OutputFormat::Png)),
            ("TYPE=JPG", Some(OutputFormat::Jpeg)),
            ("Type=image%2Fgif", Some(OutputFormat::Gif)),
            ("type=tif", Some(OutputFormat::Tiff)),
            ("type=", None),
            ("type=png&type=quis", Some(OutputFormat::Png)),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).unwrap().format, expected, "{text}");
        }
        let error = parse("type=quis").unwrap_err();
        assert_eq!(error.status(), 400);
        assert!(
            error.to_string().starts_with("type must be one of JPEG"),
            "{error}"
        );
    }

    #[test]
    fn parses_if_blank_names_and_numbers() {
        let cases = [
            ("", IfBlank::Null),
            ("ifBlank=", IfBlank::Null),
            ("ifBlank=Default", IfBlank::Default),
            ("IfBlank=clearpixel", IfBlank::ClearPixel),
            ("ifblank=SRNOPHOTO", IfBlank::SrNoPhoto),
            ("ifBlank=SrNoPhotoWithBorder", IfBlank::SrNoPhotoWithBorder),
            ("ifBlank=null", IfBlank::Null),
            ("ifBlank=GenericFileIcon", IfBlank::GenericFileIcon),
            ("ifBlank=0", IfBlank::Default),
            ("ifBlank=1", IfBlank::ClearPixel),
            ("ifBlank=2", IfBlank::SrNoPhoto),
            ("ifBlank=3", IfBlank::SrNoPhotoWithBorder),
            ("ifBlank=4", IfBlank::Null),
            ("ifBlank=5", IfBlank::GenericFileIcon),
            ("ifBlank=002", IfBlank::SrNoPhoto),
            ("ifBlank=00", IfBlank::Default),
            ("ifBlank=2&ifBlank=foo", IfBlank::SrNoPhoto),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).unwrap().if_blank, expected, "{text}");
        }
    }

    #[test]
    fn rejects_other_if_blank_values_listing_the_accepted_ones() {
        for value in [
            "6",
            "-1",
            "foo",
            "+2",
            "2.0",
            " 2",
            "99999999999999999999",
            "Sr NoPhoto",
        ] {
            let error = value.parse::<IfBlank>().unwrap_err();
            assert_eq!(error.status(), 400, "{value}");
            assert_eq!(
                error.to_string(),
                format!(
                    "ifBlank must be one of Default, ClearPixel, SrNoPhoto, SrNoPhotoWithBorder, \
                     Null, GenericFileIcon (any case) or their numbers 0 to 5, got {value:?}"
                )
            );
        }
        assert!("".parse::<IfBlank>().is_err());
        assert_eq!(parse("ifBlank=6").unwrap_err().status(), 400);
    }

    #[test]
    fn if_blank_numbers_round_trip() {
        for (number, value) in IfBlank::ALL.into_iter().enumerate() {
            let number = u32::try_from(number).unwrap();
            assert_eq!(value.number(), number);
            assert_eq!(IfBlank::from_number(number), Some(value));
            assert_eq!(value.as_str().parse::<IfBlank>().unwrap(), value);
        }
        assert_eq!(IfBlank::from_number(6), None);
        assert_eq!(IfBlank::from_number(u32::MAX), None);
    }

    #[test]
    fn ignores_unknown_and_undecodable_names() {
        let query = parse("foo=bar&%zz=1&%FF=2&&=3&x=%zz&w=10&ww=5").unwrap();
        assert_eq!(dims(&query), (Some(10), None));
        assert_eq!(query.if_blank, IfBlank::Null);
    }

    #[test]
    fn parses_fit_and_refuses_bad_values() {
        let cases = [
            ("", Fit::Contain),
            ("fit=", Fit::Contain),
            ("fit=contain", Fit::Contain),
            ("FIT=Cover&w=64&h=64", Fit::Cover),
            ("fit=cover&fit=bogus", Fit::Cover),
        ];
        for (text, expected) in cases {
            assert_eq!(parse(text).unwrap().fit, expected, "{text}");
        }
        let error = parse("w=64&h=64&fit=bogus").unwrap_err();
        assert_eq!(error.status(), 400);
        assert_eq!(
            error.to_string(),
            "fit must be contain or cover (any case), got \"bogus\""
        );
    }

    #[test]
    fn huge_queries_stay_cheap() {
        let query = format!("{}w=9", "x=%41&".repeat(100_000));
        assert_eq!(dims(&parse(&query).unwrap()), (Some(9), None));
    }

    #[test]
    fn echoed_values_are_truncated() {
        let long = "x".repeat(10_000);
        let error = parse(&format!("w={long}")).unwrap_err();
        assert!(error.to_string().len() < 200, "{error}");
    }
}
