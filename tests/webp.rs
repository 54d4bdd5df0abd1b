//! WebP output (feature `webp`, SPEC §4.1) on real photos: round trips against the same resize in
//! PNG, alpha, animation, negotiation, and the HTTP contract through the serve example's router.

#[allow(dead_code)]
#[path = "../examples/serve.rs"]
mod serve;

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use common::corpus::{bench_bytes, corpus_bytes};
use common::pixels::psnr;
use http_body_util::BodyExt;
use image::codecs::webp::WebPDecoder;
use image::{AnimationDecoder, DynamicImage, RgbaImage};
use person_image::headers::AcceptList;
use person_image::render::{PlaceholderKind, RenderOptions, RenderRequest};
use person_image::tower::HttpService;
use person_image::{render, OutputFormat};
use tower::ServiceExt;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/persons");
/// What Chromium sends for an `<img>`.
const CHROMIUM: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
}

/// The real photos of the round trips: portraits, an ICC photo, a progressive JPEG, a greyscale
/// JPEG and an RGBA PNG.
fn photos() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("persons/1.jpg", fixture("1.jpg")),
        ("persons/3.jpg", fixture("3.jpg")),
        (
            "icc_adobergb_person.jpg",
            corpus_bytes("jpeg/icc_adobergb_person.jpg"),
        ),
        (
            "progressive_cat.jpg",
            corpus_bytes("jpeg/progressive_cat.jpg"),
        ),
        (
            "grayscale_gray_icc_concert.jpg",
            corpus_bytes("jpeg/grayscale_gray_icc_concert.jpg"),
        ),
        ("alpha-3mp.png", bench_bytes("alpha-3mp.png")),
    ]
}

fn rendered(request: &RenderRequest) -> (String, Vec<u8>) {
    let response = render(request).expect("renders");
    let content_type = response.content_type.expect("a 200 has a type");
    (content_type.to_string(), response.body.to_vec())
}

fn rgba(bytes: &[u8]) -> RgbaImage {
    image::load_from_memory(bytes)
        .expect("decodes")
        .into_rgba8()
}

/// RGB composited on white, so the colour under transparent pixels (which neither format must
/// keep) does not count.
fn on_white(image: &RgbaImage) -> Vec<u8> {
    image
        .pixels()
        .flat_map(|pixel| {
            let [r, g, b, a] = pixel.0;
            let over = |c: u8| {
                ((u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a)) + 127) / 255) as u8
            };
            [over(r), over(g), over(b)]
        })
        .collect()
}

#[test]
fn photos_round_trip_at_the_asked_size_close_to_png() {
    for (name, bytes) in photos() {
        for width in [128, 256] {
            let request = RenderRequest::stored(bytes.clone()).width(width);
            let (content_type, webp) = rendered(&request.clone().format(OutputFormat::WebP));
            assert_eq!(content_type, "image/webp", "{name}");
            assert_eq!(&webp[..4], b"RIFF", "{name}");
            let (_, png) = rendered(&request.format(OutputFormat::Png));
            let (webp, png) = (rgba(&webp), rgba(&png));
            assert_eq!(webp.width(), width, "{name}");
            assert_eq!(webp.dimensions(), png.dimensions(), "{name} at {width}");
            let quality = psnr(&on_white(&webp), &on_white(&png));
            // libwebp at quality 80 lands at 34-49 dB on these (38 on the portraits).
            assert!(quality > 31.0, "{name} at {width}: PSNR {quality:.1} dB");
            // Alpha is compressed losslessly: the resized alpha comes back exactly.
            let alpha = |image: &RgbaImage| image.pixels().map(|p| p.0[3]).collect::<Vec<_>>();
            assert_eq!(alpha(&webp), alpha(&png), "{name} at {width}: alpha");
        }
    }
}

#[test]
fn alpha_survives_on_a_transparent_photo() {
    let (_, webp) = rendered(
        &RenderRequest::stored(bench_bytes("alpha-3mp.png"))
            .width(256)
            .format(OutputFormat::WebP),
    );
    let decoded = image::load_from_memory(&webp).unwrap();
    assert!(decoded.color().has_alpha());
    let alpha: Vec<u8> = decoded.into_rgba8().pixels().map(|p| p.0[3]).collect();
    assert!(alpha.contains(&0), "some pixels stay fully transparent");
    assert!(alpha.contains(&255), "some stay opaque");
}

