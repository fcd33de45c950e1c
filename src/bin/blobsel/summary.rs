//! Counting what a preview saw, and the summary and drive estimate.

use std::io::{self, Write};

use blobsel::{
    Exportability, ListingEntry, Matcher, RuleId, RuleKind, RuleStatus, SnapshotTime, Tally,
};
use serde_json::{json, Value};

/// Where the summary goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryMode {
    None,
    Stderr,
    /// To stdout, instead of the list.
    Only,
}

/// The most drives one job holds (docs/semantics.md §4).
pub const DRIVES_PER_JOB: usize = 10;

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub read: u64,
    pub selected: u64,
    pub printed: u64,
    /// In u128: a listing may give any u64 size, and the sum must not wrap.
    pub bytes_selected: u128,
    pub selected_without_size: u64,
    pub uncommitted: u64,
    pub previous_versions: u64,
    pub leased_selected: u64,
    /// Rows whose unknown keys were skipped (`--ignore-unknown-keys`).
    pub rows_with_ignored_keys: u64,
    pub tally: Tally,
    /// Sizes of the selected blobs, kept only for a drive estimate.
    pub sizes: Option<Vec<u64>>,
    /// The drive size of the estimate, if one is asked for.
    pub drive: Option<u64>,
    /// Selected blobs larger than the drive: they cannot be exported, and
    /// each is named.
    pub oversize: Vec<Oversize>,
}

/// A selected blob larger than a drive.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Oversize {
    pub path: String,
    pub snapshot: Option<SnapshotTime>,
    pub size: u64,
}

impl std::fmt::Display for Oversize {
    /// `/container/blob[<TAB>SNAPSHOT]  (SIZE, N bytes)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.path)?;
        if let Some(s) = self.snapshot {
            write!(f, "\t{s}")?;
        }
        write!(f, "  ({}, {} bytes)", decimal(self.size), self.size)
    }
}

impl Stats {
    /// Counters for `matcher`'s rules; sizes are kept for an estimate on
    /// drives of `drive` bytes.
    pub fn new<D: AsRef<[u8]>>(matcher: &Matcher<D>, drive: Option<u64>) -> Stats {
        Stats {
            tally: matcher.tally(),
            sizes: drive.map(|_| Vec::new()),
            drive,
            ..Stats::default()
        }
    }

    pub fn merge(&mut self, o: &Stats) {
        self.read += o.read;
        self.selected += o.selected;
        self.printed += o.printed;
        self.bytes_selected += o.bytes_selected;
        self.selected_without_size += o.selected_without_size;
        self.uncommitted += o.uncommitted;
        self.previous_versions += o.previous_versions;
        self.leased_selected += o.leased_selected;
    }

    /// Records one listed blob: the counters, the rule's hit, the size.
    pub fn record_entry(&mut self, e: &ListingEntry, rule: Option<RuleId>) {
        self.count(
            rule.is_some(),
            e.exportability(),
            e.size,
            e.is_leased_blob(),
        );
        let Some(rule) = rule else { return };
        self.tally.record(rule);
        match (self.sizes.as_mut(), e.size, self.drive) {
            (Some(_), Some(n), Some(drive)) if n > drive => self.oversize.push(Oversize {
                path: e.path.clone(),
                snapshot: e.snapshot,
                size: n,
            }),
            (Some(sizes), Some(n), _) => sizes.push(n),
            _ => {}
        }
    }

    /// The counters of [`Stats::record_entry`], for a worker that keeps
    /// the hits to merge later.
    pub fn count(
        &mut self,
        selected: bool,
        exportability: Exportability,
        size: Option<u64>,
        leased: bool,
    ) {
        self.read += 1;
        match exportability {
            Exportability::Uncommitted => self.uncommitted += 1,
            Exportability::PreviousVersion => self.previous_versions += 1,
            Exportability::Exportable => {}
        }
        if !selected {
            return;
        }
        self.selected += 1;
        match size {
            Some(n) => self.bytes_selected += u128::from(n),
            None => self.selected_without_size += 1,
        }
        if leased {
            self.leased_selected += 1;
        }
    }

