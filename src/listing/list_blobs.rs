//! Azure List Blobs responses: `EnumerationResults` XML pages.
//!
//! The reader streams (quick-xml over a [`BufRead`], buffers reused, never a
//! DOM) and accepts several pages `cat`ed into one file, each with its own
//! XML declaration. The container of every blob is the page's
//! `ContainerName` attribute. `BlobPrefix` elements (virtual directories of
//! a delimiter listing) are not blobs and are skipped; elements blobsel does
//! not read are ignored (the service adds properties over time), except in
//! `<Blob>` and its `<Properties>` one that looks like a misspelling of an
//! element it reads (`<Content-Lenght>`, `<snapshot>`), which is an error.
//! A DOCTYPE is rejected.
//!
//! # Uncommitted blobs
//!
//! With `include=uncommittedblobs` the service lists blobs that have only
//! uncommitted blocks. The response has no flag for them; they are told
//! apart by what only a commit sets. In the captures (Azurite 3.37,
//! `tests/fixtures/listings/list-blobs-photos.xml`) an uncommitted blob is a `BlockBlob`
//! with `Content-Length` 0 and *none* of `Content-Type`, `ServerEncrypted`
//! and `AccessTier`, all three of which every committed blob has (Azure
//! lists the same three for committed blobs, and a blob's length counts only
//! committed blocks). So, for [`ListingEntry::committed`]:
//!
//! - `Some(true)`: a snapshot or previous version (always of a committed
//!   blob), a page or append blob (they have no uncommitted state), a
//!   length over 0, a lease (only a blob that exists can be leased), or
//!   any of `ServerEncrypted`, `AccessTier` or a non-empty `Content-Type`;
//! - `Some(false)`: a `BlockBlob` of `Content-Length` 0 with none of those
//!   three elements;
//! - `None` otherwise (the properties needed to tell are missing).
//!
//! `Last-Modified` and `Etag` do not tell: Azurite lists them for
//! uncommitted blobs too.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::{Error, ErrorKind, Position};
use crate::listing::{invalid, is_other_azure_field, parse_last_modified, parse_snapshot, quoted};
use crate::listing::{
    parse_blob_type, parse_bool, parse_lease_state, BlobType, ListingEntry, ListingReader,
};
use crate::text::{Counting, SkipBom};

const START: Position = Position { line: 1, column: 1 };

/// Where an element sits, as far as blobs are concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Root,
    Blobs,
    Blob,
    Properties,
    NextMarker,
    Name,
    Snapshot,
    VersionId,
    IsCurrentVersion,
    ContentLength,
    LastModified,
    BlobType,
    LeaseState,
    ContentType,
    ServerEncrypted,
    AccessTier,
    /// Anything else, and everything inside it (`BlobPrefix`, `Metadata`…).
    Other,
}

impl Tag {
    /// The tag of a child element of `self` named `name`.
    fn child(self, name: &[u8]) -> Tag {
        match (self, name) {
            (Tag::Root, b"Blobs") => Tag::Blobs,
            (Tag::Root, b"NextMarker") => Tag::NextMarker,
            (Tag::Blobs, b"Blob") => Tag::Blob,
            (Tag::Blob, b"Name") => Tag::Name,
            (Tag::Blob, b"Snapshot") => Tag::Snapshot,
            (Tag::Blob, b"VersionId") => Tag::VersionId,
            (Tag::Blob, b"IsCurrentVersion") => Tag::IsCurrentVersion,
            (Tag::Blob, b"Properties") => Tag::Properties,
            (Tag::Properties, b"Content-Length") => Tag::ContentLength,
            (Tag::Properties, b"Last-Modified") => Tag::LastModified,
            (Tag::Properties, b"BlobType") => Tag::BlobType,
            (Tag::Properties, b"LeaseState") => Tag::LeaseState,
            (Tag::Properties, b"Content-Type") => Tag::ContentType,
            (Tag::Properties, b"ServerEncrypted") => Tag::ServerEncrypted,
            (Tag::Properties, b"AccessTier") => Tag::AccessTier,
            _ => Tag::Other,
        }
    }

    /// Whether the element's text is wanted.
    fn collects_text(self) -> bool {
        !matches!(
            self,
            Tag::Root | Tag::Blobs | Tag::Blob | Tag::Properties | Tag::Other
        )
    }
}

