//! `GET …/ImageInfo`: the stored photo's metadata as JSON, in the vendor's PascalCase style, with
//! the extension `ThumbHash`.

use super::focus::Focus;
use super::get::{not_modified_for, FETCH_ATTEMPTS};
use super::ImageService;
use crate::auth::Action;
use crate::format::ImageFormat;
use crate::headers::{http_date, ETag};
use crate::person_id::PersonId;
use crate::render::{probe, Variant};
use crate::request::PersonRequest;
use crate::response::{ImageResponse, JsonObject};
use crate::store::{Fetch, ImageInfo, Lookup};
use crate::{Error, Result};

impl ImageService {
    /// Looks the photo up, answers `304` from its version alone, else reads its header for the
    /// width and height (as displayed, EXIF orientation applied).
    pub(super) fn info(&self, request: &PersonRequest) -> Result<ImageResponse> {
        self.authorize(&request.identity, request.person, Action::ReadInfo)?;
        for _ in 0..FETCH_ATTEMPTS {
            let (info, api) = match self.lookup_with_api_point(request.person)? {
                (Lookup::Found(info), api) => (info, api),
                (Lookup::NoImage, _) => return Err(Error::ImageNotFound),
                (Lookup::NoSuchPerson, _) => return Err(Error::PersonNotFound),
            };
            let etag = ETag::for_variant(&Variant::Info {
                version: info.version.clone(),
                focus: api,
            });
            let mut response = if not_modified_for(request.if_none_match.as_ref(), &etag) {
                ImageResponse::not_modified()
            } else {
                let (fetched, _held) = self.fetch(request.person, &info)?;
                let bytes = match fetched {
                    Fetch::Current(bytes) => bytes,
                    Fetch::Changed => continue,
                };
                // A stored file that is no image we read still has its info; sizes are null.
                let header = probe(&bytes, &self.options.limits).ok();
                let format = ImageFormat::sniff(&bytes);
                let size = header.map(|header| (header.width, header.height));
                let hash = self.thumb_hash(request.person, &info, Some(&bytes))?;
                let focus = self.focus(request.person, &info, api, Some(&bytes))?;
                ImageResponse::json(&info_json(
                    request.person,
                    &info,
                    format,
                    size,
                    hash.as_deref(),
                    focus,
                ))
            };
            response.etag = Some(etag);
            response.last_modified = info.modified;
            // Info changes with every upload: caches must ask again each time (a 304 is cheap).
            response.cache_control = Some("private, no-cache".to_owned());
            return Ok(response);
        }
        Err(Error::replaced_on_every_attempt(request.person))
    }
}

/// The info document of a stored photo: `{"PersonId":7,"MimeType":"image/jpeg","Size":12345,
/// "Width":1200,"Height":1800,"LastModified":"2026-11-29T03:00:00Z","Version":"…",
/// "ThumbHash":"…base64…","FocalPoint":{"Height":400,"Left":400,"Top":440,"Width":400},
/// "FocalPointSource":"Saliency","FacesFound":0}`. The MIME type is the true one (from the bytes)
/// when known, else what the store declares; unknown values are `null`.
pub(super) fn info_json(
    person: PersonId,
    info: &ImageInfo,
    format: Option<ImageFormat>,
    size: Option<(u32, u32)>,
    thumb_hash: Option<&[u8]>,
    focus: Option<Focus>,
) -> JsonObject {
    let mime = format
        .map(ImageFormat::mime_type)
        .or(info.declared_mime.as_deref());
    let modified = info.modified.map(http_date::format_rfc3339);
    JsonObject(vec![
        ("PersonId", person.get().into()),
        ("MimeType", mime.into()),
        ("Size", info.len.into()),
        ("Width", size.map(|(width, _)| width).into()),
        ("Height", size.map(|(_, height)| height).into()),
        ("LastModified", modified.into()),
        ("Version", info.version.as_str().into()),
        ("ThumbHash", thumb_hash.map(crate::base64::encode).into()),
        (
            "FocalPoint",
            focus.map_or(serde_json::Value::Null, |focus| {
                serde_json::json!({
                    "Left": focus.point.left,
                    "Top": focus.point.top,
                    "Width": focus.point.width,
                    "Height": focus.point.height,
                })
            }),
        ),
        (
            "FocalPointSource",
            focus.map(|focus| focus.source.as_str()).into(),
        ),
        ("FacesFound", focus.map(|focus| focus.faces_found).into()),
    ])
}
