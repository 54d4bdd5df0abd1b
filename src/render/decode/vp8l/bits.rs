//! The VP8L bit reader: bits are read least significant first, from bytes in file order.
//!
//! The reader keeps up to 64 bits in `acc`, the next bit lowest. A refill ORs in the next eight
//! bytes above the bits held and moves on by the whole bytes that fit; the bits of a byte that
//! only partly fit are set too, and set again to the same values by the next refill. Past the end
//! of the data it feeds zero bits and counts them, so a truncated stream decodes to bounded
//! garbage that [`Bits::overran`] reports.

/// Reads bits from a VP8L bitstream.
#[derive(Clone, Copy)]
pub(super) struct Bits<'a> {
    /// The bitstream.
    data: &'a [u8],
    /// Next byte to load; past the end of the data, the zero bytes fed count on.
    pos: usize,
    /// Bits not yet consumed, the next one lowest.
    acc: u64,
    /// How many bits of `acc` are valid.
    count: u32,
}

impl<'a> Bits<'a> {
    /// A reader at the start of `data`.
    pub(super) fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            pos: 0,
            acc: 0,
            count: 0,
        }
    }

    /// Makes at least 56 bits available.
    #[inline(always)]
    pub(super) fn refill(&mut self) {
        if let Some(bytes) = self.data.get(self.pos..self.pos + 8) {
            let word = u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8]));
            // `count` is at most 63 here: no refill leaves more.
            self.acc |= word << self.count;
            self.pos += ((63 - self.count) >> 3) as usize;
            self.count |= 56;
        } else {
            *self = self.refill_slow();
        }
    }

    /// [`Self::refill`] within eight bytes of the end: byte by byte, zeros past the end. Takes
    /// and returns the reader by value, so that a caller's reader can live in registers.
    #[cold]
    #[inline(never)]
    fn refill_slow(mut self) -> Self {
        while self.count <= 56 {
            if let Some(&byte) = self.data.get(self.pos) {
                self.acc |= u64::from(byte) << self.count;
            }
            self.pos += 1;
            self.count += 8;
        }
        self
    }

    /// The bits held, the next one lowest (above `count` they may hold the next bytes' bits).
    #[inline(always)]
    pub(super) fn peek(&self) -> u64 {
        self.acc
    }

    /// Drops `n` bits; at most as many as are held.
    #[inline(always)]
    pub(super) fn consume(&mut self, n: u32) {
        // At most 63: the shift is one instruction.
        self.acc = self.acc.wrapping_shr(n);
        self.count -= n;
    }

    /// Reads `n` (0 to 32) bits as a number, the first bit lowest.
    #[inline(always)]
    pub(super) fn read(&mut self, n: u32) -> u32 {
        if self.count < 32 {
            self.refill();
        }
        let value = (self.acc & ((1u64 << n) - 1)) as u32;
        self.consume(n);
        value
    }

    /// Whether more bits were consumed than the data holds.
    pub(super) fn overran(&self) -> bool {
        let loaded = self.pos as u64 * 8;
        loaded - u64::from(self.count) > self.data.len() as u64 * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_least_significant_bits_first_across_refills_and_the_end() {
        // 0b1011_0110, then 0xFF, then eleven bytes counting up.
        let mut data = vec![0b1011_0110u8, 0xFF];
        data.extend(0..11u8);
        let mut bits = Bits::new(&data);
        assert_eq!(bits.read(1), 0);
        assert_eq!(bits.read(3), 0b011);
        assert_eq!(bits.read(4), 0b1011);
        assert_eq!(bits.read(8), 0xFF);
        for value in 0..11u32 {
            assert_eq!(bits.read(8), value, "byte {value}");
        }
        assert!(!bits.overran());
        assert_eq!(bits.read(0), 0);
        assert!(!bits.overran());
        assert_eq!(bits.read(1), 0);
        assert!(bits.overran());
    }

    #[test]
    fn a_refill_keeps_bits_that_were_loaded_partly() {
        let data: Vec<u8> = (1..=40u8).collect();
        let mut bits = Bits::new(&data);
        let mut from_reader = Vec::new();
        for n in [3u32, 7, 13, 1, 17, 32, 5, 29, 11, 2, 31, 9, 19, 23, 30, 20] {
            from_reader.push((n, bits.read(n)));
        }
        // The same reads, bit by bit, from the data.
        let bit = |i: usize| u32::from(data[i / 8] >> (i % 8) & 1);
        let mut at = 0;
        for (n, value) in from_reader {
            let expected = (0..n as usize).fold(0, |acc, k| acc | bit(at + k) << k);
            assert_eq!(value, expected, "{n} bits at bit {at}");
            at += n as usize;
        }
        assert!(!bits.overran());
    }
}
