//! Run with: `cargo run --release --example decodebench -- FILE WIDTH ITERATIONS`
//!
//! Decode-only time of the crate's JPEG decoder, the twin of `benches/libjpeg_harness.c` in
//! `benches/compare.sh`: renders FILE to WIDTH pixels wide (which picks the DCT scale, 1/8 for a
//! 22 MP photo at 256 px) and prints, per iteration, the milliseconds spent in the crate's
//! `decode` span minus its nested `resize` span: entropy decoding, the reduced IDCT, upsampling
//! and colour conversion, but neither the resize to WIDTH nor the encode.

#[path = "span_timer.rs"]
mod span_timer;

use person_image::render::RenderRequest;
use person_image::{render, OutputFormat};
use span_timer::SpanTimer;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, width, iterations] = args.as_slice() else {
        return Err("usage: decodebench FILE WIDTH ITERATIONS".into());
    };
    let timer = SpanTimer::install(&["decode", "resize"])?;
    let request = RenderRequest::stored(bytes::Bytes::from(std::fs::read(file)?))
        .width(width.parse()?)
        .format(OutputFormat::Jpeg);
    for _ in 0..iterations.parse::<u32>()? {
        timer.reset();
        std::hint::black_box(render(&request)?);
        let (decode, resize) = (timer.total("decode"), timer.total("resize"));
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