/// The position `reader` is at. quick-xml consumes the `<` that ends a text
/// before it returns the text; that byte is not counted here.
fn position<R: BufRead>(reader: &Reader<Counting<R>>) -> Position {
    let counter = reader.get_ref();
    let unread = counter.offset().saturating_sub(reader.buffer_position());
    let mut at = counter.position();
    at.column = at
        .column
        .saturating_sub(u32::try_from(unread).unwrap_or(0))
        .max(1);
    at
}

/// What the commit rule looks at, beyond the entry.
#[derive(Clone, Copy, Debug, Default)]
struct CommitMarks {
    content_type: Option<bool>,
    server_encrypted: bool,
    access_tier: bool,
}

/// The parsing state, apart from the event buffer.
#[derive(Debug, Default)]
struct State {
    stack: Vec<Tag>,
    text: String,
    text_pos: Option<Position>,
    name_encoded: bool,
    container: String,
    blob_pos: Option<Position>,
    has_name: bool,
    marks: CommitMarks,
    next_marker: Option<String>,
    documents: u64,
    records: u64,
}

/// The streaming List Blobs parser, over any [`BufRead`].
struct Parser<R: BufRead> {
    reader: Reader<Counting<SkipBom<R>>>,
    buf: Vec<u8>,
    state: State,
}

impl<R: BufRead> Parser<R> {
    fn new(input: R) -> Parser<R> {
        let mut reader = Reader::from_reader(Counting::new(SkipBom::new(input)));
        reader.config_mut().expand_empty_elements = true;
        Parser {
            reader,
            buf: Vec::with_capacity(1024),
            state: State::default(),
        }
    }

    /// Reads up to the end of the next blob, into `entry`. `Ok(false)` at
    /// the end of the input. Errors have a position but no source.
    fn next_blob(&mut self, entry: &mut ListingEntry) -> Result<bool, Error> {
        loop {
            let before = position(&self.reader);
            self.buf.clear();
            let event = self
                .reader
                .read_event_into(&mut self.buf)
                .map_err(|e| xml_error(e).at(before))?;
            let after = position(&self.reader);
            let st = &mut self.state;
            match event {
                Event::Start(start) => st.start(&start, entry, before, after)?,
                Event::Text(text) => {
                    if st.collecting() {
                        let text = text.unescape().map_err(|e| xml_error(e).at(before))?;
                        st.text.push_str(&text);
                    } else if st.stack.is_empty() {
                        check_outside(&text, before)?;
                    }
                }
                Event::CData(cdata) => {
                    if st.collecting() {
                        let text = cdata.decode().map_err(|e| xml_error(e.into()).at(before))?;
                        st.text.push_str(&text);
                    } else if st.stack.is_empty() {
                        return Err(outside(before));
                    }
                }
                Event::End(_) => {
                    if st.end(entry)? {
                        return Ok(true);
                    }
                }
                Event::DocType(_) => {
                    return Err(Error::new(
                        ErrorKind::Dtd,
                        "a DOCTYPE has no place in a List Blobs response: \
                         entities are never expanded; remove it",
                    )
                    .at(before))
                }
                Event::Eof => return st.eof(before).map(|()| false),
                Event::Empty(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            }
        }
    }
}

impl State {
    fn collecting(&self) -> bool {
        self.stack.last().is_some_and(|t| t.collects_text())
    }

    fn start(
        &mut self,
        start: &BytesStart<'_>,
        entry: &mut ListingEntry,
        before: Position,
        after: Position,
    ) -> Result<(), Error> {
        let parent = self.stack.last().copied();
        let name = start.name();
        let tag = match parent {
            None if name.as_ref() == b"EnumerationResults" => {
                self.begin_document(start).map_err(|e| e.at(before))?;
                Tag::Root
            }
            None => {
                return Err(invalid(format!(
                    "not an Azure List Blobs response: the root element is <{}>, \
                     not <EnumerationResults>",
                    String::from_utf8_lossy(name.as_ref())
                ))
                .at(before))
            }
            Some(parent) => {
                let tag = parent.child(name.as_ref());
                if tag == Tag::Other {
                    check_misspelt(parent, name.as_ref()).map_err(|e| e.at(before))?;
                }
                tag
            }
        };
        match tag {
            Tag::Blob => {
                entry.clear();
                self.blob_pos = Some(before);
                self.has_name = false;
                self.marks = CommitMarks::default();
            }
            Tag::Name => self.name_encoded = encoded_attribute(start).map_err(|e| e.at(before))?,
            _ => {}
        }
        if tag.collects_text() {
            self.text.clear();
            self.text_pos = Some(after);
        }
        self.stack.push(tag);
        Ok(())
    }

