//! `Vary`: which request headers chose the response, so shared caches key on them.

use std::ops::{BitOr, BitOrAssign};

/// The set of request headers a response depends on, sent as its `Vary` header.
///
/// A set rather than a flag per header: responses combine them (a negotiated, captioned
/// placeholder depends on both `Accept` and the language headers), and the header is written in
/// one place.
///
/// ```
/// use person_image::headers::Vary;
/// let vary = Vary::ACCEPT | Vary::LANGUAGE;
/// assert!(vary.contains(Vary::LANGUAGE));
/// assert_eq!(
///     vary.header_value().as_deref(),
///     Some("Accept, Accept-Language, SO-Language, SO-Culture")
/// );
/// assert_eq!(Vary::NONE.header_value(), None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Vary(u8);

impl Vary {
    /// Depends on no request header: no `Vary` is sent.
    pub const NONE: Vary = Vary(0);
    /// Depends on `Accept` (format negotiation, SPEC §4).
    pub const ACCEPT: Vary = Vary(1);
    /// Depends on the language headers `Accept-Language`, `SO-Language` and `SO-Culture` (the
    /// "no photo" placeholder's caption, SPEC §6).
    pub const LANGUAGE: Vary = Vary(2);

    /// Whether every header of `other` is in the set.
    pub fn contains(self, other: Vary) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set is empty (no `Vary` is sent).
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The `Vary` header value, `None` for the empty set.
    pub fn header_value(self) -> Option<String> {
        let names: Vec<&str> = [
            (Vary::ACCEPT, &["Accept"][..]),
            (
                Vary::LANGUAGE,
                &["Accept-Language", "SO-Language", "SO-Culture"][..],
            ),
        ]
        .into_iter()
        .filter(|(member, _)| self.contains(*member))
        .flat_map(|(_, names)| names.iter().copied())
        .collect();
        (!names.is_empty()).then(|| names.join(", "))
    }
}

impl BitOr for Vary {
    type Output = Vary;

    fn bitor(self, other: Vary) -> Vary {
        Vary(self.0 | other.0)
    }
}

impl BitOrAssign for Vary {
    fn bitor_assign(&mut self, other: Vary) {
        self.0 |= other.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values() {
        let cases = [
            (Vary::NONE, None),
            (Vary::ACCEPT, Some("Accept")),
            (
                Vary::LANGUAGE,
                Some("Accept-Language, SO-Language, SO-Culture"),
            ),
            (
                Vary::LANGUAGE | Vary::ACCEPT,
                Some("Accept, Accept-Language, SO-Language, SO-Culture"),
            ),
        ];
        for (vary, expected) in cases {
            assert_eq!(vary.header_value().as_deref(), expected, "{vary:?}");
            assert_eq!(vary.is_empty(), expected.is_none());
        }
        let mut vary = Vary::NONE;
        vary |= Vary::ACCEPT;
        assert!(vary.contains(Vary::ACCEPT) && !vary.contains(Vary::LANGUAGE));
        assert!(vary.contains(Vary::NONE));
    }
}
