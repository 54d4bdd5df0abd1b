//! `POST /api/v1/Agents/Person/GetPersonImages`: a list view's photos in one call.
//!
//! Each person is answered like `GET …/Image?w=W&h=H&fit=F&type=png` (same cache, same ETags), but a
//! person who cannot be shown does not fail the batch: the answer has one entry per requested id,
//! in request order, each with its own `Status`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::{thumb_hashes, ImageService};
use crate::auth::{Action, Principal};
use crate::format::OutputFormat;
use crate::headers::Locale;
use crate::person_id::PersonId;
use crate::request::{BatchRequest, IfBlank, ImageQuery, ImageRequest, Method};
use crate::response::{ImageResponse, JsonObject};
use crate::store::Lookup;
use crate::{Error, Result};

/// What happened to one person of a batch.
enum Outcome {
    Found(Box<ImageResponse>, thumb_hashes::Hash),
    NoImage,
    NoSuchPerson,
    Forbidden,
    NotRenderable(String),
    Failed(String),
}

impl ImageService {
    /// Authenticates once, then renders the persons on up to `batch_workers` threads.
    pub(super) fn batch(&self, request: &BatchRequest) -> Result<ImageResponse> {
        let principal = self.authenticate(&request.identity)?;
        let persons = &request.persons;
        let outcomes: Vec<Mutex<Option<Outcome>>> =
            persons.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let work = || loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(&person) = persons.get(index) else {
                return;
            };
            let outcome = self.batch_entry(&principal, person, request);
            *outcomes[index].lock().unwrap_or_else(|e| e.into_inner()) = Some(outcome);
        };
        let threads = self.batch_workers.min(persons.len()).max(1);
        std::thread::scope(|scope| {
            for _ in 1..threads {
                scope.spawn(work);
            }
            work();
        });
        let entries: Vec<JsonObject> = persons
            .iter()
            .zip(outcomes)
            .map(|(person, outcome)| {
                let outcome = outcome
                    .into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .unwrap_or_else(|| Outcome::Failed("not rendered".to_owned()));
                entry(*person, outcome)
            })
            .collect();
        Ok(ImageResponse::json(&entries))
    }

    fn batch_entry(
        &self,
        principal: &Principal,
        person: PersonId,
        batch: &BatchRequest,
    ) -> Outcome {
        if self
            .authenticator
            .authorize(principal, person, Action::ReadImage)
            .is_err()
        {
            return Outcome::Forbidden;
        }
        let request = ImageRequest {
            method: Method::Get,
            person,
            query: ImageQuery {
                width: batch.width,
                height: batch.height,
                format: Some(OutputFormat::Png),
                if_blank: IfBlank::Null,
                fit: batch.fit,
            },
            identity: batch.identity.clone(),
            accept: None,
            if_none_match: None,
            locale: Locale::default(),
        };
        let answered =
            self.lookup_for(person, batch.fit)
                .and_then(|(found, api_point)| match found {
                    Lookup::Found(info) => {
                        let preference = super::get::preference(&request);
                        let response =
                            self.serve_stored(&request, &preference, info.clone(), api_point)?;
                        // A hash that cannot be had is `null`; the photo is still answered.
                        let hash = self.thumb_hash(person, &info, None).ok().flatten();
                        Ok(Some((response, hash)))
                    }
                    Lookup::NoImage => Ok(None),
                    Lookup::NoSuchPerson => Err(Error::PersonNotFound),
                });
        match answered {
            Ok(Some((response, hash))) => Outcome::Found(Box::new(response), hash),
            Ok(None) | Err(Error::ImageNotFound) => Outcome::NoImage,
            Err(Error::PersonNotFound) => Outcome::NoSuchPerson,
            Err(error) if error.is_unrenderable() => Outcome::NotRenderable(error.message()),
            Err(error) => Outcome::Failed(error.message()),
        }
    }
}

/// One entry: `{"PersonId":7,"Status":"Found","MimeType":"image/png","Image":"<base64>",
/// "ThumbHash":"<base64>"}` (`null` when the photo cannot be hashed), or the
/// status (`NoImage`, `NoSuchPerson`, `Forbidden`, `NotRenderable`, `Failed`) with a `Message`
/// where there is one.
fn entry(person: PersonId, outcome: Outcome) -> JsonObject {
    let (status, detail) = match outcome {
        Outcome::Found(response, hash) => {
            return JsonObject(vec![
                ("PersonId", person.get().into()),
                ("Status", "Found".into()),
                (
                    "MimeType",
                    response
                        .content_type
                        .as_ref()
                        .map_or("", AsRef::as_ref)
                        .into(),
                ),
                ("Image", crate::base64::encode(&response.body).into()),
                (
                    "ThumbHash",
                    hash.as_deref().map(crate::base64::encode).into(),
                ),
            ]);
        }
        Outcome::NoImage => ("NoImage", None),
        Outcome::NoSuchPerson => ("NoSuchPerson", None),
        Outcome::Forbidden => ("Forbidden", None),
        Outcome::NotRenderable(message) => ("NotRenderable", Some(message)),
        Outcome::Failed(message) => ("Failed", Some(message)),
    };
    let mut members = vec![("PersonId", person.get().into()), ("Status", status.into())];
    if let Some(message) = detail {
        members.push(("Message", message.into()));
    }
    JsonObject(members)
}
