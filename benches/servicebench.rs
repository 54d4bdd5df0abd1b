//! Run with: `cargo run --release --example servicebench`
//!
//! Per-request cost of the service paths that should be nearly free (passthrough, cache hit),
//! and the throughput of two threads rendering distinct photos against one. Used by
//! `benches/compare.sh`; numbers are medians of several batches on this machine.

use std::time::Instant;

use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::{Directory, Fetch, ImageInfo, ImageStore, InMemory, Lookup};
use person_image::PersonImageServiceExt;
use person_image::{ImageService, PersonId};

#[path = "../tests/common/bench_photos.rs"]
mod bench_photos;
#[path = "../tests/common/corpus.rs"]
mod corpus;

const AUTH: (&str, &[u8]) = ("Authorization", b"Bearer bench-token");

fn service(cache_bytes: u64) -> ImageService {
    let store = InMemory::new();
    for (id, name) in [
        (1, "photo-3mp.jpg"),
        (2, "photo-6mp.jpg"),
        (3, "photo-800px.gif"),
    ] {
        let bytes = corpus::bench_bytes(name);
        store.insert(PersonId(id), bytes);
    }
    ImageService::builder(
        store,
        StaticAuthenticator::default().bearer("bench-token", "bench"),
    )
    .cache_bytes(cache_bytes)
    .build()
}

/// `fixtures/persons/` as a `Directory`, claiming to keep the store deadline itself: the service
/// calls it on the request's thread, so it measures what the store-thread hop costs.
struct Direct(Directory);

impl ImageStore for Direct {
    fn lookup(&self, person: PersonId) -> person_image::Result<Lookup> {
        self.0.lookup(person)
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> person_image::Result<Fetch> {
        self.0.fetch(person, info)
    }

    fn returns_within(&self, _deadline: std::time::Duration) -> bool {
        true
    }
}

/// Median microseconds per request over `batches` batches of `n` requests.
fn per_request_us(service: &ImageService, target: &str, n: u32, batches: u32) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..batches {
        let start = Instant::now();
        for _ in 0..n {
            let response = service.handle(
                Method::Get,
                target,
                [AUTH],
                bytes::Bytes::new(),
                service.limits(),
            );
            assert_eq!(response.status, 200);
            std::hint::black_box(response);
        }
        samples.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(n));
    }
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Requests per second rendering `w=256` of persons 1 and 2 alternately, with `threads` threads.
fn renders_per_second(service: &ImageService, threads: u32, per_thread: u32) -> f64 {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            scope.spawn(move || {
                for i in 0..per_thread {
                    // Distinct sizes keep every request a real render even with a cache.
                    let target = format!("/api/v1/Person/{}/Image?w={}", 1 + (i + t) % 2, 200 + i);
                    let response = service.handle(
                        Method::Get,
                        &target,
                        [AUTH],
                        bytes::Bytes::new(),
                        service.limits(),
                    );
                    assert_eq!(response.status, 200);
                }
            });
        }
    });
    f64::from(threads * per_thread) / start.elapsed().as_secs_f64()
}

fn main() {
    let cached = service(64 * 1024 * 1024);
    if std::env::args().nth(1).as_deref() == Some("passthrough") {
        // For profilers: only the passthrough loop, long enough to sample.
        let us = per_request_us(&cached, "/api/v1/Person/2/Image", 200_000, 5);
        println!("passthrough: {us:.2} us/request");
        return;
    }
    let passthrough = per_request_us(&cached, "/api/v1/Person/2/Image", 20_000, 7);
    cached.handle(
        Method::Get,
        "/api/v1/Person/1/Image?w=256",
        [AUTH],
        bytes::Bytes::new(),
        cached.limits(),
    );
    let hit = per_request_us(&cached, "/api/v1/Person/1/Image?w=256", 20_000, 7);
    // A cover crop's hit reads the API focal point with the lookup, in the same store call.
    let cover = "/api/v1/Person/1/Image?w=256&h=256&fit=cover";
    let cover_hit = per_request_us(&cached, cover, 20_000, 7);
    // A directory store keeps no deadline itself: its calls run on the store threads.
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/persons");
    let auth = || StaticAuthenticator::default().bearer("bench-token", "bench");
    let hop = ImageService::builder(Directory::new(fixtures), auth()).build();
    let direct = ImageService::builder(Direct(Directory::new(fixtures)), auth()).build();
    let target = "/api/v1/Person/1/Image?w=64";
    let (hop_us, direct_us) = (
        per_request_us(&hop, target, 5_000, 7),
        per_request_us(&direct, target, 5_000, 7),
    );
    let directory_cover_us =
        per_request_us(&hop, "/api/v1/Person/1/Image?w=64&h=64&fit=cover", 5_000, 7);
    let uncached = service(0);
    let one = renders_per_second(&uncached, 1, 16);
    let two = renders_per_second(&uncached, 2, 16);
    println!("| service path | measured | target |");
    println!("|---|---|---|");
    println!(
        "| passthrough GET (auth + store + headers) | {passthrough:.2} us/request | <= 2 us |"
    );
    println!("| cache-hit GET (w=256) | {hit:.2} us/request | <= 5 us |");
    println!(
        "| cache-hit GET, fit=cover (w=256&h=256) | {cover_hit:.2} us/request | as a cache hit |"
    );
    println!(
        "| cache-hit GET over a directory: on the store threads vs called directly | {hop_us:.2} vs {direct_us:.2} us/request | |"
    );
    println!(
        "| cache-hit GET over a directory, fit=cover (lookup and sidecar in one store call) | {directory_cover_us:.2} us/request | as a cache hit |"
    );
    println!(
        "| 2 threads vs 1 rendering distinct photos | {:.2}x ({two:.1} vs {one:.1} renders/s) | >= 1.8x |",
        two / one
    );
    if let Some(stats) = cached.cache_stats() {
        println!("\ncache: {stats:?}");
    }
}
