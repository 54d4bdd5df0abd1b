//! Run with: `bash benches/images.sh && cargo run --release --features webp --example webpbench`
//! (optionally `-- DIR ITERATIONS`; default `target/bench-images`, 30).
//!
//! WebP against JPEG q85 on the bench photos at 128 and 256 px wide: bytes, the median time of the
//! `encode` stage alone (read from the crate's own `encode` span, so decode and resize, which are
//! the same for both, do not count), and PSNR against the same resize in PNG (RGB over white, as
//! JPEG composites alpha on the default white background). Prints a Markdown table (README:
//! "WebP").

#[path = "../tests/common/pixels.rs"]
mod pixels;
#[path = "span_timer.rs"]
mod span_timer;

use person_image::render::{RenderOptions, RenderRequest};
use person_image::{render, OutputFormat};
use pixels::psnr;
use span_timer::SpanTimer;

/// The still bench photos (distinct pixels: the 22 MP variants differ only in JPEG coding).
const PHOTOS: [&str; 5] = [
    "photo-3mp.jpg",
    "photo-6mp.jpg",
    "photo-22mp.jpg",
    "alpha-3mp.png",
    "photo-800px.gif",
];
const WIDTHS: [u32; 2] = [128, 256];

/// Renders `request` `iterations` times: the body, and the median encode time in milliseconds.
fn measure(
    timer: &SpanTimer,
    request: &RenderRequest,
    iterations: usize,
) -> Result<(Vec<u8>, f64), String> {
    let mut times = Vec::with_capacity(iterations);
    let mut body = Vec::new();
    for _ in 0..iterations {
        timer.reset();
        let response = render(request).map_err(|e| e.to_string())?;
        times.push(timer.total("encode").as_secs_f64() * 1000.0);
        body = response.body.to_vec();
    }
    times.sort_by(f64::total_cmp);
    Ok((body, times[times.len() / 2]))
}

/// RGB composited on white.
fn on_white(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let image = image::load_from_memory(bytes)
        .map_err(|e| e.to_string())?
        .into_rgba8();
    Ok(image
        .pixels()
        .flat_map(|pixel| {
            let [r, g, b, a] = pixel.0.map(u32::from);
            [r, g, b].map(|c| ((c * a + 255 * (255 - a) + 127) / 255) as u8)
        })
        .collect())
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args.first().map_or("target/bench-images", String::as_str);
    let iterations: usize = match args.get(1) {
        Some(text) => text.parse().map_err(|e| format!("ITERATIONS: {e}"))?,
        None => 30,
    };
    let timer = SpanTimer::install(&["encode"])?;

    println!("| photo | width | JPEG q85 bytes | WebP q80 bytes | WebP q85 bytes | JPEG q85 encode ms | WebP q80 encode ms | JPEG q85 PSNR | WebP q80 PSNR |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for name in PHOTOS {
        let path = format!("{dir}/{name}");
        let bytes = bytes::Bytes::from(std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?);
        for width in WIDTHS {
            let base = RenderRequest::stored(bytes.clone()).width(width);
            let request = |format, webp_quality| {
                base.clone()
                    .format(format)
                    .options(RenderOptions::default().webp_quality(webp_quality))
            };
            let (reference, _) = measure(&timer, &request(OutputFormat::Png, 80), 1)?;
            let reference = on_white(&reference)?;
            let (jpeg, jpeg_ms) = measure(&timer, &request(OutputFormat::Jpeg, 80), iterations)?;
            let (webp, webp_ms) = measure(&timer, &request(OutputFormat::WebP, 80), iterations)?;
            let (webp85, _) = measure(&timer, &request(OutputFormat::WebP, 85), 1)?;
            println!(
                "| {name} | {width} | {} | {} ({:.0} %) | {} ({:.0} %) | {jpeg_ms:.2} | {webp_ms:.2} | {:.1} dB | {:.1} dB |",
                jpeg.len(),
                webp.len(),
                100.0 * webp.len() as f64 / jpeg.len() as f64,
                webp85.len(),
                100.0 * webp85.len() as f64 / jpeg.len() as f64,
                psnr(&on_white(&jpeg)?, &reference),
                psnr(&on_white(&webp)?, &reference),
            );
        }
    }
    Ok(())
}
