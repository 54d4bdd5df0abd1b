//! Entropy decoding: the bit reader over the scan bytes and the Huffman tables.
//!
//! The reader keeps up to 64 bits, left-aligned, and refills eight bytes at a time when the next
//! eight hold no `0xFF` (the common case); byte stuffing (`FF 00`) and markers are handled on the
//! slow path only. At a marker or the end of the data it feeds zero bits, as libjpeg does, and
//! remembers that it did, so the caller can stop and leave the rest of the image grey.
//!
//! A table decodes any code of up to [`LOOKAHEAD`] bits with one lookup. A second lookup yields
//! whole coefficients, code and extra bits together: the zero run and the sign-extended value,
//! and for AC tables a second coefficient when both fit the lookahead. Small coefficients, the
//! bulk of a photo's AC data, then cost half a lookup each: the chain of dependent lookups, one
//! per symbol, is what bounds entropy decoding.

use super::error::{DecodeError, Result};
use super::marker::{entropy_byte, EntropyByte};
use super::restart::{find_restart, Resynchronise};

/// Bits looked at by the one-lookup decode.
pub(super) const LOOKAHEAD: u32 = 11;
/// Entries of the one-lookup tables.
const FAST_SIZE: usize = 1 << LOOKAHEAD;
/// Bits looked at by a [`SkipTable`] lookup; at most 15, so that an entry's length fits its
/// four bits.
const SKIP_BITS: u32 = 13;
/// Entries of a [`SkipTable`].
const SKIP_SIZE: usize = 1 << SKIP_BITS;
/// Lookups of [`SkipTable::skip_block`] per refill: a refill leaves at least 56 bits and a
/// lookup takes at most [`SKIP_BITS`].
const SKIPS_PER_REFILL: usize = 56 / SKIP_BITS as usize;
/// Lookups of [`SkipTable::skip_block`] before its first refill: the DC coefficient before
/// leaves at least 40 of the 56 bits of a refill (16 of code and extra bits at most).
const SKIPS_BEFORE_REFILL: usize = 40 / SKIP_BITS as usize;

/// Reads bits from entropy-coded data.
pub(super) struct BitReader<'a> {
    /// The whole file.
    data: &'a [u8],
    /// Next byte to read; at a marker it stays on that marker's `0xFF`.
    pos: usize,
    /// Bits not yet consumed, left-aligned.
    acc: u64,
    /// How many bits of `acc` are valid.
    count: u32,
    /// How many of the valid bits (the lowest ones) are zero padding past a marker or the end.
    padding: u32,
    /// A marker or the end of the data was reached.
    at_marker: bool,
    /// Padding was consumed: the scan asked for more bits than its data held.
    exhausted: bool,
}

/// Whether any byte of `word` is `0xFF`.
#[inline(always)]
pub(super) fn has_ff(word: u64) -> bool {
    let inverted = !word;
    (inverted.wrapping_sub(0x0101_0101_0101_0101) & !inverted & 0x8080_8080_8080_8080) != 0
}

/// The bits a [`BitReader`] holds, copied into locals while decoding a block so that they stay
/// in registers (the reader itself is only touched to refill).
#[derive(Clone, Copy)]
pub(super) struct Hot {
    /// Bits not yet consumed, left-aligned.
    pub(super) acc: u64,
    /// How many bits of `acc` are valid.
    pub(super) count: u32,
}

impl Hot {
    /// The next `n` (1 to 32) bits, not consumed.
    #[inline(always)]
    pub(super) fn peek(&self, n: u32) -> u32 {
        (self.acc >> (64 - n)) as u32
    }

    /// Drops `n` bits (at most `count`).
    #[inline(always)]
    pub(super) fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
    }

    /// The next `n` (0 to 16) bits as a signed magnitude; at least `n` bits must be there.
    #[inline(always)]
    pub(super) fn signed(&mut self, n: u32) -> i32 {
        if n == 0 {
            return 0;
        }
        let value = self.peek(n);
        self.consume(n);
        extend(value, n)
    }
}

impl<'a> BitReader<'a> {
    /// The buffered bits, for decoding from locals.
    #[inline(always)]
    pub(super) fn hot(&self) -> Hot {
        Hot {
            acc: self.acc,
            count: self.count,
        }
    }

