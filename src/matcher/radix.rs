//! The effective prefixes as a path-compressed trie, for a
//! [`Cursor`](super::Cursor)'s walks.
//!
//! Derived when a matcher is loaded, from the same rule table as the exact
//! paths' hash table. Effective prefixes are prefix-free, so every prefix
//! ends at a leaf, and a node is a run of bytes every key below it shares
//! (compared eight at a time) followed by a branch on one byte. A walk
//! costs a comparison per run and a lookup per branch, where a walk over
//! the fst costs several dependent loads per byte.
//!
//! A handful of prefixes with no exact paths beside them (a few containers
//! or folders) is cheaper still as a list compared one by one:
//! [`FewPrefixes`].

use crate::error::Error;
use crate::matcher::RuleId;
use crate::words::{common_prefix, word_padded};

/// Branches with more children than this get a 256-entry table.
const DENSE_OVER: usize = 8;
const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
struct Node {
    /// The run of bytes to match, in `bytes`.
    run_start: u32,
    run_len: u32,
    /// A leaf: the rule id. A branch: the first child's entry in `inputs`
    /// and `children`.
    first: u32,
    /// The number of children (0: a leaf).
    len: u32,
    /// A branch's 256-entry table in `dense`, or [`NONE`].
    dense: u32,
}

/// Where a walk stands: in node `node`, after `matched` bytes of its run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct At {
    node: u32,
    matched: u32,
}

/// How a walk over the trie ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Walk {
    /// Selected by this prefix rule, which ends after this many bytes.
    Prefix(usize, RuleId),
    /// No prefix continues with the byte at this index.
    Dead(usize),
    /// The path ran out here; a longer path would go on from this state.
    End(At),
}

/// A node still to fill: its keys, the bytes they share, its index.
type Todo<'k, K> = (&'k [(K, u32)], usize, usize);

/// The trie; empty when there are no prefixes.
#[derive(Debug, Default)]
pub(crate) struct PrefixTrie {
    nodes: Vec<Node>,
    bytes: Vec<u8>,
    inputs: Vec<u8>,
    children: Vec<u32>,
    dense: Vec<u32>,
}

impl PrefixTrie {
    /// The trie of `keys` (sorted, prefix-free: no key is a prefix of
    /// another) mapped to rule ids; an error if they are not.
    pub(crate) fn new<K: AsRef<[u8]>>(keys: &[(K, u32)]) -> Result<PrefixTrie, Error> {
        let mut trie = PrefixTrie::default();
        if keys.is_empty() {
            return Ok(trie);
        }
        trie.nodes.push(placeholder());
        // Nodes to fill: (keys, bytes they share, node). A stack, not
        // recursion: a loaded index may nest as deep as it has keys.
        let mut todo = vec![(keys, 0usize, 0usize)];
        while let Some((keys, depth, at)) = todo.pop() {
            trie.fill(keys, depth, at, &mut todo)?;
        }
        Ok(trie)
    }

