//! The reference stores against the conformance suite, `Directory`'s file rules, and
//! `StaticAuthenticator`'s schemes.

mod common;

use std::sync::Arc;

use person_image::auth::{
    Action, Authenticator, CallerIdentity, Credentials, Principal, Secret, StaticAuthenticator,
};
use person_image::store::{
    check_conformance, check_metadata, check_replaced_between_calls, check_writes,
    ConformanceFixture, Deleted, Directory, ImageStore, InMemory, Lookup, Replaced, WritableStore,
};
use person_image::{Error, PersonId};

use common::corpus::hopper;

use common::temp::TempDir;

use common::found;

// ---- stores ----

#[test]
fn memory_store_conforms() {
    let photo = hopper();
    let store = InMemory::new()
        .with_image(PersonId(5), photo.clone())
        .with_person_without_image(PersonId(6));
    check_conformance(
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
    let store = InMemory::new()
        .with_image(PersonId(i32::MAX), photo.clone())
        .with_person_without_image(PersonId(i32::MIN));
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
fn directory_store_conforms() {
    let dir = TempDir::new("conformance");
    let photo = hopper();
    dir.write("5.jpg", &photo);
    dir.write("6.none", b"");
    check_conformance(
        &Directory::new(dir.path()),
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
    let store = Directory::new(dir.path());
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
    let image = found(&Directory::new(dir.path()), 3);
    assert_eq!(image.bytes.as_ref(), b"jpg");
}

#[test]
fn directory_store_none_marker_means_no_image() {
    let dir = TempDir::new("none");
    dir.write("4.none", b"");
    dir.write("5.NONE", b"");
    let store = Directory::new(dir.path());
    assert_eq!(store.lookup(PersonId(4)).unwrap(), Lookup::NoImage);
    assert_eq!(store.lookup(PersonId(5)).unwrap(), Lookup::NoImage);
    assert_eq!(store.lookup(PersonId(6)).unwrap(), Lookup::NoSuchPerson);
}

/// Writes `bytes` as `name` the way photos should be replaced: a new file renamed over the old.
fn replace_by_rename(dir: &TempDir, name: &str, bytes: &[u8]) {
    let staged = dir.write(&format!(".{name}.new"), bytes);
    std::fs::rename(staged, dir.path().join(name)).expect("rename over the photo");
}

#[test]
fn directory_store_replacing_a_file_changes_the_version() {
    let dir = TempDir::new("replace");
    let photo = hopper();
    dir.write("8.jpg", &photo);
    let store = Directory::new(dir.path());
    let before = found(&store, 8);

    // Same length, one byte different, renamed in at once: the new inode changes the version
    // even when the timestamps cannot tell the two files apart.
    let mut changed = photo.clone();
    let last = changed.len() - 3;
    changed[last] ^= 0xFF;
    replace_by_rename(&dir, "8.jpg", &changed);
    let after = found(&store, 8);
    assert_ne!(before.version, after.version);
    assert_eq!(after.bytes.as_ref(), changed.as_slice());

    // Rewritten in place (same inode, same length) later than the file system's timestamp
    // granularity: the modification and change times tell.
    std::thread::sleep(std::time::Duration::from_millis(50));
    dir.write("8.jpg", &photo);
    let rewritten = found(&store, 8);
    assert_ne!(rewritten.version, after.version);
    assert_eq!(rewritten.bytes.as_ref(), photo.as_slice());
}

#[test]
fn stores_never_serve_a_replaced_photo_under_the_old_version() {
    let photo = hopper();
    let other = common::corpus::corpus_bytes("jpeg/progressive_cat.jpg");
    let memory = InMemory::new().with_image(PersonId(1), photo.clone());
    check_replaced_between_calls(&memory, PersonId(1), &other, || {
        memory.insert(PersonId(1), other.clone());
    });

    let dir = TempDir::new("replaced-between");
    dir.write("1.jpg", &photo);
    let directory = Directory::new(dir.path());
    check_replaced_between_calls(&directory, PersonId(1), &other, || {
        replace_by_rename(&dir, "1.jpg", &other);
    });
    // Another extension taking over is a replacement too.
    check_replaced_between_calls(&directory, PersonId(1), &photo, || {
        std::fs::remove_file(dir.path().join("1.jpg")).unwrap();
        dir.write("1.JPEG", &photo);
    });
}

#[test]
fn repeated_requests_fetch_no_photo_bytes() {
    let photo = hopper();
    common::counting::assert_repeated_requests_fetch_nothing(
        InMemory::new().with_image(PersonId(1), photo.clone()),
        1,
    );
    let dir = TempDir::new("counting");
    dir.write("1.jpg", &photo);
    common::counting::assert_repeated_requests_fetch_nothing(Directory::new(dir.path()), 1);
}

#[test]
fn directory_store_refuses_oversize_files() {
    let dir = TempDir::new("oversize");
    let photo = hopper();
    dir.write("9.jpg", &photo);
    let max = photo.len() as u64 - 1;
    let store = Directory::new(dir.path()).with_max_bytes(max);
    match store.lookup(PersonId(9)) {
        Err(
            error @ Error::LimitExceeded {
                limit: person_image::LimitKind::SourceBytes,
                ..
            },
        ) => {
            assert_eq!(error.status(), 422);
            assert!(matches!(error, Error::LimitExceeded { max: m, actual, .. }
                if m == max && actual == photo.len() as u64));
        }
        other => panic!("expected LimitExceeded, got {other:?}"),
    }
    let at_limit = Directory::new(dir.path()).with_max_bytes(photo.len() as u64);
    assert_eq!(found(&at_limit, 9).bytes.len(), photo.len());
}

#[test]
fn directory_store_unreadable_path_is_a_store_error() {
    let dir = TempDir::new("unreadable");
    std::fs::create_dir(dir.path().join("9.jpg")).expect("create directory");
    dir.write("9.none", b"");
    match Directory::new(dir.path()).lookup(PersonId(9)) {
        Err(error @ Error::Store { .. }) => assert_eq!(error.status(), 500),
        other => panic!("expected a store error, got {other:?}"),
    }
}

#[test]
fn directory_store_handles_negative_ids() {
    let dir = TempDir::new("negative");
    dir.write("-3.gif", b"GIF89a");
    let store = Directory::new(dir.path());
    assert_eq!(found(&store, -3).bytes.as_ref(), b"GIF89a");
    assert_eq!(store.lookup(PersonId(3)).unwrap(), Lookup::NoSuchPerson);
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
    let error = auth
        .authorize(&alice, PersonId(13), Action::ReadImage)
        .unwrap_err();
    assert_eq!(error.status(), 403);
    assert!(auth
        .authorize(&alice, PersonId(14), Action::ReadImage)
        .is_ok());
    assert!(auth
        .authorize(&Principal::new("bob"), PersonId(13), Action::ReadImage)
        .is_ok());
    let denied_write = auth.authorize(&alice, PersonId(13), Action::ReplaceImage);
    assert_eq!(denied_write.unwrap_err().status(), 403);
}

#[test]
fn read_only_principals_read_but_never_write() {
    let auth = configured().read_only("bob");
    let bob = Principal::new("bob");
    for action in [Action::ReadImage, Action::ReadInfo] {
        assert!(
            auth.authorize(&bob, PersonId(1), action).is_ok(),
            "{action:?}"
        );
    }
    for action in [Action::ReplaceImage, Action::DeleteImage] {
        let error = auth.authorize(&bob, PersonId(1), action).unwrap_err();
        assert_eq!(error.status(), 403, "{action:?}");
        assert!(
            error.message().contains("bob may not"),
            "{}",
            error.message()
        );
    }
    let alice = Principal::new("alice");
    assert!(auth
        .authorize(&alice, PersonId(1), Action::DeleteImage)
        .is_ok());
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
    assert_send_sync::<InMemory>();
    assert_send_sync::<Directory>();
    assert_send_sync::<StaticAuthenticator>();
    assert_send_sync::<Arc<dyn ImageStore>>();
    assert_send_sync::<Arc<dyn Authenticator>>();

    let store: Arc<dyn ImageStore> = Arc::new(InMemory::new().with_image(PersonId(1), &b"x"[..]));
    let auth: Arc<dyn Authenticator> = Arc::new(configured());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let principal = auth.authenticate(&basic("alice", SECRETS[0])).unwrap();
                auth.authorize(&principal, PersonId(1), Action::ReadImage)
                    .unwrap();
                assert!(matches!(store.lookup(PersonId(1)), Ok(Lookup::Found(_))));
            });
        }
    });
    // The blanket `Arc` impls make an `Arc` itself a store and an authenticator.
    let nested: Arc<Arc<dyn ImageStore>> = Arc::new(Arc::clone(&store));
    assert!(matches!(
        nested.lookup(PersonId(2)),
        Ok(Lookup::NoSuchPerson)
    ));
    assert!(!Arc::clone(&auth).challenges().is_empty());
}

