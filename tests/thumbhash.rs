//! ThumbHash (SPEC §7b) through the service: known answers from the reference implementation,
//! the header's aspect ratio and alpha flag, a decode back to a tiny image of the photo's
//! colours, a new hash for a new version, and the same hash in `ImageInfo` and the batch.

mod common;

use std::io::Cursor;

use bytes::Bytes;
use image::{Rgba, RgbaImage};
use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::InMemory;
use person_image::{ImageResponse, ImageService, PersonId, PersonImageServiceExt};

/// `demo:demo`.
const BASIC: &[u8] = b"Basic ZGVtbzpkZW1v";

fn service(store: impl person_image::store::ImageStore + 'static) -> ImageService {
    ImageService::builder(store, StaticAuthenticator::default().user("demo", "demo")).build()
}

fn call(service: &ImageService, method: Method, target: &str, body: &str) -> ImageResponse {
    service.handle(
        method,
        target,
        [
            ("Authorization", BASIC),
            ("Content-Type", &b"application/json"[..]),
        ],
        Bytes::from(body.to_owned()),
        service.limits(),
    )
}

fn info(service: &ImageService, person: i32) -> serde_json::Value {
    let response = call(
        service,
        Method::Get,
        &format!("/api/v1/Person/{person}/ImageInfo"),
        "",
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    serde_json::from_slice(&response.body).unwrap()
}

/// The `ThumbHash` of `person`'s `ImageInfo`, decoded from base64.
fn thumb_hash(service: &ImageService, person: i32) -> Vec<u8> {
    let info = info(service, person);
    let text = info["ThumbHash"]
        .as_str()
        .unwrap_or_else(|| panic!("no ThumbHash in {info}"));
    common::base64::decode(text.as_bytes()).unwrap()
}

fn png(image: &RgbaImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

/// 24×16, opaque: red steps across, green down, blue along the diagonal.
fn opaque() -> RgbaImage {
    RgbaImage::from_fn(24, 16, |x, y| {
        Rgba([
            (x * 11 % 256) as u8,
            (y * 16) as u8,
            ((x + y) * 7 % 256) as u8,
            255,
        ])
    })
}

/// 16×20 with transparency: the left half opaque, the right half fading in downwards.
fn translucent() -> RgbaImage {
    RgbaImage::from_fn(16, 20, |x, y| {
        let alpha = if x < 8 { 255 } else { (y * 12) as u8 };
        Rgba([200, (x * 15) as u8, (y * 12) as u8, alpha])
    })
}

#[test]
fn known_answers_from_the_reference_implementation() {
    // The expected hashes are what the reference implementation (the `thumbhash` npm package,
    // 0.1.1, `rgbaToThumbHash`) answers for the same RGBA pixels, built by the same formulas in
    // JavaScript. The photos are smaller than the 100 px thumbnail, so the service hashes their
    // pixels exactly.
    let store = InMemory::new();
    store.insert(PersonId(1), png(&opaque()));
    store.insert(PersonId(2), png(&translucent()));
    let service = service(store);
    let expected = |text: &str| common::base64::decode(text.as_bytes()).unwrap();
    assert_eq!(
        thumb_hash(&service, 1),
        expected("3wcODZpwd3dxeHiHh3eHh6+gCveI")
    );
    assert_eq!(
        thumb_hash(&service, 2),
        expected("otiKPBA7YAd3mId3aPdrn2n4WDeKd4iHBw==")
    );
}

/// The header fields: whether the hash says the photo has alpha, and is landscape.
fn flags(hash: &[u8]) -> (bool, bool) {
    (hash[2] & 0x80 != 0, hash[4] & 0x80 != 0)
}

#[test]
fn the_header_says_aspect_and_alpha_and_decodes_to_the_photos_colours() {
    let store = common::fixture_store();
    store.insert(PersonId(2), png(&translucent()));
    store.insert(
        PersonId(4),
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/persons/4.gif"
        ))
        .unwrap(),
    );
    let service = service(store);

    // 1: a 1200×1800 JPEG portrait.
    let portrait = thumb_hash(&service, 1);
    assert!(portrait.len() <= 40, "{} bytes", portrait.len());
    assert_eq!(flags(&portrait), (false, false));
    let ratio = thumbhash::thumb_hash_to_approximate_aspect_ratio(&portrait).unwrap();
    assert!((ratio - 2.0 / 3.0).abs() < 0.2, "aspect ratio {ratio}");

    // 4: a 370×285 GIF.
    let landscape = thumb_hash(&service, 4);
    assert!(landscape.len() <= 40);
    assert!(flags(&landscape).1, "landscape flag");
    let ratio = thumbhash::thumb_hash_to_approximate_aspect_ratio(&landscape).unwrap();
    assert!((ratio - 370.0 / 285.0).abs() < 0.3, "aspect ratio {ratio}");

    // 2: transparent pixels set the alpha flag, and the hash carries the average alpha.
    let translucent_hash = thumb_hash(&service, 2);
    assert!(flags(&translucent_hash).0, "alpha flag");
    let (_, _, _, alpha) = thumbhash::thumb_hash_to_average_rgba(&translucent_hash).unwrap();
    assert!(alpha < 0.9 && alpha > 0.5, "average alpha {alpha}");

    // Decoded back, the portrait's placeholder has the photo's average colour.
    let photo = image::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/persons/1.jpg"
    ))
    .unwrap()
    .thumbnail(67, 100)
    .into_rgb8();
    let (width, height, placeholder) = thumbhash::thumb_hash_to_rgba(&portrait).unwrap();
    assert!(width < height, "{width}×{height}");
    assert_eq!(placeholder.len(), width * height * 4);
    let average = |channel: usize, samples: &[u8], step: usize| {
        let values: Vec<f64> = samples
            .iter()
            .skip(channel)
            .step_by(step)
            .map(|&value| f64::from(value))
            .collect();
        values.iter().sum::<f64>() / values.len() as f64
    };
    for channel in 0..3 {
        let (ours, source) = (
            average(channel, &placeholder, 4),
            average(channel, photo.as_raw(), 3),
        );
        assert!(
            (ours - source).abs() < 12.0,
            "channel {channel}: placeholder {ours:.1}, photo {source:.1}"
        );
    }
}

