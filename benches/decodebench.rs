//! Run with: `cargo run --release --example decodebench -- FILE WIDTH ITERATIONS`
//!
//! Decode-only time of the crate's JPEG decoder, the twin of `benches/libjpeg_harness.c` in
//! `benches/compare.sh`: renders FILE to WIDTH pixels wide (which picks the DCT scale, 1/8 for a
//! 22 MP photo at 256 px) and prints, per iteration, the milliseconds spent in the crate's
//! `decode` span minus its nested `resize` span: entropy decoding, the reduced IDCT, upsampling
//! and colour conversion, but neither the resize to WIDTH nor the encode.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use person_image::render::RenderRequest;
use person_image::{render, OutputFormat};
use tracing::span::Id;
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Per timed span name: when it was last entered, and how long it has been entered in total.
static SPANS: Mutex<[(Option<Instant>, Duration); 2]> = Mutex::new([(None, Duration::ZERO); 2]);
const NAMES: [&str; 2] = ["decode", "resize"];

/// Times the crate's `decode` and `resize` spans (rendering runs on this thread).
struct StageTimer;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for StageTimer {
    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(slot) = ctx
            .span(id)
            .and_then(|span| NAMES.iter().position(|n| *n == span.name()))
        {
            SPANS.lock().unwrap()[slot].0 = Some(Instant::now());
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(slot) = ctx
            .span(id)
            .and_then(|span| NAMES.iter().position(|n| *n == span.name()))
        {
            let mut spans = SPANS.lock().unwrap();
            if let Some(start) = spans[slot].0.take() {
                spans[slot].1 += start.elapsed();
            }
        }
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, width, iterations] = args.as_slice() else {
        return Err("usage: decodebench FILE WIDTH ITERATIONS".into());
    };
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(StageTimer))?;
    let request = RenderRequest::stored(bytes::Bytes::from(std::fs::read(file)?))
        .width(width.parse()?)
        .format(OutputFormat::Jpeg);
    for _ in 0..iterations.parse::<u32>()? {
        *SPANS.lock().unwrap() = [(None, Duration::ZERO); 2];
        std::hint::black_box(render(&request)?);
        let [decode, resize] = SPANS.lock().unwrap().map(|(_, total)| total);
        if decode.is_zero() {
            return Err("no decode span was recorded: is the `tracing` feature on?".into());
        }
        println!(
            "{:.3}",
            decode.saturating_sub(resize).as_secs_f64() * 1000.0
        );
    }
    Ok(())
}
