//! Structured rules and blobs (with `$root`, unicode, prefixes of prefixes,
//! snapshot rules with equal instants written in mixed textual forms, and
//! blobs drawn from the same pieces). The rules are written as blob list
//! XML in those forms and read back; then the compiled matcher, the
//! matcher serialized and loaded with `Matcher::from_bytes`, and the naive
//! reference model (`tests/common/oracle.rs`) must agree on every blob:
//! whether it is selected and by which rule, and so must a `Cursor` fed
//! the same blobs in input order, sorted and reversed (its memory of the
//! last walk must never change an answer). Each rule's status (effective,
//! duplicate, covered) must agree with the model too. Finally a corrupted
//! copy of the index must be rejected or answer without panicking.

#![no_main]

use arbitrary::Arbitrary;
use blobsel::{
    Matcher, MatcherBuilder, Origin, Rule, RuleId, RuleKind, RuleStatus, Selection, SnapshotTime,
};
use libfuzzer_sys::fuzz_target;

#[path = "../common/mod.rs"]
mod common;
#[path = "../../tests/common/oracle.rs"]
mod oracle;
#[path = "../../tests/common/reseal.rs"]
mod reseal;

use oracle::{RefBlob, RefRule, Reference};

const CONTAINERS: &[&str] = &[
    "$root", "$logs", "$web", "abc", "abd", "abc-d", "a1b", "ab", "ABC", "$ro",
];
const PIECES: &[&str] = &[
    "a",
    "b",
    "/",
    "é",
    "e\u{301}",
    "😀",
    " ",
    "x.txt",
    "a/b",
    "\u{FFFF}",
    "\u{10FFFF}",
    "$root",
    "%2F",
    "\u{7f}",
    "&<>\"'",
    "ab",
    "\t",
    "]]>",
];
const MAX_RULES: usize = 32;
const MAX_BLOBS: usize = 64;

#[derive(Arbitrary, Debug)]
struct Input {
    /// Limits matching to `CONTAINERS[i]` (a container SAS).
    container: Option<u8>,
    rules: Vec<RuleSpec>,
    blobs: Vec<BlobSpec>,
    /// Flip bits of one byte of the serialized index, or truncate it.
    corrupt: Option<(u16, u8)>,
}

