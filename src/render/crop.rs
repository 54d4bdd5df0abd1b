//! [`Target`]: what the resize stage produces, a size and the part of the source it shows (all
//! of it, or a [`Crop`] for `fit=cover`), carried from the plan through the decoders, which
//! decode at any scale and in the stored orientation.

/// A box in the source, in whole pixels of the source at its full size, with that size: it names
/// the same region on a decode at any scale ([`Crop::on`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Crop {
    /// The size of the source the box is measured in.
    pub(crate) source: (u32, u32),
    /// Left edge.
    pub(crate) left: u32,
    /// Top edge.
    pub(crate) top: u32,
    /// Width, at least 1, with `left + width` at most the source width.
    pub(crate) width: u32,
    /// Height, at least 1, with `top + height` at most the source height.
    pub(crate) height: u32,
}

impl Crop {
    /// Whether the box holds at least one pixel and lies inside a picture of `size`.
    pub(crate) fn lies_within(self, size: (u32, u32)) -> bool {
        self.width > 0
            && self.height > 0
            && self
                .left
                .checked_add(self.width)
                .is_some_and(|right| right <= size.0)
            && self
                .top
                .checked_add(self.height)
                .is_some_and(|bottom| bottom <= size.1)
    }

    /// The same region on a picture whose top-left `extent` (in its pixels, possibly fractional)
    /// shows the whole source at another scale (a shrink-on-load decode).
    pub(crate) fn on(self, extent: (f64, f64)) -> Region {
        let x = extent.0 / f64::from(self.source.0.max(1));
        let y = extent.1 / f64::from(self.source.1.max(1));
        Region {
            left: f64::from(self.left) * x,
            top: f64::from(self.top) * y,
            width: f64::from(self.width) * x,
            height: f64::from(self.height) * y,
        }
    }
}

/// A box on a decoded picture, in its pixels, fractional: what the resampler reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Region {
    /// Left edge.
    pub(crate) left: f64,
    /// Top edge.
    pub(crate) top: f64,
    /// Width.
    pub(crate) width: f64,
    /// Height.
    pub(crate) height: f64,
}

impl Region {
    /// The top-left `extent` of a picture.
    pub(crate) fn from_extent(extent: (f64, f64)) -> Self {
        Region {
            left: 0.0,
            top: 0.0,
            width: extent.0,
            height: extent.1,
        }
    }
}

/// The picture the resize stage produces: `size`, showing `crop` of the source (all of it when
/// `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    /// The output size, at least 1×1.
    pub(crate) size: (u32, u32),
    /// The part of the source shown; `None` for all of it.
    pub(crate) crop: Option<Crop>,
}

impl Target {
    /// All of the source at `size`.
    pub(crate) fn whole(size: (u32, u32)) -> Self {
        Target {
            size: (size.0.max(1), size.1.max(1)),
            crop: None,
        }
    }

    /// Whether this target is the source of `source` size untouched.
    pub(crate) fn is_identity(&self, source: (u32, u32)) -> bool {
        self.crop.is_none() && self.size == source
    }

    /// The size the whole source would have at this target's scale: what shrink-on-load and the
    /// memory estimate reason about (a crop decoded at `size` needs the whole source at this).
    pub(crate) fn whole_size(&self) -> (u32, u32) {
        let Some(crop) = self.crop else {
            return self.size;
        };
        let scale = |source: u32, size: u32, part: u32| {
            let scaled = (u64::from(source) * u64::from(size)).div_ceil(u64::from(part.max(1)));
            u32::try_from(scaled).unwrap_or(u32::MAX)
        };
        (
            scale(crop.source.0, self.size.0, crop.width),
            scale(crop.source.1, self.size.1, crop.height),
        )
    }
}

impl From<(u32, u32)> for Target {
    fn from(size: (u32, u32)) -> Self {
        Target::whole(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crop_scales_with_the_decode_and_sets_the_whole_size() {
        let crop = Crop {
            source: (1200, 1800),
            left: 0,
            top: 200,
            width: 1200,
            height: 1200,
        };
        assert_eq!(
            crop.on((150.0, 225.0)),
            Region {
                left: 0.0,
                top: 25.0,
                width: 150.0,
                height: 150.0
            }
        );
        let target = Target {
            size: (64, 64),
            crop: Some(crop),
        };
        assert_eq!(target.whole_size(), (64, 96));
        assert_eq!(Target::whole((64, 43)).whole_size(), (64, 43));
        assert!(Target::whole((5, 5)).is_identity((5, 5)));
        assert!(!target.is_identity((64, 64)));
    }
}
