//! Checking a drive's files against its manifest's MD5s.
//!
//! Each file is read once, front to back, and every block's MD5 is taken
//! as its bytes go by; a page blob's file is read only where its manifest
//! lists page ranges (the rest is zeros and is not read). Files are hashed
//! in parallel on rayon's threads. A file that is short has its ranges past
//! its end reported damaged as well as its length, so that a repair knows
//! which bytes to fetch.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use md5::{Digest, Md5};
use rayon::prelude::*;

use super::drive_path::{open_in_drive, OpenError};
use super::finding::{Finding, FindingKind, Part};
use super::manifest::{DriveManifest, Layout, ManifestBlob, SideFile};
use crate::error::{Error, ErrorKind};

const CHUNK: usize = 128 << 10;

thread_local! {
    static BUF: RefCell<Vec<u8>> = RefCell::new(vec![0; CHUNK]);
}

/// Hashes every file `manifest` names under `root` (the blobs' files,
/// their metadata and properties files, and those a `BlobList` gives for
/// all its blobs) and returns what does not match, unsorted. `progress` is told the bytes read as they are.
///
/// An error (not a finding) is a file that cannot be read for another
/// reason than its absence, or a path that leads out of the drive through a
/// symbolic link.
pub fn check_drive(
    manifest: &DriveManifest,
    root: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Finding>, Error> {
    let per_blob: Vec<Vec<Finding>> = manifest
        .blobs
        .par_iter()
        .map(|blob| {
            check_blob(blob, &manifest.drive_id, root, progress)
                .map_err(|e| e.at(blob.position).in_source(&manifest.source))
        })
        .collect::<Result<_, Error>>()?;
    let mut out: Vec<Finding> = per_blob.into_iter().flatten().collect();
    // A BlobList's own MetadataPath and PropertiesPath (for all its blobs):
    // reported under the file's path, as they belong to no one blob.
    for side in &manifest.list_files {
        let kind = check_side(side, root, progress).map_err(|e| e.in_source(&manifest.source))?;
        if let Some(kind) = kind {
            let mut f = Finding::new(kind, &side.file_path, None);
            f.drive = Some(manifest.drive_id.clone());
            f.file = Some(side.file_path.clone());
            f.part = Some(side.part);
            f.note = Some(format!(
                "the BlobList's {}, for all its blobs",
                match side.part {
                    Part::Metadata => "MetadataPath",
                    _ => "PropertiesPath",
                }
            ));
            out.push(f);
        }
    }
    Ok(out)
}

/// Hashes one blob's file and its side files.
pub fn check_blob(
    blob: &ManifestBlob,
    drive: &str,
    root: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<Finding>, Error> {
    let mut out = Vec::new();
    let finding = |kind: FindingKind, file: &str, part: Part| {
        let mut f = Finding::new(kind, &blob.path, blob.snapshot);
        f.drive = Some(drive.to_string());
        f.file = Some(file.to_string());
        f.part = Some(part);
        f
    };
    match open(root, &blob.file())? {
        None => {
            let mut f = finding(FindingKind::FileMissing, &blob.file_path, Part::Blob);
            f.length = Some(blob.length);
            out.push(f);
        }
        Some(mut file) => {
            let len = file
                .metadata()
                .map_err(|e| io_error(&blob.file(), e))?
                .len();
            if len != blob.length {
                let mut f = finding(FindingKind::FileLength, &blob.file_path, Part::Blob);
                f.length = Some(blob.length);
                f.file_length = Some(len);
                out.push(f);
            }
            let part = match blob.layout {
                Layout::Blocks => Part::Block,
                Layout::Pages => Part::PageRange,
            };
            let sums = hash_ranges(
                &mut file,
                blob.ranges.iter().map(|r| (r.offset, r.length)),
                progress,
            )
            .map_err(|e| io_error(&blob.file(), e))?;
            for (range, sum) in blob.ranges.iter().zip(sums) {
                if sum != Some(range.hash) {
                    let mut f = finding(FindingKind::Damaged, &blob.file_path, part);
                    f.offset = Some(range.offset);
                    f.length = Some(range.length);
                    if sum.is_none() {
                        f.note = Some("past the end of the file".into());
                    }
                    out.push(f);
                }
            }
        }
    }
    for (side, part) in [
        (&blob.properties, Part::Properties),
        (&blob.metadata, Part::Metadata),
    ] {
        if let Some(side) = side {
            if let Some(f) = check_side(side, root, progress)? {
                out.push(finding(f, &side.file_path, part));
            }
        }
    }
    Ok(out)
}

/// Checks a properties or metadata file: `None` when it matches.
fn check_side(
    side: &SideFile,
    root: &Path,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Option<FindingKind>, Error> {
    let Some(mut file) = open(root, &side.file())? else {
        return Ok(Some(FindingKind::FileMissing));
    };
    let len = file
        .metadata()
        .map_err(|e| io_error(&side.file(), e))?
        .len();
    let sums = hash_ranges(&mut file, [(0, len)].into_iter(), progress)
        .map_err(|e| io_error(&side.file(), e))?;
    Ok((sums[0] != Some(side.hash)).then_some(FindingKind::Damaged))
}

/// The file, or `None` when it is not there.
fn open(root: &Path, relative: &Path) -> Result<Option<File>, Error> {
    match open_in_drive(root, relative) {
        Ok(f) => Ok(Some(f)),
        Err(OpenError::Io(e)) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(OpenError::Io(e)) => Err(io_error(relative, e)),
        Err(OpenError::Unsafe(e)) => Err(e),
    }
}

fn io_error(relative: &Path, e: io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot read {} on the drive: {e}", relative.display()),
    )
}

/// The MD5 of each range (in offset order) of `file`, read front to back:
/// `None` for a range the file ends inside.
pub(crate) fn hash_ranges(
    file: &mut File,
    ranges: impl Iterator<Item = (u64, u64)>,
    progress: &(dyn Fn(u64) + Sync),
) -> io::Result<Vec<Option<[u8; 16]>>> {
    BUF.with(|buf| {
        let mut buf = buf.borrow_mut();
        let mut at = 0u64;
        let mut eof = false;
        let mut out = Vec::new();
        for (offset, length) in ranges {
            if eof {
                out.push(None);
                continue;
            }
            if offset != at {
                file.seek(SeekFrom::Start(offset))?;
                at = offset;
            }
            let mut md5 = Md5::new();
            let mut left = length;
            while left > 0 {
                let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                let n = match file.read(&mut buf[..want]) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                md5.update(&buf[..n]);
                progress(n as u64);
                left -= n as u64;
                at += n as u64;
            }
            if left > 0 {
                eof = true;
                out.push(None);
            } else {
                out.push(Some(md5.finalize().into()));
            }
        }
        Ok(out)
    })
}
