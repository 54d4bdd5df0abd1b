//! The crate's JPEG decoder alone over arbitrary bytes, at the scale the first byte picks, under
//! a small pixel limit: a picture or a typed error, never a panic, a hang or an allocation past
//! the limit. Where jpeg-decoder decodes the same bytes too, the sizes must agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use person_image::{fuzz_jpeg_decode, Limits};

fuzz_target!(|data: &[u8]| {
    let Some((&scale, bytes)) = data.split_first() else {
        return;
    };
    let eighths = [1u32, 2, 4, 8][usize::from(scale & 3)];
    let limits = Limits::default().max_source_pixels(4_000_000);
    let Ok((width, height)) = fuzz_jpeg_decode(bytes, eighths, &limits) else {
        return;
    };
    let mut reference = jpeg_decoder::Decoder::new(bytes);
    reference.set_max_decoding_buffer_size(64 << 20);
    if reference.decode().is_ok() {
        if let Some(info) = reference.info() {
            let scaled = |side: u16| (u32::from(side) * eighths).div_ceil(8);
            assert_eq!(
                (width, height),
                (scaled(info.width), scaled(info.height)),
                "size differs from jpeg-decoder's"
            );
        }
    }
});
