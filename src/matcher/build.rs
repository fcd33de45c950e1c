//! Compiling rules: canonical keys, duplicates merged, covered rules dropped
//! (and remembered), an fst over the prefixes and a table of the exact
//! paths.

use std::borrow::Cow;

use rayon::slice::ParallelSliceMut;

use crate::error::{Error, ErrorKind};
use crate::matcher::exact;
use crate::matcher::format::{self, ComplexEntry, RuleRecord, Tag, Text};
use crate::matcher::keys::Keys;
use crate::matcher::{Matcher, RuleId, RuleStatus};
use crate::rule::{Rule, RuleKind};
use crate::selection::Selection;

/// Compiles rules into a [`Matcher`].
///
/// ```
/// use blobsel::{MatcherBuilder, Selection};
/// let sel = Selection::parse(&b"<BlobList><BlobPathPrefix>/bob/</BlobPathPrefix></BlobList>"[..], "list.xml")?;
/// let matcher = MatcherBuilder::new().build(&sel)?;
/// assert!(matcher.find_path(b"/bob/a.txt", None).is_some());
/// # Ok::<(), blobsel::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MatcherBuilder {
    container: Option<String>,
}

impl MatcherBuilder {
    /// A builder with no container restriction.
    pub fn new() -> MatcherBuilder {
        MatcherBuilder::default()
    }

    /// Limits matching to one container (what a job's container SAS does):
    /// every rule must then lie inside it (a prefix `/container` or
    /// `/container/…`, a path `/container/…`), or building fails.
    /// [`MatcherBuilder::build`] sets this from the selection's SAS.
    pub fn container(&mut self, container: Option<&str>) -> &mut MatcherBuilder {
        self.container = container.map(str::to_string);
        self
    }

    /// Compiles the selection's rules (and its container SAS, if any).
    pub fn build(&self, selection: &Selection) -> Result<Matcher, Error> {
        let container = self.container.as_deref().or(selection.container_sas());
        compile(selection.rules()?, container)
    }

    /// Compiles a list of rules.
    pub fn build_rules(&self, rules: &[Rule]) -> Result<Matcher, Error> {
        compile(rules, self.container.as_deref())
    }
}

fn too_many() -> Error {
    Error::new(
        ErrorKind::InvalidIndex,
        "more than 2^32 - 2 rules: split the selection",
    )
}

