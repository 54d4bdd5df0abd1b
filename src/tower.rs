//! A [`tower::Service`](tower_service::Service) for the endpoint (feature `tower`): mount it with
//! one call, e.g. axum's `Router::route_service` or `fallback_service`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use person_image::auth::StaticAuthenticator;
//! use person_image::store::Directory;
//! use person_image::tower::HttpService;
//! use person_image::ImageService;
//!
//! let service = ImageService::builder(
//!     Directory::new("photos"),
//!     StaticAuthenticator::default().user("demo", "demo"),
//! )
//! .build();
//! // One worker per core, 8 queued requests per worker, then 503 + Retry-After.
//! let limits = *service.limits();
//! let http = HttpService::builder(Arc::new(service), limits).workers(4).queue(32).build()?;
//! // axum: Router::new().route_service("/api/v1/Person/{id}/Image", http)
//! # let _ = http;
//! # Ok(()) }
//! ```
//!
//! # How requests run
//!
//! Parsing, authentication, the store and rendering are synchronous and CPU-bound, so they never
//! run on the async executor. The service owns a small pool of plain threads (default: one per
//! core, [`HttpServiceBuilder::workers`]) fed by a bounded queue
//! ([`HttpServiceBuilder::queue`], default 8 per worker); the answer comes back through a
//! one-shot channel that the response future awaits. A request is admitted in `call`: when every
//! worker is busy and the queue is full, it is answered at once with `503 Service Unavailable`,
//! `Retry-After` ([`HttpServiceBuilder::retry_after`], default 1 second) and
//! `{"Message":"the server is busy, retry later"}` — load shedding, so that latency stays bounded
//! by the queue instead of growing with the backlog. `poll_ready` is therefore always ready.
//!
//! The pool is the crate's own rather than tokio's `spawn_blocking`, so it needs no tokio runtime
//! (any executor can poll the futures), its threads are exactly the configured number (each keeps
//! its resizer's scratch buffers warm), and it is not shared with unrelated blocking work such as
//! file I/O. The threads end when the last clone of the service is dropped.
//!
//! A response future dropped before its turn (the client went away) skips its render. The tracing
//! span current at `call` becomes the parent of the request's span on the worker.
//!
//! # Bodies
//!
//! Only uploads (`PUT`/`POST …/Image`) and the batch call (`POST …/GetPersonImages`) have their
//! body read, on the executor, before the request is queued, and never more than
//! [`ApiRequest::body_limit`] bytes of it: a `Content-Length` above the limit is answered `413`
//! without reading a byte, and a body that grows past it while streaming is cut off with a `413`
//! there and then (a body that ends early or fails to arrive is a `400`). Every other request's
//! body is never read, so a client cannot make the service buffer anything. Responses are one
//! [`Body`] chunk,
//! `http_body_util::Full<Bytes>` (the rendered image is in memory already; cached ones are shared,
//! not copied).
//!
//! No `Layer` is provided: this is the endpoint itself, not middleware around another service;
//! compose tower-http layers (timeouts, compression, tracing) around it as usual.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::sync::oneshot;

use crate::http_interop::target;
use crate::limits::Limits;
use crate::request::{ApiRequest, Method};
use crate::response::{message_body, JSON_CONTENT_TYPE};
use crate::service::{refuse, respond_http, ImageService, PersonImageService};
use crate::{BoxError, Error, ImageResponse, Result};

/// The response body: the whole image (or JSON message) in one chunk.
pub type Body = http_body_util::Full<Bytes>;

/// Queued requests per worker when [`HttpServiceBuilder::queue`] is not set.
pub const DEFAULT_QUEUE_PER_WORKER: usize = 8;

/// The `Retry-After` seconds of a shed request when [`HttpServiceBuilder::retry_after`] is not set.
pub const DEFAULT_RETRY_AFTER_SECONDS: u32 = 1;

/// The message of a shed request's `{"Message": ...}` body.
pub const BUSY_MESSAGE: &str = "the server is busy, retry later";

/// A `tower::Service<http::Request<B>>` answering `GET /api/v1/Person/{id}/Image` with
/// `http::Response<`[`Body`]`>`, running the work on its own bounded pool (see the
/// [module docs](self)). Cloning is cheap: clones share the service and the pool.
pub struct HttpService<S: ?Sized = ImageService> {
    service: Arc<S>,
    /// What requests are parsed under (and bodies read under).
    limits: Limits,
    pool: Arc<Pool>,
    retry_after: u32,
}

impl<S: ?Sized> Clone for HttpService<S> {
    fn clone(&self) -> Self {
        HttpService {
            service: Arc::clone(&self.service),
            limits: self.limits,
            pool: Arc::clone(&self.pool),
            retry_after: self.retry_after,
        }
    }
}

impl<S: ?Sized> std::fmt::Debug for HttpService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpService")
            .field("workers", &self.pool.workers)
            .field("queue", &self.pool.queue)
            .field("retry_after", &self.retry_after)
            .finish_non_exhaustive()
    }
}

