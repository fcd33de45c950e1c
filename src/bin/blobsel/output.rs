//! Where output goes: stdout, or a file written atomically (a temporary file
//! in the same folder, renamed over FILE only when complete), or a device
//! or pipe named as the file (written in place).

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

pub enum Output {
    /// Standard output, or a device or pipe named with `-o`.
    Direct(BufWriter<Box<dyn Write + Send>>),
    File {
        tmp: BufWriter<tempfile::NamedTempFile>,
        path: PathBuf,
    },
}

impl Output {
    pub fn open(path: Option<&Path>) -> Result<Output> {
        let Some(path) = path else {
            return Ok(Output::Direct(BufWriter::with_capacity(
                256 * 1024,
                Box::new(io::stdout()),
            )));
        };
        // A device, pipe or socket (`-o /dev/null`, a FIFO) is written in
        // place: renaming a file over it would replace it.
        if fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let file = fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            return Ok(Output::Direct(BufWriter::with_capacity(
                256 * 1024,
                Box::new(file),
            )));
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut builder = tempfile::Builder::new();
        builder.prefix(".blobsel-").suffix(".partial");
        // Temporary files are the owner's alone; the output is made as any
        // new file is (0666 less the umask), or with FILE's permissions
        // (less the umask) when it replaces FILE.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(match fs::metadata(path) {
                Ok(m) => m.permissions(),
                Err(_) => fs::Permissions::from_mode(0o666),
            });
        }
        let tmp = builder
            .tempfile_in(dir)
            // tempfile's error names the temporary file; name FILE instead.
            .map_err(|e| io::Error::new(e.kind(), e.kind().to_string()))
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Output::File {
            tmp: BufWriter::with_capacity(256 * 1024, tmp),
            path: path.to_path_buf(),
        })
    }

    /// Flushes; for a file, renames it into place. Without this (an error,
    /// an interrupt) a file output is removed and FILE is left untouched.
    pub fn finish(self) -> Result<()> {
        match self {
            Output::Direct(mut w) => Ok(w.flush()?),
            Output::File { tmp, path } => {
                let tmp = tmp.into_inner().map_err(|e| e.into_error())?;
                tmp.as_file().sync_all()?;
                tmp.persist(&path)
                    .map_err(|e| e.error)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Ok(())
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Direct(w) => w.write(buf),
            Output::File { tmp, .. } => tmp.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Direct(w) => w.write_all(buf),
            Output::File { tmp, .. } => tmp.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Direct(w) => w.flush(),
            Output::File { tmp, .. } => tmp.flush(),
        }
    }
}

/// Reads a whole small file (a selection), naming it in errors.
/// Opens an input file. Every command says the same of a file it cannot
/// open: `PATH: cannot open: REASON`.
pub fn open_file(path: &Path) -> Result<fs::File> {
    if path.is_dir() {
        anyhow::bail!("{}: is a directory, not a file", path.display());
    }
    fs::File::open(path).map_err(|e| cannot_open(path, &e))
}

/// The error for an input file that cannot be opened.
pub fn cannot_open(path: &Path, e: &std::io::Error) -> anyhow::Error {
    let reason = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    };
    anyhow::anyhow!("{}: cannot open: {reason}", path.display())
}
