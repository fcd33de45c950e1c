//! Duplicate keys in the JSON forms (docs/semantics.md §1, §6): a key that blobsel reads,
//! given twice in one object, is an error at the second one — JSON readers
//! differ on which one counts, so the job could export something other than
//! what blobsel reads. Keys blobsel ignores may repeat. And `ContainerSas`
//! must be `container?token`.

mod common {
    pub mod selection;
}

use blobsel::{Error, ErrorKind, Form, Position, RuleKind, Selection};
use common::selection::keys;

fn parse(doc: &str) -> Result<Selection, Error> {
    Selection::parse(doc.as_bytes(), "job.json")
}

fn err(doc: &str) -> Error {
    match parse(doc) {
        Ok(sel) => panic!(
            "expected an error, got a {:?} selection of {:?}\n{doc}",
            sel.form(),
            keys(&sel)
        ),
        Err(e) => e,
    }
}

/// The `line:column` of the `n`th (0-based) `"key":` in `doc`, counted by
/// hand (the documents here are ASCII).
fn nth_key(doc: &str, key: &str, n: usize) -> Position {
    let needle = format!("\"{key}\":");
    let offset = doc
        .match_indices(&needle)
        .nth(n)
        .unwrap_or_else(|| panic!("no {n}th {needle} in {doc}"))
        .0;
    let before = &doc[..offset];
    let line = before.matches('\n').count() + 1;
    let column = offset - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    Position {
        line: line as u32,
        column: column as u32,
    }
}

/// Asserts `doc` fails on the second `key` (its `n`th occurrence in the
/// text, the first being occurrence `n - 1`) at `key_path`.
fn assert_duplicate_at(doc: &str, key: &str, key_path: &str, n: usize) {
    let e = err(doc);
    assert_eq!(e.kind(), ErrorKind::DuplicateKey, "{e}\n{doc}");
    assert_eq!(e.position(), Some(nth_key(doc, key, n)), "{e}\n{doc}");
    assert_eq!(e.key_path(), Some(key_path), "{e}\n{doc}");
    assert_eq!(e.source_name(), Some("job.json"));
    let first = nth_key(doc, key, n - 1);
    let msg = e.message();
    assert!(msg.contains(&format!("duplicate key \"{key}\"")), "{msg}");
    assert!(msg.contains(&format!("first is at {first}")), "{msg}");
    assert!(msg.contains("remove one of them"), "{msg}");
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!("job.json:{}: {key_path}: ", e.position().unwrap())),
        "{shown}"
    );
}

fn assert_duplicate(doc: &str, key: &str, key_path: &str) {
    assert_duplicate_at(doc, key, key_path, 1);
}

// ---------------------------------------------------------------------------
// The examples that used to pass (the first one was taken)

#[test]
fn a_second_export_in_a_put_job_body_is_an_error() {
    let doc = "{\"Name\":\"j\",\"Properties\":{\"Type\":\"Export\"},\
               \"Export\":{\"BlobList\":{\"BlobPath\":[\"/bob/a\"]}},\
               \"Export\":{\"BlobList\":{\"BlobPath\":[\"/bob/b\"]}}}";
    assert_duplicate(doc, "Export", "Export");
    assert_eq!(
        err(doc).position(),
        Some(Position {
            line: 1,
            column: 90
        })
    );
}

#[test]
fn a_second_type_or_properties_in_a_put_job_body_is_an_error() {
    let export = "\"Export\":{\"BlobList\":{\"BlobPath\":[\"/bob/a\"]}}";
    let doc = format!("{{\"Properties\":{{\"Type\":\"Export\",\n\"Type\":\"Import\"}},{export}}}");
    assert_duplicate(&doc, "Type", "Properties.Type");
    assert_eq!(err(&doc).position(), Some(Position { line: 2, column: 1 }));
    let doc = format!(
        "{{\"Properties\":{{\"Type\":\"Export\"}},\n  \"Properties\":{{\"Type\":\"Import\"}},{export}}}"
    );
    assert_duplicate(&doc, "Properties", "Properties");
    assert_eq!(err(&doc).position(), Some(Position { line: 2, column: 3 }));
}

