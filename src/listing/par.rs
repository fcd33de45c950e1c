//! The fast path for `lines` listings: the input is cut in chunks that
//! end at a newline (read on a thread of its own, so reading overlaps
//! matching, or sliced from a file mapped into memory), each chunk is
//! parsed and matched by whichever thread of the rayon pool is free, and
//! the results come back to the caller in input order.
//!
//! [`par_find`] (a stream) and [`par_find_file`] (a file, mapped) are what
//! `blobsel preview` runs on a `lines` listing. They give the same answers,
//! line for line, as reading the listing with
//! [`LinesReader`](super::LinesReader) and matching every entry with
//! [`Matcher::find_path`]: the same blobs, the same rules, the same first
//! error at the same line.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

use crate::error::{Error, ErrorKind};
use crate::listing::lines::{line_ends, parse_line, parse_plain_line, LineBlob, LineEnds};
use crate::matcher::{Cursor, Matcher, RuleId};
use crate::text::strip_bom;

/// The most bytes a `lines` line may have. No valid line is longer: a
/// 63-character container, 1,024 four-byte characters and a snapshot time
/// fit with room to spare. A longer line means the input is not a `lines`
/// listing; it is an error.
pub const MAX_LINE: usize = 8 * 1024;

/// The size of a chunk.
const CHUNK: usize = 1 << 20;

/// One blob line of a chunk, parsed and matched.
#[derive(Clone, Copy, Debug)]
pub struct Found<'a> {
    /// The line as read, without its `\n` (a `\r` before it is kept:
    /// [`Found::text`] drops it).
    pub line: &'a [u8],
    /// Where the line starts in the chunk.
    pub start: usize,
    /// Whether a `\n` follows the line in the chunk (every line but
    /// perhaps the last).
    pub newline: bool,
    /// The blob the line names.
    pub blob: LineBlob<'a>,
    /// The rule that selects it, if one does.
    pub rule: Option<RuleId>,
}

impl<'a> Found<'a> {
    /// The line as read, without its line ending (`\n` or `\r\n`).
    #[inline]
    pub fn text(&self) -> &'a [u8] {
        self.line.strip_suffix(b"\r").unwrap_or(self.line)
    }

    /// Whether the line ends with a plain `\n`, so that
    /// `chunk[start..start + line.len() + 1]` is the line and its newline,
    /// to copy as it is (not so for a CRLF line, or the last line without
    /// a newline).
    #[inline]
    pub fn lf(&self) -> bool {
        self.newline && self.line.last() != Some(&b'\r')
    }
}

/// The blob lines of one chunk, parsed and matched in order: an iterator
/// of [`Found`]. It ends at the chunk's end or at its first invalid line;
/// [`par_find`] reports that line's error, with its source and line number,
/// once the chunks before it are through.
pub struct Finds<'a, 'm, D: AsRef<[u8]> = Vec<u8>> {
    chunk: &'a [u8],
    pos: usize,
    newlines: LineEnds<'a>,
    cursor: Cursor<'m, D>,
    lines: u64,
    error: Option<(u64, Error)>,
}

impl<'a, 'm, D: AsRef<[u8]>> Finds<'a, 'm, D> {
    /// The lines of `chunk` (whole lines, the last one with or without its
    /// newline), matched against `matcher`.
    pub fn new(chunk: &'a [u8], matcher: &'m Matcher<D>) -> Finds<'a, 'm, D> {
        Finds {
            chunk,
            pos: 0,
            newlines: line_ends(chunk),
            cursor: matcher.cursor(),
            lines: 0,
            error: None,
        }
    }

    /// The chunk.
    pub fn chunk(&self) -> &'a [u8] {
        self.chunk
    }

    /// Consumes the iterator: the lines it read (blank ones included) and
    /// the error that stopped it, with its line counted from the chunk's
    /// first line (1).
    fn end(mut self) -> (u64, Option<(u64, Error)>) {
        // Lines the caller did not ask for are counted, not matched.
        while self.pos < self.chunk.len() && self.error.is_none() {
            self.next();
        }
        (self.lines, self.error)
    }
}

