//! Inputs the fuzz targets (`fuzz/`) found, replayed as ordinary tests.
//!
//! Each test names the target that found it, the root cause, and checks what
//! the target checked. A bug not fixed yet gets a test marked
//! `#[ignore = "known bug: …"]` (run it with
//! `cargo test --test fuzz_regressions -- --ignored`); drop the `ignore`
//! with the fix.

use std::io::{BufRead, BufReader};

use blobsel::listing::open_reader;
use blobsel::{
    Error, ErrorKind, ListingEntry, ListingFormat, MatcherBuilder, Origin, Rule, RuleKind,
    Selection,
};

/// Every entry up to the end or the first error, as the `listing` target
/// reads them.
fn read_listing(
    format: ListingFormat,
    input: Box<dyn BufRead + '_>,
) -> (Vec<ListingEntry>, Option<Error>) {
    let mut reader = open_reader(format, input, "fuzz.listing").unwrap();
    let mut entries = Vec::new();
    let mut entry = ListingEntry::default();
    loop {
        match reader.read_entry(&mut entry) {
            Ok(true) => entries.push(entry.clone()),
            Ok(false) => return (entries, None),
            Err(e) => return (entries, Some(e)),
        }
    }
}

/// The `listing` target's buffering check: the whole input at once and
/// through a one-byte buffer give the same entries and the same error.
fn assert_same_whole_and_bytewise(format: ListingFormat, input: &[u8]) {
    let whole = read_listing(format, Box::new(input));
    let tiny = read_listing(format, Box::new(BufReader::with_capacity(1, input)));
    assert_eq!(
        whole, tiny,
        "{format:?}: whole and byte-by-byte reads differ"
    );
}

/// Found by `listing` (minimized from a seed: an inventory CSV with a byte
/// order mark, read as List Blobs XML).
///
/// Root cause: `ListBlobsReader` computes positions from its `Counter`
/// (bytes consumed) minus what quick-xml has not yet reported
/// (`Counter::offset - Reader::buffer_position()`, meant for the one `<`
/// quick-xml consumes ahead). When the first `fill_buf` holds the whole
/// byte order mark, quick-xml's `remove_utf8_bom` consumes its 3 bytes
/// through the `Counter` without counting them in `buffer_position`, so
/// `position()` subtracts 3 bytes too many from every later column
/// (clamped at 1). When the input arrives in smaller pieces, quick-xml does
/// not see the mark and it is read as text (and skipped by
/// `check_outside`): the columns are right. So error columns after a BOM
/// depend on the reader's buffering.
/// Fixed: a `SkipBom` reader now drops the mark before quick-xml sees it,
/// however it is split.
#[test]
fn list_blobs_error_column_after_a_bom_depends_on_buffering() {
    // Minimized: the byte order mark alone ("no <EnumerationResults>" at
    // 1:1 read whole, 1:2 read byte by byte).
    assert_same_whole_and_bytewise(ListingFormat::ListBlobsXml, b"\xef\xbb\xbf");
    // A wrong root element at 2:3: positions taken from the reader (not
    // recounted from a newline) are off on every line after a BOM; read
    // whole, this says 2:1.
    let input: &[u8] = b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n  <a/>";
    assert_same_whole_and_bytewise(ListingFormat::ListBlobsXml, input);
    let (_, err) = read_listing(ListingFormat::ListBlobsXml, Box::new(input));
    let at = err.expect("a wrong root element").position().unwrap();
    assert_eq!((at.line, at.column), (2, 3));
}

/// Found by `listing` after the fix above (minimized from
/// `b"\xef\xbb\xbf\xef\xbb\xbf<?s\"?>V9"`, where the stray text is at 1:5
/// read whole and 1:8 byte by byte).
///
/// Root cause: `SkipBom` drops the first byte order mark however it is
/// split, but a second one (U+FEFF right after it) still reaches quick-xml,
/// whose `remove_utf8_bom` strips it before the first event only when its
/// first `fill_buf` holds all 3 bytes. Read byte by byte, the mark is text
/// instead (skipped by `check_outside`, but counted as a column). So the
/// columns on line 1 still depend on buffering when a document starts with
/// two marks. Fixed: `SkipBom` now drops every leading mark.
#[test]
fn list_blobs_error_column_after_two_boms_depends_on_buffering() {
    assert_same_whole_and_bytewise(ListingFormat::ListBlobsXml, b"\xef\xbb\xbf\xef\xbb\xbf");
    assert_same_whole_and_bytewise(
        ListingFormat::ListBlobsXml,
        b"\xef\xbb\xbf\xef\xbb\xbf<?s\"?>V9",
    );
}

