//! Repairing a drive from the account (feature `remote`): the bytes a
//! drive lacks, fetched with ranged Get Blob and written in place.
//!
//! [`plan`] turns a drive's findings ([`check_drive`](super::check_drive))
//! into [`RepairItem`]s: the blocks and page ranges to fetch, as the
//! manifest places them in the file, and whether the file must be created
//! or its length set. [`Repairer`] carries them out:
//!
//! * only files the manifest names are written, and only inside the drive
//!   (paths resolved with symbolic links, as when hashing; a missing
//!   file's folders are created inside the drive only);
//! * every range fetched is checked against the manifest's MD5 *before* it
//!   is written, and the blob's length (from `Content-Range`) against
//!   `Length`: bytes of a blob that changed in the account since the
//!   export are never written; the item is reported instead;
//! * the blob's ETag is kept in a [`RepairState`] file with every range
//!   written, so an interrupted repair continues where it stopped and
//!   refuses to mix bytes of two versions of a blob.
//!
//! Properties and metadata files are not repaired: their content is the
//! service's own rendering of the blob's properties, which cannot be
//! recreated byte for byte. They are reported as not repaired.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

use super::drive_path::{resolve_in_drive, OpenError};
use super::finding::{Finding, FindingKind, Part};
use super::log::DriveLog;
use super::manifest::{DriveManifest, ManifestBlob};
use crate::error::{Error, ErrorKind};
use crate::remote::Client;
use crate::snapshot::SnapshotTime;

/// The largest piece fetched with one request.
const PIECE: u64 = 4 << 20;

/// The largest range repaired: a range is held in memory until its MD5 is
/// checked, so that nothing unchecked is written.
pub const MAX_RANGE: u64 = 1 << 30;

/// What to do to one blob's file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairItem {
    /// The blob's index in the manifest.
    pub blob: usize,
    /// The file does not exist: create it (at `Length`, zeros until written).
    pub create: bool,
    /// The file's length is wrong: set it to `Length` (this length is what
    /// it has now).
    pub resize_from: Option<u64>,
    /// The manifest's ranges (indexes into the blob's ranges) to fetch.
    pub ranges: Vec<usize>,
}

/// What a repair would do, and what it cannot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// The blobs whose files are written, in manifest order.
    pub items: Vec<RepairItem>,
    /// Findings a repair cannot mend (properties and metadata files, a
    /// failure the copy log reports of a blob the manifest does not hold).
    pub cannot: Vec<Finding>,
}

/// Plans the repair of the drive `manifest` describes from its findings:
/// damaged ranges, missing files, wrong lengths, and the copy log's failed
/// ranges (which are fetched even when their bytes hash right only if the
/// drive was not hashed: give findings from [`check_drive`](super::check_drive)
/// and the log's failures become redundant).
pub fn plan(manifest: &DriveManifest, findings: &[Finding], log: Option<&DriveLog>) -> Plan {
    let mut by_blob: BTreeMap<usize, RepairItem> = BTreeMap::new();
    let index: HashMap<(&str, Option<SnapshotTime>), usize> = manifest
        .blobs
        .iter()
        .enumerate()
        .map(|(i, b)| ((b.path.as_str(), b.snapshot), i))
        .collect();
    let mut cannot = Vec::new();
    for f in findings {
        if f.drive.as_deref().is_some_and(|d| d != manifest.drive_id) {
            continue;
        }
        let Some(&i) = index.get(&(f.path.as_str(), f.snapshot)) else {
            continue;
        };
        let blob = &manifest.blobs[i];
        match (f.kind, f.part) {
            (FindingKind::FileMissing, Some(Part::Blob)) => {
                let it = by_blob.entry(i).or_insert_with(|| new_item(i));
                it.create = true;
                it.ranges = (0..blob.ranges.len()).collect();
            }
            (FindingKind::FileLength, _) => {
                let it = by_blob.entry(i).or_insert_with(|| new_item(i));
                it.resize_from = f.file_length;
            }
            (FindingKind::Damaged, Some(Part::Block | Part::PageRange)) => {
                let it = by_blob.entry(i).or_insert_with(|| new_item(i));
                if let Some(r) = blob.ranges.iter().position(|r| Some(r.offset) == f.offset) {
                    it.ranges.push(r);
                }
            }
            (
                FindingKind::Damaged | FindingKind::FileMissing,
                Some(Part::Properties | Part::Metadata),
            ) => cannot.push(f.clone()),
            _ => {}
        }
    }
    if let Some(log) = log {
        for b in &log.blobs {
            let Some(&i) = index.get(&(b.path.as_str(), b.snapshot)) else {
                if !b.status.is_completed() {
                    let mut f = Finding::new(FindingKind::Failed, &b.path, b.snapshot);
                    f.drive = Some(manifest.drive_id.clone());
                    f.status = Some(b.status.to_string());
                    f.note = Some("not in the manifest: nothing to repair it into".into());
                    cannot.push(f);
                }
                continue;
            };
            let blob = &manifest.blobs[i];
            for r in b.ranges.iter().filter(|r| !r.status.is_completed()) {
                let (start, end) = (r.offset, r.offset.saturating_add(r.length));
                let hit: Vec<usize> = blob
                    .ranges
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.offset < end && start < m.end())
                    .map(|(k, _)| k)
                    .collect();
                if !hit.is_empty() {
                    by_blob
                        .entry(i)
                        .or_insert_with(|| new_item(i))
                        .ranges
                        .extend(hit);
                }
            }
        }
    }
    let items = by_blob
        .into_values()
        .map(|mut it| {
            it.ranges.sort_unstable();
            it.ranges.dedup();
            it
        })
        .filter(|it| it.create || it.resize_from.is_some() || !it.ranges.is_empty())
        .collect();
    Plan { items, cannot }
}

