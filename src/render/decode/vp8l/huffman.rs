//! VP8L prefix codes: how a code is described in the bitstream (simple, or code lengths coded
//! with a code of their own), and the lookup tables that decode a symbol.
//!
//! Every table of one picture lives in one arena ([`Tables`]) whose size is capped, so a hostile
//! stream that declares thousands of codes is refused instead of allocating without bound. A
//! table has a root of up to [`ROOT_BITS`] bits; longer codes continue in a subtable per root
//! prefix.

use super::bits::Bits;
use crate::{Error, Result};

/// Bits looked at by the root table.
const ROOT_BITS: u32 = 8;
/// The longest code VP8L allows.
const MAX_LENGTH: usize = 15;
/// Marks a root entry that links to a subtable.
const LINK: u32 = 1 << 31;
/// The order in which code-length code lengths are stored.
const CODE_LENGTH_ORDER: [usize; 19] = [
    17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
];

/// The most table entries one picture may hold (16 MiB): far above what encoders write (a few
/// hundred codes of a few hundred entries each).
pub(super) const MAX_ENTRIES: usize = 1 << 22;

/// The lookup tables of every prefix code of a picture.
///
/// An entry is a code length (low 8 bits, so that a shift by the entry drops the code) and its
/// symbol (bits 8 to 23), or, in a root table, a link: [`LINK`], the subtable's offset (bits 8 to
/// 30) and index bits (low 8 bits).
pub(super) struct Tables {
    entries: Vec<u32>,
}

/// One prefix code: where its root table starts in [`Tables`] and how many bits it indexes; a
/// code of one symbol indexes none and holds that symbol in `start`.
#[derive(Clone, Copy)]
pub(super) struct Code {
    start: u32,
    root_bits: u32,
    /// The longest code length.
    pub(super) longest: u32,
}

impl Tables {
    /// An empty arena.
    pub(super) fn new() -> Self {
        Tables {
            entries: Vec::new(),
        }
    }

    /// Decodes one symbol of `code`; the reader must hold at least 15 bits.
    #[inline(always)]
    pub(super) fn decode(&self, code: Code, bits: &mut Bits) -> u32 {
        if code.root_bits == 0 {
            // A single symbol, kept in the code itself: no bits, no lookup.
            return code.start;
        }
        let acc = bits.peek();
        let root = (acc & ((1 << code.root_bits) - 1)) as usize;
        let entry = self.entry(code.start as usize + root);
        let entry = if entry & LINK == 0 {
            entry
        } else {
            let index = (acc >> code.root_bits) as usize & ((1 << (entry & 0xff)) - 1);
            self.entry(((entry & !LINK) >> 8) as usize + index)
        };
        bits.consume(entry & 0xff);
        (entry >> 8) & 0xffff
    }

    /// The entry at `index` (0, an empty code's, past the end: unreachable for built tables).
    #[inline(always)]
    fn entry(&self, index: usize) -> u32 {
        self.entries.get(index).copied().unwrap_or(0)
    }

    /// Reads the description of a code over `alphabet` symbols and builds its table.
    pub(super) fn read(&mut self, bits: &mut Bits, alphabet: usize) -> Result<Code> {
        let mut lengths = vec![0u8; alphabet];
        if bits.read(1) == 1 {
            // A simple code: one or two symbols, the first of 1 or 8 bits, the second of 8.
            let two = bits.read(1) == 1;
            let first_bits = if bits.read(1) == 1 { 8 } else { 1 };
            let mut set = |symbol: u32| -> Result<()> {
                *lengths
                    .get_mut(symbol as usize)
                    .ok_or_else(|| corrupt("a simple prefix code names a symbol too large"))? = 1;
                Ok(())
            };
            set(bits.read(first_bits))?;
            if two {
                set(bits.read(8))?;
            }
        } else {
            self.read_lengths(bits, &mut lengths)?;
        }
        self.build(&lengths)
    }

