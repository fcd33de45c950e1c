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
//! | `last_modified` | when the blob was last modified: ISO 8601 (`2026-11-25T22:12:51Z`) or RFC 1123 (`Wed, 25 Nov 2026 22:12:51 GMT`) |
//!
//! `null` (and an empty string) means absent. Blank lines are skipped.
//! Keys are case-sensitive. Any other key is an error with its line and
//! column, that names the key meant when it looks like a misspelling
//! (`Size`, `snapshottime`); `rule`, which blobsel's own `--output jsonl`
//! writes, is skipped so that output reads back. With
//! [`JsonlReader::ignore_unknown_keys`], other keys are skipped too, and
//! only near misses are errors.

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
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

/// A key blobsel reads, by the field it fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Path,
    Container,
    Name,
    Snapshot,
    Size,
    BlobType,
    LeaseState,
    Leased,
    VersionId,
    IsCurrentVersion,
    Committed,
    LastModified,
    /// A key blobsel's own `--output jsonl` writes and the reader skips.
    Output,
}

/// Every key (and alias) a row may have. Keys are case-sensitive.
const KEYS: [(&str, Key); 22] = [
    ("path", Key::Path),
    ("container", Key::Container),
    ("name", Key::Name),
    ("snapshot", Key::Snapshot),
    ("size", Key::Size),
    ("contentLength", Key::Size),
    ("Content-Length", Key::Size),
    ("blob_type", Key::BlobType),
    ("blobType", Key::BlobType),
    ("lease_state", Key::LeaseState),
    ("leaseState", Key::LeaseState),
    ("leased", Key::Leased),
    ("version_id", Key::VersionId),
    ("versionId", Key::VersionId),
    ("is_current_version", Key::IsCurrentVersion),
    ("isCurrentVersion", Key::IsCurrentVersion),
    ("committed", Key::Committed),
    ("last_modified", Key::LastModified),
    ("lastModified", Key::LastModified),
    ("rule", Key::Output),
    ("reason", Key::Output),
    ("larger_than_drive", Key::Output),
];

/// The key names, for near misses.
const KEY_NAMES: [&str; KEYS.len()] = {
    let mut names = [""; KEYS.len()];
    let mut i = 0;
    while i < KEYS.len() {
        names[i] = KEYS[i].0;
        i += 1;
    }
    names
};

fn key(name: &str) -> Option<Key> {
    KEYS.iter().find(|(k, _)| *k == name).map(|&(_, key)| key)
}

/// A key blobsel does not read, refused: where it is among the object's
/// keys, and the known key it looks like.
struct Refused<'a> {
    index: usize,
    key: Text<'a>,
    near: Option<&'static str>,
}

/// One line's object; every key optional.
#[derive(Default)]
struct Row<'a> {
    path: Option<Text<'a>>,
    container: Option<Text<'a>>,
    name: Option<Text<'a>>,
    snapshot: Option<Text<'a>>,
    size: Option<u64>,
    blob_type: Option<Text<'a>>,
    lease_state: Option<Text<'a>>,
    leased: Option<bool>,
    version_id: Option<Text<'a>>,
    is_current_version: Option<bool>,
    committed: Option<bool>,
    last_modified: Option<Text<'a>>,
    /// The first key refused.
    refused: Option<Refused<'a>>,
    /// Whether keys were skipped (with `ignore_unknown_keys`).
    ignored: bool,
}

/// Reads a [`Row`]: every key known, or refused, or (with
/// `ignore_unknown_keys`, when it is no near miss of a known one) skipped.
struct RowVisitor {
    ignore_unknown_keys: bool,
}

impl<'de> Visitor<'de> for RowVisitor {
    type Value = Row<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Row<'de>, A::Error> {
        let mut row = Row::default();
        let mut seen = 0u32;
        let mut index = 0;
        while let Some(name) = map.next_key::<Text<'de>>()? {
            index += 1;
            let Some(k) = key(&name.0) else {
                map.next_value::<IgnoredAny>()?;
                if row.refused.is_none() {
                    let near = crate::suggest::closest(&name.0, &KEY_NAMES);
                    if near.is_some() || !self.ignore_unknown_keys {
                        row.refused = Some(Refused {
                            index: index - 1,
                            key: name,
                            near,
                        });
                    } else {
                        row.ignored = true;
                    }
                }
                continue;
            };
            let bit = 1 << k as u32;
            if seen & bit != 0 {
                return Err(de::Error::custom(format_args!(
                    "duplicate key {}: a key (or one of its aliases) is given once",
                    quoted(&name.0)
                )));
            }
            seen |= bit;
            match k {
                Key::Path => row.path = map.next_value()?,
                Key::Container => row.container = map.next_value()?,
                Key::Name => row.name = map.next_value()?,
                Key::Snapshot => row.snapshot = map.next_value()?,
                Key::Size => row.size = map.next_value()?,
                Key::BlobType => row.blob_type = map.next_value()?,
                Key::LeaseState => row.lease_state = map.next_value()?,
                Key::Leased => row.leased = map.next_value()?,
                Key::VersionId => row.version_id = map.next_value()?,
                Key::IsCurrentVersion => row.is_current_version = map.next_value()?,
                Key::Committed => row.committed = map.next_value()?,
                Key::LastModified => row.last_modified = map.next_value()?,
                Key::Output => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(row)
    }
}

