//! `blobsel preview`: stream listings through the matcher, print what is
//! selected (or not) in input order, and account for every blob.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::PathBuf;

use anyhow::Result;
use blobsel::listing;
use blobsel::{Exportability, ListingEntry, ListingFormat, ListingReader, RuleId, SnapshotTime};

use crate::output::Output;
use crate::summary::{Stats, SummaryMode};

/// A resolved `preview` configuration.
pub struct Config {
    pub matcher: crate::index::CliMatcher,
    /// Why a blob is not exported, in words: with --invert, for --explain
    /// and --output jsonl.
    pub why: Option<crate::why::WhyNot>,
    pub listings: Vec<Listing>,
    /// Skip jsonl keys blobsel does not read (`--ignore-unknown-keys`).
    pub ignore_unknown_keys: bool,
    pub jsonl: bool,
    /// With `SummaryMode::Only`: the summary as one JSON object.
    pub summary_json: bool,
    pub explain: bool,
    pub invert: bool,
    pub summary: SummaryMode,
    pub drive_size: Option<u64>,
    pub output_file: Option<PathBuf>,
    pub progress: bool,
    /// List this account instead of `listings`, with the selection
    /// `matcher` was compiled from (which plans the listing calls).
    pub account: Option<(crate::live::Account, blobsel::Selection)>,
}

/// One listing input: a file or stdin, in a format.
pub struct Listing {
    pub path: Option<PathBuf>,
    pub format: ListingFormat,
    /// How the format was chosen, for errors.
    pub from: crate::listings::FormatFrom,
    /// Bytes of stdin already read (to detect the format), read first.
    pub head: Vec<u8>,
}

impl Listing {
    pub fn name(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => "<stdin>".into(),
        }
    }
}

/// What one run did, for the summary and the exit code.
pub struct Outcome {
    pub stats: Stats,
    pub listed: Option<blobsel::remote::ListStats>,
}

pub fn run(cfg: &Config) -> Result<Outcome> {
    let mut out = Output::open(cfg.output_file.as_deref())?;
    let mut stats = Stats::new(&cfg.matcher, cfg.drive_size);
    let mut listed = None;
    if let Some((account, selection)) = &cfg.account {
        let mut buf = Vec::with_capacity(4096);
        listed = Some(account.list(selection, &mut |entry| {
            process_entry(cfg, entry, &mut out, &mut stats, &mut buf)
        })?);
    }
    let progress = crate::progress::Progress::new(cfg.progress, total_bytes(&cfg.listings));
    for listing in &cfg.listings {
        let name = listing.name();
        let before = stats.read;
        let read = match listing.format {
            ListingFormat::Lines => lines(cfg, listing, &name, &mut out, &mut stats, &progress),
            format => {
                let options =
                    listing::ReadOptions::default().ignore_unknown_keys(cfg.ignore_unknown_keys);
                open_structured(listing, format, &name, options, &progress).and_then(|mut r| {
                    entries(cfg, &mut *r, &mut out, &mut stats)?;
                    stats.rows_with_ignored_keys += r.rows_with_ignored_keys();
                    Ok(())
                })
            }
        };
        // A listing read in the wrong format fails on its first record.
        let first = listing.format != ListingFormat::Lines && stats.read == before;
        read.map_err(|e| crate::listings::hint(e, listing, first))?;
    }
    progress.finish();
    if cfg.summary == SummaryMode::Only && cfg.summary_json {
        let summary = stats.summary_json(&cfg.matcher, listed.as_ref());
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else if cfg.summary == SummaryMode::Only {
        if let Some(l) = &listed {
            writeln!(out, "{}", crate::live::describe(l))?;
        }
        stats.print_summary(&cfg.matcher, cfg.drive_size, &mut out)?;
    }
    out.finish()?;
    Ok(Outcome { stats, listed })
}

fn total_bytes(listings: &[Listing]) -> Option<u64> {
    listings
        .iter()
        .map(|l| {
            l.path
                .as_ref()
                .and_then(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
        })
        .sum()
}

fn open(listing: &Listing) -> Result<Box<dyn Read + Send>> {
    Ok(match &listing.path {
        Some(p) => Box::new(crate::output::open_file(p)?),
        None => Box::new(io::Cursor::new(listing.head.clone()).chain(io::stdin())),
    })
}

/// A reader of one structured listing (everything but the parallel
/// `lines` path), as `preview` and `verify` read it.
pub fn open_structured<'a>(
    listing: &Listing,
    format: ListingFormat,
    name: &str,
    options: listing::ReadOptions,
    progress: &'a crate::progress::Progress,
) -> Result<Box<dyn ListingReader + 'a>> {
    #[cfg(feature = "parquet")]
    if format == ListingFormat::InventoryParquet {
        if let Some(p) = &listing.path {
            let file = crate::output::open_file(p)?;
            return Ok(Box::new(listing::InventoryParquetReader::new(file, name)?));
        }
    }
    let input = progress.wrap(open(listing)?);
    let input: Box<dyn BufRead + 'a> = Box::new(BufReader::with_capacity(256 * 1024, input));
    Ok(listing::open_reader_with(format, input, name, options)?)
}

