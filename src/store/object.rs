//! An [`ImageStore`](super::ImageStore) over the `object_store` crate (feature `object-store`):
//! S3, GCS, Azure, local files or memory, one key per photo.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use object_store::path::Path;
use object_store::{
    GetOptions, GetResult, ObjectMeta, ObjectStore, ObjectStoreExt, PutMode, PutOptions,
    PutPayload, UpdateVersion,
};

use super::bridge::Bridge;
use super::directory::{EXTENSIONS, NO_IMAGE_MARKER};
use super::object_body::ObjectBody;
use super::{
    decode_sidecar, encode_sidecar, Deleted, Fetch, ImageInfo, ImageStore, Lookup, MetadataWritten,
    Opened, PhotoMetadata, PhotoReader, Replaced, WritableStore, DEFAULT_MAX_BYTES,
};
use crate::person_id::PersonId;
use crate::{Error, Result};

/// The default of [`Bucket::with_deadline`]: the service's default store deadline.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(5);

/// Photos in an [`ObjectStore`]: `<prefix>/<id>.<ext>` is the photo, an object
/// `<prefix>/<id>.none` marks a person without a photo, no object means no such person. The same
/// layout as [`Directory`](super::Directory), so a photo directory can be synced to a
/// bucket as is.
///
/// * **Keys.** `<id>` is the decimal person id as [`PersonId`]'s `Display` writes it (`7`, `-3`);
///   the key is built from that integer only, never from request text. The extensions are `jpg`,
///   `jpeg`, `png`, `gif`, `tif`, `tiff`, `bmp` and `webp`, lower case only: object keys are case
///   sensitive and every extra spelling is one more round trip for every missing person.
/// * **Lookup.** The keys are probed with `HEAD` in the order above, then the `.none` marker; the
///   first that exists decides. A person with no object at all costs nine `HEAD` requests.
/// * **Version.** `"<ext>:e:<ETag>"`: the photo's extension and the object's `ETag`, which S3,
///   GCS, Azure, local files and memory all report; for a backend that does not,
///   `"<ext>:t:<size>-<last modified, nanoseconds since the epoch>"`.
/// * **Fetch.** One `GET` of the key the version names, with `If-Match` on its `ETag`: an object
///   replaced since the lookup fails the precondition and is [`Fetch::Changed`], so new bytes are
///   never served under the old version. [`ImageStore::open`] makes the same `GET` and hands out
///   its body, read as the render asks for it, each read within the deadline: a large PNG is
///   rendered as it downloads.
/// * **Modified.** The object's last-modified time.
/// * **Declared MIME type.** From the extension; the magic bytes still decide (SPEC §3).
/// * **Size.** An object larger than [`Bucket::with_max_bytes`] (default 50 MiB) is
///   refused with [`Error::LimitExceeded`] at lookup, from its `HEAD`; the `GET` checks the
///   size again before reading the body.
/// * **Failures.** Any error other than "not found" (permissions, network, a bad configuration) is
///   [`Error::Store`], never "no image" (the service answers it `503`).
/// * **Deadline.** Every call ends within [`Bucket::with_deadline`] (default 5 s), whatever the
///   backend's own retries would do: a read still waiting then is cancelled, and the call answers
///   [`Error::StoreUnavailable`] ([`Unavailable::TimedOut`](crate::Unavailable::TimedOut)). A write is not cancelled
///   half-way (its keys would be left half-changed): the caller stops waiting and is told
///   "timed out", while the write runs on to its end (bounded by the backend's own retry
///   timeout) before the next write of this store starts.
///
/// * **Writes** ([`WritableStore`]). A new photo is one atomic `PUT` of `<id>.<ext>` (the
///   extension from its magic bytes), conditional on the object's current `ETag` where the
///   backend supports it (else a plain overwrite), retried when another writer got in between;
///   then the person's other photo keys and `.none` marker are deleted. A delete puts the marker,
///   then deletes the photo keys. Readers see the old photo or the new one, whole. One store's
///   writes take turns; writers in several processes should write the same format, since the
///   keys of a replacement are not changed as one (the serve example's uploads are all stored as
///   the format the ingest policy writes, so they replace one key atomically).
/// * **Metadata** ([`PhotoMetadata`]). A sidecar object `<prefix>/<id>.meta` names the photo
///   version it was written for and is read only while the photo has that version, so a new
///   photo never inherits it even when a writer elsewhere replaces the photo between the check
///   and the `PUT`; a replace or a delete also deletes it.
///
/// # Calling an async store from the synchronous trait
///
/// [`ImageStore::lookup`] and [`ImageStore::fetch`] are synchronous (callers run the whole request on a blocking pool, e.g.
/// tokio's `spawn_blocking`), while [`ObjectStore`] is async. The store owns a small tokio runtime
/// with **one worker thread**, built once in [`Bucket::new`]. Each call spawns its request as a
/// task on that runtime and waits for its answer on a `std::sync::mpsc` channel.
///
/// * **No deadlock.** The lookup is driven by the store's own worker (and its I/O and timer
///   drivers), never by the calling thread, so blocking the caller cannot starve it, whatever
///   runtime the caller belongs to. The task depends on nothing the caller holds.
/// * **No panic, from any thread.** Waiting on a `std` channel is allowed everywhere. The
///   alternatives panic in places callers do reach: `Runtime::block_on` and `Handle::block_on`
///   panic on any thread already inside a runtime (an async task), and there is no public tokio
///   API that tells such a thread apart from a `spawn_blocking` thread (both have a current
///   `Handle` and a task id), so "detect and refuse" would also refuse the intended caller.
///   Called from async code, the store therefore *works*, but blocks that executor thread for the
///   duration of the request, exactly as every other synchronous store does: run it in
///   `spawn_blocking`.
/// * **Concurrency.** Many threads may call the store at once; their requests are concurrent tasks on
///   the one worker (object-store requests are I/O-bound; `LocalFileSystem` moves its file I/O
///   to the runtime's blocking pool).
/// * **Backends needing a reactor.** The runtime is built with every driver tokio was compiled
///   with (`enable_all`), so HTTP-based backends (S3, GCS, Azure), which pull in tokio's `net` and
///   `time`, find their reactor.
/// * **Shutdown.** Dropping the last clone of the store shuts the runtime down in the background,
///   which, unlike dropping a `Runtime`, is also allowed inside async code.
///
/// ```no_run
/// use std::sync::Arc;
///
/// use object_store::local::LocalFileSystem;
/// use object_store::path::Path;
/// use person_image::PersonId;
/// use person_image::store::{Bucket, ImageStore, Lookup};
///
/// let bucket = Arc::new(LocalFileSystem::new_with_prefix("/srv/photos")?);
/// let store = Bucket::new(bucket, Path::from("persons"))?.with_max_bytes(10 << 20);
/// match store.lookup(PersonId(7))? {
///     Lookup::Found(info) => println!("{} bytes, version {}", info.len, info.version),
///     Lookup::NoImage => println!("no photo"),
///     Lookup::NoSuchPerson => println!("no such person"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Bucket {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    max_bytes: u64,
    runtime: Bridge,
    /// Serializes this store's writes: a replacement touches several keys (the new photo, then
    /// the old ones and the marker), which two writers must not interleave. An async lock, held
    /// by the write's task, so a write the caller stopped waiting for still holds it to its end.
    writes: Arc<tokio::sync::Mutex<()>>,
    deadline: Duration,
}

