//! The naive oracle: what an export job exports, written as plainly as the
//! SPEC says it (§3, §4), with none of the tool's machinery. The CLI tests
//! compare the binary's output with it.

use std::fmt;

/// A snapshot time: the seconds part as text (`2024-03-09T01:42:34`) and
/// the fraction in 100-ns ticks (0 ..= 9,999,999). Two are equal when they
/// are the same instant, whatever digits they were written with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Snap {
    pub seconds: String,
    pub ticks: u32,
}

impl Snap {
    pub fn new(seconds: &str, ticks: u32) -> Snap {
        assert!(ticks < 10_000_000);
        Snap {
            seconds: seconds.to_string(),
            ticks,
        }
    }

    /// With all seven fractional digits, as Azure writes it and as blobsel
    /// prints it: `2024-03-09T01:42:34.9360000Z`.
    pub fn full(&self) -> String {
        format!("{}.{:07}Z", self.seconds, self.ticks)
    }

    /// With trailing zeros dropped: `…34.936Z`, or `…34Z` for a whole
    /// second.
    pub fn short(&self) -> String {
        if self.ticks == 0 {
            return format!("{}Z", self.seconds);
        }
        let digits = format!("{:07}", self.ticks);
        format!("{}.{}Z", self.seconds, digits.trim_end_matches('0'))
    }
}

/// What the listing says about a row beyond its path (SPEC §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// An ordinary committed blob (or snapshot).
    Committed,
    /// A blob with only uncommitted blocks.
    Uncommitted,
    /// A version that is not the current one.
    PreviousVersion,
    /// The current version of a blob with versioning on.
    CurrentVersion,
}

/// One rule of a selection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `BlobPathPrefix P`.
    Prefix(String),
    /// `BlobPath B` (B as written: `c/b` or `/c/b`).
    Path(String),
    /// `BlobPath B IncludeSnapshots="false"`.
    PathWithoutSnapshots(String),
    /// `BlobPath B SnapshotTime="T"` (T written short).
    Snapshot(String, Snap),
}

/// `c/b` or `/c/b` as the canonical `/c/b`.
fn canonical(b: &str) -> String {
    if b.starts_with('/') {
        b.to_string()
    } else {
        format!("/{b}")
    }
}

impl Rule {
    /// Whether the rule selects the blob at canonical `path` (with
    /// `snapshot` for a snapshot).
    pub fn selects(&self, path: &str, snapshot: Option<&Snap>) -> bool {
        match self {
            Rule::Prefix(p) => path.as_bytes().starts_with(p.as_bytes()),
            Rule::Path(b) => canonical(b) == path,
            Rule::PathWithoutSnapshots(b) => canonical(b) == path && snapshot.is_none(),
            Rule::Snapshot(b, t) => canonical(b) == path && snapshot == Some(t),
        }
    }

    /// The rule as a blob list XML element.
    pub fn xml(&self) -> String {
        match self {
            Rule::Prefix(p) => format!("<BlobPathPrefix>{}</BlobPathPrefix>", escape(p)),
            Rule::Path(b) => format!("<BlobPath>{}</BlobPath>", escape(b)),
            Rule::PathWithoutSnapshots(b) => format!(
                "<BlobPath IncludeSnapshots=\"false\">{}</BlobPath>",
                escape(b)
            ),
            Rule::Snapshot(b, t) => format!(
                "<BlobPath SnapshotTime=\"{}\">{}</BlobPath>",
                t.short(),
                escape(b)
            ),
        }
    }
}

impl fmt::Display for Rule {
    /// As blobsel shows a rule (`--explain`, the summary): the path
    /// canonical, the snapshot time in full.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Prefix(p) => write!(f, "BlobPathPrefix {p}"),
            Rule::Path(b) => write!(f, "BlobPath {}", canonical(b)),
            Rule::PathWithoutSnapshots(b) => {
                write!(f, "BlobPath {} IncludeSnapshots=false", canonical(b))
            }
            Rule::Snapshot(b, t) => {
                write!(f, "BlobPath {} SnapshotTime={}", canonical(b), t.full())
            }
        }
    }
}

/// XML text escaping.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// A blob list XML document of `rules`, one element a line.
pub fn blob_list_xml(rules: &[Rule]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<BlobList>\n");
    for r in rules {
        s.push_str("  ");
        s.push_str(&r.xml());
        s.push('\n');
    }
    s.push_str("</BlobList>\n");
    s
}

/// Whether the export takes the blob at `path`/`snapshot` in `state`:
/// never an uncommitted blob or a previous version (when the listing can
/// tell), otherwise when any rule selects it.
pub fn exported(rules: &[Rule], path: &str, snapshot: Option<&Snap>, state: State) -> bool {
    match state {
        State::Uncommitted | State::PreviousVersion => false,
        State::Committed | State::CurrentVersion => rules.iter().any(|r| r.selects(path, snapshot)),
    }
}
