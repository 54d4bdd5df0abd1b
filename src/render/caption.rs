//! The localized "no photo" caption: its languages, its words, and the anti-aliased text drawn
//! with the bundled font (Noto Sans cut down to the captions' characters, see `font/README.md`).

use ab_glyph::{point, Font, FontRef, Glyph, PxScale, ScaleFont};
use image::RgbImage;

/// The languages the "no photo" caption is written in; any other language gets English.
///
/// Chosen per request from `SO-Language`, then `SO-Culture`, then `Accept-Language` (see
/// [`Locale::caption_language`](crate::headers::Locale::caption_language)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CaptionLanguage {
    /// "No photo"; also the fallback.
    #[default]
    English,
    /// "Kein Foto".
    German,
    /// "Ingen bilde" (Bokmål; also chosen for `nn` and `no`).
    Norwegian,
    /// "Ingen bild".
    Swedish,
    /// "Intet foto".
    Danish,
    /// "Geen foto".
    Dutch,
    /// "Pas de photo".
    French,
    /// "Sin foto".
    Spanish,
}

impl CaptionLanguage {
    /// Every language, in declaration order (the tests go through them all).
    #[cfg(test)]
    pub(crate) const ALL: [CaptionLanguage; 8] = [
        CaptionLanguage::English,
        CaptionLanguage::German,
        CaptionLanguage::Norwegian,
        CaptionLanguage::Swedish,
        CaptionLanguage::Danish,
        CaptionLanguage::Dutch,
        CaptionLanguage::French,
        CaptionLanguage::Spanish,
    ];

    /// The caption language of a language tag (`de`, `de-CH`, `nb_NO`, `NO`), read from its
    /// primary subtag; `None` when there is no caption in that language.
    ///
    /// `nb`, `nn` and `no` all mean Norwegian: the Bokmål caption is what Nynorsk readers see
    /// most often in software, and `no` is what older clients send.
    ///
    /// ```
    /// use person_image::render::CaptionLanguage;
    /// assert_eq!(CaptionLanguage::from_tag("de-CH"), Some(CaptionLanguage::German));
    /// assert_eq!(CaptionLanguage::from_tag("nn"), Some(CaptionLanguage::Norwegian));
    /// assert_eq!(CaptionLanguage::from_tag("fi"), None);
    /// ```
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?;
        let language = match primary.to_ascii_lowercase().as_str() {
            "en" => CaptionLanguage::English,
            "de" => CaptionLanguage::German,
            "nb" | "nn" | "no" => CaptionLanguage::Norwegian,
            "sv" => CaptionLanguage::Swedish,
            "da" => CaptionLanguage::Danish,
            "nl" => CaptionLanguage::Dutch,
            "fr" => CaptionLanguage::French,
            "es" => CaptionLanguage::Spanish,
            _ => return None,
        };
        Some(language)
    }

    /// The ISO 639-1 code (`nb` for Norwegian): a short stable name, used in ETags.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptionLanguage::English => "en",
            CaptionLanguage::German => "de",
            CaptionLanguage::Norwegian => "nb",
            CaptionLanguage::Swedish => "sv",
            CaptionLanguage::Danish => "da",
            CaptionLanguage::Dutch => "nl",
            CaptionLanguage::French => "fr",
            CaptionLanguage::Spanish => "es",
        }
    }

    /// The caption's words.
    pub fn caption(self) -> &'static str {
        match self {
            CaptionLanguage::English => "No photo",
            CaptionLanguage::German => "Kein Foto",
            CaptionLanguage::Norwegian => "Ingen bilde",
            CaptionLanguage::Swedish => "Ingen bild",
            // "Foto" is neuter in Danish: "intet", not "ingen".
            CaptionLanguage::Danish => "Intet foto",
            CaptionLanguage::Dutch => "Geen foto",
            CaptionLanguage::French => "Pas de photo",
            CaptionLanguage::Spanish => "Sin foto",
        }
    }
}

/// Noto Sans Regular with only the captions' glyphs (made by `scripts/subset_font.sh`).
static FONT: &[u8] = include_bytes!("font/NotoSans-Caption.ttf");

/// The bundled font. It is a constant that a test parses, so `None` cannot happen in a build that
/// passed its tests; the caller then draws no text rather than failing the request.
fn font() -> Option<FontRef<'static>> {
    FontRef::try_from_slice(FONT).ok()
}

