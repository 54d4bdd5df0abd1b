//! BMP, read by our own reader: the file and DIB headers (OS/2 core, `BITMAPINFOHEADER` and its
//! V2–V5 successors), 1/2/4/8-bit palettes, 16 and 32-bit pixels with bit fields (5-5-5 by
//! default, 5-6-5, any masks, alpha), 24-bit BGR, RLE4 and RLE8, bottom-up and top-down rows. A
//! V5 header's colour space or embedded profile is not applied: the reference readers
//! (ImageMagick, libvips) show the samples as sRGB, and so does `image`, which read BMPs before.
//!
//! Uncompressed BMPs stream: the source is a byte slice, so each displayed row is read at its
//! offset (bottom-up files from the end), converted to RGB(A) into a band and resampled as the
//! bands arrive ([`Bands`]); a render holds a band, the filter's window, a source-width ×
//! target-height intermediate and the output. RLE data can only be decoded from its start (rows
//! have no offsets, deltas skip them, and bottom-up files start with the last displayed row), so
//! an RLE bitmap is first decoded into a plane of palette indices (one byte a pixel, a third of
//! the RGB picture), then streamed from it.
//!
//! Lenient where the reference readers (ImageMagick, libvips) are: a planes field other than 1,
//! a palette size beyond the bit depth (clamped), RLE runs past the row end (on into the next
//! row), RLE data that ends early or without its end-of-bitmap mark, top-down RLE, and palette
//! indices past the palette (drawn with its first colour). Every size and offset is checked
//! against the file and the limits before anything is allocated.

use image::metadata::Orientation;

use super::check_area;
use crate::limits::Limits;
use crate::render::picture::Picture;
use crate::render::resize::{self, Bands};
use crate::{Error, Result};

/// `BI_RGB`: uncompressed.
const BI_RGB: u32 = 0;
/// `BI_RLE8`: run-length encoded 8-bit indices.
const BI_RLE8: u32 = 1;
/// `BI_RLE4`: run-length encoded 4-bit indices.
const BI_RLE4: u32 = 2;
/// `BI_BITFIELDS`: 16 or 32-bit pixels with red, green and blue masks (and alpha in V3+).
const BI_BITFIELDS: u32 = 3;
/// `BI_ALPHABITFIELDS`: bit fields with an alpha mask after a `BITMAPINFOHEADER`.
const BI_ALPHABITFIELDS: u32 = 6;
/// Sizes of the DIB headers with a meaning of their own.
const CORE_HEADER: u32 = 12;
const INFO_HEADER: u32 = 40;
const OS2_HEADER: u32 = 64;

/// How the pixels of a BMP are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Palette indices of 1, 2, 4 or 8 bits, packed from the most significant bit.
    Indexed { bits: u32 },
    /// Run-length encoded indices: RLE8 or RLE4.
    Rle { four: bool },
    /// Blue, green, red bytes.
    Bgr,
    /// Little-endian 16 or 32-bit pixels whose channels are the bits under four masks.
    Fields { bits: u32, fields: [Field; 4] },
}

/// One channel of a bit-field pixel: its lowest bit and width (width 0: the channel is absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Field {
    shift: u32,
    width: u32,
}

impl Field {
    /// The channel under `mask`; a mask with holes counts as its span.
    fn from_mask(mask: u32) -> Field {
        if mask == 0 {
            return Field::default();
        }
        let shift = mask.trailing_zeros();
        Field {
            shift,
            width: 32 - mask.leading_zeros() - shift,
        }
    }

    /// The 8-bit value of this channel in `pixel`: 0 when absent, narrower fields repeat their
    /// bits downwards (5-bit 31 and 6-bit 63 become 255, like the reference readers), wider ones
    /// round.
    fn value(self, pixel: u32) -> u8 {
        if self.width == 0 {
            return 0;
        }
        let value = (u64::from(pixel) >> self.shift) & ((1u64 << self.width) - 1);
        if self.width >= 8 {
            let max = (1u64 << self.width) - 1;
            return ((value * 255 + max / 2) / max) as u8;
        }
        let mut out = 0u64;
        let mut filled = 0;
        while filled < 8 {
            out = (out << self.width) | value;
            filled += self.width;
        }
        (out >> (filled - 8)) as u8
    }
}

