//! The cursor's caches at their limits, against the whole-index walk:
//! more containers than cache entries, containers that are not cached
//! (64 bytes and longer), paths whose reusable part exceeds what the
//! cursor keeps, and selections with only prefixes (many, or a few) or
//! only paths.

use blobsel::{MatcherBuilder, Origin, Rule, RuleKind};

fn origin() -> Origin {
    Origin {
        source: "t".into(),
        position: None,
    }
}

mod common {
    pub mod rng;
}
use common::rng::Rng;

/// Container names: many short ones (more than the cache holds), and
/// some of 63 and more bytes.
fn containers() -> Vec<String> {
    let mut c: Vec<String> = (0..700).map(|i| format!("c{i:03}x")).collect();
    c.push("a".repeat(63));
    c.push("a".repeat(62)); // sorts next to the 63-byte one
    c.push(format!("{}b", "a".repeat(63)));
    c.push(format!("{}c", "a".repeat(70)));
    c
}

fn paths(rng: &mut Rng, containers: &[String], n: usize) -> Vec<String> {
    let long = "deep/".repeat(30); // past the 128 bytes a cursor keeps
    (0..n)
        .map(|_| {
            let c = &containers[rng.index(containers.len())];
            let mid = match rng.index(4) {
                0 => String::new(),
                1 => "logs/".to_string(),
                2 => long.clone(),
                _ => format!("{long}x{}/", rng.index(3)),
            };
            format!("{c}/{mid}f{}", rng.index(4))
        })
        .collect()
}

fn check(rules: &[Rule], names: &[String]) {
    let m = MatcherBuilder::new().build_rules(rules).unwrap();
    let mut sorted = names.to_vec();
    sorted.sort();
    for order in [names.to_vec(), sorted] {
        let mut cursor = m.cursor();
        for name in &order {
            let want = m.find_unrooted(name.as_bytes(), None);
            assert_eq!(cursor.find_unrooted(name.as_bytes(), None), want, "{name}");
            let slash = name.find('/').unwrap_or(name.len());
            assert_eq!(
                cursor.find_blob(name.as_bytes(), slash, None),
                want,
                "{name}"
            );
        }
    }
}

#[test]
fn cursor_agrees_at_the_limits_of_its_caches() {
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let containers = containers();
    let names = paths(&mut rng, &containers, 20_000);
    let long = "deep/".repeat(30);
    let mut prefixes = Vec::new();
    let mut exact = Vec::new();
    for (i, c) in containers.iter().enumerate() {
        match i % 5 {
            0 => prefixes.push(format!("/{c}/")),
            1 => prefixes.push(format!("/{c}/logs/")),
            2 => prefixes.push(format!("/{c}/{long}x1/")),
            _ => {}
        }
        // A path rule must name a valid container (at most 63 bytes).
        if i % 3 == 0 && c.len() <= 63 {
            exact.push(format!("/{c}/{long}f{}", i % 4));
            exact.push(format!("/{c}/logs/f{}", i % 4));
        }
    }
    let prefix_rules: Vec<Rule> = prefixes
        .iter()
        .map(|p| Rule::prefix(p, origin()).unwrap())
        .collect();
    let exact_rules: Vec<Rule> = exact
        .iter()
        .map(|p| Rule::path(p, RuleKind::Path, origin()).unwrap())
        .collect();
    let both: Vec<Rule> = prefix_rules.iter().chain(&exact_rules).cloned().collect();
    check(&prefix_rules, &names);
    // A handful of prefixes alone, which a cursor compares one by one.
    check(&prefix_rules[..12], &names);
    check(&prefix_rules[..1], &names);
    check(&exact_rules, &names);
    check(&both, &names);
    // Sanity: each selection selects some names and leaves some.
    let m = MatcherBuilder::new().build_rules(&both).unwrap();
    let selected = names
        .iter()
        .filter(|n| m.find_unrooted(n.as_bytes(), None).is_some())
        .count();
    assert!(
        selected > 1000 && selected < names.len() - 1000,
        "{selected}"
    );
}

/// `Cursor::find_all` (which announces hash probes ahead when the exact
/// paths outgrow the caches) answers as the whole-index walk does, in
/// shuffled order, in sorted order (where the cursor merges instead of
/// hashing) and in sorted runs broken by jumps.
#[test]
fn find_all_agrees_with_a_large_table() {
    let mut rng = Rng::new(0x5eed_f00d);
    // More exact paths than a table the cursor hashes without prefetching
    // (2^18 slots; the prefixes cover only a few of them).
    let paths: Vec<String> = (0..120_000)
        .map(|i| format!("/c{:02}/d{}/f{i}", rng.index(40), rng.index(50)))
        .collect();
    let mut rules: Vec<Rule> = paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let kind = match i % 50 {
                0 => RuleKind::PathWithoutSnapshots,
                1 => RuleKind::Snapshot("2024-01-01T00:00:00Z".parse().unwrap()),
                _ => RuleKind::Path,
            };
            Rule::path(p, kind, origin()).unwrap()
        })
        .collect();
    rules.push(Rule::prefix("/c07/", origin()).unwrap());
    rules.push(Rule::prefix("/c39/d4", origin()).unwrap());
    let m = MatcherBuilder::new().build_rules(&rules).unwrap();
    let t = Some("2024-01-01T00:00:00Z".parse().unwrap());
    let mut items: Vec<(String, Option<blobsel::SnapshotTime>)> = Vec::new();
    for p in paths.iter().step_by(2) {
        items.push((p.clone(), None));
        items.push((format!("{p}x"), None));
        if rng.index(10) == 0 {
            items.push((p.clone(), t));
        }
    }
    items.extend([("/".into(), None), ("".into(), None), ("/c00".into(), None)]);
    for round in 0..3 {
        match round {
            0 => {
                for i in (1..items.len()).rev() {
                    items.swap(i, rng.index(i + 1));
                }
            }
            1 => items.sort(),
            _ => {
                for i in (0..items.len()).step_by(101) {
                    let j = rng.index(items.len());
                    items.swap(i, j);
                }
            }
        }
        let slice: Vec<(&[u8], Option<blobsel::SnapshotTime>)> =
            items.iter().map(|(p, s)| (p.as_bytes(), *s)).collect();
        let got: Vec<_> = m.cursor().find_all(&slice).collect();
        assert_eq!(got.len(), items.len());
        let mut selected = 0;
        for ((p, s), answer) in items.iter().zip(got) {
            let want = match p.strip_prefix('/') {
                Some(rest) => m.find_unrooted(rest.as_bytes(), *s),
                None => None,
            };
            assert_eq!(answer, want, "round {round}: {p} {s:?}");
            selected += usize::from(want.is_some());
        }
        assert!(selected > items.len() / 4, "round {round}: {selected}");
        // Announcements are hints: any paths, announced at any time, never
        // change an answer.
        let mut cursor = m.cursor();
        assert!(
            cursor.announces(),
            "a table past the caches, not merging yet"
        );
        for (k, ((p, s), want)) in items.iter().zip(&got_all(&m, &slice)).enumerate() {
            let other = &items[(k * 7919) % items.len()].0;
            cursor.announce(other.trim_start_matches('/').as_bytes());
            cursor.announce(b"garbage/that/is/not/a/rule");
            assert_eq!(cursor.find_path(p.as_bytes(), *s), *want, "{p}");
        }
    }
}

fn got_all(
    m: &blobsel::Matcher,
    slice: &[(&[u8], Option<blobsel::SnapshotTime>)],
) -> Vec<Option<blobsel::RuleId>> {
    m.cursor().find_all(slice).collect()
}
