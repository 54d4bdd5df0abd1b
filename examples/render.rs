//! Run with: `cargo run --release --example render -- INPUT [--w N] [--h N] [--fit contain|cover]
//! [--type jpeg|png|gif|tiff|webp] [--accept MEDIA] [--if-blank V] [--language TAG] -o OUTPUT`
//!
//! Renders one stored image the way the service would, with the same `render` core: handy to try
//! options and for whole-process benchmarks (`webp` needs `--features webp`). `INPUT` may be
//! `none` (a person without a photo), in which case `--if-blank` picks the placeholder and
//! `--language` (`de`, `nb-NO`, ...) the language of its caption.

use std::process::ExitCode;
use std::time::Instant;

use person_image::headers::AcceptList;
use person_image::render::{CaptionLanguage, PlaceholderKind, RenderRequest, Source};
use person_image::request::{Fit, IfBlank};
use person_image::{render, OutputFormat};

struct Args {
    input: String,
    output: String,
    width: u32,
    height: u32,
    fit: Fit,
    format: Option<OutputFormat>,
    accept: Option<String>,
    if_blank: IfBlank,
    language: CaptionLanguage,
    verbose: bool,
}

const USAGE: &str = "usage: render INPUT [--w N] [--h N] [--fit contain|cover] \
                     [--type jpeg|png|gif|tiff] \
                     [--accept MEDIA] [--if-blank V] [--language TAG] [-v] -o OUTPUT";

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut input = None;
    let mut output = None;
    let mut parsed = Args {
        input: String::new(),
        output: String::new(),
        width: 0,
        height: 0,
        fit: Fit::Contain,
        format: None,
        accept: None,
        if_blank: IfBlank::Null,
        language: CaptionLanguage::English,
        verbose: false,
    };
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--w" => parsed.width = value()?.parse().map_err(|e| format!("--w: {e}"))?,
            "--h" => parsed.height = value()?.parse().map_err(|e| format!("--h: {e}"))?,
            "--fit" => parsed.fit = value()?.parse().map_err(|e| format!("{e}"))?,
            "--type" => parsed.format = Some(value()?.parse().map_err(|e| format!("{e}"))?),
            "--accept" => parsed.accept = Some(value()?),
            "--if-blank" => parsed.if_blank = value()?.parse().map_err(|e| format!("{e}"))?,
            "--language" => {
                let tag = value()?;
                parsed.language = CaptionLanguage::from_tag(&tag)
                    .ok_or_else(|| format!("--language: no caption in {tag:?}"))?;
            }
            "-o" | "--output" => output = Some(value()?),
            "-v" | "--verbose" => parsed.verbose = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            _ if input.is_none() && !arg.starts_with('-') => input = Some(arg),
            _ => return Err(format!("unexpected argument {arg}\n{USAGE}")),
        }
    }
    parsed.input = input.ok_or_else(|| USAGE.to_owned())?;
    parsed.output = output.ok_or_else(|| USAGE.to_owned())?;
    Ok(parsed)
}

fn run(args: &Args) -> Result<(), String> {
    let placeholder = PlaceholderKind::for_if_blank(args.if_blank, PlaceholderKind::NoPhoto);
    let source = if args.input == "none" {
        let kind = placeholder.ok_or("INPUT is none: give --if-blank to draw a placeholder")?;
        Source::Placeholder {
            kind,
            language: args.language,
        }
    } else {
        let bytes = std::fs::read(&args.input).map_err(|e| format!("{}: {e}", args.input))?;
        Source::Stored {
            bytes: bytes.into(),
            declared_mime: None,
        }
    };
    let mut request = RenderRequest {
        source,
        ..RenderRequest::stored(Vec::new())
    }
    .width(args.width)
    .height(args.height)
    .fit(args.fit);
    request.format = args.format;
    request.accept = args
        .accept
        .as_deref()
        .map(|accept| AcceptList::parse([accept.as_bytes()]));

    let started = Instant::now();
    let response = match render(&request) {
        Err(error) if error.is_unrenderable() && placeholder.is_some() => {
            eprintln!(
                "cannot render {}: {error}; drawing the placeholder",
                args.input
            );
            request.source = Source::Placeholder {
                kind: placeholder.unwrap_or(PlaceholderKind::NoPhoto),
                language: args.language,
            };
            render(&request)
        }
        other => other,
    }
    .map_err(|error| format!("{} ({}): {error}", args.input, error.status()))?;
    let elapsed = started.elapsed();
    std::fs::write(&args.output, &response.body).map_err(|e| format!("{}: {e}", args.output))?;
    if args.verbose {
        eprintln!(
            "{} -> {} ({}, {} bytes) in {:.2} ms",
            args.input,
            args.output,
            response.content_type.as_ref().map_or("", AsRef::as_ref),
            response.body.len(),
            elapsed.as_secs_f64() * 1000.0
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|args| run(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
