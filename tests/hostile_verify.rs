//! Hostile drive manifests, copy logs and drives for `blobsel verify`: each
//! gets a clear error (exit 2, the file and `line:column`) or a correct
//! finding, never a panic, a hang, a read outside the drive, or memory in
//! proportion to what a manifest claims rather than what is there.

use std::fs;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const H: &str = "00112233445566778899AABBCCDDEEFF";

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        let d = Dir(tempfile::tempdir().unwrap());
        d.write(
            "sel.xml",
            "<BlobList><BlobPathPrefix>/c00/</BlobPathPrefix></BlobList>",
        );
        d.write("listing.txt", "/c00/b\n");
        fs::create_dir_all(d.path().join("drive")).unwrap();
        d
    }
    fn write(&self, name: &str, content: impl AsRef<[u8]>) {
        let p = self.0.path().join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, content).unwrap();
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
    /// `blobsel verify` of a manifest holding `blob` (and the drive folder).
    fn verify_blob(&self, blob: &str) -> Output {
        self.write(
            "m.manifest",
            format!(
                "<DriveManifest Version=\"2014-11-01\">\n<Drive>\n<DriveId>D</DriveId>\n<BlobList>\n{blob}\n</BlobList>\n</Drive>\n</DriveManifest>\n"
            ),
        );
        self.verify(&["--manifest", "m.manifest", "--drive", "drive"])
    }
    fn verify(&self, more: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_blobsel"))
            .current_dir(self.path())
            .args(["verify", "sel.xml", "listing.txt"])
            .args(more)
            .output()
            .unwrap()
    }
}

/// Exit 2 with one `blobsel:` line containing every one of `needles`.
fn assert_error(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.starts_with("blobsel: "), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}: {err}");
    }
}

fn blob(file_path: &str, length: u64, list: &str) -> String {
    format!(
        "<Blob><BlobPath>c00/b</BlobPath><FilePath>{file_path}</FilePath><Length>{length}</Length>{list}</Blob>"
    )
}

#[test]
fn file_paths_that_leave_the_drive_are_never_followed() {
    let d = Dir::new();
    d.write("secret", "top secret");
    for evil in [
        r"\..\secret",
        r"\drive\..\..\secret",
        r"..\secret",
        "/../secret",
        r"C:\secret",
        r"\\localhost\c$\secret",
        r"\\?\C:\secret",
        r"\a\.\..\..\secret",
        r"\secret:stream",
    ] {
        let out = d.verify_blob(&blob(&evil.replace('&', "&amp;"), 0, "<BlockList/>"));
        assert_error(&out, &["m.manifest:5:", "not followed"]);
        assert!(!String::from_utf8_lossy(&out.stdout).contains("secret"));
    }
}

#[cfg(unix)]
#[test]
fn symlinks_out_of_the_drive_are_refused_files_and_folders_alike() {
    let d = Dir::new();
    d.write("outside/b", "0123456789");
    let hash = "781E5E245D69B566979B86E28D23F2C7"; // MD5 of "0123456789"
    let list =
        format!("<BlockList><Block Offset=\"0\" Length=\"10\" Hash=\"{hash}\"/></BlockList>");
    // A file link.
    std::os::unix::fs::symlink(d.path().join("outside/b"), d.path().join("drive/b")).unwrap();
    assert_error(
        &d.verify_blob(&blob(r"\b", 10, &list)),
        &["m.manifest:5:1: ", "outside the drive", "not followed"],
    );
    // A folder link on the way.
    std::os::unix::fs::symlink(d.path().join("outside"), d.path().join("drive/dir")).unwrap();
    assert_error(
        &d.verify_blob(&blob(r"\dir\b", 10, &list)),
        &["outside the drive"],
    );
    // A link that stays inside is followed.
    d.write("drive/real/b", "0123456789");
    std::os::unix::fs::symlink("real", d.path().join("drive/inside")).unwrap();
    let out = d.verify_blob(&blob(r"\inside\b", 10, &list));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_100_mb_length_with_a_tiny_file_is_reported_quickly() {
    let d = Dir::new();
    d.write("drive/b", "tiny");
    let list = format!(
        "<BlockList><Block Offset=\"0\" Length=\"50000000\" Hash=\"{H}\"/><Block Offset=\"50000000\" Length=\"50000000\" Hash=\"{H}\"/></BlockList>"
    );
    let started = Instant::now();
    let out = d.verify_blob(&blob(r"\b", 100_000_000, &list));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("file-length\t/c00/b\tdrive=D\tpart=blob\tlength=100000000\tfile-length=4"),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("past the end of the file").count(),
        2,
        "{stdout}"
    );
    // A Length past u64, and ranges past it, are errors.
    assert_error(
        &d.verify_blob(&blob(r"\b", 0, "").replace("<Length>0", "<Length>99999999999999999999")),
        &["m.manifest:5:", "too large"],
    );
}