#[test]
fn the_same_in_an_arm_job() {
    let export = "\"export\":{\"blobList\":{\"blobPath\":[\"/bob/a\"]}}";
    let doc = format!(
        "{{\"properties\":{{\"jobType\":\"Export\",{export}}},\n\"properties\":{{\"jobType\":\"Import\"}}}}"
    );
    assert_duplicate(&doc, "properties", "properties");
    let doc =
        format!("{{\"properties\":{{\"jobType\":\"Export\",\"jobType\":\"Import\",{export}}}}}");
    assert_duplicate(&doc, "jobType", "properties.jobType");
    let doc = format!(
        "{{\"properties\":{{\"jobType\":\"Export\",{export},\n    \
         \"export\":{{\"blobList\":{{\"blobPath\":[\"/bob/b\"]}}}}}}}}"
    );
    assert_duplicate(&doc, "export", "properties.export");
    assert_eq!(err(&doc).position(), Some(Position { line: 2, column: 5 }));
}

// ---------------------------------------------------------------------------
// Every key that is read, in every form

#[test]
fn every_read_key_of_the_export_fragment() {
    for (doc, key, path) in [
        (
            "{\"BlobList\":{\"BlobPath\":[\"/bob/a\"]},\n \"BlobList\":{\"BlobPath\":[\"/bob/b\"]}}",
            "BlobList",
            "BlobList",
        ),
        (
            "{\"BlobListBlobPath\":\"bob/a.xml\",\n\"BlobListBlobPath\":\"bob/b.xml\"}",
            "BlobListBlobPath",
            "BlobListBlobPath",
        ),
        (
            "{\"BlobList\":{\"BlobPath\":[\"/bob/a\"],\n  \"BlobPath\":[\"/bob/b\"]}}",
            "BlobPath",
            "BlobList.BlobPath",
        ),
        (
            "{\"BlobList\":{\"BlobPathPrefix\":[\"/a\"],\"BlobPath\":[],\"BlobPathPrefix\":[\"/b\"]}}",
            "BlobPathPrefix",
            "BlobList.BlobPathPrefix",
        ),
        (
            "{\"blobList\":{\"blobPath\":[\"/bob/a\"]},\n \"blobList\":{\"blobPath\":[\"/bob/b\"]}}",
            "blobList",
            "blobList",
        ),
        (
            "{\"blobListBlobPath\":\"bob/a.xml\",\"blobListBlobPath\":\"bob/b.xml\"}",
            "blobListBlobPath",
            "blobListBlobPath",
        ),
        (
            "{\"blobList\":{\"blobPath\":[\"/bob/a\"],\n\t\"blobPath\":[\"/bob/b\"]}}",
            "blobPath",
            "blobList.blobPath",
        ),
        (
            "{\"blobList\":{\"blobPathPrefix\":[\"/a\"],\n\"blobPathPrefix\":[\"/b\"]}}",
            "blobPathPrefix",
            "blobList.blobPathPrefix",
        ),
    ] {
        assert_duplicate(doc, key, path);
    }
}

