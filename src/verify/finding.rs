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

/// Text of a field, its control characters escaped (`\t`, `\n`, `\r`,
/// `\u{1b}`), so that no value can end its line or field early and forge
/// another finding. Readers refuse such text in the first place; this is
/// the second line of defence.
struct Escaped<'a>(&'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(|c: char| c.is_control()) {
            f.write_str(&rest[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            match c {
                '\t' => f.write_str("\\t")?,
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                c => write!(f, "\\u{{{:x}}}", u32::from(c))?,
            }
            rest = &rest[at + c.len_utf8()..];
        }
        f.write_str(rest)
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = Escaped;
        f.write_str(self.kind.as_str())?;
        f.write_str("\t")?;
        if self.path.is_empty() {
            f.write_str("-")?;
        } else {
            write!(f, "{}", e(&self.path))?;
        }
        if let Some(s) = self.snapshot {
            write!(f, "\t{s}")?;
        }
        if let Some(d) = &self.drive {
            write!(f, "\tdrive={}", e(d))?;
        }
        if !self.drives.is_empty() {
            f.write_str("\tdrives=")?;
            for (i, d) in self.drives.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{}", e(d))?;
            }
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
            write!(f, "\tstatus={}", e(s))?;
        }
        if let Some(s) = self.listing_size {
            write!(f, "\tlisting-size={s}")?;
        }
        if let Some(s) = self.file_length {
            write!(f, "\tfile-length={s}")?;
        }
        if let Some(file) = &self.file {
            write!(f, "\tfile={}", e(file))?;
        }
        if let Some(n) = &self.note {
            write!(f, "\tnote={}", e(n))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_in_text_fields_are_escaped() {
        let mut f = Finding::new(FindingKind::Failed, "/c/a\tb", None);
        f.drive = Some("D1\nmissing\t/c/forged".into());
        f.drives = vec!["X\r".into(), "Y".into()];
        f.status = Some("Failed\u{1b}[2J".into());
        f.file = Some("\\c\\a".into());
        f.note = Some("n\u{85}".into());
        let line = f.to_string();
        assert_eq!(
            line,
            "failed\t/c/a\\tb\tdrive=D1\\nmissing\\t/c/forged\tdrives=X\\r,Y\t\
             status=Failed\\u{1b}[2J\tfile=\\c\\a\tnote=n\\u{85}"
        );
        assert_eq!(line.matches('\t').count(), 6);
        assert!(!line.contains('\n'));
    }
}
