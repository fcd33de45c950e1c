//! What the drive manifest and copy log readers share: the streaming
//! quick-xml reader with positions, the event loop ([`Driver`]) that keeps
//! the stack of open elements and collects their text, attribute and
//! number parsing, errors. Each reader keeps only its own [`Format`]: its
//! element table and what it builds from the elements.

use std::io::{self, BufRead, Read};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::{Error, ErrorKind, Position};
use crate::path::{quoted, BlobPath};
use crate::snapshot::SnapshotTime;
use crate::text::SkipBom;

/// Where a document begins: the position before anything is read.
pub(crate) const START: Position = Position { line: 1, column: 1 };

/// The reader both documents are read with: byte-order marks skipped,
/// positions counted, `<a/>` seen as `<a></a>`.
pub(crate) type XmlReader<R> = Reader<Lines<SkipBom<R>>>;

pub(crate) fn new_reader<R: BufRead>(input: R) -> XmlReader<R> {
    reader_at(input, 1)
}

/// A reader whose first byte is at column 1 of line `line`.
fn reader_at<R: BufRead>(input: R, line: u32) -> XmlReader<R> {
    let mut reader = Reader::from_reader(Lines {
        inner: SkipBom::new(input),
        buf: vec![0; 64 * 1024],
        pos: 0,
        end: 0,
        line,
        column: 1,
        offset: 0,
    });
    reader.config_mut().expand_empty_elements = true;
    reader
}

/// A buffered reader that counts the lines and columns of what is
/// consumed, like `text::Counting`, but over its own buffer (no second
/// `fill_buf` a `consume`), with ASCII counted by length: a manifest of a
/// million blobs is hundreds of megabytes and tens of millions of events.
pub(crate) struct Lines<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    line: u32,
    column: u32,
    offset: u64,
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Lines<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.end {
            self.end = loop {
                match self.inner.read(&mut self.buf) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            self.pos = 0;
        }
        Ok(&self.buf[self.pos..self.end])
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.end - self.pos);
        let chunk = &self.buf[self.pos..self.pos + amt];
        let columns = |t: &[u8]| {
            let n = if t.is_ascii() {
                t.len()
            } else {
                crate::text::chars(t) as usize
            };
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        match memchr::memrchr(b'\n', chunk) {
            Some(last) => {
                let lines = memchr::memchr_iter(b'\n', &chunk[..last]).count() + 1;
                self.line = self
                    .line
                    .saturating_add(u32::try_from(lines).unwrap_or(u32::MAX));
                self.column = 1u32.saturating_add(columns(&chunk[last + 1..]));
            }
            None => self.column = self.column.saturating_add(columns(chunk)),
        }
        self.pos += amt;
        self.offset += amt as u64;
    }
}

/// The position `reader` is at. quick-xml consumes the `<` that ends a text
/// before it returns the text; that byte is not counted here.
pub(crate) fn position<R: BufRead>(reader: &XmlReader<R>) -> Position {
    let counter = reader.get_ref();
    let unread = counter.offset.saturating_sub(reader.buffer_position());
    let mut at = Position {
        line: counter.line,
        column: counter.column,
    };
    at.column = at
        .column
        .saturating_sub(u32::try_from(unread).unwrap_or(0))
        .max(1);
    at
}

/// One document format read by a [`Driver`]: its root element, its
/// element table and what it does at a start and an end tag.
pub(crate) trait Format {
    /// Where an element sits.
    type Tag: Copy;
    /// What the driver yields, one at a time (a blob).
    type Record;
    /// The document, as messages name it ("a drive manifest").
    const WHAT: &'static str;
    /// The name of the root element.
    const ROOT: &'static str;
    /// The tag of the root element.
    const ROOT_TAG: Self::Tag;
    /// Why a second root is an error ("a manifest describes one drive").
    const ONE_ROOT: &'static str;
    /// The hint given when the root is another element.
    const OTHER_ROOT: &'static str;
    /// Why text outside the root is an error.
    const OUTSIDE: &'static str;

    /// The tag of a child element of `parent` named `name`.
    fn child(parent: Self::Tag, name: &[u8]) -> Self::Tag;

    /// Whether the element's text is collected for [`Format::end`].
    fn collects_text(tag: Self::Tag) -> bool;

    /// Handles the start tag of an element below the root (and the root
    /// itself, as [`Format::ROOT_TAG`]) beginning at `at`.
    fn start(
        &mut self,
        tag: Self::Tag,
        start: &BytesStart<'_>,
        record: &mut Self::Record,
        at: Position,
    ) -> Result<(), Error>;

    /// Handles an end tag; `text` is what the element collected (as
    /// written, untrimmed), from `at`. `Ok(true)` when it ends a record.
    fn end(
        &mut self,
        tag: Self::Tag,
        text: &str,
        at: Position,
        record: &mut Self::Record,
    ) -> Result<bool, Error>;

