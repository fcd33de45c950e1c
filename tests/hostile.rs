//! Hostile inputs: each gets a clear error or a correct result, never a
//! panic, a hang, or memory out of proportion. Peak memory is checked in
//! `tests/hostile_memory.rs` (one test per process, so the measurement is
//! its own).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Dir(tempfile::TempDir);

impl Dir {
    fn new() -> Dir {
        Dir(tempfile::tempdir().unwrap())
    }
    fn file(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.0.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }
    fn path(&self) -> &Path {
        self.0.path()
    }
}

fn blobsel(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blobsel"))
        .args(args)
        .output()
        .unwrap()
}

fn p(s: &str) -> &Path {
    Path::new(s)
}

/// Exit 2 with a `blobsel:` message containing every one of `needles`.
fn assert_error(out: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.starts_with("blobsel: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}: {err}");
    }
}

const OK_LIST: &str = "<BlobList><BlobPathPrefix>/c00/</BlobPathPrefix></BlobList>";

#[test]
fn billion_laughs_and_external_entities_are_refused_before_expansion() {
    let d = Dir::new();
    let laughs = format!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n{}]>\n<BlobList><BlobPath>c00/&lol9;</BlobPath></BlobList>",
        (1..10)
            .map(|i| format!(" <!ENTITY lol{i} \"{}\">\n", format!("&lol{};", i - 1).repeat(10)))
            .collect::<String>()
    );
    let sel = d.file("laughs.xml", laughs);
    let out = blobsel(&[p("check"), &sel]);
    assert_error(&out, &["laughs.xml:2:1", "DOCTYPE"]);

    let xxe = d.file(
        "xxe.xml",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><BlobList><BlobPath>c00/&e;</BlobPath></BlobList>",
    );
    assert_error(&blobsel(&[p("check"), &xxe]), &["xxe.xml:1:1", "DOCTYPE"]);
    // An undeclared entity is an error, not text.
    let undeclared = d.file("e.xml", "<BlobList><BlobPath>c00/&e;</BlobPath></BlobList>");
    assert_error(&blobsel(&[p("check"), &undeclared]), &["e.xml:1:"]);
}

#[test]
fn deeply_nested_json_is_refused() {
    let d = Dir::new();
    let deep = d.file(
        "deep.json",
        format!("{{\"BlobList\":{}", "[".repeat(200_000)),
    );
    assert_error(
        &blobsel(&[p("check"), &deep]),
        &["deep.json:1:", "nested deeper than 128"],
    );
}

#[test]
fn a_huge_single_line_is_an_error_at_its_line() {
    let d = Dir::new();
    let sel = d.file("sel.xml", OK_LIST);
    let mut listing = b"/c00/a\n/c00/b\n".to_vec();
    listing.extend(std::iter::repeat_n(b'x', 100 << 20));
    let file = d.file("huge.txt", &listing);
    let out = blobsel(&[p("preview"), &sel, &file]);
    assert_error(&out, &["huge.txt: line 3:", "longer than any blob path"]);
    // The lines before it were selected and printed.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "/c00/a\n/c00/b\n");
}

#[test]
fn invalid_utf8_and_nul_bytes_name_their_position() {
    let d = Dir::new();
    let xml = d.file(
        "bad.xml",
        b"<BlobList>\n  <BlobPath>c00/\xff</BlobPath>\n</BlobList>",
    );
    assert_error(&blobsel(&[p("check"), &xml]), &["bad.xml:2:", "UTF-8"]);
    let nul = d.file(
        "nul.xml",
        b"<BlobList>\n  <BlobPath>c00/a\0b</BlobPath>\n</BlobList>",
    );
    assert_error(&blobsel(&[p("check"), &nul]), &["nul.xml:2:"]);
    let json = d.file("bad.json", b"{\"BlobList\":{\"BlobPath\":[\"c00/\xfe\"]}}");
    assert_error(&blobsel(&[p("check"), &json]), &["bad.json:1:", "UTF-8"]);
    let json_nul = d.file(
        "nul.json",
        b"{\"BlobList\":{\"BlobPath\":[\"c00/a\\u0000\"]}}",
    );
    assert_error(
        &blobsel(&[p("check"), &json_nul]),
        &["nul.json:1:", "control character"],
    );

    let sel = d.file("sel.xml", OK_LIST);
    let listing = d.file("l.txt", b"/c00/a\n/c00/\xc3\n/c00/b\n");
    assert_error(
        &blobsel(&[p("preview"), &sel, &listing]),
        &["l.txt: line 2:", "UTF-8"],
    );
    let listing = d.file("n.txt", b"/c00/a\n/c00/b\0\n");
    assert_error(
        &blobsel(&[p("preview"), &sel, &listing]),
        &["n.txt: line 2:", "control character"],
    );
    let jsonl = d.file(
        "n.jsonl",
        b"{\"path\":\"/c00/a\"}\n{\"path\":\"/c00/\xff\"}\n",
    );
    assert_error(
        &blobsel(&[p("preview"), &sel, &jsonl]),
        &["n.jsonl:2:", "UTF-8"],
    );
}

