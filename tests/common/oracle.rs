//! The one naive reference model of docs/semantics.md §2–§4, kept apart from the engine.
//!
//! It loops over every rule and decides with plain string comparisons; it
//! knows nothing of the fst, of rule folding or of the serialized form. The
//! engine's tests (and the `matcher_differential` fuzz target) compare
//! every answer of the compiled matcher with it, including *which* rule
//! selects a blob (the precedence documented at the top of
//! `src/matcher/mod.rs`); the CLI tests compare the binary's output with
//! what it exports ([`Reference::exported`]).
//!
//! Only [`blobsel::RuleKind`] (a plain enum) and [`blobsel::SnapshotTime`]
//! ticks are borrowed from the crate, so the fuzz target can include this
//! file by path.

#![allow(dead_code)]

use blobsel::{RuleKind, SnapshotTime};

/// A rule as the reference sees it: its kind and canonical text
/// (a prefix as written, a path as `/container/blob`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefRule {
    pub kind: RuleKind,
    pub text: String,
}

impl RefRule {
    pub fn new(kind: RuleKind, text: &str) -> RefRule {
        RefRule {
            kind,
            text: text.to_string(),
        }
    }

    pub fn prefix(text: &str) -> RefRule {
        RefRule::new(RuleKind::Prefix, text)
    }

    pub fn path(text: &str) -> RefRule {
        RefRule::new(RuleKind::Path, text)
    }
}

/// A blob: canonical path and optional snapshot time (`None`: base blob).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RefBlob {
    pub path: String,
    pub snapshot: Option<SnapshotTime>,
}

impl RefBlob {
    pub fn new(path: &str, snapshot: Option<SnapshotTime>) -> RefBlob {
        RefBlob {
            path: path.to_string(),
            snapshot,
        }
    }
}

/// What a listing says about a blob beyond its path (docs/semantics.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// An ordinary committed blob (or snapshot).
    Committed,
    /// A blob with only uncommitted blocks.
    Uncommitted,
    /// A version that is not the current one.
    PreviousVersion,
    /// The current version of a blob with versioning on.
    CurrentVersion,
}

/// The model: rules plus an optional container restriction (a container
/// SAS: matching is limited to that container, docs/semantics.md §1).
#[derive(Clone, Debug, Default)]
pub struct Reference {
    pub rules: Vec<RefRule>,
    pub container: Option<String>,
}

/// Snapshot times are compared as ticks, never as text (docs/semantics.md §2).
fn same_instant(a: SnapshotTime, b: SnapshotTime) -> bool {
    a.ticks() == b.ticks()
}

/// Whether `path` lies in container `c` (`/c/…`).
fn in_container(path: &str, c: &str) -> bool {
    path.strip_prefix('/')
        .and_then(|p| p.strip_prefix(c))
        .is_some_and(|rest| rest.starts_with('/'))
}

impl Reference {
    pub fn new(rules: Vec<RefRule>) -> Reference {
        Reference {
            rules,
            container: None,
        }
    }

    pub fn with_container(rules: Vec<RefRule>, container: Option<&str>) -> Reference {
        Reference {
            rules,
            container: container.map(str::to_string),
        }
    }

    /// docs/semantics.md §3, one rule, literally.
    pub fn rule_selects(&self, rule: &RefRule, blob: &RefBlob) -> bool {
        if let Some(c) = &self.container {
            if !in_container(&blob.path, c) {
                return false;
            }
        }
        match rule.kind {
            // Every blob whose canonical path starts with P, and all its
            // snapshots.
            RuleKind::Prefix => blob.path.as_bytes().starts_with(rule.text.as_bytes()),
            // The base blob at B and all its snapshots.
            RuleKind::Path => blob.path == rule.text,
            // The base blob at B only.
            RuleKind::PathWithoutSnapshots => blob.path == rule.text && blob.snapshot.is_none(),
            // Only the snapshot of B taken at T.
            RuleKind::Snapshot(t) => {
                blob.path == rule.text && blob.snapshot.is_some_and(|s| same_instant(s, t))
            }
        }
    }

    /// A blob is selected when any rule selects it (union).
    pub fn selected(&self, blob: &RefBlob) -> bool {
        self.rules.iter().any(|r| self.rule_selects(r, blob))
    }

    /// docs/semantics.md §4: whether the export takes `blob` in `state`: never an
    /// uncommitted blob or a previous version (when the listing can tell),
    /// otherwise when it is selected.
    pub fn exported(&self, blob: &RefBlob, state: State) -> bool {
        match state {
            State::Uncommitted | State::PreviousVersion => false,
            State::Committed | State::CurrentVersion => self.selected(blob),
        }
    }

