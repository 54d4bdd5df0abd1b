//! An object's body read in order (feature `object-store`): what [`Bucket`](super::Bucket) hands
//! out from [`ImageStore::open`](super::ImageStore::open), so a large PNG in a bucket is rendered
//! as it downloads, not held whole.

use std::io::{self, Read};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_core::stream::BoxStream;
use object_store::path::Path;

use super::bridge::Bridge;

/// The body of a `GET`, read through the store's runtime: each read waits, within the store's
/// deadline, for the chunks that fill it (one round trip to the runtime, not one per network
/// chunk). A read that fails or misses the deadline is an error, and so is every read after it.
pub(super) struct ObjectBody {
    runtime: Bridge,
    deadline: Duration,
    key: Path,
    /// `None` at the end of the body, or after a failed read.
    body: Option<BoxStream<'static, object_store::Result<Bytes>>>,
    failed: bool,
    /// Received and not read yet.
    pending: Bytes,
}

impl ObjectBody {
    /// Reads `body`, the object `key`'s, on `runtime` within `deadline` a read.
    pub(super) fn new(
        runtime: Bridge,
        deadline: Duration,
        key: Path,
        body: BoxStream<'static, object_store::Result<Bytes>>,
    ) -> Self {
        ObjectBody {
            runtime,
            deadline,
            key,
            body: Some(body),
            failed: false,
            pending: Bytes::new(),
        }
    }

    /// Receives about `wanted` bytes into `pending`.
    fn receive(&mut self, wanted: usize) -> io::Result<()> {
        if self.failed {
            return Err(io::Error::other(format!(
                "an earlier read of object {} failed",
                self.key
            )));
        }
        let Some(mut body) = self.body.take() else {
            return Ok(());
        };
        let key = self.key.clone();
        let received = self.runtime.run(
            format!("reading object {key}"),
            Some(self.deadline),
            async move {
                let mut chunks = Vec::new();
                let mut len = 0;
                while len < wanted {
                    match std::future::poll_fn(|context| body.as_mut().poll_next(context)).await {
                        Some(Ok(chunk)) => {
                            len += chunk.len();
                            chunks.push(chunk);
                        }
                        Some(Err(error)) => {
                            return Err(crate::Error::store(format!("reading object {key}"), error))
                        }
                        None => return Ok((chunks, None)),
                    }
                }
                Ok((chunks, Some(body)))
            },
        );
        match received {
            Ok((mut chunks, body)) => {
                self.body = body;
                self.pending = match chunks.len() {
                    1 => chunks.swap_remove(0),
                    _ => chunks
                        .iter()
                        .fold(BytesMut::new(), |mut all, chunk| {
                            all.extend_from_slice(chunk);
                            all
                        })
                        .freeze(),
                };
                Ok(())
            }
            Err(error) => {
                self.failed = true;
                Err(io::Error::other(error))
            }
        }
    }
}

impl Read for ObjectBody {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            self.receive(buf.len())?;
        }
        let read = self.pending.len().min(buf.len());
        buf[..read].copy_from_slice(&self.pending[..read]);
        let _ = self.pending.split_to(read);
        Ok(read)
    }
}
