//! Property tests: parsers never panic and round-trip what they accept; `render` never panics.

mod common;

use person_image::auth::{CallerIdentity, Credentials};
use person_image::headers::AcceptList;
use person_image::render::{RenderOptions, RenderRequest};
use person_image::request::{IfBlank, ImageQuery};
use person_image::{render, Limits, OutputFormat};
use proptest::prelude::*;

fn output_format() -> impl Strategy<Value = OutputFormat> {
    prop::sample::select(OutputFormat::enabled().collect::<Vec<_>>())
}

fn if_blank() -> impl Strategy<Value = IfBlank> {
    (0u32..=5).prop_map(|n| IfBlank::from_number(n).expect("0-5 are valid"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn query_parser_never_panics(query in ".{0,200}") {
        let limits = Limits::default();
        if let Ok(parsed) = ImageQuery::parse(&query, &limits) {
            prop_assert!(parsed.width.is_none_or(|w| w.get() <= limits.max_side));
            prop_assert!(parsed.height.is_none_or(|h| h.get() <= limits.max_side));
        }
    }

    #[test]
    fn query_round_trips(
        w in 0u32..=4096,
        h in 0u32..=4096,
        format in prop::option::of(output_format()),
        blank in if_blank(),
        upper in any::<bool>(),
    ) {
        let mut query = format!("w={w}&h={h}&ifBlank={}", if upper { blank.as_str().to_uppercase() } else { blank.number().to_string() });
        if let Some(format) = format {
            query.push_str(&format!("&type={}", format.mime_type().replace('/', "%2F")));
        }
        if upper {
            query = query.replace("w=", "W=").replace("h=", "H=");
        }
        let parsed = ImageQuery::parse(&query, &Limits::default()).unwrap();
        prop_assert_eq!(parsed.width.map(|d| d.get()), (w > 0).then_some(w));
        prop_assert_eq!(parsed.height.map(|d| d.get()), (h > 0).then_some(h));
        prop_assert_eq!(parsed.format, format);
        prop_assert_eq!(parsed.if_blank, blank);
    }

    #[test]
    fn accept_parser_never_panics_and_weights_stay_in_range(header in prop::collection::vec(any::<u8>(), 0..300)) {
        let accept = AcceptList::parse([header.as_slice()]);
        for format in OutputFormat::enabled() {
            prop_assert!(accept.quality(format.mime_type()) <= 1000);
        }
    }

    #[test]
    fn accept_round_trips_q_values(q in 0u16..=1000) {
        let header = format!("image/png;q={}.{:03}", q / 1000, q % 1000);
        prop_assert_eq!(AcceptList::parse([header.as_bytes()]).quality("image/png"), q);
    }

    #[test]
    fn credential_parser_never_panics(
        authorization in prop::option::of(prop::collection::vec(any::<u8>(), 0..100)),
        xsrf in prop::option::of(prop::collection::vec(any::<u8>(), 0..40)),
        cookie in prop::collection::vec(any::<u8>(), 0..100),
    ) {
        let result = CallerIdentity::from_headers(authorization.as_deref(), xsrf.as_deref(), &[cookie.as_slice()], None);
        if let Err(error) = result {
            prop_assert_eq!(person_image::Error::from(error).status(), 401);
        }
    }

    #[test]
    fn basic_credentials_round_trip(user in "[a-zA-Z0-9._@-]{1,20}", password in "[ -~]{0,30}") {
        let header = format!("Basic {}", common::base64::encode(format!("{user}:{password}").as_bytes()));
        let identity = CallerIdentity::from_headers(Some(header.as_bytes()), None, &[], None).unwrap();
        match identity.credentials {
            Credentials::Basic { user: parsed_user, password: parsed_password } => {
                prop_assert_eq!(parsed_user, user);
                prop_assert_eq!(parsed_password.expose(), password.as_str());
            }
            other => prop_assert!(false, "not Basic: {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn render_never_panics_on_any_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..2048),
        w in 0u32..300,
        format in prop::option::of(output_format()),
    ) {
        let options = RenderOptions::default().limits(Limits::default().max_source_pixels(1_000_000));
        let mut request = RenderRequest::stored(bytes).width(w).options(options);
        request.format = format;
        if let Err(error) = render(&request) {
            prop_assert_eq!(error.status(), 422, "{}", error);
        }
    }

    #[test]
    fn render_never_panics_on_damaged_real_files(
        file in prop::sample::select(vec!["jpeg/baseline_hopper.jpg", "png/basn6a08.png", "gif/animated_loop3.gif", "tiff/hopper_rgb_lzw.tif", "other/webp_lossy_hopper.webp", "other/bmp_rgb24.bmp", "jpeg/progressive_cat.jpg"]),
        cut in 0.0f64..1.0,
        flips in prop::collection::vec((0.0f64..1.0, any::<u8>()), 0..8),
        format in output_format(),
    ) {
        let mut bytes = common::corpus::corpus_bytes(file);
        bytes.truncate(((bytes.len() as f64) * (0.05 + 0.95 * cut)) as usize);
        let len = bytes.len();
        for (at, value) in flips {
            if len > 0 {
                bytes[((len as f64 * at) as usize).min(len - 1)] = value;
            }
        }
        match render(&RenderRequest::stored(bytes).width(48).format(format)) {
            Ok(response) => prop_assert!(!response.body.is_empty()),
            Err(error) => prop_assert_eq!(error.status(), 422, "{}", error),
        }
    }
}
