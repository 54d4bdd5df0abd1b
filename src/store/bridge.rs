//! The sync-to-async bridge of the `object_store` types (feature `object-store`): a small owned
//! tokio runtime that runs their requests while the synchronous caller waits on a channel.

use std::fmt;
use std::future::Future;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use crate::{Error, Result};

/// A one-worker tokio runtime that runs requests for a synchronous caller; see "Calling an
/// async store from the synchronous trait" on [`Bucket`](super::Bucket) for why it is built this
/// way. Clones share the runtime, which shuts down in the background when the last one goes.
#[derive(Clone)]
pub(crate) struct Bridge(Arc<OwnedRuntime>);

impl fmt::Debug for Bridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bridge")
    }
}

impl Bridge {
    /// Starts the runtime; its threads are named `thread_name`.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the OS refused a thread.
    pub(crate) fn new(thread_name: &str) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(16)
            .thread_name(thread_name)
            .enable_all()
            .build()
            .map_err(|e| Error::store("starting the object store runtime", e))?;
        Ok(Bridge(Arc::new(OwnedRuntime(Some(runtime)))))
    }

    /// Runs `task` on the runtime and waits for its answer, at most `deadline` when one is given:
    /// past it the task is cancelled and the answer is an [`Error::Store`] naming `what`.
    pub(crate) fn run<T, F>(&self, what: String, deadline: Option<Duration>, task: F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        let Some(runtime) = self.0 .0.as_ref() else {
            return Err(Error::store(what, "the object store runtime is shut down"));
        };
        let (answer, answered) = mpsc::sync_channel(1);
        let handle = runtime.spawn(async move {
            // The caller waits for this; it can only be gone if it stopped waiting.
            let _ = answer.send(task.await);
        });
        let received = match deadline {
            Some(deadline) => answered
                .recv_timeout(deadline)
                .map_err(|error| match error {
                    mpsc::RecvTimeoutError::Timeout => {
                        handle.abort();
                        format!("no answer within {} ms", deadline.as_millis())
                    }
                    mpsc::RecvTimeoutError::Disconnected => {
                        "the request panicked or was cancelled".to_owned()
                    }
                }),
            None => answered
                .recv()
                .map_err(|_| "the request panicked or was cancelled".to_owned()),
        };
        received.unwrap_or_else(|reason| Err(Error::store(what, reason)))
    }

    /// Runs `task` on the runtime without waiting for it; `None` when the runtime is shut down.
    pub(crate) fn spawn<F>(&self, task: F) -> Option<tokio::task::JoinHandle<()>>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0 .0.as_ref().map(|runtime| runtime.spawn(task))
    }
}

/// The runtime, shut down in the background when dropped: dropping a `Runtime` blocks on its
/// blocking pool, which panics inside async code.
#[derive(Debug)]
struct OwnedRuntime(Option<tokio::runtime::Runtime>);

impl Drop for OwnedRuntime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}
