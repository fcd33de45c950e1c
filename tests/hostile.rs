//! Hostile inputs: each gets a clear error or a correct result, never a
//! panic, a hang, or memory out of proportion. Peak memory is checked in
//! `tests/hostile_memory.rs` (one test per process, so the measurement is
//! its own).

mod common {
    pub mod cli;
}

use common::cli::Dir;

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
    d.write("laughs.xml", laughs);
    d.cmd(&["check", "laughs.xml"])
        .run()
        .error(&["laughs.xml:2:1", "DOCTYPE"]);

    d.write(
        "xxe.xml",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><BlobList><BlobPath>c00/&e;</BlobPath></BlobList>",
    );
    d.cmd(&["check", "xxe.xml"])
        .run()
        .error(&["xxe.xml:1:1", "DOCTYPE"]);
    // An undeclared entity is an error, not text.
    d.write("e.xml", "<BlobList><BlobPath>c00/&e;</BlobPath></BlobList>");
    d.cmd(&["check", "e.xml"]).run().error(&["e.xml:1:"]);
}

#[test]
fn deeply_nested_json_is_refused() {
    let d = Dir::new();
    d.write(
        "deep.json",
        format!("{{\"BlobList\":{}", "[".repeat(200_000)),
    );
    d.cmd(&["check", "deep.json"])
        .run()
        .error(&["deep.json:1:", "nested deeper than 128"]);
}

#[test]
fn a_huge_single_line_is_an_error_at_its_line() {
    let d = Dir::new();
    d.write("sel.xml", OK_LIST);
    let mut listing = b"/c00/a\n/c00/b\n".to_vec();
    listing.extend(std::iter::repeat_n(b'x', 100 << 20));
    d.write("huge.txt", &listing);
    d.cmd(&["preview", "sel.xml", "huge.txt"])
        .run()
        .error(&["huge.txt:3:", "longer than any blob path"])
        // The lines before it were selected and printed.
        .stdout("/c00/a\n/c00/b\n");
}

#[test]
fn invalid_utf8_and_nul_bytes_name_their_position() {
    let d = Dir::new();
    d.write(
        "bad.xml",
        b"<BlobList>\n  <BlobPath>c00/\xff</BlobPath>\n</BlobList>",
    );
    d.cmd(&["check", "bad.xml"])
        .run()
        .error(&["bad.xml:2:", "UTF-8"]);
    d.write(
        "nul.xml",
        b"<BlobList>\n  <BlobPath>c00/a\0b</BlobPath>\n</BlobList>",
    );
    d.cmd(&["check", "nul.xml"]).run().error(&["nul.xml:2:"]);
    d.write("bad.json", b"{\"BlobList\":{\"BlobPath\":[\"c00/\xfe\"]}}");
    d.cmd(&["check", "bad.json"])
        .run()
        .error(&["bad.json:1:", "UTF-8"]);
    d.write(
        "nul.json",
        b"{\"BlobList\":{\"BlobPath\":[\"c00/a\\u0000\"]}}",
    );
    d.cmd(&["check", "nul.json"])
        .run()
        .error(&["nul.json:1:", "control character"]);

    d.write("sel.xml", OK_LIST);
    d.write("l.txt", b"/c00/a\n/c00/\xc3\n/c00/b\n");
    d.cmd(&["preview", "sel.xml", "l.txt"])
        .run()
        .error(&["l.txt:2:", "UTF-8"]);
    d.write("n.txt", b"/c00/a\n/c00/b\0\n");
    d.cmd(&["preview", "sel.xml", "n.txt"])
        .run()
        .error(&["n.txt:2:", "control character"]);
    d.write(
        "n.jsonl",
        b"{\"path\":\"/c00/a\"}\n{\"path\":\"/c00/\xff\"}\n",
    );
    d.cmd(&["preview", "sel.xml", "n.jsonl"])
        .run()
        .error(&["n.jsonl:2:", "UTF-8"]);
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
        d.write(name, bytes);
        d.write("l.txt", "/c00/été.jpg\n/c00/other\n");
        d.cmd(&["preview", name, "l.txt"])
            .run()
            .code(0)
            .stdout("/c00/été.jpg\n");
    }
    d.write("odd.xml", [0xFF, 0xFE, b'<', 0, b'B']);
    d.cmd(&["check", "odd.xml"])
        .run()
        .error(&["odd.xml", "UTF-16"]);
}

