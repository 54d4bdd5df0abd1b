//! A SQLite-backed [`ImageStore`](super::ImageStore) shaped like the CRM's database (feature
//! `sqlite`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::{
    focal_from_text, focal_to_text, Deleted, Fetch, ImageInfo, ImageStore, Lookup, MetadataWritten,
    PhotoMetadata, Replaced, WritableStore, DEFAULT_MAX_BYTES,
};
use crate::person_id::PersonId;
use crate::{Error, Result};

/// How long a connection waits for another connection's lock before failing with "busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How many idle connections the pool keeps; more are opened under load and closed on return.
const MAX_IDLE: usize = 8;

/// The schema [`Sqlite::create_schema`] creates. `AUTOINCREMENT` keeps a removed blob's id
/// from being reused: a new photo under an old id would restart at version 1 and repeat an ETag
/// that caches already hold for different bytes.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS person (
    person_id INTEGER PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS binary_object (
    blob_id INTEGER PRIMARY KEY AUTOINCREMENT,
    mime_type TEXT,
    original_size INTEGER NOT NULL,
    content BLOB NOT NULL,
    modified INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS binary_object_link (
    person_id INTEGER NOT NULL REFERENCES person (person_id) ON DELETE CASCADE,
    blob_id INTEGER NOT NULL REFERENCES binary_object (blob_id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (person_id, role)
);
CREATE INDEX IF NOT EXISTS binary_object_link_blob ON binary_object_link (blob_id);
";

/// The column holding a photo's focal point ([`PhotoMetadata`]) on its blob row, added to a
/// database made before it by [`Sqlite::create_schema`] or the first [`WritableStore::set_metadata`].
/// A replacement (which updates the row, version one higher) clears it.
const FOCAL_POINT_COLUMN: &str = "person_image_focal_point";

/// The photo's metadata: everything but the content, read first so the size is checked before
/// the blob is. `length()` of a BLOB comes from the record header, without loading the content.
const LOOKUP_SQL: &str = "
SELECT l.blob_id, b.blob_id, b.mime_type, length(b.content), b.modified, coalesce(b.version, 0)
FROM person AS p
LEFT JOIN binary_object_link AS l ON l.person_id = p.person_id AND l.role = ?2
LEFT JOIN binary_object AS b ON b.blob_id = l.blob_id
WHERE p.person_id = ?1";

/// The content of the blob a person's photo link points to, only while the link still points to
/// that blob and the blob still has the version looked up: anything else is [`Fetch::Changed`].
const FETCH_SQL: &str = "
SELECT b.content
FROM binary_object_link AS l
JOIN binary_object AS b ON b.blob_id = l.blob_id
WHERE l.person_id = ?1 AND l.role = ?2 AND b.blob_id = ?3 AND coalesce(b.version, 0) = ?4";

// The import reads the same layout as `Directory`: same extensions, same marker.
use super::directory::{EXTENSIONS, NO_IMAGE_MARKER};

/// Photos in a SQLite database laid out like the CRM's: a `person` table, a `binary_object`
/// table holding the bytes, and a `binary_object_link` table joining them under a role.
///
/// ```text
/// person             (person_id INTEGER PRIMARY KEY)
/// binary_object      (blob_id INTEGER PRIMARY KEY, mime_type TEXT, original_size INTEGER,
///                     content BLOB, modified INTEGER -- unix ms, version INTEGER)
/// binary_object_link (person_id, blob_id, role TEXT)  -- role 'person-image'
/// ```
///
/// * **Lookup.** No `person` row is [`Lookup::NoSuchPerson`]; a person without a
///   [`Sqlite::ROLE`] link is [`Lookup::NoImage`]; a link to a missing blob, a missing table
///   or any SQL failure is [`Error::Store`] (500), never "no image".
/// * **Version.** `"<blob_id>-<version>"`: [`Sqlite::set_image`] keeps the blob's id and
///   bumps its `version`, so the tag changes whenever the photo does.
/// * **Modified.** The `modified` column (unix milliseconds), when not `NULL`.
/// * **Declared MIME type.** The `mime_type` column, when it parses as a MIME type; the magic
///   bytes still decide (SPEC §3).
/// * **Size.** A blob whose `length(content)` is over [`Sqlite::with_max_bytes`] (default
///   50 MiB) is refused with [`Error::LimitExceeded`] before its content is read. The
///   `original_size` column is written but not trusted: the length is what would be read.
/// * **Threads.** Connections are pooled: each lookup or fetch takes an idle connection (or opens
///   one when none is idle) and gives it back afterwards, up to 8 kept idle, so calls from many
///   threads run in parallel without a lock held across a query. Each connection waits up to 5 s for a lock
///   held by a writer before failing with [`Error::Store`].
/// * **In memory.** [`Sqlite::open_in_memory`] uses SQLite's `memdb` VFS under a unique
///   name, which all of the store's connections share with ordinary database locking (unlike a
///   shared-cache database, whose table locks fail at once instead of waiting). The store keeps
///   one connection open for its lifetime, since the database is dropped with its last one.
///
/// ```
/// use person_image::PersonId;
/// use person_image::store::{ImageStore, Lookup, Sqlite};
///
/// let store = Sqlite::open_in_memory()?;
/// store.create_schema()?;
/// store.set_image(PersonId(7), b"\xFF\xD8\xFF", Some("image/jpeg"))?;
/// store.add_person(PersonId(8))?;
/// assert!(matches!(store.lookup(PersonId(7))?, Lookup::Found(_)));
/// assert_eq!(store.lookup(PersonId(8))?, Lookup::NoImage);
/// assert_eq!(store.lookup(PersonId(9))?, Lookup::NoSuchPerson);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Sqlite {
    target: Target,
    idle: Mutex<Vec<Connection>>,
    max_bytes: u64,
    /// Keeps an in-memory database alive; `None` for a file.
    _keepalive: Option<Mutex<Connection>>,
}

/// Where the connections go.
#[derive(Debug, Clone)]
enum Target {
    File(PathBuf),
    /// A `file:/<name>?vfs=memdb` URI.
    Memory(String),
}

/// What [`Sqlite::import_directory`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportSummary {
    /// Persons imported with their photo, in ascending id order.
    pub with_image: Vec<PersonId>,
    /// Persons imported without a photo (a `<id>.none` marker only), in ascending id order.
    pub without_image: Vec<PersonId>,
    /// Files that are not `<id>.<photo extension>` or `<id>.none`, and were left alone.
    pub skipped: Vec<PathBuf>,
}

