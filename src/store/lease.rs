//! The render lease of the variant tier (feature `object-store`): one object per variant key that
//! says which replica is rendering it, so a fleet renders each variant once.
//!
//! * **Claim.** `PUT` of the lease with `PutMode::Create` (S3 `If-None-Match: *`): exactly one
//!   of the replicas that try at once succeeds.
//! * **Body.** `expires <unix milliseconds>` and `holder <id>`, one per line. A lease whose
//!   expiry has passed is stale: its holder died or stalled.
//! * **Renewal.** While the render runs, a task on the tier's runtime puts a new expiry every
//!   third of the lease's time to live, with `PutMode::Update` on the version it last wrote
//!   (S3 `If-Match`): a holder whose lease was taken over stops renewing.
//! * **Takeover.** A stale lease is replaced with `PutMode::Update` on the version that was
//!   read, so of several replicas taking over at once exactly one wins. Backends without
//!   conditional updates (`LocalFileSystem`) delete the stale lease and create a new one: two
//!   replicas taking over the same stale lease at once may then both render.
//! * **Release.** When the render is done (after its variant is stored) the lease is deleted,
//!   in the background, if it is still the one this holder wrote. A lease never released
//!   expires by itself.
//!
//! Expiry compares the holder's clock with the reader's: the time to live must exceed the clock
//! skew between replicas by far (the default is 30 s; NTP keeps skew in milliseconds).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use object_store::path::Path;
use object_store::{
    GetOptions, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, UpdateVersion,
};

use super::bridge::Bridge;
use crate::Result;

/// The largest lease body read.
const MAX_LEASE_BYTES: u64 = 1024;

/// What a claim found.
#[derive(Debug)]
pub(crate) enum Claim {
    /// This caller holds the lease now (`taken_over`: it replaced a stale one).
    Held {
        /// The version this holder wrote.
        version: UpdateVersion,
        /// Whether a stale lease was replaced.
        taken_over: bool,
    },
    /// Another replica holds a live lease.
    Busy,
}

/// The lease's body: its expiry and its holder.
fn body(holder: &str, ttl: Duration) -> PutPayload {
    let expires = now_millis().saturating_add(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX));
    PutPayload::from(format!("expires {expires}\nholder {holder}\n"))
}

/// Whether the lease body `bytes` has expired at `now` (milliseconds). A body that does not
/// parse is stale: nothing this crate wrote, so nobody renews it.
fn is_stale(bytes: &[u8], now: u64) -> bool {
    let expires = std::str::from_utf8(bytes).ok().and_then(|text| {
        text.lines()
            .find_map(|line| line.strip_prefix("expires "))
            .and_then(|value| value.trim().parse::<u64>().ok())
    });
    expires.is_none_or(|expires| expires <= now)
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// Tries to take the lease at `key` for `holder` (see the module docs).
pub(crate) async fn claim(
    store: &dyn ObjectStore,
    key: &Path,
    holder: &str,
    ttl: Duration,
) -> Result<Claim> {
    // Two rounds: the lease may be released between the failed create and the read.
    for _ in 0..2 {
        let create = PutOptions::from(PutMode::Create);
        match store.put_opts(key, body(holder, ttl), create).await {
            Ok(written) => {
                return Ok(Claim::Held {
                    version: written.into(),
                    taken_over: false,
                })
            }
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => {}
            Err(error) => return Err(lease_error("creating", key, error)),
        }
        let found = match store.get_opts(key, GetOptions::new()).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => continue,
            Err(error) => return Err(lease_error("reading", key, error)),
        };
        // Nothing this crate writes is larger: a bigger object is not read, and is stale.
        if found.meta.size > MAX_LEASE_BYTES {
            let seen = UpdateVersion {
                e_tag: found.meta.e_tag.clone(),
                version: found.meta.version.clone(),
            };
            return take_over(store, key, holder, ttl, seen).await;
        }
        let seen = UpdateVersion {
            e_tag: found.meta.e_tag.clone(),
            version: found.meta.version.clone(),
        };
        let bytes: Bytes = found
            .bytes()
            .await
            .map_err(|e| lease_error("reading", key, e))?;
        if !is_stale(&bytes, now_millis()) {
            return Ok(Claim::Busy);
        }
        return take_over(store, key, holder, ttl, seen).await;
    }
    Ok(Claim::Busy)
}

