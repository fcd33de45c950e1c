//! A blob list must be well-formed XML 1.0: what a conforming parser (the
//! service's) rejects, blobsel rejects too, with `line:column` and a fix;
//! and what blobsel writes as blob list XML is always well-formed.

mod common {
    pub mod cli;
    pub mod selection;
}

use blobsel::{ErrorKind, Position, RuleKind, Selection};
use common::cli::Dir;
use common::selection::{key, keys, OneByte};

/// The rules of `doc` as `(kind, text)`, or the error; read whole and one
/// byte at a time, which must agree.
fn read(doc: &[u8]) -> Result<Vec<(RuleKind, String)>, blobsel::Error> {
    let rules = |sel: Result<Selection, blobsel::Error>| {
        sel.and_then(|s| s.rules().map(|r| r.iter().map(key).collect()))
    };
    let whole = rules(Selection::parse(doc, "list.xml"));
    let slow = rules(Selection::parse(OneByte(doc), "list.xml"));
    assert_eq!(
        whole,
        slow,
        "whole and byte-by-byte reads differ for {:?}",
        String::from_utf8_lossy(doc)
    );
    whole
}

fn at(line: u32, column: u32) -> Option<Position> {
    Some(Position { line, column })
}

/// `doc` is refused as malformed XML at `line:column`, with a message that
/// contains `needle`.
fn refused(doc: &str, needle: &str, line: u32, column: u32) {
    let e = match read(doc.as_bytes()) {
        Ok(rules) => panic!("accepted {doc:?} as {rules:?}"),
        Err(e) => e,
    };
    assert_eq!(e.kind(), ErrorKind::Syntax, "{doc:?}: {e}");
    assert!(e.message().contains(needle), "{doc:?}: {e}");
    assert_eq!(e.position(), at(line, column), "{doc:?}: {e}");
    assert_eq!(e.source_name(), Some("list.xml"), "{doc:?}: {e}");
}

fn accepted(doc: &str) -> Vec<(RuleKind, String)> {
    read(doc.as_bytes()).unwrap_or_else(|e| panic!("refused {doc:?}: {e}"))
}

const DECL: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";

// ---------------------------------------------------------------------------
// 1. The XML declaration: at the very start, once; `xml` is a reserved
//    processing instruction target in any case.

#[test]
fn a_declaration_anywhere_but_the_very_start_is_refused() {
    let late = "is not at the start of the document";
    let misplaced = "misplaced XML declaration";
    for (doc, needle, line, column) in [
        (format!("\n{DECL}<BlobList/>"), late, 2, 1),
        (format!(" {DECL}<BlobList/>"), late, 1, 2),
        (format!("<!-- c -->{DECL}<BlobList/>"), late, 1, 11),
        (format!("<?pi x?>\n{DECL}<BlobList/>"), late, 2, 1),
        (
            format!("{DECL}<BlobList>{DECL}</BlobList>"),
            misplaced,
            1,
            49,
        ),
        (
            format!("<BlobList>\n  {DECL}\n</BlobList>"),
            misplaced,
            2,
            3,
        ),
        (
            format!("<BlobList><BlobPath>c00/a{DECL}</BlobPath></BlobList>"),
            misplaced,
            1,
            26,
        ),
        (format!("<BlobList/>{DECL}"), misplaced, 1, 12),
        (format!("<BlobList/>\n{DECL}\n"), misplaced, 2, 1),
        (format!("{DECL}{DECL}<BlobList/>"), misplaced, 1, 39),
        (format!("{DECL}\n{DECL}<BlobList/>"), misplaced, 2, 1),
    ] {
        refused(&doc, needle, line, column);
    }
}

#[test]
fn a_declaration_after_a_byte_order_mark_is_fine() {
    let doc = format!("\u{FEFF}{DECL}\n<BlobList><BlobPath>c00/a</BlobPath></BlobList>");
    assert_eq!(accepted(&doc), [(RuleKind::Path, "/c00/a".to_string())]);
    // Only one mark: a second U+FEFF is a character before the declaration.
    assert!(read(format!("\u{FEFF}\u{FEFF}{DECL}<BlobList/>").as_bytes()).is_err());
    // And in UTF-16, after its mark.
    let mut utf16 = vec![0xFF, 0xFE];
    let text = "<?xml version=\"1.0\" encoding=\"utf-16\"?><BlobList><BlobPath>c00/a</BlobPath></BlobList>";
    utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    assert_eq!(
        read(&utf16).unwrap(),
        [(RuleKind::Path, "/c00/a".to_string())]
    );
    let mut late16 = vec![0xFF, 0xFE];
    let text = format!("\n{text}");
    late16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let e = read(&late16).unwrap_err();
    assert_eq!(
        (e.kind(), e.position()),
        (ErrorKind::Syntax, at(2, 1)),
        "{e}"
    );
}

