//! The blob list XML ("blob list blob"): a streaming reader and a writer.
//!
//! ```xml
//! <?xml version="1.0" encoding="utf-8"?>
//! <BlobList>
//!   <BlobPathPrefix>/photos/2024/</BlobPathPrefix>
//!   <BlobPath>videos/intro.mp4</BlobPath>
//!   <BlobPath IncludeSnapshots="false">docs/a.txt</BlobPath>
//!   <BlobPath SnapshotTime="2011-03-09T01:42:34.9360000Z">docs/b.txt</BlobPath>
//! </BlobList>
//! ```
//!
//! The reader never builds a DOM and never holds the document: it streams
//! through a 256 KiB buffer, and memory grows with the rules (64 bytes
//! each, their texts in shared blocks), not with the text. A DOCTYPE is
//! rejected before anything in it is looked at, so no entity is ever
//! expanded; the predefined entities, character references and CDATA are
//! decoded; literal whitespace around a path is trimmed.
//!
//! quick-xml reads everything; entries in the usual shape (above) are read
//! by a fast path (`xml/fast.rs`) that hands anything else back to it, with
//! the same outcome.

use std::io::Read;
use std::sync::Arc;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::errors::Sink;
use crate::error::{Error, ErrorKind, Position};
use crate::rule::{check_text, Origin, Rule, RuleBuilder, RuleKind};
use crate::snapshot::{self, SnapshotTime};
use crate::text;

mod fast;
mod source;
mod wellformed;

use source::Source;
use wellformed::DeclPlace;

const ROOT: &[u8] = b"BlobList";
const PATH: &[u8] = b"BlobPath";
const PREFIX: &[u8] = b"BlobPathPrefix";
const ESCAPES: &str = "&lt; &gt; &amp; &apos; &quot; and character references";

/// What a blob list says: its rules, and the `SnapshotTime`s written with
/// an offset other than UTC's (the index of the rule, the text as written).
#[derive(Default)]
pub(crate) struct BlobList {
    pub rules: Vec<Rule>,
    pub offsets: Vec<(usize, Box<str>)>,
}

/// How the entries of a blob list were read: by the fast path, or by
/// quick-xml (which also reads everything outside the entries).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Reading {
    /// Entries the fast path read.
    pub fast: usize,
    /// Times the fast path handed over to quick-xml inside `<BlobList>`
    /// (once at `</BlobList>` in a document it reads whole).
    pub handovers: usize,
}

/// Reads the rules of a blob list XML document. Handles a byte-order mark
/// and UTF-16; errors carry `line:column` (the caller adds the source name).
/// An error of one entry goes to `sink`, and reading goes on when it says
/// so; what leaves the rest unreadable is returned. With `fast`, entries
/// in the usual shape are read by the fast path (`xml/fast.rs`), with the
/// same outcome; the [`Reading`] says how many.
pub(crate) fn read_blob_list<R: Read>(
    input: R,
    source: &Arc<str>,
    sink: &mut Sink,
    fast: bool,
) -> Result<(BlobList, Reading), Error> {
    let head = text::head(input).map_err(text::io_error)?;
    match head.encoding {
        text::Encoding::Utf8 { .. } => parse(head.stream, source, sink, fast),
        text::Encoding::Utf16Le { bom } | text::Encoding::Utf16Be { bom } => {
            let big = matches!(head.encoding, text::Encoding::Utf16Be { .. });
            let mut bytes = Vec::new();
            let mut stream = head.stream;
            stream.read_to_end(&mut bytes).map_err(text::io_error)?;
            let utf8 = text::decode_utf16(&bytes[if bom { 2 } else { 0 }..], big)?;
            parse(utf8.as_bytes(), source, sink, fast)
        }
    }
}

/// One `BlobPath`/`BlobPathPrefix` (or an element in its place) being read.
struct Entry {
    /// No error so far: the entry makes a rule.
    valid: bool,
    /// A `BlobPath`/`BlobPathPrefix` whose text is a path to check.
    known: bool,
    /// The `SnapshotTime` as written, when its offset is not UTC's.
    offset_time: Option<Box<str>>,
    prefix: bool,
    kind: RuleKind,
    position: Position,
    content: String,
    /// Nothing but trimmable whitespace has been seen yet.
    at_start: bool,
    /// Literal whitespace bytes at the end of `content`, to trim at the end.
    trailing_ws: usize,
}

