//! Rules: the prefixes and paths a selection is made of (docs/semantics.md §3).

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Position};
use crate::path::{could_begin_container_name, is_valid_container_name, BlobPath};
use crate::snapshot::SnapshotTime;

/// What a rule selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleKind {
    /// `BlobPathPrefix P`: every blob whose canonical path starts with `P`,
    /// and all snapshots of those blobs.
    Prefix,
    /// `BlobPath B` (no attribute, or `IncludeSnapshots="true"`): the base
    /// blob at `B` and all its snapshots.
    Path,
    /// `BlobPath B` with `IncludeSnapshots="false"`: the base blob only.
    PathWithoutSnapshots,
    /// `BlobPath B` with `SnapshotTime="T"`: only the snapshot taken at `T`.
    Snapshot(SnapshotTime),
}

impl RuleKind {
    /// The element that writes this kind: `BlobPathPrefix` or `BlobPath`.
    pub fn element(self) -> &'static str {
        match self {
            RuleKind::Prefix => "BlobPathPrefix",
            _ => "BlobPath",
        }
    }
}

/// Where a rule was written: the source (file name, `<stdin>`, or the blob
/// list blob's path) and the position in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The source name.
    pub source: Arc<str>,
    /// The position of the rule's element (XML) or string (JSON).
    pub position: Option<Position>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "{}:{p}", self.source),
            None => f.write_str(&self.source),
        }
    }
}

/// One rule of a selection: its kind, its canonical text, and its origin.
///
/// The text is canonical: a prefix as written (it must begin with `/`), a
/// path as `/container/blob` whether written with the leading `/` or not.
#[derive(Clone)]
pub struct Rule {
    /// The block of rule texts this rule's text is a slice of: rules read
    /// together share blocks, so a million rules are a million slices of a
    /// few dozen blocks rather than a million strings (see [`RuleBuilder`]).
    block: Arc<str>,
    start: u32,
    /// The text's length (low 30 bits; [`REST`] for "to the block's end")
    /// and the kind (high 2 bits): with `ticks`, a rule is 64 bytes.
    len_kind: u32,
    /// The snapshot time of a [`RuleKind::Snapshot`] rule, in ticks.
    ticks: u64,
    origin: Origin,
}

/// The length that means "the rest of the block": a text this long or
/// longer has a block of its own.
const REST: u32 = (1 << 30) - 1;
const KIND_SHIFT: u32 = 30;

fn kind_bits(kind: RuleKind) -> (u32, u64) {
    match kind {
        RuleKind::Prefix => (0, 0),
        RuleKind::Path => (1, 0),
        RuleKind::PathWithoutSnapshots => (2, 0),
        RuleKind::Snapshot(t) => (3, t.ticks()),
    }
}

impl Rule {
    /// A rule whose text is `block[start..start + len]` (`len` below
    /// [`REST`]) or the whole block.
    fn in_block(block: Arc<str>, start: u32, len: u32, kind: RuleKind, origin: Origin) -> Rule {
        let (bits, ticks) = kind_bits(kind);
        Rule {
            block,
            start,
            len_kind: len | (bits << KIND_SHIFT),
            ticks,
            origin,
        }
    }

    /// A rule with a block of its own.
    fn alone(text: &str, kind: RuleKind, origin: Origin) -> Rule {
        let len = u32::try_from(text.len())
            .ok()
            .filter(|&n| n < REST)
            .unwrap_or(REST);
        Rule::in_block(text.into(), 0, len, kind, origin)
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.kind() == other.kind() && self.text() == other.text() && self.origin == other.origin
    }
}

impl Eq for Rule {}

impl std::hash::Hash for Rule {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.kind().hash(state);
        self.text().hash(state);
        self.origin.hash(state);
    }
}

impl fmt::Debug for Rule {
    /// As a derived `Debug` of `kind`, `text` and `origin` shows it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("kind", &self.kind())
            .field("text", &self.text())
            .field("origin", &self.origin)
            .finish()
    }
}

