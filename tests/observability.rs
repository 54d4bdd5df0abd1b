//! Spans (feature `tracing`): a capturing subscriber records every span, field and event the
//! service emits; the tests check the request span and its stage spans carry what the crate
//! documents, that errors are logged at the level they deserve, and that no secret, cookie or
//! token of the requests appears anywhere in what was recorded.

mod common;

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use person_image::auth::StaticAuthenticator;
use person_image::request::Method;
use person_image::store::{Fetch, ImageInfo, ImageStore, Lookup};
use person_image::PersonImageServiceExt;
use person_image::{Error, ImageResponse, ImageService, PersonId};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/persons");

// The test secrets: none may appear in any recorded span field, event field or message.
const PASSWORD: &str = "pw-Kq8sV3xZ";
const WRONG_PASSWORD: &str = "pw-wrong-Jr7Hn2";
const BEARER: &str = "tok-9fQ2mWc4";
const TICKET: &str = "7T:ticket-Lp5Ge8";
const SESSION: &str = "sess-Ux3Bd6Tn";
const XSRF: &str = "xsrf-Yh4Ka1Wq";

/// One recorded span: its name, parent's name and fields (values as `Debug` text).
#[derive(Debug, Clone, Default)]
struct SpanRecord {
    name: String,
    parent: Option<String>,
    fields: HashMap<String, String>,
}

/// One recorded event: level, the span it happened in, fields (the message included).
#[derive(Debug, Clone)]
struct EventRecord {
    level: Level,
    span: Option<String>,
    fields: HashMap<String, String>,
}

#[derive(Default)]
struct Recorded {
    spans: Vec<SpanRecord>,
    /// Span id → index in `spans`.
    ids: HashMap<u64, usize>,
    events: Vec<EventRecord>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Recorded>>);

struct Fields<'a>(&'a mut HashMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut record = SpanRecord {
            name: attrs.metadata().name().to_owned(),
            parent: ctx
                .span(id)
                .and_then(|span| span.parent())
                .map(|parent| parent.name().to_owned()),
            ..SpanRecord::default()
        };
        attrs.record(&mut Fields(&mut record.fields));
        let mut recorded = self.0.lock().unwrap();
        let index = recorded.spans.len();
        recorded.spans.push(record);
        recorded.ids.insert(id.into_u64(), index);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut recorded = self.0.lock().unwrap();
        if let Some(&index) = recorded.ids.get(&id.into_u64()) {
            values.record(&mut Fields(&mut recorded.spans[index].fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = HashMap::new();
        event.record(&mut Fields(&mut fields));
        let span = ctx.event_span(event).map(|span| span.name().to_owned());
        self.0.lock().unwrap().events.push(EventRecord {
            level: *event.metadata().level(),
            span,
            fields,
        });
    }
}

impl Capture {
    /// Runs `work` with this layer as the thread's subscriber.
    fn run<R>(&self, work: impl FnOnce() -> R) -> R {
        let subscriber = tracing_subscriber::registry().with(self.clone());
        tracing::subscriber::with_default(subscriber, work)
    }

    fn spans(&self) -> Vec<SpanRecord> {
        self.0.lock().unwrap().spans.clone()
    }

    fn events(&self) -> Vec<EventRecord> {
        self.0.lock().unwrap().events.clone()
    }

    fn named(&self, name: &str) -> Vec<SpanRecord> {
        self.spans()
            .into_iter()
            .filter(|s| s.name == name)
            .collect()
    }

    /// Every recorded span name, field name, field value and event field, as one text.
    fn everything(&self) -> String {
        let recorded = self.0.lock().unwrap();
        let mut text = String::new();
        for span in &recorded.spans {
            text.push_str(&format!("{span:?}\n"));
        }
        for event in &recorded.events {
            text.push_str(&format!("{event:?}\n"));
        }
        text
    }
}

use common::fixture_store as store;

fn service(store: impl ImageStore + 'static) -> ImageService {
    ImageService::builder(
        store,
        StaticAuthenticator::default()
            .user("demo", PASSWORD)
            .bearer(BEARER, "bearer-user")
            .ticket(TICKET, "ticket-user")
            .session_cookie("session", SESSION, "session-user"),
    )
    .build()
}

fn get(service: &ImageService, target: &str, headers: &[(&str, &str)]) -> ImageResponse {
    service.handle(
        Method::Get,
        target,
        headers
            .iter()
            .map(|(name, value)| (*name, value.as_bytes())),
        bytes::Bytes::new(),
        service.limits(),
    )
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        common::base64::encode(format!("{user}:{password}").as_bytes())
    )
}

fn field<'a>(span: &'a SpanRecord, name: &str) -> &'a str {
    span.fields.get(name).map_or_else(
        || panic!("{} has no field {name}: {span:?}", span.name),
        String::as_str,
    )
}

