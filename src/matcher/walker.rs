//! Walking a path through an fst: through its decoded top
//! ([`Accel`]), then in the fst itself.

use std::sync::OnceLock;

use fst::raw::Fst;

use crate::matcher::accel::{self, Accel};

/// A state of a walk: a decoded node index (possibly tagged
/// [`accel::FINAL`]), or an fst address tagged [`accel::UNDECODED`].
pub(crate) type State = u32;

/// An fst and its decoded top, decoded when first walked (a matcher that
/// only answers through a [`Cursor`](super::Cursor) never decodes the top
/// of its whole index).
pub(crate) struct Walker<F> {
    pub(crate) fst: Fst<F>,
    accel: OnceLock<Accel>,
}

impl<F: AsRef<[u8]>> Walker<F> {
    pub(crate) fn new(fst: Fst<F>) -> Walker<F> {
        Walker {
            fst,
            accel: OnceLock::new(),
        }
    }

    #[inline]
    fn accel(&self) -> &Accel {
        self.accel.get_or_init(|| Accel::new(&self.fst))
    }

    /// The state after the leading '/': (state, output, is final, final
    /// output).
    #[inline]
    pub(crate) fn start(&self) -> Option<(State, u64, bool, u64)> {
        if self.accel().is_empty() {
            let root = self.fst.root();
            let t = root.transition(root.find_input(b'/')?);
            let node = self.fst.node(t.addr);
            return Some((
                accel::UNDECODED | t.addr as u32,
                t.out.value(),
                node.is_final(),
                node.final_output().value(),
            ));
        }
        self.step(0, b'/')
    }

    /// One byte of a walk: from `state` on `byte`, the next state, the
    /// transition's output, and whether the next node is final with its
    /// final output.
    #[inline]
    pub(crate) fn step(&self, state: State, byte: u8) -> Option<(State, u64, bool, u64)> {
        if state & accel::UNDECODED == 0 {
            let accel = self.accel();
            let (next, out) = accel.step(state, byte)?;
            if next & accel::UNDECODED == 0 {
                if next & accel::FINAL == 0 {
                    return Some((next, out, false, 0));
                }
                let n = &accel.nodes[(next & !accel::FINAL) as usize];
                Some((next, out, true, n.final_out))
            } else {
                let node = self.fst.node((next & !accel::UNDECODED) as usize);
                Some((next, out, node.is_final(), node.final_output().value()))
            }
        } else {
            let node = self.fst.node((state & !accel::UNDECODED) as usize);
            let t = node.transition(node.find_input(byte)?);
            let next = self.fst.node(t.addr);
            Some((
                accel::UNDECODED | t.addr as u32,
                t.out.value(),
                next.is_final(),
                next.final_output().value(),
            ))
        }
    }

    /// Walks `path[from..]` from `state` (reached after `path[..from]` with
    /// output `out`). At every final node, `at_final(value, i)` (the key's
    /// value, the index of the byte that reached it) may end the walk with
    /// an answer; `None` when the path leaves the fst or ends first.
    #[inline]
    pub(crate) fn walk_from<T>(
        &self,
        mut state: State,
        mut out: u64,
        path: &[u8],
        from: usize,
        mut at_final: impl FnMut(u64, usize) -> Option<T>,
    ) -> Option<T> {
        let mut i = from;
        let accel = self.accel();
        while i < path.len() && state & accel::UNDECODED == 0 {
            // `step`, unrolled: most targets are decoded and not final.
            let (next, o) = accel.step(state, path[i])?;
            state = next;
            out = out.wrapping_add(o);
            if next & (accel::FINAL | accel::UNDECODED) != 0 {
                let final_out = if next & accel::UNDECODED == 0 {
                    Some(accel.nodes[(next & !accel::FINAL) as usize].final_out)
                } else {
                    let node = self.fst.node((next & !accel::UNDECODED) as usize);
                    node.is_final().then(|| node.final_output().value())
                };
                if let Some(f) = final_out {
                    if let Some(w) = at_final(out.wrapping_add(f), i) {
                        return Some(w);
                    }
                }
            }
            i += 1;
        }
        if i == path.len() {
            return None;
        }
        // Past the decoded top: one fst node decoded per byte.
        let mut node = self.fst.node((state & !accel::UNDECODED) as usize);
        while i < path.len() {
            let k = node.find_input(path[i])?;
            let t = node.transition(k);
            out = out.wrapping_add(t.out.value());
            node = self.fst.node(t.addr);
            if node.is_final() {
                if let Some(w) = at_final(out.wrapping_add(node.final_output().value()), i) {
                    return Some(w);
                }
            }
            i += 1;
        }
        None
    }
}
