//! Helpers shared by the integration tests; each test binary includes this with `mod common;`,
//! and uses only some of it.
#![allow(dead_code, unreachable_pub)]

pub mod bench_photos;
#[cfg(feature = "tower")]
pub mod body;
pub mod corpus;
pub mod counting;
pub mod face_labels;
#[cfg(feature = "object-store")]
pub mod fleet;
pub mod gate;
pub mod pixels;
pub mod random;
pub mod reference;
pub mod temp;

/// Base64 for building `Basic` headers and reading JSON bodies: the crate's own implementation,
/// compiled in from its one home rather than written again here.
#[path = "../../src/base64.rs"]
pub mod base64;

/// FNV-1a, which names the variant tier's keys: the crate's own, compiled in from its one home.
#[path = "../../src/digest.rs"]
pub mod digest;

use person_image::request::Method;
use person_image::store::{Fetch, ImageStore, InMemory, Lookup, StoredImage};
use person_image::{ImageResponse, ImageService, PersonId, PersonImageServiceExt};

/// A GET of `target` with the one header `auth` (name, value), at the service's own limits.
pub fn get_as(service: &ImageService, target: &str, auth: (&str, &[u8])) -> ImageResponse {
    service.handle(
        Method::Get,
        target,
        [auth],
        bytes::Bytes::new(),
        service.limits(),
    )
}

/// Looks `person` up and fetches the photo, as one value for assertions, looking up again when
/// a writer replaced the photo in between (as the service does); panics when the person has no
/// photo or a call fails.
pub fn found(store: &dyn ImageStore, person: i32) -> StoredImage {
    let person = PersonId(person);
    for _ in 0..100 {
        let info = match store.lookup(person) {
            Ok(Lookup::Found(info)) => info,
            other => panic!("person {person}: expected a photo, got {other:?}"),
        };
        match store.fetch(person, &info) {
            Ok(Fetch::Current(bytes)) => {
                assert_eq!(bytes.len() as u64, info.len, "person {person}: length");
                return StoredImage {
                    bytes,
                    declared_mime: info.declared_mime,
                    version: info.version,
                    modified: info.modified,
                };
            }
            Ok(Fetch::Changed) => continue,
            Err(error) => panic!("person {person}: fetching the photo failed: {error}"),
        }
    }
    panic!("person {person}: the photo changed on 100 fetches in a row")
}

/// The serve example's persons 1 (a JPEG photo) and 2 (a PNG portrait) from `fixtures/persons/`.
pub fn fixture_store() -> InMemory {
    let fixture = |name: &str| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/persons/").to_owned() + name;
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    };
    let store = InMemory::new();
    store.insert(PersonId(1), fixture("1.jpg"));
    store.insert(PersonId(2), fixture("2.png"));
    store
}

/// The conformance fixture of a store seeded with hopper as person 1 and person 2 without a
/// photo; person 3 is unknown.
pub fn seeded_fixture() -> person_image::store::ConformanceFixture {
    person_image::store::ConformanceFixture {
        with_image: (PersonId(1), corpus::hopper()),
        without_image: PersonId(2),
        missing: PersonId(3),
    }
}
