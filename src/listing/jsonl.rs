//! The `jsonl` listing format: one JSON object a line.
//!
//! Keys, each also accepted in camelCase (and the sizes under Azure's own
//! names):
//!
//! | key | value |
//! |---|---|
//! | `path` | `/container/blob` or `container/blob` |
//! | `container`, `name` | instead of (or agreeing with) `path` |
//! | `snapshot` | a snapshot time |
//! | `size` (`contentLength`, `Content-Length`) | bytes |
//! | `blob_type` | `BlockBlob`, `PageBlob` or `AppendBlob` |
//! | `lease_state` / `leased` | `leased` or `breaking` (or `true`) means leased |
//! | `version_id`, `is_current_version` | blob versions: a row with a version id is the current version only with `is_current_version` `true` (as the service writes it) |
//! | `committed` | `false` for an uncommitted blob |
//!
//! `null` (and an empty string) means absent. Unknown keys are ignored, so
//! blobsel's own `--output jsonl` reads back. Blank lines are skipped.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;

use serde::de::{Deserializer, Visitor};
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Position};
use crate::listing::{invalid, io_error, parse_snapshot, quoted};
use crate::listing::{parse_blob_type, parse_lease_state, ListingEntry, ListingReader};

/// A string borrowed from the line when it has no escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'a>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// One line's object; every key optional.
#[derive(Deserialize)]
struct Row<'a> {
    #[serde(borrow, default)]
    path: Option<Text<'a>>,
    #[serde(borrow, default)]
    container: Option<Text<'a>>,
    #[serde(borrow, default)]
    name: Option<Text<'a>>,
    #[serde(borrow, default)]
    snapshot: Option<Text<'a>>,
    #[serde(default, alias = "contentLength", alias = "Content-Length")]
    size: Option<u64>,
    #[serde(borrow, default, alias = "blobType")]
    blob_type: Option<Text<'a>>,
    #[serde(borrow, default, alias = "leaseState")]
    lease_state: Option<Text<'a>>,
    #[serde(default)]
    leased: Option<bool>,
    #[serde(borrow, default, alias = "versionId")]
    version_id: Option<Text<'a>>,
    #[serde(default, alias = "isCurrentVersion")]
    is_current_version: Option<bool>,
    #[serde(default)]
    committed: Option<bool>,
}

/// The value of an optional string key: `None` when absent, null or empty.
fn present<'r>(value: &'r Option<Text<'_>>) -> Option<&'r str> {
    value
        .as_ref()
        .map(|t| t.0.as_ref())
        .filter(|s| !s.is_empty())
}

/// Fills `entry` from one line's JSON object (not blank). Errors carry the
/// column for JSON errors, nothing else.
fn parse_object(line: &[u8], entry: &mut ListingEntry) -> Result<(), (Error, Option<u32>)> {
    if let Err(e) = std::str::from_utf8(line) {
        let column = Position::from_offset(line, e.valid_up_to()).column;
        let message =
            "invalid UTF-8: listings are UTF-8 text (convert the file, e.g. with iconv -t UTF-8)";
        return Err((Error::new(ErrorKind::Encoding, message), Some(column)));
    }
    // A derived struct also takes a JSON array (fields in order): only an
    // object is a row.
    if let Some(at) = line.iter().position(|b| !b.is_ascii_whitespace()) {
        if line[at] != b'{' {
            let column = Position::from_offset(line, at).column;
            let message = "not a JSON object: each line must be one JSON object like \
                           {\"path\": \"/photos/a.jpg\"}";
            return Err((Error::new(ErrorKind::InvalidListing, message), Some(column)));
        }
    }
    let row: Row<'_> = serde_json::from_slice(line).map_err(|e| {
        let kind = match e.classify() {
            serde_json::error::Category::Data => ErrorKind::InvalidListing,
            serde_json::error::Category::Io => ErrorKind::Io,
            _ => ErrorKind::Syntax,
        };
        let text = e.to_string();
        let message = match text.rfind(" at line ") {
            Some(at) => &text[..at],
            None => &text,
        };
        let message = format!(
            "{message}: each line must be one JSON object like \
             {{\"path\": \"/photos/a.jpg\"}}"
        );
        let column = u32::try_from(e.column()).unwrap_or(u32::MAX).max(1);
        (Error::new(kind, message), Some(column))
    })?;
    fill(&row, entry).map_err(|e| (e, None))
}

