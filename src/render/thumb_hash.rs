//! ThumbHash: a placeholder of a photo in about 25 bytes (colours, a little detail, the aspect
//! ratio and alpha) that a page paints while the photo loads. Computed from a thumbnail of at most
//! [`MAX_SIDE`] pixels a side, as the algorithm asks, decoded with shrink-on-load like any render.

use std::f64::consts::PI;

use super::crop::Target;
use super::decode::{self, SourceInfo};
use super::geometry;
use super::picture::Pixels;
use crate::limits::Limits;
use crate::Result;

/// The largest side of the thumbnail a hash is computed from: the algorithm's own bound (more
/// pixels only cost time, the hash holds at most 7×7 luminance terms).
pub(crate) const MAX_SIDE: u32 = 100;

/// The size of the thumbnail the hash of a photo of `info`'s size is computed from.
pub(crate) fn thumbnail_size(info: &SourceInfo) -> (u32, u32) {
    geometry::fit((info.width, info.height), Some(MAX_SIDE), Some(MAX_SIDE))
}

/// About the most memory [`of_photo`] holds at once for a photo of `info`.
pub(crate) fn peak_bytes(info: &SourceInfo) -> u64 {
    decode::peak_bytes(info, Target::whole(thumbnail_size(info)), false)
}

/// The ThumbHash of `bytes` (already probed as `info`): the first frame, oriented, in sRGB, at
/// most [`MAX_SIDE`] pixels a side.
pub(crate) fn of_photo(bytes: &[u8], info: &SourceInfo, limits: &Limits) -> Result<Vec<u8>> {
    let picture = decode::decode(bytes, info, thumbnail_size(info), false, limits)?;
    let frame = picture
        .frames
        .into_iter()
        .next()
        .ok_or_else(|| crate::Error::decode("the photo has no frame"))?;
    of_pixels(&frame.pixels)
}

/// The ThumbHash of a thumbnail of at most [`MAX_SIDE`] pixels a side.
fn of_pixels(pixels: &Pixels) -> Result<Vec<u8>> {
    let (width, height) = pixels.dimensions();
    thumb_hash_of_rgba(width, height, &rgba(pixels))
}

/// The ThumbHash of `width`×`height` 8-bit RGBA pixels (not premultiplied, row by row), each
/// side 1 to 100 pixels (the algorithm's bound: shrink larger pictures first).
///
/// ```
/// // A 2×1 picture: one red pixel, one transparent.
/// let hash = person_image::render::thumb_hash_of_rgba(2, 1, &[255, 0, 0, 255, 0, 0, 0, 0])?;
/// assert_eq!(hash[2] & 0x80, 0x80); // the alpha flag
/// assert!(person_image::render::thumb_hash_of_rgba(101, 1, &[0; 404]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn thumb_hash_of_rgba(width: u32, height: u32, rgba: &[u8]) -> Result<Vec<u8>> {
    if !(1..=MAX_SIDE).contains(&width) || !(1..=MAX_SIDE).contains(&height) {
        return Err(crate::Error::invalid(
            "width/height",
            format!("must be 1 to {MAX_SIDE} pixels each for a ThumbHash, got {width}x{height}"),
        ));
    }
    let (width, height) = (width as usize, height as usize);
    if rgba.len() != width * height * 4 {
        return Err(crate::Error::invalid(
            "rgba",
            format!(
                "must hold {} bytes for {width}x{height} RGBA, got {}",
                width * height * 4,
                rgba.len()
            ),
        ));
    }
    Ok(encode(width, height, rgba))
}

/// How many DCT terms a channel keeps: `nx` across, `ny` down, in the triangle
/// `cx * ny < nx * (ny - cy)` (the ThumbHash layout).
fn terms(nx: usize, ny: usize) -> impl Iterator<Item = (usize, usize)> {
    (0..ny).flat_map(move |cy| {
        (0..)
            .take_while(move |cx| cx * ny < nx * (ny - cy))
            .map(move |cx| (cx, cy))
    })
}

