//! The bytes of a file the CLI reads whole (an index, a drive manifest):
//! a regular file mapped into memory, so reading it costs what is done with
//! the bytes and no copy of them out of the page cache; or a buffer, for a
//! pipe or an index just compiled from a selection. And the matcher the
//! CLI holds over such bytes.

use anyhow::{Context, Result};
use blobsel::Matcher;

/// A file's bytes, mapped or owned.
pub enum FileBytes {
    Owned(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl AsRef<[u8]> for FileBytes {
    fn as_ref(&self) -> &[u8] {
        match self {
            FileBytes::Owned(v) => v,
            FileBytes::Mapped(m) => m,
        }
    }
}

/// The matcher `preview` matches with, whichever way it came.
pub type CliMatcher = Matcher<FileBytes>;

/// The bytes of `file`, already open (a pipe cannot be opened twice):
/// mapped when it is a regular file, else read to its end.
pub fn read_whole(file: &mut std::fs::File, name: &str) -> Result<FileBytes> {
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(file, &mut bytes)
            .with_context(|| format!("cannot read {name}"))?;
        return Ok(FileBytes::Owned(bytes));
    }
    // SAFETY: mapping is unsafe because another process could change the
    // file while it is mapped, which a `&[u8]` rules out. What blobsel
    // reads whole is not written while it is read: an index (written once
    // by `blobsel compile`; a change would most likely fail its checksum)
    // or a drive manifest (the service's output). A truncation meanwhile
    // would stop the process with SIGBUS.
    let map =
        unsafe { memmap2::Mmap::map(&*file) }.with_context(|| format!("cannot read {name}"))?;
    Ok(FileBytes::Mapped(map))
}

/// A matcher just compiled, as the CLI holds one (its bytes moved, not
/// copied, and not checked again).
pub fn compiled(matcher: Matcher) -> Result<CliMatcher> {
    Ok(matcher.into_buffer(FileBytes::Owned)?)
}
