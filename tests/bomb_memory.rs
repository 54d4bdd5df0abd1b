//! Decompression bombs are refused from the header: peak heap use stays small.
//!
//! A counting global allocator (this test binary only) records the high-water mark of live heap
//! bytes while each bomb is rendered.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use person_image::render::RenderRequest;
use person_image::{render, OutputFormat};

struct PeakCounter;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// The allocator counts globally: the tests run one at a time ([`exclusive`]).
static SERIAL: Mutex<()> = Mutex::new(());

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for PeakCounter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: PeakCounter = PeakCounter;

/// The right to measure: every test holds it from its first line, so no other test allocates
/// (its inputs included) while one measures.
fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Peak heap growth, in bytes, while `work` runs (call it holding [`exclusive`]).
fn peak_during(work: impl FnOnce()) -> usize {
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    work();
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

/// Renders `request` and returns the answer's status and the peak heap above what was live before.
fn render_peak(request: &RenderRequest) -> (u16, usize) {
    let mut status = 0;
    let peak = peak_during(|| {
        status = render(request)
            .map_or_else(|e| e.status(), |r| r.status)
            .as_u16();
    });
    (status, peak)
}

#[test]
fn bombs_are_refused_within_a_few_mebibytes() {
    let _exclusive = exclusive();
    for name in [
        "bomb_png_65536x65536.png",
        "bomb_jpeg_header_65535x65535.jpg",
        "bomb_gif_65535x10751.gif",
        "bomb_bmp_3000000x2000000.bmp",
    ] {
        let bytes = common::corpus::corpus_bytes(&format!("bad/{name}"));
        for format in OutputFormat::enabled() {
            let request = RenderRequest::stored(bytes.clone())
                .width(64)
                .format(format);
            let (status, peak) = render_peak(&request);
            eprintln!(
                "{name} as {format}: status {status}, peak heap {} KiB",
                peak / 1024
            );
            assert_eq!(status, 422, "{name} as {format}");
            // The source itself is at most ~0.5 MiB; refusing must not decode pixels.
            assert!(peak < 4 * 1024 * 1024, "{name}: peak heap {peak} bytes");
        }
    }
}

/// A bottom-up 24-bit BMP of `width × height` (a colour gradient).
fn large_bmp(width: u32, height: u32) -> Vec<u8> {
    let stride = (width as usize * 3).div_ceil(4) * 4;
    let mut bytes = b"BM".to_vec();
    bytes.extend_from_slice(&(54 + stride as u32 * height).to_le_bytes());
    bytes.extend_from_slice(&[0; 4]);
    bytes.extend_from_slice(&54u32.to_le_bytes());
    bytes.extend_from_slice(&40u32.to_le_bytes());
    bytes.extend_from_slice(&width.to_le_bytes());
    bytes.extend_from_slice(&height.to_le_bytes());
    bytes.extend_from_slice(&1u16.to_le_bytes());
    bytes.extend_from_slice(&24u16.to_le_bytes());
    bytes.extend_from_slice(&[0; 24]);
    for y in 0..height {
        let start = bytes.len();
        for x in 0..width {
            bytes.extend_from_slice(&[(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8]);
        }
        bytes.resize(start + stride, 0);
    }
    bytes
}

/// A `width × height` RGB TIFF in Deflate strips of 16 rows (a colour gradient).
fn large_tiff(width: u32, height: u32) -> Vec<u8> {
    use tiff::encoder::{colortype, Compression, DeflateLevel, TiffEncoder};
    let samples: Vec<u8> = (0..height)
        .flat_map(|y| (0..width).flat_map(move |x| [(x % 256) as u8, (y % 256) as u8, 77]))
        .collect();
    let mut out = std::io::Cursor::new(Vec::new());
    let mut encoder = TiffEncoder::new(&mut out)
        .unwrap()
        .with_compression(Compression::Deflate(DeflateLevel::Fast));
    let mut image = encoder.new_image::<colortype::RGB8>(width, height).unwrap();
    image.rows_per_strip(16).unwrap();
    image.write_data(&samples).unwrap();
    out.into_inner()
}

#[test]
fn large_streamed_bmp_and_tiff_hold_far_less_than_their_pixels() {
    let _exclusive = exclusive();
    // 4000×3000 RGB: 36 MB decoded; a streamed render holds a band, the filter's window, a
    // 4000×192 intermediate and the output (measured: 4.9 MiB for the BMP, 5.3 MiB for the TIFF;
    // the whole-picture path held 37 and 69 MiB).
    let (width, height) = (4000u32, 3000u32);
    let decoded = width as usize * height as usize * 3;
    for (name, bytes) in [
        ("bmp", large_bmp(width, height)),
        ("tiff", large_tiff(width, height)),
    ] {
        let source = bytes.len();
        let request = RenderRequest::stored(bytes)
            .width(256)
            .format(OutputFormat::Jpeg);
        let (status, peak) = render_peak(&request);
        eprintln!(
            "{name} 4000x3000 ({source} bytes) to 256 px: peak heap {} KiB",
            peak / 1024
        );
        assert_eq!(status, 200, "{name}");
        assert!(
            peak < decoded / 6,
            "{name}: peak heap {peak} bytes for {decoded} bytes of pixels"
        );
    }
}

/// A `width × height` baseline 4:2:0 JPEG (a colour gradient), without restart markers.
fn large_jpeg(width: u16, height: u16) -> Vec<u8> {
    let samples: Vec<u8> = (0..u32::from(height))
        .flat_map(|y| {
            (0..u32::from(width)).flat_map(move |x| [(x % 256) as u8, (y % 256) as u8, 77])
        })
        .collect();
    let mut bytes = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 85);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder
        .encode(&samples, width, height, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    bytes
}

#[test]
fn large_sequential_jpeg_at_full_and_half_scale_holds_no_whole_picture() {
    let _exclusive = exclusive();
    // 4000×3000 4:2:0: 36 MB decoded at full scale (the whole-picture path held that and its
    // 18 MB of planes). Streamed, a render holds an MCU row, a band, the filter's window, a
    // source-width × target-height intermediate and the output.
    let (width, height) = (4000u16, 3000u16);
    let bytes = large_jpeg(width, height);
    // 2000 px decodes at full scale, 1000 px at 1/2 (a 2000×1500 decode). Streamed, the
    // intermediate is 4000×1500×3 (18 MB) and 2000×750×3 (4.5 MB), the output 2000×1500×3 (9 MB)
    // and 1000×750×3 (2.3 MB), and the encode holds more. The whole-picture path held the
    // picture and the planes before any resize: 36 + 18 MB at full scale, 9 + 9 MB at 1/2
    // (4:2:0 chroma decodes at luma size there). Measured streamed: 35.0 and 13.3 MiB.
    for (target, bound) in [(2000u32, 40usize << 20), (1000, 16 << 20)] {
        let request = RenderRequest::stored(bytes.clone())
            .width(target)
            .format(OutputFormat::Jpeg);
        let (status, peak) = render_peak(&request);
        eprintln!(
            "jpeg 4000x3000 ({} bytes) to {target} px: peak heap {} KiB",
            bytes.len(),
            peak / 1024
        );
        assert_eq!(status, 200, "to {target} px");
        assert!(
            peak < bound,
            "to {target} px: peak heap {peak} bytes, bound {bound}"
        );
    }
}

// With the `webp` feature libwebp decodes every still WebP to RGB.
#[cfg(not(feature = "webp"))]
#[test]
fn lossy_webp_shrunk_holds_its_yuv_planes_not_an_rgb_copy() {
    let _exclusive = exclusive();
    // 1200×1800 lossy WebP: 6.2 MiB as RGB. A render to 128 px holds the decoder's YUV 4:2:0
    // planes (1.5 bytes a pixel, 3.1 MiB), its state and the resampler's intermediates (measured:
    // 4.0 MiB in all); decoding to RGB first held the planes and the RGB copy, 4.5 bytes a pixel
    // and more, which this bound of 2.5 excludes.
    let bytes = common::corpus::corpus_bytes("other/webp_lossy_person.webp");
    let pixels = 1200 * 1800;
    let request = RenderRequest::stored(bytes)
        .width(128)
        .format(OutputFormat::Jpeg);
    let (status, peak) = render_peak(&request);
    eprintln!(
        "lossy WebP 1200x1800 to 128 px: peak heap {} KiB",
        peak / 1024
    );
    assert_eq!(status, 200);
    assert!(
        peak < pixels * 5 / 2,
        "peak heap {peak} bytes for {pixels} pixels"
    );
}