impl Bucket {
    /// A store over `store`, with photo keys under `prefix` (`Path::default()` for the root), and
    /// the default size cap of 50 MiB per photo.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the bridge runtime cannot be started (the OS refused a thread).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: Path) -> Result<Self> {
        Ok(Bucket {
            store,
            prefix,
            max_bytes: DEFAULT_MAX_BYTES,
            runtime: Bridge::new("person-image-object-store")?,
            writes: Arc::default(),
            deadline: DEFAULT_DEADLINE,
        })
    }

    /// A store over the bucket `url` names, with photo keys under the URL's path: `s3://bucket/prefix`
    /// (feature `s3`; the endpoint, credentials and region come from the environment as
    /// `object_store` reads them: `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`, `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, …), `file:///srv/photos` (a local directory, which
    /// must exist) or `memory://` (an empty in-process bucket, for tests).
    ///
    /// ```
    /// use person_image::store::Bucket;
    /// let store = Bucket::from_url("memory:///persons")?;
    /// assert_eq!(store.prefix().as_ref(), "persons");
    /// # Ok::<(), person_image::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the URL does not parse, names a scheme this build has no backend for
    /// (`s3://` without the `s3` feature, `gs://`, `az://`, `http(s)://`), or its backend cannot
    /// be configured from the environment (an S3 URL without a region, say).
    pub fn from_url(url: &str) -> Result<Self> {
        let (store, prefix) = super::open_url(url)?;
        Bucket::new(store, prefix)
    }

    /// Checks that the bucket is there and readable, with one listing of the prefix: start-up's
    /// check. A missing bucket cannot be told from a missing person by the `HEAD`s of a lookup
    /// (S3 answers both with a bodiless 404), so without it a bucket name's typo would serve every
    /// person as "no such person".
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the listing fails (no such bucket, no permission, no server), or
    /// [`Error::StoreUnavailable`] when it does not answer within the deadline.
    pub fn check_bucket(&self) -> Result<()> {
        let prefix = self.prefix.clone();
        self.run(format!("listing {prefix}"), move |store| async move {
            store
                .list_with_delimiter(Some(&prefix))
                .await
                .map(|_| ())
                .map_err(|e| store_error("listing", &prefix, e))
        })
    }

    /// The longest one call may take (default 5 s); see "Deadline" above. Set it to the service's
    /// [`store_deadline`](crate::ImageServiceBuilder::store_deadline) or less, and the service
    /// calls the store on the request's own thread ([`ImageStore::returns_within`]).
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The deadline of each call.
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// Refuses photo objects larger than `max_bytes` with [`Error::LimitExceeded`]
    /// (`limit: person_image::LimitKind::SourceBytes`).
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The prefix the photo keys live under.
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// The size cap per photo object, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The key of `person`'s object with extension `ext`; built from the integer id alone.
    fn key(prefix: &Path, person: PersonId, ext: &str) -> Path {
        prefix.clone().join(format!("{}.{ext}", person.get()))
    }
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bucket")
            .field("store", &format_args!("{}", self.store))
            .field("prefix", &self.prefix.as_ref())
            .field("max_bytes", &self.max_bytes)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Bucket {
    /// The key and extension of `person`'s photo at the version `info` describes; `None` for a
    /// version this store did not make, which cannot be current.
    fn photo_key(&self, person: PersonId, info: &ImageInfo) -> Option<(Path, &'static str)> {
        let (ext, _) = info.version.split_once(':')?;
        let &(ext, _) = EXTENSIONS.iter().find(|(known, _)| *known == ext)?;
        Some((Bucket::key(&self.prefix, person, ext), ext))
    }

    /// Runs the read `request` on the store's runtime and waits for its answer (see "Calling an
    /// async store from the synchronous trait" above); a read not done at the deadline is
    /// cancelled.
    fn run<T, F>(&self, what: String, request: impl FnOnce(Arc<dyn ObjectStore>) -> F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        self.runtime
            .run(what, Some(self.deadline), request(Arc::clone(&self.store)))
    }

    /// Runs the write `request` on the store's runtime, after the store's earlier writes, and
    /// waits for its answer until the deadline; the write itself is never cancelled.
    fn run_write<T, F>(
        &self,
        what: String,
        request: impl FnOnce(Arc<dyn ObjectStore>) -> F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        let task = request(Arc::clone(&self.store));
        let writes = Arc::clone(&self.writes);
        self.runtime.run_to_end(what, self.deadline, async move {
            let _turn = writes.lock_owned().await;
            task.await
        })
    }
}

