//! `Bucket` (feature `object-store`) over `object_store`'s in-memory and local file
//! system backends: the conformance suite, its own rules, the sync-to-async bridge and serving.

mod common;

use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, PutOptions, PutPayload};
use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::{
    check_conformance, check_metadata, check_replaced_between_calls, check_writes, Bucket,
    ImageStore, Lookup,
};
use person_image::PersonImageServiceExt;
use person_image::{Error, ImageService, PersonId};

use common::corpus::hopper;

use common::temp::TempDir;

/// Writes `bytes` at `key`, driving the async `put` on a throwaway runtime in a thread of its own
/// (so it also works when called from async tests).
fn put(store: &dyn ObjectStore, key: &str, bytes: &[u8]) {
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("test runtime");
            runtime
                .block_on(store.put_opts(
                    &Path::from(key),
                    PutPayload::from(bytes.to_vec()),
                    PutOptions::default(),
                ))
                .unwrap_or_else(|e| panic!("putting {key}: {e}"));
        });
    });
}

/// A bucket seeded like the conformance fixture: person 1 has hopper, person 2 a `.none` marker.
fn seeded(bucket: Arc<dyn ObjectStore>, prefix: &str) -> Bucket {
    put(bucket.as_ref(), &format!("{prefix}/1.jpg"), &hopper());
    put(bucket.as_ref(), &format!("{prefix}/2.none"), b"");
    Bucket::new(bucket, Path::from(prefix)).expect("store")
}

use common::{found, seeded_fixture};

#[test]
fn in_memory_backend_conforms() {
    let store = seeded(Arc::new(InMemory::new()), "persons");
    check_conformance(&store, &seeded_fixture());
    let image = found(&store, 1);
    assert_eq!(image.declared_mime.as_deref(), Some("image/jpeg"));
    assert!(image.modified.is_some());
}

#[test]
fn local_file_system_backend_conforms() {
    let dir = TempDir::new("conform");
    let bucket = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).expect("local bucket"));
    let store = seeded(bucket, "photos/persons");
    check_conformance(&store, &seeded_fixture());
    // The layout is `Directory`'s: the files are where a directory store would look.
    assert!(dir.path().join("photos/persons/1.jpg").is_file());
    assert!(dir.path().join("photos/persons/2.none").is_file());
}

#[test]
fn an_empty_prefix_is_the_bucket_root() {
    let bucket = Arc::new(InMemory::new());
    put(bucket.as_ref(), "-3.gif", b"GIF89a");
    let store = Bucket::new(bucket, Path::default()).unwrap();
    let image = found(&store, -3);
    assert_eq!(image.bytes.as_ref(), b"GIF89a");
    assert_eq!(image.declared_mime.as_deref(), Some("image/gif"));
    assert_eq!(store.lookup(PersonId(3)).unwrap(), Lookup::NoSuchPerson);
}

#[test]
fn extension_order_and_photo_over_marker() {
    let bucket = Arc::new(InMemory::new());
    put(bucket.as_ref(), "p/4.png", b"png");
    put(bucket.as_ref(), "p/4.jpeg", b"jpeg");
    put(bucket.as_ref(), "p/4.none", b"");
    let store = Bucket::new(bucket, Path::from("p")).unwrap();
    let image = found(&store, 4);
    assert_eq!(image.bytes.as_ref(), b"jpeg");
    assert_eq!(image.declared_mime.as_deref(), Some("image/jpeg"));
}

#[test]
fn replacing_an_object_changes_the_version() {
    for (name, bucket, _dir) in backends("replace") {
        let photo = hopper();
        let store = seeded(Arc::clone(&bucket), "persons");
        let before = found(&store, 1);

        // Same length, one byte different, written immediately.
        let mut changed = photo.clone();
        let last = changed.len() - 3;
        changed[last] ^= 0xFF;
        put(bucket.as_ref(), "persons/1.jpg", &changed);
        let after = found(&store, 1);

        assert_ne!(before.version, after.version, "{name}");
        assert_eq!(after.bytes.as_ref(), changed.as_slice(), "{name}");
    }
}

