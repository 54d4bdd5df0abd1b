//! The decoder proper: markers in file order, sequential scans straight to pixels at the reduced
//! size, progressive scans into a reduced coefficient store, then upsampling and colour.
//!
//! Every buffer is bounded by the frame size, which the caller checked against [`Limits`]
//! before anything is allocated.

use std::cell::RefCell;

use super::headers::{self, Frame, Scan, Tables, ZIGZAG};
use super::huffman::{BitReader, Hot, HuffmanTable};
use super::marker::{self, Marker, SegmentError, Segments};
use super::{idct, upsample};
use crate::limits::Limits;
use crate::{Error, Result};

/// What the pixels of a [`Decoded`] are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColourKind {
    Gray,
    Rgb,
    /// CMYK ink, 0 = no ink.
    Cmyk,
}

/// A decoded image at the reduced size, before any ICC conversion.
pub(crate) struct Decoded {
    pub(crate) width: usize,
    pub(crate) height: usize,
    pub(crate) kind: ColourKind,
    /// `width × height × channels` samples.
    pub(crate) data: Vec<u8>,
    /// The APP2 ICC profile, when complete.
    pub(crate) icc: Option<Vec<u8>>,
}

/// Scans beyond this are refused: each scan may walk every block, so a flood of tiny scans would
/// otherwise cost time out of proportion to the file size.
const MAX_SCANS: usize = 500;

/// No slot in a reduced block.
const NONE: u8 = 0xFF;

/// For each reduced block size (index 0: 1×1, 1: 2×2, 2: 4×4, 3: 8×8): the index of each
/// frequency among those the reduced IDCT reads ([`idct`]: 2×2 reads 0, 1, 3, 5, 7; 4×4 all but
/// 4), or [`NONE`].
const FREQUENCY_INDEX: [[u8; 8]; 4] = [
    [0, NONE, NONE, NONE, NONE, NONE, NONE, NONE],
    [0, 1, NONE, 2, NONE, 3, NONE, 4],
    [0, 1, 2, 3, NONE, 4, 5, 6],
    [0, 1, 2, 3, 4, 5, 6, 7],
];

/// How many frequencies per direction each size reads.
const USED: [usize; 4] = [1, 5, 7, 8];

/// For each size: the compact slot (in a progressive coefficient store) of each zigzag position,
/// or [`NONE`] for the coefficients that size does not read.
const SLOTS: [[u8; 64]; 4] = {
    let mut slots = [[NONE; 64]; 4];
    let mut size = 0;
    while size < 4 {
        let mut k = 0;
        while k < 64 {
            let (row, col) = (ZIGZAG[k] as usize / 8, ZIGZAG[k] as usize % 8);
            let (r, c) = (FREQUENCY_INDEX[size][row], FREQUENCY_INDEX[size][col]);
            if r != NONE && c != NONE {
                slots[size][k] = (r as usize * USED[size] + c as usize) as u8;
            }
            k += 1;
        }
        size += 1;
    }
    slots
};

/// For each size: the natural (row-major 8×8) position of each compact slot.
const NATURAL_OF_SLOT: [[u8; 64]; 4] = {
    let mut naturals = [[0; 64]; 4];
    let mut size = 0;
    while size < 4 {
        let mut k = 0;
        while k < 64 {
            if SLOTS[size][k] != NONE {
                naturals[size][SLOTS[size][k] as usize] = ZIGZAG[k];
            }
            k += 1;
        }
        size += 1;
    }
    naturals
};

/// The last zigzag position each size reads.
const KMAX: [usize; 4] = [0, 63, 63, 63];

fn size_index(n: usize) -> usize {
    n.trailing_zeros() as usize
}

