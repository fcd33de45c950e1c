//! Checking an fst's nodes before the fst crate decodes them.
//!
//! The fst crate decodes a node trusting its bytes: an address past the
//! end, a size that does not fit, or a transition that leads up instead of
//! down makes it index out of bounds (a panic), or loop. Its checksum and
//! the index's keep out damage, not a file crafted to pass both. So loading
//! an index checks every node it reaches, on the walk that reads the keys
//! back, against the layout the crate decodes (format version 3, fst 0.4):
//! each node lies wholly below its address, each transition leads to a
//! lower address than the node's first byte (so every walk ends), a node's
//! inputs ascend, and a large node's lookup table agrees with its inputs
//! (so looking a byte up finds the transition the walk read). Every node
//! a later walk can reach was reached by that walk, so once it passes, the
//! crate's decoding of them stays in bounds.

use fst::raw::{CompiledAddr, Fst};

use crate::error::Error;
use crate::matcher::corrupt;

/// Nodes with more transitions than this carry a 256-byte lookup table.
const TRANS_INDEX_THRESHOLD: usize = 32;

/// The address of the empty final state, which has no bytes.
const EMPTY: CompiledAddr = 0;

/// The root's address, once checked to lie inside the fst's nodes.
pub(crate) fn root<D: AsRef<[u8]>>(fst: &Fst<D>) -> Result<CompiledAddr, Error> {
    let bytes = fst.as_bytes();
    // The header: version, type (u64 each).
    if bytes.len() < 36 || bytes[..8] != fst::raw::VERSION.to_le_bytes() {
        return Err(corrupt("fst version"));
    }
    // The footer: key count, root address (u64 each), checksum (u32).
    let at = bytes.len() - 12;
    let root = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
    let root = usize::try_from(root).map_err(|_| corrupt("fst root"))?;
    if root != EMPTY && root >= at - 8 {
        return Err(corrupt("fst root"));
    }
    check(bytes, root)?;
    Ok(root)
}

/// Checks the node at `addr` (below `data.len()`, as the root and every
/// checked node's targets are) and its transitions.
pub(crate) fn check(data: &[u8], addr: CompiledAddr) -> Result<(), Error> {
    if addr == EMPTY {
        return Ok(());
    }
    let bad = || corrupt("fst node");
    let state = *data.get(addr).ok_or_else(bad)?;
    let short = state & 0b11_1111 == 0;
    let below = |n: usize| addr.checked_sub(n).ok_or_else(bad);
    match state >> 6 {
        // One transition to the node just below: the state byte, and the
        // input unless it is a common one.
        0b11 => {
            if below(usize::from(short))? == 0 {
                return Err(bad());
            }
        }
        // One transition: input, sizes, target delta, output.
        0b10 => {
            let sizes = below(usize::from(short) + 1)?;
            let (tsize, osize) = pack_sizes(data[sizes])?;
            if tsize == 0 {
                return Err(bad());
            }
            let end = below(usize::from(short) + 1 + tsize + osize)?;
            target(data, sizes - tsize, tsize, end)?;
        }
        // Any number of transitions: the count (unless it fits the state
        // byte), sizes, the lookup table, inputs, target deltas, outputs,
        // the final output.
        _ => {
            let final_state = state & 0b0100_0000 != 0;
            let ntrans = match state & 0b11_1111 {
                0 => match data[below(1)?] {
                    1 => 256, // one is always written in the state byte
                    n => usize::from(n),
                },
                n => usize::from(n),
            };
            let sizes = below(usize::from(short) + 1)?;
            let (tsize, osize) = pack_sizes(data[sizes])?;
            if ntrans > 0 && tsize == 0 {
                return Err(bad());
            }
            let table = if ntrans > TRANS_INDEX_THRESHOLD {
                256
            } else {
                0
            };
            let inputs = sizes.checked_sub(table + ntrans).ok_or_else(bad)?;
            let deltas = inputs.checked_sub(ntrans * tsize).ok_or_else(bad)?;
            let outputs = ntrans * osize + if final_state { osize } else { 0 };
            let end = deltas.checked_sub(outputs).ok_or_else(bad)?;
            // Input i is at `sizes - table - 1 - i`: they ascend with i.
            let ins = &data[inputs..sizes - table];
            if ins.windows(2).any(|w| w[0] <= w[1]) {
                return Err(bad());
            }
            if table > 0 {
                let index = &data[sizes - table..sizes];
                let input = |i: usize| usize::from(ins[ntrans - 1 - i]);
                let agrees = (0..ntrans).all(|i| usize::from(index[input(i)]) == i)
                    && index
                        .iter()
                        .enumerate()
                        .all(|(b, &i)| usize::from(i) >= ntrans || input(usize::from(i)) == b);
                if !agrees {
                    return Err(bad());
                }
            }
            for i in 0..ntrans {
                target(data, inputs - (i + 1) * tsize, tsize, end)?;
            }
        }
    }
    Ok(())
}

/// A node's transition and output sizes, at most eight bytes each.
fn pack_sizes(byte: u8) -> Result<(usize, usize), Error> {
    let (tsize, osize) = (usize::from(byte >> 4), usize::from(byte & 0xf));
    if tsize > 8 || osize > 8 {
        return Err(corrupt("fst node"));
    }
    Ok((tsize, osize))
}

