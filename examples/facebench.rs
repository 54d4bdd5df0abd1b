//! Run with: `cargo run --release --features faces --example facebench [-- --long-side N --min-score S --pyramid-factor F --window-step N --rounds N --boxes --slowest N --only FILE]`
//! or, to compare settings: `… --example facebench -- --compare [--rounds N]` (the candidates
//! below) or `… -- --variant side=320,score=1,factor=0.8,step=4 --variant side=280 …`.
//!
//! Face detection over the labelled set in `tests/corpus/faces/` (FACES.tsv), on this one
//! thread: the time per photo of `FaceSearch::find` (decoding excluded; the reduction to the
//! detector's input size included), as median/p90/max over every photo and round, then
//! precision and recall at IoU ≥ 0.5, the photos without faces where something was reported, and
//! how often the largest true face lies inside the square cover crop centred on the largest
//! detection. The search is warmed up first (each thread parses the model on its first
//! search; two such first searches are printed apart). With several settings, each photo is
//! decoded once and the settings take turns on it, round after round, so a busy moment of the
//! machine falls on all of them alike; one table row per setting. `--boxes` also prints each
//! photo's detections as FACES.tsv rows (first setting); `--slowest N` prints, per setting, the N
//! photos with the highest median time; `--only FILE` measures one photo of the set (for a
//! profiler).

#[path = "../tests/common/face_labels.rs"]
mod face_labels;

use std::time::{Duration, Instant};

use face_labels::{labelled_set, Rect, Score};
use image::RgbImage;
use person_image::render::{Face, FaceSearch};

/// The settings `--compare` measures: the default, then one change at a time.
fn candidates() -> Vec<FaceSearch> {
    let base = FaceSearch::default();
    let side = |input_long_side| FaceSearch {
        input_long_side,
        ..base
    };
    let factor = |pyramid_factor| FaceSearch {
        pyramid_factor,
        ..base
    };
    let step = |window_step| FaceSearch {
        window_step,
        ..base
    };
    let score = |min_score| FaceSearch { min_score, ..base };
    let coarse = |coarse_long_side, coarse_min_score| FaceSearch {
        coarse_long_side: Some(coarse_long_side),
        coarse_min_score,
        ..base
    };
    vec![
        base,
        factor(0.75),
        factor(0.7),
        step(5),
        step(6),
        side(280),
        side(256),
        side(240),
        side(200),
        side(160),
        score(2.0),
        coarse(160, 1.0),
        coarse(160, 2.0),
        coarse(200, 1.0),
        coarse(200, 2.0),
    ]
}

/// What one setting measured over the set.
struct Run {
    search: FaceSearch,
    times: Vec<Duration>,
    score: Score,
    /// Each photo's median time, its name, size and number of detections.
    per_photo: Vec<(Duration, String, (u32, u32), usize)>,
}

fn main() {
    let mut search = FaceSearch::default();
    let mut variants: Vec<FaceSearch> = Vec::new();
    let mut rounds = 5usize;
    let mut print_boxes = false;
    let mut slowest = 0usize;
    let mut only: Option<String> = None;
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
            "--variant" => variants.push(parse_variant(&value())),
            "--compare" => variants.extend(candidates()),
            "--rounds" => rounds = value().parse().unwrap_or_else(|_| usage("--rounds")),
            "--boxes" => print_boxes = true,
            "--slowest" => slowest = value().parse().unwrap_or_else(|_| usage("--slowest")),
            "--only" => only = Some(value()),
            _ => usage(&flag),
        }
    }
    let rounds = rounds.max(1);
    if variants.is_empty() {
        variants.push(search);
    }

    let mut set = labelled_set();
    if let Some(name) = &only {
        set.retain(|photo| &photo.name == name);
        if set.is_empty() {
            usage("--only")
        }
    }
    let (first_in_process, first_on_thread) = warm_up();
    let mut runs: Vec<Run> = variants
        .into_iter()
        .map(|search| Run {
            search,
            times: Vec::with_capacity(set.len() * rounds),
            score: Score::default(),
            per_photo: Vec::with_capacity(set.len()),
        })
        .collect();
    for photo in &set {
        let picture = image::open(&photo.path)
            .unwrap_or_else(|error| panic!("{}: {error}", photo.path.display()))
            .to_rgb8();
        let mut faces: Vec<Vec<Face>> = vec![Vec::new(); runs.len()];
        let mut photo_times: Vec<Vec<Duration>> = vec![Vec::with_capacity(rounds); runs.len()];
        for _ in 0..rounds {
            for (index, run) in runs.iter().enumerate() {
                let start = Instant::now();
                faces[index] = run.search.find(&picture);
                photo_times[index].push(start.elapsed());
            }
        }
        for ((run, faces), mut times) in runs.iter_mut().zip(&faces).zip(photo_times) {
            run.times.extend_from_slice(&times);
            times.sort();
            run.per_photo.push((
                times[times.len() / 2],
                photo.name.clone(),
                picture.dimensions(),
                faces.len(),
            ));
            let found: Vec<Rect> = faces.iter().map(rect).collect();
            run.score.add(picture.dimensions(), &photo.faces, &found);
        }
        if print_boxes {
            print_row(&photo.name, &faces[0]);
        }
    }

    let ms = |duration: Duration| duration.as_secs_f64() * 1e3;
    println!(
        "{} photo(s), {rounds} round(s) per photo and setting, settings interleaved, one thread",
        set.len()
    );
    println!(
        "not counted below: the first search in the process (parses the model) {:.1} ms, the \
         first on another thread (parses it again) {:.1} ms",
        ms(first_in_process),
        ms(first_on_thread)
    );
    println!("| setting | precision | recall | photos without faces with a detection | cover crop | median / p90 / max ms | slowest photo's median ms |");
    println!("|---|---|---|---|---|---|---|");
    for run in &mut runs {
        run.times.sort();
        run.per_photo
            .sort_by_key(|photo| std::cmp::Reverse(photo.0));
        let times = &run.times;
        let at = |fraction: f64| times[((times.len() - 1) as f64 * fraction).round() as usize];
        let score = &run.score;
        println!(
            "| {} | {:.3} | {:.3} | {} of {} | {:.1} % ({} of {}) | {:.1} / {:.1} / {:.1} | {:.1} |",
            describe(&run.search),
            score.precision(),
            score.recall(),
            score.false_alarm_photos,
            score.photos_without_faces,
            100.0 * score.crop_rate(),
            score.largest_face_in_crop,
            score.photos_with_faces,
            ms(at(0.5)),
            ms(at(0.9)),
            ms(times[times.len() - 1]),
            ms(run.per_photo[0].0),
        );
    }
    for run in runs.iter().filter(|_| slowest > 0) {
        println!("slowest photos, {}:", describe(&run.search));
        for (time, name, (width, height), found) in run.per_photo.iter().take(slowest) {
            println!(
                "  {:.2} ms median  {name} ({width}x{height}, {found} detection(s))",
                ms(*time)
            );
        }
    }
}

