//! Why a listed blob is not exported, in words (`--invert --explain`, and
//! the `reason` of `--output jsonl`).

use std::collections::HashMap;

use blobsel::{Exportability, Matcher, RuleId, RuleKind, SnapshotTime};

/// The path rules of a selection by their path, to tell "no rule" from a
/// rule that names the blob but not this snapshot (or not the base blob).
pub struct WhyNot {
    by_path: HashMap<String, Vec<RuleId>>,
}

impl WhyNot {
    /// The path rules of `m` (prefixes cannot exclude a snapshot).
    pub fn new<D: AsRef<[u8]>>(m: &Matcher<D>) -> WhyNot {
        let mut by_path: HashMap<String, Vec<RuleId>> = HashMap::new();
        for r in m.rules().filter(|r| r.kind != RuleKind::Prefix) {
            by_path.entry(r.text.to_string()).or_default().push(r.id);
        }
        WhyNot { by_path }
    }

    /// Why the blob at `path` (canonical) with `snapshot` is not exported,
    /// given that no rule selects it and it is `exportability`.
    pub fn reason<D: AsRef<[u8]>>(
        &self,
        m: &Matcher<D>,
        path: &str,
        snapshot: Option<SnapshotTime>,
        exportability: Exportability,
    ) -> String {
        match exportability {
            Exportability::Uncommitted => return "uncommitted blob".into(),
            Exportability::PreviousVersion => return "previous version".into(),
            Exportability::Exportable => {}
        }
        let Some(ids) = self.by_path.get(path) else {
            return "no rule".into();
        };
        let rules: Vec<_> = ids.iter().map(|&id| m.rule(id)).collect();
        if snapshot.is_some() {
            if let Some(r) = rules
                .iter()
                .find(|r| r.kind == RuleKind::PathWithoutSnapshots)
            {
                return format!("snapshot excluded by {r}");
            }
        }
        let only: Vec<_> = rules
            .iter()
            .filter(|r| matches!(r.kind, RuleKind::Snapshot(_)))
            .collect();
        match only.as_slice() {
            [] => "no rule".into(),
            [r] => match r.kind {
                RuleKind::Snapshot(t) => format!("only snapshot {t} is selected, by {r}"),
                _ => "no rule".into(),
            },
            [first, rest @ ..] => format!(
                "only snapshots named by BlobPath rules are selected: {first} and {} more",
                rest.len()
            ),
        }
    }
}