/// What the headers of a BMP say, checked against the file: every offset and length it names
/// lies inside `bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    /// The picture's size.
    pub(super) width: u32,
    pub(super) height: u32,
    /// Rows are stored top to bottom (a negative height).
    top_down: bool,
    layout: Layout,
    /// Where the pixel data starts.
    data_offset: usize,
    /// Bytes from one stored row to the next (rows are padded to 4 bytes; 0 for RLE).
    stride: usize,
    /// The colours of the palette, RGB; always 256 entries for indexed layouts, the ones the
    /// file leaves out (or whose index lies past its palette) being the first colour.
    palette: Vec<[u8; 3]>,
}

impl Header {
    /// Reads and checks the headers of `bytes` (a BMP: `BM` first): the size against `limits`
    /// before anything proportional to it is allocated (the palette holds at most 256 colours).
    pub(super) fn read(bytes: &[u8], limits: &Limits) -> Result<Header> {
        let invalid = |what: &str| Error::decode(format!("BMP header: {what}"));
        let u16_at = |pos: usize| {
            bytes
                .get(pos..pos + 2)
                .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
                .ok_or_else(|| invalid("truncated"))
        };
        let u32_at = |pos: usize| {
            bytes
                .get(pos..pos + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .ok_or_else(|| invalid("truncated"))
        };
        if bytes.get(..2) != Some(b"BM") {
            return Err(invalid("no BM signature"));
        }
        let data_offset = u32_at(10)? as usize;
        let dib = u32_at(14)?;
        let (width, height, bits, compression, colours_used) = if dib == CORE_HEADER {
            (
                i64::from(u16_at(18)?),
                i64::from(u16_at(20)?),
                u16_at(24)?,
                BI_RGB,
                0,
            )
        } else if dib >= 16 {
            let compression = if dib >= 20 { u32_at(30)? } else { BI_RGB };
            let colours_used = if dib >= 36 { u32_at(46)? } else { 0 };
            (
                i64::from(u32_at(18)? as i32),
                i64::from(u32_at(22)? as i32),
                u16_at(28)?,
                compression,
                colours_used,
            )
        } else {
            return Err(invalid(&format!("a DIB header of {dib} bytes")));
        };
        let top_down = height < 0;
        let width = u32::try_from(width).map_err(|_| invalid("negative width"))?;
        let height = u32::try_from(height.unsigned_abs()).map_err(|_| invalid("bad height"))?;
        check_area(width, height, limits)?;

        let unsupported = |what: String| Error::UnsupportedFormat {
            reason: format!("BMP {what}"),
        };
        // OS/2 2.x headers number their compressions differently: 3 is Huffman 1D, 4 is RLE24.
        if dib == OS2_HEADER && matches!(compression, 3 | 4) {
            return Err(unsupported(format!("OS/2 compression {compression}")));
        }
        // Masks: in a V2+ header, else right after a BITMAPINFOHEADER.
        let masks = |count: usize| -> Result<[u32; 4]> {
            let mut masks = [0u32; 4];
            let in_header = if dib >= 56 {
                4
            } else if dib >= 52 {
                3
            } else {
                0
            };
            for (index, mask) in masks.iter_mut().enumerate().take(count) {
                if index < in_header || dib == INFO_HEADER {
                    *mask = u32_at(54 + 4 * index)?;
                }
            }
            Ok(masks)
        };
        let layout = match (compression, bits) {
            (BI_RGB, 1 | 2 | 4 | 8) => Layout::Indexed { bits },
            (BI_RLE8, 8) => Layout::Rle { four: false },
            (BI_RLE4, 4) => Layout::Rle { four: true },
            (BI_RGB, 24) => Layout::Bgr,
            (BI_RGB, 16) => Layout::Fields {
                bits,
                fields: fields([0x7C00, 0x03E0, 0x001F, 0]),
            },
            (BI_RGB, 32) => Layout::Fields {
                bits,
                fields: fields([0x00FF_0000, 0x0000_FF00, 0x0000_00FF, 0]),
            },
            (BI_BITFIELDS, 16 | 32) => Layout::Fields {
                bits,
                fields: fields(masks(if dib >= 56 { 4 } else { 3 })?),
            },
            (BI_ALPHABITFIELDS, 16 | 32) => Layout::Fields {
                bits,
                fields: fields(masks(4)?),
            },
            (BI_RGB | BI_BITFIELDS | BI_ALPHABITFIELDS, _) => {
                return Err(unsupported(format!("with {bits} bits a pixel")))
            }
            (BI_RLE8 | BI_RLE4, _) => {
                return Err(unsupported(format!(
                    "compression {compression} with {bits} bits a pixel"
                )))
            }
            _ => return Err(unsupported(format!("compression {compression}"))),
        };

        let palette = match layout {
            Layout::Indexed { bits } => palette(bytes, dib, bits, colours_used)?,
            Layout::Rle { four } => palette(bytes, dib, if four { 4 } else { 8 }, colours_used)?,
            _ => Vec::new(),
        };
        let stride = match layout {
            Layout::Rle { .. } => 0,
            Layout::Indexed { bits } | Layout::Fields { bits, .. } => stride(width, bits)?,
            Layout::Bgr => stride(width, 24)?,
        };
        if data_offset >= bytes.len() {
            return Err(invalid("the pixel data starts past the end of the file"));
        }
        if stride > 0 {
            // The last stored row may lack its padding.
            let used = match layout {
                Layout::Indexed { bits } | Layout::Fields { bits, .. } => {
                    (u64::from(width) * u64::from(bits)).div_ceil(8)
                }
                _ => u64::from(width) * 3,
            };
            let end = (stride as u64)
                .checked_mul(u64::from(height - 1))
                .and_then(|rows| rows.checked_add(used))
                .and_then(|data| data.checked_add(data_offset as u64));
            if end.is_none_or(|end| end > bytes.len() as u64) {
                return Err(Error::decode(format!(
                    "the BMP pixel data is shorter than {width}x{height} pixels"
                )));
            }
        }
        Ok(Header {
            width,
            height,
            top_down,
            layout,
            data_offset,
            stride,
            palette,
        })
    }

    /// Whether the pixels have an alpha channel (bit fields with an alpha mask).
    pub(super) fn has_alpha(&self) -> bool {
        matches!(self.layout, Layout::Fields { fields, .. } if fields[3].width > 0)
    }

    /// Whether the rows stream (everything but RLE, which decodes into an index plane first).
    pub(super) fn streams(&self) -> bool {
        !matches!(self.layout, Layout::Rle { .. })
    }

    /// Output channels: RGB, or RGBA with alpha.
    fn channels(&self) -> usize {
        if self.has_alpha() {
            4
        } else {
            3
        }
    }
}

/// The channels under `masks` (red, green, blue, alpha).
fn fields(masks: [u32; 4]) -> [Field; 4] {
    masks.map(Field::from_mask)
}

/// The bytes of a stored row of `width` pixels of `bits`, padded to 4 bytes.
fn stride(width: u32, bits: u32) -> Result<usize> {
    let bytes = (u64::from(width) * u64::from(bits)).div_ceil(32) * 4;
    usize::try_from(bytes).map_err(|_| Error::decode("a BMP row does not fit in memory"))
}

/// The palette after the DIB header (and its masks): `colours_used` entries (all `2^bits` when
/// 0, at most `2^bits`, at most what the file holds), BGR(x), padded to 256 with the first one.
fn palette(bytes: &[u8], dib: u32, bits: u32, colours_used: u32) -> Result<Vec<[u8; 3]>> {
    let (start, entry) = if dib == CORE_HEADER {
        (14 + 12, 3)
    } else {
        (14 + dib as usize, 4)
    };
    let most = 1u32 << bits;
    let declared = if colours_used == 0 || colours_used > most {
        most
    } else {
        colours_used
    } as usize;
    let available = bytes.len().saturating_sub(start) / entry;
    let count = declared.min(available);
    if count == 0 {
        return Err(Error::decode("the BMP palette is missing"));
    }
    let mut palette: Vec<[u8; 3]> = bytes[start..start + count * entry]
        .chunks_exact(entry)
        .map(|bgr| [bgr[2], bgr[1], bgr[0]])
        .collect();
    let first = palette[0];
    palette.resize(256, first);
    Ok(palette)
}

/// Reads the header of a BMP for the probe: stored size, orientation (BMP has none) and alpha,
/// and whether it streams.
pub(super) fn probe(
    bytes: &[u8],
    limits: &Limits,
) -> Result<((u32, u32), Orientation, bool, bool)> {
    let header = Header::read(bytes, limits)?;
    Ok((
        (header.width, header.height),
        Orientation::NoTransforms,
        header.has_alpha(),
        header.streams(),
    ))
}

/// The most memory [`decode`] holds for a streaming `source`-sized BMP at `target`: a band of
/// RGBA rows and the resampler's window, intermediate and result.
pub(super) fn peak_bytes(source: (u32, u32), target: (u32, u32)) -> u64 {
    let band = (resize::BAND_BYTES as u64).max(u64::from(source.0) * 4);
    band.saturating_add(Bands::bytes(source, target, 4))
}

/// Decodes `bytes` (a BMP) to an sRGB picture of exactly `target` size, a band of rows at a time.
pub(super) fn decode(bytes: &[u8], target: (u32, u32), limits: &Limits) -> Result<Picture> {
    let header = Header::read(bytes, limits)?;
    let (width, height) = (header.width, header.height);
    let channels = header.channels();
    let indices = match header.layout {
        Layout::Rle { four } => Some(rle_plane(bytes, &header, four)?),
        _ => None,
    };
    let mut bands = Bands::new((width, height), target, channels)?;
    let row_len = width as usize * channels;
    let band_len = resize::band_len(row_len, height);
    let mut band = vec![0u8; band_len];
    let mut row = 0u32;
    while row < height {
        let rows = ((band_len / row_len) as u32).min(height - row);
        let filled = rows as usize * row_len;
        for (index, out) in band[..filled].chunks_exact_mut(row_len).enumerate() {
            let displayed = row + index as u32;
            let stored = if header.top_down {
                displayed
            } else {
                height - 1 - displayed
            } as usize;
            match &indices {
                Some(plane) => {
                    let start = stored * width as usize;
                    for (pixel, &index) in out
                        .chunks_exact_mut(3)
                        .zip(&plane[start..start + width as usize])
                    {
                        pixel.copy_from_slice(&header.palette[usize::from(index)]);
                    }
                }
                None => {
                    let start = header.data_offset + stored * header.stride;
                    let data = bytes.get(start..).unwrap_or_default();
                    convert_row(&header, data, out);
                }
            }
        }
        bands.push(&mut band[..filled])?;
        row += rows;
    }
    Ok(Picture::still(bands.finish_pixels()?))
}

/// Converts one stored row (`data` starts at it; [`Header::read`] checked it is long enough) to
/// RGB(A) in `out`.
fn convert_row(header: &Header, data: &[u8], out: &mut [u8]) {
    let width = header.width as usize;
    match header.layout {
        Layout::Bgr => {
            for (pixel, bgr) in out
                .chunks_exact_mut(3)
                .zip(data[..width * 3].chunks_exact(3))
            {
                pixel.copy_from_slice(&[bgr[2], bgr[1], bgr[0]]);
            }
        }
        Layout::Indexed { bits: 8 } => {
            for (pixel, &index) in out.chunks_exact_mut(3).zip(&data[..width]) {
                pixel.copy_from_slice(&header.palette[usize::from(index)]);
            }
        }
        Layout::Indexed { bits } => {
            let per_byte = (8 / bits) as usize;
            let mask = (1u8 << bits) - 1;
            for (x, pixel) in out.chunks_exact_mut(3).enumerate() {
                let byte = data[x / per_byte];
                let shift = 8 - bits as usize * (x % per_byte + 1);
                let index = (byte >> shift) & mask;
                pixel.copy_from_slice(&header.palette[usize::from(index)]);
            }
        }
        Layout::Fields { bits, fields } => {
            let channels = header.channels();
            let bytes = (bits / 8) as usize;
            for (pixel, stored) in out
                .chunks_exact_mut(channels)
                .zip(data[..width * bytes].chunks_exact(bytes))
            {
                let value = if bytes == 2 {
                    u32::from(u16::from_le_bytes([stored[0], stored[1]]))
                } else {
                    u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]])
                };
                for (sample, field) in pixel.iter_mut().zip(fields) {
                    *sample = field.value(value);
                }
            }
        }
        Layout::Rle { .. } => {}
    }
}

