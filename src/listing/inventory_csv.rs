//! Azure blob inventory CSV listings.
//!
//! The header row comes first. `Name` is required and includes the container
//! (`container/blob`); `Snapshot`, `Content-Length`, `BlobType`,
//! `LeaseState`, `VersionId` and `IsCurrentVersion` are used when present.
//! Columns are matched by header name (any case); the inventory's other
//! fields are ignored, but a header that looks like a misspelling of a
//! column blobsel reads (`Content_Length`, `Snapshots`) is an error. An
//! empty cell means absent; a row with a `VersionId` is the current version
//! only when its `IsCurrentVersion` says `true`.

use std::io::Read;

use crate::error::{Error, ErrorKind};
use crate::listing::{invalid, is_other_azure_field, parse_snapshot};
use crate::listing::{parse_blob_type, parse_bool, parse_lease_state, ListingEntry, ListingReader};

/// The column of each field an inventory may have.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Columns {
    pub(crate) name: usize,
    pub(crate) snapshot: Option<usize>,
    pub(crate) content_length: Option<usize>,
    pub(crate) blob_type: Option<usize>,
    pub(crate) lease_state: Option<usize>,
    pub(crate) version_id: Option<usize>,
    pub(crate) is_current_version: Option<usize>,
    pub(crate) last_modified: Option<usize>,
}

impl Columns {
    /// Finds the columns by header name (any case). Without a `Name`
    /// column, or with a field's column named twice, an error.
    pub(crate) fn find<'h>(headers: impl IntoIterator<Item = &'h str>) -> Result<Columns, Error> {
        let headers: Vec<&str> = headers.into_iter().collect();
        let mut name = None;
        let mut c = Columns::default();
        let mut misspelt = None;
        for (i, &header) in headers.iter().enumerate() {
            let header = header.trim_start_matches('\u{FEFF}').trim();
            let is = |s: &str| header.eq_ignore_ascii_case(s);
            let slot = if is("Name") {
                &mut name
            } else if is("Snapshot") {
                &mut c.snapshot
            } else if is("Content-Length") {
                &mut c.content_length
            } else if is("BlobType") {
                &mut c.blob_type
            } else if is("LeaseState") {
                &mut c.lease_state
            } else if is("VersionId") {
                &mut c.version_id
            } else if is("IsCurrentVersion") {
                &mut c.is_current_version
            } else if is("Last-Modified") {
                &mut c.last_modified
            } else {
                if misspelt.is_none() {
                    misspelt = misspelt_column(header).map(|near| (i, header, near));
                }
                continue;
            };
            if let Some(first) = slot.replace(i) {
                // Which of the two holds the data? Neither may be guessed.
                return Err(Error::new(
                    ErrorKind::InvalidListing,
                    format!(
                        "the column {header:?} is named twice (columns {} and {}): keep one",
                        first + 1,
                        i + 1
                    ),
                ));
            }
        }
        match misspelt {
            // Without a Name (not one misspelt), it is no inventory at all.
            Some((_, _, near)) if name.is_none() && near != "Name" => {}
            Some((i, header, near)) => {
                return Err(Error::new(
                    ErrorKind::InvalidListing,
                    format!(
                        "column {} is named {header:?}: did you mean {near:?}? blobsel \
                         reads {near} from an inventory; rename the header (an Azure \
                         inventory's other columns are fine)",
                        i + 1
                    ),
                ))
            }
            None => {}
        }
        c.name = name.ok_or_else(|| no_name_column(&headers))?;
        Ok(c)
    }
}

/// The columns blobsel reads.
const COLUMNS: [&str; 8] = [
    "Name",
    "Snapshot",
    "Content-Length",
    "BlobType",
    "LeaseState",
    "VersionId",
    "IsCurrentVersion",
    "Last-Modified",
];

/// The column blobsel reads that `header` (not one of them) looks like a
/// misspelling of, unless it is another field of an Azure inventory.
fn misspelt_column(header: &str) -> Option<&'static str> {
    if is_other_azure_field(header) {
        return None;
    }
    crate::suggest::closest(header, &COLUMNS)
}

