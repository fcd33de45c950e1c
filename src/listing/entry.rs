//! One listed blob ([`ListingEntry`]) and what every reader shares to
//! fill one: the path check (the one validator of `path.rs`), the values of
//! blob types, lease states and booleans, and the shape of their errors.

use crate::error::{Error, ErrorKind};
use crate::path::{BlobPath, Reading};
use crate::snapshot::SnapshotTime;

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

/// What the export does with a listed blob, beyond matching (docs/semantics.md §4).
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
    /// When the blob was last modified, when the listing tells (List
    /// Blobs' `Last-Modified`, an inventory's `Last-Modified`, jsonl
    /// `last_modified`): `verify` reports a blob a verbose copy log saw
    /// modified later as `changed`.
    pub last_modified: Option<SnapshotTime>,
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
        self.last_modified = None;
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
    /// snapshot the service makes (docs/semantics.md §4). A snapshot is never leased
    /// (some listings, Azurite's among them, repeat the base blob's lease
    /// on its snapshots).
    pub fn is_leased_blob(&self) -> bool {
        self.leased == Some(true) && self.snapshot.is_none()
    }

    /// Whether the export can take this entry at all (docs/semantics.md §4).
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

impl ListingEntry {
    /// Validates `container` and `name` (as a `lines` row is validated) and
    /// writes the canonical path.
    pub(crate) fn set_blob(&mut self, container: &str, name: &str) -> Result<(), Error> {
        crate::path::check_container(container).map_err(to_listing_error)?;
        crate::path::check_blob_name(name).map_err(to_listing_error)?;
        self.set_checked(BlobPath { container, name });
        Ok(())
    }

    /// Splits and validates `/container/blob` or `container/blob`, and
    /// writes the canonical path.
    pub(crate) fn set_blob_path(&mut self, path: &str) -> Result<(), Error> {
        let path = BlobPath::split(path, Reading::Listing).map_err(to_listing_error)?;
        self.set_blob(path.container, path.name)
    }

    /// Writes the canonical path of a blob already validated.
    #[inline]
    pub(crate) fn set_checked(&mut self, path: BlobPath<'_>) {
        self.path.clear();
        path.push_canonical(&mut self.path);
        self.container_len = path.container.len();
    }
}

/// What Azure writes about a blob that blobsel does not read: the other
/// fields of the blob and container inventory schemas (as an inventory
/// policy's `schemaFields` names them, and the CSV's hyphenated
/// spellings) and the other elements of a List Blobs response's `<Blob>`
/// and `<Properties>`. None of them is taken for a misspelling of a field
/// blobsel reads (`LeaseStatus` is not `LeaseState`, nor `Version`
/// `VersionId`).
pub(crate) const AZURE_OTHER_FIELDS: &[&str] = &[
    "Creation-Time",
    "Etag",
    "Content-MD5",
    "Content-Encoding",
    "Content-Language",
    "Content-CRC64",
    "Content-Disposition",
    "Cache-Control",
    "AccessTierChangeTime",
    "AccessTierInferred",
    "Tags",
    "TagCount",
    "Expiry-Time",
    "hdi_isfolder",
    "Owner",
    "Group",
    "Permissions",
    "Acl",
    "ResourceType",
    "Placeholder",
    "Metadata",
    "OrMetadata",
    "HasVersionsOnly",
    "LastAccessTime",
    "LeaseStatus",
    "LeaseDuration",
    "Deleted",
    "DeletionId",
    "DeleteId",
    "DeletedTime",
    "RemainingRetentionDays",
    "ImmutabilityPolicyUntilDate",
    "ImmutabilityPolicyMode",
    "LegalHold",
    "CopyId",
    "CopyStatus",
    "CopySource",
    "CopyProgress",
    "CopyCompletionTime",
    "CopyStatusDescription",
    "CopyDestinationSnapshot",
    "DestinationSnapshot",
    "IncrementalCopy",
    "CustomerProvidedKeySha256",
    "EncryptionScope",
    "EncryptionContext",
    "RehydratePriority",
    "ArchiveStatus",
    "Sealed",
    "x-ms-blob-sequence-number",
    // Container inventories.
    "PublicAccess",
    "HasImmutabilityPolicy",
    "HasLegalHold",
    "DefaultEncryptionScope",
    "DenyEncryptionScopeOverride",
    "ImmutableStorageWithVersioningEnabled",
    "Version",
];

/// Whether `name` is one of [`AZURE_OTHER_FIELDS`], but for case and
/// separators (`ContentType` and `Content-Type` are one field).
pub(crate) fn is_other_azure_field(name: &str) -> bool {
    AZURE_OTHER_FIELDS
        .iter()
        .any(|f| crate::suggest::same_name(f, name))
}

/// A snapshot time read from a listing's field.
pub(crate) fn parse_snapshot(text: &str) -> Result<SnapshotTime, Error> {
    SnapshotTime::parse(text.as_bytes()).map_err(to_listing_error)
}

/// A last-modified time read from a listing's field: ISO 8601 or RFC 1123
/// ([`SnapshotTime::parse_instant`]).
pub(crate) fn parse_last_modified(text: &str) -> Result<SnapshotTime, Error> {
    SnapshotTime::parse_instant(text.as_bytes())
        .map_err(|e| invalid(format!("Last-Modified: {}", e.message())))
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
        invalid(format!(
            "unknown blob type {}: expected BlockBlob, PageBlob or AppendBlob",
            quoted(text)
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
        None => Err(invalid(format!(
            "unknown lease state {}: expected available, leased, breaking, \
             broken or expired",
            quoted(text)
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
        Err(invalid(format!(
            "{what} is {}: expected true or false",
            quoted(text)
        )))
    }
}

/// An [`ErrorKind::Io`] error reading `source` at `line`.
pub(crate) fn io_error(e: &std::io::Error, source: &str, line: u64) -> Error {
    Error::new(ErrorKind::Io, format!("cannot read: {e}"))
        .at_line(line)
        .in_source(source)
}

/// An [`ErrorKind::InvalidListing`] error.
pub(crate) fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidListing, message)
}

/// The same error as an [`ErrorKind::InvalidListing`] one, message kept.
pub(crate) fn to_listing_error(e: Error) -> Error {
    invalid(e.message().to_string())
}

pub(crate) use crate::path::quoted;
