//! `VariantTier` (feature `object-store`): several `ImageService`s in one process, each with its
//! own in-process cache, sharing one object store as their variant tier, as replicas of a fleet
//! share a bucket. Renders are counted as the photo store's fetches: a tier hit never fetches.

mod common;

#[path = "../src/digest.rs"]
#[allow(dead_code, unreachable_pub)]
mod digest;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory as MemoryBucket;
use object_store::path::Path;
use object_store::throttle::{ThrottleConfig, ThrottledStore};
use object_store::{
    CopyOptions, GetOptions, GetResult, ListResult, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};
use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::{InMemory, VariantTier};
use person_image::{ImageResponse, ImageService, PersonId, PersonImageServiceExt};

use common::corpus::{corpus_bytes, hopper};
use common::counting::Counting;
use common::temp::TempDir;

type Photos = Arc<Counting<InMemory>>;

/// A replica: its own service and cache, its own handle on the shared tier.
struct Replica {
    service: ImageService,
    tier: VariantTier,
}

fn replica(photos: &Photos, tier: VariantTier) -> Replica {
    let service = ImageService::builder(
        Arc::clone(photos),
        StaticAuthenticator::default().bearer("t", "tester"),
    )
    .variant_tier(tier.clone())
    .build();
    Replica { service, tier }
}

fn fleet(photos: &Photos, bucket: &Arc<dyn ObjectStore>, replicas: usize) -> Vec<Replica> {
    (0..replicas)
        .map(|_| {
            let tier = VariantTier::new(Arc::clone(bucket), Path::from("tier")).expect("tier");
            replica(photos, tier)
        })
        .collect()
}

fn photos(persons: i32) -> Photos {
    let store = InMemory::new();
    for person in 1..=persons {
        store.insert(PersonId(person), hopper());
    }
    Arc::new(Counting::new(store))
}

fn fetches(photos: &Photos) -> u64 {
    photos.counts().1
}

fn get(service: &ImageService, target: &str) -> ImageResponse {
    service.handle(
        Method::Get,
        target,
        [("Authorization", b"Bearer t".as_slice())],
        Bytes::new(),
        service.limits(),
    )
}

fn get_ok(service: &ImageService, target: &str) -> ImageResponse {
    let response = get(service, target);
    assert_eq!(response.status, 200, "{target}: {:?}", response.body);
    response
}

const TARGET: &str = "/api/v1/Person/1/Image?w=64&type=png";

/// 60 concurrent requests for one uncached variant spread over 3 replicas: one render.
fn sixty_requests_over_three_replicas(bucket: Arc<dyn ObjectStore>) {
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

#[test]
fn sixty_concurrent_requests_over_three_replicas_render_once_in_memory() {
    sixty_requests_over_three_replicas(Arc::new(MemoryBucket::new()));
}

#[test]
fn sixty_concurrent_requests_over_three_replicas_render_once_on_local_files() {
    let dir = TempDir::new("variant-tier-local");
    let bucket = LocalFileSystem::new_with_prefix(dir.path()).expect("local store");
    sixty_requests_over_three_replicas(Arc::new(bucket));
}

#[test]
fn fifty_persons_through_three_replicas_in_random_order_render_fifty() {
    let photos = photos(50);
    let bucket: Arc<dyn ObjectStore> = Arc::new(MemoryBucket::new());
    let fleet = fleet(&photos, &bucket, 3);
    // Every person through every replica, shuffled (a fixed xorshift, so a failure repeats).
    let mut requests: Vec<(usize, i32)> = (0..3)
        .flat_map(|replica| (1..=50).map(move |person| (replica, person)))
        .collect();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for i in (1..requests.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        requests.swap(i, (state % (i as u64 + 1)) as usize);
    }
    let requests = std::sync::Mutex::new(requests);
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| loop {
                let Some((replica, person)) = requests.lock().unwrap().pop() else {
                    return;
                };
                let target = format!("/api/v1/Person/{person}/Image?w=48");
                get_ok(&fleet[replica].service, &target);
            });
        }
    });
    assert_eq!(fetches(&photos), 50, "renders across the fleet");
}

