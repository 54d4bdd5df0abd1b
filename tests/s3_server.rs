//! `Bucket` against a real S3-compatible server (feature `s3-server-tests`): the conformance
//! suite, the write rules, a photo replaced between lookup and fetch, conditional writes, the
//! deadline, and serving through the image service, over `s3://` URLs read by
//! [`Bucket::from_url`] with the `AWS_*` environment; and the variant tier's fleet scenarios
//! (render once, tier hits, new versions, a stale lease taken over with `If-Match`) over an S3
//! bucket, as `tests/variant_tier.rs` runs them over memory and local files.
//!
//! `.ci/run` starts moto (pinned) through `scripts/moto.py`, which sets `AWS_ENDPOINT` and the
//! credentials. Without them, or without a server answering there, every test here fails: this
//! suite never passes by skipping.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, PutMode, PutOptions, PutPayload, UpdateVersion};
use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::{
    check_conformance, check_replaced_between_calls, check_writes, Bucket, ImageStore,
};
use person_image::{Error, ImageService, PersonId, PersonImageServiceExt, Unavailable};

use common::corpus::hopper;
use common::{fleet, seeded_fixture};

/// The server's `host:port`, from `AWS_ENDPOINT` (`http://127.0.0.1:PORT`); a missing or
/// non-loopback endpoint fails the test.
fn endpoint() -> String {
    let endpoint = std::env::var("AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "AWS_ENDPOINT is not set: this suite needs an S3 server; run it through \
             `python3 scripts/moto.py --moto PATH -- cargo test --features s3-server-tests \
             --test s3_server` (see .ci/run)"
        )
    });
    let address = endpoint
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("AWS_ENDPOINT {endpoint}: expected http://127.0.0.1:PORT"));
    assert!(
        address.starts_with("127.0.0.1:"),
        "AWS_ENDPOINT {endpoint}: the suite talks to a loopback server only"
    );
    address.trim_end_matches('/').to_owned()
}

/// Creates a bucket of its own for each test (S3 has no bucket call in `object_store`): one
/// request, with a well-formed unchecked signature moto accepts.
fn new_bucket(name: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let bucket = format!(
        "{name}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    let address = endpoint();
    let mut connection =
        TcpStream::connect(&address).unwrap_or_else(|e| panic!("no S3 server at {address}: {e}"));
    connection
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        connection,
        "PUT /{bucket} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=person-image-test/20260101/us-east-1/s3/\
         aws4_request, SignedHeaders=host, Signature=0\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    connection.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "creating bucket {bucket}: {answer}"
    );
    bucket
}

/// The raw `object_store` client of `bucket`, from the same environment.
fn client(bucket: &str) -> Arc<dyn ObjectStore> {
    endpoint();
    Arc::new(
        object_store::aws::AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .expect("an S3 client from the AWS_* environment"),
    )
}

/// Runs an `object_store` call on a throwaway runtime in a thread of its own.
fn block<T: Send>(future: impl std::future::Future<Output = T> + Send) -> T {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("test runtime")
                    .block_on(future)
            })
            .join()
            .expect("the call panicked")
    })
}

fn put(store: &dyn ObjectStore, key: &str, bytes: &[u8]) {
    let payload = PutPayload::from(bytes.to_vec());
    block(store.put_opts(&Path::from(key), payload, PutOptions::default()))
        .unwrap_or_else(|e| panic!("putting {key}: {e}"));
}

/// A fresh bucket seeded like the conformance fixture, and the store over it from its URL.
fn seeded(name: &str) -> (Arc<dyn ObjectStore>, Bucket) {
    let bucket = new_bucket(name);
    let client = client(&bucket);
    put(client.as_ref(), "persons/1.jpg", &hopper());
    put(client.as_ref(), "persons/2.none", b"");
    let store = Bucket::from_url(&format!("s3://{bucket}/persons")).expect("the bucket URL");
    (client, store)
}

#[test]
fn conforms_and_follows_the_write_rules() {
    let (_, store) = seeded("conform");
    check_conformance(&store, &seeded_fixture());
    let image = common::found(&store, 1);
    assert_eq!(image.declared_mime.as_deref(), Some("image/jpeg"));
    assert!(image.version.starts_with("jpg:e:"), "{}", image.version);
    let (_, store) = seeded("writes");
    check_writes(&store, &seeded_fixture());
}

