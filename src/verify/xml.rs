//! What the drive manifest and copy log readers share: the streaming
//! quick-xml reader with positions, attribute and number parsing, errors.

use std::io::{self, BufRead, Read};

use quick_xml::events::BytesStart;
use quick_xml::Reader;

use crate::error::{Error, ErrorKind, Position};
use crate::text::SkipBom;

/// The reader both documents are read with: byte-order marks skipped,
/// positions counted, `<a/>` seen as `<a></a>`.
pub(crate) type XmlReader<R> = Reader<Lines<SkipBom<R>>>;

pub(crate) fn new_reader<R: BufRead>(input: R) -> XmlReader<R> {
    let mut reader = Reader::from_reader(Lines {
        inner: SkipBom::new(input),
        buf: vec![0; 64 * 1024],
        pos: 0,
        end: 0,
        line: 1,
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

/// An [`ErrorKind::InvalidManifest`] error.
pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidManifest, message)
}

/// A quick-xml error as ours; `what` names the document ("a drive manifest").
pub(crate) fn xml_error(e: quick_xml::Error, what: &str) -> Error {
    match e {
        quick_xml::Error::Io(e) => Error::new(ErrorKind::Io, format!("cannot read: {e}")),
        quick_xml::Error::Encoding(e) => {
            Error::new(ErrorKind::Encoding, format!("{e}: {what} is UTF-8"))
        }
        e => Error::new(ErrorKind::Syntax, format!("malformed XML: {e}")),
    }
}

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
