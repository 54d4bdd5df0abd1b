//! GIF through `image`'s encoder: NeuQuant palettes of at most 256 colours, binary transparency,
//! every frame of an animation with its delay and the loop count.

use image::codecs::gif::{GifEncoder, Repeat as GifRepeat};
use image::{Delay, Frame as GifFrame, RgbaImage};

use super::{check_u16_size, first_frame};
use crate::render::picture::{Picture, Pixels, Repeat};
use crate::{Error, Result};

/// Alpha at or above this is opaque, below it transparent: GIF has one transparent palette entry
/// and nothing in between.
const OPAQUE_FROM: u8 = 128;

/// Encodes every frame of `picture`. `speed` is NeuQuant's sampling factor, 1 (best) to 30
/// (fastest); values outside are clamped.
pub(super) fn encode(picture: &Picture, speed: u8) -> Result<Vec<u8>> {
    check_u16_size(&first_frame(picture)?.pixels, "GIF")?;
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, i32::from(speed.clamp(1, 30)));
        if picture.is_animated() {
            let repeat = match picture.repeat {
                Repeat::Infinite => GifRepeat::Infinite,
                Repeat::Finite(count) => GifRepeat::Finite(count),
            };
            encoder.set_repeat(repeat).map_err(Error::encode)?;
        }
        let size = picture.dimensions();
        for frame in &picture.frames {
            if frame.pixels.dimensions() != size {
                return Err(super::failure(format!(
                    "every GIF frame must be {}x{}, got {:?}",
                    size.0,
                    size.1,
                    frame.pixels.dimensions()
                )));
            }
            let delay = Delay::from_numer_denom_ms(centiseconds_in_ms(frame.delay_ms), 1);
            encoder
                .encode_frame(GifFrame::from_parts(
                    binary_alpha(&frame.pixels),
                    0,
                    0,
                    delay,
                ))
                .map_err(Error::encode)?;
        }
    }
    Ok(out)
}

/// GIF counts delays in hundredths of a second: round to the nearest instead of truncating.
fn centiseconds_in_ms(delay_ms: u32) -> u32 {
    delay_ms.saturating_add(5) / 10 * 10
}

/// The frame as RGBA with alpha either 0 or 255. Transparent pixels all get the same colour so
/// they share one palette entry.
fn binary_alpha(pixels: &Pixels) -> RgbaImage {
    let (width, height) = pixels.dimensions();
    let opaque = |alpha: u8| if alpha >= OPAQUE_FROM { 255 } else { 0 };
    let mut rgba = match pixels {
        Pixels::Gray(image) => image::DynamicImage::ImageLuma8(image.clone()).into_rgba8(),
        Pixels::GrayAlpha(image) => {
            let mut rgba = RgbaImage::new(width, height);
            for (out, la) in rgba.pixels_mut().zip(image.pixels()) {
                let [luma, alpha] = la.0;
                out.0 = [luma, luma, luma, opaque(alpha)];
            }
            rgba
        }
        Pixels::Rgb(image) => image::DynamicImage::ImageRgb8(image.clone()).into_rgba8(),
        Pixels::Rgba(image) => {
            let mut rgba = image.clone();
            for pixel in rgba.pixels_mut() {
                pixel.0[3] = opaque(pixel.0[3]);
            }
            rgba
        }
    };
    for pixel in rgba.pixels_mut() {
        if pixel.0[3] == 0 {
            pixel.0 = [0, 0, 0, 0];
        }
    }
    rgba
}

#[cfg(test)]
mod tests {
    use super::super::tests::{gradient, KINDS};
    use super::*;
    use crate::render::picture::Frame;
    use image::codecs::gif::GifDecoder;
    use image::AnimationDecoder;
    use std::io::Cursor;

    fn decode_frames(bytes: &[u8]) -> Vec<image::Frame> {
        GifDecoder::new(Cursor::new(bytes))
            .unwrap()
            .into_frames()
            .collect_frames()
            .unwrap()
    }

