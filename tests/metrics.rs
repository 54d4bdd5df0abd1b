//! Metrics (feature `metrics`): with `metrics-util`'s debugging recorder installed, the request,
//! render, store, cache, shedding and stale-answer metrics move as requests are answered. One test: the
//! recorder is global to the process.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use http::Request;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::{Fetch, ImageInfo, ImageStore, Lookup};
use person_image::tower::HttpService;
use person_image::PersonImageServiceExt;
use person_image::{ImageResponse, ImageService, Limits, PersonId};
use tower::{Service, ServiceExt};

use common::gate::gated;

const AUTH: (&str, &[u8]) = ("Authorization", b"Bearer demo-token");

fn service(store: impl ImageStore + 'static, cache_bytes: u64) -> ImageService {
    ImageService::builder(
        store,
        StaticAuthenticator::default().bearer("demo-token", "demo"),
    )
    .cache_bytes(cache_bytes)
    .build()
}

use common::fixture_store as store;

fn get(service: &ImageService, target: &str) -> ImageResponse {
    common::get_as(service, target, AUTH)
}

/// `name{label=value,...}` → value, counters and gauges as numbers, histograms as sample counts.
fn snapshot(recorder: &metrics_util::debugging::Snapshotter) -> HashMap<String, f64> {
    recorder
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let mut labels: Vec<String> = key
                .labels()
                .map(|label| format!("{}={}", label.key(), label.value()))
                .collect();
            labels.sort();
            let name = format!("{}{{{}}}", key.name(), labels.join(","));
            let value = match value {
                DebugValue::Counter(count) => count as f64,
                DebugValue::Gauge(value) => value.into_inner(),
                DebugValue::Histogram(samples) => samples.len() as f64,
            };
            (name, value)
        })
        .collect()
}

#[tokio::test]
async fn counters_and_histograms_move() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("no other recorder in this test binary");

    // Seventeen thumbnails of similar size into a cache of sixteen shards that each hold one of
    // them but not two: at least two land in one shard, so something is evicted.
    let targets: Vec<String> = (40..57)
        .map(|width| format!("/api/v1/Person/1/Image?w={width}&type=jpeg"))
        .collect();
    let uncached = service(store(), 0);
    let sizes: Vec<usize> = targets
        .iter()
        .map(|t| get(&uncached, t).body.len())
        .collect();
    let (smallest, largest) = (*sizes.iter().min().unwrap(), *sizes.iter().max().unwrap());
    assert!(
        largest < 2 * smallest,
        "the thumbnails differ too much in size: {sizes:?}"
    );
    let cached = service(store(), 16 * largest as u64);
    for target in &targets {
        assert_eq!(get(&cached, target).status, 200);
    }
    // A hit, a 304 and a 401.
    let again = get(&cached, &targets[16]);
    let etag = again.etag.clone().unwrap();
    let not_modified = cached.handle(
        Method::Get,
        &targets[16],
        [AUTH, ("If-None-Match", etag.as_str().as_bytes())],
        bytes::Bytes::new(),
        cached.limits(),
    );
    assert_eq!(not_modified.status, 304);
    assert_eq!(
        cached
            .handle(
                Method::Get,
                &targets[0],
                [],
                bytes::Bytes::new(),
                cached.limits()
            )
            .status,
        401
    );

    // One request shed by a saturated pool: one worker, held at the gate, and one queued.
    let (gated_store, gate) = gated(store(), 1);
    let mut http = HttpService::builder(Arc::new(service(gated_store, 0)), Limits::default())
        .workers(1)
        .queue(1)
        .build()
        .unwrap();
    let request = || {
        Request::get("/api/v1/Person/1/Image")
            .header("Authorization", "Bearer demo-token")
            .body(String::new())
            .unwrap()
    };
    let held = ServiceExt::<Request<String>>::ready(&mut http)
        .await
        .unwrap()
        .call(request());
    gate.wait_entered();
    let queued = ServiceExt::<Request<String>>::ready(&mut http)
        .await
        .unwrap()
        .call(request());
    let shed = http.clone().oneshot(request()).await.unwrap();
    assert_eq!(shed.status(), 503);
    gate.release();
    gate.wait_entered();
    gate.release();
    assert_eq!(held.await.unwrap().status(), 200);
    assert_eq!(queued.await.unwrap().status(), 200);

    // One answer served stale while the store fails (stale-if-error); the uncached one is a 503.
    let outage = Arc::new(Outage {
        inner: store(),
        down: AtomicBool::new(false),
    });
    let outage_service = service(Arc::clone(&outage), 1 << 20);
    assert_eq!(get(&outage_service, &targets[0]).status, 200);
    outage.down.store(true, Ordering::SeqCst);
    assert_eq!(get(&outage_service, &targets[0]).status, 200);
    assert_eq!(get(&outage_service, &targets[1]).status, 503);

    let metrics = snapshot(&snapshotter);
    let value = |name: &str| metrics.get(name).copied().unwrap_or(0.0);
    let names = || format!("{:#?}", metrics.keys().collect::<Vec<_>>());
    // 17 uncached + 17 cached + the hit, all JPEG 200s.
    assert!(
        value("person_image_requests_total{format=jpeg,status=200}") >= 35.0,
        "{}",
        names()
    );
    assert_eq!(
        value("person_image_requests_total{format=none,status=304}"),
        1.0
    );
    assert_eq!(
        value("person_image_requests_total{format=none,status=401}"),
        1.0
    );
    assert!(
        value("person_image_render_seconds{input=jpeg,output=jpeg}") >= 34.0,
        "{}",
        names()
    );
    assert!(
        value("person_image_store_seconds{op=lookup}") >= 36.0,
        "{}",
        names()
    );
    assert!(
        value("person_image_store_seconds{op=fetch}") >= 34.0,
        "{}",
        names()
    );
    assert!(
        value("person_image_cache_misses_total{}") >= 17.0,
        "{}",
        names()
    );
    assert!(
        value("person_image_cache_hits_total{}") >= 1.0,
        "{}",
        names()
    );
    assert!(
        value("person_image_cache_evictions_total{}") >= 1.0,
        "{}",
        names()
    );
    let cache_bytes = value("person_image_cache_bytes{}");
    assert!(
        cache_bytes > 0.0 && cache_bytes <= 16.0 * largest as f64,
        "{cache_bytes}"
    );
    assert_eq!(value("person_image_shed_total{}"), 1.0);
    assert_eq!(value("person_image_stale_total{}"), 1.0);
}

/// The fixture store, failing every call while `down`.
struct Outage {
    inner: person_image::store::InMemory,
    down: AtomicBool,
}

impl ImageStore for Outage {
    fn lookup(&self, person: PersonId) -> person_image::Result<Lookup> {
        if self.down.load(Ordering::SeqCst) {
            return Err(person_image::Error::store(
                "looking up",
                "connection refused",
            ));
        }
        self.inner.lookup(person)
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> person_image::Result<Fetch> {
        if self.down.load(Ordering::SeqCst) {
            return Err(person_image::Error::store("reading", "connection refused"));
        }
        self.inner.fetch(person, info)
    }
}