fn new_item(blob: usize) -> RepairItem {
    RepairItem {
        blob,
        create: false,
        resize_from: None,
        ranges: Vec::new(),
    }
}

/// What became of one range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeOutcome {
    /// Fetched, checked against the manifest's MD5, and written; `prepared`
    /// when its file was created or resized first.
    Written {
        /// Whether the file was created or resized for it.
        prepared: bool,
    },
    /// The state file says it was written by an earlier run.
    AlreadyDone,
    /// Not written: the blob changed in the account since the export (the
    /// reason says how it shows).
    Changed(String),
    /// Not fetched: the range is larger than [`MAX_RANGE`].
    TooLarge,
}

/// The progress of a repair, kept in a file so an interrupted repair
/// continues: the ETag of each blob as first fetched, and the ranges
/// written.
#[derive(Debug)]
pub struct RepairState {
    path: PathBuf,
    file: Option<File>,
    etags: BTreeMap<String, String>,
    done: HashSet<(String, u64, u64)>,
}

const STATE_HEADER: &str = "blobsel-repair-state 1";

impl RepairState {
    /// The state in `path` (a missing file is a fresh start). It belongs to
    /// drive `drive_id`: a state file of another drive is an error.
    pub fn open(path: &Path, drive_id: &str) -> Result<RepairState, Error> {
        let name = path.display().to_string();
        let mut state = RepairState {
            path: path.to_path_buf(),
            file: None,
            etags: BTreeMap::new(),
            done: HashSet::new(),
        };
        let text = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(state),
            Err(e) => return Err(io_error(&name, e)),
        };
        let invalid = |n: usize, what: &str| {
            Error::new(
                ErrorKind::InvalidManifest,
                format!(
                    "{what}: this is not a repair state file of drive {drive_id} (remove it to \
                     start the repair afresh)"
                ),
            )
            .at_line(n as u64 + 1)
            .in_source(&name)
        };
        for (n, line) in BufReader::new(text).lines().enumerate() {
            let line = line.map_err(|e| io_error(&name, e))?;
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                [h, id] if n == 0 && *h == STATE_HEADER => {
                    if *id != drive_id {
                        return Err(invalid(n, &format!("it is of drive {id}")));
                    }
                }
                _ if n == 0 => return Err(invalid(n, "no header")),
                ["etag", key, etag] => {
                    state.etags.insert(key.to_string(), etag.to_string());
                }
                ["done", key, offset, length] => {
                    let (Ok(o), Ok(l)) = (offset.parse(), length.parse()) else {
                        return Err(invalid(n, "a bad range"));
                    };
                    state.done.insert((key.to_string(), o, l));
                }
                // A line cut short by an interruption ends the state.
                _ => break,
            }
        }
        Ok(state)
    }

    /// How many ranges earlier runs wrote.
    pub fn ranges_done(&self) -> usize {
        self.done.len()
    }

    fn append(&mut self, drive_id: &str, line: &str) -> Result<(), Error> {
        let name = self.path.display().to_string();
        if self.file.is_none() {
            let fresh = !self.path.exists();
            let mut f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .map_err(|e| io_error(&name, e))?;
            if fresh {
                writeln!(f, "{STATE_HEADER}\t{drive_id}").map_err(|e| io_error(&name, e))?;
            }
            self.file = Some(f);
        }
        if let Some(f) = self.file.as_mut() {
            writeln!(f, "{line}")
                .and_then(|()| f.sync_data())
                .map_err(|e| io_error(&name, e))?;
        }
        Ok(())
    }
}