#[test]
fn every_read_key_of_the_put_job_body() {
    let props = "\"Properties\":{\"Type\":\"Export\"}";
    let list = "\"BlobList\":{\"BlobPath\":[\"/bob/a\"]}";
    for (doc, key, path) in [
        (
            format!("{{{props},\"Export\":{{{list}}},\n\"Export\":{{{list}}}}}"),
            "Export",
            "Export",
        ),
        (
            format!("{{{props},\n{props},\"Export\":{{{list}}}}}"),
            "Properties",
            "Properties",
        ),
        (
            format!(
                "{{\"Properties\":{{\"Type\":\"Export\",\"Location\":\"x\",\"Type\":\"Export\"}},\
                 \"Export\":{{{list}}}}}"
            ),
            "Type",
            "Properties.Type",
        ),
        (
            format!(
                "{{\"Properties\":{{\"Type\":\"Export\",\n  \"ContainerSas\":\"bob?sv=1&sig=x\",\n  \
                 \"ContainerSas\":\"docs?sv=1&sig=y\"}},\"Export\":{{{list}}}}}"
            ),
            "ContainerSas",
            "Properties.ContainerSas",
        ),
        (
            format!("{{{props},\"Export\":{{{list},\n{list}}}}}"),
            "BlobList",
            "Export.BlobList",
        ),
        (
            format!(
                "{{{props},\"Export\":{{\"BlobListBlobPath\":\"bob/a.xml\",\
                 \"BlobListBlobPath\":\"bob/b.xml\"}}}}"
            ),
            "BlobListBlobPath",
            "Export.BlobListBlobPath",
        ),
        (
            format!(
                "{{{props},\"Export\":{{\"BlobList\":{{\"BlobPath\":[\"/bob/a\"],\n\
                 \"BlobPath\":[\"/bob/b\"]}}}}}}"
            ),
            "BlobPath",
            "Export.BlobList.BlobPath",
        ),
        (
            format!(
                "{{{props},\"Export\":{{\"BlobList\":{{\"BlobPathPrefix\":[\"/a\"],\n\
                 \"BlobPathPrefix\":[\"/b\"]}}}}}}"
            ),
            "BlobPathPrefix",
            "Export.BlobList.BlobPathPrefix",
        ),
    ] {
        assert_duplicate(&doc, key, path);
    }
}

#[test]
fn every_read_key_of_the_arm_job() {
    let list = "\"blobList\":{\"blobPath\":[\"/bob/a\"]}";
    let job = |export: &str| {
        format!("{{\"name\":\"j\",\"properties\":{{\"jobType\":\"Export\",\n\"export\":{{{export}}}}}}}")
    };
    for (doc, key, path) in [
        (
            format!(
                "{{\"properties\":{{\"jobType\":\"Export\",\"export\":{{{list}}}}},\n\
                 \"properties\":{{\"jobType\":\"Export\",\"export\":{{{list}}}}}}}"
            ),
            "properties",
            "properties",
        ),
        (
            format!(
                "{{\"properties\":{{\"jobType\":\"Export\",\"location\":\"x\",\n\
                 \"jobType\":\"Export\",\"export\":{{{list}}}}}}}"
            ),
            "jobType",
            "properties.jobType",
        ),
        (
            format!(
                "{{\"properties\":{{\"export\":{{{list}}},\"jobType\":\"Export\",\n\
                 \"export\":{{{list}}}}}}}"
            ),
            "export",
            "properties.export",
        ),
        (
            job(&format!("{list},\n{list}")),
            "blobList",
            "properties.export.blobList",
        ),
        (
            job("\"blobListBlobPath\":\"bob/a.xml\",\"blobListBlobPath\":\"bob/a.xml\""),
            "blobListBlobPath",
            "properties.export.blobListBlobPath",
        ),
        (
            job("\"blobList\":{\"blobPath\":[\"/bob/a\"],\"blobPath\":[]}"),
            "blobPath",
            "properties.export.blobList.blobPath",
        ),
        (
            job("\"blobList\":{\"blobPathPrefix\":[\"/a\"],\n\"blobPathPrefix\":[\"/a\"]}"),
            "blobPathPrefix",
            "properties.export.blobList.blobPathPrefix",
        ),
    ] {
        assert_duplicate(&doc, key, path);
    }
}