impl Sqlite {
    /// The link role under which a person's photo is stored.
    pub const ROLE: &'static str = "person-image";

    /// Opens (creating it if missing) the database file at `path`.
    ///
    /// Nothing is written: call [`Sqlite::create_schema`] for a new database. One connection
    /// is opened now, so a path that cannot be opened fails here rather than on the first lookup.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Sqlite::with_target(Target::File(path.as_ref().to_owned()), false)
    }

    /// A new, empty in-memory database, private to this store and dropped with it.
    ///
    /// Call [`Sqlite::create_schema`] before use.
    pub fn open_in_memory() -> Result<Self> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let uri = format!(
            "file:/person-image-{}-{}?vfs=memdb",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        Sqlite::with_target(Target::Memory(uri), true)
    }

    fn with_target(target: Target, keepalive: bool) -> Result<Self> {
        let first = connect(&target)?;
        let (idle, keepalive) = if keepalive {
            (Vec::new(), Some(Mutex::new(first)))
        } else {
            (vec![first], None)
        };
        Ok(Sqlite {
            target,
            idle: Mutex::new(idle),
            max_bytes: DEFAULT_MAX_BYTES,
            _keepalive: keepalive,
        })
    }

    /// Refuses photos larger than `max_bytes` with [`Error::LimitExceeded`]
    /// (`limit: person_image::LimitKind::SourceBytes`).
    #[must_use]
    pub fn with_max_bytes(mut self, max_bytes: u64) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// The size cap per photo, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        match &self.target {
            Target::File(path) => Some(path),
            Target::Memory(_) => None,
        }
    }

    /// Creates the three tables and the link index unless they exist; safe to call every start.
    pub fn create_schema(&self) -> Result<()> {
        self.with_connection(|conn| {
            conn.execute_batch(SCHEMA).map_err(sql_error)?;
            add_focal_point_column(conn)
        })
    }

    /// Adds `person` without a photo; does nothing if they exist already.
    pub fn add_person(&self, person: PersonId) -> Result<()> {
        self.with_connection(|conn| insert_person(conn, person))
    }

    /// Stores `bytes` as `person`'s photo, adding the person if needed.
    ///
    /// A photo that exists is replaced in place: same blob id, `version` one higher. `modified`
    /// is now, `original_size` the length of `bytes`, `mime_type` the given `mime` (`None` leaves
    /// it to the magic bytes).
    pub fn set_image(&self, person: PersonId, bytes: &[u8], mime: Option<&str>) -> Result<()> {
        self.write(|tx| write_image(tx, person, bytes, mime))
    }

    /// Removes `person`'s photo (the link, and the blob unless another link uses it); the person
    /// stays, without a photo. Returns whether there was a photo.
    pub fn remove_image(&self, person: PersonId) -> Result<bool> {
        self.write(|tx| delete_image(tx, person))
    }

    /// Imports a directory laid out like [`Directory`](super::Directory)'s:
    /// `<id>.<ext>` is a photo (`jpg`, `jpeg`, `png`, `gif`, `tif`, `tiff`, `bmp`, `webp`, any
    /// case; the MIME type declared from the extension) and `<id>.none` a person without one.
    ///
    /// Creates the schema if needed, then writes everything in one transaction: all or nothing.
    /// Photos replace those stored (new version), a `.none` person loses their stored photo, and
    /// persons not in the directory are left alone. When a person has several files, the
    /// extension first in the list above wins, and a photo wins over `.none`, as in
    /// `Directory`. A photo over [`Sqlite::max_bytes`] fails the import with
    /// [`Error::LimitExceeded`]; unreadable files fail it with [`Error::Store`].
    pub fn import_directory(&self, dir: impl AsRef<Path>) -> Result<ImportSummary> {
        let dir = dir.as_ref();
        let mut summary = ImportSummary::default();
        // person -> (rank, path, mime); rank is the index in EXTENSIONS, `.none` ranks last.
        let mut chosen: std::collections::BTreeMap<PersonId, (usize, PathBuf, Option<&str>)> =
            std::collections::BTreeMap::new();
        let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, e))?;
        for entry in entries {
            let path = entry.map_err(|e| io_error(dir, e))?.path();
            let Some((person, rank, mime)) = classify(&path) else {
                summary.skipped.push(path);
                continue;
            };
            match chosen.get(&person) {
                Some((best, ..)) if *best <= rank => {}
                _ => {
                    chosen.insert(person, (rank, path, mime));
                }
            }
        }
        summary.skipped.sort();

        self.create_schema()?;
        // One photo in memory at a time: each is read inside the transaction and written at once.
        self.write(|tx| {
            for (person, (_, path, mime)) in &chosen {
                match mime {
                    Some(mime) => {
                        write_image(tx, *person, &self.read_file(path)?, Some(mime))?;
                        summary.with_image.push(*person);
                    }
                    None => {
                        insert_person(tx, *person)?;
                        delete_image(tx, *person)?;
                        summary.without_image.push(*person);
                    }
                }
            }
            Ok(())
        })?;
        Ok(summary)
    }

    /// Reads a photo file for import, refusing it before reading when it is over the cap.
    fn read_file(&self, path: &Path) -> Result<Vec<u8>> {
        let len = std::fs::metadata(path)
            .map_err(|e| io_error(path, e))?
            .len();
        if len > self.max_bytes {
            return Err(super::source_too_large(self.max_bytes, len));
        }
        std::fs::read(path).map_err(|e| io_error(path, e))
    }

    /// Runs `work` on a pooled connection: an idle one, or a new one when all are busy.
    fn with_connection<T>(&self, work: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        // The lock only guards pushing and popping the vector, so a poisoned one is still sound.
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut conn = match idle {
            Some(conn) => conn,
            None => connect(&self.target)?,
        };
        let result = work(&mut conn);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
        result
    }

    /// Runs `work` in a write transaction, committed when it succeeds and rolled back otherwise.
    fn write<T>(&self, work: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.with_connection(|conn| {
            // IMMEDIATE takes the write lock up front: a deferred transaction that reads first
            // could deadlock against another writer instead of waiting for it.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sql_error)?;
            let value = work(&tx)?;
            tx.commit().map_err(sql_error)?;
            Ok(value)
        })
    }

    /// The focal point kept in the row of `person`'s photo at `info`'s version, on `conn`.
    fn metadata_in(
        &self,
        conn: &Connection,
        person: PersonId,
        info: &ImageInfo,
    ) -> Result<Option<PhotoMetadata>> {
        let Some((blob_id, version)) = blob_version(&info.version) else {
            return Ok(None);
        };
        if !has_focal_point_column(conn)? {
            return Ok(None);
        }
        let text: Option<Option<String>> = conn
            .prepare_cached(&format!(
                "SELECT b.{FOCAL_POINT_COLUMN} FROM binary_object_link AS l \
                     JOIN binary_object AS b ON b.blob_id = l.blob_id \
                     WHERE l.person_id = ?1 AND l.role = ?2 AND b.blob_id = ?3 \
                     AND coalesce(b.version, 0) = ?4"
            ))
            .and_then(|mut statement| {
                statement
                    .query_row(
                        params![person.get(), Sqlite::ROLE, blob_id, version],
                        |row| row.get(0),
                    )
                    .optional()
            })
            .map_err(sql_error)?;
        Ok(text
            .flatten()
            .and_then(|text| focal_from_text(&text))
            .map(|point| PhotoMetadata::with_focal_point(Some(point))))
    }

    fn lookup_in(&self, conn: &Connection, person: PersonId) -> Result<Lookup> {
        let row = conn
            .prepare_cached(LOOKUP_SQL)
            .and_then(|mut statement| {
                statement
                    .query_row(params![person.get(), Sqlite::ROLE], |row| {
                        Ok(Row {
                            linked: row.get(0)?,
                            blob_id: row.get(1)?,
                            mime: row.get(2)?,
                            len: row.get(3)?,
                            modified: row.get(4)?,
                            version: row.get(5)?,
                        })
                    })
                    .optional()
            })
            .map_err(sql_error)?;
        let Some(row) = row else {
            return Ok(Lookup::NoSuchPerson);
        };
        let (Some(_), Some(blob_id)) = (row.linked, row.blob_id) else {
            return match row.linked {
                None => Ok(Lookup::NoImage),
                Some(linked) => Err(Error::store(
                    format!("reading the photo of person {person}"),
                    format!("its link points to blob {linked}, which does not exist"),
                )),
            };
        };
        let Some(len) = row.len else {
            return Err(Error::store(
                format!("reading the photo of person {person}"),
                format!("blob {blob_id} has no content"),
            ));
        };
        let len = u64::try_from(len).unwrap_or(0);
        if len > self.max_bytes {
            return Err(super::source_too_large(self.max_bytes, len));
        }
        Ok(Lookup::Found(ImageInfo {
            version: format!("{blob_id}-{}", row.version),
            len,
            declared_mime: row
                .mime
                .filter(|declared| declared.parse::<mime::Mime>().is_ok()),
            modified: row.modified.and_then(from_unix_millis),
        }))
    }

    fn fetch_in(&self, conn: &mut Connection, person: PersonId, info: &ImageInfo) -> Result<Fetch> {
        // A version this store did not write cannot be current.
        let Some((blob_id, version)) = info.version.split_once('-').and_then(|(blob, version)| {
            Some((blob.parse::<i64>().ok()?, version.parse::<i64>().ok()?))
        }) else {
            return Ok(Fetch::Changed);
        };
        let bytes = conn
            .prepare_cached(FETCH_SQL)
            .and_then(|mut statement| {
                statement
                    .query_row(
                        params![person.get(), Sqlite::ROLE, blob_id, version],
                        |row| Ok(Bytes::copy_from_slice(row.get_ref(0)?.as_blob()?)),
                    )
                    .optional()
            })
            .map_err(sql_error)?;
        Ok(bytes.map_or(Fetch::Changed, Fetch::Current))
    }
}

