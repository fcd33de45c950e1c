//! Compiling rules: canonical keys, duplicates merged, covered rules dropped
//! (and remembered), one fst over prefixes and exact paths.

use std::borrow::Cow;

use crate::error::{Error, ErrorKind};
use crate::matcher::format::{self, ComplexEntry, RuleRecord, Tag};
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
    paths.sort_unstable();
    // The rules' texts are stored in this order: paths in byte order.
    let text_order: Vec<u32> = paths
        .iter()
        .map(|&(_, id)| id)
        .chain(prefixes.iter().map(|&(_, id)| id))
        .collect();
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
    let mut keys: Vec<(Cow<'r, [u8]>, u64)> = Vec::with_capacity(kept.len() + paths.len());
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
            keys.push((
                Cow::Borrowed(path.as_bytes()),
                format::encode(Tag::PathAll, first),
            ));
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
        keys.push((
            Cow::Borrowed(path.as_bytes()),
            format::encode(Tag::Complex, complex.len() as u32),
        ));
        complex.push(ComplexEntry {
            base,
            snapshots: snaps,
        });
    }
    keys.extend(
        kept.into_iter()
            .map(|(k, id)| (k, format::encode(Tag::Prefix, id))),
    );
    keys.sort_unstable_by(|a, b| a.0.cmp(&b.0));

    let fst = fst::Map::from_iter(keys.iter().map(|(k, v)| (&**k, *v)))
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidIndex,
                format!("building the index failed: {e}"),
            )
        })?
        .into_fst()
        .into_inner();

    let mut sources: Vec<&str> = Vec::new();
    let records: Vec<RuleRecord<'_>> = rules
        .iter()
        .zip(&status)
        .map(|(r, s)| {
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
            }
        })
        .collect();
    let bytes = format::write(&fst, &complex, &records, &text_order, &sources, container);
    Matcher::from_bytes(bytes)
}
