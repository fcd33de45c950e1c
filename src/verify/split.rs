//! Reading a big document on all threads, with the answer of reading it
//! in one piece.
//!
//! A drive manifest of a million blobs is hundreds of megabytes of one
//! `<BlobList>`. [`read`] cuts the bytes into parts at lines that begin a
//! record (`<Blob>`), reads each part on its own thread — every part but
//! the first after the start tags of the elements open around the records
//! ([`Splittable::CONTEXT`]), so the XML reader sees them as the whole
//! document would — and joins the parts.
//!
//! A cut is only assumed to be between records; the part before it proves
//! it: it must end without an error and with exactly the context's
//! elements open (a cut inside a comment, a CDATA section, an attribute
//! or a text fails that). Anything else — a part's error, a part that did
//! something that depends on what came before it
//! ([`Splittable::join`]), a document that does not end as a document
//! must — and the document is read again in one piece, so the answer and
//! every error (its message and position) are those of the one-piece
//! reading.

use std::io::Read;

use rayon::prelude::*;

use super::xml::{Driver, Format, PartRead, Whole};
use crate::error::Error;

/// A [`Format`] whose documents can be read in parts.
pub(crate) trait Splittable: Format + Default + Send
where
    Self::Record: Default + Send,
    Self::Tag: PartialEq + Send + 'static,
{
    /// The start tags of the elements open around the records, ending with
    /// a newline: what a part after the first is read after.
    const CONTEXT: &'static [u8];
    /// The tags of those elements, outermost first.
    const OPEN: &'static [Self::Tag];
    /// How a record's start tag begins (`<Blob`).
    const RECORD: &'static [u8];

    /// The state a part after the first begins with.
    fn resumed() -> Self;

    /// Adds what a later part gave to the state; `false` if the later part
    /// did something whose meaning depends on what came before it.
    fn join(&mut self, later: Self) -> bool;

    /// Moves a record's positions `lines` lines down.
    fn shift(record: &mut Self::Record, lines: u32);
}

/// Reads `data` in up to `parts` parts on the rayon pool, or in one piece
/// when it has no place to cut or the parts do not join.
pub(crate) fn read<F>(data: &[u8], source: &str, parts: usize) -> Result<Whole<F>, Error>
where
    F: Splittable,
    F::Record: Default + Send,
    F::Tag: PartialEq + Send + 'static,
{
    let cuts = cuts(data, F::RECORD, parts);
    if cuts.len() > 2 {
        if let Some(whole) = read_parts::<F>(data, source, &cuts) {
            return Ok(whole);
        }
    }
    Driver::new(data, source.to_string(), F::default()).read_all()
}

/// The parts, joined; `None` if they do not join into a document.
pub(crate) fn read_parts<F>(data: &[u8], source: &str, cuts: &[usize]) -> Option<Whole<F>>
where
    F: Splittable,
    F::Record: Default + Send,
    F::Tag: PartialEq + Send + 'static,
{
    let read: Vec<Result<PartRead<F>, Error>> = cuts
        .par_windows(2)
        .enumerate()
        .map(|(i, w)| {
            let bytes = &data[w[0]..w[1]];
            if i == 0 {
                Driver::new(bytes, source.to_string(), F::default()).read_part()
            } else {
                let input = F::CONTEXT.chain(bytes);
                Driver::resumed(input, source.to_string(), F::resumed()).read_part()
            }
        })
        .collect();
    let last = read.len() - 1;
    let mut parts = read.into_iter();
    let first = parts.next()?.ok()?;
    if first.open != F::OPEN {
        return None;
    }
    let mut line = first.end_line;
    let mut roots = first.roots;
    let mut whole = first.whole;
    for (i, part) in parts.enumerate() {
        let part = part.ok()?;
        let open = if i + 1 == last { &[][..] } else { F::OPEN };
        // The context's root is not one of the document's.
        if part.open != open || part.roots == 0 {
            return None;
        }
        roots += part.roots - 1;
        if !whole.format.join(part.whole.format) {
            return None;
        }
        let mut records = part.whole.records;
        // The part's line 1 is the document's line `line`.
        for r in &mut records {
            F::shift(r, line - 1);
        }
        whole.records.append(&mut records);
        line += part.end_line - 1;
    }
    // What the end of a whole document checks, with the joined state; a
    // document that fails it is read again for the error.
    if roots != 1 || whole.format.finish(crate::verify::xml::START).is_err() {
        return None;
    }
    Some(whole)
}

/// Where the parts begin and end: 0, up to `parts - 1` cuts at the
/// beginning of a line whose first markup is `record` (after spaces and
/// tabs), and `data.len()`.
pub(crate) fn cuts(data: &[u8], record: &[u8], parts: usize) -> Vec<usize> {
    let mut cuts = vec![0];
    let finder = memchr::memmem::Finder::new(record);
    for k in 1..parts {
        let from = (data.len() / parts * k).max(cuts[cuts.len() - 1] + 1);
        let mut at = from;
        let cut = loop {
            let Some(found) = data.get(at..).and_then(|rest| finder.find(rest)) else {
                break None;
            };
            let tag = at + found;
            at = tag + 1;
            let after = data.get(tag + record.len()).copied();
            if !matches!(after, Some(b'>' | b' ' | b'\t' | b'\r' | b'\n' | b'/')) {
                continue;
            }
            let line = data[..tag]
                .iter()
                .rposition(|&b| b != b' ' && b != b'\t')
                .map_or(0, |i| i + 1);
            if line > cuts[cuts.len() - 1] && data[line - 1] == b'\n' {
                break Some(line);
            }
        };
        match cut {
            Some(c) => cuts.push(c),
            None => break,
        }
    }
    cuts.push(data.len());
    cuts
}

#[cfg(test)]
mod tests {
    use super::cuts;

    #[test]
    fn cuts_are_at_the_start_of_a_line_that_begins_a_record() {
        let doc = b"<L>\n  <B>1</B>\n  <B>2</B>\n\t<B x='1'>3</B> <B>4</B>\n<Bee/>\n";
        let all = cuts(doc, b"<B", 8);
        assert_eq!(all.first(), Some(&0));
        assert_eq!(all.last(), Some(&doc.len()));
        for &c in &all[1..all.len() - 1] {
            assert_eq!(doc[c - 1], b'\n', "cut at {c}");
            let rest = std::str::from_utf8(&doc[c..]).unwrap().trim_start();
            assert!(
                rest.starts_with("<B>") || rest.starts_with("<B x"),
                "{rest}"
            );
        }
        // Increasing, each line once.
        assert!(all.windows(2).all(|w| w[0] < w[1]), "{all:?}");
        // No record line: no cut.
        assert_eq!(cuts(b"<L><B>1</B><B>2</B></L>", b"<B", 4), [0, 23]);
    }
}
