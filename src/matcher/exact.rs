//! Exact paths by hash: a table derived from the fst when a matcher is
//! loaded, so a path no prefix selects costs one hash and one probe instead
//! of a walk over every byte of it.
//!
//! The table holds no key bytes of its own: a slot points at the text of a
//! rule on that path (an exact path's key is its rule's canonical text),
//! which the probe compares in place.
//!
//! Sorted input is better served in order than by hash: a
//! [`Merge`](super::merge::Merge) walks the keys in byte order alongside
//! the paths (the texts are the fst's keys, read back in that order, so
//! the walk reads memory in order too), and falls back to the hash table as soon
//! as a path comes out of order.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::matcher::format::Tag;
use crate::matcher::merge::Merge;
use crate::words::word;

/// `len_tag`: the key's length (without its leading '/') in the low bits.
const LEN: u32 = (1 << 31) - 1;
/// `len_tag`: the key's value is a complex entry (else a path-all rule).
const COMPLEX: u32 = 1 << 31;

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Slot {
    /// The high half of the key's hash.
    check: u32,
    /// Length and tag; 0 is an empty slot (a key is never empty).
    len_tag: u32,
    /// Where the key's bytes (after the '/') start in the rules' texts.
    text: u32,
    /// The rule id or complex-entry index the fst maps the key to.
    index: u32,
}

impl Slot {
    /// The key's bytes in `strings` (empty if out of bounds, which loading
    /// rules out).
    #[inline]
    pub(super) fn key<'s>(&self, strings: &'s [u8]) -> &'s [u8] {
        let t = self.text as usize;
        strings
            .get(t..t + (self.len_tag & LEN) as usize)
            .unwrap_or_default()
    }

    #[inline]
    pub(super) fn value(&self) -> (Tag, u32) {
        let tag = if self.len_tag & COMPLEX != 0 {
            Tag::Complex
        } else {
            Tag::PathAll
        };
        (tag, self.index)
    }
}

/// Open addressing with linear probing, at most 2/3 full.
pub(crate) struct ExactTable {
    slots: Vec<Slot>,
    mask: usize,
    /// Container names (no slashes) that hold at least one exact path.
    containers: HashSet<Box<[u8]>>,
    /// The container of the key inserted last.
    last_container: Box<[u8]>,
    /// The occupied slots in byte order of their keys, for a [`Merge`];
    /// made when a merge first needs it.
    by_key: OnceLock<Box<[Slot]>>,
}

impl ExactTable {
    /// An empty table for about `n` keys.
    pub(crate) fn with_capacity(n: usize) -> ExactTable {
        // At least one slot stays empty, so every probe ends.
        let size = (n + n / 2 + 1).next_power_of_two();
        ExactTable {
            slots: vec![Slot::default(); size],
            mask: size - 1,
            containers: HashSet::new(),
            last_container: Box::default(),
            by_key: OnceLock::new(),
        }
    }

    /// [`ExactTable::insert_hashed`], hashing the key.
    #[cfg(test)]
    pub(crate) fn insert(&mut self, key: &[u8], text: u32, tag: Tag, index: u32) {
        self.insert_hashed(key, hash(key), text, tag, index)
    }

    /// Adds `key` (`container/blob`, without the leading '/'), whose
    /// [`hash`] is `h` and whose bytes are also at `text` in the rules'
    /// texts, mapped to `(tag, index)`. Keys arrive once each.
    pub(crate) fn insert_hashed(&mut self, key: &[u8], h: u64, text: u32, tag: Tag, index: u32) {
        let mut i = h as usize & self.mask;
        while self.slots[i].len_tag != 0 {
            i = (i + 1) & self.mask;
        }
        let complex = if tag == Tag::Complex { COMPLEX } else { 0 };
        self.slots[i] = Slot {
            check: (h >> 32) as u32,
            len_tag: key.len() as u32 | complex,
            text,
            index,
        };
        let container = &key[..memchr::memchr(b'/', key).unwrap_or(key.len())];
        // Keys mostly arrive in byte order: each container in a run.
        if *self.last_container != *container {
            if !self.containers.contains(container) {
                self.containers.insert(container.into());
            }
            self.last_container = container.into();
        }
    }

