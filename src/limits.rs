//! Resource limits checked before any allocation (SPEC §8).

use crate::error::LimitKind;

/// The default of [`Limits::max_source_bytes`], which the stores also use as their default cap.
pub(crate) const DEFAULT_MAX_SOURCE_BYTES: u64 = 50 * 1024 * 1024;

/// Caps on what a request may ask for and what a stored image may cost to decode.
///
/// The defaults are safe for a public service; every field can be raised or lowered with the
/// by-value setters, and [`Limits::no_limits`] is the searchable escape hatch.
///
/// ```
/// use person_image::Limits;
/// let limits = Limits::default().max_side(2048).max_frames(50);
/// assert_eq!(limits.max_side, 2048);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest `w` or `h` a request may ask for (default 4096). Larger values are a 400.
    pub max_side: u32,
    /// Largest stored image, in bytes, that will be decoded (default 50 MiB).
    pub max_source_bytes: u64,
    /// Largest number of source pixels, all frames summed (default 64 megapixels).
    pub max_source_pixels: u64,
    /// Largest number of frames in an animated source (default 300).
    pub max_frames: u32,
    /// Most persons one `GetPersonImages` batch may ask for (default 100). More is a 400.
    pub max_batch_persons: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_side: 4096,
            max_source_bytes: DEFAULT_MAX_SOURCE_BYTES,
            max_source_pixels: 64_000_000,
            max_frames: 300,
            max_batch_persons: 100,
        }
    }
}

impl Limits {
    /// Limits that allow anything the codecs can represent. Use only for trusted input.
    #[must_use]
    pub fn no_limits() -> Self {
        Limits {
            max_side: i32::MAX as u32,
            max_source_bytes: u64::MAX,
            max_source_pixels: u64::MAX,
            max_frames: u32::MAX,
            max_batch_persons: usize::MAX,
        }
    }

    /// Sets [`Limits::max_batch_persons`].
    #[must_use]
    pub fn max_batch_persons(mut self, persons: usize) -> Self {
        self.max_batch_persons = persons;
        self
    }

    /// Sets [`Limits::max_side`].
    #[must_use]
    pub fn max_side(mut self, pixels: u32) -> Self {
        self.max_side = pixels;
        self
    }

    /// Sets [`Limits::max_source_bytes`].
    #[must_use]
    pub fn max_source_bytes(mut self, bytes: u64) -> Self {
        self.max_source_bytes = bytes;
        self
    }

    /// Sets [`Limits::max_source_pixels`].
    #[must_use]
    pub fn max_source_pixels(mut self, pixels: u64) -> Self {
        self.max_source_pixels = pixels;
        self
    }

    /// Sets [`Limits::max_frames`].
    #[must_use]
    pub fn max_frames(mut self, frames: u32) -> Self {
        self.max_frames = frames;
        self
    }

    /// Checks a source's byte size.
    pub fn check_source_bytes(&self, len: usize) -> crate::Result<()> {
        check(LimitKind::SourceBytes, self.max_source_bytes, len as u64)
    }

    /// Checks one frame's (or the sum of all frames') declared pixel count, before allocating.
    pub fn check_source_pixels(&self, pixels: u64) -> crate::Result<()> {
        check(LimitKind::SourcePixels, self.max_source_pixels, pixels)
    }

    /// Checks a frame count.
    pub fn check_frames(&self, frames: u64) -> crate::Result<()> {
        check(LimitKind::Frames, u64::from(self.max_frames), frames)
    }
}

fn check(limit: LimitKind, max: u64, actual: u64) -> crate::Result<()> {
    if actual > max {
        Err(crate::Error::LimitExceeded { limit, max, actual })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_spec() {
        let limits = Limits::default();
        assert_eq!(limits.max_side, 4096);
        assert_eq!(limits.max_source_bytes, 50 * 1024 * 1024);
        assert_eq!(limits.max_source_pixels, 64_000_000);
        assert_eq!(limits.max_frames, 300);
    }

    #[test]
    fn checks_are_inclusive_and_typed() {
        let limits = Limits::default().max_frames(2);
        assert!(limits.check_frames(2).is_ok());
        let error = limits.check_frames(3).unwrap_err();
        assert_eq!(error.status(), 422);
        assert!(error.to_string().contains("frames"), "{error}");
    }
}