impl ImageStore for Bucket {
    fn lookup(&self, person: PersonId) -> Result<Lookup> {
        let (prefix, max_bytes) = (self.prefix.clone(), self.max_bytes);
        self.run(
            format!("looking up person {person}"),
            move |store| async move { lookup(store.as_ref(), &prefix, person, max_bytes).await },
        )
    }

    fn returns_within(&self, deadline: Duration) -> bool {
        self.deadline <= deadline
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> Result<Fetch> {
        let Some((key, ext)) = self.photo_key(person, info) else {
            return Ok(Fetch::Changed);
        };
        let (version, max_bytes) = (info.version.clone(), self.max_bytes);
        self.run(format!("reading object {key}"), move |store| async move {
            fetch(store.as_ref(), &key, ext, &version, max_bytes).await
        })
    }

    /// The object's body, read as the render asks for it, each read within the deadline.
    fn open(&self, person: PersonId, info: &ImageInfo) -> Result<Opened> {
        let Some((key, ext)) = self.photo_key(person, info) else {
            return Ok(Opened::Changed);
        };
        let (version, max_bytes) = (info.version.clone(), self.max_bytes);
        let found = self.run(format!("reading object {key}"), {
            let key = key.clone();
            move |store| async move {
                let found = get_version(store.as_ref(), &key, ext, &version, max_bytes).await?;
                Ok(found.map(|result| (result.meta.size, result.into_stream())))
            }
        })?;
        Ok(match found {
            Some((len, body)) => {
                let body = ObjectBody::new(self.runtime.clone(), self.deadline, key, body);
                Opened::Reading(PhotoReader::new(body, len))
            }
            None => Opened::Changed,
        })
    }

    fn metadata(&self, person: PersonId, info: &ImageInfo) -> Result<Option<PhotoMetadata>> {
        let key = Bucket::key(&self.prefix, person, METADATA_SIDECAR);
        let version = info.version.clone();
        self.run(format!("reading object {key}"), move |store| async move {
            let sidecar = read_sidecar(store.as_ref(), &key).await?;
            Ok(sidecar.and_then(|bytes| decode_sidecar(&bytes, &version)))
        })
    }

    /// The photo's `HEAD`s and the sidecar's `GET` run concurrently: a cover request waits for
    /// no round trip more than any other request.
    fn lookup_with_metadata(&self, person: PersonId) -> Result<(Lookup, Option<PhotoMetadata>)> {
        let (prefix, max_bytes) = (self.prefix.clone(), self.max_bytes);
        let key = Bucket::key(&self.prefix, person, METADATA_SIDECAR);
        self.run(
            format!("looking up person {person} and reading object {key}"),
            move |store| async move {
                let (found, sidecar) = both(
                    lookup(store.as_ref(), &prefix, person, max_bytes),
                    read_sidecar(store.as_ref(), &key),
                )
                .await;
                let found = found?;
                let metadata = match (&found, sidecar?) {
                    (Lookup::Found(info), Some(bytes)) => decode_sidecar(&bytes, &info.version),
                    _ => None,
                };
                Ok((found, metadata))
            },
        )
    }
}

impl WritableStore for Bucket {
    fn replace(
        &self,
        person: PersonId,
        bytes: Bytes,
        declared_mime: Option<&str>,
    ) -> Result<Replaced> {
        let ext = super::directory::extension_for(&bytes, declared_mime).ok_or_else(|| {
            Error::UnsupportedFormat {
                reason: "the photo is not JPEG, PNG, GIF, TIFF, BMP or WebP".to_owned(),
            }
        })?;
        check_size(self.max_bytes, bytes.len() as u64)?;
        let (prefix, max_bytes) = (self.prefix.clone(), self.max_bytes);
        self.run_write(
            format!("writing the photo of person {person}"),
            move |store| async move {
                replace(store.as_ref(), &prefix, person, ext, bytes, max_bytes).await
            },
        )
    }