    pub fn print_summary<D: AsRef<[u8]>>(
        &self,
        m: &Matcher<D>,
        drive_size: Option<u64>,
        w: &mut dyn Write,
    ) -> io::Result<()> {
        writeln!(w, "blobs read:                {}", self.read)?;
        writeln!(w, "blobs selected:            {}", self.selected)?;
        writeln!(
            w,
            "blobs not selected:        {}",
            self.read - self.selected
        )?;
        if self.selected > 0 {
            if self.selected_without_size == 0 {
                writeln!(
                    w,
                    "bytes selected:            {} ({})",
                    self.bytes_selected,
                    decimal(self.bytes_selected)
                )?;
            } else if self.selected_without_size < self.selected {
                writeln!(
                    w,
                    "bytes selected:            at least {} ({}); {} selected blobs have no size in the listing",
                    self.bytes_selected,
                    decimal(self.bytes_selected),
                    self.selected_without_size
                )?;
            } else {
                writeln!(
                    w,
                    "bytes selected:            unknown (the listing has no sizes)"
                )?;
            }
        }
        writeln!(
            w,
            "uncommitted blobs skipped: {} (never exported)",
            self.uncommitted
        )?;
        writeln!(
            w,
            "previous versions skipped: {} (a blob list cannot name them)",
            self.previous_versions
        )?;
        writeln!(
            w,
            "leased blobs selected:     {} (exported from a snapshot the service takes; if that fails they are listed as incomplete)",
            self.leased_selected
        )?;
        if self.rows_with_ignored_keys > 0 {
            writeln!(
                w,
                "unknown keys ignored:      {} rows (--ignore-unknown-keys)",
                self.rows_with_ignored_keys
            )?;
        }
        let (effective, duplicate, covered) = status_counts(m);
        writeln!(
            w,
            "rules:                     {} ({effective} effective, {duplicate} duplicate, {covered} covered by another rule)",
            m.rule_count()
        )?;
        const MAX_HIT_LINES: usize = 100;
        let mut hit_rules: Vec<_> = m.report(&self.tally).filter(|r| r.hits > 0).collect();
        if !hit_rules.is_empty() {
            writeln!(w, "hits per rule:")?;
            hit_rules.sort_by(|a, b| b.hits.cmp(&a.hits).then(a.rule.id.cmp(&b.rule.id)));
            for r in hit_rules.iter().take(MAX_HIT_LINES) {
                writeln!(w, "  {:>12}  {}", r.hits, r.rule)?;
            }
            if hit_rules.len() > MAX_HIT_LINES {
                writeln!(
                    w,
                    "  … and {} more rules with hits",
                    hit_rules.len() - MAX_HIT_LINES
                )?;
            }
        }
        let unused: Vec<_> = m.unused(&self.tally).collect();
        if !unused.is_empty() {
            writeln!(w, "rules that selected nothing: {}", unused.len())?;
            for r in unused {
                match r.rule.status {
                    RuleStatus::Effective => {
                        writeln!(w, "  {}: no blob in the listing matches", r.rule)?
                    }
                    RuleStatus::Duplicate { of } => {
                        writeln!(w, "  {}: duplicate of {}", r.rule, m.rule(of))?
                    }
                    RuleStatus::Covered { by } => {
                        writeln!(w, "  {}: covered by {}", r.rule, m.rule(by))?
                    }
                }
            }
        }
        if let (Some(drive), Some(sizes)) = (drive_size, &self.sizes) {
            let missing = self.selected_without_size;
            print_drives(&estimate(sizes, drive), drive, missing, &self.oversize, w)?;
        }
        Ok(())
    }