#[test]
fn null_does_not_hide_a_duplicate() {
    // `null` reads as "absent", so the first Export used to be skipped and
    // the second taken; a last-wins reader would agree, a first-wins one not.
    let doc = "{\"Properties\":{\"Type\":\"Export\"},\"Export\":null,\n\
               \"Export\":{\"BlobList\":{\"BlobPath\":[\"/bob/a\"]}}}";
    assert_duplicate(doc, "Export", "Export");
    let doc = "{\"Properties\":{\"Type\":null,\"Type\":\"Import\"},\
               \"Export\":{\"BlobList\":{\"BlobPath\":[\"/bob/a\"]}}}";
    assert_duplicate(doc, "Type", "Properties.Type");
}

#[test]
fn the_error_is_at_the_second_occurrence_even_after_many_keys() {
    // Three: the error is at the second, not the last.
    let doc = "{\"BlobList\":{\"BlobPath\":[\"/bob/a\"]},\n\"BlobList\":{},\n\"BlobList\":{}}";
    assert_duplicate(doc, "BlobList", "BlobList");
    assert_eq!(err(doc).position(), Some(Position { line: 2, column: 1 }));
    // Many ignored keys before the duplicate, over several lines, with
    // non-ASCII text (columns count characters).
    let filler: String = (0..2000).map(|i| format!("\"f{i}\":\"é\",\n")).collect();
    let doc = format!(
        "{{\"Name\":\"é日\",{filler}\"Properties\":{{\"Type\":\"Export\"}},\n  \"Export\":{{\"BlobListBlobPath\":\"bob/é.xml\"}}, \"Export\":{{}}}}"
    );
    let e = err(&doc);
    assert_eq!(e.kind(), ErrorKind::DuplicateKey, "{e}");
    assert_eq!(
        e.position(),
        Some(Position {
            line: 2002,
            column: 46
        }),
        "{e}"
    );
    assert!(e.message().contains("first is at 2002:3"), "{e}");
}

#[test]
fn the_error_message() {
    let doc = "{\"Name\":\"j\",\"Properties\":{\"Type\":\"Export\"},\n\
               \"Export\":{\"BlobList\":{\"BlobPath\":[\"/bob/a\"]}},\n\
               \"Export\":{\"BlobList\":{\"BlobPath\":[\"/bob/b\"]}}}";
    assert_eq!(
        err(doc).to_string(),
        "job.json:3:1: Export: duplicate key \"Export\" (the first is at 2:1): JSON readers \
         differ on which one counts, so the job could export something other than what \
         blobsel reads; remove one of them"
    );
}

// ---------------------------------------------------------------------------
// What may repeat

#[test]
fn keys_that_are_not_read_may_repeat() {
    // Unrelated job fields: the selection does not depend on them (docs/semantics.md §1:
    // a job body's other keys are ignored).
    let put = "{\"Name\":\"a\",\"Name\":\"b\",\n\
               \"Properties\":{\"Type\":\"Export\",\"Location\":\"x\",\"Location\":\"y\",\
               \"ReturnAddress\":{\"Name\":\"n\",\"Name\":\"m\"},\
               \"Export\":{},\"Export\":{}},\n\
               \"Export\":{\"BlobList\":{\"BlobPath\":[\"/bob/a\"],\"BlobPathPrefix\":[\"/c/\"]}}}";
    let clean = "{\"Name\":\"a\",\n\
                 \"Properties\":{\"Type\":\"Export\",\"Location\":\"x\"},\n\
                 \"Export\":{\"BlobList\":{\"BlobPath\":[\"/bob/a\"],\"BlobPathPrefix\":[\"/c/\"]}}}";
    let sel = parse(put).unwrap();
    assert_eq!(sel.form(), Form::PutJobBody);
    assert_eq!(keys(&sel), keys(&parse(clean).unwrap()));
    assert_eq!(
        keys(&sel),
        vec![
            (RuleKind::Path, "/bob/a".to_string()),
            (RuleKind::Prefix, "/c/".to_string())
        ]
    );

    let arm = "{\"name\":\"a\",\"name\":\"b\",\"tags\":{},\"tags\":{},\n\
               \"properties\":{\"location\":\"x\",\"location\":\"y\",\"jobType\":\"Export\",\
               \"export\":{\"blobListBlobPath\":\"bob/list.xml\"}}}";
    let sel = parse(arm).unwrap();
    assert_eq!(sel.form(), Form::ArmJob);
    assert_eq!(sel.blob_list_blob_path(), Some("/bob/list.xml"));
}