    fn begin_document(&mut self, start: &BytesStart<'_>) -> Result<(), Error> {
        self.documents += 1;
        self.container.clear();
        self.next_marker = None;
        for attr in start.attributes() {
            let attr = attr.map_err(|e| xml_error(e.into()))?;
            if attr.key.as_ref() == b"ContainerName" {
                self.container = attr.unescape_value().map_err(xml_error)?.into_owned();
                return crate::path::check_container(&self.container)
                    .map_err(|e| invalid(format!("ContainerName: {}", e.message())));
            }
        }
        Err(invalid(
            "<EnumerationResults> has no ContainerName attribute: this is not a \
             List Blobs response (a List Containers response lists containers, \
             not blobs)"
                .to_string(),
        ))
    }

    /// Handles an end tag; `Ok(true)` when it ends a blob.
    fn end(&mut self, entry: &mut ListingEntry) -> Result<bool, Error> {
        let Some(tag) = self.stack.pop() else {
            return Ok(false);
        };
        let pos = self.text_pos.unwrap_or(START);
        let text = self.text.as_str();
        match tag {
            Tag::Blob => {
                let pos = self.blob_pos.unwrap_or(START);
                if !self.has_name {
                    return Err(invalid("a <Blob> without a <Name>".to_string()).at(pos));
                }
                if entry.version_id.is_some() && entry.is_current_version.is_none() {
                    // Only the current version carries IsCurrentVersion.
                    entry.is_current_version = Some(false);
                }
                entry.committed = committed(entry, self.marks);
                self.records += 1;
                entry.line = self.records;
                return Ok(true);
            }
            Tag::NextMarker => self.next_marker = Some(text.to_string()).filter(|s| !s.is_empty()),
            Tag::Name => {
                let name = if self.name_encoded {
                    Cow::Owned(percent_decode(text).map_err(|e| e.at(pos))?)
                } else {
                    Cow::Borrowed(text)
                };
                if self.has_name {
                    return Err(invalid(
                        "a <Blob> with two <Name> elements: which names the blob?".to_string(),
                    )
                    .at(pos));
                }
                entry
                    .set_blob(&self.container, &name)
                    .map_err(|e| e.at(pos))?;
                self.has_name = true;
            }
            _ => self.field(tag, entry).map_err(|e| e.at(pos))?,
        }
        Ok(false)
    }

    /// Takes in the text of a blob's field.
    fn field(&mut self, tag: Tag, entry: &mut ListingEntry) -> Result<(), Error> {
        let text = self.text.as_str();
        let empty = text.is_empty();
        match tag {
            Tag::Snapshot if !empty => entry.snapshot = Some(parse_snapshot(text)?),
            Tag::VersionId if !empty => entry.version_id = Some(text.to_string()),
            Tag::IsCurrentVersion if !empty => {
                entry.is_current_version = Some(parse_bool(text, "IsCurrentVersion")?)
            }
            Tag::ContentLength if !empty => {
                entry.size = Some(text.parse().map_err(|_| {
                    invalid(format!(
                        "Content-Length {} is not a number of bytes",
                        quoted(text)
                    ))
                })?)
            }
            Tag::LastModified if !empty => entry.last_modified = Some(parse_last_modified(text)?),
            Tag::BlobType if !empty => entry.blob_type = Some(parse_blob_type(text)?),
            Tag::LeaseState if !empty => entry.leased = Some(parse_lease_state(text)?),
            Tag::ContentType => self.marks.content_type = Some(!empty),
            Tag::ServerEncrypted => self.marks.server_encrypted = true,
            Tag::AccessTier => self.marks.access_tier = true,
            _ => {}
        }
        Ok(())
    }

