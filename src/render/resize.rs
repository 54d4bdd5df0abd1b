//! SIMD resampling with `fast_image_resize`: Lanczos3, premultiplied alpha, an optional crop box
//! on the source (`fit=cover`), one `Resizer` (and its scratch buffers) per thread, its buffers
//! dropped after a job that grew them past [`KEEP_SCRATCH_BYTES`].
//!
//! [`resize`] takes a whole picture; [`Bands`] takes the source a band of rows at a time, as a
//! streaming decoder produces it, in the order `fast_image_resize` itself uses for 8-bit samples:
//! each band is premultiplied into a window of source rows, the vertical pass runs for every
//! output row whose rows are all in (into an intermediate of source width × target height), and
//! the horizontal pass runs once at the end. Memory follows the output and the filter's window,
//! not the source.
//!
//! A side that shrinks by four or more first goes through an integer box ([`super::box_shrink`]),
//! and Lanczos3 does the remaining factor of two to four, as libvips does. Whole pictures and
//! YUV planes take that shrink through [`Bands`] too (a `fit=cover` crop as a streaming decoder
//! keeps it: its rows and columns), so every path gives the same pixels. A crop of a picture
//! decoded at another scale (a JPEG shrunk on load, lossy WebP's half-resolution chroma) falls on
//! fractional pixels and keeps Lanczos3 alone.

use std::cell::RefCell;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, MulDiv, PixelType, ResizeAlg, ResizeOptions, Resizer};
use fast_image_resize::{IntoImageView, IntoImageViewMut};
use image::{ImageBuffer, Pixel};

use super::box_shrink::{self, BoxShrink};
use super::crop::{Crop, Region, Target};
use super::picture::Pixels;
use crate::{Error, Result};

/// About how many bytes of 8-bit rows a streaming decoder hands [`Bands`] at a time (at least one
/// row): big enough that the per-band overhead (coefficients, calls) is small, small enough to
/// stay in cache.
pub(super) const BAND_BYTES: usize = 128 * 1024;

/// The bytes of a band of whole `row_len`-byte rows, about [`BAND_BYTES`], at least one row and
/// at most `height` rows.
pub(super) fn band_len(row_len: usize, height: u32) -> usize {
    (BAND_BYTES / row_len.max(1)).clamp(1, (height as usize).max(1)) * row_len
}

thread_local! {
    /// The resizer keeps its convolution and alpha buffers between calls on the same thread.
    static RESIZER: RefCell<Resizer> = RefCell::new(Resizer::new());
}

/// The most scratch a thread's resizer keeps between jobs. Its alpha buffer holds a premultiplied
/// copy of the whole source and its convolution buffer a source-tall intermediate, so one large
/// photo would otherwise pin tens of MB on every blocking thread that ever resized one. Thumbnail-
/// sized jobs stay under this and keep reusing their buffers.
const KEEP_SCRATCH_BYTES: usize = 4 << 20;

/// Resamples `pixels` (the whole source, at any scale) to exactly `target`'s size, showing its
/// crop; returns them untouched when there is no crop and the size already matches.
pub(super) fn resize(pixels: Pixels, target: impl Into<Target>) -> Result<Pixels> {
    let (width, height) = pixels.dimensions();
    resize_extent(pixels, (f64::from(width), f64::from(height)), target)
}