    /// Takes back the buffered bits after decoding from locals.
    #[inline(always)]
    pub(super) fn set_hot(&mut self, hot: Hot) {
        self.acc = hot.acc;
        self.count = hot.count;
        if self.count < self.padding {
            self.exhausted = true;
            self.padding = self.count;
        }
    }

    /// Makes at least 56 bits available in `hot`.
    ///
    /// Without a branch on how many bits are left, in the common case: the next eight bytes are
    /// ORed in below the bits held, and the position moves on by the whole bytes that fit. Bits
    /// past those bytes are set too, and set again, to the same values, by the next refill.
    /// The eight bytes hold the marker's `0xFF` once the reader stands on a marker, so the test
    /// for `0xFF` also sends that case to the slow path.
    #[inline(always)]
    pub(super) fn refill(&mut self, hot: Hot) -> Hot {
        if let Some(bytes) = self.data.get(self.pos..self.pos + 8) {
            let word = u64::from_be_bytes(bytes.try_into().unwrap_or([0xFF; 8]));
            if !has_ff(word) {
                // `count` is at most 63 (see `fill_slow`).
                self.pos += ((63 - hot.count) >> 3) as usize;
                return Hot {
                    acc: hot.acc | word >> hot.count,
                    count: hot.count | 56,
                };
            }
        }
        self.refill_slow(hot)
    }

    /// [`Self::refill`] near a marker or the end of the data, byte by byte.
    #[cold]
    #[inline(never)]
    fn refill_slow(&mut self, hot: Hot) -> Hot {
        self.set_hot(hot);
        self.fill_slow();
        self.hot()
    }

    /// A reader of the entropy-coded data that starts at `pos`.
    pub(super) fn new(data: &'a [u8], pos: usize) -> Self {
        BitReader {
            data,
            pos: pos.min(data.len()),
            acc: 0,
            count: 0,
            padding: 0,
            at_marker: false,
            exhausted: false,
        }
    }

    /// Where the reader stands in the data: at the marker that ended the scan, if it saw one.
    pub(super) fn position(&self) -> usize {
        self.pos
    }

    /// Makes at least 32 bits available (zero padding past a marker or the end).
    #[inline(always)]
    pub(super) fn fill(&mut self) {
        if self.count >= 32 {
            return;
        }
        if !self.at_marker {
            if let Some(bytes) = self.data.get(self.pos..self.pos + 8) {
                let word = u64::from_be_bytes(bytes.try_into().unwrap_or([0; 8]));
                if !has_ff(word) {
                    let take = (64 - self.count) / 8;
                    self.acc |= (word >> (64 - 8 * take)) << (64 - self.count - 8 * take);
                    self.pos += take as usize;
                    self.count += 8 * take;
                    return;
                }
            }
        }
        self.fill_slow();
    }

    /// Fills to 56 bits byte by byte: stuffed bytes, fill bytes, markers and the end of the data.
    #[cold]
    fn fill_slow(&mut self) {
        // A fast refill may have set bits below the valid ones; bytes are ORed in here.
        self.acc &= !(u64::MAX.checked_shr(self.count).unwrap_or(0));
        while self.count < 56 {
            let mut byte = 0u8;
            if !self.at_marker {
                match entropy_byte(self.data, self.pos) {
                    EntropyByte::Byte(value, next) => {
                        byte = value;
                        self.pos = next;
                    }
                    EntropyByte::Marker(at) => {
                        self.pos = at;
                        self.at_marker = true;
                    }
                }
            }
            if self.at_marker {
                self.padding += 8;
            }
            self.acc |= u64::from(byte) << (56 - self.count);
            self.count += 8;
        }
    }

    /// The next `n` (1 to 32) bits, not consumed. Needs [`Self::fill`] first.
    #[inline(always)]
    pub(super) fn peek(&self, n: u32) -> u32 {
        (self.acc >> (64 - n)) as u32
    }

    /// Drops `n` bits (at most what [`Self::fill`] made available).
    #[inline(always)]
    pub(super) fn consume(&mut self, n: u32) {
        self.acc <<= n;
        self.count -= n;
        if self.count < self.padding {
            self.exhausted = true;
            self.padding = self.count;
        }
    }