#[test]
fn a_tier_hit_answers_exactly_like_a_render() {
    let photos = photos(1);
    let bucket: Arc<dyn ObjectStore> = Arc::new(MemoryBucket::new());
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

#[test]
fn a_new_photo_version_never_gets_an_old_variant() {
    let photos = photos(1);
    let bucket: Arc<dyn ObjectStore> = Arc::new(MemoryBucket::new());
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

fn photos_inner(photos: &Photos) -> &InMemory {
    photos.inner()
}

/// The lease key of person 1's `w64h0tpng` variant, as `VariantTier` documents it.
fn lease_key(photos: &Photos) -> Path {
    let version = common::found(photos_inner(photos), 1).version;
    let digest = format!("{:016x}", digest::fnv1a64(version.as_bytes()));
    Path::from(format!("tier/leases/1/{digest}/w64h0tpng"))
}

fn put(bucket: &dyn ObjectStore, key: &Path, body: &str) {
    let runtime = tokio::runtime::Builder::new_current_thread()
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
fn stale_lease_taken_over(bucket: Arc<dyn ObjectStore>) {
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

#[test]
fn a_stale_lease_whose_holder_died_is_taken_over_in_memory() {
    stale_lease_taken_over(Arc::new(MemoryBucket::new()));
}

#[test]
fn a_stale_lease_whose_holder_died_is_taken_over_on_local_files() {
    let dir = TempDir::new("variant-tier-stale");
    let bucket = LocalFileSystem::new_with_prefix(dir.path()).expect("local store");
    stale_lease_taken_over(Arc::new(bucket));
}

#[test]
fn a_live_lease_is_waited_on_for_a_bounded_time_then_the_replica_renders() {
    let photos = photos(1);
    let bucket: Arc<dyn ObjectStore> = Arc::new(MemoryBucket::new());
    put(
        bucket.as_ref(),
        &lease_key(&photos),
        "expires 99999999999999\nholder busy\n",
    );
    let tier = VariantTier::new(Arc::clone(&bucket), Path::from("tier"))
        .expect("tier")
        .with_max_wait(Duration::from_millis(300));
    let replica = replica(&photos, tier);
    get_ok(&replica.service, TARGET);
    let stats = replica.tier.stats();
    assert_eq!((stats.lease_waits, stats.takeovers, stats.skips), (1, 0, 0));
    assert_eq!(fetches(&photos), 1);
}

/// A photo that cannot be rendered (a decompression bomb: 422) leaves a marker in the tier, so a
/// replica that finds another's lease does not wait for a variant that will never come.
#[test]
fn an_unrenderable_photo_is_not_waited_for() {
    let store = InMemory::new();
    store.insert(PersonId(1), corpus_bytes("bad/bomb_png_65536x65536.png"));
    let photos: Photos = Arc::new(Counting::new(store));
    let bucket: Arc<dyn ObjectStore> = Arc::new(MemoryBucket::new());
    let fleet = fleet(&photos, &bucket, 1);
    assert_eq!(get(&fleet[0].service, TARGET).status, 422);
    // Another replica is busy with it, as far as the lease says.
    put(
        bucket.as_ref(),
        &lease_key(&photos),
        "expires 99999999999999\nholder busy\n",
    );
    let tier = VariantTier::new(Arc::clone(&bucket), Path::from("tier"))
        .expect("tier")
        .with_max_wait(Duration::from_secs(5));
    let other = replica(&photos, tier);
    assert_eq!(get(&other.service, TARGET).status, 422);
    let stats = other.tier.stats();
    assert_eq!(
        (stats.lease_waits, stats.hits, stats.stored),
        (0, 0, 0),
        "{stats:?}"
    );
    // With ifBlank, the placeholder, as without a tier.
    let placeholder = get_ok(&other.service, &format!("{TARGET}&ifBlank=Default"));
    assert_eq!(placeholder.content_type, Some(mime::IMAGE_PNG));
}

/// An object store whose every call fails.
#[derive(Debug)]
struct Broken;

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Broken")
    }
}

fn broken<T>() -> object_store::Result<T> {
    Err(object_store::Error::Generic {
        store: "Broken",
        source: "the tier is down".into(),
    })
}

#[async_trait]
impl ObjectStore for Broken {
    async fn put_opts(
        &self,
        _: &Path,
        _: PutPayload,
        _: PutOptions,
    ) -> object_store::Result<PutResult> {
        broken()
    }

    async fn put_multipart_opts(
        &self,
        _: &Path,
        _: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        broken()
    }

    async fn get_opts(&self, _: &Path, _: GetOptions) -> object_store::Result<GetResult> {
        broken()
    }

    fn delete_stream(
        &self,
        locations: futures_core::stream::BoxStream<'static, object_store::Result<Path>>,
    ) -> futures_core::stream::BoxStream<'static, object_store::Result<Path>> {
        locations
    }

    fn list(
        &self,
        _: Option<&Path>,
    ) -> futures_core::stream::BoxStream<'static, object_store::Result<ObjectMeta>> {
        Box::pin(Empty)
    }

    async fn list_with_delimiter(&self, _: Option<&Path>) -> object_store::Result<ListResult> {
        broken()
    }

    async fn copy_opts(&self, _: &Path, _: &Path, _: CopyOptions) -> object_store::Result<()> {
        broken()
    }
}

