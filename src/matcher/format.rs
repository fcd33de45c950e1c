//! The serialized matcher: one byte buffer.
//!
//! ```text
//! header   112 bytes: magic "BLOBSEL\0", version u32, checksum u32 (the
//!          CRC-32 of every byte after it, so of all the rest), then
//!          u64 lengths: fst bytes, complex entries, snapshot entries,
//!          rules, rule-record bytes, key-text bytes, source bytes,
//!          container bytes, exact paths, exact-record bytes, home
//!          slots, slots
//! fst      the fst::Map of the effective prefixes: key -> rule id
//! complex  12 bytes each: base rule u32 (u32::MAX: none), first snapshot
//!          u32, snapshot count u32
//! snaps    16 bytes each: ticks u64, rule u32, reserved u32 (sorted per entry)
//! records  one per rule, in selection order: two bytes for a blob list's
//!          path on the line after the last (below)
//! sources  count u32, then per source: length u32 and UTF-8 bytes
//! container  the container restriction, UTF-8 (empty: none)
//! offsets  u32 each, one per exact path in byte order: its record's
//!          offset in the exact records
//! exact    one record per effective exact path, in byte order: u16
//!          length of its key (bit 15: the value is a complex entry, else
//!          a path-all rule), u32 value, the key (`/container/blob`)
//! slots    u64 each: the hash table of the exact paths (`exact`): low
//!          half a fingerprint of the key's hash, high half its record's
//!          offset; all ones is an empty slot
//! ```
//!
//! Loading uses these bytes in place (a memory map serves; format 2 kept every
//! exact path as an fst key, which loading read back to rebuild a hash
//! table): it checks the checksum, every length, and the exact paths'
//! records and slots, and derives only the trie of the prefixes. The
//! exact paths' hash is part of the format: changing `exact::hash` needs a
//! new version.
//!
//! All fixed-width integers are little-endian. A fst value holds a tag in
//! its top two bits (always a prefix rule's, 0) and a rule id below.
//!
//! The rules' texts are not stored twice: an effective rule's text is its
//! key, in the fst (a prefix, read back at load) or in the exact records
//! (a path, read in place). "Key-text bytes" is the sum of the fst's keys'
//! lengths, which bounds that stream. A rule record is:
//!
//! ```text
//! head     u8: kind (bits 0-1: prefix, path, path without snapshots,
//!          snapshot), status (bits 2-3: effective, duplicate, covered),
//!          text (bits 4-5, `Text`), has position (bit 6), source
//!          differs from the previous record's (bit 7)
//! related  varint, if not effective: the rule it duplicates or is covered by
//! position varint: zigzag(line minus the previous position's line) * 2,
//!          plus 1 if the column is the previous position's; else varint
//!          column follows (if bit 6)
//! source   varint, the source's index (if bit 7; else the previous one's)
//! ticks    u64, if a snapshot rule
//! text     varint length and UTF-8 bytes, if `Text::Inline`
//! ```

use std::borrow::Cow;
use std::ops::Range;

use crate::error::{Error, ErrorKind, Position};
use crate::matcher::{corrupt, RuleId, RuleStatus};
use crate::rule::{Rule, RuleKind};
use crate::snapshot::SnapshotTime;

pub(crate) const MAGIC: &[u8; 8] = b"BLOBSEL\0";
const VERSION: u32 = 3;
/// How many u64 lengths follow the magic, version and checksum.
const LENGTHS: usize = 12;
pub(crate) const HEADER: usize = 16 + 8 * LENGTHS;
const COMPLEX: usize = 12;
const SNAP: usize = 16;
/// A complex entry's base rule when it has none.
const NONE: u32 = u32::MAX;
/// The longest key a rule can have: `/`, a container of at most 63
/// characters, `/`, a blob name of at most 1,024 characters of at most 4
/// bytes, and the `/` a container restriction may add. Loading refuses
/// longer keys, which bounds the work a crafted fst can ask for.
pub(crate) const MAX_KEY: usize = 1 + 63 + 1 + 4 * crate::path::MAX_BLOB_NAME_CHARS + 1;

