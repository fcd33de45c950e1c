//! The cursor's caches at their limits, against the whole-index walk:
//! more containers than cache entries, containers that are not cached
//! (64 bytes and longer), paths whose reusable part exceeds what the
//! cursor keeps, and selections with only prefixes or only paths.

use blobsel::{MatcherBuilder, Origin, Rule, RuleKind};

fn origin() -> Origin {
    Origin {
        source: "t".into(),
        position: None,
    }
}

#[path = "rng/mod.rs"]
mod rng;
use rng::Rng;

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
