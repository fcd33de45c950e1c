//! Exact paths, stored in the index: their texts in byte order (a table
//! of records) and a hash table beside it, both written at compilation and
//! used in place when a matcher is loaded (nothing is rebuilt at load).
//!
//! A path no prefix selects costs one hash and one probe instead of a walk
//! over every byte of it. A slot holds eight bytes: a fingerprint of the
//! key's hash (so a miss almost never reads a text) and where the key's
//! record lies, which the probe compares in place. A record is the key's
//! length and tag (two bytes), its value (four) and its text (which is
//! also the effective rule's text), so a hit reads the slot and the record.
//!
//! The hash table is laid out by linear probing, the keys placed in order
//! of their home slots (so compilation fills it in one pass, and every key
//! lies at or after its home with no empty slot between); the table has
//! slots past the last home for keys pushed beyond it, and always ends
//! with an empty slot, so every probe ends.
//!
//! Sorted input is better served in order than by hash: a
//! [`Merge`](super::merge::Merge) walks the records in byte order
//! alongside the paths (through the table of their offsets), and falls
//! back to the hash table as soon as a path comes out of order.

use std::collections::HashSet;
use std::ops::Range;

use rayon::prelude::*;

use crate::error::{Error, ErrorKind};
use crate::matcher::corrupt;
use crate::matcher::format::{Tag, MAX_KEY};
use crate::matcher::merge::Merge;
use crate::words::word;

/// An empty slot.
pub(crate) const EMPTY: u64 = u64::MAX;
/// A record's head: the key's length (with its leading '/') in the low
/// bits, and this bit when its value is a complex entry (else a path-all
/// rule).
const COMPLEX: u16 = 1 << 15;
const LEN: u16 = COMPLEX - 1;
/// A record's head and value, before its text.
pub(crate) const HEAD: usize = 6;

/// The home slot of a key hashed to `h` among `homes` slots.
#[inline]
fn home(h: u64, homes: u64) -> usize {
    ((u64::from(h as u32) * homes) >> 32) as usize
}

/// The fingerprint a slot keeps of a key hashed to `h`.
#[inline]
fn fingerprint(h: u64) -> u32 {
    (h >> 32) as u32
}

/// The exact paths' sections as compilation builds them.
pub(crate) struct Built {
    /// Each key's record's offset in the records section, in key order.
    pub offsets: Vec<u32>,
    /// The records section's length.
    pub records_len: usize,
    /// The hash table's slots.
    pub slots: Vec<u64>,
    /// How many of them are home slots.
    pub homes: usize,
}

/// Lays out the exact paths `keys` (each `/container/blob`, in byte order,
/// no two equal) with their values: the offsets of their records and the
/// hash table, hashing on every thread.
pub(crate) fn build(keys: &[(&[u8], Tag, u32)]) -> Result<Built, Error> {
    let mut offsets = Vec::with_capacity(keys.len());
    let mut at = 0usize;
    for (k, _, _) in keys {
        offsets.push(at as u32);
        at += HEAD + k.len();
        if at >= u32::MAX as usize {
            return Err(Error::new(
                ErrorKind::InvalidIndex,
                "the exact paths' texts exceed 4 GiB: split the selection",
            ));
        }
    }
    let n = keys.len();
    let homes = n + n / 2 + 1;
    // (hash, record offset), in order of home slots.
    let mut hashed: Vec<(u64, u32)> = keys
        .par_iter()
        .zip(&offsets)
        .map(|((k, _, _), &off)| (hash(&k[1..]), off))
        .collect();
    hashed.par_sort_unstable_by_key(|&(h, _)| h as u32);
    let mut slots = vec![EMPTY; homes + 1];
    let mut next = 0usize;
    for (h, off) in hashed {
        let at = home(h, homes as u64).max(next);
        let slot = u64::from(fingerprint(h)) | u64::from(off) << 32;
        if at < slots.len() {
            slots[at] = slot;
        } else {
            slots.push(slot);
        }
        next = at + 1;
    }
    if slots.last() != Some(&EMPTY) {
        slots.push(EMPTY);
    }
    Ok(Built {
        offsets,
        records_len: at,
        slots,
        homes,
    })
}

