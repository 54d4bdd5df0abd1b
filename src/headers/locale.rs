//! The caller's language, culture and time zone (`Accept-Language`, `SO-Language`, `SO-Culture`,
//! `SO-TimeZone`).

use super::syntax::parse_qvalue;
use crate::render::CaptionLanguage;

/// The request's locale. Unparseable headers leave fields `None`; they never fail a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locale {
    /// Lowercase ISO 639-1 language code (`sv`), from `SO-Language`, else `Accept-Language`.
    pub language: Option<String>,
    /// The culture code from `SO-Culture` (only when a language is set).
    pub culture: Option<String>,
    /// The time zone code from `SO-TimeZone`, as sent.
    pub time_zone: Option<String>,
    /// The language of the "no photo" placeholder's caption: the first of `SO-Language`,
    /// `SO-Culture` and `Accept-Language` (its highest-q range with a caption) that names a
    /// language with a caption, else English.
    pub caption_language: CaptionLanguage,
}

/// At most this many `Accept-Language` members are examined.
const MAX_LANGUAGE_MEMBERS: usize = 64;
/// The longest `SO-TimeZone` kept.
const MAX_TIME_ZONE_LEN: usize = 64;
/// The longest `SO-Culture` kept (a BCP 47 tag such as `sr-Latn-RS` fits easily).
const MAX_CULTURE_LEN: usize = 35;

impl Locale {
    /// Builds the locale from the raw header values.
    ///
    /// - language: the primary subtag of `SO-Language` when it is 2–3 ASCII letters, else of the
    ///   `Accept-Language` range with the highest q (first wins ties; `*`, q=0 and ranges whose
    ///   primary subtag is not 2–3 letters are skipped), lowercased;
    /// - culture: `SO-Culture` when a language is set and it is 1–35 ASCII letters, digits, `-` or
    ///   `_`;
    /// - time zone: `SO-TimeZone` when it is 1–64 printable ASCII characters (inner spaces allowed,
    ///   for Windows names like `W. Europe Standard Time`);
    /// - caption language: the primary subtag of `SO-Language`, else of `SO-Culture`, else of the
    ///   highest-q `Accept-Language` range, taking only languages with a caption (so
    ///   `fi, de;q=0.5` gives German and an unknown `SO-Language` defers to the other headers);
    ///   English when none has one.
    ///
    /// Anything else leaves the field `None`; this never fails.
    ///
    /// ```
    /// use person_image::headers::Locale;
    /// use person_image::render::CaptionLanguage;
    /// let locale = Locale::from_headers(Some(b"en-GB;q=0.8, sv"), None, Some(b"sv-SE"), None);
    /// assert_eq!(locale.language.as_deref(), Some("sv"));
    /// assert_eq!(locale.culture.as_deref(), Some("sv-SE"));
    /// assert_eq!(locale.caption_language, CaptionLanguage::Swedish);
    /// ```
    pub fn from_headers(
        accept_language: Option<&[u8]>,
        so_language: Option<&[u8]>,
        so_culture: Option<&[u8]>,
        so_time_zone: Option<&[u8]>,
    ) -> Self {
        let language = so_language
            .and_then(primary_language)
            .or_else(|| accept_language.and_then(|header| preferred(header, primary_language)));
        let caption_language = so_language
            .and_then(caption_language)
            .or_else(|| so_culture.and_then(caption_language))
            .or_else(|| accept_language.and_then(|header| preferred(header, caption_language)))
            .unwrap_or_default();
        let culture = so_culture
            .filter(|_| language.is_some())
            .and_then(|value| {
                visible_ascii(value).filter(|culture| {
                    culture.len() <= MAX_CULTURE_LEN
                        && culture
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                })
            })
            .map(str::to_owned);
        let time_zone = so_time_zone
            .and_then(visible_ascii)
            .filter(|zone| zone.len() <= MAX_TIME_ZONE_LEN)
            .map(str::to_owned);
        Locale {
            language,
            culture,
            time_zone,
            caption_language,
        }
    }
}

/// The trimmed value when it is non-empty printable ASCII (spaces allowed inside).
fn visible_ascii(value: &[u8]) -> Option<&str> {
    let trimmed = value.trim_ascii();
    if trimmed.is_empty() || !trimmed.iter().all(|&b| b == b' ' || b.is_ascii_graphic()) {
        return None;
    }
    std::str::from_utf8(trimmed).ok()
}

