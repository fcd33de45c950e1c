//! Azure blob inventory Parquet listings (cargo feature `parquet`).
//!
//! The same columns as the CSV form (`Name` with the container, optional
//! `Snapshot`, `Content-Length`, `BlobType`, `LeaseState`, `VersionId`,
//! `IsCurrentVersion`), matched by name; only those columns are read. Parquet
//! keeps its index at the end of the file, so it is read from a [`File`],
//! never from a stream.

use std::fs::File;
use std::path::Path;

use parquet::errors::ParquetError;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::reader::RowIter;
use parquet::record::{Field, Row};
use parquet::schema::types::Type;

use crate::error::{Error, ErrorKind};
use crate::listing::invalid;
use crate::listing::inventory_csv::{Cells, Columns};
use crate::listing::{ListingEntry, ListingReader};
use crate::snapshot::SnapshotTime;

/// `1970-01-01T00:00:00Z` in 100-ns ticks since `0001-01-01T00:00:00Z`.
const UNIX_EPOCH_TICKS: u64 = 621_355_968_000_000_000;

/// Reads an Azure blob inventory Parquet file. [`ListingEntry::line`] is the
/// row number (1-based).
pub struct InventoryParquetReader {
    rows: RowIter<'static>,
    columns: Columns,
    source: String,
    row: u64,
}

impl std::fmt::Debug for InventoryParquetReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InventoryParquetReader")
            .field("source", &self.source)
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

impl InventoryParquetReader {
    /// Opens the Parquet file at `path`; errors name it as given.
    pub fn open(path: impl AsRef<Path>) -> Result<InventoryParquetReader, Error> {
        let path = path.as_ref();
        let source = path.display().to_string();
        let file = File::open(path).map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot open: {e}")).in_source(source.as_str())
        })?;
        InventoryParquetReader::new(file, source)
    }

    /// A reader of `file`; `source_name` is what errors name. Reads the
    /// file's footer and schema; an error when it is not Parquet or has no
    /// `Name` column.
    pub fn new(
        file: File,
        source_name: impl Into<String>,
    ) -> Result<InventoryParquetReader, Error> {
        let source = source_name.into();
        let fail = |e: Error| e.in_source(source.as_str());
        let reader = SerializedFileReader::new(file).map_err(|e| fail(parquet_error(&e)))?;
        let schema = reader.metadata().file_metadata().schema();
        let fields = schema.get_fields();
        let names: Vec<String> = fields.iter().map(|f| f.name().to_string()).collect();
        let found = Columns::find(names.iter().map(String::as_str)).map_err(fail)?;
        // Read only the columns used: project them, in file order.
        let wanted = |i: usize| {
            let c = &found;
            i == c.name
                || [
                    c.snapshot,
                    c.content_length,
                    c.blob_type,
                    c.lease_state,
                    c.version_id,
                    c.is_current_version,
                    c.last_modified,
                ]
                .contains(&Some(i))
        };
        let kept: Vec<usize> = (0..fields.len()).filter(|&i| wanted(i)).collect();
        let at = |i: usize| kept.iter().position(|&k| k == i).unwrap_or(usize::MAX);
        let columns = Columns {
            name: at(found.name),
            snapshot: found.snapshot.map(at),
            content_length: found.content_length.map(at),
            blob_type: found.blob_type.map(at),
            lease_state: found.lease_state.map(at),
            version_id: found.version_id.map(at),
            is_current_version: found.is_current_version.map(at),
            last_modified: found.last_modified.map(at),
        };
        let projection = Type::group_type_builder(schema.name())
            .with_fields(kept.iter().map(|&i| fields[i].clone()).collect())
            .build()
            .map_err(|e| fail(parquet_error(&e)))?;
        let rows = RowIter::from_file_into(Box::new(reader))
            .project(Some(projection))
            .map_err(|e| fail(parquet_error(&e)))?;
        Ok(InventoryParquetReader {
            rows,
            columns,
            source,
            row: 0,
        })
    }

    fn read(&mut self, entry: &mut ListingEntry) -> Result<bool, Error> {
        let Some(row) = self.rows.next() else {
            return Ok(false);
        };
        self.row += 1;
        entry.line = self.row;
        let row = row.map_err(|e| parquet_error(&e).at_line(self.row))?;
        fill(&row, &self.columns, entry).map_err(|e| e.at_line(self.row))?;
        Ok(true)
    }
}

impl ListingReader for InventoryParquetReader {
    fn read_entry(&mut self, entry: &mut ListingEntry) -> Result<bool, Error> {
        entry.clear();
        self.read(entry)
            .map_err(|e| e.in_source(self.source.as_str()))
    }
}

