//! blobsel answers one question exactly and fast: *which blobs will this
//! Azure Import/Export export job export?*
//!
//! An export job names its blobs with a blob list: exact blob paths and path
//! prefixes, in XML (a "blob list blob") or in the JSON of the job request,
//! with snapshot rules. blobsel reads every form into one [`Selection`],
//! compiles it into a [`Matcher`] (an [`fst`] index over prefixes and exact
//! paths) and matches blob names against it with the service's semantics.
//!
//! # Overview
//!
//! * [`Selection`] — the rules of one job, read with [`Selection::parse`]
//!   from blob list XML, the Export JSON fragment, a Put Job request body or
//!   an ARM job (the form is detected from the content). Every [`Rule`]
//!   remembers its [`Origin`] (source and `line:column`).
//! * [`Matcher`] — the compiled index, built by [`Selection::compile`] or a
//!   [`MatcherBuilder`]. It decides in one walk over a blob's canonical
//!   path whether it is selected and by which rule ([`RuleId`]); it is one
//!   byte buffer (the fst, whose keys are the rules' texts, and a few
//!   bytes a rule beside it) that [`Matcher::from_bytes`] loads without
//!   recompiling. A [`Cursor`] matches a stream of names with the same
//!   answers, faster: it walks a trie of the prefixes alone, finds exact
//!   paths by hash (or, on sorted input, by merging with them in order),
//!   and caches per container and per last path (what `preview` and
//!   [`Matcher::find_batch`] use; [`Cursor::find_all`] also looks ahead to
//!   hide memory waits).
//! * [`Tally`] and [`RuleReport`] — hits per rule, and the rules that
//!   selected nothing (with the rule that covers them).
//! * [`listing`] — readers for listings of an account ([`ListingEntry`]).
//! * [`plan`] — the listing calls that see every blob a selection can
//!   select; `remote` (feature `remote`) makes them against the account,
//!   many at once, with Shared Key, SAS or Microsoft Entra ID tokens.
//! * [`verify`] — after the export: the drive manifests and copy logs,
//!   reconciled with the preview, and the drives' files hashed.
//! * [`SnapshotTime`] — snapshot instants as 100-ns ticks.
//! * [`Error`] — every error has an [`ErrorKind`], a source, a
//!   [`Position`] and a message that says how to fix it.
//!
//! # Semantics
//!
//! The whole of it, with the service's sources and blobsel's own
//! decisions where the service is silent, is `docs/semantics.md` in the
//! repository; the code cites its sections (`docs/semantics.md §3`). In
//! short:
//!
//! A blob is `/container/name` (the root container is `$root`) plus an
//! optional snapshot time. A rule selects:
//!
//! | rule | selects |
//! |---|---|
//! | `BlobPathPrefix P` | every blob whose path starts with `P` byte-wise, with its snapshots (`/bob` takes `bob` and `bobkids`; `/bob/` only `bob`; `/` everything) |
//! | `BlobPath B` | the base blob at `B` and all its snapshots |
//! | `BlobPath B` `IncludeSnapshots="false"` | the base blob only |
//! | `BlobPath B` `SnapshotTime="T"` | the snapshot of `B` at instant `T` only |
//!
//! A blob is selected when any rule selects it. Snapshot times compare as
//! instants: `…34.936Z` and `…34.9360000Z` are one snapshot. Uncommitted
//! blobs and previous versions are never exported
//! ([`Matcher::find_entry`]). See [the matcher's rules](Matcher) for which
//! rule is reported when several select a blob.
//!
//! # Example: preview a blob list
//!
//! ```
//! use blobsel::{Selection, SnapshotTime};
//!
//! let xml = r#"<BlobList>
//!   <BlobPathPrefix>/bob/</BlobPathPrefix>
//!   <BlobPath IncludeSnapshots="false">$root/logo.bmp</BlobPath>
//!   <BlobPath SnapshotTime="2011-03-09T01:42:34.936Z">docs/a.txt</BlobPath>
//! </BlobList>"#;
//! let matcher = Selection::parse(xml.as_bytes(), "list.xml")?.compile()?;
//!
//! assert!(matcher.find_path(b"/bob/notes.txt", None).is_some());
//! assert!(matcher.find_path(b"/bobkids/notes.txt", None).is_none());
//! assert!(matcher.find("$root", "logo.bmp", None).is_some());
//! let t: SnapshotTime = "2011-03-09T01:42:34.9360000Z".parse()?;
//! assert!(matcher.find("$root", "logo.bmp", Some(t)).is_none());
//! let rule = matcher.find("docs", "a.txt", Some(t)).unwrap();
//! assert_eq!(matcher.rule(rule).position.unwrap().to_string(), "4:3");
//! # Ok::<(), blobsel::Error>(())
//! ```
//!
//! # Example: the JSON forms and their errors
//!
//! ```
//! use blobsel::{ErrorKind, Selection};
//!
//! let body = r#"{"Name": "job", "Properties": {"Type": "Export"},
//!   "Export": {"BlobList": {"BlobPathPrefix": ["/photos/"]}}}"#;
//! let sel = Selection::parse(body.as_bytes(), "job.json")?;
//! assert_eq!(sel.rules()?.len(), 1);
//!
//! let bad = r#"{"BlobList": {"BlobPathPrefix": ["photos/"]}}"#;
//! let err = Selection::parse(bad.as_bytes(), "export.json").unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::PrefixWithoutSlash);
//! assert!(err.to_string().starts_with("export.json:1:34: BlobList.BlobPathPrefix[0]: "));
//! # Ok::<(), blobsel::Error>(())
//! ```
//!
//! # Example: compile once, match in many processes
//!
//! ```
//! # use blobsel::{Matcher, Selection};
//! # let sel = Selection::parse(&b"<BlobList><BlobPathPrefix>/a/</BlobPathPrefix></BlobList>"[..], "x")?;
//! let bytes: Vec<u8> = sel.compile()?.as_bytes().to_vec(); // write anywhere
//! let matcher = Matcher::from_bytes(bytes)?;                // or a memory map
//! assert!(matcher.find_path(b"/a/b", None).is_some());
//! # Ok::<(), blobsel::Error>(())
//! ```
//!
//! # Crate features
//!
//! * `cli` (default) — the `blobsel` command-line tool.
//! * `remote` (default) — listing a storage account over the Blob service
//!   REST API ([`remote`]).
//! * `parquet` (default) — reading Azure blob inventory Parquet listings.

#![deny(missing_docs)]

pub use crate::error::{Error, ErrorKind, Position, Result};
pub use crate::listing::{BlobType, Exportability, ListingEntry, ListingFormat, ListingReader};
pub use crate::matcher::{
    Cursor, FindAll, Matcher, MatcherBuilder, RuleId, RuleInfo, RuleReport, RuleStatus, Tally,
};
pub use crate::path::BlobPath;
pub use crate::rule::{Origin, Rule, RuleKind};
pub use crate::selection::{Errors, Form, ParseOptions, Selection, MAX_INLINE_BLOB_LIST_BYTES};
pub use crate::snapshot::SnapshotTime;

mod error;
pub mod listing;
mod matcher;
pub mod path;
pub mod plan;
#[cfg(feature = "remote")]
pub mod remote;
mod rule;
mod selection;
mod snapshot;
mod suggest;
mod text;
pub mod verify;
mod words;

/// The README's code, compiled and run as written (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