/// What an index value names: a prefix rule, a path rule that takes all
/// snapshots, or a complex entry (in the fst, the top two bits of a value;
/// in an exact path's record, bit 15 of its length).
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

/// The fst value of `tag` naming rule or complex entry `index`.
pub(crate) fn encode(tag: Tag, index: u32) -> u64 {
    ((tag as u64) << 62) | u64::from(index)
}

/// The tag (`None`: a value no index holds) and the index of fst value `v`.
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

/// Where a rule's text comes from (bits 4-5 of its record's head).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Text {
    /// Its key (an effective rule): in the fst, or an exact path's record.
    Key = 0,
    /// Its key without the trailing `/` (an effective prefix `/container`
    /// under a restriction to that container, keyed `/container/`).
    KeyLessSlash = 1,
    /// The text of the rule it duplicates or is covered by.
    Related = 2,
    /// In the record.
    Inline = 3,
}

impl Text {
    /// The text source of code `code` (two bits).
    fn of(code: u8) -> Text {
        match code & 3 {
            0 => Text::Key,
            1 => Text::KeyLessSlash,
            2 => Text::Related,
            _ => Text::Inline,
        }
    }

    /// Whether the text is the rule's own key, as exactly an effective
    /// rule's is.
    fn is_key(self) -> bool {
        matches!(self, Text::Key | Text::KeyLessSlash)
    }
}

// The codes of a rule's kind (bits 0-1 of its record's head).
const PREFIX: u8 = 0;
const PATH: u8 = 1;
const PATH_WITHOUT_SNAPSHOTS: u8 = 2;
const SNAPSHOT: u8 = 3;
// The codes of a rule's status (bits 2-3; 3 is none).
const EFFECTIVE: u8 = 0;
const DUPLICATE: u8 = 1;
const COVERED: u8 = 2;
// The flags of a record's head.
const HAS_POSITION: u8 = 1 << 6;
const NEW_SOURCE: u8 = 1 << 7;

/// The code of a rule kind, and a snapshot's ticks (which the record
/// holds after the source).
fn kind_code(kind: RuleKind) -> (u8, Option<u64>) {
    match kind {
        RuleKind::Prefix => (PREFIX, None),
        RuleKind::Path => (PATH, None),
        RuleKind::PathWithoutSnapshots => (PATH_WITHOUT_SNAPSHOTS, None),
        RuleKind::Snapshot(t) => (SNAPSHOT, Some(t.ticks())),
    }
}

/// The rule kind of code `code`, a snapshot's ticks read from `r`.
fn read_kind(code: u8, r: &mut Reader<'_>) -> Option<RuleKind> {
    Some(match code {
        PREFIX => RuleKind::Prefix,
        PATH => RuleKind::Path,
        PATH_WITHOUT_SNAPSHOTS => RuleKind::PathWithoutSnapshots,
        _ => RuleKind::Snapshot(SnapshotTime::from_ticks(r.u64()?)),
    })
}

/// The code of a rule status, and the rule it names (which the record
/// holds right after its head).
fn status_code(s: RuleStatus) -> (u8, Option<RuleId>) {
    match s {
        RuleStatus::Effective => (EFFECTIVE, None),
        RuleStatus::Duplicate { of } => (DUPLICATE, Some(of)),
        RuleStatus::Covered { by } => (COVERED, Some(by)),
    }
}

/// The rule status of code `code`, the rule it names read from `r`;
/// `None` for the code that is none.
fn read_status(code: u8, r: &mut Reader<'_>) -> Option<RuleStatus> {
    Some(match code {
        EFFECTIVE => RuleStatus::Effective,
        DUPLICATE => RuleStatus::Duplicate {
            of: RuleId(r.u32_varint()?),
        },
        COVERED => RuleStatus::Covered {
            by: RuleId(r.u32_varint()?),
        },
        _ => return None,
    })
}

/// A rule as compilation writes its record.
pub(crate) struct RuleRecord<'a> {
    pub rule: &'a Rule,
    pub status: RuleStatus,
    pub source: u32,
    pub text: Text,
}

/// The rule records, in selection order.
pub(crate) fn records<'a>(records: impl Iterator<Item = RuleRecord<'a>>) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.size_hint().0 * 2);
    write_records(records, &mut out);
    out
}

