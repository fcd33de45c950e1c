//! The serialized matcher: one byte buffer, read in place.
//!
//! ```text
//! header   72 bytes: magic "BLOBSEL\0", version u32, reserved u32, then
//!          u64 lengths: fst bytes, complex entries, snapshot entries,
//!          rule records, string bytes, source bytes, container bytes
//! fst      the fst::Map: canonical key -> tagged value
//! complex  12 bytes each: base rule u32 (u32::MAX: none), first snapshot
//!          u32, snapshot count u32
//! snaps    16 bytes each: ticks u64, rule u32, reserved u32 (sorted per entry)
//! rules    40 bytes each, in selection order (see RuleRecord)
//! strings  the rules' texts: the paths' in byte order, each once (so the
//!          exact paths lie in the order sorted input meets them), then the
//!          prefixes'
//! sources  count u32, then per source: length u32 and UTF-8 bytes
//! container  the container restriction, UTF-8 (empty: none)
//! ```
//!
//! All integers are little-endian. A fst value holds a tag in its top two
//! bits (prefix rule, path rule with all snapshots, complex entry) and a
//! rule id or complex-entry index below.

use std::borrow::Cow;

use crate::matcher::RuleStatus;
use crate::rule::{Rule, RuleKind};

pub(crate) const MAGIC: &[u8; 8] = b"BLOBSEL\0";
pub(crate) const VERSION: u32 = 1;
pub(crate) const HEADER: usize = 72;
pub(crate) const COMPLEX: usize = 12;
pub(crate) const SNAP: usize = 16;
pub(crate) const RULE: usize = 40;
pub(crate) const NONE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    Prefix = 0,
    PathAll = 1,
    Complex = 2,
}

/// The index key of a prefix rule with canonical text `text`: the text
/// itself, except that under a container restriction the prefix exactly
/// `/container` means `/container/` (compilation and loading both key
/// prefixes with this).
pub(crate) fn prefix_key<'a>(text: &'a [u8], container: Option<&str>) -> Cow<'a, [u8]> {
    match container {
        Some(c) if text.strip_prefix(b"/") == Some(c.as_bytes()) => {
            let mut key = text.to_vec();
            key.push(b'/');
            Cow::Owned(key)
        }
        _ => Cow::Borrowed(text),
    }
}

pub(crate) fn encode(tag: Tag, index: u32) -> u64 {
    ((tag as u64) << 62) | u64::from(index)
}

pub(crate) fn decode(v: u64) -> (Option<Tag>, u32) {
    let tag = match v >> 62 {
        0 => Some(Tag::Prefix),
        1 => Some(Tag::PathAll),
        2 => Some(Tag::Complex),
        _ => None,
    };
    (tag, v as u32)
}

/// All exact-path rules on one path that is not simply "path with all
/// snapshots".
pub(crate) struct ComplexEntry {
    pub base: Option<u32>,
    pub snapshots: Vec<(u64, u32)>,
}

pub(crate) struct RuleRecord<'a> {
    pub rule: &'a Rule,
    pub status: RuleStatus,
    pub source: u32,
}

pub(crate) fn kind_code(kind: RuleKind) -> (u8, u64) {
    match kind {
        RuleKind::Prefix => (0, 0),
        RuleKind::Path => (1, 0),
        RuleKind::PathWithoutSnapshots => (2, 0),
        RuleKind::Snapshot(t) => (3, t.ticks()),
    }
}

pub(crate) fn status_code(s: RuleStatus) -> (u8, u32) {
    match s {
        RuleStatus::Effective => (0, NONE),
        RuleStatus::Duplicate { of } => (1, of.0),
        RuleStatus::Covered { by } => (2, by.0),
    }
}

/// Where each rule's text goes in the strings section (by rule), and the
/// texts in the order they are written: in `order` (rule ids, every rule
/// once), each text once unless equal texts are apart in `order`.
fn lay_out_texts<'a>(records: &[RuleRecord<'a>], order: &[u32]) -> (Vec<u64>, Vec<&'a str>) {
    debug_assert_eq!(order.len(), records.len());
    let mut offsets = vec![0u64; records.len()];
    let mut texts: Vec<&'a str> = Vec::new();
    let mut end = 0u64;
    for &i in order {
        let text = records[i as usize].rule.text();
        if texts.last() != Some(&text) {
            texts.push(text);
            end += text.len() as u64;
        }
        offsets[i as usize] = end - text.len() as u64;
    }
    (offsets, texts)
}

/// The serialized matcher. `text_order` is the order to write the rules'
/// texts in (rule ids): the exact paths' in byte order.
pub(crate) fn write(
    fst: &[u8],
    complex: &[ComplexEntry],
    records: &[RuleRecord<'_>],
    text_order: &[u32],
    sources: &[&str],
    container: Option<&str>,
) -> Vec<u8> {
    let snap_count: usize = complex.iter().map(|c| c.snapshots.len()).sum();
    let (text_offsets, texts) = lay_out_texts(records, text_order);
    let strings_len: usize = texts.iter().map(|t| t.len()).sum();
    let sources_len: usize = 4 + sources.iter().map(|s| 4 + s.len()).sum::<usize>();
    let container = container.unwrap_or("");
    let total = HEADER
        + fst.len()
        + complex.len() * COMPLEX
        + snap_count * SNAP
        + records.len() * RULE
        + strings_len
        + sources_len
        + container.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    for n in [
        fst.len(),
        complex.len(),
        snap_count,
        records.len(),
        strings_len,
        sources_len,
        container.len(),
    ] {
        out.extend_from_slice(&(n as u64).to_le_bytes());
    }
    out.extend_from_slice(fst);
    let mut first = 0u32;
    for c in complex {
        out.extend_from_slice(&c.base.unwrap_or(NONE).to_le_bytes());
        out.extend_from_slice(&first.to_le_bytes());
        out.extend_from_slice(&(c.snapshots.len() as u32).to_le_bytes());
        first += c.snapshots.len() as u32;
    }
    for c in complex {
        for &(ticks, rule) in &c.snapshots {
            out.extend_from_slice(&ticks.to_le_bytes());
            out.extend_from_slice(&rule.to_le_bytes());
            out.extend_from_slice(&0u32.to_le_bytes());
        }
    }
    for (r, &text_off) in records.iter().zip(&text_offsets) {
        let (kind, ticks) = kind_code(r.rule.kind());
        let (status, related) = status_code(r.status);
        let pos = r.rule.origin().position;
        out.push(kind);
        out.push(status);
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&related.to_le_bytes());
        out.extend_from_slice(&text_off.to_le_bytes());
        out.extend_from_slice(&(r.rule.text().len() as u32).to_le_bytes());
        out.extend_from_slice(&pos.map_or(0, |p| p.line).to_le_bytes());
        out.extend_from_slice(&pos.map_or(0, |p| p.column).to_le_bytes());
        out.extend_from_slice(&r.source.to_le_bytes());
        out.extend_from_slice(&ticks.to_le_bytes());
    }
    for text in texts {
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(&(sources.len() as u32).to_le_bytes());
    for s in sources {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    out.extend_from_slice(container.as_bytes());
    debug_assert_eq!(out.len(), total);
    out
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).map_or(0, |s| {
        u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]])
    })
}
