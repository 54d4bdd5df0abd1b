//! A conformance suite any [`ImageStore`](super::ImageStore) can run from its own tests.

use std::panic::{self, AssertUnwindSafe};

use super::{ImageStore, Lookup};
use crate::person_id::PersonId;

/// What the store under test was seeded with, so the suite knows the right answers.
#[derive(Debug, Clone)]
pub struct ConformanceFixture {
    /// A person with a photo, and that photo's exact bytes.
    pub with_image: (PersonId, Vec<u8>),
    /// A person who exists without a photo.
    pub without_image: PersonId,
    /// An id no person has.
    pub missing: PersonId,
}

/// How many threads load concurrently in the concurrency rule.
const THREADS: usize = 4;

/// How many rounds each thread runs in the concurrency rule.
const ROUNDS: usize = 8;

/// Runs every rule an `ImageStore` must follow; panics with a message naming the broken rule.
///
/// Seed the store with the fixture's three persons, then call this from a test. The rules:
///
/// 1. The person with a photo is [`Lookup::Found`] with exactly the fixture's bytes, a non-empty
///    version, and a declared MIME type (if any) that parses as a MIME type.
/// 2. Loading the same photo twice gives the same version (versions are cache keys).
/// 3. The person without a photo is [`Lookup::NoImage`].
/// 4. The missing person is [`Lookup::NoSuchPerson`].
/// 5. Negative and extreme ids (`-1`, `i32::MIN`, `i32::MAX`) neither panic nor fail: they are
///    [`Lookup::NoSuchPerson`] unless the fixture uses them.
/// 6. Loads from several threads at once give the same answers as a load from one thread.
///
/// None of these loads may return an error.
///
/// # Panics
///
/// When the store breaks a rule; the message names it (e.g. `ImageStore conformance: rule
/// "no-image": ...`).
///
/// # Example
///
/// A third-party store's test; here [`InMemory`](crate::InMemory) stands in for it:
///
/// ```
/// use person_image::PersonId;
/// use person_image::store::{ConformanceFixture, InMemory, check_conformance};
///
/// let photo = b"\xFF\xD8\xFF\xE0 not really a JPEG".to_vec();
/// let store = InMemory::new()
///     .with_image(PersonId(1), photo.clone())
///     .with_person_without_image(PersonId(2));
///
/// check_conformance(
///     &store,
///     &ConformanceFixture {
///         with_image: (PersonId(1), photo),
///         without_image: PersonId(2),
///         missing: PersonId(3),
///     },
/// );
/// ```
pub fn check_conformance(store: &dyn ImageStore, fixture: &ConformanceFixture) {
    let (with_image, expected_bytes) = (fixture.with_image.0, fixture.with_image.1.as_slice());

    let first = load(store, with_image, "found");
    let image = match &first {
        Lookup::Found(image) => image,
        other => broken(
            "found",
            format!(
                "person {with_image} should have a photo, got {}",
                describe(other)
            ),
        ),
    };
    if image.bytes.as_ref() != expected_bytes {
        broken(
            "exact-bytes",
            format!(
                "person {with_image}'s photo should be the fixture's {} bytes, got {} different bytes",
                expected_bytes.len(),
                image.bytes.len()
            ),
        );
    }
    if image.version.is_empty() {
        broken(
            "version-non-empty",
            format!("person {with_image}'s photo has an empty version"),
        );
    }
    if let Some(declared) = &image.declared_mime {
        if declared.parse::<mime::Mime>().is_err() {
            broken(
                "declared-mime-parses",
                format!("person {with_image}'s declared MIME type {declared:?} does not parse"),
            );
        }
    }

    let second = load(store, with_image, "version-stable");
    match &second {
        Lookup::Found(again) if again.version == image.version => {}
        Lookup::Found(again) => broken(
            "version-stable",
            format!(
                "two loads of person {with_image}'s unchanged photo gave versions {:?} and {:?}",
                image.version, again.version
            ),
        ),
        other => broken(
            "version-stable",
            format!(
                "the second load of person {with_image} gave {}",
                describe(other)
            ),
        ),
    }

    expect(store, fixture.without_image, &Lookup::NoImage, "no-image");
    expect(
        store,
        fixture.missing,
        &Lookup::NoSuchPerson,
        "no-such-person",
    );

    let used = [with_image, fixture.without_image, fixture.missing];
    for id in [-1, i32::MIN, i32::MAX].map(PersonId) {
        if !used.contains(&id) {
            expect(store, id, &Lookup::NoSuchPerson, "extreme-ids");
        }
    }

    let expected = [
        (with_image, first),
        (fixture.without_image, Lookup::NoImage),
        (fixture.missing, Lookup::NoSuchPerson),
    ];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..ROUNDS {
                        for (person, answer) in &expected {
                            let got = load(store, *person, "concurrent-loads");
                            if got != *answer {
                                broken(
                                    "concurrent-loads",
                                    format!(
                                        "person {person} gave {} under concurrency, {} alone",
                                        describe(&got),
                                        describe(answer)
                                    ),
                                );
                            }
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            if let Err(payload) = worker.join() {
                panic::resume_unwind(payload);
            }
        }
    });
}