    /// The next `n` (0 to 16) bits as an unsigned number.
    #[inline(always)]
    pub(super) fn bits(&mut self, n: u32) -> u32 {
        if n == 0 {
            return 0;
        }
        self.fill();
        let value = self.peek(n);
        self.consume(n);
        value
    }

    /// One bit.
    #[inline(always)]
    pub(super) fn bit(&mut self) -> bool {
        self.bits(1) != 0
    }

    /// The next `n` bits as a JPEG signed magnitude (the "extend" of the standard).
    #[inline(always)]
    pub(super) fn signed(&mut self, n: u32) -> i32 {
        if n == 0 {
            return 0;
        }
        extend(self.bits(n), n)
    }

    /// Decodes one Huffman symbol.
    #[inline(always)]
    pub(super) fn symbol(&mut self, table: &HuffmanTable) -> u8 {
        self.fill();
        let entry = table.fast[self.peek(LOOKAHEAD) as usize];
        if entry != 0 {
            self.consume(u32::from(entry >> 8));
            return entry as u8;
        }
        self.symbol_slow(table)
    }

    /// [`Self::symbol`] for codes longer than the lookahead.
    #[cold]
    fn symbol_slow(&mut self, table: &HuffmanTable) -> u8 {
        let (symbol, length) = table.decode_slow(self.acc);
        self.consume(length);
        symbol
    }
}

impl Resynchronise for BitReader<'_> {
    /// Drops the buffered bits; when the interval's data is missing, the caller leaves the
    /// interval grey (as libjpeg does) and the next call tries again from the marker.
    fn restart(&mut self, interval: usize) -> bool {
        self.acc = 0;
        self.count = 0;
        self.padding = 0;
        let (pos, found) = find_restart(self.data, self.pos, interval);
        self.pos = pos;
        self.at_marker = !found;
        self.exhausted = !found;
        found
    }

    /// Whether the scan ran out of data (bits past a marker or the end were used).
    #[inline(always)]
    fn exhausted(&self) -> bool {
        self.exhausted
    }
}

/// Sign extension of an `n`-bit JPEG magnitude category.
#[inline(always)]
pub(super) fn extend(value: u32, n: u32) -> i32 {
    let value = value as i32;
    if value < 1 << (n - 1) {
        value - (1 << n) + 1
    } else {
        value
    }
}

/// One lookup of an AC table: up to two whole coefficients, codes and extra bits together.
///
/// A second coefficient is there when the first does not end the block and both fit the
/// lookahead; when it is not there, `run2`, `value2` and `advance2` are 0, so that
/// a caller may store it regardless (a zero value at the current position) without a branch.
#[derive(Clone, Copy, Default)]
pub(super) struct Fast {
    /// The first coefficient's value, sign-extended (0 for end of block and ZRL).
    pub(super) value1: i16,
    /// The second coefficient's value.
    pub(super) value2: i16,
    /// The zero run before the first coefficient: 64 for end of block, 15 for ZRL.
    pub(super) run1: u8,
    /// The zero run before the second coefficient, as `run1`.
    pub(super) run2: u8,
    /// 1 when the second coefficient is there.
    pub(super) advance2: u8,
    /// Bits of the first coefficient (low nibble) and of both (high nibble, equal when there is
    /// no second); 0 when the first does not fit the lookahead.
    lengths: u8,
}

impl Fast {
    /// Bits of the first coefficient; 0 when the entry does not apply.
    #[inline(always)]
    pub(super) fn length1(&self) -> u32 {
        u32::from(self.lengths & 15)
    }

    /// Bits of both coefficients.
    #[inline(always)]
    pub(super) fn length(&self) -> u32 {
        u32::from(self.lengths >> 4)
    }
}