    /// The summary as one JSON object: what [`Stats::print_summary`]
    /// prints, for programs (`--summary-only --output json`).
    pub fn summary_json<D: AsRef<[u8]>>(
        &self,
        m: &Matcher<D>,
        listed: Option<&blobsel::remote::ListStats>,
    ) -> Value {
        let rule = |r: &blobsel::RuleInfo<'_>| {
            json!({
                "rule": r.to_string(),
                "element": r.kind.element(),
                "text": r.text,
                "snapshot_time": match r.kind {
                    RuleKind::Snapshot(t) => Some(t),
                    _ => None,
                },
                "source": r.source,
                "line": r.position.map(|p| p.line),
                "column": r.position.map(|p| p.column),
            })
        };
        let (effective, duplicate, covered) = status_counts(m);
        let hits: Vec<Value> = m
            .report(&self.tally)
            .filter(|r| r.hits > 0)
            .map(|r| {
                let mut v = rule(&r.rule);
                v["hits"] = json!(r.hits);
                v
            })
            .collect();
        let unused: Vec<Value> = m
            .unused(&self.tally)
            .map(|r| {
                let mut v = rule(&r.rule);
                let (why, other) = match r.rule.status {
                    RuleStatus::Effective => ("no blob in the listing matches", None),
                    RuleStatus::Duplicate { of } => ("duplicate", Some(m.rule(of))),
                    RuleStatus::Covered { by } => ("covered", Some(m.rule(by))),
                };
                v["why"] = json!(why);
                v["by"] = json!(other.map(|o| o.to_string()));
                v
            })
            .collect();
        let bytes_selected = match (self.selected_without_size, self.selected) {
            (0, _) => json!(self.bytes_selected),
            (n, s) if n < s => json!(self.bytes_selected),
            _ => Value::Null,
        };
        let mut v = json!({
            "blobs_read": self.read,
            "blobs_selected": self.selected,
            "blobs_not_selected": self.read - self.selected,
            "bytes_selected": bytes_selected,
            "bytes_selected_is_lower_bound": self.selected_without_size > 0 && self.selected_without_size < self.selected,
            "selected_without_size": self.selected_without_size,
            "uncommitted_skipped": self.uncommitted,
            "previous_versions_skipped": self.previous_versions,
            "leased_selected": self.leased_selected,
            "rules": {
                "total": m.rule_count(),
                "effective": effective,
                "duplicate": duplicate,
                "covered": covered,
            },
            "hits_per_rule": hits,
            "unused_rules": unused,
            "drive_estimate": Value::Null,
            "listed": Value::Null,
        });
        if let (Some(drive), Some(sizes)) = (self.drive, &self.sizes) {
            let e = estimate(sizes, drive);
            v["drive_estimate"] = json!({
                "drive_size": drive,
                "drives_needed": e.drives.len(),
                "drives": e.drives.iter().map(|(blobs, bytes)| json!({"blobs": blobs, "bytes": bytes})).collect::<Vec<_>>(),
                "blobs_that_can_be_exported": e.drives.iter().map(|d| d.0).sum::<u64>(),
                "blobs_larger_than_a_drive": self.oversize,
                "selected_without_size": self.selected_without_size,
                "drives_per_job": DRIVES_PER_JOB,
                "jobs_needed": e.drives.len().div_ceil(DRIVES_PER_JOB),
            });
        }
        if let Some(l) = listed {
            v["listed"] = json!({
                "containers": l.containers,
                "list_blobs_pages": l.list_blobs_pages,
                "list_containers_pages": l.list_containers_pages,
                "rows": l.entries,
                "retries": l.retries,
                "containers_not_found": l.missing_containers,
            });
        }
        v
    }
}

/// How many rules are effective, duplicates, and covered by another.
fn status_counts<D: AsRef<[u8]>>(m: &Matcher<D>) -> (u64, u64, u64) {
    let (mut effective, mut duplicate, mut covered) = (0, 0, 0);
    for r in m.rules() {
        match r.status {
            RuleStatus::Effective => effective += 1,
            RuleStatus::Duplicate { .. } => duplicate += 1,
            RuleStatus::Covered { .. } => covered += 1,
        }
    }
    (effective, duplicate, covered)
}

/// A drive estimate: how the selected blobs pack onto drives.
pub struct Estimate {
    /// Per drive: blob count and occupied bytes.
    pub drives: Vec<(u64, u64)>,
    /// Blobs larger than a drive: they cannot be exported.
    pub too_large: Vec<u64>,
}

/// Packs blobs first-fit decreasing: largest first, each onto the first
/// drive with room, a new drive when none has. A blob larger than a drive
/// cannot be exported.
pub fn estimate(sizes: &[u64], drive: u64) -> Estimate {
    let mut sorted: Vec<u64> = sizes.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    let mut drives: Vec<(u64, u64)> = Vec::new();
    let mut too_large = Vec::new();
    for size in sorted {
        if size > drive {
            too_large.push(size);
            continue;
        }
        match drives.iter_mut().find(|(_, used)| drive - *used >= size) {
            Some(d) => {
                d.0 += 1;
                d.1 += size;
            }
            None => drives.push((1, size)),
        }
    }
    Estimate { drives, too_large }
}

fn print_drives(
    e: &Estimate,
    drive: u64,
    missing: u64,
    oversize: &[Oversize],
    w: &mut dyn Write,
) -> io::Result<()> {
    writeln!(
        w,
        "drive size:                {} ({drive} bytes)",
        decimal(drive)
    )?;
    let exportable: u64 = e.drives.iter().map(|d| d.0).sum();
    writeln!(w, "blobs that can be exported:   {exportable}")?;
    writeln!(
        w,
        "blobs that cannot be exported: {} (larger than a drive)",
        e.too_large.len() + oversize.len()
    )?;
    for blob in oversize {
        writeln!(w, "  {blob}")?;
    }
    for size in &e.too_large {
        writeln!(w, "  blob of {} ({size} bytes)", decimal(*size))?;
    }
    if missing > 0 {
        writeln!(w, "warning: {missing} selected blobs have no size in the listing and are not in the estimate")?;
    }
    writeln!(w, "drives needed:             {}", e.drives.len())?;
    for (i, (blobs, used)) in e.drives.iter().enumerate() {
        writeln!(
            w,
            "  drive #{}: blobs = {blobs}, occupied space = {}",
            i + 1,
            decimal(*used)
        )?;
    }
    if e.drives.len() > DRIVES_PER_JOB {
        let jobs = e.drives.len().div_ceil(DRIVES_PER_JOB);
        writeln!(
            w,
            "warning: {} drives exceed the {DRIVES_PER_JOB} a job holds: split the selection into {jobs} jobs",
            e.drives.len()
        )?;
    }
    Ok(())
}

