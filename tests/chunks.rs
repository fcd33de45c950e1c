//! The parallel lines pipeline returns exactly what a line-by-line reading
//! returns, for listings whose lines straddle every chunk boundary, with
//! CRLF and LF endings mixed, blank lines, and no final newline.

use std::process::Command;

use blobsel::Selection;

#[path = "rng/mod.rs"]
mod rng;
use rng::Rng;

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

#[test]
fn parallel_output_equals_line_by_line_reading() {
    let dir = tempfile::tempdir().unwrap();
    let sel = dir.path().join("sel.xml");
    std::fs::write(&sel, SELECTION).unwrap();
    // About 3.5 MB: several 1 MiB chunks, boundaries inside lines.
    for (seed, lines) in [(7, 90_000), (11, 120_001)] {
        let data = listing(seed, lines);
        let file = dir.path().join(format!("listing-{seed}.txt"));
        std::fs::write(&file, &data).unwrap();
        for invert in [false, true] {
            let want = expected(&data, invert);
            for threads in ["1", "2", "3"] {
                let mut cmd = Command::new(env!("CARGO_BIN_EXE_blobsel"));
                cmd.args([
                    "preview",
                    sel.to_str().unwrap(),
                    file.to_str().unwrap(),
                    "--threads",
                    threads,
                ]);
                if invert {
                    cmd.arg("--invert");
                }
                let out = cmd.output().unwrap();
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let got = String::from_utf8(out.stdout).unwrap();
                assert!(
                    got == want,
                    "seed {seed}, invert {invert}, threads {threads}: output differs"
                );
            }
        }
    }
}
