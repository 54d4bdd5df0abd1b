//! `fit=cover` (SPEC §5.1) through the service: exact sizes for portrait, landscape and square
//! photos, the crop around the photo's focal point, HEAD and GET alike, its own ETag, 400 for
//! a bad value, every frame of an animated GIF cropped alike, and the batch call.

mod common;

use std::io::Cursor;

use bytes::Bytes;
use image::codecs::gif::{GifDecoder, GifEncoder};
use image::{AnimationDecoder, Delay, Frame, Rgb, RgbImage, Rgba, RgbaImage};
use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::InMemory;
use person_image::{ImageResponse, ImageService, PersonId, PersonImageServiceExt};

/// `demo:demo`.
const BASIC: &[u8] = b"Basic ZGVtbzpkZW1v";

fn service(store: InMemory) -> ImageService {
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

fn get(service: &ImageService, target: &str) -> ImageResponse {
    call(service, Method::Get, target, "")
}

fn png(image: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

fn decoded_size(response: &ImageResponse) -> (u32, u32) {
    assert_eq!(response.status, 200, "{:?}", response.body);
    let picture = image::load_from_memory(&response.body).unwrap();
    (picture.width(), picture.height())
}

#[test]
fn cover_answers_exactly_the_box_for_every_shape_and_format() {
    // 1: a 1200×1800 JPEG portrait; 2: a 128×128 PNG; 3: a 1800×1200 JPEG (EXIF-flipped).
    let store = common::fixture_store();
    store.insert(
        PersonId(3),
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/persons/3.jpg"
        ))
        .unwrap(),
    );
    let service = service(store);
    for person in [1, 2, 3] {
        for (width, height) in [(64, 64), (100, 50), (50, 100), (128, 72)] {
            for format in ["jpeg", "png", "gif", "tiff"] {
                let target = format!(
                    "/api/v1/Person/{person}/Image?w={width}&h={height}&fit=cover&type={format}"
                );
                let response = get(&service, &target);
                assert_eq!(decoded_size(&response), (width, height), "{target}");
            }
        }
    }
    // The contain default is unchanged: the portrait fits inside the box.
    let response = get(&service, "/api/v1/Person/1/Image?w=64&h=64&type=png");
    assert_eq!(decoded_size(&response), (43, 64));
    // Never enlarged: the 128×128 PNG asked at 400×200 is its largest 2:1 crop, 128×64.
    let response = get(&service, "/api/v1/Person/2/Image?w=400&h=200&fit=cover");
    assert_eq!(decoded_size(&response), (128, 64));
    // With one side, cover is contain.
    let response = get(&service, "/api/v1/Person/1/Image?w=64&fit=cover&type=png");
    assert_eq!(decoded_size(&response), (64, 96));
}

/// A 200×300 portrait, grey, with a red mark in the upper third near the top (rows 36–47, the
/// middle columns) and a blue one at the bottom (rows 280–299).
fn marked_portrait() -> RgbImage {
    RgbImage::from_fn(200, 300, |x, y| match (x, y) {
        (80..=119, 36..=47) => Rgb([255, 0, 0]),
        (_, 280..) => Rgb([0, 0, 255]),
        _ => Rgb([128, 128, 128]),
    })
}

#[test]
fn the_crop_keeps_the_salient_top_of_a_portrait() {
    let store = InMemory::new();
    store.insert(PersonId(1), png(&marked_portrait()));
    let service = service(store);
    // The square crop is 200×200; a centred one (rows 50–249) would miss the red mark.
    let response = get(
        &service,
        "/api/v1/Person/1/Image?w=100&h=100&fit=cover&type=png",
    );
    assert_eq!(decoded_size(&response), (100, 100));
    let avatar = image::load_from_memory(&response.body).unwrap().into_rgb8();
    let is_red = |pixel: &Rgb<u8>| pixel[0] > 200 && pixel[1] < 60 && pixel[2] < 60;
    let is_blue = |pixel: &Rgb<u8>| pixel[2] > 200 && pixel[0] < 60 && pixel[1] < 60;
    let red: Vec<(u32, u32)> = avatar
        .enumerate_pixels()
        .filter(|(_, _, pixel)| is_red(pixel))
        .map(|(x, y, _)| (x, y))
        .collect();
    assert!(
        !red.is_empty(),
        "the mark in the upper third is cropped away"
    );
    // Saliency finds the mark (and the upper-centre default would keep it too): centred
    // horizontally, in the upper half.
    assert!(
        red.iter().all(|&(x, y)| (38..62).contains(&x) && y < 50),
        "the mark moved: {red:?}"
    );
    assert!(
        !avatar.pixels().any(is_blue),
        "the bottom of the photo should be cut, not the top"
    );
}

