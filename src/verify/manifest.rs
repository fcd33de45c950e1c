//! Drive manifests (`DriveManifest`, docs/semantics.md §7): the blobs on one drive and
//! where their bytes are.
//!
//! [`ManifestReader`] streams a manifest one [`ManifestBlob`] at a time
//! (quick-xml over a [`BufRead`], buffers reused); [`DriveManifest::read`]
//! reads a whole one. Every blob it yields is valid: its `BlobPath` names a
//! blob, its `FilePath`s stay inside the drive
//! ([`drive_relative_path`](super::drive_relative_path)),
//! its hashes are MD5s, its blocks are in offset order and cover
//! `Length` with no gap or overlap, its page ranges are in offset order,
//! do not overlap and end within `Length`. Anything else is an
//! [`ErrorKind::InvalidManifest`](crate::ErrorKind::InvalidManifest) (or
//! [`ErrorKind::UnsafeFilePath`](crate::ErrorKind::UnsafeFilePath)) error
//! with the manifest's name and `line:column`. Unknown elements are
//! ignored (`ClientCreator`, `ClientData`, `ImportDisposition`, and what
//! the service adds later); a DOCTYPE is refused.
//!
//! An import manifest can carry the account's key (`StorageAccountKey`) or
//! a `ContainerSas`: their text is skipped unread, never kept, and so never
//! in a value, its `Debug` or an error.

use std::io::BufRead;
use std::path::PathBuf;

use quick_xml::events::BytesStart;

use super::drive_path::{check_file_path, relative};
use super::finding::Part;
use super::split::{self, Splittable};
use super::xml::{self, attributes, invalid, parse_u64, Driver, Format, Whole, START};
use crate::error::{Error, Position};
use crate::snapshot::SnapshotTime;

const WHAT: &str = "a drive manifest";

/// Whether a blob's bytes are listed as blocks or as page ranges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// A `BlockList`: blocks cover the whole file, in order, with no gap.
    Blocks,
    /// A `PageRangeList`: the written ranges of a page blob; the rest of
    /// its file is zeros.
    Pages,
}

/// A block or a page range of a manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestRange {
    /// Where the range begins, in the blob and in its file.
    pub offset: u64,
    /// Its length in bytes.
    pub length: u64,
    /// The block id (blocks only, when the manifest gives one).
    pub id: Option<String>,
    /// The MD5 of its bytes.
    pub hash: [u8; 16],
}

impl ManifestRange {
    /// The offset just past the range.
    pub fn end(&self) -> u64 {
        self.offset + self.length
    }
}

/// A metadata or properties file of a blob (or, at the level of a
/// `BlobList`, of all its blobs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SideFile {
    /// The path as the manifest writes it (`\` separators).
    pub file_path: String,
    /// The MD5 of the file.
    pub hash: [u8; 16],
    /// What it holds: [`Part::Metadata`] (a `MetadataPath`) or
    /// [`Part::Properties`] (a `PropertiesPath`).
    pub part: Part,
}

/// One `Blob` of a drive manifest, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestBlob {
    /// The canonical path, `/container/name`.
    pub path: String,
    /// The length of the container name in `path` (which starts at byte 1).
    pub container_len: usize,
    /// The snapshot exported, when it is one.
    pub snapshot: Option<SnapshotTime>,
    /// `FilePath` as the manifest writes it (`\` separators); it stays
    /// inside the drive ([`ManifestBlob::file`]).
    pub file_path: String,
    /// The blob's length in bytes (`Length`), which is its file's length.
    pub length: u64,
    /// Blocks or page ranges.
    pub layout: Layout,
    /// The blocks or page ranges, in offset order.
    pub ranges: Vec<ManifestRange>,
    /// `MetadataPath`, when there is one.
    pub metadata: Option<SideFile>,
    /// `PropertiesPath`, when there is one.
    pub properties: Option<SideFile>,
    /// Where its `<Blob>` begins in the manifest.
    pub position: Position,
}

