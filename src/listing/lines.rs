//! The `lines` listing format: one blob a line, `PATH` or `PATH<TAB>SNAPSHOT`.
//!
//! `PATH` is `/container/blob` or `container/blob`. Lines end with `\n` or
//! `\r\n`; blank lines (empty, or only spaces) are skipped. Every other line
//! must be a valid blob: a line that is not is an error naming the source and
//! the line number, never silently dropped (docs/semantics.md §5).
//!
//! [`parse_line`] is the hot path: it validates a line without allocating.

use std::io::BufRead;

use memchr::memchr;

use crate::error::{Error, ErrorKind};
use crate::listing::{invalid, io_error, parse_snapshot, to_listing_error};
use crate::listing::{ListingEntry, ListingReader};
use crate::path::{check_container, check_name_length, BlobPath, Reading};
use crate::snapshot::SnapshotTime;
use crate::text::strip_bom;
pub use crate::words::LineEnds;
use crate::words::{has_control, plain_ascii};

/// One blob of a `lines` listing, borrowed from the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LineBlob<'a> {
    /// The container name (`$root` for the root container).
    pub container: &'a str,
    /// The blob name.
    pub name: &'a str,
    /// The snapshot time, when the line has one.
    pub snapshot: Option<SnapshotTime>,
}

impl<'a> LineBlob<'a> {
    /// The canonical path `/container/name` in pieces, to write it without
    /// allocating: `["/", container, "/", name]`.
    pub fn canonical_pieces(&self) -> [&'a str; 4] {
        ["/", self.container, "/", self.name]
    }

    /// Appends the canonical path `/container/name` to `out`.
    pub fn push_canonical(&self, out: &mut String) {
        self.blob_path().push_canonical(out);
    }

    /// The container and blob name as a [`BlobPath`].
    pub fn blob_path(&self) -> BlobPath<'a> {
        BlobPath {
            container: self.container,
            name: self.name,
        }
    }
}

/// The index of every `\n` in `bytes`, in order: where the lines of a chunk
/// of a `lines` listing end. Equivalent to `memchr::memchr_iter(b'\n',
/// bytes)`, but it finds the newlines of 64 bytes at a time and hands them
/// out from a bit mask, so the short lines of a listing cost a few
/// instructions each instead of a search set up per line.
///
/// ```
/// let ends: Vec<usize> = blobsel::listing::lines::line_ends(b"/a/x\n/b/y\n/c").collect();
/// assert_eq!(ends, [4, 9]);
/// ```
pub fn line_ends(bytes: &[u8]) -> LineEnds<'_> {
    LineEnds::new(bytes)
}

/// Parses one line of a `lines` listing, given without its `\n` (a trailing
/// `\r` is stripped). Returns `Ok(None)` for a blank line.
///
/// Errors are [`ErrorKind::InvalidListing`] (or [`ErrorKind::Encoding`] for
/// invalid UTF-8) without a source or line: the caller adds them with
/// [`Error::in_source`] and [`Error::at_line`]. Nothing is allocated unless
/// the line is bad.
///
/// ```
/// use blobsel::listing::parse_line;
/// let blob = parse_line(b"/photos/a.jpg\t2011-03-09T01:42:34.936Z\r")?.unwrap();
/// assert_eq!((blob.container, blob.name), ("photos", "a.jpg"));
/// assert_eq!(blob.snapshot.unwrap().to_string(), "2011-03-09T01:42:34.9360000Z");
/// assert!(parse_line(b"   ")?.is_none());
/// assert!(parse_line(b"/photos").is_err());
/// # Ok::<(), blobsel::Error>(())
/// ```
pub fn parse_line(line: &[u8]) -> Result<Option<LineBlob<'_>>, Error> {
    let line = match line.split_last() {
        Some((b'\r', rest)) => rest,
        _ => line,
    };
    if line.first().is_none_or(|&b| b == b' ') && line.iter().all(|&b| b == b' ') {
        return Ok(None);
    }
    let (path, snapshot) = match plain_ascii(line) {
        Some(text) => (text, None),
        None => match split_plain_snapshot(line) {
            Some((path, time)) => (path, Some(parse_snapshot(time)?)),
            None => split_snapshot(line)?,
        },
    };
    blob(path, snapshot)
}