    /// Checks the whole document at its end (`at`), once the root closed.
    fn finish(&self, _at: Position) -> Result<(), Error> {
        Ok(())
    }
}

/// A whole document, read by [`Driver::read_all`].
pub(crate) struct Whole<F: Format> {
    pub source: String,
    pub version: Option<String>,
    pub records: Vec<F::Record>,
    pub format: F,
}

/// One part of a document, read by [`Driver::read_part`]: what a
/// [`split`](super::split) reading needs to tell whether the part began
/// where its reader assumed, and to join it to the others.
pub(crate) struct PartRead<F: Format> {
    pub whole: Whole<F>,
    /// The elements open at the part's end.
    pub open: Vec<F::Tag>,
    /// The root elements begun in it.
    pub roots: u32,
    /// The line its end is on (as its reader counted: see
    /// [`Driver::resumed`]).
    pub end_line: u32,
}

/// The open elements and the text being collected.
struct Open<T> {
    stack: Vec<T>,
    text: String,
    text_pos: Option<Position>,
    roots: u32,
    version: Option<String>,
}

/// The event loop of one document of format `F`, over any [`BufRead`]:
/// one root element, its `Version` attribute, text collected by the
/// innermost element that wants it, no DOCTYPE, no text outside the root,
/// no truncation. Errors name the source and a position.
pub(crate) struct Driver<R: BufRead, F: Format> {
    source: String,
    reader: XmlReader<R>,
    buf: Vec<u8>,
    open: Open<F::Tag>,
    format: F,
    /// Whether the input is a part of a document that may end anywhere
    /// ([`Driver::read_part`]): its end is then not checked.
    part: bool,
}

impl<R: BufRead, F: Format> Driver<R, F> {
    /// A driver of `input`; `source` (a file name) is what errors name.
    pub(crate) fn new(input: R, source: String, format: F) -> Driver<R, F> {
        Driver::with_reader(new_reader(input), source, format)
    }

    fn with_reader(reader: XmlReader<R>, source: String, format: F) -> Driver<R, F> {
        Driver {
            source,
            reader,
            buf: Vec::with_capacity(1024),
            open: Open {
                stack: Vec::new(),
                text: String::new(),
                text_pos: None,
                roots: 0,
                version: None,
            },
            format,
            part: false,
        }
    }

    /// A driver of a later part of a document, given as a context (the
    /// start tags of the elements open around the part, on a line of
    /// their own) followed by the part, which may end anywhere. The context
    /// is line 0, so the part's lines are counted from 1 (the caller moves
    /// them to the document's). Read it with [`Driver::read_part`].
    pub(crate) fn resumed(input: R, source: String, format: F) -> Driver<R, F> {
        let mut driver = Driver::with_reader(reader_at(input, 0), source, format);
        driver.part = true;
        driver
    }

    /// Reads every record of a part of a document (from
    /// [`Driver::resumed`], or [`Driver::new`] for the first part), and
    /// what is open where it ends. The end of the part is not checked: the
    /// caller joins the parts and checks the whole.
    pub(crate) fn read_part(mut self) -> Result<PartRead<F>, Error>
    where
        F::Record: Default,
    {
        self.part = true;
        let records = self.records()?;
        Ok(PartRead {
            end_line: self.reader.get_ref().line,
            open: std::mem::take(&mut self.open.stack),
            roots: self.open.roots,
            whole: Whole {
                source: self.source,
                version: self.open.version,
                records,
                format: self.format,
            },
        })
    }

    /// Every record up to the end of the input.
    fn records(&mut self) -> Result<Vec<F::Record>, Error>
    where
        F::Record: Default,
    {
        let mut records = Vec::new();
        let mut record = F::Record::default();
        while self.read(&mut record)? {
            records.push(std::mem::take(&mut record));
        }
        Ok(records)
    }

    /// The format's state.
    pub(crate) fn format(&self) -> &F {
        &self.format
    }

    /// Reads the next record into `record`; `Ok(false)` at the end of the
    /// document.
    pub(crate) fn read(&mut self, record: &mut F::Record) -> Result<bool, Error> {
        self.next_event(record)
            .map_err(|e| e.in_source(&self.source))
    }

    /// Reads the whole document: its source, its root's `Version`, its
    /// records in order and the format's final state.
    pub(crate) fn read_all(mut self) -> Result<Whole<F>, Error>
    where
        F::Record: Default,
    {
        let records = self.records()?;
        Ok(Whole {
            source: self.source,
            version: self.open.version,
            records,
            format: self.format,
        })
    }

