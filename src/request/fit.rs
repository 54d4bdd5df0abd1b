//! `fit`: how the picture fills the box `w`×`h` (an extension of the vendor's API, SPEC §5.1).

use std::str::FromStr;

use super::query::Dimension;
use crate::error::{truncate_for_message, Error};
use crate::Result;

/// How a picture fills the box `w`×`h` (the `fit` query parameter, `Fit` in a batch body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Fit {
    /// The whole picture, inside the box (the vendor's behaviour, and the default): a portrait
    /// asked at 64×64 comes out 43×64.
    #[default]
    Contain,
    /// Exactly the box, cropped around the photo's focal point: a portrait asked at 64×64 comes
    /// out 64×64. Never enlarged: when the source is smaller, the output is the largest crop of
    /// the box's aspect ratio at the source's own scale. With only one side given it is
    /// [`Fit::Contain`] (there is nothing to crop to).
    Cover,
}

impl Fit {
    /// Every value.
    pub const ALL: [Fit; 2] = [Fit::Contain, Fit::Cover];

    /// The parameter's value for this fit (`cover`).
    pub fn as_str(self) -> &'static str {
        match self {
            Fit::Contain => "contain",
            Fit::Cover => "cover",
        }
    }

    /// What this fit means for a request with these sides: [`Fit::Cover`] only when both are
    /// given. Requests that mean the same are one variant (one ETag, one cache entry).
    pub fn for_sides(self, width: Option<Dimension>, height: Option<Dimension>) -> Fit {
        match self {
            Fit::Cover if width.is_some() && height.is_some() => Fit::Cover,
            _ => Fit::Contain,
        }
    }
}

impl std::fmt::Display for Fit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Fit {
    type Err = Error;

    /// Parses `contain` or `cover`, in any case.
    ///
    /// ```
    /// use person_image::request::Fit;
    /// assert_eq!("Cover".parse::<Fit>()?, Fit::Cover);
    /// assert_eq!("bogus".parse::<Fit>().unwrap_err().status(), 400);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn from_str(value: &str) -> Result<Self> {
        Fit::ALL
            .into_iter()
            .find(|fit| fit.as_str().eq_ignore_ascii_case(value))
            .ok_or_else(|| {
                Error::invalid(
                    "fit",
                    format!(
                        "must be contain or cover (any case), got {:?}",
                        truncate_for_message(value)
                    ),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_values_in_any_case_and_refuses_others() {
        for (text, fit) in [
            ("contain", Fit::Contain),
            ("CONTAIN", Fit::Contain),
            ("cover", Fit::Cover),
            ("Cover", Fit::Cover),
        ] {
            assert_eq!(text.parse::<Fit>().unwrap(), fit, "{text}");
        }
        for text in ["", "bogus", "fill", " cover", "cover "] {
            let error = text.parse::<Fit>().unwrap_err();
            assert_eq!(error.status(), 400, "{text:?}");
            assert_eq!(
                error.to_string(),
                format!("fit must be contain or cover (any case), got {text:?}")
            );
        }
    }

    #[test]
    fn cover_needs_both_sides() {
        let side = Dimension::new(64);
        assert_eq!(Fit::Cover.for_sides(side, side), Fit::Cover);
        assert_eq!(Fit::Cover.for_sides(side, None), Fit::Contain);
        assert_eq!(Fit::Cover.for_sides(None, side), Fit::Contain);
        assert_eq!(Fit::Cover.for_sides(None, None), Fit::Contain);
        assert_eq!(Fit::Contain.for_sides(side, side), Fit::Contain);
    }
}