/// One channel's DCT: the constant term, the varying terms scaled into 0..=1, and their scale.
fn encode_channel(
    channel: &[f64],
    (width, height): (usize, usize),
    (nx, ny): (usize, usize),
) -> (f64, Vec<f64>, f64) {
    let mut dc = 0.0;
    let mut ac = Vec::new();
    let mut scale: f64 = 0.0;
    let mut fx = vec![0.0; width];
    for (cx, cy) in terms(nx, ny) {
        for (x, f) in fx.iter_mut().enumerate() {
            *f = (PI / width as f64 * cx as f64 * (x as f64 + 0.5)).cos();
        }
        let mut sum = 0.0;
        for (y, row) in channel.chunks_exact(width).enumerate() {
            let fy = (PI / height as f64 * cy as f64 * (y as f64 + 0.5)).cos();
            for (value, fx) in row.iter().zip(&fx) {
                sum += value * fx * fy;
            }
        }
        sum /= (width * height) as f64;
        if cx > 0 || cy > 0 {
            ac.push(sum);
            scale = scale.max(sum.abs());
        } else {
            dc = sum;
        }
    }
    if scale > 0.0 {
        for term in &mut ac {
            *term = 0.5 + 0.5 / scale * *term;
        }
    }
    (dc, ac, scale)
}

/// The ThumbHash of `width`×`height` RGBA pixels (not premultiplied), as the algorithm's
/// description and reference encoder define it, in double precision: the average colour, then
/// the image composited over it in L (luminance), P (yellow–blue), Q (red–green) and A (alpha)
/// channels, each reduced to a few DCT terms, quantised and packed: a 24-bit and a 16-bit header,
/// an alpha byte when there is alpha, then one 4-bit nibble per varying term.
///
/// `width` and `height` are 1 to [`MAX_SIDE`] and `rgba` holds `width * height * 4` bytes (the
/// caller's thumbnail guarantees it).
fn encode(width: usize, height: usize, rgba: &[u8]) -> Vec<u8> {
    let pixels = || rgba.chunks_exact(4);
    let count = (width * height) as f64;
    let (mut average_r, mut average_g, mut average_b, mut average_a) = (0.0, 0.0, 0.0, 0.0);
    for pixel in pixels() {
        let alpha = f64::from(pixel[3]) / 255.0;
        average_r += alpha / 255.0 * f64::from(pixel[0]);
        average_g += alpha / 255.0 * f64::from(pixel[1]);
        average_b += alpha / 255.0 * f64::from(pixel[2]);
        average_a += alpha;
    }
    if average_a > 0.0 {
        average_r /= average_a;
        average_g /= average_a;
        average_b /= average_a;
    }
    let has_alpha = average_a < count;
    // Fewer luminance terms when the alpha channel needs the room.
    let limit = if has_alpha { 5.0 } else { 7.0 };
    let longest = width.max(height) as f64;
    let lx = ((limit * width as f64 / longest).round() as usize).max(1);
    let ly = ((limit * height as f64 / longest).round() as usize).max(1);

    let capacity = width * height;
    let (mut l, mut p, mut q, mut a) = (
        Vec::with_capacity(capacity),
        Vec::with_capacity(capacity),
        Vec::with_capacity(capacity),
        Vec::with_capacity(capacity),
    );
    for pixel in pixels() {
        let alpha = f64::from(pixel[3]) / 255.0;
        let r = average_r * (1.0 - alpha) + alpha / 255.0 * f64::from(pixel[0]);
        let g = average_g * (1.0 - alpha) + alpha / 255.0 * f64::from(pixel[1]);
        let b = average_b * (1.0 - alpha) + alpha / 255.0 * f64::from(pixel[2]);
        l.push((r + g + b) / 3.0);
        p.push((r + g) / 2.0 - b);
        q.push(r - g);
        a.push(alpha);
    }
    let size = (width, height);
    let (l_dc, l_ac, l_scale) = encode_channel(&l, size, (lx.max(3), ly.max(3)));
    let (p_dc, p_ac, p_scale) = encode_channel(&p, size, (3, 3));
    let (q_dc, q_ac, q_scale) = encode_channel(&q, size, (3, 3));
    let alpha = has_alpha.then(|| encode_channel(&a, size, (5, 5)));

    // JavaScript's Math.round, which the reference encoder uses: halves round up.
    let round = |value: f64| (value + 0.5).floor() as u32;
    let landscape = width > height;
    let header24 = round(63.0 * l_dc)
        | round(31.5 + 31.5 * p_dc) << 6
        | round(31.5 + 31.5 * q_dc) << 12
        | round(31.0 * l_scale) << 18
        | u32::from(has_alpha) << 23;
    let header16 = (if landscape { ly } else { lx }) as u32
        | round(63.0 * p_scale) << 3
        | round(63.0 * q_scale) << 9
        | u32::from(landscape) << 15;
    let mut hash = vec![
        header24 as u8,
        (header24 >> 8) as u8,
        (header24 >> 16) as u8,
        header16 as u8,
        (header16 >> 8) as u8,
    ];
    let mut nibbles: Vec<&[f64]> = vec![&l_ac, &p_ac, &q_ac];
    if let Some((a_dc, a_ac, a_scale)) = &alpha {
        hash.push((round(15.0 * a_dc) | round(15.0 * a_scale) << 4) as u8);
        nibbles.push(a_ac);
    }
    for (index, term) in nibbles.into_iter().flatten().enumerate() {
        let nibble = (round(15.0 * term) & 15) as u8;
        if index % 2 == 0 {
            hash.push(nibble);
        } else if let Some(last) = hash.last_mut() {
            *last |= nibble << 4;
        }
    }
    hash
}