#[test]
fn oversize_objects_are_refused() {
    for (name, bucket, _dir) in backends("oversize") {
        let photo = hopper();
        let len = photo.len() as u64;
        let store = seeded(Arc::clone(&bucket), "persons").with_max_bytes(len - 1);
        assert_eq!(store.max_bytes(), len - 1);
        match store.lookup(PersonId(1)) {
            Err(
                error @ Error::LimitExceeded {
                    limit: person_image::LimitKind::SourceBytes,
                    ..
                },
            ) => {
                assert_eq!(error.status(), 422, "{name}");
                assert!(
                    matches!(error, Error::LimitExceeded { max, actual, .. }
                        if max == len - 1 && actual == len),
                    "{name}: {error:?}"
                );
            }
            other => panic!("{name}: expected LimitExceeded, got {other:?}"),
        }
        let at_limit = store.with_max_bytes(len);
        assert_eq!(found(&at_limit, 1).bytes.len(), photo.len(), "{name}");
    }
}

#[test]
fn backend_failures_are_store_errors() {
    // A file where the prefix directory should be: the local backend fails with "not a
    // directory", not "not found", which must be a 500, never "no such person".
    let dir = TempDir::new("failure");
    std::fs::write(dir.path().join("persons"), b"").unwrap();
    let bucket = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap());
    let store = Bucket::new(bucket, Path::from("persons")).unwrap();
    match store.lookup(PersonId(9)) {
        Err(error @ Error::Store { .. }) => {
            assert_eq!(error.status(), 500);
            let source = std::error::Error::source(&error).expect("the backend's error");
            assert!(source.to_string().contains("persons/9.jpg"), "{source}");
        }
        other => panic!("expected a store error, got {other:?}"),
    }
}

#[test]
fn loads_from_four_threads_at_once() {
    for (name, bucket, _dir) in backends("threads") {
        let store = seeded(bucket, "persons");
        let photo = hopper();
        let version = found(&store, 1).version;
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..25 {
                        let image = found(&store, 1);
                        assert_eq!(image.bytes.as_ref(), photo.as_slice(), "{name}");
                        assert_eq!(image.version, version, "{name}");
                        assert_eq!(store.lookup(PersonId(2)).unwrap(), Lookup::NoImage);
                        assert_eq!(store.lookup(PersonId(3)).unwrap(), Lookup::NoSuchPerson);
                    }
                });
            }
        });
    }
}

#[test]
fn loads_from_spawn_blocking_threads_of_another_runtime() {
    let store = Arc::new(seeded(Arc::new(InMemory::new()), "persons"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let answers = runtime.block_on(async {
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let store = Arc::clone(&store);
                tokio::task::spawn_blocking(move || store.lookup(PersonId(1)))
            })
            .collect();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("no panic"));
        }
        answers
    });
    for answer in answers {
        assert!(matches!(answer, Ok(Lookup::Found(_))), "{answer:?}");
    }
}

/// Called from inside an async task (a mistake: it blocks an executor thread), `load` neither
/// panics nor deadlocks, even on a single-threaded runtime: the lookup runs on the store's own
/// runtime. Dropping the store there does not panic either.
#[tokio::test(flavor = "current_thread")]
async fn load_from_async_code_does_not_panic() {
    let store = seeded(Arc::new(InMemory::new()), "persons");
    let answer = tokio::spawn(async move {
        let answer = store.lookup(PersonId(1));
        drop(store);
        answer
    })
    .await
    .expect("load panicked inside an async task");
    assert!(matches!(answer, Ok(Lookup::Found(_))), "{answer:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_from_async_code_on_a_multi_thread_runtime_does_not_panic() {
    let dir = TempDir::new("async");
    let bucket = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).unwrap());
    let store = seeded(bucket, "persons");
    assert_eq!(store.lookup(PersonId(2)).unwrap(), Lookup::NoImage);
    assert_eq!(found(&store, 1).bytes.len(), hopper().len());
}

#[test]
fn serves_through_the_image_service() {
    let store = seeded(Arc::new(InMemory::new()), "persons");
    let service =
        ImageService::builder(store, StaticAuthenticator::default().user("demo", "demo")).build();
    let response = service.handle(
        Method::Get,
        "/api/v1/Person/1/Image",
        [("Authorization", &b"Basic ZGVtbzpkZW1v"[..])],
        bytes::Bytes::new(),
        service.limits(),
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.body.as_ref(), hopper().as_slice());
    let none = service.handle(
        Method::Get,
        "/api/v1/Person/3/Image",
        [("Authorization", &b"Basic ZGVtbzpkZW1v"[..])],
        bytes::Bytes::new(),
        service.limits(),
    );
    assert_eq!(none.status, 404);
}