impl Default for ManifestBlob {
    fn default() -> ManifestBlob {
        ManifestBlob {
            path: String::new(),
            container_len: 0,
            snapshot: None,
            file_path: String::new(),
            length: 0,
            layout: Layout::Blocks,
            ranges: Vec::new(),
            metadata: None,
            properties: None,
            position: START,
        }
    }
}

impl SideFile {
    /// The file relative to the drive's root.
    pub fn file(&self) -> PathBuf {
        relative(&self.file_path)
    }
}

impl ManifestBlob {
    /// `FilePath` relative to the drive's root.
    pub fn file(&self) -> PathBuf {
        relative(&self.file_path)
    }

    /// The container name.
    pub fn container(&self) -> &str {
        &self.path[1..1 + self.container_len]
    }

    /// The blob name.
    pub fn name(&self) -> &str {
        &self.path[2 + self.container_len..]
    }
}

/// A whole drive manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriveManifest {
    /// The name it was read from (a file name), as errors name it.
    pub source: String,
    /// The `Version` attribute, when there is one.
    pub version: Option<String>,
    /// The drive's `DriveId`.
    pub drive_id: String,
    /// Its blobs, in manifest order.
    pub blobs: Vec<ManifestBlob>,
    /// `MetadataPath` and `PropertiesPath` given for a whole `BlobList`
    /// (import manifests).
    pub list_files: Vec<SideFile>,
    /// Whether it carried a credential (`StorageAccountKey`, `ContainerSas`:
    /// an import manifest). The credential itself is never kept.
    pub had_credential: bool,
}

impl DriveManifest {
    /// Reads a whole manifest; `source_name` is what errors name.
    ///
    /// ```
    /// use blobsel::verify::{DriveManifest, Layout};
    /// let xml = r#"<DriveManifest Version="2014-11-01"><Drive><DriveId>9WM35C3U</DriveId>
    ///   <BlobList><Blob><BlobPath>$root/logo.bmp</BlobPath><FilePath>\$root\logo.bmp</FilePath>
    ///   <Length>600</Length><BlockList>
    ///     <Block Offset="0" Length="600" Hash="1AB743FD75F9ADCD47FF6C670532A668"/>
    ///   </BlockList></Blob></BlobList></Drive></DriveManifest>"#;
    /// let m = DriveManifest::read(xml.as_bytes(), "9WM35C3U.manifest")?;
    /// assert_eq!(m.drive_id, "9WM35C3U");
    /// assert_eq!(m.blobs[0].path, "/$root/logo.bmp");
    /// assert_eq!(m.blobs[0].layout, Layout::Blocks);
    /// # Ok::<(), blobsel::Error>(())
    /// ```
    pub fn read<R: BufRead>(input: R, source_name: &str) -> Result<DriveManifest, Error> {
        DriveManifest::from_whole(ManifestReader::new(input, source_name).driver.read_all()?)
    }

    /// Reads a whole manifest held in memory (a file read or mapped),
    /// on all threads of the rayon pool when it is big: the same answer
    /// and the same errors as [`DriveManifest::read`], faster.
    ///
    /// ```
    /// use blobsel::verify::DriveManifest;
    /// let xml = br#"<DriveManifest><Drive><DriveId>D1</DriveId><BlobList>
    ///   <Blob><BlobPath>cat/a</BlobPath><FilePath>\cat\a</FilePath><Length>0</Length></Blob>
    ///   <Blob><BlobPath>cat/b</BlobPath><FilePath>\cat\b</FilePath><Length>0</Length></Blob>
    /// </BlobList></Drive></DriveManifest>"#;
    /// let m = DriveManifest::read_bytes(xml, "D1.manifest")?;
    /// assert_eq!(m, DriveManifest::read(&xml[..], "D1.manifest")?);
    /// // In two parts, cut before the second blob's line:
    /// assert_eq!(m, DriveManifest::read_in_parts(xml, "D1.manifest", 2)?);
    /// assert_eq!(m.blobs[1].position.line, 3);
    /// # Ok::<(), blobsel::Error>(())
    /// ```
    pub fn read_bytes(data: &[u8], source_name: &str) -> Result<DriveManifest, Error> {
        // A part must be worth a thread: a few megabytes at least.
        const PART: usize = 4 << 20;
        let threads = rayon::current_num_threads();
        let parts = (data.len() / PART).min(2 * threads);
        if threads < 2 || parts < 2 {
            return DriveManifest::read(data, source_name);
        }
        DriveManifest::from_whole(split::read(data, source_name, parts)?)
    }