/// The time of the process's first search, which parses the model, and of a new thread's
/// first, which parses it again; both on a blank picture large enough to run the cascade. The settings
/// are then measured warm.
fn warm_up() -> (Duration, Duration) {
    let blank = RgbImage::new(64, 64);
    let start = Instant::now();
    let _ = FaceSearch::default().find(&blank);
    let first_in_process = start.elapsed();
    let first_on_thread = std::thread::spawn(move || {
        let start = Instant::now();
        let _ = FaceSearch::default().find(&blank);
        start.elapsed()
    })
    .join()
    .expect("the warm-up thread does not panic");
    (first_in_process, first_on_thread)
}

/// A setting as `side 320, score ≥ 1, factor 0.8, step 4`, with `, coarse 160 (score ≥ 2)` when
/// it has a coarse pass.
fn describe(search: &FaceSearch) -> String {
    let coarse = search
        .coarse_long_side
        .map(|side| format!(", coarse {side} (score ≥ {})", search.coarse_min_score))
        .unwrap_or_default();
    format!(
        "side {}, score ≥ {}, factor {}, step {}{coarse}",
        search.input_long_side, search.min_score, search.pyramid_factor, search.window_step
    )
}

/// `side=N,score=S,factor=F,step=N,coarse=N,coarse_score=S` (any subset; the rest from the
/// default).
fn parse_variant(spec: &str) -> FaceSearch {
    let mut search = FaceSearch::default();
    for part in spec.split(',').filter(|part| !part.is_empty()) {
        let (key, value) = part.split_once('=').unwrap_or_else(|| usage(part));
        let whole = || value.parse::<u32>().unwrap_or_else(|_| usage(part));
        let real = || value.parse::<f32>().unwrap_or_else(|_| usage(part));
        match key {
            "side" => search.input_long_side = whole(),
            "score" => search.min_score = real(),
            "factor" => search.pyramid_factor = real(),
            "step" => search.window_step = whole(),
            "coarse" => search.coarse_long_side = Some(whole()),
            "coarse_score" => search.coarse_min_score = real(),
            _ => usage(part),
        }
    }
    search
}

fn print_row(name: &str, faces: &[Face]) {
    let boxes: Vec<String> = faces
        .iter()
        .map(|face| format!("{},{},{},{}", face.left, face.top, face.width, face.height))
        .collect();
    let scores: Vec<String> = faces
        .iter()
        .map(|face| format!("{:.1}", face.score))
        .collect();
    println!(
        "{name}\t{}\t# scores {}",
        boxes.join("\t"),
        scores.join(" ")
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
        "bad or incomplete flag {flag:?}; usage: facebench [--long-side N] [--min-score S] [--pyramid-factor F] [--window-step N] \
         [--variant side=N,score=S,factor=F,step=N,coarse=N,coarse_score=S ...] [--compare] [--rounds N] [--boxes] [--slowest N] [--only FILE]"
    );
    std::process::exit(2)
}
