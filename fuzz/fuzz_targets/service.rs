//! The whole service: a stored image made of fuzz bytes, requested with fuzzed query, credentials
//! and Accept. The first bytes pick from valid and invalid choices so the fuzzer reaches the
//! render path quickly; the rest is free-form. Every answer has a status from the SPEC §7 table.
#![no_main]

use libfuzzer_sys::fuzz_target;
use person_image::request::Method;
use person_image::{ImageService, Limits, PersonId, PersonImageServiceExt};
use person_image::auth::StaticAuthenticator;
use person_image::store::InMemory;

const AUTHORIZATION: [&[u8]; 6] = [
    b"Bearer t",
    b"Basic dTpw",
    b"SOTicket 7T:x",
    b"Bearer wrong",
    b"Basic ***",
    b"",
];
const ACCEPT: [&[u8]; 6] = [
    b"",
    b"image/png",
    b"image/jpeg;q=0.5, image/gif",
    b"application/json",
    b"*/*;q=0",
    b"image/tiff, image/*;q=0.1",
];

fuzz_target!(|data: &[u8]| {
    let Some((&[auth, accept, person, method], rest)) = data.split_first_chunk::<4>().map(|(a, b)| (a, b)) else {
        return;
    };
    let (query, stored) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let store = InMemory::new();
    store.insert(PersonId(1), stored.to_vec());
    store.insert_without_image(PersonId(2));
    let service = ImageService::builder(
        store,
        StaticAuthenticator::default()
            .user("u", "p")
            .bearer("t", "b")
            .ticket("7T:x", "s")
            .deny("b", PersonId(3)),
    )
    .limits(Limits::default().max_source_pixels(4_000_000).max_frames(16))
    .cache_bytes(1 << 20)
    .build();
    let target = format!(
        "/api/v1/Person/{}/Image?{}",
        person % 4,
        String::from_utf8_lossy(query)
    );
    let headers: [(&str, &[u8]); 2] = [
        ("Authorization", AUTHORIZATION[usize::from(auth) % AUTHORIZATION.len()]),
        ("Accept", ACCEPT[usize::from(accept) % ACCEPT.len()]),
    ];
    let method = if method % 2 == 0 { Method::Get } else { Method::Head };
    let response = service.handle(method, &target, headers, Default::default(), service.limits());
    assert!(
        matches!(response.status.as_u16(), 200 | 304 | 400 | 401 | 403 | 404 | 422 | 500),
        "status {}",
        response.status
    );
    if method == Method::Get {
        assert_eq!(response.content_length, response.body.len() as u64);
    } else {
        assert!(response.body.is_empty());
    }
});
