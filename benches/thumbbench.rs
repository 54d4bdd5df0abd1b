//! Run with: `cargo run --release --example thumbbench -- FILE SIZE jpeg|png|gif|tiff ITERATIONS`
//!
//! The in-process twin of `benches/vips_harness.c`, used by `benches/compare.sh`: renders FILE to
//! SIZE pixels wide in FORMAT, ITERATIONS times, printing one line per iteration in milliseconds.

use std::time::Instant;

use person_image::render::RenderRequest;
use person_image::{render, OutputFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, size, format, iterations] = args.as_slice() else {
        return Err("usage: thumbbench FILE SIZE jpeg|png|gif|tiff ITERATIONS".into());
    };
    let bytes = bytes::Bytes::from(std::fs::read(file)?);
    let format: OutputFormat = format.parse()?;
    let request = RenderRequest::stored(bytes)
        .width(size.parse()?)
        .format(format);
    for _ in 0..iterations.parse::<u32>()? {
        let start = Instant::now();
        let response = render(&request)?;
        let elapsed = start.elapsed();
        std::hint::black_box(&response.body);
        println!("{:.3}", elapsed.as_secs_f64() * 1000.0);
    }
    Ok(())
}