#[test]
fn a_new_version_gets_a_new_hash_and_the_batch_carries_it() {
    let store = std::sync::Arc::new(common::fixture_store());
    let service = service(store.clone());
    let before = thumb_hash(&service, 2);
    // Asked again: the same (remembered) hash.
    assert_eq!(thumb_hash(&service, 2), before);
    store.insert(PersonId(2), png(&opaque()));
    let after = thumb_hash(&service, 2);
    assert_ne!(after, before);

    let batch = call(
        &service,
        Method::Post,
        "/api/v1/Agents/Person/GetPersonImages",
        r#"{"PersonIds":[1,2],"ScaledWidth":32,"ScaledHeight":32}"#,
    );
    assert_eq!(batch.status, 200);
    let entries: serde_json::Value = serde_json::from_slice(&batch.body).unwrap();
    let hashes: Vec<Vec<u8>> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let text = entry["ThumbHash"]
                .as_str()
                .unwrap_or_else(|| panic!("{entry}"));
            common::base64::decode(text.as_bytes()).unwrap()
        })
        .collect();
    assert_eq!(hashes, [thumb_hash(&service, 1), after]);
}

#[test]
fn a_photo_that_cannot_be_decoded_has_no_hash() {
    let store = InMemory::new();
    // A PNG signature and nothing else.
    store.insert(PersonId(1), b"\x89PNG\r\n\x1a\n".to_vec());
    let service = service(store);
    let info = info(&service, 1);
    assert!(info["ThumbHash"].is_null(), "{info}");
}

#[test]
fn an_upload_answers_the_new_photos_hash() {
    let service = ImageService::writable_builder(
        common::fixture_store(),
        StaticAuthenticator::default().user("demo", "demo"),
    )
    .build();
    let before = thumb_hash(&service, 2);
    let response = service.handle(
        Method::Put,
        "/api/v1/Person/2/Image",
        [
            ("Authorization", BASIC),
            ("Content-Type", &b"image/png"[..]),
        ],
        Bytes::from(png(&opaque())),
        service.limits(),
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    let answer: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    let uploaded = common::base64::decode(answer["ThumbHash"].as_str().unwrap().as_bytes());
    // Metadata stripping keeps a PNG's pixels: the known answer again.
    let expected = common::base64::decode(b"3wcODZpwd3dxeHiHh3eHh6+gCveI");
    assert_eq!(uploaded, expected);
    assert_ne!(uploaded.as_deref(), Some(&before[..]));
    assert_eq!(uploaded.unwrap(), thumb_hash(&service, 2));
}
