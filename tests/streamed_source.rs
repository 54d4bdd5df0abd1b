//! The stored photos a service holds. A large PNG read in order from a store that hands out a
//! reader (`ImageStore::open`): the render reads it a store call at a time, gives the same bytes as
//! from the whole photo, and answers a read that fails or stalls as the store's failure (503),
//! never as a broken picture. Photos held whole stay within the source budget
//! (`ImageServiceBuilder::source_memory`), whatever the number of calling threads.

use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use person_image::auth::StaticAuthenticator;
use person_image::store::{
    Directory, Fetch, ImageInfo, ImageStore, InMemory, Lookup, Opened, PhotoReader,
};
use person_image::{ImageResponse, ImageService, PersonId};

const AUTH: (&str, &[u8]) = ("Authorization", b"Bearer t");

/// The 3 MP RGBA bench PNG (655 KB, non-interlaced): large enough to be read in order.
const PHOTO: &str = "alpha-3mp.png";

fn service(store: Arc<dyn ImageStore>, deadline: Duration) -> ImageService {
    ImageService::builder(store, StaticAuthenticator::default().bearer("t", "tester"))
        .cache_bytes(0)
        .store_deadline(deadline)
        .build()
}

fn get(service: &ImageService, target: &str) -> ImageResponse {
    common::get_as(service, target, AUTH)
}

/// The most bytes one read of a [`Watched`] store's reader gives (as a socket may).
const READ_CAP: usize = 64 * 1024;

/// What each read of the wrapped reader does once `after` bytes were read.
#[derive(Clone, Copy)]
enum Then {
    Continue,
    Fail,
    Wait(Duration),
}

/// A [`Directory`] whose readers give at most [`READ_CAP`] bytes a read, count their reads and
/// behave as `then` says part-way.
struct Watched {
    inner: Directory,
    then: Then,
    after: u64,
    reads: Arc<AtomicUsize>,
}

impl Watched {
    fn new(dir: &Path, then: Then, after: u64) -> Self {
        Watched {
            inner: Directory::new(dir),
            then,
            after,
            reads: Arc::default(),
        }
    }
}

impl ImageStore for Watched {
    fn lookup(&self, person: PersonId) -> person_image::Result<Lookup> {
        self.inner.lookup(person)
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> person_image::Result<Fetch> {
        self.inner.fetch(person, info)
    }

    fn open(&self, person: PersonId, info: &ImageInfo) -> person_image::Result<Opened> {
        Ok(match self.inner.open(person, info)? {
            Opened::Reading(reader) => {
                let len = reader.len();
                let watching = Watching {
                    inner: reader,
                    read: 0,
                    then: self.then,
                    after: self.after,
                    reads: Arc::clone(&self.reads),
                };
                Opened::Reading(PhotoReader::new(watching, len))
            }
            other => other,
        })
    }
}

struct Watching {
    inner: PhotoReader,
    read: u64,
    then: Then,
    after: u64,
    reads: Arc<AtomicUsize>,
}

impl Read for Watching {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read >= self.after {
            match self.then {
                Then::Continue => {}
                Then::Fail => return Err(io::Error::other("the disk went away")),
                Then::Wait(pause) => std::thread::sleep(pause),
            }
        }
        let cap = buf.len().min(READ_CAP);
        let read = self.inner.read(&mut buf[..cap])?;
        self.read += read as u64;
        self.reads.fetch_add(1, Ordering::Relaxed);
        Ok(read)
    }
}

/// A directory holding the bench PNG as person 1's photo.
fn photos() -> (common::temp::TempDir, Vec<u8>) {
    let photo = common::corpus::bench_bytes(PHOTO);
    let dir = common::temp::TempDir::new("streamed-source");
    std::fs::write(dir.path().join("1.png"), &photo).unwrap();
    (dir, photo)
}

#[test]
fn a_png_read_in_order_renders_as_the_whole_photo_does() {
    let (dir, photo) = photos();
    let watched = Arc::new(Watched::new(dir.path(), Then::Continue, 0));
    let reading = service(watched.clone(), Duration::from_secs(5));
    let whole = service(
        Arc::new(InMemory::new().with_image(PersonId(1), photo.clone())),
        Duration::from_secs(5),
    );
    for query in [
        "w=128&type=jpeg",
        "w=300&h=200&type=png",
        "w=160&h=160&fit=cover&type=jpeg",
        "w=700&type=gif",
        "type=jpeg",
        "",
    ] {
        let target = format!("/api/v1/Person/1/Image?{query}");
        let (read, held) = (get(&reading, &target), get(&whole, &target));
        assert_eq!(read.status, 200, "{query}");
        assert_eq!(read.content_type, held.content_type, "{query}");
        assert!(read.body == held.body, "{query}: the bodies differ");
    }
    assert_eq!(
        get(&reading, "/api/v1/Person/1/Image").body.as_ref(),
        &photo[..],
        "the photo as stored is every byte of it"
    );
    assert!(watched.reads.load(Ordering::Relaxed) > 2 * photo.len() / READ_CAP);
}

