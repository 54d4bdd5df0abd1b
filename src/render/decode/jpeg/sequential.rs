//! Sequential (baseline and extended) scans: entropy decoding straight to pixels at the reduced
//! size, one block at a time, skipping the coefficients the reduced IDCT does not read.

use super::error::{DecodeError, Result};
use super::headers::{Scan, Tables, ZIGZAG};
use super::huffman::{BitReader, Hot, HuffmanTable, SkipTable};
use super::idct::{self, dequantise, write_block};
use super::layout::{Component, Geometry, NONE};
use super::restart::{parallel_restarts, UnitCursor};
use super::scratch::Scratch;

/// What one component needs during a scan.
pub(super) struct ScanComponent<'t> {
    /// DC table.
    pub(super) dc: &'t HuffmanTable,
    /// AC table.
    pub(super) ac: Option<&'t HuffmanTable>,
    /// Quantisation table, zigzag order.
    pub(super) quant: [u16; 64],
    /// Pixels per block side in its plane.
    pub(super) n: usize,
    /// Which zigzag positions the reduced block reads ([`NONE`] for the others).
    pub(super) slots: &'static [u8; 64],
    /// The AC table's skip table, when the reduced block reads no AC coefficient.
    pub(super) skip: Option<&'t SkipTable>,
    /// Blocks per MCU horizontally (1 in a non-interleaved scan).
    pub(super) h: usize,
    /// Blocks per MCU vertically (1 in a non-interleaved scan).
    pub(super) v: usize,
    /// Width of its plane.
    pub(super) stride: usize,
    /// The direct 2×2 or 4×4 transform, when the component decodes at one of those sizes.
    pub(super) direct: Option<idct::Direct>,
}

/// What each component of `scan` needs, in scan order.
pub(super) fn plan<'t>(
    scan: &Scan,
    tables: &'t Tables,
    components: &[Component],
) -> Result<Vec<ScanComponent<'t>>> {
    let missing = || DecodeError::Corrupt("JPEG Huffman table missing");
    let interleaved = scan.components.len() > 1;
    let mut plan = Vec::with_capacity(scan.components.len());
    for &(index, dc, ac) in &scan.components {
        let component = &components[index];
        let ac = tables.ac[ac].as_ref().ok_or_else(missing)?;
        plan.push(ScanComponent {
            dc: tables.dc[dc].as_ref().ok_or_else(missing)?,
            ac: Some(ac),
            skip: (component.kmax() == 0).then(|| ac.skip_table()),
            quant: component.quant.unwrap_or([1; 64]),
            n: component.n,
            slots: component.slots(),
            h: if interleaved { component.h } else { 1 },
            v: if interleaved { component.v } else { 1 },
            stride: component.stride,
            direct: matches!(component.n, 2 | 4).then(|| {
                idct::Direct::new(
                    component.n,
                    component.quant.as_ref().unwrap_or(&[1; 64]),
                    &ZIGZAG,
                )
            }),
        });
    }
    Ok(plan)
}

/// The scan's units across and down: MCUs when it interleaves components, else the blocks
/// that hold its one component's samples.
pub(super) fn units(scan: &Scan, components: &[Component], geometry: &Geometry) -> (usize, usize) {
    if scan.components.len() > 1 {
        (geometry.mcus_x, geometry.mcus_y)
    } else {
        let component = &components[scan.components[0].0];
        (component.real_bw, component.real_bh)
    }
}

