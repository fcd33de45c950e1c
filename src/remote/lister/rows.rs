//! The rows of a page as they are passed on: each blob's rows together and
//! in one order.

use std::cmp::Ordering;

use crate::listing::ListingEntry;

/// Compares two names in the order the service lists them: by UTF-16 code
/// units (Azure's and Azurite's order). It differs from the byte order of
/// the UTF-8 names (and from `str`'s `Ord`) only between a character at or
/// above U+10000 (a surrogate pair, 0xD800..0xDBFF) and one in
/// U+E000..=U+FFFF: `"\u{FF21}"` sorts after `"\u{1F600}"` here.
pub(super) fn service_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// The blob name of a row: its path without `/container/`.
pub(super) fn blob_name(entry: &ListingEntry) -> &str {
    entry.path.get(entry.container_len + 2..).unwrap_or("")
}

/// The rows to pass on after a page: those `carry` held back, then the
/// page's, each blob's rows in one order (snapshots oldest first, then the
/// blob). When `more` pages follow and none of the page's virtual
/// directories (`prefixes`) comes after the last blob, that blob's rows may
/// go on in the next page: they stay in `carry`.
pub(super) fn take_rows(
    carry: &mut Vec<ListingEntry>,
    page: Vec<ListingEntry>,
    more: bool,
    prefixes: &[String],
) -> Vec<ListingEntry> {
    let mut rows = std::mem::take(carry);
    rows.extend(page);
    let later_prefix = |e: &ListingEntry| {
        prefixes
            .iter()
            .any(|q| service_cmp(q, blob_name(e)) == Ordering::Greater)
    };
    if more && !rows.last().is_some_and(later_prefix) {
        if let Some(last) = rows.last().map(|e| e.path.clone()) {
            let cut = rows
                .iter()
                .rposition(|e| e.path != last)
                .map_or(0, |i| i + 1);
            *carry = rows.split_off(cut);
        }
    }
    for group in rows.chunk_by_mut(|a, b| a.path == b.path) {
        if group.len() > 1 {
            group.sort_by(|a, b| {
                (a.snapshot.is_none(), a.snapshot, &a.version_id).cmp(&(
                    b.snapshot.is_none(),
                    b.snapshot,
                    &b.version_id,
                ))
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::SnapshotTime;

    fn row(path: &str, snapshot: Option<&str>) -> ListingEntry {
        ListingEntry {
            path: path.to_string(),
            container_len: 1,
            snapshot: snapshot.map(|s| s.parse::<SnapshotTime>().unwrap()),
            ..ListingEntry::default()
        }
    }

    fn show(rows: &[ListingEntry]) -> Vec<String> {
        rows.iter()
            .map(|e| match e.snapshot {
                Some(s) => format!("{}@{}", e.path, &s.to_string()[..4]),
                None => e.path.clone(),
            })
            .collect()
    }

    #[test]
    fn names_compare_by_utf16_code_units() {
        use Ordering::*;
        // U+E000..=U+FFFF sort after the surrogate pairs of U+10000 and up.
        assert_eq!(service_cmp("\u{FF21}/x", "\u{1F600}/y"), Greater);
        assert_eq!(service_cmp("\u{E000}/x", "\u{10000}/y"), Greater);
        assert_eq!(service_cmp("\u{1F600}/", "\u{FF21}/"), Less);
        // Elsewhere the order is the byte order.
        assert_eq!(service_cmp("a", "\u{e9}"), Less);
        assert_eq!(service_cmp("\u{e9}", "\u{FF21}"), Less);
        assert_eq!(service_cmp("\u{e9}", "\u{1F600}"), Less);
        assert_eq!(service_cmp("\u{D7FF}", "\u{10000}"), Less);
        assert_eq!(service_cmp("a/", "a/b"), Less);
        assert_eq!(service_cmp("a/b", "a/b"), Equal);
        assert_eq!(service_cmp("", "a"), Less);
        let mut names = [
            "\u{FF21}/x",
            "b",
            "\u{1F600}/y",
            "\u{E000}/x",
            "\u{10000}/y",
            "\u{e9}",
        ];
        names.sort_by(|a, b| service_cmp(a, b));
        assert_eq!(
            names,
            [
                "b",
                "\u{e9}",
                "\u{10000}/y",
                "\u{1F600}/y",
                "\u{E000}/x",
                "\u{FF21}/x"
            ]
        );
    }

    #[test]
    fn a_blobs_rows_come_in_one_order_across_pages() {
        let mut carry = Vec::new();
        let page1 = vec![
            row("/c/a", None),
            row("/c/a", Some("2024-01-01T00:00:00Z")),
            row("/c/b", Some("2025-01-01T00:00:00Z")),
        ];
        let rows = take_rows(&mut carry, page1, true, &[]);
        assert_eq!(show(&rows), ["/c/a@2024", "/c/a"]);
        let page2 = vec![
            row("/c/b", None),
            row("/c/b", Some("2023-01-01T00:00:00Z")),
            row("/c/d", None),
        ];
        let rows = take_rows(&mut carry, page2, false, &[]);
        assert_eq!(show(&rows), ["/c/b@2023", "/c/b@2025", "/c/b", "/c/d"]);
        assert!(carry.is_empty());
        // A directory after the last blob: that blob is complete.
        let rows = take_rows(&mut carry, vec![row("/c/e", None)], true, &["f/".into()]);
        assert_eq!(show(&rows), ["/c/e"]);
        // A held-back blob and a directory after it on the next page.
        let rows = take_rows(&mut carry, vec![row("/c/g", None)], true, &[]);
        assert!(rows.is_empty());
        let rows = take_rows(&mut carry, vec![], true, &["g/".into()]);
        assert_eq!(show(&rows), ["/c/g"]);
    }
}
