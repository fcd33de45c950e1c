//! The rows of a page as they are passed on: each blob's rows together and
//! in one order.

use crate::listing::ListingEntry;

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
    let later_prefix = |e: &ListingEntry| prefixes.iter().any(|q| q.as_str() > blob_name(e));
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
