//! TIFF's LZW (TIFF 6.0 §13): codes of 9 to 12 bits read most significant bit first, code 256
//! clears the table, 257 ends the data, and the code width grows one code early (when the next
//! free entry is 511, 1023 or 2047), as libtiff writes it.
//!
//! Every string in the table is a run of the output already written: an entry is the position
//! and length of its first occurrence, so decoding a code is one copy within the output and the
//! table is two integers an entry, never a string.

use crate::{Error, Result};

/// Clears the table.
const CLEAR: u16 = 256;
/// Ends the data.
const END: u16 = 257;
/// The first code the table assigns.
const FIRST_FREE: usize = 258;
/// Entries the table holds (12-bit codes).
const TABLE_SIZE: usize = 4096;

/// Appends the decompression of `input` (one strip or tile) to `out`, at most `max_len` bytes:
/// the data ends at the end code, at the end of the input, or at `max_len`, whichever comes first.
/// A code that names no entry yet is an error of the file.
pub(super) fn decompress(input: &[u8], out: &mut Vec<u8>, max_len: usize) -> Result<()> {
    let base = out.len();
    // The output is written in place: room for `max_len` bytes and a block copy's overrun, then
    // the 256 literals (and a block's reach past the last), all cut to what was written at the
    // end.
    let literals = max_len.saturating_add(SHORT);
    out.resize(base.saturating_add(literals).saturating_add(256 + SHORT), 0);
    for (slot, byte) in out[base + literals..].iter_mut().zip(0..=u8::MAX) {
        *slot = byte;
    }
    match decompress_into(input, &mut out[base..], max_len) {
        Ok(written) => {
            out.truncate(base + written);
            Ok(())
        }
        Err((written, error)) => {
            out.truncate(base + written);
            Err(error)
        }
    }
}

/// The block strings are copied in (a fixed size the compiler turns into plain loads and stores),
/// writing past a string's end into bytes that later codes overwrite.
const SHORT: usize = 16;
/// The most blocks a string is copied in; a longer one is one `memmove`.
const BLOCKS: usize = 4;

/// The string table: where each entry's first occurrence starts in the buffer and how long it is.
/// The literals are entries too, pointing into the 256 bytes after the output's room, so every
/// code but the clear and end codes (length 0) is one copy.
struct Table {
    starts: [u32; TABLE_SIZE],
    lengths: [u16; TABLE_SIZE],
}

impl Table {
    fn new(literals: u32) -> Table {
        let mut table = Table {
            starts: [0; TABLE_SIZE],
            lengths: [0; TABLE_SIZE],
        };
        for byte in 0..256 {
            table.starts[byte] = literals + byte as u32;
            table.lengths[byte] = 1;
        }
        table
    }
}

/// Decompresses `input` into `buffer` (`max_len` bytes, [`SHORT`] of slack, then the 256
/// literals and [`SHORT`] more): the bytes written, or those and the error that stopped it.
fn decompress_into(
    input: &[u8],
    buffer: &mut [u8],
    max_len: usize,
) -> std::result::Result<usize, (usize, Error)> {
    let undefined = || Error::decode("TIFF LZW data names an undefined code");
    let limit = max_len + SHORT;
    let Ok(literals) = u32::try_from(limit) else {
        return Err((0, Error::decode("a TIFF LZW strip over 4 GB")));
    };
    let mut table = Table::new(literals);
    let mut bits = Bits::new(input);
    let mut end = 0usize;
    'table: loop {
        // A fresh table: the first code is a literal (or clears again, or ends).
        let mut next = FIRST_FREE;
        let mut width = 9u32;
        let mut previous = loop {
            if end >= max_len {
                return Ok(end);
            }
            let Some(code) = bits.read(width) else {
                return Ok(end);
            };
            match code {
                CLEAR => continue,
                END => return Ok(end),
                literal if literal < 256 => {
                    buffer[end] = literal as u8;
                    end += 1;
                    break (end - 1, 1usize);
                }
                _ => return Err((end, undefined())),
            }
        };
        while end < max_len {
            let Some(code) = bits.read(width) else {
                return Ok(end);
            };
            let code = usize::from(code) & (TABLE_SIZE - 1);
            let start = end;
            let room = max_len - start;
            let length = usize::from(table.lengths[code]);
            if code < next && length > 0 {
                let from = table.starts[code] as usize;
                copy_string(buffer, from, length, start, limit);
                end += length.min(room);
            } else if code == usize::from(CLEAR) {
                continue 'table;
            } else if code == usize::from(END) {
                return Ok(end);
            } else if code == next {
                // The string not yet in the table: the previous string and its own first byte.
                let (from, length) = previous;
                copy_string(buffer, from, length, start, limit);
                buffer[start + length.min(room)] = buffer[from];
                end += (length + 1).min(room);
            } else {
                return Err((end, undefined()));
            }
            if next < TABLE_SIZE {
                // The previous string followed by this one's first byte, which the output holds
                // right after the previous string.
                table.starts[next] = previous.0 as u32;
                table.lengths[next] = (previous.1 + 1) as u16;
                next += 1;
                if next + 1 >= 1 << width && width < 12 {
                    width += 1;
                }
            }
            previous = (start, end - start);
        }
        return Ok(end);
    }
}

