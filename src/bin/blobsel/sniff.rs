//! Telling a listing from a selection by its first bytes, to catch
//! SELECTION and LISTING given in the wrong order.

use std::io::Read;
use std::path::Path;

/// How many bytes of a file are looked at.
pub const HEAD: u64 = 4096;

/// The first line of `head` that is not blank, without a byte-order mark
/// or line ending.
fn first_line(head: &[u8]) -> &[u8] {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    head.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .find(|l| !l.iter().all(u8::is_ascii_whitespace))
        .unwrap_or(b"")
}

fn contains(head: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(head, needle).is_some()
}

/// Whether the first line is a JSON object with a listing's key (`path`,
/// `container`; a Put Job body's `Name` is not one) and no selection's.
fn jsonl_row(line: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(line) {
        Ok(serde_json::Value::Object(o)) => {
            o.keys().any(|k| k == "path" || k == "container")
                && !o.keys().any(|k| {
                    let k = k.to_ascii_lowercase();
                    k.starts_with("bloblist") || k == "export" || k == "properties"
                })
        }
        _ => false,
    }
}

/// What listing `head` (a file's first bytes) looks like, if it looks
/// like one: "a lines listing", "a jsonl listing", ….
pub fn listing_kind(head: &[u8]) -> Option<&'static str> {
    let line = first_line(head);
    if line.starts_with(b"<") {
        return contains(head, b"<EnumerationResults").then_some("a List Blobs XML listing");
    }
    if line.starts_with(b"{") {
        return jsonl_row(line).then_some("a jsonl listing");
    }
    let text = std::str::from_utf8(line).ok()?;
    if text
        .split(',')
        .any(|f| f.trim().trim_matches('"') == "Name")
    {
        return Some("an inventory CSV listing");
    }
    matches!(blobsel::listing::parse_line(line), Ok(Some(_))).then_some("a lines listing")
}

/// What selection `head` looks like, if it looks like one.
pub fn selection_kind(head: &[u8]) -> Option<&'static str> {
    let line = first_line(head);
    if line.starts_with(b"<") {
        return contains(head, b"<BlobList").then_some("blob list XML");
    }
    if line.starts_with(b"{") && !jsonl_row(line) {
        let keys: [&[u8]; 6] = [
            b"\"BlobList\"",
            b"\"BlobListBlobPath\"",
            b"\"Export\"",
            b"\"blobList\"",
            b"\"blobListBlobPath\"",
            b"\"export\"",
        ];
        return keys
            .iter()
            .any(|k| contains(head, k))
            .then_some("a JSON export job");
    }
    None
}

/// The first bytes of the file at `path`, or nothing if it cannot be read
/// (the reader that opens it later says why).
pub fn head_of(path: &Path) -> Vec<u8> {
    let mut head = Vec::new();
    if let Ok(f) = std::fs::File::open(path) {
        let _ = f.take(HEAD).read_to_end(&mut head);
    }
    head
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_and_selections_are_told_apart() {
        let listings: [(&[u8], &str); 5] = [
            (b"/photos/a.jpg\n/photos/b.jpg\n", "a lines listing"),
            (
                b"\n$root/logo.bmp\t2011-03-09T01:42:34Z\n",
                "a lines listing",
            ),
            (b"{\"path\":\"/a/b\",\"size\":1}\n", "a jsonl listing"),
            (
                b"<?xml version=\"1.0\"?>\n<EnumerationResults ServiceEndpoint=\"x\">",
                "a List Blobs XML listing",
            ),
            (
                b"Name,Content-Length\nphotos/a,1\n",
                "an inventory CSV listing",
            ),
        ];
        for (head, kind) in listings {
            assert_eq!(listing_kind(head), Some(kind), "{head:?}");
            assert_eq!(selection_kind(head), None, "{head:?}");
        }
        let selections: [(&[u8], &str); 4] = [
            (
                b"<BlobList><BlobPath>a/b</BlobPath></BlobList>",
                "blob list XML",
            ),
            (b"<?xml version=\"1.0\"?>\n<BlobList>", "blob list XML"),
            (
                b"{\"BlobList\":{\"BlobPath\":[\"a/b\"]}}",
                "a JSON export job",
            ),
            (
                b"{\n  \"properties\": {\"export\": {}}}",
                "a JSON export job",
            ),
        ];
        for (head, kind) in selections {
            assert_eq!(selection_kind(head), Some(kind), "{head:?}");
            assert_eq!(listing_kind(head), None, "{head:?}");
        }
        assert_eq!(listing_kind(b"hello world"), None);
        assert_eq!(selection_kind(b"/photos/a"), None);
    }
}
