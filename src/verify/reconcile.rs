//! The reconciliation: what the preview selects against what the drives
//! hold (docs/semantics.md §7).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rayon::prelude::*;

use super::finding::{Finding, FindingKind, Part};
use super::hash::check_drive;
use super::log::DriveLog;
use super::manifest::{DriveManifest, Layout};
use crate::error::Error;
use crate::listing::ListingEntry;
use crate::snapshot::SnapshotTime;

/// The expected blobs by path and snapshot.
type Index<'a> = HashMap<(&'a str, Option<SnapshotTime>), usize>;

/// A blob the preview selects: what should be on the drives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    /// The canonical path, `/container/name`.
    pub path: String,
    /// The snapshot, when it is one.
    pub snapshot: Option<SnapshotTime>,
    /// Its size in the listing, when known.
    pub size: Option<u64>,
    /// Its last-modified time in the listing, when known.
    pub last_modified: Option<SnapshotTime>,
}

impl Expected {
    /// The expected blob of a listing entry, with its size and
    /// last-modified time when the listing tells them.
    pub fn from_entry(entry: &ListingEntry) -> Expected {
        Expected {
            path: entry.path.clone(),
            snapshot: entry.snapshot,
            size: entry.size,
            last_modified: entry.last_modified,
        }
    }
}

/// One drive to verify: its manifest, and optionally its copy log and the
/// directory holding its files.
#[derive(Clone, Copy, Debug)]
pub struct Drive<'a> {
    manifest: &'a DriveManifest,
    log: Option<&'a DriveLog>,
    dir: Option<&'a Path>,
}

impl<'a> Drive<'a> {
    /// A drive described by `manifest`.
    pub fn new(manifest: &'a DriveManifest) -> Drive<'a> {
        Drive {
            manifest,
            log: None,
            dir: None,
        }
    }

    /// Adds the drive's copy log (error or verbose).
    pub fn log(mut self, log: &'a DriveLog) -> Drive<'a> {
        self.log = Some(log);
        self
    }

    /// Adds the directory holding the drive's files (the mounted drive, or
    /// a copy of it): its files are hashed.
    pub fn dir(mut self, dir: &'a Path) -> Drive<'a> {
        self.dir = Some(dir);
        self
    }
}

/// The blobs and bytes of one drive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriveSummary {
    /// The `DriveId`.
    pub drive_id: String,
    /// The blobs its manifest lists.
    pub blobs: u64,
    /// The sum of their lengths.
    pub bytes: u128,
}

/// What a verification found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Every finding, ordered by blob, then kind.
    pub findings: Vec<Finding>,
    /// Each drive's blobs and bytes, in the order given.
    pub drives: Vec<DriveSummary>,
    /// How many blobs the preview selects.
    pub expected: u64,
    /// Their bytes, where the listing gives sizes.
    pub expected_bytes: u128,
}

impl Report {
    /// Whether the drives hold exactly what the preview selects, whole.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// The number of findings of each kind, every kind listed.
    pub fn counts(&self) -> Vec<(FindingKind, u64)> {
        FindingKind::ALL
            .iter()
            .map(|&k| {
                let n = self.findings.iter().filter(|f| f.kind == k).count();
                (k, n as u64)
            })
            .collect()
    }
}

/// A verification of drives against what a preview selects: built, then
/// [`run`](Verification::run).
pub struct Verification<'a> {
    expected: &'a [Expected],
    /// `expected` by key, built at once (so a caller can build it while
    /// the manifests are read), and the indexes of keys listed again.
    index: Index<'a>,
    repeats: Vec<usize>,
    drives: Vec<Drive<'a>>,
    progress: Option<&'a (dyn Fn(u64) + Sync)>,
}