/// Fills `entry` from one projected row.
fn fill(row: &Row, c: &Columns, entry: &mut ListingEntry) -> Result<(), Error> {
    let mut cells: [Option<&Field>; 8] = [None; 8];
    for (i, (_, field)) in row.get_column_iter().enumerate().take(8) {
        cells[i] = Some(field);
    }
    let cell = |i: Option<usize>| i.and_then(|i| cells.get(i).copied().flatten());
    let (snapshot_text, snapshot_time) = match cell(c.snapshot) {
        Some(&Field::TimestampMillis(ms)) => (None, Some(timestamp(ms, 10_000)?)),
        Some(&Field::TimestampMicros(us)) => (None, Some(timestamp(us, 10)?)),
        other => (text(other, "Snapshot")?, None),
    };
    let (modified_text, modified_time) = match cell(c.last_modified) {
        Some(&Field::TimestampMillis(ms)) => (None, Some(timestamp(ms, 10_000)?)),
        Some(&Field::TimestampMicros(us)) => (None, Some(timestamp(us, 10)?)),
        other => (text(other, "Last-Modified")?, None),
    };
    let cells = Cells {
        name: text(cell(Some(c.name)), "Name")?
            .ok_or_else(|| invalid("empty Name: every row names a blob".to_string()))?,
        snapshot: snapshot_text,
        content_length: number(cell(c.content_length))?,
        blob_type: text(cell(c.blob_type), "BlobType")?,
        lease_state: text(cell(c.lease_state), "LeaseState")?,
        version_id: text(cell(c.version_id), "VersionId")?,
        is_current_version: match cell(c.is_current_version) {
            None | Some(Field::Null) => None,
            Some(&Field::Bool(b)) => Some(b),
            other => match text(other, "IsCurrentVersion")? {
                None => None,
                Some(s) => Some(crate::listing::parse_bool(s, "IsCurrentVersion")?),
            },
        },
        last_modified: modified_text,
        has_current_column: c.is_current_version.is_some(),
    };
    cells.fill(entry)?;
    if modified_time.is_some() {
        entry.last_modified = modified_time;
    }
    if snapshot_time.is_some() {
        entry.snapshot = snapshot_time;
    }
    Ok(())
}

/// A text cell: `None` when null or empty.
fn text<'r>(field: Option<&'r Field>, column: &str) -> Result<Option<&'r str>, Error> {
    match field {
        None | Some(Field::Null) => Ok(None),
        Some(Field::Str(s)) => Ok(Some(s.as_str()).filter(|s| !s.is_empty())),
        Some(Field::Bytes(b)) => match b.as_utf8() {
            Ok(s) => Ok(Some(s).filter(|s| !s.is_empty())),
            Err(_) => Err(Error::new(
                ErrorKind::Encoding,
                format!("{column} is not UTF-8 text"),
            )),
        },
        Some(other) => Err(invalid(format!("{column} is {other}, not text"))),
    }
}

