//! Near misses: which known name a misspelt one was meant to be, for
//! errors that say `did you mean "snapshot"?`. One home for every reader
//! (listing keys, inventory columns, XML elements).
//!
//! Two names are near when they are the same once case and separators
//! (`_`, `-`, space) are dropped (`Content_length`, `contentlength`), when
//! one of them, so compared, contains the other (`snapshottime`), or when
//! they are a few edits apart, an edit being an inserted, deleted or
//! replaced character or two adjacent ones swapped (the optimal string
//! alignment distance): one edit for names up to five characters, a
//! third of the length beyond. The nearest by edits wins.

/// The name in `known` that `word` is nearest to, if any is near (see the
/// module documentation); the first of equally near ones. `word` itself
/// (exactly) is not a near miss of itself.
pub(crate) fn closest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    let w = fold(word);
    if w.is_empty() {
        return None;
    }
    let mut best: Option<(usize, &'k str)> = None;
    for &k in known {
        if k == word {
            return None;
        }
        let kf = fold(k);
        let d = distance(&w, &kf);
        let longer = w.chars().count().max(kf.chars().count());
        // One holds the other, which is most of it.
        let (short, long) = if w.len() < kf.len() {
            (&w, &kf)
        } else {
            (&kf, &w)
        };
        let contains =
            short.len() >= 4 && 3 * short.len() >= 2 * long.len() && long.contains(short.as_str());
        if d > (longer / 3).max(1) && !contains {
            continue;
        }
        if best.is_none_or(|(b, _)| d < b) {
            best = Some((d, k));
        }
    }
    best.map(|(_, k)| k)
}

/// Whether `a` and `b` are the same name but for case and separators
/// (`_`, `-`, space).
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    fold(a) == fold(b)
}

/// Lowercase, without `_`, `-` and spaces.
fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The optimal string alignment distance between `a` and `b`, by
/// characters: insertions, deletions, substitutions and transpositions of
/// adjacent characters.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back (for transpositions), one back, this one.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut row: Vec<usize> = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        row[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (prev[j] + 1).min(row[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            row[j] = d;
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        for (a, b, d) in [
            ("", "", 0),
            ("size", "size", 0),
            ("size", "", 4),
            ("size", "szie", 1),
            ("size", "sizes", 1),
            ("leased", "lease", 1),
            ("kitten", "sitting", 3),
            ("ca", "abc", 3),
            ("été", "ete", 2),
        ] {
            assert_eq!((distance(a, b), distance(b, a)), (d, d), "{a} {b}");
        }
    }

    #[test]
    fn near_misses() {
        let known = [
            "path",
            "snapshot",
            "size",
            "Content-Length",
            "leased",
            "lease_state",
        ];
        for (word, near) in [
            ("Size", Some("size")),
            ("SIZE", Some("size")),
            ("snapshottime", Some("snapshot")),
            ("snapshots", Some("snapshot")),
            ("snpashot", Some("snapshot")),
            ("lease", Some("leased")),
            ("leaseState", Some("lease_state")),
            ("content_length", Some("Content-Length")),
            ("Content-Lenght", Some("Content-Length")),
            ("pth", Some("path")),
            ("size", None),
            ("etag", None),
            ("rule", None),
            ("x", None),
            ("", None),
            ("-", None),
            ("creationTime", None),
            ("filesize", None),
        ] {
            assert_eq!(closest(word, &known), near, "{word}");
        }
    }
}
