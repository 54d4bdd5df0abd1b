//! The boolean entropy decoder every VP8 partition is coded with (RFC 6386 §7): each call reads
//! one bit whose probability of being 0 is `prob / 256`.
//!
//! The arithmetic is the RFC's, with the bits the comparison has not reached yet kept in a
//! 64-bit word that is refilled seven bytes at a time. A stream read past its end yields zero
//! bits, as libwebp's does, and says so ([`BoolDecoder::overran`]): the caller turns that into an
//! error where libwebp does, after a macroblock's modes or coefficients.

/// A boolean decoder over one partition. Hot loops work on a clone and store it back, so that
/// its state stays in registers.
#[derive(Clone)]
pub(super) struct BoolDecoder<'a> {
    data: &'a [u8],
    /// The next byte of `data` to load.
    next: usize,
    /// The loaded bits not consumed yet, the oldest highest: always below
    /// `(range_less_one + 1) << bits`.
    value: u64,
    /// How many bits of `value` lie below the 8 the next comparison reads; negative when fewer
    /// than 8 are loaded, so the next read refills first.
    bits: i32,
    /// The width of the current interval less one, 127–254 between reads (the form the split
    /// is computed from).
    range_less_one: u32,
    /// Whether zero bytes had to be loaded past the end of `data`.
    overran: bool,
}

impl<'a> BoolDecoder<'a> {
    /// A decoder at the start of `data`.
    pub(super) fn new(data: &'a [u8]) -> Self {
        BoolDecoder {
            data,
            next: 0,
            value: 0,
            bits: -8,
            range_less_one: 254,
            overran: false,
        }
    }

    /// Loads bytes until the comparison window is full: seven at once while eight remain, then
    /// one at a time, then zeros. Inlined, so that a hot loop keeps the state in registers.
    #[inline(always)]
    fn refill(&mut self) {
        if let Some(bytes) = self.data.get(self.next..self.next + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(bytes);
            // Fewer than 8 bits are loaded, so 56 more fit in the word.
            self.value = (self.value << 56) | (u64::from_be_bytes(word) >> 8);
            self.next += 7;
            self.bits += 56;
            return;
        }
        self.refill_tail();
    }

    /// [`BoolDecoder::refill`] within eight bytes of the end.
    #[cold]
    fn refill_tail(&mut self) {
        while self.bits < 0 {
            let byte = match self.data.get(self.next) {
                Some(&byte) => {
                    self.next += 1;
                    byte
                }
                None => {
                    self.overran = true;
                    0
                }
            };
            self.value = (self.value << 8) | u64::from(byte);
            self.bits += 8;
        }
    }

    /// Reads one bit that is 0 with probability `prob / 256`.
    #[inline(always)]
    pub(super) fn read(&mut self, prob: u8) -> bool {
        if self.bits < 0 {
            self.refill();
        }
        // The interval splits after `split`: values up to it read 0. Comparing the window
        // (shifted down) rather than the split (shifted up) keeps the shift off the chain of
        // range updates, one read's range feeding the next one's multiply.
        let split = (self.range_less_one * u32::from(prob)) >> 8;
        let bit = (self.value >> self.bits) > u64::from(split);
        let range = if bit {
            self.value -= u64::from(split + 1) << self.bits;
            self.range_less_one - split
        } else {
            split + 1
        };
        // Renormalise: the range back to 128 or more, the window down by as many bits.
        let shift = range.leading_zeros() - 24;
        self.range_less_one = (range << shift) - 1;
        self.bits -= shift as i32;
        bit
    }

    /// Reads a bit of even odds.
    pub(super) fn read_flag(&mut self) -> bool {
        self.read(128)
    }

    /// Reads an `n`-bit unsigned number, most significant bit first.
    pub(super) fn read_literal(&mut self, n: u32) -> u32 {
        (0..n).fold(0, |value, _| (value << 1) | u32::from(self.read_flag()))
    }

