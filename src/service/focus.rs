//! The focal point of each stored photo, by authority: a point set through the API (kept by the
//! store with the photo's version) > the largest detected face > saliency > the upper centre.
//! What is detected depends on the bytes alone, so it is computed once per version (at upload,
//! or the first time it is needed) and kept in a bounded memo keyed by person and version.

use bytes::Bytes;
use image::RgbImage;

use super::version_memo::VersionMemo;
use super::ImageService;
use crate::person_id::PersonId;
use crate::render::{probe, saliency, FocalPoint, FocalSource};
use crate::store::ImageInfo;
use crate::Result;

/// A photo's focal point and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Focus {
    /// The box a `fit=cover` crop keeps, in pixels of the photo as displayed.
    pub(crate) point: FocalPoint,
    /// Its authority.
    pub(crate) source: FocalSource,
    /// How many faces the detector found (the point is the largest's).
    pub(crate) faces_found: u32,
}

/// What the bytes of a photo say: its detected focus, or `None` when they cannot be decoded.
type Detected = Option<Focus>;

/// `(person, version)` → what was detected in that photo.
pub(crate) type Detections = VersionMemo<Detected>;

/// The long side of the thumbnail a photo's focus is looked for in: the face detector's input
/// size when it is built in (feature `faces`), else saliency's.
fn detection_side() -> u32 {
    #[cfg(feature = "faces")]
    let side = crate::render::FaceSearch::default().input_long_side;
    #[cfg(not(feature = "faces"))]
    let side = saliency::THUMBNAIL_SIDE;
    side
}

/// The faces in `thumbnail`: the largest's box (in its pixels) and how many there are.
#[cfg(feature = "faces")]
fn largest_face(thumbnail: &RgbImage) -> Option<(FocalPoint, u32)> {
    let faces = crate::render::find_faces(thumbnail);
    let largest = faces.first()?;
    let point = FocalPoint {
        left: largest.left,
        top: largest.top,
        width: largest.width,
        height: largest.height,
    };
    Some((point, u32::try_from(faces.len()).unwrap_or(u32::MAX)))
}

/// Without the detector (feature `faces`), no face is found and saliency decides.
#[cfg(not(feature = "faces"))]
fn largest_face(_thumbnail: &RgbImage) -> Option<(FocalPoint, u32)> {
    None
}

/// The most salient box of `thumbnail`, in its pixels, looked for at saliency's own size.
fn salient_box(thumbnail: &RgbImage) -> Option<FocalPoint> {
    let size = thumbnail.dimensions();
    if size.0.max(size.1) <= saliency::THUMBNAIL_SIDE {
        return saliency::salient_box(thumbnail);
    }
    let (width, height) = crate::render::fit(
        size,
        Some(saliency::THUMBNAIL_SIDE),
        Some(saliency::THUMBNAIL_SIDE),
    );
    let small = image::imageops::thumbnail(thumbnail, width, height);
    saliency::salient_box(&small).map(|salient| saliency::to_photo(salient, (width, height), size))
}

impl ImageService {
    /// The photo's focus by authority: `api` (the point set through the API) when given, else
    /// what its bytes say (see [`ImageService::detected_focus`]). `None` when there is no API
    /// point and the photo cannot be decoded (or was replaced before it could be fetched).
    pub(super) fn focus(
        &self,
        person: PersonId,
        info: &ImageInfo,
        api: Option<FocalPoint>,
        bytes: Option<&Bytes>,
    ) -> Result<Option<Focus>> {
        match api {
            Some(point) => {
                let faces_found = self
                    .detected_focus(person, info, bytes)?
                    .map_or(0, |detected| detected.faces_found);
                Ok(Some(Focus {
                    point,
                    source: FocalSource::Api,
                    faces_found,
                }))
            }
            None => self.detected_focus(person, info, bytes),
        }
    }

    /// The largest face, else the most salient box, else the upper centre of `person`'s photo at
    /// `info`'s version: remembered, or computed from `bytes` (the photo's, when the caller has
    /// them) or a fetch.
    pub(super) fn detected_focus(
        &self,
        person: PersonId,
        info: &ImageInfo,
        bytes: Option<&Bytes>,
    ) -> Result<Detected> {
        self.once_per_version(&self.detections, person, info, bytes, |bytes| {
            self.detect(bytes)
        })
    }

    /// Decodes a thumbnail of `bytes` within the render budget and looks for faces, then for
    /// the most salient box.
    fn detect(&self, bytes: &[u8]) -> Detected {
        let limits = &self.options.limits;
        let header = probe(bytes, limits).ok()?;
        let photo = (header.width, header.height);
        let thumbnail = {
            let side = detection_side();
            let _reservation = self.budget.reserve(saliency::peak_bytes(&header, side));
            saliency::thumbnail(bytes, &header, side, limits).ok()?
        };
        let size = thumbnail.dimensions();
        let focus = match largest_face(&thumbnail) {
            Some((face, faces_found)) => Focus {
                point: saliency::to_photo(face, size, photo),
                source: FocalSource::Face,
                faces_found,
            },
            None => match salient_box(&thumbnail) {
                Some(salient) => Focus {
                    point: saliency::to_photo(salient, size, photo),
                    source: FocalSource::Saliency,
                    faces_found: 0,
                },
                None => Focus {
                    point: FocalPoint::upper_centre(photo.0, photo.1),
                    source: FocalSource::Default,
                    faces_found: 0,
                },
            },
        };
        Some(focus)
    }
}
