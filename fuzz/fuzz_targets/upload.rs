//! Uploads and batch calls through the whole service, bodies from the fuzzer: raw photos,
//! `multipart/form-data` bodies and batch JSON. Every answer is a 2xx or a typed 4xx (never a
//! panic, a hang or a 500), and a refused upload leaves the stored photo as it was.
#![no_main]

use libfuzzer_sys::fuzz_target;
use person_image::auth::StaticAuthenticator;
use person_image::store::{ImageStore, InMemory, Lookup};
use person_image::request::Method;
use person_image::{ImageService, Limits, PersonId, PersonImageServiceExt};
use std::sync::Arc;

const PHOTO: &[u8] = include_bytes!("../../fixtures/persons/2.png");

fn version(store: &InMemory) -> String {
    match store.lookup(PersonId(1)) {
        Ok(Lookup::Found(info)) => info.version,
        other => panic!("{other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let store = Arc::new(InMemory::new().with_image(PersonId(1), PHOTO));
    let limits = Limits::default()
        .max_source_pixels(2_000_000)
        .max_frames(8)
        .max_source_bytes(1 << 20);
    let service = ImageService::writable_builder(
        Arc::clone(&store),
        StaticAuthenticator::new().bearer("t", "writer"),
    )
    .limits(limits)
    .cache_bytes(0)
    .batch_workers(1)
    .build();
    let before = version(&store);
    let (method, target, content_type) = match selector % 4 {
        0 => (Method::Put, "/api/v1/Person/1/Image", "image/jpeg"),
        1 => (Method::Post, "/api/v1/Person/1/Image", "multipart/form-data; boundary=b"),
        2 => (Method::Put, "/api/v1/Person/1/Image", "multipart/form-data; boundary=\"--x y\""),
        _ => (Method::Post, "/api/v1/Agents/Person/GetPersonImages", "application/json"),
    };
    let headers = [
        ("Authorization", &b"Bearer t"[..]),
        ("Content-Type", content_type.as_bytes()),
    ];
    let response = service.handle(method, target, headers, body.to_vec().into(), service.limits());
    assert!(
        matches!(response.status.as_u16(), 200 | 400 | 413 | 415 | 422),
        "{} {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    if response.status != 200 && selector % 4 != 3 {
        assert_eq!(version(&store), before, "a refused upload changed the photo");
    }
});