/// The error for a header without `Name`.
fn no_name_column(found: &[&str]) -> Error {
    let found = if found.is_empty() {
        "it has no header row".to_string()
    } else {
        let mut list = found
            .iter()
            .take(8)
            .map(|c| format!("{c:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        if found.len() > 8 {
            list.push_str(", ...");
        }
        format!("its columns are {list}")
    };
    Error::new(
        ErrorKind::InvalidListing,
        format!(
            "this does not look like an Azure blob inventory: it has no Name \
             column ({found}); an inventory's first row names its columns \
             (Name, Content-Length, BlobType, ...)"
        ),
    )
}

/// One inventory row's cells, by field: `None` for absent or empty.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Cells<'a> {
    pub(crate) name: &'a str,
    pub(crate) snapshot: Option<&'a str>,
    pub(crate) content_length: Option<u64>,
    pub(crate) blob_type: Option<&'a str>,
    pub(crate) lease_state: Option<&'a str>,
    pub(crate) version_id: Option<&'a str>,
    pub(crate) is_current_version: Option<bool>,
    pub(crate) last_modified: Option<&'a str>,
    /// Whether the inventory has an `IsCurrentVersion` column.
    pub(crate) has_current_column: bool,
}

impl Cells<'_> {
    /// Validates the row and fills `entry` (already cleared).
    pub(crate) fn fill(&self, entry: &mut ListingEntry) -> Result<(), Error> {
        entry.set_blob_path(self.name)?;
        if let Some(s) = self.snapshot {
            entry.snapshot = Some(parse_snapshot(s)?);
        }
        entry.size = self.content_length;
        entry.last_modified = self
            .last_modified
            .map(crate::listing::parse_last_modified)
            .transpose()?;
        entry.blob_type = self.blob_type.map(parse_blob_type).transpose()?;
        entry.leased = self.lease_state.map(parse_lease_state).transpose()?;
        entry.version_id = self.version_id.map(str::to_string);
        // As the service writes it, and as the jsonl and List Blobs readers
        // take it: only the current version says so (docs/semantics.md §9.2).
        entry.is_current_version = match self.is_current_version {
            None if self.version_id.is_some() && !self.has_current_column => {
                return Err(invalid(
                    "this row has a VersionId but the inventory has no IsCurrentVersion \
                     column, so blobsel cannot tell the current version from previous \
                     ones: add IsCurrentVersion to the inventory rule's schema fields"
                        .to_string(),
                ))
            }
            None if self.version_id.is_some() => Some(false),
            flag => flag,
        };
        Ok(())
    }
}

/// Reads an Azure blob inventory CSV from any [`Read`].
/// [`ListingEntry::line`] is the line the row starts on.
pub struct InventoryCsvReader<R: Read> {
    reader: csv::Reader<R>,
    source: String,
    columns: Option<Columns>,
    record: csv::ByteRecord,
}

impl<R: Read> InventoryCsvReader<R> {
    /// A reader of `reader`; `source_name` (a file name, or `<stdin>`) is
    /// what errors name. The header row is read with the first entry.
    pub fn new(reader: R, source_name: impl Into<String>) -> InventoryCsvReader<R> {
        InventoryCsvReader {
            // Lines end at `\n` only (a `\r` before it is dropped below):
            // with csv's default terminator, line numbers after `\r\n` are
            // one short.
            reader: csv::ReaderBuilder::new()
                .has_headers(true)
                .flexible(true)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_reader(reader),
            source: source_name.into(),
            columns: None,
            record: csv::ByteRecord::new(),
        }
    }

    fn columns(&mut self) -> Result<Columns, Error> {
        if let Some(columns) = self.columns {
            return Ok(columns);
        }
        let headers = self.reader.byte_headers().map_err(|e| csv_error(&e))?;
        let headers: Vec<String> = headers
            .iter()
            .map(|h| String::from_utf8_lossy(h).into_owned())
            .collect();
        let columns =
            Columns::find(headers.iter().map(String::as_str)).map_err(|e| e.at_line(1))?;
        self.columns = Some(columns);
        Ok(columns)
    }

