//! [`VariantTier`]: rendered variants shared by a fleet of replicas through object storage
//! (feature `object-store`), the second tier behind the in-process render cache.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use mime::Mime;
use object_store::path::Path;
use object_store::{GetOptions, ObjectMeta, ObjectStore, ObjectStoreExt, PutOptions, PutPayload};

use super::bridge::Bridge;
use super::lease::{self, Claim, Lease};
use super::{ImageStore, Lookup};
use crate::metrics::TierOp;
use crate::person_id::PersonId;
use crate::render::{photo_representation, version_digest, Rendered, Variant};
use crate::{Error, Result};

/// The first line of every variant object; a new layout gets a new line.
const MAGIC: &str = "person-image variant 1";
/// How far into an object its header may reach.
const MAX_HEADER: usize = 4096;

/// Rendered photo variants in an [`ObjectStore`], shared by every replica that points at the same
/// bucket and prefix, so a variant one replica rendered is served by all of them. Plug it in with
/// [`ImageServiceBuilder::variant_tier`](crate::ImageServiceBuilder::variant_tier); the service's
/// in-process cache stays the first tier.
///
/// # Keys
///
/// `<prefix>/variants/<person>/<version>/<representation>`: `<person>` is the decimal id,
/// `<version>` the 16 hex digits of the FNV-1a hash of the store's version of the photo (the same
/// digest as the `ETag`'s, safe whatever characters the version has), `<representation>` what the
/// request asked: `w<w>h<h>` (0 for a side not given), the format preference (`tjpeg` for
/// `type=jpeg`, `any` for neither `type` nor `Accept`, `q…` for the `Accept` weights) and
/// `+cover` for a `fit=cover` crop, e.g. `photos/variants/7/1f0c…/w64h0tpng` or
/// `…/w64h64tpng+cover`. The key is content-addressed: a new photo version has
/// new keys, so a replica never meets an old variant and nothing is invalidated. Each object is
/// a short text header (`person-image variant 1`, `content-type: …`, `version: <the full
/// version it was rendered from>`, an empty line) and the body as rendered; one whose version
/// differs from the lookup's is ignored.
/// Placeholders (the same for every person, cheap to draw) are not kept; for a photo sent as
/// stored, or one that cannot be rendered, a marker without a body tells the other replicas to
/// serve from the photo.
///
/// # Reading order
///
/// The service asks the tier only after the store's lookup has said which version is current,
/// and only the in-process single flight's leader asks: concurrent requests in one process wait
/// for it. A hit answers exactly like a render: the same bytes and content type; the `ETag` and
/// `Last-Modified` come from the variant and the lookup, as for a render.
///
/// # Rendering once per fleet
///
/// On a miss the replica claims a lease, `<prefix>/leases/<same path>`, a small object holding
/// its expiry and holder: created with `PutMode::Create` (S3 `If-None-Match: *`), so one replica
/// wins; renewed every third of [`with_lease_ttl`](Self::with_lease_ttl) while it renders, with
/// `PutMode::Update` on the version it wrote (S3 `If-Match`); deleted once the variant is stored.
/// A lease whose expiry has passed (its holder died) is taken over with `PutMode::Update` on the
/// version read, so one taker wins; backends without conditional updates (`LocalFileSystem`)
/// delete and create it again, where two takers at once may both render. Expiry compares clocks
/// across replicas: the time to live must exceed their skew by far. The replicas that find the
/// lease taken poll for the variant (10 ms, doubling to 200 ms), at most
/// [`with_max_wait`](Self::with_max_wait), then render it themselves rather than fail.
///
/// # Failures
///
/// The tier is never an error for a request. A tier call that fails or outlives
/// [`with_call_deadline`](Self::with_call_deadline) (default 5 s) is skipped, counted in
/// [`TierStats::skips`] and the metric `person_image_tier_skips_total`, and the request renders
/// as if there were no tier.
///
/// # Garbage
///
/// Variants of old photo versions are never read again. Set a lifecycle rule that expires
/// objects under `<prefix>/variants/` (e.g. 30 days after creation: a variant still in use is
/// simply rendered again once) and `<prefix>/leases/` (1 day), or call [`sweep`](Self::sweep)
/// from a scheduled job. On S3, for the prefix `tier`:
///
/// ```text
/// aws s3api put-bucket-lifecycle-configuration --bucket BUCKET --lifecycle-configuration '{"Rules": [
///   {"ID": "person-image-variants", "Status": "Enabled", "Filter": {"Prefix": "tier/variants/"},
///    "Expiration": {"Days": 30}},
///   {"ID": "person-image-leases", "Status": "Enabled", "Filter": {"Prefix": "tier/leases/"},
///    "Expiration": {"Days": 1}}]}'
/// ```
///
/// # Runtime
///
/// Like [`Bucket`](super::Bucket), the tier owns a one-worker tokio runtime that runs its
/// requests while the synchronous caller waits (see "Calling an async store from the synchronous
/// trait" there).
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// use object_store::memory::InMemory;
/// use object_store::path::Path;
/// use person_image::auth::StaticAuthenticator;
/// use person_image::store::{Directory, VariantTier};
/// use person_image::ImageService;
///
/// let tier = VariantTier::new(Arc::new(InMemory::new()), Path::from("photos"))?
///     .with_call_deadline(Duration::from_millis(500));
/// let service = ImageService::builder(
///     Directory::new("/srv/photos"),
///     StaticAuthenticator::default().user("demo", "demo"),
/// )
/// .variant_tier(tier)
/// .build();
/// # let _ = service;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct VariantTier {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    bridge: Bridge,
    call_deadline: Duration,
    lease_ttl: Duration,
    max_wait: Duration,
    max_bytes: u64,
    /// This tier's name in the leases it writes.
    holder: Arc<str>,
    counters: Arc<Counters>,
}

