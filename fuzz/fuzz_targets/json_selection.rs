//! Raw bytes into every JSON form (Export fragment, Put Job body, ARM job;
//! detected from content by `Selection::parse`). On success: the rules
//! written as the Export fragment and as an ARM job parse again to the same
//! rules (JSON writes every `BlobPath` before every `BlobPathPrefix`), the
//! blob list XML round trip keeps them in order (unless a rule holds
//! U+FFFE/U+FFFF, which the XML writer must refuse), and a
//! `BlobListBlobPath` survives its own round trip.

#![no_main]

use blobsel::{ErrorKind, Form, ParseOptions, RuleKind, Selection};
use libfuzzer_sys::fuzz_target;

#[path = "../common/mod.rs"]
mod common;

const TARGET: &str = "json_selection";

fuzz_target!(|data: &[u8]| {
    if data.len() > common::MAX_INPUT {
        return;
    }
    let fail = |what: String| -> ! { common::fail(TARGET, data, &what) };

    // Without the 32 KiB limit too: the limit must be the only difference.
    let lenient = ParseOptions::default()
        .enforce_inline_limit(false)
        .parse(data, "job.json");
    let sel = match Selection::parse(data, "job.json") {
        Ok(sel) => sel,
        Err(e) => {
            let _ = e.to_string();
            if e.source_name() != Some("job.json") {
                fail(format!("error without its source name: {e}"));
            }
            match (&lenient, e.kind()) {
                (Ok(_), ErrorKind::InlineBlobListTooLarge) | (Err(_), _) => {}
                (Ok(_), _) => fail(format!(
                    "only the inline limit may make the default options stricter, \
                     but they say: {e}"
                )),
            }
            return;
        }
    };
    if lenient.is_err() {
        fail("the lenient options reject what the default ones accept".into());
    }
    if sel.form() == Form::BlobListXml {
        return; // the XML target covers it
    }

    if sel.needs_blob_list() {
        let path = sel
            .blob_list_blob_path()
            .unwrap_or_else(|| fail("no path".into()));
        if sel.rules().is_ok() {
            fail("rules() succeeds before the blob list is supplied".into());
        }
        for camel in [false, true] {
            let json = Selection::to_export_json_with_blob_list_path(path, camel)
                .unwrap_or_else(|e| fail(format!("cannot write BlobListBlobPath {path:?}: {e}")));
            let again = Selection::parse(json.as_bytes(), "written.json")
                .unwrap_or_else(|e| fail(format!("the written JSON does not parse: {e}\n{json}")));
            if again.blob_list_blob_path() != Some(path) {
                fail(format!(
                    "BlobListBlobPath {path:?} came back as {:?}\n{json}",
                    again.blob_list_blob_path()
                ));
            }
        }
        return;
    }
    let rules = sel
        .rules()
        .unwrap_or_else(|e| fail(format!("no rules and no blob list blob: {e}")));
    if rules.iter().any(|r| {
        matches!(
            r.kind(),
            RuleKind::PathWithoutSnapshots | RuleKind::Snapshot(_)
        )
    }) {
        fail("a JSON selection has a rule with snapshot attributes".into());
    }

    // JSON writes the paths first, then the prefixes, each in order.
    let mut expected = common::keys(rules);
    expected.sort_by_key(|(kind, _)| *kind == RuleKind::Prefix);
    for (camel, form) in [(false, Form::ExportJson), (true, Form::ArmJob)] {
        let written = if camel {
            sel.to_arm_json()
        } else {
            sel.to_export_json()
        };
        let json = match written {
            Ok(json) => json,
            Err(e) if e.kind() == ErrorKind::InlineBlobListTooLarge => continue,
            Err(e) => fail(format!("cannot write the JSON (camel: {camel}): {e}")),
        };
        let again = Selection::parse(json.as_bytes(), "written.json").unwrap_or_else(|e| {
            fail(format!(
                "the written JSON does not parse: {e}\nwritten:\n{json}"
            ))
        });
        if again.form() != form {
            fail(format!("written as {form:?}, read as {:?}", again.form()));
        }
        let got = common::keys(again.rules().unwrap_or_else(|e| fail(format!("{e}"))));
        if got != expected {
            fail(format!(
                "JSON round trip changed the rules:\n  expected: {expected:?}\n  got:      \
                 {got:?}\nwritten:\n{json}"
            ));
        }
    }

    // JSON can name a blob whose name XML cannot carry (U+FFFE, U+FFFF);
    // the XML writer must refuse exactly those selections.
    let xml_can_carry = !rules
        .iter()
        .any(|r| r.text().contains(['\u{FFFE}', '\u{FFFF}']));
    match (sel.to_blob_list_xml(), xml_can_carry) {
        (Ok(xml), true) => {
            let again = Selection::parse(xml.as_bytes(), "written.xml")
                .unwrap_or_else(|e| fail(format!("the written XML does not parse: {e}\n{xml}")));
            let got = common::keys(again.rules().unwrap_or_else(|e| fail(format!("{e}"))));
            if got != common::keys(rules) {
                fail(format!(
                    "XML round trip changed the rules:\n  read:    {:?}\n  re-read: {got:?}\n{xml}",
                    common::keys(rules)
                ));
            }
        }
        (Err(e), false) if e.kind() == ErrorKind::Unrepresentable => {}
        (Ok(xml), false) => fail(format!("XML written with U+FFFE/U+FFFF:\n{xml}")),
        (Err(e), _) => fail(format!("to_blob_list_xml failed: {e}")),
    }

    let _ = sel
        .compile()
        .unwrap_or_else(|e| fail(format!("a parsed selection does not compile: {e}")));
    let _ = sel.plan();
});