/// Decodes RLE4 or RLE8 data into a plane of palette indices, stored rows in file order (the
/// first is the bottom one unless the file is top-down). Pixels the data never reaches keep
/// index 0; runs past the end of a row go on into the next; data after the last row, ending
/// without an end-of-bitmap mark, or writing more than twice the plane, ends the decode. Every
/// step consumes input, so it ends.
fn rle_plane(bytes: &[u8], header: &Header, four: bool) -> Result<Vec<u8>> {
    let (width, height) = (header.width as usize, header.height as usize);
    let pixels = width
        .checked_mul(height)
        .ok_or_else(|| Error::decode("a BMP does not fit in memory"))?;
    let mut plane = vec![0u8; pixels];
    let data = &bytes[header.data_offset..];
    let (mut x, mut y, mut pos) = (0usize, 0usize, 0usize);
    // A run past the end of its row goes on into the next (as the reference readers draw it).
    // Files write each pixel about once; writes beyond twice the plane end the decode, so runs
    // that claim the same rows over and over cost no more than that.
    let mut budget = pixels.saturating_mul(2);
    let mut put = |x: usize, y: usize, count: usize, index: &dyn Fn(usize) -> u8| -> bool {
        let start = y.saturating_mul(width).saturating_add(x);
        let end = start.saturating_add(count).min(pixels);
        if start >= end {
            return true;
        }
        if budget < end - start {
            return false;
        }
        budget -= end - start;
        for (i, pixel) in plane[start..end].iter_mut().enumerate() {
            *pixel = index(i);
        }
        true
    };
    while y < height {
        let (Some(&count), Some(&value)) = (data.get(pos), data.get(pos + 1)) else {
            break;
        };
        pos += 2;
        if count > 0 {
            let run = |i: usize| match (four, i % 2) {
                (false, _) => value,
                (true, 0) => value >> 4,
                (true, _) => value & 0x0F,
            };
            if !put(x, y, usize::from(count), &run) {
                break;
            }
            x = x.saturating_add(usize::from(count));
            continue;
        }
        match value {
            0 => {
                x = 0;
                y += 1;
            }
            1 => break,
            2 => {
                let (Some(&dx), Some(&dy)) = (data.get(pos), data.get(pos + 1)) else {
                    break;
                };
                pos += 2;
                x = x.saturating_add(usize::from(dx));
                y = y.saturating_add(usize::from(dy));
            }
            count => {
                let count = usize::from(count);
                let len = if four { count.div_ceil(2) } else { count };
                let Some(literal) = data.get(pos..pos + len) else {
                    break;
                };
                let literal = |i: usize| match (four, i % 2) {
                    (false, _) => literal[i],
                    (true, 0) => literal[i / 2] >> 4,
                    (true, _) => literal[i / 2] & 0x0F,
                };
                if !put(x, y, count, &literal) {
                    break;
                }
                x = x.saturating_add(count);
                // Literal runs are padded to 16 bits.
                pos += len + (len & 1);
            }
        }
    }
    Ok(plane)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A bottom-up 24-bit BMP of `width × height` with `BITMAPINFOHEADER`, each pixel's colour
    /// from `colour(x, y)` (`y` counted from the top).
    pub(in crate::render::decode) fn bgr24(
        width: u32,
        height: u32,
        colour: impl Fn(u32, u32) -> [u8; 3],
    ) -> Vec<u8> {
        let stride = stride(width, 24).unwrap();
        let mut bytes = header(
            width,
            height as i32,
            24,
            BI_RGB,
            54,
            stride * height as usize,
        );
        for stored in 0..height {
            let y = height - 1 - stored;
            let start = bytes.len();
            for x in 0..width {
                let [r, g, b] = colour(x, y);
                bytes.extend_from_slice(&[b, g, r]);
            }
            bytes.resize(start + stride, 0);
        }
        bytes
    }

    /// A file header and `BITMAPINFOHEADER` (no palette) with pixel data at `offset`.
    fn header(
        width: u32,
        height: i32,
        bits: u16,
        compression: u32,
        offset: u32,
        data: usize,
    ) -> Vec<u8> {
        let mut bytes = b"BM".to_vec();
        bytes.extend_from_slice(&(offset + data as u32).to_le_bytes());
        bytes.extend_from_slice(&[0; 4]);
        bytes.extend_from_slice(&offset.to_le_bytes());
        bytes.extend_from_slice(&40u32.to_le_bytes());
        bytes.extend_from_slice(&(width as i32).to_le_bytes());
        bytes.extend_from_slice(&height.to_le_bytes());
        bytes.extend_from_slice(&1u16.to_le_bytes());
        bytes.extend_from_slice(&bits.to_le_bytes());
        bytes.extend_from_slice(&compression.to_le_bytes());
        bytes.extend_from_slice(&[0; 20]);
        bytes
    }

    #[test]
    fn narrow_fields_fill_the_range_and_wide_ones_round() {
        assert_eq!(Field::from_mask(0x7C00).value(0x7C00), 255);
        assert_eq!(Field::from_mask(0x7C00).value(0x0400), 8);
        assert_eq!(Field::from_mask(0x07E0).value(0x07E0), 255);
        assert_eq!(Field::from_mask(0x0001).value(1), 255);
        assert_eq!(Field::from_mask(0x0030).value(0x0010), 85);
        assert_eq!(Field::from_mask(0x3FF).value(0x3FF), 255);
        assert_eq!(Field::from_mask(0x3FF).value(0x200), 128);
        assert_eq!(Field::from_mask(0xFFFF_FFFF).value(u32::MAX), 255);
        // An absent channel (a zero mask, as in rgb16-880.bmp) is 0, at once.
        assert_eq!(Field::from_mask(0).value(u32::MAX), 0);
    }

    #[test]
    fn bottom_up_rows_are_shown_top_down() {
        let bytes = bgr24(3, 2, |x, y| [(x * 100) as u8, (y * 200) as u8, 7]);
        let limits = Limits::default();
        let picture = decode(&bytes, (3, 2), &limits).unwrap();
        let crate::render::picture::Pixels::Rgb(image) = &picture.frames[0].pixels else {
            panic!("RGB");
        };
        assert_eq!(image.get_pixel(2, 0).0, [200, 0, 7]);
        assert_eq!(image.get_pixel(0, 1).0, [0, 200, 7]);
    }

    #[test]
    fn hostile_headers_are_typed_errors_before_any_allocation() {
        let limits = Limits::default();
        let good = bgr24(4, 4, |_, _| [1, 2, 3]);
        // Huge dimensions: refused by the pixel limit; empty and negative ones as invalid.
        let mut cases: Vec<(&str, Vec<u8>)> = vec![
            ("huge", header(1 << 30, 1 << 30, 24, BI_RGB, 54, 0)),
            ("wide", header(u32::MAX >> 1, 1, 24, BI_RGB, 54, 0)),
            ("empty", header(0, 4, 24, BI_RGB, 54, 0)),
            ("negative width", header(u32::MAX, 4, 24, BI_RGB, 54, 0)),
        ];
        // Pixel data past the end of the file, or shorter than the rows.
        let mut past = good.clone();
        past[10..14].copy_from_slice(&u32::MAX.to_le_bytes());
        cases.push(("offset past the end", past));
        cases.push(("short data", good[..good.len() - 20].to_vec()));
        // A DIB header too small, an unknown depth or compression, no palette.
        let mut small = good.clone();
        small[14..18].copy_from_slice(&8u32.to_le_bytes());
        cases.push(("tiny DIB", small));
        let mut depth = good.clone();
        depth[28] = 7;
        cases.push(("7 bits", depth));
        let mut jpeg = good.clone();
        jpeg[30] = 4;
        cases.push(("JPEG inside", jpeg));
        let mut rle = header(4, 4, 8, BI_RLE8, 54, 0);
        rle.push(0);
        cases.push(("RLE without palette", rle));
        cases.push(("truncated", good[..30].to_vec()));
        for (name, bytes) in cases {
            let error = Header::read(&bytes, &limits)
                .and_then(|_| decode(&bytes, (2, 2), &limits).map(|_| unreachable!()))
                .unwrap_err();
            assert_eq!(error.status(), 422, "{name}: {error}");
        }
    }

    #[test]
    fn rle_overruns_and_early_ends_stay_inside_the_plane() {
        let limits = Limits::default();
        // 4×2 RLE8, two palette entries: a run of 200 (past both rows), a delta far outside, a
        // literal that runs off the data, no end-of-bitmap mark.
        let mut bytes = header(4, 2, 8, BI_RLE8, 54 + 8, 0);
        bytes[46..50].copy_from_slice(&2u32.to_le_bytes());
        bytes.extend_from_slice(&[0, 0, 255, 0, 255, 0, 0, 0]);
        bytes.extend_from_slice(&[200, 1, 0, 2, 255, 255, 0, 9, 1]);
        let picture = decode(&bytes, (4, 2), &limits).unwrap();
        assert_eq!(picture.dimensions(), (4, 2));
        let crate::render::picture::Pixels::Rgb(image) = &picture.frames[0].pixels else {
            panic!("RGB");
        };
        // Index 1 (blue) everywhere the run reached: both rows.
        assert!(image.pixels().all(|pixel| pixel.0 == [0, 0, 255]));
    }
}