/// Where and how a line of text goes, in pixel coordinates (the top-left corner of the image is
/// (0, 0), pixel (x, y) covers [x, x + 1) × [y, y + 1)).
#[derive(Debug, Clone, Copy)]
pub(super) struct TextBox {
    /// The horizontal centre of the ink.
    pub(super) centre_x: f32,
    /// The vertical centre of the font's line box (ascender to descender), so every caption
    /// shares one baseline whatever its letters.
    pub(super) middle_y: f32,
    /// The em size in pixels.
    pub(super) em: f32,
    /// The widest the ink may be; longer text is set smaller to fit.
    pub(super) max_width: f32,
}

/// Draws `text` into `image` in `colour`, anti-aliased (each pixel blended by its exact area
/// coverage), centred and shrunk to fit as `layout` says. Pixels outside the image are dropped.
///
/// Returns the ink's bounds as `(left, top, right, bottom)` pixel edges, or `None` when nothing
/// was drawn.
pub(super) fn draw_text(
    image: &mut RgbImage,
    text: &str,
    layout: TextBox,
    colour: [u8; 3],
) -> Option<(f32, f32, f32, f32)> {
    let font = font()?;
    // ab_glyph scales by the line height (ascender − descender), not by the em.
    let units_per_em = font.units_per_em().unwrap_or(1000.0);
    let mut scale = PxScale::from(layout.em * font.height_unscaled() / units_per_em);
    let mut glyphs = set_line(&font, scale, text);
    let (left, right) = ink_span(&font, &glyphs)?;
    if right - left > layout.max_width {
        let shrink = layout.max_width / (right - left);
        scale = PxScale::from(scale.y * shrink);
        glyphs = set_line(&font, scale, text);
    }
    let (left, right) = ink_span(&font, &glyphs)?;
    let scaled = font.as_scaled(scale);
    let dx = layout.centre_x - (left + right) / 2.0;
    let baseline = layout.middle_y + (scaled.ascent() + scaled.descent()) / 2.0;
    let outlines: Vec<_> = glyphs
        .into_iter()
        .filter_map(|mut glyph| {
            glyph.position = point(glyph.position.x + dx, baseline);
            font.outline_glyph(glyph)
        })
        .collect();
    let ink = outlines
        .iter()
        .map(|outline| outline.px_bounds())
        .reduce(|a, b| ab_glyph::Rect {
            min: point(a.min.x.min(b.min.x), a.min.y.min(b.min.y)),
            max: point(a.max.x.max(b.max.x), a.max.y.max(b.max.y)),
        })?;

    // Coverage is summed over the ink's box first, so where two glyphs' edges share a pixel it is
    // blended once rather than darkened twice; the box keeps the buffer small on large canvases.
    let (width, height) = image.dimensions();
    let clip = |value: f32, limit: u32| value.clamp(0.0, limit as f32) as u32;
    let (left, top) = (clip(ink.min.x, width), clip(ink.min.y, height));
    let (right, bottom) = (clip(ink.max.x, width), clip(ink.max.y, height));
    let box_width = (right - left) as usize;
    let mut coverage = vec![0.0f32; box_width * (bottom - top) as usize];
    for outline in &outlines {
        let bounds = outline.px_bounds();
        outline.draw(|x, y, amount| {
            let px = bounds.min.x as i64 + i64::from(x) - i64::from(left);
            let py = bounds.min.y as i64 + i64::from(y) - i64::from(top);
            if (0..box_width as i64).contains(&px) && (0..i64::from(bottom - top)).contains(&py) {
                coverage[py as usize * box_width + px as usize] += amount;
            }
        });
    }
    for (row, y) in coverage.chunks_exact(box_width.max(1)).zip(top..bottom) {
        for (&amount, x) in row.iter().zip(left..right) {
            let amount = amount.clamp(0.0, 1.0);
            if amount > 0.0 {
                let pixel = image.get_pixel_mut(x, y);
                for (channel, top) in pixel.0.iter_mut().zip(colour) {
                    let base = f32::from(*channel);
                    *channel = (base + (f32::from(top) - base) * amount).round() as u8;
                }
            }
        }
    }
    Some((ink.min.x, ink.min.y, ink.max.x, ink.max.y))
}

