//! Typed errors that carry where they happened and how to fix them.

use std::fmt;

/// A place in a source text: 1-based line and column (columns count
/// characters, not bytes, so they match what an editor shows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl Position {
    /// The position of byte `offset` in `text`. Offsets past the end are
    /// clamped to the end; an offset inside a UTF-8 sequence counts the
    /// partial character.
    pub fn from_offset(text: &[u8], offset: usize) -> Position {
        Position { line: 1, column: 1 }.advance(&text[..offset.min(text.len())])
    }

    /// The position after reading `bytes` from this one: a newline starts a
    /// line, every other byte that begins a UTF-8 character is a column.
    pub fn advance(mut self, bytes: &[u8]) -> Position {
        for &b in bytes {
            if b == b'\n' {
                self.line = self.line.saturating_add(1);
                self.column = 1;
            } else if b & 0xC0 != 0x80 {
                self.column = self.column.saturating_add(1);
            }
        }
        self
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// What kind of problem an [`Error`] reports.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The text is not well-formed XML or JSON, or is truncated.
    Syntax,
    /// The text is not UTF-8 (or a UTF-16 document could not be decoded).
    Encoding,
    /// An XML document type declaration: rejected, entities are never expanded.
    Dtd,
    /// The content is not any of the selection forms.
    UnrecognizedForm,
    /// An element that has no place in a blob list (a typo changes meaning).
    UnknownElement,
    /// An attribute that has no place on this element.
    UnknownAttribute,
    /// A JSON key that has no place inside `Export`/`BlobList`.
    UnknownKey,
    /// A JSON key that blobsel reads, given twice in one object: readers
    /// disagree on which one counts (the first, the last, or an error).
    DuplicateKey,
    /// A JSON value of the wrong type (an object where a list belongs, …).
    WrongType,
    /// An import job that carries `Export`.
    ImportJobWithExport,
    /// An export job without `Export`.
    MissingExport,
    /// A job whose type is neither import nor export.
    InvalidJobType,
    /// Both `BlobList` and `BlobListBlobPath`.
    BothBlobLists,
    /// Neither `BlobList` nor `BlobListBlobPath`.
    NoBlobList,
    /// An inline JSON `BlobList` over 32 KiB.
    InlineBlobListTooLarge,
    /// A rule outside the container of the job's container SAS.
    OutsideContainerSas,
    /// A `ContainerSas` that is not `container?` and a SAS token.
    InvalidContainerSas,
    /// A prefix that does not begin with `/`.
    PrefixWithoutSlash,
    /// An empty path or prefix.
    EmptyPath,
    /// A blob path that names no blob (`/video`, `/logo.bmp`).
    MissingBlobName,
    /// A container name that no container can have.
    InvalidContainerName,
    /// A blob name over 1,024 characters.
    BlobNameTooLong,
    /// A control character (0x00–0x1F) in a path.
    ControlCharacter,
    /// `IncludeSnapshots` that is not an XML Schema boolean.
    InvalidIncludeSnapshots,
    /// A snapshot time that does not parse.
    InvalidSnapshotTime,
    /// `IncludeSnapshots` and `SnapshotTime` on one `BlobPath`.
    ConflictingAttributes,
    /// The selection names a blob list blob whose content was not supplied.
    BlobListNotSupplied,
    /// A `BlobListBlobPath` that is not a `container/blob` path.
    InvalidBlobListBlobPath,
    /// A serialized matcher that is corrupt or of another format version.
    InvalidIndex,
    /// A listing line or record that is not a valid blob.
    InvalidListing,
    /// A selection that cannot be written in the requested form.
    Unrepresentable,
    /// Reading or writing failed.
    Io,
    /// The storage account refused a request or could not be reached, or its
    /// address, connection string or credentials are malformed. The message
    /// names the operation, the HTTP status, the service's error code and
    /// `x-ms-request-id` when there are any, and never a credential.
    Remote,
    /// A drive manifest or copy log (docs/semantics.md §7) that is not valid: a missing
    /// or repeated element, a bad number or hash, blocks that do not cover
    /// the file, ranges that overlap or pass the blob's length.
    InvalidManifest,
    /// A manifest `FilePath` that would leave the drive's root (`..`, an
    /// absolute path, a drive letter, a symlink out of the drive): it is
    /// never followed.
    UnsafeFilePath,
}

