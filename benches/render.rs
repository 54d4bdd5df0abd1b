//! Criterion benches, table-driven, setup outside the measured closures:
//! request parsing, passthrough and cache-hit GETs, and full renders of every bench image.
//!
//! Run with: `cargo bench --bench render` (bench photos from `benches/images/`; the large ones are
//! derived by `benches/images.sh` on first use).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use person_image::auth::StaticAuthenticator;
use person_image::render::RenderRequest;
use person_image::request::{ImageRequest, Method};
use person_image::store::InMemory;
use person_image::PersonImageServiceExt;
use person_image::{render, ImageService, Limits, OutputFormat, PersonId};

#[path = "../tests/common/bench_photos.rs"]
mod bench_photos;
#[path = "../tests/common/corpus.rs"]
mod corpus;

use corpus::bench_bytes;

const HEADERS: [(&str, &[u8]); 4] = [
    ("Authorization", b"Basic ZGVtbzpkZW1v"),
    ("Accept", b"image/webp,image/apng,image/*,*/*;q=0.8"),
    ("Accept-Language", b"sv-SE,sv;q=0.9,en;q=0.8"),
    ("If-None-Match", b"\"abc\""),
];

fn parse(c: &mut Criterion) {
    let limits = Limits::default();
    let targets = [
        ("plain", "/api/v1/Person/7/Image"),
        (
            "full query",
            "/api/v1/Person/7/Image?w=256&h=256&type=png&ifBlank=SrNoPhoto",
        ),
    ];
    let mut group = c.benchmark_group("parse");
    for (name, target) in targets {
        group.bench_function(name, |b| {
            b.iter(|| {
                ImageRequest::parse(Method::Get, black_box(target), HEADERS, &limits).unwrap()
            })
        });
    }
    group.finish();
}

fn service_paths(c: &mut Criterion) {
    let photo = bench_bytes("photo-3mp.jpg");
    let store = InMemory::new();
    store.insert(PersonId(1), photo);
    let service =
        ImageService::builder(store, StaticAuthenticator::default().user("demo", "demo")).build();
    let auth: [(&str, &[u8]); 1] = [("Authorization", b"Basic ZGVtbzpkZW1v")];
    service.handle(
        Method::Get,
        "/api/v1/Person/1/Image?w=256",
        auth,
        bytes::Bytes::new(),
        service.limits(),
    );
    let mut group = c.benchmark_group("service GET");
    for (name, target) in [
        ("passthrough", "/api/v1/Person/1/Image"),
        ("cache hit w=256", "/api/v1/Person/1/Image?w=256"),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                service.handle(
                    Method::Get,
                    black_box(target),
                    auth,
                    bytes::Bytes::new(),
                    service.limits(),
                )
            })
        });
    }
    group.finish();
}

fn full_render(c: &mut Criterion) {
    let cases = [
        ("photo-3mp.jpg", OutputFormat::Jpeg),
        ("photo-6mp.jpg", OutputFormat::Jpeg),
        ("photo-6mp.jpg", OutputFormat::Png),
        ("photo-6mp.jpg", OutputFormat::Gif),
        ("photo-6mp.jpg", OutputFormat::Tiff),
        ("photo-22mp.jpg", OutputFormat::Jpeg),
        ("alpha-3mp.png", OutputFormat::Png),
        ("photo-800px.gif", OutputFormat::Gif),
        ("animated-10f.gif", OutputFormat::Gif),
    ];
    let mut group = c.benchmark_group("render to 256");
    group.sample_size(10);
    for (name, format) in cases {
        let bytes = bench_bytes(name);
        let request = RenderRequest::stored(bytes).width(256).format(format);
        group.bench_with_input(BenchmarkId::new(name, format), &request, |b, request| {
            b.iter(|| render(request).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, parse, service_paths, full_render);
criterion_main!(benches);
