//! Listings: the blobs an account holds, read from files or from the account.
//!
//! Every reader yields [`ListingEntry`] values into a caller-owned buffer
//! ([`ListingReader::read_entry`]), so reading allocates nothing per blob once
//! the buffers have grown. Formats are in [`ListingFormat`]; see SPEC §5.

use std::path::Path;

use crate::error::Error;
use crate::snapshot::SnapshotTime;

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
    /// Whether the blob is leased (lease state `leased`), when known.
    pub leased: Option<bool>,
    /// Whether the blob is committed, when known (`Some(false)`: uncommitted).
    pub committed: Option<bool>,
    /// The version id, when the listing has versions.
    pub version_id: Option<String>,
    /// Whether this row is the current version, when known.
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