/// Per-thread buffers, kept between decodes.
#[derive(Default)]
struct Scratch {
    planes: [Vec<u8>; 4],
    coefs: [Vec<i16>; 4],
    masks: [Vec<u64>; 4],
    rows: Vec<u8>,
    sums: Vec<u16>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Bytes this thread's scratch holds on to.
#[cfg(test)]
pub(super) fn scratch_bytes() -> usize {
    SCRATCH.with(|cell| {
        let scratch = cell.borrow();
        let planes: usize = scratch.planes.iter().map(Vec::capacity).sum();
        let coefs: usize = scratch.coefs.iter().map(|v| v.capacity() * 2).sum();
        let masks: usize = scratch.masks.iter().map(|v| v.capacity() * 8).sum();
        planes + coefs + masks + scratch.rows.capacity() + scratch.sums.capacity() * 2
    })
}

/// A buffer of exactly `len` elements of `value`, reusing `vec`'s allocation.
fn reuse<T: Copy>(vec: &mut Vec<T>, len: usize, value: T) {
    vec.clear();
    vec.resize(len, value);
}

/// Gives back memory when a buffer is far larger than this decode needed, its length (after a
/// big image, a thread that then sees only small ones should not keep the big buffers).
fn trim<T>(vec: &mut Vec<T>) {
    let used = vec.len();
    let bytes = vec.capacity() * std::mem::size_of::<T>();
    if bytes > (256 << 10) && vec.capacity() > used.saturating_mul(4) {
        vec.shrink_to(used);
    }
}

/// One frame component, with its geometry at the reduced size.
struct Component {
    id: u8,
    h: usize,
    v: usize,
    quant_id: usize,
    /// Latched when the component's first scan starts.
    quant: Option<[u16; 64]>,
    /// Pixels per block side in its plane (1, 2, 4 or 8).
    n: usize,
    /// Blocks per line and per column, padded to whole MCUs.
    bw: usize,
    bh: usize,
    /// Blocks that hold the component's samples (a non-interleaved scan covers only these).
    real_bw: usize,
    real_bh: usize,
    /// Width of its plane: `bw · n`.
    stride: usize,
    /// First scan positions whose scans were skipped (progressive, bit k = zigzag k).
    skipped: u64,
}

impl Component {
    fn slots(&self) -> &'static [u8; 64] {
        &SLOTS[size_index(self.n)]
    }

    fn kmax(&self) -> usize {
        KMAX[size_index(self.n)]
    }

    /// Coefficients kept per block in a progressive store.
    fn kept(&self) -> usize {
        USED[size_index(self.n)] * USED[size_index(self.n)]
    }
}

/// Frame-wide geometry.
struct Geometry {
    /// Output scale in eighths (1, 2, 4, 8).
    n: usize,
    mcus_x: usize,
    mcus_y: usize,
    hmax: usize,
    vmax: usize,
}

/// Decodes `bytes` at `eighths`/8 of the stored size (`eighths` is 1, 2, 4 or 8).
///
/// `threads` caps the threads used for files with restart markers (1 decodes on the calling
/// thread only); files without restart markers always decode on the calling thread.
pub(crate) fn decode(
    bytes: &[u8],
    eighths: u32,
    limits: &Limits,
    threads: usize,
) -> Result<Decoded> {
    SCRATCH.with(|cell| {
        // Taken out so that a nested call (none today) would find an empty scratch, not a
        // borrowed one.
        let mut scratch = std::mem::take(&mut *cell.borrow_mut());
        let result = decode_with(bytes, eighths, limits, threads, &mut scratch);
        *cell.borrow_mut() = scratch;
        result
    })
}

