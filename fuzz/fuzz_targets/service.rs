//! The whole service: a stored image made of fuzz bytes, requested with fuzzed target and headers.
//! Every answer has a status from the SPEC §7 table.
#![no_main]

use libfuzzer_sys::fuzz_target;
use person_image::{ImageService, Limits, MemoryStore, Method, PersonId, StaticAuthenticator};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(4, |&b| b == 0);
    let target = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let authorization = parts.next().unwrap_or_default();
    let accept = parts.next().unwrap_or_default();
    let stored = parts.next().unwrap_or_default();

    let store = MemoryStore::new();
    store.insert(PersonId(1), stored.to_vec());
    store.insert_without_image(PersonId(2));
    let service = ImageService::builder()
        .store(store)
        .authenticator(StaticAuthenticator::default().user("u", "p").bearer("t", "b"))
        .limits(Limits::default().max_source_pixels(4_000_000).max_frames(16))
        .build()
        .expect("service");
    let target = format!("/api/v1/Person/{target}");
    let headers: [(&str, &[u8]); 2] = [("Authorization", authorization), ("Accept", accept)];
    let response = service.handle(Method::Get, &target, headers);
    assert!(
        matches!(response.status, 200 | 304 | 400 | 401 | 403 | 404 | 405 | 422 | 500),
        "status {}",
        response.status
    );
    assert_eq!(response.content_length, response.body.len() as u64);
});