#[test]
fn offsets_past_the_length_and_overlaps_are_errors() {
    let d = Dir::new();
    let page = |o: u64, l: u64| format!("<PageRange Offset=\"{o}\" Length=\"{l}\" Hash=\"{H}\"/>");
    let block = |o: u64, l: u64| format!("<Block Offset=\"{o}\" Length=\"{l}\" Hash=\"{H}\"/>");
    for (list, needle) in [
        (
            format!("<PageRangeList>{}</PageRangeList>", page(4096, 512)),
            "ends at 4608",
        ),
        (
            format!(
                "<PageRangeList>{}{}</PageRangeList>",
                page(0, 1024),
                page(512, 512)
            ),
            "overlaps",
        ),
        (
            format!("<PageRangeList>{}</PageRangeList>", page(u64::MAX - 1, 512)),
            "past any blob's end",
        ),
        (
            format!(
                "<BlockList>{}{}</BlockList>",
                block(0, 3000),
                block(2000, 1096)
            ),
            "overlaps",
        ),
        (
            format!(
                "<BlockList>{}{}</BlockList>",
                block(0, 1000),
                block(2000, 2096)
            ),
            "gap",
        ),
        (
            format!("<BlockList>{}</BlockList>", block(0, 8192)),
            "cover 8192 bytes",
        ),
    ] {
        assert_error(
            &d.verify_blob(&blob(r"\b", 4096, &list)),
            &["m.manifest:5:", needle],
        );
    }
}