/// Lays `text` out on one line from x = 0 at `scale`: advance widths plus the font's `kern` table
/// (the bundled subset has none, as its captions have no kerned pair; see `font/README.md`).
fn set_line(font: &FontRef<'_>, scale: PxScale, text: &str) -> Vec<Glyph> {
    let scaled = font.as_scaled(scale);
    let mut x = 0.0;
    let mut previous = None;
    text.chars()
        .map(|c| {
            let id = font.glyph_id(c);
            if let Some(previous) = previous {
                x += scaled.kern(previous, id);
            }
            let glyph = id.with_scale_and_position(scale, point(x, 0.0));
            x += scaled.h_advance(id);
            previous = Some(id);
            glyph
        })
        .collect()
}

/// The leftmost and rightmost ink of a laid-out line (spaces have none); `None` for no ink.
fn ink_span(font: &FontRef<'_>, glyphs: &[Glyph]) -> Option<(f32, f32)> {
    glyphs
        .iter()
        .filter_map(|glyph| font.outline_glyph(glyph.clone()))
        .map(|outline| {
            let bounds = outline.px_bounds();
            (bounds.min.x, bounds.max.x)
        })
        .reduce(|(l, r), (left, right)| (l.min(left), r.max(right)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_font_parses() {
        assert!(font().is_some());
    }

    #[test]
    fn every_caption_character_has_a_glyph() {
        let font = font().unwrap();
        for language in CaptionLanguage::ALL {
            for c in language.caption().chars() {
                assert_ne!(
                    font.glyph_id(c).0,
                    0,
                    "{c:?} of {language:?}: run scripts/subset_font.sh"
                );
            }
        }
    }

    #[test]
    fn tags_map_to_languages() {
        let cases = [
            ("en", Some(CaptionLanguage::English)),
            ("en-US", Some(CaptionLanguage::English)),
            ("DE", Some(CaptionLanguage::German)),
            ("de-CH", Some(CaptionLanguage::German)),
            ("nb", Some(CaptionLanguage::Norwegian)),
            ("nb_NO", Some(CaptionLanguage::Norwegian)),
            ("nn-NO", Some(CaptionLanguage::Norwegian)),
            ("no", Some(CaptionLanguage::Norwegian)),
            ("sv-FI", Some(CaptionLanguage::Swedish)),
            ("da", Some(CaptionLanguage::Danish)),
            ("nl-BE", Some(CaptionLanguage::Dutch)),
            ("fr-CA", Some(CaptionLanguage::French)),
            ("es-419", Some(CaptionLanguage::Spanish)),
            (" es ", Some(CaptionLanguage::Spanish)),
            ("fi", None),
            ("english", None),
            ("", None),
            ("*", None),
        ];
        for (tag, expected) in cases {
            assert_eq!(CaptionLanguage::from_tag(tag), expected, "{tag:?}");
        }
        for language in CaptionLanguage::ALL {
            assert_eq!(CaptionLanguage::from_tag(language.as_str()), Some(language));
        }
    }

    #[test]
    fn text_is_centred_anti_aliased_and_shrunk_to_fit() {
        let background = [0xE6, 0xE8, 0xEB];
        let ink = [0x40, 0x40, 0x40];
        let layout = TextBox {
            centre_x: 50.0,
            middle_y: 20.0,
            em: 16.0,
            max_width: 60.0,
        };
        let mut image = RgbImage::from_pixel(100, 40, image::Rgb(background));
        let (left, top, right, bottom) =
            draw_text(&mut image, "Pas de photo", layout, ink).unwrap();
        assert!(right - left <= 60.0 + 1.0, "{left}..{right}");
        assert!(
            ((left + right) / 2.0 - 50.0).abs() <= 1.0,
            "{left}..{right}"
        );
        assert!(top >= 0.0 && bottom <= 40.0, "{top}..{bottom}");
        let blended = image
            .pixels()
            .filter(|p| p.0 != background && p.0 != ink)
            .count();
        assert!(blended > 20, "edges are blended: {blended}");

        // With room to spare the size is kept, and stems several pixels wide are solid.
        let roomy = TextBox {
            em: 32.0,
            max_width: 400.0,
            ..layout
        };
        let mut image = RgbImage::from_pixel(400, 40, image::Rgb(background));
        let (left, _, right, _) = draw_text(&mut image, "Pas de photo", roomy, ink).unwrap();
        assert!(right - left > 150.0, "not shrunk: {left}..{right}");
        assert!(image.pixels().any(|p| p.0 == ink), "stems are solid");
    }
}
