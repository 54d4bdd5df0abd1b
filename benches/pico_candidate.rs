//! Run with: `cargo run --release --features faces --example pico_candidate [-- --long-side N --min-quality Q --box-scale F --rounds N]`
//!
//! The detector candidate that `render::find_faces` was measured against (README, "Faces"): a
//! pixel-comparison cascade in the manner of pico (Markuš et al., "Object Detection with Pixel
//! Intensity Comparisons Organized in Decision Trees", 2013) with pico's `facefinder` face
//! cascade, committed in `benches/models/` under its MIT licence. It is written here from the
//! paper's description of the method and the cascade's file layout, only to be scored on the
//! labelled set (`tests/corpus/faces/FACES.tsv`) the same way `examples/facebench.rs` scores the
//! crate's detector: time per photo on one thread (the reduction to the input size included),
//! precision and recall at IoU ≥ 0.5, photos without faces where a face was reported, and the
//! largest true face inside the square cover crop around the largest detection.

#[path = "../tests/common/face_labels.rs"]
mod face_labels;

use std::time::{Duration, Instant};

use face_labels::{labelled_set, Rect, Score};
use image::imageops::FilterType;
use image::GrayImage;

const CASCADE: &[u8] = include_bytes!("models/pico_facefinder");

/// One decision tree: its comparison codes per inner node (1-based, heap order), its leaf
/// outputs and the running-sum threshold under which the window is rejected.
struct Tree {
    codes: Vec<[i8; 4]>,
    leaves: Vec<f32>,
    threshold: f32,
}

struct Cascade {
    depth: u32,
    trees: Vec<Tree>,
}

impl Cascade {
    /// The cascade file: four little-endian i32 (two unused, the tree depth, the tree count),
    /// then per tree 2^depth - 1 four-byte codes, 2^depth f32 leaves and one f32 threshold.
    fn parse(bytes: &[u8]) -> Option<Self> {
        let word = |at: usize| -> Option<[u8; 4]> { bytes.get(at..at + 4)?.try_into().ok() };
        let depth = u32::try_from(i32::from_le_bytes(word(8)?)).ok()?;
        let count = usize::try_from(i32::from_le_bytes(word(12)?)).ok()?;
        if !(1..=12).contains(&depth) {
            return None;
        }
        let inner = (1usize << depth) - 1;
        let mut at = 16;
        let mut trees = Vec::with_capacity(count.min(4096));
        for _ in 0..count {
            let mut codes = Vec::with_capacity(inner);
            for _ in 0..inner {
                codes.push(word(at)?.map(|byte| byte as i8));
                at += 4;
            }
            let mut leaves = Vec::with_capacity(inner + 1);
            for _ in 0..=inner {
                leaves.push(f32::from_le_bytes(word(at)?));
                at += 4;
            }
            let threshold = f32::from_le_bytes(word(at)?);
            at += 4;
            trees.push(Tree {
                codes,
                leaves,
                threshold,
            });
        }
        Some(Self { depth, trees })
    }

    /// The window centred at (`row`, `column`) of side `size`: its confidence, or `None` when a
    /// stage rejects it or it does not fit in the picture.
    fn classify(&self, grey: &GrayImage, row: i32, column: i32, size: i32) -> Option<f32> {
        let (rows, columns) = (grey.height() as i32, grey.width() as i32);
        let (r, c) = (row * 256, column * 256);
        if (r + 128 * size) / 256 >= rows
            || (r - 128 * size) / 256 < 0
            || (c + 128 * size) / 256 >= columns
            || (c - 128 * size) / 256 < 0
        {
            return None;
        }
        let pixels = grey.as_raw();
        let at = |dr: i8, dc: i8| {
            let y = (r + i32::from(dr) * size) / 256;
            let x = (c + i32::from(dc) * size) / 256;
            pixels[(y * columns + x) as usize]
        };
        let mut sum = 0.0f32;
        for tree in &self.trees {
            let mut node = 1usize;
            for _ in 0..self.depth {
                let [r1, c1, r2, c2] = tree.codes[node - 1];
                node = 2 * node + usize::from(at(r1, c1) <= at(r2, c2));
            }
            sum += tree.leaves[node - (1 << self.depth)];
            if sum <= tree.threshold {
                return None;
            }
        }
        Some(sum - self.trees.last().map_or(0.0, |tree| tree.threshold))
    }

    /// Every accepted window over scales from `min_size` up by 10 %, stride 10 % of the size:
    /// (row, column, size, confidence).
    fn scan(&self, grey: &GrayImage, min_size: f32) -> Vec<[f32; 4]> {
        let (rows, columns) = (grey.height() as f32, grey.width() as f32);
        let max_size = rows.min(columns);
        let mut found = Vec::new();
        let mut size = min_size;
        while size <= max_size {
            let stride = (0.1 * size).max(1.0);
            let mut r = size / 2.0 + 1.0;
            while r <= rows - size / 2.0 - 1.0 {
                let mut c = size / 2.0 + 1.0;
                while c <= columns - size / 2.0 - 1.0 {
                    if let Some(q) = self.classify(grey, r as i32, c as i32, size as i32) {
                        found.push([r, c, size, q]);
                    }
                    c += stride;
                }
                r += stride;
            }
            size *= 1.1;
        }
        found
    }
}