/// Replaces the stale lease last seen at version `seen`.
async fn take_over(
    store: &dyn ObjectStore,
    key: &Path,
    holder: &str,
    ttl: Duration,
    seen: UpdateVersion,
) -> Result<Claim> {
    let update = PutOptions::from(PutMode::Update(seen));
    let written = match store.put_opts(key, body(holder, ttl), update).await {
        Ok(written) => written,
        Err(
            object_store::Error::Precondition { .. }
            | object_store::Error::AlreadyExists { .. }
            | object_store::Error::NotFound { .. },
        ) => return Ok(Claim::Busy),
        // No conditional update: delete and create, which at worst lets two takers in.
        Err(object_store::Error::NotImplemented { .. }) => {
            match store.delete(key).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => return Err(lease_error("deleting", key, error)),
            }
            let create = PutOptions::from(PutMode::Create);
            match store.put_opts(key, body(holder, ttl), create).await {
                Ok(written) => written,
                Err(
                    object_store::Error::AlreadyExists { .. }
                    | object_store::Error::Precondition { .. },
                ) => return Ok(Claim::Busy),
                Err(error) => return Err(lease_error("creating", key, error)),
            }
        }
        Err(error) => return Err(lease_error("taking over", key, error)),
    };
    Ok(Claim::Held {
        version: written.into(),
        taken_over: true,
    })
}

/// A lease this process holds: renewed in the background until dropped, then released.
#[derive(Debug)]
pub(crate) struct Lease {
    store: Arc<dyn ObjectStore>,
    key: Path,
    bridge: Bridge,
    /// The version last written by this holder, shared with the renewal task.
    current: Arc<Mutex<UpdateVersion>>,
    renewal: Option<tokio::task::JoinHandle<()>>,
}

impl Lease {
    /// Starts renewing the lease at `key`, held at `version`, every third of `ttl`;
    /// `on_lost` is called once if a renewal fails (the lease was taken over or the store failed).
    pub(crate) fn hold(
        store: Arc<dyn ObjectStore>,
        key: Path,
        bridge: Bridge,
        version: UpdateVersion,
        holder: String,
        ttl: Duration,
        on_lost: impl FnOnce() + Send + 'static,
    ) -> Self {
        let current = Arc::new(Mutex::new(version));
        let renewal = bridge.spawn(renew(
            Arc::clone(&store),
            key.clone(),
            Arc::clone(&current),
            holder,
            ttl,
            on_lost,
        ));
        Lease {
            store,
            key,
            bridge,
            current,
            renewal,
        }
    }
}

/// Puts a new expiry every third of `ttl` while the lease is still this holder's.
async fn renew(
    store: Arc<dyn ObjectStore>,
    key: Path,
    current: Arc<Mutex<UpdateVersion>>,
    holder: String,
    ttl: Duration,
    on_lost: impl FnOnce(),
) {
    loop {
        tokio::time::sleep(ttl / 3).await;
        let version = current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let update = PutOptions::from(PutMode::Update(version));
        match store.put_opts(&key, body(&holder, ttl), update).await {
            Ok(written) => {
                *current.lock().unwrap_or_else(PoisonError::into_inner) = written.into();
            }
            Err(_) => {
                on_lost();
                return;
            }
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(renewal) = self.renewal.take() {
            renewal.abort();
        }
        let (store, key) = (Arc::clone(&self.store), self.key.clone());
        let ours = self
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        // In the background: nobody waits for a lease to go, they wait for the variant.
        self.bridge.spawn(async move {
            let head = GetOptions::new().with_head(true);
            if let Ok(found) = store.get_opts(&key, head).await {
                let still_ours = (found.meta.e_tag.is_some() && found.meta.e_tag == ours.e_tag)
                    || (found.meta.version.is_some() && found.meta.version == ours.version);
                if still_ours {
                    let _ = store.delete(&key).await;
                }
            }
        });
    }
}

fn lease_error(action: &str, key: &Path, error: object_store::Error) -> crate::Error {
    crate::Error::store(format!("{action} the render lease {key}"), error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_decides_staleness_and_garbage_is_stale() {
        assert!(!is_stale(b"expires 2000\nholder a\n", 1999));
        assert!(is_stale(b"expires 2000\nholder a\n", 2000));
        assert!(is_stale(b"holder a\n", 0));
        assert!(is_stale(b"\xff\xfe", 0));
        assert!(is_stale(b"expires soon\n", 0));
    }
}