/// `454.74 GB` (decimal units, as the service's PreviewExport prints).
pub fn decimal(n: impl Into<u128>) -> String {
    let n: u128 = n.into();
    const UNITS: [&str; 6] = ["B", "KB", "MB", "GB", "TB", "PB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i + 1 < UNITS.len() {
        v /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.2} {}", UNITS[i])
    }
}

/// The units a drive size takes, for messages and `--help`.
pub const SIZE_UNITS: &str = "B, KB, MB, GB, TB, PB (powers of 1000, as drives are sold; \
     K, M, G, T, P alone likewise) or KiB, MiB, GiB, TiB, PiB (powers of 1024)";

/// Parses a drive size: a number (decimals allowed) and a unit, decimal
/// (`B`, `KB`, `MB`, `GB`, `TB`, `PB`) or binary (`KiB` … `PiB`), any case;
/// `T`/`G` alone are decimal. A number without a unit is an error: `8`
/// is more likely 8 TB than 8 bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| {
        format!("invalid size {text:?}: write a number and a unit, e.g. 500GB, 8TB, 1.5TiB")
    })?;
    let unit = unit.trim().to_ascii_lowercase();
    let mult: f64 = match unit.as_str() {
        "" => {
            return Err(format!(
                "drive size {text:?} has no unit: write it with one, e.g. {}TB or {}GB \
                 (units: {SIZE_UNITS})",
                num, num
            ))
        }
        "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "t" | "tb" => 1e12,
        "p" | "pb" => 1e15,
        "kib" => 1024f64,
        "mib" => 1024f64.powi(2),
        "gib" => 1024f64.powi(3),
        "tib" => 1024f64.powi(4),
        "pib" => 1024f64.powi(5),
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?}: use {SIZE_UNITS}"
            ))
        }
    };
    let exact = value * mult;
    let bytes = exact.round();
    if bytes >= u64::MAX as f64 {
        return Err(format!(
            "invalid drive size {text:?}: too large (drives hold at most a few hundred TB)"
        ));
    }
    if bytes < 1.0 {
        return Err(format!(
            "invalid drive size {text:?}: it must be at least 1 byte"
        ));
    }
    // A decimal written in a large unit may land a hair off a whole number
    // in floating point; a fraction of a byte is a mistake.
    if (exact - bytes).abs() > 1e-6 * exact.max(1.0) {
        return Err(format!(
            "invalid drive size {text:?}: not a whole number of bytes"
        ));
    }
    Ok(bytes as u64)
}

/// A warning for a drive size smaller than any drive an export uses.
pub fn small_drive_warning(text: &str, bytes: u64) -> Option<String> {
    (bytes < 1_000_000_000).then(|| {
        format!(
            "warning: --drive-size {text} is {}, smaller than any drive an export job uses \
             (did you mean {}TB?)",
            decimal(bytes),
            text.trim()
                .trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .trim()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("500GB"), Ok(500_000_000_000));
        assert_eq!(parse_size("8TB"), Ok(8_000_000_000_000));
        assert_eq!(parse_size("1.5TiB"), Ok(1_649_267_441_664));
        assert_eq!(parse_size("1 gib"), Ok(1 << 30));
        assert_eq!(parse_size("8B"), Ok(8));
        let bare = parse_size("8").unwrap_err();
        assert!(
            bare.contains("has no unit") && bare.contains("8TB"),
            "{bare}"
        );
        assert!(bare.contains("KiB"), "{bare}");
        assert!(parse_size("12XB").is_err());
        assert!(parse_size("GB").is_err());
        assert!(parse_size("0GB").is_err());
        let too_large = parse_size("18446744073709551616B").unwrap_err();
        assert!(too_large.contains("too large"), "{too_large}");
        let fraction = parse_size("0.4B").unwrap_err();
        assert!(fraction.contains("at least 1 byte"), "{fraction}");
        let fraction = parse_size("1.5B").unwrap_err();
        assert!(fraction.contains("whole number of bytes"), "{fraction}");
        assert_eq!(parse_size("1.000001MB"), Ok(1_000_001));
        assert_eq!(
            parse_size("0.1KiB").map_err(|e| e.contains("whole")),
            Err(true)
        );
    }

    #[test]
    fn first_fit_decreasing() {
        let e = estimate(&[6, 5, 4, 3, 2, 11, 1], 10);
        assert_eq!(e.too_large, vec![11]);
        assert_eq!(e.drives, vec![(2, 10), (3, 10), (1, 1)]);
        assert_eq!(decimal(454_740_000_000u64), "454.74 GB");
    }
}
