//! Copy logs (`DriveLog`, docs/semantics.md §7): the error log (only what went wrong)
//! or the verbose log (every blob) of one drive.
//!
//! [`LogReader`] streams a log one [`LogBlob`] at a time; [`DriveLog::read`]
//! reads a whole one. Every status is read into an enum known by name
//! ([`BlobStatus`], [`PartStatus`], [`DriveStatus`]); a code it does not
//! know is kept as `Other` and reported, not an error. Unknown elements are
//! ignored (`ImportDisposition`, the paths inside `Metadata` and
//! `Properties`); a DOCTYPE is refused. Errors name the log and
//! `line:column`.

use std::io::BufRead;

use quick_xml::events::BytesStart;

use super::manifest::Layout;
use super::status::{check_code, BlobStatus, DriveStatus, PartStatus};
use super::xml::{self, attributes, invalid, parse_u64, Driver, Format, START};
use crate::error::{Error, Position};
use crate::snapshot::SnapshotTime;

const WHAT: &str = "a copy log";

/// A block or page range of a copy log, with its status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogRange {
    /// Where it begins.
    pub offset: u64,
    /// Its length in bytes.
    pub length: u64,
    /// The block id, when the log gives one.
    pub id: Option<String>,
    /// What happened to it.
    pub status: PartStatus,
}

/// One `Blob` of a copy log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogBlob {
    /// The blob's `Status`.
    pub status: BlobStatus,
    /// The canonical path, `/container/name`.
    pub path: String,
    /// The length of the container name in `path`.
    pub container_len: usize,
    /// The snapshot, when it is one.
    pub snapshot: Option<SnapshotTime>,
    /// `FilePath` as the log writes it, when it has one.
    pub file_path: Option<String>,
    /// `Length`, when given.
    pub length: Option<u64>,
    /// `LastModified` as written, when given (a verbose log).
    pub last_modified: Option<String>,
    /// `LastModified` as an instant (ISO 8601 or RFC 1123; any other text
    /// is an error).
    pub last_modified_time: Option<SnapshotTime>,
    /// Blocks or page ranges, when the log lists any.
    pub layout: Option<Layout>,
    /// The blocks or page ranges it lists, with their status.
    pub ranges: Vec<LogRange>,
    /// The status of the blob's metadata, when given.
    pub metadata: Option<PartStatus>,
    /// The status of the blob's properties, when given.
    pub properties: Option<PartStatus>,
    /// Where its `<Blob>` begins in the log.
    pub position: Position,
}

impl Default for LogBlob {
    fn default() -> LogBlob {
        LogBlob {
            status: BlobStatus::Completed,
            path: String::new(),
            container_len: 0,
            snapshot: None,
            file_path: None,
            length: None,
            last_modified: None,
            last_modified_time: None,
            layout: None,
            ranges: Vec::new(),
            metadata: None,
            properties: None,
            position: START,
        }
    }
}

/// A whole copy log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriveLog {
    /// The name it was read from, as errors name it.
    pub source: String,
    /// The `Version` attribute, when there is one.
    pub version: Option<String>,
    /// The drive's `DriveId`, when given.
    pub drive_id: Option<String>,
    /// Its blobs, in log order.
    pub blobs: Vec<LogBlob>,
    /// The drive's final `Status`, when given.
    pub status: Option<DriveStatus>,
}

impl DriveLog {
    /// Reads a whole copy log; `source_name` is what errors name.
    ///
    /// ```
    /// use blobsel::verify::{BlobStatus, DriveLog, PartStatus};
    /// let xml = r#"<DriveLog Version="2014-11-01"><DriveId>9WM35C3U</DriveId>
    ///   <Blob Status="CompletedWithErrors"><BlobPath>pictures/wild/desert.jpg</BlobPath>
    ///   <Length>163840</Length><BlockList>
    ///     <Block Offset="65536" Length="65536" Id="AQAAAA==" Status="Failed"/>
    ///   </BlockList></Blob><Status>CompletedWithErrors</Status></DriveLog>"#;
    /// let log = DriveLog::read(xml.as_bytes(), "9WM35C3U_error.xml")?;
    /// assert_eq!(log.blobs[0].status, BlobStatus::CompletedWithErrors);
    /// assert_eq!(log.blobs[0].ranges[0].status, PartStatus::Failed);
    /// # Ok::<(), blobsel::Error>(())
    /// ```
    pub fn read<R: BufRead>(input: R, source_name: &str) -> Result<DriveLog, Error> {
        let whole = LogReader::new(input, source_name).driver.read_all()?;
        let (blobs, st) = (whole.records, whole.format);
        Ok(DriveLog {
            source: whole.source,
            version: whole.version,
            drive_id: st.drive_id,
            blobs,
            status: st.status,
        })
    }

