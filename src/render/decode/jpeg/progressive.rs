//! Progressive scans: DC and AC scans, first passes and refinements, into a reduced coefficient
//! store (only the coefficients the reduced IDCT reads), then one IDCT per block at the end.
//! AC scans past what the reduced blocks read are skipped without decoding, unless a later
//! refinement that is decoded needs them. The Huffman-coded scans are decoded here, the
//! arithmetic-coded ones in [`arithmetic_scan`].

use super::arithmetic_scan;
use super::decoder::MAX_SCANS;
use super::error::{DecodeError, Result};
use super::headers::{Coding, Scan, Tables};
use super::huffman::{BitReader, HuffmanTable};
use super::idct::{dequantise, write_block};
use super::layout::{size_index, Component, Geometry, NATURAL_OF_SLOT, NONE};
use super::marker::{self, Marker, Segments};
use super::restart::for_each_unit;
use super::scratch::{reuse, Scratch};

/// A progressive scan, Huffman or arithmetic `coding`. Returns where the next marker is.
#[allow(clippy::too_many_arguments)]
pub(super) fn progressive_scan(
    bytes: &[u8],
    pos: usize,
    coding: Coding,
    scan: &Scan,
    tables: &Tables,
    components: &mut [Component],
    geometry: &Geometry,
    scratch: &mut Scratch,
    later: &mut Option<Vec<LaterScan>>,
) -> Result<usize> {
    let skip_to_end = || marker::scan_end(bytes, pos);
    let missing = || DecodeError::Corrupt("JPEG Huffman table missing");
    if scan.ss > 0 {
        // AC scans hold one component.
        let index = scan.components[0].0;
        let component = &mut components[index];
        let band: u64 = band_mask(scan.ss, scan.se);
        let skip = component.n == 1
            || (scan.ss > component.kmax() && {
                let later = later.get_or_insert_with(|| list_scans(bytes, pos));
                !needed_later(later, pos, component.id, component.kmax(), band)
            });
        if skip {
            if scan.ah == 0 {
                component.skipped |= band;
            }
            return Ok(skip_to_end());
        }
        if scan.ah > 0 && component.skipped & band != 0 {
            return Err(DecodeError::Declined(
                "progressive JPEG refining a band this decoder skipped".into(),
            ));
        }
        if coding == Coding::Arithmetic {
            let end = arithmetic_scan::ac_scan(bytes, pos, scan, tables, component, scratch, index);
            return Ok(end);
        }
        let table = tables.ac[scan.components[0].2]
            .as_ref()
            .ok_or_else(missing)?;
        let mut bits = BitReader::new(bytes, pos);
        ac_scan(
            &mut bits,
            scan,
            table,
            component,
            tables.restart_interval,
            scratch,
            index,
        );
        return Ok(bits.position());
    }
    // DC scans, interleaved or not.
    if coding == Coding::Arithmetic {
        let end = arithmetic_scan::dc_scan(bytes, pos, scan, tables, components, geometry, scratch);
        return Ok(end);
    }
    let interleaved = scan.components.len() > 1;
    let mut plan = Vec::with_capacity(scan.components.len());
    for &(index, dc, _) in &scan.components {
        let component = &components[index];
        // Refinement reads raw bits, no table.
        let dc = if scan.ah == 0 {
            Some(tables.dc[dc].as_ref().ok_or_else(missing)?)
        } else {
            None
        };
        plan.push((index, dc, component.h, component.v));
    }
    let (units_x, units_y) = if interleaved {
        (geometry.mcus_x, geometry.mcus_y)
    } else {
        let component = &components[scan.components[0].0];
        (component.real_bw, component.real_bh)
    };
    let mut bits = BitReader::new(bytes, pos);
    let units = 0..units_x * units_y;
    for_each_unit(
        &mut bits,
        units,
        tables.restart_interval,
        |bits, preds: &mut [i32; 4], unit| {
            let (ux, uy) = (unit % units_x, unit / units_x);
            for (c, &(index, dc, h, v)) in plan.iter().enumerate() {
                let (h, v) = if interleaved { (h, v) } else { (1, 1) };
                let component = &components[index];
                let kept = component.kept();
                for by in 0..v {
                    for bx in 0..h {
                        let block = (uy * v + by) * component.bw + ux * h + bx;
                        let Some(coef) = scratch.coefs[index].get_mut(block * kept) else {
                            continue;
                        };
                        if let Some(dc) = dc {
                            let size = u32::from(bits.symbol(dc)).min(16);
                            preds[c] = preds[c].wrapping_add(bits.signed(size));
                            *coef = saturate(preds[c].wrapping_shl(scan.al));
                        } else if bits.bit() {
                            *coef |= 1 << scan.al;
                        }
                    }
                }
            }
        },
    );
    Ok(bits.position())
}

