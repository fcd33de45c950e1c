//! An interrupted run never leaves a partial `-o FILE` that looks complete:
//! FILE is either absent or whole.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn write_listing(path: &std::path::Path, lines: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..lines {
        writeln!(
            f,
            "/c{:02}/logs/2024/{:02}/part-{i:010}.log",
            i % 40,
            i % 12 + 1
        )
        .unwrap();
    }
}

#[test]
fn sigint_midway_leaves_no_partial_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let sel = dir.path().join("sel.xml");
    std::fs::write(
        &sel,
        "<BlobList><BlobPathPrefix>/c0</BlobPathPrefix></BlobList>",
    )
    .unwrap();
    let listing = dir.path().join("listing.txt");
    write_listing(&listing, 2_000_000);
    let out = dir.path().join("out.txt");

    // The complete output, for comparison.
    let full = Command::new(env!("CARGO_BIN_EXE_blobsel"))
        .args(["preview", sel.to_str().unwrap(), listing.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(full.status.code(), Some(0));

    for delay_ms in [30u64, 120, 400] {
        let _ = std::fs::remove_file(&out);
        let mut child = Command::new(env!("CARGO_BIN_EXE_blobsel"))
            .args([
                "preview",
                sel.to_str().unwrap(),
                listing.to_str().unwrap(),
                "-o",
                out.to_str().unwrap(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        // SAFETY: kill(2) with our own child's pid.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGINT);
        }
        let started = Instant::now();
        let status = child.wait().unwrap();
        assert!(started.elapsed() < Duration::from_secs(30));
        // Ctrl-C ends the run cleanly: exit 130, and the temporary file
        // beside FILE is removed too.
        if !status.success() {
            assert_eq!(status.code(), Some(130));
        }
        let litter: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(litter.is_empty(), "temporary files left: {litter:?}");
        match std::fs::read(&out) {
            Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::NotFound),
            Ok(bytes) => {
                assert!(status.success(), "FILE exists but the run was interrupted");
                assert!(
                    bytes == full.stdout,
                    "FILE exists but is not the complete output"
                );
            }
        }
    }
}
