//! Run with: `cargo run --release --example serve` (then see README.md for curl lines).
//!
//! An axum server for `GET /api/v1/Person/{personId}/Image` over a directory of photos
//! (`fixtures/persons/` by default), with demo credentials printed at start.
//!
//! Flags: `--addr HOST:PORT` (127.0.0.1:8080), `--images DIR` (fixtures/persons),
//! `--basic USER:PASS` (repeatable; default demo:demo), `--ticket T` (7T:demo),
//! `--bearer T` (demo-token), `--session NAME=VALUE` (session=demo-session; accepted together with
//! the XSRF rule: an `X-XSRF-TOKEN` header equal to the `XSRF-TOKEN` cookie), `--cache-mib N`
//! (render cache size, default 64; 0 turns it off).
//! With `--features sqlite`: `--sqlite FILE` serves from that database (see `import_sqlite`)
//! instead of `--images`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::{http, Router};
use person_image::{DirectoryStore, ImageService, StaticAuthenticator};

/// The server's settings, from the command line.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The photo directory.
    pub images: PathBuf,
    /// A SQLite database to serve from instead of `images`.
    #[cfg(feature = "sqlite")]
    pub sqlite: Option<PathBuf>,
    /// Basic users and passwords.
    pub basic: Vec<(String, String)>,
    /// Accepted SOTicket values.
    pub tickets: Vec<String>,
    /// Accepted Bearer tokens.
    pub bearers: Vec<String>,
    /// Accepted session cookies (name, value).
    pub sessions: Vec<(String, String)>,
    /// Render cache size in MiB (0 = off).
    pub cache_mib: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            images: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/persons")),
            #[cfg(feature = "sqlite")]
            sqlite: None,
            basic: vec![("demo".into(), "demo".into())],
            tickets: vec!["7T:demo".into()],
            bearers: vec!["demo-token".into()],
            sessions: vec![("session".into(), "demo-session".into())],
            cache_mib: 64,
        }
    }
}

impl Config {
    /// Parses the flags; a flag given replaces that flag's default.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let defaults = Config::default();
        let mut config = Config {
            basic: Vec::new(),
            tickets: Vec::new(),
            bearers: Vec::new(),
            sessions: Vec::new(),
            ..defaults.clone()
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
            match flag.as_str() {
                "--addr" => {
                    config.addr = value()?
                        .parse()
                        .map_err(|e| format!("--addr wants HOST:PORT: {e}"))?
                }
                "--images" => config.images = PathBuf::from(value()?),
                "--cache-mib" => {
                    config.cache_mib = value()?
                        .parse()
                        .map_err(|e| format!("--cache-mib wants a number: {e}"))?
                }
                #[cfg(feature = "sqlite")]
                "--sqlite" => config.sqlite = Some(PathBuf::from(value()?)),
                "--basic" => config
                    .basic
                    .push(split_pair(&value()?, ':', "--basic USER:PASS")?),
                "--ticket" => config.tickets.push(value()?),
                "--bearer" => config.bearers.push(value()?),
                "--session" => {
                    config
                        .sessions
                        .push(split_pair(&value()?, '=', "--session NAME=VALUE")?)
                }
                "-h" | "--help" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown flag {other}\n{USAGE}")),
            }
        }
        for (mine, default) in [
            (&mut config.tickets, defaults.tickets),
            (&mut config.bearers, defaults.bearers),
        ] {
            if mine.is_empty() {
                *mine = default;
            }
        }
        if config.basic.is_empty() {
            config.basic = defaults.basic;
        }
        if config.sessions.is_empty() {
            config.sessions = defaults.sessions;
        }
        Ok(config)
    }

    /// The authenticator holding these credentials.
    pub fn authenticator(&self) -> StaticAuthenticator {
        let mut auth = StaticAuthenticator::default();
        for (user, password) in &self.basic {
            auth = auth.user(user, password);
        }
        for ticket in &self.tickets {
            auth = auth.ticket(ticket, "ticket-user");
        }
        for token in &self.bearers {
            auth = auth.bearer(token, "bearer-user");
        }
        for (name, value) in &self.sessions {
            auth = auth.session_cookie(name, value, "session-user");
        }
        auth
    }

    /// The service over the image directory, or the SQLite database when one is given.
    pub fn service(&self) -> Result<ImageService, person_image::Error> {
        #[cfg(feature = "sqlite")]
        if let Some(path) = &self.sqlite {
            // `open` would create a missing file: an empty database that answers 500 to all.
            if !path.is_file() {
                return Err(person_image::Error::Config(format!(
                    "no database at {}",
                    path.display()
                )));
            }
            return ImageService::builder()
                .store(person_image::SqliteStore::open(path)?)
                .authenticator(self.authenticator())
                .build();
        }
        ImageService::builder()
            .store(DirectoryStore::new(&self.images))
            .authenticator(self.authenticator())
            .cache_bytes(self.cache_mib * 1024 * 1024)
            .build()
    }
}