/// Writes the rule records, in selection order.
fn write_records<'a>(records: impl IntoIterator<Item = RuleRecord<'a>>, out: &mut Vec<u8>) {
    let (mut line, mut column, mut source) = (0u32, 0u32, 0u32);
    for r in records {
        let (kind, ticks) = kind_code(r.rule.kind());
        let (status, related) = status_code(r.status);
        // Positions are 1-based; a line 0 means none (as `rule` reads it).
        let pos = r.rule.origin().position.filter(|p| p.line > 0);
        let mut head = kind | status << 2 | (r.text as u8) << 4;
        if pos.is_some() {
            head |= HAS_POSITION;
        }
        if r.source != source {
            head |= NEW_SOURCE;
        }
        out.push(head);
        if let Some(related) = related {
            put_varint(out, u64::from(related.0));
        }
        if let Some(p) = pos {
            let same = p.column == column;
            put_varint(
                out,
                zigzag(i64::from(p.line) - i64::from(line)) << 1 | u64::from(same),
            );
            if !same {
                put_varint(out, u64::from(p.column));
            }
            (line, column) = (p.line, p.column);
        }
        if r.source != source {
            put_varint(out, u64::from(r.source));
            source = r.source;
        }
        if let Some(ticks) = ticks {
            out.extend_from_slice(&ticks.to_le_bytes());
        }
        if r.text == Text::Inline {
            put_varint(out, r.rule.text().len() as u64);
            out.extend_from_slice(r.rule.text().as_bytes());
        }
    }
}

/// A rule record as loaded; its text is filled in from the fst's keys or
/// the record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Row {
    pub kind: RuleKind,
    pub status: RuleStatus,
    /// Where its text comes from.
    pub text_from: Text,
    /// Its 1-based line and column in its source; line 0: no position.
    pub line: u32,
    pub column: u32,
    /// Its source, an index into the source names.
    pub source: u32,
    /// The text's start and length in the matcher's texts, or (if
    /// `in_index`) an exact path's record's offset and the text's length.
    pub text: (u32, u32),
    /// Whether `text` is an exact path's record in the index.
    pub in_index: bool,
    /// Whether `text` is set.
    pub has_text: bool,
}

impl Row {
    /// Its position in its source, if it has one.
    pub(crate) fn position(&self) -> Option<Position> {
        (self.line > 0).then_some(Position {
            line: self.line,
            column: self.column,
        })
    }
}

/// Reads `count` rule records from `bytes` (all of it), appending inline
/// texts to `texts`. `None`: the records are malformed.
#[cfg(test)]
pub(crate) fn read_records(
    bytes: &[u8],
    count: usize,
    sources: usize,
    texts: &mut Vec<u8>,
) -> Option<Vec<Row>> {
    // Every record takes a byte at least.
    let mut rows = Vec::with_capacity(count.min(bytes.len()));
    for_each_record(bytes, count, sources, texts, |row| {
        rows.push(row);
        true
    })?;
    Some(rows)
}

/// Reads `count` rule records from `bytes` (all of it), appending inline
/// texts to `texts`, and gives each to `each` in turn. `None`: the records
/// are malformed, or `each` said so (returned false).
pub(crate) fn for_each_record(
    bytes: &[u8],
    count: usize,
    sources: usize,
    texts: &mut Vec<u8>,
    mut each: impl FnMut(Row) -> bool,
) -> Option<()> {
    let mut r = Reader { bytes, at: 0 };
    let (mut line, mut column, mut source) = (0u32, 0u32, 0u32);
    for _ in 0..count {
        let head = r.byte()?;
        let text_from = Text::of(head >> 4);
        let status = read_status((head >> 2) & 3, &mut r)?;
        if (status == RuleStatus::Effective) != text_from.is_key() {
            return None;
        }
        let (mut row_line, mut row_column) = (0, 0);
        if head & HAS_POSITION != 0 {
            let v = r.varint()?;
            line = u32::try_from(i64::from(line).checked_add(unzigzag(v >> 1))?).ok()?;
            if v & 1 == 0 {
                column = r.u32_varint()?;
            }
            (row_line, row_column) = (line, column);
            if line == 0 {
                return None;
            }
        }
        if head & NEW_SOURCE != 0 {
            source = r.u32_varint()?;
        }
        if source as usize >= sources {
            return None;
        }
        let kind = read_kind(head & 3, &mut r)?;
        let (mut text, mut has_text) = ((0, 0), false);
        if text_from == Text::Inline {
            let len = usize::try_from(r.varint()?).ok()?;
            let inline = std::str::from_utf8(r.take(len)?).ok()?;
            let start = u32::try_from(texts.len()).ok()?;
            texts.extend_from_slice(inline.as_bytes());
            (text, has_text) = ((start, u32::try_from(len).ok()?), true);
            u32::try_from(texts.len()).ok()?;
        }
        let row = Row {
            kind,
            status,
            text_from,
            line: row_line,
            column: row_column,
            source,
            text,
            in_index: false,
            has_text,
        };
        if !each(row) {
            return None;
        }
    }
    (r.at == bytes.len()).then_some(())
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    (v >> 1) as i64 ^ -((v & 1) as i64)
}