    /// Reads events up to the end of the next record, into `record`;
    /// `Ok(false)` at the end of the document. Errors have no source yet.
    fn next_event(&mut self, record: &mut F::Record) -> Result<bool, Error> {
        loop {
            let before = position(&self.reader);
            self.buf.clear();
            let event = self
                .reader
                .read_event_into(&mut self.buf)
                .map_err(|e| xml_error(e, F::WHAT).at(before))?;
            let open = &mut self.open;
            let collecting =
                |open: &Open<F::Tag>| open.stack.last().is_some_and(|&t| F::collects_text(t));
            match event {
                Event::Start(start) => {
                    let after = position(&self.reader);
                    open.start(&mut self.format, &start, record, before, after)?
                }
                Event::Text(text) => {
                    if collecting(open) {
                        let text = text
                            .unescape()
                            .map_err(|e| xml_error(e, F::WHAT).at(before))?;
                        open.text.push_str(&text);
                    } else if open.stack.is_empty() && !text.iter().all(u8::is_ascii_whitespace) {
                        return Err(outside::<F>(before));
                    }
                }
                Event::CData(cdata) => {
                    if collecting(open) {
                        let text = cdata
                            .decode()
                            .map_err(|e| xml_error(e.into(), F::WHAT).at(before))?;
                        open.text.push_str(&text);
                    } else if open.stack.is_empty() {
                        return Err(outside::<F>(before));
                    }
                }
                Event::End(_) => {
                    let Some(tag) = open.stack.pop() else {
                        continue;
                    };
                    let at = open.text_pos.unwrap_or(START);
                    if self.format.end(tag, &open.text, at, record)? {
                        return Ok(true);
                    }
                }
                Event::DocType(_) => return Err(doctype(F::WHAT).at(before)),
                Event::Eof if self.part => return Ok(false),
                Event::Eof => {
                    if !open.stack.is_empty() {
                        return Err(truncated(F::WHAT).at(before));
                    }
                    if open.roots == 0 {
                        return Err(
                            invalid(format!("no <{}>: this is not {}", F::ROOT, F::WHAT))
                                .at(before),
                        );
                    }
                    self.format.finish(before)?;
                    return Ok(false);
                }
                Event::Empty(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            }
        }
    }
}

impl<T: Copy> Open<T> {
    /// A start tag: the root (once, with its `Version`), or an element of
    /// the format's table; `before` and `after` are where it begins and ends.
    fn start<F: Format<Tag = T>>(
        &mut self,
        format: &mut F,
        start: &BytesStart<'_>,
        record: &mut F::Record,
        before: Position,
        after: Position,
    ) -> Result<(), Error> {
        let name = start.name();
        let tag = match self.stack.last() {
            None if name.as_ref() == F::ROOT.as_bytes() => {
                self.roots += 1;
                if self.roots > 1 {
                    return Err(
                        invalid(format!("a second <{}>: {}", F::ROOT, F::ONE_ROOT)).at(before)
                    );
                }
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| xml_error(e.into(), F::WHAT).at(before))?;
                    if attr.key.as_ref() == b"Version" {
                        let v = attr
                            .unescape_value()
                            .map_err(|e| xml_error(e, F::WHAT).at(before))?;
                        self.version = Some(v.into_owned());
                    }
                }
                F::ROOT_TAG
            }
            None => {
                return Err(invalid(format!(
                    "not {}: the root element is <{}>, not <{}> ({})",
                    F::WHAT,
                    String::from_utf8_lossy(name.as_ref()),
                    F::ROOT,
                    F::OTHER_ROOT
                ))
                .at(before))
            }
            Some(&parent) => F::child(parent, name.as_ref()),
        };
        format.start(tag, start, record, before)?;
        if F::collects_text(tag) {
            self.text.clear();
            self.text_pos = Some(after);
        }
        self.stack.push(tag);
        Ok(())
    }
}

fn outside<F: Format>(at: Position) -> Error {
    Error::new(
        ErrorKind::Syntax,
        format!("text outside <{}>: {}", F::ROOT, F::OUTSIDE),
    )
    .at(at)
}

/// An [`ErrorKind::InvalidManifest`] error.
pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidManifest, message)
}

pub(crate) use crate::error::xml_error;

/// The error for a DOCTYPE: entities are never expanded.
pub(crate) fn doctype(what: &str) -> Error {
    Error::new(
        ErrorKind::Dtd,
        format!("a DOCTYPE has no place in {what}: entities are never expanded; remove it"),
    )
}

/// The error for a document that ends inside an element.
pub(crate) fn truncated(what: &str) -> Error {
    Error::new(
        ErrorKind::Syntax,
        format!("the document ends inside an element: {what} is truncated"),
    )
}

/// A count of bytes: decimal digits only.
pub(crate) fn parse_u64(text: &str, what: &str) -> Result<u64, Error> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(format!(
            "{what} is {}: expected a number of bytes",
            crate::path::quoted(text)
        )));
    }
    t.parse()
        .map_err(|_| invalid(format!("{what} {t} is too large: lengths fit in 64 bits")))
}