#[test]
fn xml_in_any_case_is_a_reserved_target() {
    for target in ["XML", "Xml", "xML"] {
        let doc = format!("<?{target} version=\"1.0\"?><BlobList/>");
        refused(&doc, &format!("target \"{target}\" is reserved"), 1, 1);
        let doc = format!("<BlobList><?{target} x?></BlobList>");
        refused(&doc, "is reserved", 1, 11);
    }
    // Targets that merely begin with "xml" are ordinary processing
    // instructions, as are others; all are ignored.
    accepted("<?xml-stylesheet href=\"a.xsl\"?><BlobList><?xmlfoo?><?app data?></BlobList>");
    accepted(&format!("{DECL}<?app?><BlobList/><?app?>"));
    refused("<BlobList><?? x?></BlobList>", "is not a name", 1, 11);
    refused("<BlobList><?1a?></BlobList>", "is not a name", 1, 11);
}

// ---------------------------------------------------------------------------
// 2. The declaration's content: version 1.x first, then encoding, then
//    standalone.

#[test]
fn a_declaration_needs_version_1_x_first() {
    for (decl, needle) in [
        ("<?xml?>", "has no version"),
        ("<?xml ?>", "has no version"),
        ("<?xml encoding=\"utf-8\"?>", "has no version"),
        ("<?xml standalone=\"yes\"?>", "has no version"),
        (
            "<?xml encoding=\"utf-8\" version=\"1.0\"?>",
            "has no version",
        ),
        (
            "<?xml version=\"2.0\"?>",
            "XML version \"2.0\" is not supported",
        ),
        (
            "<?xml version=\"1\"?>",
            "XML version \"1\" is not supported",
        ),
        (
            "<?xml version=\"1.\"?>",
            "XML version \"1.\" is not supported",
        ),
        ("<?xml version=\"1.0a\"?>", "is not supported"),
        ("<?xml version=\"\"?>", "is not supported"),
        (
            "<?xml version=\"1.0\" standalone=\"yes\" encoding=\"utf-8\"?>",
            "out of order",
        ),
        ("<?xml version=\"1.0\" version=\"1.0\"?>", "version"),
        (
            "<?xml version=\"1.0\" lang=\"en\"?>",
            "unknown attribute \"lang\"",
        ),
        (
            "<?xml version=\"1.0\" standalone=\"true\"?>",
            "standalone=\"true\"",
        ),
    ] {
        refused(&format!("{decl}<BlobList/>"), needle, 1, 1);
    }
    for decl in [
        "<?xml version=\"1.0\"?>",
        "<?xml version='1.0'?>",
        "<?xml version=\"1.1\"?>",
        "<?xml version=\"1.10\" ?>",
        "<?xml\tversion=\"1.0\"\nencoding=\"UTF-8\"?>",
        "<?xml version=\"1.0\" encoding=\"utf8\" standalone=\"yes\"?>",
        "<?xml version=\"1.0\" standalone=\"no\"?>",
        "<?xml version=\"1.0\" encoding=\"utf-16\"?>",
    ] {
        accepted(&format!("{decl}<BlobList/>"));
    }
}

#[test]
fn encodings_other_than_utf8_and_utf16_stay_refused_as_before() {
    for enc in ["latin1", "ISO-8859-1", "windows-1252", "ascii"] {
        let doc = format!("<?xml version=\"1.0\" encoding=\"{enc}\"?><BlobList/>");
        let e = read(doc.as_bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Encoding, "{e}");
        assert!(e.message().contains("re-save the file as UTF-8"), "{e}");
        assert_eq!(e.position(), at(1, 1));
    }
}

// ---------------------------------------------------------------------------
// 3. Comments: no `--` inside, no `-` before the closing `-->`.

#[test]
fn double_hyphens_in_comments_are_refused() {
    refused(
        "<BlobList>\n  <!-- see --help -->\n</BlobList>",
        "\"--\" inside a comment",
        2,
        12,
    );
    refused(
        "<!-- a -- b --><BlobList/>",
        "\"--\" inside a comment",
        1,
        8,
    );
    refused("<BlobList/><!------>", "\"--\" inside a comment", 1, 16);
    refused(
        "<BlobList><!-- a ---></BlobList>",
        "ending in \"--->\"",
        1,
        18,
    );
    refused(
        "<BlobList><!----->\n</BlobList>",
        "ending in \"--->\"",
        1,
        15,
    );
    refused(
        "<BlobList><BlobPath>c00/a<!-- x--y -->b</BlobPath></BlobList>",
        "\"--\" inside a comment",
        1,
        32,
    );
}

