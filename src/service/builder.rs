//! [`ImageServiceBuilder`]: configures an [`ImageService`] and checks the configuration once.

use std::sync::Arc;

use super::budget::RenderBudget;
use super::cache::RenderCache;
use super::ImageService;
use crate::auth::Authenticator;
use crate::ingest::IngestPolicy;
use crate::limits::Limits;
use crate::render::{PlaceholderKind, RenderOptions};
use crate::store::{ImageStore, WritableStore};
use crate::{Error, Result};

/// The default of [`ImageServiceBuilder::render_memory`]: room for two large renders (a 22 MP
/// JPEG to 1024 px needs about 45 MiB) or many small ones.
const DEFAULT_RENDER_MEMORY: u64 = 128 * 1024 * 1024;

/// Configures an [`ImageService`] with by-value setters; [`ImageServiceBuilder::build`] checks
/// the configuration.
#[derive(Default)]
pub struct ImageServiceBuilder {
    store: Option<Arc<dyn ImageStore>>,
    writer: Option<Arc<dyn WritableStore>>,
    read_only_hint: Option<String>,
    ingest: IngestPolicy,
    batch_workers: Option<usize>,
    authenticator: Option<Arc<dyn Authenticator>>,
    options: RenderOptions,
    max_age: Option<u32>,
    default_placeholder: Option<PlaceholderKind>,
    cache_bytes: Option<u64>,
    render_memory: Option<u64>,
}

impl std::fmt::Debug for ImageServiceBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImageServiceBuilder")
            .field("has_store", &self.store.is_some())
            .field("writable", &self.writer.is_some())
            .field("ingest", &self.ingest)
            .field("has_authenticator", &self.authenticator.is_some())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ImageServiceBuilder {
    /// The store photos come from (required, or [`writable_store`](Self::writable_store)), read
    /// only: uploads and deletes are `405`. A store shared with other parts of the program is
    /// passed as an `Arc` (which is itself an [`ImageStore`]).
    #[must_use]
    pub fn store(mut self, store: impl ImageStore + 'static) -> Self {
        self.writer = None;
        self.store = Some(Arc::new(store));
        self
    }

    /// A store photos come from and are written to (instead of [`store`](Self::store)): uploads
    /// and deletes are answered only with one; without it they are `405`.
    #[must_use]
    pub fn writable_store(mut self, store: impl WritableStore + 'static) -> Self {
        let store: Arc<dyn WritableStore> = Arc::new(store);
        self.store = Some(store.clone());
        self.writer = Some(store);
        self
    }

    /// How this deployment turns writes on, added to the `405` ([`Error::ReadOnly`]) of an
    /// upload or delete when the service has no [`writable_store`](Self::writable_store):
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

    /// The authenticator (required); an `Arc` shares one.
    #[must_use]
    pub fn authenticator(mut self, authenticator: impl Authenticator + 'static) -> Self {
        self.authenticator = Some(Arc::new(authenticator));
        self
    }

    /// Request and decode limits (default [`Limits::default`]); shorthand for setting them in
    /// [`ImageServiceBuilder::render_options`].
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
    /// is about the program, plus [`cache_bytes`](Self::cache_bytes), plus this, whatever the
    /// number of worker threads.
    #[must_use]
    pub fn render_memory(mut self, bytes: u64) -> Self {
        self.render_memory = Some(bytes);
        self
    }

    /// Builds the service, or says what is missing or inconsistent.
    pub fn build(self) -> Result<ImageService> {
        let store = self.store.ok_or_else(|| {
            Error::Config("a store is required (ImageServiceBuilder::store)".into())
        })?;
        let authenticator = self.authenticator.ok_or_else(|| {
            Error::Config(
                "an authenticator is required (ImageServiceBuilder::authenticator)".into(),
            )
        })?;
        let limits = &self.options.limits;
        if limits.max_side == 0 || limits.max_source_pixels == 0 || limits.max_frames == 0 {
            return Err(Error::Config(
                "limits must be positive (max_side, max_source_pixels, max_frames)".into(),
            ));
        }
        let max_age = self.max_age.unwrap_or(3600);
        Ok(ImageService {
            store,
            writer: self.writer,
            read_only_hint: self.read_only_hint,
            ingest: self.ingest,
            batch_workers: self.batch_workers.unwrap_or_else(|| {
                std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
            }),
            authenticator,
            options: self.options,
            cache_control: format!("private, max-age={max_age}"),
            default_placeholder: self.default_placeholder.unwrap_or(PlaceholderKind::NoPhoto),
            cache: match self.cache_bytes.unwrap_or(64 * 1024 * 1024) {
                0 => None,
                bytes => Some(Arc::new(RenderCache::new(bytes))),
            },
            budget: Arc::new(RenderBudget::new(
                self.render_memory.unwrap_or(DEFAULT_RENDER_MEMORY),
            )),
            known_formats: Arc::default(),
        })
    }
}
