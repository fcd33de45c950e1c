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
        .map(|p| read_xml(p, DriveManifest::read))
        .collect::<Result<Vec<_>>>()?;
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

/// For each manifest, its drive's folder: the one whose name holds its
/// `DriveId`, or else the one in the same place in the order given.
fn pair_dirs(manifests: &[DriveManifest], dirs: &[PathBuf]) -> Result<Vec<Option<PathBuf>>> {
    for d in dirs {
        if !d.is_dir() {
            bail!(
                "--drive {}: not a folder (give the drive's mount point, or a copy of its files)",
                d.display()
            );
        }
    }
    if dirs.is_empty() {
        return Ok(vec![None; manifests.len()]);
    }
    let by_name: Vec<Option<usize>> = manifests
        .iter()
        .map(|m| {
            let mut hits = dirs.iter().enumerate().filter(|(_, d)| {
                d.canonicalize()
                    .ok()
                    .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .is_some_and(|n| n.contains(&m.drive_id))
            });
            match (hits.next(), hits.next()) {
                (Some((i, _)), None) => Some(i),
                _ => None,
            }
        })
        .collect();
    let mut used: Vec<usize> = by_name.iter().flatten().copied().collect();
    used.sort_unstable();
    used.dedup();
    if used.len() == dirs.len() && by_name.iter().flatten().count() == dirs.len() {
        return Ok(by_name.iter().map(|i| i.map(|i| dirs[i].clone())).collect());
    }
    if dirs.len() == manifests.len() {
        return Ok(dirs.iter().cloned().map(Some).collect());
    }
    bail!(
        "{} --drive folders for {} manifests, and their names do not tell which drive each \
         is: give one --drive a --manifest, in the same order, or name each folder with its \
         DriveId",
        dirs.len(),
        manifests.len()
    )
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