/// Resamples `pixels`, whose top-left `extent` (in pixels, possibly fractional, at most the
/// picture) shows the whole source, to exactly `target`'s size, showing its crop. A decoder that
/// shrinks on load by `k` makes `⌈side / k⌉` pixels of which the last holds only
/// `side / k − ⌊side / k⌋` of the picture: resampling the exact extent keeps the picture's
/// geometry (stretching the partial pixel shifts the far edge by up to a pixel, which costs
/// several dB on detailed photos at small sizes).
pub(super) fn resize_extent(
    pixels: Pixels,
    extent: (f64, f64),
    target: impl Into<Target>,
) -> Result<Pixels> {
    let target: Target = target.into();
    let (width, height) = pixels.dimensions();
    let extent = (
        extent.0.clamp(1.0, f64::from(width)),
        extent.1.clamp(1.0, f64::from(height)),
    );
    let whole = extent == (f64::from(width), f64::from(height));
    if whole && target.is_identity((width, height)) {
        return Ok(pixels);
    }
    if target.crop.is_none() && box_shrink::block((width, height), target.size) != (1, 1) {
        // A shrink large enough for the box goes through the same passes as a streamed one, the
        // whole picture as one band: both paths give the same pixels.
        let channels = pixels.channels();
        let mut raw = pixels.into_raw();
        let mut bands = Bands::with_extent((width, height), extent, target.size, channels)?;
        bands.push(&mut raw)?;
        return bands.finish_pixels();
    }
    if let Some(crop) = whole.then_some(target.crop).flatten().filter(|crop| {
        crop.source == (width, height)
            && box_shrink::block((crop.width, crop.height), target.size) != (1, 1)
    }) {
        let channels = pixels.channels();
        return resize_crop_in_bands(&pixels.into_raw(), (width, height), channels, crop, target);
    }
    let region = match target.crop {
        Some(crop) => crop.on(extent),
        None => Region::from_extent(extent),
    };
    let size = target.size;
    Ok(match pixels {
        Pixels::Gray(image) => Pixels::Gray(resize_buffer(&image, region, size, PixelType::U8)?),
        Pixels::GrayAlpha(image) => {
            Pixels::GrayAlpha(resize_buffer(&image, region, size, PixelType::U8x2)?)
        }
        Pixels::Rgb(image) => Pixels::Rgb(resize_buffer(&image, region, size, PixelType::U8x3)?),
        Pixels::Rgba(image) => Pixels::Rgba(resize_buffer(&image, region, size, PixelType::U8x4)?),
    })
}

/// Resamples `crop` (in whole pixels of `raw`, a `size`-sized picture of `channels` 8-bit
/// channels) to `target`'s size through [`Bands`], as a streaming decoder that keeps the crop's
/// rows and columns does: a band of the crop's rows at a time is copied out of `raw` (which stays
/// untouched) and premultiplied there, unless whole rows without alpha can be read in place.
fn resize_crop_in_bands(
    raw: &[u8],
    size: (u32, u32),
    channels: usize,
    crop: Crop,
    target: Target,
) -> Result<Pixels> {
    let row_len = size.0 as usize * channels;
    if !crop.lies_within(size) || raw.len() != row_len * size.1 as usize {
        return Err(Error::internal(
            "resizing",
            "the crop box is not inside the picture",
        ));
    }
    let mut bands = Bands::new((crop.width, crop.height), target.size, channels)?;
    if !bands.alpha && crop.width == size.0 {
        // Whole rows without alpha: nothing to copy.
        let start = crop.top as usize * row_len;
        bands.push_premultiplied(&raw[start..start + crop.height as usize * row_len])?;
        return bands.finish_pixels();
    }
    let kept_row = crop.width as usize * channels;
    let offset = crop.left as usize * channels;
    let band_rows = band_len(kept_row, crop.height) / kept_row.max(1);
    let mut band = Vec::with_capacity(band_rows * kept_row);
    let rows = raw
        .chunks_exact(row_len.max(1))
        .skip(crop.top as usize)
        .take(crop.height as usize);
    for row in rows {
        band.extend_from_slice(&row[offset..offset + kept_row]);
        if band.len() >= band_rows * kept_row {
            bands.push(&mut band)?;
            band.clear();
        }
    }
    bands.push(&mut band)?;
    bands.finish_pixels()
}

/// Resamples `raw`, a whole `size`-sized picture of `channels` 8-bit channels (3 = RGB,
/// 4 = RGBA) held in a buffer the caller keeps (a decoder's own), to exactly `target`'s size,
/// showing its crop. Nothing the size of the source is allocated but, with alpha where the box
/// takes no part, the resampler's premultiplied copy.
#[cfg(feature = "webp")]
pub(super) fn resize_borrowed(
    raw: &[u8],
    size: (u32, u32),
    channels: usize,
    target: impl Into<Target>,
) -> Result<Pixels> {
    let target: Target = target.into();
    let whole = Crop {
        source: size,
        left: 0,
        top: 0,
        width: size.0,
        height: size.1,
    };
    let crop = target.crop.unwrap_or(whole);
    if crop.source == size && box_shrink::block((crop.width, crop.height), target.size) != (1, 1) {
        // The same passes as an owned picture (see `resize_extent`).
        return resize_crop_in_bands(raw, size, channels, crop, target);
    }
    let region = match target.crop {
        Some(crop) => crop.on((f64::from(size.0), f64::from(size.1))),
        None => Region::from_extent((f64::from(size.0), f64::from(size.1))),
    };
    let wrong_size = || Error::internal("resizing", "the source buffer has the wrong size");
    Ok(match channels {
        3 => {
            let source = ImageBuffer::<image::Rgb<u8>, &[u8]>::from_raw(size.0, size.1, raw)
                .ok_or_else(wrong_size)?;
            Pixels::Rgb(resize_buffer(
                &source,
                region,
                target.size,
                PixelType::U8x3,
            )?)
        }
        4 => {
            let source = ImageBuffer::<image::Rgba<u8>, &[u8]>::from_raw(size.0, size.1, raw)
                .ok_or_else(wrong_size)?;
            Pixels::Rgba(resize_buffer(
                &source,
                region,
                target.size,
                PixelType::U8x4,
            )?)
        }
        _ => {
            return Err(Error::internal(
                "resizing",
                "a borrowed picture of RGB or RGBA only",
            ))
        }
    })
}

