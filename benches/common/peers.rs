//! The peers blobsel is measured against: other ways to answer "does any
//! rule select this blob?" over the same parsed rules. Every peer implements
//! the full semantics, snapshot rules included, so its answers can be
//! asserted equal to blobsel's on every rule set:
//!
//! * a prefix rule selects every blob (and snapshot) whose canonical path
//!   starts with it;
//! * exact paths resolve to a [`PathInfo`] (all snapshots, base only, or a
//!   set of snapshot instants) checked the same way by every peer.
//!
//! Only the lookup structure differs.

#![allow(dead_code)]

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, Input, MatchKind, StartKind};
use blobsel::{Rule, RuleKind, SnapshotTime};
use patricia_tree::PatriciaMap;
use regex_automata::meta;

/// What the exact-path rules on one path select.
#[derive(Clone, Debug, Default)]
pub struct PathInfo {
    /// A `BlobPath` that takes every snapshot.
    pub all: bool,
    /// An `IncludeSnapshots="false"` rule: the base blob.
    pub base: bool,
    /// `SnapshotTime` rules: these instants, in 100-ns ticks.
    pub snaps: Vec<u64>,
}

impl PathInfo {
    /// Whether these rules select the base blob (`None`) or a snapshot.
    #[inline]
    pub fn selects(&self, snapshot: Option<SnapshotTime>) -> bool {
        self.all
            || match snapshot {
                None => self.base,
                Some(t) => self.snaps.contains(&t.ticks()),
            }
    }
}

/// The rules split the way every peer needs them: prefixes (normalized:
/// sorted, no prefix covered by another) and unique exact paths with their
/// [`PathInfo`].
pub struct Prepared {
    /// Prefixes, byte-sorted, none a prefix of another.
    pub prefixes: Vec<Vec<u8>>,
    /// Unique exact paths, byte-sorted.
    pub paths: Vec<Vec<u8>>,
    /// `infos[i]` belongs to `paths[i]`.
    pub infos: Vec<PathInfo>,
}

impl Prepared {
    /// Splits and normalizes `rules`.
    pub fn new(rules: &[Rule]) -> Prepared {
        let mut prefixes: Vec<Vec<u8>> = Vec::new();
        let mut map: HashMap<&[u8], PathInfo> = HashMap::new();
        for r in rules {
            let text = r.text().as_bytes();
            match r.kind() {
                RuleKind::Prefix => prefixes.push(text.to_vec()),
                RuleKind::Path => map.entry(text).or_default().all = true,
                RuleKind::PathWithoutSnapshots => map.entry(text).or_default().base = true,
                RuleKind::Snapshot(t) => map.entry(text).or_default().snaps.push(t.ticks()),
            }
        }
        prefixes.sort_unstable();
        prefixes.dedup();
        // In byte order a covering prefix comes right before what it covers.
        let mut kept: Vec<Vec<u8>> = Vec::with_capacity(prefixes.len());
        for p in prefixes {
            if !kept.last().is_some_and(|k| p.starts_with(k)) {
                kept.push(p);
            }
        }
        let mut paths: Vec<(&[u8], PathInfo)> = map.into_iter().collect();
        paths.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let (paths, infos) = paths.into_iter().map(|(p, i)| (p.to_vec(), i)).unzip();
        Prepared {
            prefixes: kept,
            paths,
            infos,
        }
    }
}

/// A way to match canonical paths against a rule set.
pub trait Peer: Sync {
    /// Whether a rule selects `path` (`/container/name`) at `snapshot`.
    fn selects(&self, path: &[u8], snapshot: Option<SnapshotTime>) -> bool;
}

/// The loop scripts write: every rule, in order, for every blob.
pub struct Naive {
    rules: Vec<(RuleKind, Vec<u8>)>,
}

impl Naive {
    /// Keeps the rules as they are.
    pub fn new(rules: &[Rule]) -> Naive {
        Naive {
            rules: rules
                .iter()
                .map(|r| (r.kind(), r.text().as_bytes().to_vec()))
                .collect(),
        }
    }
}

