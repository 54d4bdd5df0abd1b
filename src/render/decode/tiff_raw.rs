//! TIFF strips read by this crate rather than by the `tiff` crate's chunk reader, where that
//! refuses what it cannot lay out (subsampled YCbCr) or is slower (8-bit LZW): each strip's
//! bytes are found through
//! `StripOffsets` and `StripByteCounts` in the file held in memory and decompressed here, no
//! compression (1), LZW (5, [`tiff_lzw`]), Deflate (8 and 32946, zlib) or PackBits (32773).
//! What comes out is the strip's samples as stored, with no predictor undone.

use std::io::Read;

use ::tiff::decoder::Decoder;
use ::tiff::tags::Tag;

use super::tiff_lzw;
use crate::{Error, Result};

/// How a strip's bytes are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Compression {
    /// Stored as they are (1).
    None,
    /// LZW (5).
    Lzw,
    /// zlib Deflate (8, and the older 32946).
    Deflate,
    /// PackBits run lengths (32773).
    PackBits,
}

impl Compression {
    /// The compression a `Compression` tag value names, `None` (the option) for the others.
    pub(super) fn from_tag(value: u32) -> Option<Compression> {
        match value {
            1 => Some(Compression::None),
            5 => Some(Compression::Lzw),
            8 | 32946 => Some(Compression::Deflate),
            32773 => Some(Compression::PackBits),
            _ => None,
        }
    }
}

/// The strips of the current image of a TIFF held in memory.
#[derive(Debug)]
pub(super) struct RawStrips<'a> {
    file: &'a [u8],
    compression: Compression,
    offsets: Vec<u64>,
    byte_counts: Vec<u64>,
}

impl<'a> RawStrips<'a> {
    /// The strips of the current image of `decoder`, which reads `file`; an error when the
    /// compression is not one of [`Compression`]'s or the strip tags are missing or disagree.
    pub(super) fn new<R: std::io::Read + std::io::Seek>(
        decoder: &mut Decoder<R>,
        file: &'a [u8],
    ) -> Result<RawStrips<'a>> {
        let tag = |decoder: &mut Decoder<R>, tag: Tag| -> Option<Vec<u64>> {
            decoder.find_tag_unsigned_vec::<u64>(tag).ok().flatten()
        };
        let compression = tag(decoder, Tag::Compression).map_or(1, |values| values[0]);
        let compression = u32::try_from(compression)
            .ok()
            .and_then(Compression::from_tag)
            .ok_or_else(|| Error::UnsupportedFormat {
                reason: format!("TIFF compression {compression} for this layout"),
            })?;
        let (Some(offsets), Some(byte_counts)) = (
            tag(decoder, Tag::StripOffsets),
            tag(decoder, Tag::StripByteCounts),
        ) else {
            return Err(Error::decode(
                "TIFF strip offsets or byte counts are missing",
            ));
        };
        if offsets.len() != byte_counts.len() {
            return Err(Error::decode(
                "TIFF StripOffsets and StripByteCounts differ in length",
            ));
        }
        Ok(RawStrips {
            file,
            compression,
            offsets,
            byte_counts,
        })
    }

    /// How many strips the tags list.
    pub(super) fn count(&self) -> usize {
        self.offsets.len()
    }

    /// Appends the decompressed bytes of strip `index` to `out`: exactly `len` bytes, or an error
    /// when the strip holds fewer (a strip cut short by the end of the file is as short as what
    /// is there).
    pub(super) fn read(&self, index: usize, out: &mut Vec<u8>, len: usize) -> Result<()> {
        let (Some(&offset), Some(&count)) = (self.offsets.get(index), self.byte_counts.get(index))
        else {
            return Err(Error::decode("a TIFF strip is missing from StripOffsets"));
        };
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.file.len());
        let end = start
            .saturating_add(usize::try_from(count).unwrap_or(usize::MAX))
            .min(self.file.len());
        let input = &self.file[start..end];
        let base = out.len();
        match self.compression {
            Compression::None => out.extend_from_slice(&input[..len.min(input.len())]),
            // Sizes `out` itself, with the slack its block copies need.
            Compression::Lzw => tiff_lzw::decompress(input, out, len)?,
            Compression::Deflate => {
                out.reserve(len);
                // A stream cut short still gives what it decoded; the length check below decides.
                let _ = flate2::read::ZlibDecoder::new(input)
                    .take(len as u64)
                    .read_to_end(out);
            }
            Compression::PackBits => {
                out.reserve(len);
                unpack_bits(input, out, len);
            }
        }
        if out.len() - base < len {
            return Err(Error::decode(
                "a TIFF strip holds fewer bytes than its rows",
            ));
        }
        Ok(())
    }
}