const USAGE: &str = "usage: serve [--addr HOST:PORT] [--images DIR] [--basic USER:PASS]... \
                     [--ticket T]... [--bearer T]... [--session NAME=VALUE]... [--cache-mib N] \
                     [--sqlite FILE (with --features sqlite)]";

fn split_pair(text: &str, separator: char, form: &str) -> Result<(String, String), String> {
    text.split_once(separator)
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .ok_or_else(|| format!("expected {form}, got {text:?}"))
}

/// The HTTP routes: every path goes to the image service, which matches
/// `/api/v1/Person/{id}/Image` case-insensitively and answers 404 for anything else.
pub fn router(service: Arc<ImageService>) -> Router {
    Router::new().fallback(serve_image).with_state(service)
}

async fn serve_image(State(service): State<Arc<ImageService>>, request: Request) -> Response {
    let (parts, _body) = request.into_parts();
    let request = http::Request::from_parts(parts, ());
    // Decoding and resizing are CPU work: keep them off the async executor.
    let response = tokio::task::spawn_blocking(move || service.handle_http(&request)).await;
    match response {
        Ok(response) => response.map(Body::from),
        Err(_) => Response::builder()
            .status(500)
            .header("content-type", "application/json; charset=utf-8")
            .body(Body::from(r#"{"Message":"internal error"}"#))
            .unwrap_or_default(),
    }
}

#[allow(dead_code)] // Tests include this file for `router` and `Config` only.
fn main() {
    // Rendering is CPU-bound: more blocking threads than cores only add per-thread scratch
    // buffers and allocator arenas (RSS) without adding throughput.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores * 2)
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(serve_forever()),
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            std::process::exit(1);
        }
    }
}

async fn serve_forever() {
    let config = match Config::from_args(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let service = match config.service() {
        Ok(service) => Arc::new(service),
        Err(error) => {
            eprintln!("cannot start: {error}");
            std::process::exit(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("cannot listen on {}: {error}", config.addr);
            std::process::exit(1);
        }
    };
    #[cfg(feature = "sqlite")]
    let images = config.sqlite.as_ref().unwrap_or(&config.images);
    #[cfg(not(feature = "sqlite"))]
    let images = &config.images;
    println!(
        "person-image serving {} on http://{}",
        images.display(),
        config.addr
    );
    println!(
        "try: curl -u demo:demo http://{}/api/v1/Person/1/Image?w=128 -o 1.jpg",
        config.addr
    );
    println!("demo credentials:");
    for (user, password) in &config.basic {
        println!("  Authorization: Basic   {user}:{password}  (curl -u {user}:{password})");
    }
    for ticket in &config.tickets {
        println!("  Authorization: SOTicket {ticket}");
    }
    for token in &config.bearers {
        println!("  Authorization: Bearer  {token}");
    }
    for (name, value) in &config.sessions {
        println!("  Cookie: {name}={value}; XSRF-TOKEN=<t>  with header X-XSRF-TOKEN: <t>");
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(error) = axum::serve(listener, router(service))
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("server error: {error}");
        std::process::exit(1);
    }
}
