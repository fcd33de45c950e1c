//! blobsel: which blobs will this Azure export job export?

#![deny(missing_docs)]

pub use crate::error::{Error, ErrorKind, Position, Result};
pub use crate::listing::{BlobType, Exportability, ListingEntry, ListingFormat, ListingReader};
pub use crate::path::BlobPath;
pub use crate::snapshot::SnapshotTime;

mod error;
pub mod listing;
pub mod path;
mod snapshot;
