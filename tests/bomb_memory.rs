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
/// The allocator counts globally: run the measurements one at a time.
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

/// Peak heap growth, in bytes, while `work` runs.
fn peak_during(work: impl FnOnce()) -> usize {
    let _guard = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    work();
    PEAK.load(Ordering::Relaxed).saturating_sub(base)
}

#[test]
fn bombs_are_refused_within_a_few_mebibytes() {
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
            let mut status = 0;
            let peak = peak_during(|| {
                status = render(&request)
                    .map_or_else(|e| e.status(), |r| r.status)
                    .as_u16();
            });
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