/// A sequential scan: the scan's bytes start at `pos`. Returns where the next marker is.
#[allow(clippy::too_many_arguments)]
pub(super) fn sequential_scan(
    bytes: &[u8],
    pos: usize,
    scan: &Scan,
    tables: &Tables,
    components: &[Component],
    geometry: &Geometry,
    scratch: &mut Scratch,
    threads: usize,
) -> Result<usize> {
    let plan = plan(scan, tables, components)?;
    let (units_x, units_y) = units(scan, components, geometry);
    let units = units_x * units_y;
    let restart = tables.restart_interval;
    // Take the planes out of the scratch to hand out disjoint parts of them.
    let mut planes: Vec<Vec<u8>> = scan
        .components
        .iter()
        .map(|&(index, _, _)| std::mem::take(&mut scratch.planes[index]))
        .collect();
    let end = if restart > 0 && threads > 1 && units_y > 1 {
        parallel_restarts(
            bytes,
            pos,
            &plan,
            units_x,
            units_y,
            restart,
            &mut planes,
            threads,
        )
    } else {
        None
    };
    let end = match end {
        Some(end) => end,
        None => {
            let mut bands: Vec<&mut [u8]> = planes.iter_mut().map(|p| p.as_mut_slice()).collect();
            let mut bits = BitReader::new(bytes, pos);
            decode_units(&mut bits, &plan, 0..units, units_x, restart, &mut bands, 0);
            bits.position()
        }
    };
    for (&(index, _, _), plane) in scan.components.iter().zip(planes) {
        scratch.planes[index] = plane;
    }
    Ok(end)
}

/// Decodes units (MCUs, or blocks in a non-interleaved scan) `range` into `bands`: each the part
/// of a component's plane from unit row `row0` down.
pub(super) fn decode_units(
    bits: &mut BitReader,
    plan: &[ScanComponent],
    range: std::ops::Range<usize>,
    units_x: usize,
    restart: usize,
    bands: &mut [&mut [u8]],
    row0: usize,
) {
    let mut cursor = UnitCursor::new(range.start);
    decode_units_from(
        bits,
        plan,
        &mut cursor,
        range.end,
        units_x,
        restart,
        bands,
        row0,
    );
}

/// [`decode_units`] from where `cursor` stands up to unit `end`, leaving `cursor` there for
/// the next call.
#[allow(clippy::too_many_arguments)]
pub(super) fn decode_units_from(
    bits: &mut BitReader,
    plan: &[ScanComponent],
    cursor: &mut UnitCursor<[i32; 4]>,
    end: usize,
    units_x: usize,
    restart: usize,
    bands: &mut [&mut [u8]],
    row0: usize,
) {
    let mut block = [0i32; 64];
    cursor.run(bits, end, restart, |bits, preds: &mut [i32; 4], unit| {
        let (ux, uy) = (unit % units_x, unit / units_x - row0);
        for (c, component) in plan.iter().enumerate() {
            let band = &mut *bands[c];
            for by in 0..component.v {
                for bx in 0..component.h {
                    let x = (ux * component.h + bx) * component.n;
                    let y = (uy * component.v + by) * component.n;
                    let offset = y * component.stride + x;
                    if let Some(direct) = &component.direct {
                        let acc = if component.n == 2 {
                            decode_block_direct::<1>(bits, component, direct, &mut preds[c])
                        } else {
                            decode_block_direct::<4>(bits, component, direct, &mut preds[c])
                        };
                        if let Some(out) = band.get_mut(offset..) {
                            if component.n == 2 {
                                idct::direct2(&acc, out, component.stride);
                            } else {
                                idct::direct4(&acc, out, component.stride);
                            }
                        }
                        continue;
                    }
                    let has_ac = decode_block(bits, component, &mut preds[c], &mut block);
                    if let Some(out) = band.get_mut(offset..) {
                        write_block(&mut block, component.n, has_ac, out, component.stride);
                    } else {
                        block.fill(0);
                    }
                }
            }
        }
    });
}

/// Decodes one sequential block into `block` (dequantised, natural order). Returns whether any
/// AC coefficient was stored. Coefficients the reduced IDCT does not read are skipped without
/// sign extension or store; at 1/8 that is every AC coefficient.
#[inline(always)]
fn decode_block(
    bits: &mut BitReader,
    component: &ScanComponent,
    pred: &mut i32,
    block: &mut [i32; 64],
) -> bool {
    let mut hot = decode_dc(bits, component, pred);
    block[0] = dequantise(*pred, component.quant[0]);
    let Some(ac) = component.ac else {
        bits.set_hot(hot);
        return false;
    };
    let mut has_ac = false;
    if let Some(skip) = component.skip {
        hot = skip.skip_block(ac, bits, hot);
    } else {
        hot = for_each_ac(bits, hot, ac, |k, value| {
            if value != 0 && component.slots[k] != NONE {
                block[usize::from(ZIGZAG[k])] = dequantise(value, component.quant[k]);
                has_ac = true;
            }
        });
    }
    bits.set_hot(hot);
    has_ac
}

