//! The binary arithmetic decoder of arithmetic-coded JPEG (ITU T.81 Annex D.2): the code
//! register over the scan bytes, the decision procedure with its conditional exchanges, and the
//! probability estimation state machine of Table D.2.
//!
//! Each decision is made in a statistics [`Bin`], which adapts to what it decodes. The code
//! register `C` holds 16 bits of the interval's offset (`Cx`, bits 16 to 31) and the next input
//! bits below them; `A` is the interval's size, kept at or above `0x8000` between decisions.
//! At a marker or the end of the data the decoder feeds zero bytes, as the standard says (an
//! encoder may drop trailing zero bytes, so a valid scan may need them).

use super::marker::{entropy_byte, EntropyByte};
use super::restart::{find_restart, Resynchronise};

/// One row of Table D.2: `Qe`, the next state after an LPS and after an MPS (renormalised),
/// and whether an LPS switches the sense of the MPS.
#[derive(Clone, Copy)]
struct State {
    /// The LPS probability estimate, scaled so that `0x10000` is 1.
    qe: u16,
    /// Next state after an LPS.
    next_lps: u8,
    /// Next state after an MPS that renormalises.
    next_mps: u8,
    /// An LPS in this state swaps which decision is the MPS.
    switch: bool,
}

/// A row of Table D.2.
const fn state(qe: u16, next_lps: u8, next_mps: u8, switch: bool) -> State {
    State {
        qe,
        next_lps,
        next_mps,
        switch,
    }
}

/// ITU T.81 Table D.2, indexed by state: the probability estimation state machine.
const STATES: [State; 113] = [
    state(0x5A1D, 1, 1, true),
    state(0x2586, 14, 2, false),
    state(0x1114, 16, 3, false),
    state(0x080B, 18, 4, false),
    state(0x03D8, 20, 5, false),
    state(0x01DA, 23, 6, false),
    state(0x00E5, 25, 7, false),
    state(0x006F, 28, 8, false),
    state(0x0036, 30, 9, false),
    state(0x001A, 33, 10, false),
    state(0x000D, 35, 11, false),
    state(0x0006, 9, 12, false),
    state(0x0003, 10, 13, false),
    state(0x0001, 12, 13, false),
    state(0x5A7F, 15, 15, true),
    state(0x3F25, 36, 16, false),
    state(0x2CF2, 38, 17, false),
    state(0x207C, 39, 18, false),
    state(0x17B9, 40, 19, false),
    state(0x1182, 42, 20, false),
    state(0x0CEF, 43, 21, false),
    state(0x09A1, 45, 22, false),
    state(0x072F, 46, 23, false),
    state(0x055C, 48, 24, false),
    state(0x0406, 49, 25, false),
    state(0x0303, 51, 26, false),
    state(0x0240, 52, 27, false),
    state(0x01B1, 54, 28, false),
    state(0x0144, 56, 29, false),
    state(0x00F5, 57, 30, false),
    state(0x00B7, 59, 31, false),
    state(0x008A, 60, 32, false),
    state(0x0068, 62, 33, false),
    state(0x004E, 63, 34, false),
    state(0x003B, 32, 35, false),
    state(0x002C, 33, 9, false),
    state(0x5AE1, 37, 37, true),
    state(0x484C, 64, 38, false),
    state(0x3A0D, 65, 39, false),
    state(0x2EF1, 67, 40, false),
    state(0x261F, 68, 41, false),
    state(0x1F33, 69, 42, false),
    state(0x19A8, 70, 43, false),
    state(0x1518, 72, 44, false),
    state(0x1177, 73, 45, false),
    state(0x0E74, 74, 46, false),
    state(0x0BFB, 75, 47, false),
    state(0x09F8, 77, 48, false),
    state(0x0861, 78, 49, false),
    state(0x0706, 79, 50, false),
    state(0x05CD, 48, 51, false),
    state(0x04DE, 50, 52, false),
    state(0x040F, 50, 53, false),
    state(0x0363, 51, 54, false),
    state(0x02D4, 52, 55, false),
    state(0x025C, 53, 56, false),
    state(0x01F8, 54, 57, false),
    state(0x01A4, 55, 58, false),
    state(0x0160, 56, 59, false),
    state(0x0125, 57, 60, false),
    state(0x00F6, 58, 61, false),
    state(0x00CB, 59, 62, false),
    state(0x00AB, 61, 63, false),
    state(0x008F, 61, 32, false),
    state(0x5B12, 65, 65, true),
    state(0x4D04, 80, 66, false),
    state(0x412C, 81, 67, false),
    state(0x37D8, 82, 68, false),
    state(0x2FE8, 83, 69, false),
    state(0x293C, 84, 70, false),
    state(0x2379, 86, 71, false),
    state(0x1EDF, 87, 72, false),
    state(0x1AA9, 87, 73, false),
    state(0x174E, 72, 74, false),
    state(0x1424, 72, 75, false),
    state(0x119C, 74, 76, false),
    state(0x0F6B, 74, 77, false),
    state(0x0D51, 75, 78, false),
    state(0x0BB6, 77, 79, false),
    state(0x0A40, 77, 48, false),
    state(0x5832, 80, 81, true),
    state(0x4D1C, 88, 82, false),
    state(0x438E, 89, 83, false),
    state(0x3BDD, 90, 84, false),
    state(0x34EE, 91, 85, false),
    state(0x2EAE, 92, 86, false),
    state(0x299A, 93, 87, false),
    state(0x2516, 86, 71, false),
    state(0x5570, 88, 89, true),
    state(0x4CA9, 95, 90, false),
    state(0x44D9, 96, 91, false),
    state(0x3E22, 97, 92, false),
    state(0x3824, 99, 93, false),
    state(0x32B4, 99, 94, false),
    state(0x2E17, 93, 86, false),
    state(0x56A8, 95, 96, true),
    state(0x4F46, 101, 97, false),
    state(0x47E5, 102, 98, false),
    state(0x41CF, 103, 99, false),
    state(0x3C3D, 104, 100, false),
    state(0x375E, 99, 93, false),
    state(0x5231, 105, 102, false),
    state(0x4C0F, 106, 103, false),
    state(0x4639, 107, 104, false),
    state(0x415E, 103, 99, false),
    state(0x5627, 105, 106, true),
    state(0x50E7, 108, 107, false),
    state(0x4B85, 109, 103, false),
    state(0x5597, 110, 109, false),
    state(0x504F, 111, 107, false),
    state(0x5A10, 110, 111, true),
    state(0x5522, 112, 109, false),
    state(0x59EB, 112, 111, true),
];