/// Writes in one transaction each: a replacement updates the photo's blob in place with its
/// `version` one higher (or starts a new blob, whose id is never reused), a delete removes the
/// link and the blob; anything that fails (the size cap included) rolls back.
impl WritableStore for Sqlite {
    fn replace(
        &self,
        person: PersonId,
        bytes: Bytes,
        declared_mime: Option<&str>,
    ) -> Result<Replaced> {
        self.write(|tx| {
            if !person_exists(tx, person)? {
                return Ok(Replaced::NoSuchPerson);
            }
            write_image(tx, person, &bytes, declared_mime)?;
            match self.lookup_in(tx, person)? {
                Lookup::Found(info) => Ok(Replaced::Stored(info)),
                other => Err(Error::store(
                    format!("writing the photo of person {person}"),
                    format!("the photo is gone inside its own transaction: {other:?}"),
                )),
            }
        })
    }

    fn delete(&self, person: PersonId) -> Result<Deleted> {
        self.write(|tx| {
            if !person_exists(tx, person)? {
                return Ok(Deleted::NoSuchPerson);
            }
            Ok(match delete_image(tx, person)? {
                true => Deleted::Removed,
                false => Deleted::HadNoImage,
            })
        })
    }

    fn set_metadata(
        &self,
        person: PersonId,
        version: &str,
        metadata: Option<&PhotoMetadata>,
    ) -> Result<MetadataWritten> {
        self.write(|tx| {
            if !person_exists(tx, person)? {
                return Ok(MetadataWritten::NoSuchPerson);
            }
            let Some((blob_id, row_version)) = blob_version(version) else {
                return Ok(MetadataWritten::Changed);
            };
            add_focal_point_column(tx)?;
            let text = metadata
                .and_then(|metadata| metadata.focal_point)
                .map(focal_to_text);
            let updated = tx
                .execute(
                    &format!(
                        "UPDATE binary_object SET {FOCAL_POINT_COLUMN} = ?5 WHERE blob_id = ?3 \
                         AND coalesce(version, 0) = ?4 AND EXISTS (SELECT 1 FROM \
                         binary_object_link WHERE person_id = ?1 AND role = ?2 AND blob_id = ?3)"
                    ),
                    params![person.get(), Sqlite::ROLE, blob_id, row_version, text],
                )
                .map_err(sql_error)?;
            Ok(match updated {
                0 => MetadataWritten::Changed,
                _ => MetadataWritten::Stored,
            })
        })
    }
}

