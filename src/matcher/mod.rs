//! The compiled matcher: an fst index over prefixes and exact paths that
//! decides, in one walk over a blob's canonical path, whether it is selected
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
//! The serialized index ([`format`]) is the fst and the tables beside it.
//! The rules' texts are the fst's keys, read back at load (`keys`).
//! Loading derives, from those keys, what a [`Cursor`] matches with:
//! a path-compressed trie of the effective prefixes alone (`radix`) and a
//! hash table of the effective exact paths (`exact`, walked in order for
//! sorted input by `merge`). Since the effective prefixes are prefix-free
//! and no effective exact path lies under one, a path is selected by at
//! most one of the two, which is the rule the whole index reports
//! ([`Matcher::find_unrooted`], which walks it, is the reference the tests
//! hold the cursor to). The decoded top of the whole index (`accel`) is
//! built on first use.

mod accel;
mod build;
mod cursor;
mod exact;
pub(crate) mod format;
mod keys;
mod merge;
mod nodes;
mod radix;
mod report;
mod walker;

use std::sync::Arc;

use fst::raw::Fst;
use rayon::prelude::*;

use crate::error::{Error, ErrorKind, Position};
use crate::listing::ListingEntry;
use crate::rule::{Origin, Rule, RuleKind};
use crate::selection::Selection;
use crate::snapshot::SnapshotTime;
use format::{u32_at, u64_at, Row, Tag, Text};
use keys::Keys;
pub(crate) use walker::Walked;
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
    /// The index: every effective prefix and exact path.
    full: Walker<Part<D>>,
    /// Derived at load: the prefixes alone, walked by a [`Cursor`].
    prefixes: radix::PrefixTrie,
    /// Derived at load when there are only a few prefixes and no exact
    /// paths: what a [`Cursor`] compares paths with instead.
    few: Option<radix::FewPrefixes>,
    /// Derived at load: the exact paths by hash, probed by a [`Cursor`].
    exact: exact::ExactTable,
    complex: usize,
    complex_count: usize,
    snaps: usize,
    /// The rules, in selection order, read from their records at load.
    rows: Vec<Row>,
    /// The rules' texts: the fst's keys in byte order, then the texts
    /// records hold.
    texts: Vec<u8>,
    sources: Vec<(usize, usize)>,
    container: (usize, usize),
}

