//! An in-process cache of rendered variants, bounded by bytes, sharded, with single flight, that
//! remembers which version of each photo variant the store last confirmed (stale-if-error).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use crate::person_id::PersonId;
use crate::render::{Rendered, Variant};
use crate::Result;

const SHARDS: usize = 16;

/// Counters of the service's render cache, read with
/// [`ImageService::cache_stats`](crate::ImageService::cache_stats).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Lookups answered from the cache (including waits on another thread's render).
    pub hits: u64,
    /// Lookups that rendered.
    pub misses: u64,
    /// Entries dropped to stay within the byte bound.
    pub evictions: u64,
    /// Bytes currently held.
    pub bytes: u64,
    /// Entries currently held.
    pub entries: u64,
}

/// Rendered bodies kept in memory, at most `max_bytes` of them in all.
///
/// Sixteen independently locked shards keep threads from queueing on one lock; within a shard the
/// least recently used entry goes first. Concurrent misses for the same key render once: the
/// others wait for that result (single flight). Failed renders are never cached.
///
/// All versions of one photo variant (same person, sizes and preference) live in one shard, which
/// also remembers the version a request last found current in the store ([`RenderCache::stale`]):
/// what may be served when the store is unavailable. That memo has one entry per cached photo
/// variant at most, and goes with it.
#[derive(Debug)]
pub(crate) struct RenderCache {
    shards: Vec<Mutex<Shard>>,
    shard_budget: u64,
    hasher: RandomState,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

#[derive(Debug, Default)]
struct Shard {
    entries: HashMap<Variant, Entry>,
    /// A photo variant without its version and API focal point → the key last confirmed
    /// current.
    latest: HashMap<Variant, Variant>,
    /// Last use tick → key, oldest first.
    recency: BTreeMap<u64, Variant>,
    tick: u64,
    bytes: u64,
    in_flight: HashMap<Variant, Arc<Flight>>,
}

#[derive(Debug)]
struct Entry {
    response: Rendered,
    last_used: u64,
    /// When a request last found this version current in the store (looked up, then hit or
    /// rendered).
    confirmed: Instant,
    /// The photo's `Last-Modified`, for a stale answer.
    modified: Option<SystemTime>,
}

/// A cached variant served while the store is unavailable.
#[derive(Debug)]
pub(crate) struct Stale {
    /// The variant, with the version it was last confirmed at.
    pub(crate) variant: Variant,
    /// Its body.
    pub(crate) rendered: Rendered,
    /// The photo's `Last-Modified` then.
    pub(crate) modified: Option<SystemTime>,
}

/// One render in progress that other threads may wait for.
#[derive(Debug, Default)]
struct Flight {
    /// `None` while rendering; then `Some(Some(response))`, or `Some(None)` when the leader failed
    /// (its error goes to its own caller; waiters then render for themselves).
    done: Mutex<Option<Option<Rendered>>>,
    ready: Condvar,
}

impl RenderCache {
    /// A cache holding at most `max_bytes` of rendered bodies.
    pub(crate) fn new(max_bytes: u64) -> Self {
        RenderCache {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            shard_budget: max_bytes / SHARDS as u64,
            hasher: RandomState::new(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    /// The current counters.
    pub(crate) fn stats(&self) -> CacheStats {
        let (mut bytes, mut entries) = (0, 0);
        for shard in &self.shards {
            let shard = lock(shard);
            bytes += shard.bytes;
            entries += shard.entries.len() as u64;
        }
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            bytes,
            entries,
        }
    }

    /// The shard of `key`: a photo variant's versions all share one.
    fn shard(&self, key: &Variant) -> &Mutex<Shard> {
        let hash = match key {
            Variant::Photo {
                person,
                width,
                height,
                preference,
                ..
            } => self.hasher.hash_one((person, width, height, preference)),
            other => self.hasher.hash_one(other),
        };
        &self.shards[(hash as usize) % SHARDS]
    }

    /// The last confirmed version of the photo variant `key` names (its own version ignored),
    /// if it is still cached and was confirmed at most `max_age` ago. Not counted as a hit.
    pub(crate) fn stale(&self, key: &Variant, max_age: Duration) -> Option<Stale> {
        let unversioned = unversioned(key)?;
        let shard = lock(self.shard(key));
        let variant = shard.latest.get(&unversioned)?;
        let entry = shard.entries.get(variant)?;
        (entry.confirmed.elapsed() <= max_age).then(|| Stale {
            rendered: entry.response.clone(),
            modified: entry.modified,
            variant: variant.clone(),
        })
    }

    /// Drops every variant of `person`'s photo, whatever its version: after a write they can never
    /// be asked for again (keys carry the version), so they would only hold memory until evicted.
    pub(crate) fn forget_person(&self, person: PersonId) {
        for shard in &self.shards {
            lock(shard).remove_person(person);
        }
    }

    /// The cached body for `key`, if there is one (counted as a hit); a miss is counted by the
    /// [`RenderCache::get_or_render`] that follows it. The caller has just found `key`'s version
    /// current in the store (modified at `modified`): the entry is confirmed.
    pub(crate) fn get(&self, key: &Variant, modified: Option<SystemTime>) -> Option<Rendered> {
        let found = lock(self.shard(key)).touch(key, modified);
        if found.is_some() {
            self.hits.fetch_add(1, Ordering::Relaxed);
            crate::metrics::cache_hit();
        }
        found
    }

    /// The cached body for `key`, or `render`'s, which is then kept if it fits; confirmed as
    /// [`RenderCache::get`] says.
    pub(crate) fn get_or_render(
        &self,
        key: Variant,
        modified: Option<SystemTime>,
        render: impl FnOnce() -> Result<Rendered>,
    ) -> Result<Rendered> {
        let shard_lock = self.shard(&key);
        let flight = {
            let mut shard = lock(shard_lock);
            if let Some(response) = shard.touch(&key, modified) {
                self.hits.fetch_add(1, Ordering::Relaxed);
                crate::metrics::cache_hit();
                return Ok(response);
            }
            match shard.in_flight.get(&key) {
                Some(flight) => Some(Arc::clone(flight)),
                None => {
                    shard.in_flight.insert(key.clone(), Arc::default());
                    None
                }
            }
        };
        if let Some(flight) = flight {
            if let Some(response) = flight.wait() {
                self.hits.fetch_add(1, Ordering::Relaxed);
                crate::metrics::cache_hit();
                return Ok(response);
            }
            // The leader failed: render ourselves rather than share its error.
            self.misses.fetch_add(1, Ordering::Relaxed);
            crate::metrics::cache_miss();
            return render();
        }

        self.misses.fetch_add(1, Ordering::Relaxed);
        crate::metrics::cache_miss();
        // Whatever happens (even a panic in `render`), waiters must be released.
        let mut leader = Leader {
            cache: self,
            shard: shard_lock,
            key: Some(key),
            modified,
            response: None,
        };
        let result = render();
        if let Ok(response) = &result {
            leader.response = Some(response.clone());
        }
        drop(leader);
        result
    }
}

/// Publishes the leader's result and removes the in-flight marker when dropped.
struct Leader<'a> {
    cache: &'a RenderCache,
    shard: &'a Mutex<Shard>,
    key: Option<Variant>,
    modified: Option<SystemTime>,
    response: Option<Rendered>,
}

impl Drop for Leader<'_> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut shard = lock(self.shard);
        let flight = shard.in_flight.remove(&key);
        if let Some(response) = &self.response {
            let before = shard.bytes;
            let evicted = shard.insert(
                key,
                response.clone(),
                self.modified,
                self.cache.shard_budget,
            );
            self.cache.evictions.fetch_add(evicted, Ordering::Relaxed);
            crate::metrics::cache_stored(evicted, shard.bytes as i64 - before as i64);
        }
        drop(shard);
        if let Some(flight) = flight {
            *lock(&flight.done) = Some(self.response.take());
            flight.ready.notify_all();
        }
    }
}

