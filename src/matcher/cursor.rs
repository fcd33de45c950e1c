//! Matching a stream of paths: remembering the last walk, and the walk over
//! each container name.

use crate::matcher::format::{self, Tag};
use crate::matcher::{Matcher, RuleId, Walked};
use crate::snapshot::SnapshotTime;

/// Container entries cached per cursor (direct-mapped).
const CACHE: usize = 512;
/// Longer container parts are not cached (valid names have at most 63).
const MAX_CACHED: usize = 64;

/// How the last walk ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    /// Selected by a prefix rule that ends after this many bytes.
    Prefix(usize, RuleId),
    /// No transition on the byte at this index: every path sharing the
    /// bytes up to and including it ends the same way.
    Dead(usize),
    /// Anything else (an exact path decided at the end, or a path that ran
    /// out of bytes): nothing to reuse.
    Other,
}

/// Where a walk stands after `container/`.
#[derive(Clone, Copy, Debug)]
enum AfterContainer {
    Ended(Ended),
    /// At this state with this accumulated output.
    At(u32, u64),
}

#[derive(Clone)]
struct CacheEntry {
    key: [u8; MAX_CACHED],
    len: u8,
    value: AfterContainer,
}

/// Matches many paths one after another, fast on any order and fastest on
/// sorted input.
///
/// It remembers how the last walk ended: a path that shares with the last
/// one the bytes a prefix rule matched is selected at once, and one that
/// shares the bytes up to where the last walk fell off the index is
/// rejected at once (sorted input, as List Blobs returns it, shares long
/// prefixes). It also caches, per container name, where the walk stands
/// after `container/`, so unsorted input skips the container part of most
/// walks.
///
/// Answers are exactly those of [`Matcher::find_unrooted`], whatever the
/// order of the paths.
///
/// ```
/// # use blobsel::Selection;
/// let m = Selection::parse(&b"<BlobList><BlobPathPrefix>/logs/2024/</BlobPathPrefix></BlobList>"[..], "x")?.compile()?;
/// let mut cursor = m.cursor();
/// for name in ["logs/2024/01/a.log", "logs/2024/01/b.log", "logs/2025/a.log"] {
///     println!("{name}: {:?}", cursor.find_unrooted(name.as_bytes(), None));
/// }
/// # Ok::<(), blobsel::Error>(())
/// ```
pub struct Cursor<'m, D> {
    m: &'m Matcher<D>,
    prev: Vec<u8>,
    ended: Ended,
    cache: Vec<Option<CacheEntry>>,
    /// After the leading '/': None when nothing can match; Some(Err(rule))
    /// when the prefix "/" takes everything.
    start: Option<Result<(u32, u64), RuleId>>,
}

