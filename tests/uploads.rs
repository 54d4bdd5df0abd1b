//! The calls around the image, through the `tower` service: upload (raw and multipart), delete,
//! image info and the batch; the hostile-upload table; authorization by action; and what the
//! ingest policy does to a photo's metadata, checked on a committed tagged photo with kamadak-exif
//! and a JPEG segment walker (no tool needed), and with `exiftool` live in the opt-in suite
//! (feature `reference-tools`).

mod common;

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use person_image::auth::StaticAuthenticator;
use person_image::store::{ImageStore, InMemory, Lookup};
use person_image::tower::HttpService;
use person_image::{ImageService, Limits, PersonId};
use tower::ServiceExt;

use common::corpus::{bench_bytes, corpus_bytes};

const WRITER: &str = "Bearer writer-token";
const READER: &str = "Bearer reader-token";
const IMAGE: &str = "/api/v1/Person/1/Image";

/// Persons 1 (a JPEG photo), 2 (a PNG portrait) and 3 (no photo); 9 does not exist.
fn store() -> InMemory {
    let store = common::fixture_store();
    store.insert_without_image(PersonId(3));
    store
}

fn http(store: InMemory) -> HttpService {
    let service = ImageService::writable_builder(
        store,
        StaticAuthenticator::new()
            .bearer("writer-token", "writer")
            .bearer("reader-token", "reader")
            .read_only("reader")
            .session_cookie("session", "s3ss10n", "writer"),
    )
    .limits(Limits::default().max_source_bytes(20 * 1024 * 1024))
    .build();
    HttpService::new(Arc::new(service.clone()), *service.limits()).unwrap()
}

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
}

async fn send<B>(http: &HttpService, request: Request<B>) -> Answer
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<person_image::BoxError>,
{
    let response = http.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body,
    }
}

fn put(
    target: &str,
    auth: &str,
    content_type: &str,
    body: impl Into<Bytes>,
) -> Request<http_body_util::Full<Bytes>> {
    Request::put(target)
        .header("Authorization", auth)
        .header("Content-Type", content_type)
        .body(http_body_util::Full::new(body.into()))
        .unwrap()
}

fn call(method: &str, target: &str, auth: &str) -> Request<String> {
    Request::builder()
        .method(method)
        .uri(target)
        .header("Authorization", auth)
        .body(String::new())
        .unwrap()
}

