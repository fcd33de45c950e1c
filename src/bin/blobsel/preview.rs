//! `blobsel preview`: stream listings through the matcher, print what is
//! selected (or not) in input order, and account for every blob.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::mpsc;

use anyhow::{Context, Result};
use blobsel::listing::{self, parse_line};
use blobsel::{
    Error, ErrorKind, Exportability, ListingEntry, ListingFormat, ListingReader, Matcher, RuleId,
    SnapshotTime,
};

use crate::output::Output;
use crate::summary::{Stats, SummaryMode};

/// A resolved `preview` configuration.
pub struct Config {
    pub matcher: Matcher,
    pub listings: Vec<Listing>,
    pub jsonl: bool,
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
}

impl Listing {
    fn name(&self) -> String {
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
    let mut stats = Stats::new(&cfg.matcher, cfg.drive_size.is_some());
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
        match listing.format {
            ListingFormat::Lines => {
                let input = open(listing)?;
                lines(cfg, input, &name, &mut out, &mut stats, &progress)?;
            }
            format => {
                let mut reader = open_structured(listing, format, &name, &progress)?;
                entries(cfg, &mut *reader, &mut out, &mut stats)?;
            }
        }
    }
    progress.finish();
    if cfg.summary == SummaryMode::Only {
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
        None => Box::new(io::stdin()),
    })
}

fn open_structured<'a>(
    listing: &Listing,
    format: ListingFormat,
    name: &str,
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
    Ok(listing::open_reader(format, input, name)?)
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
    let reason = match e.exportability() {
        Exportability::Uncommitted => "uncommitted blob",
        Exportability::PreviousVersion => "previous version",
        Exportability::Exportable => "no rule",
    };
    if cfg.jsonl {
        write_json(cfg, e.path.as_bytes(), e.snapshot, e.size, rule, buf);
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
                let _ = write!(buf, "\t{reason}");
            }
        }
    }
    buf.push(b'\n');
}

#[derive(serde::Serialize)]
struct JsonRow<'a> {
    path: &'a str,
    snapshot: Option<SnapshotTime>,
    size: Option<u64>,
    rule: Option<String>,
}

fn write_json(
    cfg: &Config,
    path: &[u8],
    snapshot: Option<SnapshotTime>,
    size: Option<u64>,
    rule: Option<RuleId>,
    buf: &mut Vec<u8>,
) {
    let path = std::str::from_utf8(path).unwrap_or("");
    let rule = rule.map(|r| cfg.matcher.rule(r).to_string());
    let _ = serde_json::to_writer(
        &mut *buf,
        &JsonRow {
            path,
            snapshot,
            size,
            rule,
        },
    );
    buf.push(b'\n');
}

// ---------------------------------------------------------------------------
// Lines: chunks split on newlines, matched in parallel, written in order.

const CHUNK: usize = 1 << 20;
/// No valid line is longer: a 63-character container, 1,024 four-byte
/// characters and a snapshot time fit with room to spare.
const MAX_LINE: usize = 8 * 1024;

enum Piece {
    Data(Vec<u8>),
    TooLong,
    Failed(io::Error),
}

/// Reads `input` into chunks that end at a newline, on its own thread, so
/// reading overlaps matching; at most `depth` chunks wait.
fn chunker(mut input: Box<dyn Read + Send>, depth: usize) -> mpsc::Receiver<Piece> {
    let (tx, rx) = mpsc::sync_channel(depth);
    std::thread::spawn(move || {
        let mut carry: Vec<u8> = Vec::new();
        let mut first = true;
        loop {
            let mut buf = Vec::with_capacity(CHUNK + carry.len());
            buf.append(&mut carry);
            let want = (CHUNK - buf.len().min(CHUNK / 2)) as u64;
            // `take` + `read_to_end` fills without zeroing the buffer first.
            let eof = match (&mut input).take(want).read_to_end(&mut buf) {
                Ok(n) => (n as u64) < want,
                Err(e) => {
                    let _ = tx.send(Piece::Failed(e));
                    return;
                }
            };
            if first {
                first = false;
                if buf.starts_with(b"\xEF\xBB\xBF") {
                    buf.drain(..3); // a UTF-8 byte-order mark is not part of line 1
                }
            }
            if !eof {
                match memchr::memrchr(b'\n', &buf) {
                    Some(i) => carry.extend_from_slice(&buf[i + 1..]),
                    None => {
                        let _ = tx.send(Piece::TooLong);
                        return;
                    }
                }
                buf.truncate(buf.len() - carry.len());
                if carry.len() > MAX_LINE {
                    let _ = tx.send(Piece::Data(buf));
                    let _ = tx.send(Piece::TooLong);
                    return;
                }
            }
            if !buf.is_empty() && tx.send(Piece::Data(buf)).is_err() {
                return;
            }
            if eof {
                return;
            }
        }
    });
    rx
}

