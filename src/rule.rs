//! Rules: the prefixes and paths a selection is made of (docs/semantics.md §3).

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Position};
use crate::path::{could_begin_container_name, is_valid_container_name, BlobPath};
use crate::snapshot::SnapshotTime;

/// What a rule selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleKind {
    /// `BlobPathPrefix P`: every blob whose canonical path starts with `P`,
    /// and all snapshots of those blobs.
    Prefix,
    /// `BlobPath B` (no attribute, or `IncludeSnapshots="true"`): the base
    /// blob at `B` and all its snapshots.
    Path,
    /// `BlobPath B` with `IncludeSnapshots="false"`: the base blob only.
    PathWithoutSnapshots,
    /// `BlobPath B` with `SnapshotTime="T"`: only the snapshot taken at `T`.
    Snapshot(SnapshotTime),
}

impl RuleKind {
    /// The element that writes this kind: `BlobPathPrefix` or `BlobPath`.
    pub fn element(self) -> &'static str {
        match self {
            RuleKind::Prefix => "BlobPathPrefix",
            _ => "BlobPath",
        }
    }
}

/// Where a rule was written: the source (file name, `<stdin>`, or the blob
/// list blob's path) and the position in it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The source name.
    pub source: Arc<str>,
    /// The position of the rule's element (XML) or string (JSON).
    pub position: Option<Position>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(f, "{}:{p}", self.source),
            None => f.write_str(&self.source),
        }
    }
}

/// One rule of a selection: its kind, its canonical text, and its origin.
///
/// The text is canonical: a prefix as written (it must begin with `/`), a
/// path as `/container/blob` whether written with the leading `/` or not.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    kind: RuleKind,
    text: String,
    origin: Origin,
}

impl Rule {
    /// A prefix rule. The prefix must begin with `/`, be non-empty and hold
    /// no control character; it may stop anywhere.
    pub fn prefix(text: &str, origin: Origin) -> Result<Rule, Error> {
        if text.is_empty() {
            return Err(Error::new(
                ErrorKind::EmptyPath,
                "empty BlobPathPrefix: write at least \"/\" (every container) or \"/container/\"",
            ));
        }
        if !text.starts_with('/') {
            return Err(Error::new(
                ErrorKind::PrefixWithoutSlash,
                format!("BlobPathPrefix {text:?} must begin with '/': write \"/{text}\""),
            ));
        }
        if let Some(c) = text.chars().find(|c| (*c as u32) < 0x20) {
            return Err(crate::path::control_character(c as u32));
        }
        Ok(Rule {
            kind: RuleKind::Prefix,
            text: text.to_string(),
            origin,
        })
    }

    /// A path rule of `kind` (any kind but [`RuleKind::Prefix`]) for
    /// `container/blob` or `/container/blob`.
    pub fn path(text: &str, kind: RuleKind, origin: Origin) -> Result<Rule, Error> {
        debug_assert!(kind != RuleKind::Prefix);
        let path = BlobPath::parse(text)?;
        Ok(Rule {
            kind,
            text: path.canonical(),
            origin,
        })
    }

    /// The kind.
    pub fn kind(&self) -> RuleKind {
        self.kind
    }

    /// The canonical text: the prefix, or `/container/blob`.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Where it was written.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The snapshot time of a [`RuleKind::Snapshot`] rule.
    pub fn snapshot_time(&self) -> Option<SnapshotTime> {
        match self.kind {
            RuleKind::Snapshot(t) => Some(t),
            _ => None,
        }
    }

    /// The rule without its origin, for comparing rule sets.
    pub fn key(&self) -> (RuleKind, &str) {
        (self.kind, &self.text)
    }

    /// Whether the rule lies inside `container` (as a container SAS
    /// requires): a prefix `/container` or `/container/…`, a path
    /// `/container/…`.
    pub fn inside_container(&self, container: &str) -> bool {
        let rest = self.text[1..].strip_prefix(container);
        match self.kind {
            RuleKind::Prefix => rest.is_some_and(|r| r.is_empty() || r.starts_with('/')),
            _ => rest.is_some_and(|r| r.starts_with('/')),
        }
    }

    /// Whether this prefix ends inside a container name, and so spans every
    /// container whose name starts so (`/bob` also takes `bobkids`).
    pub fn spans_containers(&self) -> bool {
        self.kind == RuleKind::Prefix && !self.text[1..].contains('/')
    }

    /// Why this rule can never select a blob, if it cannot: its container
    /// part is no valid container name (or the start of one).
    pub fn never_matches(&self) -> Option<String> {
        if self.kind != RuleKind::Prefix {
            return None; // paths are validated when made
        }
        let rest = &self.text[1..];
        match rest.split_once('/') {
            Some((container, name)) if !is_valid_container_name(container.as_bytes()) => {
                let _ = name;
                Some(crate::path::container_name_problem(container))
            }
            Some((_, name)) if name.chars().count() > crate::path::MAX_BLOB_NAME_CHARS => {
                Some("the blob-name part is longer than any blob name (1,024 characters)".into())
            }
            None if !could_begin_container_name(rest.as_bytes()) => Some(format!(
                "no valid container name begins with {rest:?}: {}",
                crate::path::container_name_problem(rest)
                    .split_once(": ")
                    .map_or("", |(_, hint)| hint)
            )),
            _ => None,
        }
    }
}

impl fmt::Display for Rule {
    /// `BlobPathPrefix /photos/`, `BlobPath /c/b`,
    /// `BlobPath /c/b IncludeSnapshots=false`, `BlobPath /c/b SnapshotTime=T`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.element(), self.text)?;
        match self.kind {
            RuleKind::PathWithoutSnapshots => f.write_str(" IncludeSnapshots=false"),
            RuleKind::Snapshot(t) => write!(f, " SnapshotTime={t}"),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            source: "t".into(),
            position: None,
        }
    }

    #[test]
    fn prefixes_and_paths_are_validated_and_canonical() {
        assert_eq!(Rule::prefix("/bob", origin()).unwrap().text(), "/bob");
        assert_eq!(
            Rule::prefix("bob/", origin()).unwrap_err().kind(),
            ErrorKind::PrefixWithoutSlash
        );
        assert_eq!(
            Rule::prefix("", origin()).unwrap_err().kind(),
            ErrorKind::EmptyPath
        );
        let p = Rule::path("$root/logo.bmp", RuleKind::Path, origin()).unwrap();
        assert_eq!(p.text(), "/$root/logo.bmp");
        assert_eq!(
            Rule::path("/video", RuleKind::Path, origin())
                .unwrap_err()
                .kind(),
            ErrorKind::MissingBlobName
        );
    }

    #[test]
    fn lints() {
        let p = |s| Rule::prefix(s, origin()).unwrap();
        assert!(p("/bob").spans_containers());
        assert!(!p("/bob/").spans_containers());
        assert!(p("/").spans_containers());
        assert!(p("/Photos/")
            .never_matches()
            .unwrap()
            .contains("\"photos\""));
        assert!(p("/Pho").never_matches().is_some());
        assert!(p("/a--").never_matches().is_some());
        assert!(p("/pho").never_matches().is_none());
        assert!(p("/$root/").never_matches().is_none());
        assert!(p("/").never_matches().is_none());
    }
}