/// A `multipart/form-data` body with one part per `(name, content)`.
fn multipart(boundary: &str, fields: &[(&str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, content) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                 filename=\"photo\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// The version of person 1's photo, to prove a refused upload changed nothing.
fn version(store: &InMemory, person: i32) -> String {
    match store.lookup(PersonId(person)).unwrap() {
        Lookup::Found(info) => info.version,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn hostile_uploads_get_their_status_and_change_nothing() {
    let store = Arc::new(store());
    let http = {
        let service = ImageService::writable_builder(
            Arc::clone(&store),
            StaticAuthenticator::new().bearer("writer-token", "writer"),
        )
        .limits(Limits::default().max_source_bytes(20 * 1024 * 1024))
        .build();
        HttpService::new(Arc::new(service.clone()), *service.limits()).unwrap()
    };
    let before = version(&store, 1);
    let jpeg = corpus_bytes("jpeg/baseline_hopper.jpg");
    let form = "multipart/form-data; boundary=XyZ";
    let sixty_mib = vec![0xFFu8; 60 * 1024 * 1024];
    let cases: Vec<(&str, Request<http_body_util::Full<Bytes>>, StatusCode, &str)> = vec![
        (
            "empty body",
            put(IMAGE, WRITER, "image/jpeg", Vec::new()),
            StatusCode::BAD_REQUEST,
            "Image bitmap is missing",
        ),
        (
            "a text file called image/jpeg",
            put(
                IMAGE,
                WRITER,
                "image/jpeg",
                corpus_bytes("bad/text_file_renamed.jpg"),
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "it is text",
        ),
        (
            "a truncated JPEG",
            put(IMAGE, WRITER, "image/jpeg", jpeg[..jpeg.len() / 2].to_vec()),
            StatusCode::UNPROCESSABLE_ENTITY,
            "uploaded image",
        ),
        (
            "a truncated progressive JPEG",
            put(
                IMAGE,
                WRITER,
                "image/jpeg",
                corpus_bytes("bad/truncated_progressive.jpg"),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "uploaded image",
        ),
        (
            "a truncated PNG",
            put(
                IMAGE,
                WRITER,
                "image/png",
                corpus_bytes("bad/truncated.png"),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "uploaded image",
        ),
        (
            "a JPEG bomb (65535x65535 header)",
            put(
                IMAGE,
                WRITER,
                "image/jpeg",
                corpus_bytes("bad/bomb_jpeg_header_65535x65535.jpg"),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "source pixels",
        ),
        (
            "a PNG bomb (65536x65536)",
            put(
                IMAGE,
                WRITER,
                "image/png",
                corpus_bytes("bad/bomb_png_65536x65536.png"),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "source pixels",
        ),
        (
            "a GIF bomb",
            put(
                IMAGE,
                WRITER,
                "image/gif",
                corpus_bytes("bad/bomb_gif_65535x10751.gif"),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "uploaded image",
        ),
        (
            "a PNG with a bad IDAT CRC",
            put(
                IMAGE,
                WRITER,
                "image/png",
                corpus_bytes("bad/crc_idat_xcsn0g01.png"),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "uploaded image",
        ),
        (
            "a 60 MiB body",
            put(IMAGE, WRITER, "image/jpeg", sixty_mib),
            StatusCode::PAYLOAD_TOO_LARGE,
            "exceeds the limit",
        ),
        (
            "multipart without the image field",
            put(IMAGE, WRITER, form, multipart("XyZ", &[("photo", &jpeg)])),
            StatusCode::BAD_REQUEST,
            "Image bitmap is missing",
        ),
        (
            "multipart with two image fields",
            put(
                IMAGE,
                WRITER,
                form,
                multipart("XyZ", &[("image", &jpeg), ("image", &jpeg)]),
            ),
            StatusCode::BAD_REQUEST,
            "more than one",
        ),
        (
            "multipart with a wrong boundary",
            put(
                IMAGE,
                WRITER,
                "multipart/form-data; boundary=other",
                multipart("XyZ", &[("image", &jpeg)]),
            ),
            StatusCode::BAD_REQUEST,
            "boundary",
        ),
        (
            "multipart without its closing boundary",
            put(
                IMAGE,
                WRITER,
                form,
                multipart("XyZ", &[("image", &jpeg)])[..jpeg.len()].to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            "closing boundary",
        ),
        (
            "a PUT for a person that does not exist",
            put("/api/v1/Person/9/Image", WRITER, "image/jpeg", jpeg.clone()),
            StatusCode::NOT_FOUND,
            "Person not found",
        ),
        (
            "no credentials",
            put(IMAGE, "Bearer nobody", "image/jpeg", jpeg.clone()),
            StatusCode::UNAUTHORIZED,
            "rejected",
        ),
    ];
    for (name, request, status, message) in cases {
        let answer = send(&http, request).await;
        assert_eq!(answer.status, status, "{name}: {}", answer.text());
        let text = answer.text();
        assert!(text.starts_with("{\"Message\":"), "{name}: {text}");
        assert!(text.contains(message), "{name}: {text}");
        assert_eq!(
            version(&store, 1),
            before,
            "{name} changed the stored photo"
        );
    }
}

#[tokio::test]
async fn declared_lengths_over_the_limit_are_refused_before_reading() {
    // A body that cannot be read, announced as 60 MiB: the 413 comes from the header alone.
    let request = Request::put(IMAGE)
        .header("Authorization", WRITER)
        .header("Content-Length", (60u64 << 20).to_string())
        .body(common::body::Unreadable)
        .unwrap();
    let answer = send(&http(store()), request).await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text()
    );
}

#[tokio::test]
async fn a_raw_upload_replaces_the_photo_and_the_get_serves_it() {
    let http = http(store());
    let old = send(&http, call("GET", IMAGE, READER)).await;
    let png = corpus_bytes("png/basn6a08.png");
    let answer = send(&http, put(IMAGE, WRITER, "image/png", png.clone())).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let info = answer.json();
    assert_eq!(info["PersonId"], 1);
    assert_eq!(info["MimeType"], "image/png");
    assert_eq!(
        (info["Width"].as_u64(), info["Height"].as_u64()),
        (Some(32), Some(32))
    );
    let new = send(&http, call("GET", IMAGE, READER)).await;
    assert_eq!(new.status, StatusCode::OK);
    assert_eq!(new.headers["content-type"], "image/png");
    assert_ne!(new.headers["etag"], old.headers["etag"]);
    let decoded = image::load_from_memory(&new.body).unwrap();
    assert_eq!(decoded, image::load_from_memory(&png).unwrap());
    assert_eq!(info["Size"].as_u64(), Some(new.body.len() as u64));
}

#[tokio::test]
async fn a_multipart_upload_with_cookie_and_xsrf_is_stored() {
    let http = http(store());
    let gif = corpus_bytes("gif/animated_loop3.gif");
    let boundary = "----browser-form-7d1";
    let request = |xsrf: &str| {
        Request::post("/api/v1/Person/3/Image")
            .header("Cookie", "session=s3ss10n; XSRF-TOKEN=t0k")
            .header("X-XSRF-TOKEN", xsrf)
            .header(
                "Content-Type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(http_body_util::Full::new(Bytes::from(multipart(
                boundary,
                &[("caption", b"me"), ("image", &gif)],
            ))))
            .unwrap()
    };
    let refused = send(&http, request("wrong")).await;
    assert_eq!(
        refused.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        refused.text()
    );
    let answer = send(&http, request("t0k")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["MimeType"], "image/gif");
    let served = send(&http, call("GET", "/api/v1/Person/3/Image", WRITER)).await;
    assert_eq!(served.headers["content-type"], "image/gif");
    let frames = image::codecs::gif::GifDecoder::new(std::io::Cursor::new(&served.body[..]))
        .map(|decoder| image::AnimationDecoder::into_frames(decoder).count())
        .unwrap();
    assert!(frames > 1, "the animation survives: {frames} frames");
}

#[tokio::test]
async fn readers_cannot_write_and_writes_need_a_writable_store() {
    let http = http(store());
    let jpeg = corpus_bytes("jpeg/baseline_hopper.jpg");
    let answer = send(&http, put(IMAGE, READER, "image/jpeg", jpeg.clone())).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.text());
    assert!(
        answer.text().contains("reader may not replace"),
        "{}",
        answer.text()
    );
    let answer = send(&http, call("DELETE", IMAGE, READER)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let info = send(&http, call("GET", "/api/v1/Person/1/ImageInfo", READER)).await;
    assert_eq!(info.status, StatusCode::OK);

    let read_only = ImageService::builder(
        store(),
        StaticAuthenticator::new().bearer("writer-token", "writer"),
    )
    .build();
    let read_only = HttpService::new(Arc::new(read_only.clone()), *read_only.limits()).unwrap();
    let answer = send(&read_only, put(IMAGE, WRITER, "image/jpeg", jpeg)).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    let answer = send(&read_only, call("DELETE", IMAGE, WRITER)).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn delete_answers_204_then_the_photo_is_gone() {
    let http = http(store());
    let answer = send(&http, call("DELETE", IMAGE, WRITER)).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    assert!(answer.body.is_empty());
    assert!(!answer.headers.contains_key("content-type"));
    let gone = send(&http, call("GET", IMAGE, WRITER)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let placeholder = send(
        &http,
        call("GET", "/api/v1/Person/1/Image?ifBlank=SrNoPhoto", WRITER),
    )
    .await;
    assert_eq!(placeholder.status, StatusCode::OK);
    // Idempotent: deleting again is still 204; an unknown person is 404.
    assert_eq!(
        send(&http, call("DELETE", IMAGE, WRITER)).await.status,
        StatusCode::NO_CONTENT
    );
    let unknown = send(&http, call("DELETE", "/api/v1/Person/9/Image", WRITER)).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn image_info_describes_the_stored_photo_and_revalidates() {
    let http = http(store());
    let answer = send(&http, call("GET", "/api/v1/Person/1/ImageInfo", READER)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let info = answer.json();
    let stored = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/persons/1.jpg"
    ))
    .unwrap();
    assert_eq!(info["MimeType"], "image/jpeg");
    assert_eq!(info["Size"].as_u64(), Some(stored.len() as u64));
    assert_eq!(
        (info["Width"].as_u64(), info["Height"].as_u64()),
        (Some(1200), Some(1800))
    );
    assert!(info["Version"].is_string());
    assert_eq!(answer.headers["cache-control"], "private, no-cache");
    let etag = answer.headers["etag"].to_str().unwrap().to_owned();
    let again = Request::get("/api/v1/Person/1/ImageInfo")
        .header("Authorization", READER)
        .header("If-None-Match", &etag)
        .body(String::new())
        .unwrap();
    assert_eq!(send(&http, again).await.status, StatusCode::NOT_MODIFIED);
    let head = send(&http, call("HEAD", "/api/v1/Person/1/ImageInfo", READER)).await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    for (person, status) in [(3, StatusCode::NOT_FOUND), (9, StatusCode::NOT_FOUND)] {
        let target = format!("/api/v1/Person/{person}/ImageInfo");
        assert_eq!(
            send(&http, call("GET", &target, READER)).await.status,
            status
        );
    }
}

#[tokio::test]
async fn a_batch_answers_every_person_in_order() {
    let http = http(store());
    let batch = |body: &str| {
        Request::post("/api/v1/Agents/Person/GetPersonImages")
            .header("Authorization", READER)
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .unwrap()
    };
    let answer = send(
        &http,
        batch(r#"{"PersonIds":[2,9,3,1],"ScaledWidth":48,"ScaledHeight":48}"#),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let entries = answer.json();
    let statuses: Vec<(i64, &str)> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["PersonId"].as_i64().unwrap(),
                entry["Status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [
            (2, "Found"),
            (9, "NoSuchPerson"),
            (3, "NoImage"),
            (1, "Found")
        ]
    );
    for entry in [&entries[0], &entries[3]] {
        assert_eq!(entry["MimeType"], "image/png");
        let png = common::base64::decode(entry["Image"].as_str().unwrap().as_bytes()).unwrap();
        let picture = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
        assert!(picture.width() <= 48 && picture.height() <= 48);
        assert!(picture.width() == 48 || picture.height() == 48);
    }
    // The batch shares the single-image cache: the same variant is now a cache hit.
    let single = send(
        &http,
        call("GET", "/api/v1/Person/1/Image?w=48&h=48&type=png", READER),
    )
    .await;
    let png = common::base64::decode(entries[3]["Image"].as_str().unwrap().as_bytes()).unwrap();
    assert_eq!(&single.body[..], &png[..]);

    let too_many = format!(r#"{{"PersonIds":[{}1]}}"#, "1,".repeat(9_999));
    let answer = send(&http, batch(&too_many)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(
        answer.text().contains("at most 100 ids, got 10000"),
        "{}",
        answer.text()
    );
    let answer = send(&http, batch(r#"{"PersonIds":[1,"two"]}"#)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.text().contains("index 1"), "{}", answer.text());
    let answer = send(&http, batch(r#"{"PersonIds":[1]"#)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let unauthenticated = Request::post("/api/v1/Agents/Person/GetPersonImages")
        .body(r#"{"PersonIds":[1]}"#.to_owned())
        .unwrap();
    assert_eq!(
        send(&http, unauthenticated).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn large_photos_are_stored_at_2048_px_at_most() {
    let http = http(store());
    let photo = bench_bytes("photo-22mp.jpg");
    let answer = send(&http, put(IMAGE, WRITER, "image/jpeg", photo)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let info = answer.json();
    let (width, height) = (
        info["Width"].as_u64().unwrap(),
        info["Height"].as_u64().unwrap(),
    );
    assert_eq!(width.max(height), 2048, "{info}");
    assert_eq!(info["MimeType"], "image/jpeg");
}

/// The tagged photo the metadata tests upload: `jpeg/exif_orientation_6.jpg` with GPS, a serial
/// number, XMP `dc:Creator`, a JPEG comment and IPTC `City` written by exiftool (the command is in
/// the corpus's MANIFEST.tsv; the opt-in suite runs it live).
const TAGGED_PHOTO: &str = "jpeg/exif_orientation_6_tagged_gps_xmp_iptc.jpg";

/// The identifying values written into [`TAGGED_PHOTO`]: each must be in the input's bytes and
/// nowhere in the stored photo's.
const IDENTIFYING_VALUES: [&str; 4] = ["Jane Doe", "taken at home", "Oslo", "CAM-123456"];

/// Words that must not appear anywhere in a tag reader's dump of the stored photo: GPS tags, the
/// serial number tag, XMP, and the identifying values.
const GONE_FROM_TAGS: [&str; 7] = [
    "GPS",
    "SerialNumber",
    "XMP",
    "Jane Doe",
    "taken at home",
    "Oslo",
    "CAM-123456",
];

/// A tag reader's view of a JPEG's metadata, the same whichever reader made it.
struct Tags {
    /// Every tag found, `Group:Name` to its value as text: exiftool's `-G -n` JSON keys, or
    /// kamadak-exif's IFD and tag name (`IFD0.Gps:GPSLatitude`).
    all: std::collections::BTreeMap<String, String>,
    /// The primary image's EXIF orientation (1 to 8), when there is one.
    orientation: Option<u64>,
}

impl Tags {
    /// The `(key, value)` of every tag whose name (after the group) satisfies `name`.
    fn named(&self, name: impl Fn(&str) -> bool) -> Vec<(&str, &str)> {
        self.all
            .iter()
            .filter(|(key, _)| name(key.rsplit(':').next().unwrap_or(key)))
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect()
    }

    /// The EXIF GPS tags (both readers name them `GPS…`).
    fn gps(&self) -> Vec<(&str, &str)> {
        self.named(|name| name.starts_with("GPS"))
    }

    /// The serial numbers: EXIF 0xA431, which exiftool writes and names `SerialNumber` and
    /// kamadak-exif names `BodySerialNumber`, or any other `…SerialNumber` tag.
    fn serial_numbers(&self) -> Vec<(&str, &str)> {
        self.named(|name| name.ends_with("SerialNumber"))
    }

    /// Everything, one `key=value` line per tag, to search for words that must be gone.
    fn dump(&self) -> String {
        self.all
            .iter()
            .map(|(key, value)| format!("{key}={value}\n"))
            .collect()
    }
}

/// How a metadata test reads tags: kamadak-exif in the default suite, exiftool live in the
/// opt-in one (feature `reference-tools`).
struct TagReader {
    /// The reader's name, for messages.
    name: &'static str,
    /// Reads a JPEG's tags.
    read: fn(&[u8]) -> Tags,
    /// Keys the tagged input must carry besides the GPS latitude, serial number and orientation
    /// every reader checks: what this reader sees outside EXIF (XMP, IPTC, the comment).
    also_before: &'static [&'static str],
}

/// kamadak-exif reads EXIF only (the first EXIF APP1 segment); XMP, IPTC and the comment are the
/// segment walker's to check.
const KAMADAK_EXIF: TagReader = TagReader {
    name: "kamadak-exif",
    read: kamadak_exif_tags,
    also_before: &[],
};

/// kamadak-exif's view of a JPEG's EXIF: no tags (and no orientation) when it has no EXIF.
fn kamadak_exif_tags(jpeg: &[u8]) -> Tags {
    let exif = match exif::Reader::new().read_from_container(&mut std::io::Cursor::new(jpeg)) {
        Ok(exif) => exif,
        Err(exif::Error::NotFound(_)) => {
            return Tags {
                all: Default::default(),
                orientation: None,
            }
        }
        Err(error) => panic!("kamadak-exif cannot read the EXIF: {error}"),
    };
    let all = exif
        .fields()
        .map(|field| {
            let key = format!(
                "IFD{}.{:?}:{}",
                field.ifd_num.index(),
                field.tag.context(),
                field.tag
            );
            let value = match &field.value {
                exif::Value::Ascii(strings) => strings
                    .iter()
                    .map(|string| String::from_utf8_lossy(string))
                    .collect::<Vec<_>>()
                    .join(" "),
                _ => field.display_value().to_string(),
            };
            (key, value)
        })
        .collect();
    let orientation = exif
        .get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|field| field.value.get_uint(0))
        .map(u64::from);
    Tags { all, orientation }
}

/// The marker segments of a JPEG's header, in order, as `(marker, payload)`: every segment after
/// SOI up to the first SOS (the scan data follows) or EOI. Fill bytes (extra 0xFF before a marker)
/// are skipped, as are the standalone markers TEM and RST0-7; a missing SOI, a byte where a marker
/// belongs, or a length running past the end fails the test.
fn jpeg_segments(jpeg: &[u8]) -> Vec<(u8, &[u8])> {
    assert!(jpeg.starts_with(&[0xFF, 0xD8]), "not a JPEG: no SOI");
    let mut segments = Vec::new();
    let mut at = 2;
    loop {
        assert_eq!(jpeg.get(at), Some(&0xFF), "no marker at byte {at}");
        while jpeg.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *jpeg.get(at).expect("the JPEG ends inside a marker");
        at += 1;
        match marker {
            0xDA | 0xD9 => return segments,
            0x01 | 0xD0..=0xD7 => continue,
            0x00 | 0xD8 => panic!("marker 0x{marker:02X} at byte {} in the header", at - 2),
            _ => {}
        }
        let length = jpeg
            .get(at..at + 2)
            .map(|bytes| usize::from(u16::from_be_bytes([bytes[0], bytes[1]])))
            .expect("the JPEG ends inside a segment length");
        let payload = (length >= 2)
            .then(|| jpeg.get(at + 2..at + length))
            .flatten()
            .unwrap_or_else(|| panic!("segment 0x{marker:02X} at byte {at}: bad length {length}"));
        segments.push((marker, payload));
        at += length;
    }
}

/// The metadata segments of a JPEG that EXIF readers do not cover, by name, in file order: XMP
/// (APP1 with the `http://ns.adobe.com/xap/1.0/` signature, or Extended XMP), COM, and APP13
/// (Photoshop's resource block, where IPTC lives).
fn non_exif_metadata_segments(jpeg: &[u8]) -> Vec<&'static str> {
    jpeg_segments(jpeg)
        .into_iter()
        .filter_map(|(marker, payload)| match marker {
            0xE1 if payload.starts_with(b"http://ns.adobe.com/xap/1.0/\0")
                || payload.starts_with(b"http://ns.adobe.com/xmp/extension/\0") =>
            {
                Some("XMP APP1")
            }
            0xED => Some("APP13"),
            0xFE => Some("COM"),
            _ => None,
        })
        .collect()
}

/// Whether `needle` occurs anywhere in `haystack`.
fn contains_bytes(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// The segment walker skips fill bytes and standalone markers, and stops at SOS.
#[test]
fn the_segment_walker_skips_fill_bytes_and_stops_at_sos() {
    let jpeg = [
        0xFF, 0xD8, 0xFF, 0xFF, 0xFE, 0x00, 0x04, b'h', b'i', 0xFF, 0xD0, 0xFF, 0xED, 0x00, 0x02,
        0xFF, 0xDA, 0x00, 0x02, 0xFF, 0xFE, 0x00, 0x02,
    ];
    let segments = jpeg_segments(&jpeg);
    assert_eq!(segments, [(0xFE, &b"hi"[..]), (0xED, &[][..])]);
    assert_eq!(non_exif_metadata_segments(&jpeg), ["COM", "APP13"]);
}

/// The ingest rule for identifying metadata, on `input` (a JPEG with GPS, a serial number, XMP,
/// IPTC, a comment and EXIF orientation 6, which the test first checks it carries) with tags read
/// by `reader`: the stored photo has no GPS or serial number tags and still orientation 6 (by
/// `reader`), no XMP, COM or APP13 segment and at most one EXIF segment (by the segment walker),
/// none of the identifying values in its bytes, and it displays the same as the input.
async fn assert_identifying_metadata_stripped(input: Vec<u8>, reader: &TagReader) {
    let name = reader.name;
    let before = (reader.read)(&input);
    assert!(
        before
            .gps()
            .iter()
            .any(|(key, _)| key.ends_with(":GPSLatitude")),
        "the test photo carries a GPS latitude ({name}): {}",
        before.dump()
    );
    assert_eq!(
        before
            .serial_numbers()
            .iter()
            .map(|(_, value)| *value)
            .collect::<Vec<_>>(),
        ["CAM-123456"],
        "the test photo carries the serial number ({name}): {}",
        before.dump()
    );
    assert_eq!(before.orientation, Some(6), "{name}: {}", before.dump());
    for key in reader.also_before {
        assert!(
            before.all.contains_key(*key),
            "the test photo carries {key} ({name}): {}",
            before.dump()
        );
    }
    let mut carried = non_exif_metadata_segments(&input);
    carried.sort_unstable();
    assert_eq!(
        carried,
        ["APP13", "COM", "XMP APP1"],
        "the test photo carries one APP13, COM and XMP segment each"
    );
    for value in IDENTIFYING_VALUES {
        assert!(
            contains_bytes(&input, value),
            "the test photo carries {value:?}"
        );
    }

    let http = http(store());
    let rendered_before = {
        let store = InMemory::new().with_image(PersonId(1), input.clone());
        let answer = send(
            &self::http(store),
            call("GET", "/api/v1/Person/1/Image?w=64&type=png", READER),
        )
        .await;
        image::load_from_memory(&answer.body).unwrap()
    };
    let answer = send(&http, put(IMAGE, WRITER, "image/jpeg", input)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let stored = send(&http, call("GET", IMAGE, READER)).await.body;

    let after = (reader.read)(&stored);
    let dump = after.dump();
    assert!(after.gps().is_empty(), "GPS survived ({name}): {dump}");
    assert!(
        after.serial_numbers().is_empty(),
        "the serial number survived ({name}): {dump}"
    );
    for gone in GONE_FROM_TAGS {
        assert!(!dump.contains(gone), "{gone} survived ({name}): {dump}");
    }
    assert_eq!(after.orientation, Some(6), "orientation ({name}): {dump}");
    let kept = non_exif_metadata_segments(&stored);
    assert!(kept.is_empty(), "the stored photo keeps {kept:?}");
    let exif_segments = jpeg_segments(&stored)
        .into_iter()
        .filter(|(marker, payload)| *marker == 0xE1 && payload.starts_with(b"Exif\0\0"))
        .count();
    assert!(
        exif_segments <= 1,
        "{exif_segments} EXIF segments: a reader sees only the first"
    );
    for value in IDENTIFYING_VALUES {
        assert!(
            !contains_bytes(&stored, value),
            "{value:?} survived in the stored bytes"
        );
    }
    // It still displays the same way.
    let rendered_after = send(
        &http,
        call("GET", "/api/v1/Person/1/Image?w=64&type=png", READER),
    )
    .await;
    let rendered_after = image::load_from_memory(&rendered_after.body).unwrap();
    assert_eq!(rendered_after, rendered_before);
}

/// An upload loses GPS, the serial number, XMP, IPTC and the comment, and keeps its orientation:
/// the committed tagged photo, read with kamadak-exif and the segment walker (no tool needed).
#[tokio::test]
async fn identifying_metadata_is_stripped_and_orientation_kept() {
    assert_identifying_metadata_stripped(corpus_bytes(TAGGED_PHOTO), &KAMADAK_EXIF).await;
}

/// The same rule with exiftool live (feature `reference-tools`): it tags a fresh copy of
/// `jpeg/exif_orientation_6.jpg` and reads the tags before and after the upload. A missing
/// exiftool fails the test.
#[cfg(feature = "reference-tools")]
mod live_exiftool {
    use std::process::Command;

    use super::common::temp::TempDir;
    use super::*;

    /// The tags exiftool writes: the same command made [`TAGGED_PHOTO`].
    const TAGGING: [&str; 9] = [
        "-overwrite_original",
        "-GPSLatitude=59.9139",
        "-GPSLatitudeRef=N",
        "-GPSLongitude=10.7522",
        "-GPSLongitudeRef=E",
        "-SerialNumber=CAM-123456",
        "-XMP-dc:Creator=Jane Doe",
        "-Comment=taken at home",
        "-IPTC:City=Oslo",
    ];

    /// exiftool reads every group, so the input must also show its XMP, comment and IPTC tags.
    const EXIFTOOL: TagReader = TagReader {
        name: "exiftool",
        read: exiftool_tags,
        also_before: &["XMP:Creator", "File:Comment", "IPTC:City"],
    };

    /// Runs exiftool with `args` on `path`; fails, naming the package, when it cannot run or
    /// reports an error.
    fn exiftool(args: &[&str], path: &std::path::Path) -> Vec<u8> {
        let output = Command::new("exiftool")
            .args(args)
            .arg(path)
            .output()
            .unwrap_or_else(|error| {
                panic!(
                    "exiftool is needed ({error}): install Debian's libimage-exiftool-perl \
                     (.ci/run does)"
                )
            });
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    }

    /// exiftool's view of a JPEG: every tag it finds, `-json -G -n`.
    fn exiftool_tags(jpeg: &[u8]) -> Tags {
        let dir = TempDir::new("uploads-exiftool");
        let path = dir.write("photo.jpg", jpeg);
        let json = exiftool(&["-json", "-G", "-n"], &path);
        let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let object = json[0]
            .as_object()
            .expect("exiftool -json gives one object");
        let all = object
            .iter()
            .map(|(key, value)| {
                let text = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                (key.clone(), text)
            })
            .collect();
        let orientation = object
            .get("EXIF:Orientation")
            .and_then(|value| value.as_u64());
        Tags { all, orientation }
    }

    /// Tags a fresh copy of `jpeg/exif_orientation_6.jpg` with exiftool, then checks the rule
    /// with exiftool as the tag reader.
    #[tokio::test]
    async fn identifying_metadata_written_and_read_by_exiftool_is_stripped() {
        let dir = TempDir::new("uploads-exif");
        let path = dir.write("tagged.jpg", &corpus_bytes("jpeg/exif_orientation_6.jpg"));
        exiftool(&TAGGING, &path);
        let tagged = std::fs::read(&path).unwrap();
        assert_identifying_metadata_stripped(tagged, &EXIFTOOL).await;
    }
}

/// Sends `request` raw over TCP to `address` (then half-closes when `hang_up`) and returns the
/// first response's status line (empty when the server closed without answering).
async fn raw_exchange(address: std::net::SocketAddr, request: Vec<u8>, hang_up: bool) -> String {
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .unwrap();
        stream.write_all(&request).unwrap();
        if hang_up {
            stream.shutdown(std::net::Shutdown::Write).unwrap();
        }
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        while !answer.windows(2).any(|pair| pair == b"\r\n") {
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(read) => answer.extend_from_slice(&chunk[..read]),
            }
        }
        let answer = String::from_utf8_lossy(&answer).into_owned();
        answer.lines().next().unwrap_or_default().to_owned()
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn content_length_lying_either_way_stores_nothing() {
    let store = Arc::new(store());
    let service = ImageService::writable_builder(
        Arc::clone(&store),
        StaticAuthenticator::new().bearer("writer-token", "writer"),
    )
    .build();
    let http = HttpService::new(Arc::new(service.clone()), *service.limits()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().fallback_service(http))
            .await
            .unwrap();
    });
    let before = version(&store, 1);
    let jpeg = corpus_bytes("jpeg/baseline_hopper.jpg");
    let request = |declared: usize, body: &[u8]| {
        let mut request = format!(
            "PUT {IMAGE} HTTP/1.1\r\nHost: test\r\nAuthorization: {WRITER}\r\n\
             Content-Type: image/jpeg\r\nContent-Length: {declared}\r\n\r\n"
        )
        .into_bytes();
        request.extend_from_slice(body);
        request
    };
    // Claims more than it sends, then hangs up: the body never completes.
    let status = raw_exchange(address, request(jpeg.len() + 5000, &jpeg), true).await;
    assert!(!status.contains(" 200 "), "{status}");
    // Claims less than it sends: the server reads what was declared, a truncated JPEG.
    let status = raw_exchange(address, request(jpeg.len() / 2, &jpeg), false).await;
    assert!(status.starts_with("HTTP/1.1 422"), "{status}");
    assert_eq!(version(&store, 1), before);
    // The honest request goes through.
    let status = raw_exchange(address, request(jpeg.len(), &jpeg), false).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert_ne!(version(&store, 1), before);
}
