//! A `tracing` layer that adds up how long the crate's stage spans of given names were entered,
//! shared by the bench programs that time one stage of a render (`decodebench`, `webpbench`).
//! Rendering runs on the calling thread, one span of a name at a time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::span::Id;
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Per span name: when it was last entered, and how long it has been entered in total.
type Totals = Arc<Mutex<HashMap<&'static str, (Option<Instant>, Duration)>>>;

/// The layer; [`SpanTimer::install`] makes it the global subscriber.
struct Layered {
    totals: Totals,
}

/// What the installed layer measured.
pub struct SpanTimer {
    totals: Totals,
}

impl SpanTimer {
    /// Installs the layer as the global subscriber, timing the spans named `names`.
    pub fn install(names: &[&'static str]) -> Result<SpanTimer, String> {
        let totals: Totals = Arc::new(Mutex::new(
            names
                .iter()
                .map(|&name| (name, (None, Duration::ZERO)))
                .collect(),
        ));
        let layer = Layered {
            totals: Arc::clone(&totals),
        };
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))
            .map_err(|e| e.to_string())?;
        Ok(SpanTimer { totals })
    }

    /// Sets every total back to zero.
    pub fn reset(&self) {
        for entry in self.totals.lock().unwrap().values_mut() {
            *entry = (None, Duration::ZERO);
        }
    }

    /// How long the spans named `name` were entered since the last reset.
    pub fn total(&self, name: &str) -> Duration {
        self.totals
            .lock()
            .unwrap()
            .get(name)
            .map_or(Duration::ZERO, |entry| entry.1)
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Layered {
    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(entry) = self.totals.lock().unwrap().get_mut(span.name()) {
                entry.0 = Some(Instant::now());
            }
        }
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            if let Some(entry) = self.totals.lock().unwrap().get_mut(span.name()) {
                if let Some(start) = entry.0.take() {
                    entry.1 += start.elapsed();
                }
            }
        }
    }
}
