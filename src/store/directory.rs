//! A directory-backed [`ImageStore`](super::ImageStore): `DIR/<id>.<ext>` is the photo.

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::{
    decode_sidecar, encode_sidecar, Deleted, Fetch, ImageInfo, ImageStore, Lookup, MetadataWritten,
    Opened, PhotoMetadata, PhotoReader, Replaced, WritableStore, DEFAULT_MAX_BYTES,
};
use crate::person_id::PersonId;
use crate::render::ImageFormat;
use crate::{Error, Result};

/// The photo extensions probed, in order of preference, with the MIME type each declares.
pub(crate) const EXTENSIONS: [(&str, &str); 8] = [
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("gif", "image/gif"),
    ("tif", "image/tiff"),
    ("tiff", "image/tiff"),
    ("bmp", "image/bmp"),
    ("webp", "image/webp"),
];

/// The extension of the marker file for a person without a photo.
pub(crate) const NO_IMAGE_MARKER: &str = "none";

/// The extension of the sidecar file holding a photo's [`PhotoMetadata`].
const METADATA_SIDECAR: &str = "meta";

/// Photos in a directory: `DIR/<id>.<ext>` is the photo, an empty `DIR/<id>.none` marks a person
/// without a photo, nothing means no such person.
///
/// * **Names.** `<id>` is the decimal person id as [`PersonId`]'s `Display` writes it (`7`, `-3`);
///   the path is built from that integer only, never from request text. The extensions are `jpg`,
///   `jpeg`, `png`, `gif`, `tif`, `tiff`, `bmp` and `webp`, written all lower case or all upper
///   case (`7.jpg`, `7.JPG`). Mixed case (`7.Jpg`) is not found: finding it would mean listing the
///   directory on every request.
/// * **Several files.** When more than one photo file exists for a person, the first in the order
///   above wins, lower case before upper case (`7.jpg` beats `7.JPG` beats `7.png`). A photo wins
///   over a `.none` marker.
/// * **Version.** From the file's metadata alone, so a lookup never reads the photo: on Unix its
///   inode, length, modification and status-change times (`ino-len-mtime-ctime`, nanoseconds),
///   elsewhere length and modification time. Any write changes the status-change time, and a
///   replacement by rename (how photos should be written) also changes the inode, so a new photo
///   never keeps an old version.
/// * **Fetch.** Opens the file and compares the version of the *open handle* with the one looked
///   up: a photo replaced in between is [`Fetch::Changed`], never new bytes under an old version.
///   [`ImageStore::open`] does the same and hands out the open file ([`Opened::Reading`]), so a
///   render that streams reads the photo a band at a time.
/// * **Modified.** The file's modification time, when the platform reports one.
/// * **Declared MIME type.** From the extension; the magic bytes still decide (SPEC §3).
/// * **Size.** A file larger than [`Directory::with_max_bytes`] (default 50 MiB) is refused
///   with [`Error::LimitExceeded`] at lookup, before it is read.
/// * **Failures.** Any I/O error other than "not found" (permissions, a directory where a photo
///   should be) is [`Error::Store`] (500), never "no image".
/// * **Root.** [`Directory::new`] does not look at `root`: while it does not exist every person
///   is [`Lookup::NoSuchPerson`] (a volume mounted later is served once it is there), and a root
///   that is a file makes every lookup an [`Error::Store`]. A program for which a mistyped path
///   should stop the start checks it itself (the serve example refuses to start).
///
/// * **Writes** ([`WritableStore`]). A new photo is written to a temporary file in the same
///   directory, synced, given a modification time later than the old photo's, and renamed over
///   `<id>.<ext>` (the extension from its magic bytes); then the person's other photo files and
///   `.none` marker are removed. A delete writes the marker first, then removes the photo files.
///   Readers see the old photo or the new one, whole. Writers take an exclusive lock on
///   `DIR/.person-image.lock`, so writers in several processes take turns.
/// * **Metadata** ([`PhotoMetadata`]). A sidecar `DIR/<id>.meta` names the version it was written
///   for and is read only while the photo has that version; it is written (staged and renamed)
///   under the write lock after checking the version, and removed by a replace or a delete.
///
/// ```no_run
/// use person_image::PersonId;
/// use person_image::store::{Directory, ImageStore, Lookup};
///
/// let store = Directory::new("/srv/photos").with_max_bytes(10 * 1024 * 1024);
/// match store.lookup(PersonId(7))? {
///     Lookup::Found(info) => println!("{} bytes, version {}", info.len, info.version),
///     Lookup::NoImage => println!("no photo"),
///     Lookup::NoSuchPerson => println!("no such person"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Directory {
    root: PathBuf,
    max_bytes: u64,
}