#[test]
fn a_replaced_object_is_never_served_under_the_old_version() {
    let other = common::corpus::corpus_bytes("jpeg/progressive_cat.jpg");
    let (client, store) = seeded("replaced");
    check_replaced_between_calls(&store, PersonId(1), &other, || {
        put(client.as_ref(), "persons/1.jpg", &other);
    });
}

#[test]
fn conditional_writes_refuse_a_failed_condition() {
    let bucket = new_bucket("conditional");
    let client = client(&bucket);
    let key = Path::from("lease");
    let put = |mode: PutMode| {
        block(client.put_opts(&key, PutPayload::from_static(b"x"), PutOptions::from(mode)))
    };
    let created = put(PutMode::Create).expect("the first create");
    assert!(
        matches!(
            put(PutMode::Create),
            Err(object_store::Error::AlreadyExists { .. })
        ),
        "a second If-None-Match: * must fail (412)"
    );
    let stale = UpdateVersion {
        e_tag: Some("\"0123456789abcdef0123456789abcdef\"".into()),
        version: None,
    };
    assert!(
        matches!(
            put(PutMode::Update(stale)),
            Err(object_store::Error::Precondition { .. })
        ),
        "If-Match with another ETag must fail (412)"
    );
    put(PutMode::Update(UpdateVersion::from(created))).expect("If-Match with the current ETag");
}

#[test]
fn a_call_past_its_deadline_is_unavailable_and_quick() {
    let (_, store) = seeded("deadline");
    // A deadline no request can meet: the call answers at it, as "timed out".
    let store = store.with_deadline(Duration::from_micros(1));
    let started = Instant::now();
    match store.lookup(PersonId(1)) {
        Err(error @ Error::StoreUnavailable { .. }) => {
            assert!(matches!(
                error,
                Error::StoreUnavailable {
                    cause: Unavailable::TimedOut,
                    ..
                }
            ));
            assert_eq!(error.status(), 503);
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[test]
fn a_missing_bucket_fails_its_check() {
    endpoint();
    // Its lookups cannot tell (S3 answers a HEAD in a missing bucket with a bodiless 404, as for
    // a missing key): the start-up check can.
    let store = Bucket::from_url("s3://no-such-bucket-person-image/persons").unwrap();
    match store.check_bucket() {
        Err(Error::Store { .. }) => {}
        other => panic!("expected a store error, got {other:?}"),
    }
    let (_, store) = seeded("checked");
    store.check_bucket().expect("an existing bucket");
}

#[test]
fn serves_uploads_and_deletes_through_the_image_service() {
    let (_, store) = seeded("service");
    let service =
        ImageService::writable_builder(store, StaticAuthenticator::default().bearer("t", "tester"))
            .build();
    let auth = ("Authorization", b"Bearer t".as_slice());
    let get =
        |target: &str| service.handle(Method::Get, target, [auth], Bytes::new(), service.limits());
    let before = get("/api/v1/Person/1/Image?w=64");
    assert_eq!(before.status, 200);
    let png = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/persons/2.png"
    ))
    .unwrap();
    let uploaded = service.handle(
        Method::Put,
        "/api/v1/Person/1/Image",
        [auth],
        Bytes::from(png),
        service.limits(),
    );
    assert_eq!(uploaded.status, 200, "{:?}", uploaded.body);
    let after = get("/api/v1/Person/1/Image?w=64");
    assert_eq!(after.status, 200);
    assert_ne!(after.etag, before.etag);
    let deleted = service.handle(
        Method::Delete,
        "/api/v1/Person/1/Image",
        [auth],
        Bytes::new(),
        service.limits(),
    );
    assert_eq!(deleted.status, 204);
    assert_eq!(get("/api/v1/Person/1/Image?w=64").status, 404);
    assert_eq!(get("/api/v1/Person/3/Image").status, 404);
}

#[test]
fn sixty_concurrent_requests_over_three_replicas_render_once_on_s3() {
    fleet::sixty_requests_over_three_replicas(client(&new_bucket("tier-once")));
}

#[test]
fn a_tier_hit_on_s3_answers_exactly_like_a_render() {
    fleet::a_tier_hit_answers_exactly_like_a_render(client(&new_bucket("tier-hit")));
}

#[test]
fn a_new_photo_version_never_gets_an_old_variant_from_s3() {
    fleet::a_new_photo_version_never_gets_an_old_variant(client(&new_bucket("tier-version")));
}

#[test]
fn a_stale_lease_on_s3_is_taken_over_with_if_match() {
    fleet::stale_lease_taken_over(client(&new_bucket("tier-lease")));
}
