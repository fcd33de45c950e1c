//! The parallel lines pipeline (`blobsel::listing::par_find`) returns
//! exactly what a line-by-line reading returns, for listings whose lines straddle every chunk boundary, with
//! CRLF and LF endings mixed, blank lines, and no final newline.

use blobsel::listing::{par_find, par_find_file, par_find_slice, MAX_LINE};
use blobsel::{Error, ErrorKind, Selection};

mod common {
    pub mod rng;
}
use common::rng::Rng;

const SELECTION: &str = "<BlobList>\
    <BlobPathPrefix>/logs/2024/</BlobPathPrefix>\
    <BlobPathPrefix>/bob</BlobPathPrefix>\
    <BlobPath>photos/a/0.jpg</BlobPath>\
    <BlobPath IncludeSnapshots=\"false\">photos/b/1.jpg</BlobPath>\
    </BlobList>";

fn listing(seed: u64, lines: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for i in 0..lines {
        let line = match rng.below(7) {
            0 => format!(
                "/logs/{}/{:02}/part-{i:08}.log",
                2023 + rng.below(3),
                rng.below(12)
            ),
            1 => format!("bob{}/x{i}", ["", "kids", "by"][rng.below(3) as usize]),
            2 => format!(
                "/photos/{}/{}.jpg",
                ["a", "b"][rng.below(2) as usize],
                rng.below(3)
            ),
            3 => format!("photos/b/1.jpg\t2024-01-0{}T00:00:00.5Z", 1 + rng.below(3)),
            4 => String::new(),
            5 => format!("/$root/{}/é{i}", "x".repeat(rng.below(400) as usize)),
            _ => format!("/other/{i}"),
        };
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(if rng.below(3) == 0 { b"\r\n" } else { b"\n" });
    }
    out.pop(); // no final newline
    if out.last() == Some(&b'\r') {
        out.pop();
    }
    out
}