/// The fixed estimate (`Qe` of about one half, never adapted) with which signs of AC
/// coefficients and refinement bits are coded.
const FIXED_QE: u16 = 0x5A1D;

/// A statistics bin (ITU T.81 D.1.5.1): a state of [`STATES`] and the sense of the MPS. Every
/// bin starts at state 0 with MPS 0, at the start of each scan and restart interval.
#[derive(Clone, Copy, Default)]
pub(super) struct Bin {
    /// The state, an index of [`STATES`] (only ever set from that table).
    state: u8,
    /// The more probable decision.
    mps: bool,
}

/// What the decision procedure found, after its conditional exchange.
enum Decision {
    /// The MPS; `renormalised` when the interval had to be renormalised (only then does the
    /// estimate move).
    Mps {
        /// The interval was renormalised.
        renormalised: bool,
    },
    /// The LPS.
    Lps,
}

/// The arithmetic decoder over one scan's entropy-coded data.
pub(super) struct ArithmeticReader<'a> {
    /// The whole file.
    data: &'a [u8],
    /// Next byte to read; at a marker it stays on that marker's `0xFF`.
    pos: usize,
    /// The code register: `Cx` in bits 16 to 31, input bits below.
    c: u32,
    /// The interval size (`0x10000` is 1).
    a: u32,
    /// Shifts left before the next byte is read in.
    ct: u32,
    /// A marker or the end of the data was reached: zeros are fed from there on.
    at_marker: bool,
    /// The data decoded to an impossible sequence (a coefficient past the block, a magnitude
    /// past 15 bits): the rest of the restart interval is not decoded, as with libjpeg.
    failed: bool,
}

impl<'a> ArithmeticReader<'a> {
    /// A decoder of the entropy-coded data that starts at `pos` (INITDEC, D.2.7).
    pub(super) fn new(data: &'a [u8], pos: usize) -> Self {
        let mut reader = ArithmeticReader {
            data,
            pos: pos.min(data.len()),
            c: 0,
            a: 0,
            ct: 0,
            at_marker: false,
            failed: false,
        };
        reader.start();
        reader
    }

    /// Initialises the registers from the next two bytes.
    fn start(&mut self) {
        self.c = 0;
        self.byte_in();
        self.c <<= 8;
        self.byte_in();
        self.c <<= 8;
        self.ct = 0;
        self.a = 0x10000;
    }

