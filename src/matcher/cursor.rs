//! Matching a stream of paths: remembering the last walk, and the walk over
//! each container name.

use crate::matcher::merge::Merge;
use crate::matcher::radix::{At, Walk};
use crate::matcher::{Matcher, RuleId};
use crate::snapshot::SnapshotTime;
use crate::words::{self, common_prefix, word};

/// Sets of the container cache; each holds two entries, the most recently
/// used first (two popular containers that hash alike do not evict each
/// other on every path).
const SETS: usize = 256;
/// Longer container parts are not cached (valid names have at most 63).
const MAX_CACHED: usize = 64;
/// Bytes of the last path kept for reuse, at most.
const PREV: usize = 128;

/// How the last walk over the prefixes ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ended {
    /// Selected by a prefix rule that ends after this many bytes.
    Prefix(usize, RuleId),
    /// No transition on the byte at this index: no prefix rule selects a
    /// path sharing the bytes up to and including it.
    Dead(usize),
    /// Anything else (a path that ran out of bytes): nothing to reuse.
    Other,
}

/// Where the walk over the prefixes stands after `container/`.
#[derive(Clone, Copy, Debug)]
enum AfterContainer {
    Ended(Ended),
    /// At this state of the walk.
    At(At),
}

#[derive(Clone)]
struct CacheEntry {
    key: [u8; MAX_CACHED],
    len: u8,
    value: AfterContainer,
    /// Whether the container holds any exact path.
    exact: bool,
}

/// Matches many paths one after another, fast on any order and fastest on
/// sorted input.
///
/// A cursor splits the question in two, using structures the matcher
/// derives from its index when it is loaded: does a prefix rule select the
/// path (a walk over a path-compressed trie of the prefixes alone), and if
/// not, is it an exact path (one hash probe, only in containers that hold
/// exact paths). It caches, per container name, where the prefix walk
/// stands after `container/` and whether the container holds exact paths,
/// so most paths skip their container part. And it remembers how the last
/// walk ended: a path that shares with the last one the bytes a prefix
/// rule matched is selected at once, and one that shares the bytes up to
/// where the last walk fell off the prefixes goes straight to the exact
/// paths (sorted input, as List Blobs returns it, shares long prefixes).
/// When paths keep coming in increasing order it stops hashing and walks
/// the exact paths in byte order alongside them, until one comes out of
/// order. Given a slice of paths ([`Cursor::find_all`]) it also asks for
/// the memory of hash probes a few paths ahead.
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
pub struct Cursor<'m, D = Vec<u8>> {
    m: &'m Matcher<D>,
    /// The first `prev_len` bytes of the last walked path: as many as a
    /// later path must share with it to reuse the walk.
    prev: [u8; PREV],
    prev_len: usize,
    ended: Ended,
    /// The index of the '/' after the last path's container (`usize::MAX`
    /// when it was not looked up), and whether that container holds exact
    /// paths.
    last_container: (usize, bool),
    cache: Vec<Option<CacheEntry>>,
    /// The prefix walk after the leading '/': None when there are no
    /// prefixes; Some(Err(rule)) when the prefix "/" takes everything.
    start: Option<Result<At, RuleId>>,
    /// Where the exact paths stand in byte order, for sorted input.
    merge: Merge,
    /// Whether [`Cursor::announce`] does anything: the exact paths do not
    /// fit the processor's caches.
    announcing: bool,
    /// The hashes of the last [`TEXT_AFTER`] paths announced, a ring; the
    /// next to be overwritten is the oldest.
    announced: [u64; TEXT_AFTER],
    announced_at: usize,
}

