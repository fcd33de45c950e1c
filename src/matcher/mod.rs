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

mod accel;
mod build;
mod cursor;
pub(crate) mod format;
mod report;

use std::sync::Arc;

use fst::raw::Fst;
use rayon::prelude::*;

use crate::error::{Error, ErrorKind, Position};
use crate::listing::ListingEntry;
use crate::rule::RuleKind;
use crate::snapshot::SnapshotTime;
use format::{u32_at, u64_at, Tag};

pub use build::MatcherBuilder;
pub use cursor::Cursor;
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

/// A rule as the matcher knows it (read in place from the index).
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

/// How a walk over a path ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Walked {
    /// Selected by a prefix rule that ends after this many bytes.
    Prefix(usize, RuleId),
    /// No transition on the byte at this index.
    Dead(usize),
    /// The path ended: selected by this exact-path rule, or not at all.
    End(Option<RuleId>),
}

impl Walked {
    pub(crate) fn result(self) -> Option<RuleId> {
        match self {
            Walked::Prefix(_, r) => Some(r),
            Walked::Dead(_) => None,
            Walked::End(r) => r,
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
    fst: Fst<Part<D>>,
    complex: usize,
    complex_count: usize,
    snaps: usize,
    rules: usize,
    rule_count: usize,
    strings: usize,
    sources: Vec<(usize, usize)>,
    container: (usize, usize),
    accel: accel::Accel,
}

impl<D: AsRef<[u8]>> std::fmt::Debug for Matcher<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("rules", &self.rule_count)
            .field("index_keys", &self.fst.len())
            .finish()
    }
}

fn corrupt(what: &str) -> Error {
    Error::new(
        ErrorKind::InvalidIndex,
        format!("not a valid blobsel index ({what}): recompile it from the selection"),
    )
}