impl Flight {
    fn wait(&self) -> Option<Rendered> {
        let mut done = lock(&self.done);
        loop {
            if let Some(result) = done.as_ref() {
                return result.clone();
            }
            done = self
                .ready
                .wait(done)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }
}

impl Shard {
    fn remove_person(&mut self, person: PersonId) {
        let Shard {
            entries,
            latest,
            recency,
            bytes,
            ..
        } = self;
        latest.retain(|key, _| key.person() != Some(person));
        entries.retain(|key, entry| {
            let keep = key.person() != Some(person);
            if !keep {
                recency.remove(&entry.last_used);
                *bytes -= entry.response.body.len() as u64;
            }
            keep
        });
    }

    fn touch(&mut self, key: &Variant, modified: Option<SystemTime>) -> Option<Rendered> {
        self.tick += 1;
        let tick = self.tick;
        let entry = self.entries.get_mut(key)?;
        self.recency.remove(&entry.last_used);
        entry.last_used = tick;
        entry.confirmed = Instant::now();
        entry.modified = modified;
        let response = entry.response.clone();
        self.recency.insert(tick, key.clone());
        self.confirm(key);
        Some(response)
    }

    /// Records `key` (its version, and its focal point) as the one last found current.
    fn confirm(&mut self, key: &Variant) {
        let Some(unversioned) = unversioned(key) else {
            return;
        };
        match self.latest.get_mut(&unversioned) {
            Some(latest) if latest == key => {}
            Some(latest) => latest.clone_from(key),
            None => {
                self.latest.insert(unversioned, key.clone());
            }
        }
    }