impl<'a> Verification<'a> {
    /// A verification against `expected` (the preview's selected blobs).
    /// It indexes them at once: a caller with manifests to read can do
    /// this at the same time.
    pub fn new(expected: &'a [Expected]) -> Verification<'a> {
        let (index, repeats) = expected_index(expected);
        Verification {
            expected,
            index,
            repeats,
            drives: Vec::new(),
            progress: None,
        }
    }

    /// Adds a drive.
    pub fn drive(&mut self, drive: Drive<'a>) -> &mut Verification<'a> {
        self.drives.push(drive);
        self
    }

    /// Calls `progress` with the bytes read as drive files are hashed.
    pub fn progress(&mut self, progress: &'a (dyn Fn(u64) + Sync)) -> &mut Verification<'a> {
        self.progress = Some(progress);
        self
    }

    /// Reconciles, then hashes the files of the drives that have a
    /// directory. Errors: a copy log of another drive than its manifest, a
    /// drive file that cannot be read (other than by its absence), a path
    /// that leads out of a drive.
    pub fn run(&self) -> Result<Report, Error> {
        let mut findings = Vec::new();
        let mut drives = Vec::new();
        for d in &self.drives {
            drives.push(DriveSummary {
                drive_id: d.manifest.drive_id.clone(),
                blobs: d.manifest.blobs.len() as u64,
                bytes: d.manifest.bytes(),
            });
            if let Some(log) = d.log {
                check_log_drive(d.manifest, log)?;
            }
        }
        self.reconcile(&self.index, &self.repeats, &mut findings);
        for d in &self.drives {
            if let Some(log) = d.log {
                log_findings(d.manifest, log, self.expected, &self.index, &mut findings);
            }
        }
        let none = |_: u64| {};
        let progress = self.progress.unwrap_or(&none);
        for d in &self.drives {
            if let Some(dir) = d.dir {
                findings.extend(check_drive(d.manifest, dir, progress)?);
            }
        }
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        findings.dedup();
        Ok(Report {
            findings,
            drives,
            expected: self.expected.len() as u64,
            expected_bytes: self
                .expected
                .iter()
                .filter_map(|e| e.size)
                .map(u128::from)
                .sum(),
        })
    }

    /// Missing, unexpected, duplicate and changed (by length). One lookup
    /// a manifest blob; a map only for the rare blobs that are on several
    /// drives or not expected.
    fn reconcile(&self, expected: &Index<'_>, repeats: &[usize], findings: &mut Vec<Finding>) {
        let mut count = vec![0u32; self.expected.len()];
        let mut first_drive = vec![0usize; self.expected.len()];
        let mut several: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        type Stray<'b> = HashMap<(&'b str, Option<SnapshotTime>), Vec<usize>>;
        let mut stray: Stray<'_> = HashMap::new();
        let drive_id = |d: usize| self.drives[d].manifest.drive_id.clone();
        for (d, drive) in self.drives.iter().enumerate() {
            // The lookups, which are most of the work, on all threads.
            let blobs = &drive.manifest.blobs;
            let found: Vec<Option<usize>> = blobs
                .par_iter()
                .with_min_len(4096)
                .map(|b| expected.get(&(b.path.as_str(), b.snapshot)).copied())
                .collect();
            for (blob, found) in blobs.iter().zip(found) {
                let key = (blob.path.as_str(), blob.snapshot);
                let Some(i) = found else {
                    stray.entry(key).or_default().push(d);
                    continue;
                };
                count[i] += 1;
                if count[i] == 1 {
                    first_drive[i] = d;
                } else {
                    several
                        .entry(i)
                        .or_insert_with(|| vec![first_drive[i]])
                        .push(d);
                }
                if let Some(size) = self.expected[i].size.filter(|&s| s != blob.length) {
                    let mut f = Finding::new(FindingKind::Changed, key.0, key.1);
                    f.drive = Some(drive_id(d));
                    f.length = Some(blob.length);
                    f.listing_size = Some(size);
                    f.note = Some("the blob's length changed after the listing".into());
                    findings.push(f);
                }
            }
        }
        // A blob listed twice in one manifest is a duplicate too, its drive
        // named once.
        let duplicate = |path: &str, snapshot, drives: &[usize]| {
            let mut f = Finding::new(FindingKind::Duplicate, path, snapshot);
            let mut once: Vec<usize> = Vec::with_capacity(drives.len());
            for &d in drives {
                if !once.contains(&d) {
                    once.push(d);
                }
            }
            if once.len() < drives.len() {
                f.note = Some("listed more than once in one drive's manifest".into());
            }
            f.drives = once.into_iter().map(drive_id).collect();
            f
        };
        for (i, drives) in several {
            let e = &self.expected[i];
            findings.push(duplicate(&e.path, e.snapshot, &drives));
        }
        for ((path, snapshot), drives) in stray {
            if drives.len() > 1 {
                findings.push(duplicate(path, snapshot, &drives));
            }
            for d in drives {
                let mut f = Finding::new(FindingKind::Unexpected, path, snapshot);
                f.drive = Some(drive_id(d));
                findings.push(f);
            }
        }
        for (i, (e, &n)) in self.expected.iter().zip(&count).enumerate() {
            // A blob listed twice is missing once.
            if n == 0 && repeats.binary_search(&i).is_err() {
                let mut f = Finding::new(FindingKind::Missing, &e.path, e.snapshot);
                f.listing_size = e.size;
                findings.push(f);
            }
        }
    }
}

/// The expected blobs by key, and the (ascending) indexes of those listed
/// again after their first time.
fn expected_index(expected: &[Expected]) -> (Index<'_>, Vec<usize>) {
    let mut index = HashMap::with_capacity(expected.len());
    let mut repeats = Vec::new();
    for (i, e) in expected.iter().enumerate() {
        if *index.entry((e.path.as_str(), e.snapshot)).or_insert(i) != i {
            repeats.push(i);
        }
    }
    (index, repeats)
}

/// A copy log must be of its manifest's drive.
fn check_log_drive(manifest: &DriveManifest, log: &DriveLog) -> Result<(), Error> {
    match &log.drive_id {
        Some(id) if *id != manifest.drive_id => Err(super::xml::invalid(format!(
            "copy log {} is of drive {id}, but manifest {} is of drive {}: give each \
             drive's copy log with its own manifest",
            log.source, manifest.source, manifest.drive_id
        ))),
        _ => Ok(()),
    }
}

/// Failed (every entry that is not `Completed`), changed (a later
/// last-modified time), and a drive failure.
fn log_findings(
    manifest: &DriveManifest,
    log: &DriveLog,
    expected: &[Expected],
    index: &Index<'_>,
    findings: &mut Vec<Finding>,
) {
    let drive = &manifest.drive_id;
    let failed = |path: &str, snapshot, status: &str| {
        let mut f = Finding::new(FindingKind::Failed, path, snapshot);
        f.drive = Some(drive.clone());
        f.status = Some(status.to_string());
        f
    };
    if let Some(status) = log.status.as_ref().filter(|s| !s.is_processed()) {
        let mut f = failed("", None, status.as_str());
        f.kind = FindingKind::DriveFailed;
        findings.push(f);
    }
    for b in &log.blobs {
        let before = findings.len();
        let part = match b.layout {
            Some(Layout::Pages) => Part::PageRange,
            _ => Part::Block,
        };
        for r in b.ranges.iter().filter(|r| !r.status.is_completed()) {
            let mut f = failed(&b.path, b.snapshot, r.status.as_str());
            f.part = Some(part);
            f.offset = Some(r.offset);
            f.length = Some(r.length);
            findings.push(f);
        }
        for (status, part) in [
            (&b.metadata, Part::Metadata),
            (&b.properties, Part::Properties),
        ] {
            if let Some(s) = status.as_ref().filter(|s| !s.is_completed()) {
                let mut f = failed(&b.path, b.snapshot, s.as_str());
                f.part = Some(part);
                findings.push(f);
            }
        }
        // A blob status is reported on its own only when no part explains it.
        if !b.status.is_completed() && findings.len() == before {
            let mut f = failed(&b.path, b.snapshot, b.status.as_str());
            f.part = Some(Part::Blob);
            findings.push(f);
        }
        let listed = index
            .get(&(b.path.as_str(), b.snapshot))
            .and_then(|&i| expected[i].last_modified);
        if let (Some(logged), Some(listed)) = (b.last_modified_time, listed) {
            if logged > listed {
                let mut f = Finding::new(FindingKind::Changed, &b.path, b.snapshot);
                f.drive = Some(drive.clone());
                f.note = Some(format!(
                    "last modified {logged} in the copy log, after the listing's {listed}"
                ));
                findings.push(f);
            }
        }
    }
}
