//! Several replicas over one store, in one process: read-your-writes across replicas (their
//! render caches and format memos included), one `ETag` everywhere, and store outages (deadline,
//! `503` + `Retry-After`, stale-if-error, recovery by itself).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use bytes::Bytes;
use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::{
    Deleted, Fetch, ImageInfo, ImageStore, InMemory, Lookup, Replaced, WritableStore,
};
use person_image::{Error, ImageResponse, ImageService, PersonId, PersonImageServiceExt};

const AUTH: (&str, &[u8]) = ("Authorization", b"Bearer t");

fn fixture(name: &str) -> Bytes {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/persons/").to_owned() + name;
    Bytes::from(std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
}

fn replica(store: impl WritableStore + 'static) -> ImageService {
    ImageService::writable_builder(store, StaticAuthenticator::default().bearer("t", "tester"))
        .build()
}

fn get(service: &ImageService, target: &str) -> ImageResponse {
    get_with(service, target, &[])
}

fn get_with(service: &ImageService, target: &str, extra: &[(&str, &[u8])]) -> ImageResponse {
    let headers = std::iter::once(AUTH).chain(extra.iter().copied());
    service.handle(Method::Get, target, headers, Bytes::new(), service.limits())
}

fn upload(service: &ImageService, person: i32, bytes: Bytes) -> ImageResponse {
    let target = format!("/api/v1/Person/{person}/Image");
    let headers = [
        AUTH,
        ("Content-Type", b"application/octet-stream".as_slice()),
    ];
    service.handle(Method::Put, &target, headers, bytes, service.limits())
}

fn etag(response: &ImageResponse) -> String {
    response.etag.as_ref().expect("an ETag").as_str().to_owned()
}

const VARIANTS: [&str; 3] = [
    "/api/v1/Person/1/Image?w=48&type=png",
    "/api/v1/Person/1/Image?w=32",
    "/api/v1/Person/1/Image",
];

#[test]
fn every_replica_sends_the_same_etag_and_bytes_and_304s_the_others_tags() {
    let store = Arc::new(common::fixture_store());
    let replicas: Vec<ImageService> = (0..3).map(|_| replica(Arc::clone(&store))).collect();
    for target in VARIANTS {
        // A renders first; B answers from a cold cache, C twice (cold, then from its cache).
        let answers: Vec<ImageResponse> = [0, 1, 2, 2]
            .iter()
            .map(|&i| get(&replicas[i], target))
            .collect();
        for answer in &answers {
            assert_eq!(answer.status, 200, "{target}");
            assert_eq!(etag(answer), etag(&answers[0]), "{target}");
            assert_eq!(answer.body, answers[0].body, "{target}");
            assert_eq!(answer.last_modified, answers[0].last_modified, "{target}");
        }
        let tag = etag(&answers[0]);
        for other in &replicas[1..] {
            let revalidated = get_with(other, target, &[("If-None-Match", tag.as_bytes())]);
            assert_eq!(revalidated.status, 304, "{target}");
            assert_eq!(etag(&revalidated), tag, "{target}");
        }
    }
    // A replica that never served the variant 304s too: the tag is the store's version and the
    // request, not anything a replica remembers.
    let fresh = replica(Arc::clone(&store));
    let tag = etag(&get(&replicas[0], VARIANTS[0]));
    let revalidated = get_with(&fresh, VARIANTS[0], &[("If-None-Match", tag.as_bytes())]);
    assert_eq!(revalidated.status, 304);
}

#[test]
fn an_upload_through_one_replica_is_served_by_the_others_at_once() {
    let store = Arc::new(common::fixture_store());
    let [a, b, c]: [ImageService; 3] = std::array::from_fn(|_| replica(Arc::clone(&store)));
    let photos = [fixture("2.png"), fixture("1.jpg")];
    let mut seen = Vec::new();
    for trial in 0..100 {
        // B and C hold the old photo in their caches and format memos (a GET and a HEAD).
        for replica in [&b, &c] {
            assert_eq!(get(replica, VARIANTS[0]).status, 200);
            let head = replica.handle(
                Method::Head,
                VARIANTS[2],
                [AUTH],
                Bytes::new(),
                replica.limits(),
            );
            assert_eq!(head.status, 200);
        }
        let uploaded = upload(&a, 1, photos[trial % 2].clone());
        assert_eq!(uploaded.status, 200, "trial {trial}");
        let expected = get(&a, VARIANTS[0]);
        for (name, replica) in [("B", &b), ("C", &c)] {
            let answer = get(replica, VARIANTS[0]);
            assert_eq!(etag(&answer), etag(&expected), "trial {trial} via {name}");
            assert_eq!(answer.body, expected.body, "trial {trial} via {name}");
        }
        assert!(
            !seen.contains(&etag(&expected)),
            "trial {trial}: an old tag"
        );
        seen.push(etag(&expected));
    }
    // A delete through A: B and C answer 404 (or the placeholder asked for) at once.
    let deleted = a.handle(
        Method::Delete,
        "/api/v1/Person/1/Image",
        [AUTH],
        Bytes::new(),
        a.limits(),
    );
    assert_eq!(deleted.status, 204);
    for replica in [&b, &c] {
        assert_eq!(get(replica, VARIANTS[0]).status, 404);
        let placeholder = get(replica, "/api/v1/Person/1/Image?w=48&ifBlank=Default");
        assert_eq!(placeholder.status, 200);
    }
}

/// What the outage store does with each call.
const UP: u8 = 0;
const FAILING: u8 = 1;
const HANGING: u8 = 2;

/// A store that works, fails every call, or hangs in every call (for `hang`), as `mode` says;
/// it keeps no deadline of its own, so the service's store threads keep it.
struct Outage {
    inner: InMemory,
    mode: AtomicU8,
    hang: Duration,
}

impl Outage {
    fn check(&self) -> person_image::Result<()> {
        match self.mode.load(Ordering::SeqCst) {
            FAILING => Err(Error::store(
                "calling the store",
                std::io::Error::other("connection refused"),
            )),
            HANGING => {
                std::thread::sleep(self.hang);
                Err(Error::store("calling the store", "hung"))
            }
            _ => Ok(()),
        }
    }
}

impl ImageStore for Outage {
    fn lookup(&self, person: PersonId) -> person_image::Result<Lookup> {
        self.check()?;
        self.inner.lookup(person)
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> person_image::Result<Fetch> {
        self.check()?;
        self.inner.fetch(person, info)
    }
}

impl WritableStore for Outage {
    fn replace(
        &self,
        person: PersonId,
        bytes: Bytes,
        declared_mime: Option<&str>,
    ) -> person_image::Result<Replaced> {
        self.check()?;
        self.inner.replace(person, bytes, declared_mime)
    }

    fn delete(&self, person: PersonId) -> person_image::Result<Deleted> {
        self.check()?;
        self.inner.delete(person)
    }
}

fn outage_service(stale_if_error: Duration) -> (Arc<Outage>, ImageService) {
    let store = Arc::new(Outage {
        inner: common::fixture_store(),
        mode: AtomicU8::new(UP),
        hang: Duration::from_millis(1500),
    });
    let service = ImageService::writable_builder(
        Arc::clone(&store),
        StaticAuthenticator::default().bearer("t", "tester"),
    )
    .store_deadline(Duration::from_millis(200))
    .stale_if_error(stale_if_error)
    .build();
    (store, service)
}

#[test]
fn an_unavailable_store_is_503_for_uncached_variants_and_stale_for_cached_ones() {
    let (store, service) = outage_service(Duration::from_secs(3600));
    let cached = get(&service, VARIANTS[0]);
    assert_eq!(cached.status, 200);
    let version_before = store.inner.lookup(PersonId(1)).unwrap();
    for mode in [FAILING, HANGING] {
        store.mode.store(mode, Ordering::SeqCst);
        let started = Instant::now();
        let uncached = get(&service, VARIANTS[1]);
        let waited = started.elapsed();
        assert_eq!(uncached.status, 503, "mode {mode}");
        assert_eq!(uncached.retry_after, Some(1), "mode {mode}");
        let headers = uncached.headers();
        assert!(headers
            .iter()
            .any(|(name, value)| name == "retry-after" && value == "1"));
        // Within the deadline (200 ms), give or take scheduling: never the store's 1.5 s hang.
        assert!(
            waited < Duration::from_millis(1000),
            "mode {mode}: {waited:?}"
        );

        let stale = get(&service, VARIANTS[0]);
        assert_eq!(stale.status, 200, "mode {mode}");
        assert_eq!((etag(&stale), &stale.body), (etag(&cached), &cached.body));
        assert_eq!(stale.last_modified, cached.last_modified);
        let tag = etag(&cached);
        let revalidated = get_with(&service, VARIANTS[0], &[("If-None-Match", tag.as_bytes())]);
        assert_eq!(revalidated.status, 304, "mode {mode}");

        // Writes are refused, and nothing is written.
        let refused = upload(&service, 1, fixture("2.png"));
        assert_eq!(refused.status, 503, "mode {mode}");
        assert_eq!(refused.retry_after, Some(1));
    }
    // Let the hung calls end, then the store comes back: everything is served again, by itself.
    std::thread::sleep(Duration::from_millis(1600));
    assert_eq!(store.inner.lookup(PersonId(1)).unwrap(), version_before);
    store.mode.store(UP, Ordering::SeqCst);
    assert_eq!(get(&service, VARIANTS[1]).status, 200);
    assert_eq!(upload(&service, 1, fixture("2.png")).status, 200);
    assert_ne!(etag(&get(&service, VARIANTS[0])), etag(&cached));
}

#[test]
fn a_stale_variant_is_served_only_within_its_age() {
    let (store, service) = outage_service(Duration::from_millis(100));
    assert_eq!(get(&service, VARIANTS[0]).status, 200);
    store.mode.store(FAILING, Ordering::SeqCst);
    assert_eq!(get(&service, VARIANTS[0]).status, 200);
    std::thread::sleep(Duration::from_millis(150));
    assert_eq!(get(&service, VARIANTS[0]).status, 503);

    // Off: a cached variant is a 503 like any other.
    let (store, service) = outage_service(Duration::ZERO);
    assert_eq!(get(&service, VARIANTS[0]).status, 200);
    store.mode.store(FAILING, Ordering::SeqCst);
    assert_eq!(get(&service, VARIANTS[0]).status, 503);
}

#[test]
fn a_stale_answer_is_never_older_than_what_this_replica_wrote() {
    // After an upload through this replica, the old variant is never the stale answer.
    let (store, service) = outage_service(Duration::from_secs(3600));
    assert_eq!(get(&service, VARIANTS[0]).status, 200);
    assert_eq!(upload(&service, 1, fixture("2.png")).status, 200);
    store.mode.store(FAILING, Ordering::SeqCst);
    assert_eq!(get(&service, VARIANTS[0]).status, 503);
}