#[test]
fn keys_differing_in_case_are_duplicates_too() {
    // blobsel reads the exact spelling, the services behind a job read
    // keys in any case: either could be taken.
    let doc = "{\"Properties\":{\"Type\":\"Export\",\"type\":\"Import\"},\
               \"Export\":{\"BlobList\":{\"BlobPath\":[\"/bob/a\"]}}}";
    let e = err(doc);
    assert_eq!(e.kind(), ErrorKind::DuplicateKey, "{e}");
    assert_eq!(e.key_path(), Some("Properties.type"));
    assert!(e.message().contains("spelled \"Type\""), "{e}");
    for doc in [
        "{\"Properties\":{\"Type\":\"Export\"},\"Export\":{\"BlobList\":{\"BlobPath\":[\"/bob/a\"]}},\
          \"export\":{\"BlobList\":{\"BlobPath\":[\"/bob/b\"]}}}",
        "{\"properties\":{\"jobType\":\"Export\",\"export\":{\"blobList\":{\"blobPath\":[\"/bob/a\"]}},\
          \"Export\":{\"blobList\":{\"blobPath\":[\"/bob/b\"]}}}}",
        "{\"properties\":{\"jobType\":\"Export\",\"export\":{\"blobList\":{\"blobPath\":[\"/bob/a\"]}}},\
          \"Properties\":{\"Type\":\"Import\"}}",
    ] {
        assert_eq!(err(doc).kind(), ErrorKind::DuplicateKey, "{doc}");
    }
    // Inside BlobList another spelling is an unknown key, as before.
    let doc = "{\"BlobList\":{\"BlobPath\":[\"/bob/a\"],\"blobPath\":[\"/bob/b\"]}}";
    assert_eq!(err(doc).kind(), ErrorKind::UnknownKey);
}