#[test]
fn quality_is_configurable_and_default_is_80() {
    let bytes = fixture("1.jpg");
    let request = RenderRequest::stored(bytes)
        .width(256)
        .format(OutputFormat::WebP);
    let size = |options: RenderOptions| rendered(&request.clone().options(options)).1.len();
    let default = size(RenderOptions::default());
    assert_eq!(default, size(RenderOptions::default().webp_quality(80)));
    assert!(size(RenderOptions::default().webp_quality(40)) < default);
    assert!(size(RenderOptions::default().webp_quality(95)) > default);
}

/// Frames of an animated WebP or GIF, decoded.
fn frames(bytes: &[u8]) -> Vec<image::Frame> {
    if bytes.starts_with(b"GIF") {
        return image::codecs::gif::GifDecoder::new(std::io::Cursor::new(bytes))
            .unwrap()
            .into_frames()
            .collect_frames()
            .unwrap();
    }
    let decoder = WebPDecoder::new(std::io::Cursor::new(bytes)).unwrap();
    assert!(decoder.has_animation(), "an animated WebP");
    decoder.into_frames().collect_frames().unwrap()
}

fn delays(frames: &[image::Frame]) -> Vec<u32> {
    frames
        .iter()
        .map(|frame| {
            let (numer, denom) = frame.delay().numer_denom_ms();
            numer / denom
        })
        .collect()
}

#[test]
fn type_webp_keeps_an_animation_and_negotiation_keeps_it_gif() {
    for gif in [fixture("4.gif"), corpus_bytes("gif/animated_loop3.gif")] {
        let (_, as_gif) = rendered(&RenderRequest::stored(gif.clone()).width(100));
        let (content_type, webp) = rendered(
            &RenderRequest::stored(gif.clone())
                .width(100)
                .format(OutputFormat::WebP),
        );
        assert_eq!(content_type, "image/webp");
        let (gif_frames, webp_frames) = (frames(&as_gif), frames(&webp));
        assert!(gif_frames.len() > 1);
        // Same timeline: libwebp may merge unchanged frames, never change when anything shows.
        let total = |frames: &[image::Frame]| delays(frames).iter().sum::<u32>();
        assert_eq!(total(&webp_frames), total(&gif_frames));
        assert!(webp_frames.len() <= gif_frames.len());
        assert_eq!(
            webp_frames[0].buffer().dimensions(),
            gif_frames[0].buffer().dimensions()
        );

        // A browser without `type`: the animation stays a GIF, passed through or resized.
        let accept = AcceptList::parse([CHROMIUM.as_bytes()]);
        for request in [
            RenderRequest::stored(gif.clone()),
            RenderRequest::stored(gif.clone()).width(100),
        ] {
            let (content_type, body) = rendered(&request.accept(accept.clone()));
            assert_eq!(content_type, "image/gif");
            assert!(frames(&body).len() > 1);
        }
    }
}

#[test]
fn browsers_get_webp_and_superoffice_clients_what_they_got() {
    let jpeg = fixture("1.jpg");
    let still_gif = bench_bytes("photo-800px.gif");
    let cases = [
        (CHROMIUM, &jpeg, "image/webp"),
        ("image/webp,*/*", &still_gif, "image/webp"),
        ("*/*", &jpeg, "image/jpeg"),
        ("image/png, image/jpeg, image/gif", &jpeg, "image/jpeg"),
        ("image/png", &jpeg, "image/png"),
        ("image/gif, image/png", &still_gif, "image/gif"),
        ("image/jpeg, image/webp;q=0.5", &jpeg, "image/jpeg"),
    ];
    for (header, bytes, expected) in cases {
        let request = RenderRequest::stored(bytes.clone())
            .width(128)
            .accept(AcceptList::parse([header.as_bytes()]));
        let response = render(&request).unwrap();
        assert_eq!(response.content_type.unwrap(), expected, "Accept: {header}");
        assert!(
            response.vary.contains(person_image::headers::Vary::ACCEPT),
            "Accept: {header}"
        );
        assert_eq!(rgba(&response.body).width(), 128, "Accept: {header}");
    }
}

#[test]
fn a_stored_webp_is_passed_through_to_a_browser() {
    let webp = fixture("6.webp");
    let request =
        RenderRequest::stored(webp.clone()).accept(AcceptList::parse([CHROMIUM.as_bytes()]));
    let (content_type, body) = rendered(&request);
    assert_eq!((content_type.as_str(), body), ("image/webp", webp));
}

