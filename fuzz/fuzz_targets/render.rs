//! `render` over arbitrary stored bytes and parameters, under small limits: an image or a typed
//! 422, never a panic, a hang or an allocation past the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use person_image::render::{RenderOptions, RenderRequest};
use person_image::{render, Limits, OutputFormat};

fuzz_target!(|data: &[u8]| {
    let Some((&[w, h, f], bytes)) = data.split_first_chunk::<3>().map(|(a, b)| (a, b)) else {
        return;
    };
    let limits = Limits::default()
        .max_source_pixels(4_000_000)
        .max_frames(16)
        .max_source_bytes(1 << 20);
    let mut request = RenderRequest::stored(bytes.to_vec())
        .width(u32::from(w))
        .height(u32::from(h))
        .options(RenderOptions::default().limits(limits));
    request.format = OutputFormat::enabled().nth(usize::from(f % 5));
    match render(&request) {
        Ok(response) => assert_eq!(response.status, 200),
        Err(error) => assert!(matches!(error.status().as_u16(), 422 | 500), "{error}"),
    }
});
