//! Helpers shared by the fuzz targets (each includes this file with
//! `#[path = "../common/mod.rs"] mod common;`).

#![allow(dead_code)]

use blobsel::{Rule, RuleKind};

/// What a round trip must keep of each rule: its kind and canonical text.
pub fn keys(rules: &[Rule]) -> Vec<(RuleKind, String)> {
    rules
        .iter()
        .map(|r| (r.kind(), r.text().to_string()))
        .collect()
}

/// Inputs larger than this are skipped: big inputs only slow the fuzzer
/// down, and the hostile-input tests cover size on their own.
pub const MAX_INPUT: usize = 64 * 1024;

/// `bytes` as a Rust byte-string literal (`b"..."`) that can be pasted into
/// a test as is.
pub fn bytes_literal(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 3);
    s.push_str("b\"");
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

/// `text` as a Rust string literal (`"..."`, escapes as `{:?}` writes them).
pub fn str_literal(text: &str) -> String {
    format!("{text:?}")
}

/// Panics with a reproducer: what went wrong, and the input as a literal
/// ready for `tests/fuzz_regressions.rs`.
pub fn fail(target: &str, input: &[u8], what: &str) -> ! {
    panic!(
        "\n{target}: {what}\n\nreproducer (paste into tests/fuzz_regressions.rs):\n\
         let input: &[u8] = {};\n",
        bytes_literal(input)
    )
}
