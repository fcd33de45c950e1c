//! The blob list reader's fast path (entries in the usual shape, read
//! without quick-xml) gives exactly what the full XML reader alone gives:
//! the same rules with the same origins, the same non-UTC snapshot times,
//! the same errors at the same `line:column`, whether stopping at the first
//! error or collecting them all, whatever the size of the reads.
//!
//! Documents are built from the pieces blob lists are made of (valid and
//! not), then some are damaged byte by byte, so that both the shape the
//! fast path reads and everything it must leave to quick-xml come up,
//! at every place in a document.

mod common {
    pub mod selection;
}

use std::fmt::Write as _;
use std::io::{self, Read};

use blobsel::{ParseOptions, Selection};
use common::selection::OneByte;
use proptest::prelude::*;
use proptest::test_runner::Config;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A reader that hands out the bytes in reads of the given sizes, in turn.
struct Chunks<'a> {
    bytes: &'a [u8],
    sizes: &'a [usize],
    next: usize,
}

impl Read for Chunks<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.next % self.sizes.len()].max(1);
        self.next += 1;
        let n = size.min(out.len()).min(self.bytes.len());
        out[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

/// Everything a reading gives, as text to compare: the rules with their
/// origins and the non-UTC snapshot times, or every error with its kind and
/// position.
fn describe_selection(result: Result<Selection, Vec<blobsel::Error>>) -> String {
    let mut out = String::new();
    match result {
        Ok(sel) => match sel.rules() {
            Ok(rules) => {
                for r in rules {
                    let _ = writeln!(out, "{r:?}");
                }
                for (r, t) in sel.non_utc_snapshot_times() {
                    let _ = writeln!(out, "offset {} {t}", r.origin());
                }
            }
            Err(e) => {
                let _ = writeln!(out, "rules: {e}");
            }
        },
        Err(errors) => {
            for e in errors {
                let _ = writeln!(out, "error {:?} {:?} {e}", e.kind(), e.position());
            }
        }
    }
    out
}

fn options(fast: bool) -> ParseOptions {
    let mut o = ParseOptions::default();
    o.xml_fast_path(fast).collect_errors(1000);
    o
}

/// The outcome of reading `doc` with or without the fast path, from
/// `input`: stopping at the first error (`parse`), collecting them
/// (`check`), and as the content of a blob list blob (`check_blob_list`).
fn outcomes(fast: bool, input: impl Fn() -> Box<dyn Read>) -> [String; 3] {
    let o = options(fast);
    let parsed = describe_selection(o.parse(input(), "list.xml").map_err(|e| vec![e]));
    let checked = describe_selection(o.check(input(), "list.xml").map_err(|e| e.into_vec()));
    let mut named = Selection::parse(
        &br#"{"BlobListBlobPath": "lists/list.xml"}"#[..],
        "job.json",
    )
    .expect("the job parses");
    let supplied = describe_selection(
        o.check_blob_list(&mut named, input(), "list.xml")
            .map(|()| named)
            .map_err(|e| e.into_vec()),
    );
    [parsed, checked, supplied]
}

/// The fast path and quick-xml alone agree on `doc`, read whole, in reads
/// of `sizes`, and (`one_byte`) one byte at a time.
fn agree(doc: &[u8], sizes: &[usize], one_byte: bool) -> Result<(), TestCaseError> {
    let owned = doc.to_vec();
    let full = outcomes(false, || Box::new(io::Cursor::new(owned.clone())));
    let shown = String::from_utf8_lossy(doc);
    let fast = outcomes(true, || Box::new(io::Cursor::new(owned.clone())));
    prop_assert_eq!(&fast, &full, "read whole: {:?}", shown);
    if one_byte {
        let slow = outcomes(true, || {
            Box::new(OneByteOwned(owned.clone(), 0)) as Box<dyn Read>
        });
        prop_assert_eq!(&slow, &full, "one byte at a time: {:?}", shown);
    }
    let sizes = sizes.to_vec();
    let chunked = outcomes(true, || {
        let bytes: &'static [u8] = Box::leak(owned.clone().into_boxed_slice());
        let sizes: &'static [usize] = Box::leak(sizes.clone().into_boxed_slice());
        Box::new(Chunks {
            bytes,
            sizes,
            next: 0,
        })
    });
    prop_assert_eq!(&chunked, &full, "in reads of {:?}: {:?}", sizes, shown);
    Ok(())
}

/// [`OneByte`] over bytes it owns.
struct OneByteOwned(Vec<u8>, usize);

impl Read for OneByteOwned {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = OneByte(&self.0[self.1..]).read(out)?;
        self.1 += n;
        Ok(n)
    }
}

