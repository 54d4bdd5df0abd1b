//! The crate's own placeholder artwork for persons without a photo (SPEC §6).
//!
//! Everything is drawn in code at the requested size, so any size looks sharp: each shape is a
//! signed distance function in "figure units" (the figure is a unit square centred on the canvas
//! and scaled to its smaller side), and a pixel's coverage of a shape comes from its distance to
//! the edge, which anti-aliases every edge analytically without supersampling.
//!
//! The silhouettes carry a localized caption ("No photo", "Kein Foto", ...) once both sides are
//! at least [`CAPTION_MIN_SIDE`] pixels: the figure then moves up and ends above a band where the
//! caption is set in Noto Sans (see `caption`). Smaller placeholders stay wordless, because text
//! below about 11 px is a smudge rather than a word, and a wordless image needs no translation:
//! only captioned placeholders depend on the caller's language (their ETag names it and the
//! response varies on the language headers).

use image::{RgbImage, RgbaImage};

use super::caption::{self, CaptionLanguage, TextBox};
use super::picture::{Picture, Pixels};
use crate::request::IfBlank;

/// The smallest side, in pixels, of a silhouette that carries a caption.
///
/// The caption's em is 1/8 of the smaller side, so at 96 px it is set at 12 px (capitals about
/// 8.5 px high), about the smallest Noto Sans stays legible on screen; at 64 px it would be 8 px,
/// which reads as grey noise. Thumbnails in list views (32–64 px) therefore stay wordless.
pub(crate) const CAPTION_MIN_SIDE: u32 = 96;

/// Which placeholder to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PlaceholderKind {
    /// A fully transparent image.
    ClearPixel,
    /// A neutral person silhouette.
    NoPhoto,
    /// The silhouette with a thin border.
    NoPhotoWithBorder,
    /// A generic document icon.
    GenericFileIcon,
}

impl PlaceholderKind {
    /// The placeholder an `ifBlank` value asks for: `default` stands for `Default`, and `Null`
    /// asks for none.
    pub fn for_if_blank(if_blank: IfBlank, default: PlaceholderKind) -> Option<Self> {
        match if_blank {
            IfBlank::Null => None,
            IfBlank::Default => Some(default),
            IfBlank::ClearPixel => Some(PlaceholderKind::ClearPixel),
            IfBlank::SrNoPhoto => Some(PlaceholderKind::NoPhoto),
            IfBlank::SrNoPhotoWithBorder => Some(PlaceholderKind::NoPhotoWithBorder),
            IfBlank::GenericFileIcon => Some(PlaceholderKind::GenericFileIcon),
        }
    }

    /// Whether the artwork has transparency (so PNG wins the negotiation tie, SPEC §4).
    pub fn has_alpha(self) -> bool {
        matches!(self, PlaceholderKind::ClearPixel)
    }

    /// Whether the artwork carries the "no photo" caption when it is large enough.
    fn has_caption(self) -> bool {
        matches!(
            self,
            PlaceholderKind::NoPhoto | PlaceholderKind::NoPhotoWithBorder
        )
    }

    /// A short stable name, used in ETags.
    pub fn as_str(self) -> &'static str {
        match self {
            PlaceholderKind::ClearPixel => "clear-pixel",
            PlaceholderKind::NoPhoto => "no-photo",
            PlaceholderKind::NoPhotoWithBorder => "no-photo-border",
            PlaceholderKind::GenericFileIcon => "file-icon",
        }
    }
}

/// The caption `kind` carries at `size`: `language` for a silhouette whose sides are both at
/// least [`CAPTION_MIN_SIDE`], else none. The plan keys the ETag and `Vary` on this, so the
/// language matters exactly where it is drawn.
pub(crate) fn caption(
    kind: PlaceholderKind,
    (width, height): (u32, u32),
    language: CaptionLanguage,
) -> Option<CaptionLanguage> {
    (kind.has_caption() && width.min(height) >= CAPTION_MIN_SIDE).then_some(language)
}

