//! Run with: `cargo run --release --example serve` (then see README.md for curl lines).
//!
//! An axum server for `GET /api/v1/Person/{personId}/Image` over a directory of photos
//! (`fixtures/persons/` by default), with demo credentials printed at start. With `--writable` it
//! also takes uploads (`PUT`/`POST`) and deletes, written into that directory, so point
//! `--images` at a copy; `…/ImageInfo` and the `GetPersonImages` batch are always served. `--help` lists the
//! flags; with `--features sqlite`, `--sqlite FILE` serves from a database (see `import_sqlite`);
//! with `--features object-store` (`s3` for S3), `--bucket URL` serves from object storage, the
//! layout of `store::Bucket` (README: "Running several replicas").
//! The endpoint is the crate's `tower` service, mounted with `fallback_service`; with
//! `--features metrics`, `GET /metrics` exports the counters in Prometheus text format; with
//! `--features webp`, browsers (whose `Accept` names `image/webp`) get WebP and `type=webp` works.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use argh::FromArgs;
use axum::Router;
use person_image::auth::StaticAuthenticator;
use person_image::store::{Directory, WritableStore};
use person_image::tower::HttpService;
use person_image::{ImageService, ImageServiceBuilder};

// The binary's allocator (the library leaves it to the binary): jemalloc returns freed pages and
// keeps a server's RSS near its live heap where glibc malloc's per-thread arenas fragment (see
// "Sizing memory" in the crate docs and benches/soak.sh).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read at its start (the symbol is jemalloc's `malloc_conf` with the
/// `_rjem_` prefix tikv-jemallocator builds it with). One arena: a render allocates a few large
/// buffers over milliseconds, so threads rarely meet on its lock, and the pages one thread frees
/// serve the next render on any thread. Freed pages go back to the system after about 200 ms, not
/// at once: under load the next render reuses them instead of faulting in fresh zeroed pages, and
/// once the load stops RSS falls back to the live heap (cache + renders in progress). The README's
/// "Reliability" section has the measurements of both settings. `_RJEM_MALLOC_CONF` in the
/// environment still overrides it.
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static malloc_conf: &[u8; 69] =
    b"background_thread:true,narenas:1,dirty_decay_ms:200,muzzy_decay_ms:0\0";

/// Serve /api/v1/Person/{personId}/Image (and its info, the batch, and with --writable uploads
/// and deletes) over a directory of photos.
#[derive(FromArgs, Debug)]
pub struct Config {
    /// where to listen (default 127.0.0.1:8080)
    #[argh(option, default = "SocketAddr::from(([127, 0, 0, 1], 8080))")]
    pub addr: SocketAddr,
    /// the photo directory: <id>.<ext> per person, an empty <id>.none for no photo
    #[argh(
        option,
        default = "PathBuf::from(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/fixtures/persons\"))"
    )]
    pub images: PathBuf,
    /// serve from this SQLite database instead of --images
    #[cfg(feature = "sqlite")]
    #[argh(option)]
    pub sqlite: Option<PathBuf>,
    /// serve from this object_store bucket instead of --images: s3://bucket/prefix (endpoint and
    /// credentials from AWS_* variables), file:///dir or memory://
    #[cfg(feature = "object-store")]
    #[argh(option)]
    pub bucket: Option<String>,
    /// the longest one store call may take, in milliseconds, before the request is answered 503
    /// or from a stale cached variant (default 5000); also each call to the --variants tier,
    /// which is skipped past it
    #[argh(option, default = "5000")]
    pub store_deadline_ms: u64,
    /// how long a cached variant may still be served while the store fails, in seconds (default
    /// 3600; 0 turns it off)
    #[argh(option, default = "3600")]
    pub stale_if_error_secs: u64,
    /// a Basic user USER:PASS (repeatable; default demo:demo)
    #[argh(option)]
    pub basic: Vec<String>,
    /// an accepted SOTicket (repeatable; default 7T:demo)
    #[argh(option)]
    pub ticket: Vec<String>,
    /// an accepted Bearer token (repeatable; default demo-token)
    #[argh(option)]
    pub bearer: Vec<String>,
    /// an accepted session cookie NAME=VALUE, sent with the XSRF double-submit (repeatable;
    /// default session=demo-session)
    #[argh(option)]
    pub session: Vec<String>,
    /// a read-only Basic user USER:PASS: may read, not upload or delete (repeatable; default
    /// viewer:viewer)
    #[argh(option)]
    pub viewer: Vec<String>,
    /// accept uploads and deletes, written into --images (or the database or bucket)
    #[argh(switch)]
    pub writable: bool,
    /// render cache size in MiB (default 64; 0 turns it off)
    #[argh(option, default = "64")]
    pub cache_mib: u64,
    /// memory renders in progress may hold, in MiB (default 32; a larger render runs alone): with
    /// the cache, what bounds the server's resident memory
    #[argh(option, default = "32")]
    pub render_mib: u64,
    /// memory the stored photos of requests in progress may hold, in MiB (default 128; a larger
    /// photo is read alone; a large PNG read as it decodes holds about 1 MiB)
    #[argh(option, default = "128")]
    pub source_mib: u64,
    /// render worker threads (default: one per core)
    #[argh(option)]
    pub workers: Option<usize>,
    /// requests that may wait for a worker before more are answered 503 (default: 8 per worker)
    #[argh(option)]
    pub queue: Option<usize>,
    /// share rendered variants with other replicas through this object store URL (s3://bucket/
    /// prefix with the s3 feature, file:///dir; memory:// is private to this process),
    /// options from AWS_* and the like in the environment
    #[cfg(feature = "object-store")]
    #[argh(option)]
    pub variants: Option<String>,
}