/// Configures an [`HttpService`]: pool size, queue length, `Retry-After`.
pub struct HttpServiceBuilder<S: ?Sized> {
    service: Arc<S>,
    limits: Limits,
    workers: Option<usize>,
    queue: Option<usize>,
    retry_after: u32,
}

impl<S: ?Sized> std::fmt::Debug for HttpServiceBuilder<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServiceBuilder")
            .field("workers", &self.workers)
            .field("queue", &self.queue)
            .field("retry_after", &self.retry_after)
            .finish_non_exhaustive()
    }
}

impl<S: PersonImageService + ?Sized + 'static> HttpService<S> {
    /// The service with the default pool: one worker per core, a queue of
    /// [`DEFAULT_QUEUE_PER_WORKER`] per worker. Fails only when a thread cannot be started.
    pub fn new(service: Arc<S>, limits: Limits) -> Result<Self> {
        Self::builder(service, limits).build()
    }

    /// Starts configuring the service over `service` (an `Arc<ImageService>`, or any
    /// [`PersonImageService`], `Arc<dyn PersonImageService>` included), parsing requests and
    /// reading bodies under `limits`: pass the service's own
    /// ([`ImageService::limits`]), so that what parses is what the service renders.
    pub fn builder(service: Arc<S>, limits: Limits) -> HttpServiceBuilder<S> {
        HttpServiceBuilder {
            service,
            limits,
            workers: None,
            queue: None,
            retry_after: DEFAULT_RETRY_AFTER_SECONDS,
        }
    }

    /// The number of worker threads.
    pub fn workers(&self) -> usize {
        self.pool.workers
    }

    /// How many admitted requests may wait for a worker before new ones are shed.
    pub fn queue(&self) -> usize {
        self.pool.queue
    }
}

impl<S: PersonImageService + ?Sized + 'static> HttpServiceBuilder<S> {
    /// Worker threads (default: `std::thread::available_parallelism`, one per core; at least 1).
    /// Rendering is CPU-bound, so more threads than cores add memory (each keeps scratch buffers),
    /// not throughput; more may pay off when the store is slow (network), since a worker waits
    /// for it.
    #[must_use]
    pub fn workers(mut self, workers: usize) -> Self {
        self.workers = Some(workers.max(1));
        self
    }

    /// Requests that may wait for a free worker (default [`DEFAULT_QUEUE_PER_WORKER`] per
    /// worker). Beyond it requests are answered 503 at once. 0 admits a request only when a worker
    /// is idle. A queued request waits at most about `queue / workers` renders.
    #[must_use]
    pub fn queue(mut self, queue: usize) -> Self {
        self.queue = Some(queue);
        self
    }

    /// The `Retry-After` seconds sent with a shed request's 503 (default
    /// [`DEFAULT_RETRY_AFTER_SECONDS`]).
    #[must_use]
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = seconds;
        self
    }

    /// Starts the worker threads (named `person-image-N`). Fails only when a thread cannot be
    /// started.
    pub fn build(self) -> Result<HttpService<S>> {
        let workers = self.workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        });
        let queue = self
            .queue
            .unwrap_or(workers.saturating_mul(DEFAULT_QUEUE_PER_WORKER));
        let (sender, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for index in 0..workers {
            let receiver = Arc::clone(&receiver);
            std::thread::Builder::new()
                .name(format!("person-image-{index}"))
                .spawn(move || work(&receiver))
                .map_err(|error| Error::internal("starting a worker thread", error))?;
        }
        Ok(HttpService {
            service: self.service,
            limits: self.limits,
            pool: Arc::new(Pool {
                sender,
                workers,
                queue,
            }),
            retry_after: self.retry_after,
        })
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// The sending side of the pool; the workers stop when it is dropped.
struct Pool {
    sender: SyncSender<Job>,
    workers: usize,
    queue: usize,
}

/// A worker: runs jobs until the pool is dropped. A panicking job (a bug) answers 500 (its
/// one-shot sender is dropped) and the worker carries on.
fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        // One idle worker waits in `recv` while holding the lock; the others wait for the lock.
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        match job {
            Ok(job) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
            }
            Err(_) => return,
        }
    }
}

impl<S, B> tower_service::Service<http::Request<B>> for HttpService<S>
where
    S: PersonImageService + ?Sized + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = ResponseFuture;

    /// Always ready: a request that finds the pool saturated is shed in `call` (503), not held
    /// back.
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<std::result::Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> ResponseFuture {
        let (parts, body) = request.into_parts();
        let limit = Method::from_http(&parts.method).map_or(0, |method| {
            ApiRequest::body_limit(method, target(&parts.uri), &self.limits)
        });
        if limit == 0 {
            return self.submit(parts, Bytes::new());
        }
        if declared_length(&parts.headers).is_some_and(|length| length > limit) {
            return self.refuse(&parts, &Error::PayloadTooLarge { max: limit });
        }
        let mut this = self.clone();
        let read = async move {
            let body = match http_body_util::BodyExt::collect(http_body_util::Limited::new(
                body,
                limit as usize,
            ))
            .await
            {
                Ok(collected) => collected.to_bytes(),
                Err(error) => {
                    let error = if error.is::<http_body_util::LengthLimitError>() {
                        Error::PayloadTooLarge { max: limit }
                    } else {
                        Error::invalid("body", "could not be read to its end")
                    };
                    return this.refuse(&parts, &error).await;
                }
            };
            this.submit(parts, body).await
        };
        ResponseFuture {
            state: State::Reading(Box::pin(read)),
        }
    }
}