/// A decoding table for one DHT table.
pub(super) struct HuffmanTable {
    /// `length << 8 | symbol` for codes up to [`LOOKAHEAD`] bits, indexed by the next bits;
    /// 0 for longer codes.
    fast: Box<[u16; FAST_SIZE]>,
    /// Whole AC coefficients at once, indexed by the next [`LOOKAHEAD`] bits (all empty in a DC
    /// table).
    whole: Box<[Fast; FAST_SIZE]>,
    /// Whole DC differences, code and extra bits together, indexed by the next [`LOOKAHEAD`]
    /// bits (all 0 in an AC table): the bits taken in bits 0–7 (0 when they do not fit the
    /// lookahead) and the difference, sign-extended, in bits 16–31. Four bytes an entry, so
    /// that the table takes less of the data cache than [`Fast`] entries would.
    dc_whole: Box<[u32; FAST_SIZE]>,
    /// For skipping whole blocks of AC coefficients; built on first use, as only components
    /// decoded at 1/8 scale need it.
    skip: std::sync::OnceLock<SkipTable>,
    /// Largest code of each length, -1 when there is none.
    max_code: [i32; 17],
    /// Index into `values` minus the first code of each length.
    offset: [i32; 17],
    /// The symbols, in code order.
    values: [u8; 256],
}

impl HuffmanTable {
    /// Builds a table from the DHT code counts per length and the symbols.
    pub(super) fn new(counts: &[u8; 16], symbols: &[u8], is_ac: bool) -> Result<Self> {
        let bad = || DecodeError::Corrupt("JPEG Huffman table is invalid");
        if symbols.len() > 256
            || symbols.len() != counts.iter().map(|&c| usize::from(c)).sum::<usize>()
        {
            return Err(bad());
        }
        let mut table = HuffmanTable {
            fast: Box::new([0; FAST_SIZE]),
            whole: Box::new([Fast::default(); FAST_SIZE]),
            dc_whole: Box::new([0; FAST_SIZE]),
            skip: std::sync::OnceLock::new(),
            max_code: [-1; 17],
            offset: [0; 17],
            values: [0; 256],
        };
        table.values[..symbols.len()].copy_from_slice(symbols);
        let mut code = 0u32;
        let mut index = 0usize;
        for length in 1..=16u32 {
            let count = u32::from(counts[length as usize - 1]);
            table.offset[length as usize] = index as i32 - code as i32;
            for _ in 0..count {
                if code >= 1 << length {
                    return Err(bad());
                }
                let symbol = symbols[index];
                if length <= LOOKAHEAD {
                    let shift = LOOKAHEAD - length;
                    let first = (code << shift) as usize;
                    for look in first..first + (1 << shift) {
                        table.fast[look] = (length as u16) << 8 | u16::from(symbol);
                    }
                }
                code += 1;
                index += 1;
            }
            if count > 0 {
                table.max_code[length as usize] = code as i32 - 1;
            }
            code <<= 1;
        }
        for look in 0..FAST_SIZE {
            if is_ac {
                table.whole[look] = table.whole_entry(look as u64);
            } else {
                table.dc_whole[look] = table.dc_whole_entry(look as u64);
            }
        }
        Ok(table)
    }

    /// `(symbol, code length)` at the top of `acc`.
    fn code(&self, acc: u64) -> (u8, u32) {
        let entry = self.fast[(acc >> (64 - LOOKAHEAD)) as usize];
        if entry != 0 {
            (entry as u8, u32::from(entry >> 8))
        } else {
            self.decode_slow(acc)
        }
    }
}

impl HuffmanTable {
    /// The [`Self::dc_whole`] entry for the [`LOOKAHEAD`] bits `look`.
    fn dc_whole_entry(&self, look: u64) -> u32 {
        let acc = look << (64 - LOOKAHEAD);
        match coefficient(self.code(acc), acc, LOOKAHEAD, false) {
            Some((_, value, bits)) => (u32::from(value as u16) << 16) | bits,
            None => 0,
        }
    }

    /// The [`Fast`] entry of an AC table for the [`LOOKAHEAD`] bits `look`.
    fn whole_entry(&self, look: u64) -> Fast {
        let acc = look << (64 - LOOKAHEAD);
        let Some((run1, value1, bits1)) = coefficient(self.code(acc), acc, LOOKAHEAD, true) else {
            return Fast::default();
        };
        let single = Fast {
            value1,
            run1,
            lengths: (bits1 | bits1 << 4) as u8,
            ..Fast::default()
        };
        if run1 == 64 {
            return single;
        }
        let rest = acc << bits1;
        match coefficient(self.code(rest), rest, LOOKAHEAD - bits1, true) {
            Some((run2, value2, bits2)) => Fast {
                value2,
                run2,
                advance2: 1,
                lengths: (bits1 | (bits1 + bits2) << 4) as u8,
                ..single
            },
            None => single,
        }
    }
}