/// What preview must print: each selected line as read, ending dropped.
fn expected(listing: &[u8], invert: bool) -> String {
    let m = Selection::parse(SELECTION.as_bytes(), "sel.xml")
        .unwrap()
        .compile()
        .unwrap();
    let mut out = String::new();
    for raw in listing.split(|&b| b == b'\n') {
        let line = std::str::from_utf8(raw).unwrap();
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let (path, snapshot) = match line.split_once('\t') {
            Some((p, s)) => (p, Some(s.parse().unwrap())),
            None => (line, None),
        };
        let path = path.strip_prefix('/').unwrap_or(path);
        if m.find_unrooted(path.as_bytes(), snapshot).is_some() != invert {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// What `par_find` gives, as preview prints it: each selected (or, with
/// `invert`, unselected) line as read, ending dropped, on a pool of
/// `threads`.
fn par_found(data: &[u8], invert: bool, threads: usize) -> Result<(String, u64), Error> {
    par_found_by(Entry::Read, data, invert, threads)
}

/// The entry points of the pipeline: they must give the same answers.
#[derive(Clone, Copy, Debug)]
enum Entry {
    /// `par_find` on a reader.
    Read,
    /// `par_find_slice` on the bytes.
    Slice,
    /// `par_find_file` on a file holding them (mapped).
    File,
}

const ENTRIES: [Entry; 3] = [Entry::Read, Entry::Slice, Entry::File];

/// Runs `entry` of the pipeline on `data` with the test selection, on a
/// pool of `threads` threads.
fn run_entry<T: Send>(
    entry: Entry,
    data: &[u8],
    threads: usize,
    work: impl Fn(&mut blobsel::listing::Finds<'_, '_>) -> T + Sync + Send,
    sink: impl FnMut(&[u8], T) -> Result<(), Error> + Send,
) -> Result<blobsel::listing::LinesRead, Error> {
    let m = Selection::parse(SELECTION.as_bytes(), "sel.xml")
        .unwrap()
        .compile()
        .unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| match entry {
        Entry::Read => par_find(
            Box::new(std::io::Cursor::new(data.to_vec())),
            "listing.txt",
            &m,
            work,
            sink,
        ),
        Entry::Slice => par_find_slice(data, "listing.txt", &m, work, sink),
        Entry::File => {
            let mut file = tempfile::tempfile().unwrap();
            std::io::Write::write_all(&mut file, data).unwrap();
            par_find_file(file, "listing.txt", &m, work, sink)
        }
    })
}

fn par_found_by(
    entry: Entry,
    data: &[u8],
    invert: bool,
    threads: usize,
) -> Result<(String, u64), Error> {
    let mut out = String::new();
    let work = |finds: &mut blobsel::listing::Finds<'_, '_>| {
        let mut s = String::new();
        for f in finds.filter(|f| f.rule.is_some() != invert) {
            s.push_str(std::str::from_utf8(f.text()).unwrap());
            s.push('\n');
        }
        s
    };
    let sink = |chunk: &[u8], s: String| {
        // Every chunk ends with a newline but perhaps the last.
        assert!(!chunk.is_empty());
        out.push_str(&s);
        Ok::<(), Error>(())
    };
    let read = run_entry(entry, data, threads, work, sink)?;
    Ok((out, read.lines))
}

/// The error's kind, line and message, to compare.
fn error_of(r: Result<(String, u64), Error>) -> (ErrorKind, u32, String) {
    let e = r.unwrap_err();
    (
        e.kind(),
        e.position().unwrap().line,
        e.message().to_string(),
    )
}

#[test]
fn parallel_output_equals_line_by_line_reading() {
    // About 3.5 MB: several 1 MiB chunks, boundaries inside lines.
    for (seed, lines) in [(7, 90_000), (11, 120_001)] {
        let data = listing(seed, lines);
        // The last line may be blank, and then its newline is gone too.
        let lines = data.split(|&b| b == b'\n').count() - usize::from(data.ends_with(b"\n"));
        for invert in [false, true] {
            let want = expected(&data, invert);
            // Every thread count on a stream; the slice and the map on two.
            let runs = [1, 2, 3].map(|t| (Entry::Read, t));
            for (entry, threads) in runs
                .into_iter()
                .chain([(Entry::Slice, 2), (Entry::File, 2)])
            {
                let (got, read) = par_found_by(entry, &data, invert, threads).unwrap();
                assert_eq!(read, lines as u64, "seed {seed}, {entry:?}: lines counted");
                assert!(
                    got == want,
                    "seed {seed}, invert {invert}, threads {threads}, {entry:?}: output differs"
                );
            }
        }
    }
}

#[test]
fn the_first_bad_line_is_reported_at_its_line_after_the_lines_before_it() {
    let mut data = listing(5, 100_000);
    data.extend_from_slice(b"\n/photos/a/0.jpg\n/Photos/bad\n/photos/a/0.jpg\n");
    let bad_line = 100_002;
    let good = &data[..data.len() - b"/Photos/bad\n/photos/a/0.jpg\n".len()];
    for threads in [1, 3] {
        let e = par_found(&data, false, threads).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidListing, "{e}");
        assert_eq!(e.source_name(), Some("listing.txt"));
        assert_eq!(e.position().unwrap().line, bad_line, "{e}");
        assert!(e.message().contains("did you mean \"photos\""), "{e}");
    }
    // What came before the bad line is all handed over first.
    let mut out = Vec::new();
    let m = Selection::parse(SELECTION.as_bytes(), "s")
        .unwrap()
        .compile()
        .unwrap();
    let _ = par_find(
        Box::new(std::io::Cursor::new(data.clone())),
        "listing.txt",
        &m,
        |finds| finds.filter(|f| f.rule.is_some()).count(),
        |_, n| {
            out.push(n);
            Ok::<(), Error>(())
        },
    );
    let want = expected(good, false).lines().count();
    assert_eq!(out.iter().sum::<usize>(), want);
}

#[test]
fn one_byte_order_mark_is_dropped_and_long_lines_are_refused() {
    let (got, _) = par_found(b"\xEF\xBB\xBF/logs/2024/a\n", false, 2).unwrap();
    assert_eq!(got, "/logs/2024/a\n");
    // A second mark is text: an invalid container name on line 1.
    let e = par_found(b"\xEF\xBB\xBF\xEF\xBB\xBF/logs/2024/a\n", false, 2).unwrap_err();
    assert_eq!(
        (e.kind(), e.position().unwrap().line),
        (ErrorKind::InvalidListing, 1)
    );
    // A line longer than any blob path: not a lines listing.
    let mut data = b"/logs/2024/a\n/logs/".to_vec();
    data.resize(3 << 20, b'x');
    let e = par_found(&data, false, 2).unwrap_err();
    assert_eq!(e.position().unwrap().line, 2, "{e}");
    assert!(
        e.message()
            .contains(&format!("longer than {MAX_LINE} bytes")),
        "{e}"
    );
}

/// A line longer than `MAX_LINE` is refused as too long where a chunk's
/// end cuts it, and read as a line (an error of its own) where a chunk
/// holds it whole: the entry points cut chunks at the same places, so
/// each gives the same error at the same line, with and without a
/// byte-order mark, and at the edges of a chunk.
#[test]
fn every_entry_point_cuts_chunks_at_the_same_places() {
    const CHUNK: usize = 1 << 20;
    let long = |n: usize| format!("/logs/2024/{}", "x".repeat(n));
    let mut cases: Vec<Vec<u8>> = Vec::new();
    for bom in [&b""[..], b"\xEF\xBB\xBF"] {
        // Around the first and the second buffer's ends (the second ends
        // a chunk after the first chunk's last newline, not at 2 MiB).
        let around = |end: usize| {
            [
                end - 20,
                end - 5000,
                end - MAX_LINE - 50,
                end - 2 * MAX_LINE,
            ]
        };
        let second = (0..40).map(|k| 2 * CHUNK - MAX_LINE - k);
        // (A mark moves every cut by three bytes: one sweep is enough.)
        let second = second.filter(|_| bom.is_empty());
        for at in around(CHUNK).into_iter().chain(second) {
            // Short lines up to `at`, then a long line, then short ones.
            let mut data = bom.to_vec();
            let mut i = 0;
            while data.len() < at {
                data.extend_from_slice(format!("/logs/2024/{i}\n").as_bytes());
                i += 1;
            }
            data.extend_from_slice(long(MAX_LINE + 100).as_bytes());
            data.extend_from_slice(b"\n/logs/2024/after\n");
            cases.push(data);
        }
        // Exactly one chunk, and one chunk and one byte, of short lines.
        for len in [CHUNK, CHUNK + 1, 2 * CHUNK] {
            let mut data = bom.to_vec();
            while data.len() < len {
                data.extend_from_slice(b"/logs/2024/abcdefg\n");
            }
            data.truncate(len);
            cases.push(data);
        }
    }
    let (mut errors, mut too_long) = (0, 0);
    for (k, data) in cases.iter().enumerate() {
        let by_read = par_found_by(Entry::Read, data, false, 2);
        if let Err(e) = &by_read {
            errors += 1;
            too_long += usize::from(e.message().contains("longer than"));
        }
        for entry in [Entry::Slice, Entry::File] {
            let got = par_found_by(entry, data, false, 2);
            match (&by_read, got) {
                (Ok(want), Ok(got)) => assert_eq!(&got, want, "case {k}, {entry:?}"),
                (Err(_), got @ Err(_)) => assert_eq!(
                    error_of(got),
                    error_of(par_found_by(Entry::Read, data, false, 2)),
                    "case {k}, {entry:?}"
                ),
                (want, got) => panic!("case {k}, {entry:?}: {want:?} and {got:?}"),
            }
        }
    }
    // Both kinds of error occur: cut lines, and long lines read whole.
    assert!(too_long > 0 && errors > too_long, "{errors} {too_long}");
}

/// An empty file, and a file of blank lines, read as empty listings by
/// every entry point.
#[test]
fn empty_inputs_read_the_same_everywhere() {
    for data in [&b""[..], b"\n\n  \r\n", b"\xEF\xBB\xBF"] {
        for entry in ENTRIES {
            let (out, _) = par_found_by(entry, data, false, 2).unwrap();
            assert_eq!(out, "", "{entry:?}");
        }
    }
}

/// Lines of every kind the parser tells apart (ordinary and special
/// containers, UTF-8 names, snapshot times in several forms, CRLF, blank
/// lines), and with `bad` one invalid line somewhere.
fn messy_listing(seed: u64, lines: usize, bad: bool) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let containers = [
        "photos",
        "$root",
        "$web",
        "$logs",
        "a-b",
        "logs2024",
        "abcdefghijklmnopqrstuvwxyz-0123456789",
        &"c".repeat(63),
    ];
    let names = [
        "a.jpg",
        "été/ü ö.txt",
        " spaced ",
        "dir//x",
        "x\u{7f}y",
        "年/表.xlsx",
        &"n".repeat(300),
        &"é".repeat(1000),
    ];
    let times = [
        "",
        "\t2011-03-09T01:42:34.9360000Z",
        "\t2011-03-09T01:42:34.936Z",
        "\t2011-03-09T02:42:34.936+01:00",
        "\t2011-03-09t01:42:34.9360000z",
        "\t2024-02-29T23:59:59.9999999Z",
    ];
    let bad_lines: [&[u8]; 12] = [
        b"/Photos/a",
        b"/photos/a\x01b",
        b"/photos/\xff",
        b"/photos/a\t",
        b"/ab/x",
        b"/photos/a\tyesterday",
        b"/$rooty/a",
        b"\t2011-03-09T01:42:34Z",
        b"/photos/a\t2023-02-29T00:00:00.0000000Z",
        b"/photos/a\t2011-03-09T01:42:34Z\tx",
        b"/photos",
        b"/photos/a\r\r",
    ];
    let bad_at = if bad { rng.index(lines) } else { usize::MAX };
    let mut out = Vec::new();
    for i in 0..lines {
        if i == bad_at {
            out.extend_from_slice(rng.pick(&bad_lines));
        } else {
            match rng.below(20) {
                0 => out.extend_from_slice(rng.pick(&[&b""[..], b"   ", b" "])),
                _ => {
                    let lead = if rng.below(4) == 0 { "" } else { "/" };
                    let line = format!(
                        "{lead}{}/{}{i}{}",
                        rng.pick(&containers),
                        rng.pick(&names),
                        rng.pick(&times)
                    );
                    out.extend_from_slice(line.as_bytes());
                }
            }
        }
        out.extend_from_slice(if rng.below(5) == 0 { b"\r\n" } else { b"\n" });
    }
    out
}

