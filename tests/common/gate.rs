//! A store that holds every lookup of one person at a barrier until the test releases it: a
//! worker pool is saturated deterministically, with no sleeps and no timing.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Barrier};

use person_image::store::{Fetch, ImageInfo, ImageStore, Lookup};
use person_image::PersonId;

/// Wraps a store; lookups of the gated person announce themselves, then wait for a release.
pub struct Gated<S> {
    inner: S,
    person: PersonId,
    entered: Sender<()>,
    barrier: Arc<Barrier>,
}

/// The test's side of the gate.
pub struct Gate {
    entered: Receiver<()>,
    barrier: Arc<Barrier>,
}

/// Gates the lookups of `person` in `inner`.
pub fn gated<S: ImageStore>(inner: S, person: i32) -> (Gated<S>, Gate) {
    let (sender, entered) = channel();
    let barrier = Arc::new(Barrier::new(2));
    let store = Gated {
        inner,
        person: PersonId(person),
        entered: sender,
        barrier: Arc::clone(&barrier),
    };
    (store, Gate { entered, barrier })
}

impl Gate {
    /// Blocks until a lookup of the gated person has started (and is waiting at the gate).
    pub fn wait_entered(&self) {
        self.entered.recv().expect("the gated store is alive");
    }

    /// Lets one waiting lookup through.
    pub fn release(&self) {
        self.barrier.wait();
    }
}

impl<S: ImageStore> ImageStore for Gated<S> {
    fn lookup(&self, person: PersonId) -> person_image::Result<Lookup> {
        if person == self.person {
            let _ = self.entered.send(());
            self.barrier.wait();
        }
        self.inner.lookup(person)
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> person_image::Result<Fetch> {
        self.inner.fetch(person, info)
    }
}