#[test]
fn comments_with_single_hyphens_are_fine() {
    let doc = "<!--a-b-->\n<!-- - - -->\n<!---x-->\n<!---->\n<BlobList>\
               <!-- c-d --><BlobPath>c00/a<!---->b</BlobPath></BlobList><!-- -e- -->";
    assert_eq!(accepted(doc), [(RuleKind::Path, "/c00/ab".to_string())]);
}

// ---------------------------------------------------------------------------
// 4. `]]>` in text.

#[test]
fn cdata_end_in_text_is_refused() {
    refused(
        "<BlobList><BlobPath>c00/a]]>b</BlobPath></BlobList>",
        "\"]]>\" in text",
        1,
        26,
    );
    refused(
        "<BlobList>\n  <BlobPathPrefix>\n  /c00/]]]]>x</BlobPathPrefix></BlobList>",
        "write \"]]&gt;\"",
        3,
        10,
    );
    // After a CDATA section, in the same element.
    refused(
        "<BlobList><BlobPath><![CDATA[c00/a]]>]]></BlobPath></BlobList>",
        "\"]]>\" in text",
        1,
        38,
    );
}

#[test]
fn brackets_and_greater_than_apart_are_fine() {
    let doc = "<BlobList>\
               <BlobPath>c00/a]]b</BlobPath>\
               <BlobPath>c00/a]>b</BlobPath>\
               <BlobPath>c00/a>b]]</BlobPath>\
               <BlobPath>c00/a]] >b</BlobPath>\
               <BlobPath>c00/a]]&gt;b</BlobPath>\
               <BlobPath>c00/a]&#93;>b</BlobPath>\
               <BlobPath><![CDATA[c00/x]]]]><![CDATA[>y]]></BlobPath>\
               <BlobPath><![CDATA[c00/]]-]] ]]]></BlobPath>\
               </BlobList>";
    let texts: Vec<String> = accepted(doc).into_iter().map(|(_, t)| t).collect();
    assert_eq!(
        texts,
        [
            "/c00/a]]b",
            "/c00/a]>b",
            "/c00/a>b]]",
            "/c00/a]] >b",
            "/c00/a]]>b",
            "/c00/a]]>b",
            "/c00/x]]>y",
            "/c00/]]-]] ]",
        ]
    );
}

// ---------------------------------------------------------------------------
// 5. Characters XML 1.0 does not allow (§2.2), raw or referenced.

#[test]
fn characters_outside_xml_are_refused_raw() {
    refused(
        "<BlobList><BlobPath>c00/a\u{FFFE}</BlobPath></BlobList>",
        "character U+FFFE in text is not allowed in XML",
        1,
        26,
    );
    refused(
        "<BlobList>\n<BlobPathPrefix>/c00/é\u{FFFF}</BlobPathPrefix></BlobList>",
        "character U+FFFF in text",
        2,
        23,
    );
    refused(
        "<BlobList><BlobPath><![CDATA[c00/\u{FFFF}]]></BlobPath></BlobList>",
        "character U+FFFF in CDATA",
        1,
        34,
    );
    refused(
        "<BlobList><!-- \u{FFFE} --></BlobList>",
        "character U+FFFE in a comment",
        1,
        16,
    );
    refused(
        "<BlobList><!-- \u{1} --></BlobList>",
        "character U+0001 in a comment",
        1,
        16,
    );
    refused(
        "<?app \u{B}?><BlobList/>",
        "character U+000B in a processing instruction",
        1,
        7,
    );
    refused(
        "<?xml version=\"1.0\"\u{C}?><BlobList/>",
        "character U+000C in the XML declaration",
        1,
        20,
    );
    refused(
        "<BlobList><BlobPath IncludeSnapshots=\"tr\u{1}ue\">c00/a</BlobPath></BlobList>",
        "character U+0001 in an attribute value",
        1,
        41,
    );
    refused(
        "<BlobList xmlns=\"urn:\u{FFFF}\"/>",
        "character U+FFFF in an attribute value",
        1,
        22,
    );
}

#[test]
fn a_raw_less_than_in_an_attribute_value_is_refused() {
    refused(
        "<BlobList xmlns=\"a<b\"/>",
        "'<' in an attribute value",
        1,
        19,
    );
    refused(
        "<BlobList><BlobPath IncludeSnapshots='<'>c00/a</BlobPath></BlobList>",
        "'<' in an attribute value",
        1,
        39,
    );
    accepted("<BlobList xmlns=\"a&lt;b>c\"/>");
}

