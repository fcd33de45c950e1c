//! Listings: the blobs an account holds, read from files or from the account.
//!
//! Every reader yields [`ListingEntry`] values into a caller-owned buffer
//! ([`ListingReader::read_entry`]), so reading allocates nothing per blob once
//! the buffers have grown. Formats are in [`ListingFormat`]; see SPEC §5.
//!
//! The readers are [`LinesReader`], [`JsonlReader`], [`ListBlobsReader`],
//! [`InventoryCsvReader`] and, with the `parquet` feature,
//! `InventoryParquetReader` (which needs a file, not a stream);
//! [`open_reader`] picks one by format. [`parse_line`] parses one `lines`
//! line without allocating, and [`parse_list_blobs_page`] one List Blobs
//! response held in memory.

use std::io::BufRead;
use std::path::Path;

use crate::error::{Error, ErrorKind};
use crate::snapshot::SnapshotTime;

pub mod inventory_csv;
#[cfg(feature = "parquet")]
pub mod inventory_parquet;
pub mod jsonl;
pub mod lines;
pub mod list_blobs;

pub use self::inventory_csv::InventoryCsvReader;
#[cfg(feature = "parquet")]
pub use self::inventory_parquet::InventoryParquetReader;
pub use self::jsonl::JsonlReader;
pub use self::lines::{parse_line, LineBlob, LinesReader};
pub use self::list_blobs::{parse_list_blobs_page, ListBlobsReader};

/// The format of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListingFormat {
    /// One blob a line: `PATH` or `PATH<TAB>SNAPSHOT`.
    Lines,
    /// One JSON object a line.
    Jsonl,
    /// Azure List Blobs responses (`EnumerationResults` XML pages).
    ListBlobsXml,
    /// Azure blob inventory CSV.
    InventoryCsv,
    /// Azure blob inventory Parquet.
    InventoryParquet,
}

impl ListingFormat {
    /// The format a file name implies: `.xml`, `.csv`, `.parquet`,
    /// `.jsonl`/`.ndjson`, anything else [`ListingFormat::Lines`].
    pub fn from_path(path: &Path) -> ListingFormat {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("xml") => ListingFormat::ListBlobsXml,
            Some("csv") => ListingFormat::InventoryCsv,
            Some("parquet") => ListingFormat::InventoryParquet,
            Some("jsonl" | "ndjson") => ListingFormat::Jsonl,
            _ => ListingFormat::Lines,
        }
    }
}

/// The type of a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum BlobType {
    /// A block blob.
    BlockBlob,
    /// A page blob.
    PageBlob,
    /// An append blob.
    AppendBlob,
}

/// What the export does with a listed blob, beyond matching (SPEC §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Exportability {
    /// A committed, current blob or snapshot: exported when selected.
    Exportable,
    /// An uncommitted blob: never exported.
    Uncommitted,
    /// A previous blob version: not addressable by a blob list, never exported.
    PreviousVersion,
}

/// One listed blob (or snapshot, or version), with what the listing told.
///
/// Readers reuse one entry: [`ListingEntry::clear`] resets it and keeps the
/// buffers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListingEntry {
    /// The canonical path, `/container/name`.
    pub path: String,
    /// The length of the container name in `path` (which starts at byte 1).
    pub container_len: usize,
    /// The snapshot time, for a snapshot.
    pub snapshot: Option<SnapshotTime>,
    /// The size in bytes, when known.
    pub size: Option<u64>,
    /// The blob type, when known.
    pub blob_type: Option<BlobType>,
    /// Whether the blob is leased (lease state `leased`, or `breaking`: the
    /// lease holds till the break period ends), when known.
    pub leased: Option<bool>,
    /// Whether the blob is committed, when known (`Some(false)`: uncommitted).
    pub committed: Option<bool>,
    /// The version id, when the listing has versions.
    pub version_id: Option<String>,
    /// Whether this row is the current version, when known. The service
    /// writes `IsCurrentVersion` only on the current version, so readers
    /// of its formats set `Some(false)` for a row with a version id and no
    /// such flag.
    pub is_current_version: Option<bool>,
    /// Where the entry is in its source: the line number (1-based) for
    /// line-based formats, the record number otherwise.
    pub line: u64,
}

impl ListingEntry {
    /// Resets every field, keeping the path's buffer.
    pub fn clear(&mut self) {
        self.path.clear();
        self.container_len = 0;
        self.snapshot = None;
        self.size = None;
        self.blob_type = None;
        self.leased = None;
        self.committed = None;
        self.version_id = None;
        self.is_current_version = None;
        self.line = 0;
    }

    /// The container name.
    pub fn container(&self) -> &str {
        &self.path[1..1 + self.container_len]
    }

    /// The blob name.
    pub fn name(&self) -> &str {
        &self.path[2 + self.container_len..]
    }

    /// Whether this is a leased base blob, which the export takes from a
    /// snapshot the service makes (SPEC §4). A snapshot is never leased
    /// (some listings, Azurite's among them, repeat the base blob's lease
    /// on its snapshots).
    pub fn is_leased_blob(&self) -> bool {
        self.leased == Some(true) && self.snapshot.is_none()
    }

    /// Whether the export can take this entry at all (SPEC §4).
    pub fn exportability(&self) -> Exportability {
        if self.committed == Some(false) {
            Exportability::Uncommitted
        } else if self.version_id.is_some() && self.is_current_version == Some(false) {
            Exportability::PreviousVersion
        } else {
            Exportability::Exportable
        }
    }
}