#[test]
fn utf16_xml_with_a_bom_is_decoded() {
    let d = Dir::new();
    let text = "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<BlobList>\r\n  <BlobPath>c00/été.jpg</BlobPath>\r\n</BlobList>\r\n";
    for (name, bytes) in [
        (
            "le.xml",
            [
                vec![0xFF, 0xFE],
                text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            ]
            .concat(),
        ),
        (
            "be.xml",
            [
                vec![0xFE, 0xFF],
                text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            ]
            .concat(),
        ),
    ] {
        let sel = d.file(name, bytes);
        let listing = d.file("l.txt", "/c00/été.jpg\n/c00/other\n");
        let out = blobsel(&[p("preview"), &sel, &listing]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "/c00/été.jpg\n",
            "{name}"
        );
    }
    let odd = d.file("odd.xml", [0xFF, 0xFE, b'<', 0, b'B']);
    assert_error(&blobsel(&[p("check"), &odd]), &["odd.xml", "UTF-16"]);
}

#[test]
fn truncated_and_empty_files() {
    let d = Dir::new();
    let t = d.file(
        "t.xml",
        "<BlobList>\n  <BlobPath>c00/a</BlobPath>\n  <BlobPa",
    );
    assert_error(&blobsel(&[p("check"), &t]), &["t.xml:3:"]);
    let t = d.file("t.json", "{\"BlobList\": {\"BlobPath\": [\"c00/a\"");
    assert_error(&blobsel(&[p("check"), &t]), &["t.json:1:", "truncated"]);
    let e = d.file("empty.xml", "");
    assert_error(
        &blobsel(&[p("check"), &e]),
        &["empty.xml", "empty selection"],
    );
    let ws = d.file("ws.json", " \n\t \r\n");
    assert_error(
        &blobsel(&[p("check"), &ws]),
        &["ws.json", "empty selection"],
    );

    // An empty listing selects nothing: exit 1, no output, no error.
    let sel = d.file("sel.xml", OK_LIST);
    let empty = d.file("empty.txt", "");
    let out = blobsel(&[p("preview"), &sel, &empty]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
    let truncated = d.file(
        "page.xml",
        "<?xml version=\"1.0\"?><EnumerationResults ContainerName=\"c00\"><Blobs><Blob><Name>a</Na",
    );
    assert_error(&blobsel(&[p("preview"), &sel, &truncated]), &["page.xml"]);
}

#[test]
fn crlf_everywhere() {
    let d = Dir::new();
    let xml = d.file("s.xml", "<?xml version=\"1.0\"?>\r\n<BlobList>\r\n  <BlobPath>\r\n    c00/a\r\n  </BlobPath>\r\n  <BlobPathPrefix>/c01/</BlobPathPrefix>\r\n</BlobList>\r\n");
    let json = d.file("s.json", "{\r\n  \"BlobList\": {\r\n    \"BlobPath\": [\"c00/a\"],\r\n    \"BlobPathPrefix\": [\"/c01/\"]\r\n  }\r\n}\r\n");
    let listing = d.file(
        "l.txt",
        "/c00/a\r\n\r\n/c00/b\r\nc01/x\t2024-01-01T00:00:00Z\r\n",
    );
    for sel in [&xml, &json] {
        let out = blobsel(&[p("preview"), sel, &listing]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "/c00/a\nc01/x\t2024-01-01T00:00:00Z\n"
        );
    }
    let bad = d.file(
        "bad.xml",
        "<BlobList>\r\n  <BlobPath>/video</BlobPath>\r\n</BlobList>\r\n",
    );
    assert_error(&blobsel(&[p("check"), &bad]), &["bad.xml:2:3"]);
}

#[test]
fn paths_that_are_directories_missing_or_unreadable() {
    let d = Dir::new();
    let sel = d.file("sel.xml", OK_LIST);
    assert_error(&blobsel(&[p("check"), d.path()]), &["is a directory"]);
    assert_error(
        &blobsel(&[p("preview"), &sel, d.path()]),
        &["is a directory"],
    );
    let missing = d.path().join("missing.xml");
    assert_error(&blobsel(&[p("check"), &missing]), &["missing.xml"]);
    assert_error(
        &blobsel(&[p("preview"), &sel, &missing]),
        &["missing.xml", "no such file"],
    );
    // Through a file as if it were a folder: the OS refuses to open it.
    let through = sel.join("x.txt");
    assert_error(&blobsel(&[p("preview"), &sel, &through]), &["x.txt"]);
}

#[test]
fn a_listing_that_is_not_in_the_claimed_format() {
    let d = Dir::new();
    let sel = d.file("sel.xml", OK_LIST);
    let lines = d.file("lines.txt", "/c00/a\n/c00/b\n");
    for (format, needles) in [
        ("xml", &["lines.txt"][..]),
        ("jsonl", &["lines.txt:1:1", "JSON object"][..]),
        ("csv", &["lines.txt", "inventory"][..]),
    ] {
        let args = [p("preview"), &sel, &lines, p("--listing-format"), p(format)];
        assert_error(&blobsel(&args), needles);
    }
    // A selection given as a listing, and a listing given as a selection.
    let out = blobsel(&[p("preview"), &sel, &sel]);
    assert_error(&out, &["sel.xml"]);
    assert_error(
        &blobsel(&[p("check"), &lines]),
        &["lines.txt", "not a selection"],
    );
}