    fn read(&mut self, entry: &mut ListingEntry) -> Result<bool, Error> {
        let columns = self.columns()?;
        let width = self.reader.byte_headers().map_or(0, csv::ByteRecord::len);
        loop {
            if !self
                .reader
                .read_byte_record(&mut self.record)
                .map_err(|e| csv_error(&e))?
            {
                return Ok(false);
            }
            let line = self.record.position().map_or(0, |p| p.line());
            if self.record.len() == 1 && matches!(&self.record[0], b"" | b"\r") {
                continue; // a blank line
            }
            if self.record.len() != width {
                return Err(Error::new(
                    ErrorKind::Syntax,
                    format!(
                        "this row has {} fields but the header has {width}: quote \
                         fields that contain commas",
                        self.record.len()
                    ),
                )
                .at_line(line));
            }
            return self.fill(line, &columns, entry);
        }
    }

    fn fill(&self, line: u64, columns: &Columns, entry: &mut ListingEntry) -> Result<bool, Error> {
        entry.line = line;
        row_cells(&self.record, columns)
            .and_then(|cells| cells.fill(entry))
            .map_err(|e| e.at_line(line))?;
        Ok(true)
    }
}

impl<R: Read> ListingReader for InventoryCsvReader<R> {
    fn read_entry(&mut self, entry: &mut ListingEntry) -> Result<bool, Error> {
        entry.clear();
        self.read(entry)
            .map_err(|e| e.in_source(self.source.as_str()))
    }
}

/// The cells of one row.
fn row_cells<'r>(record: &'r csv::ByteRecord, c: &Columns) -> Result<Cells<'r>, Error> {
    let last = record.len().saturating_sub(1);
    let text = |i: Option<usize>| -> Result<Option<&'r str>, Error> {
        let cell = i.and_then(|i| {
            let cell = record.get(i)?;
            Some(if i == last {
                cell.strip_suffix(b"\r").unwrap_or(cell)
            } else {
                cell
            })
        });
        match cell.filter(|cell| !cell.is_empty()) {
            None => Ok(None),
            Some(cell) => std::str::from_utf8(cell).map(Some).map_err(|_| {
                Error::new(
                    ErrorKind::Encoding,
                    "invalid UTF-8: an inventory CSV is UTF-8 text",
                )
            }),
        }
    };
    let name = text(Some(c.name))?.ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidListing,
            "empty Name: every row names a blob",
        )
    })?;
    let content_length = match text(c.content_length)? {
        None => None,
        Some(s) => Some(s.trim().parse().map_err(|_| {
            Error::new(
                ErrorKind::InvalidListing,
                format!("Content-Length {s:?} is not a number of bytes"),
            )
        })?),
    };
    let is_current_version = match text(c.is_current_version)? {
        None => None,
        Some(s) => Some(parse_bool(s, "IsCurrentVersion")?),
    };
    Ok(Cells {
        name,
        snapshot: text(c.snapshot)?,
        content_length,
        blob_type: text(c.blob_type)?,
        lease_state: text(c.lease_state)?,
        version_id: text(c.version_id)?,
        is_current_version,
        last_modified: text(c.last_modified)?,
        has_current_column: c.is_current_version.is_some(),
    })
}