    /// Removes the entry `key`, and the memo of its version when it was the latest.
    fn remove(&mut self, key: &Variant) -> Option<Entry> {
        let old = self.entries.remove(key)?;
        self.recency.remove(&old.last_used);
        self.bytes -= old.response.body.len() as u64;
        if let Some(unversioned) = unversioned(key) {
            if self.latest.get(&unversioned) == Some(key) {
                self.latest.remove(&unversioned);
            }
        }
        Some(old)
    }

    /// Inserts and evicts down to `budget`; returns how many entries were evicted.
    fn insert(
        &mut self,
        key: Variant,
        response: Rendered,
        modified: Option<SystemTime>,
        budget: u64,
    ) -> u64 {
        let size = response.body.len() as u64;
        if size > budget {
            return 0;
        }
        self.tick += 1;
        self.remove(&key);
        let mut evicted = 0;
        while self.bytes + size > budget {
            let Some((_, oldest)) = self.recency.first_key_value() else {
                break;
            };
            let oldest = oldest.clone();
            if self.remove(&oldest).is_some() {
                evicted += 1;
            } else {
                self.recency.pop_first();
            }
        }
        self.recency.insert(self.tick, key.clone());
        self.confirm(&key);
        self.entries.insert(
            key,
            Entry {
                response,
                last_used: self.tick,
                confirmed: Instant::now(),
                modified,
            },
        );
        self.bytes += size;
        evicted
    }
}

/// A photo variant with its version emptied: what its versions have in common. `None` for other
/// variants.
/// `key` without what a store lookup decides (the version, and the focal point set through the
/// API, which belongs to a version): the key of the variant's stale-if-error memo.
fn unversioned(key: &Variant) -> Option<Variant> {
    match key {
        Variant::Photo {
            person,
            width,
            height,
            fit,
            preference,
            ..
        } => Some(Variant::Photo {
            person: *person,
            version: String::new(),
            width: *width,
            height: *height,
            fit: *fit,
            focus: None,
            preference: *preference,
        }),
        Variant::Placeholder { .. } | Variant::Info { .. } => None,
    }
}

/// Locks, recovering from poisoning: the cache's state stays consistent between operations.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use bytes::Bytes;

    use super::*;
    use crate::render::Preference;

    /// A variant of person 1's photo, told apart by `version`.
    fn key(version: &str) -> Variant {
        photo(1, version)
    }

    fn photo(person: i32, version: &str) -> Variant {
        Variant::Photo {
            person: PersonId(person),
            version: version.into(),
            width: None,
            height: None,
            fit: crate::request::Fit::Contain,
            focus: None,
            preference: Preference::Any,
        }
    }

    fn body(len: usize) -> Rendered {
        Rendered {
            content_type: mime::IMAGE_PNG,
            body: Bytes::from(vec![7u8; len]),
        }
    }

    #[test]
    fn hits_after_a_miss() {
        let cache = RenderCache::new(1 << 20);
        let first = cache
            .get_or_render(key("a"), None, || Ok(body(10)))
            .unwrap();
        let second = cache
            .get_or_render(key("a"), None, || panic!("must not render again"))
            .unwrap();
        assert_eq!(first, second);
        let stats = cache.stats();
        assert_eq!(
            (stats.hits, stats.misses, stats.entries, stats.bytes),
            (1, 1, 1, 10)
        );
    }