    /// Reads a manifest held in memory in up to `parts` parts on the rayon
    /// pool, whatever its size ([`DriveManifest::read_bytes`] chooses the
    /// parts by size and threads): the same answer and errors as
    /// [`DriveManifest::read`].
    pub fn read_in_parts(
        data: &[u8],
        source_name: &str,
        parts: usize,
    ) -> Result<DriveManifest, Error> {
        DriveManifest::from_whole(split::read(data, source_name, parts)?)
    }

    fn from_whole(whole: Whole<State>) -> Result<DriveManifest, Error> {
        let (blobs, st) = (whole.records, whole.format);
        Ok(DriveManifest {
            source: whole.source,
            version: whole.version,
            drive_id: st.drive_id.unwrap_or_default(),
            blobs,
            list_files: st.list_files,
            had_credential: st.had_credential,
        })
    }

    /// The bytes of all its blobs (the sum of their lengths).
    pub fn bytes(&self) -> u128 {
        self.blobs.iter().map(|b| u128::from(b.length)).sum()
    }
}

/// Where an element sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Root,
    Drive,
    DriveId,
    /// `StorageAccountKey` or `ContainerSas`: its text is never read.
    Secret,
    BlobList,
    ListMetadataPath,
    ListPropertiesPath,
    Blob,
    BlobPath,
    FilePath,
    Snapshot,
    Length,
    BlockList,
    Block,
    PageRangeList,
    PageRange,
    MetadataPath,
    PropertiesPath,
    Other,
}

impl Tag {
    fn element(self) -> &'static str {
        match self {
            Tag::DriveId => "<DriveId>",
            Tag::BlobPath => "<BlobPath>",
            Tag::FilePath => "<FilePath>",
            Tag::Snapshot => "<Snapshot>",
            Tag::Length => "<Length>",
            Tag::BlockList => "<BlockList>",
            Tag::PageRangeList => "<PageRangeList>",
            Tag::MetadataPath | Tag::ListMetadataPath => "<MetadataPath>",
            Tag::PropertiesPath | Tag::ListPropertiesPath => "<PropertiesPath>",
            Tag::Drive => "<Drive>",
            _ => "this element",
        }
    }
}

/// What one `<Blob>` has given so far.
#[derive(Debug, Default)]
struct Seen {
    path: bool,
    file: bool,
    snapshot: bool,
    length: bool,
    ranges: bool,
    /// The position of the `BlockList`/`PageRangeList`.
    ranges_at: Option<Position>,
}

/// What the manifest has given so far, beyond the open elements.
#[derive(Debug, Default)]
struct State {
    /// The `Hash` of the `MetadataPath`/`PropertiesPath` being read.
    side_hash: Option<[u8; 16]>,
    seen: Seen,
    drive_id: Option<String>,
    drives: u32,
    list_files: Vec<SideFile>,
    had_credential: bool,
}

/// Reads a drive manifest one blob at a time, from any [`BufRead`].
pub struct ManifestReader<R: BufRead> {
    driver: Driver<R, State>,
}

impl<R: BufRead> ManifestReader<R> {
    /// A reader of `input`; `source_name` (a file name) is what errors name.
    pub fn new(input: R, source_name: impl Into<String>) -> ManifestReader<R> {
        ManifestReader {
            driver: Driver::new(input, source_name.into(), State::default()),
        }
    }

