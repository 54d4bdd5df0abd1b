//! The last stage: the component planes upsampled, colour-converted and interleaved into the
//! output image.

use super::headers::{Frame, Tables};
use super::layout::{Component, Geometry};
use super::scratch::{reuse, Scratch};
use super::upsample;

/// What the pixels of a [`Decoded`] are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColourKind {
    /// One grey channel.
    Gray,
    /// Three channels, RGB.
    Rgb,
    /// CMYK ink, 0 = no ink.
    Cmyk,
}

/// A decoded image at the reduced size, before any ICC conversion.
pub(crate) struct Decoded {
    /// Width at the reduced size.
    pub(crate) width: usize,
    /// Height at the reduced size.
    pub(crate) height: usize,
    /// What the samples are.
    pub(crate) kind: ColourKind,
    /// `width × height × channels` samples.
    pub(crate) data: Vec<u8>,
    /// The APP2 ICC profile, when complete.
    pub(crate) icc: Option<Vec<u8>>,
}

/// Upsamples and converts the planes into the output image.
pub(super) fn output(
    frame: &Frame,
    components: &[Component],
    geometry: &Geometry,
    tables: &Tables,
    scratch: &mut Scratch,
) -> Decoded {
    let n = geometry.n;
    let width = (frame.width * n).div_ceil(8);
    let height = (frame.height * n).div_ceil(8);
    let count = components.len();
    let ids: Vec<u8> = frame.components.iter().map(|c| c.id).collect();
    let kind = match count {
        1 => ColourKind::Gray,
        3 => ColourKind::Rgb,
        _ => ColourKind::Cmyk,
    };
    // Colour transform: JFIF means YCbCr; Adobe's flag decides; else component ids "RGB" mean RGB.
    let transform = if count == 4 {
        tables.adobe_transform == Some(2)
    } else if tables.jfif {
        count == 3
    } else if let Some(flag) = tables.adobe_transform {
        flag != 0
    } else {
        count == 3 && ids != [b'R', b'G', b'B']
    };
    let upsamplers: Vec<upsample::Upsampler> = components
        .iter()
        .map(|c| {
            let rx = (geometry.hmax * n) / (c.h * c.n);
            let ry = (geometry.vmax * n) / (c.v * c.n);
            let width = ((frame.width * c.h).div_ceil(geometry.hmax) * c.n)
                .div_ceil(8)
                .clamp(1, c.stride);
            let height = ((frame.height * c.v).div_ceil(geometry.vmax) * c.n)
                .div_ceil(8)
                .clamp(1, c.bh * c.n);
            // libjpeg's rules: the triangle filter at scales above 1/8 only, and a plane doubled
            // horizontally filters only when it is more than two samples wide (a 3×3 or 4×4
            // picture in 4:2:0 replicates its chroma).
            let fancy = n > 1 && rx <= 2 && ry <= 2 && (rx == 1 || width > 2);
            upsample::Upsampler {
                rx: rx.max(1),
                ry: ry.max(1),
                fancy,
                width,
                height,
            }
        })
        .collect();
    let channels = match kind {
        ColourKind::Gray => 1,
        ColourKind::Rgb => 3,
        ColourKind::Cmyk => 4,
    };
    let mut data = vec![0u8; width * height * channels];
    reuse(&mut scratch.rows, width * count, 0);
    let max_width = components.iter().map(|c| c.stride).max().unwrap_or(1);
    reuse(&mut scratch.sums, max_width, 0);
    let Scratch {
        planes, rows, sums, ..
    } = scratch;
    for (y, out) in data.chunks_exact_mut(width * channels).enumerate() {
        for (c, row) in rows.chunks_exact_mut(width).enumerate() {
            let component = &components[c];
            upsamplers[c].row(&planes[c], component.stride, y, row, sums);
        }
        match kind {
            ColourKind::Gray => out.copy_from_slice(&rows[..width]),
            ColourKind::Rgb => {
                let (a, rest) = rows.split_at(width);
                let (b, c) = rest.split_at(width);
                if transform {
                    upsample::ycc_to_rgb(a, b, c, out);
                } else {
                    upsample::interleave3(a, b, c, out);
                }
            }
            ColourKind::Cmyk => {
                let mut parts = rows.chunks_exact(width);
                let mut next = || parts.next().unwrap_or(&[]);
                let planes = [next(), next(), next(), next()];
                upsample::to_cmyk(planes, tables.adobe_transform.is_some(), transform, out);
            }
        }
    }
    Decoded {
        width,
        height,
        kind,
        data,
        icc: tables.icc_profile(),
    }
}