/// The key of a blob in the state file: its path, and its snapshot.
fn key(blob: &ManifestBlob) -> String {
    match blob.snapshot {
        Some(s) => format!("{}@{s}", blob.path),
        None => blob.path.clone(),
    }
}

/// Carries out a [`Plan`] on one drive.
pub struct Repairer<'a> {
    client: &'a Client,
    manifest: &'a DriveManifest,
    root: &'a Path,
    state: RepairState,
    prepared: HashMap<usize, PathBuf>,
}

impl<'a> Repairer<'a> {
    /// A repairer of the drive at `root` that `manifest` describes, fetching
    /// with `client`, keeping its progress in `state`.
    pub fn new(
        client: &'a Client,
        manifest: &'a DriveManifest,
        root: &'a Path,
        state: RepairState,
    ) -> Repairer<'a> {
        Repairer {
            client,
            manifest,
            root,
            state,
            prepared: HashMap::new(),
        }
    }

    /// Creates or resizes the item's file, as the plan says, once; returns
    /// the file's path on disk (inside the drive) and whether this call
    /// created or resized it. [`range`](Self::range) calls it once the
    /// first range's bytes are known good, so a blob that changed in the
    /// account leaves its file as it was.
    pub fn prepare(&mut self, item: &RepairItem) -> Result<(PathBuf, bool), Error> {
        if let Some(path) = self.prepared.get(&item.blob) {
            return Ok((path.clone(), false));
        }
        let blob = &self.manifest.blobs[item.blob];
        let path = if item.create {
            create_in_drive(self.root, &blob.file())?
        } else {
            self.resolve(&blob.file())?
        };
        let changed = item.create || item.resize_from.is_some();
        if changed {
            let f = OpenOptions::new()
                .write(true)
                .open(&path)
                .map_err(|e| io_error(&blob.file_path, e))?;
            f.set_len(blob.length)
                .and_then(|()| f.sync_data())
                .map_err(|e| io_error(&blob.file_path, e))?;
        }
        self.prepared.insert(item.blob, path.clone());
        Ok((path, changed))
    }

    /// Fetches range `range` of the item's blob, checks it against the
    /// manifest, and writes it in place (preparing the file first).
    pub fn range(&mut self, item: &RepairItem, range: usize) -> Result<RangeOutcome, Error> {
        let blob = &self.manifest.blobs[item.blob];
        let r = &blob.ranges[range];
        let key = key(blob);
        if self.state.done.contains(&(key.clone(), r.offset, r.length)) {
            return Ok(RangeOutcome::AlreadyDone);
        }
        if r.length > MAX_RANGE {
            return Ok(RangeOutcome::TooLarge);
        }
        let snapshot = blob.snapshot.map(|s| s.to_string());
        let mut data = Vec::with_capacity(usize::try_from(r.length.min(PIECE)).unwrap_or(0));
        let mut md5 = Md5::new();
        let mut at = r.offset;
        while at < r.end() {
            let n = (r.end() - at).min(PIECE);
            let response = match self.client.get_blob_range(
                blob.container(),
                blob.name(),
                snapshot.as_deref(),
                at,
                n,
            ) {
                Ok(response) => response,
                Err(e) => return gone(e),
            };
            let etag = response.header("etag").unwrap_or("").to_string();
            let total = response
                .header("content-range")
                .and_then(|c| c.rsplit_once('/'))
                .and_then(|(_, t)| t.trim().parse::<u64>().ok());
            if let Some(total) = total.filter(|&t| t != blob.length) {
                return Ok(RangeOutcome::Changed(format!(
                    "the blob is {total} bytes in the account, {} in the manifest",
                    blob.length
                )));
            }
            match self.state.etags.get(&key) {
                Some(pinned) if *pinned != etag => {
                    return Ok(RangeOutcome::Changed(format!(
                        "its ETag is {etag} now, {pinned} when the repair began"
                    )))
                }
                Some(_) => {}
                None => {
                    self.state
                        .append(&self.manifest.drive_id, &format!("etag\t{key}\t{etag}"))?;
                    self.state.etags.insert(key.clone(), etag);
                }
            }
            md5.update(&response.body);
            data.extend_from_slice(&response.body);
            at += n;
        }
        let sum: [u8; 16] = md5.finalize().into();
        if sum != r.hash {
            return Ok(RangeOutcome::Changed(
                "the account's bytes do not match the manifest's MD5".into(),
            ));
        }
        let (file, prepared) = self.prepare(item)?;
        let name = &blob.file_path;
        let mut f = OpenOptions::new()
            .write(true)
            .open(file)
            .map_err(|e| io_error(name, e))?;
        f.seek(SeekFrom::Start(r.offset))
            .and_then(|_| f.write_all(&data))
            .and_then(|()| f.sync_data())
            .map_err(|e| io_error(name, e))?;
        self.state.append(
            &self.manifest.drive_id,
            &format!("done\t{key}\t{}\t{}", r.offset, r.length),
        )?;
        self.state.done.insert((key, r.offset, r.length));
        Ok(RangeOutcome::Written { prepared })
    }

    fn resolve(&self, relative: &Path) -> Result<PathBuf, Error> {
        resolve_in_drive(self.root, relative).map_err(|e| match e {
            OpenError::Io(e) => io_error(&relative.display().to_string(), e),
            OpenError::Unsafe(e) => e,
        })
    }
}