impl<D: AsRef<[u8]>> Matcher<D> {
    /// Loads a matcher from the bytes [`Matcher::as_bytes`] wrote. Checks
    /// the format version, every length and the fst's checksum; nothing is
    /// recompiled.
    pub fn from_bytes(data: D) -> Result<Matcher<D>, Error> {
        let b = data.as_ref();
        if b.len() < format::HEADER || &b[..8] != format::MAGIC {
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
        let len = |i: usize| usize::try_from(u64_at(b, 16 + 8 * i)).map_err(|_| corrupt("length"));
        let (fst_len, complex_count, snap_count, rule_count) = (len(0)?, len(1)?, len(2)?, len(3)?);
        let (strings_len, sources_len, container_len) = (len(4)?, len(5)?, len(6)?);
        let sizes = [
            fst_len,
            complex_count
                .checked_mul(format::COMPLEX)
                .ok_or_else(|| corrupt("length"))?,
            snap_count
                .checked_mul(format::SNAP)
                .ok_or_else(|| corrupt("length"))?,
            rule_count
                .checked_mul(format::RULE)
                .ok_or_else(|| corrupt("length"))?,
            strings_len,
            sources_len,
            container_len,
        ];
        let mut offsets = [0usize; 8];
        offsets[0] = format::HEADER;
        for i in 0..7 {
            offsets[i + 1] = offsets[i]
                .checked_add(sizes[i])
                .ok_or_else(|| corrupt("length"))?;
        }
        if offsets[7] != b.len() {
            return Err(corrupt("length mismatch"));
        }
        // Sources.
        let mut sources = Vec::new();
        let mut at = offsets[5];
        let count = u32_at(b, at) as usize;
        at += 4;
        for _ in 0..count {
            let n = u32_at(b, at) as usize;
            let (s, e) = (at + 4, at + 4 + n);
            if e > offsets[6] || std::str::from_utf8(&b[s..e]).is_err() {
                return Err(corrupt("source names"));
            }
            sources.push((s, e));
            at = e;
        }
        if std::str::from_utf8(&b[offsets[6]..offsets[7]]).is_err() {
            return Err(corrupt("container"));
        }
        let data = Arc::new(data);
        let part = Part {
            data: data.clone(),
            start: offsets[0],
            end: offsets[1],
        };
        let fst = Fst::new(part).map_err(|e| corrupt(&e.to_string()))?;
        fst.verify().map_err(|e| corrupt(&e.to_string()))?;
        let accel = accel::Accel::new(&fst);
        let m = Matcher {
            accel,
            data,
            fst,
            complex: offsets[1],
            complex_count,
            snaps: offsets[2],
            rules: offsets[3],
            rule_count,
            strings: offsets[4],
            sources,
            container: (offsets[6], offsets[7]),
        };
        m.validate(snap_count, strings_len)?;
        Ok(m)
    }

    fn validate(&self, snap_count: usize, strings_len: usize) -> Result<(), Error> {
        let n = self.rule_count as u32;
        for i in 0..self.complex_count {
            let at = self.complex + i * format::COMPLEX;
            let b = self.bytes();
            let (base, first, count) = (
                u32_at(b, at),
                u32_at(b, at + 4) as usize,
                u32_at(b, at + 8) as usize,
            );
            if (base != format::NONE && base >= n) || first + count > snap_count {
                return Err(corrupt("complex entry"));
            }
            for s in first..first + count {
                if u32_at(b, self.snaps + s * format::SNAP + 8) >= n {
                    return Err(corrupt("snapshot entry"));
                }
            }
        }
        for i in 0..self.rule_count {
            let b = self.bytes();
            let at = self.rules + i * format::RULE;
            let (kind, status, related) = (b[at], b[at + 1], u32_at(b, at + 4));
            let off = usize::try_from(u64_at(b, at + 8)).map_err(|_| corrupt("rule text"))?;
            let len = u32_at(b, at + 16) as usize;
            let source = u32_at(b, at + 28) as usize;
            let text_ok = off.checked_add(len).is_some_and(|e| {
                e <= strings_len
                    && std::str::from_utf8(&b[self.strings + off..self.strings + e]).is_ok()
            });
            if kind > 3
                || status > 2
                || (status > 0 && related >= n)
                || !text_ok
                || source >= self.sources.len()
            {
                return Err(corrupt("rule record"));
            }
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
        self.rule_count
    }

    /// How many keys the index holds (effective prefixes and paths).
    pub fn index_len(&self) -> usize {
        self.fst.len()
    }

    /// The size of the fst index in bytes.
    pub fn index_bytes(&self) -> usize {
        self.fst.as_bytes().len()
    }

    /// The container matching is limited to, if any (a container SAS).
    pub fn container(&self) -> Option<&str> {
        let s =
            std::str::from_utf8(&self.bytes()[self.container.0..self.container.1]).unwrap_or("");
        (!s.is_empty()).then_some(s)
    }

    /// A rule by id. Panics if `id` is not below [`Matcher::rule_count`].
    pub fn rule(&self, id: RuleId) -> RuleInfo<'_> {
        assert!((id.0 as usize) < self.rule_count, "rule id out of range");
        let b = self.bytes();
        let at = self.rules + id.0 as usize * format::RULE;
        let related = RuleId(u32_at(b, at + 4));
        let off = u64_at(b, at + 8) as usize;
        let len = u32_at(b, at + 16) as usize;
        let (line, column) = (u32_at(b, at + 20), u32_at(b, at + 24));
        let source = self.sources[u32_at(b, at + 28) as usize];
        let kind = match b[at] {
            0 => RuleKind::Prefix,
            1 => RuleKind::Path,
            2 => RuleKind::PathWithoutSnapshots,
            _ => RuleKind::Snapshot(SnapshotTime::from_ticks(u64_at(b, at + 32))),
        };
        let status = match b[at + 1] {
            0 => RuleStatus::Effective,
            1 => RuleStatus::Duplicate { of: related },
            _ => RuleStatus::Covered { by: related },
        };
        // Validated at load.
        let text =
            std::str::from_utf8(&b[self.strings + off..self.strings + off + len]).unwrap_or("");
        let source = std::str::from_utf8(&b[source.0..source.1]).unwrap_or("");
        let position = (line > 0).then_some(Position { line, column });
        RuleInfo {
            id,
            kind,
            text,
            source,
            position,
            status,
        }
    }

    /// Every rule, in selection order.
    pub fn rules(&self) -> impl Iterator<Item = RuleInfo<'_>> + '_ {
        (0..self.rule_count as u32).map(move |i| self.rule(RuleId(i)))
    }

    /// The rule that selects the blob at canonical path `path`
    /// (`/container/blob`) and `snapshot` (`None`: the base blob), if any.
    #[inline]
    pub fn find_path(&self, path: &[u8], snapshot: Option<SnapshotTime>) -> Option<RuleId> {
        match path.split_first() {
            Some((b'/', rest)) => self.find_unrooted(rest, snapshot),
            _ => None, // every key begins with '/'
        }
    }

    /// Like [`Matcher::find_path`] for `container/blob`, the canonical path
    /// without its leading `/` (as listings often write it).
    #[inline]
    pub fn find_unrooted(&self, path: &[u8], snapshot: Option<SnapshotTime>) -> Option<RuleId> {
        let (state, out, is_final, final_out) = self.start()?;
        if is_final {
            // Only the prefix "/" ends here; a path is never this short.
            if let (Some(Tag::Prefix), index) = format::decode(out.wrapping_add(final_out)) {
                return Some(RuleId(index));
            }
        }
        self.walk_from(state, out, path, 0, snapshot).result()
    }

    /// Walks `path[from..]` from `state` (reached after `path[..from]` with
    /// output `out`): through the decoded top, then in the fst itself.
    #[inline]
    pub(crate) fn walk_from(
        &self,
        mut state: u32,
        mut out: u64,
        path: &[u8],
        from: usize,
        snapshot: Option<SnapshotTime>,
    ) -> Walked {
        let mut i = from;
        while i < path.len() && state & accel::UNDECODED == 0 {
            let Some((next, o, is_final, final_out)) = self.step(state, path[i]) else {
                return Walked::Dead(i);
            };
            state = next;
            out = out.wrapping_add(o);
            if is_final {
                if let Some(w) = self.at_final(out.wrapping_add(final_out), i, path.len(), snapshot)
                {
                    return w;
                }
            }
            i += 1;
        }
        if i == path.len() {
            return Walked::End(None);
        }
        // Past the decoded top: one fst node decoded per byte.
        let mut node = self.fst.node((state & !accel::UNDECODED) as usize);
        while i < path.len() {
            let Some(k) = node.find_input(path[i]) else {
                return Walked::Dead(i);
            };
            let t = node.transition(k);
            out = out.wrapping_add(t.out.value());
            node = self.fst.node(t.addr);
            if node.is_final() {
                let v = out.wrapping_add(node.final_output().value());
                if let Some(w) = self.at_final(v, i, path.len(), snapshot) {
                    return w;
                }
            }
            i += 1;
        }
        Walked::End(None)
    }

    /// What a final node with value `v` after byte `i` decides.
    #[inline]
    fn at_final(
        &self,
        v: u64,
        i: usize,
        len: usize,
        snapshot: Option<SnapshotTime>,
    ) -> Option<Walked> {
        match format::decode(v) {
            (Some(Tag::Prefix), index) => Some(Walked::Prefix(i + 1, RuleId(index))),
            (Some(tag), index) if i + 1 == len => {
                Some(Walked::End(self.exact(tag, index, snapshot)))
            }
            _ => None,
        }
    }

    /// A cursor for matching many paths, fastest when consecutive paths
    /// share prefixes (sorted input); see [`Cursor`].
    pub fn cursor(&self) -> Cursor<'_, D> {
        Cursor::new(self)
    }

