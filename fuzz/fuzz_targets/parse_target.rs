//! Path and query parsing: any request target gives a request or a typed 400/404, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use person_image::request::{ImageRequest, Method};
use person_image::Limits;

fuzz_target!(|data: &[u8]| {
    let target = String::from_utf8_lossy(data);
    let headers: [(&str, &[u8]); 1] = [("Authorization", b"Bearer x")];
    match ImageRequest::parse(Method::Get, &target, headers, &Limits::default()) {
        Ok(request) => {
            let limit = Limits::default().max_side;
            assert!(request.query.width.is_none_or(|w| w.get() <= limit));
            assert!(request.query.height.is_none_or(|h| h.get() <= limit));
        }
        Err(error) => assert!(matches!(error.status().as_u16(), 400 | 404), "{error}"),
    }
});