impl Peer for Naive {
    fn selects(&self, path: &[u8], snapshot: Option<SnapshotTime>) -> bool {
        self.rules.iter().any(|(kind, text)| match kind {
            RuleKind::Prefix => path.starts_with(text),
            RuleKind::Path => path == &text[..],
            RuleKind::PathWithoutSnapshots => snapshot.is_none() && path == &text[..],
            RuleKind::Snapshot(t) => {
                snapshot.map(|s| s.ticks()) == Some(t.ticks()) && path == &text[..]
            }
        })
    }
}

/// Strings in one buffer, sorted, found by binary search.
pub struct FlatSorted {
    bytes: Vec<u8>,
    ends: Vec<u32>,
}

impl FlatSorted {
    fn new(items: &[Vec<u8>]) -> FlatSorted {
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(items.len());
        for i in items {
            bytes.extend_from_slice(i);
            ends.push(bytes.len() as u32);
        }
        FlatSorted { bytes, ends }
    }

    #[inline]
    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    /// The number of items `<= key`.
    #[inline]
    fn upper_bound(&self, key: &[u8]) -> usize {
        let (mut lo, mut hi) = (0, self.ends.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.get(mid) <= key {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Whether an item prefixes `key`: in a prefix-free sorted set only the
    /// predecessor of `key` can.
    #[inline]
    fn prefixes(&self, key: &[u8]) -> bool {
        match self.upper_bound(key) {
            0 => false,
            n => key.starts_with(self.get(n - 1)),
        }
    }

    /// The index of `key`, if present.
    #[inline]
    fn find(&self, key: &[u8]) -> Option<usize> {
        match self.upper_bound(key) {
            0 => None,
            n => (self.get(n - 1) == key).then_some(n - 1),
        }
    }
}

/// A sorted flat array: prefixes by predecessor search, paths by binary
/// search.
pub struct SortedArray {
    prefixes: FlatSorted,
    paths: FlatSorted,
    infos: Vec<PathInfo>,
}

impl SortedArray {
    /// Builds from prepared rules.
    pub fn new(p: &Prepared) -> SortedArray {
        SortedArray {
            prefixes: FlatSorted::new(&p.prefixes),
            paths: FlatSorted::new(&p.paths),
            infos: p.infos.clone(),
        }
    }
}

impl Peer for SortedArray {
    fn selects(&self, path: &[u8], snapshot: Option<SnapshotTime>) -> bool {
        self.prefixes.prefixes(path)
            || self
                .paths
                .find(path)
                .is_some_and(|i| self.infos[i].selects(snapshot))
    }
}

/// A hash map for exact paths, the sorted array for prefixes.
pub struct HashAndSorted {
    prefixes: FlatSorted,
    paths: HashMap<Vec<u8>, PathInfo>,
}

impl HashAndSorted {
    /// Builds from prepared rules.
    pub fn new(p: &Prepared) -> HashAndSorted {
        HashAndSorted {
            prefixes: FlatSorted::new(&p.prefixes),
            paths: p
                .paths
                .iter()
                .cloned()
                .zip(p.infos.iter().cloned())
                .collect(),
        }
    }
}

impl Peer for HashAndSorted {
    fn selects(&self, path: &[u8], snapshot: Option<SnapshotTime>) -> bool {
        self.prefixes.prefixes(path) || self.paths.get(path).is_some_and(|i| i.selects(snapshot))
    }
}

/// Anchored Aho-Corasick: prefixes as patterns (any anchored match), paths
/// as patterns (the longest anchored match, checked for full length).
pub struct AhoCorasickPeer {
    prefixes: Option<AhoCorasick>,
    paths: Option<AhoCorasick>,
    infos: Vec<PathInfo>,
}

impl AhoCorasickPeer {
    /// Builds both automata (contiguous NFAs: a DFA over thousands of
    /// patterns is too big to build).
    pub fn new(p: &Prepared) -> Result<AhoCorasickPeer, String> {
        let build = |pats: &[Vec<u8>], kind: MatchKind| {
            if pats.is_empty() {
                return Ok(None);
            }
            AhoCorasick::builder()
                .match_kind(kind)
                .start_kind(StartKind::Anchored)
                .kind(Some(AhoCorasickKind::ContiguousNFA))
                .build(pats)
                .map(Some)
                .map_err(|e| e.to_string())
        };
        Ok(AhoCorasickPeer {
            prefixes: build(&p.prefixes, MatchKind::Standard)?,
            paths: build(&p.paths, MatchKind::LeftmostLongest)?,
            infos: p.infos.clone(),
        })
    }
}

impl Peer for AhoCorasickPeer {
    fn selects(&self, path: &[u8], snapshot: Option<SnapshotTime>) -> bool {
        let input = || Input::new(path).anchored(Anchored::Yes);
        if let Some(ac) = &self.prefixes {
            if ac.find(input()).is_some() {
                return true;
            }
        }
        match &self.paths {
            Some(ac) => ac.find(input()).is_some_and(|m| {
                m.end() == path.len() && self.infos[m.pattern().as_usize()].selects(snapshot)
            }),
            None => false,
        }
    }
}

/// `patricia_tree`: longest common prefix lookup for prefixes, exact lookup
/// for paths.
pub struct Patricia {
    prefixes: PatriciaMap<()>,
    paths: PatriciaMap<u32>,
    infos: Vec<PathInfo>,
}

impl Patricia {
    /// Builds both tries.
    pub fn new(p: &Prepared) -> Patricia {
        let mut prefixes = PatriciaMap::new();
        for x in &p.prefixes {
            prefixes.insert(x, ());
        }
        let mut paths = PatriciaMap::new();
        for (i, x) in p.paths.iter().enumerate() {
            paths.insert(x, i as u32);
        }
        Patricia {
            prefixes,
            paths,
            infos: p.infos.clone(),
        }
    }
}

impl Peer for Patricia {
    fn selects(&self, path: &[u8], snapshot: Option<SnapshotTime>) -> bool {
        self.prefixes.get_longest_common_prefix(path).is_some()
            || self
                .paths
                .get(path)
                .is_some_and(|&i| self.infos[i as usize].selects(snapshot))
    }
}

/// `regex-automata`'s meta regex: `^(?:p1|p2|…)` for prefixes, and the
/// paths as one pattern each, `^b$`, in one regex (the anchored alternation
/// `^(?:b1|b2|…)$`, built with `build_many` so a match names its path).
pub struct RegexPeer {
    prefixes: Option<meta::Regex>,
    paths: Option<meta::Regex>,
    infos: Vec<PathInfo>,
}

/// The NFA size limit the regex peer builds within.
pub const REGEX_NFA_LIMIT: usize = 256 << 20;

/// The lazy DFA's cache: big, so it does not give up on big alternations.
pub const REGEX_CACHE: usize = 64 << 20;

impl RegexPeer {
    /// Builds, or says why it cannot within [`REGEX_NFA_LIMIT`].
    pub fn new(p: &Prepared) -> Result<RegexPeer, String> {
        let config = || {
            meta::Config::new()
                .nfa_size_limit(Some(REGEX_NFA_LIMIT))
                .hybrid_cache_capacity(REGEX_CACHE)
                .utf8_empty(false)
        };
        let escaped = |x: &[u8]| {
            let mut s = String::new();
            super::corpus::regex_escape(std::str::from_utf8(x).unwrap(), &mut s);
            s
        };
        let prefixes = if p.prefixes.is_empty() {
            None
        } else {
            let alt: Vec<String> = p.prefixes.iter().map(|x| escaped(x)).collect();
            let pattern = format!("^(?:{})", alt.join("|"));
            Some(
                meta::Regex::builder()
                    .configure(config())
                    .build(&pattern)
                    .map_err(|e| format!("prefixes: {e}"))?,
            )
        };
        let paths = if p.paths.is_empty() {
            None
        } else {
            let pats: Vec<String> = p
                .paths
                .iter()
                .map(|x| format!("^{}$", escaped(x)))
                .collect();
            Some(
                meta::Regex::builder()
                    .configure(config())
                    .build_many(&pats)
                    .map_err(|e| format!("paths: {e}"))?,
            )
        };
        Ok(RegexPeer {
            prefixes,
            paths,
            infos: p.infos.clone(),
        })
    }
}

impl Peer for RegexPeer {
    fn selects(&self, path: &[u8], snapshot: Option<SnapshotTime>) -> bool {
        let input = || regex_automata::Input::new(path).anchored(regex_automata::Anchored::Yes);
        if let Some(re) = &self.prefixes {
            if re.is_match(input()) {
                return true;
            }
        }
        match &self.paths {
            Some(re) => re
                .find(input())
                .is_some_and(|m| self.infos[m.pattern().as_usize()].selects(snapshot)),
            None => false,
        }
    }
}
