//! Where the tests' images live, resolved in one place: the real-world corpus in `tests/corpus/`
//! (see its MANIFEST.tsv, LICENSES.md and SHA256SUMS) and the bench photos, whose small sources sit
//! in `benches/images/` and whose large variants are derived into `target/bench-images/` on first
//! use (`bench_photos.rs`). Nothing outside the repository is read, and no tool is run.
//!
//! Shared by the integration tests (`mod common;`), the library's unit tests and the benches
//! (both through `#[path]`), so each function may be unused in some of them.
#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};

/// The repository root.
fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The corpus folder, `tests/corpus`.
pub fn corpus_dir() -> PathBuf {
    root().join("tests/corpus")
}

/// The path of a corpus file such as `jpeg/baseline_hopper.jpg`; panics when it is missing so a
/// broken checkout fails loudly instead of testing nothing.
pub fn corpus_path(relative: &str) -> PathBuf {
    let path = corpus_dir().join(relative);
    assert!(
        path.is_file(),
        "corpus file {} is missing: the repository checkout is incomplete",
        path.display()
    );
    path
}

/// The bytes of a corpus file.
pub fn corpus_bytes(relative: &str) -> Vec<u8> {
    let path = corpus_path(relative);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The small JPEG photo (Pillow's hopper, 128×128) most store and service tests store.
pub fn hopper() -> Vec<u8> {
    corpus_bytes("jpeg/baseline_hopper.jpg")
}

/// The bench photos that are kept in the repository as they are; the others are derived.
const BENCH_SOURCES: [&str; 4] = [
    "photo-6mp.jpg",
    "alpha-3mp.png",
    "photo-800px.gif",
    "animated-10f.gif",
];

/// The path of a bench photo (see `benches/images/README.md`). The derived photos are made in
/// Rust on first use into `target/bench-images/` (see `bench_photos.rs`), so no tool is needed;
/// the progressive photo only `benches/images.sh` makes, and no test uses it.
pub fn bench_image(name: &str) -> PathBuf {
    let sources = root().join("benches/images");
    if BENCH_SOURCES.contains(&name) {
        return sources.join(name);
    }
    let path = root().join("target/bench-images").join(name);
    if !path.is_file() {
        let bytes = super::bench_photos::derive(name, &sources).unwrap_or_else(|| {
            panic!("{name} is not derived in Rust: run `bash benches/images.sh`, which makes it")
        });
        super::bench_photos::write_atomically(&path, &bytes);
    }
    path
}

/// The bytes of a bench photo.
pub fn bench_bytes(name: &str) -> Vec<u8> {
    let path = bench_image(name);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}
