//! The labelled face set (`tests/corpus/faces/FACES.tsv`) and how detections are scored against
//! it: one-to-one matching at IoU ≥ 0.5, precision and recall over the whole set, and whether the
//! largest true face fits in the square cover crop centred on the largest detected face.
//! Shared by `tests/faces.rs` and `examples/facebench.rs`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// A box in a picture's pixels: left, top, width, height.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    pub fn right(&self) -> f64 {
        self.left + self.width
    }

    pub fn bottom(&self) -> f64 {
        self.top + self.height
    }

    pub fn area(&self) -> f64 {
        self.width * self.height
    }

    /// Intersection over union, 0 when they do not overlap.
    pub fn iou(&self, other: &Rect) -> f64 {
        let width = self.right().min(other.right()) - self.left.max(other.left);
        let height = self.bottom().min(other.bottom()) - self.top.max(other.top);
        if width <= 0.0 || height <= 0.0 {
            return 0.0;
        }
        let inter = width * height;
        inter / (self.area() + other.area() - inter)
    }

    /// Whether `inner` lies inside this box.
    pub fn contains(&self, inner: &Rect) -> bool {
        inner.left >= self.left
            && inner.top >= self.top
            && inner.right() <= self.right()
            && inner.bottom() <= self.bottom()
    }
}

/// One labelled photo: its path and its hand-checked face boxes (none for a photo without faces).
#[derive(Debug, Clone)]
pub struct Labelled {
    pub name: String,
    pub path: PathBuf,
    pub faces: Vec<Rect>,
}

/// The folder of the labelled set.
pub fn faces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/faces")
}

/// Every row of FACES.tsv (`file`, then one `left,top,width,height` per face, tab-separated;
/// `#` starts a comment line). Panics on a malformed row or a missing file, so a broken checkout
/// fails instead of scoring nothing.
pub fn labelled_set() -> Vec<Labelled> {
    let dir = faces_dir();
    let table = std::fs::read_to_string(dir.join("FACES.tsv"))
        .unwrap_or_else(|error| panic!("{}: {error}", dir.join("FACES.tsv").display()));
    let set: Vec<Labelled> = table
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|line| {
            let mut fields = line.split('\t');
            let name = fields.next().unwrap().to_owned();
            let path = dir.join(&name);
            assert!(path.is_file(), "{} is listed but missing", path.display());
            let faces = fields
                .filter(|field| !field.is_empty())
                .map(|field| {
                    let numbers: Vec<f64> = field
                        .split(',')
                        .map(|number| {
                            number.trim().parse().unwrap_or_else(|_| {
                                panic!("{name}: bad box {field:?} (left,top,width,height)")
                            })
                        })
                        .collect();
                    assert_eq!(numbers.len(), 4, "{name}: bad box {field:?}");
                    Rect {
                        left: numbers[0],
                        top: numbers[1],
                        width: numbers[2],
                        height: numbers[3],
                    }
                })
                .collect();
            Labelled { name, path, faces }
        })
        .collect();
    assert!(!set.is_empty(), "FACES.tsv lists no photo");
    set
}

/// The number of detections that match a distinct true face at IoU ≥ 0.5, matching greedily
/// from the best-overlapping pair.
pub fn matches(truth: &[Rect], found: &[Rect]) -> usize {
    let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
    for (t, true_box) in truth.iter().enumerate() {
        for (f, found_box) in found.iter().enumerate() {
            let iou = true_box.iou(found_box);
            if iou >= 0.5 {
                pairs.push((iou, t, f));
            }
        }
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut used_truth = vec![false; truth.len()];
    let mut used_found = vec![false; found.len()];
    let mut count = 0;
    for (_, t, f) in pairs {
        if !used_truth[t] && !used_found[f] {
            used_truth[t] = true;
            used_found[f] = true;
            count += 1;
        }
    }
    count
}

/// The largest square that fits in a `width`×`height` picture, centred on `face`'s centre and
/// shifted back inside the picture (the `fit=cover` 1:1 crop around a focal point).
pub fn square_cover_crop(width: f64, height: f64, face: &Rect) -> Rect {
    let side = width.min(height);
    let centre_x = face.left + face.width / 2.0;
    let centre_y = face.top + face.height / 2.0;
    Rect {
        left: (centre_x - side / 2.0).clamp(0.0, width - side),
        top: (centre_y - side / 2.0).clamp(0.0, height - side),
        width: side,
        height: side,
    }
}

/// The score of a detector on the set.
#[derive(Debug, Clone, Copy, Default)]
pub struct Score {
    pub true_faces: usize,
    pub detections: usize,
    pub matched: usize,
    /// Photos with faces.
    pub photos_with_faces: usize,
    /// Photos with faces whose largest true face lies in the square crop around the largest
    /// detection (photos where nothing is detected count as misses).
    pub largest_face_in_crop: usize,
    pub photos_without_faces: usize,
    /// Photos without faces where something was reported.
    pub false_alarm_photos: usize,
}

impl Score {
    pub fn precision(&self) -> f64 {
        if self.detections == 0 {
            return 0.0;
        }
        self.matched as f64 / self.detections as f64
    }

    pub fn recall(&self) -> f64 {
        if self.true_faces == 0 {
            return 0.0;
        }
        self.matched as f64 / self.true_faces as f64
    }

    pub fn crop_rate(&self) -> f64 {
        if self.photos_with_faces == 0 {
            return 0.0;
        }
        self.largest_face_in_crop as f64 / self.photos_with_faces as f64
    }

    /// Adds one photo: its size, true boxes and detections (largest first).
    pub fn add(&mut self, (width, height): (u32, u32), truth: &[Rect], found: &[Rect]) {
        self.true_faces += truth.len();
        self.detections += found.len();
        self.matched += matches(truth, found);
        if truth.is_empty() {
            self.photos_without_faces += 1;
            if !found.is_empty() {
                self.false_alarm_photos += 1;
            }
            return;
        }
        self.photos_with_faces += 1;
        let largest_truth = truth
            .iter()
            .max_by(|a, b| a.area().total_cmp(&b.area()))
            .unwrap();
        if let Some(largest_found) = found.first() {
            let crop = square_cover_crop(f64::from(width), f64::from(height), largest_found);
            if crop.contains(largest_truth) {
                self.largest_face_in_crop += 1;
            }
        }
    }
}
