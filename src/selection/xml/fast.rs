//! The fast path of the blob list reader: entries in the shape blob lists
//! are written in, read straight from the buffer without quick-xml.
//!
//! Between `<BlobList>` and `</BlobList>`, a blob list is almost always
//! whitespace and entries such as
//!
//! ```xml
//!   <BlobPath>container/blob</BlobPath>
//!   <BlobPath IncludeSnapshots="false">container/blob</BlobPath>
//!   <BlobPath SnapshotTime="2011-03-09T01:42:34.9360000Z">container/blob</BlobPath>
//!   <BlobPathPrefix>/container/dir/</BlobPathPrefix>
//! ```
//!
//! This reads such entries, one after another, as long as each is exactly
//! in that shape (one attribute at most, in double quotes, with a plain
//! ASCII value; text that is UTF-8 with only the five predefined entities)
//! and valid (its path and attribute value pass the checks). At anything
//! else (a comment, a character reference, CDATA, `</BlobList>`, an error,
//! the end of the input) it stops before the entry, and quick-xml reads
//! on from there: the reader of every case. Stopping is never wrong, only
//! slower, so the rules and errors are those quick-xml alone gives; the
//! differential tests and the `xml_selection` fuzz target hold the two to
//! that.

use std::io::Read;
use std::sync::Arc;

use super::source::Source;
use super::wellformed;
use crate::error::Position;
use crate::path::{BlobPath, MAX_BLOB_NAME_CHARS};
use crate::rule::{check_text, Origin, RuleBuilder, RuleKind};
use crate::snapshot::{self, SnapshotTime};
use crate::text;
use crate::words::{has_control, plain_ascii};

const PATH_START: &[u8] = b"<BlobPath>";
const PREFIX_START: &[u8] = b"<BlobPathPrefix>";
const WITH_ATTRIBUTE: &[u8] = b"<BlobPath ";
const PATH_END: &[u8] = b"</BlobPath>";
const PREFIX_END: &[u8] = b"</BlobPathPrefix>";

/// What one look at the buffer found.
enum Step {
    /// An entry of `len` bytes (with the whitespace before it), read; the
    /// next byte is at `end`.
    Read { len: usize, end: Position },
    /// The entry may be in the shape, but the buffer ends inside it.
    NeedMore,
    /// Not in the shape, or not valid: quick-xml reads on from here.
    Stop,
}

/// Reads entries from `src`, which stands between two entries (or just
/// after `<BlobList>`), into `rules` (named after `source`), until one it
/// leaves to quick-xml.
/// `offsets` gets the `SnapshotTime`s written with a non-UTC offset.
/// Returns how many entries it read; fails only when the input cannot be
/// read.
pub(super) fn read_entries<R: Read>(
    src: &mut Source<R>,
    source: &Arc<str>,
    rules: &mut RuleBuilder,
    offsets: &mut Vec<(usize, Box<str>)>,
) -> std::io::Result<usize> {
    let mut scratch = String::new();
    let mut count = 0;
    loop {
        let mut position = src.position();
        let mut used = 0;
        let mut step = Step::NeedMore;
        {
            let bytes = src.buffered();
            while used < bytes.len() {
                step = entry(
                    &bytes[used..],
                    position,
                    source,
                    rules,
                    offsets,
                    &mut scratch,
                );
                match step {
                    Step::Read { len, end } => {
                        used += len;
                        position = end;
                        count += 1;
                    }
                    _ => break,
                }
            }
        }
        if used > 0 {
            src.skip(used, position);
        }
        match step {
            Step::Stop => return Ok(count),
            // The buffer ended between entries or inside one.
            Step::Read { .. } | Step::NeedMore => {
                if !src.read_more(true)? {
                    return Ok(count);
                }
            }
        }
    }
}