#[test]
fn placeholders_are_lossless_webp() {
    let accept = AcceptList::parse([CHROMIUM.as_bytes()]);
    for kind in [
        PlaceholderKind::NoPhoto,
        PlaceholderKind::NoPhotoWithBorder,
        PlaceholderKind::GenericFileIcon,
        PlaceholderKind::ClearPixel,
    ] {
        let request = RenderRequest::placeholder(kind).width(120).height(120);
        let (content_type, webp) = rendered(&request.clone().accept(accept.clone()));
        assert_eq!(content_type, "image/webp", "{kind:?}");
        let (_, png) = rendered(&request.format(OutputFormat::Png));
        assert_eq!(
            on_white(&rgba(&webp)),
            on_white(&rgba(&png)),
            "{kind:?}: lossless"
        );
    }
}

// --- HTTP, through the serve example's router ---

/// The status, headers and body of one GET through `router`.
async fn get(
    router: &axum::Router,
    uri: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = Request::get(uri).header("Authorization", "Basic ZGVtbzpkZW1v");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .expect("router answers");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("body").to_bytes().to_vec();
    (parts.status, parts.headers, body)
}

/// A header's value, or "" when it is missing.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

fn demo_router() -> axum::Router {
    let service = serve::Config::default().service().expect("service builds");
    serve::router(
        HttpService::new(Arc::new(service.clone()), *service.limits()).expect("workers start"),
    )
}

#[tokio::test]
async fn http_negotiates_webp_for_browsers_with_its_own_etag() {
    let router = demo_router();
    let uri = "/api/v1/Person/1/Image?w=128";
    let (status, headers, webp) = get(&router, uri, &[("Accept", CHROMIUM)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "image/webp");
    assert!(header(&headers, "vary").contains("Accept"));
    assert_eq!(rgba(&webp).width(), 128);
    let etag = header(&headers, "etag").to_owned();

    // `*/*` gives `image/webp` the same q-value, but not the same answer: another ETag.
    let (_, wildcard, _) = get(&router, uri, &[("Accept", "*/*")]).await;
    assert_eq!(header(&wildcard, "content-type"), "image/jpeg");
    assert_ne!(header(&wildcard, "etag"), etag);
    let superoffice = [("Accept", "image/png, image/jpeg, image/gif")];
    let (_, superoffice, _) = get(&router, uri, &superoffice).await;
    assert_eq!(header(&superoffice, "content-type"), "image/jpeg");

    // Revalidation: the WebP ETag is current for the browser, not for the wildcard client.
    let conditional = [("Accept", CHROMIUM), ("If-None-Match", etag.as_str())];
    let (status, _, _) = get(&router, uri, &conditional).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    let conditional = [("Accept", "*/*"), ("If-None-Match", etag.as_str())];
    let (status, headers, _) = get(&router, uri, &conditional).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "image/jpeg");

    // From the render cache, the same bytes.
    let (_, headers, again) = get(&router, uri, &[("Accept", CHROMIUM)]).await;
    assert_eq!((header(&headers, "etag"), &again), (etag.as_str(), &webp));
}

#[tokio::test]
async fn http_type_webp_is_webp_without_vary() {
    let router = demo_router();
    let uri = "/api/v1/Person/2/Image?type=webp&w=64";
    let (status, headers, body) = get(&router, uri, &[("Accept", "image/png")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "image/webp");
    assert!(!header(&headers, "vary").contains("Accept"));
    assert_eq!(rgba(&body).dimensions(), (64, 64));

    let (_, headers, animated) = get(&router, "/api/v1/Person/4/Image?type=WEBP", &[]).await;
    assert_eq!(header(&headers, "content-type"), "image/webp");
    assert!(frames(&animated).len() > 1);
    let browser = [("Accept", CHROMIUM)];
    let (_, headers, gif) = get(&router, "/api/v1/Person/4/Image", &browser).await;
    assert_eq!(header(&headers, "content-type"), "image/gif");
    assert_eq!(gif, fixture("4.gif"));

    let uri = "/api/v1/Person/5/Image?ifBlank=SrNoPhoto";
    let (status, headers, placeholder) = get(&router, uri, &browser).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "image/webp");
    let decoded: DynamicImage = image::load_from_memory(&placeholder).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (128, 128));
}