    /// The statuses it holds that blobsel does not know, each once.
    pub fn unknown_statuses(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |s: &str| {
            if !out.iter().any(|o| o == s) {
                out.push(s.to_string());
            }
        };
        if let Some(s) = self.status.as_ref().filter(|s| s.is_unknown()) {
            add(s.as_str());
        }
        for b in &self.blobs {
            if b.status.is_unknown() {
                add(b.status.as_str());
            }
            let parts = b.ranges.iter().map(|r| &r.status);
            for s in parts.chain(&b.metadata).chain(&b.properties) {
                if s.is_unknown() {
                    add(s.as_str());
                }
            }
        }
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Root,
    DriveId,
    DriveStatus,
    /// A `BlobList` around blobs, in case a log has one.
    BlobList,
    Blob,
    BlobPath,
    FilePath,
    Snapshot,
    Length,
    LastModified,
    BlockList,
    Block,
    PageRangeList,
    PageRange,
    Metadata,
    Properties,
    Other,
}

/// What the log has given so far, beyond the open elements.
#[derive(Debug, Default)]
struct State {
    has_path: bool,
    drive_id: Option<String>,
    status: Option<DriveStatus>,
}

/// Reads a copy log one blob at a time, from any [`BufRead`].
pub struct LogReader<R: BufRead> {
    driver: Driver<R, State>,
}

impl<R: BufRead> LogReader<R> {
    /// A reader of `input`; `source_name` (a file name) is what errors name.
    pub fn new(input: R, source_name: impl Into<String>) -> LogReader<R> {
        LogReader {
            driver: Driver::new(input, source_name.into(), State::default()),
        }
    }

    /// The `DriveId`, once read.
    pub fn drive_id(&self) -> Option<&str> {
        self.driver.format().drive_id.as_deref()
    }

    /// The drive's final `Status`, once read (it comes last).
    pub fn drive_status(&self) -> Option<&DriveStatus> {
        self.driver.format().status.as_ref()
    }

    /// Reads the next blob into `blob` (cleared first); `Ok(false)` at the end.
    pub fn read_blob(&mut self, blob: &mut LogBlob) -> Result<bool, Error> {
        self.driver.read(blob)
    }
}

impl Format for State {
    type Tag = Tag;
    type Record = LogBlob;
    const WHAT: &'static str = WHAT;
    const ROOT: &'static str = "DriveLog";
    const ROOT_TAG: Tag = Tag::Root;
    const ONE_ROOT: &'static str = "a copy log is of one drive";
    const OTHER_ROOT: &'static str =
        "a drive manifest's root is <DriveManifest>: give it with --manifest";
    const OUTSIDE: &'static str = "a copy log holds one <DriveLog> element";

    fn child(parent: Tag, name: &[u8]) -> Tag {
        match (parent, name) {
            (Tag::Root, b"DriveId") => Tag::DriveId,
            (Tag::Root, b"Status") => Tag::DriveStatus,
            (Tag::Root, b"Blob") | (Tag::BlobList, b"Blob") => Tag::Blob,
            (Tag::Root, b"BlobList") => Tag::BlobList,
            (Tag::Blob, b"BlobPath") => Tag::BlobPath,
            (Tag::Blob, b"FilePath") => Tag::FilePath,
            (Tag::Blob, b"Snapshot") => Tag::Snapshot,
            (Tag::Blob, b"Length") => Tag::Length,
            (Tag::Blob, b"LastModified") => Tag::LastModified,
            (Tag::Blob, b"BlockList") => Tag::BlockList,
            (Tag::Blob, b"PageRangeList") => Tag::PageRangeList,
            (Tag::Blob, b"Metadata") => Tag::Metadata,
            (Tag::Blob, b"Properties") => Tag::Properties,
            (Tag::BlockList, b"Block") => Tag::Block,
            (Tag::PageRangeList, b"PageRange") => Tag::PageRange,
            _ => Tag::Other,
        }
    }

