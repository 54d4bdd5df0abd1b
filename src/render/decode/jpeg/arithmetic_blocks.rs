//! What the decisions of arithmetic-coded JPEG mean: the statistics areas of DC and AC tables
//! and the decoding of a DC difference (ITU T.81 F.2.4.1), of a band of AC coefficients
//! (F.2.4.2, G.2.2 first passes) and of refinements (G.2.2 successive approximation), each over
//! an [`ArithmeticReader`].
//!
//! A decision sequence the standard cannot produce (a coefficient past the band, a magnitude
//! past 15 bits) marks the reader failed, which ends the restart interval, as with libjpeg.

use super::arithmetic::{ArithmeticReader, Bin};
use super::headers::DcConditioning;

/// The statistics bins of one DC table (F.1.4.4.1.3): five conditioning classes of four bins
/// each (zero, sign, first magnitude decision positive and negative) from 0, then the magnitude
/// category bins X1 to X15 from [`DC_X1`] and their magnitude bit bins 14 further on.
#[derive(Clone)]
pub(super) struct DcStatistics([Bin; 49]);

/// The first magnitude category bin of a DC table.
const DC_X1: usize = 20;

/// Bins between a magnitude category bin and the bin of its magnitude bits.
const TO_MAGNITUDE_BITS: usize = 14;

impl Default for DcStatistics {
    fn default() -> Self {
        DcStatistics([Bin::default(); 49])
    }
}

/// The statistics bins of one AC table (F.1.4.4.2): three per zigzag position 1 to 63 (end of
/// band, zero, first magnitude decisions), then the magnitude category bins X2 to X15 and
/// their bit bins for positions up to `Kx` (from [`AC_LOW`]) and past it (from [`AC_HIGH`]).
#[derive(Clone)]
pub(super) struct AcStatistics([Bin; 245]);

/// The magnitude bins of an AC table for positions up to `Kx`.
const AC_LOW: usize = 189;
/// The magnitude bins of an AC table for positions past `Kx`.
const AC_HIGH: usize = 217;

impl Default for AcStatistics {
    fn default() -> Self {
        AcStatistics([Bin::default(); 245])
    }
}

/// The conditioning class of a component's next DC difference, from its previous one
/// (F.1.4.4.1.2): the first of the class's four bins in [`DcStatistics`].
#[derive(Clone, Copy, Default)]
pub(super) struct DcContext(u8);

/// Decodes the magnitude of a coefficient whose first magnitude decision was 1, from the
/// category bins starting at `x` (F.2.4.3): returns `|value| − 1`, and the top bit of that
/// (the category's lower bound, 1 or more), or `None` past 15 bits.
#[inline(always)]
fn magnitude<const N: usize>(
    reader: &mut ArithmeticReader,
    bins: &mut [Bin; N],
    mut x: usize,
    mut top: u32,
) -> Option<(u32, u32)> {
    while x < N && reader.decode(&mut bins[x]) {
        top <<= 1;
        if top >= 0x8000 {
            return None;
        }
        x += 1;
    }
    let bits = x + TO_MAGNITUDE_BITS;
    let mut value = top;
    let mut bit = top >> 1;
    while bit > 0 {
        if let Some(bin) = bins.get_mut(bits) {
            if reader.decode(bin) {
                value |= bit;
            }
        }
        bit >>= 1;
    }
    Some((value, top))
}

/// Decodes one DC difference (F.2.4.1) in `statistics`, updating the component's `context`.
/// `None` when the data is impossible (the reader is then failed).
#[inline(always)]
pub(super) fn dc_difference(
    reader: &mut ArithmeticReader,
    statistics: &mut DcStatistics,
    context: &mut DcContext,
    conditioning: DcConditioning,
) -> Option<i32> {
    let bins = &mut statistics.0;
    let s0 = usize::from(context.0);
    if !reader.decode(&mut bins[s0]) {
        *context = DcContext(0);
        return Some(0);
    }
    let negative = reader.decode(&mut bins[s0 + 1]);
    let first = s0 + 2 + usize::from(negative);
    let (value, top) = if reader.decode(&mut bins[first]) {
        let Some(found) = magnitude(reader, bins, DC_X1, 1) else {
            reader.fail();
            return None;
        };
        found
    } else {
        (0, 0)
    };
    // Classes: zero while the magnitude is at most 2^L / 2, large above 2^U; `top` is the
    // power of two at or below `|difference| − 1` (0 for a magnitude of 1).
    let class = if top < (1 << conditioning.lower) >> 1 {
        0
    } else if top > (1 << conditioning.upper) >> 1 {
        12
    } else {
        4
    };
    *context = DcContext(if class == 0 {
        0
    } else {
        class + 4 * u8::from(negative)
    });
    let magnitude = value as i32 + 1;
    Some(if negative { -magnitude } else { magnitude })
}