/// Creates the missing file `relative` (and its folders) inside `root`,
/// never through a link out of it, never over an existing file.
fn create_in_drive(root: &Path, relative: &Path) -> Result<PathBuf, Error> {
    let name = relative.display().to_string();
    let root = root.canonicalize().map_err(|e| io_error(&name, e))?;
    let outside = |p: &Path| {
        Error::new(
            ErrorKind::UnsafeFilePath,
            format!(
                "{name}: {} is outside the drive {}: a symbolic link out of the drive is not \
                 followed",
                p.display(),
                root.display()
            ),
        )
    };
    let parent = relative.parent().unwrap_or(Path::new(""));
    // The deepest folder that exists must be inside the drive before any is made.
    let mut existing = root.join(parent);
    while !existing.exists() {
        match existing.parent() {
            Some(p) => existing = p.to_path_buf(),
            None => break,
        }
    }
    let existing = existing.canonicalize().map_err(|e| io_error(&name, e))?;
    if !existing.starts_with(&root) {
        return Err(outside(&existing));
    }
    fs::create_dir_all(root.join(parent)).map_err(|e| io_error(&name, e))?;
    let dir = root
        .join(parent)
        .canonicalize()
        .map_err(|e| io_error(&name, e))?;
    if !dir.starts_with(&root) {
        return Err(outside(&dir));
    }
    let file_name = relative
        .file_name()
        .ok_or_else(|| Error::new(ErrorKind::UnsafeFilePath, format!("{name}: no file name")))?;
    let path = dir.join(file_name);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| io_error(&name, e))?;
    Ok(path)
}

/// A Get Blob that failed because the blob is not what the manifest says
/// any more (shorter, or gone) is a change, not an error.
fn gone(e: Error) -> Result<RangeOutcome, Error> {
    let m = e.message();
    if m.contains("HTTP 416") || m.contains("ends inside the range") {
        Ok(RangeOutcome::Changed(
            "the blob is shorter in the account than in the manifest".into(),
        ))
    } else if m.contains("HTTP 404") {
        Ok(RangeOutcome::Changed(
            "the blob (or its snapshot) is no longer in the account".into(),
        ))
    } else {
        Err(e)
    }
}

