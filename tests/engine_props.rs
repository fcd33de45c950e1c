//! Differential tests: random selections against the naive reference model
//! (`tests/common/oracle.rs`), round trips through every writer, snapshot
//! time text, and corrupt serialized matchers.
//!
//! Rules and blobs are drawn from a small alphabet so that they collide:
//! prefixes that prefix each other and end inside container names, exact
//! paths equal to prefixes, duplicates, `$root`, `é`/`日`, snapshot rules on
//! one instant written in different textual forms.

mod common {
    pub mod matcher;
    pub mod oracle;
    pub mod reseal;
    pub mod selection;
}

use blobsel::{
    ErrorKind, Form, Matcher, MatcherBuilder, Origin, Rule, RuleId, RuleKind, RuleStatus,
    Selection, SnapshotTime,
};
use common::matcher::exercise;
use common::oracle::{self, RefBlob, RefRule, Reference};
use common::reseal;
use common::selection::{keys, OneByte};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;

fn config(cases: u32) -> Config {
    Config {
        cases,
        // Failures print a minimal reproducer; nothing is written to disk.
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// The alphabet

const CONTAINERS: &[&str] = &["bob", "bobkids", "$root", "abc"];
const PIECES: &[&str] = &["a", "é", "/", "日", "a&b", "ab"];

/// Each entry: textual forms of one instant (docs/semantics.md §2's own examples first).
const INSTANTS: &[&[&str]] = &[
    &[
        "2011-03-09T01:42:34.936Z",
        "2011-03-09T01:42:34.9360000Z",
        "2011-03-09T01:42:34.936000Z",
    ],
    &["2011-03-09T01:42:34.9360001Z"],
    &[
        "2024-01-01T00:00:00Z",
        "2024-01-01T00:00:00.0000000Z",
        "2024-01-01T00:00:00.0Z",
    ],
];
/// An instant no rule names.
const UNUSED_INSTANT: &str = "2020-02-29T12:00:00Z";

fn instant(i: usize) -> SnapshotTime {
    INSTANTS[i][0].parse().unwrap()
}

fn blob_snapshots() -> Vec<Option<SnapshotTime>> {
    let mut v = vec![None, Some(UNUSED_INSTANT.parse().unwrap())];
    v.extend((0..INSTANTS.len()).map(|i| Some(instant(i))));
    v
}

fn path_strategy() -> impl Strategy<Value = String> {
    (
        0..CONTAINERS.len(),
        prop::collection::vec(0..PIECES.len(), 1..=2),
    )
        .prop_map(|(c, pieces)| {
            let name: String = pieces.iter().map(|&i| PIECES[i]).collect();
            format!("/{}/{name}", CONTAINERS[c])
        })
}

/// How a `BlobPath` is written.
#[derive(Clone, Debug)]
enum Attr {
    None,
    /// `IncludeSnapshots` with this literal value.
    Include(&'static str),
    /// `SnapshotTime` of instant `.0` in textual form `.1`.
    Snapshot(usize, usize),
}

/// One generated rule, with how it is written.
#[derive(Clone, Debug)]
struct GenRule {
    prefix: bool,
    /// The canonical path the rule is about (a prefix is cut from it).
    path: String,
    /// Characters of `path` a prefix keeps.
    cut: usize,
    /// A path written with its leading `/`.
    slash: bool,
    attr: Attr,
    /// Pretty-printing whitespace around the text (trimmed by the reader).
    pad: bool,
    /// Write non-ASCII characters as character references.
    char_refs: bool,
}

impl GenRule {
    fn kind(&self) -> RuleKind {
        match (&self.prefix, &self.attr) {
            (true, _) => RuleKind::Prefix,
            (false, Attr::Include("false" | "0")) => RuleKind::PathWithoutSnapshots,
            (false, Attr::Snapshot(i, _)) => RuleKind::Snapshot(instant(*i)),
            _ => RuleKind::Path,
        }
    }

    /// The canonical text the reference (and the parser) must see.
    fn text(&self) -> String {
        if self.prefix {
            self.path.chars().take(self.cut).collect()
        } else {
            self.path.clone()
        }
    }

    fn reference(&self) -> RefRule {
        RefRule::new(self.kind(), &self.text())
    }

    /// The text as written in the document.
    fn written(&self) -> String {
        let t = self.text();
        if self.prefix || self.slash {
            t
        } else {
            t[1..].to_string()
        }
    }

    fn json_ok(&self) -> bool {
        matches!(self.kind(), RuleKind::Prefix | RuleKind::Path)
    }
}

fn rule_strategy() -> impl Strategy<Value = GenRule> {
    (
        path_strategy(),
        0u8..100,
        any::<Index>(),
        any::<bool>(),
        0usize..4,
        (0..INSTANTS.len(), any::<Index>()),
        any::<(bool, bool)>(),
    )
        .prop_map(
            |(path, roll, cut, slash, inc, (i, form), (pad, char_refs))| {
                let n = path.chars().count();
                let prefix = roll < 40;
                let cut = if roll < 10 { n } else { cut.index(n) + 1 };
                let attr = match roll {
                    40..=59 => Attr::None,
                    60..=69 => Attr::Include(["true", "1", "false", "0"][inc % 2]),
                    70..=79 => Attr::Include(["true", "1", "false", "0"][2 + inc % 2]),
                    80..=99 => Attr::Snapshot(i, form.index(INSTANTS[i].len())),
                    _ => Attr::None,
                };
                GenRule {
                    prefix,
                    path,
                    cut,
                    slash,
                    attr,
                    pad,
                    char_refs,
                }
            },
        )
}

/// Rules, where about a third reuse the path of an earlier rule (so the
/// same path carries several kinds, prefixes cut from one path nest, and
/// duplicates happen).
fn rules_strategy() -> impl Strategy<Value = Vec<GenRule>> {
    prop::collection::vec((rule_strategy(), any::<Option<Index>>()), 0..10).prop_map(|v| {
        let mut out: Vec<GenRule> = Vec::with_capacity(v.len());
        for (mut r, reuse) in v {
            if let (Some(ix), false) = (reuse, out.is_empty()) {
                if ix.index(3) == 0 || ix.index(3) == 1 {
                    let from = &out[ix.index(out.len())];
                    r.path = from.path.clone();
                    let n = r.path.chars().count();
                    r.cut = r.cut.min(n).max(1);
                }
            }
            out.push(r);
        }
        out
    })
}

// ---------------------------------------------------------------------------
// Writing the documents

fn xml_text(s: &str, char_refs: bool, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if char_refs && !c.is_ascii() => out.push_str(&format!("&#x{:X};", c as u32)),
            c => out.push(c),
        }
    }
}

fn to_xml(rules: &[GenRule]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<BlobList>");
    for (i, r) in rules.iter().enumerate() {
        out.push_str(["\n  ", "", "\r\n\t", " <!-- c -->\n"][i % 4]);
        let element = if r.prefix {
            "BlobPathPrefix"
        } else {
            "BlobPath"
        };
        out.push('<');
        out.push_str(element);
        match &r.attr {
            _ if r.prefix => {}
            Attr::None => {}
            Attr::Include(v) => out.push_str(&format!(" IncludeSnapshots=\"{v}\"")),
            Attr::Snapshot(i, f) => {
                out.push_str(&format!(" SnapshotTime=\"{}\"", INSTANTS[*i][*f]))
            }
        }
        out.push('>');
        if r.pad {
            out.push_str("\n    ");
        }
        xml_text(&r.written(), r.char_refs, &mut out);
        if r.pad {
            out.push_str("\n  ");
        }
        out.push_str("</");
        out.push_str(element);
        out.push('>');
    }
    out.push_str("\n</BlobList>\n");
    out
}

/// The JSON forms list paths then prefixes: the order the rules come out.
fn json_order(rules: &[GenRule]) -> Vec<GenRule> {
    let mut v: Vec<GenRule> = rules.iter().filter(|r| !r.prefix).cloned().collect();
    v.extend(rules.iter().filter(|r| r.prefix).cloned());
    v
}

fn json_lists(rules: &[GenRule], path_key: &str, prefix_key: &str) -> String {
    let list = |prefix: bool| {
        let items: Vec<String> = rules
            .iter()
            .filter(|r| r.prefix == prefix)
            .map(|r| serde_json::to_string(&r.written()).unwrap())
            .collect();
        format!("[{}]", items.join(", "))
    };
    format!(
        "{{\"{path_key}\": {}, \"{prefix_key}\": {}}}",
        list(false),
        list(true)
    )
}

#[derive(Clone, Copy, Debug)]
enum DocForm {
    Xml,
    Fragment,
    PutJob,
    Arm,
}

fn to_doc(rules: &[GenRule], form: DocForm, sas: Option<&str>) -> String {
    let pascal = || json_lists(rules, "BlobPath", "BlobPathPrefix");
    let sas = sas
        .map(|c| format!(", \"ContainerSas\": \"{c}?sv=2014-02-14&sr=c&sig=x\""))
        .unwrap_or_default();
    match form {
        DocForm::Xml => to_xml(rules),
        DocForm::Fragment => format!("{{\"BlobList\": {}}}", pascal()),
        DocForm::PutJob => format!(
            "{{\"Name\": \"j\", \"Properties\": {{\"Type\": \"Export\", \"Other\": 1{sas}}},\n \"Export\": {{\"BlobList\": {}}}}}",
            pascal()
        ),
        DocForm::Arm => format!(
            "{{\"properties\": {{\"jobType\": \"Export\", \"export\": {{\"blobList\": {}}}}}}}",
            json_lists(rules, "blobPath", "blobPathPrefix")
        ),
    }
}

fn inside(text: &str, c: &str) -> bool {
    text.strip_prefix('/')
        .and_then(|t| t.strip_prefix(c))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

// ---------------------------------------------------------------------------
// One differential case

#[derive(Clone, Debug)]
struct Case {
    rules: Vec<GenRule>,
    form: DocForm,
    /// Index into CONTAINERS of a container SAS.
    sas: Option<usize>,
    extra_blobs: Vec<String>,
}

fn case_strategy() -> impl Strategy<Value = Case> {
    (
        rules_strategy(),
        prop_oneof![
            4 => Just(DocForm::Xml),
            1 => Just(DocForm::Fragment),
            1 => Just(DocForm::PutJob),
            1 => Just(DocForm::Arm)
        ],
        prop_oneof![3 => Just(None), 1 => (0..CONTAINERS.len()).prop_map(Some)],
        prop::collection::vec(path_strategy(), 0..12),
    )
        .prop_map(|(rules, form, sas, extra_blobs)| Case {
            rules,
            form,
            sas,
            extra_blobs,
        })
}

/// The universe of blobs a case is checked on: every path a rule was made
/// from, neighbours of it, and random paths; each as the base blob and at
/// every instant (and one no rule names).
fn universe(case: &Case) -> Vec<RefBlob> {
    let mut paths: Vec<String> = case.extra_blobs.clone();
    for r in &case.rules {
        paths.push(r.path.clone());
        paths.push(format!("{}a", r.path));
        paths.push(format!("{}/é", r.path));
    }
    paths.push("/bobkids/a".into());
    paths.push("/$root/a".into());
    paths.sort();
    paths.dedup();
    let snaps = blob_snapshots();
    paths
        .iter()
        .flat_map(|p| snaps.iter().map(move |s| RefBlob::new(p, *s)))
        .collect()
}

fn check_case(case: &Case) -> Result<(), TestCaseError> {
    let sas = case.sas.map(|i| CONTAINERS[i]);
    // Under a container SAS every rule lies inside the container (others
    // are errors, tested in engine_spec.rs).
    let mut rules: Vec<GenRule> = case
        .rules
        .iter()
        .filter(|r| sas.is_none_or(|c| inside(&r.text(), c)))
        .cloned()
        .collect();
    let mut form = case.form;
    if !rules.iter().all(GenRule::json_ok) || (sas.is_some() && !matches!(form, DocForm::PutJob)) {
        form = DocForm::Xml;
    }
    if !matches!(form, DocForm::Xml) {
        rules = json_order(&rules);
    }
    let doc = to_doc(&rules, form, sas);
    let reference = Reference::with_container(rules.iter().map(GenRule::reference).collect(), sas);

    let sel = Selection::parse(doc.as_bytes(), "gen")
        .map_err(|e| TestCaseError::fail(format!("parse failed: {e}\n{doc}")))?;
    let got = keys(&sel);
    let want: Vec<(RuleKind, String)> = reference
        .rules
        .iter()
        .map(|r| (r.kind, r.text.clone()))
        .collect();
    prop_assert_eq!(&got, &want, "parsed rules\n{}", doc);

    let m = match (form, sas) {
        (DocForm::PutJob, Some(c)) => {
            prop_assert_eq!(sel.container_sas(), Some(c));
            sel.compile().unwrap()
        }
        _ => MatcherBuilder::new().container(sas).build(&sel).unwrap(),
    };
    let loaded = Matcher::from_bytes(m.as_bytes().to_vec()).unwrap();
    prop_assert_eq!(m.rule_count(), rules.len());

    // Matching, through every path.
    let blobs = universe(case);
    let want: Vec<Option<RuleId>> = blobs
        .iter()
        .map(|b| reference.chosen(b).map(|i| RuleId(i as u32)))
        .collect();
    for (b, w) in blobs.iter().zip(&want) {
        prop_assert_eq!(reference.selected(b), w.is_some(), "reference: {:?}", b);
        let p = b.path.as_bytes();
        prop_assert_eq!(m.find_path(p, b.snapshot), *w, "find_path {:?}\n{}", b, doc);
        prop_assert_eq!(
            loaded.find_path(p, b.snapshot),
            *w,
            "reloaded {:?}\n{}",
            b,
            doc
        );
        prop_assert_eq!(
            m.find_unrooted(&p[1..], b.snapshot),
            *w,
            "find_unrooted {:?}\n{}",
            b,
            doc
        );
        let (c, n) = b.path[1..].split_once('/').unwrap();
        prop_assert_eq!(m.find(c, n, b.snapshot), *w, "find {:?}\n{}", b, doc);
    }
    let items: Vec<(&[u8], Option<SnapshotTime>)> = blobs
        .iter()
        .map(|b| (b.path.as_bytes(), b.snapshot))
        .collect();
    let mut out = Vec::new();
    m.find_batch(&items, &mut out);
    prop_assert_eq!(&out, &want, "find_batch\n{}", doc);
    loaded.find_batch(&items, &mut out);
    prop_assert_eq!(&out, &want, "reloaded find_batch\n{}", doc);
    // A cursor, over the blobs as generated, sorted (sharing prefixes, as
    // List Blobs returns them) and twice over (its caches warm).
    let mut order: Vec<usize> = (0..blobs.len()).collect();
    let mut sorted = order.clone();
    sorted.sort_by(|&a, &b| blobs[a].path.cmp(&blobs[b].path));
    order.extend(sorted);
    let mut cursor = loaded.cursor();
    for &i in order.iter().chain(order.iter()) {
        let b = &blobs[i];
        prop_assert_eq!(
            cursor.find_path(b.path.as_bytes(), b.snapshot),
            want[i],
            "cursor {:?}\n{}",
            b,
            doc
        );
    }

    // Statuses.
    let status: Vec<RuleStatus> = m.rules().map(|r| r.status).collect();
    let reloaded: Vec<RuleStatus> = loaded.rules().map(|r| r.status).collect();
    prop_assert_eq!(&status, &reloaded);
    for (i, info) in m.rules().enumerate() {
        prop_assert_eq!(info.id, RuleId(i as u32));
        prop_assert_eq!(info.kind, reference.rules[i].kind);
        prop_assert_eq!(info.text, reference.rules[i].text.as_str());
        prop_assert_eq!(info.source, "gen");
        prop_assert_eq!(
            info.status == RuleStatus::Effective,
            reference.effective(i),
            "rule {} ({}) status {:?}\n{}",
            i,
            info,
            info.status,
            doc
        );
        match info.status {
            RuleStatus::Effective => {}
            RuleStatus::Duplicate { of } => {
                let of = of.0 as usize;
                prop_assert!(of < i, "rule {} duplicate of later rule {}\n{}", i, of, doc);
                prop_assert!(
                    reference.equal(of, i),
                    "rule {} not equal to {}\n{}",
                    i,
                    of,
                    doc
                );
                prop_assert_eq!(
                    status[of],
                    RuleStatus::Effective,
                    "duplicate of a non-effective rule"
                );
            }
            RuleStatus::Covered { by } => {
                let by = by.0 as usize;
                prop_assert!(by != i && by < rules.len());
                prop_assert!(
                    reference.covers(by, i),
                    "rule {} not covered by {}\n{}",
                    i,
                    by,
                    doc
                );
                prop_assert_eq!(
                    status[by],
                    RuleStatus::Effective,
                    "covered by a non-effective rule"
                );
                for b in &blobs {
                    if reference.rule_selects(&reference.rules[i], b) {
                        prop_assert!(
                            reference.rule_selects(&reference.rules[by], b),
                            "rule {} selects {:?} but its coverer {} does not\n{}",
                            i,
                            b,
                            by,
                            doc
                        );
                    }
                }
            }
        }
    }

    // Accounting.
    let mut tally = m.tally();
    let mut half = m.tally();
    for (k, w) in out.iter().enumerate() {
        if let Some(id) = w {
            if k % 2 == 0 {
                tally.record(*id);
            } else {
                half.record(*id);
            }
        }
    }
    tally.merge(&half);
    let reports: Vec<_> = m.report(&tally).collect();
    prop_assert_eq!(reports.len(), rules.len());
    for (i, r) in reports.iter().enumerate() {
        let expected = want
            .iter()
            .filter(|w| **w == Some(RuleId(i as u32)))
            .count() as u64;
        prop_assert_eq!(r.hits, expected, "hits of rule {}\n{}", i, doc);
        prop_assert_eq!(tally.hits(RuleId(i as u32)), expected);
        if r.rule.status != RuleStatus::Effective {
            prop_assert_eq!(r.hits, 0);
        }
    }
    let unused: Vec<u32> = m.unused(&tally).map(|r| r.rule.id.0).collect();
    let want_unused: Vec<u32> = reports
        .iter()
        .filter(|r| r.hits == 0 || r.rule.status != RuleStatus::Effective)
        .map(|r| r.rule.id.0)
        .collect();
    prop_assert_eq!(unused, want_unused);
    Ok(())
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn matcher_agrees_with_the_reference(case in case_strategy()) {
        check_case(&case)?;
    }
}

#[test]
fn reference_model_self_check() {
    oracle::self_check();
}

/// Rule order is irrelevant (docs/semantics.md §3): a permuted selection selects the
/// same blobs.
#[test]
fn rule_order_does_not_change_what_is_selected() {
    let mut runner = proptest::test_runner::TestRunner::new(config(200));
    runner
        .run(&(rules_strategy(), any::<u64>()), |(rules, seed)| {
            let mut shuffled = rules.clone();
            let n = shuffled.len();
            let mut s = seed;
            for i in (1..n).rev() {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            let a = Selection::parse(to_xml(&rules).as_bytes(), "a")
                .unwrap()
                .compile()
                .unwrap();
            let b = Selection::parse(to_xml(&shuffled).as_bytes(), "b")
                .unwrap()
                .compile()
                .unwrap();
            let case = Case {
                rules,
                form: DocForm::Xml,
                sas: None,
                extra_blobs: vec![],
            };
            for blob in universe(&case) {
                prop_assert_eq!(
                    a.find_path(blob.path.as_bytes(), blob.snapshot).is_some(),
                    b.find_path(blob.path.as_bytes(), blob.snapshot).is_some(),
                    "{:?}",
                    blob
                );
            }
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------------------
// Round trips through the writers

const WIDE: &[&str] = &[
    "a",
    " ",
    "é",
    "日",
    "&",
    "<",
    ">",
    "]]>",
    "\"",
    "'",
    "\u{a0}",
    "\u{7f}",
    "/",
    "&amp;",
    "x y",
    "\u{1F600}",
];

fn wide_text() -> impl Strategy<Value = String> {
    prop::collection::vec(0..WIDE.len(), 1..5).prop_map(|v| v.iter().map(|&i| WIDE[i]).collect())
}

fn api_rule() -> impl Strategy<Value = Rule> {
    (
        0u8..4,
        0..CONTAINERS.len(),
        wide_text(),
        0u64..3_155_378_975_999_999_999,
    )
        .prop_map(|(kind, c, name, ticks)| {
            let origin = Origin {
                source: "api".into(),
                position: None,
            };
            let path = format!("/{}/{name}", CONTAINERS[c]);
            match kind {
                0 => Rule::prefix(&format!("/{name}"), origin).unwrap(),
                1 => Rule::path(&path, RuleKind::Path, origin).unwrap(),
                2 => Rule::path(&path, RuleKind::PathWithoutSnapshots, origin).unwrap(),
                _ => Rule::path(
                    &path,
                    RuleKind::Snapshot(SnapshotTime::from_ticks(ticks)),
                    origin,
                )
                .unwrap(),
            }
        })
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn blob_list_xml_round_trips(rules in prop::collection::vec(api_rule(), 0..8)) {
        let sel = Selection::from_rules(rules.clone());
        let want = keys(&sel);
        let xml = sel.to_blob_list_xml().unwrap();
        let back = Selection::parse(xml.as_bytes(), "rt.xml")
            .map_err(|e| TestCaseError::fail(format!("{e}\n{xml}")))?;
        prop_assert_eq!(back.form(), Form::BlobListXml);
        prop_assert_eq!(keys(&back), want.clone(), "{}", xml);
        let slow = Selection::parse(OneByte(xml.as_bytes()), "rt.xml")
            .map_err(|e| TestCaseError::fail(format!("one byte at a time: {e}\n{xml}")))?;
        prop_assert_eq!(keys(&slow), want.clone(), "{}", xml);
        // And again: the writer's output is a fixed point.
        prop_assert_eq!(back.to_blob_list_xml().unwrap(), xml);
    }

    #[test]
    fn export_and_arm_json_round_trip(rules in prop::collection::vec(api_rule(), 0..8)) {
        let rules: Vec<Rule> = rules
            .into_iter()
            .filter(|r| matches!(r.kind(), RuleKind::Prefix | RuleKind::Path))
            .collect();
        let sel = Selection::from_rules(rules.clone());
        // JSON lists paths, then prefixes; each in selection order.
        let mut want: Vec<(RuleKind, String)> = keys(&sel)
            .into_iter()
            .filter(|k| k.0 == RuleKind::Path)
            .collect();
        want.extend(keys(&sel).into_iter().filter(|k| k.0 == RuleKind::Prefix));
        for (json, form) in [
            (sel.to_export_json().unwrap(), Form::ExportJson),
            (sel.to_arm_json().unwrap(), Form::ArmJob),
        ] {
            let back = Selection::parse(json.as_bytes(), "rt.json")
                .map_err(|e| TestCaseError::fail(format!("{e}\n{json}")))?;
            prop_assert_eq!(back.form(), form);
            prop_assert_eq!(keys(&back), want.clone(), "{}", json);
        }
    }

    #[test]
    fn json_refuses_snapshot_rules(rules in prop::collection::vec(api_rule(), 1..8)) {
        let sel = Selection::from_rules(rules.clone());
        let representable = rules
            .iter()
            .all(|r| matches!(r.kind(), RuleKind::Prefix | RuleKind::Path));
        match sel.to_export_json() {
            Ok(_) => prop_assert!(representable),
            Err(e) => {
                prop_assert!(!representable);
                prop_assert_eq!(e.kind(), ErrorKind::Unrepresentable);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Snapshot times, against an independent calendar

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 (H. Hinnant's `days_from_civil`).
fn days_from_unix_epoch(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

const TICKS_PER_DAY: i64 = 864_000_000_000;

fn expected_ticks(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, frac7: i64) -> u64 {
    let days = days_from_unix_epoch(y, mo, d) - days_from_unix_epoch(1, 1, 1);
    (days * TICKS_PER_DAY + (h * 3600 + mi * 60 + s) * 10_000_000 + frac7) as u64
}

#[test]
fn snapshot_time_known_values() {
    let t = |s: &str| s.parse::<SnapshotTime>().unwrap().ticks();
    assert_eq!(t("0001-01-01T00:00:00Z"), 0);
    assert_eq!(t("1970-01-01T00:00:00Z"), 621_355_968_000_000_000);
    assert_eq!(t("2011-03-09T01:42:34.936Z"), 634_352_317_549_360_000);
    assert_eq!(
        expected_ticks(1970, 1, 1, 0, 0, 0, 0),
        621_355_968_000_000_000
    );
    assert_eq!(
        expected_ticks(2011, 3, 9, 1, 42, 34, 9_360_000),
        634_352_317_549_360_000
    );
    // docs/semantics.md §2: one snapshot in three textual forms.
    let a: SnapshotTime = "2011-03-09T01:42:34.936Z".parse().unwrap();
    for other in [
        "2011-03-09T01:42:34.9360000Z",
        "2011-03-09T01:42:34.936000Z",
    ] {
        assert_eq!(other.parse::<SnapshotTime>().unwrap(), a);
    }
    assert!(a < "2011-03-09T01:42:34.9360001Z".parse().unwrap());
}

fn datetime() -> impl Strategy<Value = (i64, i64, i64, i64, i64, i64, String)> {
    (
        1i64..=9999,
        1i64..=12,
        any::<Index>(),
        0i64..24,
        0i64..60,
        0i64..60,
        "[0-9]{0,7}",
    )
        .prop_map(|(y, mo, d, h, mi, s, frac)| {
            let d = d.index(days_in_month(y, mo) as usize) as i64 + 1;
            (y, mo, d, h, mi, s, frac)
        })
}

proptest! {
    #![proptest_config(config(2000))]

    #[test]
    fn snapshot_text_parses_to_the_instant((y, mo, d, h, mi, s, frac) in datetime()) {
        let base = format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}");
        let text = if frac.is_empty() { format!("{base}Z") } else { format!("{base}.{frac}Z") };
        let frac7: i64 = format!("{frac:0<7}").parse().unwrap();
        let t: SnapshotTime = text.parse().map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(t.ticks(), expected_ticks(y, mo, d, h, mi, s, frac7), "{}", text);
        let canonical = format!("{base}.{frac7:07}Z");
        prop_assert_eq!(t.to_string(), canonical.clone());
        // The same instant with trailing zeros added or removed is equal.
        let trimmed = frac.trim_end_matches('0');
        let short = if trimmed.is_empty() { format!("{base}Z") } else { format!("{base}.{trimmed}Z") };
        prop_assert_eq!(short.parse::<SnapshotTime>().unwrap(), t);
        prop_assert_eq!(canonical.parse::<SnapshotTime>().unwrap(), t);
    }

    #[test]
    fn snapshot_display_parse_is_identity(
        a in 0u64..3_155_378_976_000_000_000,
        b in 0u64..3_155_378_976_000_000_000,
    ) {
        let (ta, tb) = (SnapshotTime::from_ticks(a), SnapshotTime::from_ticks(b));
        let (sa, sb) = (ta.to_string(), tb.to_string());
        prop_assert_eq!(sa.len(), 28, "{}", sa);
        prop_assert_eq!(sa.parse::<SnapshotTime>().unwrap(), ta);
        prop_assert_eq!(sa.parse::<SnapshotTime>().unwrap().ticks(), a);
        // Equal instants compare equal; order is chronological, and the
        // fixed-width canonical text sorts the same way.
        prop_assert_eq!(ta.cmp(&tb), a.cmp(&b));
        prop_assert_eq!(sa.cmp(&sb), a.cmp(&b));
        prop_assert_eq!(ta == tb, sa == sb);
    }
}

// ---------------------------------------------------------------------------
// Corrupt serialized matchers: InvalidIndex or harmless, never a panic.

/// `sel` compiled for the container `sas` names, when every rule lies in
/// it, else for the whole account. (A container restriction refuses rules
/// outside the container, tested in engine_spec; the index tests here
/// only need both kinds of index.)
fn compile_in(sel: &Selection, sas: Option<usize>) -> Matcher {
    MatcherBuilder::new()
        .container(sas.map(|i| CONTAINERS[i]))
        .build(sel)
        .or_else(|_| MatcherBuilder::new().build(sel))
        .unwrap()
}

#[derive(Clone, Debug)]
enum Damage {
    Flip(Vec<(Index, u8)>),
    Truncate(Index),
    Overwrite(Index, Vec<u8>),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        prop::collection::vec((any::<Index>(), 1u8..=255), 1..4).prop_map(Damage::Flip),
        any::<Index>().prop_map(Damage::Truncate),
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Damage::Overwrite(i, b)),
    ]
}

proptest! {
    #![proptest_config(config(500))]

    /// An index gives back the rules it was compiled from: kinds, texts and
    /// origins, in selection order.
    #[test]
    fn an_index_gives_back_its_rules(
        rules in rules_strategy(),
        sas in prop::option::of(0..CONTAINERS.len()),
    ) {
        let sel = Selection::parse(to_xml(&rules).as_bytes(), "gen").unwrap();
        let m = compile_in(&sel, sas);
        let loaded = Matcher::from_bytes(m.as_bytes().to_vec()).unwrap();
        let back = loaded.selection().unwrap();
        prop_assert_eq!(back.rules().unwrap(), sel.rules().unwrap());
        // Compiled again, the same index.
        let again = MatcherBuilder::new()
            .container(loaded.container())
            .build(&back)
            .unwrap();
        prop_assert!(again.as_bytes() == m.as_bytes());
    }
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn corrupt_index_is_rejected_or_harmless(
        rules in rules_strategy(),
        sas in prop::option::of(0..CONTAINERS.len()),
        damage in damage(),
        reseal in 0..3u8,
    ) {
        let sel = Selection::parse(to_xml(&rules).as_bytes(), "gen").unwrap();
        let m = compile_in(&sel, sas);
        let mut bytes = m.as_bytes().to_vec();
        let n = bytes.len();
        let must_fail = match &damage {
            Damage::Flip(flips) => {
                for (i, x) in flips {
                    bytes[i.index(n)] ^= x;
                }
                false
            }
            Damage::Truncate(i) => {
                bytes.truncate(i.index(n));
                true
            }
            Damage::Overwrite(i, b) => {
                let at = i.index(n);
                for (k, v) in b.iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(at + k) {
                        *slot = *v;
                    }
                }
                false
            }
        };
        // The index's checksum catches any such damage. Made to match again
        // (the CRC-32 of all bytes after the first 16, at byte 12, as
        // src/matcher/format.rs documents), the damage reaches every other
        // check, as a crafted index would.
        let changed = bytes.as_slice() != m.as_bytes();
        // Resealed (the index's checksum, and then also the fst's), the
        // damage reaches every check behind the checksums.
        if reseal > 0 {
            reseal::reseal(&mut bytes, reseal == 2);
        }
        let case = Case { rules, form: DocForm::Xml, sas: None, extra_blobs: vec![] };
        let must_fail = must_fail || (changed && reseal == 0);
        match Matcher::from_bytes(bytes) {
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidIndex),
            Ok(loaded) => {
                prop_assert!(!must_fail, "a truncated index loaded");
                let blobs: Vec<(String, Option<SnapshotTime>)> = universe(&case)
                    .into_iter()
                    .map(|b| (b.path, b.snapshot))
                    .collect();
                exercise(&loaded, &blobs);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Bad input never panics (docs/semantics.md §6): damaged documents parse or fail cleanly.

const SPICE: &[&str] = &[
    "<",
    ">",
    "&",
    "&#",
    "&#x;",
    "]]>",
    "<![CDATA[",
    "<!--",
    "\"",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\\u",
    "\\ud800",
    "\u{FEFF}",
    "\u{0}",
    "\n",
    "é",
    "<!DOCTYPE x>",
    "<?x?>",
    "/",
    " ",
];

proptest! {
    #![proptest_config(config(500))]

    #[test]
    fn damaged_documents_never_panic(
        case in case_strategy(),
        edits in prop::collection::vec((any::<Index>(), 0u8..3, 0..SPICE.len()), 1..4),
    ) {
        let rules: Vec<GenRule> = case.rules.clone();
        let form = if rules.iter().all(GenRule::json_ok) { case.form } else { DocForm::Xml };
        let mut doc = to_doc(&rules, form, None).into_bytes();
        for (at, op, spice) in edits {
            let i = at.index(doc.len() + 1);
            match op {
                0 => doc.truncate(i),
                1 => {
                    doc.splice(i..i, SPICE[spice].bytes());
                }
                _ => {
                    if i < doc.len() {
                        doc[i] ^= 0x20;
                    }
                }
            }
        }
        let parsed = [
            Selection::parse(&doc[..], "damaged"),
            Selection::parse(OneByte(&doc), "damaged"),
        ];
        // Damaged documents parse or fail; neither may panic.
        for sel in parsed.into_iter().flatten() {
            if let Ok(m) = sel.compile() {
                let _ = m.find_path(b"/bob/a", None);
            }
            let _ = sel.to_blob_list_xml();
        }
    }
}
