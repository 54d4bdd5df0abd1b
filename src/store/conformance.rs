//! A conformance suite any [`ImageStore`](super::ImageStore) can run from its own tests.

use std::panic::{self, AssertUnwindSafe};

use bytes::Bytes;

use super::{
    Deleted, Fetch, ImageInfo, ImageStore, Lookup, MetadataWritten, Opened, PhotoMetadata,
    Replaced, WritableStore,
};
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

/// How many threads call the store concurrently in the concurrency rule.
const THREADS: usize = 4;

/// How many rounds each thread runs in the concurrency rule.
const ROUNDS: usize = 8;

/// Runs every rule an `ImageStore` must follow; panics with a message naming the broken rule.
///
/// Seed the store with the fixture's three persons, then call this from a test. The rules:
///
/// 1. The person with a photo is [`Lookup::Found`] with a non-empty version, the length of the
///    fixture's bytes, and a declared MIME type (if any) that parses as a MIME type.
/// 2. Fetching that version gives [`Fetch::Current`] with exactly the fixture's bytes.
///    Here and in rules 4, 5 and [`check_replaced_between_calls`], opening it
///    ([`ImageStore::open`]) reads the same bytes, or is [`Opened::Changed`] when the fetch is
///    (rule `open-matches-fetch`).
/// 3. Looking the same photo up twice gives the same version (versions are cache keys).
/// 4. Fetching a version the store never had is [`Fetch::Changed`], never bytes.
/// 5. The person without a photo is [`Lookup::NoImage`], and fetching for them is
///    [`Fetch::Changed`].
/// 6. The missing person is [`Lookup::NoSuchPerson`].
/// 7. Negative and extreme ids (`-1`, `i32::MIN`, `i32::MAX`) neither panic nor fail: they are
///    [`Lookup::NoSuchPerson`] unless the fixture uses them.
/// 8. Lookups and fetches from several threads at once give the same answers as from one thread.
///
/// None of these calls may return an error. Run [`check_replaced_between_calls`] as well.
///
/// # Panics
///
/// When the store breaks a rule; the message names it (e.g. `ImageStore conformance: rule
/// "no-image": ...`).
///
/// # Example
///
/// A third-party store's test; here [`InMemory`](super::InMemory) stands in for it:
///
/// ```
/// use person_image::PersonId;
/// use person_image::store::{check_conformance, check_replaced_between_calls};
/// use person_image::store::{ConformanceFixture, InMemory};
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
/// check_replaced_between_calls(&store, PersonId(1), b"a new photo", || {
///     store.insert(PersonId(1), &b"a new photo"[..]);
/// });
/// ```
pub fn check_conformance(store: &dyn ImageStore, fixture: &ConformanceFixture) {
    let (with_image, expected_bytes) = (fixture.with_image.0, fixture.with_image.1.as_slice());

    let first = lookup(store, with_image, "found");
    let info = found(&first, with_image, "found");
    if info.version.is_empty() {
        broken(
            "version-non-empty",
            format!("person {with_image}'s photo has an empty version"),
        );
    }
    if info.len != expected_bytes.len() as u64 {
        broken(
            "length",
            format!(
                "person {with_image}'s photo should be {} bytes long, the lookup says {}",
                expected_bytes.len(),
                info.len
            ),
        );
    }
    if let Some(declared) = &info.declared_mime {
        if declared.parse::<mime::Mime>().is_err() {
            broken(
                "declared-mime-parses",
                format!("person {with_image}'s declared MIME type {declared:?} does not parse"),
            );
        }
    }
    match fetch_and_open(store, with_image, info, "exact-bytes") {
        Fetch::Current(bytes) if bytes.as_ref() == expected_bytes => {}
        Fetch::Current(bytes) => broken(
            "exact-bytes",
            format!(
                "person {with_image}'s photo should be the fixture's {} bytes, got {} different bytes",
                expected_bytes.len(),
                bytes.len()
            ),
        ),
        Fetch::Changed => broken(
            "exact-bytes",
            format!("fetching person {with_image}'s unchanged photo said it changed"),
        ),
    }

    let second = lookup(store, with_image, "version-stable");
    let again = found(&second, with_image, "version-stable");
    if again.version != info.version {
        broken(
            "version-stable",
            format!(
                "two lookups of person {with_image}'s unchanged photo gave versions {:?} and {:?}",
                info.version, again.version
            ),
        );
    }

    let unknown = ImageInfo {
        version: format!("{}-never-stored", info.version),
        ..info.clone()
    };
    expect_changed(store, with_image, &unknown, "unknown-version");

    expect(store, fixture.without_image, &Lookup::NoImage, "no-image");
    expect_changed(store, fixture.without_image, info, "no-image");
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
        (with_image, first.clone()),
        (fixture.without_image, Lookup::NoImage),
        (fixture.missing, Lookup::NoSuchPerson),
    ];
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    for _ in 0..ROUNDS {
                        for (person, answer) in &expected {
                            let got = lookup(store, *person, "concurrent-calls");
                            if got != *answer {
                                broken(
                                    "concurrent-calls",
                                    format!(
                                        "person {person} gave {} under concurrency, {} alone",
                                        describe(&got),
                                        describe(answer)
                                    ),
                                );
                            }
                        }
                        match fetch(store, with_image, info, "concurrent-calls") {
                            Fetch::Current(bytes) if bytes.as_ref() == expected_bytes => {}
                            _ => broken(
                                "concurrent-calls",
                                format!("fetching person {with_image} under concurrency differed"),
                            ),
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

/// Checks the rule that keeps ETags honest: a photo replaced between [`ImageStore::lookup`] and
/// [`ImageStore::fetch`] is never served under the old version.
///
/// `person` must have a photo; `replace` must store `new_bytes` (different from the current
/// photo) as that person's photo through your store's own means. The rules:
///
/// 1. After the replacement, fetching the version looked up before is [`Fetch::Changed`].
/// 2. A new lookup gives another version, the new length, and fetching it gives `new_bytes`.
///
/// # Panics
///
/// When the store breaks a rule (rule `replaced-between-calls`).
pub fn check_replaced_between_calls(
    store: &dyn ImageStore,
    person: PersonId,
    new_bytes: &[u8],
    replace: impl FnOnce(),
) {
    let rule = "replaced-between-calls";
    let before = lookup(store, person, rule);
    let old = found(&before, person, rule).clone();
    replace();
    expect_changed(store, person, &old, rule);
    let after = lookup(store, person, rule);
    let new = found(&after, person, rule);
    if new.version == old.version {
        broken(
            rule,
            format!(
                "person {person}'s replaced photo kept version {:?}",
                old.version
            ),
        );
    }
    if new.len != new_bytes.len() as u64 {
        broken(
            rule,
            format!(
                "person {person}'s new photo has {} bytes, the lookup says {}",
                new_bytes.len(),
                new.len
            ),
        );
    }
    match fetch_and_open(store, person, new, rule) {
        Fetch::Current(bytes) if bytes.as_ref() == new_bytes => {}
        other => broken(
            rule,
            format!(
                "fetching person {person}'s new photo gave {}",
                describe_fetch(&other)
            ),
        ),
    }
}

/// Runs the rules every [`WritableStore`] must follow; panics with a message naming the broken
/// rule. Seed a store of its own (the suite writes to it) with the fixture's persons. The rules:
///
/// 1. `write-then-read`: replacing the photo gives a new version, and a lookup and fetch give
///    exactly the new bytes; so does replacing the "no photo" mark of the person without one.
/// 2. `new-version-every-write`: a write gives a version that never named other bytes: a new one,
///    or, for a store whose versions are digests of the content (an S3 object's `ETag` is its
///    MD5), the version the very same bytes had before. Caches and entity tags keyed by version
///    then never mix two photos up.
/// 3. `write-unknown-person`: a replacement for the missing person is
///    [`Replaced::NoSuchPerson`] and creates no one.
/// 4. `delete`: deleting leaves the person without a photo ([`Deleted::Removed`], then
///    [`Deleted::HadNoImage`]); deleting for the missing person is [`Deleted::NoSuchPerson`].
/// 5. `readers-during-writes`: while one thread keeps replacing the photo, readers on other
///    threads always find a photo, and its bytes are one of the written photos, whole.
/// 6. `concurrent-writers`: two threads replacing at once end with one of their photos, whole.
///
/// # Panics
///
/// When the store breaks a rule, or a call fails.
pub fn check_writes(store: &dyn WritableStore, fixture: &ConformanceFixture) {
    let (person, first) = (fixture.with_image.0, fixture.with_image.1.clone());
    // A second photo: the same leading (magic) bytes, so a store that names files by format
    // sees the same format, but different bytes and length.
    let mut second = first.clone();
    second.extend_from_slice(b"second photo");
    let photos = [Bytes::from(first), Bytes::from(second)];

    let mut versions = vec![(
        found_info(store, person, "write-then-read").version,
        photos[0].clone(),
    )];
    // The first write repeats the stored bytes, and the second pair repeats the first.
    for (round, photo) in photos.iter().chain(photos.iter()).enumerate() {
        let info = replaced(store, person, photo, "write-then-read");
        if versions
            .iter()
            .any(|(version, bytes)| *version == info.version && bytes != photo)
        {
            broken(
                "new-version-every-write",
                format!(
                    "write {round} reused version {:?}, which named other bytes",
                    info.version
                ),
            );
        }
        versions.push((info.version.clone(), photo.clone()));
        expect_photo(store, person, &info, photo, "write-then-read");
    }
    let info = replaced(store, fixture.without_image, &photos[0], "write-then-read");
    expect_photo(
        store,
        fixture.without_image,
        &info,
        &photos[0],
        "write-then-read",
    );

    match call("write-unknown-person", || {
        store.replace(fixture.missing, photos[0].clone(), None)
    }) {
        Replaced::NoSuchPerson => {}
        other => broken(
            "write-unknown-person",
            format!(
                "replacing for missing person {} gave {other:?}",
                fixture.missing
            ),
        ),
    }
    expect(
        store,
        fixture.missing,
        &Lookup::NoSuchPerson,
        "write-unknown-person",
    );

    for expected in [Deleted::Removed, Deleted::HadNoImage] {
        let got = call("delete", || store.delete(fixture.without_image));
        if got != expected {
            broken(
                "delete",
                format!("deleting gave {got:?}, expected {expected:?}"),
            );
        }
        expect(store, fixture.without_image, &Lookup::NoImage, "delete");
    }
    let got = call("delete", || store.delete(fixture.missing));
    if got != Deleted::NoSuchPerson {
        broken(
            "delete",
            format!("deleting for the missing person gave {got:?}"),
        );
    }

    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let readers: Vec<_> = (0..THREADS)
            .map(|_| {
                scope.spawn(|| {
                    while !done.load(std::sync::atomic::Ordering::Relaxed) {
                        let bytes = read_whole(store, person, "readers-during-writes");
                        if !photos.contains(&bytes) {
                            broken(
                                "readers-during-writes",
                                format!("a reader got {} bytes that no writer wrote", bytes.len()),
                            );
                        }
                    }
                })
            })
            .collect();
        for round in 0..ROUNDS * 4 {
            replaced(store, person, &photos[round % 2], "readers-during-writes");
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        for reader in readers {
            if let Err(payload) = reader.join() {
                panic::resume_unwind(payload);
            }
        }
    });

    std::thread::scope(|scope| {
        let writers: Vec<_> = photos
            .iter()
            .map(|photo| {
                scope.spawn(move || {
                    for _ in 0..ROUNDS {
                        replaced(store, person, photo, "concurrent-writers");
                    }
                })
            })
            .collect();
        for writer in writers {
            if let Err(payload) = writer.join() {
                panic::resume_unwind(payload);
            }
        }
    });
    let last = read_whole(store, person, "concurrent-writers");
    if !photos.contains(&last) {
        broken(
            "concurrent-writers",
            format!(
                "after two writers the photo is {} bytes that neither wrote",
                last.len()
            ),
        );
    }
}

/// Checks the metadata rules of a [`WritableStore`] ([`ImageStore::metadata`],
/// [`WritableStore::set_metadata`]), on the same fixture as [`check_writes`] (it replaces and
/// deletes photos, so use a fresh store). Each rule has a name, given in the panic message:
///
/// 1. `metadata-round-trip`: metadata set for the current version is read back for it (by
///    [`ImageStore::metadata`] and by [`ImageStore::lookup_with_metadata`] alike), replaced by a
///    second set, and removed by `None`.
/// 2. `metadata-old-version`: a set naming a version the photo no longer has writes nothing
///    ([`MetadataWritten::Changed`]).
/// 3. `metadata-new-photo`: after a replacement, the new version has no metadata, and the old
///    version's info reads none either.
/// 4. `metadata-no-photo`: for a person without a photo the answer is
///    [`MetadataWritten::Changed`], for a missing one [`MetadataWritten::NoSuchPerson`]; a
///    delete drops the metadata.
///
/// # Panics
///
/// When the store breaks a rule, or a call fails.
pub fn check_metadata(store: &dyn WritableStore, fixture: &ConformanceFixture) {
    let person = fixture.with_image.0;
    let point = |left| crate::render::FocalPoint {
        left,
        top: 2,
        width: 30,
        height: 40,
    };
    let first = PhotoMetadata::with_focal_point(Some(point(1)));
    let second = PhotoMetadata::with_focal_point(Some(point(5)));
    let info = found_info(store, person, "metadata-round-trip");
    expect_metadata(store, person, &info, None, "metadata-round-trip");
    for metadata in [first, second] {
        expect_written(
            store,
            person,
            &info.version,
            Some(&metadata),
            MetadataWritten::Stored,
            "metadata-round-trip",
        );
        expect_metadata(store, person, &info, Some(metadata), "metadata-round-trip");
    }
    expect_written(
        store,
        person,
        &info.version,
        None,
        MetadataWritten::Stored,
        "metadata-round-trip",
    );
    expect_metadata(store, person, &info, None, "metadata-round-trip");
    expect_written(
        store,
        person,
        &info.version,
        Some(&first),
        MetadataWritten::Stored,
        "metadata-round-trip",
    );

    let photo = read_whole(store, person, "metadata-new-photo");
    let mut other = photo.to_vec();
    other.extend_from_slice(b"another photo");
    let new = replaced(store, person, &Bytes::from(other), "metadata-new-photo");
    expect_metadata(store, person, &new, None, "metadata-new-photo");
    expect_metadata(store, person, &info, None, "metadata-new-photo");
    expect_written(
        store,
        person,
        &info.version,
        Some(&second),
        MetadataWritten::Changed,
        "metadata-old-version",
    );
    expect_metadata(store, person, &new, None, "metadata-old-version");

    let without = fixture.without_image;
    expect_written(
        store,
        without,
        "no such version",
        Some(&first),
        MetadataWritten::Changed,
        "metadata-no-photo",
    );
    expect_written(
        store,
        fixture.missing,
        "no such version",
        Some(&first),
        MetadataWritten::NoSuchPerson,
        "metadata-no-photo",
    );
    expect_written(
        store,
        person,
        &new.version,
        Some(&first),
        MetadataWritten::Stored,
        "metadata-no-photo",
    );
    call("metadata-no-photo", || store.delete(person));
    expect_metadata(store, person, &new, None, "metadata-no-photo");
    let again = replaced(store, person, &photo, "metadata-no-photo");
    expect_metadata(store, person, &again, None, "metadata-no-photo");
}

/// Sets `metadata` for `version`, expecting `expected`.
fn expect_written(
    store: &dyn WritableStore,
    person: PersonId,
    version: &str,
    metadata: Option<&PhotoMetadata>,
    expected: MetadataWritten,
    rule: &str,
) {
    let got = call(rule, || store.set_metadata(person, version, metadata));
    if got != expected {
        broken(
            rule,
            format!(
                "setting {metadata:?} for version {version:?} gave {got:?}, expected {expected:?}"
            ),
        );
    }
}

/// Reads the metadata of `info`'s version, expecting `expected`.
fn expect_metadata(
    store: &dyn ImageStore,
    person: PersonId,
    info: &ImageInfo,
    expected: Option<PhotoMetadata>,
    rule: &str,
) {
    let got = call(rule, || store.metadata(person, info));
    if got != expected {
        broken(
            rule,
            format!(
                "the metadata of version {:?} is {got:?}, expected {expected:?}",
                info.version
            ),
        );
    }
    let (found, with_lookup) = call(rule, || store.lookup_with_metadata(person));
    let expected = match &found {
        Lookup::Found(current) if current.version == info.version => expected,
        Lookup::Found(_) => return,
        Lookup::NoImage | Lookup::NoSuchPerson => None,
    };
    if with_lookup != expected {
        broken(
            rule,
            format!(
                "lookup_with_metadata found {found:?} with metadata {with_lookup:?}, \
                 expected {expected:?}"
            ),
        );
    }
}

/// Replaces `person`'s photo with `photo`, which must succeed.
fn replaced(store: &dyn WritableStore, person: PersonId, photo: &Bytes, rule: &str) -> ImageInfo {
    match call(rule, || store.replace(person, photo.clone(), None)) {
        Replaced::Stored(info) => {
            if info.len != photo.len() as u64 {
                broken(
                    rule,
                    format!("the write reports {} bytes for {}", info.len, photo.len()),
                );
            }
            info
        }
        Replaced::NoSuchPerson => broken(rule, format!("person {person} is unknown to the write")),
    }
}

/// Checks that `person` looks up as `info` and fetches as `photo`.
fn expect_photo(
    store: &dyn ImageStore,
    person: PersonId,
    info: &ImageInfo,
    photo: &[u8],
    rule: &str,
) {
    let now = found_info(store, person, rule);
    if now.version != info.version || now.len != info.len {
        broken(
            rule,
            format!("after the write, a lookup gave {now:?}, the write said {info:?}"),
        );
    }
    match fetch(store, person, &now, rule) {
        Fetch::Current(bytes) if bytes.as_ref() == photo => {}
        other => broken(
            rule,
            format!("after the write, the fetch gave {}", describe_fetch(&other)),
        ),
    }
}

/// The metadata of `person`'s photo, which must exist.
fn found_info(store: &dyn ImageStore, person: PersonId, rule: &str) -> ImageInfo {
    found(&lookup(store, person, rule), person, rule).clone()
}

/// Looks `person` up and fetches the photo, looking up again (a bounded number of times) while
/// writers replace it in between; the photo must exist throughout.
fn read_whole(store: &dyn ImageStore, person: PersonId, rule: &str) -> Bytes {
    for _ in 0..1000 {
        let info = found_info(store, person, rule);
        if let Fetch::Current(bytes) = fetch(store, person, &info, rule) {
            if bytes.len() as u64 != info.len {
                broken(
                    rule,
                    format!(
                        "fetched {} bytes, the lookup said {}",
                        bytes.len(),
                        info.len
                    ),
                );
            }
            return bytes;
        }
    }
    broken(
        rule,
        format!("person {person}'s photo changed on 1000 fetches in a row"),
    )
}

/// Runs one store call for `rule`, turning an error or a panic into a conformance failure.
fn call<T>(rule: &str, work: impl FnOnce() -> crate::Result<T>) -> T {
    call_named(rule, || "a store call".to_owned(), work)
}

/// [`call`], naming the call (`what`, e.g. "looking up person 1") in the failure.
fn call_named<T>(
    rule: &str,
    what: impl FnOnce() -> String,
    work: impl FnOnce() -> crate::Result<T>,
) -> T {
    match panic::catch_unwind(AssertUnwindSafe(work)) {
        Ok(Ok(value)) => value,
        Ok(Err(error)) => broken(
            rule,
            format!("{} failed: {error} (status {})", what(), error.status()),
        ),
        Err(_) => broken(rule, format!("{} panicked", what())),
    }
}

/// The photo's metadata from a lookup, or a conformance failure of `rule`.
fn found<'a>(lookup: &'a Lookup, person: PersonId, rule: &str) -> &'a ImageInfo {
    match lookup {
        Lookup::Found(info) => info,
        other => broken(
            rule,
            format!(
                "person {person} should have a photo, got {}",
                describe(other)
            ),
        ),
    }
}

