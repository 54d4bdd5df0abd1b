//! Run with: `cargo run --release --features object-store --example tierbench`
//!
//! What a variant tier hit costs: the photo's `HEAD` (the store's lookup) and the variant's `GET`,
//! against `object_store`'s in-memory store and its local file system, next to a render of the
//! same variant (lookup, fetch, decode, resize, encode) and an in-process cache hit. The photos
//! live in a `store::Bucket` over the same kind of store as the tier. The three paths are
//! measured interleaved, round after round, each path first in turn; the numbers are medians
//! of the rounds.

use std::sync::Arc;
use std::time::Instant;

use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, PutOptions, PutPayload};
use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::{Bucket, VariantTier};
use person_image::PersonImageServiceExt;
use person_image::{ImageService, ImageServiceBuilder};

#[path = "../tests/common/temp.rs"]
#[allow(dead_code)]
mod temp;

const AUTH: (&str, &[u8]) = ("Authorization", b"Bearer bench-token");
const TARGET: &str = "/api/v1/Person/1/Image?w=128&type=jpeg";
const ROUNDS: usize = 31;
const PER_ROUND: u32 = 50;

fn builder(bucket: &Arc<dyn ObjectStore>) -> ImageServiceBuilder {
    let photos = Bucket::new(Arc::clone(bucket), Path::from("persons")).expect("bucket");
    ImageService::builder(
        photos,
        StaticAuthenticator::default().bearer("bench-token", "bench"),
    )
}

/// Microseconds per request of `n` requests.
fn per_request_us(service: &ImageService, n: u32) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        let response = service.handle(
            Method::Get,
            TARGET,
            [AUTH],
            bytes::Bytes::new(),
            service.limits(),
        );
        assert_eq!(response.status, 200);
        std::hint::black_box(response);
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn measure(name: &str, bucket: Arc<dyn ObjectStore>) {
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/persons/1.jpg"
    ))
    .expect("fixtures/persons/1.jpg");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    runtime
        .block_on(bucket.put_opts(
            &Path::from("persons/1.jpg"),
            PutPayload::from(photo),
            PutOptions::default(),
        ))
        .expect("seeding the photo");
    let tier = VariantTier::new(Arc::clone(&bucket), Path::from("tier")).expect("tier");
    // No in-process cache: every request is a tier hit once the first has stored the variant.
    let tier_hit = builder(&bucket)
        .cache_bytes(0)
        .variant_tier(tier.clone())
        .build();
    let render = builder(&bucket).cache_bytes(0).build();
    let cache_hit = builder(&bucket).build();
    per_request_us(&tier_hit, 1);
    per_request_us(&cache_hit, 1);
    let (mut tier_us, mut render_us, mut cache_us) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Each path goes first, second and third in turn, so none always follows a render.
        for path in 0..3 {
            match (round + path) % 3 {
                0 => tier_us.push(per_request_us(&tier_hit, PER_ROUND)),
                1 => render_us.push(per_request_us(&render, PER_ROUND)),
                _ => cache_us.push(per_request_us(&cache_hit, PER_ROUND)),
            }
        }
    }
    let stats = tier.stats();
    assert_eq!(stats.stored, 1, "{stats:?}");
    assert_eq!(stats.skips, 0, "{stats:?}");
    let (tier_us, render_us, cache_us) = (median(tier_us), median(render_us), median(cache_us));
    println!(
        "{name:>12}: tier hit {tier_us:>8.1} µs   render {render_us:>8.1} µs   \
         in-process cache hit {cache_us:>6.1} µs   render / tier hit {:>5.1}×",
        render_us / tier_us
    );
}

fn main() {
    println!("GET {TARGET} (the 1200×1800 JPEG of fixtures/persons/1.jpg to 128 px wide), medians of {ROUNDS} rounds of {PER_ROUND}:");
    measure("memory", Arc::new(InMemory::new()));
    let dir = temp::TempDir::new("tierbench");
    let local = LocalFileSystem::new_with_prefix(dir.path()).expect("local store");
    measure("local files", Arc::new(local));
}
