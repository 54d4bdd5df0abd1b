//! Header parsing: Authorization, XSRF, cookies, Accept, If-None-Match and the locale headers.
//! The input is split on NUL bytes into the header values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use person_image::request::{ImageRequest, Method};
use person_image::Limits;

const NAMES: [&str; 10] = [
    "Authorization",
    "X-XSRF-TOKEN",
    "Cookie",
    "SO-AppToken",
    "Accept",
    "If-None-Match",
    "Accept-Language",
    "SO-Language",
    "SO-Culture",
    "SO-TimeZone",
];

fuzz_target!(|data: &[u8]| {
    let headers: Vec<(&str, &[u8])> = data
        .split(|&b| b == 0)
        .zip(NAMES.iter().cycle())
        .map(|(value, name)| (*name, value))
        .collect();
    let request = ImageRequest::parse(
        Method::Get,
        "/api/v1/Person/1/Image",
        headers,
        &Limits::default(),
    )
    .expect("a valid target parses whatever the headers say");
    if let Err(error) = &request.identity {
        assert_eq!(person_image::Error::from(error.clone()).status(), 401);
    }
    if let Some(accept) = &request.accept {
        for format in person_image::OutputFormat::enabled() {
            assert!(accept.quality(format.mime_type()) <= 1000);
        }
    }
});