/// A listing that ends at once.
struct Empty;

impl futures_core::Stream for Empty {
    type Item = object_store::Result<ObjectMeta>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(None)
    }
}

#[test]
fn a_failing_tier_still_answers_by_rendering() {
    let photos = photos(1);
    let tier = VariantTier::new(Arc::new(Broken), Path::from("tier")).expect("tier");
    let replica = replica(&photos, tier);
    let response = get_ok(&replica.service, TARGET);
    let alone = ImageService::builder(
        Arc::clone(&photos),
        StaticAuthenticator::default().bearer("t", "tester"),
    )
    .build();
    assert_eq!(response.body, get_ok(&alone, TARGET).body);
    let stats = replica.tier.stats();
    // The read, the lease claim and the write fail: each is a skip, none an error.
    assert_eq!(stats.skips, 3, "{stats:?}");
    assert_eq!((stats.hits, stats.stored), (0, 0));
}

#[test]
fn a_slow_tier_is_skipped_at_its_deadline() {
    let photos = photos(1);
    let slow = ThrottledStore::new(
        MemoryBucket::new(),
        ThrottleConfig {
            wait_get_per_call: Duration::from_secs(30),
            wait_put_per_call: Duration::from_secs(30),
            ..ThrottleConfig::default()
        },
    );
    let tier = VariantTier::new(Arc::new(slow), Path::from("tier"))
        .expect("tier")
        .with_call_deadline(Duration::from_millis(50));
    let replica = replica(&photos, tier);
    get_ok(&replica.service, TARGET);
    let stats = replica.tier.stats();
    // The read, the lease claim and the write each miss the deadline.
    assert_eq!(stats.skips, 3, "{stats:?}");
    assert_eq!(fetches(&photos), 1);
}