impl<'m, D: AsRef<[u8]>> Cursor<'m, D> {
    pub(crate) fn new(m: &'m Matcher<D>) -> Cursor<'m, D> {
        let start = m
            .prefixes
            .root()
            .and_then(|root| match m.prefixes.walk(root, b"/", 0) {
                Walk::End(at) => Some(Ok(at)),
                Walk::Prefix(_, rule) => Some(Err(rule)),
                // No prefix begins with '/' (a loaded index could say so).
                Walk::Dead(_) => None,
            });
        Cursor {
            m,
            prev: [0; PREV],
            prev_len: 0,
            ended: Ended::Other,
            last_container: (usize::MAX, true),
            cache: vec![None; 2 * SETS],
            start,
            merge: Merge::default(),
            announcing: m.exact.is_large(),
            announced: [0; TEXT_AFTER],
            announced_at: 0,
        }
    }

    /// Like [`Matcher::find_path`]: `/container/blob`, or `container/blob`.
    #[inline]
    pub fn find_path(&mut self, path: &[u8], snapshot: Option<SnapshotTime>) -> Option<RuleId> {
        match path.split_first() {
            Some((b'/', rest)) => self.find_unrooted(rest, snapshot),
            Some(_) => self.find_unrooted(path, snapshot),
            None => None,
        }
    }

    /// The answers of [`Cursor::find_path`] for each of `items` in turn
    /// (canonical paths with optional snapshots), as an iterator.
    ///
    /// Faster than calling `find_path` in a loop when the selection has
    /// more exact paths than the processor's caches hold (hundreds of
    /// thousands): knowing the paths to come, it asks for the memory each
    /// one's hash probe will read a few paths ahead, so the waits overlap.
    ///
    /// ```
    /// # use blobsel::Selection;
    /// let m = Selection::parse(&b"<BlobList><BlobPath>/logs/a.log</BlobPath></BlobList>"[..], "x")?.compile()?;
    /// let items = [(&b"/logs/a.log"[..], None), (&b"/logs/b.log"[..], None)];
    /// let answers: Vec<_> = m.cursor().find_all(&items).collect();
    /// assert!(answers[0].is_some() && answers[1].is_none());
    /// # Ok::<(), blobsel::Error>(())
    /// ```
    pub fn find_all<'c, 'i, P: AsRef<[u8]>>(
        &'c mut self,
        items: &'i [(P, Option<SnapshotTime>)],
    ) -> FindAll<'c, 'm, 'i, D, P> {
        FindAll::new(self, items)
    }

    /// Tells the cursor a path it will be asked about soon (`container/blob`,
    /// as [`Cursor::find_unrooted`] takes it). When the selection has more
    /// exact paths than the processor's caches hold, it asks for the memory
    /// that path's hash probe will read, so the wait overlaps other work:
    /// its hash slot now, and 16 announcements later the text that slot
    /// points at. Announce each path about 32 paths before asking about
    /// it, as [`Cursor::find_all`] does. A hint only: answers never depend
    /// on it.
    #[inline]
    pub fn announce(&mut self, path: &[u8]) {
        if !self.announces() {
            return;
        }
        let exact = &self.m.exact;
        let h = exact.prefetch_slot(self.m.bytes(), path);
        let oldest = std::mem::replace(&mut self.announced[self.announced_at], h);
        self.announced_at = (self.announced_at + 1) % TEXT_AFTER;
        // Announced TEXT_AFTER paths ago: its slot should be in cache. (The
        // ring may hold a path that was never asked about, or after a
        // merge another path's hash: a wasted hint, never a wrong answer.)
        exact.prefetch_text(self.m.bytes(), oldest);
    }

    /// Whether [`Cursor::announce`] does anything now: the selection's
    /// exact paths outgrow the caches, and the cursor is not walking them
    /// in order alongside sorted input. A caller can skip looking ahead
    /// while it does not (and the answer may change with every path).
    #[inline]
    pub fn announces(&self) -> bool {
        self.announcing && !self.merge.is_merging()
    }

    /// Like [`Matcher::find_unrooted`] (`container/blob`).
    #[inline]
    pub fn find_unrooted(&mut self, path: &[u8], snapshot: Option<SnapshotTime>) -> Option<RuleId> {
        if let Some(found) = self.reuse(path, snapshot) {
            return found;
        }
        let slash = words::find_byte(path, b'/').unwrap_or(path.len());
        self.walk_and_remember(path, slash, snapshot)
    }

    /// Like [`Cursor::find_unrooted`] when the caller already knows where
    /// the container name ends: `path` is `container/blob` and
    /// `container_len` the length of `container` (the index of the first
    /// '/', or the path's length when it has none).
    #[inline]
    pub fn find_blob(
        &mut self,
        path: &[u8],
        container_len: usize,
        snapshot: Option<SnapshotTime>,
    ) -> Option<RuleId> {
        if let Some(found) = self.reuse(path, snapshot) {
            return found;
        }
        self.walk_and_remember(path, container_len, snapshot)
    }

    /// The answer for `path` without a walk, if there is one: from the
    /// list of a few prefixes (when that is all the selection has), the
    /// prefix "/" (which selects everything), or the last walk.
    #[inline]
    fn reuse(&mut self, path: &[u8], snapshot: Option<SnapshotTime>) -> Option<Option<RuleId>> {
        if let Some(few) = &self.m.few {
            return Some(few.find(path));
        }
        if let Some(Err(everything)) = self.start {
            return Some(Some(everything));
        }
        match self.ended {
            Ended::Other => None,
            Ended::Prefix(k, rule) => {
                (common_prefix(&self.prev[..self.prev_len], path) >= k).then_some(Some(rule))
            }
            Ended::Dead(j) => {
                let shared = common_prefix(&self.prev[..self.prev_len], path);
                // Same container, and no prefix selects it.
                (shared > j && shared > self.last_container.0)
                    .then(|| self.exact(path, self.last_container.1, snapshot))
            }
        }
    }

