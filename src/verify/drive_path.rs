//! Manifest `FilePath`s on a drive's directory, safely.
//!
//! A `FilePath` is relative to the drive's root with `\` separators
//! (`\pictures\city\redmond.jpg`; a leading `\` is the root). It is mapped
//! onto a directory component by component. Anything that could leave the
//! root is an [`ErrorKind::UnsafeFilePath`] error and is never followed: a
//! `..` or `.` component, an empty one (`a\\b`), a drive letter or any
//! `:` (which is also an NTFS alternate data stream), a UNC or device path
//! (`\\server\share`, `\\?\C:`), a control character. When a file is
//! opened, a symbolic link inside the drive that resolves outside it is
//! refused as well ([`open_in_drive`]).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind};
use crate::path::quoted;

/// The path of `file_path` relative to the drive's root, or an error that
/// says why it would leave the root.
///
/// ```
/// use blobsel::verify::drive_relative_path;
/// let p = drive_relative_path(r"\docs\plan (2011-03-09T01-42-34.9360000Z).xlsx")?;
/// assert_eq!(p, std::path::Path::new("docs/plan (2011-03-09T01-42-34.9360000Z).xlsx"));
/// assert!(drive_relative_path(r"\docs\..\..\etc\passwd").is_err());
/// assert!(drive_relative_path(r"C:\Windows\win.ini").is_err());
/// # Ok::<(), blobsel::Error>(())
/// ```
pub fn drive_relative_path(file_path: &str) -> Result<PathBuf, Error> {
    check_file_path(file_path)?;
    Ok(relative(file_path))
}

/// `file_path` from the drive's root, once [`check_file_path`] accepted it.
pub(crate) fn relative(file_path: &str) -> PathBuf {
    let rest = file_path.strip_prefix(['\\', '/']).unwrap_or(file_path);
    rest.split(['\\', '/']).collect()
}

/// Whether `file_path` stays inside the drive (see [`drive_relative_path`]),
/// without building the path.
pub fn check_file_path(file_path: &str) -> Result<(), Error> {
    let unsafe_path = |why: &str| {
        Error::new(
            ErrorKind::UnsafeFilePath,
            format!(
                "file path {} {why}: a manifest's file paths stay inside the drive, \
                 so this one is not followed",
                quoted(file_path)
            ),
        )
    };
    if file_path.is_empty() {
        return Err(unsafe_path("is empty"));
    }
    if file_path.starts_with("\\\\") || file_path.starts_with("//") {
        return Err(unsafe_path(
            "is a UNC or device path (it begins with two separators)",
        ));
    }
    if file_path.contains(':') {
        return Err(unsafe_path(
            "has a ':' (a drive letter, or an alternate data stream)",
        ));
    }
    if file_path.bytes().any(|b| b < 0x20) {
        return Err(unsafe_path("has a control character"));
    }
    let rest = file_path.strip_prefix(['\\', '/']).unwrap_or(file_path);
    for part in rest.split(['\\', '/']) {
        match part {
            "" => return Err(unsafe_path("has an empty component")),
            "." | ".." => return Err(unsafe_path(&format!("has a {part:?} component"))),
            _ => {}
        }
    }
    Ok(())
}

/// Opens `relative` (from [`drive_relative_path`]) under `root` for reading,
/// after checking that the path, symbolic links resolved, is still inside
/// `root`. A file that does not exist is an [`io::ErrorKind::NotFound`]
/// error; a link out of the drive is an [`ErrorKind::UnsafeFilePath`] error.
///
/// Only a regular file is opened: a FIFO, device, socket or folder at the
/// path is an [`io::ErrorKind::InvalidInput`] error that says what it is
/// (opening a FIFO would wait for a writer forever). On unix the file is
/// opened without blocking and checked again once open, so a file swapped
/// for a FIFO in between cannot make it wait either.
pub fn open_in_drive(root: &Path, relative: &Path) -> Result<File, OpenError> {
    let path = resolve_in_drive(root, relative)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(&path).map_err(OpenError::Io)?;
    let meta = file.metadata().map_err(OpenError::Io)?;
    check_regular(&meta.file_type()).map_err(OpenError::Io)?;
    Ok(file)
}

