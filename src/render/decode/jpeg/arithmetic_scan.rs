//! Scans of arithmetic-coded frames (SOF9, SOF10): the loops over a scan's units, feeding the
//! same stages as the Huffman scans. Sequential scans go straight to pixels at the reduced size
//! (every coefficient must be decoded for the statistics, but only those the reduced IDCT reads
//! are stored); progressive scans go into the reduced coefficient store, after the same choice
//! of which AC scans to skip ([`progressive`](super::progressive)).
//!
//! The statistics areas and DC predictions start afresh at each scan and restart interval.

use super::arithmetic::ArithmeticReader;
use super::arithmetic_blocks::{
    ac_band, ac_refinement, dc_difference, AcStatistics, DcContext, DcStatistics, Refinement,
};
use super::headers::{DcConditioning, Scan, Tables, ZIGZAG};
use super::idct::{dequantise, direct2, direct4, write_block, Direct};
use super::layout::{Component, Geometry, NONE};
use super::progressive::saturate;
use super::restart::for_each_unit;
use super::scratch::Scratch;

/// What a restart interval carries from one unit to the next.
#[derive(Default)]
struct Interval {
    /// Statistics of the DC tables.
    dc: [DcStatistics; 4],
    /// Statistics of the AC tables.
    ac: [AcStatistics; 4],
    /// Each scan component's DC conditioning class.
    contexts: [DcContext; 4],
    /// Each scan component's DC prediction.
    preds: [i32; 4],
}

/// What one component needs during a sequential scan.
struct SequentialComponent {
    /// Index of its DC table (statistics and conditioning).
    dc: usize,
    /// Index of its AC table.
    ac: usize,
    /// The DC table's conditioning.
    conditioning: DcConditioning,
    /// The AC table's `Kx`.
    kx: usize,
    /// Quantisation table, zigzag order.
    quant: [u16; 64],
    /// Pixels per block side in its plane.
    n: usize,
    /// Which zigzag positions the reduced block reads ([`NONE`] for the others).
    slots: &'static [u8; 64],
    /// Blocks per MCU horizontally (1 in a non-interleaved scan).
    h: usize,
    /// Blocks per MCU vertically (1 in a non-interleaved scan).
    v: usize,
    /// Width of its plane.
    stride: usize,
    /// The direct 2×2 or 4×4 transform, when the component decodes at one of those sizes (as
    /// on the Huffman path, so that both give the same pixels).
    direct: Option<Direct>,
}

/// A sequential arithmetic scan, whose bytes start at `pos`, into the planes. Returns where the
/// next marker is.
pub(super) fn sequential_scan(
    bytes: &[u8],
    pos: usize,
    scan: &Scan,
    tables: &Tables,
    components: &[Component],
    geometry: &Geometry,
    scratch: &mut Scratch,
) -> usize {
    let interleaved = scan.components.len() > 1;
    let plan: Vec<SequentialComponent> = scan
        .components
        .iter()
        .map(|&(index, dc, ac)| {
            let component = &components[index];
            SequentialComponent {
                dc,
                ac,
                conditioning: tables.dc_conditioning[dc],
                kx: usize::from(tables.ac_conditioning[ac]),
                quant: component.quant.unwrap_or([1; 64]),
                n: component.n,
                slots: component.slots(),
                h: if interleaved { component.h } else { 1 },
                v: if interleaved { component.v } else { 1 },
                stride: component.stride,
                direct: matches!(component.n, 2 | 4).then(|| {
                    Direct::new(
                        component.n,
                        component.quant.as_ref().unwrap_or(&[1; 64]),
                        &ZIGZAG,
                    )
                }),
            }
        })
        .collect();
    let units_x = if interleaved {
        geometry.mcus_x
    } else {
        components[scan.components[0].0].real_bw
    };
    let units_y = if interleaved {
        geometry.mcus_y
    } else {
        components[scan.components[0].0].real_bh
    };
    let planes = &mut scratch.planes;
    let mut reader = ArithmeticReader::new(bytes, pos);
    let mut block = [0i32; 64];
    for_each_unit(
        &mut reader,
        0..units_x * units_y,
        tables.restart_interval,
        |reader, interval: &mut Interval, unit| {
            let (ux, uy) = (unit % units_x, unit / units_x);
            for (c, (component, &(index, _, _))) in plan.iter().zip(&scan.components).enumerate() {
                for by in 0..component.v {
                    for bx in 0..component.h {
                        let kx = component.kx;
                        let Some(diff) = dc_difference(
                            reader,
                            &mut interval.dc[component.dc],
                            &mut interval.contexts[c],
                            component.conditioning,
                        ) else {
                            return;
                        };
                        interval.preds[c] = interval.preds[c].wrapping_add(diff);
                        let statistics = &mut interval.ac[component.ac];
                        let x = (ux * component.h + bx) * component.n;
                        let y = (uy * component.v + by) * component.n;
                        let out = planes[index].get_mut(y * component.stride + x..);
                        let complete = match (&component.direct, component.n) {
                            (Some(direct), 2) => {
                                let mut acc = direct.start::<1>(interval.preds[c]);
                                let complete = ac_band(reader, statistics, kx, (1, 63), |k, v| {
                                    direct.add::<1>(&mut acc, k, v)
                                });
                                if let (Some(out), true) = (out, complete) {
                                    direct2(&acc, out, component.stride);
                                }
                                complete
                            }
                            (Some(direct), _) => {
                                let mut acc = direct.start::<4>(interval.preds[c]);
                                let complete = ac_band(reader, statistics, kx, (1, 63), |k, v| {
                                    direct.add::<4>(&mut acc, k, v)
                                });
                                if let (Some(out), true) = (out, complete) {
                                    direct4(&acc, out, component.stride);
                                }
                                complete
                            }
                            (None, _) => {
                                block[0] = dequantise(interval.preds[c], component.quant[0]);
                                let mut has_ac = false;
                                let complete = ac_band(reader, statistics, kx, (1, 63), |k, v| {
                                    if component.slots[k] != NONE {
                                        block[usize::from(ZIGZAG[k])] =
                                            dequantise(v, component.quant[k]);
                                        has_ac = true;
                                    }
                                });
                                match out {
                                    Some(out) if complete => write_block(
                                        &mut block,
                                        component.n,
                                        has_ac,
                                        out,
                                        component.stride,
                                    ),
                                    _ => block.fill(0),
                                }
                                complete
                            }
                        };
                        if !complete {
                            return;
                        }
                    }
                }
            }
        },
    );
    reader.position()
}