/// Appends the PackBits decoding of `input` to `out`, at most `max_len` bytes: a header byte n of
/// 0 to 127 copies the next n + 1 bytes, -1 to -127 repeats the next byte 1 - n times, -128 is
/// skipped.
fn unpack_bits(mut input: &[u8], out: &mut Vec<u8>, max_len: usize) {
    let limit = out.len().saturating_add(max_len);
    while let Some((&header, rest)) = input.split_first() {
        let room = limit - out.len();
        if room == 0 {
            break;
        }
        let header = header as i8;
        if header >= 0 {
            let take = (usize::from(header as u8) + 1).min(rest.len());
            out.extend_from_slice(&rest[..take.min(room)]);
            input = &rest[take..];
        } else if header != -128 {
            let Some((&byte, rest)) = rest.split_first() else {
                break;
            };
            let repeat = (1 - i32::from(header)) as usize;
            out.resize(out.len() + repeat.min(room), byte);
            input = rest;
        } else {
            input = rest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::path::Path;

    /// Every TIFF under `dir`, recursively.
    fn tiffs(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                tiffs(&path, found);
            } else if path
                .extension()
                .is_some_and(|ext| ext == "tif" || ext == "tiff")
            {
                found.push(path);
            }
        }
    }

    /// Our LZW against the `tiff` crate's (weezl) on every 8-bit LZW strip TIFF of the corpus that
    /// the crate reads, the horizontal predictor undone here for the comparison.
    #[test]
    fn lzw_strips_match_the_tiff_crate() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
        let mut files = Vec::new();
        tiffs(&corpus, &mut files);
        let mut compared = 0;
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let Ok(mut decoder) = Decoder::new(Cursor::new(&bytes[..])) else {
                continue;
            };
            let compression = decoder.find_tag_unsigned::<u16>(Tag::Compression);
            if compression.ok().flatten() != Some(5)
                || decoder.get_chunk_type() != ::tiff::decoder::ChunkType::Strip
            {
                continue;
            }
            let predictor = decoder
                .find_tag_unsigned::<u16>(Tag::Predictor)
                .ok()
                .flatten()
                .unwrap_or(1);
            let samples = decoder
                .find_tag_unsigned::<usize>(Tag::SamplesPerPixel)
                .ok()
                .flatten()
                .unwrap_or(1);
            let width = decoder.dimensions().unwrap().0 as usize;
            let strips = RawStrips::new(&mut decoder, &bytes).unwrap();
            for index in 0..strips.count() {
                let Ok(::tiff::decoder::DecodingResult::U8(expected)) =
                    decoder.read_chunk(index as u32)
                else {
                    break;
                };
                let mut ours = Vec::new();
                strips.read(index, &mut ours, expected.len()).unwrap();
                if predictor == 2 {
                    for row in ours.chunks_exact_mut(width * samples) {
                        for i in samples..row.len() {
                            row[i] = row[i].wrapping_add(row[i - samples]);
                        }
                    }
                }
                assert!(ours == expected, "{}: strip {index}", path.display());
                compared += 1;
            }
        }
        assert!(compared >= 8, "only {compared} LZW strips compared");
    }

    #[test]
    fn packbits_reads_literals_runs_and_no_ops() {
        let mut out = Vec::new();
        unpack_bits(&[2, 1, 2, 3, 0xFE, 9, 0x80, 0, 4], &mut out, 100);
        assert_eq!(out, [1, 2, 3, 9, 9, 9, 4]);
        let mut out = Vec::new();
        unpack_bits(&[2, 1, 2, 3, 0xFE, 9], &mut out, 4);
        assert_eq!(out, [1, 2, 3, 9]);
        // Cut short: what is there.
        let mut out = Vec::new();
        unpack_bits(&[5, 1, 2], &mut out, 100);
        assert_eq!(out, [1, 2]);
    }
}
