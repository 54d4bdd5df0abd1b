//! Per-thread buffers kept between decodes: the component planes, the progressive coefficient
//! store and the output rows. Each decode sizes them to its frame and trims them afterwards.

use std::cell::RefCell;

use super::headers::Frame;
use super::layout::Component;

/// Per-thread buffers, kept between decodes.
#[derive(Default)]
pub(super) struct Scratch {
    /// Each component's plane of reduced-size samples.
    pub(super) planes: [Vec<u8>; 4],
    /// Progressive files: each component's coefficient store, the kept slots of each block.
    pub(super) coefs: [Vec<i16>; 4],
    /// Progressive files: per block, the zigzag positions already non-zero (bit k = position k).
    pub(super) masks: [Vec<u64>; 4],
    /// One output row per component, upsampled.
    pub(super) rows: Vec<u8>,
    /// The vertical pass of the upsampling filter.
    pub(super) sums: Vec<u16>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `decode` with this thread's scratch.
pub(super) fn with_scratch<T>(decode: impl FnOnce(&mut Scratch) -> T) -> T {
    SCRATCH.with(|cell| {
        // Taken out so that a nested call (none today) would find an empty scratch, not a
        // borrowed one.
        let mut scratch = std::mem::take(&mut *cell.borrow_mut());
        let result = decode(&mut scratch);
        *cell.borrow_mut() = scratch;
        result
    })
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
pub(super) fn reuse<T: Copy>(vec: &mut Vec<T>, len: usize, value: T) {
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

/// Sizes the planes (mid-grey, what missing data shows as) or, for progressive files, the
/// coefficient store.
pub(super) fn allocate(frame: &Frame, components: &[Component], scratch: &mut Scratch) {
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

/// Releases what a decode of `count` components left that the next one will not reuse: the
/// buffers of components it did not have, and any buffer far larger than it needed.
pub(super) fn release(scratch: &mut Scratch, count: usize) {
    for index in 0..4 {
        if index >= count {
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
}
