//! The focal point set through the API (`PUT …/ImageInfo`, SPEC §7c): who may set it, the boxes
//! refused, 404 and 412, the crop that follows it, the ETags that change with it, and a new
//! upload that drops it; without a set point, saliency and then the upper centre.

use std::io::Cursor;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use image::{Rgb, RgbImage};
use person_image::auth::StaticAuthenticator;
use person_image::render::FocalPoint;
use person_image::request::Method;
use person_image::store::{
    Fetch, ImageInfo, ImageStore, InMemory, Lookup, MetadataWritten, PhotoMetadata, WritableStore,
};
use person_image::{ImageResponse, ImageService, PersonId, PersonImageServiceExt};

const WRITER: &[u8] = b"Bearer writer-token";
const READER: &[u8] = b"Bearer reader-token";

/// A 300×200 landscape, grey, with a red square on the left (40×40 at 10,80) and a blue one on
/// the right (40×40 at 250,80): a 1:1 cover crop (200×200) can keep one of them, never both.
fn two_marks() -> Vec<u8> {
    let picture = RgbImage::from_fn(300, 200, |x, y| match (x, y) {
        (10..50, 80..120) => Rgb([255, 0, 0]),
        (250..290, 80..120) => Rgb([0, 0, 255]),
        _ => Rgb([128, 128, 128]),
    });
    let mut bytes = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

/// Person 1 has the two-mark photo, 2 exists without a photo, 9 does not exist.
fn service() -> ImageService {
    let store = InMemory::new().with_image(PersonId(1), two_marks());
    store.insert_without_image(PersonId(2));
    ImageService::writable_builder(
        store,
        StaticAuthenticator::new()
            .bearer("writer-token", "writer")
            .bearer("reader-token", "reader")
            .read_only("reader"),
    )
    .build()
}

fn call(
    service: &ImageService,
    method: Method,
    target: &str,
    headers: &[(&str, &[u8])],
    body: &str,
) -> ImageResponse {
    service.handle(
        method,
        target,
        headers.iter().copied(),
        Bytes::from(body.to_owned()),
        service.limits(),
    )
}

fn put_point(
    service: &ImageService,
    person: i32,
    body: &str,
    if_match: Option<&str>,
) -> ImageResponse {
    let mut headers: Vec<(&str, &[u8])> = vec![
        ("Authorization", WRITER),
        ("Content-Type", b"application/json"),
    ];
    if let Some(tag) = if_match {
        headers.push(("If-Match", tag.as_bytes()));
    }
    call(
        service,
        Method::Put,
        &format!("/api/v1/Person/{person}/ImageInfo"),
        &headers,
        body,
    )
}

fn info(service: &ImageService) -> (serde_json::Value, String) {
    let response = call(
        service,
        Method::Get,
        "/api/v1/Person/1/ImageInfo",
        &[("Authorization", READER)],
        "",
    );
    assert_eq!(response.status, 200);
    let etag = response.etag.as_ref().unwrap().as_str().to_owned();
    (serde_json::from_slice(&response.body).unwrap(), etag)
}

/// The 100×100 cover avatar of person 1, its ETag, and whether it shows red and blue.
fn avatar(service: &ImageService) -> (String, bool, bool) {
    let response = call(
        service,
        Method::Get,
        "/api/v1/Person/1/Image?w=100&h=100&fit=cover&type=png",
        &[("Authorization", READER)],
        "",
    );
    assert_eq!(response.status, 200, "{:?}", response.body);
    let picture = image::load_from_memory(&response.body).unwrap().into_rgb8();
    assert_eq!(picture.dimensions(), (100, 100));
    let red = picture
        .pixels()
        .any(|p| p[0] > 200 && p[1] < 60 && p[2] < 60);
    let blue = picture
        .pixels()
        .any(|p| p[2] > 200 && p[0] < 60 && p[1] < 60);
    let etag = response.etag.as_ref().unwrap().as_str().to_owned();
    (etag, red, blue)
}

const RED_BOX: &str = r#"{"FocalPoint":{"Left":10,"Top":80,"Width":40,"Height":40}}"#;
const BLUE_BOX: &str = r#"{"FocalPoint":{"Left":250,"Top":80,"Width":40,"Height":40}}"#;

#[test]
fn the_crop_follows_the_stored_point_and_the_etags_change_with_it() {
    let service = service();
    let (before, info_tag) = info(&service);
    assert_ne!(before["FocalPointSource"], "Api", "{before}");
    assert_eq!(before["FacesFound"], 0);
    let (plain_tag, _, _) = avatar(&service);

    let answer = put_point(&service, 1, RED_BOX, Some(&info_tag));
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(body["FocalPointSource"], "Api");
    assert_eq!(body["FocalPoint"]["Left"], 10);
    assert_eq!(body["FocalPoint"]["Width"], 40);
    let (red_tag, red, blue) = avatar(&service);
    assert!(red && !blue, "the crop keeps the red box");
    assert_ne!(red_tag, plain_tag);
    let (after, red_info_tag) = info(&service);
    assert_eq!(after["FocalPointSource"], "Api");
    assert_ne!(red_info_tag, info_tag, "the info's ETag follows the point");

    // Any ETag of the current version will do as If-Match, the photo's as well as the info's.
    let answer = put_point(&service, 1, BLUE_BOX, Some(&red_tag));
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let (blue_tag, red, blue) = avatar(&service);
    assert!(blue && !red, "the crop keeps the blue box");
    assert_ne!(blue_tag, red_tag);

    // Cleared: the detected point again, and the first ETags.
    let answer = put_point(&service, 1, r#"{"FocalPoint":null}"#, None);
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    let (again, _, _) = avatar(&service);
    assert_eq!(again, plain_tag);
    assert_ne!(info(&service).0["FocalPointSource"], "Api");
}

#[test]
fn a_new_upload_drops_the_point_and_an_old_version_is_refused() {
    let service = service();
    let (_, old_tag) = info(&service);
    assert_eq!(put_point(&service, 1, RED_BOX, None).status, 200);
    let mut other = RgbImage::from_pixel(300, 200, Rgb([90, 90, 90]));
    other.put_pixel(0, 0, Rgb([1, 2, 3]));
    let mut bytes = Vec::new();
    other
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    let upload = service.handle(
        Method::Put,
        "/api/v1/Person/1/Image",
        [
            ("Authorization", WRITER),
            ("Content-Type", &b"image/png"[..]),
        ],
        Bytes::from(bytes),
        service.limits(),
    );
    assert_eq!(upload.status, 200, "{:?}", upload.body);
    let body: serde_json::Value = serde_json::from_slice(&upload.body).unwrap();
    assert_ne!(body["FocalPointSource"], "Api", "{body}");
    assert_ne!(info(&service).0["FocalPointSource"], "Api");
    // A box drawn on the old photo does not attach to the new one.
    let refused = put_point(&service, 1, BLUE_BOX, Some(&old_tag));
    assert_eq!(refused.status, 412);
    assert_ne!(info(&service).0["FocalPointSource"], "Api");
}

#[test]
fn writes_need_a_writer_and_a_box_inside_the_photo() {
    let service = service();
    let target = "/api/v1/Person/1/ImageInfo";
    let json: (&str, &[u8]) = ("Content-Type", b"application/json");
    let anonymous = call(&service, Method::Put, target, &[json], RED_BOX);
    assert_eq!(anonymous.status, 401);
    let reader = call(
        &service,
        Method::Put,
        target,
        &[("Authorization", READER), json],
        RED_BOX,
    );
    assert_eq!(reader.status, 403);
    for body in [
        r#"{"FocalPoint":{"Left":290,"Top":80,"Width":40,"Height":40}}"#,
        r#"{"FocalPoint":{"Left":0,"Top":190,"Width":40,"Height":11}}"#,
        r#"{"FocalPoint":{"Left":0,"Top":0,"Width":0,"Height":10}}"#,
        r#"{"FocalPoint":"middle"}"#,
        "not json",
    ] {
        let answer = put_point(&service, 1, body, None);
        assert_eq!(answer.status, 400, "{body}");
    }
    assert_ne!(info(&service).0["FocalPointSource"], "Api");
    assert_eq!(put_point(&service, 2, RED_BOX, None).status, 404);
    assert_eq!(put_point(&service, 9, RED_BOX, None).status, 404);
    let read_only = ImageService::builder(
        InMemory::new().with_image(PersonId(1), two_marks()),
        StaticAuthenticator::new().bearer("writer-token", "writer"),
    )
    .build();
    assert_eq!(put_point(&read_only, 1, RED_BOX, None).status, 405);
}

#[test]
fn without_a_set_point_saliency_then_the_upper_centre_decide() {
    let service = service();
    let (marked, _) = info(&service);
    assert_eq!(marked["FocalPointSource"], "Saliency", "{marked}");
    let left = marked["FocalPoint"]["Left"].as_u64().unwrap();
    let width = marked["FocalPoint"]["Width"].as_u64().unwrap();
    assert!(
        left + width <= 300 && width >= 40,
        "the salient box lies in the photo: {marked}"
    );

    let mut flat = Vec::new();
    RgbImage::from_pixel(300, 600, Rgb([90, 120, 150]))
        .write_to(&mut Cursor::new(&mut flat), image::ImageFormat::Png)
        .unwrap();
    let upload = service.handle(
        Method::Put,
        "/api/v1/Person/1/Image",
        [
            ("Authorization", WRITER),
            ("Content-Type", &b"image/png"[..]),
        ],
        Bytes::from(flat),
        service.limits(),
    );
    assert_eq!(upload.status, 200, "{:?}", upload.body);
    let (even, _) = info(&service);
    assert_eq!(even["FocalPointSource"], "Default", "{even}");
    // The upper centre of a 300×600 portrait: a 100-pixel square, centred, eyes at row 200.
    assert_eq!(even["FocalPoint"]["Left"], 100);
    assert_eq!(even["FocalPoint"]["Top"], 160);
    assert_eq!(even["FocalPoint"]["Width"], 100);
    assert_eq!(even["FacesFound"], 0);
}

/// A store that counts its calls, over an `InMemory` the test keeps a handle on.
struct Counted {
    inner: Arc<InMemory>,
    calls: Mutex<Vec<&'static str>>,
}

impl Counted {
    fn record(&self, call: &'static str) {
        self.calls.lock().unwrap().push(call);
    }

    /// The calls since the last look, in order.
    fn take(&self) -> Vec<&'static str> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

impl ImageStore for Counted {
    fn lookup(&self, person: PersonId) -> person_image::Result<Lookup> {
        self.record("lookup");
        self.inner.lookup(person)
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> person_image::Result<Fetch> {
        self.record("fetch");
        self.inner.fetch(person, info)
    }

    fn metadata(
        &self,
        person: PersonId,
        info: &ImageInfo,
    ) -> person_image::Result<Option<PhotoMetadata>> {
        self.record("metadata");
        self.inner.metadata(person, info)
    }

    fn lookup_with_metadata(
        &self,
        person: PersonId,
    ) -> person_image::Result<(Lookup, Option<PhotoMetadata>)> {
        self.record("lookup_with_metadata");
        self.inner.lookup_with_metadata(person)
    }
}

#[test]
fn a_cached_cover_crop_costs_one_store_call_like_any_cache_hit() {
    let inner = Arc::new(InMemory::new().with_image(PersonId(1), two_marks()));
    let store = Arc::new(Counted {
        inner: Arc::clone(&inner),
        calls: Mutex::new(Vec::new()),
    });
    let service = ImageService::builder(
        Arc::clone(&store),
        StaticAuthenticator::new().bearer("reader-token", "reader"),
    )
    .cache_bytes(8 << 20)
    .build();
    let get = |query: &str| {
        let response = call(
            &service,
            Method::Get,
            &format!("/api/v1/Person/1/Image?{query}"),
            &[("Authorization", READER)],
            "",
        );
        assert_eq!(response.status, 200, "{:?}", response.body);
        response
    };

    // Misses fetch the bytes once; hits answer from the one lookup.
    let contain = "w=100&h=100&type=png";
    get(contain);
    assert_eq!(store.take(), ["lookup", "fetch"]);
    get(contain);
    assert_eq!(store.take(), ["lookup"]);
    let cover = "w=100&h=100&fit=cover&type=png";
    let first = get(cover);
    assert_eq!(store.take(), ["lookup_with_metadata", "fetch"]);
    let hit = get(cover);
    assert_eq!(store.take(), ["lookup_with_metadata"]);
    assert_eq!(hit.body, first.body);
    assert_eq!(service.cache_stats().unwrap().hits, 2);

    // A point set elsewhere (another replica, straight into the store) is seen by the next
    // request, through that same single call.
    let Lookup::Found(info) = inner.lookup(PersonId(1)).unwrap() else {
        panic!("person 1 has a photo");
    };
    let red = FocalPoint {
        left: 10,
        top: 80,
        width: 40,
        height: 40,
    };
    let written = inner
        .set_metadata(
            PersonId(1),
            &info.version,
            Some(&PhotoMetadata::with_focal_point(Some(red))),
        )
        .unwrap();
    assert_eq!(written, MetadataWritten::Stored);
    let moved = get(cover);
    assert_eq!(store.take(), ["lookup_with_metadata", "fetch"]);
    assert_ne!(moved.etag, hit.etag);
    get(cover);
    assert_eq!(store.take(), ["lookup_with_metadata"]);
}