    fn eof(&self, at: Position) -> Result<(), Error> {
        if let Some(&tag) = self.stack.last() {
            let what = if tag == Tag::Root {
                "<EnumerationResults>"
            } else {
                "an element"
            };
            return Err(Error::new(
                ErrorKind::Syntax,
                format!("the document ends inside {what}: the response is truncated"),
            )
            .at(at));
        }
        if self.documents == 0 {
            return Err(invalid(
                "no <EnumerationResults>: this is not an Azure List Blobs response".to_string(),
            )
            .at(at));
        }
        Ok(())
    }
}

/// The elements of a `<Blob>` blobsel reads.
const BLOB_READ: [&str; 5] = [
    "Name",
    "Snapshot",
    "VersionId",
    "IsCurrentVersion",
    "Properties",
];

/// The elements of a blob's `<Properties>` blobsel reads.
const PROPERTIES_READ: [&str; 7] = [
    "Content-Length",
    "Last-Modified",
    "BlobType",
    "LeaseState",
    "Content-Type",
    "ServerEncrypted",
    "AccessTier",
];

/// An element of `<Blob>` or `<Properties>` that blobsel does not read:
/// an error when it looks like a misspelling of one it reads (XML is
/// case-sensitive: `<content-length>` is not `<Content-Length>`), unless
/// the service writes it.
fn check_misspelt(parent: Tag, name: &[u8]) -> Result<(), Error> {
    let (read, within): (&[&str], &str) = match parent {
        Tag::Blob => (&BLOB_READ, "<Blob>"),
        Tag::Properties => (&PROPERTIES_READ, "a blob's <Properties>"),
        _ => return Ok(()),
    };
    let Ok(name) = std::str::from_utf8(name) else {
        return Ok(());
    };
    if is_other_azure_field(name) {
        return Ok(());
    }
    match crate::suggest::closest(name, read) {
        Some(near) => Err(invalid(format!(
            "<{name}> in {within} is not an element of a List Blobs response: \
             did you mean <{near}>? (element names are case-sensitive)"
        ))),
        None => Ok(()),
    }
}

/// The commit rule; see the module documentation.
fn committed(entry: &ListingEntry, marks: CommitMarks) -> Option<bool> {
    let old_version = entry.version_id.is_some() && entry.is_current_version == Some(false);
    if entry.snapshot.is_some()
        || old_version
        || matches!(
            entry.blob_type,
            Some(BlobType::PageBlob | BlobType::AppendBlob)
        )
        || entry.size.is_some_and(|n| n > 0)
        || entry.leased == Some(true)
        || marks.server_encrypted
        || marks.access_tier
        || marks.content_type == Some(true)
    {
        Some(true)
    } else if entry.blob_type == Some(BlobType::BlockBlob)
        && entry.size == Some(0)
        && marks.content_type.is_none()
    {
        Some(false)
    } else {
        None
    }
}

/// Whether `<Name>` has `Encoded="true"`.
fn encoded_attribute(start: &BytesStart<'_>) -> Result<bool, Error> {
    for attr in start.attributes() {
        let attr = attr.map_err(|e| xml_error(e.into()))?;
        if attr.key.as_ref() == b"Encoded" {
            return Ok(attr.unescape_value().map_err(xml_error)? == "true");
        }
    }
    Ok(false)
}

/// Decodes a percent-encoded blob name (`<Name Encoded="true">`).
fn percent_decode(text: &str) -> Result<String, Error> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    invalid(format!(
                        "bad percent escape in encoded blob name {}",
                        quoted(text)
                    ))
                })?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| {
        Error::new(
            ErrorKind::Encoding,
            format!(
                "encoded blob name {} is not UTF-8 once decoded",
                quoted(text)
            ),
        )
    })
}

/// Text between documents may only be whitespace (or a byte order mark).
fn check_outside(text: &[u8], at: Position) -> Result<(), Error> {
    let mut rest = text;
    while let Some(&b) = rest.first() {
        rest = match rest.strip_prefix(crate::text::UTF8_BOM) {
            Some(after_bom) => after_bom,
            None if b.is_ascii_whitespace() => &rest[1..],
            None => break,
        };
    }
    if rest.is_empty() {
        return Ok(());
    }
    // Point at the first character that is not whitespace.
    let skipped = &text[..text.len() - rest.len()];
    let mut at = at;
    match memchr::memrchr(b'\n', skipped) {
        Some(last) => {
            let lines = memchr::memchr_iter(b'\n', skipped).count();
            at.line = at
                .line
                .saturating_add(u32::try_from(lines).unwrap_or(u32::MAX));
            at.column = 1 + crate::text::chars(&skipped[last + 1..]);
        }
        None => {
            let more = crate::text::chars(skipped);
            at.column = at.column.saturating_add(more);
        }
    }
    Err(outside(at))
}

fn outside(at: Position) -> Error {
    Error::new(
        ErrorKind::Syntax,
        "text outside <EnumerationResults>: a file holds List Blobs responses only",
    )
    .at(at)
}

/// A quick-xml error as ours.
fn xml_error(e: quick_xml::Error) -> Error {
    crate::error::xml_error(e, "a List Blobs response")
}