/// An MD5 hash in hexadecimal (either case), 32 digits.
pub(crate) fn parse_hash(text: &str, what: &str) -> Result<[u8; 16], Error> {
    let t = text.trim().as_bytes();
    let mut out = [0u8; 16];
    let ok = t.len() == 32
        && t.chunks(2).zip(out.iter_mut()).all(|(pair, byte)| {
            match (hex_digit(pair[0]), hex_digit(pair[1])) {
                (Some(h), Some(l)) => {
                    *byte = h << 4 | l;
                    true
                }
                _ => false,
            }
        });
    if ok {
        Ok(out)
    } else {
        Err(invalid(format!(
            "{what} {} is not an MD5 hash: expected 32 hexadecimal digits",
            crate::path::quoted(text)
        )))
    }
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// An MD5 hash as the manifests write it: 32 uppercase hexadecimal digits.
#[cfg(test)]
pub(crate) fn hex(hash: &[u8; 16]) -> String {
    use std::fmt::Write;
    hash.iter().fold(String::with_capacity(32), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// A `BlobPath`'s text (trimmed) into `path` as the canonical
/// `/container/name`; returns the container name's length.
pub(crate) fn blob_path(text: &str, path: &mut String) -> Result<usize, Error> {
    let parsed = BlobPath::parse(text)
        .map_err(|e| invalid(format!("BlobPath {}: {}", quoted(text), e.message())))?;
    path.clear();
    path.push('/');
    path.push_str(parsed.container);
    path.push('/');
    path.push_str(parsed.name);
    Ok(parsed.container.len())
}

/// A `Snapshot`'s text (trimmed, not empty).
pub(crate) fn snapshot(text: &str) -> Result<SnapshotTime, Error> {
    SnapshotTime::parse(text.as_bytes()).map_err(|e| invalid(format!("Snapshot: {}", e.message())))
}

/// The `Offset` and `Length` of a `<Block>` or `<PageRange>` (`what`), and
/// the `third` attribute each needs (`Hash`, `Status`: its name and value),
/// all given (else the error ends with `rule`), the range's end within 64
/// bits.
pub(crate) fn range<T>(
    what: &str,
    a: &Attrs,
    third: (&str, Option<T>),
    rule: &str,
) -> Result<(u64, u64, T), Error> {
    let missing = |attr: &str| invalid(format!("{what} without {attr}: {rule}"));
    let offset = a.offset.ok_or_else(|| missing("Offset"))?;
    let length = a.length.ok_or_else(|| missing("Length"))?;
    let value = third.1.ok_or_else(|| missing(third.0))?;
    if offset.checked_add(length).is_none() {
        return Err(invalid(format!(
            "{what} Offset {offset} + Length {length} is past any blob's end"
        )));
    }
    Ok((offset, length, value))
}

/// The attributes of a `Block` or `PageRange` (and the `Status` and `Hash`
/// of other elements). Unknown attributes are ignored.
#[derive(Debug, Default)]
pub(crate) struct Attrs {
    pub offset: Option<u64>,
    pub length: Option<u64>,
    pub id: Option<String>,
    pub hash: Option<[u8; 16]>,
    pub status: Option<String>,
}

pub(crate) fn attributes(start: &BytesStart<'_>, what: &str) -> Result<Attrs, Error> {
    let mut out = Attrs::default();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| xml_error(e.into(), what))?;
        let value = attr.unescape_value().map_err(|e| xml_error(e, what))?;
        // Only an error needs the element's name.
        let on = |e: Error| {
            let element = String::from_utf8_lossy(start.name().as_ref()).into_owned();
            invalid(format!("{} (on <{element}>)", e.message()))
        };
        match attr.key.as_ref() {
            b"Offset" => out.offset = Some(parse_u64(&value, "Offset").map_err(on)?),
            b"Length" => out.length = Some(parse_u64(&value, "Length").map_err(on)?),
            b"Id" => out.id = Some(value.into_owned()),
            b"Hash" => out.hash = Some(parse_hash(&value, "Hash").map_err(on)?),
            b"Status" => out.status = Some(value.trim().to_string()),
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_numbers() {
        let h = parse_hash("825aeb18E143B6091BA42F76CAB06FA1", "Hash").unwrap();
        assert_eq!(hex(&h), "825AEB18E143B6091BA42F76CAB06FA1");
        assert!(parse_hash("825AEB18", "Hash").is_err());
        assert!(parse_hash("825AEB18E143B6091BA42F76CAB06FAZ", "Hash").is_err());
        assert_eq!(parse_u64(" 65536 ", "Length").unwrap(), 65536);
        for bad in ["", "-1", "1e3", "0x10", "99999999999999999999"] {
            let e = parse_u64(bad, "Length").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidManifest, "{bad}");
        }
    }
}