/// Draws `kind` at `width`×`height` (each side at least 1; 0 is drawn as 1), with the caption in
/// `caption`'s language when given (only silhouettes draw one; see [`caption`]).
pub(crate) fn draw(
    kind: PlaceholderKind,
    width: u32,
    height: u32,
    caption: Option<CaptionLanguage>,
) -> Picture {
    let (width, height) = (width.max(1), height.max(1));
    let pixels = match kind {
        PlaceholderKind::ClearPixel => Pixels::Rgba(RgbaImage::new(width, height)),
        PlaceholderKind::NoPhoto => Pixels::Rgb(silhouette(width, height, caption)),
        PlaceholderKind::NoPhotoWithBorder => {
            let mut image = silhouette(width, height, caption);
            add_border(&mut image);
            Pixels::Rgb(image)
        }
        PlaceholderKind::GenericFileIcon => Pixels::Rgb(file_icon(width, height)),
    };
    Picture::still(pixels)
}

const BACKGROUND: [u8; 3] = [0xE6, 0xE8, 0xEB];
const FIGURE: [u8; 3] = [0xA7, 0xAD, 0xB5];
const BORDER: [u8; 3] = [0xB4, 0xB9, 0xC0];
/// Darker than the figure so the words read at 12 px: 4.7:1 against the background (WCAG AA
/// for small text asks 4.5:1).
const CAPTION: [u8; 3] = [0x5F, 0x66, 0x70];
const ICON_BACKGROUND: [u8; 3] = [0xEE, 0xF0, 0xF2];
const PAGE: [u8; 3] = [0xFF, 0xFF, 0xFF];
const PAGE_OUTLINE: [u8; 3] = [0xA7, 0xAD, 0xB5];
const FOLD: [u8; 3] = [0xD5, 0xD9, 0xDE];
const TEXT_LINE: [u8; 3] = [0xC4, 0xC9, 0xCF];

/// Maps pixel centres to figure units: the unit square centred on the canvas, scaled to its
/// smaller side.
#[derive(Debug, Clone, Copy)]
struct Canvas {
    /// Figure units per pixel.
    unit: f32,
    /// The figure-unit coordinates of pixel (0, 0)'s centre.
    origin: (f32, f32),
}

impl Canvas {
    fn new(width: u32, height: u32) -> Self {
        let side = width.min(height) as f32;
        let unit = 1.0 / side;
        Canvas {
            unit,
            origin: (
                (0.5 - (width as f32 - side) / 2.0) * unit,
                (0.5 - (height as f32 - side) / 2.0) * unit,
            ),
        }
    }

    /// The figure-unit position of pixel position (`x`, `y`), counted from pixel (0, 0)'s centre.
    fn point(self, x: f32, y: f32) -> (f32, f32) {
        (self.origin.0 + x * self.unit, self.origin.1 + y * self.unit)
    }

    /// The image position (pixel (x, y) covering [x, x + 1) × [y, y + 1), as the text
    /// rasteriser counts) of the figure-unit point `p`: the inverse of [`Canvas::point`], plus
    /// the half pixel between a pixel's centre and its corner.
    fn image_position(self, p: (f32, f32)) -> (f32, f32) {
        (
            (p.0 - self.origin.0) / self.unit + 0.5,
            (p.1 - self.origin.1) / self.unit + 0.5,
        )
    }

    /// How much of a pixel lies inside a shape whose signed distance (in figure units, negative
    /// inside) at the pixel centre is `distance`: a one-pixel linear ramp across the edge.
    fn coverage(self, distance: f32) -> f32 {
        (0.5 - distance / self.unit).clamp(0.0, 1.0)
    }
}

/// A pixel's colour being built up layer by layer, and how far it is from the nearest edge.
#[derive(Debug, Clone, Copy)]
struct Shade {
    colour: [u8; 3],
    /// The smallest |signed distance| of any layer so far, in figure units.
    edge: f32,
}