/// Beside the bug above: stray text on a later line, whose column
/// `check_outside` always counted from the last newline.
#[test]
fn list_blobs_error_column_after_a_bom_on_a_later_line() {
    let input: &[u8] = b"\xef\xbb\xbf<?xml version=\"1.0\"?>\n    x";
    for capacity in [1, 8 * 1024] {
        let (_, err) = read_listing(
            ListingFormat::ListBlobsXml,
            Box::new(BufReader::with_capacity(capacity, input)),
        );
        let at = err.expect("stray text is an error").position().unwrap();
        assert_eq!((at.line, at.column), (2, 5), "buffer of {capacity} bytes");
    }
}

/// The other listing formats treat a byte order mark the same whatever the
/// buffering (checked beside the bug above, so a fix cannot move it).
#[test]
fn listing_readers_agree_on_a_bom_whatever_the_buffering() {
    let inputs: [(ListingFormat, &[u8]); 3] = [
        (ListingFormat::Lines, b"\xef\xbb\xbf/photos/a\n/Photos/b\n"),
        (
            ListingFormat::Jsonl,
            b"\xef\xbb\xbf{\"path\":\"/photos/a\"}\n{\"path\":1}\n",
        ),
        (
            ListingFormat::InventoryCsv,
            b"\xef\xbb\xbfName,Snapshot\r\nphotos/a,\r\n\r\nphotos/b,2011-03-09T01:42:34.936Z\r\n",
        ),
    ];
    for (format, input) in inputs {
        assert_same_whole_and_bytewise(format, input);
    }
}

/// Found while writing the `json_selection` round trip (its inputs stop at
/// 64 KiB, so the fuzzer itself rarely gets near the limit).
///
/// Root cause: `Selection::to_export_json` checked the 32 KiB limit on
/// `serde_json::to_string_pretty(&list)`, the `BlobList` object printed on
/// its own, but wrote it nested in `{"BlobList": …}`, where every line is
/// indented two more spaces (four more in `to_arm_json`). The reader
/// measures the list as it sits in the document, so a list just under the
/// limit on its own was written into a document that `Selection::parse`
/// (default options) rejected with `InlineBlobListTooLarge`. Fixed:
/// `export_json` now measures the list in the written document, as the
/// reader does.
#[test]
fn export_json_near_the_inline_limit_reads_back() {
    let mut xml = String::from("<BlobList>");
    for i in 0..1489 {
        xml.push_str(&format!("<BlobPath>abc/{i:08}</BlobPath>"));
    }
    xml.push_str("</BlobList>");
    let sel = Selection::parse(xml.as_bytes(), "list.xml").unwrap();
    for (camel, json) in [(false, sel.to_export_json()), (true, sel.to_arm_json())] {
        let json = match json {
            Ok(json) => json,
            // Refusing to write is fine; writing what cannot be read is not.
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InlineBlobListTooLarge);
                continue;
            }
        };
        let again = Selection::parse(json.as_bytes(), "written.json")
            .unwrap_or_else(|e| panic!("camel {camel}: the written JSON does not read back: {e}"));
        assert_eq!(again.rules().unwrap().len(), 1489);
    }
}

/// Found while writing the `matcher_differential` target, whose reference
/// model limits matching to the container when there is one (docs/semantics.md §1, and
/// `MatcherBuilder::container`: "Limits matching to one container").
///
/// Root cause: the restriction only rewrote the key of a prefix that is
/// exactly `/container` (to `/container/`); `Matcher::find_path` never
/// checks the container, so rules outside it still selected blobs outside
/// it (`Selection::parse` refuses such rules when the job has a container
/// SAS, so only library callers that set `MatcherBuilder::container`
/// themselves saw it). Fixed: building fails with `OutsideContainerSas`
/// when a rule lies outside the container.
#[test]
fn matcher_builder_container_limits_matching() {
    let origin = || Origin {
        source: "t".into(),
        position: None,
    };
    let inside = Rule::prefix("/photos/", origin()).unwrap();
    for outside in [
        Rule::prefix("/other/", origin()).unwrap(),
        Rule::prefix("/photos-2024/", origin()).unwrap(),
        Rule::prefix("/", origin()).unwrap(),
        Rule::path("/$root/x", RuleKind::Path, origin()).unwrap(),
    ] {
        let built = MatcherBuilder::new()
            .container(Some("photos"))
            .build_rules(&[inside.clone(), outside.clone()]);
        match built {
            Err(e) => assert_eq!(e.kind(), ErrorKind::OutsideContainerSas, "{outside}"),
            Ok(m) => {
                // Or, were it accepted, it must not select outside.
                assert_eq!(m.find_path(b"/other/a", None), None, "{outside}");
                assert_eq!(m.find_path(b"/photos-2024/a", None), None, "{outside}");
                assert_eq!(m.find_path(b"/$root/x", None), None, "{outside}");
            }
        }
    }
    let m = MatcherBuilder::new()
        .container(Some("photos"))
        .build_rules(&[Rule::prefix("/photos", origin()).unwrap()])
        .unwrap();
    assert!(m.find_path(b"/photos/a", None).is_some());
    assert_eq!(m.find_path(b"/photos-2024/a", None), None);
}
