//! A decoded copy of the top of the fst, for fast walks.
//!
//! The fst stays the index (it is what is serialized and shared); at load
//! the matcher decodes its nodes breadth-first from the root, up to a budget
//! of transitions, into flat arrays: a node with few transitions is scanned
//! linearly, one with many gets a dense 256-entry table. A walk uses the
//! decoded nodes and falls back to the fst's own node decoding past the
//! budget (only very large selections ever get there).
//!
//! The whole index is walked this way by
//! [`Matcher::find_unrooted`](super::Matcher::find_unrooted) (decoded on
//! first use); see `walker.rs`. A [`Cursor`](super::Cursor) walks a trie of
//! the prefixes alone instead (`radix.rs`).

use std::collections::VecDeque;

use fst::raw::{CompiledAddr, Fst};

/// Transitions decoded at most (about 17 bytes each, plus dense tables).
const BUDGET: usize = 1 << 19;
/// Nodes with more transitions than this get a dense table.
const DENSE_OVER: usize = 8;
/// A target that is not decoded: the fst address is in the low 31 bits.
pub(crate) const UNDECODED: u32 = 1 << 31;
/// On a decoded target: the node is final (its index is in the low 30 bits).
pub(crate) const FINAL: u32 = 1 << 30;
const NO_TRANSITION: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub(crate) struct DNode {
    /// Start of this node's transitions in the arrays.
    start: u32,
    /// Number of transitions.
    len: u16,
    /// Whether the node is final.
    pub(crate) is_final: bool,
    /// Offset of the dense table (in `dense`), or `NO_TRANSITION`.
    dense: u32,
    /// The final output.
    pub(crate) final_out: u64,
}

/// The decoded nodes; index 0 is the root.
#[derive(Debug, Default)]
pub(crate) struct Accel {
    pub(crate) nodes: Vec<DNode>,
    inputs: Vec<u8>,
    targets: Vec<u32>,
    outs: Vec<u64>,
    dense: Vec<u32>,
}

impl Accel {
    /// Decodes the top of `fst`.
    pub(crate) fn new<D: AsRef<[u8]>>(fst: &Fst<D>) -> Accel {
        let mut accel = Accel::default();
        if fst.as_bytes().len() >= UNDECODED as usize {
            return accel; // addresses would not fit; walk the fst alone
        }
        // Decoded as a tree: a node reached by two paths is decoded twice.
        // The top of an fst (containers, the first path segments) is rarely
        // shared, and no address map is needed, which keeps loading cheap.
        let mut queue: VecDeque<(CompiledAddr, u32)> = VecDeque::new();
        accel.nodes.push(placeholder());
        queue.push_back((fst.root().addr(), 0));
        let mut decoded_transitions = fst.root().len();
        while let Some((addr, i)) = queue.pop_front() {
            let node = fst.node(addr);
            let i = i as usize;
            let start = accel.inputs.len() as u32;
            let mut dnode = DNode {
                start,
                len: node.len() as u16,
                is_final: node.is_final(),
                dense: NO_TRANSITION,
                final_out: node.final_output().value(),
            };
            for t in node.transitions() {
                let target = if decoded_transitions < BUDGET {
                    let j = accel.nodes.len() as u32;
                    accel.nodes.push(placeholder());
                    queue.push_back((t.addr, j));
                    decoded_transitions += fst.node(t.addr).len();
                    j
                } else {
                    UNDECODED | t.addr as u32
                };
                accel.inputs.push(t.inp);
                accel.targets.push(target);
                accel.outs.push(t.out.value());
            }
            if node.len() > DENSE_OVER {
                dnode.dense = accel.dense.len() as u32;
                accel.dense.extend(std::iter::repeat_n(NO_TRANSITION, 256));
                for k in 0..node.len() {
                    let b = accel.inputs[start as usize + k];
                    accel.dense[dnode.dense as usize + b as usize] = start + k as u32;
                }
            }
            accel.nodes[i] = dnode;
        }
        for t in accel.targets.iter_mut() {
            if *t & UNDECODED == 0 && accel.nodes[*t as usize].is_final {
                *t |= FINAL;
            }
        }
        accel
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The transition of decoded node `i` on `byte`: (target, output). A
    /// decoded target carries [`FINAL`] when its node is final.
    #[inline(always)]
    pub(crate) fn step(&self, i: u32, byte: u8) -> Option<(u32, u64)> {
        let n = &self.nodes[(i & !FINAL) as usize];
        let k = if n.dense != NO_TRANSITION {
            let k = self.dense[n.dense as usize + byte as usize];
            if k == NO_TRANSITION {
                return None;
            }
            k as usize
        } else {
            let start = n.start as usize;
            let inputs = &self.inputs[start..start + n.len as usize];
            start + inputs.iter().position(|&b| b == byte)?
        };
        Some((self.targets[k], self.outs[k]))
    }
}

fn placeholder() -> DNode {
    DNode {
        start: 0,
        len: 0,
        is_final: false,
        dense: NO_TRANSITION,
        final_out: 0,
    }
}