impl Shade {
    fn new(colour: [u8; 3]) -> Self {
        Shade {
            colour,
            edge: f32::INFINITY,
        }
    }

    /// Paints `top` over the colour so far, on the part of the pixel inside the shape whose
    /// signed distance is `distance`.
    fn layer(&mut self, frame: Canvas, distance: f32, top: [u8; 3]) {
        self.edge = self.edge.min(distance.abs());
        let coverage = frame.coverage(distance);
        if coverage >= 1.0 {
            self.colour = top;
        } else if coverage > 0.0 {
            for (channel, top) in self.colour.iter_mut().zip(top) {
                let base = f32::from(*channel);
                *channel = (base + (f32::from(top) - base) * coverage).round() as u8;
            }
        }
    }
}

/// Renders a scene given as "figure-unit point → shade".
///
/// The scene is evaluated once per 16×16 tile first: every distance in it is 1-Lipschitz, so
/// when the tile centre is farther from every edge than the tile's half-diagonal plus the
/// half-pixel anti-aliasing ramp, the whole tile has the centre's colour and is filled at once.
/// Only tiles crossed by an edge are shaded per pixel, which keeps 4096×4096 fast.
fn paint(width: u32, height: u32, frame: Canvas, scene: impl Fn((f32, f32)) -> Shade) -> RgbImage {
    const TILE: u32 = 16;
    let reach = (TILE as f32 * std::f32::consts::FRAC_1_SQRT_2 + 0.5) * frame.unit;
    let mut image = RgbImage::new(width, height);
    let row_len = width as usize * 3;
    let raw: &mut [u8] = &mut image;
    for top in (0..height).step_by(TILE as usize) {
        let rows = TILE.min(height - top);
        for left in (0..width).step_by(TILE as usize) {
            let columns = TILE.min(width - left);
            let centre = frame.point(
                left as f32 + (columns - 1) as f32 / 2.0,
                top as f32 + (rows - 1) as f32 / 2.0,
            );
            let shade = scene(centre);
            let uniform = shade.edge > reach;
            for y in top..top + rows {
                let start = y as usize * row_len + left as usize * 3;
                let span = &mut raw[start..start + columns as usize * 3];
                for (x, pixel) in (left..).zip(span.chunks_exact_mut(3)) {
                    let colour = if uniform {
                        shade.colour
                    } else {
                        scene(frame.point(x as f32, y as f32)).colour
                    };
                    pixel.copy_from_slice(&colour);
                }
            }
        }
    }
    image
}

/// The Euclidean norm. `f32::hypot` guards against overflow that figure units never reach, at
/// several times the cost, and this runs for every pixel.
fn length(x: f32, y: f32) -> f32 {
    (x * x + y * y).sqrt()
}

/// Signed distance from `p` to a circle.
fn circle(p: (f32, f32), centre: (f32, f32), radius: f32) -> f32 {
    length(p.0 - centre.0, p.1 - centre.1) - radius
}

/// Signed distance from `p` to an axis-aligned box with rounded corners.
fn rounded_box(p: (f32, f32), centre: (f32, f32), half: (f32, f32), radius: f32) -> f32 {
    let qx = (p.0 - centre.0).abs() - half.0 + radius;
    let qy = (p.1 - centre.1).abs() - half.1 + radius;
    length(qx.max(0.0), qy.max(0.0)) + qx.max(qy).min(0.0) - radius
}

/// The proportions of the "no photo" figure, in figure units.
#[derive(Debug, Clone, Copy)]
struct Figure {
    head_centre: (f32, f32),
    head_radius: f32,
    /// The ring of background between head and shoulders.
    gap: f32,
    shoulders_top: f32,
    shoulders_half_width: f32,
    shoulders_radius: f32,
    /// Where the body is cut off flat; `None` runs it off the bottom edge.
    bottom: Option<f32>,
}