/// What matching one chunk gave. Output is either bytes of its own, or (for
/// lines printed as read) ranges of the chunk, so selected lines are
/// written straight from the input buffer.
struct ChunkResult {
    out: Vec<u8>,
    ranges: Vec<(usize, usize)>,
    lines: u64,
    stats: Stats,
    hits: Vec<RuleId>,
    error: Option<(u64, Error)>,
}

fn lines(
    cfg: &Config,
    input: Box<dyn Read + Send>,
    name: &str,
    out: &mut Output,
    stats: &mut Stats,
    progress: &crate::progress::Progress,
) -> Result<()> {
    let threads = rayon::current_num_threads();
    // Chunks in flight (read, being matched, or matched and waiting for
    // their turn to be written): enough to keep every worker busy while
    // the one to write next is still being matched.
    let in_flight = 2 * threads + 2;
    let rx = chunker(input, threads + 1);
    let mut sink = Sink {
        name,
        line_base: 0,
        out,
        stats,
        progress,
    };
    // Each chunk is matched as soon as it is read, by whichever worker is
    // free; this thread writes the results in input order as they come.
    rayon::in_place_scope(|scope| -> Result<()> {
        type Done = (usize, Vec<u8>, std::thread::Result<ChunkResult>);
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        let mut waiting: BTreeMap<usize, (Vec<u8>, ChunkResult)> = BTreeMap::new();
        let (mut started, mut written) = (0usize, 0usize);
        let mut stop: Option<Piece> = None;
        let mut read_all = false;
        loop {
            while !read_all && started - written < in_flight {
                match rx.recv() {
                    Ok(Piece::Data(chunk)) => {
                        let done = done_tx.clone();
                        let index = started;
                        scope.spawn(move |_| {
                            // A panic is sent too: this thread waits for
                            // every result and must not wait forever.
                            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                                match_chunk(cfg, &chunk)
                            }));
                            // The receiver is gone only after an error.
                            let _ = done.send((index, chunk, result));
                        });
                        started += 1;
                    }
                    Ok(other) => {
                        stop = Some(other);
                        read_all = true;
                    }
                    Err(_) => read_all = true,
                }
            }
            if written == started {
                break;
            }
            let (chunk, result) = loop {
                if let Some(next) = waiting.remove(&written) {
                    break next;
                }
                let (index, chunk, result) = done_rx
                    .recv()
                    .context("a matching worker stopped without a result")?;
                let result = result.map_err(|_| {
                    anyhow::anyhow!(
                        "internal error: matching chunk {index} panicked (a bug: please report it)"
                    )
                })?;
                waiting.insert(index, (chunk, result));
            };
            sink.write(&chunk, result)?;
            written += 1;
            crate::check_interrupted()?;
        }
        match stop {
            Some(piece) => handle_late(piece, name, sink.line_base),
            None => Ok(()),
        }
    })
}

/// The in-order end of the lines pipeline: output, counts, line numbers.
struct Sink<'a> {
    name: &'a str,
    line_base: u64,
    out: &'a mut Output,
    stats: &'a mut Stats,
    progress: &'a crate::progress::Progress,
}