    /// Reads an `n`-bit magnitude followed by its sign.
    pub(super) fn read_signed(&mut self, n: u32) -> i32 {
        let magnitude = self.read_literal(n) as i32;
        if self.read_flag() {
            -magnitude
        } else {
            magnitude
        }
    }

    /// Reads a flag and, when it is set, an `n`-bit signed number; 0 otherwise.
    pub(super) fn read_optional_signed(&mut self, n: u32) -> i32 {
        if self.read_flag() {
            self.read_signed(n)
        } else {
            0
        }
    }

    /// Whether the reads so far needed bits past the end of the partition.
    pub(super) fn overran(&self) -> bool {
        self.overran
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_common::random::Xorshift32;

    /// The RFC's boolean encoder (§7.3), to make streams of known bits.
    struct Encoder {
        out: Vec<u8>,
        range: u32,
        bottom: u32,
        bit_count: i32,
    }

    impl Encoder {
        fn new() -> Self {
            Encoder {
                out: Vec::new(),
                range: 255,
                bottom: 0,
                bit_count: 24,
            }
        }

        fn carry(&mut self) {
            for byte in self.out.iter_mut().rev() {
                if *byte == 255 {
                    *byte = 0;
                } else {
                    *byte += 1;
                    break;
                }
            }
        }

        fn write(&mut self, prob: u8, bit: bool) {
            let split = 1 + (((self.range - 1) * u32::from(prob)) >> 8);
            if bit {
                self.bottom = self.bottom.wrapping_add(split);
                self.range -= split;
            } else {
                self.range = split;
            }
            while self.range < 128 {
                self.range <<= 1;
                if self.bottom & (1 << 31) != 0 {
                    self.carry();
                }
                self.bottom <<= 1;
                self.bit_count -= 1;
                if self.bit_count == 0 {
                    self.out.push((self.bottom >> 24) as u8);
                    self.bottom &= (1 << 24) - 1;
                    self.bit_count = 8;
                }
            }
        }

        fn finish(mut self) -> Vec<u8> {
            for _ in 0..32 {
                self.write(128, false);
            }
            self.out
        }
    }

    #[test]
    fn reads_back_what_the_rfc_encoder_wrote() {
        let mut random = Xorshift32(0x2545_f491);
        let mut next = move || random.next_u32();
        let bits: Vec<(u8, bool)> = (0..20_000)
            .map(|_| {
                let prob = (next() % 255 + 1) as u8;
                // Bits that mostly follow their probability, as real streams do.
                let bit = (next() % 256) as u8 >= prob;
                (prob, bit)
            })
            .collect();
        let mut encoder = Encoder::new();
        for &(prob, bit) in &bits {
            encoder.write(prob, bit);
        }
        let stream = encoder.finish();
        let mut decoder = BoolDecoder::new(&stream);
        for (index, &(prob, bit)) in bits.iter().enumerate() {
            assert_eq!(decoder.read(prob), bit, "bit {index}");
        }
        assert!(!decoder.overran());
    }

    #[test]
    fn literals_and_signed_values_read_most_significant_bit_first() {
        let mut encoder = Encoder::new();
        for bit in [true, false, true, true, false, true] {
            encoder.write(128, bit);
        }
        let stream = encoder.finish();
        let mut decoder = BoolDecoder::new(&stream);
        assert_eq!(decoder.read_literal(3), 0b101);
        assert_eq!(decoder.read_signed(2), -0b10);
    }

    #[test]
    fn reading_past_the_end_gives_zeros_and_says_so() {
        let mut encoder = Encoder::new();
        for shift in (0..16).rev() {
            encoder.write(128, (0x5a3c >> shift) & 1 == 1);
        }
        let stream = encoder.finish();
        let mut decoder = BoolDecoder::new(&stream);
        assert_eq!(decoder.read_literal(16), 0x5a3c);
        assert!(!decoder.overran());
        for _ in 0..8 * stream.len() {
            decoder.read_flag();
        }
        assert!(decoder.overran());
    }
}