#[test]
fn control_characters_in_paths_keep_the_blob_name_message() {
    // Raw in a path, a control character is refused by the path rules,
    // which say what blob names may hold.
    for c in ['\u{1}', '\u{8}', '\u{1F}'] {
        let doc = format!("<BlobList><BlobPath>c00/a{c}b</BlobPath></BlobList>");
        let e = read(doc.as_bytes()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ControlCharacter, "{e}");
        assert!(e.message().contains("blob names cannot contain"), "{e}");
        assert_eq!(e.position(), at(1, 11));
    }
}

#[test]
fn character_references_to_characters_outside_xml_are_refused() {
    for (reference, code) in [
        ("&#xFFFE;", "U+FFFE"),
        ("&#xffff;", "U+FFFF"),
        ("&#65535;", "U+FFFF"),
        ("&#1;", "U+0001"),
        ("&#x1F;", "U+001F"),
        ("&#0;", "U+0000"),
        ("&#xD800;", "U+D800 (a surrogate)"),
        ("&#57343;", "U+DFFF (a surrogate)"),
        ("&#x110000;", "U+110000 (beyond U+10FFFF)"),
    ] {
        refused(
            &format!("<BlobList><BlobPath>c00/a{reference}</BlobPath></BlobList>"),
            &format!("character reference \"{reference}\" names {code}"),
            1,
            26,
        );
        refused(
            &format!(
                "<BlobList>\n<BlobPath SnapshotTime=\"{reference}\">c00/a</BlobPath></BlobList>"
            ),
            &format!("character reference \"{reference}\" names {code}"),
            2,
            25,
        );
    }
    // A reference to a control character that XML allows is refused by the
    // path rules, as a raw one is.
    let e = read(b"<BlobList><BlobPath>c00/a&#9;b</BlobPath></BlobList>").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ControlCharacter, "{e}");
}

#[test]
fn the_characters_xml_allows_are_fine() {
    // Tab, CR and LF as whitespace around paths and inside comments;
    // DEL, C1 controls, U+FFFD, private use, astral characters in paths,
    // raw and as references.
    let doc = "<?xml version=\"1.0\"?>\r\n<BlobList>\r\n\t<!-- \t\r\n -->\r\n\
               \t<BlobPath>\tc00/\u{7F}\u{85}\u{FFFD}\u{E000}\u{10000}\u{10FFFF}😀 \r\n</BlobPath>\n\
               \t<BlobPath>c00/&#x7F;&#xFFFD;&#xE000;&#x10000;&#1114111;&#x1F600;</BlobPath>\n\
               \t<BlobPath IncludeSnapshots=\"\ttrue\r\n\">c00/b</BlobPath>\n\
               </BlobList>";
    let want = "/c00/\u{7F}\u{85}\u{FFFD}\u{E000}\u{10000}\u{10FFFF}😀";
    assert_eq!(
        accepted(doc),
        [
            (RuleKind::Path, want.to_string()),
            (
                RuleKind::Path,
                "/c00/\u{7F}\u{FFFD}\u{E000}\u{10000}\u{10FFFF}😀".to_string()
            ),
            (RuleKind::Path, "/c00/b".to_string()),
        ]
    );
    // Characters just below U+FFFE in UTF-8 start with 0xEF too.
    let doc = "<BlobList><BlobPath>c00/\u{F000}\u{FF01}\u{FFBF}\u{FFFD}</BlobPath></BlobList>";
    assert_eq!(
        accepted(doc),
        [(
            RuleKind::Path,
            "/c00/\u{F000}\u{FF01}\u{FFBF}\u{FFFD}".to_string()
        )]
    );
}

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
    assert_eq!(keys(&back), keys(&sel));
    assert!(xml.starts_with("<?xml version=\"1.0\""), "{xml}");
}

#[test]
fn convert_to_xml_refuses_and_says_where() {
    let dir = Dir::new();
    dir.write(
        "sel.json",
        "{\"BlobList\":{\"BlobPath\":[\"/bob/a\\uFFFE\"]}}",
    );
    let file = dir.join("sel.json");
    dir.cmd(&["convert"])
        .arg(&file)
        .args(&["--to", "xml"])
        .run()
        .code(2)
        .stdout_empty()
        .stderr_has(&["sel.json:1:", "U+FFFE"]);
    dir.cmd(&["convert"])
        .arg(&file)
        .args(&["--to", "json"])
        .run()
        .code(0);
}