fn fill(row: &Row<'_>, entry: &mut ListingEntry) -> Result<(), Error> {
    let container = present(&row.container);
    let name = row.name.as_ref().map(|t| t.0.as_ref());
    match (present(&row.path), container, name) {
        (Some(path), None, None) => entry.set_blob_path(path)?,
        (None, Some(container), Some(name)) => entry.set_blob(container, name)?,
        (Some(path), Some(container), Some(name)) => {
            entry.set_blob_path(path)?;
            if entry.container() != container || entry.name() != name {
                return Err(invalid(format!(
                    "\"path\" {} disagrees with \"container\" {} and \"name\" {}: \
                     give one or the other",
                    quoted(path),
                    quoted(container),
                    quoted(name)
                )));
            }
        }
        (None, None, None) => {
            return Err(invalid(
                "no blob path: each line needs \"path\" (or \"container\" and \"name\")"
                    .to_string(),
            ))
        }
        _ => {
            return Err(invalid(
                "\"container\" and \"name\" go together (or give \"path\" alone)".to_string(),
            ))
        }
    }
    if let Some(s) = present(&row.snapshot) {
        entry.snapshot = Some(parse_snapshot(s)?);
    }
    entry.size = row.size;
    entry.blob_type = present(&row.blob_type).map(parse_blob_type).transpose()?;
    entry.leased = match (row.leased, present(&row.lease_state)) {
        (Some(leased), _) => Some(leased),
        (None, Some(state)) => Some(parse_lease_state(state)?),
        (None, None) => None,
    };
    entry.version_id = present(&row.version_id).map(str::to_string);
    // As the service (and its SDKs) write it: only the current version says
    // so; a version without the flag is a previous one.
    entry.is_current_version = match row.is_current_version {
        None if entry.version_id.is_some() => Some(false),
        flag => flag,
    };
    entry.committed = row.committed;
    Ok(())
}

/// Reads a `jsonl` listing from any [`BufRead`], one line buffer reused.
#[derive(Debug)]
pub struct JsonlReader<R: BufRead> {
    reader: R,
    source: String,
    buf: Vec<u8>,
    line: u64,
}

impl<R: BufRead> JsonlReader<R> {
    /// A reader of `reader`; `source_name` (a file name, or `<stdin>`) is
    /// what errors name.
    pub fn new(reader: R, source_name: impl Into<String>) -> JsonlReader<R> {
        JsonlReader {
            reader,
            source: source_name.into(),
            buf: Vec::with_capacity(256),
            line: 0,
        }
    }
}