impl Directory {
    /// A store over `root`, with the default size cap of 50 MiB per photo.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Directory {
            root: root.into(),
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// Refuses photo files larger than `max_bytes` with [`Error::LimitExceeded`]
    /// (`limit: person_image::LimitKind::SourceBytes`).
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The directory this store reads.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The size cap per photo file, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The path of `person`'s file with extension `ext`; built from the integer id alone.
    fn file(&self, person: PersonId, ext: &str) -> PathBuf {
        self.root.join(format!("{}.{ext}", person.get()))
    }

    /// The first existing photo file of `person`: its path, declared MIME type and metadata.
    fn find_photo(&self, person: PersonId) -> Result<Option<(PathBuf, &'static str, Metadata)>> {
        for (ext, mime) in EXTENSIONS {
            for ext in [ext.to_owned(), ext.to_ascii_uppercase()] {
                let path = self.file(person, &ext);
                if let Some(metadata) = probe(&path)? {
                    return Ok(Some((path, mime, metadata)));
                }
            }
        }
        Ok(None)
    }

    /// `person`'s photo file opened, when it is the version `info` describes: its path, the open
    /// handle and its length. The version is taken from the open handle, so the bytes read from
    /// it are that file's even if another one is renamed into its place meanwhile.
    fn open_version(
        &self,
        person: PersonId,
        info: &ImageInfo,
    ) -> Result<Option<(PathBuf, File, u64)>> {
        let Some((path, _, _)) = self.find_photo(person)? else {
            return Ok(None);
        };
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(store_error(&path, error)),
        };
        let metadata = file.metadata().map_err(|e| store_error(&path, e))?;
        if !metadata.is_file() || version_of(&metadata) != info.version {
            return Ok(None);
        }
        Ok(Some((path, file, metadata.len())))
    }

    /// Whether `person` has a `.none` marker.
    fn has_marker(&self, person: PersonId) -> Result<bool> {
        for ext in [
            NO_IMAGE_MARKER.to_owned(),
            NO_IMAGE_MARKER.to_ascii_uppercase(),
        ] {
            if probe(&self.file(person, &ext))?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The photo's metadata, refused when it is no regular file or is over the cap.
    fn info(&self, path: &Path, mime: &str, metadata: &Metadata) -> Result<ImageInfo> {
        if !metadata.is_file() {
            return Err(not_a_file(path));
        }
        if metadata.len() > self.max_bytes {
            return Err(super::source_too_large(self.max_bytes, metadata.len()));
        }
        Ok(ImageInfo {
            version: version_of(metadata),
            len: metadata.len(),
            declared_mime: Some(mime.to_owned()),
            modified: metadata.modified().ok(),
        })
    }
}

impl Directory {
    /// Every existing photo file of `person`, in lookup order.
    fn photo_files(&self, person: PersonId) -> Result<Vec<(PathBuf, Metadata)>> {
        let mut found = Vec::new();
        for (ext, _) in EXTENSIONS {
            for ext in [ext.to_owned(), ext.to_ascii_uppercase()] {
                let path = self.file(person, &ext);
                if let Some(metadata) = probe(&path)? {
                    found.push((path, metadata));
                }
            }
        }
        Ok(found)
    }

    /// Holds the directory's write lock (released when the file is dropped).
    fn write_lock(&self) -> Result<File> {
        let path = self.root.join(".person-image.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| write_error(&path, e))?;
        file.lock().map_err(|e| write_error(&path, e))?;
        Ok(file)
    }

    /// Writes `bytes` to a fresh temporary file next to the photos, synced, with modification
    /// time `modified`.
    fn stage(&self, person: PersonId, bytes: &[u8], modified: SystemTime) -> Result<PathBuf> {
        static STAGED: AtomicU64 = AtomicU64::new(0);
        let path = self.root.join(format!(
            ".{}.{}-{}.tmp",
            person.get(),
            std::process::id(),
            STAGED.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            file.write_all(bytes)?;
            file.set_modified(modified)?;
            file.sync_all()
        })();
        if let Err(error) = written {
            let _ = std::fs::remove_file(&path);
            return Err(write_error(&path, error));
        }
        Ok(path)
    }

    /// Removes `path` if it exists.
    fn remove(&self, path: &Path) -> Result<()> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(write_error(path, error)),
        }
    }

    /// Makes renames and removals durable: the directory's own entry list is synced.
    fn sync_root(&self) -> Result<()> {
        File::open(&self.root)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| write_error(&self.root, e))
    }
}