fn csv_error(e: &csv::Error) -> Error {
    let line = e.position().map_or(0, |p| p.line());
    match e.kind() {
        csv::ErrorKind::Io(io) => Error::new(ErrorKind::Io, format!("cannot read: {io}")),
        _ => Error::new(ErrorKind::Syntax, format!("malformed CSV: {e}")).at_line(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::entry::AZURE_OTHER_FIELDS;
    use crate::listing::test_util::{kind_line, paths, read_all};
    use crate::listing::{BlobType, ListingFormat};

    const HEADER: &str = "Name,Creation-Time,Content-Length,BlobType,LeaseState,Snapshot,VersionId,IsCurrentVersion,Metadata\r\n";

    fn read(csv: &str) -> Result<Vec<ListingEntry>, Error> {
        read_all(ListingFormat::InventoryCsv, csv.as_bytes())
    }

    #[test]
    fn last_modified_is_read_iso_or_rfc_1123() {
        let entries = read(
            "Name,Last-Modified\nc00/a,2026-11-25T22:12:51.0000000Z\n\
             c00/b,\"Wed, 25 Nov 2026 22:12:51 GMT\"\nc00/c,\n",
        )
        .unwrap();
        let t = Some("2026-11-25T22:12:51Z".parse().unwrap());
        assert_eq!(entries[0].last_modified, t);
        assert_eq!(entries[1].last_modified, t);
        assert_eq!(entries[2].last_modified, None);
        let e = read("Name,Last-Modified\nc00/a,soon\n").unwrap_err();
        assert_eq!(kind_line(&e), (ErrorKind::InvalidListing, 2));
        assert!(e.message().contains("Last-Modified: invalid time"), "{e}");
    }

    #[test]
    fn good_rows() {
        let csv = format!(
            "\u{FEFF}{HEADER}\
             photos/a.jpg,2024-01-01,5,BlockBlob,leased,,,,\r\n\
             \"photos/dir/é, ü.jpg\",,7,PageBlob,available,2011-03-09T01:42:34.936Z,,,\"a=1,b=2\"\r\n\
             $root/logo.bmp,,,,,,2024-01-01T00:00:00.0000000Z,false,\n\
             /photos/b,,0,AppendBlob,,,,TRUE,"
        );
        let entries = read(&csv).unwrap();
        assert_eq!(
            paths(&entries),
            [
                "/photos/a.jpg",
                "/photos/dir/é, ü.jpg@2011-03-09T01:42:34.9360000Z",
                "/$root/logo.bmp",
                "/photos/b",
            ]
        );
        assert_eq!(
            entries.iter().map(|e| e.line).collect::<Vec<_>>(),
            [2, 3, 4, 5]
        );
        let e = &entries[0];
        assert_eq!(
            (e.size, e.blob_type, e.leased),
            (Some(5), Some(BlobType::BlockBlob), Some(true))
        );
        let e = &entries[2];
        assert_eq!((e.size, e.blob_type, e.leased), (None, None, None));
        assert_eq!(
            (e.version_id.as_deref(), e.is_current_version),
            (Some("2024-01-01T00:00:00.0000000Z"), Some(false))
        );
        assert_eq!(
            (entries[3].is_current_version, entries[3].committed),
            (Some(true), None)
        );
    }

    #[test]
    fn columns_by_name_in_any_order() {
        let csv = "Etag,blobtype,Name\n1,PageBlob,photos/x\n2,,photos/y\n";
        let entries = read(csv).unwrap();
        assert_eq!(paths(&entries), ["/photos/x", "/photos/y"]);
        assert_eq!(
            (entries[0].blob_type, entries[1].blob_type),
            (Some(BlobType::PageBlob), None)
        );
        assert!(read("Name\n").unwrap().is_empty());
        assert_eq!(
            paths(&read("Name\nphotos/a\n\nphotos/b").unwrap()),
            ["/photos/a", "/photos/b"]
        );
    }

    #[test]
    fn bad_rows() {
        let cases: &[(&[u8], ErrorKind, u32)] = &[
            (b"Name\nphotos\n", ErrorKind::InvalidListing, 2),
            (b"Name\nphotos/a\nPhotos/b\n", ErrorKind::InvalidListing, 3),
            (
                b"Name\nphotos/a\n\"photos/a\nb\"\n",
                ErrorKind::InvalidListing,
                3,
            ),
            (
                b"Name,Content-Length\nphotos/a,5\nphotos/b,five\n",
                ErrorKind::InvalidListing,
                3,
            ),
            (
                b"Name,Content-Length\nphotos/a,-5\n",
                ErrorKind::InvalidListing,
                2,
            ),
            (
                b"Name,Snapshot\nphotos/a,2011-03-09\n",
                ErrorKind::InvalidListing,
                2,
            ),
            (
                b"Name,BlobType\nphotos/a,Disk\n",
                ErrorKind::InvalidListing,
                2,
            ),
            (
                b"Name,IsCurrentVersion\nphotos/a,yes\n",
                ErrorKind::InvalidListing,
                2,
            ),
            (b"Name,Etag\nphotos/a,1\n,2\n", ErrorKind::InvalidListing, 3),
            // A field named twice: which column holds it?
            (
                b"Name,name\nphotos/a,photos/b\n",
                ErrorKind::InvalidListing,
                1,
            ),
            (
                b"Name,LeaseState,Etag,LeaseState\nphotos/a,leased,1,available\n",
                ErrorKind::InvalidListing,
                1,
            ),
            (b"Name,Etag\nphotos/a,1\nphotos/b\n", ErrorKind::Syntax, 3),
            (b"Name,Etag\nphotos/a,1,2\n", ErrorKind::Syntax, 2),
            (b"Name\nphotos/\xff\n", ErrorKind::Encoding, 2),
            (b"Container,Blob\nphotos,a\n", ErrorKind::InvalidListing, 1),
            (b"", ErrorKind::InvalidListing, 1),
        ];
        for &(csv, kind, line) in cases {
            let e = read_all(ListingFormat::InventoryCsv, csv).unwrap_err();
            assert_eq!(
                kind_line(&e),
                (kind, line),
                "{:?}: {e}",
                String::from_utf8_lossy(csv)
            );
            assert!(
                e.to_string().starts_with(&format!("test.in:{line}: ")),
                "{e}"
            );
        }
        let e = read("Container,Blob\nphotos,a\n").unwrap_err();
        assert!(
            e.message()
                .contains("does not look like an Azure blob inventory"),
            "{e}"
        );
        assert!(e.message().contains(r#""Container", "Blob""#), "{e}");
    }

    #[test]
    fn a_misspelt_column_is_an_error_and_other_inventory_fields_are_not() {
        for (header, near) in [
            ("Name,Content-Lenght", "Content-Length"),
            ("Name,content_length", "Content-Length"),
            ("Name,ContentLength", "Content-Length"),
            ("Name,Snapshots", "Snapshot"),
            ("Name,Blob Type", "BlobType"),
            ("Name,IsCurrentVerison", "IsCurrentVersion"),
            ("Name,Lease-State", "LeaseState"),
            ("Nmae,Content-Length", "Name"),
        ] {
            let e = read(&format!("{header}\nphotos/a,1\n")).unwrap_err();
            assert_eq!(kind_line(&e), (ErrorKind::InvalidListing, 1), "{e}");
            assert!(
                e.message().contains(&format!("did you mean {near:?}?")),
                "{header}: {e}"
            );
        }
        // Every field of an Azure inventory reads, in any case.
        let mut header = String::from("Name");
        let mut row = String::from("photos/a");
        // With the fields List Blobs responses have and blobsel reads there.
        let fields = AZURE_OTHER_FIELDS.iter().chain(&[
            "AccessTier",
            "ContentType",
            "Content-Type",
            "ServerEncrypted",
        ]);
        for f in fields.clone() {
            header.push(',');
            header.push_str(f);
            row.push_str(",x");
        }
        for h in [header.clone(), header.to_ascii_lowercase()] {
            let entries = read(&format!("{h}\n{row}\n")).unwrap();
            assert_eq!(paths(&entries), ["/photos/a"]);
        }
        for f in fields {
            assert_eq!(misspelt_column(f), None, "{f}");
        }
    }

    #[test]
    fn a_version_without_the_flag_is_a_previous_version() {
        use crate::listing::Exportability::{Exportable, PreviousVersion};
        let csv = "Name,VersionId,IsCurrentVersion\n\
                   photos/a,2024-01-01T00:00:00.0000000Z,\n\
                   photos/a,2024-02-01T00:00:00.0000000Z,true\n\
                   photos/b,,\n";
        let kinds: Vec<_> = read(csv)
            .unwrap()
            .iter()
            .map(|e| (e.is_current_version, e.exportability()))
            .collect();
        assert_eq!(
            kinds,
            [
                (Some(false), PreviousVersion),
                (Some(true), Exportable),
                (None, Exportable)
            ]
        );
        // Without the column, a version cannot be told: an error, not a guess.
        let e =
            read("Name,VersionId\nphotos/b,\nphotos/a,2024-01-01T00:00:00.0000000Z\n").unwrap_err();
        assert_eq!(kind_line(&e), (ErrorKind::InvalidListing, 3), "{e}");
        assert!(e.message().contains("add IsCurrentVersion"), "{e}");
    }
}
