//! Listings: the blobs an account holds, read from files or from the account.
//!
//! Every reader yields [`ListingEntry`] values into a caller-owned buffer
//! ([`ListingReader::read_entry`]), so reading allocates nothing per blob once
//! the buffers have grown. Formats are in [`ListingFormat`]; see docs/semantics.md §5.
//!
//! The readers are [`LinesReader`], [`JsonlReader`], [`ListBlobsReader`],
//! [`InventoryCsvReader`] and, with the `parquet` feature,
//! `InventoryParquetReader` (which needs a file, not a stream);
//! [`open_reader`] picks one by format. [`parse_line`] parses one `lines`
//! line without allocating, and [`parse_list_blobs_page`] one List Blobs
//! response held in memory. [`par_find`] reads, parses and matches a
//! `lines` listing on all threads, in input order: the fast path of
//! `blobsel preview`; [`par_find_file`] does the same on a file mapped into
//! memory (no copy out of the page cache), [`par_find_slice`] on bytes.
//!
//! [`ListingEntry`] and what every reader shares to fill one (the path
//! check, blob types, lease states) live in `entry.rs`; the path rules
//! themselves are those of selections ([`crate::path`]).

use std::io::BufRead;
use std::path::Path;

use crate::error::{Error, ErrorKind};

mod entry;
pub mod inventory_csv;
#[cfg(feature = "parquet")]
pub mod inventory_parquet;
pub mod jsonl;
pub mod lines;
pub mod list_blobs;
mod par;

pub(crate) use self::entry::{
    invalid, io_error, is_other_azure_field, parse_blob_type, parse_bool, parse_last_modified,
    parse_lease_state, parse_snapshot, quoted, to_listing_error,
};
pub use self::entry::{BlobType, Exportability, ListingEntry};
pub use self::inventory_csv::InventoryCsvReader;
#[cfg(feature = "parquet")]
pub use self::inventory_parquet::InventoryParquetReader;
pub use self::jsonl::JsonlReader;
pub use self::lines::{parse_line, LineBlob, LinesReader};
pub use self::list_blobs::{parse_list_blobs_page, ListBlobsReader};
pub use self::par::{par_find, par_find_file, par_find_slice, Finds, Found, LinesRead, MAX_LINE};

/// The format of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListingFormat {
    /// One blob a line: `PATH` or `PATH<TAB>SNAPSHOT`.
    Lines,
    /// One JSON object a line.
    Jsonl,
    /// Azure List Blobs responses (`EnumerationResults` XML pages).
    ListBlobsXml,
    /// Azure blob inventory CSV.
    InventoryCsv,
    /// Azure blob inventory Parquet.
    InventoryParquet,
}

impl ListingFormat {
    /// The format a file name implies: `.xml`, `.csv`, `.parquet`,
    /// `.jsonl`/`.ndjson`, anything else [`ListingFormat::Lines`]. See
    /// [`ListingFormat::from_extension`] and [`ListingFormat::detect`] to
    /// tell a file whose name says nothing by its content.
    pub fn from_path(path: &Path) -> ListingFormat {
        ListingFormat::from_extension(path).unwrap_or(ListingFormat::Lines)
    }

    /// The format a file's extension names (any case): `.xml`, `.csv`,
    /// `.parquet`, `.jsonl`/`.ndjson`, and `.txt` for
    /// [`ListingFormat::Lines`]; `None` for any other extension (`.json`
    /// among them) and none.
    pub fn from_extension(path: &Path) -> Option<ListingFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "xml" => ListingFormat::ListBlobsXml,
            "csv" => ListingFormat::InventoryCsv,
            "parquet" => ListingFormat::InventoryParquet,
            "jsonl" | "ndjson" => ListingFormat::Jsonl,
            "txt" => ListingFormat::Lines,
            _ => return None,
        })
    }

    /// The format the start of a listing looks like (docs/semantics.md
    /// §5): Parquet's `PAR1` magic; else, by the first line that is not
    /// blank (after a UTF-8 byte-order mark), a JSON object (`{`) is
    /// [`ListingFormat::Jsonl`], an XML declaration or element (`<`) a
    /// List Blobs response, a (comma-separated) header with a `Name`
    /// column an inventory CSV (no `lines` row is a bare word), and anything else (or nothing) `lines`. `head` may
    /// stop anywhere: a first line cut short is judged by what is there.
    pub fn detect(head: &[u8]) -> ListingFormat {
        if head.starts_with(b"PAR1") {
            return ListingFormat::InventoryParquet;
        }
        let text = crate::text::strip_bom(head);
        let Some(line) = text
            .split(|&b| b == b'\n')
            .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        else {
            return ListingFormat::Lines;
        };
        let line = line.trim_ascii();
        match line.first() {
            Some(b'{') => ListingFormat::Jsonl,
            Some(b'<') => ListingFormat::ListBlobsXml,
            _ if line.split(|&b| b == b',').any(is_name_header) => ListingFormat::InventoryCsv,
            _ => ListingFormat::Lines,
        }
    }

    /// The name `--listing-format` gives it.
    pub fn name(self) -> &'static str {
        match self {
            ListingFormat::Lines => "lines",
            ListingFormat::Jsonl => "jsonl",
            ListingFormat::ListBlobsXml => "xml",
            ListingFormat::InventoryCsv => "csv",
            ListingFormat::InventoryParquet => "parquet",
        }
    }
}