    /// The `DriveId`, once read (it usually comes before the blobs; it is
    /// certain to be known once [`read_blob`](Self::read_blob) returned
    /// `Ok(false)`).
    pub fn drive_id(&self) -> Option<&str> {
        self.driver.format().drive_id.as_deref()
    }

    /// Reads the next blob into `blob` (cleared first). `Ok(false)` at the
    /// end of the manifest, which must then have had a `DriveId`.
    pub fn read_blob(&mut self, blob: &mut ManifestBlob) -> Result<bool, Error> {
        self.driver.read(blob)
    }
}

/// Marks a blob's element as seen; a second one is an error.
fn once(seen: &mut bool, tag: Tag, pos: Position) -> Result<(), Error> {
    if *seen {
        return Err(invalid(format!(
            "a second {} in one <Blob>: which one counts?",
            tag.element()
        ))
        .at(pos));
    }
    *seen = true;
    Ok(())
}

impl Format for State {
    type Tag = Tag;
    type Record = ManifestBlob;
    const WHAT: &'static str = WHAT;
    const ROOT: &'static str = "DriveManifest";
    const ROOT_TAG: Tag = Tag::Root;
    const ONE_ROOT: &'static str = "a manifest describes one drive";
    const OTHER_ROOT: &'static str = "a copy log's root is <DriveLog>: give it with --copy-log";
    const OUTSIDE: &'static str = "a manifest holds one <DriveManifest> element";

    fn child(parent: Tag, name: &[u8]) -> Tag {
        match (parent, name) {
            (Tag::Root, b"Drive") => Tag::Drive,
            (Tag::Drive, b"DriveId") => Tag::DriveId,
            (Tag::Drive, b"StorageAccountKey" | b"ContainerSas") => Tag::Secret,
            (Tag::Drive, b"BlobList") => Tag::BlobList,
            (Tag::BlobList, b"MetadataPath") => Tag::ListMetadataPath,
            (Tag::BlobList, b"PropertiesPath") => Tag::ListPropertiesPath,
            (Tag::BlobList, b"Blob") => Tag::Blob,
            (Tag::Blob, b"BlobPath") => Tag::BlobPath,
            (Tag::Blob, b"FilePath") => Tag::FilePath,
            (Tag::Blob, b"Snapshot") => Tag::Snapshot,
            (Tag::Blob, b"Length") => Tag::Length,
            (Tag::Blob, b"BlockList") => Tag::BlockList,
            (Tag::Blob, b"PageRangeList") => Tag::PageRangeList,
            (Tag::Blob, b"MetadataPath") => Tag::MetadataPath,
            (Tag::Blob, b"PropertiesPath") => Tag::PropertiesPath,
            (Tag::BlockList, b"Block") => Tag::Block,
            (Tag::PageRangeList, b"PageRange") => Tag::PageRange,
            _ => Tag::Other,
        }
    }

    fn collects_text(tag: Tag) -> bool {
        matches!(
            tag,
            Tag::DriveId
                | Tag::ListMetadataPath
                | Tag::ListPropertiesPath
                | Tag::BlobPath
                | Tag::FilePath
                | Tag::Snapshot
                | Tag::Length
                | Tag::MetadataPath
                | Tag::PropertiesPath
        )
    }

