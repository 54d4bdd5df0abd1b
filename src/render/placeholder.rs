//! The crate's own placeholder artwork for persons without a photo (SPEC §6).
//!
//! Everything is drawn in code at the requested size, so any size looks sharp: each shape is a
//! signed distance function in "figure units" (the figure is a unit square centred on the canvas
//! and scaled to its smaller side), and a pixel's coverage of a shape comes from its distance to
//! the edge, which anti-aliases every edge analytically without supersampling.

use image::{Rgb, RgbImage, RgbaImage};

use super::picture::{Picture, Pixels};
use crate::locale::Locale;

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
    /// Whether the artwork has transparency (so PNG wins the negotiation tie, SPEC §4).
    pub fn has_alpha(self) -> bool {
        matches!(self, PlaceholderKind::ClearPixel)
    }

    /// A short stable name, used in ETags.
    pub fn name(self) -> &'static str {
        match self {
            PlaceholderKind::ClearPixel => "clear-pixel",
            PlaceholderKind::NoPhoto => "no-photo",
            PlaceholderKind::NoPhotoWithBorder => "no-photo-border",
            PlaceholderKind::GenericFileIcon => "file-icon",
        }
    }
}

/// Draws `kind` at `width`×`height` (each side at least 1; 0 is drawn as 1).
///
/// The artwork carries no caption, so `locale` does not change it: a tiny bitmap font looks worse
/// than the silhouette alone, and a wordless image needs no translation.
pub(crate) fn draw(kind: PlaceholderKind, width: u32, height: u32, locale: &Locale) -> Picture {
    let _ = locale;
    let (width, height) = (width.max(1), height.max(1));
    let pixels = match kind {
        PlaceholderKind::ClearPixel => Pixels::Rgba(RgbaImage::new(width, height)),
        PlaceholderKind::NoPhoto => Pixels::Rgb(silhouette(width, height)),
        PlaceholderKind::NoPhotoWithBorder => {
            let mut image = silhouette(width, height);
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
const ICON_BACKGROUND: [u8; 3] = [0xEE, 0xF0, 0xF2];
const PAGE: [u8; 3] = [0xFF, 0xFF, 0xFF];
const PAGE_OUTLINE: [u8; 3] = [0xA7, 0xAD, 0xB5];
const FOLD: [u8; 3] = [0xD5, 0xD9, 0xDE];
const TEXT_LINE: [u8; 3] = [0xC4, 0xC9, 0xCF];

/// Maps pixel centres to figure units: the unit square centred on the canvas, scaled to its
/// smaller side.
#[derive(Debug, Clone, Copy)]
struct Frame {
    /// Figure units per pixel.
    unit: f32,
    /// The figure-unit coordinates of pixel (0, 0)'s centre.
    origin: (f32, f32),
}

impl Frame {
    fn new(width: u32, height: u32) -> Self {
        let side = width.min(height) as f32;
        let unit = 1.0 / side;
        Frame {
            unit,
            origin: (
                (0.5 - (width as f32 - side) / 2.0) * unit,
                (0.5 - (height as f32 - side) / 2.0) * unit,
            ),
        }
    }

    fn point(self, x: u32, y: u32) -> (f32, f32) {
        (
            self.origin.0 + x as f32 * self.unit,
            self.origin.1 + y as f32 * self.unit,
        )
    }

    /// How much of a pixel lies inside a shape whose signed distance (in figure units, negative
    /// inside) at the pixel centre is `distance`: a one-pixel linear ramp across the edge.
    fn coverage(self, distance: f32) -> f32 {
        (0.5 - distance / self.unit).clamp(0.0, 1.0)
    }
}

/// Blends `top` over `base` with `coverage` in 0–1.
fn mix(base: [u8; 3], top: [u8; 3], coverage: f32) -> [u8; 3] {
    let mut out = base;
    for (channel, (b, t)) in out.iter_mut().zip(base.iter().zip(top)) {
        let value = f32::from(*b) + (f32::from(t) - f32::from(*b)) * coverage;
        *channel = value.round() as u8;
    }
    out
}

/// Signed distance from `p` to a circle.
fn circle(p: (f32, f32), centre: (f32, f32), radius: f32) -> f32 {
    (p.0 - centre.0).hypot(p.1 - centre.1) - radius
}

/// Signed distance from `p` to an axis-aligned box with rounded corners.
fn rounded_box(p: (f32, f32), centre: (f32, f32), half: (f32, f32), radius: f32) -> f32 {
    let qx = (p.0 - centre.0).abs() - half.0 + radius;
    let qy = (p.1 - centre.1).abs() - half.1 + radius;
    qx.max(0.0).hypot(qy.max(0.0)) + qx.max(qy).min(0.0) - radius
}

/// The "no photo" avatar: a head and rounded shoulders, separated by a thin gap of background,
/// the body running off the bottom edge.
fn silhouette(width: u32, height: u32) -> RgbImage {
    const HEAD_CENTRE: (f32, f32) = (0.5, 0.37);
    const HEAD_RADIUS: f32 = 0.17;
    const GAP: f32 = 0.04;
    const SHOULDERS_TOP: f32 = 0.585;
    const SHOULDERS_HALF_WIDTH: f32 = 0.33;
    const SHOULDERS_RADIUS: f32 = 0.27;

    let frame = Frame::new(width, height);
    // The body is a rounded box tall enough to leave the canvas at the bottom whatever the aspect.
    let canvas_bottom = frame.point(0, height - 1).1 + frame.unit;
    let body_half_height = (canvas_bottom + SHOULDERS_RADIUS - SHOULDERS_TOP) / 2.0 + 0.5;
    let body_centre = (0.5, SHOULDERS_TOP + body_half_height);
    RgbImage::from_fn(width, height, |x, y| {
        let p = frame.point(x, y);
        let head = circle(p, HEAD_CENTRE, HEAD_RADIUS);
        let body = rounded_box(
            p,
            body_centre,
            (SHOULDERS_HALF_WIDTH, body_half_height),
            SHOULDERS_RADIUS,
        );
        // Carve a ring of background around the head out of the shoulders.
        let body = body.max(-(head - GAP));
        let figure = head.min(body);
        Rgb(mix(BACKGROUND, FIGURE, frame.coverage(figure)))
    })
}

/// A crisp border of whole pixels, about 1/64 of the smaller side and at least one pixel.
fn add_border(image: &mut RgbImage) {
    let (width, height) = image.dimensions();
    let thickness = (width.min(height) + 32) / 64;
    let thickness = thickness.max(1);
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        let inside = x >= thickness
            && y >= thickness
            && x < width.saturating_sub(thickness)
            && y < height.saturating_sub(thickness);
        if !inside {
            pixel.0 = BORDER;
        }
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

    let frame = Frame::new(width, height);
    // The fold's diagonal: points with x − y > FOLD_LINE are beyond it (cut off the page).
    let fold_line = RIGHT - FOLD_SIZE - TOP;
    let diagonal = |p: (f32, f32)| (p.0 - p.1 - fold_line) / std::f32::consts::SQRT_2;
    let centre = ((LEFT + RIGHT) / 2.0, (TOP + BOTTOM) / 2.0);
    let half = ((RIGHT - LEFT) / 2.0, (BOTTOM - TOP) / 2.0);
    RgbImage::from_fn(width, height, |x, y| {
        let p = frame.point(x, y);
        let page = rounded_box(p, centre, half, CORNER).max(diagonal(p));
        let mut colour = mix(ICON_BACKGROUND, PAGE_OUTLINE, frame.coverage(page));
        colour = mix(colour, PAGE, frame.coverage(page + OUTLINE));

        // The folded flap: the corner cut off the page, mirrored below the diagonal.
        let fold_triangle = diagonal(p)
            .max((RIGHT - FOLD_SIZE) - p.0)
            .max(p.1 - (TOP + FOLD_SIZE));
        colour = mix(colour, PAGE_OUTLINE, frame.coverage(fold_triangle));
        colour = mix(colour, FOLD, frame.coverage(fold_triangle + OUTLINE));

        for (line_y, line_right) in LINES {
            let half_width = (line_right - LINE_LEFT) / 2.0;
            let line = rounded_box(
                p,
                (LINE_LEFT + half_width, line_y),
                (half_width, LINE_HALF_HEIGHT),
                LINE_HALF_HEIGHT,
            );
            colour = mix(colour, TEXT_LINE, frame.coverage(line));
        }
        Rgb(colour)
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
                let picture = draw(kind, width, height, &Locale::default());
                assert_eq!(picture.frames.len(), 1);
                assert_eq!(picture.dimensions(), (width, height), "{kind:?}");
                assert_eq!(picture.frames[0].pixels.has_alpha(), kind.has_alpha());
            }
        }
    }

    #[test]
    fn zero_sides_are_drawn_as_one_pixel() {
        let picture = draw(PlaceholderKind::NoPhoto, 0, 0, &Locale::default());
        assert_eq!(picture.dimensions(), (1, 1));
    }

    #[test]
    fn clear_pixel_is_fully_transparent() {
        let picture = draw(PlaceholderKind::ClearPixel, 5, 3, &Locale::default());
        let Pixels::Rgba(image) = &picture.frames[0].pixels else {
            panic!("expected RGBA")
        };
        assert!(image.pixels().all(|p| p.0[3] == 0));
    }

    #[test]
    fn no_photo_shows_a_silhouette_on_a_light_background() {
        for (width, height) in [(128, 128), (64, 48), (48, 64), (400, 400), (16, 16)] {
            let picture = draw(PlaceholderKind::NoPhoto, width, height, &Locale::default());
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
            let plain = draw(PlaceholderKind::NoPhoto, width, height, &Locale::default());
            let framed = draw(
                PlaceholderKind::NoPhotoWithBorder,
                width,
                height,
                &Locale::default(),
            );
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
        let picture = draw(
            PlaceholderKind::GenericFileIcon,
            128,
            128,
            &Locale::default(),
        );
        let image = rgb(&picture);
        assert_eq!(image.get_pixel(0, 0).0, ICON_BACKGROUND);
        assert_eq!(image.get_pixel(40, 40).0, PAGE);
        assert!(image.pixels().any(|p| p.0 == TEXT_LINE));
    }

    #[test]
    fn large_sizes_are_drawn() {
        for kind in KINDS {
            let picture = draw(kind, 1024, 768, &Locale::default());
            assert_eq!(picture.dimensions(), (1024, 768));
        }
    }

    /// Writes previews to the temporary directory: `cargo test --lib write_previews -- --ignored`.
    #[test]
    #[ignore = "writes preview files to look at"]
    fn write_previews() {
        let dir = std::env::temp_dir();
        for kind in KINDS {
            for (width, height) in [(128, 128), (64, 48), (400, 400), (48, 96), (32, 32)] {
                let picture = draw(kind, width, height, &Locale::default());
                let path = dir.join(format!("placeholder-{}-{width}x{height}.png", kind.name()));
                match &picture.frames[0].pixels {
                    Pixels::Rgb(image) => image.save(&path).unwrap(),
                    Pixels::Rgba(image) => image.save(&path).unwrap(),
                    _ => unreachable!(),
                }
            }
        }
    }
}
