//! Listing plans: the fewest List Containers / List Blobs calls that
//! enumerate every blob a selection can select.

use crate::rule::{Rule, RuleKind};

/// Which containers one step of a plan covers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum ContainerScope {
    /// Exactly this container.
    Container(String),
    /// Every container whose name starts with this (List Containers with
    /// `prefix=`); the empty string is every container.
    NamePrefix(String),
}

/// One step of a plan: the containers, and the blob-name prefixes to list in
/// each (List Blobs with `prefix=`). An empty prefix lists the whole
/// container. Prefixes never prefix one another, so no blob is listed twice.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PlanStep {
    /// The containers this step lists.
    pub scope: ContainerScope,
    /// The blob-name prefixes to list in each of those containers.
    pub blob_prefixes: Vec<String>,
}

/// The listing calls a selection needs, in container order.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    /// The steps; their container scopes never overlap.
    pub steps: Vec<PlanStep>,
}

impl Plan {
    /// The plan for a set of rules, optionally limited to one container (a
    /// container SAS). Rules that can never match are left out.
    pub fn for_rules(rules: &[Rule], container: Option<&str>) -> Plan {
        let mut name_prefixes: Vec<&str> = Vec::new();
        let mut blobs: Vec<(&str, &str)> = Vec::new(); // (container, blob prefix)
        for rule in rules {
            if rule.never_matches().is_some() {
                continue;
            }
            let text = &rule.text()[1..];
            match text.split_once('/') {
                Some((c, rest)) if rule.kind() == RuleKind::Prefix => blobs.push((c, rest)),
                Some((c, name)) => blobs.push((c, name)),
                None => match container {
                    // Under a container SAS "/c" means the container c.
                    Some(c) if c == text => blobs.push((c, "")),
                    _ => name_prefixes.push(text),
                },
            }
        }
        name_prefixes.sort_unstable();
        name_prefixes.dedup();
        let mut kept_names: Vec<&str> = Vec::new();
        for p in name_prefixes {
            if !kept_names.last().is_some_and(|k| p.starts_with(k)) {
                kept_names.push(p);
            }
        }
        blobs.sort_unstable();
        blobs.dedup();
        let under_name_prefix = |c: &str| {
            let i = kept_names.partition_point(|k| *k <= c);
            i > 0 && c.starts_with(kept_names[i - 1])
        };
        let mut steps: Vec<PlanStep> = kept_names
            .iter()
            .map(|p| PlanStep {
                scope: ContainerScope::NamePrefix(p.to_string()),
                blob_prefixes: vec![String::new()],
            })
            .collect();
        for group in blobs.chunk_by(|a, b| a.0 == b.0) {
            let c = group[0].0;
            if under_name_prefix(c) {
                continue;
            }
            let mut prefixes: Vec<String> = Vec::new();
            for &(_, p) in group {
                if !prefixes.last().is_some_and(|k| p.starts_with(k.as_str())) {
                    prefixes.push(p.to_string());
                }
            }
            steps.push(PlanStep {
                scope: ContainerScope::Container(c.to_string()),
                blob_prefixes: prefixes,
            });
        }
        steps.sort_by(|a, b| a.scope.name().cmp(b.scope.name()));
        Plan { steps }
    }
}

impl ContainerScope {
    /// The container name, or the container-name prefix.
    pub fn name(&self) -> &str {
        match self {
            ContainerScope::Container(n) | ContainerScope::NamePrefix(n) => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::Origin;

    fn rules(list: &[(&str, bool)]) -> Vec<Rule> {
        let o = || Origin {
            source: "t".into(),
            position: None,
        };
        list.iter()
            .map(|&(t, prefix)| {
                if prefix {
                    Rule::prefix(t, o()).unwrap()
                } else {
                    Rule::path(t, RuleKind::Path, o()).unwrap()
                }
            })
            .collect()
    }

    fn show(plan: &Plan) -> Vec<String> {
        plan.steps
            .iter()
            .map(|s| match &s.scope {
                ContainerScope::Container(c) => format!("{c}: {}", s.blob_prefixes.join(",")),
                ContainerScope::NamePrefix(p) => format!("{p}*: {}", s.blob_prefixes.join(",")),
            })
            .collect()
    }

    #[test]
    fn merges_prefixes_and_containers() {
        let r = rules(&[
            ("/bob", true),
            ("/bobkids/x", true),
            ("/photos/2024/", true),
            ("/photos/2024/01/", true),
            ("photos/2023/a.jpg", false),
            ("/photos/2023/a.jpg", false),
            ("/$root/", true),
            ("/Bad/", true),
            ("/videos/", true),
            ("videos/a.mp4", false),
        ]);
        assert_eq!(
            show(&Plan::for_rules(&r, None)),
            ["$root: ", "bob*: ", "photos: 2023/a.jpg,2024/", "videos: "]
        );
        let everything = rules(&[("/", true), ("/photos/a", true)]);
        assert_eq!(show(&Plan::for_rules(&everything, None)), ["*: "]);
        let sas = rules(&[("/photos", true)]);
        assert_eq!(show(&Plan::for_rules(&sas, Some("photos"))), ["photos: "]);
    }
}
