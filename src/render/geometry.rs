//! Output size from the source size and the requested box (SPEC §5 "Geometry").

/// The size of the picture to produce: fit the source inside the box, keep the aspect ratio, never
/// enlarge, round to the nearest pixel, at least 1 pixel a side.
///
/// `None` for a side means that side follows from the other; with neither side given the source size
/// is returned.
pub(crate) fn fit(source: (u32, u32), width: Option<u32>, height: Option<u32>) -> (u32, u32) {
    let (sw, sh) = (source.0.max(1), source.1.max(1));
    // Scale factor as a ratio num/den, the smaller of the two constraints, never above 1.
    let (num, den) = match (width, height) {
        (None, None) => return (sw, sh),
        (Some(w), None) => (u64::from(w), u64::from(sw)),
        (None, Some(h)) => (u64::from(h), u64::from(sh)),
        (Some(w), Some(h)) => {
            // w/sw < h/sh  <=>  w*sh < h*sw
            if u64::from(w) * u64::from(sh) <= u64::from(h) * u64::from(sw) {
                (u64::from(w), u64::from(sw))
            } else {
                (u64::from(h), u64::from(sh))
            }
        }
    };
    if num >= den {
        return (sw, sh);
    }
    let scale = |side: u32| -> u32 {
        let scaled = (u64::from(side) * num * 2 + den) / (den * 2);
        scaled.clamp(1, u64::from(side)) as u32
    };
    // The constrained side is exact; only the other side is rounded.
    let out_w = match (width, height) {
        (Some(w), _) if num == u64::from(w) && den == u64::from(sw) => w,
        _ => scale(sw),
    };
    let out_h = match (width, height) {
        (_, Some(h)) if num == u64::from(h) && den == u64::from(sh) => h,
        _ => scale(sh),
    };
    (out_w.max(1), out_h.max(1))
}

/// The size a placeholder is drawn at: the box, one side squared, or 128×128 (SPEC §6).
pub(crate) fn placeholder_size(width: Option<u32>, height: Option<u32>) -> (u32, u32) {
    match (width, height) {
        (Some(w), Some(h)) => (w, h),
        (Some(side), None) | (None, Some(side)) => (side, side),
        (None, None) => (128, 128),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases = [
            // (source, w, h, expected)
            ((1200, 1800), None, None, (1200, 1800)),
            ((1200, 1800), Some(600), None, (600, 900)),
            ((1200, 1800), None, Some(900), (600, 900)),
            ((1200, 1800), Some(600), Some(600), (400, 600)),
            ((1200, 1800), Some(100), Some(1000), (100, 150)),
            ((1200, 1800), Some(4000), None, (1200, 1800)),
            ((1200, 1800), Some(1200), Some(1800), (1200, 1800)),
            ((1000, 1), Some(64), None, (64, 1)),
            ((1, 65537), None, Some(64), (1, 64)),
            ((1, 65537), Some(64), Some(64), (1, 64)),
            ((3, 2), Some(2), None, (2, 1)),
            ((5440, 4080), Some(256), None, (256, 192)),
            ((2725, 2225), Some(256), None, (256, 209)),
        ];
        for (source, w, h, expected) in cases {
            assert_eq!(fit(source, w, h), expected, "{source:?} {w:?} {h:?}");
        }
    }

    #[test]
    fn never_enlarges_never_zero() {
        for sw in [1u32, 2, 3, 7, 100, 1001] {
            for sh in [1u32, 2, 5, 99, 1000] {
                for w in [1u32, 2, 3, 50, 5000] {
                    for h in [None, Some(1), Some(7), Some(5000)] {
                        let (ow, oh) = fit((sw, sh), Some(w), h);
                        assert!(ow >= 1 && oh >= 1);
                        assert!(ow <= sw && oh <= sh);
                        assert!(ow <= w);
                        if let Some(h) = h {
                            assert!(oh <= h);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn placeholder_sizes() {
        assert_eq!(placeholder_size(None, None), (128, 128));
        assert_eq!(placeholder_size(Some(40), None), (40, 40));
        assert_eq!(placeholder_size(None, Some(30)), (30, 30));
        assert_eq!(placeholder_size(Some(40), Some(30)), (40, 30));
    }
}
