//! The image GET through the shared variant tier (feature `object-store`): after the in-process
//! cache, before the photo is fetched.

use super::ImageService;
use crate::observe::{record_cache, record_passthrough, CacheOutcome};
use crate::render::{ImageFormat, Plan, Preference, Rendered, Source, Variant};
use crate::request::ImageRequest;
use crate::store::{Claimed, Fetch, ImageInfo, Stored, VariantTier};
use crate::{Error, Result};

/// What the tier path made of a request.
pub(super) enum Tiered {
    /// Not for the tier (the photo is sent as stored, or cannot be rendered): serve it the
    /// usual way.
    Skip,
    /// The photo was replaced since the lookup: look it up again.
    Changed,
    /// The rendering (from the tier, another request or this one), or why there is none.
    Done(Result<Rendered>),
}

/// What one fill of the in-process cache produced.
enum Filled {
    Rendered(Rendered),
    FromPhoto,
    Changed,
}

impl ImageService {
    /// The rendering of `variant`, version `info` of the photo: the in-process single flight
    /// first, and only its leader asks the tier, claims the render lease, and renders and keeps
    /// the variant on a miss. Tier failures are skipped inside the tier; errors here are the
    /// store's and the render's, as without a tier.
    pub(super) fn render_tiered(
        &self,
        tier: &VariantTier,
        request: &ImageRequest,
        preference: &Preference,
        info: &ImageInfo,
        variant: &Variant,
    ) -> Tiered {
        if self.is_known_passthrough(request, preference, info) {
            return Tiered::Skip;
        }
        let mut other = None;
        let mut fill = || match self.fill(tier, request, preference, info, variant) {
            Ok(Filled::Rendered(rendered)) => Ok(rendered),
            Ok(found) => {
                other = Some(found);
                // Never shared: the leader's error makes waiters fill for themselves.
                Err(Error::internal(
                    "reading through the variant tier",
                    "not a rendering",
                ))
            }
            Err(error) => Err(error),
        };
        let rendered = match &self.cache {
            Some(cache) => {
                let mut rendered_here = false;
                let rendered = cache.get_or_render(variant.clone(), info.modified, || {
                    rendered_here = true;
                    fill()
                });
                record_cache(if rendered_here {
                    CacheOutcome::Miss
                } else {
                    CacheOutcome::Hit
                });
                rendered
            }
            None => {
                record_cache(CacheOutcome::None);
                fill()
            }
        };
        match other {
            Some(Filled::Changed) => Tiered::Changed,
            Some(_) => Tiered::Skip,
            None => {
                record_passthrough(false);
                Tiered::Done(rendered)
            }
        }
    }

    /// Whether this variant is known to be the photo as stored, from a format remembered
    /// earlier: then neither the tier nor the cache is asked.
    fn is_known_passthrough(
        &self,
        request: &ImageRequest,
        preference: &Preference,
        info: &ImageInfo,
    ) -> bool {
        self.plan_from_known_format(request, preference, info)
            .is_some_and(|plan| plan.is_passthrough())
    }

    /// The tier's variant, else the render under the fleet's lease, kept in the tier.
    fn fill(
        &self,
        tier: &VariantTier,
        request: &ImageRequest,
        preference: &Preference,
        info: &ImageInfo,
        variant: &Variant,
    ) -> Result<Filled> {
        let found = match tier.get(variant) {
            Some(found) => Some(found),
            None => match tier.claim(variant) {
                Claimed::Ready(found) => Some(found),
                // The lease is released after the variant is kept.
                Claimed::Held(_lease) => {
                    return self.render_for_fleet(tier, request, preference, info, variant)
                }
                Claimed::Alone => None,
            },
        };
        match found {
            Some(Stored::Rendered(rendered)) => Ok(Filled::Rendered(rendered)),
            Some(Stored::FromPhoto) => Ok(Filled::FromPhoto),
            None => self.render_for_fleet(tier, request, preference, info, variant),
        }
    }

    /// Fetches the photo, renders `variant` and keeps it in the tier.
    fn render_for_fleet(
        &self,
        tier: &VariantTier,
        request: &ImageRequest,
        preference: &Preference,
        info: &ImageInfo,
        variant: &Variant,
    ) -> Result<Filled> {
        let (fetched, _held) = self.fetch(request.person, info)?;
        let bytes = match fetched {
            Fetch::Current(bytes) => bytes,
            Fetch::Changed => return Ok(Filled::Changed),
        };
        self.known_formats.remember(
            request.person.get(),
            &info.version,
            ImageFormat::sniff(&bytes),
        );
        let focal_point = self.cover_focal_point(variant, info, &bytes)?;
        let source = Source::Stored {
            bytes,
            declared_mime: info.declared_mime.clone(),
        };
        let planned = Plan::new(
            &self.render_request(request, source, focal_point),
            preference,
        );
        let rendered = planned.and_then(|plan| {
            if plan.is_passthrough() {
                Ok(None)
            } else {
                self.execute(&plan).map(Some)
            }
        });
        match rendered {
            Ok(Some(rendered)) => {
                tier.put(variant, &Stored::Rendered(rendered.clone()));
                Ok(Filled::Rendered(rendered))
            }
            Ok(None) => {
                tier.put(variant, &Stored::FromPhoto);
                Ok(Filled::FromPhoto)
            }
            // Unrenderable stays so for this version: the waiting replicas learn it at once.
            Err(error) => {
                if error.is_unrenderable() {
                    tier.put(variant, &Stored::FromPhoto);
                }
                Err(error)
            }
        }
    }
}
