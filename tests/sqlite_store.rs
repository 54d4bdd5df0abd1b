//! `Sqlite` (feature `sqlite`) against the conformance suite, its versioning, limits and
//! failure rules, threads, and the directory import behind `examples/import_sqlite.rs`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::{
    check_conformance, check_metadata, check_replaced_between_calls, check_writes,
    ConformanceFixture, ImageStore, ImportSummary, Lookup, Sqlite, WritableStore,
};
use person_image::PersonImageServiceExt;
use person_image::{Error, ImageService, PersonId};

fn manifest_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

use common::corpus::hopper;

use common::temp::TempDir;

/// A unique, not yet existing path (a database file, or a folder to import) inside a fresh temp
/// directory; the directory, with any database journal, goes when dropped.
struct TempPath {
    path: PathBuf,
    _dir: TempDir,
}

impl TempPath {
    fn new(name: &str) -> Self {
        let dir = TempDir::new(&format!("sqlite-{name}"));
        TempPath {
            path: dir.path().join(name),
            _dir: dir,
        }
    }
}

fn file_store(path: &TempPath) -> Sqlite {
    let store = Sqlite::open(&path.path).expect("open the database file");
    store.create_schema().expect("create the schema");
    store
}

fn memory_store() -> Sqlite {
    let store = Sqlite::open_in_memory().expect("open an in-memory database");
    store.create_schema().expect("create the schema");
    store
}

use common::found;

fn seed_and_check(store: &Sqlite) {
    let photo = hopper();
    store
        .set_image(PersonId(5), &photo, Some("image/jpeg"))
        .unwrap();
    store.add_person(PersonId(6)).unwrap();
    check_conformance(
        store,
        &ConformanceFixture {
            with_image: (PersonId(5), photo),
            without_image: PersonId(6),
            missing: PersonId(7),
        },
    );
}

// ---- conformance ----

#[test]
fn file_store_conforms() {
    let path = TempPath::new("conformance");
    seed_and_check(&file_store(&path));
}

#[test]
fn in_memory_store_conforms() {
    seed_and_check(&memory_store());
}

#[test]
fn conforms_with_extreme_ids_in_the_fixture() {
    let store = memory_store();
    let photo = hopper();
    store.set_image(PersonId(i32::MAX), &photo, None).unwrap();
    store.add_person(PersonId(i32::MIN)).unwrap();
    check_conformance(
        &store,
        &ConformanceFixture {
            with_image: (PersonId(i32::MAX), photo),
            without_image: PersonId(i32::MIN),
            missing: PersonId(0),
        },
    );
}

#[test]
fn in_memory_stores_are_private_to_each_store() {
    let one = memory_store();
    let two = memory_store();
    one.add_person(PersonId(1)).unwrap();
    assert_eq!(one.lookup(PersonId(1)).unwrap(), Lookup::NoImage);
    assert_eq!(two.lookup(PersonId(1)).unwrap(), Lookup::NoSuchPerson);
}

// ---- rows ----

#[test]
fn version_mime_and_modified_come_from_the_row() {
    let store = memory_store();
    let before = std::time::SystemTime::now() - std::time::Duration::from_secs(1);
    store
        .set_image(PersonId(1), b"\x89PNG\r\n\x1a\n", Some("image/png"))
        .unwrap();
    store.set_image(PersonId(2), b"bytes", None).unwrap();
    let png = found(&store, 1);
    assert_eq!(png.declared_mime.as_deref(), Some("image/png"));
    assert_eq!(png.version, "1-1", "<blob_id>-<version>");
    assert!(png.modified.is_some_and(|modified| modified >= before));
    assert_eq!(found(&store, 2).declared_mime, None);
    assert_eq!(found(&store, 2).version, "2-1");
}