    fn start(
        &mut self,
        tag: Tag,
        start: &BytesStart<'_>,
        blob: &mut ManifestBlob,
        before: Position,
    ) -> Result<(), Error> {
        let attrs = || attributes(start, WHAT).map_err(|e| e.at(before));
        match tag {
            Tag::Drive => {
                self.drives += 1;
                if self.drives > 1 {
                    return Err(
                        invalid("a second <Drive>: a manifest describes one drive").at(before)
                    );
                }
            }
            Tag::Secret => self.had_credential = true,
            Tag::Blob => {
                blob.path.clear();
                blob.container_len = 0;
                blob.snapshot = None;
                blob.file_path.clear();
                blob.length = 0;
                blob.layout = Layout::Blocks;
                blob.ranges.clear();
                blob.metadata = None;
                blob.properties = None;
                blob.position = before;
                self.seen = Seen::default();
            }
            Tag::BlockList | Tag::PageRangeList => {
                if self.seen.ranges {
                    return Err(invalid(
                        "a second <BlockList> or <PageRangeList> in one <Blob>: a blob has \
                         one list of blocks or of page ranges",
                    )
                    .at(before));
                }
                self.seen.ranges = true;
                self.seen.ranges_at = Some(before);
                blob.layout = if tag == Tag::BlockList {
                    Layout::Blocks
                } else {
                    Layout::Pages
                };
            }
            Tag::Block | Tag::PageRange => {
                let a = attrs()?;
                let what = if tag == Tag::Block {
                    "<Block>"
                } else {
                    "<PageRange>"
                };
                let (offset, length, hash) = xml::range(
                    what,
                    &a,
                    ("Hash", a.hash),
                    "every block and page range has Offset, Length and Hash",
                )
                .map_err(|e| e.at(before))?;
                if let Some(prev) = blob.ranges.last() {
                    let (contiguous, kind) = (tag == Tag::Block, what);
                    if offset < prev.end() {
                        return Err(invalid(format!(
                            "{kind} at offset {offset} overlaps the one before it, which \
                             ends at {}: ranges are in offset order and do not overlap",
                            prev.end()
                        ))
                        .at(before));
                    }
                    if contiguous && offset != prev.end() {
                        return Err(invalid(format!(
                            "<Block> at offset {offset} leaves a gap after the block before \
                             it, which ends at {}: blocks cover the whole file",
                            prev.end()
                        ))
                        .at(before));
                    }
                } else if tag == Tag::Block && offset != 0 {
                    return Err(invalid(format!(
                        "the first <Block> is at offset {offset}, not 0: blocks cover the \
                         whole file"
                    ))
                    .at(before));
                }
                blob.ranges.push(ManifestRange {
                    offset,
                    length,
                    id: a.id,
                    hash,
                });
            }
            Tag::MetadataPath
            | Tag::PropertiesPath
            | Tag::ListMetadataPath
            | Tag::ListPropertiesPath => {
                let a = attrs()?;
                self.side_hash = Some(a.hash.ok_or_else(|| {
                    invalid(format!(
                        "{} without a Hash attribute: the MD5 of the file is needed to \
                         check it",
                        tag.element()
                    ))
                    .at(before)
                })?);
            }
            _ => {}
        }
        Ok(())
    }

    /// Handles an end tag; `Ok(true)` when it ends a blob.
    fn end(
        &mut self,
        tag: Tag,
        text: &str,
        pos: Position,
        blob: &mut ManifestBlob,
    ) -> Result<bool, Error> {
        let at = |e: Error| e.at(pos);
        match tag {
            Tag::Blob => {
                self.finish_blob(blob)?;
                return Ok(true);
            }
            Tag::DriveId => {
                let id = text.trim();
                if id.is_empty() {
                    return Err(invalid("an empty <DriveId>").at(pos));
                }
                if self.drive_id.is_some() {
                    return Err(invalid("a second <DriveId> in one <Drive>").at(pos));
                }
                super::status::check_code("DriveId", id).map_err(|e| e.at(pos))?;
                self.drive_id = Some(id.to_string());
            }
            Tag::BlobPath => {
                once(&mut self.seen.path, tag, pos)?;
                let text = text.trim();
                blob.container_len = xml::blob_path(text, &mut blob.path).map_err(at)?;
            }
            Tag::FilePath => {
                once(&mut self.seen.file, tag, pos)?;
                check_file_path(text).map_err(at)?;
                blob.file_path.clear();
                blob.file_path.push_str(text);
            }
            Tag::Snapshot => {
                once(&mut self.seen.snapshot, tag, pos)?;
                let t = text.trim();
                if !t.is_empty() {
                    blob.snapshot = Some(xml::snapshot(t).map_err(at)?);
                }
            }
            Tag::Length => {
                once(&mut self.seen.length, tag, pos)?;
                blob.length = parse_u64(text, "Length").map_err(at)?;
            }
            Tag::MetadataPath | Tag::PropertiesPath => {
                let slot = if tag == Tag::MetadataPath {
                    &mut blob.metadata
                } else {
                    &mut blob.properties
                };
                if slot.is_some() {
                    return Err(
                        invalid(format!("a second {} in one <Blob>", tag.element())).at(pos)
                    );
                }
                *slot = Some(self.side_file(text, tag).map_err(at)?);
            }
            Tag::ListMetadataPath | Tag::ListPropertiesPath => {
                let file = self.side_file(text, tag).map_err(at)?;
                self.list_files.push(file);
            }
            _ => {}
        }
        Ok(false)
    }

