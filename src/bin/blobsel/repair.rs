//! `blobsel repair`: fetch what a drive lacks from the account. The work is
//! `blobsel::verify::repair`; this resolves the arguments and prints.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use blobsel::verify::repair::{self, RangeOutcome, RepairState, Repairer};
use blobsel::verify::{check_drive, DriveLog, DriveManifest, Finding, FindingKind, Part};

use crate::args::RepairArgs;
use crate::output::Output;

/// Set to N, the repair stops dead after writing N ranges, as if killed
/// (for the tests of resuming).
const STOP_AFTER: &str = "BLOBSEL_TEST_REPAIR_STOP_AFTER";

pub fn run(a: RepairArgs) -> Result<ExitCode> {
    let Some(account) = crate::live::Account::from_args(&a.account, !a.no_progress)? else {
        bail!(
            "repair fetches from the account: give --account-url (with --sas or an account \
             key) or --connection-string"
        );
    };
    let manifest = crate::verify::read_manifest(&a.manifest)?;
    let log = a
        .copy_log
        .as_deref()
        .map(|p| crate::verify::read_xml(p, DriveLog::read))
        .transpose()?;
    if let Some(id) = log.as_ref().and_then(|l| l.drive_id.as_ref()) {
        if *id != manifest.drive_id {
            bail!(
                "copy log {} is of drive {id}, but manifest {} is of drive {}: give the copy \
                 log of the same drive",
                log.as_ref().map_or("", |l| l.source.as_str()),
                manifest.source,
                manifest.drive_id
            );
        }
    }
    if !a.drive.is_dir() {
        bail!("--drive {}: not a folder", a.drive.display());
    }
    let state_path = a.state.clone().unwrap_or_else(|| {
        let mut p = a.manifest.clone().into_os_string();
        p.push(".repair-state");
        PathBuf::from(p)
    });

    let findings = hash(&manifest, &a.drive, !a.no_progress)?;
    let plan = repair::plan(&manifest, &findings, log.as_ref());
    let mut out = Output::open(None)?;
    let blob_row = |word: &str, b: usize, mut f: Finding| {
        let blob = &manifest.blobs[b];
        f.path.clone_from(&blob.path);
        f.snapshot = blob.snapshot;
        f.drive = Some(manifest.drive_id.clone());
        f.file = Some(blob.file_path.clone());
        let line = f.to_string();
        format!("{word}{}\n", &line[line.find('\t').unwrap_or(0)..])
    };
    let base = || Finding::new(FindingKind::Damaged, "", None);
    let range_row = |word: &str, b: usize, r: usize, note: Option<String>| {
        let blob = &manifest.blobs[b];
        let mut f = base();
        f.part = Some(match blob.layout {
            blobsel::verify::Layout::Blocks => Part::Block,
            blobsel::verify::Layout::Pages => Part::PageRange,
        });
        f.offset = Some(blob.ranges[r].offset);
        f.length = Some(blob.ranges[r].length);
        f.note = note;
        blob_row(word, b, f)
    };
    let size_row = |word: &str, b: usize, from: Option<u64>| {
        let mut f = base();
        f.length = Some(manifest.blobs[b].length);
        f.file_length = from;
        blob_row(word, b, f)
    };

    if a.dry_run {
        for it in &plan.items {
            if it.create {
                out.write_all(size_row("would-create", it.blob, None).as_bytes())?;
            } else if let Some(from) = it.resize_from {
                out.write_all(size_row("would-resize", it.blob, Some(from)).as_bytes())?;
            }
            for &r in &it.ranges {
                out.write_all(range_row("would-fetch", it.blob, r, None).as_bytes())?;
            }
        }
        for f in &plan.cannot {
            not_repaired(&mut out, f)?;
        }
        out.finish()?;
        return Ok(if plan.items.is_empty() && plan.cannot.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    }

    let state = RepairState::open(&state_path, &manifest.drive_id)?;
    if state.ranges_done() > 0 {
        eprintln!(
            "blobsel: continuing the repair in {}: {} ranges written before",
            state_path.display(),
            state.ranges_done()
        );
    }
    let stop_after: Option<usize> = std::env::var(STOP_AFTER).ok().and_then(|v| v.parse().ok());
    let mut written = 0usize;
    let mut repairer = Repairer::new(&account.client, &manifest, &a.drive, state);
    let mut unrepaired = 0usize;
    for it in &plan.items {
        let prepared_row = |it: &repair::RepairItem| {
            if it.create {
                size_row("created", it.blob, None)
            } else {
                size_row("resized", it.blob, it.resize_from)
            }
        };
        if it.ranges.is_empty() {
            // Only a length to set: no bytes to fetch first.
            if repairer.prepare(it)?.1 {
                out.write_all(prepared_row(it).as_bytes())?;
            }
        }
        for &r in &it.ranges {
            crate::check_interrupted()?;
            match repairer.range(it, r)? {
                RangeOutcome::Written { prepared } => {
                    if prepared {
                        out.write_all(prepared_row(it).as_bytes())?;
                    }
                    out.write_all(range_row("repaired", it.blob, r, None).as_bytes())?;
                    written += 1;
                    out.flush()?;
                    if stop_after == Some(written) {
                        std::process::exit(137);
                    }
                }
                RangeOutcome::AlreadyDone => {}
                RangeOutcome::TooLarge => {
                    let note = format!(
                        "not fetched: a range over {} bytes is not held in memory to be checked",
                        repair::MAX_RANGE
                    );
                    out.write_all(range_row("not-repaired", it.blob, r, Some(note)).as_bytes())?;
                    unrepaired += 1;
                }
                RangeOutcome::Changed(why) => {
                    unrepaired += 1;
                    let note = format!(
                        "not written: the blob changed in the account since the export: {why}"
                    );
                    out.write_all(range_row("changed", it.blob, r, Some(note)).as_bytes())?;
                    // The rest of this blob would be of the same new version.
                    break;
                }
            }
        }
    }
    out.flush()?;
    let left = if plan.items.is_empty() {
        findings
    } else {
        hash(&manifest, &a.drive, !a.no_progress)?
    };
    for f in &left {
        not_repaired(&mut out, f)?;
    }
    for f in plan.cannot.iter().filter(|f| !left.contains(f)) {
        not_repaired(&mut out, f)?;
    }
    out.finish()?;
    Ok(
        if left.is_empty() && plan.cannot.is_empty() && unrepaired == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        },
    )
}

/// The drive's findings, hashing with a progress bar.
fn hash(manifest: &DriveManifest, drive: &std::path::Path, bar: bool) -> Result<Vec<Finding>> {
    let total = u64::try_from(manifest.bytes()).unwrap_or(u64::MAX);
    let progress = crate::progress::Progress::new(bar, Some(total));
    let result = check_drive(manifest, drive, &|n| progress.add(n));
    progress.finish();
    let mut findings = result?;
    findings.sort_by(|a, b| {
        (&a.path, a.snapshot, a.part, a.offset).cmp(&(&b.path, b.snapshot, b.part, b.offset))
    });
    Ok(findings)
}

/// A finding left after the repair: `not-repaired`, the finding's line, and
/// its kind last.
fn not_repaired(out: &mut Output, f: &Finding) -> std::io::Result<()> {
    let line = f.to_string();
    writeln!(
        out,
        "not-repaired{}\tfinding={}",
        &line[f.kind.as_str().len()..],
        f.kind
    )
}
