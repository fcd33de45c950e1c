//! `blobsel verify`: the preview's selection against the drives' manifests,
//! copy logs and files. The work is `blobsel::verify`; this resolves the
//! arguments, reads the inputs and prints.

use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, Context, Result};
use blobsel::verify::{Drive, DriveLog, DriveManifest, Expected, Report, Verification};
use blobsel::{ListingEntry, Matcher, ParseOptions, Selection};

use crate::args::{FindingsOutput, VerifyArgs};
use crate::output::Output;

pub fn run(a: VerifyArgs) -> Result<ExitCode> {
    if let Some(n) = a.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()?;
    }
    let account = crate::live::Account::from_args(&a.account, !a.no_progress)?;
    crate::check_listing_source(&a.sel, &a.listing, account.is_some())?;
    // The manifests and copy logs are read on a thread of their own while
    // the listing is read and indexed; a bad one stops the listing.
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reading = scope.spawn(|| {
            let read = read_inputs(&a);
            failed.store(read.is_err(), Ordering::Relaxed);
            read
        });
        let expected = preview(&a, account.as_ref(), &failed);
        // Indexing the preview overlaps the reading too.
        let verification = expected.as_deref().ok().map(Verification::new);
        let inputs = reading.join().unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "internal error: reading the manifests panicked (a bug: please report it)"
            ))
        });
        let (manifests, logs) = inputs?;
        // There is no index only when the preview failed.
        let Some(mut verification) = verification else {
            return Err(expected.err().unwrap_or_else(|| {
                anyhow::anyhow!("internal error: the preview was not indexed")
            }));
        };
        let log_of = pair_logs(&manifests, &logs)?;
        let dir_of = pair_dirs(&manifests, &a.drives)?;
        let hashed: u64 = manifests
            .iter()
            .zip(&dir_of)
            .filter(|(_, d)| d.is_some())
            .map(|(m, _)| u64::try_from(m.bytes()).unwrap_or(u64::MAX))
            .sum();
        let progress = crate::progress::Progress::new(!a.no_progress, Some(hashed));
        let tell = |n: u64| progress.add(n);
        verification.progress(&tell);
        for (i, m) in manifests.iter().enumerate() {
            let mut drive = Drive::new(m);
            if let Some(l) = log_of[i] {
                drive = drive.log(&logs[l]);
            }
            if let Some(dir) = &dir_of[i] {
                drive = drive.dir(dir);
            }
            verification.drive(drive);
        }
        let report = verification.run();
        progress.finish();
        let code = print(&a, &report?)?;
        // A million blobs are millions of allocations: the process ends
        // now, and freeing them one by one would only delay that.
        std::mem::forget((manifests, logs, expected));
        Ok(code)
    })
}

/// Reads and pairs the manifests and copy logs; warns of unknown statuses.
fn read_inputs(a: &VerifyArgs) -> Result<(Vec<DriveManifest>, Vec<DriveLog>)> {
    let manifests = a
        .manifests
        .iter()
        .map(|p| read_manifest(p))
        .collect::<Result<Vec<_>>>()?;
    let manifests = one_manifest_a_drive(manifests, &a.manifests)?;
    let logs = a
        .copy_logs
        .iter()
        .map(|p| read_xml(p, DriveLog::read))
        .collect::<Result<Vec<_>>>()?;
    for log in &logs {
        for status in log.unknown_statuses() {
            eprintln!(
                "blobsel: warning: {}: status {status:?} is not one blobsel knows; what has \
                 it is reported as failed",
                log.source
            );
        }
    }
    Ok((manifests, logs))
}