fn decode_with(
    bytes: &[u8],
    eighths: u32,
    limits: &Limits,
    threads: usize,
    scratch: &mut Scratch,
) -> Result<Decoded> {
    if bytes.get(..2) != Some(&[0xFF, 0xD8]) {
        return Err(Error::decode("not a JPEG (no SOI marker)"));
    }
    let n = match eighths {
        1 | 2 | 4 => eighths as usize,
        _ => 8,
    };
    let truncated = || Error::decode("JPEG is truncated before its first scan");
    let mut tables = Tables::new();
    let mut frame: Option<(Frame, Vec<Component>, Geometry)> = None;
    let mut scans = 0usize;
    let mut later = None;
    let mut segments = Segments::lenient(bytes, 2);
    while let Some(segment) = segments.next() {
        let segment = match segment {
            Ok(segment) => segment,
            Err(SegmentError::BadLength { .. }) => {
                return Err(Error::decode("JPEG segment with an invalid length"))
            }
            // Data cut short after a scan: decode what there is.
            Err(_) if scans > 0 => break,
            Err(_) => return Err(truncated()),
        };
        let data = segment.data;
        match segment.marker {
            Marker::Eoi => break,
            Marker::Dht => tables.read_dht(data)?,
            Marker::Dqt => tables.read_dqt(data)?,
            Marker::Dri => {
                tables.restart_interval =
                    usize::from(marker::read_u16(data, 0).ok_or_else(truncated)?);
            }
            Marker::App(_) => tables.read_app(segment.marker, data),
            Marker::Sof(process) => {
                if frame.is_some() {
                    return Err(Error::decode("JPEG has a second frame header"));
                }
                let parsed = headers::read_sof(process, data)?;
                limits.check_source_pixels(parsed.width as u64 * parsed.height as u64)?;
                let (components, geometry) = layout(&parsed, n);
                allocate(&parsed, &components, scratch);
                frame = Some((parsed, components, geometry));
            }
            Marker::Sos => {
                let Some((frame, components, geometry)) = frame.as_mut() else {
                    return Err(Error::decode("JPEG scan before the frame header"));
                };
                scans += 1;
                if scans > MAX_SCANS {
                    return Err(Error::decode("JPEG has too many scans"));
                }
                let scan = headers::read_sos(data, frame)?;
                for &(index, _, _) in &scan.components {
                    let component = &mut components[index];
                    if component.quant.is_none() {
                        component.quant = Some(
                            tables.quant[component.quant_id]
                                .ok_or_else(|| Error::decode("JPEG quantisation table missing"))?,
                        );
                    }
                }
                let pos = segment.end;
                let end = if frame.progressive {
                    progressive_scan(
                        bytes, pos, &scan, &tables, components, geometry, scratch, &mut later,
                    )?
                } else {
                    sequential_scan(
                        bytes, pos, &scan, &tables, components, geometry, scratch, threads,
                    )?
                };
                segments.seek(end);
            }
            _ => {}
        }
    }
    let Some((frame, components, geometry)) = frame else {
        return Err(Error::decode("JPEG has no frame header"));
    };
    if scans == 0 {
        return Err(Error::decode("JPEG has no scan"));
    }
    if frame.progressive {
        for (index, component) in components.iter().enumerate() {
            coefficients_to_plane(component, scratch, index);
        }
    }
    let decoded = output(&frame, &components, &geometry, &tables, scratch);
    for index in 0..4 {
        if index >= components.len() {
            scratch.planes[index].clear();
            scratch.coefs[index].clear();
            scratch.masks[index].clear();
        }
        trim(&mut scratch.planes[index]);
        trim(&mut scratch.coefs[index]);
        trim(&mut scratch.masks[index]);
    }
    trim(&mut scratch.rows);
    trim(&mut scratch.sums);
    Ok(decoded)
}

/// The components' block grids and reduced block sizes. Chroma is decoded at a larger block
/// size when subsampled by a power of two (as libjpeg does), so that no upsampling is needed,
/// except in progressive files at 1/8 where only DC is kept for every component.
fn layout(frame: &Frame, n: usize) -> (Vec<Component>, Geometry) {
    let hmax = frame.components.iter().map(|c| c.h).max().unwrap_or(1);
    let vmax = frame.components.iter().map(|c| c.v).max().unwrap_or(1);
    let mcus_x = frame.width.div_ceil(8 * hmax);
    let mcus_y = frame.height.div_ceil(8 * vmax);
    let dc_only = frame.progressive && n == 1;
    let components = frame
        .components
        .iter()
        .map(|c| {
            let mut size = n;
            while !dc_only && size < 8 && (hmax * n).is_multiple_of(c.h * size * 2) {
                if !(vmax * n).is_multiple_of(c.v * size * 2) {
                    break;
                }
                size *= 2;
            }
            let (bw, bh) = (mcus_x * c.h, mcus_y * c.v);
            Component {
                id: c.id,
                h: c.h,
                v: c.v,
                quant_id: c.quant,
                quant: None,
                n: size,
                bw,
                bh,
                real_bw: (frame.width * c.h).div_ceil(hmax).div_ceil(8),
                real_bh: (frame.height * c.v).div_ceil(vmax).div_ceil(8),
                stride: bw * size,
                skipped: 0,
            }
        })
        .collect();
    let geometry = Geometry {
        n,
        mcus_x,
        mcus_y,
        hmax,
        vmax,
    };
    (components, geometry)
}