/// [`parse_line`] for a line of printable ASCII only (bytes 0x20–0x7F: no
/// TAB, no CR, no control character), as [`LineEnds::next_line`] finds
/// them: the same answer without checking the bytes again.
///
/// # Safety
///
/// Every byte of `line` is below 0x80 (so it is UTF-8); [`LineEnds`]
/// reports which lines are so.
#[inline]
pub(crate) unsafe fn parse_plain_line(line: &[u8]) -> Result<Option<LineBlob<'_>>, Error> {
    debug_assert!(plain_ascii(line).is_some());
    if line.first().is_none_or(|&b| b == b' ') && line.iter().all(|&b| b == b' ') {
        return Ok(None);
    }
    // SAFETY: the caller passes ASCII only (this function's contract),
    // which is UTF-8.
    let path = unsafe { std::str::from_utf8_unchecked(line) };
    blob(path, None)
}

/// The blob of a line's path (and snapshot time), its container and name
/// checked.
#[inline(always)]
fn blob(path: &str, snapshot: Option<SnapshotTime>) -> Result<Option<LineBlob<'_>>, Error> {
    let BlobPath { container, name } = match BlobPath::split_ordinary(path) {
        Some(split) => split,
        None => {
            let split = BlobPath::split(path, Reading::Listing).map_err(to_listing_error)?;
            check_container(split.container).map_err(to_listing_error)?;
            split
        }
    };
    check_name_length(name).map_err(to_listing_error)?;
    Ok(Some(LineBlob {
        container,
        name,
        snapshot,
    }))
}

/// The common line with a snapshot: printable ASCII but for one TAB,
/// with text on both sides of it; `None` for anything else.
#[inline]
fn split_plain_snapshot(line: &[u8]) -> Option<(&str, &str)> {
    let tab = memchr(b'\t', line)?;
    let (path, time) = (&line[..tab], &line[tab + 1..]);
    if path.is_empty() || time.is_empty() {
        return None;
    }
    Some((plain_ascii(path)?, plain_ascii(time)?))
}

/// The slow path of [`parse_line`]: the TAB, the snapshot time, and
/// control characters.
fn split_snapshot(line: &[u8]) -> Result<(&str, Option<SnapshotTime>), Error> {
    let text = std::str::from_utf8(line).map_err(|e| bad_utf8(e.valid_up_to()))?;
    let Some(tab) = memchr(b'\t', text.as_bytes()) else {
        check_no_control(text, "")?;
        return Ok((text, None));
    };
    let (path, s) = (&text[..tab], &text[tab + 1..]);
    check_no_control(path, "")?;
    check_no_control(s, &text[..tab + 1])?;
    if path.is_empty() {
        return Err(invalid("missing blob path before the TAB".to_string()));
    }
    if s.is_empty() {
        return Err(invalid(
            "empty snapshot time after the TAB: remove the TAB, or write a \
             time like 2011-03-09T01:42:34.9360000Z"
                .to_string(),
        ));
    }
    Ok((path, Some(parse_snapshot(s)?)))
}

fn bad_utf8(valid_up_to: usize) -> Error {
    Error::new(
        ErrorKind::Encoding,
        format!(
            "invalid UTF-8 at byte {} of the line: listings are UTF-8 text \
             (convert the file, e.g. with iconv -t UTF-8)",
            valid_up_to + 1
        ),
    )
}

/// Reads a `lines` listing from any [`BufRead`], one line buffer reused.
#[derive(Debug)]
pub struct LinesReader<R: BufRead> {
    reader: R,
    source: String,
    buf: Vec<u8>,
    line: u64,
}

impl<R: BufRead> LinesReader<R> {
    /// A reader of `reader`; `source_name` (a file name, or `<stdin>`) is
    /// what errors name.
    pub fn new(reader: R, source_name: impl Into<String>) -> LinesReader<R> {
        LinesReader {
            reader,
            source: source_name.into(),
            buf: Vec::with_capacity(256),
            line: 0,
        }
    }
}