/// Whether `person` has a row.
fn person_exists(conn: &Connection, person: PersonId) -> Result<bool> {
    conn.prepare_cached("SELECT 1 FROM person WHERE person_id = ?1")
        .and_then(|mut statement| statement.exists([person.get()]))
        .map_err(sql_error)
}

impl ImageStore for Sqlite {
    fn lookup(&self, person: PersonId) -> Result<Lookup> {
        self.with_connection(|conn| self.lookup_in(conn, person))
    }

    fn fetch(&self, person: PersonId, info: &ImageInfo) -> Result<Fetch> {
        self.with_connection(|conn| self.fetch_in(conn, person, info))
    }

    fn metadata(&self, person: PersonId, info: &ImageInfo) -> Result<Option<PhotoMetadata>> {
        self.with_connection(|conn| self.metadata_in(conn, person, info))
    }

    /// One connection, two indexed queries: the row, then its focal point column.
    fn lookup_with_metadata(&self, person: PersonId) -> Result<(Lookup, Option<PhotoMetadata>)> {
        self.with_connection(|conn| {
            let found = self.lookup_in(conn, person)?;
            let metadata = match &found {
                Lookup::Found(info) => self.metadata_in(conn, person, info)?,
                Lookup::NoImage | Lookup::NoSuchPerson => None,
            };
            Ok((found, metadata))
        })
    }
}