#[test]
fn replacing_an_image_changes_the_version() {
    let path = TempPath::new("replace");
    let store = file_store(&path);
    let photo = hopper();
    store.set_image(PersonId(8), &photo, None).unwrap();
    let first = found(&store, 8);

    let mut changed = photo.clone();
    let last = changed.len() - 3;
    changed[last] ^= 0xFF;
    store
        .set_image(PersonId(8), &changed, Some("image/jpeg"))
        .unwrap();
    let second = found(&store, 8);
    assert_ne!(first.version, second.version);
    assert_eq!(second.version, "1-2", "same blob, next version");
    assert_eq!(second.bytes.as_ref(), changed.as_slice());
    assert_eq!(second.declared_mime.as_deref(), Some("image/jpeg"));

    // Removed and added again: a new blob id, never a version seen before.
    assert!(store.remove_image(PersonId(8)).unwrap());
    assert!(!store.remove_image(PersonId(8)).unwrap());
    assert_eq!(store.lookup(PersonId(8)).unwrap(), Lookup::NoImage);
    store.set_image(PersonId(8), &photo, None).unwrap();
    let third = found(&store, 8);
    assert!(![&first.version, &second.version].contains(&&third.version));

    // Reopening the file sees the same rows.
    drop(store);
    let reopened = Sqlite::open(&path.path).unwrap();
    assert_eq!(found(&reopened, 8), third);
}

#[test]
fn create_schema_is_idempotent() {
    let path = TempPath::new("schema");
    let store = file_store(&path);
    store.set_image(PersonId(1), b"photo", None).unwrap();
    store.create_schema().unwrap();
    drop(store);
    let again = file_store(&path);
    assert_eq!(found(&again, 1).bytes.as_ref(), b"photo");
}

// ---- limits and failures ----

#[test]
fn oversize_photos_are_refused() {
    let photo = hopper();
    let max = photo.len() as u64 - 1;
    let store = memory_store().with_max_bytes(max);
    assert_eq!(store.max_bytes(), max);
    store.set_image(PersonId(9), &photo, None).unwrap();
    match store.lookup(PersonId(9)) {
        Err(error @ Error::LimitExceeded { .. }) => {
            assert_eq!(error.status(), 422);
            assert!(
                matches!(error, Error::LimitExceeded { limit: person_image::LimitKind::SourceBytes, max: m, actual }
                if m == max && actual == photo.len() as u64)
            );
        }
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    let at_limit = store.with_max_bytes(photo.len() as u64);
    assert_eq!(found(&at_limit, 9).bytes.len(), photo.len());
}

fn expect_store_error(store: &Sqlite, person: i32) {
    match store.lookup(PersonId(person)) {
        Err(error) => {
            assert_eq!(error.status(), 500, "{error}");
            assert!(matches!(error, Error::Store { .. }), "{error:?}");
        }
        Ok(lookup) => panic!("person {person}: expected a store error, got {lookup:?}"),
    }
}

#[test]
fn a_corrupted_schema_is_a_store_error_not_no_image() {
    let path = TempPath::new("corrupt");
    let store = file_store(&path);
    store.set_image(PersonId(1), b"photo", None).unwrap();
    store.add_person(PersonId(2)).unwrap();
    let _ = found(&store, 1);

    let other = rusqlite::Connection::open(&path.path).unwrap();
    other
        .execute_batch("PRAGMA foreign_keys = OFF; DROP TABLE binary_object")
        .unwrap();
    expect_store_error(&store, 1);
    expect_store_error(&store, 2);
    expect_store_error(&store, 3);

    other.execute_batch("DROP TABLE person").unwrap();
    expect_store_error(&store, 1);
    assert!(store.set_image(PersonId(1), b"x", None).is_err());
}

#[test]
fn an_empty_database_is_a_store_error() {
    let path = TempPath::new("empty");
    let store = Sqlite::open(&path.path).unwrap();
    expect_store_error(&store, 1);
}

#[test]
fn a_link_to_a_missing_blob_is_a_store_error() {
    let path = TempPath::new("dangling");
    let store = file_store(&path);
    store.set_image(PersonId(1), b"photo", None).unwrap();
    let other = rusqlite::Connection::open(&path.path).unwrap();
    // As in a CRM database that never enforced its foreign keys.
    other
        .execute_batch("PRAGMA foreign_keys = OFF; DELETE FROM binary_object")
        .unwrap();
    expect_store_error(&store, 1);
}

#[test]
fn an_unopenable_path_fails_at_open() {
    let path = TempPath::new("dir");
    std::fs::create_dir_all(&path.path).unwrap();
    let error = Sqlite::open(path.path.join("missing/sub/db.sqlite")).unwrap_err();
    assert_eq!(error.status(), 500);
}

// ---- threads ----

fn concurrent_loads(store: &Sqlite) {
    let photo = hopper();
    let mut changed = photo.clone();
    changed[100] ^= 0xFF;
    store.set_image(PersonId(1), &photo, None).unwrap();
    store.add_person(PersonId(2)).unwrap();
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..50 {
                        let image = found(store, 1);
                        assert!(
                            image.bytes.as_ref() == photo.as_slice()
                                || image.bytes.as_ref() == changed.as_slice(),
                            "torn read"
                        );
                        assert_eq!(store.lookup(PersonId(2)).unwrap(), Lookup::NoImage);
                        assert_eq!(store.lookup(PersonId(3)).unwrap(), Lookup::NoSuchPerson);
                    }
                })
            })
            .collect();
        // A writer at the same time: readers wait for its lock rather than fail.
        for round in 0..20 {
            let bytes = if round % 2 == 0 { &changed } else { &photo };
            store.set_image(PersonId(1), bytes, None).unwrap();
        }
        for reader in readers {
            reader.join().unwrap();
        }
    });
    assert_eq!(found(store, 1).version, "1-21");
}