impl Refused<'_> {
    /// The error for this key.
    fn error(&self, ignoring: bool) -> Error {
        let key = quoted(&self.key.0);
        let message = match self.near {
            Some(near) if near.eq_ignore_ascii_case(&self.key.0) => format!(
                "unknown key {key}: did you mean {}? (keys are case-sensitive)",
                quoted(near)
            ),
            Some(near) if ignoring => format!(
                "unknown key {key}: did you mean {}? (--ignore-unknown-keys skips \
                 only keys unlike those blobsel reads)",
                quoted(near)
            ),
            Some(near) => format!("unknown key {key}: did you mean {}?", quoted(near)),
            None => format!(
                "unknown key {key}: blobsel reads path (or container and name), \
                 snapshot, size, blob_type, lease_state, leased, version_id, \
                 is_current_version, committed and last_modified; to skip other keys, give \
                 --ignore-unknown-keys"
            ),
        };
        invalid(message)
    }
}

/// The byte offset of the opening quote of the `index`-th key (0-based)
/// of the JSON object `line` holds.
fn key_offset(line: &[u8], index: usize) -> Option<usize> {
    let (mut depth, mut expect_key, mut keys) = (0usize, false, 0usize);
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b'"' => {
                if depth == 1 && expect_key {
                    if keys == index {
                        return Some(i);
                    }
                    keys += 1;
                    expect_key = false;
                }
                i += 1;
                while i < line.len() && line[i] != b'"' {
                    i += if line[i] == b'\\' { 2 } else { 1 };
                }
            }
            open @ (b'{' | b'[') => {
                depth += 1;
                expect_key = depth == 1 && open == b'{';
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expect_key = true,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The value of an optional string key: `None` when absent, null or empty.
fn present<'r>(value: &'r Option<Text<'_>>) -> Option<&'r str> {
    value
        .as_ref()
        .map(|t| t.0.as_ref())
        .filter(|s| !s.is_empty())
}

/// Fills `entry` from one line's JSON object (not blank); `Ok(true)` when
/// keys were skipped. Errors carry the column for JSON errors and refused
/// keys, nothing else.
fn parse_object(
    line: &[u8],
    entry: &mut ListingEntry,
    ignore_unknown_keys: bool,
) -> Result<bool, (Error, Option<u32>)> {
    if let Err(e) = std::str::from_utf8(line) {
        let column = Position::from_offset(line, e.valid_up_to()).column;
        let message =
            "invalid UTF-8: listings are UTF-8 text (convert the file, e.g. with iconv -t UTF-8)";
        return Err((Error::new(ErrorKind::Encoding, message), Some(column)));
    }
    // Only an object is a row.
    if let Some(at) = line.iter().position(|b| !b.is_ascii_whitespace()) {
        if line[at] != b'{' {
            let column = Position::from_offset(line, at).column;
            let message = "not a JSON object: each line must be one JSON object like \
                           {\"path\": \"/photos/a.jpg\"}";
            return Err((Error::new(ErrorKind::InvalidListing, message), Some(column)));
        }
    }
    let mut de = serde_json::Deserializer::from_slice(line);
    let row = (&mut de)
        .deserialize_map(RowVisitor {
            ignore_unknown_keys,
        })
        .and_then(|row| de.end().map(|()| row))
        .map_err(|e| {
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
    if let Some(refused) = &row.refused {
        let column =
            key_offset(line, refused.index).map(|at| Position::from_offset(line, at).column);
        return Err((refused.error(ignore_unknown_keys), column));
    }
    fill(&row, entry).map_err(|e| (e, None))?;
    Ok(row.ignored)
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
    entry.last_modified = present(&row.last_modified)
        .map(crate::listing::parse_last_modified)
        .transpose()?;
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
    ignore_unknown_keys: bool,
    ignored_rows: u64,
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
            ignore_unknown_keys: false,
            ignored_rows: 0,
        }
    }

    /// With `true`, keys blobsel does not read are skipped (and the rows
    /// that had them counted: [`ListingReader::rows_with_ignored_keys`])
    /// instead of refused; a key that looks like a misspelling of one it
    /// reads (`Size`, `snapshottime`) is still an error. Off by default.
    pub fn ignore_unknown_keys(mut self, yes: bool) -> JsonlReader<R> {
        self.ignore_unknown_keys = yes;
        self
    }
}

impl<R: BufRead> ListingReader for JsonlReader<R> {
    fn rows_with_ignored_keys(&self) -> u64 {
        self.ignored_rows
    }

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
            return match parse_object(bytes, entry, self.ignore_unknown_keys) {
                Ok(ignored) => {
                    self.ignored_rows += u64::from(ignored);
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

        // "rule" (blobsel's own output has it) is skipped.
        let e = one(r#"{"rule":"/photos/","path":"/photos/a","Content-Length":3,"leased":true}"#)
            .unwrap();
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

    /// Reads `line` as line 2 of a file, with or without skipping keys.
    fn second(line: &str, ignore: bool) -> Result<(Vec<ListingEntry>, u64), Error> {
        let input = format!("{{\"path\":\"/photos/ok\"}}\n{line}\n");
        let mut reader = JsonlReader::new(input.as_bytes(), "test.in").ignore_unknown_keys(ignore);
        let mut entry = ListingEntry::default();
        let mut out = Vec::new();
        while reader.read_entry(&mut entry)? {
            out.push(entry.clone());
        }
        Ok((out, reader.rows_with_ignored_keys()))
    }

    #[test]
    fn unknown_keys_are_refused_where_they_are() {
        // (line 2, the column of the key, what the message says)
        for (line, column, says) in [
            (
                r#"{"path":"/docs/plan.xlsx","snapshottime":"2011-03-09T01:42:34Z","Size":5}"#,
                27,
                r#"unknown key "snapshottime": did you mean "snapshot"?"#,
            ),
            (
                r#"{"path":"/docs/plan.xlsx","Size":5}"#,
                27,
                r#"unknown key "Size": did you mean "size"? (keys are case-sensitive)"#,
            ),
            (
                r#"{"path":"/docs/plan.xlsx","lease":"leased"}"#,
                27,
                r#"did you mean "leased"?"#,
            ),
            (
                r#"{"path":"/docs/é","rule":{"a":"}","b":[1,{"c":2}]},"lease_sate":"leased"}"#,
                52,
                r#"unknown key "lease_sate": did you mean "lease_state"?"#,
            ),
            (
                r#"{ "etag" : "x", "path":"/docs/a"}"#,
                3,
                r#"unknown key "etag": blobsel reads path"#,
            ),
            (
                r#"{"path":"/docs/a","Path":"/docs/a"}"#,
                19,
                r#"did you mean "path"?"#,
            ),
            (
                r#"{"p\u0061th":"/docs/a","pa\"th":1}"#,
                24,
                r#"unknown key "pa\"th": did you mean "path"?"#,
            ),
        ] {
            let e = second(line, false).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidListing, "{line}: {e}");
            assert!(
                e.to_string().starts_with(&format!("test.in:2:{column}: ")),
                "{line}: {e}"
            );
            assert!(e.message().contains(says), "{line}: {e}");
        }
    }

    #[test]
    fn last_modified_is_read() {
        let t = Some("2026-11-25T22:12:51Z".parse().unwrap());
        let e = one(r#"{"path":"/c00/a","last_modified":"2026-11-25T22:12:51Z"}"#).unwrap();
        assert_eq!(e.last_modified, t);
        let e = one(r#"{"path":"/c00/a","lastModified":"Wed, 25 Nov 2026 22:12:51 GMT"}"#).unwrap();
        assert_eq!(e.last_modified, t);
        let e = one(r#"{"path":"/c00/a","last_modified":null}"#).unwrap();
        assert_eq!(e.last_modified, None);
        let e = one(r#"{"path":"/c00/a","last_modified":"not a date"}"#).unwrap_err();
        assert!(e.message().contains("Last-Modified: invalid time"), "{e}");
        let e = one(r#"{"path":"/c00/a","last_modifed":"2026-11-25T22:12:51Z"}"#).unwrap_err();
        assert!(
            e.message().contains("did you mean \"last_modified\""),
            "{e}"
        );
    }

    #[test]
    fn ignoring_unknown_keys_skips_other_tools_keys_but_not_misspellings() {
        let (rows, ignored) = second(
            r#"{"path":"/docs/a","etag":"0x8D","creationTime":"x","size":5}"#,
            true,
        )
        .unwrap();
        assert_eq!((rows.len(), rows[1].size, ignored), (2, Some(5), 1));
        let e = second(r#"{"path":"/docs/a","etag":"0x8D","Size":5}"#, true).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("test.in:2:33: unknown key \"Size\": did you mean \"size\"?"),
            "{e}"
        );
        let e = second(r#"{"path":"/docs/a","snapshottime":"x"}"#, true).unwrap_err();
        assert!(
            e.message().contains("--ignore-unknown-keys skips only"),
            "{e}"
        );
        // Without the option, the same row is refused.
        assert!(second(r#"{"path":"/docs/a","etag":"0x8D"}"#, false).is_err());
    }
}