fn io_error(name: &str, e: io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("{name}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../tests/fixtures/export-drive/9WM35C3U.manifest");
    const LOG: &str = include_str!("../../tests/fixtures/export-drive/9WM35C3U_error.xml");

    fn finding(kind: FindingKind, path: &str, part: Part, offset: Option<u64>) -> Finding {
        let mut f = Finding::new(kind, path, None);
        f.drive = Some("9WM35C3U".into());
        f.part = Some(part);
        f.offset = offset;
        f
    }

    #[test]
    fn plan_takes_damaged_missing_short_and_failed_ranges() {
        let m = DriveManifest::read(SAMPLE.as_bytes(), "m").unwrap();
        let log = DriveLog::read(LOG.as_bytes(), "l").unwrap();
        let mut short = finding(
            FindingKind::FileLength,
            "/pictures/wild/canyon.jpg",
            Part::Blob,
            None,
        );
        short.file_length = Some(10);
        let findings = [
            finding(
                FindingKind::FileMissing,
                "/$root/logo.bmp",
                Part::Blob,
                None,
            ),
            short,
            finding(
                FindingKind::Damaged,
                "/pictures/wild/canyon.jpg",
                Part::Block,
                Some(2721),
            ),
            finding(
                FindingKind::Damaged,
                "/pictures/city/redmond.jpg",
                Part::PageRange,
                Some(7168),
            ),
            finding(
                FindingKind::Damaged,
                "/pictures/city/redmond.jpg",
                Part::Properties,
                None,
            ),
            // Another drive's finding is not this drive's to repair.
            {
                let mut f = finding(
                    FindingKind::FileMissing,
                    "/docs/plan.xlsx",
                    Part::Blob,
                    None,
                );
                f.drive = Some("OTHER".into());
                f
            },
        ];
        let p = plan(&m, &findings, Some(&log));
        let items: Vec<(usize, bool, Option<u64>, Vec<usize>)> = p
            .items
            .iter()
            .map(|i| (i.blob, i.create, i.resize_from, i.ranges.clone()))
            .collect();
        assert_eq!(
            items,
            [
                (0, false, None, vec![1]),     // redmond: its second page range
                (1, false, Some(10), vec![1]), // canyon: resized, one block
                (2, false, None, vec![1]),     // desert: the copy log's failed block
                (3, true, None, vec![0]),      // logo: created, every block
            ]
        );
        assert_eq!(p.cannot.len(), 1);
        assert_eq!(p.cannot[0].part, Some(Part::Properties));
        assert_eq!(plan(&m, &[], None), Plan::default());
    }

    #[test]
    fn the_state_file_belongs_to_its_drive_and_survives_a_cut_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        fs::write(
            &path,
            "blobsel-repair-state 1\tD1\netag\t/c/b\t\"0x1\"\ndone\t/c/b\t0\t10\ndone\t/c/b\t10",
        )
        .unwrap();
        let s = RepairState::open(&path, "D1").unwrap();
        assert_eq!(s.ranges_done(), 1);
        assert_eq!(s.etags.get("/c/b").map(String::as_str), Some("\"0x1\""));
        let e = RepairState::open(&path, "D2").unwrap_err();
        assert!(e.to_string().contains("it is of drive D1"), "{e}");
        fs::write(&path, "something else\n").unwrap();
        assert!(RepairState::open(&path, "D1").is_err());
        assert_eq!(
            RepairState::open(&dir.path().join("none"), "D1")
                .unwrap()
                .ranges_done(),
            0
        );
    }

    #[test]
    fn a_range_too_large_to_check_in_memory_is_not_fetched() {
        let xml = format!(
            "<DriveManifest><Drive><DriveId>D</DriveId><BlobList><Blob>\
             <BlobPath>c00/big</BlobPath><FilePath>\\big</FilePath><Length>{len}</Length>\
             <BlockList><Block Offset=\"0\" Length=\"{len}\" Hash=\"00112233445566778899AABBCCDDEEFF\"/>\
             </BlockList></Blob></BlobList></Drive></DriveManifest>",
            len = MAX_RANGE + 1
        );
        let m = DriveManifest::read(xml.as_bytes(), "m").unwrap();
        let drive = tempfile::tempdir().unwrap();
        // Never reached: the range is refused before any request.
        let client = crate::remote::ClientBuilder::new("http://127.0.0.1:9/none")
            .build()
            .unwrap();
        let state = RepairState::open(&drive.path().join("state"), "D").unwrap();
        let mut r = Repairer::new(&client, &m, drive.path(), state);
        let item = RepairItem {
            blob: 0,
            create: true,
            resize_from: None,
            ranges: vec![0],
        };
        assert_eq!(r.range(&item, 0).unwrap(), RangeOutcome::TooLarge);
        assert!(!drive.path().join("big").exists());
        assert_eq!(client.requests_sent(), 0);
    }
}