// ---------------------------------------------------------------------------
// Structured listings: one entry at a time.

fn entries(
    cfg: &Config,
    reader: &mut dyn ListingReader,
    out: &mut Output,
    stats: &mut Stats,
) -> Result<()> {
    let mut entry = ListingEntry::default();
    let mut buf = Vec::with_capacity(4096);
    while reader.read_entry(&mut entry)? {
        if entry.line % 4096 == 0 {
            crate::check_interrupted()?;
        }
        process_entry(cfg, &entry, out, stats, &mut buf)?;
    }
    Ok(())
}

fn process_entry(
    cfg: &Config,
    entry: &ListingEntry,
    out: &mut Output,
    stats: &mut Stats,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    let rule = match entry.exportability() {
        Exportability::Exportable => cfg.matcher.find_path(entry.path.as_bytes(), entry.snapshot),
        _ => None,
    };
    stats.record_entry(entry, rule);
    if rule.is_some() != cfg.invert && cfg.summary != SummaryMode::Only {
        stats.printed += 1;
        buf.clear();
        write_entry(cfg, entry, rule, buf);
        out.write_all(buf)?;
    }
    Ok(())
}

fn write_entry(cfg: &Config, e: &ListingEntry, rule: Option<RuleId>, buf: &mut Vec<u8>) {
    let reason = || match &cfg.why {
        Some(why) => why.reason(&cfg.matcher, &e.path, e.snapshot, e.exportability()),
        None => String::new(),
    };
    if cfg.jsonl {
        let row = JsonRow {
            path: &e.path,
            snapshot: e.snapshot,
            size: e.size,
            rule: rule.map(|r| cfg.matcher.rule(r).to_string()),
            reason: rule.is_none().then(reason),
            blob_type: e.blob_type,
            leased: e.leased,
            version_id: e.version_id.as_deref(),
            is_current_version: e.is_current_version,
            larger_than_drive: matches!((e.size, cfg.drive_size), (Some(n), Some(d)) if n > d),
        };
        write_json(&row, buf);
        return;
    }
    buf.extend_from_slice(e.path.as_bytes());
    if let Some(s) = e.snapshot {
        let _ = write!(buf, "\t{s}");
    }
    if cfg.explain {
        match rule {
            Some(r) => {
                let _ = write!(buf, "\t{}", cfg.matcher.rule(r));
            }
            None => {
                let _ = write!(buf, "\t{}", reason());
            }
        }
    }
    buf.push(b'\n');
}

/// A row of `--output jsonl`: the blob, what the listing told of it, and
/// the rule that selects it or (with --invert) why none does.
#[derive(serde::Serialize)]
struct JsonRow<'a> {
    path: &'a str,
    snapshot: Option<SnapshotTime>,
    size: Option<u64>,
    rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    blob_type: Option<blobsel::BlobType>,
    leased: Option<bool>,
    version_id: Option<&'a str>,
    /// Whether the row is the current version (with a version id: without
    /// it, a row read back is taken as a previous version).
    #[serde(skip_serializing_if = "Option::is_none")]
    is_current_version: Option<bool>,
    /// With --drive-size: the blob cannot be exported, being larger than a
    /// drive.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    larger_than_drive: bool,
}

fn write_json(row: &JsonRow<'_>, buf: &mut Vec<u8>) {
    let _ = serde_json::to_writer(&mut *buf, row);
    buf.push(b'\n');
}

// ---------------------------------------------------------------------------
// Lines: the library's parallel pipeline; output made on the workers,
// written here in input order.

/// What one chunk gave. Output is either bytes of its own, or (for lines
/// printed as read) ranges of the chunk, so selected lines are written
/// straight from the input buffer.
struct ChunkOut {
    out: Vec<u8>,
    ranges: Vec<(usize, usize)>,
    stats: Stats,
    hits: Vec<RuleId>,
}

