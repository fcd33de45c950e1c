//! Reading source text: byte-order marks, UTF-16, and positions while
//! streaming.

use std::io::{self, BufRead, Read};

use crate::error::{Error, ErrorKind, Position};

/// The UTF-8 byte-order mark. One at the very start of an input is not
/// part of its text: every reader drops it (and only it: a second one, or
/// one later, is text).
pub(crate) const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without the byte-order mark it starts with, if any.
#[inline]
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes)
}

/// A `BufRead` wrapper that counts lines and columns of what has been
/// consumed, so a streaming parser can report `line:column` without keeping
/// the text.
pub(crate) struct Counting<R> {
    inner: R,
    line: u32,
    column: u32,
    offset: u64,
}

impl<R: BufRead> Counting<R> {
    pub(crate) fn new(inner: R) -> Counting<R> {
        Counting {
            inner,
            line: 1,
            column: 1,
            offset: 0,
        }
    }

    /// The position of the next unconsumed byte.
    pub(crate) fn position(&self) -> Position {
        Position {
            line: self.line,
            column: self.column,
        }
    }

    /// How many bytes have been consumed.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_through_buffer(self, out)
    }
}

/// `Read::read` for a `BufRead` whose `consume` does the bookkeeping.
fn read_through_buffer<B: BufRead>(b: &mut B, out: &mut [u8]) -> io::Result<usize> {
    let available = b.fill_buf()?;
    let n = available.len().min(out.len());
    out[..n].copy_from_slice(&available[..n]);
    b.consume(n);
    Ok(n)
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        // A `BufRead` returns the same buffer again until it is consumed, so
        // this is the data being consumed; no I/O happens here.
        if let Ok(buf) = self.inner.fill_buf() {
            // Pieces consumed at a time are short (a tag, a path).
            let p = Position {
                line: self.line,
                column: self.column,
            }
            .advance(&buf[..amt.min(buf.len())]);
            (self.line, self.column) = (p.line, p.column);
        }
        self.offset += amt as u64;
        self.inner.consume(amt);
    }
}

/// The number of characters in UTF-8 `bytes` (bytes that are not
/// continuation bytes).
pub(crate) fn chars(bytes: &[u8]) -> u32 {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u32
}

/// The encoding a text starts with, from its byte-order mark or, for UTF-16
/// without one, from the zero bytes around the first `<` or `{`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    Utf8 { bom: bool },
    Utf16Le { bom: bool },
    Utf16Be { bom: bool },
}

pub(crate) fn sniff(start: &[u8]) -> Encoding {
    match start {
        [0xEF, 0xBB, 0xBF, ..] => Encoding::Utf8 { bom: true },
        [0xFF, 0xFE, ..] => Encoding::Utf16Le { bom: true },
        [0xFE, 0xFF, ..] => Encoding::Utf16Be { bom: true },
        [b, 0, ..] if *b != 0 => Encoding::Utf16Le { bom: false },
        [0, b, ..] if *b != 0 => Encoding::Utf16Be { bom: false },
        _ => Encoding::Utf8 { bom: false },
    }
}

/// Decodes a whole UTF-16 text (after its byte-order mark) to UTF-8.
pub(crate) fn decode_utf16(bytes: &[u8], big_endian: bool) -> Result<String, Error> {
    if !bytes.len().is_multiple_of(2) {
        return Err(Error::new(
            ErrorKind::Encoding,
            "truncated UTF-16 text (an odd number of bytes): the file is cut short",
        ));
    }
    let units = bytes.chunks_exact(2).map(|p| {
        if big_endian {
            u16::from_be_bytes([p[0], p[1]])
        } else {
            u16::from_le_bytes([p[0], p[1]])
        }
    });
    let mut out = String::with_capacity(bytes.len() / 2);
    for (i, c) in char::decode_utf16(units).enumerate() {
        match c {
            Ok(c) => out.push(c),
            Err(_) => {
                return Err(Error::new(
                    ErrorKind::Encoding,
                    format!(
                    "invalid UTF-16 (an unpaired surrogate) at byte {}: re-save the file as UTF-8",
                    2 * i + 2
                ),
                ))
            }
        }
    }
    Ok(out)
}

/// The start of a stream, read far enough to know its encoding and its
/// first significant byte, whatever the size of the reads.
pub(crate) struct Head<R> {
    /// The encoding, from the byte-order mark or the zero bytes.
    pub encoding: Encoding,
    /// The first byte that is not whitespace (after a UTF-8 BOM), if any.
    pub first: Option<u8>,
    /// The whole stream again, without a UTF-8 byte-order mark.
    pub stream: io::Chain<io::Cursor<Vec<u8>>, R>,
}