/// 8-bit RGBA, as the algorithm reads it.
fn rgba(pixels: &Pixels) -> Vec<u8> {
    match pixels {
        Pixels::Rgba(image) => image.as_raw().clone(),
        Pixels::Rgb(image) => image
            .pixels()
            .flat_map(|pixel| [pixel[0], pixel[1], pixel[2], 255])
            .collect(),
        Pixels::Gray(image) => image
            .pixels()
            .flat_map(|pixel| [pixel[0], pixel[0], pixel[0], 255])
            .collect(),
        Pixels::GrayAlpha(image) => image
            .pixels()
            .flat_map(|pixel| [pixel[0], pixel[0], pixel[0], pixel[1]])
            .collect(),
    }
}

/// The [ThumbHash](https://evanw.github.io/thumbhash/) of a photo as stored (the first frame,
/// EXIF orientation applied, in sRGB): about 25 bytes that decode to a blurred placeholder with
/// the photo's colours, aspect ratio and transparency. The header is checked against `limits`
/// before anything is decoded.
///
/// ```
/// use person_image::Limits;
/// let photo = std::fs::read("fixtures/persons/1.jpg")?;
/// let hash = person_image::render::thumb_hash(&photo, &Limits::default())?;
/// assert!(hash.len() <= 40);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn thumb_hash(bytes: &[u8], limits: &Limits) -> Result<Vec<u8>> {
    let info = decode::probe(bytes, limits)?;
    of_photo(bytes, &info, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_fill_the_triangle() {
        assert_eq!(terms(7, 7).count(), 28);
        assert_eq!(terms(5, 5).count(), 15);
        assert_eq!(terms(3, 3).count(), 6);
        assert_eq!(terms(5, 7).count(), 23);
    }

    #[test]
    fn every_shape_fits_in_25_bytes_with_its_flags() {
        for (width, height) in [(1, 1), (100, 100), (67, 100), (100, 67), (100, 1), (1, 100)] {
            for alpha in [255u8, 100] {
                let rgba: Vec<u8> = (0..width * height)
                    .flat_map(|index| [(index * 7 % 256) as u8, 90, 200, alpha])
                    .collect();
                let hash = thumb_hash_of_rgba(width, height, &rgba).unwrap();
                assert!(hash.len() <= 25, "{width}x{height}: {} bytes", hash.len());
                assert_eq!(hash[2] & 0x80 != 0, alpha < 255, "{width}x{height}");
                assert_eq!(hash[4] & 0x80 != 0, width > height, "{width}x{height}");
            }
        }
        // An opaque square: 27 + 5 + 5 varying terms, a nibble each, after the 5 header bytes.
        let hash = thumb_hash_of_rgba(2, 2, &[9, 9, 9, 255].repeat(4)).unwrap();
        assert_eq!(hash.len(), 5 + 37_usize.div_ceil(2));
    }

    #[test]
    fn sizes_outside_the_algorithms_bounds_are_refused() {
        assert!(thumb_hash_of_rgba(0, 1, &[]).is_err());
        assert!(thumb_hash_of_rgba(101, 1, &[0; 404]).is_err());
        assert!(thumb_hash_of_rgba(2, 2, &[0; 15]).is_err());
    }
}