/// The blob id and row version a version string of this store names.
fn blob_version(version: &str) -> Option<(i64, i64)> {
    let (blob, version) = version.split_once('-')?;
    Some((blob.parse().ok()?, version.parse().ok()?))
}

/// Whether the blob table has the focal point column (a database made before it has not).
fn has_focal_point_column(conn: &Connection) -> Result<bool> {
    conn.prepare_cached("SELECT 1 FROM pragma_table_info('binary_object') WHERE name = ?1")
        .and_then(|mut statement| statement.exists([FOCAL_POINT_COLUMN]))
        .map_err(sql_error)
}

/// Adds the focal point column to the blob table unless it is there.
fn add_focal_point_column(conn: &Connection) -> Result<()> {
    if has_focal_point_column(conn)? {
        return Ok(());
    }
    conn.execute_batch(&format!(
        "ALTER TABLE binary_object ADD COLUMN {FOCAL_POINT_COLUMN} TEXT"
    ))
    .map_err(sql_error)
}

impl fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let idle = self.idle.lock().map_or(0, |idle| idle.len());
        f.debug_struct("Sqlite")
            .field("target", &self.target)
            .field("idle_connections", &idle)
            .field("max_bytes", &self.max_bytes)
            .finish()
    }
}

/// The lookup query's columns; `linked` is the link's blob id, `blob_id` the blob's own.
struct Row {
    linked: Option<i64>,
    blob_id: Option<i64>,
    mime: Option<String>,
    len: Option<i64>,
    modified: Option<i64>,
    version: i64,
}

