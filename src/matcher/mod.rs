//! The compiled matcher: an fst index over the prefixes and a hash table of
//! the exact paths that decide whether a blob's canonical path is selected
//! and by which rule.
//!
//! # Which rule selects a blob
//!
//! Compilation keeps one *effective* rule for each thing a selection says,
//! so the answer is deterministic:
//!
//! 1. a prefix rule, if one prefixes the path. Prefixes covered by a
//!    shorter prefix are dropped, so at most one effective prefix matches;
//!    among equal prefixes the first in the selection is effective;
//! 2. otherwise a path rule on exactly this path: the first `BlobPath` that
//!    takes all snapshots; failing that, for the base blob the first
//!    `IncludeSnapshots="false"` rule, for a snapshot the first
//!    `SnapshotTime` rule naming that instant.
//!
//! Every other rule is a [`RuleStatus::Duplicate`] of an equal rule or
//! [`RuleStatus::Covered`] by the rule that selects all it would select.
//!
//! # What is stored and what is derived
//!
//! The serialized index ([`format`], which writes and reads its layout and
//! records) is an fst of the effective prefixes, the effective exact paths
//! in byte order with a hash table of them (`exact`, used in place, and
//! walked in order for sorted input by `merge`), and the tables beside
//! them. The rules' texts are those keys: the prefixes' are read back from
//! the fst at load (`keys`), the exact paths' are read in place. Loading
//! checks the index and derives (`derive`) the one structure a [`Cursor`]
//! matches with that is not stored: a path-compressed trie of the
//! effective prefixes (`radix`). Since the effective prefixes are
//! prefix-free and no effective exact path lies under one, a path is
//! selected by at most one of the two, which is the rule the index reports
//! ([`Matcher::find_unrooted`], which walks the fst and probes the table,
//! is the reference the tests hold the cursor to). The decoded top of the
//! fst (`accel`) and the rules' records (what only reports need) are
//! decoded on first use.

mod accel;
mod build;
mod cursor;
mod derive;
mod exact;
pub(crate) mod format;
mod keys;
mod merge;
mod nodes;
mod radix;
mod report;
mod walker;

use std::ops::Range;
use std::sync::{Arc, OnceLock};

use fst::raw::Fst;
use rayon::prelude::*;

use crate::error::{Error, ErrorKind, Position};
use crate::listing::ListingEntry;
use crate::rule::{Origin, RuleKind};
use crate::selection::Selection;
use crate::snapshot::SnapshotTime;
use derive::Derived;
use format::{Layout, Row, Tag};
use keys::Keys;
use walker::Walker;

pub use build::MatcherBuilder;
pub use cursor::{Cursor, FindAll};
pub use report::{RuleReport, Tally};

/// The index of a rule in its selection (0-based, selection order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(pub u32);

/// What compilation made of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RuleStatus {
    /// The rule is in the index and selects blobs itself.
    Effective,
    /// An equal rule comes earlier; that one selects.
    Duplicate {
        /// The earlier, equal rule.
        of: RuleId,
    },
    /// Another rule selects everything this one would (a shorter prefix, or
    /// a path rule that takes all snapshots).
    Covered {
        /// The rule that covers it.
        by: RuleId,
    },
}

impl RuleStatus {
    /// The rule a duplicate or covered rule names.
    pub(crate) fn related(self) -> Option<RuleId> {
        match self {
            RuleStatus::Effective => None,
            RuleStatus::Duplicate { of } => Some(of),
            RuleStatus::Covered { by } => Some(by),
        }
    }
}

/// A rule as the matcher knows it (read from the index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleInfo<'a> {
    /// Its id.
    pub id: RuleId,
    /// Its kind.
    pub kind: RuleKind,
    /// Its canonical text.
    pub text: &'a str,
    /// The source it was read from.
    pub source: &'a str,
    /// Its position in that source.
    pub position: Option<Position>,
    /// What compilation made of it.
    pub status: RuleStatus,
}

impl std::fmt::Display for RuleInfo<'_> {
    /// `BlobPathPrefix /photos/ (list.xml:3:5)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind.element(), self.text)?;
        match self.kind {
            RuleKind::PathWithoutSnapshots => f.write_str(" IncludeSnapshots=false")?,
            RuleKind::Snapshot(t) => write!(f, " SnapshotTime={t}")?,
            _ => {}
        }
        match self.position {
            Some(p) => write!(f, " ({}:{p})", self.source),
            None => write!(f, " ({})", self.source),
        }
    }
}

