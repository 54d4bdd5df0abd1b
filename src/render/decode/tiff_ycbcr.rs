//! Chroma-subsampled YCbCr TIFF strips that are not JPEG-compressed (TIFF 6.0 §21), which the
//! `tiff` crate does not unpack. A strip is a sequence of data units, each `h·v` luma samples (v
//! rows of h, top to bottom) followed by one Cb and one Cr for those pixels; a row of units
//! covers `v` rows of pixels, and the units at the right and bottom edges are padded to whole
//! units. The strip's bytes come from [`RawStrips`]; each pixel takes the chroma of its own unit
//! (replication, whatever `YCbCrPositioning` says, as libtiff's RGBA reader does), and is
//! converted to RGB with the file's coefficients and reference range ([`YCbCr`]).

use ::tiff::decoder::{ChunkType, Decoder};
use ::tiff::tags::Tag;

use super::tiff::YCbCr;
use super::tiff_raw::RawStrips;
use crate::{Error, Result};

/// The subsampling factors TIFF 6.0 allows.
const FACTORS: [u32; 3] = [1, 2, 4];

/// `ChromaSubsampling` (`YCbCrSubsampling`) of the current image: horizontal and vertical
/// factors, (2, 2) when the tag is missing (TIFF 6.0's default).
pub(super) fn factors<R: std::io::Read + std::io::Seek>(decoder: &mut Decoder<R>) -> (u32, u32) {
    match decoder
        .find_tag_unsigned_vec::<u32>(Tag::ChromaSubsampling)
        .ok()
        .flatten()
        .as_deref()
    {
        Some(&[h, v]) => (h, v),
        Some(_) => (0, 0),
        None => (2, 2),
    }
}

/// Whether the current image is YCbCr with subsampled chroma, i.e. needs [`SubsampledStrips`]
/// unless its compression (JPEG) upsamples.
pub(super) fn subsampled<R: std::io::Read + std::io::Seek>(decoder: &mut Decoder<R>) -> bool {
    factors(decoder) != (1, 1)
}

/// The strips of a subsampled 8-bit YCbCr image, read as RGB rows.
#[derive(Debug)]
pub(super) struct SubsampledStrips<'a> {
    strips: RawStrips<'a>,
    convert: YCbCr,
    width: u32,
    height: u32,
    rows_per_strip: u32,
    /// Horizontal and vertical subsampling factors.
    h: u32,
    v: u32,
}

impl<'a> SubsampledStrips<'a> {
    /// The strips of the current image of `decoder`, which reads `file` (8-bit YCbCr, checked by
    /// the caller); unsupported for tiles, planar data, a predictor, factors other than 1, 2 or
    /// 4, or strips that do not hold whole rows of data units.
    pub(super) fn new<R: std::io::Read + std::io::Seek>(
        decoder: &mut Decoder<R>,
        file: &'a [u8],
    ) -> Result<SubsampledStrips<'a>> {
        let unsupported = |what: &str| Error::UnsupportedFormat {
            reason: format!("TIFF subsampled YCbCr {what}"),
        };
        let (h, v) = factors(decoder);
        if !FACTORS.contains(&h) || !FACTORS.contains(&v) {
            return Err(unsupported(&format!("with subsampling {h}x{v}")));
        }
        if decoder.get_chunk_type() != ChunkType::Strip {
            return Err(unsupported("in tiles"));
        }
        let tag = |decoder: &mut Decoder<R>, tag: Tag| {
            decoder.find_tag_unsigned::<u32>(tag).ok().flatten()
        };
        if tag(decoder, Tag::PlanarConfiguration).is_some_and(|planar| planar != 1) {
            return Err(unsupported("in planes"));
        }
        if tag(decoder, Tag::Predictor).is_some_and(|predictor| predictor != 1) {
            return Err(unsupported("with a predictor"));
        }
        let (width, height) = decoder.dimensions().map_err(super::tiff::tiff_error)?;
        let rows_per_strip = tag(decoder, Tag::RowsPerStrip)
            .unwrap_or(height)
            .clamp(1, height.max(1));
        if rows_per_strip < height && !rows_per_strip.is_multiple_of(v) {
            return Err(Error::decode(
                "TIFF RowsPerStrip is not a multiple of the vertical chroma subsampling",
            ));
        }
        let convert = YCbCr::from_tags(decoder)?;
        let strips = RawStrips::new(decoder, file)?;
        if strips.count() < height.div_ceil(rows_per_strip) as usize {
            return Err(Error::decode("a TIFF has fewer strips than its rows need"));
        }
        Ok(SubsampledStrips {
            strips,
            convert,
            width,
            height,
            rows_per_strip,
            h,
            v,
        })
    }

    /// How many strips the picture has.
    pub(super) fn count(&self) -> u32 {
        self.height.div_ceil(self.rows_per_strip)
    }

    /// Appends the RGB rows of strip `index` to `rgb`, using `units` as scratch for its data
    /// units.
    pub(super) fn read(&self, index: u32, units: &mut Vec<u8>, rgb: &mut Vec<u8>) -> Result<()> {
        let first_row = index * self.rows_per_strip;
        let rows = self
            .rows_per_strip
            .min(self.height.saturating_sub(first_row)) as usize;
        let (h, v) = (self.h as usize, self.v as usize);
        let width = self.width as usize;
        let unit_len = h * v + 2;
        let unit_row_len = width.div_ceil(h) * unit_len;
        let unit_rows = rows.div_ceil(v);
        units.clear();
        self.strips
            .read(index as usize, units, unit_rows * unit_row_len)?;
        let start = rgb.len();
        rgb.resize(start + rows * width * 3, 0);
        let out = &mut rgb[start..];
        for (unit_row, data) in units.chunks_exact(unit_row_len).enumerate() {
            for dy in 0..v {
                let y = unit_row * v + dy;
                if y >= rows {
                    break;
                }
                let row = &mut out[y * width * 3..(y + 1) * width * 3];
                for (pixels, unit) in row.chunks_mut(h * 3).zip(data.chunks_exact(unit_len)) {
                    let (cb, cr) = (unit[h * v], unit[h * v + 1]);
                    let luma = &unit[dy * h..(dy + 1) * h];
                    for (pixel, &y) in pixels.chunks_exact_mut(3).zip(luma) {
                        pixel.copy_from_slice(&self.convert.rgb([y, cb, cr]));
                    }
                }
            }
        }
        Ok(())
    }
}
