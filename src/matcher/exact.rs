//! Exact paths by hash: a table derived from the fst when a matcher is
//! loaded, so a path no prefix selects costs one hash and one probe instead
//! of a walk over every byte of it.
//!
//! The table holds no key bytes of its own: a slot points at the text of a
//! rule on that path (an exact path's key is its rule's canonical text),
//! which the probe compares in place.

use std::collections::HashSet;

use crate::matcher::format::Tag;
use crate::words::word;

/// `len_tag`: the key's length (without its leading '/') in the low bits.
const LEN: u32 = (1 << 31) - 1;
/// `len_tag`: the key's value is a complex entry (else a path-all rule).
const COMPLEX: u32 = 1 << 31;

#[derive(Clone, Copy, Default)]
struct Slot {
    /// The high half of the key's hash.
    check: u32,
    /// Length and tag; 0 is an empty slot (a key is never empty).
    len_tag: u32,
    /// Where the key's bytes (after the '/') start in the strings section.
    text: u32,
    /// The rule id or complex-entry index the fst maps the key to.
    index: u32,
}

/// Open addressing with linear probing, at most 2/3 full.
pub(crate) struct ExactTable {
    slots: Vec<Slot>,
    mask: usize,
    /// Container names (no slashes) that hold at least one exact path.
    containers: HashSet<Box<[u8]>>,
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
        }
    }

    /// Adds `key` (`container/blob`, without the leading '/'), whose bytes
    /// are also at `text` in the strings section, mapped to `(tag, index)`.
    /// Keys arrive once each.
    pub(crate) fn insert(&mut self, key: &[u8], text: u32, tag: Tag, index: u32) {
        let h = hash(key);
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
        if !self.containers.contains(container) {
            self.containers.insert(container.into());
        }
    }

    /// Whether any exact path lies in `container` (its name, no slash).
    #[inline]
    pub(crate) fn in_container(&self, container: &[u8]) -> bool {
        self.containers.contains(container)
    }

    /// The value of `key` (`container/blob`), if it is an exact path;
    /// `strings` is the strings section.
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
            if s.check == check && (s.len_tag & LEN) as usize == key.len() {
                let t = s.text as usize;
                if strings.get(t..t + key.len()) == Some(key) {
                    let tag = if s.len_tag & COMPLEX != 0 {
                        Tag::Complex
                    } else {
                        Tag::PathAll
                    };
                    return Some((tag, s.index));
                }
            }
            i = (i + 1) & self.mask;
        }
    }
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