#[test]
fn a_converted_request_has_its_spans_and_fields() {
    let capture = Capture::default();
    let service = service(store());
    let bearer = format!("Bearer {BEARER}");
    let target = "/api/v1/Person/1/Image?w=64&type=png";
    let (first, second, not_modified) = capture.run(|| {
        let first = get(&service, target, &[("Authorization", &bearer)]);
        let second = get(&service, target, &[("Authorization", &bearer)]);
        let etag = first.etag.as_ref().unwrap().as_str().to_owned();
        let not_modified = get(
            &service,
            target,
            &[("Authorization", &bearer), ("If-None-Match", &etag)],
        );
        (first, second, not_modified)
    });
    assert_eq!(
        (
            first.status.as_u16(),
            second.status.as_u16(),
            not_modified.status.as_u16()
        ),
        (200, 200, 304)
    );

    let requests = capture.named("person_image.request");
    assert_eq!(requests.len(), 3, "one span per request: {requests:?}");
    for request in &requests {
        assert_eq!(field(request, "method"), "GET");
        assert_eq!(field(request, "person"), "1");
        assert_eq!(request.parent, None);
    }
    let outcome = |span: &SpanRecord| {
        (
            field(span, "status").to_owned(),
            field(span, "cache").to_owned(),
        )
    };
    assert_eq!(outcome(&requests[0]), ("200".into(), "miss".into()));
    assert_eq!(outcome(&requests[1]), ("200".into(), "hit".into()));
    assert_eq!(outcome(&requests[2]), ("304".into(), "not_modified".into()));
    assert_eq!(field(&requests[0], "passthrough"), "false");
    assert_eq!(field(&requests[0], "bytes"), first.body.len().to_string());
    assert_eq!(field(&requests[0], "content_type"), "image/png");

    // Stage spans, children of the request span. The photo was fetched and rendered once.
    for stage in ["authenticate", "store.lookup"] {
        let spans = capture.named(stage);
        assert_eq!(spans.len(), 3, "{stage}: {spans:?}");
        assert!(spans
            .iter()
            .all(|s| s.parent.as_deref() == Some("person_image.request")));
    }
    let fetch = capture.named("store.fetch");
    assert_eq!(fetch.len(), 1, "{fetch:?}");
    let stored_len = std::fs::metadata(format!("{FIXTURES}/1.jpg"))
        .unwrap()
        .len();
    assert_eq!(field(&fetch[0], "bytes"), stored_len.to_string());

    let decode = capture.named("decode");
    assert_eq!(decode.len(), 1, "{decode:?}");
    assert_eq!(decode[0].parent.as_deref(), Some("person_image.request"));
    assert_eq!(field(&decode[0], "format"), "jpeg");
    assert_eq!(field(&decode[0], "target_width"), "64");
    // The source's size as displayed: larger than the thumbnail.
    for side in ["width", "height"] {
        let pixels: u32 = field(&decode[0], side).parse().unwrap();
        assert!(pixels > 64, "{side} {pixels}");
    }

    let resize = capture.named("resize");
    assert!(!resize.is_empty(), "no resize span");
    assert!(resize.iter().all(|s| s.parent.as_deref() == Some("decode")));
    assert!(resize.iter().any(|s| field(s, "target_width") == "64"));

    let encode = capture.named("encode");
    assert_eq!(encode.len(), 1, "{encode:?}");
    assert_eq!(field(&encode[0], "format"), "png");
    assert_eq!(field(&encode[0], "width"), "64");
    assert_eq!(field(&encode[0], "bytes"), first.body.len().to_string());
}

#[test]
fn a_cover_crop_still_decodes_the_jpeg_at_a_reduced_scale() {
    // 1.jpg is 1200×1800. A 64×64 cover crop is a 1200×1200 square at 64/1200, so the whole photo
    // at that scale is 64×96 and 1/8 scale (150×225) still leaves twice that.
    let capture = Capture::default();
    let service = service(store());
    let response = capture.run(|| {
        get(
            &service,
            "/api/v1/Person/1/Image?w=64&h=64&fit=cover&type=png",
            &[("Authorization", &basic("demo", PASSWORD))],
        )
    });
    assert_eq!(response.status.as_u16(), 200);
    // The other resize is the thumbnail the focal point is detected on, once per version.
    let resize: Vec<_> = capture
        .named("resize")
        .into_iter()
        .filter(|span| field(span, "target_width") == "64")
        .collect();
    assert_eq!(resize.len(), 1, "{resize:?}");
    let sizes = |prefix: &str| {
        (
            field(&resize[0], &format!("{prefix}width")).to_owned(),
            field(&resize[0], &format!("{prefix}height")).to_owned(),
        )
    };
    assert_eq!(sizes(""), ("150".to_owned(), "225".to_owned()));
    assert_eq!(sizes("target_"), ("64".to_owned(), "64".to_owned()));
}