// ---------------------------------------------------------------------------
// Documents

/// Paths and prefixes: valid, invalid, with entities, character
/// references, whitespace, non-ASCII and characters XML refuses.
const TEXTS: &[&str] = &[
    "c00/a.txt",
    "/c00/dir/b.bin",
    "$root/logo.bmp",
    "/c00/",
    "/",
    "c00/R&amp;D/x",
    "c00/a &lt;b&gt; &apos;&quot;",
    "c00/&#32;x",
    "c00/x&#x20;",
    "c00/&#1;",
    "c00/&bogus;",
    "c00/a & b",
    "c00/北京-1.xlsx",
    "c00/é",
    "  c00/padded  ",
    "\n    c00/pretty\n  ",
    "\t/c00/tab\r\n",
    "Photos/a.jpg",
    "ab/x",
    "/video",
    "video/",
    "c00/a\u{1}b",
    "c00/a\tb",
    "c00/a]]>b",
    "c00/a]]b",
    "c00/\u{FFFE}",
    "c00/<![CDATA[in]]>side",
    "c00/<!-- c -->x",
    "c00/<b/>x",
    "",
    "   ",
    "c00/a>b",
];

const ATTRIBUTES: &[&str] = &[
    "",
    "",
    "",
    " IncludeSnapshots=\"false\"",
    " IncludeSnapshots=\"true\"",
    " IncludeSnapshots=\"0\"",
    " IncludeSnapshots=\"1\"",
    " IncludeSnapshots=\" false \"",
    " IncludeSnapshots='false'",
    " IncludeSnapshots=\"yes\"",
    " SnapshotTime=\"2011-03-09T01:42:34.9360000Z\"",
    " SnapshotTime=\"2011-03-09T02:42:34.936+01:00\"",
    " SnapshotTime=\"2011-03-09T01:42:34Z\"",
    " SnapshotTime=\"2011-02-30T01:42:34Z\"",
    " SnapshotTime=\"2011-03-09 01:42:34Z\"",
    " SnapshotTime = \"2011-03-09T01:42:34Z\"",
    " SnapshotTime=\"2011-03-09T01:42:34Z\" IncludeSnapshots=\"true\"",
    " Unknown=\"x\"",
    " SnapshotTime=\"&#50;011-03-09T01:42:34Z\"",
    " SnapshotTime=\"a<b\"",
    " SnapshotTime=\"a>b\"",
];

const GAPS: &[&str] = &[
    "\n  ",
    "\n  ",
    "\n  ",
    "",
    "\r\n\t",
    " ",
    "\n\n",
    " <!-- c -->\n",
    "<?pi x?>",
    " text ",
    "<![CDATA[x]]>",
    "\n<!--a--b-->",
];

const PROLOGS: &[&str] = &[
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
    "",
    "\u{FEFF}<?xml version=\"1.0\"?>",
    "<!-- generated -->\n",
    "\n<?xml version=\"1.0\"?>",
    "<!DOCTYPE x>",
];

const ROOTS: &[&str] = &[
    "<BlobList>",
    "<BlobList>",
    "<BlobList xmlns=\"urn:x\">",
    "<BlobList a=\"b\">",
    "<Bloblist>",
    "<BlobList/>",
];

const ENDS: &[&str] = &[
    "\n</BlobList>\n",
    "\n</BlobList>\n",
    "</BlobList>",
    "\n</BlobList>\n<!-- end -->\n",
    "\n</BlobList>x",
    "\n</BlobList><BlobList/>",
    "\n",
    "",
    "\n</Bloblist>",
];

/// One entry: element, attribute, text, and how it ends.
fn entry() -> impl Strategy<Value = String> {
    (0..10usize, 0..ATTRIBUTES.len(), 0..TEXTS.len(), 0..10usize).prop_map(
        |(element, attribute, text, end)| {
            let name = match element {
                0..=4 => "BlobPath",
                5..=7 => "BlobPathPrefix",
                8 => "blobpath",
                _ => "Other",
            };
            let attribute = if name == "BlobPath" || element == 9 {
                ATTRIBUTES[attribute]
            } else if attribute == 1 {
                " IncludeSnapshots=\"false\""
            } else {
                ""
            };
            let text = TEXTS[text];
            match end {
                0 => format!("<{name}{attribute}/>"),
                1 => format!("<{name}{attribute}>{text}</BlobPath>"),
                2 => format!("<{name}{attribute}>{text}</{name} >"),
                3 => format!("<{name}{attribute}>{text}"),
                _ => format!("<{name}{attribute}>{text}</{name}>"),
            }
        },
    )
}