impl<S: PersonImageService + ?Sized + 'static> HttpService<S> {
    /// Queues the request for a worker, or sheds it with a 503 when the queue is full.
    fn submit(&mut self, parts: http::request::Parts, body: Bytes) -> ResponseFuture {
        let is_head = parts.method == http::Method::HEAD;
        let (answer, answered) = oneshot::channel();
        let service = Arc::clone(&self.service);
        let limits = self.limits;
        #[cfg(feature = "tracing")]
        let parent = tracing::Span::current();
        let job: Job = Box::new(move || {
            if answer.is_closed() {
                return; // Nobody is waiting any more.
            }
            let respond = || respond_http(&*service, &parts, body, &limits);
            #[cfg(feature = "tracing")]
            let response = parent.in_scope(respond);
            #[cfg(not(feature = "tracing"))]
            let response = respond();
            let _ = answer.send(response);
        });
        match self.pool.sender.try_send(job) {
            Ok(()) => ResponseFuture {
                state: State::Waiting(answered),
            },
            Err(TrySendError::Full(_)) => {
                crate::metrics::shed();
                crate::metrics::request(
                    http::StatusCode::SERVICE_UNAVAILABLE,
                    crate::metrics::BodyLabel::None,
                );
                #[cfg(feature = "tracing")]
                tracing::debug!(
                    workers = self.pool.workers,
                    queue = self.pool.queue,
                    "request shed: the worker pool's queue is full"
                );
                ResponseFuture::ready(busy(self.retry_after, is_head))
            }
            // Workers never exit while the pool is alive (panics are caught): unreachable in
            // practice, but an answer is still due.
            Err(TrySendError::Disconnected(_)) => ResponseFuture::ready(internal_error()),
        }
    }

    /// Answers `error` at once (no work to queue), in its own request span, counted.
    fn refuse(&self, parts: &http::request::Parts, error: &Error) -> ResponseFuture {
        let method = Method::from_http(&parts.method).unwrap_or(Method::Get);
        let response = refuse(error, method);
        let response: http::Response<Bytes> = response.into();
        ResponseFuture::ready(response.map(Body::new))
    }
}

/// The `Content-Length` a request declares, when it declares one that parses.
fn declared_length(headers: &http::HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The future of an [`HttpService`] response: ready at once for a shed request, else the
/// worker's answer.
pub struct ResponseFuture {
    state: State,
}

enum State {
    Ready(Option<http::Response<Body>>),
    /// Reading an upload's or a batch's body, then waiting for the worker.
    Reading(Pin<Box<dyn Future<Output = ReadyResponse> + Send>>),
    Waiting(oneshot::Receiver<ImageResponse>),
}

type ReadyResponse = std::result::Result<http::Response<Body>, Infallible>;

impl ResponseFuture {
    fn ready(response: http::Response<Body>) -> Self {
        ResponseFuture {
            state: State::Ready(Some(response)),
        }
    }
}

impl std::fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match self.state {
            State::Ready(_) => "ready",
            State::Reading(_) => "reading",
            State::Waiting(_) => "waiting",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish()
    }
}

impl Future for ResponseFuture {
    type Output = std::result::Result<http::Response<Body>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.state {
            State::Ready(response) => {
                Poll::Ready(Ok(response.take().unwrap_or_else(internal_error)))
            }
            State::Reading(read) => read.as_mut().poll(cx),
            State::Waiting(answered) => match Pin::new(answered).poll(cx) {
                Poll::Ready(Ok(response)) => {
                    let response: http::Response<Bytes> = response.into();
                    Poll::Ready(Ok(response.map(Body::new)))
                }
                // The job panicked (a bug): its sender was dropped without an answer.
                Poll::Ready(Err(_)) => Poll::Ready(Ok(internal_error())),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

/// The 503 of a shed request.
fn busy(retry_after: u32, is_head: bool) -> http::Response<Body> {
    json_response(
        http::StatusCode::SERVICE_UNAVAILABLE,
        BUSY_MESSAGE,
        is_head,
        Some(retry_after),
    )
}

/// The 500 of a request whose worker failed to answer.
fn internal_error() -> http::Response<Body> {
    json_response(
        http::StatusCode::INTERNAL_SERVER_ERROR,
        "internal error",
        false,
        None,
    )
}

fn json_response(
    status: http::StatusCode,
    message: &str,
    is_head: bool,
    retry_after: Option<u32>,
) -> http::Response<Body> {
    let body = message_body(message);
    let length = body.len();
    let mut response = http::Response::new(Body::new(if is_head { Bytes::new() } else { body }));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(JSON_CONTENT_TYPE),
    );
    headers.insert(
        http::header::CONTENT_LENGTH,
        http::HeaderValue::from(length),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    if let Some(seconds) = retry_after {
        headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
    }
    response
}