fn lines(
    cfg: &Config,
    listing: &Listing,
    name: &str,
    out: &mut Output,
    stats: &mut Stats,
    progress: &crate::progress::Progress,
) -> Result<()> {
    let work =
        |finds: &mut listing::Finds<'_, '_, crate::index::FileBytes>| match_chunk(cfg, finds);
    let sink = |chunk: &[u8], r: ChunkOut| -> Result<()> {
        for &(start, end) in &r.ranges {
            out.write_all(&chunk[start..end])?;
        }
        out.write_all(&r.out)?;
        stats.merge(&r.stats);
        for id in &r.hits {
            stats.tally.record(*id);
        }
        progress.add(chunk.len() as u64);
        crate::check_interrupted()
    };
    // A file is read in place (mapped, when it is a regular file); stdin
    // through `read`.
    match &listing.path {
        Some(p) => {
            let file = crate::output::open_file(p)?;
            listing::par_find_file(file, name, &cfg.matcher, work, sink)?;
        }
        None => {
            listing::par_find(open(listing)?, name, &cfg.matcher, work, sink)?;
        }
    }
    Ok(())
}

fn match_chunk(
    cfg: &Config,
    finds: &mut listing::Finds<'_, '_, crate::index::FileBytes>,
) -> ChunkOut {
    let chunk = finds.chunk();
    let print = cfg.summary != SummaryMode::Only;
    // Lines print as read unless they need more than their own bytes.
    let as_read = print && !cfg.jsonl && !cfg.explain;
    let mut r = ChunkOut {
        out: Vec::with_capacity(if print && !as_read {
            chunk.len() / 2
        } else {
            0
        }),
        ranges: Vec::new(),
        stats: Stats::default(), // counters only: the tally is merged from `hits`
        hits: Vec::new(),
    };
    for found in finds {
        // Lines carry no sizes, leases, versions or commit states.
        r.stats
            .count(found.rule.is_some(), Exportability::Exportable, None, false);
        if let Some(id) = found.rule {
            r.hits.push(id);
        }
        if found.rule.is_some() == cfg.invert || !print {
            continue;
        }
        r.stats.printed += 1;
        if as_read {
            if found.lf() {
                // The line and its '\n', straight from the chunk; adjacent
                // lines merge into one range.
                let (start, end) = (found.start, found.start + found.line.len() + 1);
                match r.ranges.last_mut() {
                    Some(last) if last.1 == start => last.1 = end,
                    _ => r.ranges.push((start, end)),
                }
            } else {
                // A CRLF line, or the last line without '\n': write the
                // ranges so far, then this line by its own bytes.
                flush_ranges(&mut r, chunk);
                r.out.extend_from_slice(found.text());
                r.out.push(b'\n');
            }
        } else {
            let mut canonical = String::with_capacity(found.text().len() + 1);
            found.blob.push_canonical(&mut canonical);
            let reason = || match &cfg.why {
                Some(why) => why.reason(
                    &cfg.matcher,
                    &canonical,
                    found.blob.snapshot,
                    Exportability::Exportable,
                ),
                None => "no rule".to_string(),
            };
            if cfg.jsonl {
                let row = JsonRow {
                    path: &canonical,
                    snapshot: found.blob.snapshot,
                    size: None,
                    rule: found.rule.map(|id| cfg.matcher.rule(id).to_string()),
                    reason: found.rule.is_none().then(reason),
                    blob_type: None,
                    leased: None,
                    version_id: None,
                    is_current_version: None,
                    larger_than_drive: false,
                };
                write_json(&row, &mut r.out);
            } else {
                r.out.extend_from_slice(found.text());
                let _ = match found.rule {
                    Some(id) => write!(r.out, "\t{}", cfg.matcher.rule(id)),
                    None => write!(r.out, "\t{}", reason()),
                };
                r.out.push(b'\n');
            }
        }
    }
    // Output stays in input order: ranges after bytes of our own (a CRLF
    // line, say) go after them, also when a bad line ends the chunk.
    if !r.out.is_empty() {
        flush_ranges(&mut r, chunk);
    }
    r
}

/// Moves the pending ranges into `out`, before bytes of its own are added
/// (output stays in input order).
fn flush_ranges(r: &mut ChunkOut, chunk: &[u8]) {
    for &(s, e) in &r.ranges {
        r.out.extend_from_slice(&chunk[s..e]);
    }
    r.ranges.clear();
}