    /// Reads code lengths coded with a code-length code.
    fn read_lengths(&mut self, bits: &mut Bits, lengths: &mut [u8]) -> Result<()> {
        let mut code_length_lengths = [0u8; 19];
        let stored = 4 + bits.read(4) as usize;
        for &symbol in &CODE_LENGTH_ORDER[..stored] {
            code_length_lengths[symbol] = bits.read(3) as u8;
        }
        // The code-length code is built in the arena and dropped from it afterwards.
        let mark = self.entries.len();
        let code_length_code = self.build(&code_length_lengths)?;
        let alphabet = lengths.len();
        let mut budget = if bits.read(1) == 1 {
            let width = 2 + 2 * bits.read(3);
            let budget = 2 + bits.read(width) as usize;
            if budget > alphabet {
                return Err(corrupt("a prefix code lists more lengths than symbols"));
            }
            budget
        } else {
            alphabet
        };
        let mut previous = 8u8;
        let mut symbol = 0;
        while symbol < alphabet && budget > 0 {
            budget -= 1;
            bits.refill();
            let length = self.decode(code_length_code, bits) as u8;
            if length < 16 {
                lengths[symbol] = length;
                symbol += 1;
                if length != 0 {
                    previous = length;
                }
                continue;
            }
            let (extra, base, value) = match length {
                16 => (2, 3, previous),
                17 => (3, 3, 0),
                _ => (7, 11, 0),
            };
            let repeat = base + bits.read(extra) as usize;
            let run = lengths
                .get_mut(symbol..symbol + repeat)
                .ok_or_else(|| corrupt("a prefix code repeats a length past its symbols"))?;
            run.fill(value);
            symbol += repeat;
        }
        self.entries.truncate(mark);
        Ok(())
    }

    /// Builds the table of the canonical code with these lengths (0: symbol unused). The code
    /// must be complete, or a single symbol (then it takes no bits).
    fn build(&mut self, lengths: &[u8]) -> Result<Code> {
        let mut counts = [0u32; MAX_LENGTH + 1];
        for &length in lengths {
            counts[usize::from(length)] += 1;
        }
        counts[0] = 0;
        let used: u32 = counts.iter().sum();
        let start = self.entries.len();
        let longest = counts.iter().rposition(|&count| count != 0).unwrap_or(1) as u32;
        let code = |root_bits| Code {
            start: start as u32,
            root_bits,
            longest,
        };
        if used == 0 {
            return Err(corrupt("a prefix code has no symbol"));
        }
        if used == 1 {
            let symbol = lengths.iter().position(|&length| length != 0).unwrap_or(0);
            return Ok(Code {
                start: symbol as u32,
                root_bits: 0,
                longest: 0,
            });
        }
        // Kraft: the lengths must fill the code space exactly.
        let mut left = 1i64;
        for &count in &counts[1..] {
            left = 2 * left - i64::from(count);
            if left < 0 {
                return Err(corrupt("a prefix code is over-subscribed"));
            }
        }
        if left != 0 {
            return Err(corrupt("a prefix code is incomplete"));
        }
        let root_bits = longest.min(ROOT_BITS);
        let root_size = 1usize << root_bits;
        // Canonical codes, shortest first, then by symbol; stored bit-reversed, since the stream
        // sends a code's first bit lowest.
        let mut next = [0u32; MAX_LENGTH + 2];
        for length in 1..=MAX_LENGTH {
            next[length + 1] = (next[length] + counts[length]) << 1;
        }
        let reversed = |length: u8, next: &mut [u32; MAX_LENGTH + 2]| {
            let length = usize::from(length);
            let code = next[length];
            next[length] += 1;
            (code.reverse_bits() >> (32 - length), length as u32)
        };
        // First pass: each long code's root prefix needs a subtable as deep as its longest code.
        let mut sub_bits = vec![0u8; root_size];
        let mut walk = next;
        for &length in lengths {
            if u32::from(length) > root_bits {
                let (code, length) = reversed(length, &mut walk);
                let prefix = code as usize & (root_size - 1);
                sub_bits[prefix] = sub_bits[prefix].max((length - root_bits) as u8);
            }
        }
        let subtables: usize = sub_bits
            .iter()
            .filter(|&&bits| bits > 0)
            .map(|&bits| 1usize << bits)
            .sum();
        self.grow(root_size + subtables)?;
        self.entries.resize(start + root_size, 0);
        for (prefix, &bits) in sub_bits.iter().enumerate() {
            if bits > 0 {
                let offset = self.entries.len() as u32;
                self.entries[start + prefix] = LINK | offset << 8 | u32::from(bits);
                self.entries.resize(self.entries.len() + (1 << bits), 0);
            }
        }
        // Second pass: every code fills the entries whose low bits it matches.
        let mut walk = next;
        for (symbol, &length) in lengths.iter().enumerate() {
            if length == 0 {
                continue;
            }
            let (code, length) = reversed(length, &mut walk);
            let entry = (symbol as u32) << 8 | length;
            if length <= root_bits {
                let mut at = code as usize;
                while at < root_size {
                    self.entries[start + at] = entry;
                    at += 1 << length;
                }
            } else {
                let link = self.entries[start + (code as usize & (root_size - 1))];
                let size = 1usize << (link & 0xff);
                let offset = ((link & !LINK) >> 8) as usize;
                let mut at = (code >> root_bits) as usize;
                while at < size {
                    self.entries[offset + at] = entry;
                    at += 1 << (length - root_bits);
                }
            }
        }
        Ok(code(root_bits))
    }