#[test]
fn concurrent_loads_from_8_threads_on_a_file() {
    let path = TempPath::new("threads");
    concurrent_loads(&file_store(&path));
}

#[test]
fn concurrent_loads_from_8_threads_in_memory() {
    concurrent_loads(&memory_store());
}

#[test]
fn the_store_is_send_sync_debug_and_serves_requests() {
    fn assert_send_sync<T: Send + Sync + std::fmt::Debug>() {}
    assert_send_sync::<Sqlite>();

    let store = memory_store();
    store
        .set_image(PersonId(7), &hopper(), Some("image/jpeg"))
        .unwrap();
    assert!(format!("{store:?}").contains("Sqlite"));
    let service = ImageService::builder(
        Arc::new(store),
        StaticAuthenticator::default().user("demo", "demo"),
    )
    .build();
    let response = service.handle(
        Method::Get,
        "/api/v1/Person/7/Image",
        [("Authorization", &b"Basic ZGVtbzpkZW1v"[..])],
        bytes::Bytes::new(),
        service.limits(),
    );
    assert_eq!(response.status, 200);
    assert_eq!(response.body.as_ref(), hopper().as_slice());
}

// ---- import ----

#[test]
fn import_directory_loads_the_fixture_persons() {
    let store = memory_store();
    let dir = manifest_path("fixtures/persons");
    let summary = store.import_directory(&dir).unwrap();
    assert_eq!(
        summary,
        ImportSummary {
            with_image: [1, 2, 3, 4, 6].map(PersonId).to_vec(),
            without_image: vec![PersonId(5)],
            skipped: vec![],
        }
    );
    for (person, file, mime) in [
        (1, "1.jpg", "image/jpeg"),
        (2, "2.png", "image/png"),
        (3, "3.jpg", "image/jpeg"),
        (4, "4.gif", "image/gif"),
        (6, "6.webp", "image/webp"),
    ] {
        let image = found(&store, person);
        assert_eq!(image.bytes.as_ref(), std::fs::read(dir.join(file)).unwrap());
        assert_eq!(image.declared_mime.as_deref(), Some(mime));
    }
    assert_eq!(store.lookup(PersonId(5)).unwrap(), Lookup::NoImage);
    assert_eq!(store.lookup(PersonId(7)).unwrap(), Lookup::NoSuchPerson);

    // Importing again gives the same answers, with new versions.
    let before = found(&store, 1);
    assert_eq!(store.import_directory(&dir).unwrap(), summary);
    let after = found(&store, 1);
    assert_eq!(after.bytes, before.bytes);
    assert_ne!(after.version, before.version);
}