/// The wordless figure: a large bust whose body runs off the bottom edge.
const FIGURE_ALONE: Figure = Figure {
    head_centre: (0.5, 0.37),
    head_radius: 0.17,
    gap: 0.04,
    shoulders_top: 0.585,
    shoulders_half_width: 0.33,
    shoulders_radius: 0.27,
    bottom: None,
};

/// The captioned figure: the same bust at 4/5 the size, raised and cut off flat at 0.7, so the
/// band below it (the caption's line box spans about 0.735–0.905) stays free for the words.
const FIGURE_ABOVE_CAPTION: Figure = Figure {
    head_centre: (0.5, 0.26),
    head_radius: 0.136,
    gap: 0.032,
    shoulders_top: 0.432,
    shoulders_half_width: 0.264,
    shoulders_radius: 0.216,
    bottom: Some(0.7),
};

/// The caption's line box is centred this far down the figure square.
const CAPTION_MIDDLE: f32 = 0.82;
/// The caption's em, as a fraction of the smaller side (12 px at [`CAPTION_MIN_SIDE`]).
const CAPTION_EM: f32 = 0.125;
/// The widest a caption may be, as a fraction of the canvas width; longer ones are set smaller.
const CAPTION_MAX_WIDTH: f32 = 0.86;

/// The "no photo" avatar: a head and rounded shoulders, separated by a thin gap of background;
/// with `caption`, raised above the caption in that language.
fn silhouette(width: u32, height: u32, caption: Option<CaptionLanguage>) -> RgbImage {
    let frame = Canvas::new(width, height);
    let figure = if caption.is_some() {
        FIGURE_ABOVE_CAPTION
    } else {
        FIGURE_ALONE
    };
    // The body is a rounded box tall enough to leave the canvas at the bottom whatever the aspect.
    let canvas_bottom = frame.point(0.0, height as f32).1;
    let body_half_height =
        (canvas_bottom + figure.shoulders_radius - figure.shoulders_top) / 2.0 + 0.5;
    let body_centre = (0.5, figure.shoulders_top + body_half_height);
    let mut image = paint(width, height, frame, |p| {
        let head = circle(p, figure.head_centre, figure.head_radius);
        let body = rounded_box(
            p,
            body_centre,
            (figure.shoulders_half_width, body_half_height),
            figure.shoulders_radius,
        );
        // Cut the bust off flat (a half-plane keeps the distance 1-Lipschitz for `paint`).
        let body = figure.bottom.map_or(body, |bottom| body.max(p.1 - bottom));
        // Carve a ring of background around the head out of the shoulders.
        let body = body.max(-(head - figure.gap));
        let mut shade = Shade::new(BACKGROUND);
        shade.layer(frame, head.min(body), FIGURE);
        shade
    });
    if let Some(language) = caption {
        let (centre_x, middle_y) = frame.image_position((0.5, CAPTION_MIDDLE));
        let layout = TextBox {
            centre_x,
            middle_y,
            em: CAPTION_EM / frame.unit,
            max_width: CAPTION_MAX_WIDTH * width as f32,
        };
        caption::draw_text(&mut image, language.caption(), layout, CAPTION);
    }
    image
}

/// A crisp border of whole pixels, about 1/64 of the smaller side and at least one pixel.
fn add_border(image: &mut RgbImage) {
    let (width, height) = image.dimensions();
    let thickness = ((width.min(height) + 32) / 64).max(1);
    let side = thickness.min(width) as usize * 3;
    for (y, row) in (0..height).zip(image.chunks_exact_mut(width as usize * 3)) {
        if y < thickness || y >= height.saturating_sub(thickness) {
            fill(row, BORDER);
        } else {
            let right = row.len() - side;
            fill(&mut row[..side], BORDER);
            fill(&mut row[right..], BORDER);
        }
    }
}