impl<'a, D: AsRef<[u8]>> Iterator for Finds<'a, '_, D> {
    type Item = Found<'a>;

    // Inlined into the caller's loop: returned through memory, `Found`
    // was stored in words and reloaded in wider loads, which stalled on
    // store forwarding in every iteration (perf annotate of match_chunk).
    #[inline(always)]
    fn next(&mut self) -> Option<Found<'a>> {
        let chunk = self.chunk;
        while self.pos < chunk.len() {
            let start = self.pos;
            let (end, plain) = self.newlines.next_line().unwrap_or((chunk.len(), false));
            let line = &chunk[start..end];
            self.pos = end + 1;
            self.lines += 1;
            // Most lines are printable ASCII, found so with their newline.
            let parsed = match plain {
                // SAFETY: `next_line` reports `plain` only for a line whose
                // bytes are all 0x20-0x7F.
                true => unsafe { parse_plain_line(line) },
                false => parse_line(line),
            };
            let blob = match parsed {
                Ok(Some(b)) => b,
                Ok(None) => continue,
                Err(e) => {
                    self.error = Some((self.lines, e));
                    self.pos = chunk.len();
                    return None;
                }
            };
            // The path begins at the container (or at the '/' before it).
            let path_start = blob.container.as_ptr() as usize - line.as_ptr() as usize;
            let path_end = blob.name.as_ptr() as usize - line.as_ptr() as usize + blob.name.len();
            let rule = self.cursor.find_blob(
                &line[path_start..path_end],
                blob.container.len(),
                blob.snapshot,
            );
            return Some(Found {
                line,
                start,
                newline: end < chunk.len(),
                blob,
                rule,
            });
        }
        None
    }
}

/// What [`par_find`] read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinesRead {
    /// Lines read, blank ones included.
    pub lines: u64,
    /// Bytes of lines read (without a byte-order mark).
    pub bytes: u64,
}

/// Reads a `lines` listing from `input` in chunks, runs `work` on each
/// chunk's [`Finds`] on the rayon pool, and hands each chunk and what `work`
/// made of it to `sink` on the calling thread, in input order.
///
/// A UTF-8 byte-order mark at the start of the input is dropped. The first
/// invalid line stops the run with its error (after `sink` has seen the
/// chunks before it and the part of its own chunk before it), named
/// `source` and at its line number; so does a line longer than
/// [`MAX_LINE`], a failed read, and the first error `sink` returns.
///
/// ```
/// use blobsel::listing::par_find;
/// use blobsel::Selection;
///
/// let xml = b"<BlobList><BlobPathPrefix>/photos/</BlobPathPrefix></BlobList>";
/// let m = Selection::parse(&xml[..], "s.xml")?.compile()?;
/// let input = &b"/photos/1\n/docs/2\r\n\n/photos/3"[..];
/// let mut selected = Vec::new();
/// par_find(Box::new(input), "listing.txt", &m,
///     |finds| finds.filter(|f| f.rule.is_some()).map(|f| f.text().to_vec()).collect::<Vec<_>>(),
///     |_chunk, lines| { selected.extend(lines); Ok::<_, blobsel::Error>(()) })?;
/// assert_eq!(selected, [b"/photos/1".to_vec(), b"/photos/3".to_vec()]);
/// # Ok::<(), blobsel::Error>(())
/// ```
pub fn par_find<D, T, E, W, S>(
    input: Box<dyn Read + Send>,
    source: &str,
    matcher: &Matcher<D>,
    work: W,
    sink: S,
) -> Result<LinesRead, E>
where
    D: AsRef<[u8]> + Send + Sync,
    T: Send,
    E: From<Error>,
    W: Fn(&mut Finds<'_, '_, D>) -> T + Sync,
    S: FnMut(&[u8], T) -> Result<(), E>,
{
    let rx = chunker(input, rayon::current_num_threads() + 1);
    drive(|| wait(&rx).ok(), source, matcher, work, sink, |_| {})
}

