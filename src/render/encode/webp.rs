//! WebP through libwebp (the `webp` crate, feature `webp`): lossy with alpha for photos, lossless
//! for drawn placeholders, every frame of an animation with its timing and loop count.

use std::borrow::Cow;

use webp::{AnimEncoder, AnimFrame, Encoder, PixelLayout, WebPConfig};

use super::{first_frame, Content};
use crate::render::picture::{Picture, Pixels, Repeat};
use crate::render::webp_chunks::chunks;
use crate::{Error, Result};

/// The largest side a WebP bitstream can hold (14 bits).
const MAX_SIDE: u32 = 16383;

/// libwebp's effort, 0 (fastest) to 6 (smallest): 4 is its own default and `cwebp`'s, the
/// balance its authors tuned; README "WebP" has what it costs against JPEG.
const METHOD: i32 = 4;

/// Encodes `picture` at `quality` (1–100) for photos, losslessly for artwork. Animations keep
/// every frame; stills have no animation chunks.
pub(super) fn encode(picture: &Picture, quality: u8, content: Content) -> Result<Vec<u8>> {
    let first = first_frame(picture)?;
    let (width, height) = first.pixels.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE {
        return Err(super::failure(format!(
            "WebP sides are at most {MAX_SIDE} pixels, got {width}x{height}"
        )));
    }
    let config = config(quality, content)?;
    if !picture.is_animated() {
        let (samples, layout) = samples(&first.pixels);
        let encoded = Encoder::new(&samples, layout, width, height)
            .encode_advanced(&config)
            .map_err(|error| Error::encode(format!("libwebp: {error:?}")))?;
        return Ok(encoded.to_vec());
    }
    encode_animation(picture, &config)
}

/// The encoder settings. Lossy photos keep their alpha losslessly compressed (libwebp's
/// default); artwork is lossless, where flat colours and sharp edges compress best and exactly.
fn config(quality: u8, content: Content) -> Result<WebPConfig> {
    let mut config =
        WebPConfig::new().map_err(|()| Error::encode("libwebp: cannot initialise its config"))?;
    config.method = METHOD;
    match content {
        Content::Photo => {
            config.lossless = 0;
            config.quality = f32::from(quality.clamp(1, 100));
        }
        Content::Artwork => {
            config.lossless = 1;
            // For lossless, `quality` is effort: libwebp's default.
            config.quality = 75.0;
        }
    }
    Ok(config)
}

/// Every frame, each shown from the sum of the delays before it.
///
/// libwebp learns the last frame's duration from a final empty frame's timestamp, which the
/// `webp` crate sends as 0 (so libwebp refuses it and gives the last frame the average of the
/// others); the true duration is written into the last ANMF chunk afterwards.
fn encode_animation(picture: &Picture, config: &WebPConfig) -> Result<Vec<u8>> {
    let (width, height) = picture.dimensions();
    let frames: Vec<(Cow<'_, [u8]>, PixelLayout, u32)> = picture
        .frames
        .iter()
        .map(|frame| {
            if frame.pixels.dimensions() != (width, height) {
                return Err(super::failure(format!(
                    "every WebP frame must be {width}x{height}, got {:?}",
                    frame.pixels.dimensions()
                )));
            }
            let (samples, layout) = samples(&frame.pixels);
            Ok((samples, layout, frame.delay_ms.min(MAX_DURATION_MS)))
        })
        .collect::<Result<_>>()?;
    let mut encoder = AnimEncoder::new(width, height, config);
    encoder.set_loop_count(match picture.repeat {
        Repeat::Infinite => 0,
        Repeat::Finite(count) => i32::from(count),
    });
    let mut timestamp = 0u32;
    for (samples, layout, delay_ms) in &frames {
        // libwebp's timestamps are i32 milliseconds: an animation longer than about 25 days is
        // an error rather than a wrapped timestamp.
        let start = i32::try_from(timestamp).map_err(|_| failure_too_long())?;
        encoder.add_frame(AnimFrame::new(samples, *layout, width, height, start, None));
        timestamp = timestamp.saturating_add(*delay_ms);
    }
    let mut bytes = encoder
        .try_encode()
        .map_err(|error| Error::encode(format!("libwebp animation: {error:?}")))?
        .to_vec();
    end_animation_at(&mut bytes, timestamp)?;
    Ok(bytes)
}

/// The longest frame duration an ANMF chunk holds (24 bits).
const MAX_DURATION_MS: u32 = (1 << 24) - 1;

fn failure_too_long() -> Error {
    super::failure("the animation is longer than a WebP can say".to_owned())
}

/// Sets the duration of the last ANMF chunk of `bytes` so the animation lasts `total_ms`: the
/// chunks before it keep theirs (frames libwebp merged carry their summed durations). A still
/// (libwebp writes one when every frame is the same) is left alone.
fn end_animation_at(bytes: &mut [u8], total_ms: u32) -> Result<()> {
    let mut elapsed = 0u32;
    let mut last: Option<(usize, u32)> = None;
    for chunk in chunks(bytes).filter(|chunk| chunk.kind == b"ANMF") {
        // Payload: x, y, width − 1, height − 1, duration (24 bits each), then flags.
        let duration = chunk
            .payload
            .get(12..15)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], 0]))
            .ok_or_else(|| super::failure("libwebp wrote a short ANMF chunk".to_owned()))?;
        if let Some((_, previous)) = last {
            elapsed = elapsed.saturating_add(previous);
        }
        last = Some((chunk.offset + 12, duration));
    }
    // Every frame the same: libwebp wrote a still, which has no timing to fix.
    let Some((duration_at, _)) = last else {
        return Ok(());
    };
    let duration = total_ms.saturating_sub(elapsed).min(MAX_DURATION_MS);
    bytes[duration_at..duration_at + 3].copy_from_slice(&duration.to_le_bytes()[..3]);
    Ok(())
}