/// A source of listing entries.
pub trait ListingReader {
    /// Reads the next entry into `entry` (cleared first). Returns `Ok(false)`
    /// at the end. Errors name the source and the line or record.
    fn read_entry(&mut self, entry: &mut ListingEntry) -> Result<bool, Error>;
}

/// A reader of `input` in `format`; `source_name` (a file name, or
/// `<stdin>`) is what errors name.
///
/// Parquet cannot be read from a stream: for
/// [`ListingFormat::InventoryParquet`] this is an error that says to open
/// the file with `InventoryParquetReader::open` instead.
pub fn open_reader<'a>(
    format: ListingFormat,
    input: Box<dyn BufRead + 'a>,
    source_name: &str,
) -> Result<Box<dyn ListingReader + 'a>, Error> {
    Ok(match format {
        ListingFormat::Lines => Box::new(LinesReader::new(input, source_name)),
        ListingFormat::Jsonl => Box::new(JsonlReader::new(input, source_name)),
        ListingFormat::ListBlobsXml => Box::new(ListBlobsReader::new(input, source_name)),
        ListingFormat::InventoryCsv => Box::new(InventoryCsvReader::new(input, source_name)),
        ListingFormat::InventoryParquet => {
            let message = if cfg!(feature = "parquet") {
                "a Parquet listing must be read from a file, not a stream: \
                 give its file name instead"
            } else {
                "this build of blobsel reads no Parquet (built without the \
                 `parquet` feature): rebuild with --features parquet, or use \
                 the inventory's CSV form"
            };
            return Err(Error::new(ErrorKind::InvalidListing, message).in_source(source_name));
        }
    })
}

/// A blob type from its Azure name (any case).
pub(crate) fn parse_blob_type(text: &str) -> Result<BlobType, Error> {
    [
        ("BlockBlob", BlobType::BlockBlob),
        ("PageBlob", BlobType::PageBlob),
        ("AppendBlob", BlobType::AppendBlob),
    ]
    .into_iter()
    .find(|(name, _)| name.eq_ignore_ascii_case(text))
    .map(|(_, t)| t)
    .ok_or_else(|| {
        lines::invalid(format!(
            "unknown blob type {}: expected BlockBlob, PageBlob or AppendBlob",
            lines::quoted(text)
        ))
    })
}

/// Whether a lease state (any case) means the blob is leased: only
/// `leased` does; `available`, `breaking`, `broken` and `expired` do not.
pub(crate) fn parse_lease_state(text: &str) -> Result<bool, Error> {
    match ["leased", "available", "breaking", "broken", "expired"]
        .iter()
        .position(|s| s.eq_ignore_ascii_case(text))
    {
        // A breaking lease still locks the blob till its break period ends.
        Some(i) => Ok(i == 0 || i == 2),
        None => Err(lines::invalid(format!(
            "unknown lease state {}: expected available, leased, breaking, \
             broken or expired",
            lines::quoted(text)
        ))),
    }
}

/// `true` or `false` (any case).
pub(crate) fn parse_bool(text: &str, what: &str) -> Result<bool, Error> {
    if text.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if text.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(lines::invalid(format!(
            "{what} is {}: expected true or false",
            lines::quoted(text)
        )))
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    use std::io::BufReader;

    use super::*;

    /// Every entry of `input` read as `format`, or the first error. Reads it
    /// twice, whole and through a 1-byte buffer, and checks both agree.
    pub(crate) fn read_all(
        format: ListingFormat,
        input: &[u8],
    ) -> Result<Vec<ListingEntry>, Error> {
        let whole = collect(format, Box::new(input));
        let tiny = collect(format, Box::new(BufReader::with_capacity(1, input)));
        assert_eq!(whole, tiny, "whole and byte-by-byte reads differ");
        whole
    }

    fn collect(
        format: ListingFormat,
        input: Box<dyn BufRead + '_>,
    ) -> Result<Vec<ListingEntry>, Error> {
        let mut reader = open_reader(format, input, "test.in")?;
        let mut out = Vec::new();
        let mut entry = ListingEntry::default();
        while reader.read_entry(&mut entry)? {
            out.push(entry.clone());
        }
        assert!(!reader.read_entry(&mut entry)?, "a second end");
        Ok(out)
    }

    /// The canonical paths, with snapshot times when present.
    pub(crate) fn paths(entries: &[ListingEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e.snapshot {
                Some(s) => format!("{}@{s}", e.path),
                None => e.path.clone(),
            })
            .collect()
    }

    /// The error's kind and line.
    pub(crate) fn kind_line(e: &Error) -> (ErrorKind, u32) {
        assert_eq!(e.source_name(), Some("test.in"), "{e}");
        (e.kind(), e.position().map_or(0, |p| p.line))
    }

    #[test]
    fn parquet_needs_a_file() {
        let e = open_reader(
            ListingFormat::InventoryParquet,
            Box::new(&b""[..]),
            "<stdin>",
        )
        .err()
        .unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidListing);
        assert!(e.to_string().starts_with("<stdin>: "), "{e}");
    }

    #[test]
    fn value_helpers() {
        assert_eq!(parse_blob_type("pageblob").unwrap(), BlobType::PageBlob);
        assert!(parse_blob_type("Blob").is_err());
        assert!(parse_lease_state("Leased").unwrap());
        assert!(parse_lease_state("breaking").unwrap());
        assert!(!parse_lease_state("broken").unwrap());
        assert!(!parse_lease_state("available").unwrap());
        assert!(parse_lease_state("locked").is_err());
        assert!(parse_bool("TRUE", "x").unwrap());
        assert!(parse_bool("1", "x").is_err());
    }
}
