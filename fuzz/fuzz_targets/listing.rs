//! Raw bytes through every listing reader (lines, jsonl, List Blobs XML,
//! inventory CSV). No panic; the reader ends; every record is a blob with a
//! valid canonical path, or an error that names its source and carries a
//! line number; reading the whole input at once and through a one-byte
//! buffer gives the same answers; every blob read can be written as a
//! `lines` listing and read back unchanged.

#![no_main]

use std::io::{BufRead, BufReader};

use blobsel::listing::open_reader;
use blobsel::{BlobPath, Error, ListingEntry, ListingFormat};
use libfuzzer_sys::fuzz_target;

#[path = "../common/mod.rs"]
mod common;

const TARGET: &str = "listing";
const SOURCE: &str = "fuzz.listing";

const FORMATS: [ListingFormat; 4] = [
    ListingFormat::Lines,
    ListingFormat::Jsonl,
    ListingFormat::ListBlobsXml,
    ListingFormat::InventoryCsv,
];

/// Every entry up to the end or the first error (the CLI stops there).
fn read(
    format: ListingFormat,
    input: Box<dyn BufRead + '_>,
    max_calls: usize,
) -> Result<(Vec<ListingEntry>, Option<Error>), String> {
    let mut reader =
        open_reader(format, input, SOURCE).map_err(|e| format!("open_reader failed: {e}"))?;
    let mut entries = Vec::new();
    let mut entry = ListingEntry::default();
    for _ in 0..max_calls {
        match reader.read_entry(&mut entry) {
            Ok(true) => entries.push(entry.clone()),
            Ok(false) => return Ok((entries, None)),
            Err(e) => return Ok((entries, Some(e))),
        }
    }
    Err(format!(
        "{format:?}: the reader has not ended after {max_calls} entries"
    ))
}

fuzz_target!(|data: &[u8]| {
    if data.len() > common::MAX_INPUT {
        return;
    }
    let fail = |what: String| -> ! { common::fail(TARGET, data, &what) };
    // A record takes at least one byte (XML: many), so more entries than
    // bytes means a reader that does not advance.
    let max_calls = data.len() + 2;
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u64 + 1;

    for format in FORMATS {
        let whole = read(format, Box::new(data), max_calls).unwrap_or_else(|e| fail(e));
        let tiny = read(
            format,
            Box::new(BufReader::with_capacity(1, data)),
            max_calls,
        )
        .unwrap_or_else(|e| fail(e));
        if whole != tiny {
            fail(format!(
                "{format:?}: whole and byte-by-byte reads differ:\n  {whole:?}\n  {tiny:?}"
            ));
        }
        let (entries, error) = whole;

        let mut last = 0u64;
        for e in &entries {
            let ok = BlobPath::parse(&e.path)
                .is_ok_and(|p| p.canonical() == e.path && p.container.len() == e.container_len);
            if !ok || !e.path.starts_with('/') {
                fail(format!(
                    "{format:?}: entry {:?} (container_len {}) is no canonical blob path",
                    e.path, e.container_len
                ));
            }
            let _ = (e.container(), e.name(), e.exportability());
            if e.line <= last {
                fail(format!(
                    "{format:?}: entry {:?} has line/record {} after {last}",
                    e.path, e.line
                ));
            }
            last = e.line;
            let line_based = matches!(
                format,
                ListingFormat::Lines | ListingFormat::Jsonl | ListingFormat::InventoryCsv
            );
            if line_based && e.line > lines {
                fail(format!(
                    "{format:?}: entry {:?} on line {} of a {lines}-line input",
                    e.path, e.line
                ));
            }
        }

        if let Some(err) = &error {
            let shown = err.to_string();
            let Some(pos) = err.position() else {
                fail(format!("{format:?}: error without a line number: {shown}"));
            };
            if pos.line == 0 || u64::from(pos.line) > lines + 1 {
                fail(format!(
                    "{format:?}: error on line {} of a {lines}-line input: {shown}",
                    pos.line
                ));
            }
            if err.source_name() != Some(SOURCE) {
                fail(format!(
                    "{format:?}: error without its source name: {shown}"
                ));
            }
        }

        // Nothing read is lost in blobsel's own `lines` output.
        let mut text = String::new();
        for e in &entries {
            text.push_str(&e.path);
            if let Some(t) = e.snapshot {
                text.push('\t');
                text.push_str(&t.to_string());
            }
            text.push('\n');
        }
        let (again, err) = read(
            ListingFormat::Lines,
            Box::new(text.as_bytes()),
            max_calls + 1,
        )
        .unwrap_or_else(|e| fail(e));
        if let Some(err) = err {
            fail(format!(
                "{format:?}: the entries written as lines do not read back: {err}\n{text}"
            ));
        }
        let same = again.len() == entries.len()
            && again
                .iter()
                .zip(&entries)
                .all(|(a, e)| a.path == e.path && a.snapshot == e.snapshot);
        if !same {
            fail(format!(
                "{format:?}: the entries written as lines read back differently:\n{text}"
            ));
        }
    }
});
