//! The generator lives in `tests/common/rng.rs`; this file only forwards
//! to it for `tests/chunks.rs`, which still includes it as
//! `#[path = "rng/mod.rs"] mod rng;`. Remove it once that file names
//! `common::rng` instead.

#[path = "../common/rng.rs"]
mod imp;

pub use imp::Rng;
