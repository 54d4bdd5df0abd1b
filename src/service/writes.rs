//! Uploads and deletes: authorize the action, validate and ingest the photo, write it atomically
//! through the [`WritableStore`](crate::store::WritableStore), and forget the old variants.

use super::info::info_json;
use super::ImageService;
use crate::auth::Action;
use crate::ingest;
use crate::observe::stage_span;
use crate::person_id::PersonId;
use crate::request::{PersonRequest, UploadRequest};
use crate::response::ImageResponse;
use crate::store::{Deleted, Lookup, Replaced};
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
            writer.replace(
                request.person,
                ingested.bytes,
                Some(ingested.format.mime_type()),
            )?
        };
        match replaced {
            Replaced::Stored(info) => {
                self.forget(request.person);
                let size = Some(ingested.size);
                // The new version's hash, computed now that its bytes are at hand.
                let hash = self.thumb_hash(request.person, &info, Some(&stored))?;
                let body = info_json(
                    request.person,
                    &info,
                    Some(ingested.format),
                    size,
                    hash.as_deref(),
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
            writer.delete(request.person)?
        };
        match deleted {
            Deleted::Removed | Deleted::HadNoImage => {
                self.forget(request.person);
                Ok(ImageResponse::no_content())
            }
            Deleted::NoSuchPerson => Err(Error::PersonNotFound),
        }
    }

    /// The `405` of a write to a service without a writable store.
    fn read_only(&self) -> Error {
        Error::ReadOnly {
            hint: self.read_only_hint.clone(),
        }
    }

    /// Drops what the service remembers of `person`'s photo: rendered variants, its format and
    /// its ThumbHash.
    fn forget(&self, person: PersonId) {
        if let Some(cache) = &self.cache {
            cache.forget_person(person);
        }
        self.known_formats.forget_person(person.get());
        self.thumb_hashes.forget_person(person);
    }
}
