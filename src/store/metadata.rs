//! [`PhotoMetadata`]: the small facts a store keeps beside a photo (the focal point a person set),
//! bound to the photo's version so a new photo never inherits them, and the sidecar form the
//! file and bucket stores keep them in.

use crate::render::FocalPoint;

/// What a store keeps beside one version of a photo. Small (well under a kilobyte written out)
/// and bound to that version: [`ImageStore::metadata`](super::ImageStore::metadata) returns it
/// only while the photo has the version it was written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct PhotoMetadata {
    /// The region a `fit=cover` crop keeps, set through the API (`PUT …/ImageInfo`): it wins
    /// over a detected face, saliency and the upper centre. In pixels of the photo as displayed.
    pub focal_point: Option<FocalPoint>,
}

impl PhotoMetadata {
    /// Metadata with this focal point.
    pub fn with_focal_point(focal_point: Option<FocalPoint>) -> Self {
        PhotoMetadata { focal_point }
    }

    /// Whether there is nothing to keep (a store may then drop its record).
    pub fn is_empty(&self) -> bool {
        self.focal_point.is_none()
    }
}

/// What [`WritableStore::set_metadata`](super::WritableStore::set_metadata) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MetadataWritten {
    /// Kept with the photo at the version asked.
    Stored,
    /// The photo no longer has that version (replaced or removed): nothing was written.
    Changed,
    /// There is no such person; nothing was written.
    NoSuchPerson,
    /// The store keeps no metadata; nothing was written.
    Unsupported,
}

/// The first line of a sidecar: the format and its revision.
const SIDECAR_MAGIC: &str = "person-image metadata 1";

/// The sidecar form: the magic line, `version <the photo's version, escaped>`, then one line per
/// fact (`focal <left> <top> <width> <height>`). Versions are escaped (`\\`, `\n`) so any
/// version fits on its line.
pub(crate) fn encode_sidecar(version: &str, metadata: &PhotoMetadata) -> Vec<u8> {
    let mut text = format!("{SIDECAR_MAGIC}\nversion {}\n", escape(version));
    if let Some(point) = metadata.focal_point {
        text.push_str(&format!("focal {}\n", focal_to_text(point)));
    }
    text.into_bytes()
}

/// A focal point as `<left> <top> <width> <height>`: its form in a sidecar and a SQLite column.
pub(crate) fn focal_to_text(point: FocalPoint) -> String {
    format!(
        "{} {} {} {}",
        point.left, point.top, point.width, point.height
    )
}

/// The focal point written by [`focal_to_text`]; `None` for anything else.
pub(crate) fn focal_from_text(text: &str) -> Option<FocalPoint> {
    let numbers: Vec<u32> = text
        .split(' ')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let [left, top, width, height] = numbers.as_slice() else {
        return None;
    };
    Some(FocalPoint {
        left: *left,
        top: *top,
        width: *width,
        height: *height,
    })
}

/// The metadata of a sidecar written for `version`; `None` when it was written for another
/// version, or is not a sidecar (a damaged one is as good as none).
pub(crate) fn decode_sidecar(bytes: &[u8], version: &str) -> Option<PhotoMetadata> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines = text.lines();
    if lines.next()? != SIDECAR_MAGIC {
        return None;
    }
    if lines.next()?.strip_prefix("version ")? != escape(version) {
        return None;
    }
    let mut metadata = PhotoMetadata::default();
    for line in lines {
        if let Some(numbers) = line.strip_prefix("focal ") {
            metadata.focal_point = Some(focal_from_text(numbers)?);
        }
    }
    Some(metadata)
}

/// `version` on one line: backslashes and line breaks escaped.
fn escape(version: &str) -> String {
    version
        .replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sidecar_answers_only_for_its_version() {
        let point = FocalPoint {
            left: 1,
            top: 2,
            width: 30,
            height: 40,
        };
        let metadata = PhotoMetadata::with_focal_point(Some(point));
        for version in ["v1", "jpg:e:\"a/b c\"", "line\nbreak\\n"] {
            let sidecar = encode_sidecar(version, &metadata);
            assert_eq!(
                decode_sidecar(&sidecar, version),
                Some(metadata),
                "{version}"
            );
            assert_eq!(decode_sidecar(&sidecar, "other"), None, "{version}");
        }
        // "a\n" and "a\\n" escape differently.
        let sidecar = encode_sidecar("a\n", &metadata);
        assert_eq!(decode_sidecar(&sidecar, "a\\n"), None);
        let empty = encode_sidecar("v", &PhotoMetadata::default());
        assert_eq!(decode_sidecar(&empty, "v"), Some(PhotoMetadata::default()));
        for damaged in [
            &b""[..],
            b"junk",
            b"person-image metadata 1\nversion v\nfocal 1 2 x 4\n",
        ] {
            assert_eq!(decode_sidecar(damaged, "v"), None);
        }
    }
}