/// Decodes the AC coefficients of zigzag positions `ss..=se` of one block (F.2.4.2; G.2.2 for a
/// first pass), calling `store(k, value)` for each non-zero one. `kx` is the table's
/// conditioning. Returns false when the data is impossible (the reader is then failed).
#[inline(always)]
pub(super) fn ac_band(
    reader: &mut ArithmeticReader,
    statistics: &mut AcStatistics,
    kx: usize,
    (ss, se): (usize, usize),
    mut store: impl FnMut(usize, i32),
) -> bool {
    let bins = &mut statistics.0;
    let mut k = ss;
    while k <= se {
        let mut base = 3 * (k - 1);
        // End of band.
        if reader.decode(&mut bins[base]) {
            return true;
        }
        // Zero coefficients up to the next non-zero one, which must be in the band.
        while !reader.decode(&mut bins[base + 1]) {
            k += 1;
            if k > se {
                reader.fail();
                return false;
            }
            base += 3;
        }
        let negative = reader.decode_fixed();
        let first = base + 2;
        let value = if !reader.decode(&mut bins[first]) {
            1
        } else if !reader.decode(&mut bins[first]) {
            2
        } else {
            let x2 = if k <= kx { AC_LOW } else { AC_HIGH };
            let Some((value, _)) = magnitude(reader, bins, x2, 2) else {
                reader.fail();
                return false;
            };
            value as i32 + 1
        };
        store(k, if negative { -value } else { value });
        k += 1;
    }
    true
}

/// What a refinement scan says about one position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refinement {
    /// A position already non-zero gains the bit being refined (its magnitude grows by it).
    Correct,
    /// A position becomes non-zero with the bit being refined as its magnitude.
    New {
        /// The sign.
        negative: bool,
    },
}

/// Decodes the refinement of zigzag positions `ss..=se` of one block (G.2.2): a correction bit
/// for each position already non-zero (bit k of `nonzero`), and positions newly non-zero, whose
/// bits it sets. Calls `apply(k, refinement)` for each correction bit of 1 and each new
/// coefficient. Returns false when the data is impossible (the reader is then failed).
#[inline(always)]
pub(super) fn ac_refinement(
    reader: &mut ArithmeticReader,
    statistics: &mut AcStatistics,
    (ss, se): (usize, usize),
    nonzero: &mut u64,
    mut apply: impl FnMut(usize, Refinement),
) -> bool {
    let bins = &mut statistics.0;
    // The last position of the band non-zero before this scan: no end of band before it.
    let band = (u64::MAX >> (63 - se)) & !((1u64 << ss) - 1);
    let last = match *nonzero & band {
        0 => 0,
        bits => 63 - bits.leading_zeros() as usize,
    };
    let mut k = ss;
    while k <= se {
        let mut base = 3 * (k - 1);
        if k > last && reader.decode(&mut bins[base]) {
            return true;
        }
        loop {
            if *nonzero & (1 << k) != 0 {
                if reader.decode(&mut bins[base + 2]) {
                    apply(k, Refinement::Correct);
                }
                break;
            }
            if reader.decode(&mut bins[base + 1]) {
                let negative = reader.decode_fixed();
                apply(k, Refinement::New { negative });
                *nonzero |= 1 << k;
                break;
            }
            k += 1;
            if k > se {
                reader.fail();
                return false;
            }
            base += 3;
        }
        k += 1;
    }
    true
}