    /// Fills node `at` with `keys` (sharing their first `depth` bytes);
    /// its children go on `todo`.
    fn fill<'k, K: AsRef<[u8]>>(
        &mut self,
        keys: &'k [(K, u32)],
        depth: usize,
        at: usize,
        todo: &mut Vec<Todo<'k, K>>,
    ) -> Result<(), Error> {
        let first = keys[0].0.as_ref();
        let last = keys[keys.len() - 1].0.as_ref();
        let shared = if keys.len() == 1 {
            first.len()
        } else {
            depth + common_prefix(&first[depth..], &last[depth..])
        };
        let mut node = Node {
            run_start: self.bytes.len() as u32,
            run_len: (shared - depth) as u32,
            first: keys[0].1,
            len: 0,
            dense: NONE,
        };
        self.bytes.extend_from_slice(&first[depth..shared]);
        if keys.len() == 1 {
            self.nodes[at] = node;
            return Ok(());
        }
        // Sorted and prefix-free: every key goes on past the shared bytes,
        // in runs of equal next bytes.
        node.first = self.inputs.len() as u32;
        let mut rest = keys;
        while let Some((key, _)) = rest.first() {
            let Some(&byte) = key.as_ref().get(shared) else {
                return Err(super::corrupt("prefixes"));
            };
            let n = rest.partition_point(|(k, _)| k.as_ref().get(shared) == Some(&byte));
            self.inputs.push(byte);
            self.children.push(self.nodes.len() as u32);
            todo.push((&rest[..n], shared + 1, self.nodes.len()));
            self.nodes.push(placeholder());
            rest = &rest[n..];
        }
        node.len = self.inputs.len() as u32 - node.first;
        if node.len as usize > DENSE_OVER {
            node.dense = self.dense.len() as u32;
            self.dense.extend(std::iter::repeat_n(NONE, 256));
            for k in node.first..node.first + node.len {
                let byte = self.inputs[k as usize];
                self.dense[node.dense as usize + byte as usize] = k;
            }
        }
        self.nodes[at] = node;
        Ok(())
    }

    /// Where a walk starts (before any byte), if there are prefixes.
    pub(crate) fn root(&self) -> Option<At> {
        (!self.nodes.is_empty()).then_some(At {
            node: 0,
            matched: 0,
        })
    }

    /// Walks `path[from..]` from `at` (where `path[..from]` left a walk).
    #[inline]
    pub(crate) fn walk(&self, mut at: At, path: &[u8], mut i: usize) -> Walk {
        loop {
            let n = &self.nodes[at.node as usize];
            let run = &self.bytes
                [(n.run_start + at.matched) as usize..(n.run_start + n.run_len) as usize];
            let rest = &path[i.min(path.len())..];
            let k = common_prefix(run, rest);
            if k < run.len() {
                return if k == rest.len() {
                    Walk::End(At {
                        node: at.node,
                        matched: at.matched + k as u32,
                    })
                } else {
                    Walk::Dead(i + k)
                };
            }
            i += run.len();
            if n.len == 0 {
                return Walk::Prefix(i, RuleId(n.first));
            }
            let Some(&byte) = path.get(i) else {
                return Walk::End(At {
                    node: at.node,
                    matched: n.run_len,
                });
            };
            let Some(child) = self.child(n, byte) else {
                return Walk::Dead(i);
            };
            at = At {
                node: child,
                matched: 0,
            };
            i += 1;
        }
    }

    #[inline]
    fn child(&self, n: &Node, byte: u8) -> Option<u32> {
        let k = if n.dense != NONE {
            match self.dense[n.dense as usize + byte as usize] {
                NONE => return None,
                k => k as usize,
            }
        } else {
            let first = n.first as usize;
            first
                + self.inputs[first..first + n.len as usize]
                    .iter()
                    .position(|&b| b == byte)?
        };
        Some(self.children[k])
    }
}

/// Selections with at most this many prefixes and no exact paths are
/// matched by [`FewPrefixes`].
pub(crate) const FEW: usize = 16;

/// A handful of prefixes and no exact paths (a few containers or folders,
/// a common export): each path is compared with every prefix in turn,
/// eight bytes at once, which costs less than any walk for so few.
#[derive(Debug)]
pub(crate) struct FewPrefixes {
    /// Per prefix (without its leading '/'): its first eight bytes
    /// (zero-padded) and the mask of those that are its own.
    heads: Vec<(u64, u64)>,
    /// Per prefix: where it starts in `bytes`, its length, its rule.
    prefixes: Vec<(usize, usize, RuleId)>,
    bytes: Vec<u8>,
}

impl FewPrefixes {
    /// For `keys` (prefix keys, each beginning with '/', prefix-free), if
    /// there are at most [`FEW`] of them.
    pub(crate) fn new<K: AsRef<[u8]>>(keys: &[(K, u32)]) -> Option<FewPrefixes> {
        if keys.len() > FEW {
            return None;
        }
        let mut few = FewPrefixes {
            heads: Vec::new(),
            prefixes: Vec::new(),
            bytes: Vec::new(),
        };
        for (key, id) in keys {
            let key = key.as_ref().strip_prefix(b"/")?;
            let mask = match key.len() {
                n if n >= 8 => u64::MAX,
                n => (1u64 << (8 * n)) - 1,
            };
            few.heads.push((word_padded(key), mask));
            few.prefixes.push((few.bytes.len(), key.len(), RuleId(*id)));
            few.bytes.extend_from_slice(key);
        }
        Some(few)
    }

    /// The prefix rule that selects `path` (`container/blob`, no leading
    /// '/'), if any: at most one does, the prefixes being prefix-free.
    #[inline]
    pub(crate) fn find(&self, path: &[u8]) -> Option<RuleId> {
        let h = word_padded(path);
        for (k, &(first, mask)) in self.heads.iter().enumerate() {
            if (h ^ first) & mask == 0 {
                let (start, len, rule) = self.prefixes[k];
                if path.len() >= len
                    && (len <= 8 || path.get(8..len) == self.bytes.get(start + 8..start + len))
                {
                    return Some(rule);
                }
            }
        }
        None
    }
}

