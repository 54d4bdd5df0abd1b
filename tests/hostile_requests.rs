//! Hostile requests get the status SPEC §7 promises and a clear message, never a panic.

mod common;

use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::InMemory;
use person_image::PersonImageServiceExt;
use person_image::{ImageService, PersonId};

const PHOTO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/persons/2.png");
const BASIC: &[u8] = b"Basic ZGVtbzpkZW1v"; // demo:demo

fn service() -> ImageService {
    let store = InMemory::new();
    store.insert(PersonId(1), std::fs::read(PHOTO).unwrap());
    store.insert_without_image(PersonId(2));
    ImageService::builder(
        store,
        StaticAuthenticator::default()
            .user("demo", "demo")
            .ticket("7T:demo", "ticket")
            .bearer("demo-token", "bearer")
            .session_cookie("session", "demo-session", "session"),
    )
    .build()
}

struct Case {
    name: &'static str,
    target: String,
    headers: Vec<(&'static str, Vec<u8>)>,
    status: u16,
    /// Part of the error message, or of the content type for a success.
    message_has: &'static str,
}

fn case(
    name: &'static str,
    target: &str,
    headers: Vec<(&'static str, Vec<u8>)>,
    status: u16,
    message_has: &'static str,
) -> Case {
    Case {
        name,
        target: target.to_owned(),
        headers,
        status,
        message_has,
    }
}

fn basic() -> (&'static str, Vec<u8>) {
    ("Authorization", BASIC.to_vec())
}

#[test]
fn hostile_request_table() {
    let huge = |prefix: &str, len: usize| {
        let mut value = prefix.as_bytes().to_vec();
        value.resize(len, b'a');
        value
    };
    let many_accept: Vec<u8> = (0..10_000)
        .map(|i| format!("image/x-{i};q=0.{}", i % 10))
        .collect::<Vec<_>>()
        .join(", ")
        .into_bytes();
    let cases = vec![
        case(
            "100 kB Authorization",
            "/api/v1/Person/1/Image",
            vec![("Authorization", huge("Bearer ", 100_000))],
            401,
            "Unauthenticated",
        ),
        case(
            "100 kB Accept",
            "/api/v1/Person/1/Image",
            vec![basic(), ("Accept", huge("image/png;a=", 100_000))],
            200,
            "image/",
        ),
        case(
            "100 kB cookie",
            "/api/v1/Person/1/Image",
            vec![
                ("Cookie", huge("XSRF-TOKEN=", 100_000)),
                ("X-XSRF-TOKEN", b"a".to_vec()),
            ],
            401,
            "Unauthenticated",
        ),
        case(
            "10 000 Accept members",
            "/api/v1/Person/1/Image",
            vec![basic(), ("Accept", many_accept)],
            200,
            "image/",
        ),
        case(
            "invalid UTF-8 in Authorization",
            "/api/v1/Person/1/Image",
            vec![("Authorization", b"Basic \xff\xfe".to_vec())],
            401,
            "Unauthenticated",
        ),
        case(
            "invalid UTF-8 in Accept",
            "/api/v1/Person/1/Image",
            vec![basic(), ("Accept", b"image/\xffpng".to_vec())],
            200,
            "image/",
        ),
        case(
            "invalid percent-encoding",
            "/api/v1/Person/1/Image?w=%ZZ",
            vec![basic()],
            400,
            "w",
        ),
        case(
            "percent-encoded invalid UTF-8",
            "/api/v1/Person/1/Image?type=%FF",
            vec![basic()],
            400,
            "type",
        ),
        case(
            "w overflows int32",
            "/api/v1/Person/1/Image?w=2147483648",
            vec![basic()],
            400,
            "w",
        ),
        case(
            "h overflows int32",
            "/api/v1/Person/1/Image?h=99999999999999999999",
            vec![basic()],
            400,
            "h",
        ),
        case(
            "w in exponent form",
            "/api/v1/Person/1/Image?w=1e3",
            vec![basic()],
            400,
            "w",
        ),
        case(
            "w negative",
            "/api/v1/Person/1/Image?w=-1",
            vec![basic()],
            400,
            "w",
        ),
        case(
            "w over the limit",
            "/api/v1/Person/1/Image?w=5000",
            vec![basic()],
            400,
            "4096",
        ),
        case(
            "ifBlank out of range",
            "/api/v1/Person/2/Image?ifBlank=6",
            vec![basic()],
            400,
            "ifBlank",
        ),
        case(
            "repeated parameter: first wins",
            "/api/v1/Person/1/Image?w=10&w=-1",
            vec![basic()],
            200,
            "image/",
        ),
        case(
            "personId not a number",
            "/api/v1/Person/1x/Image",
            vec![basic()],
            400,
            "personId",
        ),
        case(
            "personId overflows",
            "/api/v1/Person/99999999999/Image",
            vec![basic()],
            400,
            "personId",
        ),
        case(
            "Basic without colon",
            "/api/v1/Person/1/Image",
            vec![("Authorization", b"Basic ZGVtbw==".to_vec())],
            401,
            "Unauthenticated",
        ),
        case(
            "Basic invalid base64",
            "/api/v1/Person/1/Image",
            vec![("Authorization", b"Basic ***".to_vec())],
            401,
            "Unauthenticated",
        ),
        case(
            "empty SOTicket",
            "/api/v1/Person/1/Image",
            vec![("Authorization", b"SOTicket ".to_vec())],
            401,
            "Unauthenticated",
        ),
        case(
            "empty Bearer",
            "/api/v1/Person/1/Image",
            vec![("Authorization", b"Bearer".to_vec())],
            401,
            "Unauthenticated",
        ),
        case(
            "unknown scheme",
            "/api/v1/Person/1/Image",
            vec![("Authorization", b"Negotiate abc".to_vec())],
            401,
            "Unauthenticated",
        ),
        case(
            "XSRF header without cookie",
            "/api/v1/Person/1/Image",
            vec![
                ("X-XSRF-TOKEN", b"abc".to_vec()),
                ("Cookie", b"session=demo-session".to_vec()),
            ],
            401,
            "XSRF",
        ),
        case(
            "XSRF cookie without header",
            "/api/v1/Person/1/Image",
            vec![("Cookie", b"session=demo-session; XSRF-TOKEN=abc".to_vec())],
            401,
            "XSRF",
        ),
        case(
            "1 MB Bearer token",
            "/api/v1/Person/1/Image",
            vec![("Authorization", huge("Bearer ", 1 << 20))],
            401,
            "Unauthenticated",
        ),
        case(
            "control characters in target",
            "/api/v1/Person/1/Image?w=1\r\nX: y",
            vec![basic()],
            400,
            "w",
        ),
        case(
            "no such route",
            "/api/v1/Person/1/Image/extra",
            vec![basic()],
            404,
            "No such endpoint",
        ),
    ];
    let service = service();
    for case in cases {
        let headers = case
            .headers
            .iter()
            .map(|(name, value)| (*name, value.as_slice()));
        let response = service.handle(
            Method::Get,
            &case.target,
            headers,
            bytes::Bytes::new(),
            service.limits(),
        );
        let message = String::from_utf8_lossy(&response.body).into_owned();
        assert_eq!(
            response.status,
            case.status,
            "{}: {}",
            case.name,
            &message[..message.len().min(200)]
        );
        if response.status.is_success() {
            let content_type = response.content_type.as_ref().map_or("", AsRef::as_ref);
            assert!(
                content_type.starts_with(case.message_has),
                "{}: {content_type}",
                case.name,
            );
        } else {
            assert!(
                message.starts_with("{\"Message\":\""),
                "{}: {message}",
                case.name
            );
            assert!(
                message.len() < 400,
                "{}: message too long ({} bytes)",
                case.name,
                message.len()
            );
            assert!(
                message.contains(case.message_has),
                "{}: {message}",
                case.name
            );
            assert!(
                !message.contains("demo-token") && !message.contains("ZGVtbzpkZW1v"),
                "{}",
                case.name
            );
        }
    }
}

#[test]
fn secrets_never_appear_in_debug_or_errors() {
    let secrets = [
        "s3cr3t-password",
        "7T:s3cr3t-ticket",
        "s3cr3t-bearer",
        "s3cr3t-cookie",
    ];
    let service = ImageService::builder(
        InMemory::new(),
        StaticAuthenticator::default()
            .user("alice", secrets[0])
            .ticket(secrets[1], "t")
            .bearer(secrets[2], "b")
            .session_cookie("session", secrets[3], "s"),
    )
    .build();
    let basic = format!(
        "Basic {}",
        common::base64::encode(b"alice:s3cr3t-password-wrong")
    );
    let requests: Vec<Vec<(&str, String)>> = vec![
        vec![("Authorization", basic)],
        vec![("Authorization", "SOTicket 7T:s3cr3t-ticket-wrong".into())],
        vec![("Authorization", "Bearer s3cr3t-bearer-wrong".into())],
        vec![
            ("Cookie", "session=s3cr3t-cookie-wrong; XSRF-TOKEN=x".into()),
            ("X-XSRF-TOKEN", "x".into()),
        ],
    ];
    for headers in requests {
        let parsed = person_image::request::ImageRequest::parse(
            Method::Get,
            "/api/v1/Person/1/Image",
            headers.iter().map(|(n, v)| (*n, v.as_bytes())),
            &person_image::Limits::default(),
        )
        .unwrap();
        let debug = format!("{parsed:?}");
        let response = service.handle(
            Method::Get,
            "/api/v1/Person/1/Image",
            headers.iter().map(|(n, v)| (*n, v.as_bytes())),
            bytes::Bytes::new(),
            service.limits(),
        );
        let body = String::from_utf8_lossy(&response.body).into_owned();
        assert_eq!(response.status, 401);
        for text in [&debug, &body, &format!("{service:?}")] {
            assert!(!text.contains("s3cr3t"), "secret leaked: {text}");
        }
    }
}