    #[inline]
    fn walk_and_remember(
        &mut self,
        path: &[u8],
        container_len: usize,
        snapshot: Option<SnapshotTime>,
    ) -> Option<RuleId> {
        let (ended, result) = self.walk(path, container_len, snapshot);
        // Keep the bytes a later path must share to reuse this walk.
        let keep = match ended {
            Ended::Prefix(k, _) => k,
            Ended::Dead(_) if self.last_container.0 == usize::MAX => 0,
            Ended::Dead(j) => (j + 1).max(self.last_container.0 + 1),
            Ended::Other => 0,
        };
        let keep = keep.min(path.len());
        if keep <= PREV {
            copy_short(&mut self.prev, path, keep);
            self.prev_len = keep;
            self.ended = ended;
        } else {
            self.prev_len = 0;
            self.ended = Ended::Other; // too long to keep: rarely worth it
        }
        result
    }

    #[inline]
    fn exact(
        &mut self,
        path: &[u8],
        possible: bool,
        snapshot: Option<SnapshotTime>,
    ) -> Option<RuleId> {
        if !possible {
            return None;
        }
        let (tag, index) = self.m.exact.find(self.m.bytes(), &mut self.merge, path)?;
        self.m.exact(tag, index, snapshot)
    }

    fn walk(
        &mut self,
        path: &[u8],
        slash: usize,
        snapshot: Option<SnapshotTime>,
    ) -> (Ended, Option<RuleId>) {
        // The container part, through its '/', from the cache or walked.
        let (at, from, exact) = match path.get(slash) {
            Some(b'/') if slash < MAX_CACHED => {
                let (after, exact) = self.after_container(&path[..=slash]);
                self.last_container = (slash, exact);
                match after {
                    AfterContainer::Ended(Ended::Prefix(k, rule)) => {
                        return (Ended::Prefix(k, rule), Some(rule))
                    }
                    AfterContainer::Ended(e) => return (e, self.exact(path, exact, snapshot)),
                    AfterContainer::At(at) => (at, slash + 1, exact),
                }
            }
            _ => {
                self.last_container = (usize::MAX, true);
                match self.start {
                    Some(Ok(at)) => (at, 0, true),
                    _ => return (Ended::Other, self.exact(path, true, snapshot)),
                }
            }
        };
        match self.m.prefixes.walk(at, path, from) {
            Walk::Prefix(k, rule) => (Ended::Prefix(k, rule), Some(rule)),
            Walk::Dead(i) => (Ended::Dead(i), self.exact(path, exact, snapshot)),
            Walk::End(_) => (Ended::Other, self.exact(path, exact, snapshot)),
        }
    }

    /// Where the prefix walk stands after `key` (`container/`), and whether
    /// the container holds exact paths; cached.
    fn after_container(&mut self, key: &[u8]) -> (AfterContainer, bool) {
        let set = 2 * (container_hash(key) % SETS);
        for way in 0..2 {
            if let Some(e) = &self.cache[set + way] {
                if usize::from(e.len) == key.len() && same_short(&e.key, key) {
                    let found = (e.value, e.exact);
                    if way == 1 {
                        self.cache.swap(set, set + 1);
                    }
                    return found;
                }
            }
        }
        let value = match self.start {
            Some(Ok(at)) => match self.m.prefixes.walk(at, key, 0) {
                Walk::Prefix(k, rule) => AfterContainer::Ended(Ended::Prefix(k, rule)),
                Walk::Dead(i) => AfterContainer::Ended(Ended::Dead(i)),
                Walk::End(at) => AfterContainer::At(at),
            },
            // No prefixes: none selects any path.
            _ => AfterContainer::Ended(Ended::Dead(0)),
        };
        let exact = self.m.exact.in_container(&key[..key.len() - 1]);
        let mut entry = CacheEntry {
            key: [0; MAX_CACHED],
            len: key.len() as u8,
            value,
            exact,
        };
        entry.key[..key.len()].copy_from_slice(key);
        self.cache.swap(set, set + 1); // the older entry goes
        self.cache[set] = Some(entry);
        (value, exact)
    }
}

/// How many paths ahead [`FindAll`] announces a path.
const AHEAD: usize = 32;
/// How many announcements after a path's [`Cursor::announce`] asks for the
/// text its hash slot points at (the slot should be in cache by then).
const TEXT_AFTER: usize = 16;

