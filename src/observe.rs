//! Spans (feature `tracing`): one `person_image.request` span per request, with child spans for
//! each stage. Without the feature every helper here compiles to nothing.
//!
//! Fields carry only what is safe to log: the method, the person id, sizes, formats, the status
//! and the cache outcome. Never a header value, credential, cookie, path with query, or principal.

use crate::request::Method;
use crate::response::ImageResponse;
use crate::Error;

/// Enters a debug-level child span for one stage (`stage_span!("decode", format = ...)`); the
/// span closes when the returned guard drops.
#[cfg(feature = "tracing")]
macro_rules! stage_span {
    ($name:literal $(, $($fields:tt)*)?) => {
        tracing::debug_span!($name $(, $($fields)*)?).entered()
    };
}

/// Without `tracing`, a guard that does nothing (the field expressions are not evaluated).
#[cfg(not(feature = "tracing"))]
macro_rules! stage_span {
    ($($anything:tt)*) => {
        $crate::observe::NoSpan
    };
}

pub(crate) use stage_span;

/// What a stage span is without `tracing`.
#[cfg(not(feature = "tracing"))]
#[derive(Debug)]
pub(crate) struct NoSpan;

#[cfg(not(feature = "tracing"))]
impl NoSpan {
    /// Records nothing.
    pub(crate) fn record<V>(&self, _field: &str, _value: V) {}
}

/// The span of one request: created when the method (and, once parsed, the person) is known;
/// [`RequestSpan::finish`] records the outcome.
#[derive(Debug)]
pub(crate) struct RequestSpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

impl RequestSpan {
    /// Opens the span of a request for `person` (`None` when the path did not parse).
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn new(method: Method, person: Option<i32>) -> Self {
        RequestSpan {
            #[cfg(feature = "tracing")]
            span: tracing::info_span!(
                "person_image.request",
                method = method.as_str(),
                person,
                status = tracing::field::Empty,
                bytes = tracing::field::Empty,
                content_type = tracing::field::Empty,
                cache = tracing::field::Empty,
                passthrough = tracing::field::Empty,
            ),
        }
    }

    /// Runs `work` inside the span.
    pub(crate) fn in_scope<R>(&self, work: impl FnOnce() -> R) -> R {
        #[cfg(feature = "tracing")]
        return self.span.in_scope(work);
        #[cfg(not(feature = "tracing"))]
        work()
    }

    /// Records the response's status, body length and type, and the error at the level it
    /// deserves: 5xx at `error`, 4xx at `debug` (the caller's mistake, not the server's).
    #[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
    pub(crate) fn finish(&self, response: &ImageResponse, error: Option<&Error>) {
        #[cfg(feature = "tracing")]
        self.span.in_scope(|| {
            let span = &self.span;
            span.record("status", response.status.as_u16());
            span.record("bytes", response.content_length);
            let content_type = response.content_type.as_ref().map_or("", AsRef::as_ref);
            span.record("content_type", content_type);
            match error {
                Some(error) if error.status().is_server_error() => {
                    let status = error.status().as_u16();
                    tracing::error!(status, error = %error, "request failed")
                }
                Some(error) => {
                    let status = error.status().as_u16();
                    tracing::debug!(status, error = %error, "request refused")
                }
                None => {}
            }
        });
    }
}

/// How the render cache answered a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CacheOutcome {
    /// Answered from the cache, or by another request's identical render.
    Hit,
    /// Rendered here.
    Miss,
    /// A 304: nothing rendered.
    NotModified,
    /// No cache, or a passthrough (never cached).
    None,
}

impl CacheOutcome {
    /// The span field's value: `hit`, `miss`, `not_modified`, `none`.
    #[cfg_attr(not(feature = "tracing"), allow(dead_code))]
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Miss => "miss",
            CacheOutcome::NotModified => "not_modified",
            CacheOutcome::None => "none",
        }
    }
}

/// Records how the render cache answered on the current request span.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn record_cache(outcome: CacheOutcome) {
    #[cfg(feature = "tracing")]
    tracing::Span::current().record("cache", outcome.as_str());
}

/// Records on the current request span whether the stored bytes are sent unchanged.
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
pub(crate) fn record_passthrough(passthrough: bool) {
    #[cfg(feature = "tracing")]
    tracing::Span::current().record("passthrough", passthrough);
}