/// Reads the document: quick-xml from the start to just inside
/// `<BlobList>`, then, with `fast`, the fast path and quick-xml by turns:
/// the fast path reads entries until one it leaves to quick-xml, which
/// reads on to the next point between entries.
fn parse<R: Read>(
    input: R,
    source: &Arc<str>,
    sink: &mut Sink,
    fast: bool,
) -> Result<(BlobList, Reading), Error> {
    let mut src = Source::new(input);
    let mut state = Full {
        source: source.clone(),
        rules: RuleBuilder::new(),
        offsets: Vec::new(),
        depth: 0,
        seen_root: false,
        seen_decl: false,
    };
    let mut reading = Reading::default();
    let mut resumed = false;
    while state.read_events(&mut src, sink, resumed, fast)? == Until::Boundary {
        reading.fast += fast::read_entries(&mut src, source, &mut state.rules, &mut state.offsets)
            .map_err(text::io_error)?;
        // quick-xml takes over inside the root element.
        src.resume_inside_root();
        resumed = true;
        reading.handovers += 1;
    }
    if !state.seen_root {
        return Err(Error::new(
            ErrorKind::UnrecognizedForm,
            "no <BlobList> element: a blob list is <BlobList> with <BlobPath> and \
             <BlobPathPrefix> elements",
        )
        .at(src.position()));
    }
    if state.depth > 0 {
        return Err(Error::new(
            ErrorKind::Syntax,
            "unexpected end of file: <BlobList> is not closed (is the file truncated?)",
        )
        .at(src.position()));
    }
    let list = BlobList {
        rules: state.rules.finish(),
        offsets: state.offsets,
    };
    Ok((list, reading))
}

/// Where [`Full::read_events`] stopped.
#[derive(PartialEq, Eq)]
enum Until {
    /// The end of the input.
    Eof,
    /// A point between entries inside `<BlobList>`, for the fast path.
    Boundary,
}

/// The reading with quick-xml: what it has found so far.
struct Full {
    source: Arc<str>,
    rules: RuleBuilder,
    offsets: Vec<(usize, Box<str>)>,
    /// 0: outside the root, 1: in BlobList, 2: in an entry, 3 and more:
    /// inside an element misplaced in an entry (an error).
    depth: u32,
    seen_root: bool,
    seen_decl: bool,
}