#[test]
fn valid_documents_still_parse_identically() {
    let expected = vec![
        (RuleKind::Path, "/bob/a".to_string()),
        (RuleKind::Path, "/bob/b".to_string()),
        (RuleKind::Prefix, "/docs/".to_string()),
    ];
    for (doc, form) in [
        (
            "{\"BlobList\":{\"BlobPath\":[\"/bob/a\",\"bob/b\"],\"BlobPathPrefix\":[\"/docs/\"]}}",
            Form::ExportJson,
        ),
        (
            "{\"blobList\":{\"blobPath\":[\"/bob/a\",\"bob/b\"],\"blobPathPrefix\":[\"/docs/\"]}}",
            Form::ExportJson,
        ),
        (
            "{\"Name\":\"j\",\"Properties\":{\"Type\":\"Export\",\"Location\":\"x\"},\n\
             \"Export\":{\"BlobList\":{\"BlobPath\":[\"/bob/a\",\"bob/b\"],\
             \"BlobPathPrefix\":[\"/docs/\"]}}}",
            Form::PutJobBody,
        ),
        (
            "{\"name\":\"j\",\"properties\":{\"jobType\":\"Export\",\"export\":{\"blobList\":\
             {\"blobPath\":[\"/bob/a\",\"bob/b\"],\"blobPathPrefix\":[\"/docs/\"]}}}}",
            Form::ArmJob,
        ),
    ] {
        let sel = parse(doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
        assert_eq!(sel.form(), form, "{doc}");
        assert_eq!(keys(&sel), expected, "{doc}");
        assert_eq!(sel.container_sas(), None);
    }
}

// ---------------------------------------------------------------------------
// ContainerSas

fn with_sas(sas: &str) -> String {
    format!(
        "{{\"Properties\":{{\"Type\":\"Export\",\n  \"ContainerSas\":{sas}}},\n\
         \"Export\":{{\"BlobList\":{{\"BlobPath\":[\"/bob/a\"]}}}}}}"
    )
}

fn sas_err(sas: &str) -> Error {
    let e = err(&with_sas(sas));
    assert_eq!(
        e.position(),
        Some(Position {
            line: 2,
            column: 18
        }),
        "{e}"
    );
    assert_eq!(e.key_path(), Some("Properties.ContainerSas"), "{e}");
    e
}

#[test]
fn an_empty_container_sas_is_an_error_not_no_sas() {
    let e = sas_err("\"\"");
    assert_eq!(e.kind(), ErrorKind::InvalidContainerSas);
    assert_eq!(
        e.to_string(),
        "job.json:2:18: Properties.ContainerSas: empty value: expected the container name, \
         '?' and the SAS token, as in mycontainer?sv=2014-02-14&sr=c&sig=…; remove the key \
         if the job uses StorageAccountKey"
    );
}

#[test]
fn a_container_sas_without_a_token_is_an_error() {
    let e = sas_err("\"bob\"");
    assert_eq!(e.kind(), ErrorKind::InvalidContainerSas);
    assert!(
        e.message().starts_with(
            "no '?', so no SAS token: expected the container name, '?' and the SAS token"
        ),
        "{e}"
    );
    assert!(
        e.message()
            .ends_with("add '?' and the SAS token after the container name"),
        "{e}"
    );

    let e = sas_err("\"sv=2019-02-02&sr=c&sig=SECRET\"");
    assert_eq!(e.kind(), ErrorKind::InvalidContainerSas);
    assert!(
        e.message()
            .contains("looks like the SAS token without its container"),
        "{e}"
    );
    assert!(
        !e.to_string().contains("SECRET"),
        "a signature in a message: {e}"
    );

    let e = sas_err("\"bob?\"");
    assert_eq!(e.kind(), ErrorKind::InvalidContainerSas);
    assert!(
        e.message()
            .starts_with("nothing after '?', so no SAS token"),
        "{e}"
    );

    let e = sas_err("\"https://acct.blob.core.windows.net/bob?sv=1&sig=SECRET\"");
    assert_eq!(e.kind(), ErrorKind::InvalidContainerSas);
    assert!(e.message().starts_with("a URL: "), "{e}");
    assert!(
        e.message()
            .contains("(write \"bob\" and the part from '?' on)"),
        "{e}"
    );
    assert!(
        !e.to_string().contains("SECRET"),
        "a signature in a message: {e}"
    );
}

#[test]
fn other_container_sas_errors_are_unchanged() {
    let e = sas_err("\"Bob?sv=1&sig=SECRET\"");
    assert_eq!(e.kind(), ErrorKind::InvalidContainerName);
    assert!(e.message().contains("did you mean \"bob\""), "{e}");
    assert!(!e.to_string().contains("SECRET"), "{e}");
    let e = sas_err("\"?sv=1&sig=x\"");
    assert_eq!(e.kind(), ErrorKind::InvalidContainerName);
    let e = sas_err("7");
    assert_eq!(e.kind(), ErrorKind::WrongType);
}

#[test]
fn valid_container_sas_forms_still_work() {
    for (sas, container) in [
        ("\"bob?sv=2014-02-14&sr=c&sig=x\"", Some("bob")),
        ("\"bob?x\"", Some("bob")),
        ("null", None),
    ] {
        let doc = with_sas(sas);
        let sel = parse(&doc).unwrap_or_else(|e| panic!("{e}\n{doc}"));
        assert_eq!(sel.container_sas(), container, "{doc}");
        assert_eq!(keys(&sel), vec![(RuleKind::Path, "/bob/a".into())]);
    }
    // Outside the SAS container: still the SAS check's error.
    let doc = with_sas("\"docs?sv=1&sig=x\"");
    assert_eq!(err(&doc).kind(), ErrorKind::OutsideContainerSas);
}
