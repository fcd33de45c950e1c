//! What a verification finds: one [`Finding`] a problem, written as one
//! tab-separated line or one JSON object.

use std::fmt;

use crate::snapshot::SnapshotTime;

/// What kind of problem a [`Finding`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum FindingKind {
    /// Selected by the preview, on no drive.
    Missing,
    /// On a drive, not selected by the preview.
    Unexpected,
    /// On more than one drive (`drives` names them).
    Duplicate,
    /// Its length (or last-modified time, from a verbose log) differs from
    /// the listing: the blob changed after the listing, not a damaged copy.
    Changed,
    /// A copy-log entry that is not `Completed` (`status`, and for a block or
    /// page range its `offset` and `length`).
    Failed,
    /// A block, page range, properties or metadata file whose MD5 does not
    /// match the manifest (`offset`, `length`).
    Damaged,
    /// A file the manifest names is not on the drive.
    FileMissing,
    /// A blob's file is not `Length` bytes long.
    FileLength,
    /// The copy log's final status is a drive failure (`status`).
    DriveFailed,
}

impl FindingKind {
    /// Every kind, in report order.
    pub const ALL: [FindingKind; 9] = [
        FindingKind::Missing,
        FindingKind::Unexpected,
        FindingKind::Duplicate,
        FindingKind::Changed,
        FindingKind::Failed,
        FindingKind::Damaged,
        FindingKind::FileMissing,
        FindingKind::FileLength,
        FindingKind::DriveFailed,
    ];

    /// The kind as the report writes it (`file-missing`).
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Missing => "missing",
            FindingKind::Unexpected => "unexpected",
            FindingKind::Duplicate => "duplicate",
            FindingKind::Changed => "changed",
            FindingKind::Failed => "failed",
            FindingKind::Damaged => "damaged",
            FindingKind::FileMissing => "file-missing",
            FindingKind::FileLength => "file-length",
            FindingKind::DriveFailed => "drive-failed",
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which part of a blob a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Part {
    /// The blob as a whole (its file, or its copy-log status).
    Blob,
    /// A block.
    Block,
    /// A page range.
    PageRange,
    /// The properties file.
    Properties,
    /// The metadata file.
    Metadata,
}

impl Part {
    /// The part as the report writes it (`page-range`).
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Blob => "blob",
            Part::Block => "block",
            Part::PageRange => "page-range",
            Part::Properties => "properties",
            Part::Metadata => "metadata",
        }
    }
}

/// One problem with what the drives hold. Fields that do not apply to its
/// kind are `None` (and left out of its JSON).
///
/// Displayed as one line, tab-separated: the kind, the blob's
/// `/container/blob` (`-` for a drive failure), its snapshot when it is
/// one, then `key=value` details: `drive`, `drives`, `file`, `part`,
/// `offset`, `length`, `status`, `listing-size`, `file-length`, `size`,
/// `note`, those that apply.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// What kind of problem.
    pub kind: FindingKind,
    /// The blob's canonical path (empty for a drive failure).
    pub path: String,
    /// The blob's snapshot, when it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotTime>,
    /// The drive (`DriveId`) it is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drive: Option<String>,
    /// Every drive it is on (duplicates).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drives: Vec<String>,
    /// The file on the drive, as the manifest writes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The part of the blob.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<Part>,
    /// Where the block or page range begins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The length of the block or page range, or the blob's `Length`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
    /// The copy log's status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The listing's size of the blob (`changed`, `missing`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listing_size: Option<u64>,
    /// The file's length on the drive (`file-length`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_length: Option<u64>,
    /// More, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Finding {
    /// A finding of `kind` about the blob `path` (snapshot `snapshot`), with
    /// no details yet.
    pub fn new(kind: FindingKind, path: &str, snapshot: Option<SnapshotTime>) -> Finding {
        Finding {
            kind,
            path: path.to_string(),
            snapshot,
            drive: None,
            drives: Vec::new(),
            file: None,
            part: None,
            offset: None,
            length: None,
            status: None,
            listing_size: None,
            file_length: None,
            note: None,
        }
    }

    /// The order findings are reported in: by blob, then kind, drive, part
    /// and offset.
    pub(crate) fn sort_key(&self) -> impl Ord + '_ {
        (
            &self.path,
            self.snapshot,
            self.kind,
            &self.drive,
            self.part,
            self.offset,
            &self.file,
        )
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        f.write_str("\t")?;
        f.write_str(if self.path.is_empty() {
            "-"
        } else {
            &self.path
        })?;
        if let Some(s) = self.snapshot {
            write!(f, "\t{s}")?;
        }
        if let Some(d) = &self.drive {
            write!(f, "\tdrive={d}")?;
        }
        if !self.drives.is_empty() {
            write!(f, "\tdrives={}", self.drives.join(","))?;
        }
        if let Some(p) = self.part {
            write!(f, "\tpart={}", p.as_str())?;
        }
        if let Some(o) = self.offset {
            write!(f, "\toffset={o}")?;
        }
        if let Some(l) = self.length {
            write!(f, "\tlength={l}")?;
        }
        if let Some(s) = &self.status {
            write!(f, "\tstatus={s}")?;
        }
        if let Some(s) = self.listing_size {
            write!(f, "\tlisting-size={s}")?;
        }
        if let Some(s) = self.file_length {
            write!(f, "\tfile-length={s}")?;
        }
        if let Some(file) = &self.file {
            // File paths never hold a tab or newline (no control characters).
            write!(f, "\tfile={file}")?;
        }
        if let Some(n) = &self.note {
            write!(f, "\tnote={n}")?;
        }
        Ok(())
    }
}
