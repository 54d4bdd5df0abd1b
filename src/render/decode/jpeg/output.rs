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

/// How the component planes become output rows: the output size, the colour, and each
/// component's upsampler. The whole-picture decode and the streaming one ([`rows`](super::rows))
/// share it, so both make the same pixels.
pub(super) struct Converter {
    /// Output width at the reduced size.
    pub(super) width: usize,
    /// Output height at the reduced size.
    pub(super) height: usize,
    /// What the output samples are.
    pub(super) kind: ColourKind,
    /// Samples per output pixel.
    pub(super) channels: usize,
    /// Whether the components are YCbCr (YCCK for four), to convert.
    transform: bool,
    /// Whether CMYK samples store 255 − ink (an Adobe segment).
    inverted: bool,
    /// Each component's upsampler.
    pub(super) upsamplers: Vec<upsample::Upsampler>,
}

impl Converter {
    /// The conversion of `frame`'s components at the reduced size of `geometry`.
    pub(super) fn new(
        frame: &Frame,
        components: &[Component],
        geometry: &Geometry,
        tables: &Tables,
    ) -> Converter {
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
        // Colour transform: JFIF means YCbCr; Adobe's flag decides; else component ids "RGB"
        // mean RGB.
        let transform = if count == 4 {
            tables.adobe_transform == Some(2)
        } else if tables.jfif {
            count == 3
        } else if let Some(flag) = tables.adobe_transform {
            flag != 0
        } else {
            count == 3 && ids != [b'R', b'G', b'B']
        };
        let upsamplers = components
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
                // libjpeg's rules: the triangle filter at scales above 1/8 only, and a plane
                // doubled horizontally filters only when it is more than two samples wide (a 3×3
                // or 4×4 picture in 4:2:0 replicates its chroma). DC-only chroma, which libjpeg
                // never makes, is closer to a full decode with the triangle filter.
                let fancy = if geometry.dc_only {
                    rx <= 2 && ry <= 2
                } else {
                    n > 1 && rx <= 2 && ry <= 2 && (rx == 1 || width > 2)
                };
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
        Converter {
            width,
            height,
            kind,
            channels,
            transform,
            inverted: tables.adobe_transform.is_some(),
            upsamplers,
        }
    }

    /// Sizes `rows` (one upsampled row per component) and `sums` (the filter's vertical pass)
    /// for [`Converter::row`].
    pub(super) fn size_scratch(
        &self,
        components: &[Component],
        rows: &mut Vec<u8>,
        sums: &mut Vec<u16>,
    ) {
        reuse(rows, self.width * components.len(), 0);
        let max_width = components.iter().map(|c| c.stride).max().unwrap_or(1);
        reuse(sums, max_width, 0);
    }

    /// Writes output row `y` into `out` from `planes`, each holding its component's rows from
    /// `tops[c]` down (at least those the row reads).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn row(
        &self,
        components: &[Component],
        planes: &[Vec<u8>],
        tops: &[usize],
        y: usize,
        out: &mut [u8],
        rows: &mut [u8],
        sums: &mut [u16],
    ) {
        let width = self.width;
        for (c, row) in rows.chunks_exact_mut(width).enumerate() {
            let component = &components[c];
            self.upsamplers[c].row(&planes[c], tops[c], component.stride, y, row, sums);
        }
        match self.kind {
            ColourKind::Gray => out.copy_from_slice(&rows[..width]),
            ColourKind::Rgb => {
                let (a, rest) = rows.split_at(width);
                let (b, c) = rest.split_at(width);
                if self.transform {
                    upsample::ycc_to_rgb(a, b, c, out);
                } else {
                    upsample::interleave3(a, b, c, out);
                }
            }
            ColourKind::Cmyk => {
                let mut parts = rows.chunks_exact(width);
                let mut next = || parts.next().unwrap_or(&[]);
                let planes = [next(), next(), next(), next()];
                upsample::to_cmyk(planes, self.inverted, self.transform, out);
            }
        }
    }
}

/// Upsamples and converts the planes into the output image.
pub(super) fn output(
    frame: &Frame,
    components: &[Component],
    geometry: &Geometry,
    tables: &Tables,
    scratch: &mut Scratch,
) -> Decoded {
    let converter = Converter::new(frame, components, geometry, tables);
    let (width, height, channels) = (converter.width, converter.height, converter.channels);
    let mut data = vec![0u8; width * height * channels];
    let Scratch {
        planes, rows, sums, ..
    } = scratch;
    converter.size_scratch(components, rows, sums);
    let tops = [0; 4];
    for (y, out) in data.chunks_exact_mut(width * channels).enumerate() {
        converter.row(components, planes, &tops, y, out, rows, sums);
    }
    Decoded {
        width,
        height,
        kind: converter.kind,
        data,
        icc: tables.icc_profile(),
    }
}
