//! Small helpers for reading selections.

#![allow(dead_code)]

use std::io::{self, Read};

use blobsel::{Rule, RuleKind, Selection};

/// A reader that returns one byte per `read` call (a slow pipe), to put
/// every check across buffer boundaries.
pub struct OneByte<'a>(pub &'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match (self.0.split_first(), out.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// A rule as `(kind, text)`: what a test compares (not its origin).
pub fn key(rule: &Rule) -> (RuleKind, String) {
    (rule.kind(), rule.text().to_string())
}

/// The rules of `sel` as `(kind, text)`, in selection order.
pub fn keys(sel: &Selection) -> Vec<(RuleKind, String)> {
    sel.rules().expect("rules").iter().map(key).collect()
}