impl Full {
    /// Reads events with a new quick-xml reader until the end of the input
    /// or, with `fast`, the next point between entries inside `<BlobList>`.
    /// `resumed`: `src` stands inside `<BlobList>` and serves quick-xml a
    /// start tag for it first ([`Source::resume_inside_root`]).
    fn read_events<R: Read>(
        &mut self,
        src: &mut Source<R>,
        sink: &mut Sink,
        resumed: bool,
        fast: bool,
    ) -> Result<Until, Error> {
        let mut reader = Reader::from_reader(&mut *src);
        reader.config_mut().trim_text(false);
        let mut buf = Vec::with_capacity(256);
        if resumed {
            let pos = reader.get_ref().position();
            reader
                .read_event_into(&mut buf)
                .map_err(|e| syntax(e, pos, &reader))?;
        }
        let mut entry: Option<Entry> = None;
        // quick-xml consumes the '<' that ends a text event with that event, so
        // markup after text starts one column before the consumed position.
        let mut after_text = false;
        loop {
            buf.clear();
            let mut pos = reader.get_ref().position();
            if after_text {
                pos.column = pos.column.saturating_sub(1).max(1);
            }
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| syntax(e, pos, &reader))?;
            after_text = matches!(event, Event::Text(_));
            let opens = matches!(event, Event::Start(_));
            match event {
                Event::DocType(_) => {
                    return Err(Error::new(
                        ErrorKind::Dtd,
                        "a DOCTYPE is not allowed in a blob list (entities are never expanded): \
                         remove the <!DOCTYPE …> declaration",
                    )
                    .at(pos))
                }
                Event::Decl(decl) => {
                    let place = decl_place(self.seen_decl || self.seen_root, &reader, decl.len());
                    self.seen_decl = true;
                    wellformed::check_decl(&decl, place, pos)?;
                }
                Event::Start(start) if self.depth == 0 => {
                    open_root(&start, self.seen_root, pos, sink)?;
                    self.seen_root = true;
                    self.depth = 1;
                }
                Event::Empty(start) if self.depth == 0 => {
                    open_root(&start, self.seen_root, pos, sink)?; // `<BlobList/>`: no rules
                    self.seen_root = true;
                }
                Event::Start(start) if self.depth == 1 => {
                    entry = Some(open_entry(&start, pos, sink)?);
                    self.depth = 2;
                }
                Event::Empty(start) if self.depth == 1 => {
                    let e = open_entry(&start, pos, sink)?;
                    self.close_entry(e, sink)?;
                }
                Event::Start(start) | Event::Empty(start) => {
                    sink.push(
                        Error::new(
                            ErrorKind::UnknownElement,
                            format!(
                                "unexpected element {:?} inside <BlobPath>/<BlobPathPrefix>: \
                                 a path is text only",
                                String::from_utf8_lossy(start.name().as_ref())
                            ),
                        )
                        .at(pos),
                    )?;
                    // Reading on: the entry's text is no path to check.
                    if let Some(e) = entry.as_mut() {
                        e.valid = false;
                        e.known = false;
                    }
                    if opens {
                        self.depth += 1;
                    }
                }
                Event::End(_) if self.depth == 2 => {
                    if let Some(e) = entry.take() {
                        self.close_entry(e, sink)?;
                    }
                    self.depth = 1;
                }
                Event::End(_) => self.depth = self.depth.saturating_sub(1),
                Event::Text(t) => {
                    let raw: &[u8] = &t;
                    match entry.as_mut() {
                        Some(e) => append_text(e, raw, &t, pos)?,
                        None if raw.iter().all(|b| is_xml_ws(*b)) => {}
                        None => sink.push(
                            Error::new(
                                ErrorKind::Syntax,
                                format!(
                                    "unexpected text {:?} {}: paths belong inside <BlobPath> \
                                     or <BlobPathPrefix>",
                                    String::from_utf8_lossy(&raw[..raw.len().min(40)]).trim(),
                                    if self.depth == 0 {
                                        "outside <BlobList>"
                                    } else {
                                        "in <BlobList>"
                                    }
                                ),
                            )
                            .at(pos),
                        )?,
                    }
                }
                Event::CData(c) => match entry.as_mut() {
                    Some(e) => {
                        wellformed::check_cdata(&c, pos)?;
                        let s = std::str::from_utf8(&c).map_err(|_| invalid_utf8(pos))?;
                        e.content.push_str(s);
                        e.at_start &= s.is_empty();
                        e.trailing_ws = 0;
                    }
                    None => sink.push(
                        Error::new(
                            ErrorKind::Syntax,
                            "unexpected CDATA outside <BlobPath>/<BlobPathPrefix>",
                        )
                        .at(pos),
                    )?,
                },
                Event::Comment(c) => wellformed::check_comment(&c, pos)?,
                // quick-xml reports `<?xml` followed by whitespace or `?>` as a
                // `Decl`; should one come as a PI, it is checked the same way.
                // Other cases (`<?XML …?>`) are reserved targets: `check_pi`.
                Event::PI(pi) if pi.target() == b"xml" => {
                    let place = decl_place(self.seen_decl || self.seen_root, &reader, pi.len());
                    self.seen_decl = true;
                    wellformed::check_decl(&pi, place, pos)?;
                }
                Event::PI(pi) => wellformed::check_pi(&pi, pi.target(), pos)?,
                Event::Eof => return Ok(Until::Eof),
            }
            if fast && self.depth == 1 && entry.is_none() && !after_text {
                return Ok(Until::Boundary);
            }
        }
    }

    /// Ends an entry: checks its path, and adds its rule when nothing was
    /// wrong with it.
    fn close_entry(&mut self, mut e: Entry, sink: &mut Sink) -> Result<(), Error> {
        if !e.known {
            return Ok(());
        }
        let keep = e.content.len() - e.trailing_ws.min(e.content.len());
        e.content.truncate(keep);
        match check_text(e.kind, &e.content) {
            Ok(()) if e.valid => {
                if let Some(text) = e.offset_time {
                    self.offsets.push((self.rules.len(), text));
                }
                let origin = Origin {
                    source: self.source.clone(),
                    position: Some(e.position),
                };
                self.rules.push(e.kind, &e.content, origin);
                Ok(())
            }
            Ok(()) => Ok(()),
            Err(err) => sink.push(err.at(e.position)),
        }
    }
}

/// Where a declaration of `len` bytes between `<?` and `?>`, just read,
/// stands. At the start it is all that was consumed: a byte-order mark that
/// quick-xml skipped (a second one: `text::head` drops the first) counts.
fn decl_place<R: Read>(after_more: bool, reader: &Reader<&mut Source<R>>, len: usize) -> DeclPlace {
    if after_more {
        DeclPlace::Misplaced
    } else if reader.get_ref().offset() == len as u64 + 4 {
        DeclPlace::Start
    } else {
        DeclPlace::Late
    }
}