    /// Where the decoder stands in the data: at the marker that ended the scan, if it saw one.
    pub(super) fn position(&self) -> usize {
        self.pos
    }

    /// Marks the interval as failed: the caller skips to the next restart interval.
    pub(super) fn fail(&mut self) {
        self.failed = true;
    }

    /// Reads the next byte into bits 8 to 15 of `C` (BYTEIN, D.2.8): a stuffed `FF 00` is
    /// `0xFF`; at a marker or the end of the data, zero.
    fn byte_in(&mut self) {
        if self.at_marker {
            return;
        }
        match entropy_byte(self.data, self.pos) {
            EntropyByte::Byte(byte, next) => {
                self.c |= u32::from(byte) << 8;
                self.pos = next;
            }
            EntropyByte::Marker(at) => {
                self.pos = at;
                self.at_marker = true;
            }
        }
    }

    /// Doubles the interval until it is at least `0x8000` again (RENORMD, D.2.6). `Cx < A` holds
    /// throughout, so `C` stays below `2^32`.
    #[inline(always)]
    fn renormalise(&mut self) {
        while self.a < 0x8000 {
            if self.ct == 0 {
                self.byte_in();
                self.ct = 8;
            }
            self.a <<= 1;
            self.c <<= 1;
            self.ct -= 1;
        }
    }

    /// The decision procedure (DECODE, D.2.3) for the estimate `qe`: the lower subinterval of
    /// size `A − Qe` is the MPS and the upper one of size `Qe` the LPS, exchanged when the MPS's
    /// would be the smaller one (D.2.4, D.2.5).
    #[inline(always)]
    fn decide(&mut self, qe: u16) -> Decision {
        let qe = u32::from(qe);
        self.a -= qe;
        if (self.c >> 16) < self.a {
            if self.a >= 0x8000 {
                return Decision::Mps {
                    renormalised: false,
                };
            }
            let decision = if self.a < qe {
                Decision::Lps
            } else {
                Decision::Mps { renormalised: true }
            };
            self.renormalise();
            decision
        } else {
            self.c -= self.a << 16;
            let decision = if self.a < qe {
                Decision::Mps { renormalised: true }
            } else {
                Decision::Lps
            };
            self.a = qe;
            self.renormalise();
            decision
        }
    }

    /// Decodes one binary decision in `bin`, adapting its estimate.
    #[inline(always)]
    pub(super) fn decode(&mut self, bin: &mut Bin) -> bool {
        let state = STATES[usize::from(bin.state)];
        match self.decide(state.qe) {
            Decision::Mps {
                renormalised: false,
            } => bin.mps,
            Decision::Mps { renormalised: true } => {
                bin.state = state.next_mps;
                bin.mps
            }
            Decision::Lps => {
                let decision = !bin.mps;
                bin.state = state.next_lps;
                if state.switch {
                    bin.mps = decision;
                }
                decision
            }
        }
    }

    /// Decodes one decision at the fixed estimate of one half (MPS 0, never adapted).
    #[inline(always)]
    pub(super) fn decode_fixed(&mut self) -> bool {
        matches!(self.decide(FIXED_QE), Decision::Lps)
    }
}

impl Resynchronise for ArithmeticReader<'_> {
    fn restart(&mut self, interval: usize) -> bool {
        self.failed = false;
        let (pos, found) = find_restart(self.data, self.pos, interval);
        self.pos = pos;
        self.at_marker = !found;
        self.start();
        if !found {
            self.failed = true;
        }
        found
    }

    #[inline(always)]
    fn exhausted(&self) -> bool {
        self.failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every transition of Table D.2 stays in the table, and every estimate is below the
    /// smallest normalised interval.
    #[test]
    fn state_machine_is_closed() {
        for (index, state) in STATES.iter().enumerate() {
            assert!(usize::from(state.next_lps) < STATES.len(), "state {index}");
            assert!(usize::from(state.next_mps) < STATES.len(), "state {index}");
            assert!(state.qe > 0 && state.qe < 0x8000, "state {index}");
        }
    }

    /// Past a marker the decoder feeds zeros and stays on the marker.
    #[test]
    fn a_marker_ends_the_data() {
        let data = [0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD9];
        let mut reader = ArithmeticReader::new(&data, 0);
        let mut bin = Bin::default();
        for _ in 0..10_000 {
            reader.decode(&mut bin);
            reader.decode_fixed();
        }
        assert_eq!(reader.position(), 5);
        assert!(!reader.exhausted());
    }
}
