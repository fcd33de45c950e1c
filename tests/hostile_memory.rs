//! Peak memory of `blobsel` on inputs that could make it grow: listings
//! stream in bounded memory, hostile XML costs nothing, and a selection of a
//! million rules costs memory in proportion to its size.
//!
//! One test in its own binary: `getrusage(RUSAGE_CHILDREN)` reports the
//! largest peak of any child so far, so the cases run in order of growing
//! bounds and nothing else in this process starts children. The test writes
//! its inputs as streams and never holds them: Linux keeps a process's peak
//! across `execve`, so a child started from a large parent would report the
//! parent's size.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn peak_rss_of_children_kib() -> i64 {
    // SAFETY: getrusage only writes into the struct we pass.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        assert_eq!(libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage), 0);
        usage.ru_maxrss // KiB on Linux
    }
}

/// Runs blobsel with `args`, output discarded; returns (exit code, peak
/// RSS of the children so far in MiB).
fn run(args: &[&str]) -> (Option<i32>, i64) {
    let status = Command::new(env!("CARGO_BIN_EXE_blobsel"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    (status.code(), peak_rss_of_children_kib() / 1024)
}

fn write_listing(path: &Path, lines: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..lines {
        writeln!(
            f,
            "/c{:02}/logs/2024/{:02}/{:02}/part-{i:010}.log",
            i % 50,
            i % 12 + 1,
            i % 28 + 1
        )
        .unwrap();
    }
}

#[test]
fn memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).display().to_string();

    // Hostile XML: a billion laughs is refused before any expansion.
    let laughs = (1..10)
        .map(|i| format!("<!ENTITY l{i} \"{}\">", format!("&l{};", i - 1).repeat(10)))
        .collect::<String>();
    std::fs::write(d("laughs.xml"), format!("<!DOCTYPE x [<!ENTITY l0 \"lol\">{laughs}]><BlobList><BlobPath>c00/&l9;</BlobPath></BlobList>")).unwrap();
    let (code, peak) = run(&["check", &d("laughs.xml")]);
    assert_eq!(code, Some(2));
    assert!(peak < 48, "billion laughs: peak {peak} MiB");

    // Listings stream: a 4x longer listing costs no more memory.
    let sel = d("sel.xml");
    std::fs::write(&sel, "<BlobList><BlobPathPrefix>/c01/</BlobPathPrefix><BlobPath>c02/logs/2024/03/03/part-0000000002.log</BlobPath></BlobList>").unwrap();
    write_listing(Path::new(&d("small.txt")), 300_000);
    write_listing(Path::new(&d("large.txt")), 1_200_000);
    let (code, small) = run(&["preview", &sel, &d("small.txt")]);
    assert_eq!(code, Some(0));
    let (code, large) = run(&["preview", &sel, &d("large.txt"), "--summary"]);
    assert_eq!(code, Some(0));
    assert!(large < 96, "1.2M-line listing: peak {large} MiB");
    assert!(
        large <= small + 16,
        "memory grew with the listing: {small} MiB for 300k lines, {large} MiB for 1.2M"
    );

    // A 100 MB line is refused after the first chunk, not held.
    let mut huge = std::io::BufWriter::new(std::fs::File::create(d("huge.txt")).unwrap());
    huge.write_all(b"/c01/a\n").unwrap();
    for _ in 0..100 {
        huge.write_all(&[b'x'; 1 << 20]).unwrap();
    }
    huge.flush().unwrap();
    drop(huge);
    let (code, peak) = run(&["preview", &sel, &d("huge.txt")]);
    assert_eq!(code, Some(2));
    assert!(peak < 96, "100 MB line: peak {peak} MiB");

    // A million rules: memory in proportion to the selection's size.
    let mut xml = std::io::BufWriter::new(std::fs::File::create(d("million.xml")).unwrap());
    writeln!(xml, "<BlobList>").unwrap();
    for i in 0..1_000_000 {
        writeln!(xml, "<BlobPath>c{:02}/d/{i:08}</BlobPath>", i % 90 + 10).unwrap();
    }
    writeln!(xml, "</BlobList>").unwrap();
    xml.flush().unwrap();
    drop(xml);
    let size_mib = (std::fs::metadata(d("million.xml")).unwrap().len() >> 20) as i64;
    let (code, peak) = run(&["check", &d("million.xml")]);
    assert_eq!(code, Some(0));
    eprintln!("peaks: 300k lines {small} MiB, 1.2M lines {large} MiB, a million rules ({size_mib} MiB) {peak} MiB");
    assert!(
        peak < 12 * size_mib,
        "a million rules ({size_mib} MiB of XML): peak {peak} MiB"
    );
}