/// A part of the shared buffer, so the fst can own its bytes.
#[derive(Clone)]
struct Part<D> {
    data: Arc<D>,
    start: usize,
    end: usize,
}

impl<D: AsRef<[u8]>> AsRef<[u8]> for Part<D> {
    fn as_ref(&self) -> &[u8] {
        &(*self.data).as_ref()[self.start..self.end]
    }
}

/// A compiled selection. Build one with [`MatcherBuilder`] (or
/// [`crate::Selection::compile`]); write it with [`Matcher::as_bytes`] and
/// load it back, without recompiling, with [`Matcher::from_bytes`] from a
/// `Vec<u8>` or a memory map.
///
/// A matcher is immutable and `Sync`: share it across threads.
pub struct Matcher<D = Vec<u8>> {
    data: Arc<D>,
    /// The effective prefixes.
    full: Walker<Part<D>>,
    /// Derived at load: the prefixes as a trie, walked by a [`Cursor`].
    prefixes: radix::PrefixTrie,
    /// Derived at load when there are only a few prefixes and no exact
    /// paths: what a [`Cursor`] compares paths with instead.
    few: Option<radix::FewPrefixes>,
    /// The exact paths and their hash table, in `data`.
    exact: exact::ExactTable,
    /// Where the serialized matcher's sections lie in `data`.
    layout: Layout,
    /// The fst's keys, read at load.
    prefix_keys: Keys,
    /// The rules, decoded from their records when first asked for.
    rules: OnceLock<Rules>,
    /// The source names, in `data`.
    sources: Vec<Range<usize>>,
}

/// The rules as reports need them.
struct Rules {
    /// In selection order.
    rows: Vec<Row>,
    /// Their texts, but for the exact paths' (which are in the index): the
    /// fst's keys in byte order, then the texts records hold.
    texts: Vec<u8>,
}

impl<D: AsRef<[u8]>> std::fmt::Debug for Matcher<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("rules", &self.layout.rules)
            .field("index_keys", &self.index_len())
            .finish()
    }
}

pub(crate) fn corrupt(what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidIndex,
        format!("not a valid blobsel index ({what}): recompile it from the selection"),
    )
}

impl Matcher {
    /// The same matcher over its bytes moved into another buffer type
    /// (`wrap` gets them, not a copy): for a caller that holds matchers
    /// both compiled and loaded (a memory map, say) as one type. Nothing
    /// is checked or derived again: the bytes are the ones just built.
    ///
    /// ```
    /// # use blobsel::{Matcher, Selection};
    /// let sel = Selection::parse(&b"<BlobList><BlobPath>c00/a</BlobPath></BlobList>"[..], "l.xml")?;
    /// let boxed: Matcher<Box<[u8]>> = sel.compile()?.into_buffer(Vec::into_boxed_slice)?;
    /// assert!(boxed.find_path(b"/c00/a", None).is_some());
    /// # Ok::<(), blobsel::Error>(())
    /// ```
    pub fn into_buffer<E: AsRef<[u8]>>(
        self,
        wrap: impl FnOnce(Vec<u8>) -> E,
    ) -> Result<Matcher<E>, Error> {
        let Matcher {
            data,
            full,
            prefixes,
            few,
            exact,
            layout,
            prefix_keys,
            rules,
            sources,
        } = self;
        // The fst's part is the only other holder of the bytes.
        drop(full);
        let bytes = Arc::try_unwrap(data).unwrap_or_else(|shared| shared.as_ref().clone());
        let data = Arc::new(wrap(bytes));
        let part = Part {
            data: data.clone(),
            start: layout.fst.start,
            end: layout.fst.end,
        };
        let fst = Fst::new(part).map_err(|e| corrupt(&e.to_string()))?;
        Ok(Matcher {
            data,
            full: Walker::new(fst),
            prefixes,
            few,
            exact,
            layout,
            prefix_keys,
            rules,
            sources,
        })
    }

    /// Whether `bytes` begin as a serialized matcher does, to tell an
    /// index file from a selection by its first eight bytes.
    ///
    /// ```
    /// # use blobsel::{Matcher, Selection};
    /// let sel = Selection::parse(&b"<BlobList><BlobPath>c00/a</BlobPath></BlobList>"[..], "l.xml")?;
    /// assert!(Matcher::is_index(sel.compile()?.as_bytes()));
    /// assert!(!Matcher::is_index(b"<BlobList>"));
    /// # Ok::<(), blobsel::Error>(())
    /// ```
    pub fn is_index(bytes: &[u8]) -> bool {
        bytes.starts_with(format::MAGIC)
    }
}