/// [`par_find`] on a listing held in memory: the chunks are slices of
/// `bytes`, handed to `work` and `sink` without a copy. The answers, the
/// chunks and the errors are the same as [`par_find`]'s on the same bytes.
///
/// ```
/// use blobsel::listing::par_find_slice;
/// use blobsel::Selection;
///
/// let xml = b"<BlobList><BlobPathPrefix>/photos/</BlobPathPrefix></BlobList>";
/// let m = Selection::parse(&xml[..], "s.xml")?.compile()?;
/// let mut selected = 0;
/// let read = par_find_slice(b"/photos/1\n/docs/2\n/photos/3", "listing.txt", &m,
///     |finds| finds.filter(|f| f.rule.is_some()).count(),
///     |_chunk, n| { selected += n; Ok::<_, blobsel::Error>(()) })?;
/// assert_eq!((selected, read.lines), (2, 3));
/// # Ok::<(), blobsel::Error>(())
/// ```
pub fn par_find_slice<D, T, E, W, S>(
    bytes: &[u8],
    source: &str,
    matcher: &Matcher<D>,
    work: W,
    sink: S,
) -> Result<LinesRead, E>
where
    D: AsRef<[u8]> + Send + Sync,
    T: Send,
    E: From<Error>,
    W: Fn(&mut Finds<'_, '_, D>) -> T + Sync,
    S: FnMut(&[u8], T) -> Result<(), E>,
{
    let mut chunks = SliceChunks::new(bytes);
    drive(|| chunks.next(), source, matcher, work, sink, |_| {})
}

/// [`par_find`] on a file: a regular file is mapped into memory and read
/// as [`par_find_slice`] reads a slice, so its bytes are not copied out of
/// the page cache; anything else (a pipe, a terminal, a device, or a file
/// that cannot be mapped) is read with `read`, as [`par_find`] reads it.
/// The answers and errors are the same either way.
///
/// The parts of the map that `sink` is through with are unmapped as the
/// run goes on (`madvise(MADV_DONTNEED)`), so the memory the process holds
/// stays that of the chunks in flight, not the file's size.
///
/// The file must not be truncated while it is read: with a map, reading a
/// page that no longer exists in the file stops the process (`SIGBUS`).
/// Bytes appended during the run are not read.
pub fn par_find_file<D, T, E, W, S>(
    file: File,
    source: &str,
    matcher: &Matcher<D>,
    work: W,
    sink: S,
) -> Result<LinesRead, E>
where
    D: AsRef<[u8]> + Send + Sync,
    T: Send,
    E: From<Error>,
    W: Fn(&mut Finds<'_, '_, D>) -> T + Sync,
    S: FnMut(&[u8], T) -> Result<(), E>,
{
    let map = match file.metadata() {
        // SAFETY: the map is read only, and only while `file` is open; the
        // documentation above says what a truncation during the run does.
        Ok(m) if m.is_file() && m.len() > 0 => unsafe { memmap2::Mmap::map(&file) }.ok(),
        _ => None,
    };
    let Some(map) = map else {
        return par_find(Box::new(file), source, matcher, work, sink);
    };
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Sequential);
    let base = map.as_ptr() as usize;
    let mut released = 0usize;
    let release = |chunk: &&[u8]| {
        let end = chunk.as_ptr() as usize - base + chunk.len();
        // Whole pages only, and a few MiB at a time: one call a chunk
        // would be many small calls.
        let page = 4096;
        let upto = end / page * page;
        if upto - released >= RELEASE {
            #[cfg(unix)]
            // SAFETY: the map is shared and read only: a page dropped from
            // it reads the file again if touched; and none is touched
            // again: `sink` is through with every chunk before `end`, and
            // the chunks still in flight begin at or after it.
            unsafe {
                let _ = map.unchecked_advise_range(
                    memmap2::UncheckedAdvice::DontNeed,
                    released,
                    upto - released,
                );
            }
            released = upto;
        }
    };
    let mut chunks = SliceChunks::new(&map);
    drive(|| chunks.next(), source, matcher, work, sink, release)
}

/// How much of a mapped file is released at a time, at least.
const RELEASE: usize = 4 * CHUNK;

