//! The whole GET: authentication, store lookup, negotiation, rendering and caching headers.

use crate::request::ImageRequest;
use crate::response::ImageResponse;
use crate::Result;

/// Serves `GET /api/v1/Person/{personId}/Image`.
pub trait PersonImageService: Send + Sync {
    /// Answers one request, or the error that decides its status.
    fn get_image(&self, request: &ImageRequest) -> Result<ImageResponse>;
}
