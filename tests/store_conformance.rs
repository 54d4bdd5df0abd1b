//! The reference stores against the conformance suite, `DirectoryStore`'s file rules, and
//! `StaticAuthenticator`'s schemes.

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use person_image::{
    check_store_conformance, Authenticator, CallerIdentity, ConformanceFixture, Credentials,
    DirectoryStore, Error, ImageStore, Lookup, MemoryStore, PersonId, Principal, Secret,
    StaticAuthenticator, StoredImage,
};

fn hopper() -> Vec<u8> {
    common::corpus::corpus_bytes("jpeg/baseline_hopper.jpg")
}

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "person-image-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    /// Writes a fresh (writable) file; copying would keep the corpus's read-only mode.
    fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("write fixture file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn found(store: &dyn ImageStore, person: i32) -> StoredImage {
    match store.load(PersonId(person)) {
        Ok(Lookup::Found(image)) => image,
        other => panic!("person {person}: expected a photo, got {other:?}"),
    }
}

// ---- stores ----

#[test]
fn memory_store_conforms() {
    let photo = hopper();
    let store = MemoryStore::new()
        .with_image(PersonId(5), photo.clone())
        .with_person_without_image(PersonId(6));
    check_store_conformance(
        &store,
        &ConformanceFixture {
            with_image: (PersonId(5), photo),
            without_image: PersonId(6),
            missing: PersonId(7),
        },
    );
}

#[test]
fn memory_store_conforms_with_extreme_ids_in_the_fixture() {
    let photo = hopper();
    let store = MemoryStore::new()
        .with_image(PersonId(i32::MAX), photo.clone())
        .with_person_without_image(PersonId(i32::MIN));
    check_store_conformance(
        &store,
        &ConformanceFixture {
            with_image: (PersonId(i32::MAX), photo),
            without_image: PersonId(i32::MIN),
            missing: PersonId(0),
        },
    );
}

#[test]
fn directory_store_conforms() {
    let dir = TempDir::new("conformance");
    let photo = hopper();
    dir.write("5.jpg", &photo);
    dir.write("6.none", b"");
    check_store_conformance(
        &DirectoryStore::new(&dir.0),
        &ConformanceFixture {
            with_image: (PersonId(5), photo),
            without_image: PersonId(6),
            missing: PersonId(7),
        },
    );
}

#[test]
fn directory_store_declares_mime_and_modified_time() {
    let dir = TempDir::new("mime");
    dir.write("1.JPEG", &hopper());
    dir.write("2.png", b"not checked here");
    let store = DirectoryStore::new(&dir.0);
    let jpeg = found(&store, 1);
    assert_eq!(jpeg.declared_mime.as_deref(), Some("image/jpeg"));
    assert!(jpeg.modified.is_some());
    assert_eq!(found(&store, 2).declared_mime.as_deref(), Some("image/png"));
}

#[test]
fn directory_store_picks_a_deterministic_file_and_prefers_a_photo_over_none() {
    let dir = TempDir::new("several");
    dir.write("3.png", b"png");
    dir.write("3.jpg", b"jpg");
    dir.write("3.none", b"");
    let image = found(&DirectoryStore::new(&dir.0), 3);
    assert_eq!(image.bytes.as_ref(), b"jpg");
}

#[test]
fn directory_store_none_marker_means_no_image() {
    let dir = TempDir::new("none");
    dir.write("4.none", b"");
    dir.write("5.NONE", b"");
    let store = DirectoryStore::new(&dir.0);
    assert_eq!(store.load(PersonId(4)).unwrap(), Lookup::NoImage);
    assert_eq!(store.load(PersonId(5)).unwrap(), Lookup::NoImage);
    assert_eq!(store.load(PersonId(6)).unwrap(), Lookup::NoSuchPerson);
}

#[test]
fn directory_store_replacing_a_file_changes_the_version() {
    let dir = TempDir::new("replace");
    let photo = hopper();
    dir.write("8.jpg", &photo);
    let store = DirectoryStore::new(&dir.0);
    let before = found(&store, 8);

    // Same length, one byte different, written immediately: mtime alone might not change.
    let mut changed = photo.clone();
    let last = changed.len() - 3;
    changed[last] ^= 0xFF;
    dir.write("8.jpg", &changed);
    let after = found(&store, 8);

    assert_ne!(before.version, after.version);
    assert_eq!(after.bytes.as_ref(), changed.as_slice());
}

