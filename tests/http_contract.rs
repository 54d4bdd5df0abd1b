//! The HTTP contract (SPEC §1, §2, §4, §6, §7) driven through the `serve` example's router,
//! without binding a port.

#[allow(dead_code)]
#[path = "../examples/serve.rs"]
mod serve;

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use person_image::auth::{Authenticator, CallerIdentity, Principal, StaticAuthenticator};
use person_image::store::{Fetch, ImageInfo, ImageStore, InMemory, Lookup};
use person_image::tower::HttpService;
use person_image::{Error, ImageService, PersonId};
use tower::ServiceExt;

const BASIC_DEMO: &str = "Basic ZGVtbzpkZW1v"; // demo:demo
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/persons");

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    fn message(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn send(router: axum::Router, request: Request<Body>) -> Reply {
    let response = router.oneshot(request).await.expect("router answers");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

fn demo_router() -> axum::Router {
    let service = serve::Config::default().service().expect("service builds");
    serve::router(
        HttpService::new(Arc::new(service.clone()), *service.limits()).expect("workers start"),
    )
}

fn get(uri: &str) -> axum::http::request::Builder {
    Request::get(uri).header("Authorization", BASIC_DEMO)
}

async fn demo(request: axum::http::request::Builder) -> Reply {
    send(demo_router(), request.body(Body::empty()).unwrap()).await
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).expect("fixture")
}

#[tokio::test]
async fn stored_image_is_returned_byte_for_byte() {
    let reply = demo(get("/api/v1/Person/1/Image")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, fixture("1.jpg"));
    assert_eq!(reply.header("content-type"), "image/jpeg");
    assert_eq!(
        reply.header("content-length"),
        fixture("1.jpg").len().to_string()
    );
    assert_eq!(reply.header("x-content-type-options"), "nosniff");
    assert_eq!(reply.header("cache-control"), "private, max-age=3600");
    assert_eq!(reply.header("vary"), "Accept");
    assert!(
        reply.header("etag").starts_with('"'),
        "{}",
        reply.header("etag")
    );
    assert!(reply.header("last-modified").ends_with(" GMT"));
}

#[tokio::test]
async fn path_and_query_names_are_case_insensitive() {
    let reply = demo(get("/API/V1/person/2/IMAGE?W=0&IfBlank=null")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, fixture("2.png"));
}

#[tokio::test]
async fn every_authorization_scheme_is_accepted() {
    let cases = [
        ("Authorization", "Basic ZGVtbzpkZW1v"),
        ("Authorization", "basic ZGVtbzpkZW1v"),
        ("Authorization", "SOTicket 7T:demo"),
        ("Authorization", "SoTicket 7T:demo"),
        ("Authorization", "Bearer demo-token"),
    ];
    for (name, value) in cases {
        let request = Request::get("/api/v1/Person/2/Image").header(name, value);
        let reply = demo(request).await;
        assert_eq!(reply.status, StatusCode::OK, "{value}: {}", reply.message());
    }
}

#[tokio::test]
async fn session_cookie_with_matching_xsrf_is_accepted() {
    let request = Request::get("/api/v1/Person/2/Image")
        .header("Cookie", "session=demo-session; XSRF-TOKEN=abc123")
        .header("X-XSRF-TOKEN", "abc123");
    assert_eq!(demo(request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn unauthenticated_requests_get_401_with_challenges() {
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![],
        vec![("Authorization", "Basic ZGVtbzp3cm9uZw==")], // demo:wrong
        vec![("Authorization", "Basic !!!")],
        vec![("Authorization", "Basic ZGVtbw==")], // no colon
        vec![("Authorization", "SOTicket ")],
        vec![("Authorization", "Bearer wrong")],
        vec![("Authorization", "Digest abc")],
        vec![
            ("Cookie", "session=demo-session; XSRF-TOKEN=abc"),
            ("X-XSRF-TOKEN", "abd"),
        ],
        vec![("Cookie", "session=demo-session; XSRF-TOKEN=abc")],
        vec![("Cookie", "session=demo-session"), ("X-XSRF-TOKEN", "abc")],
        vec![
            ("Cookie", "session=other; XSRF-TOKEN=abc"),
            ("X-XSRF-TOKEN", "abc"),
        ],
    ];
    for headers in cases {
        let mut request = Request::get("/api/v1/Person/1/Image");
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let reply = demo(request).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{headers:?}");
        assert!(
            reply.message().starts_with("{\"Message\":"),
            "{}",
            reply.message()
        );
        assert!(
            reply.headers.get_all("www-authenticate").iter().count() > 0,
            "{headers:?}"
        );
        for (_, value) in &headers {
            if let Some(secret) = value.split_whitespace().nth(1) {
                assert!(
                    !reply.message().contains(secret),
                    "secret echoed: {}",
                    reply.message()
                );
            }
        }
    }
}

#[tokio::test]
async fn no_credentials_at_all_name_the_ways_in() {
    let challenges = |reply: &Reply| -> Vec<String> {
        reply
            .headers
            .get_all("www-authenticate")
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect()
    };
    // The demo authenticator: every way the serve example is configured with.
    let reply = demo(Request::get("/api/v1/Person/1/Image")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        reply.message(),
        r#"{"Message":"Unauthenticated: no credentials sent; authenticate with Basic, SOTicket, Bearer, or a session cookie with the X-XSRF-TOKEN header"}"#
    );
    assert_eq!(
        challenges(&reply),
        [r#"Basic realm="person-image""#, "SOTicket", "Bearer"]
    );
    // Only what the authenticator accepts.
    let reply = send(
        router_with(
            InMemory::new(),
            StaticAuthenticator::new().bearer("t", "app"),
        ),
        Request::get("/api/v1/Person/1/Image")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        reply.message(),
        r#"{"Message":"Unauthenticated: no credentials sent; authenticate with Bearer"}"#
    );
    assert_eq!(challenges(&reply), ["Bearer"]);
    // A custom authenticator keeps the trait's defaults: the schemes of its challenges.
    let reply = send(
        router_with(InMemory::new(), FailingAuthenticator),
        Request::head("/api/v1/Person/1/Image")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(challenges(&reply), ["Basic", "SOTicket", "Bearer"]);
    let reply = send(
        router_with(InMemory::new(), FailingAuthenticator),
        Request::get("/api/v1/Person/1/ImageInfo")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(
        reply
            .message()
            .contains("no credentials sent; authenticate with Basic, SOTicket, or Bearer"),
        "{}",
        reply.message()
    );
    // A session cookie without the XSRF header is a session attempt: the XSRF check says why.
    let reply =
        demo(Request::get("/api/v1/Person/1/Image").header("Cookie", "session=demo-session")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(
        reply.message().contains("XSRF token missing"),
        "{}",
        reply.message()
    );
    assert_eq!(challenges(&reply).len(), 3);
}

#[tokio::test]
async fn invalid_parameters_are_400_naming_the_parameter() {
    let cases = [
        ("/api/v1/Person/abc/Image", "personId"),
        ("/api/v1/Person/2147483648/Image", "personId"),
        ("/api/v1/Person/1/Image?w=-3", "w"),
        ("/api/v1/Person/1/Image?w=abc", "w"),
        ("/api/v1/Person/1/Image?h=2147483648", "h"),
        ("/api/v1/Person/1/Image?w=4097", "4096"),
        ("/api/v1/Person/1/Image?type=quis", "type"),
        ("/api/v1/Person/1/Image?ifBlank=6", "ifBlank"),
        ("/api/v1/Person/1/Image?ifBlank=Nothing", "ifBlank"),
    ];
    for (uri, named) in cases {
        let reply = demo(get(uri)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            reply.message().contains(named),
            "{uri}: {}",
            reply.message()
        );
    }
}

/// SPEC §4.1: without the `webp` feature, `type=webp` is a 400 that names the feature.
#[cfg(not(feature = "webp"))]
#[tokio::test]
async fn type_webp_without_the_feature_is_400_naming_it() {
    for uri in [
        "/api/v1/Person/1/Image?type=webp",
        "/api/v1/Person/1/Image?type=image/webp",
    ] {
        let reply = demo(get(uri)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            reply
                .message()
                .contains("type webp needs the `webp` feature"),
            "{uri}: {}",
            reply.message()
        );
    }
}

#[tokio::test]
async fn bad_parameters_are_reported_before_credentials() {
    let reply = demo(Request::get("/api/v1/Person/1/Image?w=-1")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn not_found_cases_are_404() {
    let cases = [
        ("/api/v1/Person/999/Image", "Person not found"),
        (
            "/api/v1/Person/999/Image?ifBlank=SrNoPhoto",
            "Person not found",
        ),
        ("/api/v1/Person/5/Image", "Image not found"),
        ("/api/v1/Person/5/Image?ifBlank=Null", "Image not found"),
        ("/api/v1/Person/5/Image?ifBlank=4", "Image not found"),
        ("/api/v1/Person/1/Picture", "No such endpoint"),
    ];
    for (uri, message) in cases {
        let reply = demo(get(uri)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(
            reply.message(),
            format!("{{\"Message\":\"{message}\"}}"),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn placeholders_answer_200_in_the_negotiated_format() {
    let cases = [
        ("?ifBlank=SrNoPhoto", "image/png", (128, 128)),
        ("?ifBlank=2&w=64", "image/png", (64, 64)),
        (
            "?ifBlank=SrNoPhotoWithBorder&w=40&h=30",
            "image/png",
            (40, 30),
        ),
        (
            "?ifBlank=GenericFileIcon&type=jpeg",
            "image/jpeg",
            (128, 128),
        ),
        ("?ifBlank=ClearPixel", "image/png", (1, 1)),
        ("?ifBlank=clearpixel&w=5&h=7", "image/png", (5, 7)),
        ("?ifBlank=Default&type=gif", "image/gif", (128, 128)),
        ("?ifBlank=0&h=50", "image/png", (50, 50)),
    ];
    for (query, content_type, size) in cases {
        let reply = demo(get(&format!("/api/v1/Person/5/Image{query}"))).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.message());
        assert_eq!(reply.header("content-type"), content_type, "{query}");
        let image = image::load_from_memory(&reply.body).expect("placeholder decodes");
        assert_eq!((image.width(), image.height()), size, "{query}");
        assert!(reply.header("etag").contains("ph."), "{query}");
        assert_eq!(reply.header("last-modified"), "", "{query}");
    }
}

/// The `Vary` of a captioned placeholder without `type`.
const VARY_CAPTIONED: &str = "Accept, Accept-Language, SO-Language, SO-Culture";

#[tokio::test]
async fn large_silhouettes_are_captioned_in_the_callers_language() {
    let placeholder = |query: &str, headers: &[(&str, &str)]| {
        let mut request = get(&format!("/api/v1/Person/5/Image?ifBlank=SrNoPhoto{query}"));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        demo(request)
    };
    // 128×128 (the default size) is above the threshold: each language is its own variant.
    let english = placeholder("", &[]).await;
    let german = placeholder("", &[("Accept-Language", "de-CH, en;q=0.5")]).await;
    let norwegian = placeholder("", &[("SO-Language", "nb"), ("Accept-Language", "de")]).await;
    let danish = placeholder("", &[("SO-Culture", "da-DK"), ("Accept-Language", "de")]).await;
    let finnish = placeholder("", &[("Accept-Language", "fi")]).await;
    let tags: Vec<&str> = [&english, &german, &norwegian, &danish]
        .iter()
        .map(|reply| reply.header("etag"))
        .collect();
    for (i, tag) in tags.iter().enumerate() {
        assert!(!tags[..i].contains(tag), "{tags:?}");
    }
    assert_eq!(finnish.header("etag"), english.header("etag"), "fallback");
    assert_eq!(finnish.body, english.body);
    assert_ne!(german.body, english.body);
    for reply in [&english, &german, &norwegian, &danish, &finnish] {
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("vary"), VARY_CAPTIONED);
    }
    let with_type = placeholder("&type=png", &[("Accept-Language", "de")]).await;
    assert_eq!(
        with_type.header("vary"),
        "Accept-Language, SO-Language, SO-Culture"
    );
    let bordered = placeholder("&w=96", &[("Accept-Language", "sv")]).await;
    let bordered_da = placeholder("&w=96", &[("Accept-Language", "da")]).await;
    assert_ne!(bordered.header("etag"), bordered_da.header("etag"));
    assert_eq!(bordered.header("vary"), VARY_CAPTIONED);

    // A revalidation is answered only in the same language, and the 304 varies the same way.
    let german_etag = german.header("etag");
    let again = placeholder(
        "",
        &[("Accept-Language", "de"), ("If-None-Match", german_etag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert_eq!(again.header("vary"), VARY_CAPTIONED);
    let french = placeholder(
        "",
        &[("Accept-Language", "fr"), ("If-None-Match", german_etag)],
    )
    .await;
    assert_eq!(french.status, StatusCode::OK);
}

#[tokio::test]
async fn small_placeholders_and_icons_do_not_depend_on_the_language() {
    let cases = [
        "?ifBlank=SrNoPhoto&w=95",
        "?ifBlank=SrNoPhoto&w=64&h=200",
        "?ifBlank=SrNoPhotoWithBorder&w=300&h=95",
        "?ifBlank=GenericFileIcon",
        "?ifBlank=ClearPixel&w=200&h=200",
    ];
    for query in cases {
        let uri = format!("/api/v1/Person/5/Image{query}");
        let english = demo(get(&uri)).await;
        let german = demo(get(&uri).header("Accept-Language", "de")).await;
        let norwegian = demo(get(&uri).header("SO-Language", "nb")).await;
        assert_eq!(english.status, StatusCode::OK, "{query}");
        assert_eq!(german.header("etag"), english.header("etag"), "{query}");
        assert_eq!(norwegian.header("etag"), english.header("etag"), "{query}");
        assert_eq!(german.body, english.body, "{query}");
        assert_eq!(german.header("vary"), "Accept", "{query}");
    }
}

#[tokio::test]
async fn resized_and_converted_output_decodes_to_the_box() {
    let cases = [
        ("/api/v1/Person/1/Image?w=100", "image/jpeg", (100, 150)),
        (
            "/api/v1/Person/1/Image?h=90&type=png",
            "image/png",
            (60, 90),
        ),
        ("/api/v1/Person/3/Image?w=100", "image/jpeg", (100, 150)),
        (
            "/api/v1/Person/2/Image?w=64&h=32&type=GIF",
            "image/gif",
            (32, 32),
        ),
        (
            "/api/v1/Person/2/Image?type=image/tiff",
            "image/tiff",
            (128, 128),
        ),
        ("/api/v1/Person/6/Image?h=100", "image/png", (98, 100)),
        ("/api/v1/Person/1/Image?w=4000", "image/jpeg", (1200, 1800)),
    ];
    for (uri, content_type, size) in cases {
        let reply = demo(get(uri)).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.message());
        assert_eq!(reply.header("content-type"), content_type, "{uri}");
        let image = image::load_from_memory(&reply.body).expect("output decodes");
        assert_eq!((image.width(), image.height()), size, "{uri}");
        assert_eq!(
            reply.header("content-length"),
            reply.body.len().to_string(),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn accept_negotiates_the_format() {
    let cases = [
        ("image/png", "image/png"),
        ("image/jpeg", "image/jpeg"),
        ("image/png, image/jpeg, image/gif", "image/jpeg"),
        ("image/gif;q=0.9, image/png;q=0.5", "image/gif"),
        ("image/*", "image/jpeg"),
        ("*/*", "image/jpeg"),
        // Named WebP: sent with the `webp` feature (SPEC §4.1), else Accept is disregarded.
        (
            "image/webp",
            if cfg!(feature = "webp") {
                "image/webp"
            } else {
                "image/jpeg"
            },
        ),
        ("aplication/json", "image/jpeg"),
        ("image/jpeg;q=0, image/tiff", "image/tiff"),
    ];
    for (accept, content_type) in cases {
        let reply = demo(get("/api/v1/Person/1/Image?w=50").header("Accept", accept)).await;
        assert_eq!(reply.status, StatusCode::OK, "{accept}");
        assert_eq!(reply.header("content-type"), content_type, "{accept}");
        assert_eq!(reply.header("vary"), "Accept", "{accept}");
        assert!(image::load_from_memory(&reply.body).is_ok(), "{accept}");
    }
}

#[tokio::test]
async fn type_parameter_wins_over_accept_and_drops_vary() {
    let reply =
        demo(get("/api/v1/Person/1/Image?w=50&type=png").header("Accept", "image/jpeg")).await;
    assert_eq!(reply.header("content-type"), "image/png");
    assert_eq!(reply.header("vary"), "");
}

#[tokio::test]
async fn accept_split_over_several_lines_is_merged() {
    let reply = demo(
        get("/api/v1/Person/1/Image?w=50")
            .header("Accept", "image/jpeg;q=0")
            .header("Accept", "image/png"),
    )
    .await;
    assert_eq!(reply.header("content-type"), "image/png");
}

#[tokio::test]
async fn json_body_when_only_json_is_acceptable() {
    let reply =
        demo(get("/api/v1/Person/2/Image").header("Accept", "application/json; charset=utf-8"))
            .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.header("content-type"),
        "application/json; charset=utf-8"
    );
    let text = reply.message();
    assert!(text.starts_with('"') && text.ends_with('"'), "{text}");
    let decoded =
        common::base64::decode(&text.as_bytes()[1..text.len() - 1]).expect("padded base64");
    assert_eq!(decoded, fixture("2.png"));
}

#[tokio::test]
async fn if_none_match_answers_304_and_head_has_no_body() {
    let first = demo(get("/api/v1/Person/2/Image?w=64")).await;
    let etag = first.header("etag").to_owned();
    for condition in [
        etag.clone(),
        format!("\"other\", {etag}"),
        format!("W/{etag}"),
        "*".into(),
    ] {
        let reply =
            demo(get("/api/v1/Person/2/Image?w=64").header("If-None-Match", &condition)).await;
        assert_eq!(reply.status, StatusCode::NOT_MODIFIED, "{condition}");
        assert!(reply.body.is_empty());
        assert_eq!(reply.header("etag"), etag);
    }
    let other = demo(get("/api/v1/Person/2/Image?w=64").header("If-None-Match", "\"nope\"")).await;
    assert_eq!(other.status, StatusCode::OK);
    let different_size = demo(get("/api/v1/Person/2/Image?w=32")).await;
    assert_ne!(different_size.header("etag"), etag);

    let head =
        demo(Request::head("/api/v1/Person/2/Image?w=64").header("Authorization", BASIC_DEMO))
            .await;
    assert_eq!(head.status, StatusCode::OK);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), etag);
    assert_eq!(head.header("content-type"), first.header("content-type"));
    assert_eq!(head.header("content-length"), first.body.len().to_string());
}

#[tokio::test]
async fn corrupt_stored_image_is_422_or_the_asked_placeholder() {
    let store = InMemory::new();
    store.insert(
        PersonId(1),
        b"\xFF\xD8\xFF\xE0 this is not really a jpeg".to_vec(),
    );
    let router = router_with(store, StaticAuthenticator::default().bearer("t", "u"));
    let request = |uri: &str| {
        Request::get(uri)
            .header("Authorization", "Bearer t")
            .body(Body::empty())
            .unwrap()
    };
    let reply = send(router.clone(), request("/api/v1/Person/1/Image?w=10")).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.message()
    );
    let reply = send(
        router.clone(),
        request("/api/v1/Person/1/Image?w=10&ifBlank=SrNoPhoto"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "image/png");
    // Without conversion the stored bytes go out as stored.
    let reply = send(router, request("/api/v1/Person/1/Image")).await;
    assert_eq!(reply.status, StatusCode::OK);
}

#[tokio::test]
async fn forbidden_person_is_403() {
    let store = InMemory::new();
    store.insert(PersonId(1), fixture("2.png"));
    let auth = StaticAuthenticator::default()
        .user("demo", "demo")
        .deny("demo", PersonId(1));
    let reply = send(
        router_with(store, auth),
        get("/api/v1/Person/1/Image").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "{}", reply.message());
}

struct CountingStore {
    calls: AtomicUsize,
    fail: bool,
}

impl ImageStore for CountingStore {
    fn lookup(&self, _person: PersonId) -> person_image::Result<Lookup> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail {
            Err(Error::store("reading", "disk on fire"))
        } else {
            Ok(Lookup::NoImage)
        }
    }

    fn fetch(&self, _person: PersonId, _info: &ImageInfo) -> person_image::Result<Fetch> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(Fetch::Changed)
    }
}

#[tokio::test]
async fn store_is_not_asked_before_authentication() {
    let store = Arc::new(CountingStore {
        calls: AtomicUsize::new(0),
        fail: false,
    });
    let service = ImageService::builder(
        store.clone(),
        StaticAuthenticator::default().user("demo", "demo"),
    )
    .build();
    let router = serve::router(
        HttpService::new(Arc::new(service.clone()), *service.limits()).expect("workers start"),
    );
    for auth in ["", "Basic ZGVtbzp3cm9uZw==", "Bearer x"] {
        let mut request = Request::get("/api/v1/Person/1/Image");
        if !auth.is_empty() {
            request = request.header("Authorization", auth);
        }
        let reply = send(router.clone(), request.body(Body::empty()).unwrap()).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(store.calls.load(Ordering::SeqCst), 0);
    let reply = send(
        router,
        get("/api/v1/Person/1/Image").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(store.calls.load(Ordering::SeqCst), 1);
}

struct FailingAuthenticator;

impl Authenticator for FailingAuthenticator {
    fn authenticate(&self, _identity: &CallerIdentity) -> person_image::Result<Principal> {
        Err(Error::authenticator(std::io::Error::other(
            "directory down",
        )))
    }
    fn authorize(
        &self,
        _principal: &Principal,
        _person: PersonId,
        _action: person_image::auth::Action,
    ) -> person_image::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_failing_store_is_503_with_retry_after_and_a_failing_authenticator_500() {
    let failing_store = CountingStore {
        calls: AtomicUsize::new(0),
        fail: true,
    };
    let reply = send(
        router_with(
            failing_store,
            StaticAuthenticator::default().user("demo", "demo"),
        ),
        get("/api/v1/Person/1/Image").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.header("retry-after"), "1");
    assert!(!reply.message().contains("fire"), "internal detail leaked");

    let reply = send(
        router_with(InMemory::new(), FailingAuthenticator),
        get("/api/v1/Person/1/Image").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
}

#[tokio::test]
async fn writes_to_a_read_only_service_are_405_saying_so() {
    // The serve example without --writable: its hint names the flag; credentials or not.
    for method in ["PUT", "POST", "DELETE"] {
        for auth in [Some(BASIC_DEMO), None] {
            let mut request = Request::builder()
                .method(method)
                .uri("/api/v1/Person/1/Image")
                .header("Content-Type", "image/png");
            if let Some(auth) = auth {
                request = request.header("Authorization", auth);
            }
            let reply = demo(request).await;
            assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
            assert_eq!(reply.header("allow"), "GET, HEAD", "{method}");
            assert_eq!(
                reply.message(),
                r#"{"Message":"This service is read-only: it does not accept uploads or deletes (start the server with --writable)"}"#,
                "{method}"
            );
        }
    }
    // The library alone says it without a hint.
    let reply = send(
        router_with(
            InMemory::new(),
            StaticAuthenticator::new().user("demo", "demo"),
        ),
        Request::delete("/api/v1/Person/1/Image")
            .header("Authorization", BASIC_DEMO)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), "GET, HEAD");
    assert_eq!(
        reply.message(),
        r#"{"Message":"This service is read-only: it does not accept uploads or deletes"}"#
    );
}

#[tokio::test]
async fn other_methods_are_405() {
    let reply =
        demo(Request::patch("/api/v1/Person/1/Image").header("Authorization", BASIC_DEMO)).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), "GET, HEAD, POST, PUT, DELETE");
    for method in [http::Method::DELETE, http::Method::PATCH] {
        let reply = demo(
            Request::builder()
                .method(method)
                .uri("/api/v1/Person/1/ImageInfo")
                .header("Authorization", BASIC_DEMO),
        )
        .await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(reply.header("allow"), "GET, HEAD, PUT");
        assert!(
            reply.message().contains("not allowed for this path"),
            "{}",
            reply.message()
        );
    }
    let reply = demo(
        Request::get("/api/v1/Agents/Person/GetPersonImages").header("Authorization", BASIC_DEMO),
    )
    .await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header("allow"), "POST");
}

/// The serve example's flags as the command line gives them.
fn serve_config(args: &[&str]) -> serve::Config {
    <serve::Config as argh::FromArgs>::from_args(&["serve"], args).expect("flags parse")
}

#[test]
fn serve_refuses_a_missing_or_non_directory_images_path() {
    let error = serve_config(&["--images", "/no/such/dir"])
        .service()
        .unwrap_err();
    assert_eq!(error, "--images /no/such/dir: no such directory");
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let error = serve_config(&["--images", file]).service().unwrap_err();
    assert_eq!(error, format!("--images {file}: not a directory"));
    assert!(serve_config(&["--images", FIXTURES]).service().is_ok());
}

#[test]
fn serve_checks_images_before_binding_the_port() {
    // The port is taken: had `run` tried to listen first, it would say so instead.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let config = serve_config(&["--addr", &addr, "--images", "/no/such/dir"]);
    assert_eq!(
        serve::run(&config).unwrap_err(),
        "--images /no/such/dir: no such directory"
    );
}

fn router_with(
    store: impl ImageStore + 'static,
    auth: impl Authenticator + 'static,
) -> axum::Router {
    let service = ImageService::builder(store, auth).build();
    serve::router(
        HttpService::new(Arc::new(service.clone()), *service.limits()).expect("workers start"),
    )
}

#[tokio::test]
async fn vendor_client_request_shapes() {
    // A partner app: SOTicket plus the app token the installation requires.
    let store = InMemory::new();
    store.insert(PersonId(1), fixture("1.jpg"));
    let auth = StaticAuthenticator::default()
        .ticket("7T:abc123", "partner")
        .require_app_token("app-token-1");
    let router = router_with(store, auth);
    let with_token = Request::get("/api/v1/Person/1/Image?w=64")
        .header("Authorization", "SOTicket 7T:abc123")
        .header("SO-AppToken", "app-token-1")
        .header("Accept", "image/png, image/jpeg, image/gif")
        .body(Body::empty())
        .unwrap();
    let reply = send(router.clone(), with_token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.message());
    // The stored format is acceptable, so it wins; a data URL is built from Content-Type.
    assert_eq!(reply.header("content-type"), "image/jpeg");
    assert!(image::load_from_memory_with_format(&reply.body, image::ImageFormat::Jpeg).is_ok());
    let without_token = Request::get("/api/v1/Person/1/Image")
        .header("Authorization", "SOTicket 7T:abc123")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(router.clone(), without_token).await.status,
        StatusCode::UNAUTHORIZED
    );
    // The misspelled Accept one published SDK sends still gets the image.
    let misspelled = Request::get("/api/v1/Person/1/Image")
        .header("Authorization", "SOTicket 7T:abc123")
        .header("SO-AppToken", "app-token-1")
        .header("Accept", "aplication/json")
        .body(Body::empty())
        .unwrap();
    let reply = send(router, misspelled).await;
    assert_eq!(reply.header("content-type"), "image/jpeg");
    assert_eq!(reply.body, fixture("1.jpg"));
}