type Blobs = Vec<(u64, String, Option<blobsel::SnapshotTime>)>;
type Failure = Option<(ErrorKind, u32, String)>;

/// What `LinesReader` reads: each blob with its line, up to the first
/// error.
fn by_reader(data: &[u8]) -> (Blobs, Failure) {
    use blobsel::listing::LinesReader;
    use blobsel::{ListingEntry, ListingReader};
    let mut reader = LinesReader::new(data, "listing.txt");
    let mut entry = ListingEntry::default();
    let mut blobs = Vec::new();
    loop {
        match reader.read_entry(&mut entry) {
            Ok(true) => blobs.push((entry.line, entry.path.clone(), entry.snapshot)),
            Ok(false) => return (blobs, None),
            Err(e) => {
                let failure = (e.kind(), e.position().unwrap().line, e.to_string());
                return (blobs, Some(failure));
            }
        }
    }
}

/// The same from the parallel pipeline (lines counted from the chunks).
fn by_pipeline(entry: Entry, data: &[u8], threads: usize) -> (Blobs, Failure) {
    let mut blobs = Vec::new();
    let mut lines_before = 0u64;
    let work = |finds: &mut blobsel::listing::Finds<'_, '_>| {
        finds
            .map(|f| {
                let mut path = String::new();
                f.blob.push_canonical(&mut path);
                (f.start, path, f.blob.snapshot)
            })
            .collect::<Vec<_>>()
    };
    let sink = |chunk: &[u8], found: Vec<(usize, String, Option<blobsel::SnapshotTime>)>| {
        // Newlines counted once: up to each blob's line, then to the end.
        let mut counted = 0;
        for (start, path, snapshot) in found {
            lines_before += newlines(&chunk[counted..start]);
            counted = start;
            blobs.push((lines_before + 1, path, snapshot));
        }
        lines_before += newlines(&chunk[counted..]);
        Ok::<(), Error>(())
    };
    let result = run_entry(entry, data, threads, work, sink);
    let failure = result
        .err()
        .map(|e| (e.kind(), e.position().unwrap().line, e.to_string()));
    (blobs, failure)
}

fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Every line gets the answer of the line-by-line reader: the same blob
/// (path and snapshot time) at the same line, and the first bad line the
/// same error at the same line, from every entry point and thread count;
/// lines of plain ASCII and the others take different paths in the
/// pipeline and must not differ.
#[test]
fn every_line_gets_the_line_readers_answer() {
    for seed in 1..=8 {
        let data = messy_listing(seed, 20_000, seed % 3 != 0);
        let want = by_reader(&data);
        assert!(want.0.len() > 100, "seed {seed}");
        assert_eq!(want.1.is_some(), seed % 3 != 0, "seed {seed}: {:?}", want.1);
        for entry in ENTRIES {
            for threads in [1, 2] {
                let got = by_pipeline(entry, &data, threads);
                assert!(
                    got.0 == want.0,
                    "seed {seed}, {entry:?}, {threads}: blobs differ"
                );
                assert_eq!(got.1, want.1, "seed {seed}, {entry:?}, {threads}");
            }
        }
    }
}