impl Rule {
    /// A prefix rule. The prefix must begin with `/`, be non-empty and hold
    /// no control character; it may stop anywhere.
    pub fn prefix(text: &str, origin: Origin) -> Result<Rule, Error> {
        check_prefix(text)?;
        Ok(Rule::alone(text, RuleKind::Prefix, origin))
    }

    /// A path rule of `kind` (any kind but [`RuleKind::Prefix`]) for
    /// `container/blob` or `/container/blob`.
    pub fn path(text: &str, kind: RuleKind, origin: Origin) -> Result<Rule, Error> {
        debug_assert!(kind != RuleKind::Prefix);
        let path = BlobPath::parse(text)?;
        Ok(Rule::alone(&path.canonical(), kind, origin))
    }

    /// The kind.
    pub fn kind(&self) -> RuleKind {
        match self.len_kind >> KIND_SHIFT {
            0 => RuleKind::Prefix,
            1 => RuleKind::Path,
            2 => RuleKind::PathWithoutSnapshots,
            _ => RuleKind::Snapshot(SnapshotTime::from_ticks(self.ticks)),
        }
    }

    /// The canonical text: the prefix, or `/container/blob`.
    pub fn text(&self) -> &str {
        let start = self.start as usize;
        let len = self.len_kind & REST;
        let end = if len == REST {
            self.block.len()
        } else {
            start + len as usize
        };
        // The builders make `start..end` a range of whole characters.
        self.block.get(start..end).unwrap_or_default()
    }

    /// Where it was written.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The snapshot time of a [`RuleKind::Snapshot`] rule.
    pub fn snapshot_time(&self) -> Option<SnapshotTime> {
        match self.kind() {
            RuleKind::Snapshot(t) => Some(t),
            _ => None,
        }
    }

    /// The rule without its origin, for comparing rule sets.
    pub fn key(&self) -> (RuleKind, &str) {
        (self.kind(), self.text())
    }

    /// Whether the rule lies inside `container` (as a container SAS
    /// requires): a prefix `/container` or `/container/…`, a path
    /// `/container/…`.
    pub fn inside_container(&self, container: &str) -> bool {
        let rest = self.text()[1..].strip_prefix(container);
        match self.kind() {
            RuleKind::Prefix => rest.is_some_and(|r| r.is_empty() || r.starts_with('/')),
            _ => rest.is_some_and(|r| r.starts_with('/')),
        }
    }

    /// Whether this prefix ends inside a container name, and so spans every
    /// container whose name starts so (`/bob` also takes `bobkids`).
    pub fn spans_containers(&self) -> bool {
        self.kind() == RuleKind::Prefix && !self.text()[1..].contains('/')
    }

    /// Why this rule can never select a blob, if it cannot: its container
    /// part is no valid container name (or the start of one).
    pub fn never_matches(&self) -> Option<String> {
        if self.kind() != RuleKind::Prefix {
            return None; // paths are validated when made
        }
        let rest = &self.text()[1..];
        match rest.split_once('/') {
            Some((container, name)) if !is_valid_container_name(container.as_bytes()) => {
                let _ = name;
                Some(crate::path::container_name_problem(container))
            }
            Some((_, name)) if name.chars().count() > crate::path::MAX_BLOB_NAME_CHARS => {
                Some("the blob-name part is longer than any blob name (1,024 characters)".into())
            }
            None if !could_begin_container_name(rest.as_bytes()) => Some(format!(
                "no valid container name begins with {rest:?}: {}",
                crate::path::container_name_problem(rest)
                    .split_once(": ")
                    .map_or("", |(_, hint)| hint)
            )),
            _ => None,
        }
    }
}

