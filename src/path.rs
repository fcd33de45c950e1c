//! Blob identity: container names, blob names and canonical paths.
//!
//! A blob's canonical path is `/` + container + `/` + blob name; the root
//! container is written `$root`.

use crate::error::{Error, ErrorKind};

/// The most characters a blob name may have.
pub const MAX_BLOB_NAME_CHARS: usize = 1024;

/// The container names that do not follow the ordinary rules.
pub const SPECIAL_CONTAINERS: [&str; 3] = ["$root", "$logs", "$web"];

/// Whether `name` is a valid container name: 3–63 lowercase letters, digits
/// and single hyphens, starting and ending with a letter or digit; or one of
/// `$root`, `$logs`, `$web`.
pub fn is_valid_container_name(name: &[u8]) -> bool {
    if name.first() == Some(&b'$') {
        return SPECIAL_CONTAINERS.iter().any(|s| s.as_bytes() == name);
    }
    (3..=63).contains(&name.len())
        && name
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name[0] != b'-'
        && name[name.len() - 1] != b'-'
        && !name.windows(2).any(|w| w == b"--")
}

/// Whether some valid container name begins with `partial` (which a prefix
/// that ends inside the container name must satisfy to match anything).
pub fn could_begin_container_name(partial: &[u8]) -> bool {
    if partial.first() == Some(&b'$') {
        return SPECIAL_CONTAINERS
            .iter()
            .any(|s| s.as_bytes().starts_with(partial));
    }
    partial.len() <= 63
        && partial
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && partial.first() != Some(&b'-')
        && !partial.windows(2).any(|w| w == b"--")
}

/// Explains why `name` is not a valid container name, with a fix.
pub(crate) fn container_name_problem(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let hint = if name.starts_with('$') {
        "the special containers are $root, $logs and $web".to_string()
    } else if lower != name && is_valid_container_name(lower.as_bytes()) {
        format!("container names are lowercase: did you mean {lower:?}?")
    } else if name.is_empty() {
        "the path is missing its container".to_string()
    } else {
        "container names are 3-63 lowercase letters, digits and single hyphens, \
         starting and ending with a letter or digit"
            .to_string()
    };
    format!("invalid container name {name:?}: {hint}")
}

/// Checks a blob name: 1–1,024 characters, no control characters.
pub(crate) fn check_blob_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::new(ErrorKind::MissingBlobName, "empty blob name"));
    }
    // Control characters are ASCII: a byte scan finds them.
    if let Some(&b) = name.as_bytes().iter().find(|&&b| b < 0x20) {
        return Err(control_character(u32::from(b)));
    }
    // Fast path: byte length bounds the character count from above.
    if name.len() > MAX_BLOB_NAME_CHARS && name.chars().count() > MAX_BLOB_NAME_CHARS {
        return Err(Error::new(
            ErrorKind::BlobNameTooLong,
            format!(
                "blob name of {} characters: blob names have at most {MAX_BLOB_NAME_CHARS}",
                name.chars().count()
            ),
        ));
    }
    Ok(())
}

pub(crate) fn control_character(c: u32) -> Error {
    Error::new(
        ErrorKind::ControlCharacter,
        format!("control character U+{c:04X}: blob names cannot contain characters 0x00-0x1F"),
    )
}

/// A blob's path split into container and blob name, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobPath<'a> {
    /// The container name (`$root` for the root container).
    pub container: &'a str,
    /// The blob name.
    pub name: &'a str,
}