fn is_xml_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Reads the whitespace and the entry at the start of `bytes`, which
/// starts at `at`; adds its rule when it is in the shape and valid.
fn entry(
    bytes: &[u8],
    mut at: Position,
    source: &Arc<str>,
    rules: &mut RuleBuilder,
    offsets: &mut Vec<(usize, Box<str>)>,
    scratch: &mut String,
) -> Step {
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\n' => {
                at.line = at.line.saturating_add(1);
                at.column = 1;
            }
            b' ' | b'\t' | b'\r' => at.column = at.column.saturating_add(1),
            _ => break,
        }
        i += 1;
    }
    let tag = &bytes[i..];
    if tag.is_empty() {
        return Step::NeedMore;
    }
    if tag[0] != b'<' {
        return Step::Stop;
    }
    // In the shape, the start tag is ASCII and ends at the first `>`.
    let Some(gt) = memchr::memchr(b'>', tag) else {
        return Step::NeedMore;
    };
    let start_tag = &tag[..=gt];
    let mut kind = RuleKind::Path;
    let mut offset_time = None;
    if start_tag == PREFIX_START {
        kind = RuleKind::Prefix;
    } else if start_tag == PATH_START {
    } else if let Some(attribute) = start_tag
        .strip_prefix(WITH_ATTRIBUTE)
        .and_then(|a| a.strip_suffix(b"\">"))
    {
        match path_kind(attribute) {
            Some((k, offset)) => {
                kind = k;
                offset_time = offset;
            }
            None => return Step::Stop,
        }
    } else {
        return Step::Stop;
    }
    let body = &tag[start_tag.len()..];
    let Some(lt) = memchr::memchr(b'<', body) else {
        return Step::NeedMore;
    };
    let raw = &body[..lt];
    let end_tag = if kind == RuleKind::Prefix {
        PREFIX_END
    } else {
        PATH_END
    };
    let after = &body[lt..];
    if !after.starts_with(end_tag) {
        return if after.len() < end_tag.len() && end_tag.starts_with(after) {
            Step::NeedMore
        } else {
            Step::Stop
        };
    }
    let lead = raw.iter().take_while(|b| is_xml_ws(**b)).count();
    let trail = raw[lead..]
        .iter()
        .rev()
        .take_while(|b| is_xml_ws(**b))
        .count();
    let trimmed = &raw[lead..raw.len() - trail];
    let Some((text, ascii)) = content(raw, trimmed, scratch) else {
        return Step::Stop;
    };
    if !valid(kind, text, ascii) {
        return Step::Stop;
    }
    // Only the whitespace around the text can hold a newline: a control
    // character inside it is refused above.
    let end = if raw[..lead].contains(&b'\n') || raw[raw.len() - trail..].contains(&b'\n') {
        at.advance(start_tag).advance(raw).advance(end_tag)
    } else {
        let chars = if ascii {
            raw.len() as u32
        } else {
            text::chars(raw)
        };
        let columns = start_tag.len() as u32 + chars + end_tag.len() as u32;
        Position {
            line: at.line,
            column: at.column.saturating_add(columns),
        }
    };
    if let Some(time) = offset_time {
        offsets.push((rules.len(), time));
    }
    let origin = Origin {
        source: source.clone(),
        position: Some(at),
    };
    rules.push(kind, text, origin);
    Step::Read {
        len: i + start_tag.len() + lt + end_tag.len(),
        end,
    }
}

/// The kind of a `BlobPath` whose one attribute is `attribute` (from its
/// name to the value's closing quote, exclusive), with the `SnapshotTime`
/// as written when its offset is not UTC's; `None` when the attribute is
/// not in the shape or its value is not valid.
fn path_kind(attribute: &[u8]) -> Option<(RuleKind, Option<Box<str>>)> {
    let (name, value) = if let Some(v) = attribute.strip_prefix(b"IncludeSnapshots=\"") {
        (true, v)
    } else {
        (false, attribute.strip_prefix(b"SnapshotTime=\"")?)
    };
    // Plain ASCII without quotes, markup, references or whitespace: what
    // quick-xml would give back unchanged and untrimmed.
    if !value
        .iter()
        .all(|&b| b.is_ascii_graphic() && !matches!(b, b'"' | b'\'' | b'<' | b'>' | b'&'))
    {
        return None;
    }
    if name {
        return match value {
            b"true" | b"1" => Some((RuleKind::Path, None)),
            b"false" | b"0" => Some((RuleKind::PathWithoutSnapshots, None)),
            _ => None,
        };
    }
    let time = SnapshotTime::parse(value).ok()?;
    let offset = snapshot::non_utc_offset(value).map(|_| {
        // ASCII, checked above.
        String::from_utf8_lossy(value).into()
    });
    Some((RuleKind::Snapshot(time), offset))
}

/// Whether `text` is a valid rule of `kind`, as [`check_text`] says;
/// quicker for plain ASCII (`ascii`), which holds no control character.
fn valid(kind: RuleKind, text: &str, ascii: bool) -> bool {
    if ascii {
        if kind == RuleKind::Prefix {
            return text.starts_with('/');
        }
        if let Some(path) = BlobPath::split_ordinary(text) {
            // A valid container, a non-empty name: only its length is left,
            // in characters, which are bytes here.
            return path.name.len() <= MAX_BLOB_NAME_CHARS;
        }
    }
    check_text(kind, text).is_ok()
}

/// The text of an entry whose content is `raw`, `trimmed` of literal
/// whitespace: UTF-8, with the predefined entities decoded (into
/// `scratch`), and whether it is plain ASCII; `None` when quick-xml should
/// look at it (anything that is not well-formed, character references,
/// control characters, which no valid path holds).
fn content<'a>(raw: &[u8], trimmed: &'a [u8], scratch: &'a mut String) -> Option<(&'a str, bool)> {
    if let Some(text) = plain_ascii(trimmed) {
        // No control character, nothing XML refuses but "]]>", which the
        // surrounding whitespace cannot complete.
        if memchr::memchr2(b'&', b']', trimmed).is_none() {
            return Some((text, true));
        }
    }
    wellformed::check_text(raw, Position { line: 1, column: 1 }).ok()?;
    if has_control(trimmed) {
        return None;
    }
    let text = std::str::from_utf8(trimmed).ok()?;
    let ascii = text.is_ascii();
    if !text.contains('&') {
        return Some((text, ascii));
    }
    scratch.clear();
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        scratch.push_str(&rest[..amp]);
        let after = &rest[amp..];
        let (c, len) = [
            ("&amp;", '&'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&apos;", '\''),
            ("&quot;", '"'),
        ]
        .iter()
        .find(|(e, _)| after.starts_with(e))
        .map(|(e, c)| (*c, e.len()))?;
        scratch.push(c);
        rest = &after[len..];
    }
    scratch.push_str(rest);
    // The decoded text is not what stands in the document: count the raw
    // bytes' characters for the position.
    Some((scratch, false))
}