/// Reads List Blobs responses (one or several pages, concatenated) from any
/// [`BufRead`]. [`ListingEntry::line`] is the blob's number in the input
/// (1-based); errors give `line:column`.
pub struct ListBlobsReader<R: BufRead> {
    parser: Parser<R>,
    source: String,
}

impl<R: BufRead> ListBlobsReader<R> {
    /// A reader of `reader`; `source_name` (a file name, or `<stdin>`) is
    /// what errors name.
    pub fn new(reader: R, source_name: impl Into<String>) -> ListBlobsReader<R> {
        ListBlobsReader {
            parser: Parser::new(reader),
            source: source_name.into(),
        }
    }

    /// The `NextMarker` of the last page read so far (`None` when empty: the
    /// listing is complete).
    pub fn next_marker(&self) -> Option<&str> {
        self.parser.state.next_marker.as_deref()
    }
}

impl<R: BufRead> ListingReader for ListBlobsReader<R> {
    fn read_entry(&mut self, entry: &mut ListingEntry) -> Result<bool, Error> {
        entry.clear();
        self.parser
            .next_blob(entry)
            .map_err(|e| e.in_source(self.source.as_str()))
    }
}

/// Parses one List Blobs response page held in memory (what a network
/// client received), calls `sink` with each blob, and returns the page's
/// `NextMarker` (`None` when empty: there are no more pages).
pub fn parse_list_blobs_page(
    xml: &[u8],
    source_name: &str,
    sink: &mut dyn FnMut(&ListingEntry),
) -> Result<Option<String>, Error> {
    let mut parser = Parser::new(xml);
    let mut entry = ListingEntry::default();
    while parser
        .next_blob(&mut entry)
        .map_err(|e| e.in_source(source_name))?
    {
        sink(&entry);
    }
    Ok(parser.state.next_marker)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::test_util::{kind_line, paths, read_all};
    use crate::listing::Exportability;
    use crate::listing::ListingFormat;

    const PHOTOS: &[u8] = include_bytes!("../../tests/fixtures/listings/list-blobs-photos.xml");
    const PAGE1: &[u8] =
        include_bytes!("../../tests/fixtures/listings/list-blobs-photos-page1-of-several.xml");
    const BACKUPS: &[u8] = include_bytes!("../../tests/fixtures/listings/list-blobs-backups.xml");
    const ROOT: &[u8] = include_bytes!("../../tests/fixtures/listings/list-blobs-root.xml");
    const CONTAINERS: &[u8] = include_bytes!("../../tests/fixtures/listings/list-containers.xml");

    fn read(xml: &[u8]) -> Result<Vec<ListingEntry>, Error> {
        read_all(ListingFormat::ListBlobsXml, xml)
    }

    /// A pretty-printed page of `blobs` in container `photos`.
    fn page(blobs: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
             <EnumerationResults ServiceEndpoint=\"https://a.blob.core.windows.net/\" ContainerName=\"photos\">\n\
             <Blobs>\n{blobs}\n</Blobs>\n<NextMarker />\n</EnumerationResults>\n"
        )
    }

    #[test]
    fn photos_sample() {
        let entries = read(PHOTOS).unwrap();
        assert_eq!(
            paths(&entries),
            [
                "/photos/IMG_0001.JPG",
                "/photos/a&b<c>.txt",
                "/photos/albums/été/ä.jpg",
                "/photos/image.png@2026-11-25T22:12:51.7080000Z",
                "/photos/image.png@2026-11-25T22:12:51.6540000Z",
                "/photos/image.png",
                "/photos/image/photo.png",
                "/photos/uncommitted.bin",
            ]
        );
        let sizes: Vec<_> = entries.iter().map(|e| e.size.unwrap()).collect();
        assert_eq!(sizes, [5, 1, 7, 1000, 1000, 1000, 2048, 0]);
        let leased: Vec<_> = entries.iter().map(|e| e.leased.unwrap()).collect();
        assert_eq!(
            leased,
            [true, false, false, false, false, false, false, false]
        );
        let committed: Vec<_> = entries.iter().map(|e| e.committed).collect();
        let mut expected = vec![Some(true); 7];
        expected.push(Some(false));
        assert_eq!(committed, expected);
        assert!(entries
            .iter()
            .all(|e| e.blob_type == Some(BlobType::BlockBlob)));
        assert_eq!(
            entries.iter().map(|e| e.line).collect::<Vec<_>>(),
            (1..=8).collect::<Vec<_>>()
        );
        assert_eq!(entries[2].container(), "photos");
        assert_eq!(entries[2].name(), "albums/été/ä.jpg");
    }

    #[test]
    fn other_samples() {
        let backups = read(BACKUPS).unwrap();
        assert_eq!(paths(&backups), ["/backups/disk.vhd", "/backups/log.txt"]);
        assert_eq!(backups[0].blob_type, Some(BlobType::PageBlob));
        assert_eq!(backups[1].blob_type, Some(BlobType::AppendBlob));
        assert_eq!(
            (backups[1].size, backups[1].committed),
            (Some(0), Some(true))
        );
        let root = read(ROOT).unwrap();
        assert_eq!(paths(&root), ["/$root/logo.bmp"]);
        assert_eq!(root[0].container(), "$root");
        let e = read(CONTAINERS).unwrap_err();
        assert_eq!(kind_line(&e), (ErrorKind::InvalidListing, 1));
        assert!(e.message().contains("List Containers"), "{e}");
    }

    #[test]
    fn a_page_gives_its_next_marker() {
        let mut names = Vec::new();
        let next =
            parse_list_blobs_page(PAGE1, "page", &mut |e| names.push(e.path.clone())).unwrap();
        assert_eq!(names, ["/photos/IMG_0001.JPG", "/photos/a&b<c>.txt"]);
        assert_eq!(next.as_deref(), Some("a&b<c>.txt"));
        let next = parse_list_blobs_page(PHOTOS, "page", &mut |_| {}).unwrap();
        assert_eq!(next, None);
        let e = parse_list_blobs_page(b"<EnumerationResults>", "page 3", &mut |_| {}).unwrap_err();
        assert_eq!(e.source_name(), Some("page 3"));
        let mut reader = ListBlobsReader::new(PAGE1, "p");
        let mut entry = ListingEntry::default();
        while reader.read_entry(&mut entry).unwrap() {}
        assert_eq!(reader.next_marker(), Some("a&b<c>.txt"));
    }

    #[test]
    fn concatenated_pages() {
        let mut input = Vec::new();
        for (i, doc) in [PAGE1, BACKUPS, ROOT, PHOTOS].iter().enumerate() {
            if i % 2 == 1 {
                input.extend_from_slice(b"\xEF\xBB\xBF");
            }
            input.extend_from_slice(doc);
            input.extend_from_slice(if i == 0 { b"" } else { b"\r\n" });
        }
        let entries = read(&input).unwrap();
        assert_eq!(entries.len(), 2 + 2 + 1 + 8);
        let containers: Vec<_> = entries.iter().map(|e| e.container().to_string()).collect();
        assert_eq!(
            &containers[..6],
            ["photos", "photos", "backups", "backups", "$root", "photos"]
        );
        assert_eq!(entries.last().unwrap().line, 13);
    }

    #[test]
    fn names_prefixes_and_unknown_elements() {
        let xml = page(
            "<BlobPrefix><Name>dir/</Name></BlobPrefix>\n\
             <Blob><Name Encoded=\"true\">caf%C3%A9%20x</Name><Deleted>false</Deleted>\
             <Properties><Content-Length>3</Content-Length><BlobType>BlockBlob</BlobType>\
             <Content-Type/><LeaseState>leased</LeaseState></Properties>\
             <Metadata><Name>not the blob name</Name></Metadata><OrMetadata/></Blob>\n\
             <Blob><Name>a&#233;&#x41;&lt;<![CDATA[<b>]]><!-- c --></Name>\
             <VersionId>2024-01-01T00:00:00.0000000Z</VersionId><IsCurrentVersion>false</IsCurrentVersion>\
             <Properties><Content-Length>0</Content-Length><BlobType>BlockBlob</BlobType></Properties></Blob>\n\
             <Blob><Name>zero</Name><Snapshot/><Properties><Content-Length>0</Content-Length>\
             <BlobType>BlockBlob</BlobType><Content-Type /></Properties></Blob>\n\
             <Blob><Name>bare</Name></Blob>",
        );
        let entries = read(xml.as_bytes()).unwrap();
        assert_eq!(
            paths(&entries),
            [
                "/photos/café x",
                "/photos/aéA<<b>",
                "/photos/zero",
                "/photos/bare"
            ]
        );
        assert_eq!(
            (entries[0].size, entries[0].leased, entries[0].committed),
            (Some(3), Some(true), Some(true))
        );
        assert_eq!(
            entries[1].version_id.as_deref(),
            Some("2024-01-01T00:00:00.0000000Z")
        );
        assert_eq!(
            (entries[1].is_current_version, entries[1].committed),
            (Some(false), Some(true))
        );
        // An empty <Content-Type/> does not tell; no <Properties> does not either.
        assert_eq!((entries[2].snapshot, entries[2].committed), (None, None));
        assert_eq!((entries[3].size, entries[3].committed), (None, None));
    }

    #[test]
    fn only_the_current_version_says_so() {
        // As the service writes versions: IsCurrentVersion on the current
        // one alone.
        let xml = page(
            "<Blob><Name>a</Name><VersionId>2011-03-09T01:42:34.9360000Z</VersionId>\
             <Properties><Content-Length>5</Content-Length></Properties></Blob>\
             <Blob><Name>a</Name><VersionId>2012-03-09T01:42:34.9360000Z</VersionId>\
             <IsCurrentVersion>true</IsCurrentVersion>\
             <Properties><Content-Length>7</Content-Length></Properties></Blob>\
             <Blob><Name>b</Name><Properties><Content-Length>1</Content-Length></Properties></Blob>",
        );
        let entries = read(xml.as_bytes()).unwrap();
        let kinds: Vec<_> = entries.iter().map(ListingEntry::exportability).collect();
        assert_eq!(
            kinds,
            [
                Exportability::PreviousVersion,
                Exportability::Exportable,
                Exportability::Exportable
            ]
        );
        assert_eq!(entries[2].is_current_version, None);
    }

    #[test]
    fn a_leased_blob_is_committed_and_a_breaking_lease_still_holds() {
        // Empty, with none of the properties a commit sets: uncommitted,
        // unless it is leased (only a blob that exists can be).
        let xml = page(
            "<Blob><Name>a</Name><Properties><Content-Length>0</Content-Length>\
             <BlobType>BlockBlob</BlobType><LeaseState>leased</LeaseState></Properties></Blob>\
             <Blob><Name>b</Name><Properties><Content-Length>0</Content-Length>\
             <BlobType>BlockBlob</BlobType><LeaseState>breaking</LeaseState></Properties></Blob>\
             <Blob><Name>c</Name><Properties><Content-Length>0</Content-Length>\
             <BlobType>BlockBlob</BlobType><LeaseState>available</LeaseState></Properties></Blob>\
             <Blob><Name>d</Name><Snapshot>2011-03-09T01:42:34.9360000Z</Snapshot><Properties>\
             <Content-Length>3</Content-Length><LeaseState>leased</LeaseState></Properties></Blob>",
        );
        let entries = read(xml.as_bytes()).unwrap();
        let got: Vec<_> = entries
            .iter()
            .map(|e| (e.committed, e.leased, e.is_leased_blob()))
            .collect();
        assert_eq!(
            got,
            [
                (Some(true), Some(true), true),
                (Some(true), Some(true), true),
                (Some(false), Some(false), false),
                // A snapshot is never a leased blob, whatever the row says.
                (Some(true), Some(true), false),
            ]
        );
    }

    #[test]
    fn errors_have_line_and_column() {
        let blob = |inner: &str| page(&format!("<Blob>{inner}</Blob>"));
        let cases: Vec<(String, ErrorKind, u32, u32)> = vec![
            (
                blob("<Name>a</Name><Snapshot>yesterday</Snapshot>"),
                ErrorKind::InvalidListing,
                4,
                31,
            ),
            (blob("<Name></Name>"), ErrorKind::InvalidListing, 4, 13),
            (
                blob("<Name>a</Name><Name>b</Name>"),
                ErrorKind::InvalidListing,
                4,
                27,
            ),
            (
                blob("<Name>a\u{1}b</Name>"),
                ErrorKind::InvalidListing,
                4,
                13,
            ),
            (
                blob("<Name Encoded=\"true\">a%0Ab</Name>"),
                ErrorKind::InvalidListing,
                4,
                28,
            ),
            (
                blob("<Name Encoded=\"true\">a%zz</Name>"),
                ErrorKind::InvalidListing,
                4,
                28,
            ),
            (
                blob("<Name Encoded=\"true\">a%FF</Name>"),
                ErrorKind::Encoding,
                4,
                28,
            ),
            (
                blob("<Snapshot>2011-03-09T01:42:34Z</Snapshot>"),
                ErrorKind::InvalidListing,
                4,
                1,
            ),
            (
                blob("<Name>a</Name><Properties><Content-Length>x</Content-Length></Properties>"),
                ErrorKind::InvalidListing,
                4,
                49,
            ),
            (
                blob("<Name>a</Name><Properties><BlobType>Disk</BlobType></Properties>"),
                ErrorKind::InvalidListing,
                4,
                43,
            ),
            (
                blob("<Name>a</Name><Properties><Content-Lenght>5</Content-Lenght></Properties>"),
                ErrorKind::InvalidListing,
                4,
                33,
            ),
            (
                blob("<Name>a</Name><snapshot>2011-03-09T01:42:34Z</snapshot>"),
                ErrorKind::InvalidListing,
                4,
                21,
            ),
            (
                blob("<Name>a</Name><Properties><Leasestate>leased</Leasestate></Properties>"),
                ErrorKind::InvalidListing,
                4,
                33,
            ),
            (blob("<Name>a&bogus;</Name>"), ErrorKind::Syntax, 4, 13),
            (blob("<Name>a</Nam>"), ErrorKind::Syntax, 4, 14),
            (
                page("<Blob><Name>a</Name>")
                    .replace("</Blobs>\n<NextMarker />\n</EnumerationResults>\n", ""),
                ErrorKind::Syntax,
                5,
                1,
            ),
            (
                page("").replace("photos", "Photos"),
                ErrorKind::InvalidListing,
                2,
                1,
            ),
            (
                page("").replace("ContainerName", "Container"),
                ErrorKind::InvalidListing,
                2,
                1,
            ),
            (
                page("").replace(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
                    "<!DOCTYPE x [<!ENTITY e \"x\">]>",
                ),
                ErrorKind::Dtd,
                1,
                1,
            ),
            (format!("{}\n  not xml", page("")), ErrorKind::Syntax, 9, 3),
            ("<BlobList/>".to_string(), ErrorKind::InvalidListing, 1, 1),
            (String::new(), ErrorKind::InvalidListing, 1, 1),
            ("\n  \n".to_string(), ErrorKind::InvalidListing, 3, 1),
        ];
        for (xml, kind, line, column) in cases {
            let e = read(xml.as_bytes()).unwrap_err();
            let at = e.position().unwrap();
            assert_eq!(
                (kind_line(&e), at.column),
                ((kind, line), column),
                "{e}\n{xml}"
            );
            assert!(
                e.to_string()
                    .starts_with(&format!("test.in:{line}:{column}: ")),
                "{e}"
            );
        }
        let text = page("<Blob><Name>é~</Name></Blob>");
        let bad: Vec<u8> = text
            .bytes()
            .map(|b| if b == b'~' { 0xff } else { b })
            .collect();
        // Every element the service writes reads, and elsewhere (in
        // <Metadata>, say) any name goes.
        let all: String = PROPERTIES_READ
            .iter()
            .chain(crate::listing::entry::AZURE_OTHER_FIELDS)
            .map(|p| format!("<{p}>1</{p}>"))
            .collect();
        let others: String = [
            "Deleted",
            "Metadata",
            "Tags",
            "OrMetadata",
            "HasVersionsOnly",
        ]
        .iter()
        .map(|p| format!("<{p}/>"))
        .collect();
        let text = page(&format!(
            "<Blob><Name>a</Name>{others}<Metadata><Content-Lenght>1</Content-Lenght>\
             </Metadata><Properties>{}</Properties></Blob>",
            all.replace("<BlobType>1<", "<BlobType>BlockBlob<")
                .replace("<LeaseState>1<", "<LeaseState>leased<")
                .replace("<ServerEncrypted>1<", "<ServerEncrypted>true<")
                .replace(
                    "<Last-Modified>1<",
                    "<Last-Modified>Wed, 25 Nov 2026 22:12:51 GMT<"
                )
        ));
        let entries = read(text.as_bytes()).unwrap();
        assert_eq!((entries[0].size, entries[0].leased), (Some(1), Some(true)));
        assert_eq!(
            entries[0].last_modified,
            Some("2026-11-25T22:12:51Z".parse().unwrap())
        );
        let e = read(
            page("<Blob><Name>a</Name><Properties><Last-Modified>yesterday</Last-Modified></Properties></Blob>")
                .as_bytes(),
        )
        .unwrap_err();
        assert!(
            e.message()
                .starts_with("Last-Modified: invalid time \"yesterday\""),
            "{e}"
        );
        let e = read(&bad).unwrap_err();
        assert_eq!(
            (kind_line(&e), e.position().unwrap().column),
            ((ErrorKind::Encoding, 4), 13)
        );
    }
}