    #[test]
    fn still_pictures_round_trip_with_binary_alpha() {
        for kind in KINDS {
            let pixels = gradient(kind, 160, 120);
            let bytes = encode(&Picture::still(pixels.clone()), 10).unwrap();
            let frames = decode_frames(&bytes);
            assert_eq!(frames.len(), 1, "{kind}");
            let decoded = frames[0].buffer();
            assert_eq!(decoded.dimensions(), (160, 120));
            let expected = binary_alpha(&pixels);
            let mut diff = 0u64;
            for (got, want) in decoded.pixels().zip(expected.pixels()) {
                assert_eq!(got.0[3], want.0[3], "{kind}: alpha is binary and kept");
                if want.0[3] == 255 {
                    diff += got.0[..3]
                        .iter()
                        .zip(&want.0[..3])
                        .map(|(a, b)| u64::from(a.abs_diff(*b)))
                        .sum::<u64>();
                }
            }
            // NeuQuant without dithering on a gradient spanning the whole colour cube: ~5.6.
            let mean = diff as f64 / (160.0 * 120.0 * 3.0);
            assert!(mean < 8.0, "{kind}: mean abs diff {mean}");
        }
    }

    #[test]
    fn a_single_transparent_pixel_in_a_photo_stays_the_only_one() {
        let Pixels::Rgba(mut image) = gradient("rgba", 120, 90) else {
            unreachable!()
        };
        for pixel in image.pixels_mut() {
            pixel.0[3] = 255;
        }
        image.put_pixel(7, 5, image::Rgba([10, 200, 30, 0]));
        let bytes = encode(&Picture::still(Pixels::Rgba(image)), 10).unwrap();
        let frames = decode_frames(&bytes);
        let decoded = frames[0].buffer();
        let transparent: Vec<_> = decoded
            .enumerate_pixels()
            .filter(|(_, _, p)| p.0[3] == 0)
            .map(|(x, y, _)| (x, y))
            .collect();
        assert_eq!(transparent, vec![(7, 5)]);
    }

    #[test]
    fn animations_keep_frames_delays_loop_count_and_transparency() {
        let frames = (0..3u8)
            .map(|index| {
                let mut image = RgbaImage::from_fn(30, 20, |x, y| {
                    image::Rgba([index * 80, (x * 8) as u8, (y * 12) as u8, 255])
                });
                // A transparent band that moves, and a half-transparent pixel that rounds up.
                for y in 0..20 {
                    image.put_pixel(u32::from(index) * 10, y, image::Rgba([0, 0, 0, 0]));
                }
                image.put_pixel(29, 19, image::Rgba([255, 0, 0, 140]));
                Frame {
                    pixels: Pixels::Rgba(image),
                    delay_ms: 100 * (u32::from(index) + 1),
                }
            })
            .collect();
        let picture = Picture {
            frames,
            repeat: Repeat::Finite(3),
        };
        let bytes = encode(&picture, 10).unwrap();
        let decoded = decode_frames(&bytes);
        assert_eq!(decoded.len(), 3);
        for (index, frame) in decoded.iter().enumerate() {
            let (numer, denom) = frame.delay().numer_denom_ms();
            assert_eq!(numer / denom, 100 * (index as u32 + 1), "frame {index}");
            let buffer = frame.buffer();
            assert_eq!(buffer.dimensions(), (30, 20));
            for y in 0..20 {
                for x in 0..30 {
                    let alpha = buffer.get_pixel(x, y).0[3];
                    let expected = if x == index as u32 * 10 { 0 } else { 255 };
                    assert_eq!(alpha, expected, "frame {index} at {x},{y}");
                }
            }
        }
        // The NETSCAPE2.0 application extension carries the loop count (little-endian).
        let netscape = bytes
            .windows(11)
            .position(|w| w == b"NETSCAPE2.0")
            .expect("loop extension");
        assert_eq!(&bytes[netscape + 11..netscape + 15], [3, 1, 3, 0]);
    }

    #[test]
    fn stills_have_no_loop_extension_and_oversize_is_an_error() {
        let bytes = encode(&Picture::still(gradient("gray", 8, 8)), 30).unwrap();
        assert!(!bytes.windows(11).any(|w| w == b"NETSCAPE2.0"));
        let huge = Picture::still(Pixels::Gray(image::GrayImage::new(1, 70_000)));
        assert_eq!(encode(&huge, 10).unwrap_err().status(), 500);
    }

    #[test]
    fn speed_out_of_range_is_clamped_not_a_panic() {
        let picture = Picture::still(gradient("rgb", 16, 16));
        assert!(encode(&picture, 0).is_ok());
        assert!(encode(&picture, 255).is_ok());
    }

    #[test]
    fn delays_round_to_centiseconds() {
        assert_eq!(centiseconds_in_ms(0), 0);
        assert_eq!(centiseconds_in_ms(14), 10);
        assert_eq!(centiseconds_in_ms(15), 20);
        assert_eq!(centiseconds_in_ms(u32::MAX), u32::MAX / 10 * 10);
    }
}
