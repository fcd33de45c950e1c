//! Which format each LISTING is read in (docs/semantics.md §5), and the
//! hint an error on a listing's first record gets.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use blobsel::ListingFormat;

use crate::args::FormatArg;
use crate::preview::Listing;

/// How a listing's format was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatFrom {
    /// `--listing-format`.
    Flag,
    /// The file's extension.
    Extension,
    /// The content: the extension said nothing, or it is stdin.
    Content,
}

/// How much of a listing is read to detect its format, at most: a first
/// line longer than this is judged by its start.
const HEAD: usize = 8 * 1024;

/// The listings LISTING names (none: stdin), each with its format:
/// `--listing-format`, else the extension, else the content.
pub fn resolve(paths: &[PathBuf], format: Option<FormatArg>) -> Result<Vec<Listing>> {
    let explicit = format.map(|f| match f {
        FormatArg::Lines => ListingFormat::Lines,
        FormatArg::Jsonl => ListingFormat::Jsonl,
        FormatArg::Xml => ListingFormat::ListBlobsXml,
        FormatArg::Csv => ListingFormat::InventoryCsv,
        FormatArg::Parquet => ListingFormat::InventoryParquet,
    });
    let stdin = [PathBuf::from("-")];
    let paths = if paths.is_empty() {
        if std::io::IsTerminal::is_terminal(&io::stdin()) {
            eprintln!("blobsel: reading the listing from the terminal (end it with Ctrl-D; give LISTING files, or --account-url, to read elsewhere)");
        }
        &stdin[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    for p in paths {
        let is_stdin = p == Path::new("-");
        if !is_stdin {
            if !p.exists() {
                let missing = std::io::Error::from(std::io::ErrorKind::NotFound);
                return Err(crate::output::cannot_open(p, &missing));
            }
            if p.is_dir() {
                bail!(
                    "{}: is a directory; give the listing files inside it",
                    p.display()
                );
            }
        }
        let mut head = Vec::new();
        let (format, from) = match (explicit, ListingFormat::from_extension(p)) {
            (Some(f), _) => (f, FormatFrom::Flag),
            (None, Some(f)) if !is_stdin => (f, FormatFrom::Extension),
            (None, _) => {
                // Stdin is read once: its head is kept, to be read again
                // before the rest.
                head = if is_stdin {
                    read_head(&mut io::stdin().lock())
                } else {
                    read_head(&mut crate::output::open_file(p)?)
                }
                .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", name(p)))?;
                (ListingFormat::detect(&head), FormatFrom::Content)
            }
        };
        out.push(Listing {
            path: (!is_stdin).then(|| p.clone()),
            format,
            from,
            // A file is opened again from its start.
            head: if is_stdin { head } else { Vec::new() },
        });
    }
    Ok(out)
}

fn name(p: &Path) -> String {
    if p == Path::new("-") {
        "<stdin>".to_string()
    } else {
        p.display().to_string()
    }
}

/// The start of `input`: up to the end of its first line that is not blank,
/// or [`HEAD`] bytes, or the end, whichever comes first (a pipe is not
/// waited on for more than it needs).
fn read_head(input: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = match input.read(&mut chunk) {
            Ok(0) => return Ok(head),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        head.extend_from_slice(&chunk[..n]);
        let line_seen = head
            .split(|&b| b == b'\n')
            .rev()
            .skip(1) // a line not ended yet
            .any(|l| !l.iter().all(u8::is_ascii_whitespace));
        if line_seen || head.len() >= HEAD {
            return Ok(head);
        }
    }
}

/// `err`, with what format the listing was read in and how to choose
/// another, when it is about the listing's first record (a wrong format
/// fails there) and not an I/O error.
pub fn hint(err: anyhow::Error, listing: &Listing, first: bool) -> anyhow::Error {
    let Some(e) = err.downcast_ref::<blobsel::Error>() else {
        return err;
    };
    let on_first_line = e.position().is_some_and(|p| p.line <= 1);
    if e.kind() == blobsel::ErrorKind::Io || !(first || on_first_line) {
        return err;
    }
    let format = listing.format.name();
    let how = match listing.from {
        FormatFrom::Flag => "as --listing-format says".to_string(),
        FormatFrom::Extension => match listing.path.as_deref().and_then(Path::extension) {
            Some(ext) => format!("from the extension .{}", ext.to_string_lossy()),
            None => "from the extension".to_string(),
        },
        FormatFrom::Content => "detected from its content".to_string(),
    };
    let looks = looks_like(listing);
    if listing.from != FormatFrom::Content && looks == Some(listing.format) {
        // What was claimed is what it looks like: the error is about the
        // content, not the format.
        return err;
    }
    let another = match looks.filter(|&f| f != listing.format) {
        Some(f) => format!("it looks like {0}: give --listing-format {0}", f.name()),
        None => "to read it as another format, give --listing-format \
                 lines|jsonl|xml|csv|parquet"
            .to_string(),
    };
    anyhow::anyhow!("{e} (read as {format}, {how}; {another})")
}

/// The format the listing's content looks like, when it can be read again.
fn looks_like(listing: &Listing) -> Option<ListingFormat> {
    match &listing.path {
        Some(p) => {
            let mut file = std::fs::File::open(p).ok()?;
            read_head(&mut file).ok().map(|h| ListingFormat::detect(&h))
        }
        None if !listing.head.is_empty() => Some(ListingFormat::detect(&listing.head)),
        None => None,
    }
}