impl WritableStore for Directory {
    fn replace(
        &self,
        person: PersonId,
        bytes: Bytes,
        declared_mime: Option<&str>,
    ) -> Result<Replaced> {
        let ext = extension_for(&bytes, declared_mime).ok_or_else(|| Error::UnsupportedFormat {
            reason: "the photo is not JPEG, PNG, GIF, TIFF, BMP or WebP".to_owned(),
        })?;
        let _lock = self.write_lock()?;
        let old = self.photo_files(person)?;
        if old.is_empty() && !self.has_marker(person)? {
            return Ok(Replaced::NoSuchPerson);
        }
        // A modification time later than any old photo's keeps versions from repeating even when
        // a freed inode number is reused within the file system's timestamp granularity.
        let newest = old
            .iter()
            .filter_map(|(_, metadata)| metadata.modified().ok())
            .max();
        let now = SystemTime::now();
        let modified = match newest {
            Some(newest) if newest >= now => newest + Duration::from_micros(1),
            _ => now,
        };
        let staged = self.stage(person, &bytes, modified)?;
        let target = self.file(person, ext);
        if let Err(error) = std::fs::rename(&staged, &target) {
            let _ = std::fs::remove_file(&staged);
            return Err(write_error(&target, error));
        }
        for (path, _) in old.iter().filter(|(path, _)| *path != target) {
            self.remove(path)?;
        }
        for ext in [
            NO_IMAGE_MARKER.to_owned(),
            NO_IMAGE_MARKER.to_ascii_uppercase(),
        ] {
            self.remove(&self.file(person, &ext))?;
        }
        self.remove(&self.file(person, METADATA_SIDECAR))?;
        self.sync_root()?;
        match self.lookup(person)? {
            Lookup::Found(info) => Ok(Replaced::Stored(info)),
            other => Err(Error::store(
                format!("writing the photo of person {person}"),
                format!("the photo is gone right after the write: {other:?}"),
            )),
        }
    }

    fn delete(&self, person: PersonId) -> Result<Deleted> {
        let _lock = self.write_lock()?;
        let photos = self.photo_files(person)?;
        if photos.is_empty() {
            return Ok(match self.has_marker(person)? {
                true => Deleted::HadNoImage,
                false => Deleted::NoSuchPerson,
            });
        }
        // The marker first: a reader sees the photo until it is removed, then "no photo".
        let marker = self.file(person, NO_IMAGE_MARKER);
        File::create(&marker)
            .and_then(|file| file.sync_all())
            .map_err(|e| write_error(&marker, e))?;
        for (path, _) in &photos {
            self.remove(path)?;
        }
        self.remove(&self.file(person, METADATA_SIDECAR))?;
        self.sync_root()?;
        Ok(Deleted::Removed)
    }

    fn set_metadata(
        &self,
        person: PersonId,
        version: &str,
        metadata: Option<&PhotoMetadata>,
    ) -> Result<MetadataWritten> {
        let _lock = self.write_lock()?;
        match self.lookup(person)? {
            Lookup::Found(info) if info.version == version => {}
            Lookup::NoSuchPerson => return Ok(MetadataWritten::NoSuchPerson),
            Lookup::Found(_) | Lookup::NoImage => return Ok(MetadataWritten::Changed),
        }
        let sidecar = self.file(person, METADATA_SIDECAR);
        match metadata.filter(|metadata| !metadata.is_empty()) {
            Some(metadata) => {
                let staged = self.stage(
                    person,
                    &encode_sidecar(version, metadata),
                    SystemTime::now(),
                )?;
                if let Err(error) = std::fs::rename(&staged, &sidecar) {
                    let _ = std::fs::remove_file(&staged);
                    return Err(write_error(&sidecar, error));
                }
            }
            None => self.remove(&sidecar)?,
        }
        self.sync_root()?;
        Ok(MetadataWritten::Stored)
    }
}