/// Reads `bytes` in order; `None` past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn u32_varint(&mut self) -> Option<u32> {
        u32::try_from(self.varint()?).ok()
    }

    /// A little-endian u64.
    fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        Some(u64_at(b, 0))
    }

    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let s = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
}

/// Where a serialized matcher's sections lie, and the counts its header
/// gives beside their lengths: what writing puts in the header and
/// loading reads back and checks, in one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layout {
    /// How many rules (and so rule records) there are.
    pub rules: usize,
    /// The sum of the lengths of the fst's keys.
    pub key_text: usize,
    /// How many exact paths there are, and how many home slots their
    /// hash table has.
    pub exact_count: usize,
    pub homes: usize,
    /// How many complex entries there are.
    pub complex_count: usize,
    /// How many snapshot entries there are.
    pub snap_count: usize,
    /// The sections' bytes, in the order they follow the header.
    pub fst: Range<usize>,
    pub complex: Range<usize>,
    pub snaps: Range<usize>,
    pub records: Range<usize>,
    pub sources: Range<usize>,
    pub container: Range<usize>,
    pub offsets: Range<usize>,
    pub exact: Range<usize>,
    pub slots: Range<usize>,
}

impl Layout {
    /// The layout of sections of these lengths, in the header's order
    /// (fst bytes, complex entries, snapshot entries, rules, rule-record
    /// bytes, key-text bytes, source bytes, container bytes, exact paths,
    /// exact-record bytes, home slots, slots); `None` if they add up past
    /// `usize`.
    fn new(lengths: [usize; LENGTHS]) -> Option<Layout> {
        let [fst, complex_count, snap_count, rules, records, key_text, sources, container, exact_count, exact, homes, slots] =
            lengths;
        let sizes = [
            fst,
            complex_count.checked_mul(COMPLEX)?,
            snap_count.checked_mul(SNAP)?,
            records,
            sources,
            container,
            exact_count.checked_mul(4)?,
            exact,
            slots.checked_mul(8)?,
        ];
        let mut sections = [(); 9].map(|()| 0..0);
        let mut at = HEADER;
        for (section, size) in sections.iter_mut().zip(sizes) {
            let end = at.checked_add(size)?;
            *section = at..end;
            at = end;
        }
        let [fst, complex, snaps, records, sources, container, offsets, exact, slots] = sections;
        Some(Layout {
            rules,
            key_text,
            exact_count,
            homes,
            complex_count,
            snap_count,
            fst,
            complex,
            snaps,
            records,
            sources,
            container,
            offsets,
            exact,
            slots,
        })
    }

    /// Where the exact paths' sections lie.
    pub(crate) fn exact_sections(&self) -> crate::matcher::exact::Sections {
        crate::matcher::exact::Sections {
            count: self.exact_count,
            homes: self.homes,
            offsets: self.offsets.clone(),
            records: self.exact.clone(),
            slots: self.slots.clone(),
        }
    }