/// Two manifests of one drive (one `DriveId`) would make every blob a
/// `duplicate`: an error naming both, unless they are byte-identical
/// copies, of which the first is kept (with a warning).
fn one_manifest_a_drive(
    manifests: Vec<DriveManifest>,
    paths: &[PathBuf],
) -> Result<Vec<DriveManifest>> {
    let mut kept: Vec<(DriveManifest, &PathBuf)> = Vec::with_capacity(manifests.len());
    for (m, path) in manifests.into_iter().zip(paths) {
        let Some((first, first_path)) = kept.iter().find(|(k, _)| k.drive_id == m.drive_id) else {
            kept.push((m, path));
            continue;
        };
        if !same_bytes(first_path, path)? {
            bail!(
                "manifests {} and {} are both of drive {}, and differ: give one manifest a \
                 drive (the one the service returned with it)",
                first.source,
                m.source,
                m.drive_id
            );
        }
        eprintln!(
            "blobsel: warning: manifests {} and {} are the same file's copies (drive {}): \
             {} is used once",
            first.source, m.source, m.drive_id, first.source
        );
    }
    Ok(kept.into_iter().map(|(m, _)| m).collect())
}

/// Whether two files hold the same bytes.
fn same_bytes(a: &Path, b: &Path) -> Result<bool> {
    use std::io::Read;
    let open = |p: &Path| -> Result<(Option<u64>, BufReader<std::fs::File>)> {
        let f = crate::output::open_file(p)?;
        let meta = f
            .metadata()
            .with_context(|| format!("cannot read {}", p.display()))?;
        // A pipe cannot be read again: not known to be the same.
        let len = meta.is_file().then_some(meta.len());
        Ok((len, BufReader::with_capacity(256 * 1024, f)))
    };
    let ((la, mut ra), (lb, mut rb)) = (open(a)?, open(b)?);
    if la.is_none() || la != lb {
        return Ok(false);
    }
    let (mut ba, mut bb) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    loop {
        let n = ra
            .read(&mut ba)
            .with_context(|| format!("cannot read {}", a.display()))?;
        if n == 0 {
            return Ok(true);
        }
        rb.read_exact(&mut bb[..n])
            .with_context(|| format!("cannot read {}", b.display()))?;
        if ba[..n] != bb[..n] {
            return Ok(false);
        }
    }
}

/// The preview: what SELECTION selects of the listings or the account.
fn preview(
    a: &VerifyArgs,
    account: Option<&crate::live::Account>,
    failed: &AtomicBool,
) -> Result<Vec<Expected>> {
    Ok(match account {
        Some(account) => {
            let mut selection = account_selection(a)?;
            account.supply_blob_list(&mut selection)?;
            let matcher = selection.compile()?;
            let mut expected = Vec::new();
            account.list(&selection, &mut |entry| {
                if failed.load(Ordering::Relaxed) {
                    return Err(io::Error::other("stopped: a manifest could not be read"));
                }
                select(&matcher, entry, &mut expected);
                Ok(())
            })?;
            expected
        }
        None => {
            let selection =
                crate::load_selection(&a.sel, &ParseOptions::default(), crate::IndexUse::Rules)?;
            let matcher = selection.compile()?;
            let listings = crate::listings::resolve(&a.listing.listings, a.listing.listing_format)?;
            preview_listings(&matcher, &listings, failed)?
        }
    })
}