fn overlap(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let span = |ca: f32, sa: f32, cb: f32, sb: f32| {
        ((ca + sa / 2.0).min(cb + sb / 2.0) - (ca - sa / 2.0).max(cb - sb / 2.0)).max(0.0)
    };
    let inter = span(a[0], a[2], b[0], b[2]) * span(a[1], a[2], b[1], b[2]);
    inter / (a[2] * a[2] + b[2] * b[2] - inter)
}

/// Groups windows overlapping by more than 0.3 (transitively), averaging position and size
/// and summing confidence.
fn cluster(windows: &[[f32; 4]]) -> Vec<[f32; 4]> {
    let mut group = vec![usize::MAX; windows.len()];
    let mut clusters = Vec::new();
    for start in 0..windows.len() {
        if group[start] != usize::MAX {
            continue;
        }
        let id = clusters.len();
        group[start] = id;
        let mut stack = vec![start];
        let mut sum = [0.0f32; 4];
        let mut count = 0.0f32;
        while let Some(i) = stack.pop() {
            for k in 0..3 {
                sum[k] += windows[i][k];
            }
            sum[3] += windows[i][3];
            count += 1.0;
            for j in 0..windows.len() {
                if group[j] == usize::MAX && overlap(&windows[i], &windows[j]) > 0.3 {
                    group[j] = id;
                    stack.push(j);
                }
            }
        }
        clusters.push([sum[0] / count, sum[1] / count, sum[2] / count, sum[3]]);
    }
    clusters
}

fn main() {
    let mut long_side = 320u32;
    let mut min_quality = 5.0f32;
    let mut box_scale = 1.0f32;
    let mut rounds = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--long-side" => long_side = value.parse().expect("--long-side N"),
            "--min-quality" => min_quality = value.parse().expect("--min-quality Q"),
            "--box-scale" => box_scale = value.parse().expect("--box-scale F"),
            "--rounds" => rounds = value.parse::<usize>().expect("--rounds N").max(1),
            _ => panic!("unknown flag {flag}"),
        }
    }
    let cascade = Cascade::parse(CASCADE).expect("the committed cascade parses");
    let mut times: Vec<Duration> = Vec::new();
    let mut score = Score::default();
    for photo in labelled_set() {
        let picture = image::open(&photo.path).unwrap().to_luma8();
        let (width, height) = picture.dimensions();
        let shrink = (long_side as f32 / width.max(height) as f32).min(1.0);
        let mut faces = Vec::new();
        for _ in 0..rounds {
            let start = Instant::now();
            let (w, h) = (
                ((width as f32 * shrink).round() as u32).max(1),
                ((height as f32 * shrink).round() as u32).max(1),
            );
            let grey = image::imageops::resize(&picture, w, h, FilterType::Triangle);
            let mut found: Vec<[f32; 4]> = cluster(&cascade.scan(&grey, 20.0))
                .into_iter()
                .filter(|window| window[3] >= min_quality)
                .collect();
            found.sort_by(|a, b| b[2].total_cmp(&a[2]));
            times.push(start.elapsed());
            faces = found
                .iter()
                .map(|&[r, c, s, _]| {
                    let side = s * box_scale / shrink;
                    Rect {
                        left: f64::from(c / shrink - side / 2.0),
                        top: f64::from(r / shrink - side / 2.0),
                        width: f64::from(side),
                        height: f64::from(side),
                    }
                })
                .collect();
        }
        score.add((width, height), &photo.faces, &faces);
    }
    times.sort();
    let at = |fraction: f64| times[((times.len() - 1) as f64 * fraction).round() as usize];
    let ms = |duration: Duration| duration.as_secs_f64() * 1e3;
    println!("pico facefinder: long side {long_side}, min quality {min_quality}, box scale {box_scale}, one thread");
    println!(
        "time per photo (ms, {} runs): min {:.2}  median {:.2}  p90 {:.2}  max {:.2}",
        times.len(),
        ms(times[0]),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(times[times.len() - 1])
    );
    println!(
        "faces: {} true, {} detected, {} matched at IoU >= 0.5: precision {:.3}, recall {:.3}",
        score.true_faces,
        score.detections,
        score.matched,
        score.precision(),
        score.recall()
    );
    println!(
        "photos without faces where a face was reported: {} of {}",
        score.false_alarm_photos, score.photos_without_faces
    );
    println!(
        "largest true face inside the 1:1 cover crop around the largest detection: {} of {} ({:.1} %)",
        score.largest_face_in_crop,
        score.photos_with_faces,
        100.0 * score.crop_rate()
    );
}