#[test]
fn passthrough_and_unparsed_requests_have_a_request_span() {
    let capture = Capture::default();
    let service = service(store());
    let bearer = format!("Bearer {BEARER}");
    capture.run(|| {
        assert_eq!(
            get(
                &service,
                "/api/v1/Person/2/Image",
                &[("Authorization", &bearer)]
            )
            .status,
            200
        );
        assert_eq!(
            get(
                &service,
                "/api/v1/Nothing/here",
                &[("Authorization", &bearer)]
            )
            .status,
            404
        );
    });
    let requests = capture.named("person_image.request");
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(field(&requests[0], "passthrough"), "true");
    assert_eq!(field(&requests[0], "cache"), "none");
    assert!(
        !requests[1].fields.contains_key("person"),
        "{:?}",
        requests[1]
    );
    assert_eq!(field(&requests[1], "status"), "404");
    assert!(capture.named("decode").is_empty());
}

/// A store whose backend is down.
struct Broken;

impl ImageStore for Broken {
    fn lookup(&self, _person: PersonId) -> person_image::Result<Lookup> {
        Err(Error::store(
            "reading the person table",
            "connection refused",
        ))
    }

    fn fetch(&self, _person: PersonId, _info: &ImageInfo) -> person_image::Result<Fetch> {
        Err(Error::store("reading the photo", "connection refused"))
    }
}

#[test]
fn errors_are_logged_at_the_level_they_deserve() {
    let capture = Capture::default();
    let bearer = format!("Bearer {BEARER}");
    capture.run(|| {
        let refused = get(
            &service(store()),
            "/api/v1/Person/1/Image",
            &[("Authorization", &basic("demo", WRONG_PASSWORD))],
        );
        assert_eq!(refused.status, 401);
        let failed = get(
            &service(Broken),
            "/api/v1/Person/1/Image",
            &[("Authorization", &bearer)],
        );
        assert_eq!(failed.status, 503);
    });
    let events = capture.events();
    let at = |level: Level| -> Vec<&EventRecord> {
        events.iter().filter(|e| e.level == level).collect()
    };
    let debug = at(Level::DEBUG);
    assert!(
        debug
            .iter()
            .any(|e| e.fields.get("status").map(String::as_str) == Some("401")),
        "{events:?}"
    );
    let errors = at(Level::ERROR);
    assert_eq!(errors.len(), 1, "{events:?}");
    assert_eq!(errors[0].fields["status"], "503");
    assert_eq!(errors[0].span.as_deref(), Some("person_image.request"));
    assert!(
        errors[0].fields["error"].contains("store"),
        "{:?}",
        errors[0]
    );
    // A 4xx is never an error or a warning.
    assert!(at(Level::WARN).is_empty(), "{events:?}");
}

#[test]
fn no_secret_appears_in_any_span_or_event() {
    let capture = Capture::default();
    let service = service(store());
    let cookie = format!("session={SESSION}; XSRF-TOKEN={XSRF}");
    let requests: Vec<Vec<(&str, String)>> = vec![
        vec![("Authorization", basic("demo", PASSWORD))],
        vec![("Authorization", basic("demo", WRONG_PASSWORD))],
        vec![("Authorization", format!("Bearer {BEARER}"))],
        vec![("Authorization", format!("Bearer {BEARER}x"))],
        vec![("Authorization", format!("SOTicket {TICKET}"))],
        vec![
            ("Cookie", cookie.clone()),
            ("X-XSRF-TOKEN", XSRF.to_owned()),
        ],
        vec![
            ("Cookie", cookie.clone()),
            ("X-XSRF-TOKEN", format!("{XSRF}x")),
        ],
    ];
    let statuses: Vec<u16> = capture.run(|| {
        requests
            .iter()
            .flat_map(|headers| {
                let headers: Vec<(&str, &str)> =
                    headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                [
                    "/api/v1/Person/1/Image?w=48&type=gif",
                    "/api/v1/Person/2/Image",
                    "/api/v1/Person/99/Image",
                ]
                .map(|target| get(&service, target, &headers).status.as_u16())
            })
            .collect()
    });
    // Accepted and refused credentials both went through.
    assert!(
        statuses.contains(&200) && statuses.contains(&401),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&404) || statuses.contains(&403),
        "{statuses:?}"
    );

    let everything = capture.everything();
    assert!(
        everything.contains("person_image.request"),
        "nothing recorded"
    );
    let encoded_basics = [basic("demo", PASSWORD), basic("demo", WRONG_PASSWORD)]
        .map(|header| header.trim_start_matches("Basic ").to_owned());
    let secrets = [
        PASSWORD,
        WRONG_PASSWORD,
        BEARER,
        TICKET,
        "ticket-Lp5Ge8",
        SESSION,
        XSRF,
    ];
    for secret in secrets
        .iter()
        .copied()
        .chain(encoded_basics.iter().map(String::as_str))
    {
        assert!(
            !everything.contains(secret),
            "{secret:?} was recorded:\n{everything}"
        );
    }
    // Nor the principal names the authenticator gave.
    for principal in ["bearer-user", "ticket-user", "session-user"] {
        assert!(!everything.contains(principal), "{principal} was recorded");
    }
}