impl Sink<'_> {
    fn write(&mut self, chunk: &[u8], r: ChunkResult) -> Result<()> {
        for &(start, end) in &r.ranges {
            self.out.write_all(&chunk[start..end])?;
        }
        self.out.write_all(&r.out)?;
        self.stats.merge(&r.stats);
        for id in &r.hits {
            self.stats.tally.record(*id);
        }
        if let Some((line, e)) = r.error {
            return Err(e.in_source(self.name).at_line(self.line_base + line).into());
        }
        self.line_base += r.lines;
        self.progress.add(chunk.len() as u64);
        Ok(())
    }
}

fn handle_late(piece: Piece, name: &str, line_base: u64) -> Result<()> {
    match piece {
        Piece::Data(_) => Ok(()),
        Piece::TooLong => Err(Error::new(
            ErrorKind::InvalidListing,
            format!("a line longer than {MAX_LINE} bytes, longer than any blob path: is this a lines listing?"),
        )
        .in_source(name)
        .at_line(line_base + 1)
        .into()),
        Piece::Failed(e) => Err(e).with_context(|| format!("{name}: read failed")),
    }
}

fn match_chunk(cfg: &Config, chunk: &[u8]) -> ChunkResult {
    let print = cfg.summary != SummaryMode::Only;
    // Lines print as read unless they need more than their own bytes.
    let as_read = print && !cfg.jsonl && !cfg.explain;
    let mut r = ChunkResult {
        out: Vec::with_capacity(if print && !as_read {
            chunk.len() / 2
        } else {
            0
        }),
        ranges: Vec::new(),
        lines: 0,
        stats: Stats::default(), // counters only: the tally is merged from `hits`
        hits: Vec::new(),
        error: None,
    };
    let mut cursor = cfg.matcher.cursor();
    let mut start = 0;
    let mut newlines = blobsel::listing::lines::line_ends(chunk);
    while start < chunk.len() {
        let end = newlines.next().unwrap_or(chunk.len());
        let line = &chunk[start..end];
        let line_start = start;
        start = end + 1;
        r.lines += 1;
        let blob = match parse_line(line) {
            Ok(Some(b)) => b,
            Ok(None) => continue,
            Err(e) => {
                r.error = Some((r.lines, e));
                break;
            }
        };
        // The path begins at the container (or at the '/' before it).
        let path_start = blob.container.as_ptr() as usize - line.as_ptr() as usize;
        let path_end = blob.name.as_ptr() as usize - line.as_ptr() as usize + blob.name.len();
        let path = &line[path_start..path_end];
        let rule = cursor.find_blob(path, blob.container.len(), blob.snapshot);
        r.stats.read += 1;
        if let Some(id) = rule {
            r.stats.selected += 1;
            r.stats.selected_without_size += 1; // lines carry no sizes
            r.hits.push(id);
        }
        if rule.is_some() == cfg.invert || !print {
            continue;
        }
        r.stats.printed += 1;
        if as_read {
            let text_end = line_start + line.strip_suffix(b"\r").unwrap_or(line).len();
            if text_end == end && end < chunk.len() {
                // The line and its '\n', straight from the chunk; adjacent
                // lines merge into one range.
                match r.ranges.last_mut() {
                    Some(last) if last.1 == line_start => last.1 = end + 1,
                    _ => r.ranges.push((line_start, end + 1)),
                }
            } else {
                // A CRLF line, or the last line without '\n': write the
                // ranges so far, then this line by its own bytes.
                flush_ranges(&mut r, chunk);
                r.out.extend_from_slice(&chunk[line_start..text_end]);
                r.out.push(b'\n');
            }
        } else if cfg.jsonl {
            let mut canonical = Vec::with_capacity(path.len() + 1);
            canonical.push(b'/');
            canonical.extend_from_slice(path);
            write_json(cfg, &canonical, blob.snapshot, None, rule, &mut r.out);
        } else {
            r.out
                .extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
            let _ = match rule {
                Some(id) => write!(r.out, "\t{}", cfg.matcher.rule(id)),
                None => write!(r.out, "\tno rule"),
            };
            r.out.push(b'\n');
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
fn flush_ranges(r: &mut ChunkResult, chunk: &[u8]) {
    for &(s, e) in &r.ranges {
        r.out.extend_from_slice(&chunk[s..e]);
    }
    r.ranges.clear();
}
