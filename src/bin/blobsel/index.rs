//! The bytes of an index the CLI matches with: an index file mapped into
//! memory, so loading it costs checking it and nothing more (no copy of
//! tens of megabytes out of the page cache); or a buffer, for an index
//! read from a pipe or just compiled from a selection.

use anyhow::{Context, Result};
use blobsel::Matcher;

/// An index's bytes, mapped or owned.
pub enum IndexBytes {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl AsRef<[u8]> for IndexBytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            IndexBytes::Owned(v) => v,
            IndexBytes::Mapped(m) => m,
        }
    }
}

/// The matcher `preview` matches with, whichever way it came.
pub type CliMatcher = Matcher<IndexBytes>;

/// A file's bytes: mapped when it is a regular file, else read.
pub fn open(file: &std::fs::File, name: &str) -> Result<IndexBytes> {
    // SAFETY: mapping is unsafe because another process could change the
    // file while it is mapped, which a `&[u8]` rules out; an index is
    // written once by `blobsel compile` and not changed while it is read
    // (if it were, its checksum, checked at load, would most likely fail;
    // a truncation would stop the process with SIGBUS).
    let map = unsafe { memmap2::Mmap::map(file) }.with_context(|| format!("cannot read {name}"))?;
    Ok(IndexBytes::Mapped(map))
}

/// A matcher just compiled, as the CLI holds one (its bytes moved, not
/// copied, and not checked again).
pub fn compiled(matcher: Matcher) -> Result<CliMatcher> {
    Ok(matcher.into_buffer(IndexBytes::Owned)?)
}