#[derive(Arbitrary, Debug)]
struct PathSpec {
    container: u8,
    pieces: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
enum RuleSpec {
    /// A prefix: the path cut after `cut` characters (at least the `/`).
    Prefix {
        path: PathSpec,
        cut: u8,
    },
    Path {
        path: PathSpec,
        slash: bool,
    },
    PathWithoutSnapshots {
        path: PathSpec,
        slash: bool,
    },
    Snapshot {
        path: PathSpec,
        slash: bool,
        time: TimeSpec,
    },
    /// Another rule's text again: as a prefix of it (cut), or as a path rule
    /// of another kind.
    Again {
        of: u8,
        kind: u8,
        cut: u8,
        time: TimeSpec,
    },
}

#[derive(Arbitrary, Debug, Clone, Copy)]
struct TimeSpec {
    instant: u8,
    form: u8,
}

#[derive(Arbitrary, Debug)]
enum BlobSpec {
    Fresh {
        path: PathSpec,
        snapshot: Option<TimeSpec>,
    },
    /// A rule's text, plus more pieces.
    Under {
        rule: u8,
        more: Vec<u8>,
        snapshot: Option<TimeSpec>,
    },
    /// A rule's text cut short.
    Cut {
        rule: u8,
        cut: u8,
        snapshot: Option<TimeSpec>,
    },
}

fn path_text(p: &PathSpec) -> String {
    let mut s = format!("/{}/", CONTAINERS[p.container as usize % CONTAINERS.len()]);
    for &i in p.pieces.iter().take(6) {
        s.push_str(PIECES[i as usize % PIECES.len()]);
    }
    s
}

/// The first `n` characters (at least one, at most all).
fn cut(text: &str, n: u8) -> String {
    let count = text.chars().count().max(1);
    text.chars().take(1 + n as usize % count).collect()
}

const T0: u64 = 634_352_317_549_360_000; // 2011-03-09T01:42:34.936Z
const SECOND: u64 = 10_000_000;
const HOUR: u64 = 3600 * SECOND;
const END: u64 = 3_155_378_976_000_000_000; // 10000-01-01

fn instant(i: u8) -> u64 {
    [
        T0,
        T0 + 1,
        T0 - 1,
        T0 + SECOND,
        0,
        END - 1,
        638_396_640_000_000_000, // 2024-01-01T00:00:00Z
        T0 + 4_000,              // .9364Z
    ][i as usize % 8]
}

/// The instant of `t` written in one of its textual forms.
fn time_text(t: TimeSpec) -> (u64, String) {
    let ticks = instant(t.instant);
    let canonical = SnapshotTime::from_ticks(ticks).to_string(); // …SS.fffffffZ
    let (head, frac) = (&canonical[..19], &canonical[20..27]);
    let trimmed = frac.trim_end_matches('0');
    let text = match t.form % 8 {
        0 => canonical.clone(),
        1 if trimmed.is_empty() => format!("{head}Z"),
        1 => format!("{head}.{trimmed}Z"),
        2 => {
            let n = trimmed.len().max(1);
            let digits = n + (t.form as usize / 8) % (8 - n);
            format!("{head}.{}Z", &frac[..digits])
        }
        3 => canonical.replace('T', "t").replace('Z', "z"),
        4 => canonical.replace('Z', "+00:00"),
        5 if trimmed.len() < 7 => format!("{head}.{trimmed}0-00:00"),
        5 => canonical.replace('Z', "-00:00"),
        6 if ticks + HOUR < END => {
            let local = SnapshotTime::from_ticks(ticks + HOUR).to_string();
            local.replace('Z', "+01:00")
        }
        7 if ticks >= 90 * 60 * SECOND => {
            let local = SnapshotTime::from_ticks(ticks - 90 * 60 * SECOND).to_string();
            local.replace('Z', "-01:30")
        }
        _ => canonical.clone(),
    };
    (ticks, text)
}

/// One rule of the selection as the fuzzer means it: what to build, and
/// how to write it in XML.
struct Planned {
    rule: Rule,
    /// The element text (path with or without its leading '/').
    written: String,
    /// The `SnapshotTime` attribute as written.
    time_text: Option<String>,
}

fn origin() -> Origin {
    Origin {
        source: "fuzz".into(),
        position: None,
    }
}

fn plan(spec: &RuleSpec, earlier: &[Planned], data: &[u8]) -> Option<Planned> {
    let path_rule = |text: String, slash: bool, kind: RuleKind, tt: Option<String>| {
        let rule = Rule::path(&text, kind, origin()).ok()?;
        let written = if slash { text } else { text[1..].to_string() };
        Some(Planned {
            rule,
            written,
            time_text: tt,
        })
    };
    let snapshot = |time: TimeSpec| {
        let (ticks, text) = time_text(time);
        match SnapshotTime::parse(text.as_bytes()) {
            Ok(t) if t.ticks() == ticks => (t, text),
            other => common::fail(
                "matcher_differential",
                data,
                &format!("{text:?} parses to {other:?}, not ticks {ticks}"),
            ),
        }
    };
    match spec {
        RuleSpec::Prefix { path, cut: n } => {
            let text = cut(&path_text(path), *n);
            let rule = Rule::prefix(&text, origin()).ok()?;
            Some(Planned {
                rule,
                written: text,
                time_text: None,
            })
        }
        RuleSpec::Path { path, slash } => path_rule(path_text(path), *slash, RuleKind::Path, None),
        RuleSpec::PathWithoutSnapshots { path, slash } => path_rule(
            path_text(path),
            *slash,
            RuleKind::PathWithoutSnapshots,
            None,
        ),
        RuleSpec::Snapshot { path, slash, time } => {
            let (t, text) = snapshot(*time);
            path_rule(path_text(path), *slash, RuleKind::Snapshot(t), Some(text))
        }
        RuleSpec::Again {
            of,
            kind,
            cut: n,
            time,
        } => {
            let base = earlier.get(*of as usize % earlier.len().max(1))?;
            let text = base.rule.text().to_string();
            match kind % 4 {
                0 => {
                    let text = cut(&text, *n);
                    let rule = Rule::prefix(&text, origin()).ok()?;
                    Some(Planned {
                        rule,
                        written: text,
                        time_text: None,
                    })
                }
                1 => path_rule(text, n % 2 == 0, RuleKind::Path, None),
                2 => path_rule(text, n % 2 == 0, RuleKind::PathWithoutSnapshots, None),
                _ => {
                    let (t, tt) = snapshot(*time);
                    path_rule(text, n % 2 == 0, RuleKind::Snapshot(t), Some(tt))
                }
            }
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::new();
    let lead = text.len() - text.trim_start_matches(' ').len();
    let trail = text.len() - text.trim_end_matches(' ').len();
    for (i, c) in text.char_indices() {
        match c {
            ' ' if i < lead || i >= text.len() - trail => out.push_str("&#x20;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&#62;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn write_xml(planned: &[Planned]) -> String {
    let mut xml = String::from("<BlobList>\n");
    for p in planned {
        let element = p.rule.kind().element();
        xml.push_str("  <");
        xml.push_str(element);
        match (p.rule.kind(), &p.time_text) {
            (RuleKind::PathWithoutSnapshots, _) => xml.push_str(" IncludeSnapshots=\"false\""),
            (RuleKind::Snapshot(_), Some(t)) => {
                xml.push_str(" SnapshotTime=\"");
                xml.push_str(t);
                xml.push('"');
            }
            _ => {}
        }
        xml.push('>');
        xml.push_str(&escape(&p.written));
        xml.push_str("</");
        xml.push_str(element);
        xml.push_str(">\n");
    }
    xml.push_str("</BlobList>\n");
    xml
}

/// Whether a rule lies inside container `c` (as `Selection` checks for a
/// container SAS).
fn inside(rule: &Rule, c: &str) -> bool {
    rule.text()
        .strip_prefix('/')
        .and_then(|t| t.strip_prefix(c))
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn blob_text(spec: &BlobSpec, rules: &[Rule]) -> (String, Option<TimeSpec>) {
    let rule_text = |i: u8| {
        rules
            .get(i as usize % rules.len().max(1))
            .map_or("/abc/a".to_string(), |r| r.text().to_string())
    };
    match spec {
        BlobSpec::Fresh { path, snapshot } => (path_text(path), *snapshot),
        BlobSpec::Under {
            rule,
            more,
            snapshot,
        } => {
            let mut s = rule_text(*rule);
            for &i in more.iter().take(4) {
                s.push_str(PIECES[i as usize % PIECES.len()]);
            }
            (s, *snapshot)
        }
        BlobSpec::Cut {
            rule,
            cut: n,
            snapshot,
        } => (cut(&rule_text(*rule), *n), *snapshot),
    }
}

fn describe(m: &Matcher, id: Option<RuleId>) -> String {
    match id {
        Some(id) => format!("rule {} ({})", id.0, m.rule(id)),
        None => "nothing".into(),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() > common::MAX_INPUT {
        return;
    }
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(input) = Input::arbitrary(&mut u) else {
        return;
    };
    let container = input
        .container
        .map(|i| CONTAINERS[i as usize % CONTAINERS.len()])
        .filter(|c| blobsel::path::is_valid_container_name(c.as_bytes()));

    let mut planned: Vec<Planned> = Vec::new();
    for spec in input.rules.iter().take(MAX_RULES) {
        if let Some(p) = plan(spec, &planned, data) {
            if container.is_none_or(|c| inside(&p.rule, c)) {
                planned.push(p);
            }
        }
    }
    let xml = write_xml(&planned);
    let fail = |what: String| -> ! {
        panic!(
            "\nmatcher_differential: {what}\n\nreproducer:\n\
             let xml = {};\nlet container: Option<&str> = {:?};\n",
            common::str_literal(&xml),
            container
        )
    };

    // The rules, read back from XML in their mixed textual forms. XML
    // cannot carry U+FFFE/U+FFFF at all (a JSON selection can): rules
    // holding them go to the matcher directly.
    let xml_can_carry = planned
        .iter()
        .all(|p| !p.written.contains(['\u{FFFE}', '\u{FFFF}']));
    let sel = if xml_can_carry {
        Selection::parse(xml.as_bytes(), "fuzz.xml")
            .unwrap_or_else(|e| fail(format!("the blob list does not parse: {e}")))
    } else {
        if Selection::parse(xml.as_bytes(), "fuzz.xml").is_ok() {
            fail("a blob list with U+FFFF in a path parses".into());
        }
        Selection::from_rules(planned.iter().map(|p| p.rule.clone()).collect())
    };
    let rules = sel.rules().unwrap_or_else(|e| fail(format!("{e}")));
    let direct: Vec<_> = planned.iter().map(|p| p.rule.key()).collect();
    let read: Vec<_> = rules.iter().map(Rule::key).collect();
    if direct != read {
        fail(format!(
            "XML reads other rules than were written:\n  {direct:?}\n  {read:?}"
        ));
    }

    let compiled = MatcherBuilder::new()
        .container(container)
        .build(&sel)
        .unwrap_or_else(|e| fail(format!("does not compile: {e}")));
    let loaded = Matcher::from_bytes(compiled.as_bytes().to_vec())
        .unwrap_or_else(|e| fail(format!("the index does not load: {e}")));
    if loaded.container() != container {
        fail(format!("the index says container {:?}", loaded.container()));
    }
    let model = Reference::with_container(
        rules
            .iter()
            .map(|r| RefRule::new(r.kind(), r.text()))
            .collect(),
        container,
    );

    // Which rules are effective, duplicates or covered.
    for i in 0..rules.len() {
        let status = loaded.rule(RuleId(i as u32)).status;
        let ok = match status {
            RuleStatus::Effective => model.effective(i),
            RuleStatus::Duplicate { of } => {
                let of = of.0 as usize;
                of < i && model.equal(of, i) && model.effective(of) && !model.effective(i)
            }
            RuleStatus::Covered { by } => {
                let by = by.0 as usize;
                by != i && model.covers(by, i) && model.effective(by) && !model.effective(i)
            }
        };
        if !ok {
            fail(format!(
                "rule {i} ({}) is {status:?}; the model says effective: {}",
                loaded.rule(RuleId(i as u32)),
                model.effective(i)
            ));
        }
    }

    // Every blob: compiled, loaded and model agree.
    let mut blobs: Vec<(String, Option<SnapshotTime>)> = Vec::new();
    for spec in input.blobs.iter().take(MAX_BLOBS) {
        let (path, time) = blob_text(spec, rules);
        let snapshot = time.map(|t| SnapshotTime::from_ticks(instant(t.instant)));
        blobs.push((path, snapshot));
    }
    // Every rule's own witness too.
    for i in 0..rules.len() {
        let w = model.witness(i);
        blobs.push((w.path, w.snapshot));
    }
    let batch_items: Vec<(&[u8], Option<SnapshotTime>)> =
        blobs.iter().map(|(p, s)| (p.as_bytes(), *s)).collect();
    let mut batch = Vec::new();
    loaded.find_batch(&batch_items, &mut batch);
    for (k, (path, snapshot)) in blobs.iter().enumerate() {
        let want = model.chosen(&RefBlob::new(path, *snapshot));
        if want.is_some() != model.selected(&RefBlob::new(path, *snapshot)) {
            fail(format!("the model contradicts itself on {path:?}"));
        }
        let want = want.map(|i| RuleId(i as u32));
        let a = compiled.find_path(path.as_bytes(), *snapshot);
        let b = loaded.find_path(path.as_bytes(), *snapshot);
        let c = loaded.find_unrooted(&path.as_bytes()[1..], *snapshot);
        let d = path[1..]
            .split_once('/')
            .map(|(container, name)| loaded.find(container, name, *snapshot));
        if a != want || b != want || c != want || d.is_some_and(|d| d != want) || batch[k] != want {
            fail(format!(
                "blob {path:?} snapshot {}:\n  model:    {}\n  compiled: {}\n  loaded:   \
                 {}\n  unrooted: {}\n  find:     {:?}\n  batch:    {:?}",
                snapshot.map_or("none".to_string(), |t| t.to_string()),
                describe(&loaded, want),
                describe(&loaded, a),
                describe(&loaded, b),
                describe(&loaded, c),
                d,
                batch[k],
            ));
        }
    }

    // One cursor over all the blobs, in input order, then sorted (as List
    // Blobs returns them), then reversed: its memory of the last walk and
    // its per-container cache must never change an answer.
    let wants: Vec<Option<RuleId>> = blobs
        .iter()
        .map(|(p, s)| model.chosen(&RefBlob::new(p, *s)).map(|i| RuleId(i as u32)))
        .collect();
    let mut order: Vec<usize> = (0..blobs.len()).collect();
    let mut sorted = order.clone();
    sorted.sort_by(|&a, &b| blobs[a].cmp(&blobs[b]));
    order.extend(sorted.iter().copied());
    order.extend(sorted.iter().rev().copied());
    let mut cursor = loaded.cursor();
    let mut compiled_cursor = compiled.cursor();
    for (step, &k) in order.iter().enumerate() {
        let (path, snapshot) = &blobs[k];
        let got = cursor.find_path(path.as_bytes(), *snapshot);
        let rooted = compiled_cursor.find_unrooted(&path.as_bytes()[1..], *snapshot);
        let blob = path[1..]
            .find('/')
            .map(|len| cursor.find_blob(&path.as_bytes()[1..], len, *snapshot));
        if got != wants[k] || rooted != wants[k] || blob.is_some_and(|b| b != wants[k]) {
            let before: Vec<&str> = order[..step].iter().map(|&i| blobs[i].0.as_str()).collect();
            fail(format!(
                "cursor on blob {path:?} snapshot {}, after {before:?}:\n  model:         \
                 {}\n  cursor:        {}\n  unrooted:      {}\n  find_blob:     {blob:?}",
                snapshot.map_or("none".to_string(), |t| t.to_string()),
                describe(&loaded, wants[k]),
                describe(&loaded, got),
                describe(&loaded, rooted),
            ));
        }
    }

    // A damaged index is refused, or answers without panicking.
    if let Some((at, bits)) = input.corrupt {
        let mut bytes = compiled.as_bytes().to_vec();
        let at = at as usize % bytes.len();
        if bits == 0 {
            bytes.truncate(at);
        } else {
            bytes[at] ^= bits;
        }
        // The checksums (the index's CRC-32, the fst's CRC-32C) catch
        // that; made to match again on two bytes in three (the fst's too
        // on one), the damage reaches every other check, as a crafted
        // index would.
        if at % 3 > 0 {
            reseal::reseal(&mut bytes, at % 3 == 2);
        }
        if let Ok(m) = Matcher::from_bytes(bytes) {
            let _ = (m.container(), m.index_len(), m.index_bytes());
            for r in m.rules() {
                let _ = r.to_string();
            }
            let mut cursor = m.cursor();
            for (path, snapshot) in &blobs {
                let _ = cursor.find_path(path.as_bytes(), *snapshot);
                if let Some(id) = m.find_path(path.as_bytes(), *snapshot) {
                    if id.0 as usize >= m.rule_count() {
                        fail(format!(
                            "a damaged index answers rule {} of {}",
                            id.0,
                            m.rule_count()
                        ));
                    }
                    let _ = m.rule(id);
                }
            }
        }
    }
});
