//! Faults and concurrency: stores that fail, stall or change underneath, under 8 threads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

mod common;

use bytes::Bytes;
use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::{Fetch, ImageInfo, ImageStore, Lookup, StoredImage};
use person_image::PersonImageServiceExt;
use person_image::{Error, ImageResponse, ImageService, PersonId};

const AUTH: (&str, &[u8]) = ("Authorization", b"Bearer t");
const CACHE_BYTES: u64 = 96 * 1024;

fn photo(path: &str) -> Bytes {
    Bytes::from(common::corpus::corpus_bytes(path))
}

/// Person 1's photo flips between two versions whenever `swap` is called; person 2 has none.
struct SwappingStore {
    versions: [Bytes; 2],
    current: AtomicU64,
    loads: AtomicUsize,
}

impl SwappingStore {
    fn swap(&self) {
        self.current.fetch_add(1, Ordering::SeqCst);
    }
}

impl SwappingStore {
    fn stored(&self) -> StoredImage {
        let version = self.current.load(Ordering::SeqCst) % 2;
        StoredImage {
            bytes: self.versions[version as usize].clone(),
            declared_mime: None,
            version: format!("v{version}"),
            modified: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(version)),
        }
    }
}

impl ImageStore for SwappingStore {
    fn lookup(&self, person: PersonId) -> person_image::Result<Lookup> {
        self.loads.fetch_add(1, Ordering::Relaxed);
        match person.get() {
            1 => Ok(Lookup::Found(self.stored().info())),
            2 => Ok(Lookup::NoImage),
            _ => Ok(Lookup::NoSuchPerson),
        }
    }

    fn fetch(&self, _person: PersonId, info: &ImageInfo) -> person_image::Result<Fetch> {
        // What is stored *now*: a swap since the lookup must show as Changed.
        let now = self.stored();
        Ok(if now.version == info.version {
            Fetch::Current(now.bytes)
        } else {
            Fetch::Changed
        })
    }
}

fn service(store: Arc<dyn ImageStore>, cache_bytes: u64) -> ImageService {
    ImageService::builder(store, StaticAuthenticator::default().bearer("t", "tester"))
        .cache_bytes(cache_bytes)
        .build()
}

/// A GET of `target` with the test's credentials.
fn get(service: &ImageService, target: &str) -> ImageResponse {
    common::get_as(service, target, AUTH)
}

const TARGETS: [&str; 7] = [
    "/api/v1/Person/1/Image",
    "/api/v1/Person/1/Image?w=64",
    "/api/v1/Person/1/Image?w=32&type=png",
    "/api/v1/Person/1/Image?w=48&type=gif",
    "/api/v1/Person/2/Image?ifBlank=SrNoPhoto&w=40",
    "/api/v1/Person/9/Image",
    "/api/v1/Person/1/Image?w=-1",
];

/// Sets the flag when a panic unwinds past it, so the threads waiting on the flag end too.
struct StopOnPanic<'a>(&'a AtomicBool);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