/// Opens and configures one connection to `target`.
fn connect(target: &Target) -> Result<Connection> {
    let conn = match target {
        Target::File(path) => Connection::open(path),
        Target::Memory(uri) => Connection::open(uri),
    }
    .map_err(sql_error)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(sql_error)?;
    // SQLite's own default is off (rusqlite's bundled build turns it on): set it either way, so
    // removing a person or a blob also removes their links, whichever SQLite is linked.
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(sql_error)?;
    Ok(conn)
}

fn insert_person(conn: &Connection, person: PersonId) -> Result<()> {
    conn.prepare_cached("INSERT OR IGNORE INTO person (person_id) VALUES (?1)")
        .and_then(|mut statement| statement.execute([person.get()]))
        .map(drop)
        .map_err(sql_error)
}

fn write_image(
    tx: &Transaction<'_>,
    person: PersonId,
    bytes: &[u8],
    mime: Option<&str>,
) -> Result<()> {
    insert_person(tx, person)?;
    let size = i64::try_from(bytes.len())
        .map_err(|_| Error::store("importing a photo", "it is too large for SQLite"))?;
    let now = unix_millis(SystemTime::now());
    let existing: Option<i64> = tx
        .query_row(
            "SELECT blob_id FROM binary_object_link WHERE person_id = ?1 AND role = ?2",
            params![person.get(), Sqlite::ROLE],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql_error)?;
    let updated = match existing {
        Some(blob_id) => tx
            .execute(
                "UPDATE binary_object SET mime_type = ?2, original_size = ?3, content = ?4, \
                 modified = ?5, version = coalesce(version, 0) + 1 WHERE blob_id = ?1",
                params![blob_id, mime, size, bytes, now],
            )
            .map_err(sql_error)?,
        None => 0,
    };
    if updated > 0 && has_focal_point_column(tx)? {
        tx.execute(
            &format!("UPDATE binary_object SET {FOCAL_POINT_COLUMN} = NULL WHERE blob_id = ?1"),
            [existing],
        )
        .map_err(sql_error)?;
    }
    if updated == 0 {
        // No photo yet, or a link to a blob that is gone: start a new blob.
        tx.execute(
            "INSERT INTO binary_object (mime_type, original_size, content, modified, version) \
             VALUES (?1, ?2, ?3, ?4, 1)",
            params![mime, size, bytes, now],
        )
        .map_err(sql_error)?;
        tx.execute(
            "INSERT OR REPLACE INTO binary_object_link (person_id, blob_id, role) \
             VALUES (?1, ?2, ?3)",
            params![person.get(), tx.last_insert_rowid(), Sqlite::ROLE],
        )
        .map_err(sql_error)?;
    }
    Ok(())
}

fn delete_image(tx: &Transaction<'_>, person: PersonId) -> Result<bool> {
    let blob_id: Option<i64> = tx
        .query_row(
            "DELETE FROM binary_object_link WHERE person_id = ?1 AND role = ?2 RETURNING blob_id",
            params![person.get(), Sqlite::ROLE],
            |row| row.get(0),
        )
        .optional()
        .map_err(sql_error)?;
    let Some(blob_id) = blob_id else {
        return Ok(false);
    };
    tx.execute(
        "DELETE FROM binary_object WHERE blob_id = ?1 \
         AND NOT EXISTS (SELECT 1 FROM binary_object_link WHERE blob_id = ?1)",
        [blob_id],
    )
    .map_err(sql_error)?;
    Ok(true)
}

