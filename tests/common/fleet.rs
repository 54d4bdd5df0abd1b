//! A fleet in one process (feature `object-store`): several `ImageService`s, each with its own
//! in-process cache, sharing one object store as their variant tier, and the scenarios every tier
//! backend is held to (`tests/variant_tier.rs` over memory and local files, `tests/s3_server.rs`
//! over a real S3 server). Renders are counted as the photo store's fetches: a tier hit never
//! fetches.

use std::sync::{Arc, Barrier};

use object_store::path::Path;
use object_store::{ObjectStore, PutOptions, PutPayload};
use person_image::auth::StaticAuthenticator;
use person_image::store::{InMemory, VariantTier};
use person_image::{ImageResponse, ImageService, PersonId};

use super::corpus::hopper;
use super::counting::Counting;
use super::digest;

pub type Photos = Arc<Counting<InMemory>>;

/// A replica: its own service and cache, its own handle on the shared tier.
pub struct Replica {
    pub service: ImageService,
    pub tier: VariantTier,
}

pub fn replica(photos: &Photos, tier: VariantTier) -> Replica {
    let service = ImageService::builder(
        Arc::clone(photos),
        StaticAuthenticator::default().bearer("t", "tester"),
    )
    .variant_tier(tier.clone())
    .build();
    Replica { service, tier }
}

pub fn fleet(photos: &Photos, bucket: &Arc<dyn ObjectStore>, replicas: usize) -> Vec<Replica> {
    (0..replicas)
        .map(|_| {
            let tier = VariantTier::new(Arc::clone(bucket), Path::from("tier")).expect("tier");
            replica(photos, tier)
        })
        .collect()
}

pub fn photos(persons: i32) -> Photos {
    let store = InMemory::new();
    for person in 1..=persons {
        store.insert(PersonId(person), hopper());
    }
    Arc::new(Counting::new(store))
}

pub fn fetches(photos: &Photos) -> u64 {
    photos.counts().1
}

pub fn get(service: &ImageService, target: &str) -> ImageResponse {
    super::get_as(service, target, ("Authorization", b"Bearer t"))
}

pub fn get_ok(service: &ImageService, target: &str) -> ImageResponse {
    let response = get(service, target);
    assert_eq!(response.status, 200, "{target}: {:?}", response.body);
    response
}

pub const TARGET: &str = "/api/v1/Person/1/Image?w=64&type=png";

/// 60 concurrent requests for one uncached variant spread over 3 replicas: one render.
pub fn sixty_requests_over_three_replicas(bucket: Arc<dyn ObjectStore>) {
    let photos = photos(1);
    let fleet = fleet(&photos, &bucket, 3);
    let start = Barrier::new(60);
    let responses: Vec<ImageResponse> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..60)
            .map(|i| {
                let (replica, start) = (&fleet[i % 3], &start);
                scope.spawn(move || {
                    start.wait();
                    get_ok(&replica.service, TARGET)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(fetches(&photos), 1, "renders across the fleet");
    for response in &responses {
        assert_eq!(response.body, responses[0].body);
        assert_eq!(response.etag, responses[0].etag);
    }
    let stored: u64 = fleet.iter().map(|r| r.tier.stats().stored).sum();
    assert_eq!(stored, 1);
    let skips: u64 = fleet.iter().map(|r| r.tier.stats().skips).sum();
    assert_eq!(skips, 0);
    // Only each replica's in-process leader talks to the tier: at most the two that did not
    // render waited on the lease.
    let waits: u64 = fleet.iter().map(|r| r.tier.stats().lease_waits).sum();
    assert!(waits <= 2, "{waits} lease waits");
}

/// A tier hit answers with the same bytes and headers as a render, and as a service without a
/// tier.
pub fn a_tier_hit_answers_exactly_like_a_render(bucket: Arc<dyn ObjectStore>) {
    let photos = photos(1);
    let fleet = fleet(&photos, &bucket, 2);
    let rendered = get_ok(&fleet[0].service, TARGET);
    let from_tier = get_ok(&fleet[1].service, TARGET);
    assert_eq!(fetches(&photos), 1);
    assert_eq!(fleet[1].tier.stats().hits, 1);
    // And a service without any tier renders the same answer.
    let alone = ImageService::builder(
        Arc::clone(&photos),
        StaticAuthenticator::default().bearer("t", "tester"),
    )
    .build();
    let reference = get_ok(&alone, TARGET);
    for response in [&rendered, &from_tier] {
        assert_eq!(response.body, reference.body);
        assert_eq!(response.etag, reference.etag);
        assert_eq!(response.content_type, reference.content_type);
        assert_eq!(response.last_modified, reference.last_modified);
        assert_eq!(response.vary, reference.vary);
        assert_eq!(response.headers(), reference.headers());
    }
}

/// A replaced photo is rendered anew, by every replica, whatever their caches and the tier hold.
pub fn a_new_photo_version_never_gets_an_old_variant(bucket: Arc<dyn ObjectStore>) {
    let photos = photos(1);
    let fleet = fleet(&photos, &bucket, 2);
    let old = get_ok(&fleet[0].service, TARGET);
    // Replaced: a PNG portrait instead of hopper.
    let portrait = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/persons/2.png"
    ))
    .expect("fixture");
    photos_inner(&photos).insert(PersonId(1), portrait);
    let new = get_ok(&fleet[1].service, TARGET);
    assert_ne!(new.body, old.body);
    assert_ne!(new.etag, old.etag);
    assert_eq!(fetches(&photos), 2, "the new version is rendered");
    // The first replica, whose caches hold the old variant, also answers with the new one.
    let again = get_ok(&fleet[0].service, TARGET);
    assert_eq!(again.body, new.body);
    assert_eq!(fetches(&photos), 2, "... from the tier");
}

pub fn photos_inner(photos: &Photos) -> &InMemory {
    photos.inner()
}

/// The lease key of person 1's `w64h0tpng` variant, as `VariantTier` documents it.
pub fn lease_key(photos: &Photos) -> Path {
    let version = super::found(photos_inner(photos), 1).version;
    let digest = format!("{:016x}", digest::fnv1a64(version.as_bytes()));
    Path::from(format!("tier/leases/1/{digest}/w64h0tpng"))
}

pub fn put(bucket: &dyn ObjectStore, key: &Path, body: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime
        .block_on(bucket.put_opts(
            key,
            PutPayload::from(body.to_owned()),
            PutOptions::default(),
        ))
        .expect("put");
}

/// A lease whose holder died (its expiry passed) is taken over at once, not waited on:
/// conditionally in memory (`If-Match`), by delete and create on local files.
pub fn stale_lease_taken_over(bucket: Arc<dyn ObjectStore>) {
    let photos = photos(1);
    put(
        bucket.as_ref(),
        &lease_key(&photos),
        "expires 1\nholder dead\n",
    );
    let tier = VariantTier::new(Arc::clone(&bucket), Path::from("tier")).expect("tier");
    let replica = replica(&photos, tier);
    get_ok(&replica.service, TARGET);
    let stats = replica.tier.stats();
    assert_eq!(
        (stats.takeovers, stats.lease_waits, stats.stored),
        (1, 0, 1)
    );
    assert_eq!(fetches(&photos), 1);
}