/// A progressive DC scan (first pass or refinement), interleaved or not, into the coefficient
/// store. Returns where the next marker is.
pub(super) fn dc_scan(
    bytes: &[u8],
    pos: usize,
    scan: &Scan,
    tables: &Tables,
    components: &[Component],
    geometry: &Geometry,
    scratch: &mut Scratch,
) -> usize {
    let interleaved = scan.components.len() > 1;
    let (units_x, units_y) = if interleaved {
        (geometry.mcus_x, geometry.mcus_y)
    } else {
        let component = &components[scan.components[0].0];
        (component.real_bw, component.real_bh)
    };
    let mut reader = ArithmeticReader::new(bytes, pos);
    for_each_unit(
        &mut reader,
        0..units_x * units_y,
        tables.restart_interval,
        |reader, interval: &mut Interval, unit| {
            let (ux, uy) = (unit % units_x, unit / units_x);
            for (c, &(index, dc, _)) in scan.components.iter().enumerate() {
                let component = &components[index];
                let (h, v) = if interleaved {
                    (component.h, component.v)
                } else {
                    (1, 1)
                };
                let kept = component.kept();
                for by in 0..v {
                    for bx in 0..h {
                        let block = (uy * v + by) * component.bw + ux * h + bx;
                        let mut coef = 0i16;
                        if scan.ah == 0 {
                            let Some(diff) = dc_difference(
                                reader,
                                &mut interval.dc[dc],
                                &mut interval.contexts[c],
                                tables.dc_conditioning[dc],
                            ) else {
                                return;
                            };
                            interval.preds[c] = interval.preds[c].wrapping_add(diff);
                            coef = saturate(interval.preds[c].wrapping_shl(scan.al));
                        }
                        let refined = scan.ah > 0 && reader.decode_fixed();
                        let Some(stored) = scratch.coefs[index].get_mut(block * kept) else {
                            continue;
                        };
                        if scan.ah == 0 {
                            *stored = coef;
                        } else if refined {
                            *stored |= 1 << scan.al;
                        }
                    }
                }
            }
        },
    );
    reader.position()
}

/// A progressive AC scan (first pass or refinement) of the component `index` into its
/// coefficient store. Returns where the next marker is.
pub(super) fn ac_scan(
    bytes: &[u8],
    pos: usize,
    scan: &Scan,
    tables: &Tables,
    component: &Component,
    scratch: &mut Scratch,
    index: usize,
) -> usize {
    let table = scan.components[0].2;
    let kx = usize::from(tables.ac_conditioning[table]);
    let kept = component.kept();
    let slots = component.slots();
    let coefs = &mut scratch.coefs[index];
    let masks = &mut scratch.masks[index];
    let units = 0..component.real_bw * component.real_bh;
    let band = (scan.ss, scan.se);
    let p1: i16 = 1 << scan.al;
    let mut reader = ArithmeticReader::new(bytes, pos);
    for_each_unit(
        &mut reader,
        units,
        tables.restart_interval,
        |reader, interval: &mut Interval, unit| {
            let block = (unit / component.real_bw) * component.bw + unit % component.real_bw;
            let (Some(coef), Some(mask)) = (
                coefs.get_mut(block * kept..block * kept + kept),
                masks.get_mut(block),
            ) else {
                return;
            };
            let statistics = &mut interval.ac[table];
            if scan.ah == 0 {
                ac_band(reader, statistics, kx, band, |k, value| {
                    *mask |= 1 << k;
                    if let Some(c) = coef.get_mut(usize::from(slots[k])) {
                        *c = saturate(value.wrapping_shl(scan.al));
                    }
                });
            } else {
                ac_refinement(reader, statistics, band, mask, |k, refinement| {
                    let Some(c) = coef.get_mut(usize::from(slots[k])) else {
                        return;
                    };
                    *c = match refinement {
                        Refinement::New { negative: true } => -p1,
                        Refinement::New { negative: false } => p1,
                        Refinement::Correct if *c >= 0 => c.wrapping_add(p1),
                        Refinement::Correct => c.wrapping_sub(p1),
                    };
                });
            }
        },
    );
    reader.position()
}