impl<'a> BlobPath<'a> {
    /// Splits `container/blob` or `/container/blob` and validates both parts:
    /// the container name must be valid and the blob name non-empty, at most
    /// 1,024 characters and free of control characters.
    ///
    /// ```
    /// use blobsel::BlobPath;
    /// let p = BlobPath::parse("/$root/logo.bmp")?;
    /// assert_eq!((p.container, p.name), ("$root", "logo.bmp"));
    /// assert!(BlobPath::parse("/logo.bmp").is_err()); // a container, no blob
    /// # Ok::<(), blobsel::Error>(())
    /// ```
    pub fn parse(text: &'a str) -> Result<BlobPath<'a>, Error> {
        let path = BlobPath::split(text)?;
        if !is_valid_container_name(path.container.as_bytes()) {
            return Err(Error::new(
                ErrorKind::InvalidContainerName,
                container_name_problem(path.container),
            ));
        }
        check_blob_name(path.name)?;
        Ok(path)
    }

    /// Splits without validating the container name or the blob name's
    /// characters; only the shape (a container and a non-empty blob name) is
    /// checked.
    pub(crate) fn split(text: &'a str) -> Result<BlobPath<'a>, Error> {
        let trimmed = text.strip_prefix('/').unwrap_or(text);
        if text.is_empty() {
            return Err(Error::new(ErrorKind::EmptyPath, "empty blob path"));
        }
        match trimmed.split_once('/') {
            Some((container, name)) if !name.is_empty() => Ok(BlobPath { container, name }),
            Some((container, _)) => Err(Error::new(
                ErrorKind::MissingBlobName,
                format!(
                    "blob path {text:?} names container {container:?} but no blob: \
                     add the blob name after the '/', or use BlobPathPrefix \
                     \"/{container}/\" to take the whole container"
                ),
            )),
            None => Err(Error::new(
                ErrorKind::MissingBlobName,
                format!(
                    "blob path {text:?} names a container and no blob: write \
                     container/blob (for the root container, /$root/{trimmed}), \
                     or use BlobPathPrefix \"/{trimmed}/\" to take a whole container"
                ),
            )),
        }
    }

    /// The canonical path, `/container/name`.
    pub fn canonical(&self) -> String {
        let mut s = String::with_capacity(self.container.len() + self.name.len() + 2);
        s.push('/');
        s.push_str(self.container);
        s.push('/');
        s.push_str(self.name);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_names() {
        for ok in [
            "abc",
            "a-b-c",
            "0ab",
            "photos-2024",
            "$root",
            "$logs",
            "$web",
            &"a".repeat(63),
        ] {
            assert!(is_valid_container_name(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "ab",
            "Abc",
            "a--b",
            "-ab",
            "ab-",
            "a_b",
            "$rooty",
            "$",
            "",
            &"a".repeat(64),
        ] {
            assert!(!is_valid_container_name(bad.as_bytes()), "{bad}");
        }
        assert!(could_begin_container_name(b"bob"));
        assert!(could_begin_container_name(b"b"));
        assert!(could_begin_container_name(b""));
        assert!(could_begin_container_name(b"$ro"));
        assert!(could_begin_container_name(b"ab-"));
        assert!(!could_begin_container_name(b"Bob"));
        assert!(!could_begin_container_name(b"a--"));
        assert!(!could_begin_container_name(b"$x"));
    }

    #[test]
    fn blob_paths() {
        let p = BlobPath::parse("photos/a/b.jpg").unwrap();
        assert_eq!(p.canonical(), "/photos/a/b.jpg");
        assert_eq!(
            BlobPath::parse("/photos/a").unwrap().canonical(),
            "/photos/a"
        );
        assert_eq!(
            BlobPath::parse("/video").unwrap_err().kind(),
            ErrorKind::MissingBlobName
        );
        assert_eq!(
            BlobPath::parse("/logo.bmp").unwrap_err().kind(),
            ErrorKind::MissingBlobName
        );
        assert_eq!(
            BlobPath::parse("/video/").unwrap_err().kind(),
            ErrorKind::MissingBlobName
        );
        assert_eq!(
            BlobPath::parse("").unwrap_err().kind(),
            ErrorKind::EmptyPath
        );
        assert_eq!(
            BlobPath::parse("/Photos/a").unwrap_err().kind(),
            ErrorKind::InvalidContainerName
        );
        assert!(BlobPath::parse("/Photos/a")
            .unwrap_err()
            .message()
            .contains("\"photos\""));
        assert_eq!(
            BlobPath::parse("/photos/a\tb").unwrap_err().kind(),
            ErrorKind::ControlCharacter
        );
        let long = format!("/c0/{}", "é".repeat(1024));
        assert_eq!(
            BlobPath::parse(&long).unwrap_err().kind(),
            ErrorKind::InvalidContainerName
        );
        let long = format!("/c00/{}", "é".repeat(1024));
        assert!(BlobPath::parse(&long).is_ok());
        let long = format!("/c00/{}", "é".repeat(1025));
        assert_eq!(
            BlobPath::parse(&long).unwrap_err().kind(),
            ErrorKind::BlobNameTooLong
        );
    }
}