/// Prints the findings (and the summary); the exit code.
fn print(a: &VerifyArgs, report: &Report) -> Result<ExitCode> {
    let mut out = Output::open(None)?;
    let mut line = Vec::with_capacity(256);
    for f in &report.findings {
        line.clear();
        match a.output {
            FindingsOutput::Text => write!(line, "{f}")?,
            FindingsOutput::Jsonl => serde_json::to_writer(&mut line, f)?,
        }
        line.push(b'\n');
        out.write_all(&line)?;
    }
    out.finish()?;
    if a.summary {
        print_summary(report, &mut io::stderr().lock())?;
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// SELECTION for listing the account: its blob list blob may come from
/// the account, so it need not have its rules yet.
fn account_selection(a: &VerifyArgs) -> Result<Selection> {
    match crate::load(
        &a.sel,
        &ParseOptions::default(),
        crate::IndexUse::Rules,
        false,
    )? {
        crate::Loaded::Selection(selection) => Ok(selection),
        crate::Loaded::Index { matcher, .. } => Ok(matcher.selection()?),
    }
}

/// Reads a manifest or copy log file.
/// Reads a drive manifest file, on all threads when it is big
/// ([`DriveManifest::read_bytes`]): a regular file is mapped into memory
/// (so its pages are read in place from the page cache, not copied out),
/// anything else (a pipe) is read into memory first.
pub fn read_manifest(path: &Path) -> Result<DriveManifest> {
    let mut file = crate::output::open_file(path)?;
    let name = path.display().to_string();
    let bytes = crate::index::read_whole(&mut file, &name)?;
    Ok(DriveManifest::read_bytes(bytes.as_ref(), &name)?)
}

pub fn read_xml<T>(
    path: &Path,
    read: fn(BufReader<std::fs::File>, &str) -> blobsel::Result<T>,
) -> Result<T> {
    let file = crate::output::open_file(path)?;
    Ok(read(
        BufReader::with_capacity(256 * 1024, file),
        &path.display().to_string(),
    )?)
}

/// The preview: every listed entry the selection selects.
fn preview_listings(
    matcher: &Matcher,
    listings: &[crate::preview::Listing],
    failed: &AtomicBool,
) -> Result<Vec<Expected>> {
    let mut expected = Vec::new();
    let mut entry = ListingEntry::default();
    let no_progress = crate::progress::Progress::new(false, None);
    for listing in listings {
        let name = listing.name();
        let mut reader = crate::preview::open_structured(
            listing,
            listing.format,
            &name,
            blobsel::listing::ReadOptions::default(),
            &no_progress,
        )?;
        while reader.read_entry(&mut entry)? {
            if entry.line % 4096 == 0 {
                crate::check_interrupted()?;
                if failed.load(Ordering::Relaxed) {
                    bail!("stopped: a manifest or copy log could not be read");
                }
            }
            select(matcher, &entry, &mut expected);
        }
    }
    Ok(expected)
}

fn select(matcher: &Matcher, entry: &ListingEntry, expected: &mut Vec<Expected>) {
    if matcher.find_entry(entry).is_some() {
        expected.push(Expected::from_entry(entry));
    }
}

/// For each manifest, the copy log of its drive (by `DriveId`; a log
/// without one goes by order when there is one log a manifest).
fn pair_logs(manifests: &[DriveManifest], logs: &[DriveLog]) -> Result<Vec<Option<usize>>> {
    let mut of: Vec<Option<usize>> = vec![None; manifests.len()];
    for (l, log) in logs.iter().enumerate() {
        let m = match &log.drive_id {
            Some(id) => manifests
                .iter()
                .position(|m| m.drive_id == *id)
                .with_context(|| {
                    format!(
                        "copy log {} is of drive {id}, which no --manifest is of: give that \
                         drive's manifest too",
                        log.source
                    )
                })?,
            None if logs.len() == manifests.len() => l,
            None => bail!(
                "copy log {} names no DriveId, so it can go with a manifest only by order: \
                 give one --copy-log per --manifest, in the same order",
                log.source
            ),
        };
        if let Some(other) = of[m] {
            bail!(
                "copy logs {} and {} are both of drive {}: give one copy log a drive (the \
                 verbose log has every blob, the error log only the failures)",
                logs[other].source,
                log.source,
                manifests[m].drive_id
            );
        }
        of[m] = Some(l);
    }
    Ok(of)
}

/// For each manifest, its drive's folder. A folder whose name is a
/// manifest's `DriveId`, or holds it as a whole token (`drive-D1`,
/// `D1_copy`, but not `drive-D10` for `D1`), goes with that manifest; the
/// other folders go, in the order given, with the manifests left, in
/// theirs. The same folder twice, two folders for one drive, or a folder
/// whose name holds two drives' ids is an error.
fn pair_dirs(manifests: &[DriveManifest], dirs: &[PathBuf]) -> Result<Vec<Option<PathBuf>>> {
    let mut seen: Vec<(PathBuf, &Path)> = Vec::new();
    for d in dirs {
        if !d.is_dir() {
            bail!(
                "--drive {}: not a folder (give the drive's mount point, or a copy of its files)",
                d.display()
            );
        }
        let real = d.canonicalize().unwrap_or_else(|_| d.clone());
        if let Some((_, first)) = seen.iter().find(|(r, _)| *r == real) {
            bail!(
                "--drive {} and --drive {} are the same folder: give each drive's folder once",
                first.display(),
                d.display()
            );
        }
        seen.push((real, d));
    }
    let mut of: Vec<Option<PathBuf>> = vec![None; manifests.len()];
    let mut by_order = Vec::new();
    for (real, d) in &seen {
        let name = real
            .file_name()
            .or_else(|| d.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let hits: Vec<usize> = manifests
            .iter()
            .enumerate()
            .filter(|(_, m)| names_drive(&name, &m.drive_id))
            .map(|(i, _)| i)
            .collect();
        let m = match hits[..] {
            [] => {
                by_order.push(*d);
                continue;
            }
            [m] => m,
            _ => match hits.iter().find(|&&m| manifests[m].drive_id == name) {
                Some(&m) => m,
                None => bail!(
                    "--drive {}: its name holds the DriveIds of {}: rename the folder, or \
                     give it under a name that holds one drive's id",
                    d.display(),
                    hits.iter()
                        .map(|&m| format!("{} ({})", manifests[m].drive_id, manifests[m].source))
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            },
        };
        if let Some(first) = &of[m] {
            bail!(
                "--drive {} and --drive {} are both named for drive {}: give one folder a drive",
                first.display(),
                d.display(),
                manifests[m].drive_id
            );
        }
        of[m] = Some(d.to_path_buf());
    }
    if by_order.is_empty() {
        return Ok(of);
    }
    let left: Vec<usize> = (0..manifests.len()).filter(|&m| of[m].is_none()).collect();
    if left.len() != by_order.len() {
        bail!(
            "{} --drive folder{} ({}) not named for a drive, for {} manifest{} left ({}): \
             name each folder with its DriveId (D1, drive-D1), or give one folder for each \
             manifest left, in the same order",
            by_order.len(),
            if by_order.len() == 1 { "" } else { "s" },
            by_order
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            left.len(),
            if left.len() == 1 { "" } else { "s" },
            left.iter()
                .map(|&m| manifests[m].drive_id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    for (m, d) in left.into_iter().zip(by_order) {
        of[m] = Some(d.to_path_buf());
    }
    Ok(of)
}

/// Whether a folder's `name` names drive `id`: `id` itself, or `id` as a
/// whole token of it (between the ends of the name and characters that are
/// not letters or digits), case aside.
fn names_drive(name: &str, id: &str) -> bool {
    if id.is_empty() || name.len() < id.len() {
        return false;
    }
    let (name, id) = (name.to_ascii_lowercase(), id.to_ascii_lowercase());
    let token_edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    name.match_indices(&id).any(|(at, _)| {
        token_edge(name[..at].chars().next_back())
            && token_edge(name[at + id.len()..].chars().next())
    })
}

fn print_summary(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let row = |out: &mut dyn Write, label: &str, blobs: u64, bytes: u128| {
        writeln!(out, "{label:<28}{blobs:>12} blobs {bytes:>18} bytes")
    };
    let (mut blobs, mut bytes) = (0u64, 0u128);
    for d in &report.drives {
        row(out, &format!("drive {}", d.drive_id), d.blobs, d.bytes)?;
        blobs += d.blobs;
        bytes += d.bytes;
    }
    let n = report.drives.len();
    let drives = format!("all {n} drive{}", if n == 1 { "" } else { "s" });
    row(out, &drives, blobs, bytes)?;
    row(
        out,
        "the preview selects",
        report.expected,
        report.expected_bytes,
    )?;
    for (kind, n) in report.counts() {
        writeln!(out, "{:<28}{n:>12}", format!("{kind}:"))?;
    }
    if report.is_clean() {
        writeln!(
            out,
            "the drives hold exactly what the preview selects, whole"
        )?;
    }
    Ok(())
}