impl Default for Config {
    /// The demo configuration: every flag at its default.
    fn default() -> Self {
        Config::from_args(&["serve"], &[]).expect("the defaults parse")
    }
}

impl Config {
    /// The authenticator holding the configured credentials, or the demo ones where none is given.
    pub fn authenticator(&self) -> Result<StaticAuthenticator, String> {
        let or_demo = |given: &[String], demo: &str| match given {
            [] => vec![demo.to_owned()],
            given => given.to_vec(),
        };
        let pair = |text: &str, separator, form| {
            text.split_once(separator)
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .ok_or_else(|| format!("expected {form}, got {text:?}"))
        };
        let mut auth = StaticAuthenticator::default();
        for user in or_demo(&self.basic, "demo:demo") {
            let (user, password) = pair(&user, ':', "--basic USER:PASS")?;
            auth = auth.user(user, password);
        }
        for ticket in or_demo(&self.ticket, "7T:demo") {
            auth = auth.ticket(ticket, "ticket-user");
        }
        for token in or_demo(&self.bearer, "demo-token") {
            auth = auth.bearer(token, "bearer-user");
        }
        for session in or_demo(&self.session, "session=demo-session") {
            let (name, value) = pair(&session, '=', "--session NAME=VALUE")?;
            auth = auth.session_cookie(name, value, "session-user");
        }
        for viewer in or_demo(&self.viewer, "viewer:viewer") {
            let (user, password) = pair(&viewer, ':', "--viewer USER:PASS")?;
            auth = auth.user(user.clone(), password).read_only(user);
        }
        Ok(auth)
    }

    /// The service over the photo directory, or the SQLite database or bucket when one is given.
    /// Fails, naming the flag and the path, when that directory or database is not there.
    pub fn service(&self) -> Result<ImageService, String> {
        let authenticator = self.authenticator()?;
        let builder = match self.database() {
            #[cfg(feature = "object-store")]
            _ if self.bucket.is_some() => {
                let url = self.bucket.as_deref().unwrap_or_default();
                let bucket = person_image::store::Bucket::from_url(url)
                    .map_err(|e| format!("--bucket {url}: {}", error_chain(&e)))?
                    .with_deadline(self.store_deadline());
                bucket
                    .check_bucket()
                    .map_err(|e| format!("--bucket {url}: {}", error_chain(&e)))?;
                self.builder(bucket, authenticator)
            }
            // `open` would create a missing file: an empty database that answers 500 to all.
            #[cfg(feature = "sqlite")]
            Some(path) => {
                check_path("--sqlite", path, Expect::File)?;
                self.builder(
                    person_image::store::Sqlite::open(path).map_err(|e| e.to_string())?,
                    authenticator,
                )
            }
            // `Directory` takes a root that is not there yet (every person is then unknown, and a
            // file is a 500 on every request): fine for a volume mounted later, not for a typo.
            _ => {
                check_path("--images", &self.images, Expect::Directory)?;
                self.builder(Directory::new(&self.images), authenticator)
            }
        };
        // The shared variant tier behind the render cache (--variants, feature object-store).
        #[cfg(feature = "object-store")]
        let builder = match &self.variants {
            Some(url) => {
                let (bucket, prefix) = person_image::store::open_url(url)
                    .map_err(|e| format!("--variants {url}: {e}"))?;
                let tier = person_image::store::VariantTier::new(bucket, prefix)
                    .map_err(|e| format!("--variants {url}: {e}"))?
                    .with_call_deadline(self.store_deadline());
                builder.variant_tier(tier)
            }
            None => builder,
        };
        Ok(builder
            .cache_bytes(self.cache_mib * 1024 * 1024)
            .render_memory(self.render_mib * 1024 * 1024)
            .source_memory(self.source_mib * 1024 * 1024)
            .read_only_hint("start the server with --writable")
            .store_deadline(self.store_deadline())
            .stale_if_error(Duration::from_secs(self.stale_if_error_secs))
            .build())
    }