impl<D: AsRef<[u8]>> Matcher<D> {
    /// Loads a matcher from the bytes [`Matcher::as_bytes`] wrote (a
    /// memory map of an index file serves as they are). Checks the format
    /// version, a checksum of all the bytes, every length and every record
    /// and slot of the exact paths, and reads the prefixes back from their
    /// fst; the exact paths and their hash table are used in place, and
    /// nothing is recompiled.
    pub fn from_bytes(data: D) -> Result<Matcher<D>, Error> {
        Matcher::load(data, None)
    }

    /// Loads a matcher; `keys`, if given, are the fst's keys (compilation
    /// has them at hand), else they are read from the fst.
    pub(crate) fn load(data: D, keys: Option<Keys>) -> Result<Matcher<D>, Error> {
        let b = data.as_ref();
        let layout = Layout::read(b)?;
        let sources = layout.read_sources(b)?;
        let data = Arc::new(data);
        let part = Part {
            data: data.clone(),
            start: layout.fst.start,
            end: layout.fst.end,
        };
        let fst = Fst::new(part).map_err(|e| corrupt(&e.to_string()))?;
        // The checksum above covers the fst too, but the fst crate decodes
        // its nodes trusting them: its own checksum stays a second line
        // against an index crafted to pass the first.
        fst.verify().map_err(|e| corrupt(&e.to_string()))?;
        if fst.len() > layout.rules {
            return Err(corrupt("more keys than rules"));
        }
        // A borrowed view, which threads can share whatever `D` is.
        let b = (*data).as_ref();
        let view = Fst::new(&b[layout.fst.clone()]).map_err(|e| corrupt(&e.to_string()))?;
        let keys = match keys {
            Some(keys) => {
                debug_assert!(keys::read(&view, layout.key_text).as_ref() == Ok(&keys));
                keys
            }
            None => keys::read(&view, layout.key_text)?,
        };
        let Derived {
            prefixes,
            few,
            exact,
        } = derive::check(&keys, &layout, sources.len(), b)?;
        Ok(Matcher {
            full: Walker::new(fst),
            prefixes,
            few,
            exact,
            data,
            layout,
            prefix_keys: keys,
            rules: OnceLock::new(),
            sources,
        })
    }

    /// The rules, decoded on first use (loading checked their records).
    fn decoded(&self) -> &Rules {
        self.rules.get_or_init(|| {
            let (rows, texts) =
                derive::rows(&self.prefix_keys, &self.layout, &self.exact, self.bytes());
            Rules { rows, texts }
        })
    }

    fn bytes(&self) -> &[u8] {
        (*self.data).as_ref()
    }