/// A `Content-Length` cell.
fn number(field: Option<&Field>) -> Result<Option<u64>, Error> {
    let n = match field {
        None | Some(Field::Null) => return Ok(None),
        Some(&Field::Long(n)) => u64::try_from(n).ok(),
        Some(&Field::Int(n)) => u64::try_from(n).ok(),
        Some(&Field::ULong(n)) => Some(n),
        Some(&Field::UInt(n)) => Some(u64::from(n)),
        Some(Field::Str(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    n.map(Some).ok_or_else(|| {
        let shown = field.map(ToString::to_string).unwrap_or_default();
        invalid(format!("Content-Length {shown} is not a number of bytes"))
    })
}

/// A timestamp cell, `units` since the Unix epoch with `ticks_per_unit`.
fn timestamp(units: i64, ticks_per_unit: i64) -> Result<SnapshotTime, Error> {
    units
        .checked_mul(ticks_per_unit)
        .and_then(|t| UNIX_EPOCH_TICKS.checked_add_signed(t))
        .map(SnapshotTime::from_ticks)
        .ok_or_else(|| invalid(format!("Snapshot timestamp {units} is out of range")))
}

fn parquet_error(e: &ParquetError) -> Error {
    Error::new(
        ErrorKind::Syntax,
        format!("cannot read this as Parquet: {e}"),
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use parquet::basic::{Compression, ConvertedType, Repetition, Type as Physical};
    use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;

    use super::*;
    use crate::listing::test_util::paths;
    use crate::listing::BlobType;

    /// A column of a test file: name, and values (`None` is null).
    enum Col {
        Text(&'static str, Vec<Option<&'static str>>),
        /// Text without the UTF8 annotation: read as bytes.
        Bytes(&'static str, Vec<Option<&'static str>>),
        Long(&'static str, Vec<Option<i64>>),
        Bool(&'static str, Vec<Option<bool>>),
    }

    fn write(cols: &[Col]) -> tempfile::NamedTempFile {
        let fields = cols
            .iter()
            .map(|c| {
                let (name, physical, utf8) = match c {
                    Col::Text(n, _) => (n, Physical::BYTE_ARRAY, true),
                    Col::Bytes(n, _) => (n, Physical::BYTE_ARRAY, false),
                    Col::Long(n, _) => (n, Physical::INT64, false),
                    Col::Bool(n, _) => (n, Physical::BOOLEAN, false),
                };
                let mut t = Type::primitive_type_builder(name, physical)
                    .with_repetition(Repetition::OPTIONAL);
                if utf8 {
                    t = t.with_converted_type(ConvertedType::UTF8);
                }
                Arc::new(t.build().unwrap())
            })
            .collect();
        let schema = Arc::new(
            Type::group_type_builder("schema")
                .with_fields(fields)
                .build()
                .unwrap(),
        );
        let props = Arc::new(
            WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .build(),
        );
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut writer = SerializedFileWriter::new(file.reopen().unwrap(), schema, props).unwrap();
        let mut group = writer.next_row_group().unwrap();
        for col in cols {
            let mut w = group.next_column().unwrap().unwrap();
            fn levels<T>(v: &[Option<T>]) -> Vec<i16> {
                v.iter().map(|x| i16::from(x.is_some())).collect()
            }
            match col {
                Col::Text(_, v) | Col::Bytes(_, v) => {
                    let values: Vec<ByteArray> =
                        v.iter().flatten().map(|s| ByteArray::from(*s)).collect();
                    w.typed::<ByteArrayType>()
                        .write_batch(&values, Some(&levels(v)), None)
                        .unwrap();
                }
                Col::Long(_, v) => {
                    let values: Vec<i64> = v.iter().flatten().copied().collect();
                    w.typed::<Int64Type>()
                        .write_batch(&values, Some(&levels(v)), None)
                        .unwrap();
                }
                Col::Bool(_, v) => {
                    let values: Vec<bool> = v.iter().flatten().copied().collect();
                    w.typed::<BoolType>()
                        .write_batch(&values, Some(&levels(v)), None)
                        .unwrap();
                }
            }
            w.close().unwrap();
        }
        group.close().unwrap();
        writer.close().unwrap();
        file
    }

    fn read(file: &tempfile::NamedTempFile) -> Result<Vec<ListingEntry>, Error> {
        let mut reader = InventoryParquetReader::new(file.reopen().unwrap(), "inv.parquet")?;
        let mut out = Vec::new();
        let mut entry = ListingEntry::default();
        while reader.read_entry(&mut entry)? {
            out.push(entry.clone());
        }
        Ok(out)
    }

    #[test]
    fn reads_the_inventory_columns() {
        let file = write(&[
            Col::Text(
                "Name",
                vec![
                    Some("photos/a.jpg"),
                    Some("photos/dir/é.jpg"),
                    Some("$root/logo.bmp"),
                ],
            ),
            Col::Long("Creation-Time", vec![Some(1), None, None]),
            Col::Long("Content-Length", vec![Some(5), Some(7), None]),
            Col::Text("BlobType", vec![Some("BlockBlob"), Some("PageBlob"), None]),
            Col::Bytes(
                "LeaseState",
                vec![Some("leased"), Some("available"), Some("")],
            ),
            Col::Text(
                "Snapshot",
                vec![None, Some("2011-03-09T01:42:34.936Z"), None],
            ),
            Col::Bool("IsCurrentVersion", vec![None, Some(true), Some(false)]),
            Col::Text("VersionId", vec![None, Some("v1"), Some("")]),
        ]);
        let entries = read(&file).unwrap();
        assert_eq!(
            paths(&entries),
            [
                "/photos/a.jpg",
                "/photos/dir/é.jpg@2011-03-09T01:42:34.9360000Z",
                "/$root/logo.bmp"
            ]
        );
        assert_eq!(
            entries.iter().map(|e| e.line).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        let e = &entries[0];
        assert_eq!(
            (e.size, e.blob_type, e.leased),
            (Some(5), Some(BlobType::BlockBlob), Some(true))
        );
        let e = &entries[1];
        assert_eq!(
            (e.leased, e.version_id.as_deref(), e.is_current_version),
            (Some(false), Some("v1"), Some(true))
        );
        let e = &entries[2];
        assert_eq!(
            (
                e.size,
                e.leased,
                e.version_id.as_deref(),
                e.is_current_version
            ),
            (None, None, None, Some(false))
        );
    }

    #[test]
    fn errors_name_the_file_and_row() {
        let file = write(&[Col::Text("Name", vec![Some("photos/a"), Some("Photos/b")])]);
        let e = read(&file).unwrap_err();
        assert_eq!(
            (e.kind(), e.position().unwrap().line),
            (ErrorKind::InvalidListing, 2)
        );
        assert!(
            e.to_string()
                .starts_with("inv.parquet:2: invalid container name"),
            "{e}"
        );

        let file = write(&[Col::Text("Name", vec![Some("photos/a"), None])]);
        let e = read(&file).unwrap_err();
        assert_eq!(
            (e.kind(), e.position().unwrap().line),
            (ErrorKind::InvalidListing, 2)
        );

        let file = write(&[
            Col::Text("Name", vec![Some("photos/a")]),
            Col::Long("Content-Length", vec![Some(-1)]),
        ]);
        assert_eq!(read(&file).unwrap_err().kind(), ErrorKind::InvalidListing);

        let file = write(&[Col::Text("Blob", vec![Some("photos/a")])]);
        let e = read(&file).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidListing);
        assert!(
            e.message()
                .contains("does not look like an Azure blob inventory"),
            "{e}"
        );

        let mut not = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut not, b"Name\nphotos/a\n").unwrap();
        let e = read(&not).unwrap_err();
        assert_eq!(
            (e.kind(), e.source_name()),
            (ErrorKind::Syntax, Some("inv.parquet"))
        );

        let e = InventoryParquetReader::open("/nonexistent/inv.parquet").unwrap_err();
        assert_eq!(
            (e.kind(), e.source_name()),
            (ErrorKind::Io, Some("/nonexistent/inv.parquet"))
        );
    }

    #[test]
    fn columns_as_strict_as_the_csv_and_versions_as_the_service_writes_them() {
        use crate::listing::Exportability::{Exportable, PreviousVersion};
        let file = write(&[
            Col::Text("Name", vec![Some("photos/a")]),
            Col::Long("ContentLength", vec![Some(5)]),
        ]);
        let e = read(&file).unwrap_err();
        assert!(
            e.to_string().starts_with(
                "inv.parquet: column 2 is named \"ContentLength\": did you mean \"Content-Length\"?"
            ),
            "{e}"
        );
        let file = write(&[
            Col::Text("Name", vec![Some("photos/a"), Some("photos/a")]),
            Col::Text("LeaseStatus", vec![Some("locked"), None]),
            Col::Text("VersionId", vec![Some("v1"), Some("v2")]),
            Col::Bool("IsCurrentVersion", vec![None, Some(true)]),
        ]);
        let kinds: Vec<_> = read(&file)
            .unwrap()
            .iter()
            .map(ListingEntry::exportability)
            .collect();
        assert_eq!(kinds, [PreviousVersion, Exportable]);
    }

    #[test]
    fn last_modified_is_read_from_text() {
        let file = write(&[
            Col::Text("Name", vec![Some("c00/a"), Some("c00/b"), Some("c00/c")]),
            Col::Text(
                "Last-Modified",
                vec![
                    Some("2026-11-25T22:12:51.0000000Z"),
                    Some("Wed, 25 Nov 2026 22:12:51 GMT"),
                    None,
                ],
            ),
        ]);
        let entries = read(&file).unwrap();
        let t = Some("2026-11-25T22:12:51Z".parse().unwrap());
        assert_eq!(entries[0].last_modified, t);
        assert_eq!(entries[1].last_modified, t);
        assert_eq!(entries[2].last_modified, None);
        let file = write(&[
            Col::Text("Name", vec![Some("c00/a")]),
            Col::Text("Last-Modified", vec![Some("later")]),
        ]);
        let e = read(&file).unwrap_err();
        assert!(e.message().contains("Last-Modified: invalid time"), "{e}");
    }

    #[test]
    fn timestamps_are_snapshot_times() {
        assert_eq!(
            timestamp(0, 10).unwrap().to_string(),
            "1970-01-01T00:00:00.0000000Z"
        );
        assert_eq!(
            timestamp(1_299_634_954_936, 10_000).unwrap().to_string(),
            "2011-03-09T01:42:34.9360000Z"
        );
        assert!(timestamp(i64::MIN, 10).is_err());
    }
}
