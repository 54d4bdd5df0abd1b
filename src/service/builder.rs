//! [`ImageServiceBuilder`]: configures an [`ImageService`] around its store and authenticator.

use std::sync::Arc;
use std::time::Duration;

use super::budget::MemoryBudget;
use super::cache::RenderCache;
use super::deadline::{StoreCalls, DEFAULT_STORE_DEADLINE};
use super::ImageService;
use crate::auth::Authenticator;
use crate::ingest::IngestPolicy;
use crate::limits::Limits;
use crate::render::{PlaceholderKind, RenderOptions};
use crate::store::{ImageStore, WritableStore};

/// The default of [`ImageServiceBuilder::render_memory`]: room for two large renders (a 22 MP
/// JPEG to 1024 px needs about 45 MiB) or many small ones.
const DEFAULT_RENDER_MEMORY: u64 = 128 * 1024 * 1024;

/// The default of [`ImageServiceBuilder::source_memory`]: room for two photos at the default
/// source-bytes limit (50 MiB), and for many of the sizes people upload.
const DEFAULT_SOURCE_MEMORY: u64 = 128 * 1024 * 1024;

/// The default of [`ImageServiceBuilder::stale_if_error`]: one hour.
const DEFAULT_STALE_IF_ERROR: Duration = Duration::from_secs(3600);

/// Configures an [`ImageService`] with by-value setters. It starts from the two plug points
/// ([`ImageService::builder`] for a read-only store, [`ImageService::writable_builder`] for one
/// that also replaces and deletes), so every builder can [`build`](Self::build), which cannot
/// fail.
pub struct ImageServiceBuilder {
    store: Arc<dyn ImageStore>,
    writer: Option<Arc<dyn WritableStore>>,
    read_only_hint: Option<String>,
    ingest: IngestPolicy,
    batch_workers: Option<usize>,
    authenticator: Arc<dyn Authenticator>,
    options: RenderOptions,
    max_age: Option<u32>,
    default_placeholder: Option<PlaceholderKind>,
    cache_bytes: Option<u64>,
    render_memory: Option<u64>,
    source_memory: Option<u64>,
    #[cfg(feature = "object-store")]
    tier: Option<crate::store::VariantTier>,
    store_deadline: Option<Duration>,
    store_threads: Option<usize>,
    stale_if_error: Option<Duration>,
}

