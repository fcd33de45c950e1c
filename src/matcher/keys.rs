//! The fst's keys read back: an effective prefix rule's text is its key,
//! so a serialized matcher stores each once, in the fst, and loading
//! streams the fst to get them back, in byte order.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::Relaxed;

use fst::raw::{CompiledAddr, Fst, Node};
use rayon::prelude::*;

use crate::error::Error;
use crate::matcher::corrupt;
use crate::matcher::format::MAX_KEY;
use crate::matcher::nodes;

/// Every key of an fst, in byte order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Keys {
    /// The keys, one after the other.
    pub texts: Vec<u8>,
    /// Each key's start in `texts`, length and value.
    pub keys: Vec<(u32, u32, u64)>,
}

impl Keys {
    /// Keys for an fst built from `keys` (in byte order, as the fst holds
    /// them): what [`read`] would read back from it.
    pub(crate) fn from_sorted<K: AsRef<[u8]>>(keys: &[(K, u64)]) -> Keys {
        let mut out = Keys {
            texts: Vec::with_capacity(keys.iter().map(|(k, _)| k.as_ref().len()).sum()),
            keys: Vec::with_capacity(keys.len()),
        };
        for (k, v) in keys {
            out.push(k.as_ref(), *v);
        }
        out
    }

    fn push(&mut self, key: &[u8], value: u64) {
        // `read` stops below 4 GiB of keys; loading refuses an index whose
        // keys are longer, so offsets that wrap here are never used.
        self.keys
            .push((self.texts.len() as u32, key.len() as u32, value));
        self.texts.extend_from_slice(key);
    }
}

/// A state with more than one transition, on the walk's stack.
struct Frame<'f> {
    node: Node<'f>,
    /// The next transition to take.
    next: usize,
    /// The output up to the state.
    out: u64,
    /// The length of the key up to the state.
    depth: usize,
}

/// A part of the walk, in key order: one key, or every key below a state
/// (not the state's own).
enum Part {
    Key(Vec<u8>, u64),
    Below(Vec<u8>, CompiledAddr, u64),
}

/// Fsts with fewer keys are read on one thread.
const PARALLEL: usize = 1 << 14;
/// Parts to split a large fst into, so threads share the work evenly.
const PARTS: usize = 64;
/// How many levels of the fst may be split for that.
const SPLIT_DEPTH: usize = 6;
/// Steps a part takes between reports to the shared count.
const REPORT: usize = 1 << 12;

/// Reads every key of `fst`, whose keys are `key_text` bytes long in all
/// (as the index header says) and at most [`MAX_KEY`] bytes each.
///
/// A depth-first walk visits each distinct prefix of a key once, so it
/// takes at most `key_text` steps when every state leads to a key (as in
/// every fst the builder writes); a walk that needs more, meets a longer
/// key, or finds other lengths than the header's fails as corrupt, so a
/// crafted fst (with dead ends, or a fan-out that repeats below) cannot
/// make it run long. Every node is checked ([`nodes::check`]) before it is
/// decoded, so a crafted one cannot make the decoding panic. Large
/// fsts are split into parts below their first few levels, walked in
/// parallel and joined in order.
pub(crate) fn read<F: AsRef<[u8]> + Sync>(fst: &Fst<F>, key_text: usize) -> Result<Keys, Error> {
    let count = fst.len();
    if key_text > u32::MAX as usize || key_text > count.saturating_mul(MAX_KEY) {
        return Err(corrupt("key length"));
    }
    let root = fst.node(nodes::root(fst)?);
    let mut parts = Vec::new();
    if root.is_final() {
        parts.push(Part::Key(Vec::new(), root.final_output().value()));
    }
    parts.push(Part::Below(Vec::new(), root.addr(), 0));
    let steps = AtomicUsize::new(0);
    let read: Vec<Keys> = if count < PARALLEL {
        parts
            .into_iter()
            .map(|p| walk(fst, p, &steps, key_text))
            .collect::<Result<_, Error>>()?
    } else {
        for _ in 0..SPLIT_DEPTH {
            if parts.len() >= PARTS {
                break;
            }
            parts = split(fst, parts)?;
        }
        parts
            .into_par_iter()
            .map(|p| walk(fst, p, &steps, key_text))
            .collect::<Result<_, Error>>()?
    };
    let mut keys = Keys {
        texts: Vec::with_capacity(key_text.min(read.iter().map(|k| k.texts.len()).sum())),
        keys: Vec::with_capacity(count.min(read.iter().map(|k| k.keys.len()).sum())),
    };
    for part in read {
        if keys.texts.len() + part.texts.len() > key_text {
            return Err(corrupt("key length"));
        }
        let at = keys.texts.len() as u32;
        keys.keys.extend(
            part.keys
                .iter()
                .map(|&(start, len, v)| (at + start, len, v)),
        );
        keys.texts.extend_from_slice(&part.texts);
    }
    if keys.keys.len() != count || keys.texts.len() != key_text {
        return Err(corrupt("key count"));
    }
    Ok(keys)
}

/// Each part below a state as the parts below its children, in order.
fn split<F: AsRef<[u8]>>(fst: &Fst<F>, parts: Vec<Part>) -> Result<Vec<Part>, Error> {
    let mut out = Vec::with_capacity(parts.len() * 4);
    for part in parts {
        let Part::Below(prefix, addr, o) = part else {
            out.push(part);
            continue;
        };
        for t in fst.node(addr).transitions() {
            let mut key = prefix.clone();
            key.push(t.inp);
            let o = o.wrapping_add(t.out.value());
            nodes::check(fst.as_bytes(), t.addr)?;
            let child = fst.node(t.addr);
            if child.is_final() {
                out.push(Part::Key(
                    key.clone(),
                    o.wrapping_add(child.final_output().value()),
                ));
            }
            out.push(Part::Below(key, t.addr, o));
        }
    }
    Ok(out)
}