/// Looks `person` up, turning an error or a panic into a conformance failure of `rule`.
fn lookup(store: &dyn ImageStore, person: PersonId, rule: &str) -> Lookup {
    call_named(
        rule,
        || format!("looking up person {person}"),
        || store.lookup(person),
    )
}

/// Fetches `person`'s photo at `info`, turning an error or a panic into a failure of `rule`.
fn fetch(store: &dyn ImageStore, person: PersonId, info: &ImageInfo, rule: &str) -> Fetch {
    call_named(
        rule,
        || format!("fetching person {person}'s photo"),
        || store.fetch(person, info),
    )
}

/// [`fetch`], checking that opening the same version reads the same bytes.
fn fetch_and_open(store: &dyn ImageStore, person: PersonId, info: &ImageInfo, rule: &str) -> Fetch {
    let fetched = fetch(store, person, info, rule);
    let opened = open(store, person, info, rule);
    if opened != fetched {
        broken(
            "open-matches-fetch",
            format!(
                "fetching person {person}'s photo gave {}, opening it read {}",
                describe_fetch(&fetched),
                describe_fetch(&opened)
            ),
        );
    }
    fetched
}

/// Opens `info` for `person` and reads it whole, as the [`Fetch`] it stands for.
fn open(store: &dyn ImageStore, person: PersonId, info: &ImageInfo, rule: &str) -> Fetch {
    call_named(
        rule,
        || format!("opening person {person}'s photo"),
        || {
            Ok(match store.open(person, info)? {
                Opened::Current(bytes) => Fetch::Current(bytes),
                Opened::Reading(mut reader) => {
                    let mut bytes = Vec::new();
                    std::io::Read::read_to_end(&mut reader, &mut bytes)
                        .map_err(|error| crate::Error::store("reading the opened photo", error))?;
                    Fetch::Current(Bytes::from(bytes))
                }
                Opened::Changed => Fetch::Changed,
            })
        },
    )
}