/// The pipeline of [`par_find`], whatever the chunks are: `next` gives
/// them in input order (`None` at the end), `handed` sees each chunk once
/// `sink` is through with it.
fn drive<C, D, T, E, W, S>(
    mut next: impl FnMut() -> Option<Piece<C>>,
    source: &str,
    matcher: &Matcher<D>,
    work: W,
    mut sink: S,
    mut handed_back: impl FnMut(&C),
) -> Result<LinesRead, E>
where
    C: AsRef<[u8]> + Send,
    D: AsRef<[u8]> + Send + Sync,
    T: Send,
    E: From<Error>,
    W: Fn(&mut Finds<'_, '_, D>) -> T + Sync,
    S: FnMut(&[u8], T) -> Result<(), E>,
{
    let threads = rayon::current_num_threads();
    // Chunks in flight (read, being matched, or matched and waiting for
    // their turn): enough to keep every worker busy while the one to hand
    // over next is still being matched.
    let in_flight = 2 * threads + 2;
    let mut read = LinesRead::default();
    let work = &work;
    rayon::in_place_scope(|scope| -> Result<LinesRead, E> {
        type Done<C, T> = (
            usize,
            C,
            std::thread::Result<(T, u64, Option<(u64, Error)>)>,
        );
        let (done_tx, done_rx) = mpsc::channel::<Done<C, T>>();
        let mut waiting = BTreeMap::new();
        let (mut started, mut handed) = (0usize, 0usize);
        let mut stop: Option<Piece<C>> = None;
        let mut read_all = false;
        loop {
            while !read_all && started - handed < in_flight {
                match next() {
                    Some(Piece::Data(chunk)) => {
                        let done = done_tx.clone();
                        let index = started;
                        scope.spawn(move |_| {
                            // A panic is sent too: the caller's thread waits
                            // for every result and must not wait forever.
                            let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
                                let mut finds = Finds::new(chunk.as_ref(), matcher);
                                let made = work(&mut finds);
                                let (lines, error) = finds.end();
                                (made, lines, error)
                            }));
                            // The receiver is gone only after an error.
                            let _ = done.send((index, chunk, result));
                        });
                        started += 1;
                    }
                    Some(other) => {
                        stop = Some(other);
                        read_all = true;
                    }
                    None => read_all = true,
                }
            }
            if handed == started {
                break;
            }
            let (chunk, result) = loop {
                if let Some(next) = waiting.remove(&handed) {
                    break next;
                }
                let Ok((index, chunk, result)) = wait(&done_rx) else {
                    return Err(internal("a matching worker stopped without a result").into());
                };
                waiting.insert(index, (chunk, result));
            };
            let Ok((made, lines, error)) = result else {
                return Err(internal(&format!("matching chunk {handed} panicked")).into());
            };
            sink(chunk.as_ref(), made)?;
            if let Some((line, e)) = error {
                return Err(e.in_source(source).at_line(read.lines + line).into());
            }
            read.lines += lines;
            read.bytes += chunk.as_ref().len() as u64;
            handed += 1;
            handed_back(&chunk);
        }
        match stop {
            None | Some(Piece::Data(_)) => Ok(read),
            Some(Piece::TooLong) => Err(Error::new(
                ErrorKind::InvalidListing,
                format!(
                    "a line longer than {MAX_LINE} bytes, longer than any blob path: \
                     is this a lines listing? (choose the format with --listing-format)"
                ),
            )
            .in_source(source)
            .at_line(read.lines + 1)
            .into()),
            Some(Piece::Failed(e)) => Err(Error::new(ErrorKind::Io, format!("read failed: {e}"))
                .in_source(source)
                .into()),
        }
    })
}

/// The next message of `rx`. On a thread of a rayon pool (a caller inside
/// `ThreadPool::install`), waiting must not block the thread, or the jobs
/// this wait is for may never run on it: it runs other jobs while it waits.
fn wait<T>(rx: &mpsc::Receiver<T>) -> Result<T, mpsc::RecvError> {
    if rayon::current_thread_index().is_none() {
        return rx.recv();
    }
    loop {
        match rx.try_recv() {
            Ok(message) => return Ok(message),
            Err(mpsc::TryRecvError::Disconnected) => return Err(mpsc::RecvError),
            Err(mpsc::TryRecvError::Empty) => {
                if rayon::yield_now() != Some(rayon::Yield::Executed) {
                    match rx.recv_timeout(std::time::Duration::from_millis(1)) {
                        Ok(message) => return Ok(message),
                        Err(mpsc::RecvTimeoutError::Disconnected) => return Err(mpsc::RecvError),
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                    }
                }
            }
        }
    }
}