    /// Refuses to grow the arena past [`MAX_ENTRIES`].
    fn grow(&mut self, entries: usize) -> Result<()> {
        if self.entries.len() + entries > MAX_ENTRIES {
            return Err(Error::decode(
                "the lossless WebP declares more prefix codes than allowed",
            ));
        }
        self.entries.reserve(entries);
        Ok(())
    }
}

/// A decode error for a malformed lossless WebP.
pub(super) fn corrupt(what: &str) -> Error {
    Error::decode(format!("corrupt lossless WebP: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes bits least significant first.
    struct Writer {
        bytes: Vec<u8>,
        bit: usize,
    }

    impl Writer {
        fn put(&mut self, value: u32, n: usize) {
            for k in 0..n {
                if self.bit.is_multiple_of(8) {
                    self.bytes.push(0);
                }
                let last = self.bytes.len() - 1;
                self.bytes[last] |= ((value >> k) as u8 & 1) << (self.bit % 8);
                self.bit += 1;
            }
        }
    }

    #[test]
    fn canonical_codes_decode_through_root_and_subtables() {
        // Lengths 1, 2, ..., 14, 15, 15 over 16 symbols: a complete code with a subtable.
        let mut lengths: Vec<u8> = (1..=15).collect();
        lengths.push(15);
        let mut tables = Tables::new();
        let code = tables.build(&lengths).unwrap();
        // Canonical codes: symbol k < 15 is k ones then a zero; the last two are fifteen bits.
        let mut writer = Writer {
            bytes: Vec::new(),
            bit: 0,
        };
        let order = [3usize, 0, 15, 9, 14, 1, 12];
        for &symbol in &order {
            let length = usize::from(lengths[symbol]);
            let ones = symbol.min(14);
            for k in 0..length {
                let bit = if k < ones { 1 } else { u32::from(symbol == 15) };
                writer.put(bit, 1);
            }
        }
        for _ in 0..8 {
            writer.put(0, 8);
        }
        let mut bits = Bits::new(&writer.bytes);
        for &symbol in &order {
            bits.refill();
            assert_eq!(tables.decode(code, &mut bits), symbol as u32);
        }
    }

    #[test]
    fn one_symbol_takes_no_bits_and_bad_lengths_are_refused() {
        let mut tables = Tables::new();
        let code = tables.build(&[0, 0, 5, 0]).unwrap();
        let data = [0xFFu8; 16];
        let mut bits = Bits::new(&data);
        bits.refill();
        assert_eq!(tables.decode(code, &mut bits), 2);
        assert_eq!(bits.read(8), 0xFF);
        assert!(tables.build(&[0, 0]).is_err(), "no symbol");
        assert!(tables.build(&[1, 2, 0]).is_err(), "incomplete");
        assert!(tables.build(&[1, 1, 1]).is_err(), "over-subscribed");
    }
}