/// The samples as RGB or RGBA (libwebp has no grey input): grey is widened, colour borrowed.
fn samples(pixels: &Pixels) -> (Cow<'_, [u8]>, PixelLayout) {
    match pixels {
        Pixels::Gray(image) => (
            image.as_raw().iter().flat_map(|&l| [l, l, l]).collect(),
            PixelLayout::Rgb,
        ),
        Pixels::GrayAlpha(image) => (
            image
                .as_raw()
                .chunks_exact(2)
                .flat_map(|la| [la[0], la[0], la[0], la[1]])
                .collect(),
            PixelLayout::Rgba,
        ),
        Pixels::Rgb(image) => (Cow::Borrowed(image.as_raw().as_slice()), PixelLayout::Rgb),
        Pixels::Rgba(image) => (Cow::Borrowed(image.as_raw().as_slice()), PixelLayout::Rgba),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{gradient, KINDS};
    use super::*;
    use crate::render::picture::Frame;
    use image::codecs::webp::WebPDecoder;
    use image::{AnimationDecoder, ImageDecoder, RgbaImage};
    use std::io::Cursor;

    fn rgba(pixels: &Pixels) -> RgbaImage {
        match pixels.clone() {
            Pixels::Gray(image) => image::DynamicImage::ImageLuma8(image).into_rgba8(),
            Pixels::GrayAlpha(image) => image::DynamicImage::ImageLumaA8(image).into_rgba8(),
            Pixels::Rgb(image) => image::DynamicImage::ImageRgb8(image).into_rgba8(),
            Pixels::Rgba(image) => image,
        }
    }

    #[test]
    fn lossy_photos_keep_size_colour_and_alpha() {
        for kind in KINDS {
            let pixels = gradient(kind, 96, 64);
            let bytes = encode(&Picture::still(pixels.clone()), 80, Content::Photo).unwrap();
            assert_eq!(&bytes[..4], b"RIFF");
            assert_eq!(&bytes[8..12], b"WEBP");
            let decoded = image::load_from_memory(&bytes).unwrap().into_rgba8();
            assert_eq!(decoded.dimensions(), (96, 64), "{kind}");
            let expected = rgba(&pixels);
            let (mut colour_error, mut alpha_error, mut opaque) = (0u64, 0u64, 0u64);
            for (got, want) in decoded.pixels().zip(expected.pixels()) {
                alpha_error += u64::from(got.0[3].abs_diff(want.0[3]));
                if want.0[3] == 255 {
                    opaque += 1;
                    colour_error += got.0[..3]
                        .iter()
                        .zip(&want.0[..3])
                        .map(|(a, b)| u64::from(a.abs_diff(*b)))
                        .sum::<u64>();
                }
            }
            // Alpha is compressed losslessly; colour is lossy but close on a smooth gradient.
            assert_eq!(alpha_error, 0, "{kind}: alpha is kept exactly");
            let mean = colour_error as f64 / (opaque as f64 * 3.0);
            assert!(mean < 3.0, "{kind}: mean abs colour error {mean}");
        }
    }

    #[test]
    fn artwork_is_lossless() {
        for kind in KINDS {
            let pixels = gradient(kind, 40, 30);
            let bytes = encode(&Picture::still(pixels.clone()), 80, Content::Artwork).unwrap();
            let decoded = image::load_from_memory(&bytes).unwrap().into_rgba8();
            let expected = rgba(&pixels);
            for (got, want) in decoded.pixels().zip(expected.pixels()) {
                // libwebp may change the colour under fully transparent pixels, nothing else.
                if want.0[3] == 0 {
                    assert_eq!(got.0[3], 0, "{kind}");
                } else {
                    assert_eq!(got, want, "{kind}");
                }
            }
        }
    }

    #[test]
    fn lower_quality_is_smaller() {
        let picture = Picture::still(gradient("rgb", 200, 150));
        let low = encode(&picture, 30, Content::Photo).unwrap().len();
        let high = encode(&picture, 95, Content::Photo).unwrap().len();
        assert!(low < high, "q30 {low} >= q95 {high}");
    }

    #[test]
    fn animations_keep_frames_delays_and_loop_count() {
        let delays = [100u32, 250, 40, 0, 700];
        let frames = delays
            .iter()
            .enumerate()
            .map(|(index, &delay_ms)| {
                let mut image = RgbaImage::from_fn(48, 32, |x, y| {
                    image::Rgba([(index * 50) as u8, (x * 5) as u8, (y * 7) as u8, 255])
                });
                // A transparent band that moves.
                for y in 0..32 {
                    image.put_pixel(index as u32 * 9, y, image::Rgba([0, 0, 0, 0]));
                }
                Frame {
                    pixels: Pixels::Rgba(image),
                    delay_ms,
                }
            })
            .collect();
        let picture = Picture {
            frames,
            repeat: Repeat::Finite(3),
        };
        let bytes = encode(&picture, 80, Content::Photo).unwrap();
        let decoder = WebPDecoder::new(Cursor::new(&bytes)).unwrap();
        assert!(decoder.has_animation());
        assert_eq!(decoder.dimensions(), (48, 32));
        assert!(matches!(
            decoder.loop_count(),
            image::metadata::LoopCount::Finite(count) if count.get() == 3
        ));
        let decoded = decoder.into_frames().collect_frames().unwrap();
        assert_eq!(decoded.len(), delays.len());
        for (index, (frame, delay)) in decoded.iter().zip(delays).enumerate() {
            let (numer, denom) = frame.delay().numer_denom_ms();
            assert_eq!(numer / denom, delay, "frame {index}");
            let buffer = frame.buffer();
            for y in 0..32 {
                for x in 0..48 {
                    let alpha = buffer.get_pixel(x, y).0[3];
                    let expected = if x == index as u32 * 9 { 0 } else { 255 };
                    assert_eq!(alpha, expected, "frame {index} at {x},{y}");
                }
            }
            let red = buffer.get_pixel(20, 10).0[0];
            assert!(
                red.abs_diff((index * 50) as u8) <= 6,
                "frame {index}: red {red}"
            );
        }
    }

    #[test]
    fn identical_frames_merge_and_keep_the_total_time() {
        let (first, second) = (gradient("rgb", 16, 16), gradient("gray", 16, 16));
        let frames = [(&first, 300u32), (&first, 200), (&second, 500)]
            .iter()
            .map(|&(pixels, delay_ms)| Frame {
                pixels: pixels.clone(),
                delay_ms,
            })
            .collect();
        let picture = Picture {
            frames,
            repeat: Repeat::Infinite,
        };
        let bytes = encode(&picture, 80, Content::Photo).unwrap();
        let decoder = WebPDecoder::new(Cursor::new(&bytes)).unwrap();
        assert!(matches!(
            decoder.loop_count(),
            image::metadata::LoopCount::Infinite
        ));
        let delays: Vec<u32> = decoder
            .into_frames()
            .collect_frames()
            .unwrap()
            .iter()
            .map(|frame| {
                let (numer, denom) = frame.delay().numer_denom_ms();
                numer / denom
            })
            .collect();
        assert_eq!(delays, [500, 500]);

        // All frames alike: a still, which decodes to the one picture.
        let same = Picture {
            frames: vec![
                Frame {
                    pixels: first.clone(),
                    delay_ms: 100,
                };
                3
            ],
            repeat: Repeat::Infinite,
        };
        let bytes = encode(&same, 80, Content::Photo).unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (16, 16));
    }

    #[test]
    fn oversize_and_mismatched_frames_are_errors() {
        let wide = Picture::still(Pixels::Gray(image::GrayImage::new(MAX_SIDE + 1, 1)));
        assert_eq!(encode(&wide, 80, Content::Photo).unwrap_err().status(), 500);
        let picture = Picture {
            frames: vec![
                Frame {
                    pixels: gradient("rgb", 8, 8),
                    delay_ms: 10,
                },
                Frame {
                    pixels: gradient("rgb", 9, 8),
                    delay_ms: 10,
                },
            ],
            repeat: Repeat::Infinite,
        };
        assert_eq!(
            encode(&picture, 80, Content::Photo).unwrap_err().status(),
            500
        );
    }
}