/// Clamps a coefficient into the store's 16 bits.
pub(super) fn saturate(value: i32) -> i16 {
    value.clamp(-32768, 32767) as i16
}

/// Bits `ss..=se`.
fn band_mask(ss: usize, se: usize) -> u64 {
    let upper = if se >= 63 {
        u64::MAX
    } else {
        (1u64 << (se + 1)) - 1
    };
    upper & !((1u64 << ss) - 1)
}

/// An AC scan header later in the file: `(position, component id, ss, se, ah)`.
type LaterScan = (usize, u8, usize, usize, u32);

/// Every single-component AC scan header from `pos` on, reading marker segments only and
/// skipping entropy-coded data.
fn list_scans(bytes: &[u8], pos: usize) -> Vec<LaterScan> {
    let mut scans = Vec::new();
    for segment in Segments::lenient(bytes, pos) {
        let Ok(segment) = segment else {
            break;
        };
        match segment.marker {
            Marker::Rst(_) => continue,
            Marker::Eoi => break,
            _ if scans.len() > MAX_SCANS => break,
            Marker::Sos => {
                if let [1, id, _, ss, se, approx, ..] = segment.data {
                    if *ss > 0 {
                        scans.push((
                            segment.end,
                            *id,
                            usize::from(*ss),
                            usize::from(*se),
                            u32::from(approx >> 4),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    scans
}

/// Whether an AC scan of `band` for the component `id` (whose reduced blocks read zigzag
/// positions up to `kmax`) must be decoded although it starts past `kmax`: a later scan that is
/// decoded refines some of its positions, and refinement needs to know which are non-zero.
fn needed_later(later: &[LaterScan], pos: usize, id: u8, kmax: usize, band: u64) -> bool {
    // Walking backwards: the positions whose history the decoded refinements need.
    let mut history = 0u64;
    for &(at, scan_id, ss, se, ah) in later.iter().rev() {
        if at <= pos || scan_id != id {
            continue;
        }
        let scan_band = band_mask(ss.min(63), se.min(63));
        let decoded = ss <= kmax || scan_band & history != 0;
        if decoded && ah > 0 {
            history |= scan_band;
        }
    }
    history & band != 0
}

/// An AC scan (first pass or refinement) of one component into its coefficient store.
fn ac_scan(
    bits: &mut BitReader,
    scan: &Scan,
    table: &HuffmanTable,
    component: &Component,
    restart: usize,
    scratch: &mut Scratch,
    index: usize,
) {
    let kept = component.kept();
    let slots = component.slots();
    let coefs = &mut scratch.coefs[index];
    let masks = &mut scratch.masks[index];
    let units = 0..component.real_bw * component.real_bh;
    for_each_unit(bits, units, restart, |bits, eobrun: &mut u32, unit| {
        let block = (unit / component.real_bw) * component.bw + unit % component.real_bw;
        let (Some(coef), Some(mask)) = (
            coefs.get_mut(block * kept..block * kept + kept),
            masks.get_mut(block),
        ) else {
            return;
        };
        if scan.ah == 0 {
            ac_first(bits, table, scan, eobrun, coef, mask, slots);
        } else {
            ac_refine(bits, table, scan, eobrun, coef, mask, slots);
        }
    });
}

/// One block of an AC first pass (G.1.2.2): coefficients `ss..=se` at `1 << al`, or one
/// block of an end-of-band run.
fn ac_first(
    bits: &mut BitReader,
    table: &HuffmanTable,
    scan: &Scan,
    eobrun: &mut u32,
    coef: &mut [i16],
    mask: &mut u64,
    slots: &[u8; 64],
) {
    if *eobrun > 0 {
        *eobrun -= 1;
        return;
    }
    let mut k = scan.ss;
    while k <= scan.se {
        let symbol = bits.symbol(table);
        let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
        if size == 0 {
            if run < 15 {
                *eobrun = (1 << run) - 1 + bits.bits(run);
                return;
            }
            k += 16;
            continue;
        }
        k += run as usize;
        if k > scan.se {
            return;
        }
        let slot = slots[k];
        if slot != NONE {
            let value = bits.signed(size).wrapping_shl(scan.al);
            if let Some(c) = coef.get_mut(usize::from(slot)) {
                *c = saturate(value);
            }
        } else {
            bits.bits(size);
        }
        *mask |= 1 << k;
        k += 1;
    }
}

/// One block of an AC refinement (G.1.2.3): a correction bit for each non-zero
/// coefficient, and new coefficients of magnitude `1 << al`.
fn ac_refine(
    bits: &mut BitReader,
    table: &HuffmanTable,
    scan: &Scan,
    eobrun: &mut u32,
    coef: &mut [i16],
    mask: &mut u64,
    slots: &[u8; 64],
) {
    let p1: i16 = 1 << scan.al;
    let mut k = scan.ss;
    if *eobrun == 0 {
        while k <= scan.se {
            let symbol = bits.symbol(table);
            let (mut run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
            let mut value = 0i16;
            if size != 0 {
                value = if bits.bit() { p1 } else { -p1 };
            } else if run != 15 {
                *eobrun = (1 << run) + bits.bits(run);
                break;
            }
            while k <= scan.se {
                if *mask & (1 << k) != 0 {
                    refine(k, bits, *mask, coef, slots, p1);
                } else {
                    if run == 0 {
                        break;
                    }
                    run -= 1;
                }
                k += 1;
            }
            if value != 0 && k <= scan.se {
                if let Some(c) = coef.get_mut(usize::from(slots[k])) {
                    *c = value;
                }
                *mask |= 1 << k;
            }
            k += 1;
        }
    }
    if *eobrun > 0 {
        while k <= scan.se {
            refine(k, bits, *mask, coef, slots, p1);
            k += 1;
        }
        *eobrun -= 1;
    }
}

/// Reads the correction bit of position `k` when it is already non-zero, and applies it.
#[inline(always)]
fn refine(k: usize, bits: &mut BitReader, mask: u64, coef: &mut [i16], slots: &[u8; 64], p1: i16) {
    if mask & (1 << k) != 0 && bits.bit() {
        if let Some(c) = coef.get_mut(usize::from(slots[k])) {
            if *c & p1 == 0 {
                *c = if *c >= 0 {
                    c.wrapping_add(p1)
                } else {
                    c.wrapping_sub(p1)
                };
            }
        }
    }
}

/// Runs the IDCT of every stored block of a progressive component into its plane.
pub(super) fn coefficients_to_plane(component: &Component, scratch: &mut Scratch, index: usize) {
    let n = component.n;
    let kept = component.kept();
    let stride = component.stride;
    let quant = component.quant.unwrap_or([1; 64]);
    let slots = component.slots();
    let naturals = &NATURAL_OF_SLOT[size_index(n)];
    // Dequantisation factor of each slot.
    let mut slot_quant = [1u16; 64];
    for k in 0..64 {
        if slots[k] != NONE {
            slot_quant[usize::from(slots[k])] = quant[k];
        }
    }
    let plane = &mut scratch.planes[index];
    reuse(plane, stride * component.bh * n, 128);
    let coefs = &scratch.coefs[index];
    let mut block = [0i32; 64];
    for by in 0..component.bh {
        for bx in 0..component.bw {
            let stored = &coefs[(by * component.bw + bx) * kept..][..kept];
            let mut has_ac = false;
            for (slot, &value) in stored.iter().enumerate() {
                if value != 0 {
                    block[usize::from(naturals[slot])] =
                        dequantise(i32::from(value), slot_quant[slot]);
                    has_ac |= slot > 0;
                }
            }
            let offset = by * n * stride + bx * n;
            write_block(&mut block, n, has_ac, &mut plane[offset..], stride);
        }
    }
}