#[test]
fn eight_threads_with_versions_swapping_underneath() {
    let store = Arc::new(SwappingStore {
        versions: [
            photo("jpeg/baseline_hopper.jpg"),
            photo("jpeg/exif_orientation_6.jpg"),
        ],
        current: AtomicU64::new(0),
        loads: AtomicUsize::new(0),
    });
    // The truth: every (ETag -> body) pair, rendered single-threaded without a cache.
    let reference = service(store.clone(), 0);
    let mut expected: HashMap<String, Bytes> = HashMap::new();
    for _ in 0..2 {
        for target in TARGETS {
            let response = get(&reference, target);
            if let Some(etag) = &response.etag {
                expected.insert(etag.as_str().to_owned(), response.body.clone());
            }
        }
        store.swap();
    }
    assert_eq!(expected.len(), 9, "4 variants x 2 versions + 1 placeholder");

    let shared = Arc::new(service(store.clone(), CACHE_BYTES));
    let stop_swapping = AtomicBool::new(false);
    let checked = AtomicUsize::new(0);
    let replaced_every_time = AtomicUsize::new(0);
    let deadline = Instant::now() + Duration::from_secs(60);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            // Bounded by the deadline too, so a failing worker fails the test instead of hanging it.
            while !stop_swapping.load(Ordering::SeqCst) && Instant::now() < deadline {
                store.swap();
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        let workers: Vec<_> = (0..8)
            .map(|thread| {
                let (shared, expected, checked) = (&shared, &expected, &checked);
                let (replaced_every_time, stop_swapping) = (&replaced_every_time, &stop_swapping);
                scope.spawn(move || {
                    let _stop_on_panic = StopOnPanic(stop_swapping);
                    for i in 0..600 {
                        if Instant::now() > deadline {
                            break;
                        }
                        let target = TARGETS[(i * 7 + thread) % TARGETS.len()];
                        // Every fifth request revalidates with a known tag: 304 or a new version.
                        let known = expected.keys().nth(i % expected.len()).unwrap().clone();
                        let condition = ("If-None-Match", known.as_bytes());
                        let response = if i % 5 == 0 {
                            shared.handle(
                                Method::Get,
                                target,
                                [AUTH, condition],
                                bytes::Bytes::new(),
                                shared.limits(),
                            )
                        } else {
                            get(shared, target)
                        };
                        match response.status.as_u16() {
                            200 => {
                                let etag = response.etag.as_ref().unwrap().as_str().to_owned();
                                let truth = expected
                                    .get(&etag)
                                    .unwrap_or_else(|| panic!("unknown ETag {etag}"));
                                assert_eq!(
                                    &response.body, truth,
                                    "{target}: body does not match {etag}"
                                );
                                assert_eq!(response.content_length, response.body.len() as u64);
                            }
                            304 => assert_eq!(response.etag.as_ref().unwrap().as_str(), known),
                            400 => assert!(target.ends_with("w=-1")),
                            404 => assert!(target.contains("/9/")),
                            // A descheduled thread can see the photo replaced between lookup and
                            // fetch on every attempt: the store is busy, try again later.
                            503 => {
                                assert_eq!(response.retry_after, Some(1), "{target}");
                                replaced_every_time.fetch_add(1, Ordering::Relaxed);
                            }
                            other => panic!("{target}: unexpected status {other}"),
                        }
                        checked.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
        }
        stop_swapping.store(true, Ordering::SeqCst);
    });
    let stats = shared.cache_stats().unwrap();
    assert!(stats.bytes <= CACHE_BYTES, "{stats:?}");
    assert!(stats.hits > 0, "{stats:?}");
    let checked = checked.load(Ordering::Relaxed);
    assert!(checked > 1000);
    let unavailable = replaced_every_time.load(Ordering::Relaxed);
    assert!(
        unavailable * 20 < checked,
        "{unavailable} of {checked} requests saw a new version on every attempt"
    );

    // Once the swap is visible, nothing stale is served.
    store.swap();
    let now = store.current.load(Ordering::SeqCst) % 2;
    for target in &TARGETS[..4] {
        let response = get(&shared, target);
        let fresh = get(&reference, target);
        assert_eq!(response.etag, fresh.etag, "{target} after swap to v{now}");
        assert_eq!(response.body, fresh.body);
    }
}

/// Fails every other load, and stalls the ones in between.
struct FlakyStore {
    calls: AtomicUsize,
    bytes: Bytes,
    stall: Duration,
}

impl FlakyStore {
    fn stored(&self) -> StoredImage {
        StoredImage {
            bytes: self.bytes.clone(),
            declared_mime: Some("image/jpeg".into()),
            version: "1".into(),
            modified: None,
        }
    }
}

impl ImageStore for FlakyStore {
    fn lookup(&self, _person: PersonId) -> person_image::Result<Lookup> {
        if self.calls.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
            return Err(Error::store(
                "reading",
                std::io::Error::other("connection reset"),
            ));
        }
        std::thread::sleep(self.stall);
        Ok(Lookup::Found(self.stored().info()))
    }

    fn fetch(&self, _person: PersonId, _info: &ImageInfo) -> person_image::Result<Fetch> {
        Ok(Fetch::Current(self.stored().bytes))
    }
}

#[test]
fn failing_and_slow_stores_give_503_then_recover() {
    let store = Arc::new(FlakyStore {
        calls: AtomicUsize::new(0),
        bytes: photo("jpeg/baseline_hopper.jpg"),
        stall: Duration::from_millis(150),
    });
    let service = service(store, 1 << 20);
    let failed = get(&service, "/api/v1/Person/1/Image?w=50");
    assert_eq!(failed.status.as_u16(), 503);
    assert_eq!(failed.retry_after, Some(1));
    assert!(!String::from_utf8_lossy(&failed.body).contains("reset"));
    assert_eq!(
        service.cache_stats().unwrap().entries,
        0,
        "nothing cached from a failure"
    );
    let started = Instant::now();
    let slow = get(&service, "/api/v1/Person/1/Image?w=50");
    assert_eq!(slow.status.as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(service.cache_stats().unwrap().entries, 1);
}

/// Returns different bytes under the same version on every call: a broken store. Each response
/// must still be internally consistent (its body decodes to the asked size).
struct InconsistentStore {
    versions: [Bytes; 2],
    calls: AtomicUsize,
    seen: Mutex<Vec<usize>>,
}

impl ImageStore for InconsistentStore {
    fn lookup(&self, _person: PersonId) -> person_image::Result<Lookup> {
        let call = self.calls.load(Ordering::SeqCst);
        Ok(Lookup::Found(ImageInfo {
            version: "same".into(),
            len: self.versions[call % 2].len() as u64,
            declared_mime: None,
            modified: None,
        }))
    }

    fn fetch(&self, _person: PersonId, _info: &ImageInfo) -> person_image::Result<Fetch> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        self.seen.lock().unwrap().push(call % 2);
        Ok(Fetch::Current(self.versions[call % 2].clone()))
    }
}

#[test]
fn a_store_changing_bytes_under_one_version_never_breaks_a_response() {
    let store = Arc::new(InconsistentStore {
        versions: [
            photo("jpeg/baseline_hopper.jpg"),
            photo("png/hopper_rgb.png"),
        ],
        calls: AtomicUsize::new(0),
        seen: Mutex::new(Vec::new()),
    });
    let service = service(store, 0);
    for _ in 0..6 {
        let response = get(&service, "/api/v1/Person/1/Image?w=20");
        assert_eq!(response.status.as_u16(), 200);
        let image = image::load_from_memory(&response.body).unwrap();
        assert_eq!(image.width(), 20);
        assert_eq!(response.content_length, response.body.len() as u64);
    }
}

/// Replaces the photo right after every lookup, so every fetch finds a newer version.
struct ChurningStore(SwappingStore);

impl ImageStore for ChurningStore {
    fn lookup(&self, person: PersonId) -> person_image::Result<Lookup> {
        let found = self.0.lookup(person);
        self.0.swap();
        found
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> person_image::Result<Fetch> {
        self.0.fetch(person, info)
    }
}

#[test]
fn a_photo_replaced_on_every_attempt_is_a_503_to_retry() {
    let store = Arc::new(ChurningStore(SwappingStore {
        versions: [
            photo("jpeg/baseline_hopper.jpg"),
            photo("jpeg/exif_orientation_6.jpg"),
        ],
        current: AtomicU64::new(0),
        loads: AtomicUsize::new(0),
    }));
    let service = service(store.clone(), 1 << 20);
    for target in ["/api/v1/Person/1/Image?w=50", "/api/v1/Person/1/ImageInfo"] {
        let response = get(&service, target);
        assert_eq!(response.status.as_u16(), 503, "{target}");
        assert_eq!(response.retry_after, Some(1), "{target}");
    }
    assert!(
        store.0.loads.load(Ordering::Relaxed) >= 6,
        "each request looked up again before giving up"
    );
}