/// Sizes the planes (mid-grey, what missing data shows as) or, for progressive files, the
/// coefficient store.
fn allocate(frame: &Frame, components: &[Component], scratch: &mut Scratch) {
    for (index, component) in components.iter().enumerate() {
        if frame.progressive {
            let blocks = component.bw * component.bh;
            reuse(&mut scratch.coefs[index], blocks * component.kept(), 0);
            let masks = if component.n == 1 { 0 } else { blocks };
            reuse(&mut scratch.masks[index], masks, 0);
            reuse(&mut scratch.planes[index], 0, 0);
        } else {
            let len = component.stride * component.bh * component.n;
            reuse(&mut scratch.planes[index], len, 128);
            scratch.coefs[index].clear();
            scratch.masks[index].clear();
        }
    }
}

/// Dequantises and clamps (see [`idct`] for why ±8192 is enough).
#[inline(always)]
fn dequantise(value: i32, quant: u16) -> i32 {
    (value.clamp(-32768, 32767) * i32::from(quant)).clamp(-8192, 8191)
}

/// Writes one block's pixels: `block` holds the dequantised coefficients in natural order, of
/// which the reduced IDCT reads those it needs; cleared afterwards.
#[inline(always)]
fn write_block(block: &mut [i32; 64], n: usize, has_ac: bool, out: &mut [u8], stride: usize) {
    match n {
        1 => out[0] = idct::idct1(block[0]),
        _ if !has_ac => idct::fill(idct::dc_only(block[0]), n, out, stride),
        2 => idct::idct2(block, out, stride),
        4 => idct::idct4(block, out, stride),
        _ => idct::idct8(block, out, stride),
    }
    if has_ac {
        block.fill(0);
    } else {
        block[0] = 0;
    }
}

/// What one component needs during a scan.
struct ScanComponent<'t> {
    dc: &'t HuffmanTable,
    ac: Option<&'t HuffmanTable>,
    quant: [u16; 64],
    n: usize,
    slots: &'static [u8; 64],
    kmax: usize,
    /// Blocks per MCU horizontally and vertically (1×1 in a non-interleaved scan).
    h: usize,
    v: usize,
    stride: usize,
    /// The direct 2×2 or 4×4 transform, when the component decodes at one of those sizes.
    direct: Option<idct::Direct>,
}