    /// The state after the leading '/': (state, output, is final, final output).
    #[inline]
    fn start(&self) -> Option<(u32, u64, bool, u64)> {
        if self.accel.is_empty() {
            let root = self.fst.root();
            let t = root.transition(root.find_input(b'/')?);
            let node = self.fst.node(t.addr);
            return Some((
                accel::UNDECODED | t.addr as u32,
                t.out.value(),
                node.is_final(),
                node.final_output().value(),
            ));
        }
        self.step(0, b'/')
    }

    /// One byte of a walk: from `state` (a decoded node index, or an fst
    /// address tagged [`accel::UNDECODED`]) on `byte`, the next state, the
    /// transition's output, and whether the next node is final with its
    /// final output.
    #[inline]
    fn step(&self, state: u32, byte: u8) -> Option<(u32, u64, bool, u64)> {
        if state & accel::UNDECODED == 0 {
            let (next, out) = self.accel.step(state, byte)?;
            if next & accel::UNDECODED == 0 {
                if next & accel::FINAL == 0 {
                    return Some((next, out, false, 0));
                }
                let n = &self.accel.nodes[(next & !accel::FINAL) as usize];
                Some((next, out, true, n.final_out))
            } else {
                let node = self.fst.node((next & !accel::UNDECODED) as usize);
                Some((next, out, node.is_final(), node.final_output().value()))
            }
        } else {
            let node = self.fst.node((state & !accel::UNDECODED) as usize);
            let t = node.transition(node.find_input(byte)?);
            let next = self.fst.node(t.addr);
            Some((
                accel::UNDECODED | t.addr as u32,
                t.out.value(),
                next.is_final(),
                next.final_output().value(),
            ))
        }
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
    /// previous versions are never selected (SPEC §4).
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
                let at = self.complex + index as usize * format::COMPLEX;
                match snapshot {
                    None => Some(u32_at(b, at))
                        .filter(|&r| r != format::NONE)
                        .map(RuleId),
                    Some(t) => {
                        let (first, count) =
                            (u32_at(b, at + 4) as usize, u32_at(b, at + 8) as usize);
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
        // Each worker matches runs of items with its own cursor.
        out.clear();
        out.resize(items.len(), None);
        items
            .par_chunks(4096)
            .zip(out.par_chunks_mut(4096))
            .for_each(|(items, out)| {
                let mut cursor = self.cursor();
                for ((p, s), o) in items.iter().zip(out) {
                    *o = cursor.find_path(p.as_ref(), *s);
                }
            });
    }

    /// A tally with a zero count for every rule.
    pub fn tally(&self) -> Tally {
        Tally::new(self.rule_count)
    }
}
