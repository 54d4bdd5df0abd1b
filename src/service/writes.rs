//! Uploads and deletes: authorize the action, validate and ingest the photo, write it atomically
//! through the [`WritableStore`](crate::store::WritableStore), and forget the old variants.

use std::sync::Arc;

use super::info::info_json;
use super::ImageService;
use crate::auth::Action;
use crate::format::ImageFormat;
use crate::headers::ETag;
use crate::ingest;
use crate::observe::stage_span;
use crate::person_id::PersonId;
use crate::render::{probe, Variant};
use crate::request::{InfoEdit, PersonRequest, UploadRequest};
use crate::response::ImageResponse;
use crate::store::{Deleted, Fetch, Lookup, MetadataWritten, PhotoMetadata, Replaced};
use crate::{Error, Result};

impl ImageService {
    /// `PUT`/`POST …/Image`. Nothing is written unless the upload is a whole image within the
    /// limits, for a person who exists, from a caller allowed to replace the photo.
    pub(super) fn replace(&self, request: &UploadRequest) -> Result<ImageResponse> {
        let writer = self.writer.as_ref().ok_or_else(|| self.read_only())?;
        self.authorize(&request.identity, request.person, Action::ReplaceImage)?;
        // The body is read only for a caller allowed to write.
        let (image, _declared) = request.image()?;
        // Refused before the (CPU-heavy) validation: there is nobody to store it for.
        if self.lookup(request.person)? == Lookup::NoSuchPerson {
            return Err(Error::PersonNotFound);
        }
        let ingested = {
            let _span = stage_span!("ingest", bytes = image.len());
            let _reservation =
                self.budget
                    .reserve(ingest::peak_bytes(&image, &self.ingest, &self.options));
            ingest::ingest(image, &self.ingest, &self.options)?
        };
        let stored = ingested.bytes.clone();
        let replaced = {
            let _span = stage_span!("store.replace", person = request.person.get());
            let (writer, person) = (Arc::clone(writer), request.person);
            let written = self.calls.run(
                || format!("writing the photo of person {person}"),
                move || writer.replace(person, ingested.bytes, Some(ingested.format.mime_type())),
            );
            // A write that failed or timed out may still have happened: what is remembered of
            // the old photo goes either way (it is keyed by version, so this only frees memory).
            if written.is_err() {
                self.forget(person);
            }
            written?
        };
        match replaced {
            Replaced::Stored(info) => {
                self.forget(request.person);
                let size = Some(ingested.size);
                // The new version's hash and focus, computed now that its bytes are at hand.
                let hash = self.thumb_hash(request.person, &info, Some(&stored))?;
                let focus = self.focus(request.person, &info, None, Some(&stored))?;
                let body = info_json(
                    request.person,
                    &info,
                    Some(ingested.format),
                    size,
                    hash.as_deref(),
                    focus,
                );
                Ok(ImageResponse::json(&body))
            }
            Replaced::NoSuchPerson => Err(Error::PersonNotFound),
        }
    }

    /// `DELETE …/Image`: `204` when the person now has no photo (also when they had none: the
    /// call is idempotent), `404` when there is no such person.
    pub(super) fn delete(&self, request: &PersonRequest) -> Result<ImageResponse> {
        let writer = self.writer.as_ref().ok_or_else(|| self.read_only())?;
        self.authorize(&request.identity, request.person, Action::DeleteImage)?;
        let deleted = {
            let _span = stage_span!("store.delete", person = request.person.get());
            let (writer, person) = (Arc::clone(writer), request.person);
            let deleted = self.calls.run(
                || format!("deleting the photo of person {person}"),
                move || writer.delete(person),
            );
            if deleted.is_err() {
                self.forget(person);
            }
            deleted?
        };
        match deleted {
            Deleted::Removed | Deleted::HadNoImage => {
                self.forget(request.person);
                Ok(ImageResponse::no_content())
            }
            Deleted::NoSuchPerson => Err(Error::PersonNotFound),
        }
    }

    /// `PUT …/ImageInfo`: sets or clears the focal point of the photo as it is now (or as
    /// `If-Match` names it: else 412), once the box is checked to lie inside the photo (else
    /// 400); answers the info with the new point. The store keeps it with the photo's version, so
    /// an upload racing this call never inherits it (412 then too).
    pub(super) fn edit_info(&self, request: &InfoEdit) -> Result<ImageResponse> {
        let writer = self.writer.as_ref().ok_or_else(|| self.read_only())?;
        self.authorize(&request.identity, request.person, Action::EditInfo)?;
        let info = match self.lookup(request.person)? {
            Lookup::Found(info) => info,
            Lookup::NoImage => return Err(Error::ImageNotFound),
            Lookup::NoSuchPerson => return Err(Error::PersonNotFound),
        };
        if let Some(if_match) = &request.if_match {
            if !if_match.allows_version(&info.version) {
                return Err(Error::PreconditionFailed);
            }
        }
        let (fetched, _held) = self.fetch(request.person, &info)?;
        let bytes = match fetched {
            Fetch::Current(bytes) => bytes,
            Fetch::Changed => return Err(Error::PreconditionFailed),
        };
        let header = probe(&bytes, &self.options.limits)?;
        let size = (header.width, header.height);
        if let Some(point) = request.focal_point {
            if !point.fits_in(size) {
                return Err(Error::invalid(
                    "FocalPoint",
                    format!(
                        "must lie inside the photo ({}x{} as displayed), got {}x{} at ({}, {})",
                        size.0, size.1, point.width, point.height, point.left, point.top
                    ),
                ));
            }
        }
        let metadata = PhotoMetadata::with_focal_point(request.focal_point);
        let written = {
            let _span = stage_span!("store.set_metadata", person = request.person.get());
            let (writer, person, version) =
                (Arc::clone(writer), request.person, info.version.clone());
            self.calls.run(
                || format!("writing the photo metadata of person {person}"),
                move || writer.set_metadata(person, &version, Some(&metadata)),
            )?
        };
        match written {
            MetadataWritten::Stored => {}
            MetadataWritten::Changed => return Err(Error::PreconditionFailed),
            MetadataWritten::NoSuchPerson => return Err(Error::PersonNotFound),
            _ => {
                return Err(Error::ReadOnly {
                    hint: Some("the store keeps no photo metadata".to_owned()),
                })
            }
        }
        // Rendered cover crops of the old point are under other keys; drop them all the same.
        if let Some(cache) = &self.cache {
            cache.forget_person(request.person);
        }
        let focus = self.focus(request.person, &info, request.focal_point, Some(&bytes))?;
        let hash = self.thumb_hash(request.person, &info, Some(&bytes))?;
        let body = info_json(
            request.person,
            &info,
            ImageFormat::sniff(&bytes),
            Some(size),
            hash.as_deref(),
            focus,
        );
        let mut response = ImageResponse::json(&body);
        response.etag = Some(ETag::for_variant(&Variant::Info {
            version: info.version.clone(),
            focus: request.focal_point,
        }));
        Ok(response)
    }

    /// The `405` of a write to a service without a writable store.
    fn read_only(&self) -> Error {
        Error::ReadOnly {
            hint: self.read_only_hint.clone(),
        }
    }

    /// Drops what the service remembers of `person`'s photo: rendered variants, its format, its
    /// ThumbHash and what was detected in it.
    fn forget(&self, person: PersonId) {
        if let Some(cache) = &self.cache {
            cache.forget_person(person);
        }
        self.known_formats.forget_person(person.get());
        self.thumb_hashes.forget_person(person);
        self.detections.forget_person(person);
    }
}