/// Loads `person`, turning an error or a panic into a conformance failure of `rule`.
fn load(store: &dyn ImageStore, person: PersonId, rule: &str) -> Lookup {
    match panic::catch_unwind(AssertUnwindSafe(|| store.load(person))) {
        Ok(Ok(lookup)) => lookup,
        Ok(Err(error)) => broken(
            rule,
            format!(
                "loading person {person} failed: {error} (status {})",
                error.status()
            ),
        ),
        Err(_) => broken(rule, format!("loading person {person} panicked")),
    }
}

/// Checks that `person` loads as `expected` (a variant without a photo).
fn expect(store: &dyn ImageStore, person: PersonId, expected: &Lookup, rule: &str) {
    let got = load(store, person, rule);
    if got != *expected {
        broken(
            rule,
            format!(
                "person {person} should be {}, got {}",
                describe(expected),
                describe(&got)
            ),
        );
    }
}

/// A short description of a lookup, without dumping the photo's bytes.
fn describe(lookup: &Lookup) -> String {
    match lookup {
        Lookup::Found(image) => format!(
            "Found({} bytes, version {:?})",
            image.bytes.len(),
            image.version
        ),
        Lookup::NoImage => "NoImage".to_owned(),
        Lookup::NoSuchPerson => "NoSuchPerson".to_owned(),
    }
}

fn broken(rule: &str, detail: String) -> ! {
    panic!("ImageStore conformance: rule {rule:?} broken: {detail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{InMemory, StoredImage};
    use crate::Result;

    fn fixture() -> ConformanceFixture {
        ConformanceFixture {
            with_image: (PersonId(1), b"photo".to_vec()),
            without_image: PersonId(2),
            missing: PersonId(3),
        }
    }

    fn failure_of(store: &dyn ImageStore) -> String {
        let payload =
            panic::catch_unwind(AssertUnwindSafe(|| check_conformance(store, &fixture())))
                .expect_err("the suite should fail");
        payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn a_correct_store_passes() {
        let store = InMemory::new()
            .with_image(PersonId(1), &b"photo"[..])
            .with_person_without_image(PersonId(2));
        check_conformance(&store, &fixture());
    }

    #[test]
    fn wrong_bytes_are_reported() {
        let store = InMemory::new()
            .with_image(PersonId(1), &b"other"[..])
            .with_person_without_image(PersonId(2));
        assert!(failure_of(&store).contains("exact-bytes"));
    }

    #[test]
    fn a_missing_no_image_person_is_reported() {
        let store = InMemory::new().with_image(PersonId(1), &b"photo"[..]);
        assert!(failure_of(&store).contains("\"no-image\""));
    }

    struct Failing;

    impl ImageStore for Failing {
        fn load(&self, _: PersonId) -> Result<Lookup> {
            Err(crate::Error::store("reading", "disk on fire"))
        }
    }

    #[test]
    fn errors_are_reported() {
        let message = failure_of(&Failing);
        assert!(
            message.contains("\"found\"") && message.contains("status 500"),
            "{message}"
        );
    }

    struct Panicking;

    impl ImageStore for Panicking {
        fn load(&self, person: PersonId) -> Result<Lookup> {
            match person.get() {
                1 => Ok(Lookup::Found(StoredImage {
                    bytes: bytes::Bytes::from_static(b"photo"),
                    declared_mime: None,
                    version: "v".into(),
                    modified: None,
                })),
                2 => Ok(Lookup::NoImage),
                id if id < 0 => panic!("negative id"),
                _ => Ok(Lookup::NoSuchPerson),
            }
        }
    }

    #[test]
    fn panics_on_extreme_ids_are_reported() {
        assert!(failure_of(&Panicking).contains("extreme-ids"));
    }
}