    /// Asks the processor to fetch the slot where a probe for the key
    /// hashed to `h` starts.
    #[inline]
    pub(crate) fn prefetch_hash(&self, h: u64) {
        prefetch(&self.slots[h as usize & self.mask]);
    }

    /// Whether any exact path lies in `container` (its name, no slash).
    #[inline]
    pub(crate) fn in_container(&self, container: &[u8]) -> bool {
        self.containers.contains(container)
    }

    /// The value of `key` (`container/blob`), if it is an exact path;
    /// `strings` is the rules' texts.
    #[inline]
    pub(crate) fn get(&self, strings: &[u8], key: &[u8]) -> Option<(Tag, u32)> {
        let h = hash(key);
        let check = (h >> 32) as u32;
        let mut i = h as usize & self.mask;
        loop {
            let s = &self.slots[i];
            if s.len_tag == 0 {
                return None;
            }
            if s.check == check && (s.len_tag & LEN) as usize == key.len() && s.key(strings) == key
            {
                return Some(s.value());
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Whether the table is too big for the caches, so that probes are
    /// worth announcing ahead with [`ExactTable::prefetch_slot`].
    #[inline]
    pub(crate) fn is_large(&self) -> bool {
        self.slots.len() >= LARGE
    }

    /// Asks the processor to fetch the slot where a probe for `key` starts;
    /// returns the key's hash for [`ExactTable::prefetch_text`].
    #[inline]
    pub(crate) fn prefetch_slot(&self, key: &[u8]) -> u64 {
        let h = hash(key);
        prefetch(&self.slots[h as usize & self.mask]);
        h
    }

    /// Asks the processor to fetch the text of the key in the slot where
    /// the probe for the key hashed to `h` starts, if that slot holds a
    /// key with its hash (the slot should be fetched by then).
    #[inline]
    pub(crate) fn prefetch_text(&self, strings: &[u8], h: u64) {
        let s = &self.slots[h as usize & self.mask];
        if s.check == (h >> 32) as u32 {
            if let Some(text) = strings.get(s.text as usize) {
                prefetch(text);
            }
        }
    }

    /// Like [`ExactTable::get`], but walking the keys in order alongside
    /// the paths while they come in increasing order (`merge` remembers
    /// where), and by hash otherwise. `strings` must be the same on every
    /// call.
    #[inline]
    pub(crate) fn find(&self, strings: &[u8], merge: &mut Merge, key: &[u8]) -> Option<(Tag, u32)> {
        if merge.is_merging() {
            // Set only after `by_key` was made.
            let keys = self.by_key.get().map_or(&[][..], |k| &k[..]);
            match merge.advance(keys, strings, key) {
                Some(found) => return found,
                None => merge.stop(),
            }
        }
        if merge.ascending(key) {
            let keys = self.by_key(strings);
            merge.start(keys, strings, key);
            if let Some(found) = merge.advance(keys, strings, key) {
                return found;
            }
            merge.stop();
        }
        self.get(strings, key)
    }

    /// The occupied slots in byte order of their keys.
    fn by_key(&self, strings: &[u8]) -> &[Slot] {
        self.by_key.get_or_init(|| {
            let mut keys: Vec<Slot> = self
                .slots
                .iter()
                .filter(|s| s.len_tag != 0)
                .copied()
                .collect();
            // The texts are the fst's keys in byte order: sorting the
            // offsets sorts the keys (the check keeps this honest).
            keys.sort_unstable_by_key(|s| s.text);
            if !keys.is_sorted_by(|a, b| a.key(strings) < b.key(strings)) {
                keys.sort_unstable_by(|a, b| a.key(strings).cmp(b.key(strings)));
            }
            keys.into()
        })
    }
}

/// Slots from which a table is [`ExactTable::is_large`]: 4 MiB of them,
/// past most second-level caches.
const LARGE: usize = 1 << 18;

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

    #[test]
    fn finds_exactly_the_inserted_keys() {
        let strings = b"/a/x/a/xy/b/x/c/".to_vec();
        let mut t = ExactTable::with_capacity(3);
        t.insert(b"a/x", 1, Tag::PathAll, 7);
        t.insert(b"a/xy", 5, Tag::Complex, 2);
        t.insert(b"b/x", 10, Tag::PathAll, 9);
        assert_eq!(t.get(&strings, b"a/x"), Some((Tag::PathAll, 7)));
        assert_eq!(t.get(&strings, b"a/xy"), Some((Tag::Complex, 2)));
        assert_eq!(t.get(&strings, b"b/x"), Some((Tag::PathAll, 9)));
        for missing in [&b"a/"[..], b"a/xyz", b"b/y", b"", b"c/x"] {
            assert_eq!(t.get(&strings, missing), None, "{missing:?}");
        }
        assert!(t.in_container(b"a") && t.in_container(b"b"));
        assert!(!t.in_container(b"c") && !t.in_container(b"a/x"));
    }

    #[test]
    fn a_table_of_one_key_ends_every_probe() {
        let mut t = ExactTable::with_capacity(1);
        t.insert(b"a/x", 1, Tag::PathAll, 0);
        assert_eq!(t.get(b"/a/x", b"a/x"), Some((Tag::PathAll, 0)));
        assert_eq!(t.get(b"/a/x", b"a/y"), None);
        assert_eq!(ExactTable::with_capacity(0).get(b"", b"a/y"), None);
    }

    #[test]
    fn a_full_probe_sequence_wraps_and_ends() {
        // Many keys in a small table: every probe must end at an empty slot.
        let keys: Vec<String> = (0..1000).map(|i| format!("c/{i}")).collect();
        let mut strings = Vec::new();
        let mut t = ExactTable::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            let at = strings.len() as u32;
            strings.extend_from_slice(k.as_bytes());
            t.insert(k.as_bytes(), at, Tag::PathAll, i as u32);
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(
                t.get(&strings, k.as_bytes()),
                Some((Tag::PathAll, i as u32))
            );
            assert_eq!(t.get(&strings, format!("{k}x").as_bytes()), None);
        }
    }

    /// A table of `keys`, their texts laid out in the given order.
    fn table(keys: &[String], layout: &[usize]) -> (ExactTable, Vec<u8>) {
        let mut strings = Vec::new();
        let mut at = vec![0u32; keys.len()];
        for &i in layout {
            at[i] = strings.len() as u32;
            strings.extend_from_slice(keys[i].as_bytes());
        }
        let mut t = ExactTable::with_capacity(keys.len());
        for (i, k) in keys.iter().enumerate() {
            t.insert(k.as_bytes(), at[i], Tag::PathAll, i as u32);
        }
        (t, strings)
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
        let in_order: Vec<usize> = (0..keys.len()).collect();
        let reversed: Vec<usize> = (0..keys.len()).rev().collect();
        for layout in [in_order, reversed] {
            let (t, strings) = table(&keys, &layout);
            for (name, input) in [
                ("sorted", &sorted),
                ("broken", &broken),
                ("shuffled", &shuffled),
            ] {
                let mut merge = Merge::default();
                let mut merged = 0;
                for p in input {
                    let want = t.get(&strings, p.as_bytes());
                    assert_eq!(
                        t.find(&strings, &mut merge, p.as_bytes()),
                        want,
                        "{name}: {p}"
                    );
                    merged += usize::from(merge.is_merging());
                }
                if name != "shuffled" {
                    // Sorted runs are merged, not hashed.
                    assert!(merged > input.len() / 2, "{name}: merged {merged}");
                }
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
}