/// Checks the target delta at `data[at..at + size]`: the empty state (0),
/// or a node below `end`, the node's first byte.
fn target(data: &[u8], at: usize, size: usize, end: usize) -> Result<(), Error> {
    let delta = data[at..at + size]
        .iter()
        .rev()
        .fold(0u64, |n, &b| n << 8 | u64::from(b));
    if delta > end as u64 {
        return Err(corrupt("fst node"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fst_of(keys: &[&[u8]]) -> Fst<Vec<u8>> {
        let mut keys = keys.to_vec();
        keys.sort();
        fst::Map::from_iter(keys.iter().enumerate().map(|(i, k)| (k, i as u64 * 300)))
            .unwrap()
            .into_fst()
    }

    /// Every node reachable from the root, checked.
    fn check_all(fst: &Fst<Vec<u8>>) -> Result<usize, Error> {
        let mut stack = vec![root(fst)?];
        let mut seen = 0;
        while let Some(addr) = stack.pop() {
            check(fst.as_bytes(), addr)?;
            seen += 1;
            stack.extend(fst.node(addr).transitions().map(|t| t.addr));
        }
        Ok(seen)
    }

    #[test]
    fn every_node_the_builder_writes_passes() {
        // Every kind of node: common and other inputs, one transition with
        // and without output, many (over the lookup table's threshold, and
        // all 256), final states with outputs.
        let mut keys: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b'/', b]).collect();
        keys.extend((0..40u8).map(|b| vec![b'/', b'x', b'0' + b % 10, b]));
        keys.extend([&b"/a"[..], b"/abc\xff", b"/photos/2024/x.jpg", b""].map(<[u8]>::to_vec));
        keys.sort();
        keys.dedup();
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let fst = fst_of(&refs);
        assert!(check_all(&fst).unwrap() > keys.len());
        assert!(check_all(&fst_of(&[])).is_ok());
    }

    #[test]
    fn a_root_outside_the_nodes_is_refused() {
        let fst = fst_of(&[b"/a/b", b"/c"]);
        let mut bytes = fst.as_bytes().to_vec();
        let at = bytes.len() - 12;
        for addr in [bytes.len() as u64, at as u64 - 8, u64::MAX] {
            bytes[at..at + 8].copy_from_slice(&addr.to_le_bytes());
            let crafted = Fst::new(bytes.clone()).unwrap();
            assert!(root(&crafted).is_err(), "{addr}");
        }
    }

    #[test]
    fn nodes_that_do_not_fit_or_lead_up_are_refused() {
        // (bytes below the node, the node, whether it is valid): the node
        // ends at the last byte (never at 0, the empty state's address).
        let any2 = |d0, d1, i0, i1| vec![d1, d0, i1, i0, 0x10, 0b00_000010];
        let cases: Vec<(usize, Vec<u8>, bool)> = vec![
            (16, any2(1, 2, b'a', b'b'), true),
            (16, vec![0x10, 0, 0b00_000000], true), // a dead state
            (0, vec![b'?', 0b11_000000], false),    // next: nothing below
            (16, vec![b'?', 0b11_000000], true),
            (0, vec![b'?', 0b10_000000], false), // one: sizes missing
            (0, vec![0x11, 0b10_000001], false), // delta and output missing
            (16, vec![0x90, 0b10_000001], false), // a delta of nine bytes
            (16, vec![0x00, 0b10_000001], false), // a delta of no bytes
            (16, vec![0x19, 0b10_000001], false), // an output of nine bytes
            (16, vec![3, 0x10, 0b10_000001], true),
            (16, vec![17, 0x10, 0b10_000001], false), // leads past its end
            (0, any2(1, 2, b'a', b'b'), false),       // nothing below to lead to
            (16, any2(1, 99, b'a', b'b'), false),     // leads past its end
            (16, any2(1, 2, b'b', b'a'), false),      // inputs descend
            (16, any2(1, 2, b'a', b'a'), false),      // an input twice
            (16, vec![0x10, 0b00_000000], false),     // count byte missing
        ];
        for (pad, node, valid) in cases {
            let mut data = vec![0u8; pad];
            data.extend(&node);
            let r = check(&data, data.len() - 1);
            assert_eq!(r.is_ok(), valid, "{pad} below {node:?}");
        }
    }

    #[test]
    fn a_lookup_table_that_disagrees_with_the_inputs_is_refused() {
        let keys: Vec<Vec<u8>> = (0..40u8).map(|b| vec![b'/', b'a' + b]).collect();
        let refs: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let fst = fst_of(&refs);
        assert!(check_all(&fst).is_ok());
        // The node under '/' has 40 transitions: find its table (256 bytes
        // of 0..40 and 255) and point one byte elsewhere.
        let bytes = fst.as_bytes();
        let at = (0..bytes.len() - 256)
            .find(|&i| bytes[i + usize::from(b'a')] == 0 && bytes[i + usize::from(b'b')] == 1)
            .unwrap();
        for (b, to) in [(b'a', 1u8), (b'0', 3), (b'a', 255)] {
            let mut bytes = bytes.to_vec();
            bytes[at + usize::from(b)] = to;
            let crafted = Fst::new(bytes).unwrap();
            assert!(check_all(&crafted).is_err(), "{b} -> {to}");
        }
    }
}
