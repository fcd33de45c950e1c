//! Exact paths for sorted input: a walk over the exact paths in byte order
//! alongside the paths being matched, used by an
//! [`ExactTable`](super::exact::ExactTable) while the paths come in
//! increasing order.

use std::cmp::Ordering;

use crate::matcher::exact::Sorted;
use crate::matcher::format::Tag;
use crate::words::{compare, word_padded};

/// Paths in a row that must come in increasing order (by their first
/// sixteen bytes) before a [`Merge`] starts.
const IN_A_ROW: u32 = 16;
/// Keys a merge steps over one by one before it gallops.
const STEPS: usize = 4;

/// A walk over the keys of an [`ExactTable`](super::exact::ExactTable) in
/// byte order, alongside paths that come in increasing order, as sorted
/// input does: each path is then compared with the key or two where the
/// last one stopped (read from memory in order), instead of hashed into a
/// random slot.
///
/// While not merging it watches the order of the paths; after
/// [`IN_A_ROW`] in increasing order it finds its place by binary search and
/// merges, until a path is smaller than a key already passed.
#[derive(Clone, Debug, Default)]
pub(crate) struct Merge {
    merging: bool,
    /// While merging: every key before this index is less than the last
    /// path.
    pos: usize,
    /// While not merging: the first sixteen bytes of the last path, and
    /// how many paths in a row came in increasing order of them.
    last: (u64, u64),
    in_a_row: u32,
}

impl Merge {
    /// Whether paths are being merged (not hashed).
    #[inline]
    pub(crate) fn is_merging(&self) -> bool {
        self.merging
    }

    /// Notes `key`'s order; whether it is time to merge.
    #[inline]
    pub(super) fn ascending(&mut self, key: &[u8]) -> bool {
        let head = head(key);
        self.in_a_row = if head >= self.last {
            self.in_a_row + 1
        } else {
            0
        };
        self.last = head;
        self.in_a_row >= IN_A_ROW
    }

    pub(super) fn start(&mut self, keys: &Sorted<'_>, key: &[u8]) {
        self.merging = true;
        self.pos = keys.lower_bound(0, keys.len(), key);
    }

    pub(super) fn stop(&mut self) {
        *self = Merge::default();
    }

    /// The value of `key` if it is a key; `None` if `key` is out of order
    /// (not greater than every key passed).
    #[inline]
    pub(super) fn advance(&mut self, keys: &Sorted<'_>, key: &[u8]) -> Option<Option<(Tag, u32)>> {
        let mut i = self.pos;
        if i > 0 && compare(keys.key(i - 1), key) != Ordering::Less {
            return None;
        }
        let mut steps = 0;
        loop {
            if i >= keys.len() {
                self.pos = i;
                return Some(None);
            }
            match compare(keys.key(i), key) {
                Ordering::Less if steps < STEPS => {
                    i += 1;
                    steps += 1;
                }
                Ordering::Less => {
                    // Far ahead: gallop, then search the last stretch.
                    let mut reach = 1;
                    while i + reach < keys.len()
                        && compare(keys.key(i + reach), key) == Ordering::Less
                    {
                        reach *= 2;
                    }
                    let end = (i + reach).min(keys.len());
                    i = keys.lower_bound(i, end, key);
                    steps = 0;
                }
                Ordering::Equal => {
                    self.pos = i;
                    return Some(Some(keys.value(i)));
                }
                Ordering::Greater => {
                    self.pos = i;
                    return Some(None);
                }
            }
        }
    }
}

/// The first sixteen bytes of `key` as two big-endian numbers (zero
/// padded): ordered as the keys are, but for ties.
#[inline]
fn head(key: &[u8]) -> (u64, u64) {
    let rest = key.get(8..).unwrap_or_default();
    (
        word_padded(key).swap_bytes(),
        word_padded(rest).swap_bytes(),
    )
}