/// An [`io::ErrorKind::InvalidInput`] error unless `t` is a regular file.
fn check_regular(t: &std::fs::FileType) -> io::Result<()> {
    if t.is_file() {
        return Ok(());
    }
    let what = if t.is_dir() {
        "a folder"
    } else {
        special_file_kind(t)
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "it is {what}, not a regular file: a drive's files are regular files, so it is \
             not read (replace it with the blob's file, or repair the drive)"
        ),
    ))
}

#[cfg(unix)]
fn special_file_kind(t: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_char_device() {
        "a character device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_file_kind(_: &std::fs::FileType) -> &'static str {
    "a special file"
}

/// `relative` under `root` with symbolic links resolved, when it is inside
/// `root` and a regular file. See [`open_in_drive`].
pub fn resolve_in_drive(root: &Path, relative: &Path) -> Result<PathBuf, OpenError> {
    let root = root.canonicalize().map_err(OpenError::Io)?;
    let path = root.join(relative).canonicalize().map_err(OpenError::Io)?;
    if !path.starts_with(&root) {
        return Err(OpenError::Unsafe(Error::new(
            ErrorKind::UnsafeFilePath,
            format!(
                "{} resolves to {}, outside the drive {}: a symbolic link out of the \
                 drive is not followed",
                relative.display(),
                path.display(),
                root.display()
            ),
        )));
    }
    // Checked before anything opens it: opening a FIFO blocks, a device's
    // open can act.
    let meta = std::fs::metadata(&path).map_err(OpenError::Io)?;
    check_regular(&meta.file_type()).map_err(OpenError::Io)?;
    Ok(path)
}

/// Why a drive file could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The file (or the drive) could not be read: not found, no permission…
    Io(io::Error),
    /// The path resolves outside the drive.
    Unsafe(Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths_map_component_by_component() {
        for (file, want) in [
            (r"\pictures\city\redmond.jpg", "pictures/city/redmond.jpg"),
            (r"$root\logo.bmp", "$root/logo.bmp"),
            ("/a/b", "a/b"),
            (r"\a..b\...\c", "a..b/.../c"),
        ] {
            assert_eq!(
                drive_relative_path(file).unwrap(),
                Path::new(want),
                "{file}"
            );
        }
    }

    #[test]
    fn paths_that_leave_the_root_are_errors() {
        for file in [
            r"\..\etc\passwd",
            r"a\..\..\b",
            r"a\.\b",
            r"C:\Windows\win.ini",
            r"c:relative",
            r"\\server\share\x",
            r"\\?\C:\x",
            "//server/share",
            r"a\\b",
            r"\a\",
            "",
            r"\",
            "a\u{0}b",
            r"file.txt:stream",
        ] {
            let e = drive_relative_path(file).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UnsafeFilePath, "{file:?}");
            assert!(e.message().contains("not followed"), "{e}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_drive_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), b"x").unwrap();
        let drive = tempfile::tempdir().unwrap();
        std::fs::write(drive.path().join("ok"), b"y").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), drive.path().join("link"))
            .unwrap();
        std::os::unix::fs::symlink("ok", drive.path().join("inside")).unwrap();
        std::fs::create_dir(drive.path().join("sub")).unwrap();
        let fifo = std::ffi::CString::new(
            drive
                .path()
                .join("fifo")
                .into_os_string()
                .into_encoded_bytes(),
        )
        .unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        assert!(open_in_drive(drive.path(), Path::new("ok")).is_ok());
        assert!(open_in_drive(drive.path(), Path::new("inside")).is_ok());
        match open_in_drive(drive.path(), Path::new("link")) {
            Err(OpenError::Unsafe(e)) => assert_eq!(e.kind(), ErrorKind::UnsafeFilePath),
            other => panic!("{other:?}"),
        }
        for special in ["fifo", "sub"] {
            match open_in_drive(drive.path(), Path::new(special)) {
                Err(OpenError::Io(e)) => {
                    assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{special}");
                }
                other => panic!("{special}: {other:?}"),
            }
        }
        match open_in_drive(drive.path(), Path::new("nope")) {
            Err(OpenError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::NotFound),
            other => panic!("{other:?}"),
        }
    }
}