/// Whether a CSV header cell is `Name` (any case, maybe quoted).
fn is_name_header(cell: &[u8]) -> bool {
    let cell = cell.trim_ascii();
    let cell = cell
        .strip_prefix(b"\"")
        .and_then(|c| c.strip_suffix(b"\""))
        .unwrap_or(cell);
    cell.eq_ignore_ascii_case(b"Name")
}

/// A source of listing entries.
pub trait ListingReader {
    /// Reads the next entry into `entry` (cleared first). Returns `Ok(false)`
    /// at the end. Errors name the source and the line or record.
    fn read_entry(&mut self, entry: &mut ListingEntry) -> Result<bool, Error>;

    /// How many rows so far had keys the reader skipped
    /// ([`ReadOptions::ignore_unknown_keys`]); 0 for formats without keys.
    fn rows_with_ignored_keys(&self) -> u64 {
        0
    }
}

/// How readers treat what they do not read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOptions {
    ignore_unknown_keys: bool,
}

impl ReadOptions {
    /// With `true`, a jsonl key blobsel does not read is skipped instead of
    /// refused (unless it looks like a misspelling of one it reads): for
    /// listings other tools wrote with keys of their own. See
    /// [`JsonlReader::ignore_unknown_keys`].
    pub fn ignore_unknown_keys(mut self, yes: bool) -> ReadOptions {
        self.ignore_unknown_keys = yes;
        self
    }
}

/// A reader of `input` in `format`; `source_name` (a file name, or
/// `<stdin>`) is what errors name.
///
/// Parquet cannot be read from a stream: for
/// [`ListingFormat::InventoryParquet`] this is an error that says to open
/// the file with `InventoryParquetReader::open` instead.
pub fn open_reader<'a>(
    format: ListingFormat,
    input: Box<dyn BufRead + 'a>,
    source_name: &str,
) -> Result<Box<dyn ListingReader + 'a>, Error> {
    open_reader_with(format, input, source_name, ReadOptions::default())
}

/// [`open_reader`], with `options`.
pub fn open_reader_with<'a>(
    format: ListingFormat,
    input: Box<dyn BufRead + 'a>,
    source_name: &str,
    options: ReadOptions,
) -> Result<Box<dyn ListingReader + 'a>, Error> {
    Ok(match format {
        ListingFormat::Lines => Box::new(LinesReader::new(input, source_name)),
        ListingFormat::Jsonl => Box::new(
            JsonlReader::new(input, source_name).ignore_unknown_keys(options.ignore_unknown_keys),
        ),
        ListingFormat::ListBlobsXml => Box::new(ListBlobsReader::new(input, source_name)),
        ListingFormat::InventoryCsv => Box::new(InventoryCsvReader::new(input, source_name)),
        ListingFormat::InventoryParquet => {
            let message = if cfg!(feature = "parquet") {
                "a Parquet listing must be read from a file, not a stream: \
                 give its file name instead"
            } else {
                "this build of blobsel reads no Parquet (built without the \
                 `parquet` feature): rebuild with --features parquet, or use \
                 the inventory's CSV form"
            };
            return Err(Error::new(ErrorKind::InvalidListing, message).in_source(source_name));
        }
    })
}

#[cfg(test)]
pub(crate) mod test_util {
    use std::io::BufReader;

    use super::*;

