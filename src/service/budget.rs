//! [`MemoryBudget`]: a bound on the memory that requests in progress may hold at once. A service
//! has two: one for renders (what each render's header says it will hold) and one for the stored
//! photos being rendered (what each request reads of its photo), so a service's resident memory is
//! the cache bound plus these two budgets plus the program itself, whatever mix of photos its
//! callers ask for and on however many threads. A request reserves its photo before its render, and
//! never waits for its photo while holding a render's reservation, so the two never deadlock.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// Memory reserved by requests in progress, at most `limit` bytes of it.
#[derive(Debug)]
pub(crate) struct MemoryBudget {
    limit: u64,
    reserved: Mutex<u64>,
    released: Condvar,
}

/// Memory reserved for one render or one stored photo; given back when dropped.
#[derive(Debug)]
pub(crate) struct Reservation<'a> {
    budget: &'a MemoryBudget,
    bytes: u64,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub(crate) fn new(limit: u64) -> Self {
        MemoryBudget {
            limit,
            reserved: Mutex::new(0),
            released: Condvar::new(),
        }
    }

    /// Reserves `bytes`, waiting while others hold too much of the budget for them to fit. A
    /// reservation larger than the whole budget is made once nothing else is reserved, alone, so
    /// every request goes on eventually and the budget is exceeded by one request at most.
    ///
    /// Reserving nothing (a passthrough) takes neither the lock nor, on release, a wake-up of the
    /// waiters: a condition variable's notify is a system call even when nobody waits.
    pub(crate) fn reserve(&self, bytes: u64) -> Reservation<'_> {
        if bytes == 0 {
            return Reservation {
                budget: self,
                bytes,
            };
        }
        let mut reserved = self.lock();
        while *reserved > 0 && reserved.saturating_add(bytes) > self.limit {
            reserved = self
                .released
                .wait(reserved)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *reserved = reserved.saturating_add(bytes);
        Reservation {
            budget: self,
            bytes,
        }
    }

    /// Bytes reserved right now.
    #[cfg(test)]
    fn reserved(&self) -> u64 {
        *self.lock()
    }

    fn lock(&self) -> MutexGuard<'_, u64> {
        // A panic between lock and unlock cannot leave the count half-updated (each change is one
        // statement), so a poisoned lock is safe to keep using.
        self.reserved.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Reservation<'_> {
    /// Gives back all but `bytes` of the reservation (when less turned out to be needed), waking
    /// the requests waiting for room.
    pub(crate) fn shrink_to(&mut self, bytes: u64) {
        if bytes >= self.bytes {
            return;
        }
        let mut reserved = self.budget.lock();
        *reserved = reserved.saturating_sub(self.bytes - bytes);
        drop(reserved);
        self.bytes = bytes;
        self.budget.released.notify_all();
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.bytes == 0 {
            return;
        }
        let mut reserved = self.budget.lock();
        *reserved = reserved.saturating_sub(self.bytes);
        drop(reserved);
        self.budget.released.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use super::*;

    #[test]
    fn renders_wait_for_room_and_oversized_ones_run_alone() {
        let budget = Arc::new(MemoryBudget::new(100));
        let held = budget.reserve(60);
        assert_eq!(budget.reserved(), 60);
        let most_at_once = Arc::new(AtomicU64::new(0));
        let waiters: Vec<_> = [50u64, 30, 250]
            .into_iter()
            .map(|bytes| {
                let (budget, most) = (Arc::clone(&budget), Arc::clone(&most_at_once));
                std::thread::spawn(move || {
                    let _reservation = budget.reserve(bytes);
                    let now = budget.reserved();
                    most.fetch_max(now, Ordering::SeqCst);
                    // Over the limit only when one render alone is larger than the budget.
                    assert!(now <= 100 || now == bytes, "{now} reserved with {bytes}");
                })
            })
            .collect();
        drop(held);
        for waiter in waiters {
            waiter.join().unwrap();
        }
        assert_eq!(budget.reserved(), 0);
        assert!(most_at_once.load(Ordering::SeqCst) >= 250);
    }

    #[test]
    fn a_shrunk_reservation_gives_the_rest_back_at_once() {
        let budget = Arc::new(MemoryBudget::new(100));
        let mut held = budget.reserve(90);
        let waiter = {
            let budget = Arc::clone(&budget);
            std::thread::spawn(move || {
                let _reservation = budget.reserve(50);
                budget.reserved()
            })
        };
        held.shrink_to(10);
        assert_eq!(
            waiter.join().unwrap(),
            60,
            "the waiter got in beside the shrunk 10"
        );
        held.shrink_to(20);
        assert_eq!(budget.reserved(), 10, "shrinking never grows");
        drop(held);
        assert_eq!(budget.reserved(), 0);
    }
}
