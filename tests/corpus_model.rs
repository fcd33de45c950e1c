//! The matcher against the naive model (`tests/common/oracle.rs`) on the
//! benchmarks' own corpus (`benches/common/corpus.rs`): the rule sets S, M,
//! L and XL (XL cut to its first 150,000 paths, still past the size from
//! which a cursor announces its probes) over the first lines of the
//! benchmarks' listing. Every blob must be selected by the rule the model
//! chooses, by the compiled matcher, by the same matcher loaded from its
//! bytes, and by a cursor fed the listing in its order and sorted.

mod common {
    pub mod oracle;
}
#[path = "../benches/common/corpus.rs"]
mod corpus;

use std::collections::HashMap;

use blobsel::{Matcher, RuleId, Selection, SnapshotTime};
use common::oracle::{RefBlob, RefRule, Reference};

/// Lines of the listing matched.
const LINES: usize = 20_000;
/// XL's paths kept.
const XL_PATHS: usize = 150_000;

/// The model's answer for `blob`, from the rules that could select it
/// (those whose text is a prefix of its path, or is its path), given to
/// the model in selection order: the model loops over every rule it is
/// given, and a million rules a blob would take hours.
fn chosen(rules: &[RefRule], by_text: &HashMap<&str, Vec<usize>>, blob: &RefBlob) -> Option<usize> {
    let path = &blob.path;
    let mut candidates: Vec<usize> = path
        .char_indices()
        .map(|(i, _)| &path[..i])
        .chain([path.as_str()])
        .filter_map(|p| by_text.get(p))
        .flatten()
        .copied()
        .collect();
    candidates.sort_unstable();
    candidates.dedup();
    let model = Reference::new(candidates.iter().map(|&i| rules[i].clone()).collect());
    model.chosen(blob).map(|k| candidates[k])
}

fn check(name: &str, xml: &str, listing: &[(String, Option<SnapshotTime>)]) {
    let selection = Selection::parse(xml.as_bytes(), name).unwrap();
    let rules: Vec<RefRule> = selection
        .rules()
        .unwrap()
        .iter()
        .map(|r| RefRule::new(r.kind(), r.text()))
        .collect();
    let mut by_text: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, r) in rules.iter().enumerate() {
        by_text.entry(&r.text).or_default().push(i);
    }
    let compiled = selection.compile().unwrap();
    let loaded = Matcher::from_bytes(compiled.as_bytes().to_vec()).unwrap();
    let want: Vec<Option<RuleId>> = listing
        .iter()
        .map(|(p, s)| chosen(&rules, &by_text, &RefBlob::new(p, *s)).map(|i| RuleId(i as u32)))
        .collect();
    let selected = want.iter().filter(|w| w.is_some()).count();
    assert!(selected > 0, "{name}: the listing tests no selected blob");
    assert!(
        selected < listing.len(),
        "{name}: the listing tests no other blob"
    );
    for m in [&compiled, &loaded] {
        for ((p, s), want) in listing.iter().zip(&want) {
            assert_eq!(m.find_path(p.as_bytes(), *s), *want, "{name}: {p} {s:?}");
        }
        let items: Vec<(&[u8], Option<SnapshotTime>)> =
            listing.iter().map(|(p, s)| (p.as_bytes(), *s)).collect();
        let got: Vec<_> = m.cursor().find_all(&items).collect();
        assert!(got == want, "{name}: a cursor in listing order");
        let mut order: Vec<usize> = (0..listing.len()).collect();
        order.sort_by(|&a, &b| listing[a].cmp(&listing[b]));
        let mut cursor = m.cursor();
        for i in order {
            let (p, s) = &listing[i];
            assert_eq!(
                cursor.find_path(p.as_bytes(), *s),
                want[i],
                "{name} sorted: {p}"
            );
        }
    }
    // Every rule reads back from the index as the selection has it.
    for (i, r) in rules.iter().enumerate() {
        let info = loaded.rule(RuleId(i as u32));
        assert_eq!(
            (info.kind, info.text),
            (r.kind, r.text.as_str()),
            "{name}: rule {i}"
        );
    }
    eprintln!(
        "{name}: {} rules, {selected} of {} blobs selected",
        rules.len(),
        listing.len()
    );
}

#[test]
fn the_benchmark_corpus_matches_as_the_model_says() {
    let listing: Vec<(String, Option<SnapshotTime>)> = corpus::blobs(LINES, corpus::SEED)
        .into_iter()
        .flat_map(|b| {
            let snapshots: Vec<Option<SnapshotTime>> = b
                .snapshots
                .iter()
                .map(|s| Some(s.parse().unwrap()))
                .collect();
            std::iter::once(None)
                .chain(snapshots)
                .map(move |s| (b.path.clone(), s))
        })
        .collect();
    let base = corpus::blobs(corpus::RULE_BASE_LINES, corpus::SEED);
    for size in [corpus::Size::S, corpus::Size::M, corpus::Size::L] {
        let rules = corpus::rule_set(size, &base, corpus::SEED);
        check(size.name(), &corpus::to_xml(&rules), &listing);
    }
    drop(base);
    // XL as `corpus::rule_set` draws it (every second blob of the stream),
    // cut short.
    let mut g = corpus::Generator::new(corpus::SEED);
    let mut blob = corpus::Blob::default();
    let xl: Vec<corpus::GenRule> = (0..XL_PATHS)
        .map(|_| {
            g.next_into(&mut blob);
            g.next_into(&mut blob);
            corpus::GenRule::Path(blob.path.clone())
        })
        .collect();
    check("XL", &corpus::to_xml(&xl), &listing);
}