    /// Every entry of `input` read as `format`, or the first error. Reads it
    /// twice, whole and through a 1-byte buffer, and checks both agree.
    pub(crate) fn read_all(
        format: ListingFormat,
        input: &[u8],
    ) -> Result<Vec<ListingEntry>, Error> {
        let whole = collect(format, Box::new(input));
        let tiny = collect(format, Box::new(BufReader::with_capacity(1, input)));
        assert_eq!(whole, tiny, "whole and byte-by-byte reads differ");
        whole
    }

    fn collect(
        format: ListingFormat,
        input: Box<dyn BufRead + '_>,
    ) -> Result<Vec<ListingEntry>, Error> {
        let mut reader = open_reader(format, input, "test.in")?;
        let mut out = Vec::new();
        let mut entry = ListingEntry::default();
        while reader.read_entry(&mut entry)? {
            out.push(entry.clone());
        }
        assert!(!reader.read_entry(&mut entry)?, "a second end");
        Ok(out)
    }

    /// The canonical paths, with snapshot times when present.
    pub(crate) fn paths(entries: &[ListingEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| match e.snapshot {
                Some(s) => format!("{}@{s}", e.path),
                None => e.path.clone(),
            })
            .collect()
    }

    /// The error's kind and line.
    pub(crate) fn kind_line(e: &Error) -> (ErrorKind, u32) {
        assert_eq!(e.source_name(), Some("test.in"), "{e}");
        (e.kind(), e.position().map_or(0, |p| p.line))
    }

    #[test]
    fn parquet_needs_a_file() {
        let e = open_reader(
            ListingFormat::InventoryParquet,
            Box::new(&b""[..]),
            "<stdin>",
        )
        .err()
        .unwrap();
        assert_eq!(e.kind(), ErrorKind::InvalidListing);
        assert!(e.to_string().starts_with("<stdin>: "), "{e}");
    }

    #[test]
    fn formats_from_extensions_and_content() {
        use ListingFormat::*;
        for (name, format) in [
            ("a.XML", Some(ListBlobsXml)),
            ("a.csv", Some(InventoryCsv)),
            ("a.parquet", Some(InventoryParquet)),
            ("a.jsonl", Some(Jsonl)),
            ("a.NDJSON", Some(Jsonl)),
            ("a.txt", Some(Lines)),
            ("a.json", None),
            ("a.list", None),
            ("listing", None),
            (".hidden", None),
        ] {
            assert_eq!(
                ListingFormat::from_extension(Path::new(name)),
                format,
                "{name}"
            );
            assert_eq!(
                ListingFormat::from_path(Path::new(name)),
                format.unwrap_or(Lines)
            );
        }
        for (head, format) in [
            (&b"{\"path\":\"/a/b\"}\n"[..], Jsonl),
            (b"\xEF\xBB\xBF\r\n  \n  {\"path\":", Jsonl),
            (
                b"<?xml version=\"1.0\"?>\n<EnumerationResults",
                ListBlobsXml,
            ),
            (b"<EnumerationResults ContainerName=\"a\">", ListBlobsXml),
            (b"Name,Content-Length\nphotos/a,1\n", InventoryCsv),
            (b"Etag,\"name\" , BlobType\r\n", InventoryCsv),
            (b"PAR1\x15\x04", InventoryParquet),
            (b"/photos/a.jpg\n", Lines),
            (b"photos/a,b.jpg\n", Lines),
            (b"/photos/Name,x\n", Lines),
            (b"Name\n", InventoryCsv),
            (b"name", InventoryCsv),
            (b"", Lines),
            (b" \n\t\n", Lines),
        ] {
            assert_eq!(
                ListingFormat::detect(head),
                format,
                "{}",
                String::from_utf8_lossy(head)
            );
        }
    }

    #[test]
    fn value_helpers() {
        assert_eq!(parse_blob_type("pageblob").unwrap(), BlobType::PageBlob);
        assert!(parse_blob_type("Blob").is_err());
        assert!(parse_lease_state("Leased").unwrap());
        assert!(parse_lease_state("breaking").unwrap());
        assert!(!parse_lease_state("broken").unwrap());
        assert!(!parse_lease_state("available").unwrap());
        assert!(parse_lease_state("locked").is_err());
        assert!(parse_bool("TRUE", "x").unwrap());
        assert!(parse_bool("1", "x").is_err());
    }
}