/// Counters of a [`VariantTier`], read with [`VariantTier::stats`] (clones share them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TierStats {
    /// Variants read from the tier instead of rendered.
    pub hits: u64,
    /// Reads that found no variant (or one of another version).
    pub misses: u64,
    /// Tier calls that failed or missed their deadline and were skipped.
    pub skips: u64,
    /// Misses that found another replica's lease and waited for its render.
    pub lease_waits: u64,
    /// Stale leases taken over.
    pub takeovers: u64,
    /// Variants written to the tier.
    pub stored: u64,
}

#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    skips: AtomicU64,
    lease_waits: AtomicU64,
    takeovers: AtomicU64,
    stored: AtomicU64,
}

/// What [`VariantTier::sweep`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SweepReport {
    /// Variant objects looked at.
    pub examined: u64,
    /// Variant objects deleted: of a version no longer current, or older than the age given.
    pub deleted: u64,
    /// Leases deleted: expired long ago, their holder gone.
    pub leases_deleted: u64,
}

/// What the tier keeps for a variant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stored {
    /// The rendering.
    Rendered(Rendered),
    /// The variant is answered from the photo itself, not from the tier: it is the photo as
    /// stored (a passthrough), or the photo cannot be rendered (a 422, or the placeholder
    /// `ifBlank` asks for). Kept so that replicas waiting on the lease learn it at once.
    FromPhoto,
}

/// The answer of [`VariantTier::claim`].
#[derive(Debug)]
pub(crate) enum Claimed {
    /// This caller renders; the lease is released when dropped.
    Held(Lease),
    /// Another replica rendered it meanwhile.
    Ready(Stored),
    /// Render without a lease: the wait ran out, or the tier failed.
    Alone,
}

impl VariantTier {
    /// A tier over `store`, its objects under `prefix` (`Path::default()` for the root). Defaults:
    /// 5 s per call, a 30 s lease, 10 s of waiting for another replica's render, 16 MiB per
    /// variant.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the tier's runtime cannot be started (the OS refused a thread).
    pub fn new(store: Arc<dyn ObjectStore>, prefix: Path) -> Result<Self> {
        Ok(VariantTier {
            store,
            prefix,
            bridge: Bridge::new("person-image-variant-tier")?,
            call_deadline: Duration::from_secs(5),
            lease_ttl: Duration::from_secs(30),
            max_wait: Duration::from_secs(10),
            max_bytes: 16 << 20,
            holder: holder_id().into(),
            counters: Arc::default(),
        })
    }

