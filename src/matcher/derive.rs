//! What loading derives from an index: each rule's text, from the fst's
//! keys or a related rule's, and the structures a [`Cursor`] matches with
//! instead of walking the whole fst (see the module's introduction).
//!
//! [`Cursor`]: crate::matcher::Cursor

use crate::error::Error;
use crate::matcher::exact::{self, ExactTable};
use crate::matcher::format::{self, Layout, Row, Tag, Text};
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

/// Gives each effective rule in `rows` its text from its key (one of
/// `keys`, in `texts`), and derives from the keys what a [`Cursor`]
/// matches with: a trie of the effective prefixes alone (and, when they
/// are few and there are no exact paths, a list of them), and a hash table
/// of the effective exact paths. Then gives the rules that share a related
/// rule's text that text. `b` is the serialized matcher, laid out as
/// `layout` says, its references checked.
///
/// [`Cursor`]: crate::matcher::Cursor
pub(crate) fn derive(
    keys: &[(u32, u32, u64)],
    texts: &[u8],
    rows: &mut [Row],
    layout: &Layout,
    b: &[u8],
) -> Result<Derived, Error> {
    let n = rows.len();
    let mut prefixes: Vec<(&[u8], u32)> = Vec::new();
    let mut exact = ExactTable::with_capacity(keys.len());
    // The keys are UTF-8 as a whole (read in order), and each begins
    // at a character boundary (so ends at one).
    let key_text = keys.last().map_or(0, |&(s, l, _)| (s + l) as usize);
    let all = std::str::from_utf8(&texts[..key_text]).map_err(|_| corrupt("rule text"))?;
    let key_at = |i: usize| {
        let (start, len, _) = keys[i];
        &texts[start as usize..(start + len) as usize]
    };
    // Keys come in byte order, rules and hash slots in another: each
    // key's rule record and slot are asked for `AHEAD` keys before
    // (the exact keys' hashes kept in a ring till then).
    const AHEAD: usize = 16;
    let mut hashes = [0u64; AHEAD];
    let announce = |i: usize, exact: &ExactTable, rows: &[Row], hashes: &mut [u64]| {
        let Some(&(_, _, value)) = keys.get(i) else {
            return;
        };
        let (tag, index) = format::decode(value);
        if tag != Some(Tag::Complex) {
            if let Some(row) = rows.get(index as usize) {
                exact::prefetch(row);
            }
        }
        if tag != Some(Tag::Prefix) {
            let h = exact::hash(key_at(i).get(1..).unwrap_or_default());
            exact.prefetch_hash(h);
            hashes[i % AHEAD] = h;
        }
    };
    for i in 0..AHEAD {
        announce(i, &exact, rows, &mut hashes);
    }
    for (i, &(start, len, value)) in keys.iter().enumerate() {
        let key = key_at(i);
        let h = hashes[i % AHEAD];
        announce(i + AHEAD, &exact, rows, &mut hashes);
        if key.first() != Some(&b'/') || !all.is_char_boundary(start as usize) {
            return Err(corrupt("index key"));
        }
        let (tag, index) = format::decode(value);
        let tag = match tag {
            Some(Tag::Prefix) => Tag::Prefix,
            Some(tag) if key.len() >= 2 => tag,
            _ => return Err(corrupt("index value")),
        };
        // Gives rule `id`, which must be effective and of a kind
        // `is_kind` accepts, its text from the key.
        let mut give = |id: u32, is_kind: fn(RuleKind) -> bool| -> Result<(), Error> {
            let row = rows
                .get_mut(id as usize)
                .filter(|r| !r.has_text && r.status == RuleStatus::Effective && is_kind(r.kind))
                .ok_or_else(|| corrupt("index value"))?;
            row.text = match row.text_from {
                Text::Key => (start, len),
                _ if key.len() >= 2 && key.ends_with(b"/") => (start, len - 1),
                _ => return Err(corrupt("index key")),
            };
            row.has_text = true;
            Ok(())
        };
        match tag {
            Tag::Prefix => {
                give(index, |k| k == RuleKind::Prefix)?;
                prefixes.push((key, index));
            }
            Tag::PathAll => {
                give(index, |k| k == RuleKind::Path)?;
                exact.insert_hashed(&key[1..], h, start + 1, tag, index);
            }
            Tag::Complex => {
                if index as usize >= layout.complex_count {
                    return Err(corrupt("complex entry"));
                }
                let (base, snaps) = layout.complex_entry(b, index as usize);
                if let Some(base) = base {
                    give(base, |k| k == RuleKind::PathWithoutSnapshots)?;
                }
                for s in snaps {
                    // Of any instant: the record's is the rule's.
                    let rule = layout.snapshot_rule(b, s);
                    give(rule, |k| matches!(k, RuleKind::Snapshot(_)))?;
                }
                exact.insert_hashed(&key[1..], h, start + 1, tag, index);
            }
        }
    }
    for id in 0..n {
        let row = rows[id];
        if row.has_text {
            continue;
        }
        if row.text_from != Text::Related {
            return Err(corrupt("a rule without its index key"));
        }
        let related = row
            .status
            .related()
            .and_then(|id| rows.get(id.0 as usize))
            .filter(|r| r.text_from != Text::Related)
            .ok_or_else(|| corrupt("rule records"))?
            .text;
        rows[id].text = related;
        rows[id].has_text = true;
    }
    let trie = PrefixTrie::new(&prefixes)?;
    let few = match prefixes.len() == keys.len() {
        true => FewPrefixes::new(&prefixes),
        false => None,
    };
    Ok(Derived {
        prefixes: trie,
        few,
        exact,
    })
}