#[test]
fn head_and_get_agree_and_cover_has_its_own_etag() {
    let service = service(common::fixture_store());
    let target = "/api/v1/Person/1/Image?w=64&h=64&fit=cover";
    let got = get(&service, target);
    let head = call(&service, Method::Head, target, "");
    assert_eq!(head.status, got.status);
    assert_eq!(head.etag, got.etag);
    assert_eq!(head.content_type, got.content_type);
    assert_eq!(head.content_length, got.content_length);
    assert_eq!(got.content_length, got.body.len() as u64);
    assert!(head.body.is_empty());

    let etag = |target: &str| get(&service, target).etag.expect("an ETag");
    let cover = etag(target);
    assert_ne!(cover, etag("/api/v1/Person/1/Image?w=64&h=64"));
    assert_ne!(cover, etag("/api/v1/Person/1/Image?w=64&h=64&fit=contain"));
    assert_eq!(cover, etag("/api/v1/Person/1/Image?w=64&h=64&fit=COVER"));
    assert!(cover.opaque().ends_with("+cover"), "{cover:?}");
    // One side: the same variant as without `fit`.
    assert_eq!(
        etag("/api/v1/Person/1/Image?w=64&fit=cover"),
        etag("/api/v1/Person/1/Image?w=64")
    );
    // The default is the vendor's: `fit=contain` is no new variant.
    assert_eq!(
        etag("/api/v1/Person/1/Image?w=64&h=64&fit=contain"),
        etag("/api/v1/Person/1/Image?w=64&h=64")
    );
    // A 304 for the cover tag.
    let revalidated = service.handle(
        Method::Get,
        target,
        [
            ("Authorization", BASIC),
            ("If-None-Match", cover.as_str().as_bytes()),
        ],
        Bytes::new(),
        service.limits(),
    );
    assert_eq!(revalidated.status, 304);
}

#[test]
fn a_bad_fit_is_a_400_naming_the_values() {
    let service = service(common::fixture_store());
    let response = get(&service, "/api/v1/Person/1/Image?w=64&h=64&fit=bogus");
    assert_eq!(response.status, 400);
    let body = String::from_utf8_lossy(&response.body);
    assert!(
        body.contains("fit must be contain or cover (any case), got \\\"bogus\\\""),
        "{body}"
    );
}

/// A 90×30 animation of three frames: black sides, and a middle third of a colour per frame.
fn striped_animation() -> Vec<u8> {
    let colours = [[255, 0, 0, 255], [0, 255, 0, 255], [0, 0, 255, 255]];
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        encoder
            .set_repeat(image::codecs::gif::Repeat::Infinite)
            .unwrap();
        for colour in colours {
            let frame = RgbaImage::from_fn(90, 30, |x, _| {
                if (30..60).contains(&x) {
                    Rgba(colour)
                } else {
                    Rgba([0, 0, 0, 255])
                }
            });
            encoder
                .encode_frame(Frame::from_parts(
                    frame,
                    0,
                    0,
                    Delay::from_numer_denom_ms(100, 1),
                ))
                .unwrap();
        }
    }
    bytes
}

#[test]
fn every_gif_frame_gets_the_same_crop() {
    let store = InMemory::new();
    store.insert(PersonId(1), striped_animation());
    let service = service(store);
    let response = get(&service, "/api/v1/Person/1/Image?w=20&h=20&fit=cover");
    assert_eq!(response.status, 200);
    assert_eq!(response.content_type.clone().unwrap(), "image/gif");
    let frames = GifDecoder::new(Cursor::new(&response.body[..]))
        .unwrap()
        .into_frames()
        .collect_frames()
        .unwrap();
    assert_eq!(frames.len(), 3);
    let colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];
    // Which pixels show the black sides: the same in every frame, since every frame is cut
    // by the same box (placed where the first frame's focal point is).
    let mut sides = Vec::new();
    for (frame, colour) in frames.iter().zip(colours) {
        let pixels = frame.buffer();
        assert_eq!(pixels.dimensions(), (20, 20));
        let black: Vec<bool> = pixels
            .pixels()
            .map(|pixel| (0..3).all(|channel| pixel[channel] < 40))
            .collect();
        let coloured = pixels
            .pixels()
            .filter(|pixel| (0..3).all(|channel| pixel[channel].abs_diff(colour[channel]) < 40));
        assert!(
            coloured.count() > 100,
            "the frame of {colour:?} shows its colour"
        );
        sides.push(black);
    }
    assert!(
        sides.windows(2).all(|pair| pair[0] == pair[1]),
        "frames cropped differently"
    );
}

#[test]
fn the_batch_covers_when_asked() {
    let service = service(common::fixture_store());
    let batch = |body: &str| {
        call(
            &service,
            Method::Post,
            "/api/v1/Agents/Person/GetPersonImages",
            body,
        )
    };
    let sizes = |response: ImageResponse| -> Vec<(u32, u32)> {
        assert_eq!(response.status, 200, "{:?}", response.body);
        let entries: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
        entries
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| {
                assert_eq!(entry["Status"], "Found", "{entry}");
                let png =
                    common::base64::decode(entry["Image"].as_str().unwrap().as_bytes()).unwrap();
                let picture = image::load_from_memory(&png).unwrap();
                (picture.width(), picture.height())
            })
            .collect()
    };
    let covered = batch(r#"{"PersonIds":[1,2],"ScaledWidth":48,"ScaledHeight":48,"Fit":"cover"}"#);
    assert_eq!(sizes(covered), [(48, 48), (48, 48)]);
    let contained = batch(r#"{"PersonIds":[1,2],"ScaledWidth":48,"ScaledHeight":48}"#);
    assert_eq!(sizes(contained), [(32, 48), (48, 48)]);
    let bad = batch(r#"{"PersonIds":[1],"Fit":"bogus"}"#);
    assert_eq!(bad.status, 400);
}
