//! Writes the bench photos that are derived in Rust (see `tests/common/bench_photos.rs`) into a
//! folder, keeping those already there. `benches/images.sh` runs it:
//! `cargo run --release --example bench_photos -- target/bench-images`.

#[path = "../tests/common/bench_photos.rs"]
mod bench_photos;

use std::path::{Path, PathBuf};

fn main() {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/bench-images"));
    let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/images");
    for name in bench_photos::DERIVED {
        let path = out.join(name);
        if path.is_file() {
            continue;
        }
        let bytes = bench_photos::derive(name, &sources).expect("a derived photo");
        bench_photos::write_atomically(&path, &bytes);
        println!("{}: {} bytes", path.display(), bytes.len());
    }
}
