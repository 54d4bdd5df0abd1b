//! Run with: `cargo run --release --features faces --example facebench [-- --long-side N --min-score S --pyramid-factor F --window-step N --rounds N --boxes]`
//!
//! Face detection over the labelled set in `tests/corpus/faces/` (FACES.tsv), on this one
//! thread: the time per photo of `FaceSearch::find` (decoding excluded; the reduction to the
//! detector's input size included), as min/median/p90/max over every photo and round, then
//! precision and recall at IoU ≥ 0.5, the photos without faces where something was reported, and
//! how often the largest true face lies inside the square cover crop centred on the largest
//! detection. `--boxes` also prints each photo's detections as FACES.tsv rows.

#[path = "../tests/common/face_labels.rs"]
mod face_labels;

use std::time::{Duration, Instant};

use face_labels::{labelled_set, Rect, Score};
use person_image::render::{Face, FaceSearch};

fn main() {
    let mut search = FaceSearch::default();
    let mut rounds = 5usize;
    let mut print_boxes = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&flag));
        match flag.as_str() {
            "--long-side" => {
                search.input_long_side = value().parse().unwrap_or_else(|_| usage("--long-side"))
            }
            "--min-score" => {
                search.min_score = value().parse().unwrap_or_else(|_| usage("--min-score"))
            }
            "--pyramid-factor" => {
                search.pyramid_factor = value()
                    .parse()
                    .unwrap_or_else(|_| usage("--pyramid-factor"))
            }
            "--window-step" => {
                search.window_step = value().parse().unwrap_or_else(|_| usage("--window-step"))
            }
            "--rounds" => rounds = value().parse().unwrap_or_else(|_| usage("--rounds")),
            "--boxes" => print_boxes = true,
            _ => usage(&flag),
        }
    }
    let rounds = rounds.max(1);

    let set = labelled_set();
    let mut times: Vec<Duration> = Vec::with_capacity(set.len() * rounds);
    let mut score = Score::default();
    for photo in &set {
        let picture = image::open(&photo.path)
            .unwrap_or_else(|error| panic!("{}: {error}", photo.path.display()))
            .to_rgb8();
        let mut faces = Vec::new();
        for _ in 0..rounds {
            let start = Instant::now();
            faces = search.find(&picture);
            times.push(start.elapsed());
        }
        let found: Vec<Rect> = faces.iter().map(rect).collect();
        score.add(picture.dimensions(), &photo.faces, &found);
        if print_boxes {
            let boxes: Vec<String> = faces
                .iter()
                .map(|face| format!("{},{},{},{}", face.left, face.top, face.width, face.height))
                .collect();
            let scores: Vec<String> = faces
                .iter()
                .map(|face| format!("{:.1}", face.score))
                .collect();
            println!(
                "{}\t{}\t# scores {}",
                photo.name,
                boxes.join("\t"),
                scores.join(" ")
            );
        }
    }

    times.sort();
    let at = |fraction: f64| times[((times.len() - 1) as f64 * fraction).round() as usize];
    let ms = |duration: Duration| duration.as_secs_f64() * 1e3;
    println!("settings: {search:?}, {rounds} round(s) per photo, one thread");
    println!(
        "time per photo (ms, {} runs): min {:.2}  median {:.2}  p90 {:.2}  max {:.2}",
        times.len(),
        ms(times[0]),
        ms(at(0.5)),
        ms(at(0.9)),
        ms(times[times.len() - 1]),
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
        "largest true face inside the 1:1 cover crop around the largest detection: {} of {} photos with faces ({:.1} %)",
        score.largest_face_in_crop,
        score.photos_with_faces,
        100.0 * score.crop_rate()
    );
}

fn rect(face: &Face) -> Rect {
    Rect {
        left: f64::from(face.left),
        top: f64::from(face.top),
        width: f64::from(face.width),
        height: f64::from(face.height),
    }
}

fn usage(flag: &str) -> ! {
    eprintln!(
        "bad or incomplete flag {flag:?}; usage: facebench [--long-side N] [--min-score S] [--pyramid-factor F --window-step N] [--rounds N] [--boxes]"
    );
    std::process::exit(2)
}
