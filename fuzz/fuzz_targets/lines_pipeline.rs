//! Raw bytes as a `lines` listing through the parallel pipeline
//! (`blobsel::listing::par_find_slice`, the path `preview` takes for a
//! listing file) and through the line-by-line reader (`LinesReader` and
//! `Matcher::find_path`): the same blobs at the same lines, the same rule
//! for each, and the same first error (kind, line, message). The pipeline
//! has fast paths (printable-ASCII lines, the canonical snapshot form,
//! the container scan) that the reader does not take.

#![no_main]

use std::sync::OnceLock;

use blobsel::listing::{par_find_slice, Finds, LinesReader};
use blobsel::{Error, ListingEntry, ListingReader, Matcher, RuleId, Selection, SnapshotTime};
use libfuzzer_sys::fuzz_target;

#[path = "../common/mod.rs"]
mod common;

const TARGET: &str = "lines_pipeline";

const SELECTION: &str = "<BlobList>\
    <BlobPathPrefix>/logs/2024/</BlobPathPrefix>\
    <BlobPathPrefix>/bob</BlobPathPrefix>\
    <BlobPathPrefix>/$root/a</BlobPathPrefix>\
    <BlobPath>photos/a/0.jpg</BlobPath>\
    <BlobPath IncludeSnapshots=\"false\">photos/b/1.jpg</BlobPath>\
    <BlobPath SnapshotTime=\"2024-01-01T00:00:00.5000000Z\">photos/c/2.jpg</BlobPath>\
    </BlobList>";

fn matcher() -> &'static Matcher {
    static M: OnceLock<Matcher> = OnceLock::new();
    M.get_or_init(|| {
        Selection::parse(SELECTION.as_bytes(), "sel.xml")
            .and_then(|s| s.compile())
            .expect("the selection compiles")
    })
}

type Blob = (u64, String, Option<SnapshotTime>, Option<RuleId>);
type Failure = Option<(blobsel::ErrorKind, Option<u32>, String)>;

fn failure(e: &Error) -> Failure {
    Some((e.kind(), e.position().map(|p| p.line), e.to_string()))
}

fn by_reader(data: &[u8]) -> (Vec<Blob>, Failure) {
    let m = matcher();
    let mut reader = LinesReader::new(data, "listing.txt");
    let mut entry = ListingEntry::default();
    let mut blobs = Vec::new();
    loop {
        match reader.read_entry(&mut entry) {
            Ok(true) => {
                let rule = m.find_path(entry.path.as_bytes(), entry.snapshot);
                blobs.push((entry.line, entry.path.clone(), entry.snapshot, rule));
            }
            Ok(false) => return (blobs, None),
            Err(e) => return (blobs, failure(&e)),
        }
    }
}

fn by_pipeline(data: &[u8]) -> (Vec<Blob>, Failure) {
    let mut blobs = Vec::new();
    let mut lines_before = 0u64;
    let count = |b: &[u8]| b.iter().filter(|&&x| x == b'\n').count() as u64;
    let work = |finds: &mut Finds<'_, '_>| {
        finds
            .map(|f| {
                let mut path = String::new();
                f.blob.push_canonical(&mut path);
                (f.start, path, f.blob.snapshot, f.rule)
            })
            .collect::<Vec<_>>()
    };
    let sink = |chunk: &[u8], found: Vec<(usize, String, Option<SnapshotTime>, Option<RuleId>)>| {
        let mut counted = 0;
        for (start, path, snapshot, rule) in found {
            lines_before += count(&chunk[counted..start]);
            counted = start;
            blobs.push((lines_before + 1, path, snapshot, rule));
        }
        lines_before += count(&chunk[counted..]);
        Ok::<(), Error>(())
    };
    let result = par_find_slice(data, "listing.txt", matcher(), work, sink);
    let failure = result.err().and_then(|e| failure(&e));
    (blobs, failure)
}

fuzz_target!(|data: &[u8]| {
    if data.len() > common::MAX_INPUT {
        return;
    }
    let read = by_reader(data);
    let piped = by_pipeline(data);
    if read != piped {
        common::fail(
            TARGET,
            data,
            &format!("the pipeline and the line reader differ:\n{read:?}\n{piped:?}"),
        );
    }
});