/// Copies the `length` bytes at `from` (all before `to`, or among the literals past `limit`) to
/// `to`, clipped to `limit`. A string of up to [`BLOCKS`] blocks goes as whole [`SHORT`]-byte
/// blocks (plain loads and stores, no call), the last one's tail landing in bytes not yet
/// written; a block may read bytes this copy wrote, but only past the string's own `length`,
/// whose bytes all lie before `to`.
#[inline(always)]
fn copy_string(buffer: &mut [u8], from: usize, length: usize, to: usize, limit: usize) {
    let blocks = length.div_ceil(SHORT);
    if blocks <= BLOCKS && to + blocks * SHORT <= limit {
        for block in 0..blocks {
            let at = block * SHORT;
            let mut bytes = [0u8; SHORT];
            bytes.copy_from_slice(&buffer[from + at..from + at + SHORT]);
            buffer[to + at..to + at + SHORT].copy_from_slice(&bytes);
        }
    } else {
        let length = length.min(limit - to);
        buffer.copy_within(from..from + length, to);
    }
}

/// Codes read most significant bit first.
struct Bits<'a> {
    input: &'a [u8],
    /// Bits not yet taken, right-aligned.
    buffer: u64,
    /// How many bits `buffer` holds.
    count: u32,
}

impl<'a> Bits<'a> {
    fn new(input: &'a [u8]) -> Bits<'a> {
        Bits {
            input,
            buffer: 0,
            count: 0,
        }
    }

    /// The next `width`-bit code, `None` at the end of the input.
    fn read(&mut self, width: u32) -> Option<u16> {
        if self.count < width {
            self.refill();
            if self.count < width {
                return None;
            }
        }
        self.count -= width;
        Some(((self.buffer >> self.count) & ((1 << width) - 1)) as u16)
    }

    fn refill(&mut self) {
        if let Some(chunk) = self.input.first_chunk::<4>() {
            if self.count <= 32 {
                self.buffer = (self.buffer << 32) | u64::from(u32::from_be_bytes(*chunk));
                self.count += 32;
                self.input = &self.input[4..];
                return;
            }
        }
        while self.count <= 56 {
            let Some((&byte, rest)) = self.input.split_first() else {
                return;
            };
            self.buffer = (self.buffer << 8) | u64::from(byte);
            self.count += 8;
            self.input = rest;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `codes` as TIFF LZW does: MSB first, the width following the decoder's table.
    fn pack(codes: &[(u16, u32)]) -> Vec<u8> {
        let (mut acc, mut bits, mut out) = (0u64, 0u32, Vec::new());
        for &(code, width) in codes {
            acc = (acc << width) | u64::from(code);
            bits += width;
            while bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        if bits > 0 {
            out.push((acc << (8 - bits)) as u8);
        }
        out
    }

    #[test]
    fn decodes_literals_entries_and_the_code_being_defined() {
        // "abababa": a, b, 258 (ab), 260 (aba, the code being defined).
        let data = pack(&[(CLEAR, 9), (97, 9), (98, 9), (258, 9), (260, 9), (END, 9)]);
        let mut out = Vec::new();
        decompress(&data, &mut out, 100).unwrap();
        assert_eq!(out, b"abababa");
    }

    #[test]
    fn stops_at_the_limit_and_refuses_undefined_codes() {
        let data = pack(&[(CLEAR, 9), (97, 9), (98, 9), (258, 9), (END, 9)]);
        let mut out = Vec::new();
        decompress(&data, &mut out, 3).unwrap();
        assert_eq!(out, b"aba");
        let bad = pack(&[(CLEAR, 9), (97, 9), (300, 9)]);
        assert!(decompress(&bad, &mut Vec::new(), 100).is_err());
        let bad = pack(&[(CLEAR, 9), (258, 9)]);
        assert!(decompress(&bad, &mut Vec::new(), 100).is_err());
    }

    #[test]
    fn arbitrary_input_never_panics_nor_exceeds_the_limit() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for round in 0..2000 {
            let len = round % 700;
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    // Mostly small codes, so that long tables are built.
                    if round % 2 == 0 {
                        (state >> 56) as u8 & 0x81
                    } else {
                        (state >> 56) as u8
                    }
                })
                .collect();
            let mut out = vec![7u8; 3];
            let _ = decompress(&input, &mut out, 5000);
            assert!(out.len() <= 5003);
            assert_eq!(&out[..3], &[7, 7, 7]);
        }
    }
}