    fn collects_text(tag: Tag) -> bool {
        matches!(
            tag,
            Tag::DriveId
                | Tag::DriveStatus
                | Tag::BlobPath
                | Tag::FilePath
                | Tag::Snapshot
                | Tag::Length
                | Tag::LastModified
        )
    }

    fn start(
        &mut self,
        tag: Tag,
        start: &BytesStart<'_>,
        blob: &mut LogBlob,
        before: Position,
    ) -> Result<(), Error> {
        let status = |what: &str| -> Result<String, Error> {
            let a = attributes(start, WHAT).map_err(|e| e.at(before))?;
            let s = a.status.ok_or_else(|| {
                invalid(format!(
                    "{what} without a Status attribute: a copy log gives each one's status"
                ))
                .at(before)
            })?;
            check_code("Status", &s).map_err(|e| e.at(before))?;
            Ok(s)
        };
        match tag {
            Tag::Blob => {
                *blob = LogBlob {
                    status: BlobStatus::parse(&status("<Blob>")?),
                    path: std::mem::take(&mut blob.path),
                    ranges: std::mem::take(&mut blob.ranges),
                    position: before,
                    ..LogBlob::default()
                };
                blob.path.clear();
                blob.ranges.clear();
                self.has_path = false;
            }
            Tag::BlockList | Tag::PageRangeList => {
                blob.layout = Some(if tag == Tag::BlockList {
                    Layout::Blocks
                } else {
                    Layout::Pages
                });
            }
            Tag::Block | Tag::PageRange => {
                let mut a = attributes(start, WHAT).map_err(|e| e.at(before))?;
                let what = if tag == Tag::Block {
                    "<Block>"
                } else {
                    "<PageRange>"
                };
                let status = a.status.take();
                let (offset, length, status) = xml::range(
                    what,
                    &a,
                    ("Status", status),
                    "a copy log gives each one's Offset, Length and Status",
                )
                .map_err(|e| e.at(before))?;
                check_code("Status", &status).map_err(|e| e.at(before))?;
                blob.ranges.push(LogRange {
                    offset,
                    length,
                    id: a.id,
                    status: PartStatus::parse(&status),
                });
            }
            Tag::Metadata => blob.metadata = Some(PartStatus::parse(&status("<Metadata>")?)),
            Tag::Properties => {
                blob.properties = Some(PartStatus::parse(&status("<Properties>")?));
            }
            _ => {}
        }
        Ok(())
    }

    fn end(
        &mut self,
        tag: Tag,
        untrimmed: &str,
        pos: Position,
        blob: &mut LogBlob,
    ) -> Result<bool, Error> {
        let text = untrimmed.trim();
        match tag {
            Tag::Blob => {
                if !self.has_path {
                    return Err(
                        invalid("a <Blob> without <BlobPath>: which blob is it?").at(blob.position)
                    );
                }
                return Ok(true);
            }
            Tag::DriveId => {
                if self.drive_id.is_some() {
                    return Err(invalid("a second <DriveId> in one copy log").at(pos));
                }
                check_code("DriveId", text).map_err(|e| e.at(pos))?;
                self.drive_id = Some(text.to_string());
            }
            Tag::DriveStatus => {
                check_code("Status", text).map_err(|e| e.at(pos))?;
                self.status = Some(DriveStatus::parse(text));
            }
            Tag::BlobPath => {
                if self.has_path {
                    return Err(invalid("a second <BlobPath> in one <Blob>").at(pos));
                }
                blob.container_len = xml::blob_path(text, &mut blob.path).map_err(|e| e.at(pos))?;
                self.has_path = true;
            }
            Tag::FilePath => blob.file_path = Some(untrimmed.to_string()),
            Tag::Snapshot if !text.is_empty() => {
                blob.snapshot = Some(xml::snapshot(text).map_err(|e| e.at(pos))?);
            }
            Tag::Length => blob.length = Some(parse_u64(text, "Length").map_err(|e| e.at(pos))?),
            Tag::LastModified if !text.is_empty() => {
                blob.last_modified_time = Some(
                    SnapshotTime::parse_instant(text.as_bytes())
                        .map_err(|e| invalid(format!("LastModified: {}", e.message())).at(pos))?,
                );
                blob.last_modified = Some(text.to_string());
            }
            _ => {}
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests;
