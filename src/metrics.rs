//! Counters and histograms through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`). Without the feature every helper here compiles to nothing.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `person_image_requests_total` | counter | `status`, `format` (`jpeg`, `png`, `gif`, `tiff`, `bmp`, `webp`, `json`, `none`) |
//! | `person_image_render_seconds` | histogram | `input` (stored format or `placeholder`), `output` |
//! | `person_image_store_seconds` | histogram | `op` (`lookup`, `fetch`) |
//! | `person_image_cache_hits_total` | counter | |
//! | `person_image_cache_misses_total` | counter | |
//! | `person_image_cache_evictions_total` | counter | |
//! | `person_image_cache_bytes` | gauge | |
//! | `person_image_shed_total` | counter | (requests answered 503 by the tower service's full queue) |

/// A stopwatch that exists only with the `metrics` feature.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timer {
    #[cfg(feature = "metrics")]
    start: std::time::Instant,
}

impl Timer {
    /// Starts timing.
    pub(crate) fn start() -> Self {
        Timer {
            #[cfg(feature = "metrics")]
            start: std::time::Instant::now(),
        }
    }

    #[cfg(feature = "metrics")]
    fn seconds(self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
}

/// One answered request: its status, and the short name of its body's type (`none` when it
/// carries no image or JSON string: errors, 304s).
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn request(status: http::StatusCode, content_type: &str) {
    #[cfg(feature = "metrics")]
    {
        let format = match (status.as_u16(), content_type) {
            (200, "image/jpeg") => "jpeg",
            (200, "image/png") => "png",
            (200, "image/gif") => "gif",
            (200, "image/tiff") => "tiff",
            (200, "image/bmp") => "bmp",
            (200, "image/webp") => "webp",
            (200, other) if other.starts_with("application/json") => "json",
            _ => "none",
        };
        ::metrics::counter!(
            "person_image_requests_total",
            "status" => status_label(status.as_u16()),
            "format" => format,
        )
        .increment(1);
    }
}

/// One render (decode, resize, encode, or a placeholder drawn and encoded) from `input` to
/// `output`, timed since `timer` started.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn render(input: &'static str, output: &'static str, timer: Timer) {
    #[cfg(feature = "metrics")]
    ::metrics::histogram!("person_image_render_seconds", "input" => input, "output" => output)
        .record(timer.seconds());
}

/// The store calls that are timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreOp {
    /// [`ImageStore::lookup`](crate::store::ImageStore::lookup).
    Lookup,
    /// [`ImageStore::fetch`](crate::store::ImageStore::fetch).
    Fetch,
}

impl StoreOp {
    /// The `op` label: `lookup`, `fetch`.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            StoreOp::Lookup => "lookup",
            StoreOp::Fetch => "fetch",
        }
    }
}

/// One store call, timed since `timer` started.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn store(op: StoreOp, timer: Timer) {
    #[cfg(feature = "metrics")]
    ::metrics::histogram!("person_image_store_seconds", "op" => op.as_str())
        .record(timer.seconds());
}

/// A render cache hit.
pub(crate) fn cache_hit() {
    #[cfg(feature = "metrics")]
    ::metrics::counter!("person_image_cache_hits_total").increment(1);
}

/// A render cache miss.
pub(crate) fn cache_miss() {
    #[cfg(feature = "metrics")]
    ::metrics::counter!("person_image_cache_misses_total").increment(1);
}

/// Entries evicted from the render cache, and the bytes the shard's insert changed it by.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn cache_stored(evicted: u64, bytes_delta: i64) {
    #[cfg(feature = "metrics")]
    {
        if evicted > 0 {
            ::metrics::counter!("person_image_cache_evictions_total").increment(evicted);
        }
        ::metrics::gauge!("person_image_cache_bytes").increment(bytes_delta as f64);
    }
}

/// A request refused with 503 because the worker pool's queue was full.
#[cfg(feature = "tower")]
pub(crate) fn shed() {
    #[cfg(feature = "metrics")]
    ::metrics::counter!("person_image_shed_total").increment(1);
}

#[cfg(feature = "metrics")]
fn status_label(status: u16) -> &'static str {
    match status {
        200 => "200",
        304 => "304",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        422 => "422",
        500 => "500",
        503 => "503",
        _ if status >= 500 => "5xx",
        _ => "4xx",
    }
}