    /// The lengths the header holds, in its order.
    fn lengths(&self) -> [usize; LENGTHS] {
        [
            self.fst.len(),
            self.complex_count,
            self.snap_count,
            self.rules,
            self.records.len(),
            self.key_text,
            self.sources.len(),
            self.container.len(),
            self.exact_count,
            self.exact.len(),
            self.homes,
            self.slots.len() / 8,
        ]
    }

    /// The length of the whole serialized matcher.
    fn len(&self) -> usize {
        self.slots.end
    }

    /// The header, its checksum left zero (see [`seal`]).
    fn write_header(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        for n in self.lengths() {
            out.extend_from_slice(&(n as u64).to_le_bytes());
        }
    }

    /// Reads the header of `b`, a whole serialized matcher, and checks its
    /// magic, version and checksum, and that its lengths fit and add up to
    /// `b`'s.
    pub(crate) fn read(b: &[u8]) -> Result<Layout, Error> {
        if b.len() < 12 || &b[..8] != MAGIC {
            return Err(corrupt("no blobsel header"));
        }
        let version = u32_at(b, 8);
        if version != VERSION {
            return Err(Error::new(
                ErrorKind::InvalidIndex,
                format!(
                    "index format version {version}, this blobsel reads version {VERSION}: \
                     recompile the index from the selection with `blobsel compile`"
                ),
            ));
        }
        if b.len() < HEADER {
            return Err(corrupt("no blobsel header"));
        }
        if checksum(b) != u32_at(b, 12) {
            return Err(Error::new(
                ErrorKind::InvalidIndex,
                "the index is damaged (its checksum does not match): copy it again, \
                 or recompile it from the selection",
            ));
        }
        let mut lengths = [0usize; LENGTHS];
        for (i, n) in lengths.iter_mut().enumerate() {
            *n = usize::try_from(u64_at(b, 16 + 8 * i)).map_err(|_| corrupt("length"))?;
        }
        let [_, _, _, rules, records, key_text, ..] = lengths;
        if rules > records || rules >= u32::MAX as usize {
            return Err(corrupt("rule count"));
        }
        if key_text > u32::MAX as usize {
            return Err(Error::new(
                ErrorKind::InvalidIndex,
                "the rules' texts exceed 4 GiB: split the selection",
            ));
        }
        let layout = Layout::new(lengths).ok_or_else(|| corrupt("length"))?;
        if layout.len() != b.len() {
            return Err(corrupt("length mismatch"));
        }
        Ok(layout)
    }

    /// The sources named in `b`'s sources section, as ranges of `b`, each
    /// checked to be UTF-8; and the container section checked likewise.
    pub(crate) fn read_sources(&self, b: &[u8]) -> Result<Vec<Range<usize>>, Error> {
        let mut sources = Vec::new();
        let mut at = self.sources.start;
        let count = u32_at(b, at) as usize;
        at += 4;
        for _ in 0..count {
            let n = u32_at(b, at) as usize;
            let (s, e) = (at + 4, at + 4 + n);
            if e > self.sources.end || std::str::from_utf8(&b[s..e]).is_err() {
                return Err(corrupt("source names"));
            }
            sources.push(s..e);
            at = e;
        }
        if std::str::from_utf8(&b[self.container.clone()]).is_err() {
            return Err(corrupt("container"));
        }
        Ok(sources)
    }

    /// Complex entry `index` of `b`: its base rule, if any, and its
    /// snapshot entries (indices into the snapshot section).
    #[inline]
    pub(crate) fn complex_entry(&self, b: &[u8], index: usize) -> (Option<u32>, Range<usize>) {
        let at = self.complex.start + index * COMPLEX;
        let base = u32_at(b, at);
        let first = u32_at(b, at + 4) as usize;
        let count = u32_at(b, at + 8) as usize;
        (
            (base != NONE).then_some(base),
            first..first.saturating_add(count),
        )
    }

    /// The rule of snapshot entry `index` of `b`.
    #[inline]
    pub(crate) fn snapshot_rule(&self, b: &[u8], index: usize) -> u32 {
        u32_at(b, self.snaps.start + index * SNAP + 8)
    }