/// Reads the start of `input` until the first significant byte (or the
/// end), and gives the stream back whole.
pub(crate) fn head<R: Read>(mut input: R) -> io::Result<Head<R>> {
    let mut bytes = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    let mut eof = false;
    let significant = |b: &[u8]| {
        let body = strip_bom(b);
        body.iter().find(|b| !b.is_ascii_whitespace()).copied()
    };
    while !eof && (bytes.len() < 4 || significant(&bytes).is_none()) {
        match input.read(&mut chunk) {
            Ok(0) => eof = true,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        // Whitespace alone can be long; it costs memory only as it is.
    }
    let encoding = sniff(&bytes);
    let first = significant(&bytes);
    if encoding == (Encoding::Utf8 { bom: true }) {
        bytes.drain(..3);
    }
    Ok(Head {
        encoding,
        first,
        stream: io::Cursor::new(bytes).chain(input),
    })
}

/// A `BufRead` that drops the UTF-8 byte-order marks at the start of its
/// input, however the mark is split across reads, so a parser behind it
/// never sees one and positions do not depend on buffering.
pub(crate) struct SkipBom<R> {
    inner: R,
    /// Bytes read ahead at the start that were not a mark, served first.
    ahead: Vec<u8>,
    started: bool,
}

impl<R: BufRead> SkipBom<R> {
    pub(crate) fn new(inner: R) -> SkipBom<R> {
        SkipBom {
            inner,
            ahead: Vec::new(),
            started: false,
        }
    }

    fn start(&mut self) -> io::Result<()> {
        self.started = true;
        // Every leading mark goes: a parser behind might strip one more
        // itself, but only when its first buffer happens to hold it whole.
        loop {
            while self.ahead.len() < 3 {
                let buf = self.inner.fill_buf()?;
                if buf.is_empty() {
                    return Ok(());
                }
                let n = buf.len().min(3 - self.ahead.len());
                self.ahead.extend_from_slice(&buf[..n]);
                self.inner.consume(n);
            }
            if self.ahead != UTF8_BOM {
                return Ok(());
            }
            self.ahead.clear();
        }
    }
}

impl<R: BufRead> Read for SkipBom<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_through_buffer(self, out)
    }
}

impl<R: BufRead> BufRead for SkipBom<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if !self.started {
            self.start()?;
        }
        if self.ahead.is_empty() {
            self.inner.fill_buf()
        } else {
            Ok(&self.ahead)
        }
    }

    fn consume(&mut self, amt: usize) {
        if self.ahead.is_empty() {
            self.inner.consume(amt);
        } else {
            self.ahead.drain(..amt.min(self.ahead.len()));
        }
    }
}

/// Turns an I/O error into ours.
pub(crate) fn io_error(e: io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("read failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_tracks_consumed_position() {
        let text = "ab\ncé\nxyz";
        let mut c = Counting::new(io::BufReader::with_capacity(2, text.as_bytes()));
        let _ = c.fill_buf();
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        assert_eq!(out, text);
        assert_eq!(c.position(), Position { line: 3, column: 4 });
        assert_eq!(c.offset(), text.len() as u64);
    }

    /// One byte per read, to hit every boundary.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            match (self.0.split_first(), out.first_mut()) {
                (Some((b, rest)), Some(o)) => {
                    *o = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn head_reads_past_bom_and_whitespace_in_small_reads() {
        let text = b"\xEF\xBB\xBF\n  \n<BlobList/>";
        let mut h = head(Trickle(text)).unwrap();
        assert_eq!(
            (h.encoding, h.first),
            (Encoding::Utf8 { bom: true }, Some(b'<'))
        );
        let mut rest = Vec::new();
        h.stream.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, &text[3..]);
        let h = head(Trickle(b" \n ")).unwrap();
        assert_eq!(h.first, None);
    }

    #[test]
    fn sniffs_and_decodes_utf16() {
        let s = "<BlobList/>";
        let mut le = vec![0xFF, 0xFE];
        le.extend(s.encode_utf16().flat_map(|u| u.to_le_bytes()));
        assert_eq!(sniff(&le), Encoding::Utf16Le { bom: true });
        assert_eq!(decode_utf16(&le[2..], false).unwrap(), s);
        let be: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(sniff(&be), Encoding::Utf16Be { bom: false });
        assert_eq!(decode_utf16(&be, true).unwrap(), s);
        assert_eq!(
            decode_utf16(&be[1..], true).unwrap_err().kind(),
            ErrorKind::Encoding
        );
    }
}