#[test]
fn sweep_removes_variants_of_old_versions_and_keeps_current_ones() {
    let photos = photos(2);
    let bucket: Arc<dyn ObjectStore> = Arc::new(MemoryBucket::new());
    let replicas = fleet(&photos, &bucket, 1);
    let replica = &replicas[0];
    get_ok(&replica.service, TARGET);
    get_ok(&replica.service, "/api/v1/Person/2/Image?w=64&type=png");
    let portrait = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/persons/2.png"
    ))
    .expect("fixture");
    photos_inner(&photos).insert(PersonId(1), portrait);
    get_ok(&replica.service, TARGET);
    // Person 2 is gone from the store: its variants are garbage too.
    photos_inner(&photos).remove(PersonId(2));

    let report = replica
        .tier
        .sweep(photos_inner(&photos), None)
        .expect("sweep");
    assert_eq!((report.examined, report.deleted), (3, 2), "{report:?}");
    // The current variant is still read from the tier by a fresh replica.
    let fresh = fleet(&photos, &bucket, 1);
    let before = fetches(&photos);
    get_ok(&fresh[0].service, TARGET);
    assert_eq!(fetches(&photos), before);
    assert_eq!(fresh[0].tier.stats().hits, 1);

    // With an age, current variants older than it go too.
    std::thread::sleep(Duration::from_millis(20));
    let report = replica
        .tier
        .sweep(photos_inner(&photos), Some(Duration::from_millis(10)))
        .expect("sweep");
    assert_eq!((report.examined, report.deleted), (1, 1), "{report:?}");
}

/// The tier's metrics (feature `metrics`), recorded on the requesting thread.
#[cfg(feature = "metrics")]
#[test]
fn tier_metrics_count_hits_misses_skips_and_lease_waits() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let photos = photos(1);
        let bucket: Arc<dyn ObjectStore> = Arc::new(MemoryBucket::new());
        let fleet = fleet(&photos, &bucket, 2);
        get_ok(&fleet[0].service, TARGET); // a miss, then the render
        get_ok(&fleet[1].service, TARGET); // a hit

        let tier = VariantTier::new(Arc::new(Broken), Path::from("tier")).expect("tier");
        get_ok(&replica(&photos, tier).service, TARGET); // skips: get, lease, put

        let bucket: Arc<dyn ObjectStore> = Arc::new(MemoryBucket::new());
        put(
            bucket.as_ref(),
            &lease_key(&photos),
            "expires 99999999999999\nholder busy\n",
        );
        let tier = VariantTier::new(Arc::clone(&bucket), Path::from("tier"))
            .expect("tier")
            .with_max_wait(Duration::from_millis(50));
        get_ok(&replica(&photos, tier).service, TARGET); // a lease wait
    });
    let counters: std::collections::HashMap<String, u64> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter_map(|(key, _, _, value)| {
            let key = key.key();
            let labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            match value {
                DebugValue::Counter(count) => {
                    Some((format!("{}{{{}}}", key.name(), labels.join(",")), count))
                }
                _ => None,
            }
        })
        .collect();
    let count = |name: &str| counters.get(name).copied().unwrap_or(0);
    assert_eq!(count("person_image_tier_hits_total{}"), 1, "{counters:?}");
    assert!(
        count("person_image_tier_misses_total{}") >= 2,
        "{counters:?}"
    );
    for op in ["get", "lease", "put"] {
        let name = format!("person_image_tier_skips_total{{op={op}}}");
        assert_eq!(count(&name), 1, "{counters:?}");
    }
    assert_eq!(
        count("person_image_tier_lease_waits_total{}"),
        1,
        "{counters:?}"
    );
}

/// `open_url`: a tier from a URL, as the serve example's `--variants` makes it; a URL no backend
/// takes is an error that names it.
#[test]
fn a_tier_opened_from_a_file_url_is_shared_between_instances() {
    let dir = TempDir::new("variant-tier-url");
    let url = format!("file://{}", dir.path().display());
    let photos = photos(1);
    let opened = || {
        let (bucket, prefix) = person_image::store::open_url(&url).expect("file URL");
        VariantTier::new(bucket, prefix).expect("tier")
    };
    let (a, b) = (replica(&photos, opened()), replica(&photos, opened()));
    get_ok(&a.service, TARGET);
    get_ok(&b.service, TARGET);
    assert_eq!((a.tier.stats().stored, b.tier.stats().hits), (1, 1));
    assert_eq!(fetches(&photos), 1);
    assert!(std::fs::read_dir(dir.path().join("variants")).is_ok());

    let error = person_image::store::open_url("nope://x").expect_err("an unknown scheme");
    assert!(error.to_string().contains("nope://x"), "{error}");
}