fn document() -> impl Strategy<Value = Vec<u8>> {
    (
        0..PROLOGS.len(),
        0..ROOTS.len(),
        prop::collection::vec((0..GAPS.len(), entry()), 0..12),
        0..ENDS.len(),
        prop::collection::vec((any::<prop::sample::Index>(), 0..4usize, any::<u8>()), 0..3),
    )
        .prop_map(|(prolog, root, entries, end, damage)| {
            let mut doc = String::new();
            doc.push_str(PROLOGS[prolog]);
            doc.push_str(ROOTS[root]);
            for (gap, entry) in entries {
                doc.push_str(GAPS[gap]);
                doc.push_str(&entry);
            }
            doc.push_str(ENDS[end]);
            let mut bytes = doc.into_bytes();
            // Damage: a byte that matters to XML put in, taken out or
            // changed, anywhere.
            const MARKUP: &[u8] = b"<>/&;\"'= \n!-[]?x\x00\xC3\xEF";
            for (at, what, b) in damage {
                if bytes.is_empty() {
                    break;
                }
                let i = at.index(bytes.len());
                let m = MARKUP[usize::from(b) % MARKUP.len()];
                match what {
                    0 => bytes.insert(i, m),
                    1 => {
                        bytes.remove(i);
                    }
                    _ => bytes[i] = m,
                }
            }
            bytes
        })
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn the_fast_path_reads_what_quick_xml_alone_reads(
        doc in document(),
        sizes in prop::collection::vec(1..64usize, 1..4),
    ) {
        agree(&doc, &sizes, true)?;
    }
}

// ---------------------------------------------------------------------------
// Cases worth naming

#[test]
fn entries_across_read_boundaries_and_long_entries_agree() {
    // Many entries in the shape (the buffer refills inside them), then one
    // too long for the buffer, then more.
    let mut doc = String::from("<?xml version=\"1.0\"?>\n<BlobList>\n");
    for i in 0..5000 {
        let _ = writeln!(
            doc,
            "  <BlobPath>c{:02}/dir/blob-{i}.bin</BlobPath>",
            i % 100
        );
    }
    let _ = writeln!(
        doc,
        "  <BlobPathPrefix>/c00/{}</BlobPathPrefix>",
        "x".repeat(300_000)
    );
    for i in 0..1000 {
        let _ = writeln!(
            doc,
            "  <BlobPath SnapshotTime=\"2011-03-09T02:42:34.936+01:00\">c00/s{i}</BlobPath>"
        );
    }
    doc.push_str("</BlobList>\n");
    agree(doc.as_bytes(), &[1, 4096, 100_000, 7], false).unwrap();
}

#[test]
fn errors_anywhere_in_a_long_list_agree() {
    let mut doc = String::from("<BlobList>\n");
    for i in 0..5000 {
        let text = match i % 997 {
            0 => "Photos/a.jpg".to_string(),
            1 => "/c00/a <!-- here --> b".to_string(),
            2 => "c00/&#32;space".to_string(),
            _ => format!("c00/{i}"),
        };
        let _ = writeln!(doc, "  <BlobPath>{text}</BlobPath>");
    }
    doc.push_str("</BlobList>\n");
    agree(doc.as_bytes(), &[65536], true).unwrap();
}

/// Every XML file among the fixtures (blob lists, and listings and drive
/// logs, which are not) and every seed of the `xml_selection` fuzz target.
#[test]
fn fixtures_and_fuzz_seeds_agree() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("tests/fixtures")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixtures") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "xml") {
                files.push(path);
            }
        }
    }
    for entry in std::fs::read_dir(root.join("fuzz/corpus/xml_selection")).expect("seeds") {
        files.push(entry.expect("entry").path());
    }
    assert!(files.len() > 20, "{files:?}");
    for path in files {
        let doc = std::fs::read(&path).expect("readable");
        agree(&doc, &[3, 1000], true).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
