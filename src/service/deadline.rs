//! The deadline on store calls: every call the service makes to its store answers within
//! [`ImageServiceBuilder::store_deadline`](crate::ImageServiceBuilder::store_deadline), or fails
//! with [`Error::StoreUnavailable`] (503).
//!
//! The stores are synchronous and a thread cannot be interrupted, so the deadline is kept in one
//! of two ways, chosen once from [`ImageStore::returns_within`]:
//!
//! * **Direct.** A store that keeps the deadline itself (`Bucket`, whose async requests are
//!   cancelled by a timer) or never waits (`InMemory`) is called on the request's own thread, at
//!   no extra cost.
//! * **On the store threads.** Any other store is called on a small pool of threads, and the
//!   request waits for the answer until the deadline. A call that hangs keeps its thread, so the
//!   pool is bounded ([`ImageServiceBuilder::store_threads`](crate::ImageServiceBuilder::store_threads)):
//!   when every thread is stuck, calls queue (at most eight per thread, each dropped unrun once its
//!   caller gave up) and then are refused at once ([`Unavailable::Saturated`]). A thread idle for
//!   a while ends; threads are started as calls need them, never more than the bound. Nothing
//!   leaks: a stuck thread is one of the bounded few, and it ends when its call returns.
//!
//! Either way, a store error (other than "not found", which stores answer as a [`Lookup`]) is
//! reported as [`Error::StoreUnavailable`], which the service may answer from a stale cached
//! variant (stale-if-error) and otherwise answers `503` with `Retry-After`.
//!
//! [`Lookup`]: crate::store::Lookup

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::store::ImageStore;
use crate::{Error, Result, Unavailable};

/// The default of [`ImageServiceBuilder::store_deadline`](crate::ImageServiceBuilder::store_deadline).
pub(crate) const DEFAULT_STORE_DEADLINE: Duration = Duration::from_secs(5);

/// Calls queued per store thread before more are refused.
const QUEUE_PER_THREAD: usize = 8;

/// How long a store thread waits for work before it ends.
const IDLE: Duration = Duration::from_secs(30);

/// How the service calls its store: directly, or on its threads, within the deadline.
#[derive(Debug)]
pub(crate) struct StoreCalls {
    deadline: Duration,
    /// `None` when the store keeps the deadline itself.
    pool: Option<Pool>,
}

impl StoreCalls {
    /// The calls to `store`, each within `deadline`; on at most `threads` threads when the store
    /// does not keep the deadline itself.
    pub(crate) fn new(store: &dyn ImageStore, deadline: Duration, threads: usize) -> Self {
        StoreCalls {
            deadline,
            pool: (!store.returns_within(deadline)).then(|| Pool::new(threads.max(1))),
        }
    }

    /// The deadline of each call.
    pub(crate) fn deadline(&self) -> Duration {
        self.deadline
    }

    /// Runs `call` within the deadline; `what` names it in the error.
    pub(crate) fn run<T: Send + 'static>(
        &self,
        what: impl FnOnce() -> String,
        call: impl FnOnce() -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let Some(pool) = &self.pool else {
            return call().map_err(Error::into_unavailable);
        };
        let unavailable = |cause, source: Option<&str>| Error::StoreUnavailable {
            context: what(),
            cause,
            source: source.map(Into::into),
        };
        let give_up_at = Instant::now() + self.deadline;
        let (answer, answered) = mpsc::sync_channel(1);
        let job = Job {
            give_up_at,
            run: Box::new(move || {
                let _ = answer.send(call());
            }),
        };
        if !pool.submit(job) {
            return Err(unavailable(Unavailable::Saturated, None));
        }
        match answered.recv_timeout(self.deadline) {
            Ok(answer) => answer.map_err(Error::into_unavailable),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(unavailable(Unavailable::TimedOut, None)),
            // Dropped unrun (past its deadline in the queue) or panicked.
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(unavailable(
                Unavailable::Failed,
                Some("the store call panicked or was not run in time"),
            )),
        }
    }
}

/// One call waiting for a store thread.
struct Job {
    give_up_at: Instant,
    run: Box<dyn FnOnce() + Send>,
}