    fn delete(&self, person: PersonId) -> Result<Deleted> {
        let prefix = self.prefix.clone();
        self.run_write(
            format!("deleting the photo of person {person}"),
            move |store| async move { delete(store.as_ref(), &prefix, person).await },
        )
    }

    fn set_metadata(
        &self,
        person: PersonId,
        version: &str,
        metadata: Option<&PhotoMetadata>,
    ) -> Result<MetadataWritten> {
        let (prefix, max_bytes) = (self.prefix.clone(), self.max_bytes);
        let version = version.to_owned();
        let sidecar = metadata
            .filter(|metadata| !metadata.is_empty())
            .map(|metadata| Bytes::from(encode_sidecar(&version, metadata)));
        self.run_write(
            format!("writing the metadata of person {person}"),
            move |store| async move {
                match lookup(store.as_ref(), &prefix, person, max_bytes).await? {
                    Lookup::Found(info) if info.version == version => {}
                    Lookup::NoSuchPerson => return Ok(MetadataWritten::NoSuchPerson),
                    Lookup::Found(_) | Lookup::NoImage => return Ok(MetadataWritten::Changed),
                }
                let key = Bucket::key(&prefix, person, METADATA_SIDECAR);
                match sidecar {
                    Some(bytes) => {
                        store
                            .put_opts(&key, PutPayload::from(bytes), PutOptions::default())
                            .await
                            .map_err(|e| store_error("writing", &key, e))?;
                    }
                    None => delete_key(store.as_ref(), &key).await?,
                }
                Ok(MetadataWritten::Stored)
            },
        )
    }
}

/// The extension of the sidecar object holding a photo's [`PhotoMetadata`].
const METADATA_SIDECAR: &str = "meta";

/// How often a conditional `PUT` that lost to another writer is tried again.
const PUT_ATTEMPTS: usize = 3;

/// The replacement itself, run on the store's runtime.
async fn replace(
    store: &dyn ObjectStore,
    prefix: &Path,
    person: PersonId,
    ext: &'static str,
    bytes: Bytes,
    max_bytes: u64,
) -> Result<Replaced> {
    let (photos, marker) = keys_of(store, prefix, person).await?;
    if photos.is_empty() && marker.is_none() {
        return Ok(Replaced::NoSuchPerson);
    }
    let target = Bucket::key(prefix, person, ext);
    let mut current = photos
        .iter()
        .find(|(key, _)| *key == target)
        .map(|(_, meta)| meta.clone());
    for attempt in 1..=PUT_ATTEMPTS {
        let mode = match &current {
            Some(meta) => PutMode::Update(UpdateVersion {
                e_tag: meta.e_tag.clone(),
                version: meta.version.clone(),
            }),
            None => PutMode::Create,
        };
        let payload = PutPayload::from(bytes.clone());
        let options = PutOptions::from(mode);
        match store.put_opts(&target, payload.clone(), options).await {
            Ok(_) => break,
            // The backend cannot put conditionally: an atomic overwrite is the next best.
            Err(object_store::Error::NotImplemented { .. }) => {
                store
                    .put_opts(&target, payload, PutOptions::default())
                    .await
                    .map_err(|e| store_error("writing", &target, e))?;
                break;
            }
            Err(
                object_store::Error::Precondition { .. }
                | object_store::Error::AlreadyExists { .. },
            ) if attempt < PUT_ATTEMPTS => current = head(store, &target).await?,
            Err(error) => return Err(store_error("writing", &target, error)),
        }
    }
    for (key, _) in photos.iter().filter(|(key, _)| *key != target) {
        delete_key(store, key).await?;
    }
    if let Some(marker) = marker {
        delete_key(store, &marker).await?;
    }
    delete_key(store, &Bucket::key(prefix, person, METADATA_SIDECAR)).await?;
    match lookup(store, prefix, person, max_bytes).await? {
        Lookup::Found(info) => Ok(Replaced::Stored(info)),
        other => Err(Error::store(
            format!("writing the photo of person {person}"),
            format!("the photo is gone right after the write: {other:?}"),
        )),
    }
}

/// The deletion itself, run on the store's runtime.
async fn delete(store: &dyn ObjectStore, prefix: &Path, person: PersonId) -> Result<Deleted> {
    let (photos, marker) = keys_of(store, prefix, person).await?;
    if photos.is_empty() {
        return Ok(match marker {
            Some(_) => Deleted::HadNoImage,
            None => Deleted::NoSuchPerson,
        });
    }
    // The marker first: a reader sees the photo until it is deleted, then "no photo".
    let marker = Bucket::key(prefix, person, NO_IMAGE_MARKER);
    store
        .put_opts(&marker, PutPayload::default(), PutOptions::default())
        .await
        .map_err(|e| store_error("writing", &marker, e))?;
    for (key, _) in &photos {
        delete_key(store, key).await?;
    }
    delete_key(store, &Bucket::key(prefix, person, METADATA_SIDECAR)).await?;
    Ok(Deleted::Removed)
}

/// The person's photo objects, in lookup order, and their marker's key if it exists.
async fn keys_of(
    store: &dyn ObjectStore,
    prefix: &Path,
    person: PersonId,
) -> Result<(Vec<(Path, ObjectMeta)>, Option<Path>)> {
    let mut photos = Vec::new();
    for (ext, _) in EXTENSIONS {
        let key = Bucket::key(prefix, person, ext);
        if let Some(meta) = head(store, &key).await? {
            photos.push((key, meta));
        }
    }
    let marker = Bucket::key(prefix, person, NO_IMAGE_MARKER);
    let marker = head(store, &marker).await?.map(|_| marker);
    Ok((photos, marker))
}

/// Deletes `key`; one that is already gone is fine.
async fn delete_key(store: &dyn ObjectStore, key: &Path) -> Result<()> {
    match store.delete(key).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(error) => Err(store_error("deleting", key, error)),
    }
}