    /// The rule of the snapshot entry among `entries` (a complex entry's,
    /// sorted by ticks) for the snapshot at `ticks`, if any.
    #[inline]
    pub(crate) fn find_snapshot(&self, b: &[u8], entries: Range<usize>, ticks: u64) -> Option<u32> {
        let start = self.snaps.start + entries.start * SNAP;
        let count = entries.len();
        let snaps = b.get(start..start + count * SNAP)?;
        // Entries are sorted by ticks: binary search in place.
        let (mut lo, mut hi) = (0, count);
        while lo < hi {
            let mid = (lo + hi) / 2;
            match u64_at(snaps, mid * SNAP).cmp(&ticks) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(u32_at(snaps, mid * SNAP + 8)),
            }
        }
        None
    }
}

/// The serialized matcher. `key_text` is the sum of the lengths of the
/// fst's keys; `exact` the effective exact paths (in byte order, with
/// their values), laid out as `built`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn write(
    fst: &[u8],
    key_text: usize,
    complex: &[ComplexEntry],
    rule_count: usize,
    rules: &[u8],
    sources: &[&str],
    container: Option<&str>,
    exact: &[(&[u8], Tag, u32)],
    built: &crate::matcher::exact::Built,
) -> Vec<u8> {
    let snap_count: usize = complex.iter().map(|c| c.snapshots.len()).sum();
    let sources_len: usize = 4 + sources.iter().map(|s| 4 + s.len()).sum::<usize>();
    let container = container.unwrap_or("");
    let layout = Layout::new([
        fst.len(),
        complex.len(),
        snap_count,
        rule_count,
        rules.len(),
        key_text,
        sources_len,
        container.len(),
        exact.len(),
        built.records_len,
        built.homes,
        built.slots.len(),
    ])
    .expect("the sections of an index in memory add up below usize::MAX");
    let mut out = Vec::with_capacity(layout.len());
    layout.write_header(&mut out);
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
    out.extend_from_slice(rules);
    out.extend_from_slice(&(sources.len() as u32).to_le_bytes());
    for s in sources {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    }
    out.extend_from_slice(container.as_bytes());
    for o in &built.offsets {
        out.extend_from_slice(&o.to_le_bytes());
    }
    crate::matcher::exact::write_records(exact, &mut out);
    for s in &built.slots {
        out.extend_from_slice(&s.to_le_bytes());
    }
    debug_assert_eq!(out.len(), layout.len());
    seal(&mut out);
    out
}

/// Writes the checksum of `index` into its header.
fn seal(index: &mut [u8]) {
    let sum = checksum(index);
    index[12..16].copy_from_slice(&sum.to_le_bytes());
}