    fn finish(&self, at: Position) -> Result<(), Error> {
        if self.drive_id.is_none() {
            return Err(invalid(
                "the manifest has no <DriveId>: which drive is it? (a drive \
                 manifest's <Drive> begins with one)",
            )
            .at(at));
        }
        Ok(())
    }
}

impl Splittable for State {
    const CONTEXT: &'static [u8] = b"<DriveManifest><Drive><BlobList>\n";
    const OPEN: &'static [Tag] = &[Tag::Root, Tag::Drive, Tag::BlobList];
    const RECORD: &'static [u8] = b"<Blob";

    /// A `DriveId` already read (empty, which no real one is): one in a
    /// later part is a second one, and the part fails.
    fn resumed() -> State {
        State {
            drive_id: Some(String::new()),
            ..State::default()
        }
    }

    fn join(&mut self, later: State) -> bool {
        let resumed =
            later.drives == 1 && later.side_hash.is_none() && later.drive_id.as_deref() == Some("");
        if resumed {
            self.list_files.extend(later.list_files);
            self.had_credential |= later.had_credential;
        }
        resumed
    }

    fn shift(blob: &mut ManifestBlob, lines: u32) {
        blob.position.line = blob.position.line.saturating_add(lines);
    }
}

impl State {
    fn side_file(&mut self, text: &str, tag: Tag) -> Result<SideFile, Error> {
        check_file_path(text)?;
        let part = match tag {
            Tag::MetadataPath | Tag::ListMetadataPath => Part::Metadata,
            _ => Part::Properties,
        };
        Ok(SideFile {
            file_path: text.to_string(),
            hash: self.side_hash.take().unwrap_or_default(),
            part,
        })
    }

    /// Checks a whole blob.
    fn finish_blob(&mut self, blob: &mut ManifestBlob) -> Result<(), Error> {
        let pos = blob.position;
        for (seen, element) in [
            (self.seen.path, "<BlobPath>"),
            (self.seen.file, "<FilePath>"),
            (self.seen.length, "<Length>"),
        ] {
            if !seen {
                return Err(invalid(format!(
                    "a <Blob> without {element}: every blob has BlobPath, FilePath and Length"
                ))
                .at(pos));
            }
        }
        let name = &blob.path;
        let at = self.seen.ranges_at.unwrap_or(pos);
        match blob.layout {
            Layout::Blocks => {
                let covered = blob.ranges.last().map_or(0, ManifestRange::end);
                if covered != blob.length {
                    let what = if self.seen.ranges {
                        format!("its blocks cover {covered} bytes")
                    } else {
                        "it has no <BlockList> or <PageRangeList>".to_string()
                    };
                    return Err(invalid(format!(
                        "blob {name} has Length {} but {what}: blocks cover the whole file, \
                         with no gap",
                        blob.length
                    ))
                    .at(at));
                }
            }
            Layout::Pages => {
                if let Some(last) = blob.ranges.last().filter(|r| r.end() > blob.length) {
                    return Err(invalid(format!(
                        "blob {name} has Length {} but a page range ends at {}: ranges end \
                         within the blob",
                        blob.length,
                        last.end()
                    ))
                    .at(at));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
