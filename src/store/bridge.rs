//! The sync-to-async bridge of the `object_store` types (feature `object-store`): a small owned
//! tokio runtime that runs their requests while the synchronous caller waits on a channel.

use std::fmt;
use std::future::Future;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use crate::error::Unavailable;
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
    /// past it the task is cancelled and the answer is an [`Error::StoreUnavailable`] naming
    /// `what`.
    pub(crate) fn run<T, F>(&self, what: String, deadline: Option<Duration>, task: F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        self.wait(what, deadline, task, PastDeadline::Cancel)
    }

    /// Runs `task` on the runtime and waits for its answer, at most `deadline`: past it the
    /// caller gets an [`Error::StoreUnavailable`] naming `what`, while the task runs to its end,
    /// so a write of several steps is never cut between two of them.
    pub(crate) fn run_to_end<T, F>(&self, what: String, deadline: Duration, task: F) -> Result<T>
    where
        T: Send + 'static,
        F: Future<Output = Result<T>> + Send + 'static,
    {
        self.wait(what, Some(deadline), task, PastDeadline::RunToEnd)
    }

    fn wait<T, F>(
        &self,
        what: String,
        deadline: Option<Duration>,
        task: F,
        past_deadline: PastDeadline,
    ) -> Result<T>
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
            Some(deadline) => answered.recv_timeout(deadline),
            None => answered
                .recv()
                .map_err(|_| mpsc::RecvTimeoutError::Disconnected),
        };
        match received {
            Ok(answer) => answer,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if past_deadline == PastDeadline::Cancel {
                    handle.abort();
                }
                Err(Error::StoreUnavailable {
                    context: what,
                    cause: Unavailable::TimedOut,
                    source: None,
                })
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(Error::store(what, "the request panicked or was cancelled"))
            }
        }
    }

    /// Runs `task` on the runtime without waiting for it; `None` when the runtime is shut down.
    pub(crate) fn spawn<F>(&self, task: F) -> Option<tokio::task::JoinHandle<()>>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.0 .0.as_ref().map(|runtime| runtime.spawn(task))
    }
}

/// What becomes of a task whose caller stopped waiting at its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PastDeadline {
    /// Cancelled: a read whose answer nobody wants.
    Cancel,
    /// Left to finish: a write whose steps must not be cut apart.
    RunToEnd,
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