    /// The key a prefix is matched by: under a container restriction the
    /// prefix `/container` means `/container/` (it cannot reach
    /// `/containerkids/…`).
    pub fn prefix_key<'a>(&self, rule: &'a RefRule) -> std::borrow::Cow<'a, str> {
        match &self.container {
            Some(c) if rule.text == format!("/{c}") => format!("/{c}/").into(),
            _ => rule.text.as_str().into(),
        }
    }

    /// Which rule selects `blob`, per the documented precedence:
    ///
    /// 1. a prefix rule that selects it: the shortest (it covers the
    ///    others), the first in the selection among equal ones;
    /// 2. otherwise a rule on exactly this path: the first `BlobPath` that
    ///    takes all snapshots; failing that, for the base blob the first
    ///    `IncludeSnapshots="false"` rule, for a snapshot the first
    ///    `SnapshotTime` rule naming that instant.
    pub fn chosen(&self, blob: &RefBlob) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None; // (key length, index)
        for (i, r) in self.rules.iter().enumerate() {
            if r.kind == RuleKind::Prefix && self.rule_selects(r, blob) {
                let len = self.prefix_key(r).len();
                if best.is_none_or(|(l, _)| len < l) {
                    best = Some((len, i));
                }
            }
        }
        if let Some((_, i)) = best {
            return Some(i);
        }
        let on_path = |want: &dyn Fn(RuleKind) -> bool| {
            self.rules
                .iter()
                .position(|r| want(r.kind) && self.rule_selects(r, blob))
        };
        if let Some(i) = on_path(&|k| k == RuleKind::Path) {
            return Some(i);
        }
        match blob.snapshot {
            None => on_path(&|k| k == RuleKind::PathWithoutSnapshots),
            Some(_) => on_path(&|k| matches!(k, RuleKind::Snapshot(_))),
        }
    }

    /// A blob that rule `i` selects and that nothing but its precedence
    /// decides: the prefix's own key as a path, or the path itself.
    pub fn witness(&self, i: usize) -> RefBlob {
        let r = &self.rules[i];
        match r.kind {
            RuleKind::Prefix => RefBlob::new(&self.prefix_key(r), None),
            RuleKind::Path | RuleKind::PathWithoutSnapshots => RefBlob::new(&r.text, None),
            RuleKind::Snapshot(t) => RefBlob::new(&r.text, Some(t)),
        }
    }

    /// Whether rule `i` is effective: it is the chosen rule for at least one
    /// blob (its witness).
    pub fn effective(&self, i: usize) -> bool {
        self.chosen(&self.witness(i)) == Some(i)
    }

    /// Whether rules `a` and `b` are equal (the same kind and text, snapshot
    /// times as instants; under a container restriction `/c` equals `/c/`).
    pub fn equal(&self, a: usize, b: usize) -> bool {
        let (ra, rb) = (&self.rules[a], &self.rules[b]);
        match (ra.kind, rb.kind) {
            (RuleKind::Prefix, RuleKind::Prefix) => self.prefix_key(ra) == self.prefix_key(rb),
            (RuleKind::Snapshot(x), RuleKind::Snapshot(y)) => {
                same_instant(x, y) && ra.text == rb.text
            }
            (x, y) => x == y && ra.text == rb.text,
        }
    }

    /// Whether rule `by` selects every blob rule `what` selects, decided
    /// from the rules' texts alone (not from a sample of blobs).
    pub fn covers(&self, by: usize, what: usize) -> bool {
        let (b, w) = (&self.rules[by], &self.rules[what]);
        match (b.kind, w.kind) {
            (RuleKind::Prefix, RuleKind::Prefix) => {
                self.prefix_key(w).starts_with(&*self.prefix_key(b))
            }
            (RuleKind::Prefix, _) => w.text.starts_with(&*self.prefix_key(b)),
            (_, RuleKind::Prefix) => false,
            (RuleKind::Path, _) => b.text == w.text,
            (RuleKind::PathWithoutSnapshots, RuleKind::PathWithoutSnapshots) => b.text == w.text,
            (RuleKind::Snapshot(x), RuleKind::Snapshot(y)) => {
                b.text == w.text && same_instant(x, y)
            }
            _ => false,
        }
    }
}

/// Self-checks of the model itself on docs/semantics.md's own examples, so a broken
/// oracle cannot pass a broken engine.
pub fn self_check() {
    let t: SnapshotTime = "2011-03-09T01:42:34.936Z".parse().unwrap();
    let t2: SnapshotTime = "2011-03-09T01:42:34.9360000Z".parse().unwrap();
    let m = Reference::new(vec![
        RefRule::prefix("/bob/"),
        RefRule::prefix("/bob"),
        RefRule::path("/c00/a"),
        RefRule::new(RuleKind::PathWithoutSnapshots, "/c00/b"),
        RefRule::new(RuleKind::Snapshot(t), "/c00/b"),
        RefRule::new(RuleKind::Snapshot(t2), "/c00/b"),
    ]);
    let b = |p: &str, s: Option<SnapshotTime>| RefBlob::new(p, s);
    assert_eq!(m.chosen(&b("/bob/x", None)), Some(1));
    assert_eq!(m.chosen(&b("/bobkids/x", Some(t))), Some(1));
    assert_eq!(m.chosen(&b("/c00/a", Some(t))), Some(2));
    assert_eq!(m.chosen(&b("/c00/b", None)), Some(3));
    assert_eq!(m.chosen(&b("/c00/b", Some(t2))), Some(4));
    assert_eq!(m.chosen(&b("/c00/ab", None)), None);
    assert!(!m.effective(0) && m.effective(1) && !m.effective(5));
    assert!(m.covers(1, 0) && !m.covers(0, 1) && m.equal(4, 5));
    // docs/semantics.md §4: never an uncommitted blob or a previous version.
    assert!(m.exported(&b("/bob/x", None), State::Committed));
    assert!(m.exported(&b("/bob/x", None), State::CurrentVersion));
    assert!(!m.exported(&b("/bob/x", None), State::Uncommitted));
    assert!(!m.exported(&b("/bob/x", None), State::PreviousVersion));
    assert!(!m.exported(&b("/c00/ab", None), State::Committed));
    let sas = Reference::with_container(vec![RefRule::prefix("/photos")], Some("photos"));
    assert!(sas.selected(&b("/photos/a", None)));
    assert!(!sas.selected(&b("/photos-2024/a", None)));
}