#[test]
fn truncated_and_empty_files() {
    let d = Dir::new();
    d.write(
        "t.xml",
        "<BlobList>\n  <BlobPath>c00/a</BlobPath>\n  <BlobPa",
    );
    d.cmd(&["check", "t.xml"]).run().error(&["t.xml:3:"]);
    d.write("t.json", "{\"BlobList\": {\"BlobPath\": [\"c00/a\"");
    d.cmd(&["check", "t.json"])
        .run()
        .error(&["t.json:1:", "truncated"]);
    d.write("empty.xml", "");
    d.cmd(&["check", "empty.xml"])
        .run()
        .error(&["empty.xml", "empty selection"]);
    d.write("ws.json", " \n\t \r\n");
    d.cmd(&["check", "ws.json"])
        .run()
        .error(&["ws.json", "empty selection"]);

    // An empty listing selects nothing: exit 1, no output, no error.
    d.write("sel.xml", OK_LIST);
    d.write("empty.txt", "");
    d.cmd(&["preview", "sel.xml", "empty.txt"])
        .run()
        .code(1)
        .stdout_empty()
        .stderr_empty();
    d.write(
        "page.xml",
        "<?xml version=\"1.0\"?><EnumerationResults ContainerName=\"c00\"><Blobs><Blob><Name>a</Na",
    );
    d.cmd(&["preview", "sel.xml", "page.xml"])
        .run()
        .error(&["page.xml"]);
}

#[test]
fn crlf_everywhere() {
    let d = Dir::new();
    d.write("s.xml", "<?xml version=\"1.0\"?>\r\n<BlobList>\r\n  <BlobPath>\r\n    c00/a\r\n  </BlobPath>\r\n  <BlobPathPrefix>/c01/</BlobPathPrefix>\r\n</BlobList>\r\n");
    d.write("s.json", "{\r\n  \"BlobList\": {\r\n    \"BlobPath\": [\"c00/a\"],\r\n    \"BlobPathPrefix\": [\"/c01/\"]\r\n  }\r\n}\r\n");
    d.write(
        "l.txt",
        "/c00/a\r\n\r\n/c00/b\r\nc01/x\t2024-01-01T00:00:00Z\r\n",
    );
    for sel in ["s.xml", "s.json"] {
        d.cmd(&["preview", sel, "l.txt"])
            .run()
            .code(0)
            .stdout("/c00/a\nc01/x\t2024-01-01T00:00:00Z\n");
    }
    d.write(
        "bad.xml",
        "<BlobList>\r\n  <BlobPath>/video</BlobPath>\r\n</BlobList>\r\n",
    );
    d.cmd(&["check", "bad.xml"]).run().error(&["bad.xml:2:3"]);
}

#[test]
fn paths_that_are_directories_missing_or_unreadable() {
    let d = Dir::new();
    d.write("sel.xml", OK_LIST);
    d.cmd(&["check"])
        .arg(d.path())
        .run()
        .error(&["is a directory"]);
    d.cmd(&["preview", "sel.xml"])
        .arg(d.path())
        .run()
        .error(&["is a directory"]);
    let missing = d.join("missing.xml");
    d.cmd(&["check"])
        .arg(&missing)
        .run()
        .error(&["missing.xml"]);
    d.cmd(&["preview", "sel.xml"])
        .arg(&missing)
        .run()
        .error(&["missing.xml", "no such file"]);
    // Through a file as if it were a folder: the OS refuses to open it.
    d.cmd(&["preview", "sel.xml"])
        .arg(d.join("sel.xml").join("x.txt"))
        .run()
        .error(&["x.txt"]);
}

#[test]
fn a_listing_that_is_not_in_the_claimed_format() {
    let d = Dir::new();
    d.write("sel.xml", OK_LIST);
    d.write("lines.txt", "/c00/a\n/c00/b\n");
    for (format, needles) in [
        ("xml", &["lines.txt"][..]),
        ("jsonl", &["lines.txt:1:1", "JSON object"][..]),
        ("csv", &["lines.txt", "inventory"][..]),
    ] {
        d.cmd(&[
            "preview",
            "sel.xml",
            "lines.txt",
            "--listing-format",
            format,
        ])
        .run()
        .error(needles);
    }
    // A selection given as a listing, and a listing given as a selection.
    d.cmd(&["preview", "sel.xml", "sel.xml"])
        .run()
        .error(&["sel.xml"]);
    d.cmd(&["check", "lines.txt"])
        .run()
        .error(&["lines.txt", "not a selection"]);
}