/// Writes the records of `keys` (as given to [`build`]).
pub(crate) fn write_records(keys: &[(&[u8], Tag, u32)], out: &mut Vec<u8>) {
    for &(k, tag, value) in keys {
        let complex = if tag == Tag::Complex { COMPLEX } else { 0 };
        out.extend_from_slice(&(k.len() as u16 | complex).to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
        out.extend_from_slice(k);
    }
}

/// The record at `off` of `records`: its text (with the leading '/') and
/// value; empty if out of bounds (which loading rules out for every
/// offset the table holds).
#[inline]
fn record(records: &[u8], off: usize) -> (&[u8], (Tag, u32)) {
    let Some(rest) = records.get(off..) else {
        return (&[], (Tag::PathAll, 0));
    };
    let Some(head) = rest.first_chunk::<HEAD>() else {
        return (&[], (Tag::PathAll, 0));
    };
    let h = u16::from_le_bytes([head[0], head[1]]);
    let value = u32::from_le_bytes([head[2], head[3], head[4], head[5]]);
    let tag = if h & COMPLEX != 0 {
        Tag::Complex
    } else {
        Tag::PathAll
    };
    let text = rest
        .get(HEAD..HEAD + (h & LEN) as usize)
        .unwrap_or_default();
    (text, (tag, value))
}

/// The key (`container/blob`) of a record's text.
#[inline]
fn key_of(text: &[u8]) -> &[u8] {
    text.get(1..).unwrap_or_default()
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// The exact paths in byte order, for a [`Merge`].
pub(crate) struct Sorted<'a> {
    offsets: &'a [u8],
    records: &'a [u8],
}

impl Sorted<'_> {
    #[inline]
    pub(super) fn len(&self) -> usize {
        self.offsets.len() / 4
    }

    /// Key `i` (`container/blob`).
    #[inline]
    pub(super) fn key(&self, i: usize) -> &[u8] {
        key_of(record(self.records, u32_at(self.offsets, 4 * i) as usize).0)
    }

    /// The offset of key `i`'s record and the length of its text.
    pub(super) fn record(&self, i: usize) -> (u32, u32) {
        let off = u32_at(self.offsets, 4 * i);
        (off, record(self.records, off as usize).0.len() as u32)
    }

    /// The value of key `i`.
    #[inline]
    pub(super) fn value(&self, i: usize) -> (Tag, u32) {
        record(self.records, u32_at(self.offsets, 4 * i) as usize).1
    }

    /// The first index in `lo..hi` whose key is not less than `key`, if
    /// the keys there are so ordered.
    pub(super) fn lower_bound(&self, mut lo: usize, mut hi: usize, key: &[u8]) -> usize {
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if crate::words::compare(self.key(mid), key) == std::cmp::Ordering::Less {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// Where the exact paths' sections lie in a serialized matcher, and the
/// counts that go with them: what [`ExactTable::load`] checks.
pub(crate) struct Sections {
    pub count: usize,
    pub homes: usize,
    pub offsets: Range<usize>,
    pub records: Range<usize>,
    pub slots: Range<usize>,
}

/// The exact paths of a loaded matcher, read in place.
#[derive(Debug)]
pub(crate) struct ExactTable {
    count: usize,
    homes: u64,
    offsets: Range<usize>,
    records: Range<usize>,
    slots: Range<usize>,
    /// Container names (no slashes) that hold at least one exact path.
    containers: HashSet<Box<[u8]>>,
}

impl ExactTable {
    /// Checks the exact paths' sections `s` of `b` (a serialized matcher)
    /// so that every later access reads what compilation wrote: the
    /// records follow each other as the offsets say, each key is
    /// `/container/blob` of UTF-8, at most [`MAX_KEY`] bytes, greater than
    /// the last; the hash table holds as many keys as the records, each
    /// at an offset in bounds, and ends with an empty slot. `each` is
    /// given every record's text, value and offset, in order.
    pub(crate) fn load(
        b: &[u8],
        s: Sections,
        mut each: impl FnMut(&[u8], Tag, u32, usize) -> Result<(), Error>,
    ) -> Result<ExactTable, Error> {
        let offsets = &b[s.offsets.clone()];
        let records = &b[s.records.clone()];
        if offsets.len() != 4 * s.count {
            return Err(corrupt("exact paths"));
        }
        let mut at = 0usize;
        let mut last: &[u8] = &[];
        for i in 0..s.count {
            if u32_at(offsets, 4 * i) as usize != at || at + HEAD > records.len() {
                return Err(corrupt("exact path offsets"));
            }
            let (text, (tag, value)) = record(records, at);
            let len = (u16::from_le_bytes([records[at], records[at + 1]]) & LEN) as usize;
            if text.len() != len
                || !(2..=MAX_KEY).contains(&len)
                || text[0] != b'/'
                || text <= last
                || (crate::words::plain_ascii(text).is_none() && std::str::from_utf8(text).is_err())
            {
                return Err(corrupt("exact paths"));
            }
            each(text, tag, value, at)?;
            last = text;
            at += HEAD + len;
        }
        if at != records.len() {
            return Err(corrupt("exact paths"));
        }
        let slots = &b[s.slots.clone()];
        let slot_count = slots.len() / 8;
        if !slots.len().is_multiple_of(8)
            || slot_count == 0
            || s.homes == 0
            || s.homes >= slot_count
            || slot_at(slots, slot_count - 1) != EMPTY
        {
            return Err(corrupt("exact path table"));
        }
        let mut used = 0usize;
        for i in 0..slot_count {
            let slot = slot_at(slots, i);
            if slot != EMPTY {
                used += 1;
                if (slot >> 32) as usize + HEAD > records.len() {
                    return Err(corrupt("exact path table"));
                }
            }
        }
        if used != s.count {
            return Err(corrupt("exact path table"));
        }
        let mut table = ExactTable {
            count: s.count,
            homes: s.homes as u64,
            offsets: s.offsets,
            records: s.records,
            slots: s.slots,
            containers: HashSet::new(),
        };
        // One binary search a container: its keys are a run.
        let sorted = table.sorted(b);
        let mut i = 0;
        while i < table.count {
            let key = sorted.key(i);
            let container = &key[..memchr::memchr(b'/', key).unwrap_or(key.len())];
            let mut run_end = container.to_vec();
            run_end.push(b'/' + 1);
            i = sorted.lower_bound(i + 1, table.count, &run_end).max(i + 1);
            table.containers.insert(container.into());
        }
        Ok(table)
    }

    /// How many exact paths there are.
    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// The keys in byte order.
    #[inline]
    pub(crate) fn sorted<'b>(&self, b: &'b [u8]) -> Sorted<'b> {
        Sorted {
            offsets: &b[self.offsets.clone()],
            records: &b[self.records.clone()],
        }
    }

    /// Where in the serialized matcher the text of the record at `off`
    /// begins.
    pub(crate) fn text_start(&self, off: usize) -> usize {
        self.records.start + off + HEAD
    }

    /// Whether any exact path lies in `container` (its name, no slash).
    #[inline]
    pub(crate) fn in_container(&self, container: &[u8]) -> bool {
        self.containers.contains(container)
    }

    /// The value of `key` (`container/blob`), if it is an exact path; `b`
    /// is the serialized matcher.
    #[inline]
    pub(crate) fn get(&self, b: &[u8], key: &[u8]) -> Option<(Tag, u32)> {
        let h = hash(key);
        let fp = fingerprint(h);
        let slots = &b[self.slots.clone()];
        let records = &b[self.records.clone()];
        let mut i = home(h, self.homes);
        loop {
            let slot = slots
                .get(8 * i..8 * i + 8)
                .and_then(|s| s.first_chunk::<8>())
                .map_or(EMPTY, |s| u64::from_le_bytes(*s));
            if slot == EMPTY {
                return None;
            }
            if slot as u32 == fp {
                let (text, value) = record(records, (slot >> 32) as usize);
                if text.len() == key.len() + 1 && key_of(text) == key {
                    return Some(value);
                }
            }
            i += 1;
        }
    }

    /// Whether the table is too big for the caches, so that probes are
    /// worth announcing ahead with [`ExactTable::prefetch_slot`].
    #[inline]
    pub(crate) fn is_large(&self) -> bool {
        self.count >= LARGE
    }

    /// Asks the processor to fetch the slot where a probe for `key` starts;
    /// returns the key's hash for [`ExactTable::prefetch_text`].
    #[inline]
    pub(crate) fn prefetch_slot(&self, b: &[u8], key: &[u8]) -> u64 {
        let h = hash(key);
        if let Some(s) = b.get(self.slots.start + 8 * home(h, self.homes)) {
            prefetch(s);
        }
        h
    }

    /// Asks the processor to fetch the record of the key hashed to `h`:
    /// the first slot of its probe (up to [`SCAN`] slots from its home,
    /// which [`ExactTable::prefetch_slot`] fetched) with its fingerprint.
    #[inline]
    pub(crate) fn prefetch_text(&self, b: &[u8], h: u64) {
        let slots = &b[self.slots.clone()];
        let fp = fingerprint(h);
        let home = home(h, self.homes);
        for i in home..home + SCAN {
            let slot = slot_at(slots, i);
            if slot == EMPTY {
                return;
            }
            if slot as u32 == fp {
                if let Some(text) = b.get(self.records.start + (slot >> 32) as usize) {
                    prefetch(text);
                }
                return;
            }
        }
    }

    /// Like [`ExactTable::get`], but walking the keys in order alongside
    /// the paths while they come in increasing order (`merge` remembers
    /// where), and by hash otherwise. `b` must be the same on every call.
    #[inline]
    pub(crate) fn find(&self, b: &[u8], merge: &mut Merge, key: &[u8]) -> Option<(Tag, u32)> {
        if merge.is_merging() {
            match merge.advance(&self.sorted(b), key) {
                Some(found) => return found,
                None => merge.stop(),
            }
        }
        if merge.ascending(key) {
            let keys = self.sorted(b);
            merge.start(&keys, key);
            if let Some(found) = merge.advance(&keys, key) {
                return found;
            }
            merge.stop();
        }
        self.get(b, key)
    }
}

/// Slot `i` of `slots`.
#[inline]
fn slot_at(slots: &[u8], i: usize) -> u64 {
    slots
        .get(8 * i..8 * i + 8)
        .and_then(|s| s.first_chunk::<8>())
        .map_or(EMPTY, |s| u64::from_le_bytes(*s))
}

/// Slots [`ExactTable::prefetch_text`] looks at, at most: a key lies this
/// close to its home but rarely at two thirds full.
const SCAN: usize = 4;

/// Exact paths from which a table is [`ExactTable::is_large`]: its slots
/// and texts are past most second-level caches.
const LARGE: usize = 1 << 16;

/// A hint to fetch the cache line holding `at`.
#[inline(always)]
pub(crate) fn prefetch<T>(at: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of x86_64, and a prefetch reads nothing: it is a
    // hint that cannot fault, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((at as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

const K0: u64 = 0x9e37_79b9_7f4a_7c15;
const K1: u64 = 0xd6e8_feb8_6659_fd93;
const K2: u64 = 0xa076_1d64_78bd_642f;

/// The 128-bit product of `a` and `b`, its halves folded together.
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// A fast hash of a path, sixteen bytes at a time in two independent
/// lanes (folded multiplication, as in wyhash), so its latency is half a
/// chain of one multiplication per eight bytes.
#[inline]
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    let (mut a, mut b) = ((bytes.len() as u64).wrapping_mul(K0), K1);
    let mut chunks = bytes.chunks_exact(16);
    for c in &mut chunks {
        a = fold(a ^ word(&c[..8]), K1);
        b = fold(b ^ word(&c[8..]), K2);
    }
    let rest = chunks.remainder();
    let n = rest.len();
    if n > 0 {
        // Two reads that together cover the rest (overlapping: the length
        // is in the hash already), without copying it anywhere.
        let (x, y) = if n >= 8 {
            (word(&rest[..8]), word(&rest[n - 8..]))
        } else if n >= 4 {
            (half(&rest[..4]), half(&rest[n - 4..]))
        } else {
            let x = u64::from(rest[0]) | u64::from(rest[n / 2]) << 8 | u64::from(rest[n - 1]) << 16;
            (x, 0)
        };
        a = fold(a ^ x, K1);
        b = fold(b ^ y, K2);
    }
    fold(a ^ b.rotate_left(23), K0)
}

/// Four bytes as a little-endian number (`c` has at least four).
#[inline(always)]
fn half(c: &[u8]) -> u64 {
    c.first_chunk::<4>()
        .map_or(0, |a| u64::from(u32::from_le_bytes(*a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact paths' sections for `keys` (`container/blob`, any order;
    /// key `i` maps to path-all rule `i`), laid out alone in a buffer, and
    /// the table loaded from them.
    fn table(keys: &[String]) -> (ExactTable, Vec<u8>) {
        let mut texts: Vec<(Vec<u8>, u32)> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (format!("/{k}").into_bytes(), i as u32))
            .collect();
        texts.sort();
        let keys: Vec<(&[u8], Tag, u32)> = texts
            .iter()
            .map(|(k, i)| (&k[..], Tag::PathAll, *i))
            .collect();
        let built = build(&keys).unwrap();
        let mut b = Vec::new();
        for o in &built.offsets {
            b.extend_from_slice(&o.to_le_bytes());
        }
        let records = b.len();
        write_records(&keys, &mut b);
        assert_eq!(b.len() - records, built.records_len);
        let slots = b.len();
        for s in &built.slots {
            b.extend_from_slice(&s.to_le_bytes());
        }
        let sections = Sections {
            count: keys.len(),
            homes: built.homes,
            offsets: 0..records,
            records: records..slots,
            slots: slots..b.len(),
        };
        let mut seen = 0;
        let t = ExactTable::load(&b, sections, |_, _, _, _| {
            seen += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, keys.len());
        (t, b)
    }

    #[test]
    fn finds_exactly_the_inserted_keys() {
        let (t, b) = table(&["a/x", "a/xy", "b/x"].map(String::from));
        assert_eq!(t.get(&b, b"a/x"), Some((Tag::PathAll, 0)));
        assert_eq!(t.get(&b, b"a/xy"), Some((Tag::PathAll, 1)));
        assert_eq!(t.get(&b, b"b/x"), Some((Tag::PathAll, 2)));
        for missing in [&b"a/"[..], b"a/xyz", b"b/y", b"", b"c/x", b"/a/x"] {
            assert_eq!(t.get(&b, missing), None, "{missing:?}");
        }
        assert!(t.in_container(b"a") && t.in_container(b"b"));
        assert!(!t.in_container(b"c") && !t.in_container(b"a/x"));
    }

    #[test]
    fn tables_of_no_key_and_one_key_end_every_probe() {
        let (t, b) = table(&["a/x".to_string()]);
        assert_eq!(t.get(&b, b"a/x"), Some((Tag::PathAll, 0)));
        assert_eq!(t.get(&b, b"a/y"), None);
        let (t, b) = table(&[]);
        assert_eq!(t.get(&b, b"a/y"), None);
        assert!(!t.in_container(b"a"));
    }

    #[test]
    fn a_crowded_table_finds_every_key_and_no_other() {
        // Many keys: runs of slots past their homes, and past the last home.
        let keys: Vec<String> = (0..5000).map(|i| format!("c{}/{i}", i % 13)).collect();
        let (t, b) = table(&keys);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(t.get(&b, k.as_bytes()), Some((Tag::PathAll, i as u32)));
            assert_eq!(t.get(&b, format!("{k}x").as_bytes()), None);
        }
        assert!((0..13).all(|c| t.in_container(format!("c{c}").as_bytes())));
        assert!(!t.in_container(b"c13"));
    }

    #[test]
    fn damaged_sections_are_refused() {
        let keys: Vec<String> = (0..50).map(|i| format!("c/{i:03}")).collect();
        let (t, b) = table(&keys);
        let sections = || Sections {
            count: t.count,
            homes: t.homes as usize,
            offsets: t.offsets.clone(),
            records: t.records.clone(),
            slots: t.slots.clone(),
        };
        let load = |b: &[u8], s: Sections| ExactTable::load(b, s, |_, _, _, _| Ok(())).is_ok();
        assert!(load(&b, sections()));
        let (r, s) = (t.records.start, t.slots.start);
        for (at, what) in [
            (4, "an offset"),
            (r, "a length"),
            (r + HEAD, "a key's '/'"),
            (r + HEAD + 7 + HEAD + 4, "the order of the keys"),
            (b.len() - 1, "the last slot, which must be empty"),
        ] {
            let mut bad = b.clone();
            bad[at] ^= 0x10;
            assert!(!load(&bad, sections()), "{what}");
        }
        // A slot pointing past the records.
        let used = (s..b.len()).step_by(8).find(|&i| b[i..i + 8] != [0xFF; 8]);
        let mut bad = b.clone();
        bad[used.unwrap() + 7] = 0x7F;
        assert!(!load(&bad, sections()));
        // More homes than slots, or a count the table does not hold.
        let mut s = sections();
        s.homes = (b.len() - t.slots.start) / 8;
        assert!(!load(&b, s));
        let mut s = sections();
        s.count -= 1;
        s.offsets.end -= 4;
        assert!(!load(&b, s));
    }

    #[test]
    fn merging_finds_what_hashing_finds_in_any_order() {
        // Keys and non-keys interleaved, with long gaps (galloping) and
        // paths that are prefixes of keys and of each other.
        let keys: Vec<String> = (0..3000)
            .filter(|i| i % 3 != 0 && !(1000..1800).contains(i))
            .map(|i| format!("c/{:05}/{}", i / 7, i % 7))
            .collect();
        let mut paths: Vec<String> = (0..3000)
            .map(|i| format!("c/{:05}/{}", i / 7, i % 7))
            .collect();
        paths.extend((0..500).map(|i| format!("c/{:05}", i)));
        paths.extend(["", "b", "c/", "d/x", "c/00001/1x"].map(String::from));
        paths.sort();
        // Every path twice in a row (a blob and its snapshot).
        let sorted: Vec<&String> = paths.iter().flat_map(|p| [p, p]).collect();
        // Sorted runs broken by jumps back, and shuffled input.
        let mut broken = sorted.clone();
        for i in (0..broken.len()).step_by(97) {
            let j = (i * 7919) % broken.len();
            broken.swap(i, j);
        }
        let mut shuffled = sorted.clone();
        let mut x = 1u64;
        for i in (1..shuffled.len()).rev() {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            shuffled.swap(i, (x >> 33) as usize % (i + 1));
        }
        let (t, b) = table(&keys);
        for (name, input) in [
            ("sorted", &sorted),
            ("broken", &broken),
            ("shuffled", &shuffled),
        ] {
            let mut merge = Merge::default();
            let mut merged = 0;
            for p in input {
                let want = keys
                    .iter()
                    .position(|k| k == *p)
                    .map(|i| (Tag::PathAll, i as u32));
                assert_eq!(t.get(&b, p.as_bytes()), want, "{name}: {p}");
                assert_eq!(t.find(&b, &mut merge, p.as_bytes()), want, "{name}: {p}");
                merged += usize::from(merge.is_merging());
            }
            if name != "shuffled" {
                // Sorted runs are merged, not hashed.
                assert!(merged > input.len() / 2, "{name}: merged {merged}");
            }
        }
    }

    #[test]
    fn hash_sees_every_byte_and_the_length() {
        let a = hash(b"container/2024/03/09/file-000001.log");
        assert_ne!(a, hash(b"container/2024/03/09/file-000002.log"));
        assert_ne!(hash(b"abc"), hash(b"abc\0"));
        assert_ne!(hash(b""), hash(b"\0"));
        // Every length of the tail, every byte of it.
        let base = b"abcdefghijklmnopqrstuvwxyz0123456789".to_vec();
        let mut seen = std::collections::HashSet::new();
        for len in 0..base.len() {
            assert!(seen.insert(hash(&base[..len])), "length {len}");
            for i in 0..len {
                let mut v = base[..len].to_vec();
                v[i] ^= 1;
                assert!(seen.insert(hash(&v)), "length {len}, byte {i}");
            }
        }
    }

    /// The hash is part of the index format: a matcher compiled by one
    /// build is probed by another. Changing it needs a new format version.
    #[test]
    fn the_hash_is_the_formats() {
        assert_eq!(hash(b"c00/a"), 17_954_988_629_984_999_354);
    }
}
