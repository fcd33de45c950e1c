//! blobsel: which blobs will this Azure export job export?

#![deny(missing_docs)]

pub use crate::error::{Error, ErrorKind, Position, Result};
pub use crate::listing::{BlobType, Exportability, ListingEntry, ListingFormat, ListingReader};
pub use crate::matcher::{
    Matcher, MatcherBuilder, RuleId, RuleInfo, RuleReport, RuleStatus, Tally,
};
pub use crate::path::BlobPath;
pub use crate::rule::{Origin, Rule, RuleKind};
pub use crate::selection::{Form, ParseOptions, Selection};
pub use crate::snapshot::SnapshotTime;

mod error;
mod json;
pub mod listing;
mod matcher;
pub mod path;
pub mod plan;
mod rule;
mod selection;
mod snapshot;
mod text;
mod xml;
