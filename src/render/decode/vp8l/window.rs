//! The pixels a VP8L decoder keeps: a ring of the last pixels decoded, as many as a backward
//! reference can reach plus a band in flight, so a large picture is never held whole.

/// A ring of decoded pixels; absolute pixel `p` sits at `p % capacity` while it is kept.
pub(super) struct Window {
    pixels: Vec<u32>,
    /// Where the next pixel goes.
    next: usize,
}

impl Window {
    /// A ring of `capacity` (at least 1) pixels.
    pub(super) fn new(capacity: usize) -> Self {
        Window {
            pixels: vec![0; capacity.max(1)],
            next: 0,
        }
    }

    /// How many pixels it keeps.
    pub(super) fn capacity(&self) -> usize {
        self.pixels.len()
    }

    /// Appends a pixel.
    #[inline(always)]
    pub(super) fn push(&mut self, argb: u32) {
        if let Some(slot) = self.pixels.get_mut(self.next) {
            *slot = argb;
        }
        self.next += 1;
        if self.next == self.pixels.len() {
            self.next = 0;
        }
    }

    /// Appends `length` pixels copied from `distance` back (1 to the capacity; the copy repeats
    /// the pixels when the distance is shorter than the length), and feeds each to `each`.
    #[inline(always)]
    pub(super) fn copy(&mut self, distance: usize, length: usize, mut each: impl FnMut(u32)) {
        let capacity = self.pixels.len();
        let mut from = if self.next >= distance {
            self.next - distance
        } else {
            self.next + capacity - distance
        };
        if distance >= length && from + length <= capacity && self.next + length <= capacity {
            self.pixels.copy_within(from..from + length, self.next);
            for &argb in &self.pixels[self.next..self.next + length] {
                each(argb);
            }
            self.next += length;
            if self.next == capacity {
                self.next = 0;
            }
            return;
        }
        for _ in 0..length {
            let argb = self.pixels[from];
            self.push(argb);
            each(argb);
            from += 1;
            if from == capacity {
                from = 0;
            }
        }
    }

    /// Copies the kept pixels from absolute position `start` into `out` (which must fit in the
    /// ring: at most the capacity).
    pub(super) fn read(&self, start: usize, out: &mut [u32]) {
        let capacity = self.pixels.len();
        let at = start % capacity;
        let first = out.len().min(capacity - at);
        out[..first].copy_from_slice(&self.pixels[at..at + first]);
        let rest = out.len() - first;
        out[first..].copy_from_slice(&self.pixels[..rest]);
    }

    /// The ring's pixels, for a window that never wrapped (a whole sub-image).
    pub(super) fn into_pixels(self) -> Vec<u32> {
        self.pixels
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_repeat_and_wrap_like_a_flat_history() {
        let mut window = Window::new(7);
        let mut history: Vec<u32> = Vec::new();
        let push = |window: &mut Window, history: &mut Vec<u32>, argb| {
            window.push(argb);
            history.push(argb);
        };
        for argb in 1..=5 {
            push(&mut window, &mut history, argb);
        }
        for (distance, length) in [(2, 5), (1, 3), (7, 4), (3, 3), (6, 6)] {
            let mut fed = Vec::new();
            window.copy(distance, length, |argb| fed.push(argb));
            for _ in 0..length {
                let argb = history[history.len() - distance];
                history.push(argb);
            }
            assert_eq!(
                fed,
                history[history.len() - length..],
                "{distance} back, {length}"
            );
        }
        let mut out = vec![0; 7];
        let start = history.len() - 7;
        window.read(start, &mut out);
        assert_eq!(out, history[start..]);
    }
}