fn open_root(
    start: &BytesStart<'_>,
    seen_root: bool,
    pos: Position,
    sink: &mut Sink,
) -> Result<(), Error> {
    if seen_root || start.name().as_ref() != ROOT {
        return Err(unexpected_root(start, seen_root, pos));
    }
    check_root_attributes(start, pos, sink)
}

fn is_xml_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn append_text(
    e: &mut Entry,
    raw: &[u8],
    t: &quick_xml::events::BytesText<'_>,
    pos: Position,
) -> Result<(), Error> {
    wellformed::check_text(raw, pos)?;
    let decoded = t.unescape().map_err(|err| match err {
        quick_xml::Error::Encoding(_) => invalid_utf8(pos),
        // A reference to a character XML does not allow says so.
        other => match wellformed::check_char_refs(raw, pos) {
            Err(e) => e,
            Ok(()) => Error::new(
                ErrorKind::Syntax,
                format!("{other}: blob lists use only {ESCAPES}"),
            )
            .at(pos),
        },
    })?;
    if matches!(decoded, std::borrow::Cow::Owned(_)) {
        // Something was unescaped: character references must name
        // characters XML allows.
        wellformed::check_char_refs(raw, pos)?;
    }
    let lead = if e.at_start {
        raw.iter().take_while(|b| is_xml_ws(**b)).count()
    } else {
        0
    };
    if e.at_start && lead == raw.len() {
        return Ok(()); // only whitespace so far: trimmed
    }
    let trail = raw
        .iter()
        .rev()
        .take_while(|b| is_xml_ws(**b))
        .count()
        .min(raw.len() - lead);
    // Literal whitespace decodes to itself, so byte counts carry over.
    e.content.push_str(&decoded[lead..]);
    e.at_start = false;
    e.trailing_ws = if trail == raw.len() - lead {
        e.trailing_ws + trail
    } else {
        trail
    };
    Ok(())
}

fn open_entry(start: &BytesStart<'_>, pos: Position, sink: &mut Sink) -> Result<Entry, Error> {
    let mut e = Entry {
        valid: true,
        known: true,
        offset_time: None,
        prefix: false,
        kind: RuleKind::Path,
        position: pos,
        content: String::new(),
        at_start: true,
        trailing_ws: 0,
    };
    let name = start.name();
    match name.as_ref() {
        PATH => {}
        PREFIX => e.prefix = true,
        other => {
            let other = String::from_utf8_lossy(other);
            let hint = suggest(&other);
            sink.push(
                Error::new(
                    ErrorKind::UnknownElement,
                    format!(
                        "unknown element {other:?} in <BlobList>{hint}: only <BlobPath> and \
                         <BlobPathPrefix> are allowed (names are case-sensitive)"
                    ),
                )
                .at(pos),
            )?;
            // Reading on: its text is no path, its attributes no rule's.
            e.valid = false;
            e.known = false;
            return Ok(e);
        }
    }
    let mut include: Option<bool> = None;
    let mut time: Option<SnapshotTime> = None;
    for attr in start.attributes() {
        let attr = attr.map_err(|e| {
            Error::new(ErrorKind::Syntax, format!("malformed attribute: {e}")).at(pos)
        })?;
        let key = attr.key.as_ref();
        // Errors about a value point at it, not at the element.
        let at = wellformed::value_position(start, &attr.value, pos);
        wellformed::check_attribute_value(&attr.value, at)?;
        let value = attr.unescape_value().map_err(|e| {
            Error::new(ErrorKind::Syntax, format!("malformed attribute value: {e}")).at(at)
        })?;
        let problem = match (e.prefix, key) {
            (false, b"IncludeSnapshots") => match value.trim() {
                "true" | "1" => {
                    include = Some(true);
                    None
                }
                "false" | "0" => {
                    include = Some(false);
                    None
                }
                v => Some(
                    Error::new(
                        ErrorKind::InvalidIncludeSnapshots,
                        format!("IncludeSnapshots={v:?}: write \"true\" or \"false\""),
                    )
                    .at(at),
                ),
            },
            (false, b"SnapshotTime") => {
                let text = value.trim();
                match SnapshotTime::parse(text.as_bytes()) {
                    Ok(t) => {
                        time = Some(t);
                        if snapshot::non_utc_offset(text.as_bytes()).is_some() {
                            e.offset_time = Some(text.into());
                        }
                        None
                    }
                    Err(err) => Some(err.at(at)),
                }
            }
            _ => {
                let key = String::from_utf8_lossy(key);
                let allowed = if e.prefix {
                    "<BlobPathPrefix> takes no attributes"
                } else {
                    "<BlobPath> takes IncludeSnapshots or SnapshotTime (case-sensitive)"
                };
                Some(
                    Error::new(
                        ErrorKind::UnknownAttribute,
                        format!("unknown attribute {key:?}: {allowed}"),
                    )
                    .at(pos),
                )
            }
        };
        if let Some(problem) = problem {
            sink.push(problem)?;
            e.valid = false;
        }
    }
    e.kind = match (e.prefix, include, time) {
        (true, ..) => RuleKind::Prefix,
        (false, Some(_), Some(_)) => {
            sink.push(
                Error::new(
                    ErrorKind::ConflictingAttributes,
                    "<BlobPath> has both IncludeSnapshots and SnapshotTime: keep one \
                     (SnapshotTime selects one snapshot; IncludeSnapshots says whether all \
                     snapshots come along)",
                )
                .at(pos),
            )?;
            e.valid = false;
            RuleKind::Path
        }
        (false, Some(false), None) => RuleKind::PathWithoutSnapshots,
        (false, _, Some(t)) => RuleKind::Snapshot(t),
        (false, _, None) => RuleKind::Path,
    };
    Ok(e)
}