/// The coefficient coded at the top of `acc` as `(run, value, bits)` when its code `(symbol,
/// length)` and extra bits fit in `room` bits; run 64 is end of block.
fn coefficient(
    (symbol, length): (u8, u32),
    acc: u64,
    room: u32,
    is_ac: bool,
) -> Option<(u8, i16, u32)> {
    let (run, size) = if is_ac {
        match (symbol >> 4, u32::from(symbol & 15)) {
            (15, 0) => (15, 0),
            (_, 0) => (64, 0),
            (run, size) => (run, size),
        }
    } else {
        (0, u32::from(symbol))
    };
    if length + size > room {
        return None;
    }
    let value = match size {
        0 => 0,
        _ => extend(((acc << length) >> (64 - size)) as u32, size) as i16,
    };
    Some((run, value, length + size))
}

impl HuffmanTable {
    /// Decodes one symbol from `hot` (which must hold at least 16 bits).
    #[inline(always)]
    pub(super) fn decode(&self, hot: &mut Hot) -> u8 {
        let entry = self.fast[hot.peek(LOOKAHEAD) as usize];
        if entry != 0 {
            hot.consume(u32::from(entry >> 8));
            return entry as u8;
        }
        let (symbol, length) = self.decode_slow(hot.acc);
        hot.consume(length);
        symbol
    }

    /// The whole-coefficient lookup of an AC table at the top of `hot`.
    #[inline(always)]
    pub(super) fn fast(&self, hot: &Hot) -> Fast {
        self.whole[hot.peek(LOOKAHEAD) as usize]
    }

    /// The whole DC difference at the top of `hot`, as `(difference, bits)`: the bits are 0
    /// when the code and its extra bits do not fit the lookahead.
    #[inline(always)]
    pub(super) fn dc_fast(&self, hot: &Hot) -> (i32, u32) {
        let entry = self.dc_whole[hot.peek(LOOKAHEAD) as usize];
        ((entry as i32) >> 16, entry & 0xFF)
    }

    /// The table for skipping whole blocks of AC coefficients, built on the first call.
    pub(super) fn skip_table(&self) -> &SkipTable {
        self.skip.get_or_init(|| SkipTable::new(self))
    }

    /// Skips one AC coefficient (code and extra bits) from `hot`, which must hold at least 32
    /// bits: how far it advances the position in the block (64 at the end of the block).
    fn skip_one(&self, hot: &mut Hot) -> usize {
        let symbol = self.decode(hot);
        let (run, size) = (usize::from(symbol >> 4), u32::from(symbol & 15));
        hot.consume(size);
        skip_advance(run, size)
    }

    /// A code longer than the lookahead: `(symbol, length)` from the top bits of `acc`.
    #[cold]
    #[inline(never)]
    fn decode_slow(&self, acc: u64) -> (u8, u32) {
        let look = (acc >> 48) as i32;
        for length in LOOKAHEAD + 1..=16 {
            let code = look >> (16 - length);
            if code <= self.max_code[length as usize] {
                let index = code + self.offset[length as usize];
                return (self.values[(index as usize) & 0xFF], length);
            }
        }
        // No code matches: corrupt data. libjpeg warns and yields 0; drop the bits so that
        // decoding moves on.
        (0, 16)
    }
}

/// How far an AC coefficient of zero run `run` and size `size` advances the position in its
/// block: 16 for a run of sixteen zeros (ZRL), 64 for end of block, else the run and the
/// coefficient.
#[inline(always)]
fn skip_advance(run: usize, size: u32) -> usize {
    match (run, size) {
        (15, 0) => 16,
        (_, 0) => 64,
        _ => run + 1,
    }
}