impl<R: BufRead> ListingReader for LinesReader<R> {
    fn read_entry(&mut self, entry: &mut ListingEntry) -> Result<bool, Error> {
        entry.clear();
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(io_error(&e, &self.source, self.line + 1)),
            };
            let newline = memchr(b'\n', available);
            let found = match (newline, self.buf.is_empty()) {
                // The common case: a whole line in the reader's buffer,
                // parsed where it is.
                (Some(end), true) => {
                    self.line += 1;
                    let found = take_line(&available[..end], self.line, &self.source, entry);
                    self.reader.consume(end + 1);
                    found
                }
                // The end of a line that began in an earlier buffer.
                (Some(end), false) => {
                    self.buf.extend_from_slice(&available[..end]);
                    self.reader.consume(end + 1);
                    self.take_buffered(entry)
                }
                (None, true) if available.is_empty() => return Ok(false),
                // The last line, without a newline.
                (None, false) if available.is_empty() => self.take_buffered(entry),
                // A line that goes on in the next buffer.
                (None, _) => {
                    let n = available.len();
                    self.buf.extend_from_slice(available);
                    self.reader.consume(n);
                    continue;
                }
            };
            if found? {
                return Ok(true);
            }
        }
    }
}

impl<R: BufRead> LinesReader<R> {
    /// Parses the line gathered in `buf`, and empties `buf`.
    fn take_buffered(&mut self, entry: &mut ListingEntry) -> Result<bool, Error> {
        self.line += 1;
        let found = take_line(&self.buf, self.line, &self.source, entry);
        self.buf.clear();
        if self.buf.capacity() > 1 << 20 {
            self.buf = Vec::new(); // do not keep a huge line's memory
        }
        found
    }
}

/// Parses line number `number` (without its `\n`) into `entry`; `Ok(false)`
/// for a blank line.
fn take_line(
    line: &[u8],
    number: u64,
    source: &str,
    entry: &mut ListingEntry,
) -> Result<bool, Error> {
    let line = match number {
        1 => strip_bom(line),
        _ => line,
    };
    match parse_line(line) {
        Ok(None) => Ok(false),
        Ok(Some(blob)) => {
            blob.push_canonical(&mut entry.path);
            entry.container_len = blob.container.len();
            entry.snapshot = blob.snapshot;
            entry.line = number;
            Ok(true)
        }
        Err(e) => Err(e.at_line(number).in_source(source)),
    }
}