/// Checks that fetching `info` for `person` is [`Fetch::Changed`].
fn expect_changed(store: &dyn ImageStore, person: PersonId, info: &ImageInfo, rule: &str) {
    let got = fetch_and_open(store, person, info, rule);
    if got != Fetch::Changed {
        broken(
            rule,
            format!(
                "fetching version {:?} for person {person} should be Changed, got {}",
                info.version,
                describe_fetch(&got)
            ),
        );
    }
}

/// Checks that `person` looks up as `expected` (a variant without a photo).
fn expect(store: &dyn ImageStore, person: PersonId, expected: &Lookup, rule: &str) {
    let got = lookup(store, person, rule);
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

/// A short description of a lookup.
fn describe(lookup: &Lookup) -> String {
    match lookup {
        Lookup::Found(info) => format!("Found({} bytes, version {:?})", info.len, info.version),
        Lookup::NoImage => "NoImage".to_owned(),
        Lookup::NoSuchPerson => "NoSuchPerson".to_owned(),
    }
}

/// A short description of a fetch, without dumping the photo's bytes.
fn describe_fetch(fetch: &Fetch) -> String {
    match fetch {
        Fetch::Current(bytes) => format!("Current({} bytes)", bytes.len()),
        Fetch::Changed => "Changed".to_owned(),
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
        fn lookup(&self, _: PersonId) -> Result<Lookup> {
            Err(crate::Error::store("reading", "disk on fire"))
        }

        fn fetch(&self, _: PersonId, _: &ImageInfo) -> Result<Fetch> {
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
        fn lookup(&self, person: PersonId) -> Result<Lookup> {
            match person.get() {
                1 => Ok(Lookup::Found(photo().info())),
                2 => Ok(Lookup::NoImage),
                id if id < 0 => panic!("negative id"),
                _ => Ok(Lookup::NoSuchPerson),
            }
        }

        fn fetch(&self, person: PersonId, info: &ImageInfo) -> Result<Fetch> {
            Ok(match person.get() {
                1 if info.version == photo().version => Fetch::Current(photo().bytes),
                _ => Fetch::Changed,
            })
        }
    }

    fn photo() -> StoredImage {
        StoredImage {
            bytes: bytes::Bytes::from_static(b"photo"),
            declared_mime: None,
            version: "v".into(),
            modified: None,
        }
    }

    #[test]
    fn panics_on_extreme_ids_are_reported() {
        assert!(failure_of(&Panicking).contains("extreme-ids"));
    }

    /// Opens a reader over other bytes than it fetches.
    struct Misreading(InMemory);

    impl ImageStore for Misreading {
        fn lookup(&self, person: PersonId) -> Result<Lookup> {
            self.0.lookup(person)
        }

        fn fetch(&self, person: PersonId, info: &ImageInfo) -> Result<Fetch> {
            self.0.fetch(person, info)
        }

        fn open(&self, _: PersonId, info: &ImageInfo) -> Result<Opened> {
            let other = std::io::Cursor::new(vec![b'x'; info.len as usize]);
            Ok(Opened::Reading(super::super::PhotoReader::new(
                other, info.len,
            )))
        }
    }

    #[test]
    fn a_reader_over_other_bytes_than_the_fetch_is_reported() {
        let store = Misreading(
            InMemory::new()
                .with_image(PersonId(1), &b"photo"[..])
                .with_person_without_image(PersonId(2)),
        );
        let message = failure_of(&store);
        assert!(message.contains("open-matches-fetch"), "{message}");
    }

    /// Serves whatever is stored now, whatever version was asked: the bug the rule catches.
    struct Careless(InMemory);

    impl ImageStore for Careless {
        fn lookup(&self, person: PersonId) -> Result<Lookup> {
            self.0.lookup(person)
        }

        fn fetch(&self, person: PersonId, _: &ImageInfo) -> Result<Fetch> {
            match self.0.lookup(person)? {
                Lookup::Found(now) => self.0.fetch(person, &now),
                _ => Ok(Fetch::Changed),
            }
        }
    }

    #[test]
    fn new_bytes_under_an_old_version_are_reported() {
        let store = Careless(InMemory::new().with_image(PersonId(1), &b"photo"[..]));
        let payload = panic::catch_unwind(AssertUnwindSafe(|| {
            check_replaced_between_calls(&store, PersonId(1), b"new", || {
                store.0.insert(PersonId(1), &b"new"[..]);
            })
        }))
        .expect_err("the rule should fail");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(
            message.contains("replaced-between-calls") && message.contains("Changed"),
            "{message}"
        );

        let honest = InMemory::new().with_image(PersonId(1), &b"photo"[..]);
        check_replaced_between_calls(&honest, PersonId(1), b"new", || {
            honest.insert(PersonId(1), &b"new"[..]);
        });
    }

    #[test]
    fn the_memory_store_follows_the_write_rules() {
        let store = InMemory::new()
            .with_image(PersonId(1), &b"photo"[..])
            .with_person_without_image(PersonId(2));
        check_writes(&store, &fixture());
        let store = InMemory::new()
            .with_image(PersonId(1), &b"photo"[..])
            .with_person_without_image(PersonId(2));
        check_metadata(&store, &fixture());
    }

    /// Keeps no metadata: what every store written before metadata existed does.
    struct Forgetful(InMemory);

    impl ImageStore for Forgetful {
        fn lookup(&self, person: PersonId) -> Result<Lookup> {
            self.0.lookup(person)
        }

        fn fetch(&self, person: PersonId, info: &ImageInfo) -> Result<Fetch> {
            self.0.fetch(person, info)
        }
    }

    impl WritableStore for Forgetful {
        fn replace(&self, person: PersonId, bytes: Bytes, mime: Option<&str>) -> Result<Replaced> {
            self.0.replace(person, bytes, mime)
        }

        fn delete(&self, person: PersonId) -> Result<Deleted> {
            self.0.delete(person)
        }
    }

    #[test]
    fn a_store_without_metadata_is_reported() {
        let store = Forgetful(
            InMemory::new()
                .with_image(PersonId(1), &b"photo"[..])
                .with_person_without_image(PersonId(2)),
        );
        let payload = panic::catch_unwind(AssertUnwindSafe(|| check_metadata(&store, &fixture())))
            .expect_err("a store that keeps nothing breaks the round trip");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("metadata-round-trip"), "{message}");
        assert!(message.contains("Unsupported"), "{message}");
    }

    /// Forgets to give a rewrite of the same bytes a new version.
    struct Reusing(InMemory);

    impl ImageStore for Reusing {
        fn lookup(&self, person: PersonId) -> Result<Lookup> {
            self.0.lookup(person)
        }

        fn fetch(&self, person: PersonId, info: &ImageInfo) -> Result<Fetch> {
            self.0.fetch(person, info)
        }
    }

    impl WritableStore for Reusing {
        fn replace(&self, person: PersonId, bytes: Bytes, _: Option<&str>) -> Result<Replaced> {
            // Every photo gets the same version, whatever its bytes.
            self.0.insert_image(
                person,
                StoredImage {
                    bytes,
                    declared_mime: None,
                    version: "v1".to_owned(),
                    modified: None,
                },
            );
            Ok(match self.0.lookup(person)? {
                Lookup::Found(info) => Replaced::Stored(info),
                _ => Replaced::NoSuchPerson,
            })
        }

        fn delete(&self, person: PersonId) -> Result<Deleted> {
            self.0.delete(person)
        }
    }

    #[test]
    fn a_reused_version_is_reported() {
        let store = Reusing(
            InMemory::new()
                .with_image(PersonId(1), &b"photo"[..])
                .with_person_without_image(PersonId(2)),
        );
        let payload = panic::catch_unwind(AssertUnwindSafe(|| check_writes(&store, &fixture())))
            .expect_err("the suite should fail");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert!(message.contains("new-version-every-write"), "{message}");
    }
}