    fn store_deadline(&self) -> Duration {
        Duration::from_millis(self.store_deadline_ms)
    }

    /// What the service reads from, for the start-up line.
    fn source(&self) -> String {
        #[cfg(feature = "object-store")]
        if let Some(url) = &self.bucket {
            return url.clone();
        }
        let source = self.database().unwrap_or(&self.images);
        source.display().to_string()
    }

    /// A builder serving from `store`, writing to it only with `--writable`.
    fn builder(
        &self,
        store: impl WritableStore + 'static,
        authenticator: StaticAuthenticator,
    ) -> ImageServiceBuilder {
        if self.writable {
            ImageService::writable_builder(store, authenticator)
        } else {
            ImageService::builder(store, authenticator)
        }
    }

    /// The tower service over [`Config::service`], with the configured pool.
    pub fn http_service(&self) -> Result<HttpService, String> {
        let service = self.service()?;
        let limits = *service.limits();
        let mut builder = HttpService::builder(Arc::new(service), limits);
        if let Some(workers) = self.workers {
            builder = builder.workers(workers);
        }
        if let Some(queue) = self.queue {
            builder = builder.queue(queue);
        }
        builder.build().map_err(|e| e.to_string())
    }

    fn database(&self) -> Option<&PathBuf> {
        #[cfg(feature = "sqlite")]
        return self.sqlite.as_ref();
        #[cfg(not(feature = "sqlite"))]
        None
    }
}

/// `error` and its sources on one line: a configuration error's cause is in its source.
#[cfg(feature = "object-store")]
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// What a store flag must name.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Directory,
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    File,
}

/// `Ok` when `path` (given with `flag`) is an existing directory or file as `expect` says, else
/// a message naming the flag, the path and what is wrong: `--images /no/such/dir: no such
/// directory`, `--images Cargo.toml: not a directory`.
fn check_path(flag: &str, path: &Path, expect: Expect) -> Result<(), String> {
    let (kind, is_kind): (&str, fn(&std::fs::Metadata) -> bool) = match expect {
        Expect::Directory => ("directory", std::fs::Metadata::is_dir),
        Expect::File => ("file", std::fs::Metadata::is_file),
    };
    match std::fs::metadata(path) {
        Ok(metadata) if is_kind(&metadata) => Ok(()),
        Ok(_) => Err(format!("{flag} {}: not a {kind}", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            Err(format!("{flag} {}: no such {kind}", path.display()))
        }
        Err(error) => Err(format!("{flag} {}: {error}", path.display())),
    }
}

/// The HTTP routes: every path goes to the image service, which matches
/// `/api/v1/Person/{id}/Image` case-insensitively and answers 404 for anything else.
pub fn router(service: HttpService) -> Router {
    Router::new().fallback_service(service)
}

/// Adds `GET /metrics`: the counters in Prometheus text format, from the recorder `handle` reads.
#[cfg(feature = "metrics")]
pub fn with_metrics(
    router: Router,
    handle: metrics_exporter_prometheus::PrometheusHandle,
) -> Router {
    router.route(
        "/metrics",
        axum::routing::get(move || std::future::ready(handle.render())),
    )
}

#[allow(dead_code)] // Tests include this file for `router`, `Config` and `run` only.
fn main() -> ExitCode {
    let config: Config = argh::from_env();
    match run(&config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("serve: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Builds the service (which checks the store flags), then listens until Ctrl-C; an error says
/// why it did not start or stopped.
pub fn run(config: &Config) -> Result<(), String> {
    // Rendering runs on the service's own pool (one thread per core unless --workers says
    // otherwise); the runtime only moves bytes.
    let app = router(config.http_service()?);
    #[cfg(feature = "metrics")]
    let app = with_metrics(
        app,
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .install_recorder()
            .map_err(|e| format!("cannot install the metrics recorder: {e}"))?,
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        println!(
            "person-image serving {} on http://{}",
            config.source(),
            config.addr
        );
        println!(
            "try: curl -u demo:demo http://{}/api/v1/Person/1/Image?w=128 -o 1.jpg",
            config.addr
        );
        println!(
            "demo credentials (unless flags replace them): Basic demo:demo, SOTicket 7T:demo,"
        );
        println!("  Bearer demo-token, Cookie session=demo-session with the XSRF double-submit;");
        println!(
            "  read-only: Basic viewer:viewer; uploads and deletes: {}",
            if config.writable {
                "on (--writable)"
            } else {
                "off (start with --writable)"
            }
        );
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| format!("server error: {e}"))
    })
}