/// Checks the text of a prefix rule: non-empty, beginning with `/`, no
/// control character.
pub(crate) fn check_prefix(text: &str) -> Result<(), Error> {
    if text.is_empty() {
        return Err(Error::new(
            ErrorKind::EmptyPath,
            "empty BlobPathPrefix: write at least \"/\" (every container) or \"/container/\"",
        ));
    }
    if !text.starts_with('/') {
        return Err(Error::new(
            ErrorKind::PrefixWithoutSlash,
            format!("BlobPathPrefix {text:?} must begin with '/': write \"/{text}\""),
        ));
    }
    if let Some(c) = text.chars().find(|c| (*c as u32) < 0x20) {
        return Err(crate::path::control_character(c as u32));
    }
    Ok(())
}

/// Checks the text of a rule of `kind` as [`Rule::prefix`] and
/// [`Rule::path`] do.
pub(crate) fn check_text(kind: RuleKind, text: &str) -> Result<(), Error> {
    match kind {
        RuleKind::Prefix => check_prefix(text),
        _ => BlobPath::parse(text).map(|_| ()),
    }
}

/// Makes rules in bulk: their texts go into shared blocks of about a
/// mebibyte, so that a rule costs its 64 bytes and its text, with no
/// allocation of its own. The readers of blob lists use it; so can
/// anything else that makes many rules at once.
#[derive(Default)]
pub(crate) struct RuleBuilder {
    rules: Vec<Rule>,
    /// The block being filled, and the rules whose texts are in it.
    block: String,
    pending: Vec<Pending>,
}

struct Pending {
    start: u32,
    len: u32,
    kind: RuleKind,
    origin: Origin,
}

const BLOCK: usize = 1 << 20;

impl RuleBuilder {
    pub(crate) fn new() -> RuleBuilder {
        RuleBuilder::default()
    }

    /// How many rules were added.
    pub(crate) fn len(&self) -> usize {
        self.rules.len() + self.pending.len()
    }

    /// Adds a rule whose `text` passed [`check_text`] (which makes this
    /// [`Rule::prefix`] or [`Rule::path`] in bulk); a path's is made
    /// canonical (`/container/blob`).
    pub(crate) fn push(&mut self, kind: RuleKind, text: &str, origin: Origin) {
        let slash = kind != RuleKind::Prefix && !text.starts_with('/');
        let len = text.len() + usize::from(slash);
        if len >= BLOCK {
            self.flush();
            let mut own = String::with_capacity(len);
            if slash {
                own.push('/');
            }
            own.push_str(text);
            self.rules.push(Rule::alone(&own, kind, origin));
            return;
        }
        if self.block.len() + len > BLOCK {
            self.flush();
        }
        if self.block.capacity() == 0 {
            self.block.reserve_exact(BLOCK);
        }
        // Both fit in u32: the block is at most BLOCK bytes.
        let start = self.block.len() as u32;
        if slash {
            self.block.push('/');
        }
        self.block.push_str(text);
        self.pending.push(Pending {
            start,
            len: len as u32,
            kind,
            origin,
        });
    }

    /// Freezes the block and makes its pending rules.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            self.block.clear();
            return;
        }
        let block: Arc<str> = Arc::from(self.block.as_str());
        self.block.clear();
        self.rules.reserve(self.pending.len());
        for p in self.pending.drain(..) {
            self.rules.push(Rule::in_block(
                block.clone(),
                p.start,
                p.len,
                p.kind,
                p.origin,
            ));
        }
    }

    /// The rules, in the order they were added.
    pub(crate) fn finish(mut self) -> Vec<Rule> {
        self.flush();
        self.rules.shrink_to_fit();
        self.rules
    }
}

impl fmt::Display for Rule {
    /// `BlobPathPrefix /photos/`, `BlobPath /c/b`,
    /// `BlobPath /c/b IncludeSnapshots=false`, `BlobPath /c/b SnapshotTime=T`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        write!(f, "{} {}", kind.element(), self.text())?;
        match kind {
            RuleKind::PathWithoutSnapshots => f.write_str(" IncludeSnapshots=false"),
            RuleKind::Snapshot(t) => write!(f, " SnapshotTime={t}"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            source: "t".into(),
            position: None,
        }
    }