impl<R: BufRead> ListingReader for JsonlReader<R> {
    fn read_entry(&mut self, entry: &mut ListingEntry) -> Result<bool, Error> {
        entry.clear();
        loop {
            self.buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| io_error(&e, &self.source, self.line + 1))?;
            if n == 0 {
                return Ok(false);
            }
            self.line += 1;
            let mut bytes = self.buf.as_slice();
            if self.line == 1 {
                bytes = crate::text::strip_bom(bytes);
            }
            while let Some((b'\n' | b'\r', rest)) = bytes.split_last() {
                bytes = rest;
            }
            if bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return match parse_object(bytes, entry) {
                Ok(()) => {
                    entry.line = self.line;
                    Ok(true)
                }
                Err((e, column)) => {
                    let e = match column {
                        Some(column) => e.at(Position {
                            line: u32::try_from(self.line).unwrap_or(u32::MAX),
                            column,
                        }),
                        None => e.at_line(self.line),
                    };
                    Err(e.in_source(self.source.as_str()))
                }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listing::test_util::{kind_line, paths, read_all};
    use crate::listing::{BlobType, ListingFormat};

    fn one(line: &str) -> Result<ListingEntry, Error> {
        read_all(ListingFormat::Jsonl, line.as_bytes()).map(|mut v| {
            assert_eq!(v.len(), 1);
            v.remove(0)
        })
    }

    #[test]
    fn good_objects() {
        let e = one(r#"{"path":"/photos/a.jpg"}"#).unwrap();
        assert_eq!(
            (e.path.as_str(), e.line, e.size, e.committed),
            ("/photos/a.jpg", 1, None, None)
        );

        let e = one(
            r#"{"path":"photos/a.jpg","snapshot":"2011-03-09T01:42:34.936Z","size":5,
                "blob_type":"BlockBlob","lease_state":"leased","version_id":"v1",
                "is_current_version":false,"committed":true}"#
                .replace('\n', " ")
                .as_str(),
        )
        .unwrap();
        assert_eq!(
            e.snapshot.unwrap().to_string(),
            "2011-03-09T01:42:34.9360000Z"
        );
        assert_eq!(
            (e.size, e.blob_type, e.leased),
            (Some(5), Some(BlobType::BlockBlob), Some(true))
        );
        assert_eq!(
            (e.version_id.as_deref(), e.is_current_version, e.committed),
            (Some("v1"), Some(false), Some(true))
        );

        let e = one(
            r#"{"container":"photos","name":"dir/é.jpg","contentLength":7,"blobType":"PageBlob","leaseState":"available","versionId":null,"isCurrentVersion":true}"#,
        )
        .unwrap();
        assert_eq!((e.container(), e.name()), ("photos", "dir/é.jpg"));
        assert_eq!(
            (e.size, e.blob_type, e.leased),
            (Some(7), Some(BlobType::PageBlob), Some(false))
        );
        assert_eq!((e.version_id, e.is_current_version), (None, Some(true)));

        // Unknown keys (blobsel's own output has "rule") are ignored.
        let e = one(r#"{"rule":"/photos/","path":"/photos/a","Content-Length":3,"leased":true,"extra":{"x":[1]}}"#).unwrap();
        assert_eq!((e.size, e.leased), (Some(3), Some(true)));
        // Escapes, nulls, empty strings, path agreeing with container and name.
        let e = one(r#"{"path":"/photos/a\u00e9\"b","snapshot":null,"size":null,"blob_type":""}"#)
            .unwrap();
        assert_eq!(
            (e.name(), e.snapshot, e.size, e.blob_type),
            ("aé\"b", None, None, None)
        );
        let e = one(r#"{"path":"/$root/logo.bmp","container":"$root","name":"logo.bmp"}"#).unwrap();
        assert_eq!(e.path, "/$root/logo.bmp");
    }

    #[test]
    fn a_version_is_current_only_when_it_says_so() {
        use crate::listing::Exportability::{Exportable, PreviousVersion};
        for (row, current, kind) in [
            (
                r#"{"path":"/c1c/a","version_id":"v1"}"#,
                Some(false),
                PreviousVersion,
            ),
            (
                r#"{"path":"/c1c/a","version_id":"v1","is_current_version":null}"#,
                Some(false),
                PreviousVersion,
            ),
            (
                r#"{"path":"/c1c/a","version_id":"v2","is_current_version":true}"#,
                Some(true),
                Exportable,
            ),
            (
                r#"{"path":"/c1c/a","version_id":"v1","is_current_version":false}"#,
                Some(false),
                PreviousVersion,
            ),
            (r#"{"path":"/c1c/a"}"#, None, Exportable),
        ] {
            let e = one(row).unwrap();
            assert_eq!(
                (e.is_current_version, e.exportability()),
                (current, kind),
                "{row}"
            );
        }
    }

    #[test]
    fn a_control_character_is_placed_in_the_name_not_the_line() {
        let e = one(r#"{"size":1,"path":"/bob/ab\u0001c"}"#).unwrap_err();
        assert!(
            e.to_string()
                .contains("control character U+0001 at character 3 of the blob name \"ab\\u{1}c\""),
            "{e}"
        );
    }

    #[test]
    fn breaking_leases_hold_and_snapshots_are_never_leased_blobs() {
        for (row, leased, blob) in [
            (
                r#"{"path":"/c1c/a","lease_state":"breaking"}"#,
                Some(true),
                true,
            ),
            (
                r#"{"path":"/c1c/a","lease_state":"broken"}"#,
                Some(false),
                false,
            ),
            (
                r#"{"path":"/c1c/a","lease_state":"expired"}"#,
                Some(false),
                false,
            ),
            (
                r#"{"path":"/c1c/a","leased":true,"snapshot":"2011-03-09T01:42:34Z"}"#,
                Some(true),
                false,
            ),
        ] {
            let e = one(row).unwrap();
            assert_eq!((e.leased, e.is_leased_blob()), (leased, blob), "{row}");
        }
    }

    #[test]
    fn lines_blanks_and_crlf() {
        let input = "\u{FEFF}{\"path\":\"/photos/a\"}\r\n\r\n  \t\n{\"path\":\"/photos/b\",\"snapshot\":\"2011-03-09T02:42:34.936+01:00\"}";
        let entries = read_all(ListingFormat::Jsonl, input.as_bytes()).unwrap();
        assert_eq!(
            paths(&entries),
            ["/photos/a", "/photos/b@2011-03-09T01:42:34.9360000Z"]
        );
        assert_eq!(entries.iter().map(|e| e.line).collect::<Vec<_>>(), [1, 4]);
    }

    #[test]
    fn bad_objects() {
        // (line 2 of the input, kind, column when a JSON error)
        let cases: &[(&[u8], ErrorKind, Option<u32>)] = &[
            (br#"{"path":"/photos"}"#, ErrorKind::InvalidListing, None),
            (br#"{"path":"/Photos/a"}"#, ErrorKind::InvalidListing, None),
            (
                br#"{"path":"/photos/a\tb"}"#,
                ErrorKind::InvalidListing,
                None,
            ),
            (
                br#"{"container":"photos"}"#,
                ErrorKind::InvalidListing,
                None,
            ),
            (br#"{"size":5}"#, ErrorKind::InvalidListing, None),
            (
                br#"{"path":"/photos/a","container":"other","name":"a"}"#,
                ErrorKind::InvalidListing,
                None,
            ),
            (
                br#"{"path":"/photos/a","snapshot":"nope"}"#,
                ErrorKind::InvalidListing,
                None,
            ),
            (
                br#"{"path":"/photos/a","blob_type":"Blocky"}"#,
                ErrorKind::InvalidListing,
                None,
            ),
            (
                br#"{"path":"/photos/a","lease_state":"locked"}"#,
                ErrorKind::InvalidListing,
                None,
            ),
            (
                br#"{"path":"/photos/a","size":-1}"#,
                ErrorKind::InvalidListing,
                Some(29),
            ),
            (
                br#"{"path":"/photos/a","size":1,"contentLength":2}"#,
                ErrorKind::InvalidListing,
                Some(44),
            ),
            (br#"{"path":5}"#, ErrorKind::InvalidListing, Some(9)),
            (br#"[1,2]"#, ErrorKind::InvalidListing, Some(1)),
            (br#"  ["/photos/a"]"#, ErrorKind::InvalidListing, Some(3)),
            (br#""/photos/a""#, ErrorKind::InvalidListing, Some(1)),
            (b"17", ErrorKind::InvalidListing, Some(1)),
            (br#"{"path":"/photos/a""#, ErrorKind::Syntax, Some(19)),
            (br#"{"path":"/photos/a"} x"#, ErrorKind::Syntax, Some(22)),
            (b"not json", ErrorKind::InvalidListing, Some(1)),
            (b"{path: 1}", ErrorKind::Syntax, Some(2)),
            (
                b"{\"path\":\"/photos/\xc3\xa9\xff\"}",
                ErrorKind::Encoding,
                Some(19),
            ),
        ];
        for &(line, kind, column) in cases {
            let mut input = b"{\"path\":\"/photos/ok\"}\n".to_vec();
            input.extend_from_slice(line);
            input.extend_from_slice(b"\n{\"path\":\"/photos/after\"}\n");
            let e = read_all(ListingFormat::Jsonl, &input).unwrap_err();
            let shown = String::from_utf8_lossy(line);
            assert_eq!(kind_line(&e), (kind, 2), "{shown}: {e}");
            match column {
                Some(c) => assert_eq!(e.position().unwrap().column, c, "{shown}: {e}"),
                None => assert!(e.to_string().starts_with("test.in:2: "), "{e}"),
            }
            assert!(!e.message().contains(" at line "), "{e}");
        }
    }
}