/// The store threads and their queue.
#[derive(Debug)]
struct Pool {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    work: Condvar,
    max_threads: usize,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    threads: usize,
    idle: usize,
    closed: bool,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("jobs", &self.jobs.len())
            .field("threads", &self.threads)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

impl Pool {
    fn new(max_threads: usize) -> Self {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::default(),
                work: Condvar::new(),
                max_threads,
            }),
        }
    }

    /// Queues `job`, starting a thread when none is idle and the bound allows; `false` when the
    /// queue is full (every thread stuck) or no thread could be started.
    fn submit(&self, job: Job) -> bool {
        let shared = &self.shared;
        let mut state = lock(&shared.state);
        let now = Instant::now();
        state.jobs.retain(|queued| queued.give_up_at > now);
        if state.jobs.len() >= shared.max_threads * QUEUE_PER_THREAD {
            return false;
        }
        state.jobs.push_back(job);
        if state.idle < state.jobs.len() && state.threads < shared.max_threads {
            let worker = Arc::clone(shared);
            let started = std::thread::Builder::new()
                .name("person-image-store".to_owned())
                .spawn(move || worker.work());
            match started {
                Ok(_) => state.threads += 1,
                // No thread: the call waits for a running one, or is refused if there is none.
                Err(_) if state.threads == 0 => {
                    state.jobs.pop_back();
                    return false;
                }
                Err(_) => {}
            }
        }
        drop(state);
        shared.work.notify_one();
        true
    }

    #[cfg(test)]
    fn threads(&self) -> usize {
        lock(&self.shared.state).threads
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        lock(&self.shared.state).closed = true;
        self.shared.work.notify_all();
    }
}

impl Shared {
    /// A store thread: runs queued calls until it is idle for [`IDLE`] or the pool is gone.
    fn work(&self) {
        let mut state = lock(&self.state);
        loop {
            if let Some(job) = state.jobs.pop_front() {
                drop(state);
                if job.give_up_at > Instant::now() {
                    // A panicking store drops the answer's sender: the caller reports it.
                    let _ = catch_unwind(AssertUnwindSafe(job.run));
                }
                state = lock(&self.state);
                continue;
            }
            if state.closed {
                break;
            }
            state.idle += 1;
            let (next, waited) = self
                .work
                .wait_timeout(state, IDLE)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            state.idle -= 1;
            if waited.timed_out() && state.jobs.is_empty() {
                break;
            }
        }
        state.threads -= 1;
    }
}