/// The lookup itself, run on the store's runtime: `HEAD` the keys in order.
async fn lookup(
    store: &dyn ObjectStore,
    prefix: &Path,
    person: PersonId,
    max_bytes: u64,
) -> Result<Lookup> {
    for (ext, mime) in EXTENSIONS {
        let key = Bucket::key(prefix, person, ext);
        if let Some(meta) = head(store, &key).await? {
            check_size(max_bytes, meta.size)?;
            return Ok(Lookup::Found(ImageInfo {
                version: version_of(ext, &meta),
                len: meta.size,
                declared_mime: Some(mime.to_owned()),
                modified: Some(SystemTime::from(meta.last_modified)),
            }));
        }
    }
    let marker = Bucket::key(prefix, person, NO_IMAGE_MARKER);
    if head(store, &marker).await?.is_some() {
        return Ok(Lookup::NoImage);
    }
    Ok(Lookup::NoSuchPerson)
}

/// The bytes of the sidecar at `key`; `None` when there is none, or the object is too large to
/// be one.
async fn read_sidecar(store: &dyn ObjectStore, key: &Path) -> Result<Option<Bytes>> {
    let result = match store.get_opts(key, GetOptions::new()).await {
        Ok(result) => result,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(error) => return Err(store_error("reading", key, error)),
    };
    // A sidecar is a few lines; anything much larger is not one.
    if result.meta.size > 4096 {
        return Ok(None);
    }
    let bytes = result
        .bytes()
        .await
        .map_err(|e| store_error("reading", key, e))?;
    Ok(Some(bytes))
}