/// An error with its kind, the source it came from, the position in that
/// source, and a message that says what is wrong and how to fix it.
///
/// Displayed as `source:line:column: message` — `source:line: message`
/// for a line-based listing, which has no columns — or with fewer parts
/// when they are unknown: the shape compilers use, which editors and
/// terminals turn into links.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source_name: Option<String>,
    position: Option<Position>,
    line_only: bool,
    key_path: Option<String>,
}

impl Error {
    /// A new error of `kind` with a lowercase message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            source_name: None,
            position: None,
            line_only: false,
            key_path: None,
        }
    }

    /// Sets the position in the source text.
    pub fn at(mut self, position: Position) -> Error {
        self.position = Some(position);
        self.line_only = false;
        self
    }

    /// Sets the position as a line number only (listings are line-based).
    pub fn at_line(mut self, line: u64) -> Error {
        self.position = Some(Position {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: 1,
        });
        self.line_only = true;
        self
    }

    /// Sets the source name (a file name, or `<stdin>`) unless one is set.
    pub fn in_source(mut self, name: impl Into<String>) -> Error {
        if self.source_name.is_none() {
            self.source_name = Some(name.into());
        }
        self
    }

    /// Sets the JSON key path (`Export.BlobList.BlobPath[3]`).
    pub fn with_key_path(mut self, path: impl Into<String>) -> Error {
        self.key_path = Some(path.into());
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message alone, without source and position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The source the error is in, when known.
    pub fn source_name(&self) -> Option<&str> {
        self.source_name.as_deref()
    }

    /// The position in the source, when known.
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    /// The JSON key path, when known.
    pub fn key_path(&self) -> Option<&str> {
        self.key_path.as_deref()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.source_name, self.position) {
            (Some(name), Some(p)) if self.line_only => write!(f, "{name}:{}: ", p.line)?,
            (Some(name), Some(p)) => write!(f, "{name}:{p}: ")?,
            (Some(name), None) => write!(f, "{name}: ")?,
            (None, Some(p)) if self.line_only => write!(f, "{}: ", p.line)?,
            (None, Some(p)) => write!(f, "{p}: ")?,
            (None, None) => {}
        }
        if let Some(key) = &self.key_path {
            write!(f, "{key}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A quick-xml error as ours; `what` names the document ("a drive
/// manifest", "a List Blobs response"). The streamed XML readers share it.
pub(crate) fn xml_error(e: quick_xml::Error, what: &str) -> Error {
    match e {
        quick_xml::Error::Io(e) => Error::new(ErrorKind::Io, format!("cannot read: {e}")),
        quick_xml::Error::Encoding(e) => {
            Error::new(ErrorKind::Encoding, format!("{e}: {what} is UTF-8"))
        }
        e => Error::new(ErrorKind::Syntax, format!("malformed XML: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_counts_lines_and_characters() {
        let text = "ab\ncé\u{1F600}x\n";
        assert_eq!(
            Position::from_offset(text.as_bytes(), 0),
            Position { line: 1, column: 1 }
        );
        assert_eq!(
            Position::from_offset(text.as_bytes(), 3),
            Position { line: 2, column: 1 }
        );
        let x = text.find('x').unwrap();
        assert_eq!(
            Position::from_offset(text.as_bytes(), x),
            Position { line: 2, column: 4 }
        );
        assert_eq!(Position::from_offset(text.as_bytes(), 999).line, 3);
    }

    #[test]
    fn display_names_source_position_and_key() {
        let e = Error::new(ErrorKind::PrefixWithoutSlash, "prefix must begin with '/'")
            .at(Position { line: 3, column: 7 })
            .in_source("job.json")
            .with_key_path("Export.BlobList.BlobPathPrefix[0]");
        assert_eq!(
            e.to_string(),
            "job.json:3:7: Export.BlobList.BlobPathPrefix[0]: prefix must begin with '/'"
        );
        let e = Error::new(ErrorKind::InvalidListing, "bad")
            .at_line(12)
            .in_source("<stdin>");
        assert_eq!(e.to_string(), "<stdin>:12: bad");
    }
}
