//! What blobsel writes as blob list XML is always well-formed XML 1.0.

use std::process::Command;

use blobsel::{ErrorKind, RuleKind, Selection};

// ---------------------------------------------------------------------------
// 6. The writer never emits what the reader refuses.

#[test]
fn a_json_rule_xml_cannot_carry_is_unrepresentable_as_a_blob_list() {
    for (json, text) in [
        (
            "{\"BlobList\":{\"BlobPath\":[\"bob/ok\",\"/bob/a\\uFFFE\"]}}",
            "\"/bob/a\\u{fffe}\"",
        ),
        (
            "{\"BlobList\":{\"BlobPathPrefix\":[\"/bob/\\uffff\"]}}",
            "\"/bob/\\u{ffff}\"",
        ),
    ] {
        let sel = Selection::parse(json.as_bytes(), "sel.json").unwrap();
        // JSON carries the name, and writes it back.
        let again = sel.to_export_json().unwrap();
        let keys = |s: &Selection| -> Vec<(RuleKind, String)> {
            let rules = s.rules().unwrap();
            rules
                .iter()
                .map(|r| (r.kind(), r.text().to_string()))
                .collect()
        };
        let again = Selection::parse(again.as_bytes(), "again.json").unwrap();
        assert_eq!(keys(&again), keys(&sel));
        let e = sel.to_blob_list_xml().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unrepresentable, "{e}");
        assert!(e.message().contains(text), "{e}");
        assert!(e.message().contains("XML cannot carry"), "{e}");
        assert_eq!(e.source_name(), Some("sel.json"), "{e}");
        assert!(e.position().is_some(), "{e}");
    }
}

#[test]
fn what_the_writer_emits_reads_back() {
    let json = "{\"BlobList\":{\"BlobPath\":[\"c00/a]]>b\",\"c00/--x--\",\"c00/<&>\\\"'\",\
                \"c00/\\u007F\\uFFFD\\uD83D\\uDE00\"],\"BlobPathPrefix\":[\"/c00/ a ]]>\"]}}";
    let sel = Selection::parse(json.as_bytes(), "sel.json").unwrap();
    let xml = sel.to_blob_list_xml().unwrap();
    let back =
        Selection::parse(xml.as_bytes(), "back.xml").unwrap_or_else(|e| panic!("{e}\n{xml}"));
    let keys = |s: &Selection| -> Vec<(RuleKind, String)> {
        s.rules()
            .unwrap()
            .iter()
            .map(|r| (r.kind(), r.text().to_string()))
            .collect()
    };
    assert_eq!(keys(&back), keys(&sel));
    assert!(xml.starts_with("<?xml version=\"1.0\""), "{xml}");
}

#[test]
fn convert_to_xml_refuses_and_says_where() {
    let dir = std::env::temp_dir().join(format!("blobsel-xmlwf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("sel.json");
    std::fs::write(&file, "{\"BlobList\":{\"BlobPath\":[\"/bob/a\\uFFFE\"]}}").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_blobsel"))
        .arg("convert")
        .arg(&file)
        .args(["--to", "xml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains("sel.json:1:"), "{stderr}");
    assert!(stderr.contains("U+FFFE"), "{stderr}");
    let ok = Command::new(env!("CARGO_BIN_EXE_blobsel"))
        .arg("convert")
        .arg(&file)
        .args(["--to", "json"])
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