    /// The longest one tier call (a read, a write, a lease step) may take before it is skipped
    /// and the request renders without the tier (default 5 s).
    #[must_use]
    pub fn with_call_deadline(mut self, deadline: Duration) -> Self {
        self.call_deadline = deadline;
        self
    }

    /// How long a render lease lives without renewal (default 30 s); the holder renews it every
    /// third of this. It must exceed the clock skew between replicas by far.
    #[must_use]
    pub fn with_lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease_ttl = ttl.max(Duration::from_millis(30));
        self
    }

    /// How long a replica that found another's lease waits for the variant before rendering it
    /// itself (default 10 s).
    #[must_use]
    pub fn with_max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// The largest variant kept or read, in bytes (default 16 MiB); larger ones are rendered on
    /// every replica that needs them.
    #[must_use]
    pub fn with_max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// The prefix the tier's objects live under.
    pub fn prefix(&self) -> &Path {
        &self.prefix
    }

    /// The counters so far.
    pub fn stats(&self) -> TierStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let c = &self.counters;
        TierStats {
            hits: load(&c.hits),
            misses: load(&c.misses),
            skips: load(&c.skips),
            lease_waits: load(&c.lease_waits),
            takeovers: load(&c.takeovers),
            stored: load(&c.stored),
        }
    }

    /// The key of `variant` under `root` (`variants` or `leases`); `None` for what the tier
    /// does not keep.
    fn key(&self, root: &str, variant: &Variant) -> Option<Path> {
        let Variant::Photo {
            person,
            version,
            width,
            height,
            fit,
            focus,
            preference,
        } = variant
        else {
            return None;
        };
        Some(
            self.prefix
                .clone()
                .join(root)
                .join(person.get().to_string())
                .join(version_digest(version))
                .join(photo_representation(
                    *width, *height, *fit, *focus, preference,
                )),
        )
    }

    /// Runs `request` with the call deadline; a failure is counted as a skip of `op`.
    fn call<T, F>(
        &self,
        op: TierOp,
        what: String,
        request: impl FnOnce(Arc<dyn ObjectStore>) -> F,
    ) -> Option<T>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T>> + Send + 'static,
    {
        let task = request(Arc::clone(&self.store));
        match self.bridge.run(what, Some(self.call_deadline), task) {
            Ok(answer) => Some(answer),
            Err(_) => {
                self.counters.skips.fetch_add(1, Ordering::Relaxed);
                crate::metrics::tier_skip(op);
                None
            }
        }
    }

    /// The stored rendering of `variant`, if the tier has it (a hit or a miss is counted);
    /// `Err(())` when the tier failed.
    fn read(&self, variant: &Variant) -> std::result::Result<Option<Stored>, ()> {
        let (Some(key), Variant::Photo { version, .. }) = (self.key("variants", variant), variant)
        else {
            return Ok(None);
        };
        let max_bytes = self.max_bytes;
        let found = self
            .call(TierOp::Get, format!("reading {key}"), |store| async move {
                read(store.as_ref(), &key, max_bytes).await
            })
            .ok_or(())?;
        let rendered = found.and_then(|bytes| decode(&bytes, version));
        let (counter, metric): (_, fn()) = match rendered {
            Some(Stored::Rendered(_)) => (&self.counters.hits, crate::metrics::tier_hit),
            Some(Stored::FromPhoto) | None => (&self.counters.misses, crate::metrics::tier_miss),
        };
        counter.fetch_add(1, Ordering::Relaxed);
        metric();
        Ok(rendered)
    }

    /// The stored rendering of `variant`, if the tier has it and answers in time.
    pub(crate) fn get(&self, variant: &Variant) -> Option<Stored> {
        self.read(variant).ok().flatten()
    }

    /// Keeps `stored` as `variant` for the fleet; a failure is only counted.
    pub(crate) fn put(&self, variant: &Variant, stored: &Stored) {
        let (Some(key), Variant::Photo { version, .. }) = (self.key("variants", variant), variant)
        else {
            return;
        };
        if let Stored::Rendered(rendered) = stored {
            if rendered.body.len() as u64 > self.max_bytes {
                return;
            }
        }
        let Some(object) = encode(stored, version) else {
            return;
        };
        let stored = self.call(TierOp::Put, format!("writing {key}"), |store| async move {
            store
                .put_opts(&key, object, PutOptions::default())
                .await
                .map(drop)
                .map_err(|e| tier_error("writing", &key, e))
        });
        if stored.is_some() {
            self.counters.stored.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Claims the render of `variant` for this replica, or waits for another replica's (see
    /// "Rendering once per fleet" above).
    pub(crate) fn claim(&self, variant: &Variant) -> Claimed {
        let Some(key) = self.key("leases", variant) else {
            return Claimed::Alone;
        };
        let until = Instant::now() + self.max_wait;
        let mut pause = Duration::from_millis(10);
        let mut waited = false;
        loop {
            let (store_key, holder, ttl) = (key.clone(), Arc::clone(&self.holder), self.lease_ttl);
            let claim = self.call(
                TierOp::Lease,
                format!("claiming {key}"),
                |store| async move { lease::claim(store.as_ref(), &store_key, &holder, ttl).await },
            );
            match claim {
                None => return Claimed::Alone,
                Some(Claim::Held {
                    version,
                    taken_over,
                }) => {
                    if taken_over {
                        self.counters.takeovers.fetch_add(1, Ordering::Relaxed);
                    }
                    let lease = self.hold(key, version);
                    // Another replica may have stored it and released its lease in between.
                    return match self.read(variant) {
                        Ok(Some(rendered)) => Claimed::Ready(rendered),
                        Ok(None) => Claimed::Held(lease),
                        Err(()) => Claimed::Alone,
                    };
                }
                Some(Claim::Busy) => {}
            }
            if !waited {
                waited = true;
                self.counters.lease_waits.fetch_add(1, Ordering::Relaxed);
                crate::metrics::tier_lease_wait();
            }
            loop {
                if Instant::now() + pause > until {
                    return Claimed::Alone;
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
                match self.read(variant) {
                    Ok(Some(rendered)) => return Claimed::Ready(rendered),
                    Ok(None) => {}
                    Err(()) => return Claimed::Alone,
                }
                // Try the lease again every few polls: its holder may have died.
                if pause >= Duration::from_millis(200) || Instant::now() + pause > until {
                    break;
                }
            }
        }
    }

    fn hold(&self, key: Path, version: object_store::UpdateVersion) -> Lease {
        let counters = Arc::clone(&self.counters);
        Lease::hold(
            Arc::clone(&self.store),
            key,
            self.bridge.clone(),
            version,
            self.holder.to_string(),
            self.lease_ttl,
            move || {
                counters.skips.fetch_add(1, Ordering::Relaxed);
                crate::metrics::tier_skip(TierOp::Lease);
            },
        )
    }

    /// Deletes the variants nobody will read again: those of a photo version `store` no longer
    /// has as current (replaced, deleted, or a person gone), and, with `older_than`, every
    /// variant created longer ago than that. Leases expired for longer than their time to live
    /// are deleted too. Objects are listed and deleted one page at a time; each person is
    /// looked up in `store` once per page.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the tier cannot be listed or an object deleted (within the call
    /// deadline), or `store` fails a lookup: a variant is deleted only when its version is
    /// known not to be current.
    pub fn sweep(
        &self,
        store: &dyn ImageStore,
        older_than: Option<Duration>,
    ) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        let now = SystemTime::now();
        let mut listing = self.list(self.prefix.clone().join("variants"));
        loop {
            let page = listing.next_page(self)?;
            if page.is_empty() {
                break;
            }
            let mut current: HashMap<PersonId, Option<String>> = HashMap::new();
            for meta in page {
                report.examined += 1;
                let Some((person, digest)) = self.parse_key("variants", &meta.location) else {
                    continue;
                };
                let current = match current.get(&person) {
                    Some(current) => current.clone(),
                    None => {
                        let digest = match store.lookup(person)? {
                            Lookup::Found(info) => Some(version_digest(&info.version)),
                            Lookup::NoImage | Lookup::NoSuchPerson => None,
                        };
                        current.insert(person, digest.clone());
                        digest
                    }
                };
                let too_old = older_than.is_some_and(|age| {
                    now.duration_since(SystemTime::from(meta.last_modified))
                        .is_ok_and(|since| since > age)
                });
                if current.as_deref() != Some(digest.as_str()) || too_old {
                    self.delete(meta.location)?;
                    report.deleted += 1;
                }
            }
        }
        let mut listing = self.list(self.prefix.clone().join("leases"));
        loop {
            let page = listing.next_page(self)?;
            if page.is_empty() {
                break;
            }
            for meta in page {
                let stale = now
                    .duration_since(SystemTime::from(meta.last_modified))
                    .is_ok_and(|since| since > self.lease_ttl * 2);
                if stale {
                    self.delete(meta.location)?;
                    report.leases_deleted += 1;
                }
            }
        }
        Ok(report)
    }

    /// `(person, version digest)` of a key under `root`.
    fn parse_key(&self, root: &str, key: &Path) -> Option<(PersonId, String)> {
        let rest = key.prefix_match(&self.prefix.clone().join(root))?;
        let parts: Vec<_> = rest.collect();
        let [person, digest, _] = parts.as_slice() else {
            return None;
        };
        let person = person.as_ref().parse().ok().map(PersonId)?;
        Some((person, digest.as_ref().to_owned()))
    }

    fn delete(&self, key: Path) -> Result<()> {
        let store = Arc::clone(&self.store);
        self.bridge.run(
            format!("deleting {key}"),
            Some(self.call_deadline),
            async move {
                match store.delete(&key).await {
                    Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                    Err(error) => Err(tier_error("deleting", &key, error)),
                }
            },
        )
    }

    fn list(&self, root: Path) -> Listing {
        Listing::Unstarted(root)
    }
}

/// A listing read a page at a time on the tier's runtime (where it is also started: some
/// backends need the runtime to list).
enum Listing {
    Unstarted(Path),
    Streaming(futures_core::stream::BoxStream<'static, object_store::Result<ObjectMeta>>),
    Done,
}

/// Objects listed per round trip to the runtime.
const PAGE: usize = 1000;

impl Listing {
    /// The next objects, empty at the end.
    fn next_page(&mut self, tier: &VariantTier) -> Result<Vec<ObjectMeta>> {
        let store = Arc::clone(&tier.store);
        let started = match std::mem::replace(self, Listing::Done) {
            Listing::Done => return Ok(Vec::new()),
            Listing::Unstarted(root) => Err(root),
            Listing::Streaming(stream) => Ok(stream),
        };
        let (rest, page) = tier.bridge.run(
            "listing the variant tier".to_owned(),
            Some(tier.call_deadline),
            async move {
                let mut stream = match started {
                    Ok(stream) => stream,
                    Err(root) => store.list(Some(&root)),
                };
                let mut page = Vec::new();
                while page.len() < PAGE {
                    let next = std::future::poll_fn(|cx| stream.as_mut().poll_next(cx)).await;
                    match next {
                        Some(Ok(meta)) => page.push(meta),
                        Some(Err(error)) => {
                            return Err(Error::store("listing the variant tier", error))
                        }
                        None => return Ok((Listing::Done, page)),
                    }
                }
                Ok((Listing::Streaming(stream), page))
            },
        )?;
        *self = rest;
        Ok(page)
    }
}

impl fmt::Debug for VariantTier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VariantTier")
            .field("store", &format_args!("{}", self.store))
            .field("prefix", &self.prefix.as_ref())
            .field("call_deadline", &self.call_deadline)
            .field("lease_ttl", &self.lease_ttl)
            .field("max_wait", &self.max_wait)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

/// The object at `key`, `None` when there is none or it is over `max_bytes`.
async fn read(store: &dyn ObjectStore, key: &Path, max_bytes: u64) -> Result<Option<Bytes>> {
    let found = match store.get_opts(key, GetOptions::new()).await {
        Ok(found) => found,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(error) => return Err(tier_error("reading", key, error)),
    };
    if found.meta.size > max_bytes.saturating_add(MAX_HEADER as u64) {
        return Ok(None);
    }
    let bytes = found
        .bytes()
        .await
        .map_err(|e| tier_error("reading", key, e))?;
    Ok(Some(bytes))
}

/// A variant object: a text header (the magic line, `content-type: …` or `from-photo`,
/// `version: …`, an empty line), then the body as rendered. `None` when the content type or
/// version would not fit on one header line.
fn encode(stored: &Stored, version: &str) -> Option<PutPayload> {
    let one_line = |text: &str| !text.contains(['\r', '\n']);
    let (kind, body) = match stored {
        Stored::Rendered(rendered) => (
            format!("content-type: {}", rendered.content_type),
            rendered.body.clone(),
        ),
        Stored::FromPhoto => ("from-photo".to_owned(), Bytes::new()),
    };
    if !one_line(&kind) || !one_line(version) {
        return None;
    }
    let header = format!("{MAGIC}\n{kind}\nversion: {version}\n\n");
    if header.len() > MAX_HEADER {
        return None;
    }
    Some(PutPayload::from_iter([Bytes::from(header), body]))
}

/// What a variant object holds, if it is one of `version` (else it is a miss).
fn decode(object: &Bytes, version: &str) -> Option<Stored> {
    let head = &object[..object.len().min(MAX_HEADER)];
    let end = head.windows(2).position(|pair| pair == b"\n\n")?;
    let header = std::str::from_utf8(&head[..end]).ok()?;
    let mut lines = header.split('\n');
    if lines.next()? != MAGIC {
        return None;
    }
    let (mut content_type, mut from_photo, mut stored_version) = (None, false, None);
    for line in lines {
        if let Some(value) = line.strip_prefix("content-type: ") {
            content_type = value.parse::<Mime>().ok();
        } else if let Some(value) = line.strip_prefix("version: ") {
            stored_version = Some(value);
        } else if line == "from-photo" {
            from_photo = true;
        }
    }
    if stored_version? != version {
        return None;
    }
    if from_photo {
        return Some(Stored::FromPhoto);
    }
    Some(Stored::Rendered(Rendered {
        content_type: content_type?,
        body: object.slice(end + 2..),
    }))
}

fn tier_error(action: &str, key: &Path, error: object_store::Error) -> Error {
    Error::store(format!("{action} the variant {key}"), error)
}

/// A name for this tier's leases, different for every tier instance: the process id, the time
/// and a per-process counter.
fn holder_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos());
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use object_store::memory::InMemory;

    use super::*;
    use crate::render::Preference;
    use crate::request::{Dimension, Fit};

    fn photo(version: &str) -> Variant {
        Variant::Photo {
            person: PersonId(-7),
            version: version.to_owned(),
            width: Dimension::new(64),
            height: None,
            fit: Fit::Contain,
            focus: None,
            preference: Preference::Type(crate::OutputFormat::Png),
        }
    }

    /// A 64×64 `fit=cover` request for the photo at `version`.
    fn cover(version: &str) -> Variant {
        Variant::Photo {
            person: PersonId(-7),
            version: version.to_owned(),
            width: Dimension::new(64),
            height: Dimension::new(64),
            fit: Fit::Cover,
            focus: None,
            preference: Preference::Type(crate::OutputFormat::Png),
        }
    }

    fn rendered() -> Rendered {
        Rendered {
            content_type: mime::IMAGE_PNG,
            body: Bytes::from_static(b"\x89PNG\n\n body with blank lines"),
        }
    }

    fn bytes_of(payload: PutPayload) -> Bytes {
        payload.into_iter().flatten().collect::<Vec<u8>>().into()
    }

    #[test]
    fn keys_name_person_version_digest_and_representation() {
        let tier = VariantTier::new(Arc::new(InMemory::new()), Path::from("photos")).unwrap();
        let version = "jpg:e:\"a/b c\"";
        let key = tier.key("variants", &photo(version)).unwrap();
        assert_eq!(
            key.as_ref(),
            format!("photos/variants/-7/{}/w64h0tpng", version_digest(version))
        );
        assert_eq!(
            tier.parse_key("variants", &key),
            Some((PersonId(-7), version_digest(version)))
        );
        let placeholder = Variant::Info {
            version: version.to_owned(),
            focus: None,
        };
        assert_eq!(tier.key("variants", &placeholder), None);
    }

    #[test]
    fn a_cover_crop_and_the_whole_photo_never_share_a_key() {
        let tier = VariantTier::new(Arc::new(InMemory::new()), Path::from("photos")).unwrap();
        let cover = cover("v1");
        let Variant::Photo { fit, .. } = &cover else {
            unreachable!("a photo variant");
        };
        assert_eq!(*fit, Fit::Cover);
        let contain = match cover.clone() {
            Variant::Photo {
                person,
                version,
                width,
                height,
                preference,
                ..
            } => Variant::Photo {
                person,
                version,
                width,
                height,
                fit: Fit::Contain,
                focus: None,
                preference,
            },
            other => other,
        };
        for root in ["variants", "leases"] {
            let cover_key = tier.key(root, &cover).unwrap();
            let contain_key = tier.key(root, &contain).unwrap();
            assert_ne!(cover_key, contain_key, "{root}");
            assert!(
                cover_key.as_ref().ends_with("/w64h64tpng+cover"),
                "{cover_key}"
            );
            assert!(
                contain_key.as_ref().ends_with("/w64h64tpng"),
                "{contain_key}"
            );
            assert_eq!(
                tier.parse_key(root, &cover_key),
                Some((PersonId(-7), version_digest("v1")))
            );
        }
        // A focal point set through the API makes keys of its own, one per point.
        let focused = |left| match cover.clone() {
            Variant::Photo {
                person,
                version,
                width,
                height,
                fit,
                preference,
                ..
            } => Variant::Photo {
                person,
                version,
                width,
                height,
                fit,
                focus: Some(crate::render::FocalPoint {
                    left,
                    top: 0,
                    width: 10,
                    height: 10,
                }),
                preference,
            },
            other => other,
        };
        let keys =
            [cover.clone(), focused(0), focused(1)].map(|variant| tier.key("variants", &variant));
        assert_ne!(keys[0], keys[1]);
        assert_ne!(keys[1], keys[2]);
        assert!(keys[1].as_ref().unwrap().as_ref().contains("+cover"));
    }

    #[test]
    fn objects_carry_their_content_type_and_version() {
        let stored = Stored::Rendered(rendered());
        let object = bytes_of(encode(&stored, "v1").unwrap());
        assert_eq!(decode(&object, "v1"), Some(stored));
        assert_eq!(decode(&object, "v2"), None, "another version is a miss");
        let marker = bytes_of(encode(&Stored::FromPhoto, "v1").unwrap());
        assert_eq!(decode(&marker, "v1"), Some(Stored::FromPhoto));
    }

    #[test]
    fn what_is_not_a_variant_object_is_a_miss() {
        for object in [
            &b""[..],
            b"\n\n",
            b"person-image variant 9\ncontent-type: image/png\nversion: v1\n\nbody",
            b"person-image variant 1\nversion: v1\n\nno content type",
            b"person-image variant 1\ncontent-type: image/png\nversion: v1",
        ] {
            assert_eq!(
                decode(&Bytes::from_static(object), "v1"),
                None,
                "{object:?}"
            );
        }
    }

    #[test]
    fn a_held_lease_is_renewed_until_dropped_then_released() {
        let bucket: Arc<dyn ObjectStore> = Arc::new(InMemory::new());
        let tier = |wait| {
            VariantTier::new(Arc::clone(&bucket), Path::from("photos"))
                .unwrap()
                .with_lease_ttl(Duration::from_secs(1))
                .with_max_wait(wait)
        };
        let (holder, other) = (tier(Duration::ZERO), tier(Duration::ZERO));
        let Claimed::Held(lease) = holder.claim(&photo("v1")) else {
            panic!("the first claim holds the lease");
        };
        // Lifetimes later the lease is still live: renewed, not taken over.
        std::thread::sleep(Duration::from_millis(2500));
        assert!(matches!(other.claim(&photo("v1")), Claimed::Alone));
        let stats = other.stats();
        assert_eq!((stats.lease_waits, stats.takeovers), (1, 0), "{stats:?}");
        // Released in the background once dropped: then another replica may claim.
        drop(lease);
        let later = tier(Duration::from_secs(5));
        assert!(matches!(later.claim(&photo("v1")), Claimed::Held(_)));
        assert_eq!(later.stats().takeovers, 0);
        assert_eq!(holder.stats().skips, 0, "every renewal succeeded");
    }

    #[test]
    fn versions_that_break_the_header_are_not_kept() {
        assert!(encode(&Stored::FromPhoto, "v1\nversion: v2").is_none());
        assert!(encode(&Stored::FromPhoto, &"v".repeat(MAX_HEADER)).is_none());
    }
}