#[test]
fn directory_store_refuses_oversize_files() {
    let dir = TempDir::new("oversize");
    let photo = hopper();
    dir.write("9.jpg", &photo);
    let max = photo.len() as u64 - 1;
    let store = DirectoryStore::new(&dir.0).with_max_bytes(max);
    match store.load(PersonId(9)) {
        Err(
            error @ Error::LimitExceeded {
                limit: "source bytes",
                ..
            },
        ) => {
            assert_eq!(error.status(), 422);
            assert!(matches!(error, Error::LimitExceeded { max: m, actual, .. }
                if m == max && actual == photo.len() as u64));
        }
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    let at_limit = DirectoryStore::new(&dir.0).with_max_bytes(photo.len() as u64);
    assert_eq!(found(&at_limit, 9).bytes.len(), photo.len());
}

#[test]
fn directory_store_unreadable_path_is_a_store_error() {
    let dir = TempDir::new("unreadable");
    std::fs::create_dir(dir.0.join("9.jpg")).expect("create directory");
    dir.write("9.none", b"");
    match DirectoryStore::new(&dir.0).load(PersonId(9)) {
        Err(error @ Error::Store(_)) => assert_eq!(error.status(), 500),
        other => panic!("expected a store error, got {other:?}"),
    }
}

#[test]
fn directory_store_handles_negative_ids() {
    let dir = TempDir::new("negative");
    dir.write("-3.gif", b"GIF89a");
    let store = DirectoryStore::new(&dir.0);
    assert_eq!(found(&store, -3).bytes.as_ref(), b"GIF89a");
    assert_eq!(store.load(PersonId(3)).unwrap(), Lookup::NoSuchPerson);
}

// ---- authenticator ----

fn identity(credentials: Credentials) -> CallerIdentity {
    CallerIdentity {
        credentials,
        app_token: None,
    }
}

fn basic(user: &str, password: &str) -> CallerIdentity {
    identity(Credentials::Basic {
        user: user.into(),
        password: Secret::new(password),
    })
}

fn session(cookies: &[(&str, &str)]) -> CallerIdentity {
    identity(Credentials::Session {
        cookies: cookies
            .iter()
            .map(|(name, value)| (name.to_string(), Secret::new(*value)))
            .collect(),
    })
}

const SECRETS: [&str; 5] = [
    "pa55word-XYZ",
    "7T:ticket-ABC",
    "bearer-token-DEF",
    "cookie-value-GHI",
    "app-token-JKL",
];

fn configured() -> StaticAuthenticator {
    StaticAuthenticator::new()
        .user("alice", SECRETS[0])
        .ticket(SECRETS[1], "bob")
        .bearer(SECRETS[2], "reporting")
        .session_cookie("SuperOfficeSession", SECRETS[3], "carol")
        .deny("alice", PersonId(13))
}

fn assert_401(result: person_image::Result<Principal>) -> Error {
    match result {
        Err(error) if error.status() == 401 => {
            let message = error.to_string();
            for secret in SECRETS {
                assert!(!message.contains(secret), "{message} leaks a secret");
            }
            error
        }
        other => panic!("expected 401, got {other:?}"),
    }
}

#[test]
fn basic_is_accepted_and_rejected() {
    let auth = configured();
    assert_eq!(
        auth.authenticate(&basic("alice", SECRETS[0])).unwrap(),
        Principal::new("alice")
    );
    assert_401(auth.authenticate(&basic("alice", "wrong")));
    assert_401(auth.authenticate(&basic("mallory", SECRETS[0])));
    assert_401(auth.authenticate(&basic("alice", "")));
}

#[test]
fn soticket_is_accepted_and_rejected() {
    let auth = configured();
    let ok = identity(Credentials::SoTicket(Secret::new(SECRETS[1])));
    assert_eq!(auth.authenticate(&ok).unwrap(), Principal::new("bob"));
    assert_401(auth.authenticate(&identity(Credentials::SoTicket(Secret::new("7T:other")))));
    // A ticket is not a bearer token.
    assert_401(auth.authenticate(&identity(Credentials::Bearer(Secret::new(SECRETS[1])))));
}

#[test]
fn bearer_is_accepted_and_rejected() {
    let auth = configured();
    let ok = identity(Credentials::Bearer(Secret::new(SECRETS[2])));
    assert_eq!(auth.authenticate(&ok).unwrap(), Principal::new("reporting"));
    assert_401(auth.authenticate(&identity(Credentials::Bearer(Secret::new(
        "bearer-token-DEX",
    )))));
}

#[test]
fn session_cookie_is_accepted_and_rejected() {
    let auth = configured();
    let ok = session(&[("XSRF-TOKEN", "x"), ("SuperOfficeSession", SECRETS[3])]);
    assert_eq!(auth.authenticate(&ok).unwrap(), Principal::new("carol"));
    assert_401(auth.authenticate(&session(&[("SuperOfficeSession", "stale")])));
    assert_401(auth.authenticate(&session(&[("OtherCookie", SECRETS[3])])));
    assert_401(auth.authenticate(&session(&[])));
}

#[test]
fn unconfigured_schemes_are_rejected() {
    let auth = StaticAuthenticator::new();
    assert_401(auth.authenticate(&basic("alice", SECRETS[0])));
    assert_401(auth.authenticate(&identity(Credentials::Bearer(Secret::new(SECRETS[2])))));
    assert_401(auth.authenticate(&session(&[("SuperOfficeSession", SECRETS[3])])));
}

#[test]
fn app_token_can_be_required() {
    let auth = configured().require_app_token(SECRETS[4]);
    let mut caller = basic("alice", SECRETS[0]);
    assert!(assert_401(auth.authenticate(&caller))
        .to_string()
        .contains("SO-AppToken"));
    caller.app_token = Some(Secret::new("app-token-WRONG"));
    assert_401(auth.authenticate(&caller));
    caller.app_token = Some(Secret::new(SECRETS[4]));
    assert_eq!(auth.authenticate(&caller).unwrap(), Principal::new("alice"));
    // The right app token does not rescue wrong credentials.
    let mut wrong = basic("alice", "wrong");
    wrong.app_token = Some(Secret::new(SECRETS[4]));
    assert_401(auth.authenticate(&wrong));
}

#[test]
fn deny_answers_403_for_that_pair_only() {
    let auth = configured();
    let alice = Principal::new("alice");
    let error = auth.authorize(&alice, PersonId(13)).unwrap_err();
    assert_eq!(error.status(), 403);
    assert!(auth.authorize(&alice, PersonId(14)).is_ok());
    assert!(auth.authorize(&Principal::new("bob"), PersonId(13)).is_ok());
}

#[test]
fn challenges_follow_the_configuration() {
    assert_eq!(
        configured().challenges(),
        [r#"Basic realm="person-image""#, "SOTicket", "Bearer"]
    );
    assert_eq!(
        StaticAuthenticator::new().ticket("t", "p").challenges(),
        ["SOTicket"]
    );
}

#[test]
fn debug_shows_no_secret() {
    let auth = configured().require_app_token(SECRETS[4]);
    for text in [format!("{auth:?}"), format!("{auth:#?}")] {
        for secret in SECRETS {
            assert!(!text.contains(secret), "{text} leaks {secret}");
        }
        assert!(text.contains("alice"), "{text}");
    }
}

// ---- sharing ----

fn assert_send_sync<T: Send + Sync + ?Sized>() {}

#[test]
fn trait_objects_are_shareable() {
    assert_send_sync::<MemoryStore>();
    assert_send_sync::<DirectoryStore>();
    assert_send_sync::<StaticAuthenticator>();
    assert_send_sync::<Arc<dyn ImageStore>>();
    assert_send_sync::<Arc<dyn Authenticator>>();

    let store: Arc<dyn ImageStore> =
        Arc::new(MemoryStore::new().with_image(PersonId(1), &b"x"[..]));
    let auth: Arc<dyn Authenticator> = Arc::new(configured());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let principal = auth.authenticate(&basic("alice", SECRETS[0])).unwrap();
                auth.authorize(&principal, PersonId(1)).unwrap();
                assert!(matches!(store.load(PersonId(1)), Ok(Lookup::Found(_))));
            });
        }
    });
    // The blanket `Arc` impls make an `Arc` itself a store and an authenticator.
    let nested: Arc<Arc<dyn ImageStore>> = Arc::new(Arc::clone(&store));
    assert!(matches!(nested.load(PersonId(2)), Ok(Lookup::NoSuchPerson)));
    assert!(!Arc::clone(&auth).challenges().is_empty());
}