/// The answers of a [`Cursor`] for a slice of paths, in order: see
/// [`Cursor::find_all`].
pub struct FindAll<'c, 'm, 'i, D, P> {
    cursor: &'c mut Cursor<'m, D>,
    items: &'i [(P, Option<SnapshotTime>)],
    next: usize,
}

impl<'c, 'm, 'i, D: AsRef<[u8]>, P: AsRef<[u8]>> FindAll<'c, 'm, 'i, D, P> {
    fn new(cursor: &'c mut Cursor<'m, D>, items: &'i [(P, Option<SnapshotTime>)]) -> Self {
        let mut all = FindAll {
            cursor,
            items,
            next: 0,
        };
        for j in 0..AHEAD {
            all.announce(j);
        }
        all
    }

    /// Announces path `j` (if there is one).
    #[inline]
    fn announce(&mut self, j: usize) {
        if self.cursor.announcing {
            if let Some((path, _)) = self.items.get(j) {
                let path = path.as_ref();
                self.cursor
                    .announce(path.strip_prefix(b"/").unwrap_or(path));
            }
        }
    }
}

impl<D: AsRef<[u8]>, P: AsRef<[u8]>> Iterator for FindAll<'_, '_, '_, D, P> {
    type Item = Option<RuleId>;

    #[inline]
    fn next(&mut self) -> Option<Option<RuleId>> {
        let i = self.next;
        let (path, snapshot) = self.items.get(i)?;
        self.next += 1;
        self.announce(i + AHEAD);
        Some(self.cursor.find_path(path.as_ref(), *snapshot))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.items.len() - self.next;
        (left, Some(left))
    }
}

impl<D: AsRef<[u8]>, P: AsRef<[u8]>> ExactSizeIterator for FindAll<'_, '_, '_, D, P> {}

/// A cheap hash of `container/` for the cache: its length and its first
/// and last eight bytes (the cache compares whole keys anyway).
#[inline]
fn container_hash(key: &[u8]) -> usize {
    let n = key.len();
    let mixed = if n >= 8 {
        word(key) ^ word(&key[n - 8..]).rotate_left(29)
    } else {
        key.iter().fold(0u64, |h, &b| h << 8 | u64::from(b))
    };
    ((mixed ^ n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40) as usize
}

/// Whether `key` (at most [`MAX_CACHED`] bytes) equals the first
/// `key.len()` bytes of `stored`, eight bytes at a time.
#[inline]
fn same_short(stored: &[u8; MAX_CACHED], key: &[u8]) -> bool {
    let n = key.len();
    if n < 8 {
        return &stored[..n] == key;
    }
    let mut i = 0;
    while i + 8 < n {
        if word(&stored[i..]) != word(&key[i..]) {
            return false;
        }
        i += 8;
    }
    word(&stored[n - 8..]) == word(&key[n - 8..])
}

/// Copies the first `n` bytes of `path` (`n` at most `to.len()`) to the
/// start of `to`, eight bytes at a time (the overlapping last word covers
/// the rest); fewer than eight as one word when `path` has eight, which
/// may copy bytes past `n` too. Paths kept are short, and a call to
/// `memcpy` costs more than the copy.
#[inline]
fn copy_short(to: &mut [u8], path: &[u8], n: usize) {
    if n < 8 {
        match (path.first_chunk::<8>(), to.first_chunk_mut::<8>()) {
            (Some(from), Some(to)) => *to = *from,
            _ => to[..n].iter_mut().zip(path).for_each(|(t, f)| *t = *f),
        }
        return;
    }
    let from = &path[..n];
    let mut i = 0;
    while i + 8 < n {
        to[i..i + 8].copy_from_slice(&from[i..i + 8]);
        i += 8;
    }
    to[n - 8..n].copy_from_slice(&from[n - 8..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::{Origin, Rule, RuleKind};
    use crate::MatcherBuilder;

    #[test]
    fn copy_short_copies_every_length() {
        let from: Vec<u8> = (1..=PREV as u8).collect();
        for len in 0..=PREV {
            for n in (0..=len).filter(|&n| n < 10 || n + 10 > len) {
                let mut to = [0u8; PREV];
                copy_short(&mut to, &from[..len], n);
                assert_eq!(&to[..n], &from[..n], "{n} of {len}");
                // Nothing past the first eight bytes or the n asked for.
                let end = n.max(8.min(len));
                assert!(to[end..].iter().all(|&b| b == 0), "{n} of {len}");
            }
        }
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
