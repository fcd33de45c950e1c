//! What loading checks and derives from an index: that every rule's text
//! is where its record says (its key, in the fst or the exact paths, or a
//! related rule's), the exact paths' table ([`ExactTable::load`]), and the
//! one structure a [`Cursor`] matches with that the index does not store,
//! the trie of the effective prefixes; and, when reports first ask for
//! them, the rules decoded with their texts ([`rows`]).
//!
//! [`Cursor`]: crate::matcher::Cursor

use crate::error::Error;
use crate::matcher::exact::ExactTable;
use crate::matcher::format::{self, Layout, Row, Tag, Text};
use crate::matcher::keys::Keys;
use crate::matcher::radix::{FewPrefixes, PrefixTrie};
use crate::matcher::{corrupt, RuleStatus};
use crate::rule::RuleKind;

/// What a [`Cursor`](crate::matcher::Cursor) matches with.
pub(crate) struct Derived {
    /// The effective prefixes alone.
    pub prefixes: PrefixTrie,
    /// The effective prefixes as a list, when they are few and there are
    /// no exact paths.
    pub few: Option<FewPrefixes>,
    /// The effective exact paths by hash.
    pub exact: ExactTable,
}

/// A rule as the check needs it, in one byte (a million rules' fit the
/// processor's caches): its kind (bits 0-1), whether it is effective (bit
/// 2), where its text comes from (bits 3-4), whether a key gave it its
/// text (bit 5).
#[derive(Clone, Copy)]
struct Brief(u8);

const EFFECTIVE: u8 = 1 << 2;
const GIVEN: u8 = 1 << 5;

impl Brief {
    fn new(kind: u8, effective: bool, text_from: Text) -> Brief {
        Brief(kind | if effective { EFFECTIVE } else { 0 } | (text_from as u8) << 3)
    }

    fn kind(self) -> u8 {
        self.0 & 3
    }

    fn effective(self) -> bool {
        self.0 & EFFECTIVE != 0
    }

    fn text_from(self) -> u8 {
        (self.0 >> 3) & 3
    }

    fn given(self) -> bool {
        self.0 & GIVEN != 0
    }
}

const PREFIX: u8 = 0;
const PATH: u8 = 1;
const PATH_WITHOUT_SNAPSHOTS: u8 = 2;
const SNAPSHOT: u8 = 3;

fn kind_of(kind: RuleKind) -> u8 {
    match kind {
        RuleKind::Prefix => PREFIX,
        RuleKind::Path => PATH,
        RuleKind::PathWithoutSnapshots => PATH_WITHOUT_SNAPSHOTS,
        RuleKind::Snapshot(_) => SNAPSHOT,
    }
}