#[test]
fn entities_deep_nesting_and_binary_garbage() {
    let d = Dir::new();
    d.write(
        "laughs.manifest",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]>\n<DriveManifest/>",
    );
    assert_error(
        &d.verify(&["--manifest", "laughs.manifest"]),
        &["laughs.manifest:2:1: ", "DOCTYPE"],
    );
    // 100,000 nested unknown elements inside a blob: skipped, no stack overflow.
    let deep = format!("{}{}", "<x>".repeat(100_000), "</x>".repeat(100_000));
    let out = d.verify_blob(&blob(r"\b", 0, &format!("<BlockList/>{deep}")));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let garbage: Vec<u8> = (0..50_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    d.write("garbage.manifest", &garbage);
    let out = d.verify(&["--manifest", "garbage.manifest"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("blobsel: garbage.manifest:"));
    d.write("garbage.xml", &garbage);
    d.write(
        "ok.manifest",
        "<DriveManifest><Drive><DriveId>D</DriveId></Drive></DriveManifest>",
    );
    let out = d.verify(&["--manifest", "ok.manifest", "--copy-log", "garbage.xml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("blobsel: garbage.xml:"));
}

#[test]
fn an_import_manifests_key_never_reaches_the_output() {
    let d = Dir::new();
    let key = "SECRETKEYc2VjcmV0LWtleQ==";
    for tail in [
        "</Drive></DriveManifest>",
        "<BlobList><Blob></Blob></BlobList></Drive></DriveManifest>",
    ] {
        d.write(
            "import.manifest",
            format!("<DriveManifest><Drive><DriveId>D</DriveId><StorageAccountKey>{key}</StorageAccountKey>{tail}"),
        );
        let out = d.verify(&[
            "--manifest",
            "import.manifest",
            "--summary",
            "--output",
            "jsonl",
        ]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("SECRETKEY"), "{all}");
        assert_ne!(out.status.code(), Some(0));
    }
}

/// `blobsel verify` with `more`, killed (and the test failed) if it has not
/// ended within `limit`: for inputs that could make it wait forever.
fn verify_within(d: &Dir, more: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_blobsel"))
        .current_dir(d.path())
        .args(["verify", "sel.xml", "listing.txt"])
        .args(more)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("verify {more:?} still running after {limit:?}: it hangs");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn a_fifo_or_folder_at_a_file_path_is_an_error_never_a_hang() {
    let d = Dir::new();
    let mkfifo = |name: &str| {
        let ok = Command::new("mkfifo")
            .arg(d.path().join(name))
            .status()
            .unwrap();
        assert!(ok.success());
    };
    mkfifo("drive/b");
    mkfifo("drive/b.properties");
    fs::create_dir(d.path().join("drive/dir")).unwrap();
    let list = format!("<BlockList><Block Offset=\"0\" Length=\"10\" Hash=\"{H}\"/></BlockList>");
    let props = format!("<PropertiesPath Hash=\"{H}\">\\b.properties</PropertiesPath>");
    let cases = [
        (
            blob(r"\b", 10, &list),
            "b on the drive: it is a FIFO (named pipe)",
        ),
        (blob(r"\dir", 10, &list), "dir on the drive: it is a folder"),
    ];
    for (xml, needle) in cases {
        d.write(
            "m.manifest",
            format!(
                "<DriveManifest Version=\"2014-11-01\">\n<Drive>\n<DriveId>D</DriveId>\n<BlobList>\n{xml}\n</BlobList>\n</Drive>\n</DriveManifest>\n"
            ),
        );
        let out = verify_within(
            &d,
            &["--manifest", "m.manifest", "--drive", "drive"],
            Duration::from_secs(20),
        );
        assert_error(&out, &["m.manifest:5:1: ", needle, "not a regular file"]);
    }
    // A FIFO as a side file.
    d.write("drive/real", "0123456789");
    let hash = "781E5E245D69B566979B86E28D23F2C7"; // MD5 of "0123456789"
    let list = format!(
        "<BlockList><Block Offset=\"0\" Length=\"10\" Hash=\"{hash}\"/></BlockList>{props}"
    );
    d.write(
        "m.manifest",
        format!(
            "<DriveManifest Version=\"2014-11-01\">\n<Drive>\n<DriveId>D</DriveId>\n<BlobList>\n{}\n</BlobList>\n</Drive>\n</DriveManifest>\n",
            blob(r"\real", 10, &list)
        ),
    );
    let out = verify_within(
        &d,
        &["--manifest", "m.manifest", "--drive", "drive"],
        Duration::from_secs(20),
    );
    assert_error(&out, &["b.properties on the drive: it is a FIFO"]);
}

#[test]
fn control_characters_in_drive_ids_and_statuses_are_errors_not_forged_lines() {
    let d = Dir::new();
    let manifest = |id: &str| {
        format!(
            "<DriveManifest Version=\"2014-11-01\">\n<Drive>\n<DriveId>{id}</DriveId>\n<BlobList>\n{}\n</BlobList>\n</Drive>\n</DriveManifest>\n",
            blob(r"\b", 0, "<BlockList/>")
        )
    };
    d.write("bad.manifest", manifest("M1&#10;missing&#9;/c00/forged"));
    let out = d.verify(&["--manifest", "bad.manifest"]);
    assert_error(
        &out,
        &["bad.manifest:3:10: ", "DriveId", "control character"],
    );
    assert!(out.stdout.is_empty());

    d.write("m.manifest", manifest("D"));
    for (log, at) in [
        (
            "<DriveLog><DriveId>D&#9;x</DriveId></DriveLog>",
            "log.xml:1:20: ",
        ),
        (
            "<DriveLog><DriveId>D</DriveId>\n<Blob Status=\"Fa&#10;missing&#9;/c00/forged\"><BlobPath>c00/b</BlobPath></Blob></DriveLog>",
            "log.xml:2:1: ",
        ),
        (
            "<DriveLog><DriveId>D</DriveId>\n<Blob Status=\"CompletedWithErrors\"><BlobPath>c00/b</BlobPath>\
             <BlockList><Block Offset=\"0\" Length=\"1\" Status=\"X&#13;Y\"/></BlockList></Blob></DriveLog>",
            "log.xml:2:",
        ),
        (
            "<DriveLog><DriveId>D</DriveId>\n<Status>Bit&#10;missing&#9;/c00/forged</Status></DriveLog>",
            "log.xml:2:9: ",
        ),
    ] {
        d.write("log.xml", log);
        let out = d.verify(&["--manifest", "m.manifest", "--copy-log", "log.xml"]);
        assert_error(&out, &[at, "control character"]);
        assert!(out.stdout.is_empty(), "{log}");
    }
}