/// The primary subtag of a language tag (`en-US`, `en_us`, `EN`) when it is 2–3 ASCII letters,
/// lowercased.
fn primary_language(tag: &[u8]) -> Option<String> {
    let tag = tag.trim_ascii();
    let primary = tag.split(|&b| b == b'-' || b == b'_').next()?;
    if !(2..=3).contains(&primary.len()) || !primary.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    // The rest must look like subtags too, so `en-!!` or `en gb` is not taken as English.
    if !tag
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return None;
    }
    std::str::from_utf8(primary)
        .ok()
        .map(str::to_ascii_lowercase)
}

/// The caption language a language tag names, if it has a caption.
fn caption_language(tag: &[u8]) -> Option<CaptionLanguage> {
    primary_language(tag).and_then(|primary| CaptionLanguage::from_tag(&primary))
}

/// What `pick` makes of the highest-weighted `Accept-Language` range it accepts (first wins
/// ties); ranges with q=0 or bad parameters are skipped.
fn preferred<T>(header: &[u8], pick: impl Fn(&[u8]) -> Option<T>) -> Option<T> {
    let mut best: Option<(u16, T)> = None;
    for member in header.split(|&b| b == b',').take(MAX_LANGUAGE_MEMBERS) {
        let mut pieces = member.split(|&b| b == b';');
        let Some(range) = pieces.next() else {
            continue;
        };
        let mut quality = 1000;
        let mut valid = true;
        for param in pieces {
            let param = param.trim_ascii();
            match param
                .strip_prefix(b"q=")
                .or_else(|| param.strip_prefix(b"Q="))
            {
                Some(value) => match parse_qvalue(value) {
                    Some(q) => quality = q,
                    None => valid = false,
                },
                None => valid = false,
            }
        }
        if !valid || quality == 0 || best.as_ref().is_some_and(|(q, _)| *q >= quality) {
            continue;
        }
        if let Some(picked) = pick(range) {
            best = Some((quality, picked));
        }
    }
    best.map(|(_, picked)| picked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn language(accept_language: Option<&str>, so_language: Option<&str>) -> Option<String> {
        Locale::from_headers(
            accept_language.map(str::as_bytes),
            so_language.map(str::as_bytes),
            None,
            None,
        )
        .language
    }

    #[test]
    fn picks_the_language() {
        let cases = [
            (None, None, None),
            (Some("sv"), None, Some("sv")),
            (Some("EN-gb"), None, Some("en")),
            (Some("da, en-gb;q=0.8, en;q=0.7"), None, Some("da")),
            (Some("en;q=0.7, nb;q=0.9, de;q=0.9"), None, Some("nb")),
            (Some("*, fr;q=0.5"), None, Some("fr")),
            (Some("*"), None, None),
            (Some("fr;q=0, de;q=0.1"), None, Some("de")),
            (Some("fr;q=0"), None, None),
            (Some("x-klingon, i-enochian, fil"), None, Some("fil")),
            (Some("english, de"), None, Some("de")),
            (Some("de;q=2, nl;q=abc, it;q=0.3"), None, Some("it")),
            (Some(" es-419 ; q=0.9 "), None, Some("es")),
            (Some("\u{e5}\u{e5}, fi"), None, Some("fi")),
            (Some(""), None, None),
            (Some("en"), Some("sv"), Some("sv")),
            (Some("en"), Some("NB-no"), Some("nb")),
            (Some("en"), Some("nb_NO"), Some("nb")),
            (Some("en"), Some("garbage!"), Some("en")),
            (Some("en"), Some(""), Some("en")),
            (None, Some("x"), None),
            (None, Some("svenska"), None),
            (None, Some(" de "), Some("de")),
        ];
        for (accept_language, so_language, expected) in cases {
            assert_eq!(
                language(accept_language, so_language).as_deref(),
                expected,
                "{accept_language:?} {so_language:?}"
            );
        }
    }

    #[test]
    fn picks_the_caption_language() {
        use CaptionLanguage::*;
        // (Accept-Language, SO-Language, SO-Culture) -> caption language
        let cases = [
            (None, None, None, English),
            (Some("de"), None, None, German),
            (Some("de-CH"), None, None, German),
            (Some("nb"), None, None, Norwegian),
            (Some("no"), None, None, Norwegian),
            (Some("nn-NO"), None, None, Norwegian),
            (Some("sv-SE"), None, None, Swedish),
            (Some("da"), None, None, Danish),
            (Some("nl-BE"), None, None, Dutch),
            (Some("fr-CA"), None, None, French),
            (Some("es-419"), None, None, Spanish),
            (Some("en-GB"), None, None, English),
            (Some("fi"), None, None, English),
            (Some("*"), None, None, English),
            (Some("fi, de;q=0.5"), None, None, German),
            (Some("de;q=0.5, fr;q=0.8, en;q=0.1"), None, None, French),
            (Some("sv;q=0.9, da;q=0.9"), None, None, Swedish),
            (Some("de;q=0, nl"), None, None, Dutch),
            (Some("de;q=0"), None, None, English),
            (Some("de;q=oops, es;q=0.2"), None, None, Spanish),
            (Some("de"), Some("sv"), None, Swedish),
            (Some("de"), Some("nb-NO"), Some("da-DK"), Norwegian),
            (Some("de"), None, Some("da-DK"), Danish),
            (Some("de"), Some("fi"), Some("sv-FI"), Swedish),
            (Some("nl"), Some("fi"), Some("fi-FI"), Dutch),
            (Some("nl"), Some("garbage!"), None, Dutch),
            (None, Some("fi"), None, English),
            (None, None, Some("fr_FR"), French),
            (None, None, Some("fr FR"), English),
        ];
        for (accept_language, so_language, so_culture, expected) in cases {
            let locale = Locale::from_headers(
                accept_language.map(str::as_bytes),
                so_language.map(str::as_bytes),
                so_culture.map(str::as_bytes),
                None,
            );
            assert_eq!(
                locale.caption_language, expected,
                "{accept_language:?} {so_language:?} {so_culture:?}"
            );
        }
    }

    #[test]
    fn culture_needs_a_language() {
        type Case<'a> = (Option<&'a [u8]>, Option<&'a [u8]>, Option<&'a str>);
        let cases: [Case; 6] = [
            (Some(b"sv"), Some(b"sv-SE"), Some("sv-SE")),
            (Some(b"sv"), Some(b" nb_NO "), Some("nb_NO")),
            (None, Some(b"sv-SE"), None),
            (Some(b"sv"), Some(b"sv SE"), None),
            (Some(b"sv"), Some(b"\xff"), None),
            (Some(b"sv"), Some(b""), None),
        ];
        for (so_language, so_culture, expected) in cases {
            let locale = Locale::from_headers(None, so_language, so_culture, None);
            assert_eq!(locale.culture.as_deref(), expected, "{so_culture:?}");
        }
        let long = "a".repeat(MAX_CULTURE_LEN + 1);
        let locale = Locale::from_headers(Some(b"sv"), None, Some(long.as_bytes()), None);
        assert_eq!(locale.culture, None);
    }

    #[test]
    fn time_zone_is_kept_when_short_and_printable() {
        let long = "Z".repeat(MAX_TIME_ZONE_LEN + 1);
        let max = "Z".repeat(MAX_TIME_ZONE_LEN);
        let cases: [(&[u8], Option<&str>); 8] = [
            (b"CET", Some("CET")),
            (b" Europe/Oslo ", Some("Europe/Oslo")),
            (b"W. Europe Standard Time", Some("W. Europe Standard Time")),
            (b"UTC+01:00", Some("UTC+01:00")),
            (max.as_bytes(), Some(max.as_str())),
            (long.as_bytes(), None),
            (b"bad\x01zone", None),
            (b"\xc3\xa5", None),
        ];
        for (header, expected) in cases {
            let locale = Locale::from_headers(None, None, None, Some(header));
            assert_eq!(locale.time_zone.as_deref(), expected, "{header:?}");
        }
    }

    #[test]
    fn garbage_never_fails() {
        let junk = [0xffu8; 10_000];
        let locale = Locale::from_headers(Some(&junk), Some(&junk), Some(&junk), Some(&junk));
        assert_eq!(locale, Locale::default());
        let many = "xx;q=0.5, ".repeat(10_000);
        let locale = Locale::from_headers(Some(many.as_bytes()), None, None, None);
        assert_eq!(locale.language.as_deref(), Some("xx"));
    }
}
