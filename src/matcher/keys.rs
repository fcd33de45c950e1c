//! The fst's keys read back: an effective rule's text is its key, so a
//! serialized matcher stores each text once, in the fst, and loading
//! streams the fst to get them back, in byte order.

use fst::raw::{Fst, Node};

use crate::error::Error;
use crate::matcher::corrupt;
use crate::matcher::format::MAX_KEY;

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
        // Callers bound the texts below 4 GiB.
        self.keys
            .push((self.texts.len() as u32, key.len() as u32, value));
        self.texts.extend_from_slice(key);
    }
}

struct Frame<'f> {
    node: Node<'f>,
    next: usize,
    out: u64,
}

/// Reads every key of `fst`, whose keys are `key_text` bytes long in all
/// (as the index header says) and at most [`MAX_KEY`] bytes each.
///
/// A depth-first walk visits each distinct prefix of a key once, so it
/// takes at most `key_text` steps when every state leads to a key (as in
/// every fst the builder writes); a walk that needs more, meets a longer
/// key, or finds other lengths than the header's fails as corrupt, so a
/// crafted fst (with cycles or dead ends) cannot make it run long.
pub(crate) fn read<F: AsRef<[u8]>>(fst: &Fst<F>, key_text: usize) -> Result<Keys, Error> {
    let count = fst.len();
    if key_text > u32::MAX as usize || key_text > count.saturating_mul(MAX_KEY) {
        return Err(corrupt("key length"));
    }
    let mut keys = Keys {
        texts: Vec::with_capacity(key_text),
        keys: Vec::with_capacity(count.min(key_text + 1)),
    };
    let mut key: Vec<u8> = Vec::with_capacity(64);
    let root = fst.root();
    if root.is_final() {
        keys.push(&key, root.final_output().value());
    }
    let mut steps = 0usize;
    let mut stack = vec![Frame {
        node: root,
        next: 0,
        out: 0,
    }];
    while let Some(top) = stack.last_mut() {
        if top.next == top.node.len() {
            stack.pop();
            key.pop();
            continue;
        }
        let t = top.node.transition(top.next);
        top.next += 1;
        let out = top.out.wrapping_add(t.out.value());
        steps += 1;
        key.push(t.inp);
        if steps > key_text || key.len() > MAX_KEY {
            return Err(corrupt("fst keys"));
        }
        let node = fst.node(t.addr);
        if node.is_final() {
            if keys.texts.len() + key.len() > key_text {
                return Err(corrupt("key length"));
            }
            keys.push(&key, out.wrapping_add(node.final_output().value()));
        }
        stack.push(Frame { node, next: 0, out });
    }
    if keys.keys.len() != count || keys.texts.len() != key_text {
        return Err(corrupt("key count"));
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