/// Locks, recovering from poisoning: the queue is consistent between operations.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::*;
    use crate::person_id::PersonId;
    use crate::store::{Fetch, ImageInfo, Lookup};

    /// A store whose calls block while it is closed (a hanging backend), or fail.
    struct Gated {
        closed: Mutex<bool>,
        opened: Condvar,
        fail: bool,
    }

    fn gated(closed: bool, fail: bool) -> Arc<Gated> {
        Arc::new(Gated {
            closed: Mutex::new(closed),
            opened: Condvar::new(),
            fail,
        })
    }

    impl Gated {
        fn release(&self) {
            *lock(&self.closed) = false;
            self.opened.notify_all();
        }
    }

    impl ImageStore for Gated {
        fn lookup(&self, _person: PersonId) -> Result<Lookup> {
            let mut closed = lock(&self.closed);
            while *closed {
                closed = self
                    .opened
                    .wait(closed)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            if self.fail {
                return Err(Error::store("looking up", "connection refused"));
            }
            Ok(Lookup::NoImage)
        }

        fn fetch(&self, _person: PersonId, _info: &ImageInfo) -> Result<Fetch> {
            Ok(Fetch::Changed)
        }
    }

    fn lookup(calls: &StoreCalls, store: &Arc<Gated>) -> Result<Lookup> {
        let store = Arc::clone(store);
        calls.run(
            || "looking up person 1".into(),
            move || store.lookup(PersonId(1)),
        )
    }

    fn cause(result: Result<Lookup>) -> Unavailable {
        match result {
            Err(Error::StoreUnavailable { cause, .. }) => cause,
            other => panic!("expected StoreUnavailable, got {other:?}"),
        }
    }

    fn pool(calls: &StoreCalls) -> &Pool {
        calls
            .pool
            .as_ref()
            .expect("a store without a deadline of its own")
    }

    #[test]
    fn a_hanging_store_times_out_at_the_deadline() {
        let store = gated(true, false);
        let calls = StoreCalls::new(store.as_ref(), Duration::from_millis(50), 2);
        let started = Instant::now();
        assert_eq!(cause(lookup(&calls, &store)), Unavailable::TimedOut);
        assert!(started.elapsed() >= Duration::from_millis(50));
        store.release();
    }

    #[test]
    fn a_store_error_is_unavailable_and_an_answer_is_kept() {
        let failing = gated(false, true);
        let calls = StoreCalls::new(failing.as_ref(), Duration::from_secs(5), 2);
        let error = lookup(&calls, &failing).unwrap_err();
        assert_eq!(error.status(), 503);
        assert_eq!(error.retry_after(), Some(1));
        let working = gated(false, false);
        let calls = StoreCalls::new(working.as_ref(), Duration::from_secs(5), 2);
        assert_eq!(lookup(&calls, &working).unwrap(), Lookup::NoImage);
    }

    #[test]
    fn a_hanging_store_holds_at_most_the_bounded_threads_and_calls_recover_with_it() {
        let store = gated(true, false);
        let calls = StoreCalls::new(store.as_ref(), Duration::from_millis(10), 2);
        for _ in 0..2 + 2 * QUEUE_PER_THREAD {
            assert_eq!(cause(lookup(&calls, &store)), Unavailable::TimedOut);
        }
        assert!(pool(&calls).threads() <= 2);
        // When the store answers again, so do the calls, on the same bounded threads.
        store.release();
        let calls_back = (0..500).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            lookup(&calls, &store).is_ok()
        });
        assert!(calls_back, "no answer within 5 s of the store's return");
        assert!(pool(&calls).threads() <= 2);
    }

    #[test]
    fn a_full_queue_is_refused_without_waiting() {
        /// Opens the gate however the test ends, so its callers end too.
        struct OpenOnDrop(Arc<Gated>);
        impl Drop for OpenOnDrop {
            fn drop(&mut self) {
                self.0.release();
            }
        }
        let store = gated(true, false);
        let calls = Arc::new(StoreCalls::new(store.as_ref(), Duration::from_secs(60), 1));
        // One call holds the thread, QUEUE_PER_THREAD wait behind it: the next is refused (a
        // call that waited would time out only after a minute).
        std::thread::scope(|scope| {
            let _open = OpenOnDrop(Arc::clone(&store));
            let queued = || lock(&pool(&calls).shared.state).jobs.len();
            let until = |condition: &dyn Fn() -> bool| {
                (0..1000).any(|_| {
                    std::thread::sleep(Duration::from_millis(10));
                    condition()
                })
            };
            let call = || {
                let (calls, store) = (Arc::clone(&calls), Arc::clone(&store));
                scope.spawn(move || lookup(&calls, &store));
            };
            call();
            assert!(until(&|| queued() == 0 && pool(&calls).threads() == 1));
            for _ in 0..QUEUE_PER_THREAD {
                call();
            }
            let full = until(&|| queued() == QUEUE_PER_THREAD);
            assert!(full, "{} calls queued, not {QUEUE_PER_THREAD}", queued());
            assert_eq!(cause(lookup(&calls, &store)), Unavailable::Saturated);
        });
    }

    #[test]
    fn a_panicking_store_call_is_a_failure_not_a_panic() {
        let store = gated(false, false);
        let calls = StoreCalls::new(store.as_ref(), Duration::from_secs(5), 1);
        let result: Result<()> = calls.run(|| "panicking".into(), || panic!("a buggy store"));
        assert!(matches!(
            result,
            Err(Error::StoreUnavailable {
                cause: Unavailable::Failed,
                ..
            })
        ));
        // The thread survived the panic and serves the next call.
        assert_eq!(lookup(&calls, &store).unwrap(), Lookup::NoImage);
    }

    #[test]
    fn a_store_that_keeps_the_deadline_is_called_directly() {
        let store = crate::store::InMemory::new();
        let calls = StoreCalls::new(&store, Duration::from_secs(1), 4);
        assert!(calls.pool.is_none());
        let ran_here = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran_here);
        let here = std::thread::current().id();
        calls
            .run(
                || "calling".into(),
                move || {
                    flag.store(std::thread::current().id() == here, Ordering::SeqCst);
                    Ok(())
                },
            )
            .unwrap();
        assert!(ran_here.load(Ordering::SeqCst));
    }
}