/// Decodes one sequential block straight into the accumulators of a [`idct::Direct`] transform
/// with `LANES` lanes per class (1 for 2×2, 4 for 4×4).
#[inline(always)]
fn decode_block_direct<const LANES: usize>(
    bits: &mut BitReader,
    component: &ScanComponent,
    direct: &idct::Direct,
    pred: &mut i32,
) -> idct::Accumulators {
    let mut hot = decode_dc(bits, component, pred);
    let mut acc = direct.start::<LANES>(*pred);
    if let Some(ac) = component.ac {
        hot = for_each_ac(bits, hot, ac, |k, value| {
            direct.add::<LANES>(&mut acc, k, value)
        });
    }
    bits.set_hot(hot);
    acc
}

/// Decodes a block's DC difference into `pred`; returns the reader's bits, at least 40 of them.
#[inline(always)]
fn decode_dc(bits: &mut BitReader, component: &ScanComponent, pred: &mut i32) -> Hot {
    let mut hot = bits.refill(bits.hot());
    let (difference, length) = component.dc.dc_fast(&hot);
    if length != 0 {
        hot.consume(length);
        *pred = pred.wrapping_add(difference);
        return hot;
    }
    let size = u32::from(component.dc.decode(&mut hot)).min(16);
    hot = bits.refill(hot);
    *pred = pred.wrapping_add(hot.signed(size));
    hot
}

/// Decodes a block's AC coefficients, calling `store(k, value)` for each coded one (zigzag
/// position, value before dequantisation). It may also be called with a zero value: for a zero
/// run of 16, and where a lookup held one coefficient instead of two (so that the two-at-once
/// path needs no branch on how many it found).
///
/// A refill leaves at least 56 bits and one step takes at most 32 (11 on the fast path), so the
/// reader is refilled once per three steps unless a long code used many bits: the refill is a
/// good part of a step's instructions.
#[inline(always)]
fn for_each_ac(
    bits: &mut BitReader,
    mut hot: Hot,
    ac: &HuffmanTable,
    mut store: impl FnMut(usize, i32),
) -> Hot {
    let mut k = 1usize;
    loop {
        hot = bits.refill(hot);
        if !ac_step(&mut hot, &mut k, ac, &mut store) {
            break;
        }
        if hot.count >= 32 && !ac_step(&mut hot, &mut k, ac, &mut store) {
            break;
        }
        if hot.count >= 32 && !ac_step(&mut hot, &mut k, ac, &mut store) {
            break;
        }
    }
    hot
}

/// One lookup of [`for_each_ac`]: one or two coefficients from `hot` (which must hold at least
/// 32 bits). Returns whether the block goes on.
#[inline(always)]
fn ac_step(
    hot: &mut Hot,
    k: &mut usize,
    ac: &HuffmanTable,
    store: &mut impl FnMut(usize, i32),
) -> bool {
    let fast = ac.fast(hot);
    if fast.length1() != 0 {
        *k += usize::from(fast.run1);
        if *k > 63 {
            hot.consume(fast.length1());
            return false;
        }
        store(*k, i32::from(fast.value1));
        *k += 1;
        if *k > 63 {
            // The block is full: a second coefficient would belong to the next block.
            hot.consume(fast.length1());
            return false;
        }
        hot.consume(fast.length());
        *k += usize::from(fast.run2);
        if *k > 63 {
            return false;
        }
        store(*k, i32::from(fast.value2));
        *k += usize::from(fast.advance2);
        return *k < 64;
    }
    let symbol = ac.decode(hot);
    let size = u32::from(symbol & 15);
    let mut run = usize::from(symbol >> 4);
    if size == 0 && run != 15 {
        run = 64;
    }
    let value = hot.signed(size);
    *k += run;
    if *k > 63 {
        return false;
    }
    store(*k, value);
    *k += 1;
    *k < 64
}