fn check_root_attributes(
    start: &BytesStart<'_>,
    pos: Position,
    sink: &mut Sink,
) -> Result<(), Error> {
    for attr in start.attributes() {
        let attr = attr.map_err(|e| {
            Error::new(ErrorKind::Syntax, format!("malformed attribute: {e}")).at(pos)
        })?;
        let key = attr.key.as_ref();
        wellformed::check_attribute_value(
            &attr.value,
            wellformed::value_position(start, &attr.value, pos),
        )?;
        if !(key == b"xmlns" || key.starts_with(b"xmlns:") || key.starts_with(b"xml:")) {
            sink.push(
                Error::new(
                    ErrorKind::UnknownAttribute,
                    format!(
                        "unknown attribute {:?} on <BlobList>: it takes none",
                        String::from_utf8_lossy(key)
                    ),
                )
                .at(pos),
            )?;
        }
    }
    Ok(())
}

fn unexpected_root(start: &BytesStart<'_>, seen_root: bool, pos: Position) -> Error {
    let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    if seen_root {
        Error::new(
            ErrorKind::Syntax,
            format!(
                "unexpected element {name:?} after </BlobList>: a blob list has one root element"
            ),
        )
        .at(pos)
    } else {
        Error::new(
            ErrorKind::UnrecognizedForm,
            format!(
                "root element {name:?} is not <BlobList>{}: a blob list is \
                 <BlobList> with <BlobPath> and <BlobPathPrefix> elements",
                suggest(&name)
            ),
        )
        .at(pos)
    }
}

/// ` (did you mean <X>?)` for a near miss in case.
fn suggest(name: &str) -> String {
    ["BlobList", "BlobPath", "BlobPathPrefix"]
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map(|k| format!(" (did you mean <{k}>?)"))
        .unwrap_or_default()
}

fn invalid_utf8(pos: Position) -> Error {
    Error::new(
        ErrorKind::Encoding,
        "invalid UTF-8: the blob list must be UTF-8 (or UTF-16 with a byte-order mark)",
    )
    .at(pos)
}

fn syntax<R: Read>(e: quick_xml::Error, pos: Position, reader: &Reader<&mut Source<R>>) -> Error {
    let at = if reader.error_position() >= reader.get_ref().offset() {
        reader.get_ref().position()
    } else {
        pos
    };
    match e {
        quick_xml::Error::Encoding(_) => invalid_utf8(at),
        quick_xml::Error::Io(io) => text::io_error(std::io::Error::new(io.kind(), io.to_string())),
        other => {
            let msg = other.to_string();
            let hint = if msg.contains("Unexpected EOF") || msg.contains("unclosed") {
                " (is the file truncated?)"
            } else {
                ""
            };
            Error::new(ErrorKind::Syntax, format!("malformed XML: {msg}{hint}")).at(at)
        }
    }
}