/// One 8-bit plane of samples borrowed from a decoder: `size` is the whole buffer (its rows
/// `size.0` samples long, padding included), of which the top-left `extent` (in samples, possibly
/// fractional) shows the whole source, as a chroma plane at half resolution shows it in
/// `⌈side / 2⌉` samples the last of which holds half a sample's worth.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plane<'a> {
    /// The samples, row after row.
    pub(super) samples: &'a [u8],
    /// Samples a row and rows of `samples`.
    pub(super) size: (u32, u32),
    /// The part of `samples` that shows the whole source.
    pub(super) extent: (f64, f64),
}

/// Resamples each plane to exactly `target`'s size, showing its crop (measured on the whole
/// source, so the same region on planes of any resolution): the planes of a YUV picture resized
/// before the conversion to RGB, which then runs on the output's pixels only.
pub(super) fn resize_planes<const N: usize>(
    planes: [Plane<'_>; N],
    target: impl Into<Target>,
) -> Result<[Vec<u8>; N]> {
    let target: Target = target.into();
    let (width, height) = (target.size.0.max(1), target.size.1.max(1));
    let mut resized = [(); N].map(|()| Vec::new());
    for (plane, out) in planes.iter().zip(&mut resized) {
        let extent = (
            plane.extent.0.clamp(1.0, f64::from(plane.size.0)),
            plane.extent.1.clamp(1.0, f64::from(plane.size.1)),
        );
        // The samples that show the picture, without the decoder's padding.
        let shown = (extent.0.ceil() as u32, extent.1.ceil() as u32);
        if target.crop.is_none() && box_shrink::block(shown, (width, height)) != (1, 1) {
            // The box takes part: the same passes as every other source (see `resize_extent`).
            let mut bands = Bands::with_extent(shown, extent, (width, height), 1)?;
            for row in plane
                .samples
                .chunks_exact(plane.size.0.max(1) as usize)
                .take(shown.1 as usize)
            {
                bands.push_premultiplied(&row[..shown.0 as usize])?;
            }
            *out = bands.finish()?;
            continue;
        }
        if let Some(crop) = target.crop.filter(|crop| {
            crop.source == shown
                && box_shrink::block((crop.width, crop.height), (width, height)) != (1, 1)
        }) {
            // A crop in whole samples of this plane (the full-resolution one): as above.
            let on_plane = Crop {
                source: plane.size,
                ..crop
            };
            *out = resize_crop_in_bands(plane.samples, plane.size, 1, on_plane, target)?.into_raw();
            continue;
        }
        let region = match target.crop {
            Some(crop) => crop.on(extent),
            None => Region::from_extent(extent),
        };
        let src = ImageRef::new(plane.size.0, plane.size.1, plane.samples, PixelType::U8)
            .map_err(internal)?;
        *out = vec![0u8; buffer_len(width, height, 1)?];
        let mut dst = Image::from_slice_u8(width, height, out, PixelType::U8).map_err(internal)?;
        run(&src, &mut dst, Some(region), false)?;
    }
    Ok(resized)
}

fn resize_buffer<P: Pixel<Subpixel = u8>, C: std::ops::Deref<Target = [u8]>>(
    source: &ImageBuffer<P, C>,
    region: Region,
    target: (u32, u32),
    pixel_type: PixelType,
) -> Result<ImageBuffer<P, Vec<u8>>> {
    let (width, height) = (target.0.max(1), target.1.max(1));
    let src = ImageRef::new(source.width(), source.height(), source.as_raw(), pixel_type)
        .map_err(internal)?;
    let len = buffer_len(width, height, pixel_type.size())?;
    let mut buffer = vec![0u8; len];
    let mut dst = Image::from_slice_u8(width, height, &mut buffer, pixel_type).map_err(internal)?;
    run(&src, &mut dst, Some(region), P::HAS_ALPHA)?;
    ImageBuffer::from_raw(width, height, buffer)
        .ok_or_else(|| Error::internal("resizing", "the resized buffer has the wrong size"))
}

/// Resamples `region` of `src` (all of it when `None`) into `dst` (Lanczos3) with the thread's
/// resizer; `use_alpha` premultiplies around the convolution.
fn run(
    src: &impl IntoImageView,
    dst: &mut impl IntoImageViewMut,
    region: Option<Region>,
    use_alpha: bool,
) -> Result<()> {
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .use_alpha(use_alpha);
    let options = match region {
        Some(region) => options.crop(region.left, region.top, region.width, region.height),
        None => options,
    };
    RESIZER
        .with(|resizer| {
            let mut resizer = resizer.borrow_mut();
            let resized = resizer.resize(src, dst, &options);
            if resizer.size_of_internal_buffers() > KEEP_SCRATCH_BYTES {
                resizer.reset_internal_buffers();
            }
            resized
        })
        .map_err(internal)
}

/// A resizer failure: the sizes are ours, so it is a bug, not bad input.
fn internal(error: impl std::fmt::Display) -> Error {
    Error::internal("resizing", error.to_string())
}

/// `width × height` pixels of `channels` bytes, when that fits in memory.
fn buffer_len(width: u32, height: u32, channels: usize) -> Result<usize> {
    usize::try_from(u64::from(width) * u64::from(height))
        .ok()
        .and_then(|pixels| pixels.checked_mul(channels))
        .ok_or_else(|| Error::internal("resizing", "the picture does not fit in memory"))
}

/// The 8-bit pixel type of `channels` interleaved channels: grey, grey + alpha, RGB, RGBA.
fn pixel_type(channels: usize) -> Result<PixelType> {
    match channels {
        1 => Ok(PixelType::U8),
        2 => Ok(PixelType::U8x2),
        3 => Ok(PixelType::U8x3),
        4 => Ok(PixelType::U8x4),
        _ => Err(Error::internal(
            "resizing",
            "no pixel type has that many channels",
        )),
    }
}

/// A resample fed a band of source rows at a time, top to bottom (see the module docs). The last
/// channel is alpha when `channels` is 2 or 4; it is premultiplied band by band and divided out of
/// the result.
pub(super) struct Bands {
    /// The size of the picture pushed, and its rows pushed so far.
    input: (u32, u32),
    input_rows: u32,
    /// The box pre-shrink the pushed rows go through first, when a side shrinks by four or more
    /// ([`box_shrink`]); the window and the passes below then work on the shrunk picture.
    shrink: Option<BoxShrink>,
    /// The size of the picture the Lanczos passes resample: the input's, or the shrunk one's.
    source: (u32, u32),
    target: (u32, u32),
    channels: usize,
    pixel_type: PixelType,
    alpha: bool,
    /// The part of the source, from its top-left corner, that shows the picture (possibly
    /// fractional: see [`resize_extent`]); the whole source unless made [`Bands::with_extent`].
    extent: (f64, f64),
    /// Source height over target height, and the filter's reach in source rows either side of an
    /// output row's centre: what `fast_image_resize` computes for the whole picture.
    scale: f64,
    reach: f64,
    /// Consecutive source rows from `window_start`, premultiplied: what the next output rows need.
    window: Vec<u8>,
    window_start: u32,
    window_capacity: u32,
    /// Source width × target height: the vertical pass lands here, the horizontal pass reads it.
    columns: Vec<u8>,
    /// Source rows received and output rows done so far.
    rows_in: u32,
    rows_out: u32,
    mul_div: MulDiv,
}

impl Bands {
    /// A resample of a `source`-sized picture with `channels` 8-bit channels to `target`.
    /// Allocates the window of source rows the filter needs and the intermediate (source width ×
    /// target height), nothing the size of the source unless the height stays.
    pub(super) fn new(source: (u32, u32), target: (u32, u32), channels: usize) -> Result<Self> {
        let extent = (f64::from(source.0), f64::from(source.1));
        Self::with_extent(source, extent, target, channels)
    }

    /// [`Bands::new`] for a source whose top-left `extent` (at most the source, possibly
    /// fractional) shows the picture, as [`resize_extent`] takes it.
    pub(super) fn with_extent(
        source: (u32, u32),
        extent: (f64, f64),
        target: (u32, u32),
        channels: usize,
    ) -> Result<Self> {
        let input = source;
        let target = (target.0.max(1), target.1.max(1).min(source.1));
        let extent = (
            extent.0.clamp(1.0, f64::from(source.0.max(1))),
            extent.1.clamp(1.0, f64::from(source.1.max(1))),
        );
        let block = box_shrink::block(source, target);
        let (shrink, source, extent) = if block == (1, 1) {
            (None, source, extent)
        } else {
            (
                Some(BoxShrink::new(source.0, block, channels)?),
                box_shrink::shrunk_size(source, block),
                (extent.0 / f64::from(block.0), extent.1 / f64::from(block.1)),
            )
        };
        let pixel_type = pixel_type(channels)?;
        let scale = extent.1 / f64::from(target.1);
        let reach = 3.0 * scale.max(1.0);
        let window_capacity = if extent.1 < f64::from(source.1) && target.1 >= source.1 {
            // A partial last row that is not resampled away: the whole source in the window.
            source.1
        } else {
            Self::window_rows(source.1, target.1)
        };
        let window = vec![0u8; buffer_len(source.0, window_capacity, channels)?];
        let columns = vec![0u8; buffer_len(source.0, target.1, channels)?];
        Ok(Bands {
            input,
            input_rows: 0,
            shrink,
            source,
            target,
            channels,
            pixel_type,
            // Like `resize`: a picture that keeps its size keeps its samples, even under alpha 0.
            alpha: matches!(channels, 2 | 4) && input != target,
            extent,
            scale,
            reach,
            window,
            window_start: 0,
            window_capacity,
            columns,
            rows_in: 0,
            rows_out: 0,
            mul_div: MulDiv::default(),
        })
    }

    /// The window's height: the rows two output rows' filters span (Lanczos3 reaches three
    /// target rows either side), plus room for eight more output rows so that moving the kept
    /// rows to the front costs about one copy of the source in all; none when the height stays.
    fn window_rows(source_height: u32, target_height: u32) -> u32 {
        if target_height >= source_height {
            return 0;
        }
        let scale = f64::from(source_height) / f64::from(target_height.max(1));
        ((14.0 * scale).ceil() as u32 + 4).min(source_height)
    }

    /// The bytes [`Bands::new`] and the passes allocate for these sizes: the box's sums and row
    /// (when it takes part), the window, the intermediate and the result.
    pub(super) fn bytes(source: (u32, u32), target: (u32, u32), channels: usize) -> u64 {
        let target = (target.0.max(1), target.1.max(1).min(source.1));
        let block = box_shrink::block(source, target);
        let shrink = if block == (1, 1) {
            0
        } else {
            box_shrink::bytes(source.0, block, channels)
        };
        let source = box_shrink::shrunk_size(source, block);
        let channels = channels as u64;
        let target_height = target.1;
        let window = u64::from(source.0) * u64::from(Self::window_rows(source.1, target_height));
        let columns = u64::from(source.0) * u64::from(target_height);
        let result = u64::from(target.0) * u64::from(target_height);
        window
            .saturating_add(columns)
            .saturating_add(result)
            .saturating_mul(channels)
            .saturating_add(shrink)
    }

    /// The source rows output row `row`'s filter reads, one more either side against rounding.
    fn rows_for(&self, row: u32) -> (u32, u32) {
        let centre = (f64::from(row) + 0.5) * self.scale;
        let first = (centre - self.reach).floor().max(0.0) as u32;
        let end = ((centre + self.reach).ceil() as u32).saturating_add(1);
        (first.saturating_sub(1), end.min(self.source.1))
    }

    /// Takes the next whole rows of the source, `band` (tightly packed, a multiple of the row
    /// length); premultiplies them in place when there is alpha.
    pub(super) fn push(&mut self, band: &mut [u8]) -> Result<()> {
        if self.alpha {
            let row_len = self.input.0 as usize * self.channels;
            let rows = u32::try_from(band.len() / row_len.max(1))
                .map_err(|_| Error::internal("resizing", "more rows than the source has"))?;
            if rows > 0 {
                let band = &mut band[..rows as usize * row_len];
                let mut src = Image::from_slice_u8(self.input.0, rows, band, self.pixel_type)
                    .map_err(internal)?;
                self.mul_div
                    .multiply_alpha_inplace(&mut src)
                    .map_err(internal)?;
            }
        }
        self.push_premultiplied(band)
    }

    /// [`Bands::push`] for rows that need no premultiplying: their alpha already multiplied
    /// in, or no alpha channel at all.
    pub(super) fn push_premultiplied(&mut self, band: &[u8]) -> Result<()> {
        let row_len = self.input.0 as usize * self.channels;
        if row_len == 0 || !band.len().is_multiple_of(row_len) {
            return Err(Error::internal("resizing", "a band of partial rows"));
        }
        let rows = rows_of(band, row_len);
        if self.input_rows.saturating_add(rows) > self.input.1 {
            return Err(Error::internal("resizing", "more rows than the source has"));
        }
        self.input_rows += rows;
        match self.shrink.take() {
            Some(mut shrink) => {
                let pushed = shrink.push(band, |row| self.take(row));
                self.shrink = Some(shrink);
                pushed
            }
            None => self.take(band),
        }
    }

    /// Takes the next whole rows of the picture the passes resample (premultiplied, shrunk).
    fn take(&mut self, band: &[u8]) -> Result<()> {
        let row_len = self.source.0 as usize * self.channels;
        let rows = rows_of(band, row_len);
        if self.rows_in.saturating_add(rows) > self.source.1 {
            return Err(Error::internal("resizing", "more rows than the source has"));
        }
        if self.window_capacity == 0 {
            // The height stays: the rows are the intermediate's.
            let start = self.rows_in as usize * row_len;
            self.columns[start..start + band.len()].copy_from_slice(band);
            self.rows_in += rows;
            self.rows_out = self.rows_in;
            return Ok(());
        }
        let mut band = band;
        while !band.is_empty() {
            let held = self.rows_in - self.window_start;
            let take = (self.window_capacity - held).min(rows_of(band, row_len));
            if take == 0 {
                return Err(Error::internal("resizing", "the row window is too small"));
            }
            let at = held as usize * row_len;
            let bytes = take as usize * row_len;
            self.window[at..at + bytes].copy_from_slice(&band[..bytes]);
            band = &band[bytes..];
            self.rows_in += take;
            if self.rows_in - self.window_start == self.window_capacity {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Runs the vertical pass for every output row whose source rows are all in the window, then
    /// drops the rows no later output row reads.
    fn flush(&mut self) -> Result<()> {
        let first = self.rows_out;
        let mut end = first;
        while end < self.target.1 && self.rows_for(end).1 <= self.rows_in {
            end += 1;
        }
        if end > first {
            let held = self.rows_in - self.window_start;
            let row_len = self.source.0 as usize * self.channels;
            let window = &self.window[..held as usize * row_len];
            let src =
                ImageRef::new(self.source.0, held, window, self.pixel_type).map_err(internal)?;
            let columns_row = self.source.0 as usize * self.channels;
            let out = &mut self.columns[first as usize * columns_row..end as usize * columns_row];
            let mut dst = Image::from_slice_u8(self.source.0, end - first, out, self.pixel_type)
                .map_err(internal)?;
            let top = f64::from(first) * self.scale;
            let bottom = (f64::from(end) * self.scale).min(self.extent.1);
            let crop = ResizeOptions::new()
                .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
                .use_alpha(false)
                .crop(
                    0.0,
                    top - f64::from(self.window_start),
                    f64::from(self.source.0),
                    bottom - top,
                );
            RESIZER
                .with(|resizer| resizer.borrow_mut().resize(&src, &mut dst, &crop))
                .map_err(internal)?;
            self.rows_out = end;
        }
        let keep_from = if self.rows_out < self.target.1 {
            self.rows_for(self.rows_out).0.min(self.rows_in)
        } else {
            self.rows_in
        };
        if keep_from > self.window_start {
            let row_len = self.source.0 as usize * self.channels;
            let from = (keep_from - self.window_start) as usize * row_len;
            let to = (self.rows_in - self.window_start) as usize * row_len;
            self.window.copy_within(from..to, 0);
            self.window_start = keep_from;
        }
        Ok(())
    }

    /// Runs the rest of the vertical pass and the horizontal pass once every source row is in;
    /// returns the `target`-sized pixels, tightly packed.
    pub(super) fn finish(mut self) -> Result<Vec<u8>> {
        if self.input_rows != self.input.1 {
            return Err(Error::decode(format!(
                "the image data ends after {} of {} rows",
                self.input_rows, self.input.1
            )));
        }
        if let Some(mut shrink) = self.shrink.take() {
            shrink.finish(|row| self.take(row))?;
        }
        if self.rows_in != self.source.1 {
            return Err(Error::internal(
                "resizing",
                "the shrunk rows do not fill the picture",
            ));
        }
        if self.rows_out < self.target.1 {
            self.flush()?;
        }
        if self.rows_out != self.target.1 {
            return Err(Error::internal(
                "resizing",
                "output rows left without source rows",
            ));
        }
        self.window = Vec::new();
        let full_width = self.extent.0 == f64::from(self.source.0);
        let mut result = if self.target.0 == self.source.0 && full_width {
            self.columns
        } else {
            let mut result = vec![0u8; buffer_len(self.target.0, self.target.1, self.channels)?];
            let src = ImageRef::new(self.source.0, self.target.1, &self.columns, self.pixel_type)
                .map_err(internal)?;
            let mut dst =
                Image::from_slice_u8(self.target.0, self.target.1, &mut result, self.pixel_type)
                    .map_err(internal)?;
            let region = (!full_width).then(|| Region {
                left: 0.0,
                top: 0.0,
                width: self.extent.0,
                height: f64::from(self.target.1),
            });
            run(&src, &mut dst, region, false)?;
            result
        };
        if self.alpha {
            let mut dst =
                Image::from_slice_u8(self.target.0, self.target.1, &mut result, self.pixel_type)
                    .map_err(internal)?;
            self.mul_div
                .divide_alpha_inplace(&mut dst)
                .map_err(internal)?;
        }
        Ok(result)
    }
}

impl Bands {
    /// [`Bands::finish`] as pixels of the channel count the resample was made for.
    pub(super) fn finish_pixels(self) -> Result<Pixels> {
        let (width, height, channels) = (self.target.0, self.target.1, self.channels);
        let raw = self.finish()?;
        let pixels = match channels {
            1 => image::GrayImage::from_raw(width, height, raw).map(Pixels::Gray),
            2 => image::GrayAlphaImage::from_raw(width, height, raw).map(Pixels::GrayAlpha),
            3 => image::RgbImage::from_raw(width, height, raw).map(Pixels::Rgb),
            _ => image::RgbaImage::from_raw(width, height, raw).map(Pixels::Rgba),
        };
        pixels.ok_or_else(|| Error::internal("resizing", "the resampled buffer has the wrong size"))
    }
}

/// How many rows of `row_len` bytes `band` holds.
fn rows_of(band: &[u8], row_len: usize) -> u32 {
    u32::try_from(band.len() / row_len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    #[test]
    fn transparent_pixels_do_not_bleed_their_colour() {
        // Left half opaque red, right half fully transparent green: with premultiplied alpha no
        // green may appear in the result.
        let image = RgbaImage::from_fn(64, 8, |x, _| {
            if x < 32 {
                Rgba([255, 0, 0, 255])
            } else {
                Rgba([0, 255, 0, 0])
            }
        });
        let Pixels::Rgba(small) = resize(Pixels::Rgba(image), (16, 2)).unwrap() else {
            panic!("RGBA stays RGBA");
        };
        assert_eq!(small.dimensions(), (16, 2));
        for pixel in small.pixels().filter(|pixel| pixel[3] > 16) {
            assert!(pixel[1] < 16, "{pixel:?}");
        }
    }

    #[test]
    fn a_large_job_leaves_no_large_scratch_on_the_thread() {
        // 1200×1000 RGBA: a 4.8 MB premultiplied copy alone exceeds what a thread may keep.
        let image = RgbaImage::from_pixel(1200, 1000, Rgba([9, 9, 9, 128]));
        resize(Pixels::Rgba(image), (60, 50)).unwrap();
        let kept = RESIZER.with(|resizer| resizer.borrow().size_of_internal_buffers());
        assert!(kept <= KEEP_SCRATCH_BYTES, "{kept} bytes kept");
    }

    #[test]
    fn a_crop_box_shows_only_its_part_of_the_source() {
        // Left half black, right half white; a crop of the right half, decoded at half scale.
        let image =
            image::GrayImage::from_fn(40, 20, |x, _| image::Luma([if x < 20 { 0 } else { 255 }]));
        let target = Target {
            size: (10, 10),
            crop: Some(crate::render::crop::Crop {
                source: (80, 40),
                left: 40,
                top: 0,
                width: 40,
                height: 40,
            }),
        };
        let Pixels::Gray(right) = resize(Pixels::Gray(image.clone()), target).unwrap() else {
            panic!("grey stays grey");
        };
        assert_eq!(right.dimensions(), (10, 10));
        // The filter reads a little past the box's edge (the source goes on there), so the first
        // column may take a touch of the black half; nothing more of it shows.
        assert!(right.pixels().all(|pixel| pixel[0] > 230), "{right:?}");
        assert!(right
            .pixels()
            .skip(1)
            .step_by(10)
            .all(|pixel| pixel[0] > 250));
        // A crop at the source's own scale is still a crop, not the source untouched.
        let target = Target {
            size: (20, 20),
            crop: Some(crate::render::crop::Crop {
                source: (40, 20),
                left: 0,
                top: 0,
                width: 20,
                height: 20,
            }),
        };
        let Pixels::Gray(left) = resize(Pixels::Gray(image), target).unwrap() else {
            panic!("grey stays grey");
        };
        assert_eq!(left.dimensions(), (20, 20));
        assert!(left.pixels().all(|pixel| pixel[0] < 5), "{left:?}");
    }

    /// The lowest PSNR between a shrink by four or more with the box ahead of Lanczos3 and
    /// Lanczos3 alone, on a corpus photo and the RGBA bench photo (measured: 44.8 dB for an 18 px
    /// wide thumbnail, 46 dB and up from 40 px).
    const BOX_AGAINST_LANCZOS_FLOOR: f64 = 42.0;

    #[test]
    fn the_box_ahead_of_lanczos_stays_close_to_lanczos_alone() {
        use crate::test_common::corpus::{bench_bytes, corpus_bytes};
        use crate::test_common::pixels::{psnr, visible};
        let photo = image::load_from_memory(&corpus_bytes("jpeg/exif_orientation_1.jpg"))
            .expect("a corpus photo");
        let alpha = image::load_from_memory(&bench_bytes("alpha-3mp.png")).expect("a bench PNG");
        let mut lowest = f64::INFINITY;
        for source in [Pixels::Rgb(photo.to_rgb8()), Pixels::Rgba(alpha.to_rgba8())] {
            let (width, height) = source.dimensions();
            for divisor in [4, 7, 12, 30, 64] {
                let size = (width / divisor, height / divisor);
                assert_ne!(box_shrink::block((width, height), size), (1, 1));
                let region = Region::from_extent((f64::from(width), f64::from(height)));
                let (boxed, alone) = match &source {
                    Pixels::Rgb(image) => (
                        resize(source.clone(), size).unwrap().into_raw(),
                        resize_buffer(image, region, size, PixelType::U8x3)
                            .unwrap()
                            .into_raw(),
                    ),
                    Pixels::Rgba(image) => (
                        resize(source.clone(), size).unwrap().into_raw(),
                        resize_buffer(image, region, size, PixelType::U8x4)
                            .unwrap()
                            .into_raw(),
                    ),
                    _ => unreachable!("RGB and RGBA sources only"),
                };
                let channels = source.channels();
                let psnr = psnr(&visible(&boxed, channels), &visible(&alone, channels));
                assert!(
                    psnr >= BOX_AGAINST_LANCZOS_FLOOR,
                    "{width}x{height} to {size:?}: {psnr:.1} dB"
                );
                lowest = lowest.min(psnr);
            }
        }
        println!("box ahead of Lanczos3: at least {lowest:.1} dB against Lanczos3 alone");
    }

    #[test]
    fn same_size_is_untouched_and_tiny_targets_work() {
        let image = image::GrayImage::from_pixel(5, 1, image::Luma([7]));
        let same = resize(Pixels::Gray(image.clone()), (5, 1)).unwrap();
        assert_eq!(same.dimensions(), (5, 1));
        let tiny = resize(Pixels::Gray(image), (1, 1)).unwrap();
        assert_eq!(tiny.dimensions(), (1, 1));
    }
}