impl<'m, D: AsRef<[u8]>> Cursor<'m, D> {
    pub(crate) fn new(m: &'m Matcher<D>) -> Cursor<'m, D> {
        let start = m.start().map(|(state, out, is_final, final_out)| {
            match (is_final, format::decode(out.wrapping_add(final_out))) {
                (true, (Some(Tag::Prefix), index)) => Err(RuleId(index)),
                _ => Ok((state, out)),
            }
        });
        Cursor {
            m,
            prev: Vec::new(),
            ended: Ended::Other,
            cache: vec![None; CACHE],
            start,
        }
    }

    /// Like [`Matcher::find_path`] (`/container/blob`).
    #[inline]
    pub fn find_path(&mut self, path: &[u8], snapshot: Option<SnapshotTime>) -> Option<RuleId> {
        match path.split_first() {
            Some((b'/', rest)) => self.find_unrooted(rest, snapshot),
            _ => None,
        }
    }

    /// Like [`Matcher::find_unrooted`] (`container/blob`).
    #[inline]
    pub fn find_unrooted(&mut self, path: &[u8], snapshot: Option<SnapshotTime>) -> Option<RuleId> {
        let slash = memchr::memchr(b'/', path).unwrap_or(path.len());
        self.find_blob(path, slash, snapshot)
    }

    /// Like [`Cursor::find_unrooted`] when the caller already knows where
    /// the container name ends: `path` is `container/blob` and
    /// `container_len` the length of `container` (the index of the '/').
    #[inline]
    pub fn find_blob(
        &mut self,
        path: &[u8],
        container_len: usize,
        snapshot: Option<SnapshotTime>,
    ) -> Option<RuleId> {
        let (state, out) = match self.start? {
            Ok(s) => s,
            Err(rule) => return Some(rule),
        };
        let shared = common_prefix(&self.prev, path);
        match self.ended {
            Ended::Prefix(k, rule) if shared >= k => return Some(rule),
            Ended::Dead(j) if shared > j => return None,
            _ => {}
        }
        self.prev.clear();
        self.prev.extend_from_slice(path);
        let (ended, result) = self.walk(state, out, path, container_len, snapshot);
        self.ended = ended;
        result
    }

    fn walk(
        &mut self,
        state: u32,
        out: u64,
        path: &[u8],
        slash: usize,
        snapshot: Option<SnapshotTime>,
    ) -> (Ended, Option<RuleId>) {
        // The container part, through its '/', from the cache or walked.
        let (state, out, from) = match path.get(slash) {
            Some(b'/') if slash < MAX_CACHED => {
                let key = &path[..=slash];
                match self.after_container(state, out, key) {
                    AfterContainer::Ended(Ended::Prefix(k, rule)) => {
                        return (Ended::Prefix(k, rule), Some(rule))
                    }
                    AfterContainer::Ended(e) => return (e, None),
                    AfterContainer::At(s, o) => (s, o, slash + 1),
                }
            }
            _ => (state, out, 0),
        };
        match self.m.walk_from(state, out, path, from, snapshot) {
            Walked::Prefix(k, rule) => (Ended::Prefix(k, rule), Some(rule)),
            Walked::Dead(i) => (Ended::Dead(i), None),
            Walked::End(rule) => (Ended::Other, rule),
        }
    }

    /// Where the walk stands after `key` (`container/`), cached.
    fn after_container(&mut self, state: u32, out: u64, key: &[u8]) -> AfterContainer {
        let slot = hash(key) % CACHE;
        if let Some(e) = &self.cache[slot] {
            if &e.key[..e.len as usize] == key {
                return e.value;
            }
        }
        let value = self.walk_container(state, out, key);
        let mut entry = CacheEntry {
            key: [0; MAX_CACHED],
            len: key.len() as u8,
            value,
        };
        entry.key[..key.len()].copy_from_slice(key);
        self.cache[slot] = Some(entry);
        value
    }

    fn walk_container(&self, mut state: u32, mut out: u64, key: &[u8]) -> AfterContainer {
        for (i, &byte) in key.iter().enumerate() {
            let Some((next, o, is_final, final_out)) = self.m.step(state, byte) else {
                return AfterContainer::Ended(Ended::Dead(i));
            };
            state = next;
            out = out.wrapping_add(o);
            // An exact path cannot end within `container/` (a blob name is
            // never empty), so only prefixes decide here.
            if is_final {
                if let (Some(Tag::Prefix), index) = format::decode(out.wrapping_add(final_out)) {
                    return AfterContainer::Ended(Ended::Prefix(i + 1, RuleId(index)));
                }
            }
        }
        AfterContainer::At(state, out)
    }
}

/// FNV-1a, enough to spread container names over the cache.
#[inline]
fn hash(key: &[u8]) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for &b in key {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h as usize
}

/// The length of the common prefix of `a` and `b`, eight bytes at a time.
#[inline]
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().unwrap_or([0; 8]));
        let y = u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]));
        let d = x ^ y;
        if d != 0 {
            return i + (d.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{Origin, Rule, RuleKind};
    use crate::MatcherBuilder;

    #[test]
    fn common_prefix_counts_bytes() {
        assert_eq!(common_prefix(b"abcdefghijk", b"abcdefghijx"), 10);
        assert_eq!(common_prefix(b"abc", b"abd"), 2);
        assert_eq!(common_prefix(b"", b"abd"), 0);
        assert_eq!(common_prefix(b"abcdefgh", b"abcdefgh"), 8);
    }

    #[test]
    fn cursor_agrees_with_find_in_any_order() {
        let o = || Origin {
            source: "t".into(),
            position: None,
        };
        let rules = vec![
            Rule::prefix("/bob", o()).unwrap(),
            Rule::prefix("/pics/2024/", o()).unwrap(),
            Rule::prefix("/all/", o()).unwrap(),
            Rule::path("pics/2023/a.jpg", RuleKind::Path, o()).unwrap(),
            Rule::path("pics/2023/a", RuleKind::PathWithoutSnapshots, o()).unwrap(),
            Rule::path(
                "docs/x",
                RuleKind::Snapshot("2024-01-01T00:00:00Z".parse().unwrap()),
                o(),
            )
            .unwrap(),
        ];
        let m = MatcherBuilder::new().build_rules(&rules).unwrap();
        let t = Some("2024-01-01T00:00:00.0Z".parse().unwrap());
        let paths: Vec<(&str, Option<SnapshotTime>)> = vec![
            ("pics/2023/a", None),
            ("pics/2023/a.jpg", None),
            ("pics/2023/a", t),
            ("pics/2023/a.jpg", t),
            ("pics/2024/b", None),
            ("pics/2024/", None),
            ("pics/2024", None),
            ("pics/2023", None),
            ("pics/2022/a", None),
            ("pics/2022/b", None),
            ("bob/x", None),
            ("bobkids/y", t),
            ("bo", None),
            ("all/x", None),
            ("all", None),
            ("docs/x", None),
            ("docs/x", t),
            ("docs/xy", t),
            ("zzz/a", None),
            ("zzz/b", None),
            ("", None),
        ];
        for round in 0..3 {
            let mut order = paths.clone();
            match round {
                1 => order.sort(),
                2 => order.reverse(),
                _ => {}
            }
            let mut c = m.cursor();
            for _ in 0..2 {
                for (p, s) in &order {
                    assert_eq!(
                        c.find_unrooted(p.as_bytes(), *s),
                        m.find_unrooted(p.as_bytes(), *s),
                        "{p} {s:?}"
                    );
                }
            }
        }
        let everything = MatcherBuilder::new()
            .build_rules(&[Rule::prefix("/", o()).unwrap()])
            .unwrap();
        assert!(everything.cursor().find_unrooted(b"a/b", None).is_some());
        let nothing = MatcherBuilder::new().build_rules(&[]).unwrap();
        assert!(nothing.cursor().find_unrooted(b"a/b", None).is_none());
    }
}