/// The checksum of a serialized matcher: the CRC-32 of its bytes after
/// the magic, the version and the checksum itself.
fn checksum(index: &[u8]) -> u32 {
    crc32fast::hash(index.get(16..).unwrap_or_default())
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).map_or(0, |s| {
        u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_zigzag_round_trip() {
        for v in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            let mut r = Reader { bytes: &out, at: 0 };
            assert_eq!(r.varint(), Some(v));
            assert_eq!(r.at, out.len());
        }
        for v in [
            0i64,
            1,
            -1,
            63,
            -64,
            i64::from(u32::MAX),
            -i64::from(u32::MAX),
        ] {
            assert_eq!(unzigzag(zigzag(v)), v);
        }
        // Too long, or cut short.
        let mut r = Reader {
            bytes: &[0x80; 11],
            at: 0,
        };
        assert_eq!(r.varint(), None);
        let mut r = Reader {
            bytes: &[0x80],
            at: 0,
        };
        assert_eq!(r.varint(), None);
    }

    /// The header writing puts down is the layout reading finds.
    #[test]
    fn a_layout_reads_back_from_its_header() {
        let lengths = [7, 2, 3, 5, 9, 11, 13, 4, 6, 30, 8, 10];
        let layout = Layout::new(lengths).unwrap();
        assert_eq!(layout.lengths(), lengths);
        assert_eq!(
            [&layout.fst, &layout.complex, &layout.snaps],
            [
                &(HEADER..HEADER + 7),
                &(HEADER + 7..HEADER + 31),
                &(HEADER + 31..HEADER + 79)
            ]
        );
        let mut b = Vec::new();
        layout.write_header(&mut b);
        assert_eq!(b.len(), HEADER);
        b.resize(layout.len(), 0);
        seal(&mut b);
        assert_eq!(Layout::read(&b).unwrap(), layout);
        let mut lengths = [0; LENGTHS];
        lengths[0] = usize::MAX;
        lengths[1] = 1;
        assert!(Layout::new(lengths).is_none());
        for i in [1, 11] {
            let mut lengths = [0; LENGTHS];
            lengths[i] = usize::MAX / 2;
            assert!(Layout::new(lengths).is_none(), "{i}");
        }
    }

    #[test]
    fn malformed_records_are_refused() {
        let mut texts = Vec::new();
        // Effective, text from its key, no position: one byte.
        assert!(read_records(&[0x01], 1, 1, &mut texts).is_some());
        for (bytes, why) in [
            (&[0x01, 0x01][..], "a byte left over"),
            (&[0x0D][..], "status 3"),
            (&[0x21][..], "effective with a related rule's text"),
            (
                &[0x05][..],
                "a duplicate with its key's text: no related id",
            ),
            (&[0x41][..], "a position cut short"),
            (&[0x41, 0x01][..], "line 0 (positions are 1-based)"),
            (&[0x81, 0x01][..], "a source past the sources"),
            (&[0x03, 0, 0, 0][..], "ticks cut short"),
            (&[0x35, 0x00, 0x02, b'/'][..], "inline text cut short"),
            (&[0x35, 0x00, 0x01, 0xFF][..], "inline text not UTF-8"),
        ] {
            assert!(read_records(bytes, 1, 1, &mut texts).is_none(), "{why}");
        }
        let rows = read_records(&[0x35, 0x00, 0x02, b'/', b'a'], 1, 1, &mut texts).unwrap();
        assert_eq!(
            (rows[0].status, rows[0].text),
            (RuleStatus::Duplicate { of: RuleId(0) }, (0, 2))
        );
        assert_eq!(texts, b"/a");
    }

    /// Every kind, status and text source a record can hold reads back as
    /// it was written, with its position and source.
    #[test]
    fn records_read_back_as_written() {
        let at = |line, column| Some(Position { line, column });
        let origin = |source: &str, position| crate::rule::Origin {
            source: source.into(),
            position,
        };
        let t = SnapshotTime::from_ticks(638_000_000_000_000_000);
        let rules = [
            Rule::prefix("/c00/", origin("a", at(2, 3))).unwrap(),
            Rule::path("/c00/x", RuleKind::Path, origin("a", at(3, 3))).unwrap(),
            Rule::path("/c00/y", RuleKind::PathWithoutSnapshots, origin("b", None)).unwrap(),
            Rule::path("/c00/y", RuleKind::Snapshot(t), origin("b", at(1, 9))).unwrap(),
            Rule::prefix("/c00/d/", origin("a", at(9, 1))).unwrap(),
        ];
        let dup = RuleStatus::Duplicate { of: RuleId(3) };
        let covered = RuleStatus::Covered { by: RuleId(0) };
        let written = [
            (RuleStatus::Effective, 0, Text::KeyLessSlash),
            (RuleStatus::Effective, 0, Text::Key),
            (RuleStatus::Effective, 1, Text::Key),
            (dup, 1, Text::Related),
            (covered, 0, Text::Inline),
        ];
        let records: Vec<RuleRecord<'_>> = rules
            .iter()
            .zip(written)
            .map(|(rule, (status, source, text))| RuleRecord {
                rule,
                status,
                source,
                text,
            })
            .collect();
        let mut bytes = Vec::new();
        write_records(records, &mut bytes);
        let mut texts = b"keys".to_vec();
        let rows = read_records(&bytes, rules.len(), 2, &mut texts).unwrap();
        for ((row, rule), (status, source, text)) in rows.iter().zip(&rules).zip(written) {
            assert_eq!(
                (row.kind, row.status, row.source, row.text_from),
                (rule.kind(), status, source, text)
            );
            assert_eq!(row.position(), rule.origin().position);
            assert_eq!(row.has_text, text == Text::Inline);
        }
        assert_eq!(rows[4].text, (4, 7));
        assert_eq!(texts, b"keys/c00/d/");
    }
}