    #[test]
    fn prefixes_and_paths_are_validated_and_canonical() {
        assert_eq!(Rule::prefix("/bob", origin()).unwrap().text(), "/bob");
        assert_eq!(
            Rule::prefix("bob/", origin()).unwrap_err().kind(),
            ErrorKind::PrefixWithoutSlash
        );
        assert_eq!(
            Rule::prefix("", origin()).unwrap_err().kind(),
            ErrorKind::EmptyPath
        );
        let p = Rule::path("$root/logo.bmp", RuleKind::Path, origin()).unwrap();
        assert_eq!(p.text(), "/$root/logo.bmp");
        assert_eq!(
            Rule::path("/video", RuleKind::Path, origin())
                .unwrap_err()
                .kind(),
            ErrorKind::MissingBlobName
        );
    }

    /// Rules made in bulk, in shared blocks, are the rules
    /// `Rule::prefix`/`Rule::path` make, whatever block they land in (a
    /// block fills up and a new one starts; a text as long as a block
    /// has one of its own), with every kind and a snapshot time.
    #[test]
    fn rules_made_in_bulk_are_the_rules_made_one_by_one() {
        let t = SnapshotTime::from_ticks(634_352_317_549_360_000);
        let kinds = [
            RuleKind::Prefix,
            RuleKind::Path,
            RuleKind::PathWithoutSnapshots,
            RuleKind::Snapshot(t),
        ];
        let long = format!("c00/{}", "é".repeat(BLOCK / 2));
        let mut texts: Vec<String> = (0..40_000)
            .map(|i| format!("c{:02}/blob-{i}", i % 97))
            .collect();
        texts.insert(20_000, long.clone());
        texts.insert(30_000, format!("/{long}"));
        let mut builder = RuleBuilder::new();
        let mut one_by_one = Vec::new();
        let mut want = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            let kind = kinds[i % 4];
            let text = if kind == RuleKind::Prefix {
                format!("/{text}")
            } else {
                text.clone()
            };
            let o = Origin {
                source: "s".into(),
                position: Some(Position {
                    line: i as u32 + 1,
                    column: 3,
                }),
            };
            check_text(kind, &text).unwrap();
            builder.push(kind, &text, o.clone());
            let canonical = if text.starts_with('/') {
                text.clone()
            } else {
                format!("/{text}")
            };
            want.push((kind, canonical));
            one_by_one.push(match kind {
                RuleKind::Prefix => Rule::prefix(&text, o).unwrap(),
                _ => Rule::path(&text, kind, o).unwrap(),
            });
        }
        let bulk = builder.finish();
        assert_eq!(bulk.len(), one_by_one.len());
        for ((a, b), (kind, text)) in bulk.iter().zip(&one_by_one).zip(&want) {
            assert_eq!(a, b);
            assert_eq!((a.kind(), a.text()), (*kind, text.as_str()));
            assert_eq!((b.kind(), b.text()), (*kind, text.as_str()));
            assert_eq!(a.snapshot_time(), b.snapshot_time());
            assert_eq!(format!("{a:?}"), format!("{b:?}"));
        }
        assert_eq!(std::mem::size_of::<Rule>(), 64);
    }

    #[test]
    fn lints() {
        let p = |s| Rule::prefix(s, origin()).unwrap();
        assert!(p("/bob").spans_containers());
        assert!(!p("/bob/").spans_containers());
        assert!(p("/").spans_containers());
        assert!(p("/Photos/")
            .never_matches()
            .unwrap()
            .contains("\"photos\""));
        assert!(p("/Pho").never_matches().is_some());
        assert!(p("/a--").never_matches().is_some());
        assert!(p("/pho").never_matches().is_none());
        assert!(p("/$root/").never_matches().is_none());
        assert!(p("/").never_matches().is_none());
    }
}
