//! Raw bytes into the blob list XML reader. The fast path for entries in
//! the usual shape and the full XML reader alone give the same outcome
//! (rules with their origins, non-UTC snapshot times, every error with its
//! position), stopping at the first error and collecting them. On success:
//! the selection written back as XML parses again to the same rules, in the
//! same order; the blob-list-blob path (`supply_blob_list`) reads the same
//! rules.

#![no_main]

use std::fmt::Write as _;

use blobsel::{Form, ParseOptions, Selection};
use libfuzzer_sys::fuzz_target;

#[path = "../common/mod.rs"]
mod common;

const TARGET: &str = "xml_selection";

/// Everything a reading gives, as text: each rule (kind, text, origin) and
/// non-UTC snapshot time, or each error with its kind and position.
fn outcome(result: Result<Selection, Vec<blobsel::Error>>) -> String {
    let mut out = String::new();
    match result {
        Ok(sel) => match sel.rules() {
            Ok(rules) => {
                for r in rules {
                    let _ = writeln!(out, "{r:?}");
                }
                for (r, t) in sel.non_utc_snapshot_times() {
                    let _ = writeln!(out, "offset {} {t}", r.origin());
                }
            }
            Err(e) => {
                let _ = writeln!(out, "rules: {e}");
            }
        },
        Err(errors) => {
            for e in errors {
                let _ = writeln!(out, "error {:?} {:?} {e}", e.kind(), e.position());
            }
        }
    }
    out
}

/// The fast path reads what the full reader alone reads; `Err` says how
/// they differ.
fn fast_path_agrees(data: &[u8]) -> Result<(), String> {
    let mut full = ParseOptions::default();
    full.xml_fast_path(false);
    let fast = ParseOptions::default();
    let parse = |o: &ParseOptions| outcome(o.parse(data, "list.xml").map_err(|e| vec![e]));
    let check = |o: &ParseOptions| outcome(o.check(data, "list.xml").map_err(|e| e.into_vec()));
    for (what, a, b) in [
        ("parse", parse(&fast), parse(&full)),
        ("check", check(&fast), check(&full)),
    ] {
        if a != b {
            return Err(format!(
                "{what}: the fast path and the full reader differ:\n  fast: {a}\n  full: {b}"
            ));
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    if data.len() > common::MAX_INPUT {
        return;
    }
    let fail = |what: String| -> ! { common::fail(TARGET, data, &what) };
    if let Err(what) = fast_path_agrees(data) {
        fail(what);
    }

    // The same bytes as the content of a blob list blob: the XML reader
    // without the form detection in front of it.
    let mut named = Selection::parse(
        &br#"{"BlobListBlobPath": "lists/list.xml"}"#[..],
        "job.json",
    )
    .unwrap_or_else(|e| fail(format!("the fixed job does not parse: {e}")));
    let supplied = named.supply_blob_list(data, "list.xml");

    let sel = match Selection::parse(data, "list.xml") {
        Ok(sel) => sel,
        Err(e) => {
            let _ = e.to_string();
            if e.source_name() != Some("list.xml") {
                fail(format!("error without its source name: {e}"));
            }
            return;
        }
    };
    if sel.form() != Form::BlobListXml {
        return; // the JSON forms have their own target
    }
    let rules = sel
        .rules()
        .unwrap_or_else(|e| fail(format!("an XML selection has no rules: {e}")));
    match &supplied {
        Ok(()) => {
            let other = named.rules().unwrap_or_else(|e| fail(format!("{e}")));
            if common::keys(rules) != common::keys(other) {
                fail(format!(
                    "Selection::parse and supply_blob_list read different rules:\n  \
                     {:?}\n  {:?}",
                    common::keys(rules),
                    common::keys(other)
                ));
            }
        }
        Err(e) => fail(format!(
            "Selection::parse accepts the XML but supply_blob_list says: {e}"
        )),
    }

    // Round trip through the writer.
    let xml = sel
        .to_blob_list_xml()
        .unwrap_or_else(|e| fail(format!("to_blob_list_xml failed: {e}")));
    let again = Selection::parse(xml.as_bytes(), "written.xml").unwrap_or_else(|e| {
        fail(format!(
            "the written XML does not parse: {e}\nwritten:\n{xml}"
        ))
    });
    let again_rules = again.rules().unwrap_or_else(|e| fail(format!("{e}")));
    if common::keys(rules) != common::keys(again_rules) {
        fail(format!(
            "XML round trip changed the rules:\n  read:    {:?}\n  re-read: {:?}\nwritten:\n{xml}",
            common::keys(rules),
            common::keys(again_rules)
        ));
    }
    let rewritten = again
        .to_blob_list_xml()
        .unwrap_or_else(|e| fail(format!("{e}")));
    if rewritten != xml {
        fail(format!("writing is not stable:\n{xml}\nthen\n{rewritten}"));
    }

    // (Compiling is left to matcher_differential: building an fst costs
    // more than everything else here.)
    for rule in rules {
        let _ = rule.never_matches();
        let _ = rule.to_string();
    }
    let _ = sel.plan();
});