fn internal(what: &str) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("internal error: {what} (a bug: please report it)"),
    )
}

/// What a chunker gives: a chunk of whole lines, or why it stopped.
enum Piece<C> {
    Data(C),
    TooLong,
    Failed(io::Error),
}

/// Reads `input` into chunks that end at a newline, on its own thread, so
/// reading overlaps matching; at most `depth` chunks wait.
fn chunker(mut input: Box<dyn Read + Send>, depth: usize) -> mpsc::Receiver<Piece<Vec<u8>>> {
    let (tx, rx) = mpsc::sync_channel(depth);
    std::thread::spawn(move || {
        let mut carry: Vec<u8> = Vec::new();
        let mut first = true;
        loop {
            let mut buf = Vec::with_capacity(CHUNK + carry.len());
            buf.append(&mut carry);
            let want = (CHUNK - buf.len().min(CHUNK / 2)) as u64;
            // `take` + `read_to_end` fills without zeroing the buffer first.
            let eof = match (&mut input).take(want).read_to_end(&mut buf) {
                Ok(n) => (n as u64) < want,
                Err(e) => {
                    let _ = tx.send(Piece::Failed(e));
                    return;
                }
            };
            if first {
                first = false;
                let mark = buf.len() - strip_bom(&buf).len();
                buf.drain(..mark);
            }
            if !eof {
                match memchr::memrchr(b'\n', &buf) {
                    Some(i) => carry.extend_from_slice(&buf[i + 1..]),
                    None => {
                        let _ = tx.send(Piece::TooLong);
                        return;
                    }
                }
                buf.truncate(buf.len() - carry.len());
                if carry.len() > MAX_LINE {
                    let _ = tx.send(Piece::Data(buf));
                    let _ = tx.send(Piece::TooLong);
                    return;
                }
            }
            if !buf.is_empty() && tx.send(Piece::Data(buf)).is_err() {
                return;
            }
            if eof {
                return;
            }
        }
    });
    rx
}

/// The chunks [`chunker`] would read from the same bytes, as slices of
/// them. [`chunker`] fills a buffer of [`CHUNK`] bytes (the first read's
/// less a byte-order mark), cuts it back to its last newline and begins
/// the next buffer with the rest; these are the same cuts, so a line cut
/// by a buffer's end and longer than [`MAX_LINE`] is refused as too long
/// here as there, and every error is the same.
struct SliceChunks<'a> {
    bytes: &'a [u8],
    /// Where the next chunk begins.
    pos: usize,
    /// Where the next buffer ends.
    read_to: usize,
    /// What comes after the chunk just given.
    then: Option<Piece<&'a [u8]>>,
    done: bool,
}

impl<'a> SliceChunks<'a> {
    fn new(bytes: &'a [u8]) -> SliceChunks<'a> {
        // The mark is dropped from the first buffer's bytes.
        let mark = bytes.len() - strip_bom(bytes).len();
        SliceChunks {
            bytes,
            pos: mark,
            read_to: CHUNK,
            then: None,
            done: false,
        }
    }
}

impl<'a> Iterator for SliceChunks<'a> {
    type Item = Piece<&'a [u8]>;

    fn next(&mut self) -> Option<Piece<&'a [u8]>> {
        if let Some(then) = self.then.take() {
            return Some(then);
        }
        if self.done {
            return None;
        }
        // A buffer that the input cannot fill is the last one.
        let last = self.bytes.len() < self.read_to;
        let buf = &self.bytes[self.pos..self.bytes.len().min(self.read_to)];
        let chunk = if last {
            self.done = true;
            buf
        } else {
            let Some(i) = memchr::memrchr(b'\n', buf) else {
                self.done = true;
                return Some(Piece::TooLong);
            };
            if buf.len() - (i + 1) > MAX_LINE {
                self.done = true;
                self.then = Some(Piece::TooLong);
            }
            &buf[..=i]
        };
        self.pos += chunk.len();
        self.read_to = self.pos + CHUNK;
        (!chunk.is_empty()).then_some(Piece::Data(chunk))
    }
}