/// Skips AC coefficients several at a time, for blocks whose AC coefficients are all dropped.
///
/// Indexed by the next [`SKIP_BITS`] bits, an entry covers the whole coefficients (codes and
/// extra bits) that fit those bits, up to and including an end of block:
/// - bits 0–3: the bits they take (0 when not even the first fits);
/// - bits 4–9: how far they advance the position, capped at 63: the position is at least 1, so
///   the cap still ends the block exactly when the full advance would;
/// - bits 10–15: the last position the entry may start at, 63 minus the advance of all but the
///   last coefficient, so that none but the last can end the block (0 when the entry does not
///   apply: the position is never 0).
pub(super) struct SkipTable {
    /// The entries.
    entries: Box<[u16; SKIP_SIZE]>,
}

impl SkipTable {
    /// The skip table of an AC table.
    ///
    /// Built shortest strings first: the entry of an `r`-bit string is its first coefficient
    /// joined to the entry of the bits after that coefficient, a shorter string.
    fn new(table: &HuffmanTable) -> Self {
        // The entries for strings of `r` bits sit at `1 << r` onwards.
        let mut levels = vec![0u16; 2 << SKIP_BITS];
        for r in 1..=SKIP_BITS {
            for x in 0..1u64 << r {
                levels[(1 << r) + x as usize] = Self::entry(table, &levels, x, r);
            }
        }
        let mut entries = Box::new([0u16; SKIP_SIZE]);
        entries.copy_from_slice(&levels[SKIP_SIZE..]);
        SkipTable { entries }
    }

    /// The entry for the `r`-bit string `x`, given the entries of all shorter strings.
    fn entry(table: &HuffmanTable, levels: &[u16], x: u64, r: u32) -> u16 {
        let (symbol, length) = table.code(x << (64 - r));
        let (run, size) = (usize::from(symbol >> 4), u32::from(symbol & 15));
        let bits = length + size;
        if bits > r {
            return 0;
        }
        let advance = skip_advance(run, size).min(63) as u16;
        let single = bits as u16 | (advance << 4) | (63 << 10);
        let left = r - bits;
        if advance == 63 || left == 0 {
            return single;
        }
        let rest = levels[(1 << left) + (x & ((1 << left) - 1)) as usize];
        let rest_last_start = rest >> 10;
        if rest_last_start <= advance {
            // Nothing fits after the first, or the first would leave no position to start from.
            return single;
        }
        let rest_bits = rest & 15;
        let rest_advance = (rest >> 4) & 63;
        (bits as u16 + rest_bits)
            | ((advance + rest_advance).min(63) << 4)
            | ((rest_last_start - advance) << 10)
    }

    /// Skips a block's AC coefficients, from position 1 to the end of the block, with `hot`
    /// holding the reader's bits after the DC coefficient, at least [`SKIPS_BEFORE_REFILL`] ×
    /// [`SKIP_BITS`] of them; returns the bits after the block.
    ///
    /// The reader is refilled after those first lookups, then once per [`SKIPS_PER_REFILL`];
    /// the rare coefficient that no entry covers is decoded on its own, between two refills.
    #[inline(always)]
    pub(super) fn skip_block(&self, table: &HuffmanTable, bits: &mut BitReader, hot: Hot) -> Hot {
        let mut hot = hot;
        let mut k = 1usize;
        for _ in 0..SKIPS_BEFORE_REFILL {
            if self.skip_step(table, bits, &mut hot, &mut k) {
                return hot;
            }
        }
        loop {
            hot = bits.refill(hot);
            for _ in 0..SKIPS_PER_REFILL {
                if self.skip_step(table, bits, &mut hot, &mut k) {
                    return hot;
                }
            }
        }
    }

    /// One lookup of [`Self::skip_block`] at position `k`, with at least [`SKIP_BITS`] bits in
    /// `hot`: returns whether the block ended.
    #[inline(always)]
    fn skip_step(
        &self,
        table: &HuffmanTable,
        bits: &mut BitReader,
        hot: &mut Hot,
        k: &mut usize,
    ) -> bool {
        let entry = self.entries[hot.peek(SKIP_BITS) as usize];
        if *k <= usize::from(entry >> 10) {
            hot.consume(u32::from(entry & 15));
            *k += usize::from((entry >> 4) & 63);
        } else {
            *hot = bits.refill(*hot);
            *k += table.skip_one(hot);
            *hot = bits.refill(*hot);
        }
        *k >= 64
    }
}