    /// The serialized matcher: write these bytes anywhere and load them with
    /// [`Matcher::from_bytes`].
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes()
    }

    /// How many rules the selection had (effective or not).
    pub fn rule_count(&self) -> usize {
        self.layout.rules
    }

    /// How many keys the index holds (effective prefixes and paths).
    pub fn index_len(&self) -> usize {
        self.full.fst.len() + self.exact.len()
    }

    /// The size in bytes of the index's fst of the effective prefixes
    /// (the exact paths are beside it).
    pub fn index_bytes(&self) -> usize {
        self.full.fst.as_bytes().len()
    }

    /// The container matching is limited to, if any (a container SAS).
    pub fn container(&self) -> Option<&str> {
        let s = std::str::from_utf8(&self.bytes()[self.layout.container.clone()]).unwrap_or("");
        (!s.is_empty()).then_some(s)
    }

    /// A rule's status alone (cheaper than [`Matcher::rule`], which finds
    /// its text and source too). Panics if `id` is not below
    /// [`Matcher::rule_count`].
    ///
    /// ```
    /// # use blobsel::{RuleId, RuleStatus, Selection};
    /// let xml = b"<BlobList><BlobPath>c00/a</BlobPath><BlobPath>c00/a</BlobPath></BlobList>";
    /// let m = Selection::parse(&xml[..], "l.xml")?.compile()?;
    /// assert_eq!(m.rule_status(RuleId(0)), RuleStatus::Effective);
    /// assert_eq!(m.rule_status(RuleId(1)), RuleStatus::Duplicate { of: RuleId(0) });
    /// # Ok::<(), blobsel::Error>(())
    /// ```
    pub fn rule_status(&self, id: RuleId) -> RuleStatus {
        let rows = &self.decoded().rows;
        assert!((id.0 as usize) < rows.len(), "rule id out of range");
        rows[id.0 as usize].status
    }

    /// A rule by id. Panics if `id` is not below [`Matcher::rule_count`].
    pub fn rule(&self, id: RuleId) -> RuleInfo<'_> {
        let rules = self.decoded();
        assert!((id.0 as usize) < rules.rows.len(), "rule id out of range");
        let row = &rules.rows[id.0 as usize];
        let (start, len) = (row.text.0 as usize, row.text.1 as usize);
        let text = match row.in_index {
            true => {
                let start = self.exact.text_start(start);
                self.bytes().get(start..start + len).unwrap_or_default()
            }
            false => rules.texts.get(start..start + len).unwrap_or_default(),
        };
        // Validated at load.
        let text = crate::words::plain_ascii(text)
            .or_else(|| std::str::from_utf8(text).ok())
            .unwrap_or("");
        let source = self.sources[row.source as usize].clone();
        let source = std::str::from_utf8(&self.bytes()[source]).unwrap_or("");
        RuleInfo {
            id,
            kind: row.kind,
            text,
            source,
            position: row.position(),
            status: row.status,
        }
    }

    /// The rules, rebuilt from the index as a [`Selection`]: each rule's
    /// kind, canonical text and origin (source name and position), in
    /// selection order. What a tool holding only an index needs to plan
    /// the calls that list the account ([`Selection::plan`]) or to write
    /// the rules out again. The selection's form is blob list XML; a
    /// container restriction stays with the matcher
    /// ([`Matcher::container`]).
    pub fn selection(&self) -> Result<Selection, Error> {
        // One shared name a source (an index usually has one or two, but
        // may have as many as rules).
        let mut sources: std::collections::HashMap<&str, Arc<str>> = Default::default();
        // Made in bulk (texts in shared blocks), as the blob list readers
        // make them.
        let mut rules = crate::rule::RuleBuilder::new();
        for r in self.rules() {
            let source = sources
                .entry(r.source)
                .or_insert_with(|| r.source.into())
                .clone();
            let origin = Origin {
                source,
                position: r.position,
            };
            crate::rule::check_text(r.kind, r.text)?;
            rules.push(r.kind, r.text, origin);
        }
        Ok(Selection::from_rules(rules.finish()))
    }

    /// Every rule, in selection order.
    pub fn rules(&self) -> impl Iterator<Item = RuleInfo<'_>> + '_ {
        (0..self.rule_count() as u32).map(move |i| self.rule(RuleId(i)))
    }

    /// The rule that selects the blob at `path` and `snapshot` (`None`: the
    /// base blob), if any; `path` is `/container/blob` or, as the CLI's
    /// listings accept it, `container/blob`.
    ///
    /// No container name begins with `/`, so the two forms cannot be
    /// confused. An empty path names no blob and selects nothing.
    #[inline]
    pub fn find_path(&self, path: &[u8], snapshot: Option<SnapshotTime>) -> Option<RuleId> {
        match path.split_first() {
            Some((b'/', rest)) => self.find_unrooted(rest, snapshot),
            Some(_) => self.find_unrooted(path, snapshot),
            None => None,
        }
    }

    /// Like [`Matcher::find_path`] for `container/blob`, the canonical path
    /// without its leading `/` (as listings often write it).
    ///
    /// This walks the prefixes' fst over the path, then probes the exact
    /// paths; a [`Cursor`] answers the same, faster.
    #[inline]
    pub fn find_unrooted(&self, path: &[u8], snapshot: Option<SnapshotTime>) -> Option<RuleId> {
        if let Some((state, out, is_final, final_out)) = self.full.start() {
            if is_final {
                // Only the prefix "/" ends here; a path is never this short.
                if let (Some(Tag::Prefix), index) = format::decode(out.wrapping_add(final_out)) {
                    return Some(RuleId(index));
                }
            }
            let prefix = self
                .full
                .walk_from(state, out, path, 0, |v, _| match format::decode(v) {
                    (Some(Tag::Prefix), index) => Some(RuleId(index)),
                    _ => None,
                });
            if prefix.is_some() {
                return prefix;
            }
        }
        let (tag, index) = self.exact.get(self.bytes(), path)?;
        self.exact(tag, index, snapshot)
    }

    /// A cursor for matching many paths, fastest when consecutive paths
    /// share prefixes (sorted input); see [`Cursor`].
    pub fn cursor(&self) -> Cursor<'_, D> {
        Cursor::new(self)
    }

    /// The rule that selects a blob given as container and blob name.
    pub fn find(
        &self,
        container: &str,
        name: &str,
        snapshot: Option<SnapshotTime>,
    ) -> Option<RuleId> {
        let mut buf = [0u8; 1100];
        let len = container.len() + name.len() + 1;
        if len <= buf.len() {
            buf[..container.len()].copy_from_slice(container.as_bytes());
            buf[container.len()] = b'/';
            buf[container.len() + 1..len].copy_from_slice(name.as_bytes());
            self.find_unrooted(&buf[..len], snapshot)
        } else {
            let path = format!("{container}/{name}");
            self.find_unrooted(path.as_bytes(), snapshot)
        }
    }

    /// The rule that selects a listing entry, if any. Uncommitted blobs and
    /// previous versions are never selected (docs/semantics.md §4).
    pub fn find_entry(&self, entry: &ListingEntry) -> Option<RuleId> {
        if entry.exportability() != crate::listing::Exportability::Exportable {
            return None;
        }
        self.find_path(entry.path.as_bytes(), entry.snapshot)
    }

    #[inline]
    pub(crate) fn exact(
        &self,
        tag: Tag,
        index: u32,
        snapshot: Option<SnapshotTime>,
    ) -> Option<RuleId> {
        match tag {
            Tag::PathAll => Some(RuleId(index)),
            Tag::Complex => {
                let b = self.bytes();
                let (base, snaps) = self.layout.complex_entry(b, index as usize);
                match snapshot {
                    None => base.map(RuleId),
                    Some(t) => self.layout.find_snapshot(b, snaps, t.ticks()).map(RuleId),
                }
            }
            Tag::Prefix => Some(RuleId(index)),
        }
    }

    /// Matches a batch of canonical paths (with optional snapshots) in
    /// parallel; `out[i]` is the answer for `items[i]`.
    pub fn find_batch<P: AsRef<[u8]> + Sync>(
        &self,
        items: &[(P, Option<SnapshotTime>)],
        out: &mut Vec<Option<RuleId>>,
    ) where
        D: Sync + Send,
    {
        // Each worker matches runs of items with its own cursor: long runs
        // (a cursor's container cache starts cold), a few per thread.
        // Every answer is written below: only a longer `out` needs filling
        // first (a reused one is not cleared, which would cost a pass).
        out.truncate(items.len());
        out.resize(items.len(), None);
        let run = (items.len() / (4 * rayon::current_num_threads())).max(4096);
        items
            .par_chunks(run)
            .zip(out.par_chunks_mut(run))
            .for_each(|(items, out)| {
                for (answer, o) in self.cursor().find_all(items).zip(out) {
                    *o = answer;
                }
            });
    }

    /// A tally with a zero count for every rule.
    pub fn tally(&self) -> Tally {
        Tally::new(self.rule_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Matcher {
        let xml = b"<BlobList><BlobPath>c00/a</BlobPath><BlobPathPrefix>/c01/</BlobPathPrefix></BlobList>";
        Selection::parse(&xml[..], "t.xml")
            .unwrap()
            .compile()
            .unwrap()
    }

    /// An index of the format before exact paths left the fst is refused
    /// with a typed error that says what to do, not read as garbage.
    #[test]
    fn a_format_2_index_says_to_recompile() {
        let mut bytes = sample().as_bytes().to_vec();
        bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
        let e = Matcher::from_bytes(bytes).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidIndex);
        let text = e.to_string();
        assert!(text.contains("version 2"), "{text}");
        assert!(text.contains("blobsel compile"), "{text}");
    }

    /// Loading leaves the rules' records for reports to decode: matching
    /// needs none of them.
    #[test]
    fn rules_are_decoded_when_first_asked_for() {
        let m = Matcher::from_bytes(sample().as_bytes().to_vec()).unwrap();
        assert_eq!(m.find_path(b"/c00/a", None), Some(RuleId(0)));
        assert_eq!(m.cursor().find_path(b"/c01/x", None), Some(RuleId(1)));
        assert!(m.rules.get().is_none());
        assert_eq!(m.rule(RuleId(0)).text, "/c00/a");
        assert!(m.rules.get().is_some());
        assert_eq!(m.rule(RuleId(1)).text, "/c01/");
    }
}