#[test]
fn import_follows_the_directory_store_rules() {
    let dir = TempPath::new("import");
    std::fs::create_dir_all(&dir.path).unwrap();
    for (name, bytes) in [
        ("3.png", &b"png"[..]),
        ("3.JPG", b"jpg"),
        ("3.none", b""),
        ("4.none", b""),
        ("notes.txt", b"not a photo"),
    ] {
        std::fs::write(dir.path.join(name), bytes).unwrap();
    }
    let db = TempPath::new("import-db");
    let store = file_store(&db);
    store.set_image(PersonId(4), b"old photo", None).unwrap();
    store.add_person(PersonId(10)).unwrap();

    let summary = store.import_directory(&dir.path).unwrap();
    assert_eq!(summary.with_image, vec![PersonId(3)]);
    assert_eq!(summary.without_image, vec![PersonId(4)]);
    assert_eq!(summary.skipped, vec![dir.path.join("notes.txt")]);
    let three = found(&store, 3);
    assert_eq!(three.bytes.as_ref(), b"jpg");
    assert_eq!(three.declared_mime.as_deref(), Some("image/jpeg"));
    assert_eq!(store.lookup(PersonId(4)).unwrap(), Lookup::NoImage);
    assert_eq!(store.lookup(PersonId(10)).unwrap(), Lookup::NoImage);
}

#[test]
fn import_refuses_oversize_photos_and_writes_nothing() {
    let dir = TempPath::new("import-big");
    std::fs::create_dir_all(&dir.path).unwrap();
    std::fs::write(dir.path.join("1.jpg"), b"small").unwrap();
    std::fs::write(dir.path.join("2.jpg"), b"much too large").unwrap();
    let store = memory_store().with_max_bytes(8);
    assert!(matches!(
        store.import_directory(&dir.path),
        Err(Error::LimitExceeded { .. })
    ));
    assert_eq!(store.lookup(PersonId(1)).unwrap(), Lookup::NoSuchPerson);
    assert_eq!(
        store
            .import_directory(dir.path.join("missing"))
            .unwrap_err()
            .status(),
        500
    );
}

#[test]
fn a_replaced_photo_is_never_served_under_the_old_version() {
    let other = common::corpus::corpus_bytes("jpeg/progressive_cat.jpg");
    let store = memory_store();
    store.set_image(PersonId(1), &hopper(), None).unwrap();
    check_replaced_between_calls(&store, PersonId(1), &other, || {
        store.set_image(PersonId(1), &other, None).unwrap();
    });
}

#[test]
fn repeated_requests_fetch_no_photo_bytes() {
    let path = TempPath::new("counting");
    let store = file_store(&path);
    store.set_image(PersonId(1), &hopper(), None).unwrap();
    common::counting::assert_repeated_requests_fetch_nothing(store, 1);
}

#[test]
fn follows_the_write_rules() {
    let path = TempPath::new("writes");
    let store = file_store(&path);
    let photo = hopper();
    store.set_image(PersonId(5), &photo, None).unwrap();
    store.add_person(PersonId(6)).unwrap();
    check_writes(
        &store,
        &ConformanceFixture {
            with_image: (PersonId(5), photo),
            without_image: PersonId(6),
            missing: PersonId(7),
        },
    );
}

#[test]
fn keeps_metadata_with_the_version() {
    let path = TempPath::new("metadata");
    let store = file_store(&path);
    let photo = hopper();
    store.set_image(PersonId(5), &photo, None).unwrap();
    store.add_person(PersonId(6)).unwrap();
    check_metadata(
        &store,
        &ConformanceFixture {
            with_image: (PersonId(5), photo),
            without_image: PersonId(6),
            missing: PersonId(7),
        },
    );
}

#[test]
fn a_failed_write_changes_nothing() {
    let store = memory_store().with_max_bytes(1000);
    store.set_image(PersonId(1), b"small photo", None).unwrap();
    let before = found(&store, 1);
    let error = store
        .replace(PersonId(1), vec![0xFF; 2000].into(), None)
        .unwrap_err();
    assert_eq!(error.status(), 422);
    assert_eq!(found(&store, 1), before);
}
