//! A store wrapper that counts what the service asks of the store, and the check that the
//! requests a deployment repeats most (304s, cache hits, `HEAD`s) read no photo bytes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::{Fetch, ImageInfo, ImageStore, Lookup};
use person_image::PersonImageServiceExt;
use person_image::{ImageResponse, ImageService, PersonId};

/// Counts lookups, fetches and fetched bytes of the store it wraps.
pub struct Counting<S> {
    inner: S,
    lookups: AtomicU64,
    fetches: AtomicU64,
    bytes: AtomicU64,
}

impl<S: ImageStore> Counting<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Counting {
            inner,
            lookups: AtomicU64::new(0),
            fetches: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// `(lookups, fetches, bytes fetched)` so far.
    pub fn counts(&self) -> (u64, u64, u64) {
        (
            self.lookups.load(Ordering::SeqCst),
            self.fetches.load(Ordering::SeqCst),
            self.bytes.load(Ordering::SeqCst),
        )
    }
}

impl<S: ImageStore> ImageStore for Counting<S> {
    fn lookup(&self, person: PersonId) -> person_image::Result<Lookup> {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        self.inner.lookup(person)
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> person_image::Result<Fetch> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        let fetched = self.inner.fetch(person, info)?;
        if let Fetch::Current(bytes) = &fetched {
            self.bytes.fetch_add(bytes.len() as u64, Ordering::SeqCst);
        }
        Ok(fetched)
    }
}

const AUTH: (&str, &[u8]) = ("Authorization", b"Bearer t");

fn new_service(store: Arc<dyn ImageStore>) -> ImageService {
    ImageService::builder(store, StaticAuthenticator::default().bearer("t", "tester")).build()
}

fn get(service: &ImageService, method: Method, target: &str, etag: Option<&str>) -> ImageResponse {
    match etag {
        Some(etag) => service.handle(
            method,
            target,
            [AUTH, ("If-None-Match", etag.as_bytes())],
            bytes::Bytes::new(),
            service.limits(),
        ),
        None => service.handle(
            method,
            target,
            [AUTH],
            bytes::Bytes::new(),
            service.limits(),
        ),
    }
}

fn etag(response: &ImageResponse) -> String {
    response.etag.as_ref().expect("an ETag").as_str().to_owned()
}

/// Runs the deployment's repeated requests against `store`, whose `person` has a JPEG photo, and
/// asserts what each may read: a miss fetches once; a cache hit, a 304 (also from a fresh service
/// that never saw the photo), and a `HEAD` of the photo as stored (once its format is known) fetch
/// nothing.
pub fn assert_repeated_requests_fetch_nothing(store: impl ImageStore + 'static, person: i32) {
    let store = Arc::new(Counting::new(store));
    let service = new_service(store.clone());
    let thumbnail = format!("/api/v1/Person/{person}/Image?w=32&type=png");
    let original = format!("/api/v1/Person/{person}/Image");

    let miss = get(&service, Method::Get, &thumbnail, None);
    assert_eq!(miss.status.as_u16(), 200);
    let (_, fetches, bytes) = store.counts();
    assert_eq!(fetches, 1, "a miss fetches once");
    assert!(bytes > 0);

    let hit = get(&service, Method::Get, &thumbnail, None);
    assert_eq!((hit.status.as_u16(), &hit.body), (200, &miss.body));
    let not_modified = get(&service, Method::Get, &thumbnail, Some(&etag(&miss)));
    assert_eq!(not_modified.status.as_u16(), 304);
    let head = get(&service, Method::Head, &thumbnail, None);
    assert_eq!(
        (head.status.as_u16(), head.content_length),
        (200, miss.content_length)
    );
    assert_eq!(
        store.counts().1,
        1,
        "cache hit, 304 and HEAD of a cached variant fetch nothing"
    );

    let full = get(&service, Method::Get, &original, None);
    assert_eq!(
        (full.status.as_u16(), full.content_type.clone()),
        (200, Some(mime::IMAGE_JPEG))
    );
    assert_eq!(
        store.counts().1,
        2,
        "the photo as stored is fetched to be sent"
    );
    let head = get(&service, Method::Head, &original, None);
    assert_eq!(head.status.as_u16(), 200);
    assert_eq!(head.content_type, Some(mime::IMAGE_JPEG));
    assert_eq!(head.content_length, full.body.len() as u64);
    assert_eq!(head.etag, full.etag);
    assert!(head.body.is_empty());
    let not_modified = get(&service, Method::Get, &original, Some(&etag(&full)));
    assert_eq!(not_modified.status.as_u16(), 304);
    assert_eq!(
        store.counts().1,
        2,
        "HEAD and 304 of the photo as stored fetch nothing"
    );

    // A restarted server (nothing cached, nothing known) still answers the browser's 304s
    // without reading the photo: the ETag depends on the version and the request only.
    let restarted = new_service(store.clone());
    for (target, response) in [(&thumbnail, &miss), (&original, &full)] {
        let again = get(&restarted, Method::Get, target, Some(&etag(response)));
        assert_eq!(again.status.as_u16(), 304, "{target}");
    }
    assert_eq!(store.counts().1, 2, "304s after a restart fetch nothing");
    assert_eq!(
        store.counts().0,
        9,
        "each of the 9 requests looked the photo up once"
    );
}
