//! Reading a stored photo for a render: whole, or, from a store that hands out a reader
//! ([`Opened::Reading`]), its first bytes and then the rest as the decode asks for it, each read
//! one store call within the deadline. A large PNG then costs a render a band of its bytes, not
//! all of them; any other photo is read whole, as [`ImageStore::fetch`] would.
//!
//! [`ImageStore::fetch`]: crate::store::ImageStore::fetch

use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::sync::Arc;

use bytes::Bytes;

use super::deadline::StoreCalls;
use super::ImageService;
use crate::metrics::StoreOp;
use crate::observe::stage_span;
use crate::person_id::PersonId;
use crate::store::{ImageInfo, Opened, PhotoReader};
use crate::{Error, Result};

/// A photo smaller than this is read whole: reading it in order would save little memory for the
/// store calls it costs.
const READ_WHOLE_BELOW: u64 = 512 * 1024;

/// The first bytes read of a photo that may be read in order: enough for a PNG's header chunks
/// (an ICC profile, EXIF) up to its first pixel data, which the plan is made from.
const HEAD_BYTES: u64 = 64 * 1024;

/// What a photo read in order holds at most: its first bytes and one read.
pub(super) const READ_IN_ORDER_HOLDS: u64 = HEAD_BYTES + READ_BYTES as u64;

/// The bytes each later read asks of the store: a store call each, so not too few (256 KiB
/// reads cost the 16-bit bench PNG's render 5 % of its throughput, 1 MiB reads nothing
/// measurable), and a band of a large photo, not the whole of it.
const READ_BYTES: usize = 1024 * 1024;

/// A stored photo as first read.
pub(super) enum Fetched {
    /// The photo's bytes, whole.
    Whole(Bytes),
    /// The photo's first bytes, and a reader at the first byte after them.
    Head { head: Bytes, rest: PhotoReader },
    /// What is stored now is not the version asked for.
    Changed,
}

impl ImageService {
    /// Opens the photo version `info` describes and reads its first bytes (all of them when it is
    /// small, or when the store hands out bytes rather than a reader), in a `store.fetch` span,
    /// timed, within the deadline.
    pub(super) fn open_source(&self, person: PersonId, info: &ImageInfo) -> Result<Fetched> {
        let _span = stage_span!("store.fetch", person = person.get(), bytes = info.len);
        let timer = crate::metrics::Timer::start();
        let (store, info) = (Arc::clone(&self.store), info.clone());
        let opened = self.calls.run(
            || reading(person),
            move || match store.open(person, &info)? {
                Opened::Current(bytes) => Ok(Fetched::Whole(bytes)),
                Opened::Changed => Ok(Fetched::Changed),
                Opened::Reading(mut reader) if reader.len() < READ_WHOLE_BELOW => {
                    Ok(Fetched::Whole(read_all(&mut reader, Bytes::new(), person)?))
                }
                Opened::Reading(mut reader) => {
                    let mut head = Vec::with_capacity(HEAD_BYTES as usize);
                    (&mut reader)
                        .take(HEAD_BYTES)
                        .read_to_end(&mut head)
                        .map_err(|error| read_error(person, error))?;
                    Ok(Fetched::Head {
                        head: Bytes::from(head),
                        rest: reader,
                    })
                }
            },
        );
        crate::metrics::store(StoreOp::Fetch, timer);
        opened
    }

    /// The whole photo whose first bytes are `head` and the rest `rest`, read in one store call
    /// within the deadline.
    pub(super) fn read_rest(
        &self,
        person: PersonId,
        head: Bytes,
        mut rest: PhotoReader,
    ) -> Result<Bytes> {
        self.calls.run(
            || reading(person),
            move || read_all(&mut rest, head, person),
        )
    }
}

/// `head` followed by everything `reader` has left.
fn read_all(reader: &mut PhotoReader, head: Bytes, person: PersonId) -> Result<Bytes> {
    let len = usize::try_from(reader.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(len.max(head.len()));
    bytes.extend_from_slice(&head);
    reader
        .read_to_end(&mut bytes)
        .map_err(|error| read_error(person, error))?;
    Ok(Bytes::from(bytes))
}

/// What a read of `person`'s photo is called in its errors.
fn reading(person: PersonId) -> String {
    format!("reading the photo of person {person}")
}

fn read_error(person: PersonId, error: io::Error) -> Error {
    Error::store(reading(person), error)
}

/// A photo read in order for a streaming decode: its first bytes, then the store's reader, each
/// read of which is one store call within the deadline. A read that fails or misses the deadline
/// is kept ([`StoreStream::failure`]), so the render answers it as the store's failure (503), not
/// as a broken picture.
pub(super) struct StoreStream<'a> {
    calls: &'a StoreCalls,
    person: PersonId,
    head: Bytes,
    /// `None` once a read failed: the reader may still be stuck in a store thread.
    rest: Option<PhotoReader>,
    buffer: Vec<u8>,
    /// The unread part of `buffer`.
    start: usize,
    end: usize,
    failure: Option<Error>,
}

impl<'a> StoreStream<'a> {
    /// The photo whose first bytes are `head` and the rest `rest`, read through `calls`.
    pub(super) fn new(
        calls: &'a StoreCalls,
        person: PersonId,
        head: Bytes,
        rest: PhotoReader,
    ) -> Self {
        StoreStream {
            calls,
            person,
            head,
            rest: Some(rest),
            buffer: Vec::new(),
            start: 0,
            end: 0,
            failure: None,
        }
    }

    /// The store's failure, when a read failed or missed the deadline.
    pub(super) fn failure(&mut self) -> Option<Error> {
        self.failure.take()
    }

    /// Reads the next bytes from the store into the buffer, within the deadline.
    fn refill(&mut self) -> io::Result<()> {
        let Some(mut reader) = self.rest.take() else {
            return Err(io::Error::other("an earlier read of the photo failed"));
        };
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.resize(READ_BYTES, 0);
        let person = self.person;
        let read = self.calls.run(
            || reading(person),
            move || {
                let read = reader
                    .read(&mut buffer)
                    .map_err(|error| read_error(person, error))?;
                Ok((reader, buffer, read))
            },
        );
        match read {
            Ok((reader, buffer, read)) => {
                self.rest = Some(reader);
                self.buffer = buffer;
                (self.start, self.end) = (0, read);
                Ok(())
            }
            Err(error) => {
                let message = error.to_string();
                self.failure = Some(error);
                Err(io::Error::other(message))
            }
        }
    }
}

impl Read for StoreStream<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let read = available.len().min(buf.len());
        buf[..read].copy_from_slice(&available[..read]);
        self.consume(read);
        Ok(read)
    }
}

impl BufRead for StoreStream<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if !self.head.is_empty() {
            return Ok(&self.head);
        }
        if self.start == self.end {
            self.refill()?;
        }
        Ok(&self.buffer[self.start..self.end])
    }

    fn consume(&mut self, amount: usize) {
        if !self.head.is_empty() {
            let _ = self.head.split_to(amount.min(self.head.len()));
        } else {
            self.start = (self.start + amount).min(self.end);
        }
    }
}

/// A stream read in order cannot seek; the decode never asks it to.
impl Seek for StoreStream<'_> {
    fn seek(&mut self, _: SeekFrom) -> io::Result<u64> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a photo read in order cannot seek",
        ))
    }
}