/// Fails on the first control character of `text`; `before` is the text
/// on the line before it (for the column in the message).
fn check_no_control(text: &str, before: &str) -> Result<(), Error> {
    if !has_control(text.as_bytes()) {
        return Ok(());
    }
    let (at, c) = text
        .chars()
        .enumerate()
        .find(|(_, c)| (*c as u32) < 0x20)
        .unwrap_or((0, '\0'));
    let column = before.chars().count() + at + 1;
    Err(invalid(if c == '\t' {
        format!(
            "a second TAB at column {column}: a line is PATH or PATH<TAB>SNAPSHOT, \
             and blob names cannot contain a TAB"
        )
    } else {
        format!(
            "control character U+{:04X} at column {column}: blob names cannot \
             contain characters 0x00-0x1F",
            c as u32
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::test_util::{kind_line, paths, read_all};
    use crate::listing::ListingFormat;

    const T: &str = "2011-03-09T01:42:34.9360000Z";

    #[test]
    fn good_lines() {
        let long = format!("/photos/{}", "é".repeat(1024));
        let cases: &[(&[u8], &str, &str, Option<&str>)] = &[
            (b"/photos/a.jpg", "photos", "a.jpg", None),
            (b"photos/a.jpg", "photos", "a.jpg", None),
            (b"photos/a.jpg\r", "photos", "a.jpg", None),
            (b"/$root/logo.bmp", "$root", "logo.bmp", None),
            (b"/$web/index.html", "$web", "index.html", None),
            (
                "/photos/albums/été/ä ö.jpg".as_bytes(),
                "photos",
                "albums/été/ä ö.jpg",
                None,
            ),
            (b"/photos/ spaced name ", "photos", " spaced name ", None),
            (b"/photos//a", "photos", "/a", None),
            (
                b"/photos/a\t2011-03-09T01:42:34.936Z",
                "photos",
                "a",
                Some(T),
            ),
            (
                b"/photos/a\t2011-03-09T01:42:34.9360000Z\r",
                "photos",
                "a",
                Some(T),
            ),
            (
                b"photos/a\t2011-03-09T01:42:34.936000Z",
                "photos",
                "a",
                Some(T),
            ),
            (
                b"photos/a\t2011-03-09T02:42:34.936+01:00",
                "photos",
                "a",
                Some(T),
            ),
            (long.as_bytes(), "photos", &long[8..], None),
        ];
        for &(line, container, name, snapshot) in cases {
            let blob = parse_line(line)
                .unwrap_or_else(|e| panic!("{:?}: {e}", String::from_utf8_lossy(line)))
                .unwrap();
            assert_eq!((blob.container, blob.name), (container, name));
            assert_eq!(blob.snapshot.map(|s| s.to_string()).as_deref(), snapshot);
            let mut path = String::new();
            blob.push_canonical(&mut path);
            assert_eq!(path, format!("/{container}/{name}"));
            assert_eq!(blob.blob_path().canonical(), path);
        }
        for blank in [&b""[..], b" ", b"    ", b"\r", b"  \r"] {
            assert_eq!(parse_line(blank).unwrap(), None);
        }
    }

    #[test]
    fn bad_lines() {
        let too_long = format!("/photos/{}", "é".repeat(1025));
        let cases: &[(&[u8], ErrorKind, &str)] = &[
            (b"/photos", ErrorKind::InvalidListing, "no blob name"),
            (b"photos", ErrorKind::InvalidListing, "/$root/photos"),
            (b"/logo.bmp", ErrorKind::InvalidListing, "no blob name"),
            (b"/photos/", ErrorKind::InvalidListing, "but no blob"),
            (b"/", ErrorKind::InvalidListing, "no container and no blob"),
            (b"//a", ErrorKind::InvalidListing, "invalid container name"),
            (
                b"/Photos/a",
                ErrorKind::InvalidListing,
                "did you mean \"photos\"",
            ),
            (
                b"/ab/a",
                ErrorKind::InvalidListing,
                "invalid container name",
            ),
            (
                b"/$rooty/a",
                ErrorKind::InvalidListing,
                "special containers",
            ),
            (
                b" /photos/a",
                ErrorKind::InvalidListing,
                "invalid container name",
            ),
            (b"\t", ErrorKind::InvalidListing, "missing blob path"),
            (
                b"\t2011-03-09T01:42:34Z",
                ErrorKind::InvalidListing,
                "missing blob path",
            ),
            (b"/photos/a\t", ErrorKind::InvalidListing, "empty snapshot"),
            (
                b"/photos/a\tyesterday",
                ErrorKind::InvalidListing,
                "invalid snapshot time",
            ),
            (
                b"/photos/a\t2011-03-09T01:42:34.936Z ",
                ErrorKind::InvalidListing,
                "invalid snapshot",
            ),
            (
                b"/photos/a\t2011-03-09T01:42:34Z\tx",
                ErrorKind::InvalidListing,
                "second TAB at column 31",
            ),
            (
                b"/photos/a\x01b",
                ErrorKind::InvalidListing,
                "U+0001 at column 10",
            ),
            (b"/photos/a\rb", ErrorKind::InvalidListing, "U+000D"),
            (b"/photos/a\r\r", ErrorKind::InvalidListing, "U+000D"),
            (b"/photos/a\x1f", ErrorKind::InvalidListing, "U+001F"),
            (b"/photos/\xff", ErrorKind::Encoding, "byte 9"),
            (b"/photos/a\t\xff", ErrorKind::Encoding, "UTF-8"),
            (
                too_long.as_bytes(),
                ErrorKind::InvalidListing,
                "1025 characters",
            ),
        ];
        for &(line, kind, text) in cases {
            let e = parse_line(line).unwrap_err();
            assert_eq!(e.kind(), kind, "{:?}: {e}", String::from_utf8_lossy(line));
            assert!(
                e.message().contains(text),
                "{:?}: {e}",
                String::from_utf8_lossy(line)
            );
            assert_eq!(e.position(), None);
        }
    }

    /// The plain path gives what `parse_line` gives, blob or error, for
    /// every line of printable ASCII.
    #[test]
    fn plain_lines_parse_as_parse_line_parses_them() {
        let too_long = format!("/photos/{}", "x".repeat(1025));
        let mut lines: Vec<&[u8]> = vec![
            b"/photos/a.jpg",
            b"photos/a.jpg",
            b"/$root/logo.bmp",
            b"/$web/index.html",
            b"/photos/ spaced name ",
            b"/photos//a",
            b"",
            b"   ",
            b"/photos",
            b"photos",
            b"/photos/",
            b"/",
            b"//a",
            b"/Photos/a",
            b"/ab/a",
            b"/$rooty/a",
            b" /photos/a",
            b"/a-b/c",
            b"/a--b/c",
            b"/abc-/c",
            b"/photos/a\x7f",
        ];
        lines.push(too_long.as_bytes());
        for line in lines {
            assert!(plain_ascii(line).is_some());
            // SAFETY: checked just above.
            match (parse_line(line), unsafe { parse_plain_line(line) }) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err(b)) => {
                    assert_eq!((a.kind(), a.message()), (b.kind(), b.message()))
                }
                (a, b) => panic!("{:?}: {a:?} and {b:?}", String::from_utf8_lossy(line)),
            }
        }
    }

    #[test]
    fn reader_counts_lines_and_skips_blanks() {
        let input = "\u{FEFF}/photos/a.jpg\r\n\r\n   \nphotos/b\t2011-03-09T01:42:34.936Z\n\n/$root/logo.bmp";
        let entries = read_all(ListingFormat::Lines, input.as_bytes()).unwrap();
        assert_eq!(
            paths(&entries),
            [
                "/photos/a.jpg",
                &format!("/photos/b@{T}"),
                "/$root/logo.bmp"
            ]
        );
        assert_eq!(
            entries.iter().map(|e| e.line).collect::<Vec<_>>(),
            [1, 4, 6]
        );
        assert_eq!(entries[2].container(), "$root");
        assert_eq!(entries[2].name(), "logo.bmp");
        assert_eq!(entries[0].size, None);
        // Every buffer size mixes lines parsed in place and gathered ones.
        for capacity in 2..24 {
            let mut reader = LinesReader::new(
                std::io::BufReader::with_capacity(capacity, input.as_bytes()),
                "x",
            );
            let mut entry = ListingEntry::default();
            for expected in &entries {
                assert!(reader.read_entry(&mut entry).unwrap());
                assert_eq!(&entry, expected, "capacity {capacity}");
            }
            assert!(!reader.read_entry(&mut entry).unwrap());
        }
        assert!(read_all(ListingFormat::Lines, b"").unwrap().is_empty());
        assert!(read_all(ListingFormat::Lines, b"\n \n\r\n")
            .unwrap()
            .is_empty());
    }

    #[test]
    fn reader_errors_name_source_and_line() {
        let cases: &[(&[u8], ErrorKind, u32)] = &[
            (b"/photos/a\n\n/Photos/b\n", ErrorKind::InvalidListing, 3),
            (b"/photos/a\r\n/photos\r\n", ErrorKind::InvalidListing, 2),
            (b"/photos/a\n/photos/b\tx", ErrorKind::InvalidListing, 2),
            (
                b"\xEF\xBB\xBF\xEF\xBB\xBF/photos/a",
                ErrorKind::InvalidListing,
                1,
            ),
            (b"abc/b\n/photos/\xc3\n", ErrorKind::Encoding, 2),
            (
                b"/photos/a\n\n\n/photos/b\x00c\n",
                ErrorKind::InvalidListing,
                4,
            ),
        ];
        for &(input, kind, line) in cases {
            let e = read_all(ListingFormat::Lines, input).unwrap_err();
            assert_eq!(kind_line(&e), (kind, line), "{e}");
            assert!(
                e.to_string().starts_with(&format!("test.in:{line}: ")),
                "{e}"
            );
        }
    }

    #[test]
    fn a_huge_line_is_one_bounded_error() {
        let mut input = b"/photos/ok\n/photos/".to_vec();
        input.resize(16 << 20, b'x');
        input.extend_from_slice(b"\n/photos/after\n");
        let mut reader = LinesReader::new(&input[..], "big.txt");
        let mut entry = ListingEntry::default();
        assert!(reader.read_entry(&mut entry).unwrap());
        let e = reader.read_entry(&mut entry).unwrap_err();
        assert_eq!(
            (e.kind(), e.position().unwrap().line),
            (ErrorKind::InvalidListing, 2)
        );
        assert!(e.message().len() < 300, "{}", e.message().len());
        // The reader goes on after an error, at the next line.
        assert!(reader.read_entry(&mut entry).unwrap());
        assert_eq!((entry.path.as_str(), entry.line), ("/photos/after", 3));
    }
}
