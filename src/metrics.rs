//! Counters and histograms through the [`metrics`](https://docs.rs/metrics) facade (feature
//! `metrics`). Without the feature every helper here compiles to nothing.
//!
//! The metric names and labels are listed once, in the crate docs' feature flags (`metrics`); the
//! helpers here are the only places they are recorded.

use crate::format::{ImageFormat, OutputFormat};
use crate::response::ImageResponse;

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

/// What a response's body is, as the `format` label of `person_image_requests_total` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyLabel {
    /// An image of this format: its short name (`jpeg`, `png`, `gif`, `tiff`, `bmp`, `webp`).
    Image(ImageFormat),
    /// A JSON string holding the image (only JSON was acceptable): `json`.
    Json,
    /// No image: errors, 204, 304, or a type the crate does not know (`none`).
    None,
}

impl BodyLabel {
    /// The label of `response`: its image format or JSON when it is a 200, else `none`.
    pub(crate) fn of(response: &ImageResponse) -> Self {
        match &response.content_type {
            _ if response.status != http::StatusCode::OK => BodyLabel::None,
            Some(media) if media.type_() == mime::APPLICATION && media.subtype() == mime::JSON => {
                BodyLabel::Json
            }
            Some(media) => ImageFormat::from_mime_type(media.essence_str())
                .map_or(BodyLabel::None, BodyLabel::Image),
            None => BodyLabel::None,
        }
    }

    /// The label's text.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            BodyLabel::Image(format) => format.as_str(),
            BodyLabel::Json => "json",
            BodyLabel::None => "none",
        }
    }
}

/// One answered request: its status and what its body is.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn request(status: http::StatusCode, body: BodyLabel) {
    #[cfg(feature = "metrics")]
    ::metrics::counter!(
        "person_image_requests_total",
        "status" => status_label(status.as_u16()),
        "format" => body.as_str(),
    )
    .increment(1);
}

/// What a render started from, as the `input` label of `person_image_render_seconds` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RenderInput {
    /// A stored image of this format: its short name.
    Stored(ImageFormat),
    /// A placeholder drawn by the crate: `placeholder`.
    Placeholder,
}

impl RenderInput {
    /// The label's text.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            RenderInput::Stored(format) => format.as_str(),
            RenderInput::Placeholder => "placeholder",
        }
    }
}

/// One render (decode, resize, encode, or a placeholder drawn and encoded) from `input` to
/// `output`, timed since `timer` started.
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn render(input: RenderInput, output: OutputFormat, timer: Timer) {
    #[cfg(feature = "metrics")]
    ::metrics::histogram!(
        "person_image_render_seconds",
        "input" => input.as_str(),
        "output" => output.as_str(),
    )
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

/// The variant tier's call sites, as the `op` label of `person_image_tier_skips_total` names them.
#[cfg(feature = "object-store")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TierOp {
    /// Reading a variant: `get`.
    Get,
    /// Writing a variant: `put`.
    Put,
    /// Claiming or renewing a render lease: `lease`.
    Lease,
}

#[cfg(feature = "object-store")]
impl TierOp {
    /// The `op` label.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    fn as_str(self) -> &'static str {
        match self {
            TierOp::Get => "get",
            TierOp::Put => "put",
            TierOp::Lease => "lease",
        }
    }
}

/// A variant read from the variant tier instead of rendered.
#[cfg(feature = "object-store")]
pub(crate) fn tier_hit() {
    #[cfg(feature = "metrics")]
    ::metrics::counter!("person_image_tier_hits_total").increment(1);
}

/// A variant tier read that found nothing current.
#[cfg(feature = "object-store")]
pub(crate) fn tier_miss() {
    #[cfg(feature = "metrics")]
    ::metrics::counter!("person_image_tier_misses_total").increment(1);
}

/// A variant tier call that failed or missed its deadline and was skipped.
#[cfg(feature = "object-store")]
#[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
pub(crate) fn tier_skip(op: TierOp) {
    #[cfg(feature = "metrics")]
    ::metrics::counter!("person_image_tier_skips_total", "op" => op.as_str()).increment(1);
}

/// A miss that found another replica's render lease and waited for its variant.
#[cfg(feature = "object-store")]
pub(crate) fn tier_lease_wait() {
    #[cfg(feature = "metrics")]
    ::metrics::counter!("person_image_tier_lease_waits_total").increment(1);
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