fn compile<'r>(rules: &'r [Rule], container: Option<&str>) -> Result<Matcher, Error> {
    if rules.len() >= u32::MAX as usize {
        return Err(too_many());
    }
    if let Some(c) = container {
        if let Some(outside) = rules.iter().find(|r| !r.inside_container(c)) {
            return Err(Error::new(
                ErrorKind::OutsideContainerSas,
                format!("{outside} ({}) lies outside container {c:?}, the only one matching is limited to", outside.origin()),
            ));
        }
    }
    let mut status = vec![RuleStatus::Effective; rules.len()];

    // Prefixes: sorted, duplicates folded, covered ones dropped. In byte
    // order a covering prefix comes right before all it covers.
    let mut prefixes: Vec<(Cow<'r, [u8]>, u32)> = Vec::new();
    let mut paths: Vec<(&'r str, u32)> = Vec::new();
    for (i, r) in rules.iter().enumerate() {
        match r.kind() {
            RuleKind::Prefix => {
                prefixes.push((format::prefix_key(r.text().as_bytes(), container), i as u32))
            }
            _ => paths.push((r.text(), i as u32)),
        }
    }
    prefixes.sort_unstable();
    // A blob list may hold a million paths: sorted on every thread.
    paths.par_sort_unstable();
    let mut kept: Vec<(Cow<'r, [u8]>, u32)> = Vec::new();
    for (key, id) in prefixes {
        match kept.last() {
            Some((k, first)) if *k == key => {
                status[id as usize] = RuleStatus::Duplicate { of: RuleId(*first) }
            }
            Some((k, by)) if key.starts_with(k) => {
                status[id as usize] = RuleStatus::Covered { by: RuleId(*by) }
            }
            _ => kept.push((key, id)),
        }
    }

    // Exact paths: covered by a kept prefix (the greatest one not above the
    // path is the only candidate, kept prefixes being prefix-free), or
    // folded by kind.
    let mut keys: Vec<(&'r [u8], Tag, u32)> = Vec::with_capacity(paths.len());
    let mut complex: Vec<ComplexEntry> = Vec::new();
    for group in paths.chunk_by(|a, b| a.0 == b.0) {
        let path = group[0].0;
        let ids = || group.iter().map(|&(_, id)| id);
        let i = kept.partition_point(|(k, _)| &**k <= path.as_bytes());
        if let Some((k, by)) = i.checked_sub(1).map(|i| &kept[i]) {
            if path.as_bytes().starts_with(k) {
                for id in ids() {
                    status[id as usize] = RuleStatus::Covered { by: RuleId(*by) };
                }
                continue;
            }
        }
        if let Some(first) = ids().find(|&id| rules[id as usize].kind() == RuleKind::Path) {
            for id in ids() {
                if id != first {
                    status[id as usize] = match rules[id as usize].kind() {
                        RuleKind::Path => RuleStatus::Duplicate { of: RuleId(first) },
                        _ => RuleStatus::Covered { by: RuleId(first) },
                    };
                }
            }
            keys.push((path.as_bytes(), Tag::PathAll, first));
            continue;
        }
        let mut base: Option<u32> = None;
        let mut snaps: Vec<(u64, u32)> = Vec::new();
        for id in ids() {
            match rules[id as usize].kind() {
                RuleKind::PathWithoutSnapshots => match base {
                    Some(first) => {
                        status[id as usize] = RuleStatus::Duplicate { of: RuleId(first) }
                    }
                    None => base = Some(id),
                },
                RuleKind::Snapshot(t) => {
                    match snaps.iter().find(|(ticks, _)| *ticks == t.ticks()) {
                        Some(&(_, first)) => {
                            status[id as usize] = RuleStatus::Duplicate { of: RuleId(first) }
                        }
                        None => snaps.push((t.ticks(), id)),
                    }
                }
                _ => unreachable!("prefixes and path-all rules are handled above"),
            }
        }
        snaps.sort_unstable();
        keys.push((path.as_bytes(), Tag::Complex, complex.len() as u32));
        complex.push(ComplexEntry {
            base,
            snapshots: snaps,
        });
    }
    drop(paths);
    let kept: Vec<(Cow<'r, [u8]>, u64)> = kept
        .into_iter()
        .map(|(k, id)| (k, format::encode(Tag::Prefix, id)))
        .collect();
    let built = exact::build(&keys)?;

    let fst = fst::Map::from_iter(kept.iter().map(|(k, v)| (&**k, *v)))
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidIndex,
                format!("building the index failed: {e}"),
            )
        })?
        .into_fst()
        .into_inner();

    // The records, written as they are made (a million of them would take
    // 32 MB more at once).
    let mut sources: Vec<&str> = Vec::new();
    let records = format::records(rules.iter().zip(&status).map(|(r, s)| {
        let source = &*r.origin().source;
        let source_index = match sources.iter().position(|x| *x == source) {
            Some(i) => i,
            None => {
                sources.push(source);
                sources.len() - 1
            }
        };
        RuleRecord {
            rule: r,
            status: *s,
            source: source_index as u32,
            text: text_source(rules, &status, r, *s, container),
        }
    }));
    let prefix_keys = Keys::from_sorted(&kept);
    let bytes = format::write(
        &fst,
        prefix_keys.texts.len(),
        &complex,
        rules.len(),
        &records,
        &sources,
        container,
        &keys,
        &built,
    );
    drop((records, keys, built, status, complex));
    Matcher::load(bytes, Some(prefix_keys))
}

/// Where the index finds rule `r`'s text: an effective rule's is its key
/// (a prefix `/container` under that container's restriction is keyed
/// `/container/`); another rule's is often its related rule's.
fn text_source(
    rules: &[Rule],
    status: &[RuleStatus],
    r: &Rule,
    s: RuleStatus,
    container: Option<&str>,
) -> Text {
    let related = match s {
        RuleStatus::Effective if r.kind() == RuleKind::Prefix => {
            return match format::prefix_key(r.text().as_bytes(), container) {
                Cow::Borrowed(_) => Text::Key,
                Cow::Owned(_) => Text::KeyLessSlash,
            }
        }
        RuleStatus::Effective => return Text::Key,
        RuleStatus::Duplicate { of } => of,
        RuleStatus::Covered { by } => by,
    };
    let i = related.0 as usize;
    match status[i] == RuleStatus::Effective && rules[i].text() == r.text() {
        true => Text::Related,
        false => Text::Inline,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matcher::format::HEADER;

    fn xml(body: &str) -> Selection {
        let doc = format!("<BlobList>\n{body}</BlobList>");
        Selection::parse(doc.as_bytes(), "t.xml").unwrap()
    }

    /// Compiles `sel` (limited to `container`), loads it back, and checks
    /// every rule's text, kind, position and status in both; returns where
    /// each rule's text is stored.
    fn texts_read_back(sel: &Selection, container: Option<&str>) -> Vec<Text> {
        let rules = sel.rules().unwrap();
        let m = MatcherBuilder::new()
            .container(container)
            .build(sel)
            .unwrap();
        let loaded = Matcher::from_bytes(m.as_bytes().to_vec()).unwrap();
        assert_eq!(loaded.as_bytes(), m.as_bytes());
        let status: Vec<RuleStatus> = m.rules().map(|r| r.status).collect();
        for (i, rule) in rules.iter().enumerate() {
            for m in [&m, &loaded] {
                let info = m.rule(RuleId(i as u32));
                assert_eq!(info.text, rule.text(), "rule {i}");
                assert_eq!(info.kind, rule.kind(), "rule {i}");
                assert_eq!(info.position, rule.origin().position, "rule {i}");
                assert_eq!(info.source, "t.xml");
                assert_eq!(info.status, status[i]);
            }
        }
        rules
            .iter()
            .zip(&status)
            .map(|(r, s)| text_source(rules, &status, r, *s, container))
            .collect()
    }

    /// Every way a rule's text is stored (its key, its key less the '/'
    /// a container restriction adds, its related rule's, in the record)
    /// reads back as the rule's text.
    #[test]
    fn every_text_source_reads_back() {
        let sel = xml(concat!(
            "<BlobPathPrefix>/bob/</BlobPathPrefix>\n",
            "<BlobPathPrefix>/bob/</BlobPathPrefix>\n",
            "<BlobPathPrefix>/bob/x</BlobPathPrefix>\n",
            "  <BlobPath>photos/a</BlobPath><BlobPath>photos/a</BlobPath>\n",
            "<BlobPath IncludeSnapshots=\"false\">photos/é</BlobPath>\n",
            "<BlobPath SnapshotTime=\"2024-01-01T00:00:00Z\">photos/é</BlobPath>\n",
            "<BlobPath SnapshotTime=\"2024-01-01T00:00:00Z\">photos/é</BlobPath>\n",
            "<BlobPath>bob/y</BlobPath>\n",
        ));
        use Text::*;
        assert_eq!(
            texts_read_back(&sel, None),
            [Key, Related, Inline, Key, Related, Key, Key, Related, Inline]
        );
        let sel = xml(concat!(
            "<BlobPathPrefix>/photos</BlobPathPrefix>\n",
            "<BlobPathPrefix>/photos/</BlobPathPrefix>\n",
            "<BlobPath>photos/a</BlobPath>\n",
        ));
        assert_eq!(
            texts_read_back(&sel, Some("photos")),
            [KeyLessSlash, Inline, Inline]
        );
    }

    /// A blob list's texts are stored once, as its exact paths' keys:
    /// beside the exact paths' sections (a record of six bytes and the
    /// text, an offset of four, and 1.5 slots of eight a path), a rule
    /// on the next line at the same column takes two bytes.
    #[test]
    fn a_blob_list_costs_two_bytes_a_rule_beside_its_exact_paths() {
        let body: String = (0..1000)
            .map(|i| format!("  <BlobPath>c0{}/dir/blob-{i:04}.bin</BlobPath>\n", i % 3))
            .collect();
        let m = xml(&body).compile().unwrap();
        let text: usize = (0..1000)
            .map(|i| format!("/c0{}/dir/blob-{i:04}.bin", i % 3).len())
            .sum();
        let sources = 4 + 4 + "t.xml".len();
        let l = &m.layout;
        assert_eq!(l.exact.len(), 1000 * exact::HEAD + text);
        assert_eq!(l.offsets.len(), 1000 * 4);
        assert!((8 * 1502..8 * 1600).contains(&l.slots.len()));
        let exact = l.offsets.len() + l.exact.len() + l.slots.len();
        let beside = m.as_bytes().len() - HEADER - m.index_bytes() - sources - exact;
        // The first record's position takes a byte more.
        assert_eq!(beside, 2 * 1000 + 1);
    }
}