fn placeholder() -> Node {
    Node {
        run_start: 0,
        run_len: 0,
        first: 0,
        len: 0,
        dense: NONE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `keys` as index keys, each mapped to its position.
    fn numbered(keys: &[&str]) -> Vec<(Vec<u8>, u32)> {
        keys.iter()
            .enumerate()
            .map(|(i, k)| (k.as_bytes().to_vec(), i as u32))
            .collect()
    }

    /// The prefix of `keys` that `path` starts with, by comparing each.
    fn reference(keys: &[(Vec<u8>, u32)], path: &[u8]) -> Option<(usize, RuleId)> {
        keys.iter()
            .find(|(k, _)| path.starts_with(k))
            .map(|(k, id)| (k.len(), RuleId(*id)))
    }

    #[test]
    fn walks_agree_with_comparing_every_prefix() {
        // Runs, branches both sparse and dense, leaves at every depth.
        let mut keys = numbered(&[
            "/a/",
            "/b",
            "/cat/2024/",
            "/cat/2025/0",
            "/cat/2025/1",
            "/dog",
            "/e/x/y/z/deep/",
            "/f",
        ]);
        for b in b'0'..=b'9' {
            keys.push((format!("/g/{}", b as char).into_bytes(), 100 + u32::from(b)));
        }
        keys.sort();
        let trie = PrefixTrie::new(&keys).unwrap();
        let paths = [
            "/a/",
            "/a",
            "/a/x",
            "/b",
            "/bc",
            "/c",
            "/ca",
            "/cat/2024",
            "/cat/2024/x",
            "/cat/2025/",
            "/cat/2025/0",
            "/cat/2025/2",
            "/cat/20",
            "/dog/x",
            "/do",
            "/e/x/y/z/deep",
            "/e/x/y/z/deep/1",
            "/e/x/q",
            "/f",
            "/g/",
            "/g/5",
            "/g/55",
            "/g/x",
            "/h",
            "/",
            "",
        ];
        for p in paths {
            let p = p.as_bytes();
            let got = match trie.walk(trie.root().unwrap(), p, 0) {
                Walk::Prefix(k, id) => Some((k, id)),
                Walk::Dead(i) => {
                    // Nothing selects a path with these first i + 1 bytes.
                    assert!(i < p.len());
                    assert!(
                        keys.iter()
                            .all(|(k, _)| !k.starts_with(&p[..=i]) && !p.starts_with(k)),
                        "{:?} dead at {i}",
                        String::from_utf8_lossy(p)
                    );
                    None
                }
                Walk::End(_) => None,
            };
            assert_eq!(got, reference(&keys, p), "{:?}", String::from_utf8_lossy(p));
            // Split anywhere, the walk resumes where it stopped.
            for cut in 0..=p.len() {
                let whole = match trie.walk(trie.root().unwrap(), &p[..cut], 0) {
                    Walk::End(at) => trie.walk(at, p, cut),
                    other => other,
                };
                let got = match whole {
                    Walk::Prefix(k, id) => Some((k, id)),
                    _ => None,
                };
                assert_eq!(
                    got,
                    reference(&keys, p),
                    "{:?} cut {cut}",
                    String::from_utf8_lossy(p)
                );
            }
        }
    }

    #[test]
    fn few_prefixes_agree_with_comparing_every_prefix() {
        let mut keys = numbered(&[
            "/a/",
            "/b",
            "/cat/2024/",
            "/cat/2025/0",
            "/dog",
            "/e/x/y/z/deep/",
            "/f1234567",
            "/g12345678",
            "/h1234567/",
        ]);
        keys.sort();
        let few = FewPrefixes::new(&keys).unwrap();
        let paths = [
            "a/",
            "a",
            "a/x",
            "b",
            "bc",
            "c",
            "cat/2024",
            "cat/2024/x",
            "cat/2025/0",
            "cat/2025/1",
            "dog/x",
            "do",
            "e/x/y/z/deep/1",
            "e/x/y/z/deep",
            "f1234567",
            "f123456",
            "f12345678",
            "g12345678",
            "g1234567",
            "g123456789",
            "h1234567/",
            "h1234567",
            "",
            "z",
        ];
        for p in paths {
            let rooted = format!("/{p}");
            let want = reference(&keys, rooted.as_bytes()).map(|(_, id)| id);
            assert_eq!(few.find(p.as_bytes()), want, "{p}");
        }
        let many: Vec<(Vec<u8>, u32)> = (0..=FEW as u32)
            .map(|i| (format!("/c{i:02}/").into_bytes(), i))
            .collect();
        assert!(FewPrefixes::new(&many).is_none());
        let everything = FewPrefixes::new(&[(b"/".to_vec(), 7)]).unwrap();
        assert_eq!(everything.find(b"any/thing"), Some(RuleId(7)));
    }

    #[test]
    fn keys_that_are_not_prefix_free_are_refused() {
        let keys = [(b"/a".to_vec(), 0), (b"/ab".to_vec(), 1)];
        assert!(PrefixTrie::new(&keys).is_err());
        let keys = [(b"/a".to_vec(), 0), (b"/a".to_vec(), 1)];
        assert!(PrefixTrie::new(&keys).is_err());
        assert!(PrefixTrie::new::<Vec<u8>>(&[]).unwrap().root().is_none());
    }
}