/// A sequential scan: the scan's bytes start at `pos`. Returns where the next marker is.
#[allow(clippy::too_many_arguments)]
fn sequential_scan(
    bytes: &[u8],
    pos: usize,
    scan: &Scan,
    tables: &Tables,
    components: &[Component],
    geometry: &Geometry,
    scratch: &mut Scratch,
    threads: usize,
) -> Result<usize> {
    let missing = || Error::decode("JPEG Huffman table missing");
    let interleaved = scan.components.len() > 1;
    let mut plan = Vec::with_capacity(scan.components.len());
    for &(index, dc, ac) in &scan.components {
        let component = &components[index];
        plan.push(ScanComponent {
            dc: tables.dc[dc].as_ref().ok_or_else(missing)?,
            ac: Some(tables.ac[ac].as_ref().ok_or_else(missing)?),
            quant: component.quant.unwrap_or([1; 64]),
            n: component.n,
            slots: component.slots(),
            kmax: component.kmax(),
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
    let (units_x, units_y) = if interleaved {
        (geometry.mcus_x, geometry.mcus_y)
    } else {
        let component = &components[scan.components[0].0];
        (component.real_bw, component.real_bh)
    };
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
fn decode_units(
    bits: &mut BitReader,
    plan: &[ScanComponent],
    range: std::ops::Range<usize>,
    units_x: usize,
    restart: usize,
    bands: &mut [&mut [u8]],
    row0: usize,
) {
    let mut preds = [0i32; 4];
    let mut block = [0i32; 64];
    let start = range.start;
    let mut unit = start;
    while unit < range.end {
        if restart > 0 && unit != start && unit.is_multiple_of(restart) {
            bits.restart(unit / restart);
            preds = [0; 4];
        }
        if bits.exhausted() {
            match resume_at(unit, restart) {
                Some(next) => {
                    unit = next;
                    continue;
                }
                None => break,
            }
        }
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
        unit += 1;
    }
}

/// Where decoding goes on when the reader ran out of data (corrupt or missing) at `unit`: the
/// start of the next restart interval, where it resynchronises (the rest of this interval stays
/// grey, as with libjpeg), or `None` without restart markers (the rest of the scan stays grey).
fn resume_at(unit: usize, restart: usize) -> Option<usize> {
    (restart > 0).then(|| (unit / restart + 1) * restart)
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
    if component.kmax > 0 {
        hot = for_each_ac(bits, hot, ac, |k, value| {
            if value != 0 && component.slots[k] != NONE {
                block[usize::from(ZIGZAG[k])] = dequantise(value, component.quant[k]);
                has_ac = true;
            }
        });
    } else {
        // Only the lengths matter. A skip takes at most 32 bits (12 from its table), so one
        // refill serves two unless a long code used many bits (a third measured no faster).
        let mut k = 1usize;
        while k < 64 {
            hot = bits.refill(hot);
            k += ac.skip_ac(&mut hot, k);
            if k < 64 && hot.count >= 32 {
                k += ac.skip_ac(&mut hot, k);
            }
        }
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
    let mut acc: idct::Accumulators = [[0; 4]; 4];
    // Clamped like `dequantise`: a corrupt file's predictor may drift anywhere.
    let dc = i64::from((*pred).clamp(-32768, 32767));
    for (sum, weight) in acc[0].iter_mut().zip(&direct.weights[0]).take(LANES) {
        *sum = dc * weight;
    }
    if let Some(ac) = component.ac {
        hot = for_each_ac(bits, hot, ac, |k, value| {
            let class = &mut acc[usize::from(direct.class[k] & 3)];
            for (sum, weight) in class.iter_mut().zip(&direct.weights[k]).take(LANES) {
                *sum += i64::from(value) * weight;
            }
        });
    }
    bits.set_hot(hot);
    acc
}

/// Decodes a block's DC difference into `pred`; returns the reader's bits.
#[inline(always)]
fn decode_dc(bits: &mut BitReader, component: &ScanComponent, pred: &mut i32) -> Hot {
    let mut hot = bits.refill(bits.hot());
    let fast = component.dc.fast(&hot);
    if fast.length1() != 0 {
        hot.consume(fast.length1());
        *pred = pred.wrapping_add(i32::from(fast.value1));
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

/// Restart intervals in parallel: the scan is split at restart markers that start a unit row,
/// into at most `threads` runs of whole rows, each decoded into its own part of the planes.
/// `None` (nothing written) when the markers are not where the interval says, or too few rows
/// start an interval; the caller then decodes serially.
#[allow(clippy::too_many_arguments)]
fn parallel_restarts(
    bytes: &[u8],
    pos: usize,
    plan: &[ScanComponent],
    units_x: usize,
    units_y: usize,
    restart: usize,
    planes: &mut [Vec<u8>],
    threads: usize,
) -> Option<usize> {
    let units = units_x * units_y;
    let intervals = units.div_ceil(restart);
    // Where each interval's data starts.
    let mut starts = Vec::with_capacity(intervals);
    starts.push(pos);
    let mut end = bytes.len();
    for segment in Segments::lenient(bytes, pos) {
        match segment {
            Ok(segment) if matches!(segment.marker, Marker::Rst(_)) => starts.push(segment.end),
            Ok(segment) => {
                end = segment.at;
                break;
            }
            Err(error) => {
                end = error.at();
                break;
            }
        }
    }
    if starts.len() != intervals {
        return None;
    }
    // Intervals that begin a row: candidate split points.
    let row_starts: Vec<usize> = (1..intervals)
        .filter(|&i| (i * restart).is_multiple_of(units_x))
        .collect();
    let threads = threads.min(row_starts.len() + 1);
    if threads < 2 {
        return None;
    }
    let mut cuts = vec![0usize];
    for t in 1..threads {
        let wanted = intervals * t / threads;
        let cut = row_starts[row_starts
            .partition_point(|&i| i < wanted)
            .min(row_starts.len() - 1)];
        if cut > *cuts.last().unwrap_or(&0) {
            cuts.push(cut);
        }
    }
    cuts.push(intervals);
    // Split each plane into bands of unit rows.
    let mut bands_per_run: Vec<Vec<&mut [u8]>> = (0..cuts.len() - 1).map(|_| Vec::new()).collect();
    for (component, plane) in plan.iter().zip(planes.iter_mut()) {
        let row_len = component.stride * component.v * component.n;
        let mut rest: &mut [u8] = plane.as_mut_slice();
        for (run, pair) in cuts.windows(2).enumerate() {
            let rows =
                (pair[1] * restart).min(units).div_ceil(units_x) - pair[0] * restart / units_x;
            let take = (rows * row_len).min(rest.len());
            let (band, tail) = std::mem::take(&mut rest).split_at_mut(take);
            bands_per_run[run].push(band);
            rest = tail;
        }
    }
    std::thread::scope(|scope| {
        let mut work = cuts.windows(2).zip(bands_per_run.iter_mut());
        let first = work.next();
        for (pair, bands) in work {
            let (first_interval, last_interval) = (pair[0], pair[1]);
            let start = starts[first_interval];
            scope.spawn(move || {
                let mut bits = BitReader::new(bytes, start);
                let range = first_interval * restart..(last_interval * restart).min(units);
                let row0 = range.start / units_x;
                decode_units(&mut bits, plan, range, units_x, restart, bands, row0);
            });
        }
        if let Some((pair, bands)) = first {
            let mut bits = BitReader::new(bytes, starts[pair[0]]);
            let range = pair[0] * restart..(pair[1] * restart).min(units);
            decode_units(&mut bits, plan, range, units_x, restart, bands, 0);
        }
    });
    Some(end)
}

/// A progressive scan. Returns where the next marker is.
#[allow(clippy::too_many_arguments)]
fn progressive_scan(
    bytes: &[u8],
    pos: usize,
    scan: &Scan,
    tables: &Tables,
    components: &mut [Component],
    geometry: &Geometry,
    scratch: &mut Scratch,
    later: &mut Option<Vec<LaterScan>>,
) -> Result<usize> {
    let skip_to_end = || marker::scan_end(bytes, pos);
    let missing = || Error::decode("JPEG Huffman table missing");
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
            return Err(Error::UnsupportedFormat {
                reason: "progressive JPEG refining a band this decoder skipped".into(),
            });
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
    let restart = tables.restart_interval;
    let mut bits = BitReader::new(bytes, pos);
    let mut preds = [0i32; 4];
    let mut unit = 0;
    while unit < units_x * units_y {
        if restart > 0 && unit > 0 && unit.is_multiple_of(restart) {
            bits.restart(unit / restart);
            preds = [0; 4];
        }
        if bits.exhausted() {
            match resume_at(unit, restart) {
                Some(next) => {
                    unit = next;
                    continue;
                }
                None => break,
            }
        }
        let (ux, uy) = (unit % units_x, unit / units_x);
        // The body may `continue`: the counter moves on first.
        unit += 1;
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
    }
    Ok(bits.position())
}

fn saturate(value: i32) -> i16 {
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
    let mut eobrun = 0u32;
    let units = component.real_bw * component.real_bh;
    let mut unit = 0;
    while unit < units {
        if restart > 0 && unit > 0 && unit.is_multiple_of(restart) {
            bits.restart(unit / restart);
            eobrun = 0;
        }
        if bits.exhausted() {
            match resume_at(unit, restart) {
                Some(next) => {
                    unit = next;
                    continue;
                }
                None => break,
            }
        }
        let block = (unit / component.real_bw) * component.bw + unit % component.real_bw;
        // The body may `continue`: the counter moves on first.
        unit += 1;
        let (Some(coef), Some(mask)) = (
            coefs.get_mut(block * kept..block * kept + kept),
            masks.get_mut(block),
        ) else {
            continue;
        };
        if scan.ah == 0 {
            ac_first(bits, table, scan, &mut eobrun, coef, mask, slots);
        } else {
            ac_refine(bits, table, scan, &mut eobrun, coef, mask, slots);
        }
    }
}

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
fn coefficients_to_plane(component: &Component, scratch: &mut Scratch, index: usize) {
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

/// Upsamples and converts the planes into the output image.
fn output(
    frame: &Frame,
    components: &[Component],
    geometry: &Geometry,
    tables: &Tables,
    scratch: &mut Scratch,
) -> Decoded {
    let n = geometry.n;
    let width = (frame.width * n).div_ceil(8);
    let height = (frame.height * n).div_ceil(8);
    let count = components.len();
    let ids: Vec<u8> = frame.components.iter().map(|c| c.id).collect();
    let kind = match count {
        1 => ColourKind::Gray,
        3 => ColourKind::Rgb,
        _ => ColourKind::Cmyk,
    };
    // Colour transform: JFIF means YCbCr; Adobe's flag decides; else component ids "RGB" mean RGB.
    let transform = if count == 4 {
        tables.adobe_transform == Some(2)
    } else if tables.jfif {
        count == 3
    } else if let Some(flag) = tables.adobe_transform {
        flag != 0
    } else {
        count == 3 && ids != [b'R', b'G', b'B']
    };
    let upsamplers: Vec<upsample::Upsampler> = components
        .iter()
        .map(|c| {
            let rx = (geometry.hmax * n) / (c.h * c.n);
            let ry = (geometry.vmax * n) / (c.v * c.n);
            upsample::Upsampler {
                rx: rx.max(1),
                ry: ry.max(1),
                // libjpeg replicates at 1/8; where the chroma was not scaled up by its IDCT
                // (progressive files at 1/8 keep only DC), the triangle filter is closer to it.
                fancy: (n > 1 || c.n == 1 && (rx > 1 || ry > 1)) && rx <= 2 && ry <= 2,
                width: ((frame.width * c.h).div_ceil(geometry.hmax) * c.n)
                    .div_ceil(8)
                    .clamp(1, c.stride),
                height: ((frame.height * c.v).div_ceil(geometry.vmax) * c.n)
                    .div_ceil(8)
                    .clamp(1, c.bh * c.n),
            }
        })
        .collect();
    let channels = match kind {
        ColourKind::Gray => 1,
        ColourKind::Rgb => 3,
        ColourKind::Cmyk => 4,
    };
    let mut data = vec![0u8; width * height * channels];
    reuse(&mut scratch.rows, width * count, 0);
    let max_width = components.iter().map(|c| c.stride).max().unwrap_or(1);
    reuse(&mut scratch.sums, max_width, 0);
    let Scratch {
        planes, rows, sums, ..
    } = scratch;
    for (y, out) in data.chunks_exact_mut(width * channels).enumerate() {
        for (c, row) in rows.chunks_exact_mut(width).enumerate() {
            let component = &components[c];
            upsamplers[c].row(&planes[c], component.stride, y, row, sums);
        }
        match kind {
            ColourKind::Gray => out.copy_from_slice(&rows[..width]),
            ColourKind::Rgb => {
                let (a, rest) = rows.split_at(width);
                let (b, c) = rest.split_at(width);
                if transform {
                    upsample::ycc_to_rgb(a, b, c, out);
                } else {
                    upsample::interleave3(a, b, c, out);
                }
            }
            ColourKind::Cmyk => {
                let mut parts = rows.chunks_exact(width);
                let mut next = || parts.next().unwrap_or(&[]);
                let planes = [next(), next(), next(), next()];
                upsample::to_cmyk(planes, tables.adobe_transform.is_some(), transform, out);
            }
        }
    }
    Decoded {
        width,
        height,
        kind,
        data,
        icc: tables.icc_profile(),
    }
}