#[test]
fn memory_and_directory_stores_keep_metadata_with_the_version() {
    let photo = hopper();
    let fixture = ConformanceFixture {
        with_image: (PersonId(5), photo.clone()),
        without_image: PersonId(6),
        missing: PersonId(7),
    };
    let memory = InMemory::new()
        .with_image(PersonId(5), photo.clone())
        .with_person_without_image(PersonId(6));
    check_metadata(&memory, &fixture);

    let dir = TempDir::new("metadata");
    dir.write("5.jpg", &photo);
    dir.write("6.none", b"");
    check_metadata(&Directory::new(dir.path()), &fixture);
    // The sidecar went with the photo (deleted, then a new photo without metadata).
    assert!(!dir.path().join("5.meta").exists());
}

#[test]
fn memory_and_directory_stores_follow_the_write_rules() {
    let photo = hopper();
    let fixture = ConformanceFixture {
        with_image: (PersonId(5), photo.clone()),
        without_image: PersonId(6),
        missing: PersonId(7),
    };
    let memory = InMemory::new()
        .with_image(PersonId(5), photo.clone())
        .with_person_without_image(PersonId(6));
    check_writes(&memory, &fixture);

    let dir = TempDir::new("writes");
    dir.write("5.jpg", &photo);
    dir.write("6.none", b"");
    check_writes(&Directory::new(dir.path()), &fixture);
    // Nothing is left behind: no staged files, one photo per person, no stale marker.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, [".person-image.lock", "5.jpg", "6.none"]);
}

#[test]
fn directory_writes_replace_other_formats_and_keep_failed_writes_out() {
    let dir = TempDir::new("write-formats");
    dir.write("1.jpg", &hopper());
    let store = Directory::new(dir.path());
    let png = common::corpus::corpus_bytes("png/basn6a08.png");
    let Replaced::Stored(info) = store
        .replace(PersonId(1), png.clone().into(), None)
        .unwrap()
    else {
        panic!("person 1 exists");
    };
    assert_eq!(info.declared_mime.as_deref(), Some("image/png"));
    assert!(dir.path().join("1.png").is_file() && !dir.path().join("1.jpg").exists());
    assert_eq!(found(&store, 1).bytes.as_ref(), png.as_slice());

    // Bytes that are no image format: refused, the photo untouched.
    let error = store
        .replace(PersonId(1), bytes::Bytes::from_static(b"hello"), None)
        .unwrap_err();
    assert_eq!(error.status(), 422);
    assert_eq!(found(&store, 1).bytes.as_ref(), png.as_slice());
    assert_eq!(store.delete(PersonId(1)).unwrap(), Deleted::Removed);
    assert!(dir.path().join("1.none").is_file() && !dir.path().join("1.png").exists());
}