/// Writes rules as blob list XML, one element a line. Paths are written
/// `container/blob` as the reference documents them; prefixes as they are.
///
/// Fails for a rule holding a character XML cannot carry, raw or as a
/// reference (U+FFFE and U+FFFF: the path checks refuse control
/// characters, and a `str` holds no surrogates). Such a blob can exist (List
/// Blobs percent-encodes its name, `<Name Encoded="true">`) and a JSON
/// selection can name it; a blob list blob cannot.
pub(crate) fn write_blob_list(rules: &[Rule], out: &mut String) -> Result<(), Error> {
    if let Some((rule, c)) = rules.iter().find_map(|r| {
        r.text()
            .chars()
            .find(|c| !wellformed::is_xml_char(*c))
            .map(|c| (r, c))
    }) {
        let mut e = Error::new(
            ErrorKind::Unrepresentable,
            format!(
                "{} {:?} holds U+{:04X}, a character XML cannot carry (not even as a \
                 character reference), so no blob list XML can name it: keep the selection \
                 as JSON with an inline BlobList (convert --to json, without \
                 --blob-list-out)",
                rule.kind().element(),
                rule.text(),
                u32::from(c)
            ),
        )
        .in_source(&*rule.origin().source);
        if let Some(p) = rule.origin().position {
            e = e.at(p);
        }
        return Err(e);
    }
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<BlobList>\n");
    for rule in rules {
        out.push_str("  <");
        out.push_str(rule.kind().element());
        match rule.kind() {
            RuleKind::PathWithoutSnapshots => out.push_str(" IncludeSnapshots=\"false\""),
            RuleKind::Snapshot(t) => {
                out.push_str(" SnapshotTime=\"");
                out.push_str(&t.to_string());
                out.push('"');
            }
            _ => {}
        }
        out.push('>');
        let text = match rule.kind() {
            RuleKind::Prefix => rule.text(),
            _ => &rule.text()[1..],
        };
        escape_into(text, out);
        out.push_str("</");
        out.push_str(rule.kind().element());
        out.push_str(">\n");
    }
    out.push_str("</BlobList>\n");
    Ok(())
}

/// Escapes markup characters; leading and trailing spaces become character
/// references so the reader, which trims literal whitespace, keeps them.
fn escape_into(text: &str, out: &mut String) {
    let lead = text.len() - text.trim_start_matches(' ').len();
    let trail = if lead == text.len() {
        0
    } else {
        text.len() - text.trim_end_matches(' ').len()
    };
    for (i, c) in text.char_indices() {
        match c {
            ' ' if i < lead || i >= text.len() - trail => out.push_str("&#32;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reading(doc: &str) -> (usize, Reading) {
        let (list, reading) =
            read_blob_list(doc.as_bytes(), &"t.xml".into(), &mut Sink::first(), true)
                .unwrap_or_else(|e| panic!("{e}: {doc}"));
        (list.rules.len(), reading)
    }

    /// What blobsel writes (and gen_corpus makes) is read by the fast path
    /// whole: quick-xml reads the declaration and `<BlobList>`, and takes
    /// over once, at `</BlobList>`.
    #[test]
    fn the_usual_shape_is_read_by_the_fast_path() {
        let doc = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<BlobList>\n  \
            <BlobPathPrefix>/photos/2024/</BlobPathPrefix>\n  \
            <BlobPath>videos/intro.mp4</BlobPath>\n  \
            <BlobPath>/$root/R&amp;D/北京.xlsx</BlobPath>\n  \
            <BlobPath IncludeSnapshots=\"false\">docs/a.txt</BlobPath>\n  \
            <BlobPath SnapshotTime=\"2011-03-09T01:42:34.9360000Z\">docs/b.txt</BlobPath>\r\n\t\
            <BlobPath>\n    docs/pretty.txt\n  </BlobPath>\n</BlobList>\n";
        assert_eq!(
            reading(doc),
            (
                6,
                Reading {
                    fast: 6,
                    handovers: 1
                }
            )
        );
    }

    /// After what it leaves to quick-xml, the fast path takes over again at
    /// the next point between entries.
    #[test]
    fn the_fast_path_takes_over_again_after_quick_xml() {
        let doc = "<BlobList>\n<BlobPath>c00/a</BlobPath>\n<!-- c -->\n\
            <BlobPath>c00/b</BlobPath>\n<BlobPath>c00/&#32;c</BlobPath>\n\
            <BlobPath>c00/d</BlobPath>\n</BlobList>";
        // a; the comment (quick-xml); b; c (quick-xml); d; </BlobList>.
        assert_eq!(
            reading(doc),
            (
                4,
                Reading {
                    fast: 3,
                    handovers: 3
                }
            )
        );
    }
}