/// Checks the rules of `b` (a serialized matcher laid out as `layout`,
/// with `sources` source names) against their keys, `keys` (the fst's)
/// and the exact paths: every effective rule gets its text from exactly
/// one key of its kind, every other rule's text is in its record or its
/// related rule's (which has its own), every rule a record or complex
/// entry names exists. Derives the trie of the prefixes, and loads the
/// exact paths' table.
pub(crate) fn check(
    keys: &Keys,
    layout: &Layout,
    sources: usize,
    b: &[u8],
) -> Result<Derived, Error> {
    let n = layout.rules;
    let mut briefs: Vec<Brief> = Vec::with_capacity(n);
    let mut related: Vec<(u32, u32)> = Vec::new();
    let mut inline = Vec::new();
    let read =
        format::for_each_record(&b[layout.records.clone()], n, sources, &mut inline, |row| {
            if row.text_from == Text::Related {
                let to = row.status.related().map_or(u32::MAX, |r| r.0);
                related.push((briefs.len() as u32, to));
            }
            if row.status.related().is_some_and(|r| r.0 as usize >= n) {
                return false;
            }
            briefs.push(Brief::new(
                kind_of(row.kind),
                row.status == RuleStatus::Effective,
                row.text_from,
            ));
            true
        });
    if read.is_none() || briefs.len() != n {
        return Err(corrupt("rule records"));
    }
    for i in 0..layout.complex_count {
        let (base, snaps) = layout.complex_entry(b, i);
        if base.is_some_and(|base| base as usize >= n) || snaps.end > layout.snap_count {
            return Err(corrupt("complex entry"));
        }
    }
    // Gives rule `id`, which must be effective, of kind `kind` and not
    // given a text yet, its text from a key `key` (ending in '/' if the
    // record says the text is the key less it).
    let mut give = |id: u32, kind: u8, key: &[u8]| -> Result<(), Error> {
        let brief = briefs
            .get_mut(id as usize)
            .filter(|r| !r.given() && r.effective() && r.kind() == kind)
            .ok_or_else(|| corrupt("index value"))?;
        match brief.text_from() {
            t if t == Text::Key as u8 => {}
            t if t == Text::KeyLessSlash as u8 && key.len() >= 2 && key.ends_with(b"/") => {}
            _ => return Err(corrupt("index key")),
        }
        brief.0 |= GIVEN;
        Ok(())
    };

    // The prefixes: UTF-8 as a whole (read in order), each beginning at a
    // character boundary (so ending at one).
    let key_text = keys.keys.last().map_or(0, |&(s, l, _)| (s + l) as usize);
    let all = std::str::from_utf8(&keys.texts[..key_text]).map_err(|_| corrupt("rule text"))?;
    let mut prefixes: Vec<(&[u8], u32)> = Vec::with_capacity(keys.keys.len());
    for &(start, len, value) in &keys.keys {
        let key = &keys.texts[start as usize..(start + len) as usize];
        if key.first() != Some(&b'/') || !all.is_char_boundary(start as usize) {
            return Err(corrupt("index key"));
        }
        let (Some(Tag::Prefix), index) = format::decode(value) else {
            return Err(corrupt("index value"));
        };
        give(index, PREFIX, key)?;
        prefixes.push((key, index));
    }

    let exact = ExactTable::load(b, layout.exact_sections(), |text, tag, index, _| {
        match tag {
            Tag::Complex => {
                if index as usize >= layout.complex_count {
                    return Err(corrupt("complex entry"));
                }
                let (base, snaps) = layout.complex_entry(b, index as usize);
                if let Some(base) = base {
                    give(base, PATH_WITHOUT_SNAPSHOTS, text)?;
                }
                for s in snaps {
                    // Of any instant: the record's is the rule's.
                    give(layout.snapshot_rule(b, s), SNAPSHOT, text)?;
                }
                Ok(())
            }
            _ => give(index, PATH, text),
        }
    })?;

    if briefs.iter().any(|r| r.effective() && !r.given()) {
        return Err(corrupt("a rule without its index key"));
    }
    for (_, to) in related {
        match briefs.get(to as usize) {
            Some(r) if r.text_from() != Text::Related as u8 => {}
            _ => return Err(corrupt("rule records")),
        }
    }
    let trie = PrefixTrie::new(&prefixes)?;
    let few = match exact.len() == 0 {
        true => FewPrefixes::new(&prefixes),
        false => None,
    };
    Ok(Derived {
        prefixes: trie,
        few,
        exact,
    })
}

/// The rules of `b` (checked by [`check`]) in selection order, each with
/// its text: from its key (the fst's `keys`, or an exact path's record in
/// `exact`), its related rule's, or its record; and the texts they point
/// into but for the exact paths' (the fst's keys, then the records').
pub(crate) fn rows(
    keys: &Keys,
    layout: &Layout,
    exact: &ExactTable,
    b: &[u8],
) -> (Vec<Row>, Vec<u8>) {
    let mut texts = keys.texts.clone();
    let mut rows = Vec::with_capacity(layout.rules);
    // Checked at load: neither fails.
    format::for_each_record(
        &b[layout.records.clone()],
        layout.rules,
        usize::MAX,
        &mut texts,
        |row| {
            rows.push(row);
            true
        },
    );
    let mut give = |id: u32, text: (u32, u32), in_index: bool| {
        if let Some(row) = rows.get_mut(id as usize) {
            row.text = match row.text_from {
                Text::KeyLessSlash => (text.0, text.1.saturating_sub(1)),
                _ => text,
            };
            row.in_index = in_index;
            row.has_text = true;
        }
    };
    for &(start, len, value) in &keys.keys {
        give(format::decode(value).1, (start, len), false);
    }
    let sorted = exact.sorted(b);
    for i in 0..sorted.len() {
        let (off, len) = sorted.record(i);
        match sorted.value(i) {
            (Tag::Complex, index) => {
                let (base, snaps) = layout.complex_entry(b, index as usize);
                if let Some(base) = base {
                    give(base, (off, len), true);
                }
                for s in snaps {
                    give(layout.snapshot_rule(b, s), (off, len), true);
                }
            }
            (_, index) => give(index, (off, len), true),
        }
    }
    for id in 0..rows.len() {
        if rows[id].has_text {
            continue;
        }
        let related = rows[id]
            .status
            .related()
            .and_then(|r| rows.get(r.0 as usize));
        if let Some(&r) = related {
            (rows[id].text, rows[id].in_index) = (r.text, r.in_index);
            rows[id].has_text = true;
        }
    }
    (rows, texts)
}
