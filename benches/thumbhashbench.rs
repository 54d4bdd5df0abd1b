//! Run with: cargo run --release --example thumbhashbench
//!
//! What a photo's ThumbHash costs (README "Avatars"): for each of the serve example's photos, the
//! hash alone from the decoded thumbnail (at most 100 px a side, RGBA, as the service hands it to
//! the algorithm), and the whole of `render::thumb_hash` (header, shrink-on-load decode of the
//! thumbnail, orientation, colour, hash). Medians of 200 runs after 20 warm-up runs, one thread.

use std::time::{Duration, Instant};

use person_image::render::RenderRequest;
use person_image::{Limits, OutputFormat};

const RUNS: usize = 200;
const WARM_UP: usize = 20;

fn median(mut work: impl FnMut()) -> Duration {
    for _ in 0..WARM_UP {
        work();
    }
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let limits = Limits::default();
    println!("| photo | stored | thumbnail | hash bytes | hash from thumbnail | decode + hash |");
    println!("|---|---|---|---|---|---|");
    for name in ["1.jpg", "2.png", "3.jpg", "4.gif", "6.webp"] {
        let path = format!("{}/fixtures/persons/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).map_err(|error| format!("{path}: {error}"))?;
        let source = image::load_from_memory(&bytes)?;
        // The thumbnail the service hashes: fitted inside 100×100, lossless PNG so the pixels
        // are exactly the rendered ones.
        let thumbnail = person_image::render(
            &RenderRequest::stored(bytes.clone())
                .width(100)
                .height(100)
                .format(OutputFormat::Png),
        )?;
        let rgba = image::load_from_memory(&thumbnail.body)?.into_rgba8();
        let (width, height) = rgba.dimensions();
        let hash = person_image::render::thumb_hash_of_rgba(width, height, rgba.as_raw())?;
        let hash_only = median(|| {
            std::hint::black_box(
                person_image::render::thumb_hash_of_rgba(width, height, rgba.as_raw()).unwrap(),
            );
        });
        let whole = median(|| {
            std::hint::black_box(person_image::render::thumb_hash(&bytes, &limits).unwrap());
        });
        println!(
            "| {name} | {}×{} | {width}×{height} | {} | {:.3} ms | {:.3} ms |",
            source.width(),
            source.height(),
            hash.len(),
            hash_only.as_secs_f64() * 1e3,
            whole.as_secs_f64() * 1e3,
        );
    }
    Ok(())
}