impl std::fmt::Debug for ImageServiceBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageServiceBuilder")
            .field("writable", &self.writer.is_some())
            .field("ingest", &self.ingest)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ImageServiceBuilder {
    /// A builder over `store`, read through `store` and written through `writer` when there is
    /// one (the same store).
    pub(super) fn new(
        store: Arc<dyn ImageStore>,
        writer: Option<Arc<dyn WritableStore>>,
        authenticator: Arc<dyn Authenticator>,
    ) -> Self {
        ImageServiceBuilder {
            store,
            writer,
            read_only_hint: None,
            ingest: IngestPolicy::default(),
            batch_workers: None,
            authenticator,
            options: RenderOptions::default(),
            max_age: None,
            default_placeholder: None,
            cache_bytes: None,
            render_memory: None,
            source_memory: None,
            #[cfg(feature = "object-store")]
            tier: None,
            store_deadline: None,
            store_threads: None,
            stale_if_error: None,
        }
    }

    /// The longest one store call (lookup, fetch, replace, delete) may take (default 5 s). A call
    /// that fails or runs out of time answers `503 Service Unavailable` with `Retry-After`
    /// ([`Error::StoreUnavailable`](crate::Error::StoreUnavailable)), or a stale cached variant
    /// (see [`stale_if_error`](Self::stale_if_error)); never a hang. A store that keeps the
    /// deadline itself ([`ImageStore::returns_within`]) is called directly; any other on the
    /// service's store threads ([`store_threads`](Self::store_threads)).
    #[must_use]
    pub fn store_deadline(mut self, deadline: Duration) -> Self {
        self.store_deadline = Some(deadline);
        self
    }

    /// Threads that call a store which does not keep the deadline itself (default: four per
    /// core). A hanging store holds at most these; calls beyond them queue (eight per thread) and
    /// then are refused at once with `503`.
    #[must_use]
    pub fn store_threads(mut self, threads: usize) -> Self {
        self.store_threads = Some(threads.max(1));
        self
    }

    /// How long after the store last confirmed a cached variant it may still be served when the
    /// store fails or times out (default 1 hour; zero turns it off): RFC 5861's `stale-if-error`,
    /// counted from the last request that found the variant's version current in the store. A
    /// variant no longer in the render cache, or older than this, is a `503`. Answers served so
    /// are counted (`person_image_stale_total`).
    #[must_use]
    pub fn stale_if_error(mut self, max_age: Duration) -> Self {
        self.stale_if_error = Some(max_age);
        self
    }

    /// How this deployment turns writes on, added to the `405` ([`Error::ReadOnly`](crate::Error::ReadOnly)) of an
    /// upload or delete when the service was built by [`ImageService::builder`] (not
    /// [`ImageService::writable_builder`]):
    /// `This service is read-only: it does not accept uploads or deletes (<hint>)`. Without it
    /// the message stops before the parenthesis. The serve example's hint is `start the server
    /// with --writable`; the hint is sent to every caller, so name no secret or internal path.
    #[must_use]
    pub fn read_only_hint(mut self, hint: impl Into<String>) -> Self {
        self.read_only_hint = Some(hint.into());
        self
    }

    /// What uploads go through before they are stored (default [`IngestPolicy::default`]: strip
    /// identifying metadata, at most 2048 px on a side).
    #[must_use]
    pub fn ingest_policy(mut self, policy: IngestPolicy) -> Self {
        self.ingest = policy;
        self
    }

    /// Threads one `GetPersonImages` batch renders on at most (default: one per core).
    #[must_use]
    pub fn batch_workers(mut self, workers: usize) -> Self {
        self.batch_workers = Some(workers.max(1));
        self
    }

    /// Request and decode limits (default [`Limits::default`]); shorthand for setting them in
    /// [`ImageServiceBuilder::render_options`]. They are taken as given: a zero limit refuses
    /// everything it measures, as it does for [`render`](crate::render()).
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.options = self.options.limits(limits);
        self
    }

    /// Rendering options (quality, compression, background), limits included.
    #[must_use]
    pub fn render_options(mut self, options: RenderOptions) -> Self {
        self.options = options;
        self
    }

    /// `Cache-Control: private, max-age=N` (default 3600 seconds).
    #[must_use]
    pub fn max_age(mut self, seconds: u32) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// What `ifBlank=Default` draws (default [`PlaceholderKind::NoPhoto`]).
    #[must_use]
    pub fn default_placeholder(mut self, kind: PlaceholderKind) -> Self {
        self.default_placeholder = Some(kind);
        self
    }

    /// Bytes of rendered variants kept in memory (default 64 MiB; 0 turns the cache off).
    #[must_use]
    pub fn cache_bytes(mut self, bytes: u64) -> Self {
        self.cache_bytes = Some(bytes);
        self
    }

    /// Memory that renders running at the same time may hold, in bytes (default 128 MiB). A render reserves what its header says it will need
    /// (decoded pixels at the shrink-on-load scale, resize and encode buffers) and waits while
    /// others hold the rest; one larger than the whole budget runs alone. With it, resident memory
    /// is about the program, plus [`cache_bytes`](Self::cache_bytes), plus this, plus
    /// [`source_memory`](Self::source_memory).
    #[must_use]
    pub fn render_memory(mut self, bytes: u64) -> Self {
        self.render_memory = Some(bytes);
        self
    }

    /// Memory that the stored photos of requests in progress may hold at once, in bytes (default
    /// 128 MiB). A request reserves its photo's length before reading it and keeps it until its
    /// answer; it waits while others hold the rest, and a photo larger than the whole budget is
    /// read alone. A large PNG read as it decodes (from a store whose
    /// [`ImageStore::open`](crate::store::ImageStore::open) hands out a reader) keeps about 1 MiB
    /// of it. So however many threads call the service, the photos they hold stay within this.
    #[must_use]
    pub fn source_memory(mut self, bytes: u64) -> Self {
        self.source_memory = Some(bytes);
        self
    }

    /// Shares rendered variants with the other replicas through `tier` (feature `object-store`),
    /// behind the in-process cache ([`cache_bytes`](Self::cache_bytes)): a variant another
    /// replica rendered is read, not rendered, and concurrent misses across the fleet render it
    /// once. A failing or slow tier is skipped and the request renders (see
    /// [`VariantTier`](crate::store::VariantTier)).
    #[cfg(feature = "object-store")]
    #[must_use]
    pub fn variant_tier(mut self, tier: crate::store::VariantTier) -> Self {
        self.tier = Some(tier);
        self
    }

    /// Builds the service.
    pub fn build(self) -> ImageService {
        let max_age = self.max_age.unwrap_or(3600);
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let calls = StoreCalls::new(
            self.store.as_ref(),
            self.store_deadline.unwrap_or(DEFAULT_STORE_DEADLINE),
            self.store_threads.unwrap_or(4 * cores),
        );
        ImageService {
            calls: Arc::new(calls),
            stale_if_error: self.stale_if_error.unwrap_or(DEFAULT_STALE_IF_ERROR),
            store: self.store,
            writer: self.writer,
            read_only_hint: self.read_only_hint,
            ingest: self.ingest,
            batch_workers: self.batch_workers.unwrap_or(cores),
            authenticator: self.authenticator,
            options: self.options,
            cache_control: format!("private, max-age={max_age}"),
            default_placeholder: self.default_placeholder.unwrap_or(PlaceholderKind::NoPhoto),
            cache: match self.cache_bytes.unwrap_or(64 * 1024 * 1024) {
                0 => None,
                bytes => Some(Arc::new(RenderCache::new(bytes))),
            },
            budget: Arc::new(MemoryBudget::new(
                self.render_memory.unwrap_or(DEFAULT_RENDER_MEMORY),
            )),
            sources: Arc::new(MemoryBudget::new(
                self.source_memory.unwrap_or(DEFAULT_SOURCE_MEMORY),
            )),
            known_formats: Arc::default(),
            thumb_hashes: Arc::default(),
            detections: Arc::default(),
            #[cfg(feature = "object-store")]
            tier: self.tier,
        }
    }
}