    #[test]
    fn stays_within_its_byte_bound() {
        let cache = RenderCache::new(16 * 1000);
        for i in 0..500 {
            cache
                .get_or_render(key(&i.to_string()), None, || Ok(body(300)))
                .unwrap();
        }
        let stats = cache.stats();
        assert!(stats.bytes <= 16 * 1000, "{stats:?}");
        assert!(stats.evictions > 0, "{stats:?}");
        // Too big for a shard: served, never kept.
        cache
            .get_or_render(key("huge"), None, || Ok(body(5000)))
            .unwrap();
        assert!(cache.stats().bytes <= 16 * 1000);
    }

    #[test]
    fn errors_are_not_cached() {
        let cache = RenderCache::new(1 << 20);
        let error = cache.get_or_render(key("a"), None, || Err(crate::Error::ImageNotFound));
        assert!(error.is_err());
        assert!(cache.get_or_render(key("a"), None, || Ok(body(1))).is_ok());
        assert_eq!(cache.stats().misses, 2);
    }

    #[test]
    fn concurrent_identical_misses_render_once() {
        let cache = RenderCache::new(1 << 20);
        let renders = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    let response = cache
                        .get_or_render(key("same"), None, || {
                            renders.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(50));
                            Ok(body(100))
                        })
                        .unwrap();
                    assert_eq!(response.body.len(), 100);
                });
            }
        });
        assert_eq!(renders.load(Ordering::SeqCst), 1);
        assert_eq!(cache.stats().hits, 7);
    }

    #[test]
    fn forgetting_a_person_frees_all_of_its_variants_only() {
        let cache = RenderCache::new(1 << 20);
        for (person, variant) in [(1, "a"), (1, "b"), (2, "a")] {
            cache
                .get_or_render(photo(person, variant), None, || Ok(body(100)))
                .unwrap();
        }
        cache.forget_person(PersonId(1));
        let stats = cache.stats();
        assert_eq!((stats.entries, stats.bytes), (1, 100));
        let kept = photo(2, "a");
        assert!(cache.get(&kept, None).is_some());
    }

    #[test]
    fn the_stale_answer_is_the_version_last_confirmed_within_the_age() {
        let cache = RenderCache::new(1 << 20);
        assert!(cache.stale(&key("any"), Duration::from_secs(60)).is_none());
        cache
            .get_or_render(key("v1"), None, || Ok(body(1)))
            .unwrap();
        cache
            .get_or_render(key("v2"), None, || Ok(body(2)))
            .unwrap();
        // Whatever version the caller asks about: the one last found current answers.
        let stale = cache
            .stale(&key("unknown"), Duration::from_secs(60))
            .unwrap();
        assert_eq!((stale.variant, stale.rendered.body.len()), (key("v2"), 2));
        // v1 confirmed again (the store went back to it): v1 is the stale answer now.
        assert!(cache.get(&key("v1"), None).is_some());
        let stale = cache.stale(&key("v2"), Duration::from_secs(60)).unwrap();
        assert_eq!(stale.variant, key("v1"));
        // Other sizes of the photo, and too old a confirmation, have none.
        assert!(cache
            .stale(&photo(2, "v1"), Duration::from_secs(60))
            .is_none());
        std::thread::sleep(Duration::from_millis(20));
        assert!(cache.stale(&key("v1"), Duration::from_millis(10)).is_none());
        // A write through this replica forgets the memo with the variants.
        cache.forget_person(PersonId(1));
        assert!(cache.stale(&key("v1"), Duration::from_secs(60)).is_none());
    }

    #[test]
    fn the_stale_memo_goes_with_its_evicted_entry() {
        let cache = RenderCache::new(16 * 100);
        cache
            .get_or_render(photo(1, "v"), None, || Ok(body(60)))
            .unwrap();
        for i in 2..200 {
            cache
                .get_or_render(photo(i, "v"), None, || Ok(body(60)))
                .unwrap();
        }
        let shards: usize = cache.shards.iter().map(|s| lock(s).latest.len()).sum();
        assert_eq!(shards as u64, cache.stats().entries);
        assert!(cache
            .stale(&photo(1, "v"), Duration::from_secs(60))
            .is_none());
    }

    #[test]
    fn a_new_version_is_a_different_entry() {
        let cache = RenderCache::new(1 << 20);
        cache.get_or_render(key("a"), None, || Ok(body(1))).unwrap();
        let newer = key("a-v2");
        let response = cache.get_or_render(newer, None, || Ok(body(2))).unwrap();
        assert_eq!(response.body.len(), 2);
    }
}
