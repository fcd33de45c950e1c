//! Helpers for the tests of compiled and loaded matchers.

use blobsel::{Matcher, SnapshotTime};

/// Uses every part of a loaded matcher on `blobs` (canonical paths, with a
/// snapshot time for a snapshot): every rule shown, `find_path`, `find`,
/// `find_batch`, the tally's report and unused rules, the container. For
/// an index that loaded from damaged bytes: whatever it answers, it must
/// not panic.
pub fn exercise<P>(m: &Matcher, blobs: &[(P, Option<SnapshotTime>)])
where
    P: AsRef<str> + AsRef<[u8]> + Sync,
{
    for r in m.rules() {
        let _ = r.to_string();
    }
    let mut tally = m.tally();
    for (p, s) in blobs {
        let p: &str = p.as_ref();
        if let Some(id) = m.find_path(p.as_bytes(), *s) {
            tally.record(id);
        }
        if let Some((c, b)) = p.strip_prefix('/').and_then(|p| p.split_once('/')) {
            let _ = m.find(c, b, *s);
        }
    }
    let mut out = Vec::new();
    m.find_batch(blobs, &mut out);
    let _ = m.report(&tally).count();
    let _ = m.unused(&tally).count();
    let _ = m.container();
}