/// The person, the rank (index in [`EXTENSIONS`], `.none` after them) and the declared MIME type
/// (`None` for `.none`) of an importable file name.
fn classify(path: &Path) -> Option<(PersonId, usize, Option<&'static str>)> {
    let stem = path.file_stem()?.to_str()?;
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    // Digits and an optional `-` only: `i32::from_str` also takes a leading `+`.
    let digits = stem.strip_prefix('-').unwrap_or(stem);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let person = PersonId(stem.parse().ok()?);
    if ext == NO_IMAGE_MARKER {
        return Some((person, EXTENSIONS.len(), None));
    }
    let rank = EXTENSIONS.iter().position(|(known, _)| *known == ext)?;
    Some((person, rank, Some(EXTENSIONS[rank].1)))
}

fn unix_millis(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => i64::try_from(before.duration().as_millis()).map_or(i64::MIN, |ms| -ms),
    }
}

fn from_unix_millis(ms: i64) -> Option<SystemTime> {
    let offset = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        UNIX_EPOCH.checked_sub(offset)
    }
}

fn sql_error(error: rusqlite::Error) -> Error {
    Error::store("querying SQLite", error)
}

fn io_error(path: &Path, error: std::io::Error) -> Error {
    Error::store(format!("reading {}", path.display()), error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_made_before_metadata_gains_its_column_on_first_use() {
        let store = Sqlite::open_in_memory().unwrap();
        // The tables as a database made before metadata has them.
        store
            .with_connection(|conn| conn.execute_batch(SCHEMA).map_err(sql_error))
            .unwrap();
        store.set_image(PersonId(1), b"photo", None).unwrap();
        let Lookup::Found(info) = store.lookup(PersonId(1)).unwrap() else {
            panic!("a photo");
        };
        assert_eq!(store.metadata(PersonId(1), &info).unwrap(), None);
        let metadata = PhotoMetadata::with_focal_point(Some(crate::render::FocalPoint {
            left: 1,
            top: 2,
            width: 3,
            height: 4,
        }));
        assert_eq!(
            store
                .set_metadata(PersonId(1), &info.version, Some(&metadata))
                .unwrap(),
            MetadataWritten::Stored
        );
        assert_eq!(store.metadata(PersonId(1), &info).unwrap(), Some(metadata));
        // Creating the schema again keeps the column and what it holds.
        store.create_schema().unwrap();
        assert_eq!(store.metadata(PersonId(1), &info).unwrap(), Some(metadata));
        // A replacement (the same row, version one higher) clears it.
        store.set_image(PersonId(1), b"other photo", None).unwrap();
        let Lookup::Found(new) = store.lookup(PersonId(1)).unwrap() else {
            panic!("a photo");
        };
        assert_eq!(store.metadata(PersonId(1), &new).unwrap(), None);
        assert_eq!(
            store
                .set_metadata(PersonId(1), &info.version, Some(&metadata))
                .unwrap(),
            MetadataWritten::Changed
        );
    }

    #[test]
    fn file_names_are_classified_like_the_directory_store() {
        let rank = |name: &str| classify(Path::new(name)).map(|(p, r, m)| (p.get(), r, m));
        assert_eq!(rank("7.jpg"), Some((7, 0, Some("image/jpeg"))));
        assert_eq!(rank("7.JPG"), Some((7, 0, Some("image/jpeg"))));
        assert_eq!(rank("-3.webp"), Some((-3, 7, Some("image/webp"))));
        assert_eq!(rank("5.none"), Some((5, EXTENSIONS.len(), None)));
        for name in [
            "README.md",
            "+7.jpg",
            "7.txt",
            "-.jpg",
            "9999999999.jpg",
            "7",
            ".jpg",
        ] {
            assert_eq!(rank(name), None, "{name}");
        }
    }

    #[test]
    fn unix_millis_round_trip() {
        for ms in [0, 1, 1_700_000_000_123, -86_400_000] {
            assert_eq!(from_unix_millis(ms).map(unix_millis), Some(ms));
        }
        // Out of `SystemTime`'s range on some platforms: `None` there, never a panic.
        let _ = from_unix_millis(i64::MIN);
    }
}