/// The corpus WebPs (lossy, lossy with alpha, lossless with alpha), each rendered as PNG from
/// the WebP (libwebp's decoder) and from the same pixels as a lossless PNG made by `image`'s
/// pure-Rust WebP decoder: the same resize of the same picture, so the difference is the two
/// decoders' (lossy upsampling, rounding).
fn corpus_webps() -> Vec<(&'static str, Vec<u8>)> {
    [
        "other/webp_lossy_hopper.webp",
        "other/webp_lossy_alpha_dice.webp",
        "other/webp_lossless_alpha_tux.webp",
    ]
    .into_iter()
    .map(|name| (name, corpus_bytes(name)))
    .collect()
}

fn as_png(webp: &[u8]) -> Vec<u8> {
    let mut png = Vec::new();
    image::load_from_memory_with_format(webp, image::ImageFormat::WebP)
        .expect("image-webp decodes the corpus file")
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encodes a PNG");
    png
}

#[test]
fn corpus_webps_decode_through_libwebp_like_the_pure_rust_decoder() {
    use person_image::request::Fit;
    let webps = corpus_webps();
    assert_eq!(webps.len(), 3);
    for (name, webp) in webps {
        let png = as_png(&webp);
        let source = rgba(&png);
        let shapes = [
            (source.width() / 2, None, Fit::Contain),
            (source.width(), None, Fit::Contain),
            // A cover crop: a square box out of each picture.
            (48, Some(48), Fit::Cover),
        ];
        for (width, height, fit) in shapes {
            let request = |bytes: &[u8]| {
                let request = RenderRequest::stored(bytes.to_vec())
                    .width(width)
                    .fit(fit)
                    .format(OutputFormat::Png);
                match height {
                    Some(height) => request.height(height),
                    None => request,
                }
            };
            let (_, from_webp) = rendered(&request(&webp));
            let (_, from_png) = rendered(&request(&png));
            let (from_webp, from_png) = (rgba(&from_webp), rgba(&from_png));
            assert_eq!(from_webp.width(), width, "{name}");
            assert_eq!(from_webp.dimensions(), from_png.dimensions(), "{name}");
            let quality = psnr(&on_white(&from_webp), &on_white(&from_png));
            eprintln!("{name} at {width}x{height:?} {fit:?}: {quality:.1} dB");
            // A still lossy WebP without alpha shrunk by two or more takes the planes path
            // (the crate's VP8 decoder, no loop filter, as libwebp's scaled decode): measured
            // 40.0 dB from a resample of the filtered RGB picture on the 128 px hopper halved.
            // Otherwise, measured: identical on the lossy files (image-webp matches libwebp's
            // fancy upsampling) but for a cover crop at 68 dB; 53 dB and up on the lossless one
            // (the two decoders differ in the colour they leave under transparent pixels).
            let planes_path = name.contains("lossy")
                && !name.contains("alpha")
                && width * 2 <= source.width()
                && height.is_none_or(|height| height * 2 <= source.height());
            let floor = if planes_path { 38.5 } else { 50.0 };
            assert!(
                quality > floor,
                "{name} at {width} {fit:?}: PSNR {quality:.1} dB"
            );
        }
    }
}

#[test]
fn broken_webps_get_a_decode_error_not_a_panic() {
    for (name, webp) in corpus_webps() {
        let mut cases = vec![
            ("truncated to half", webp[..webp.len() / 2].to_vec()),
            (
                "truncated after the headers",
                webp[..40.min(webp.len())].to_vec(),
            ),
        ];
        // The bitstream's payload overwritten (the RIFF and chunk headers kept).
        let mut scrambled = webp.clone();
        for (i, byte) in scrambled.iter_mut().enumerate().skip(64) {
            *byte = (i as u8).wrapping_mul(151) ^ 0x5a;
        }
        cases.push(("with a scrambled payload", scrambled));
        for (what, bytes) in cases {
            let request = RenderRequest::stored(bytes)
                .width(32)
                .format(OutputFormat::Png);
            match render(&request) {
                Err(error) => assert_eq!(error.status(), 422, "{name} {what}: {error}"),
                // A scrambled lossy payload may still decode to (garbage) pixels: libwebp does
                // not checksum; what matters is an answer of the asked size, not a panic.
                Ok(response) => {
                    assert_eq!(response.status, 200, "{name} {what}");
                    assert_eq!(rgba(&response.body).width(), 32, "{name} {what}");
                }
            }
        }
    }
}