/// The keys of one part. `steps` counts the steps of every part, bounded
/// by `key_text` in all.
fn walk<F: AsRef<[u8]>>(
    fst: &Fst<F>,
    part: Part,
    steps: &AtomicUsize,
    key_text: usize,
) -> Result<Keys, Error> {
    let mut keys = Keys::default();
    let (mut key, addr, out) = match part {
        Part::Key(key, value) => {
            if key.len() > MAX_KEY {
                return Err(corrupt("fst keys"));
            }
            keys.push(&key, value);
            return Ok(keys);
        }
        Part::Below(key, addr, out) => (key, addr, out),
    };
    let mut stack = vec![Frame {
        node: fst.node(addr),
        next: 0,
        out,
        depth: key.len(),
    }];
    let mut taken = 0usize;
    while let Some(top) = stack.last_mut() {
        if top.next == top.node.len() {
            stack.pop();
            continue;
        }
        let t = top.node.transition(top.next);
        top.next += 1;
        key.truncate(top.depth);
        key.push(t.inp);
        let (mut out, mut addr) = (top.out.wrapping_add(t.out.value()), t.addr);
        // Down the chain of single transitions (most of a key's bytes)
        // without a frame each: one where it branches.
        loop {
            taken += 1;
            if taken == REPORT {
                if steps.fetch_add(taken, Relaxed) + taken > key_text {
                    return Err(corrupt("fst keys"));
                }
                taken = 0;
            }
            if key.len() > MAX_KEY {
                return Err(corrupt("fst keys"));
            }
            nodes::check(fst.as_bytes(), addr)?;
            let node = fst.node(addr);
            if node.is_final() {
                if keys.texts.len() + key.len() > key_text {
                    return Err(corrupt("key length"));
                }
                keys.push(&key, out.wrapping_add(node.final_output().value()));
            }
            match node.len() {
                0 => break,
                1 => {
                    let t = node.transition(0);
                    key.push(t.inp);
                    (out, addr) = (out.wrapping_add(t.out.value()), t.addr);
                }
                _ => {
                    let depth = key.len();
                    stack.push(Frame {
                        node,
                        next: 0,
                        out,
                        depth,
                    });
                    break;
                }
            }
        }
    }
    if steps.fetch_add(taken, Relaxed) + taken > key_text {
        return Err(corrupt("fst keys"));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fst_of(keys: &[(&[u8], u64)]) -> Fst<Vec<u8>> {
        fst::Map::from_iter(keys.iter().copied())
            .unwrap()
            .into_fst()
    }

    #[test]
    fn reads_back_every_key_and_value_in_order() {
        let keys: Vec<(Vec<u8>, u64)> = (0..5_000u64)
            .map(|i| {
                (
                    format!("/c{}/{}/x{}", i % 7, i * 7919 % 1000, i).into_bytes(),
                    i << 3,
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_iter()
            .collect();
        let fst = fst::Map::from_iter(keys.iter().map(|(k, v)| (k, *v)))
            .unwrap()
            .into_fst();
        let total = keys.iter().map(|(k, _)| k.len()).sum();
        let read = read(&fst, total).unwrap();
        assert_eq!(read, Keys::from_sorted(&keys));
        let (start, len, value) = read.keys[3];
        assert_eq!(
            &read.texts[start as usize..][..len as usize],
            &keys[3].0[..]
        );
        assert_eq!(value, keys[3].1);
    }

    #[test]
    fn large_fsts_read_back_in_parallel_parts_in_order() {
        // Past `PARALLEL` keys, under a root with few children and some
        // keys that end where the walk is split.
        let mut keys: Vec<(Vec<u8>, u64)> = (0..40_000u64)
            .map(|i| (format!("/c{}/d{}/{i}", i % 3, i % 11).into_bytes(), i))
            .collect();
        keys.extend((0..3).map(|c| (format!("/c{c}").into_bytes(), 7)));
        keys.push((b"/".to_vec(), 1));
        keys.sort();
        let fst = fst::Map::from_iter(keys.iter().map(|(k, v)| (k, *v)))
            .unwrap()
            .into_fst();
        let total = keys.iter().map(|(k, _)| k.len()).sum();
        assert_eq!(read(&fst, total).unwrap(), Keys::from_sorted(&keys));
        assert!(read(&fst, total - 1).is_err());
    }

    #[test]
    fn the_empty_key_and_shared_outputs_read_back() {
        let keys: &[(&[u8], u64)] = &[(b"", 9), (b"/a", 1 << 62), (b"/a/", 5), (b"/ab", 1 << 63)];
        let fst = fst_of(keys);
        assert_eq!(read(&fst, 8).unwrap(), Keys::from_sorted(keys));
    }

    #[test]
    fn other_lengths_than_the_headers_are_corrupt() {
        let keys: &[(&[u8], u64)] = &[(b"/a", 1), (b"/bc", 2)];
        let fst = fst_of(keys);
        assert!(read(&fst, 5).is_ok());
        for wrong in [0, 4, 6, 1 << 20, u32::MAX as usize + 1] {
            assert!(read(&fst, wrong).is_err(), "{wrong}");
        }
    }

    #[test]
    fn keys_longer_than_any_rule_are_corrupt() {
        let long = vec![b'a'; MAX_KEY + 1];
        let fst = fst_of(&[(&long[..], 1)]);
        assert!(read(&fst, long.len()).is_err());
        let fst = fst_of(&[(&long[1..], 1)]);
        assert!(read(&fst, MAX_KEY).is_ok());
    }
}
