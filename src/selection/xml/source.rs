//! The bytes of a blob list as both readers see them: one buffer over the
//! input, with the `line:column` and byte offset of what was consumed.
//!
//! quick-xml reads it as a [`BufRead`]; the fast path (`fast.rs`) looks at
//! the buffered bytes directly and consumes whole entries at a time, giving
//! the position it computed itself. Handing the rest of a document to a new
//! quick-xml reader inside `<BlobList>` ([`Source::resume_inside_root`])
//! serves it a start tag it never counts, so quick-xml knows its open
//! element and every position stays that of the document.

use std::io::{self, BufRead, Read};

use crate::error::Position;

/// How many bytes are read at a time; an entry longer than this is left
/// to quick-xml.
pub(super) const CAPACITY: usize = 256 * 1024;

/// What quick-xml is served before the rest of the document when it takes
/// over inside `<BlobList>`.
const ROOT_START: &[u8] = b"<BlobList>";

pub(super) struct Source<R> {
    inner: R,
    buf: Vec<u8>,
    /// The unconsumed bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    eof: bool,
    /// Served before `buf`, not counted in the position.
    synthetic: &'static [u8],
    position: Position,
    offset: u64,
}

impl<R: Read> Source<R> {
    pub(super) fn new(inner: R) -> Source<R> {
        Source {
            inner,
            buf: vec![0; CAPACITY],
            start: 0,
            end: 0,
            eof: false,
            synthetic: &[],
            position: Position { line: 1, column: 1 },
            offset: 0,
        }
    }

    /// The position of the next unconsumed byte.
    pub(super) fn position(&self) -> Position {
        self.position
    }

    /// How many bytes a quick-xml reader over this source has consumed
    /// (the start tag served by [`Source::resume_inside_root`] included):
    /// comparable with its `error_position`.
    pub(super) fn offset(&self) -> u64 {
        self.offset
    }

    /// Makes the next bytes served a `<BlobList>` start tag that is not
    /// counted in the position, for a new quick-xml reader that takes over
    /// inside the root element. Offsets start again from 0, as that
    /// reader's do.
    pub(super) fn resume_inside_root(&mut self) {
        self.synthetic = ROOT_START;
        self.offset = 0;
    }

    /// The buffered, unconsumed bytes (nothing while a synthetic start tag
    /// is pending: the fast path never runs then).
    pub(super) fn buffered(&self) -> &[u8] {
        if self.synthetic.is_empty() {
            &self.buf[self.start..self.end]
        } else {
            &[]
        }
    }

    /// Reads more bytes after those buffered, moving them to the front of
    /// the buffer first, until the buffer is full (`fill`) or after one
    /// read. `Ok(false)` when nothing more can be read: the input ended,
    /// or the buffer is full of unconsumed bytes.
    pub(super) fn read_more(&mut self, fill: bool) -> io::Result<bool> {
        if self.eof || !self.synthetic.is_empty() {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            return Ok(false);
        }
        // The fast path fills up, so that an entry cut by small reads (a
        // pipe) is looked at again once a buffer, not once a read; quick-xml
        // takes what one read gives, as from a `BufReader`.
        let before = self.end;
        while self.end < self.buf.len() {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => {
                    self.end += n;
                    if !fill {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.end > before)
    }

    /// Consumes `n` buffered bytes (whole entries, read by the fast path)
    /// that end at `position`.
    pub(super) fn skip(&mut self, n: usize, position: Position) {
        debug_assert!(self.synthetic.is_empty() && n <= self.end - self.start);
        self.start += n;
        self.offset += n as u64;
        self.position = position;
    }
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Source<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if !self.synthetic.is_empty() {
            return Ok(self.synthetic);
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
            self.read_more(false)?;
        }
        Ok(&self.buf[self.start..self.end])
    }

    fn consume(&mut self, amt: usize) {
        self.offset += amt as u64;
        if !self.synthetic.is_empty() {
            self.synthetic = &self.synthetic[amt.min(self.synthetic.len())..];
            return;
        }
        let amt = amt.min(self.end - self.start);
        self.position = self
            .position
            .advance(&self.buf[self.start..self.start + amt]);
        self.start += amt;
    }
}