#[test]
fn debug_names_the_backend_and_prefix() {
    let store = Bucket::new(Arc::new(InMemory::new()), Path::from("a/b")).unwrap();
    let text = format!("{store:?}");
    assert!(text.contains("InMemory") && text.contains("a/b"), "{text}");
}

/// Both backends, each with a fresh bucket (and the temp dir that must outlive it).
fn backends(name: &str) -> Vec<(&'static str, Arc<dyn ObjectStore>, Option<TempDir>)> {
    let dir = TempDir::new(name);
    let local: Arc<dyn ObjectStore> =
        Arc::new(LocalFileSystem::new_with_prefix(dir.path()).expect("local bucket"));
    vec![
        ("memory", Arc::new(InMemory::new()), None),
        ("local", local, Some(dir)),
    ]
}

#[test]
fn a_replaced_object_is_never_served_under_the_old_version() {
    let other = common::corpus::corpus_bytes("jpeg/progressive_cat.jpg");
    let bucket = Arc::new(InMemory::new());
    let store = seeded(bucket.clone(), "persons");
    check_replaced_between_calls(&store, PersonId(1), &other, || {
        put(bucket.as_ref(), "persons/1.jpg", &other);
    });

    let dir = TempDir::new("replaced-between");
    let local = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).expect("local bucket"));
    let store = seeded(local.clone(), "p");
    check_replaced_between_calls(&store, PersonId(1), &other, || {
        put(local.as_ref(), "p/1.jpg", &other);
    });
}

#[test]
fn repeated_requests_fetch_no_photo_bytes() {
    let dir = TempDir::new("counting");
    let local = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).expect("local bucket"));
    common::counting::assert_repeated_requests_fetch_nothing(seeded(local, "p"), 1);
}

#[test]
fn keeps_metadata_with_the_version_on_memory_and_local_files() {
    let fixture = seeded_fixture();
    check_metadata(&seeded(Arc::new(InMemory::new()), "persons"), &fixture);
    let dir = TempDir::new("metadata");
    let local = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).expect("local bucket"));
    check_metadata(&seeded(local, "p"), &fixture);
    assert!(!dir.path().join("p/1.meta").exists());
}

#[test]
fn follows_the_write_rules_on_memory_and_local_files() {
    let fixture = seeded_fixture();
    check_writes(&seeded(Arc::new(InMemory::new()), "persons"), &fixture);
    let dir = TempDir::new("writes");
    let local = Arc::new(LocalFileSystem::new_with_prefix(dir.path()).expect("local bucket"));
    check_writes(&seeded(local, "p"), &fixture);
    assert!(dir.path().join("p/1.jpg").is_file());
    assert!(
        dir.path().join("p/2.none").is_file(),
        "deleted at the end of the rules"
    );
}

/// A PNG large enough to be read as it decodes renders from a bucket, over both backends, as
/// from the photo held whole.
#[test]
fn a_large_png_is_rendered_as_it_downloads() {
    let photo = common::corpus::bench_bytes("alpha-3mp.png");
    let auth = ("Authorization", &b"Basic ZGVtbzpkZW1v"[..]);
    let service = |store: Arc<dyn ImageStore>| {
        ImageService::builder(store, StaticAuthenticator::default().user("demo", "demo"))
            .cache_bytes(0)
            .build()
    };
    let whole = service(Arc::new(
        person_image::store::InMemory::new().with_image(PersonId(1), photo.clone()),
    ));
    for (name, bucket, _dir) in backends("large-png") {
        put(bucket.as_ref(), "persons/1.png", &photo);
        let reading = service(Arc::new(
            Bucket::new(bucket, Path::from("persons")).unwrap(),
        ));
        for target in [
            "/api/v1/Person/1/Image?w=128&type=jpeg",
            "/api/v1/Person/1/Image?w=500&h=300&type=png",
            "/api/v1/Person/1/Image",
        ] {
            let read = common::get_as(&reading, target, auth);
            let held = common::get_as(&whole, target, auth);
            assert_eq!(read.status, 200, "{name} {target}");
            assert!(read.body == held.body, "{name} {target}: the bodies differ");
        }
    }
}