#[test]
fn a_photo_read_in_order_has_a_deadline_per_read_not_one_for_the_whole() {
    let (dir, photo) = photos();
    // Each read after the first bytes takes 100 ms, the whole photo about a second: past the
    // deadline for one read of it, well within it for each of its reads.
    let slow = Watched::new(
        dir.path(),
        Then::Wait(Duration::from_millis(100)),
        READ_CAP as u64,
    );
    assert!(photo.len() > 8 * READ_CAP);
    let service = service(Arc::new(slow), Duration::from_millis(400));
    let response = get(&service, "/api/v1/Person/1/Image?w=128&type=jpeg");
    assert_eq!(response.status, 200, "{:?}", response.retry_after);
}

#[test]
fn a_read_failing_part_way_is_a_503_to_retry_not_a_broken_picture() {
    let (dir, _) = photos();
    let failing = service(
        Arc::new(Watched::new(dir.path(), Then::Fail, 200_000)),
        Duration::from_secs(5),
    );
    let response = get(&failing, "/api/v1/Person/1/Image?w=128&type=jpeg");
    assert_eq!(response.status, 503, "{:?}", response.content_type);
    assert!(response.retry_after.is_some());
}

#[test]
fn a_read_stalling_past_the_deadline_is_a_503_within_it() {
    let (dir, _) = photos();
    let deadline = Duration::from_millis(300);
    let stalling = service(
        Arc::new(Watched::new(
            dir.path(),
            Then::Wait(Duration::from_secs(3)),
            200_000,
        )),
        deadline,
    );
    let started = Instant::now();
    let response = get(&stalling, "/api/v1/Person/1/Image?w=128&type=jpeg");
    assert_eq!(response.status, 503, "{:?}", response.content_type);
    assert!(response.retry_after.is_some());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "answered after {:?}",
        started.elapsed()
    );
}

/// An [`InMemory`] store whose fetches take 250 ms and count how many run at once.
struct Slow {
    inner: InMemory,
    running: AtomicUsize,
    most_at_once: AtomicUsize,
}

impl ImageStore for Slow {
    fn lookup(&self, person: PersonId) -> person_image::Result<Lookup> {
        self.inner.lookup(person)
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> person_image::Result<Fetch> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(250));
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.inner.fetch(person, info)
    }

    fn returns_within(&self, _: Duration) -> bool {
        true
    }
}

/// Four threads render four photos; the most fetches that ran at once.
fn most_photos_at_once(source_memory: Option<u64>) -> usize {
    let photo = common::corpus::hopper();
    let store = Arc::new(Slow {
        inner: (1..=4).fold(InMemory::new(), |store, person| {
            store.with_image(PersonId(person), photo.clone())
        }),
        running: AtomicUsize::new(0),
        most_at_once: AtomicUsize::new(0),
    });
    let mut builder = ImageService::builder(
        store.clone(),
        StaticAuthenticator::default().bearer("t", "tester"),
    )
    .cache_bytes(0);
    if let Some(bytes) = source_memory {
        builder = builder.source_memory(bytes);
    }
    let service = builder.build();
    std::thread::scope(|scope| {
        for person in 1..=4 {
            let service = &service;
            scope.spawn(move || {
                let response = get(service, &format!("/api/v1/Person/{person}/Image?w=64"));
                assert_eq!(response.status, 200);
            });
        }
    });
    store.most_at_once.load(Ordering::SeqCst)
}

#[test]
fn photos_held_at_once_stay_within_the_source_budget() {
    let photo_len = common::corpus::hopper().len() as u64;
    // Room for one photo and a half: the threads read theirs one after another.
    assert_eq!(most_photos_at_once(Some(photo_len * 3 / 2)), 1);
    // With the default budget (128 MiB) they read them side by side.
    assert!(most_photos_at_once(None) > 1);
}
