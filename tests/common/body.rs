//! A request body for the `tower` tests.

/// A request body the service must never read: polling it panics.
pub struct Unreadable;

impl http_body::Body for Unreadable {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        panic!("the body of a request without one was read")
    }
}