impl<D: AsRef<[u8]>> std::fmt::Debug for Matcher<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("rules", &self.rows.len())
            .field("index_keys", &self.full.fst.len())
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
    /// Loads a matcher from the bytes [`Matcher::as_bytes`] wrote. Checks
    /// the format version, a checksum of all the bytes and every length,
    /// and reads the rules' texts back from the fst (they are its keys);
    /// nothing is recompiled.
    pub fn from_bytes(data: D) -> Result<Matcher<D>, Error> {
        Matcher::load(data, None)
    }

    /// Loads a matcher; `keys`, if given, are the fst's keys (compilation
    /// has them at hand), else they are read from the fst.
    pub(crate) fn load(data: D, keys: Option<Keys>) -> Result<Matcher<D>, Error> {
        let b = data.as_ref();
        if b.len() < 12 || &b[..8] != format::MAGIC {
            return Err(corrupt("no blobsel header"));
        }
        let version = u32_at(b, 8);
        if version != format::VERSION {
            return Err(Error::new(
                ErrorKind::InvalidIndex,
                format!(
                    "index format version {version}, this blobsel reads version {}: \
                     recompile the index from the selection",
                    format::VERSION
                ),
            ));
        }
        if b.len() < format::HEADER {
            return Err(corrupt("no blobsel header"));
        }
        if format::checksum(b) != u32_at(b, 12) {
            return Err(Error::new(
                ErrorKind::InvalidIndex,
                "the index is damaged (its checksum does not match): copy it again, \
                 or recompile it from the selection",
            ));
        }
        let len = |i: usize| usize::try_from(u64_at(b, 16 + 8 * i)).map_err(|_| corrupt("length"));
        let (fst_len, complex_count, snap_count, rule_count) = (len(0)?, len(1)?, len(2)?, len(3)?);
        let (records_len, key_text) = (len(4)?, len(5)?);
        let (sources_len, container_len) = (len(6)?, len(7)?);
        if rule_count > records_len || rule_count >= u32::MAX as usize {
            return Err(corrupt("rule count"));
        }
        if key_text > u32::MAX as usize {
            return Err(Error::new(
                ErrorKind::InvalidIndex,
                "the rules' texts exceed 4 GiB: split the selection",
            ));
        }
        // Sections: fst, complex, snaps, records, sources, container.
        let sizes = [
            fst_len,
            complex_count
                .checked_mul(format::COMPLEX)
                .ok_or_else(|| corrupt("length"))?,
            snap_count
                .checked_mul(format::SNAP)
                .ok_or_else(|| corrupt("length"))?,
            records_len,
            sources_len,
            container_len,
        ];
        let mut offsets = [0usize; 7];
        offsets[0] = format::HEADER;
        for i in 0..6 {
            offsets[i + 1] = offsets[i]
                .checked_add(sizes[i])
                .ok_or_else(|| corrupt("length"))?;
        }
        if offsets[6] != b.len() {
            return Err(corrupt("length mismatch"));
        }
        // Sources.
        let mut sources = Vec::new();
        let mut at = offsets[4];
        let count = u32_at(b, at) as usize;
        at += 4;
        for _ in 0..count {
            let n = u32_at(b, at) as usize;
            let (s, e) = (at + 4, at + 4 + n);
            if e > offsets[5] || std::str::from_utf8(&b[s..e]).is_err() {
                return Err(corrupt("source names"));
            }
            sources.push((s, e));
            at = e;
        }
        if std::str::from_utf8(&b[offsets[5]..offsets[6]]).is_err() {
            return Err(corrupt("container"));
        }
        let data = Arc::new(data);
        let part = Part {
            data: data.clone(),
            start: offsets[0],
            end: offsets[1],
        };
        let fst = Fst::new(part).map_err(|e| corrupt(&e.to_string()))?;
        // The checksum above covers the fst too, but the fst crate decodes
        // its nodes trusting them: its own checksum stays a second line
        // against an index crafted to pass the first.
        fst.verify().map_err(|e| corrupt(&e.to_string()))?;
        if fst.len() > rule_count {
            return Err(corrupt("more keys than rules"));
        }
        // A borrowed view, which threads can share whatever `D` is.
        let view = Fst::new(&(*data).as_ref()[offsets[0]..offsets[1]])
            .map_err(|e| corrupt(&e.to_string()))?;
        let keys = match keys {
            Some(keys) => {
                debug_assert!(keys::read(&view, key_text).as_ref() == Ok(&keys));
                keys
            }
            None => keys::read(&view, key_text)?,
        };
        let Keys { mut texts, keys } = keys;
        let rows = format::read_records(
            &(*data).as_ref()[offsets[3]..offsets[4]],
            rule_count,
            sources.len(),
            &mut texts,
        )
        .ok_or_else(|| corrupt("rule records"))?;
        let mut m = Matcher {
            full: Walker::new(fst),
            // Replaced by `derive` below.
            prefixes: radix::PrefixTrie::default(),
            few: None,
            exact: exact::ExactTable::with_capacity(0),
            data,
            complex: offsets[1],
            complex_count,
            snaps: offsets[2],
            rows,
            texts,
            sources,
            container: (offsets[5], offsets[6]),
        };
        m.validate(snap_count)?;
        m.derive(&keys)?;
        Ok(m)
    }

    /// Gives each effective rule its text from its key, and derives the
    /// structures a [`Cursor`] matches with from the keys: a trie of the
    /// effective prefixes alone (and, when they are few and there are no
    /// exact paths, a list of them), and a hash table of the effective
    /// exact paths. Then gives the rules that share a related rule's text
    /// that text.
    fn derive(&mut self, keys: &[(u32, u32, u64)]) -> Result<(), Error> {
        let n = self.rows.len();
        let (texts, rows) = (&self.texts, &mut self.rows);
        let mut prefixes: Vec<(&[u8], u32)> = Vec::new();
        let mut exact = exact::ExactTable::with_capacity(keys.len());
        // The keys are UTF-8 as a whole (read in order), and each begins
        // at a character boundary (so ends at one).
        let key_text = keys.last().map_or(0, |&(s, l, _)| (s + l) as usize);
        let all = std::str::from_utf8(&texts[..key_text]).map_err(|_| corrupt("rule text"))?;
        let key_at = |i: usize| {
            let (start, len, _) = keys[i];
            &texts[start as usize..(start + len) as usize]
        };
        // Keys come in byte order, rules and hash slots in another: each
        // key's rule record and slot are asked for `AHEAD` keys before
        // (the exact keys' hashes kept in a ring till then).
        const AHEAD: usize = 16;
        let mut hashes = [0u64; AHEAD];
        let announce = |i: usize, exact: &exact::ExactTable, rows: &[Row], hashes: &mut [u64]| {
            let Some(&(_, _, value)) = keys.get(i) else {
                return;
            };
            let (tag, index) = format::decode(value);
            if tag != Some(Tag::Complex) {
                if let Some(row) = rows.get(index as usize) {
                    exact::prefetch(row);
                }
            }
            if tag != Some(Tag::Prefix) {
                let h = exact::hash(key_at(i).get(1..).unwrap_or_default());
                exact.prefetch_hash(h);
                hashes[i % AHEAD] = h;
            }
        };
        for i in 0..AHEAD {
            announce(i, &exact, rows, &mut hashes);
        }
        for (i, &(start, len, value)) in keys.iter().enumerate() {
            let key = key_at(i);
            let h = hashes[i % AHEAD];
            announce(i + AHEAD, &exact, rows, &mut hashes);
            if key.first() != Some(&b'/') || !all.is_char_boundary(start as usize) {
                return Err(corrupt("index key"));
            }
            let (tag, index) = format::decode(value);
            let (tag, kind) = match tag {
                Some(Tag::Prefix) => (Tag::Prefix, 0),
                Some(tag) if key.len() >= 2 => (tag, 1),
                _ => return Err(corrupt("index value")),
            };
            let mut give = |id: u32, kind: u8| -> Result<(), Error> {
                let row = rows
                    .get_mut(id as usize)
                    .filter(|r| !r.has_text && r.status == 0 && r.kind == kind)
                    .ok_or_else(|| corrupt("index value"))?;
                row.text = match row.text_from {
                    0 => (start, len),
                    _ if key.len() >= 2 && key.ends_with(b"/") => (start, len - 1),
                    _ => return Err(corrupt("index key")),
                };
                row.has_text = true;
                Ok(())
            };
            match tag {
                Tag::Prefix => {
                    give(index, 0)?;
                    prefixes.push((key, index));
                }
                Tag::PathAll => {
                    give(index, kind)?;
                    exact.insert_hashed(&key[1..], h, start + 1, tag, index);
                }
                Tag::Complex => {
                    if index as usize >= self.complex_count {
                        return Err(corrupt("complex entry"));
                    }
                    let b = (*self.data).as_ref();
                    let (base, first, count) =
                        format::complex_entry(b, self.complex, index as usize);
                    if base != format::NONE {
                        give(base, 2)?;
                    }
                    for s in first..first + count {
                        give(u32_at(b, self.snaps + s * format::SNAP + 8), 3)?;
                    }
                    exact.insert_hashed(&key[1..], h, start + 1, tag, index);
                }
            }
        }
        for id in 0..n {
            let row = rows[id];
            if row.has_text {
                continue;
            }
            if row.text_from != Text::Related as u8 {
                return Err(corrupt("a rule without its index key"));
            }
            let related = rows
                .get(row.related as usize)
                .filter(|r| r.text_from != Text::Related as u8)
                .ok_or_else(|| corrupt("rule records"))?
                .text;
            rows[id].text = related;
            rows[id].has_text = true;
        }
        let trie = radix::PrefixTrie::new(&prefixes)?;
        let few = match prefixes.len() == keys.len() {
            true => radix::FewPrefixes::new(&prefixes),
            false => None,
        };
        self.prefixes = trie;
        self.few = few;
        self.exact = exact;
        Ok(())
    }

    fn validate(&self, snap_count: usize) -> Result<(), Error> {
        let n = self.rows.len() as u32;
        let b = self.bytes();
        for i in 0..self.complex_count {
            let (base, first, count) = format::complex_entry(b, self.complex, i);
            if (base != format::NONE && base >= n) || first.saturating_add(count) > snap_count {
                return Err(corrupt("complex entry"));
            }
        }
        if self.rows.iter().any(|r| r.status > 0 && r.related >= n) {
            return Err(corrupt("rule record"));
        }
        Ok(())
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
        self.rows.len()
    }

    /// How many keys the index holds (effective prefixes and paths).
    pub fn index_len(&self) -> usize {
        self.full.fst.len()
    }

    /// The size of the fst index in bytes.
    pub fn index_bytes(&self) -> usize {
        self.full.fst.as_bytes().len()
    }

    /// The container matching is limited to, if any (a container SAS).
    pub fn container(&self) -> Option<&str> {
        let s =
            std::str::from_utf8(&self.bytes()[self.container.0..self.container.1]).unwrap_or("");
        (!s.is_empty()).then_some(s)
    }

    /// A rule by id. Panics if `id` is not below [`Matcher::rule_count`].
    pub fn rule(&self, id: RuleId) -> RuleInfo<'_> {
        assert!((id.0 as usize) < self.rows.len(), "rule id out of range");
        let row = &self.rows[id.0 as usize];
        let related = RuleId(row.related);
        let kind = match row.kind {
            0 => RuleKind::Prefix,
            1 => RuleKind::Path,
            2 => RuleKind::PathWithoutSnapshots,
            _ => RuleKind::Snapshot(SnapshotTime::from_ticks(row.ticks)),
        };
        let status = match row.status {
            0 => RuleStatus::Effective,
            1 => RuleStatus::Duplicate { of: related },
            _ => RuleStatus::Covered { by: related },
        };
        let (start, len) = (row.text.0 as usize, row.text.1 as usize);
        // Validated at load.
        let text = std::str::from_utf8(&self.texts[start..start + len]).unwrap_or("");
        let source = self.sources[row.source as usize];
        let source = std::str::from_utf8(&self.bytes()[source.0..source.1]).unwrap_or("");
        let position = (row.line > 0).then_some(Position {
            line: row.line,
            column: row.column,
        });
        RuleInfo {
            id,
            kind,
            text,
            source,
            position,
            status,
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
        let mut rules = Vec::with_capacity(self.rows.len());
        for r in self.rules() {
            let source = sources
                .entry(r.source)
                .or_insert_with(|| r.source.into())
                .clone();
            let origin = Origin {
                source,
                position: r.position,
            };
            rules.push(match r.kind {
                RuleKind::Prefix => Rule::prefix(r.text, origin)?,
                kind => Rule::path(r.text, kind, origin)?,
            });
        }
        Ok(Selection::from_rules(rules))
    }

    /// Every rule, in selection order.
    pub fn rules(&self) -> impl Iterator<Item = RuleInfo<'_>> + '_ {
        (0..self.rows.len() as u32).map(move |i| self.rule(RuleId(i)))
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
    /// This walks the whole index over the path; a [`Cursor`] answers the
    /// same, faster, from the structures derived from it.
    #[inline]
    pub fn find_unrooted(&self, path: &[u8], snapshot: Option<SnapshotTime>) -> Option<RuleId> {
        let (state, out, is_final, final_out) = self.full.start()?;
        if is_final {
            // Only the prefix "/" ends here; a path is never this short.
            if let (Some(Tag::Prefix), index) = format::decode(out.wrapping_add(final_out)) {
                return Some(RuleId(index));
            }
        }
        self.full
            .walk_from(state, out, path, 0, |v, i| match format::decode(v) {
                (Some(Tag::Prefix), index) => Some(Walked::Prefix(i + 1, RuleId(index))),
                (Some(tag), index) if i + 1 == path.len() => {
                    Some(Walked::End(self.exact(tag, index, snapshot)))
                }
                _ => None,
            })
            .result()
    }

    /// The rules' texts, where the exact-path table's slots point.
    #[inline]
    fn strings(&self) -> &[u8] {
        &self.texts
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
                let (base, first, count) = format::complex_entry(b, self.complex, index as usize);
                match snapshot {
                    None => Some(base).filter(|&r| r != format::NONE).map(RuleId),
                    Some(t) => {
                        let start = self.snaps + first * format::SNAP;
                        let snaps = b.get(start..start + count * format::SNAP)?;
                        // Entries are sorted by ticks: binary search in place.
                        let (mut lo, mut hi) = (0, count);
                        while lo < hi {
                            let mid = (lo + hi) / 2;
                            match u64_at(snaps, mid * format::SNAP).cmp(&t.ticks()) {
                                std::cmp::Ordering::Less => lo = mid + 1,
                                std::cmp::Ordering::Greater => hi = mid,
                                std::cmp::Ordering::Equal => {
                                    return Some(RuleId(u32_at(snaps, mid * format::SNAP + 8)))
                                }
                            }
                        }
                        None
                    }
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
        Tally::new(self.rows.len())
    }
}
