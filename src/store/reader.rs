//! A stored photo read in order rather than held whole: what [`ImageStore::open`] may hand out,
//! so that a render which decodes as the bytes arrive holds a band of the photo, not all of it.
//!
//! [`ImageStore::open`]: super::ImageStore::open

use std::io::{self, Read};

use bytes::Bytes;

/// The answer to [`ImageStore::open`](super::ImageStore::open).
pub enum Opened {
    /// The bytes of exactly the version asked for, whole (what [`Fetch::Current`] holds).
    ///
    /// [`Fetch::Current`]: super::Fetch::Current
    Current(Bytes),
    /// The bytes of exactly the version asked for, to be read in order.
    Reading(PhotoReader),
    /// What is stored now is not that version, as [`Fetch::Changed`](super::Fetch::Changed).
    Changed,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Opened::Current(bytes) => write!(f, "Current({} bytes)", bytes.len()),
            Opened::Reading(reader) => f.debug_tuple("Reading").field(reader).finish(),
            Opened::Changed => f.write_str("Changed"),
        }
    }
}

/// A stored photo's bytes, read in order: exactly `len` of them. A source that ends early is an
/// error ([`io::ErrorKind::UnexpectedEof`]: the photo changed while it was read), and nothing past
/// `len` is read.
pub struct PhotoReader {
    inner: Box<dyn Read + Send>,
    len: u64,
    left: u64,
}

impl PhotoReader {
    /// Reads the photo's `len` bytes from `inner` (an open file, a response body).
    pub fn new(inner: impl Read + Send + 'static, len: u64) -> Self {
        PhotoReader {
            inner: Box::new(inner),
            len,
            left: len,
        }
    }

    /// The photo's length in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the photo has no bytes at all.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl std::fmt::Debug for PhotoReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoReader")
            .field("len", &self.len)
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

impl Read for PhotoReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let wanted = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if wanted == 0 {
            return Ok(0);
        }
        let read = self.inner.read(&mut buf[..wanted])?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the photo ended {} bytes short of its {} (it changed while it was read)",
                    self.left, self.len
                ),
            ));
        }
        self.left -= read as u64;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exactly_its_length() {
        let mut reader = PhotoReader::new(&b"0123456789"[..], 4);
        let mut read = Vec::new();
        reader.read_to_end(&mut read).unwrap();
        assert_eq!(read, b"0123");
    }

    #[test]
    fn a_source_ending_early_is_an_error_not_a_short_photo() {
        let mut reader = PhotoReader::new(&b"012"[..], 4);
        let mut read = Vec::new();
        let error = reader.read_to_end(&mut read).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }
}