/// The lower-case extension a photo is stored under: from its magic bytes, else from its
/// declared type.
pub(super) fn extension_for(bytes: &[u8], declared_mime: Option<&str>) -> Option<&'static str> {
    let from_magic = ImageFormat::sniff(bytes).map(|format| match format {
        ImageFormat::Jpeg => "jpg",
        ImageFormat::Png => "png",
        ImageFormat::Gif => "gif",
        ImageFormat::Tiff => "tif",
        ImageFormat::Bmp => "bmp",
        ImageFormat::WebP => "webp",
    });
    from_magic.or_else(|| {
        let declared = declared_mime?;
        EXTENSIONS
            .iter()
            .find(|(_, mime)| declared.eq_ignore_ascii_case(mime))
            .map(|(ext, _)| *ext)
    })
}

fn write_error(path: &Path, error: io::Error) -> Error {
    Error::store(format!("writing {}", path.display()), error)
}

impl ImageStore for Directory {
    fn lookup(&self, person: PersonId) -> Result<Lookup> {
        if let Some((path, mime, metadata)) = self.find_photo(person)? {
            return self.info(&path, mime, &metadata).map(Lookup::Found);
        }
        if self.has_marker(person)? {
            return Ok(Lookup::NoImage);
        }
        Ok(Lookup::NoSuchPerson)
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> Result<Fetch> {
        let Some((path, mut file, len)) = self.open_version(person, info)? else {
            return Ok(Fetch::Changed);
        };
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        // `take` bounds the read should the file grow while being read (an in-place writer).
        (&mut file)
            .take(len.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| store_error(&path, e))?;
        if bytes.len() as u64 != len {
            return Ok(Fetch::Changed);
        }
        Ok(Fetch::Current(Bytes::from(bytes)))
    }

    fn open(&self, person: PersonId, info: &ImageInfo) -> Result<Opened> {
        Ok(match self.open_version(person, info)? {
            Some((_, file, len)) => Opened::Reading(PhotoReader::new(file, len)),
            None => Opened::Changed,
        })
    }

    fn metadata(&self, person: PersonId, info: &ImageInfo) -> Result<Option<PhotoMetadata>> {
        let sidecar = self.file(person, METADATA_SIDECAR);
        match std::fs::read(&sidecar) {
            Ok(bytes) => Ok(decode_sidecar(&bytes, &info.version)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(store_error(&sidecar, error)),
        }
    }
}

/// The version of a file, from its metadata alone (see [`Directory`]).
#[cfg(unix)]
fn version_of(metadata: &Metadata) -> String {
    use std::os::unix::fs::MetadataExt;
    let nanos = |seconds: i64, nanos: i64| i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
    format!(
        "{:x}-{}-{}-{}",
        metadata.ino(),
        metadata.len(),
        nanos(metadata.mtime(), metadata.mtime_nsec()),
        nanos(metadata.ctime(), metadata.ctime_nsec())
    )
}

/// The version of a file, from its metadata alone (see [`Directory`]).
#[cfg(not(unix))]
fn version_of(metadata: &Metadata) -> String {
    let modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |since| since.as_nanos());
    format!("{}-{modified}", metadata.len())
}

/// The metadata of `path`, `None` when it does not exist, an error for any other failure.
fn probe(path: &Path) -> Result<Option<Metadata>> {
    match std::fs::metadata(path) {
        Ok(metadata) => Ok(Some(metadata)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(store_error(path, error)),
    }
}

fn store_error(path: &Path, error: io::Error) -> Error {
    Error::store(format!("reading {}", path.display()), error)
}

fn not_a_file(path: &Path) -> Error {
    Error::store(
        format!("reading {}", path.display()),
        "it is not a regular file",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_built_from_the_integer_id_only() {
        let store = Directory::new("/photos");
        assert_eq!(
            store.file(PersonId(-12), "jpg"),
            Path::new("/photos/-12.jpg")
        );
        assert_eq!(
            store.file(PersonId(i32::MIN), "none"),
            Path::new("/photos/-2147483648.none")
        );
    }

    #[test]
    fn a_missing_directory_means_no_such_person() {
        let store = Directory::new("/nonexistent/person-image-test-dir");
        assert!(matches!(
            store.lookup(PersonId(1)),
            Ok(Lookup::NoSuchPerson)
        ));
    }
}