/// Both outputs, the two futures polled in turn on the current task until both are done.
async fn both<A: Future, B: Future>(first: A, second: B) -> (A::Output, B::Output) {
    let (mut first, mut second) = (Box::pin(first), Box::pin(second));
    let (mut first_out, mut second_out) = (None, None);
    std::future::poll_fn(move |context| {
        if first_out.is_none() {
            if let Poll::Ready(out) = first.as_mut().poll(context) {
                first_out = Some(out);
            }
        }
        if second_out.is_none() {
            if let Poll::Ready(out) = second.as_mut().poll(context) {
                second_out = Some(out);
            }
        }
        match (first_out.take(), second_out.take()) {
            (Some(first), Some(second)) => Poll::Ready((first, second)),
            (first, second) => {
                (first_out, second_out) = (first, second);
                Poll::Pending
            }
        }
    })
    .await
}

/// The metadata of `key`, `None` when it does not exist, an error for any other failure.
async fn head(store: &dyn ObjectStore, key: &Path) -> Result<Option<ObjectMeta>> {
    // `get_opts` rather than `ObjectStoreExt::head`: the trait's own methods return `Send`
    // futures, which the bridge needs to spawn them.
    match store.get_opts(key, GetOptions::new().with_head(true)).await {
        Ok(result) => Ok(Some(result.meta)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(error) => Err(store_error("probing", key, error)),
    }
}

/// Reads the photo at `key` if it is still `version`; the size is checked again before the body.
async fn fetch(
    store: &dyn ObjectStore,
    key: &Path,
    ext: &str,
    version: &str,
    max_bytes: u64,
) -> Result<Fetch> {
    let Some(result) = get_version(store, key, ext, version, max_bytes).await? else {
        return Ok(Fetch::Changed);
    };
    let bytes: Bytes = result
        .bytes()
        .await
        .map_err(|e| store_error("reading", key, e))?;
    check_size(max_bytes, u64::try_from(bytes.len()).unwrap_or(u64::MAX))?;
    Ok(Fetch::Current(bytes))
}

/// The `GET` of object `key` when it is `version` (found under extension `ext`): its body not
/// read yet, or `None` when the object is gone or another version.
async fn get_version(
    store: &dyn ObjectStore,
    key: &Path,
    ext: &str,
    version: &str,
    max_bytes: u64,
) -> Result<Option<GetResult>> {
    let mut options = GetOptions::new();
    // `If-Match` spares downloading a replaced object; the version of what the `GET` returned is
    // compared below either way, which also covers backends without ETags.
    if let Some(tag) = version
        .strip_prefix(ext)
        .and_then(|rest| rest.strip_prefix(":e:"))
    {
        options.if_match = Some(tag.to_owned());
    }
    let result = match store.get_opts(key, options).await {
        Ok(result) => result,
        Err(object_store::Error::NotFound { .. } | object_store::Error::Precondition { .. }) => {
            return Ok(None)
        }
        Err(error) => return Err(store_error("reading", key, error)),
    };
    if version_of(ext, &result.meta) != version {
        return Ok(None);
    }
    check_size(max_bytes, result.meta.size)?;
    Ok(Some(result))
}

/// The version of the object found under extension `ext` (see [`Bucket`]).
fn version_of(ext: &str, meta: &ObjectMeta) -> String {
    match &meta.e_tag {
        Some(tag) if !tag.is_empty() => format!("{ext}:e:{tag}"),
        _ => {
            let nanos = SystemTime::from(meta.last_modified)
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            format!("{ext}:t:{}-{nanos}", meta.size)
        }
    }
}

fn check_size(max: u64, actual: u64) -> Result<()> {
    if actual > max {
        return Err(super::source_too_large(max, actual));
    }
    Ok(())
}

fn store_error(action: &str, key: &Path, error: object_store::Error) -> Error {
    Error::store(format!("{action} object {key}"), error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_built_from_the_integer_id_only() {
        let prefix = Path::from("photos/persons");
        assert_eq!(
            Bucket::key(&prefix, PersonId(-12), "jpg").as_ref(),
            "photos/persons/-12.jpg"
        );
        assert_eq!(
            Bucket::key(&Path::default(), PersonId(i32::MIN), "none").as_ref(),
            "-2147483648.none"
        );
    }
}