/// Sets every RGB pixel of `samples` to `colour`.
fn fill(samples: &mut [u8], colour: [u8; 3]) {
    for pixel in samples.chunks_exact_mut(3) {
        pixel.copy_from_slice(&colour);
    }
}

/// A generic document: a white page with a folded top-right corner and a few grey text lines.
fn file_icon(width: u32, height: u32) -> RgbImage {
    const LEFT: f32 = 0.25;
    const RIGHT: f32 = 0.75;
    const TOP: f32 = 0.15;
    const BOTTOM: f32 = 0.85;
    const CORNER: f32 = 0.03;
    const FOLD_SIZE: f32 = 0.16;
    const OUTLINE: f32 = 0.022;
    const LINES: [(f32, f32); 5] = [
        (0.43, 0.64),
        (0.51, 0.64),
        (0.59, 0.64),
        (0.67, 0.64),
        (0.75, 0.52),
    ];
    const LINE_LEFT: f32 = 0.34;
    const LINE_HALF_HEIGHT: f32 = 0.016;

    let frame = Canvas::new(width, height);
    // The fold's diagonal: points with x − y > FOLD_LINE are beyond it (cut off the page).
    let fold_line = RIGHT - FOLD_SIZE - TOP;
    let diagonal = |p: (f32, f32)| (p.0 - p.1 - fold_line) / std::f32::consts::SQRT_2;
    let centre = ((LEFT + RIGHT) / 2.0, (TOP + BOTTOM) / 2.0);
    let half = ((RIGHT - LEFT) / 2.0, (BOTTOM - TOP) / 2.0);
    paint(width, height, frame, |p| {
        let mut shade = Shade::new(ICON_BACKGROUND);
        let page = rounded_box(p, centre, half, CORNER).max(diagonal(p));
        shade.layer(frame, page, PAGE_OUTLINE);
        shade.layer(frame, page + OUTLINE, PAGE);

        // The folded flap: the corner cut off the page, mirrored below the diagonal.
        let flap = diagonal(p)
            .max((RIGHT - FOLD_SIZE) - p.0)
            .max(p.1 - (TOP + FOLD_SIZE));
        shade.layer(frame, flap, PAGE_OUTLINE);
        shade.layer(frame, flap + OUTLINE, FOLD);

        for (line_y, line_right) in LINES {
            let half_width = (line_right - LINE_LEFT) / 2.0;
            let line = rounded_box(
                p,
                (LINE_LEFT + half_width, line_y),
                (half_width, LINE_HALF_HEIGHT),
                LINE_HALF_HEIGHT,
            );
            shade.layer(frame, line, TEXT_LINE);
        }
        shade
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [PlaceholderKind; 4] = [
        PlaceholderKind::ClearPixel,
        PlaceholderKind::NoPhoto,
        PlaceholderKind::NoPhotoWithBorder,
        PlaceholderKind::GenericFileIcon,
    ];

    fn rgb(picture: &Picture) -> &RgbImage {
        match &picture.frames[0].pixels {
            Pixels::Rgb(image) => image,
            other => panic!("expected RGB, got {other:?}"),
        }
    }

    fn luma([r, g, b]: [u8; 3]) -> u32 {
        u32::from(r) * 299 + u32::from(g) * 587 + u32::from(b) * 114
    }

    #[test]
    fn every_kind_has_exactly_the_requested_size() {
        let sizes = [
            (1, 1),
            (1, 2),
            (2, 1),
            (3, 3),
            (7, 5),
            (16, 16),
            (64, 48),
            (48, 64),
            (128, 128),
            (1, 4096),
            (4096, 1),
            (4096, 3),
        ];
        for kind in KINDS {
            for (width, height) in sizes {
                let picture = draw(kind, width, height, None);
                assert_eq!(picture.frames.len(), 1);
                assert_eq!(picture.dimensions(), (width, height), "{kind:?}");
                assert_eq!(
                    matches!(
                        picture.frames[0].pixels,
                        Pixels::Rgba(_) | Pixels::GrayAlpha(_)
                    ),
                    kind.has_alpha()
                );
            }
        }
    }

    #[test]
    fn zero_sides_are_drawn_as_one_pixel() {
        let picture = draw(PlaceholderKind::NoPhoto, 0, 0, None);
        assert_eq!(picture.dimensions(), (1, 1));
    }

    #[test]
    fn clear_pixel_is_fully_transparent() {
        let picture = draw(PlaceholderKind::ClearPixel, 5, 3, None);
        let Pixels::Rgba(image) = &picture.frames[0].pixels else {
            panic!("expected RGBA")
        };
        assert!(image.pixels().all(|p| p.0[3] == 0));
    }

    #[test]
    fn no_photo_shows_a_silhouette_on_a_light_background() {
        for (width, height) in [(128, 128), (64, 48), (48, 64), (400, 400), (16, 16)] {
            let picture = draw(PlaceholderKind::NoPhoto, width, height, None);
            let image = rgb(&picture);
            let corner = image.get_pixel(0, 0).0;
            assert_eq!(corner, BACKGROUND, "{width}x{height}");
            let head = image
                .get_pixel(width / 2, height / 2 - height.min(width) / 8)
                .0;
            let body = image.get_pixel(width / 2, height - 1).0;
            assert!(luma(head) < luma(corner), "{width}x{height}: head {head:?}");
            assert!(luma(body) < luma(corner), "{width}x{height}: body {body:?}");
            // Anti-aliased: some pixels lie strictly between the two colours.
            let between = image
                .pixels()
                .filter(|p| p.0 != BACKGROUND && p.0 != FIGURE)
                .count();
            assert!(between > 0, "{width}x{height}");
        }
    }

    #[test]
    fn bordered_variant_has_a_darker_edge() {
        for (width, height) in [(128, 128), (64, 48), (3, 3), (400, 200)] {
            let plain = draw(PlaceholderKind::NoPhoto, width, height, None);
            let framed = draw(PlaceholderKind::NoPhotoWithBorder, width, height, None);
            let image = rgb(&framed);
            let interior = rgb(&plain).get_pixel(width / 8 + 1, height / 8 + 1).0;
            for (x, y) in [
                (0, 0),
                (width - 1, 0),
                (0, height / 2),
                (width / 2, height - 1),
            ] {
                let edge = image.get_pixel(x, y).0;
                assert!(luma(edge) < luma(BACKGROUND), "{width}x{height} at {x},{y}");
            }
            if width > 8 && height > 8 {
                let inside = image.get_pixel(width / 8 + 1, height / 8 + 1).0;
                assert_eq!(
                    inside, interior,
                    "{width}x{height}: the inside is unchanged"
                );
                assert!(luma(image.get_pixel(0, height / 2).0) < luma(inside));
            }
        }
    }

    #[test]
    fn file_icon_shows_a_page_on_a_background() {
        let picture = draw(PlaceholderKind::GenericFileIcon, 128, 128, None);
        let image = rgb(&picture);
        assert_eq!(image.get_pixel(0, 0).0, ICON_BACKGROUND);
        assert_eq!(image.get_pixel(40, 40).0, PAGE);
        assert!(image.pixels().any(|p| p.0 == TEXT_LINE));
    }

    #[test]
    fn tiled_painting_matches_shading_every_pixel() {
        for (width, height) in [(1, 1), (17, 5), (100, 37), (33, 200), (300, 300)] {
            let frame = Canvas::new(width, height);
            let scene = |p: (f32, f32)| {
                let mut shade = Shade::new(BACKGROUND);
                shade.layer(frame, circle(p, (0.4, 0.45), 0.2), FIGURE);
                shade.layer(
                    frame,
                    rounded_box(p, (0.6, 0.7), (0.3, 0.1), 0.05),
                    TEXT_LINE,
                );
                shade
            };
            let tiled = paint(width, height, frame, scene);
            let naive = RgbImage::from_fn(width, height, |x, y| {
                image::Rgb(scene(frame.point(x as f32, y as f32)).colour)
            });
            assert_eq!(tiled, naive, "{width}x{height}");
        }
    }

    #[test]
    fn large_sizes_are_drawn() {
        for kind in KINDS {
            let picture = draw(
                kind,
                1024,
                768,
                caption(kind, (1024, 768), CaptionLanguage::French),
            );
            assert_eq!(picture.dimensions(), (1024, 768));
        }
    }

    /// The ink of the caption: the bounding box (left, top, right, bottom; inclusive pixels) of
    /// everything below the figure's flat bottom that is not background.
    fn caption_ink(image: &RgbImage) -> Option<(u32, u32, u32, u32)> {
        let (width, height) = image.dimensions();
        let frame = Canvas::new(width, height);
        let below_figure = below_figure_row(frame);
        let mut ink: Option<(u32, u32, u32, u32)> = None;
        for (x, y, pixel) in image.enumerate_pixels() {
            if y >= below_figure && pixel.0 != BACKGROUND {
                ink = Some(ink.map_or((x, y, x, y), |(l, t, r, b)| {
                    (l.min(x), t.min(y), r.max(x), b.max(y))
                }));
            }
        }
        ink
    }

    /// The first pixel row wholly below the captioned figure's flat bottom.
    fn below_figure_row(frame: Canvas) -> u32 {
        let bottom = FIGURE_ABOVE_CAPTION.bottom.unwrap();
        frame.image_position((0.5, bottom)).1.ceil() as u32
    }

    #[test]
    fn captions_only_on_silhouettes_both_sides_at_least_the_threshold() {
        let german = CaptionLanguage::German;
        let cases = [
            (PlaceholderKind::NoPhoto, (96, 96), true),
            (PlaceholderKind::NoPhoto, (95, 96), false),
            (PlaceholderKind::NoPhoto, (96, 95), false),
            (PlaceholderKind::NoPhoto, (64, 64), false),
            (PlaceholderKind::NoPhoto, (1024, 96), true),
            (PlaceholderKind::NoPhotoWithBorder, (128, 128), true),
            (PlaceholderKind::NoPhotoWithBorder, (95, 400), false),
            (PlaceholderKind::GenericFileIcon, (400, 400), false),
            (PlaceholderKind::ClearPixel, (400, 400), false),
        ];
        for (kind, size, captioned) in cases {
            let expected = captioned.then_some(german);
            assert_eq!(caption(kind, size, german), expected, "{kind:?} {size:?}");
        }
    }

    #[test]
    fn the_caption_is_drawn_in_the_band_below_the_figure() {
        for kind in [PlaceholderKind::NoPhoto, PlaceholderKind::NoPhotoWithBorder] {
            let wordless = draw(kind, 128, 128, None);
            let english = draw(kind, 128, 128, Some(CaptionLanguage::English));
            let german = draw(kind, 128, 128, Some(CaptionLanguage::German));
            let (wordless, english, german) = (rgb(&wordless), rgb(&english), rgb(&german));
            // The caption colour is the darkest in the artwork: present only with a caption.
            let darkest = |image: &RgbImage| image.pixels().map(|p| luma(p.0)).min().unwrap();
            assert!(darkest(english) < luma(FIGURE), "{kind:?}");
            assert!(
                darkest(wordless) >= luma(BORDER).min(luma(FIGURE)),
                "{kind:?}"
            );
            assert!(
                english.pixels().any(|p| p.0 == CAPTION),
                "{kind:?}: solid stems"
            );
            // The band below the figure differs from the wordless artwork, and by language.
            let band = below_figure_row(Canvas::new(128, 128)) as usize;
            // The pixels of rows `from..to`.
            let rows = |image: &RgbImage, from: usize, to: usize| {
                image
                    .rows()
                    .take(to)
                    .skip(from)
                    .flatten()
                    .copied()
                    .collect::<Vec<_>>()
            };
            let below = |image: &RgbImage| rows(image, band, usize::MAX);
            assert_ne!(below(english), below(wordless), "{kind:?}");
            assert_ne!(below(english), below(german), "{kind:?}");
            // The figure itself is the same in every language.
            let above = |image: &RgbImage| rows(image, 0, band);
            assert_eq!(above(english), above(german), "{kind:?}");
        }
    }

    #[test]
    fn every_caption_fits_centred_below_the_figure() {
        for (width, height) in [(96, 96), (96, 300), (300, 96), (128, 128), (512, 512)] {
            let frame = Canvas::new(width, height);
            let band = below_figure_row(frame);
            for language in CaptionLanguage::ALL {
                let picture = draw(PlaceholderKind::NoPhoto, width, height, Some(language));
                let image = rgb(&picture);
                let context = format!("{language:?} at {width}x{height}");
                let (left, top, right, bottom) = caption_ink(image).expect(&context);
                // Not clipped: a margin on every side, and a gap of background above.
                let margin = width / 20;
                assert!(
                    left >= margin && right + margin < width,
                    "{context}: {left}..{right}"
                );
                assert!(bottom + 2 < height, "{context}: bottom {bottom}");
                assert!(top >= band + width.min(height) / 24, "{context}: top {top}");
                // Centred to within a pixel.
                let centre = (left + right + 1) as f32 / 2.0;
                assert!(
                    (centre - width as f32 / 2.0).abs() <= 1.0,
                    "{context}: {centre}"
                );
            }
        }
    }

    #[test]
    fn long_captions_are_set_smaller_to_fit() {
        // "Pas de photo" at the full em would be wider than 86 % of a 96 px canvas.
        let width_of = |language, side| {
            let picture = draw(PlaceholderKind::NoPhoto, side, side, Some(language));
            let (left, _, right, _) = caption_ink(rgb(&picture)).unwrap();
            right + 1 - left
        };
        let french = width_of(CaptionLanguage::French, 96);
        assert!(
            french <= (96.0 * CAPTION_MAX_WIDTH).ceil() as u32 + 1,
            "{french}"
        );
        assert!(width_of(CaptionLanguage::Spanish, 96) < french);
        // A caption that fits keeps its size: it scales with the canvas.
        let spanish_96 = width_of(CaptionLanguage::Spanish, 96);
        let spanish_192 = width_of(CaptionLanguage::Spanish, 192);
        assert!(
            spanish_192.abs_diff(2 * spanish_96) <= 2,
            "{spanish_96} {spanish_192}"
        );
    }

    /// Writes previews to the temporary directory: `cargo test --lib write_previews -- --ignored`.
    #[test]
    #[ignore = "writes preview files to look at"]
    fn write_previews() {
        let dir = std::env::temp_dir();
        let save = |picture: &Picture, name: String| {
            let path = dir.join(name);
            match &picture.frames[0].pixels {
                Pixels::Rgb(image) => image.save(&path).unwrap(),
                Pixels::Rgba(image) => image.save(&path).unwrap(),
                _ => unreachable!(),
            }
        };
        for kind in KINDS {
            for (width, height) in [(128, 128), (64, 48), (400, 400), (48, 96), (32, 32)] {
                let picture = draw(
                    kind,
                    width,
                    height,
                    caption(kind, (width, height), CaptionLanguage::English),
                );
                save(
                    &picture,
                    format!("placeholder-{}-{width}x{height}.png", kind.as_str()),
                );
            }
        }
        for language in CaptionLanguage::ALL {
            for (width, height) in [(96, 96), (128, 128), (256, 256), (96, 200), (300, 120)] {
                let picture = draw(
                    PlaceholderKind::NoPhotoWithBorder,
                    width,
                    height,
                    Some(language),
                );
                save(
                    &picture,
                    format!("caption-{}-{width}x{height}.png", language.as_str()),
                );
            }
        }
    }
}
