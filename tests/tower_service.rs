//! The `tower` service: answers through `tower::ServiceExt::oneshot`, never reads the bodies of
//! calls without one,
//! works over any `PersonImageService`, and sheds load with a 503 when its pool is saturated
//! (saturated deterministically by a store that holds lookups at a barrier).

mod common;

use std::sync::Arc;

use http::{Request, StatusCode};
use http_body_util::BodyExt;
use person_image::auth::StaticAuthenticator;
use person_image::store::ImageStore;
use person_image::tower::{HttpService, BUSY_MESSAGE};
use person_image::{ImageService, Limits, PersonImageService};
use tower::{Service, ServiceExt};

use common::gate::gated;

const BEARER: &str = "Bearer demo-token";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/persons");

use common::fixture_store as store;

fn service(store: impl ImageStore + 'static) -> ImageService {
    ImageService::builder(
        store,
        StaticAuthenticator::default().bearer("demo-token", "demo"),
    )
    .build()
}

fn get(target: &str) -> Request<String> {
    Request::get(target)
        .header("Authorization", BEARER)
        .body(String::new())
        .unwrap()
}

async fn body(response: http::Response<person_image::tower::Body>) -> Vec<u8> {
    response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec()
}

#[tokio::test]
async fn answers_get_and_head_through_oneshot() {
    let http = HttpService::builder(Arc::new(service(store())), Limits::default())
        .workers(2)
        .build()
        .unwrap();
    assert_eq!((http.workers(), http.queue()), (2, 16));

    let response = http
        .clone()
        .oneshot(get("/api/v1/Person/1/Image?w=64&type=png"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    let png = image::load_from_memory(&body(response).await).unwrap();
    assert_eq!(png.width(), 64);

    let head = Request::head("/api/v1/Person/2/Image")
        .header("Authorization", BEARER)
        .body(String::new())
        .unwrap();
    let response = http.clone().oneshot(head).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let stored = std::fs::read(format!("{FIXTURES}/2.png")).unwrap();
    assert_eq!(
        response.headers()["content-length"],
        stored.len().to_string().as_str()
    );
    assert!(body(response).await.is_empty());

    // Errors keep their status and JSON message.
    let response = http
        .clone()
        .oneshot(
            Request::get("/api/v1/Person/1/Image")
                .body(String::new())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = http
        .oneshot(get("/api/v1/Person/1/Image?w=abc"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(String::from_utf8(body(response).await)
        .unwrap()
        .contains("\"Message\""));
}

#[tokio::test]
async fn never_reads_a_body_and_refuses_other_methods() {
    let http = HttpService::new(Arc::new(service(store())), Limits::default()).unwrap();
    let with_body = Request::get("/api/v1/Person/2/Image")
        .header("Authorization", BEARER)
        .body(common::body::Unreadable)
        .unwrap();
    let response = http.clone().oneshot(with_body).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    for method in [
        http::Method::PATCH,
        http::Method::DELETE,
        http::Method::OPTIONS,
    ] {
        let request = Request::builder()
            .method(method.clone())
            .uri("/api/v1/Person/2/Image")
            .header("Authorization", BEARER)
            .body(common::body::Unreadable)
            .unwrap();
        let response = http.clone().oneshot(request).await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
    }

    // A read-only service (no writable store) refuses uploads.
    let post = Request::post("/api/v1/Person/2/Image")
        .header("Authorization", BEARER)
        .body(String::from("GIF89a"))
        .unwrap();
    let response = http.oneshot(post).await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn serves_any_person_image_service() {
    let shared: Arc<dyn PersonImageService> = Arc::new(service(store()));
    let http = HttpService::builder(shared, Limits::default())
        .workers(1)
        .build()
        .unwrap();
    let response = http
        .oneshot(get("/api/v1/Person/1/Image?w=32&type=jpeg"))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
}

#[tokio::test]
async fn sheds_load_with_503_when_the_pool_is_saturated() {
    let (store, gate) = gated(store(), 1);
    let mut http = HttpService::builder(Arc::new(service(store)), Limits::default())
        .workers(1)
        .queue(1)
        .retry_after(7)
        .build()
        .unwrap();

    // The only worker takes the first request and holds it at the gate.
    let first = ServiceExt::<Request<String>>::ready(&mut http)
        .await
        .unwrap()
        .call(get("/api/v1/Person/1/Image?w=40"));
    gate.wait_entered();
    // The second waits in the queue's one slot.
    let second = ServiceExt::<Request<String>>::ready(&mut http)
        .await
        .unwrap()
        .call(get("/api/v1/Person/1/Image?w=41"));
    // The third finds worker and queue full: shed at once.
    let shed = http
        .clone()
        .oneshot(get("/api/v1/Person/2/Image"))
        .await
        .unwrap();
    assert_eq!(shed.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(shed.headers()["retry-after"], "7");
    assert_eq!(
        shed.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(
        String::from_utf8(body(shed).await).unwrap(),
        format!("{{\"Message\":\"{BUSY_MESSAGE}\"}}")
    );

    // Release both; both are answered in full.
    gate.release();
    gate.wait_entered();
    gate.release();
    for (response, width) in [(first.await.unwrap(), 40), (second.await.unwrap(), 41)] {
        assert_eq!(response.status(), StatusCode::OK);
        let picture = image::load_from_memory(&body(response).await).unwrap();
        assert_eq!(picture.width(), width);
    }

    // The pool is free again.
    let response = http.oneshot(get("/api/v1/Person/2/Image")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}
