//! Blob identity: container names, blob names and canonical paths — the
//! one validator that selections and listings share (docs/semantics.md §2).
//!
//! A blob's canonical path is `/` + container + `/` + blob name; the root
//! container is written `$root`. Every check here returns an [`Error`] of
//! one of the path kinds ([`ErrorKind::EmptyPath`],
//! [`ErrorKind::MissingBlobName`], [`ErrorKind::InvalidContainerName`],
//! [`ErrorKind::ControlCharacter`], [`ErrorKind::BlobNameTooLong`]); a
//! listing reader reports the same message as an invalid listing row. The
//! checks that run on every listed blob start with the word-at-a-time
//! tests of `words.rs` and fall back to the exact rules only for what they
//! do not settle.

use crate::error::{Error, ErrorKind};
use crate::words::{has_control, is_ordinary_container_name, ordinary_container_end};

/// The most characters a blob name may have.
pub const MAX_BLOB_NAME_CHARS: usize = 1024;

/// The container names that do not follow the ordinary rules.
pub const SPECIAL_CONTAINERS: [&str; 3] = ["$root", "$logs", "$web"];

/// What a path is read as. Only the fix a message suggests differs: a
/// selection's path can become a prefix rule, a listing's row cannot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reading {
    /// A `BlobPath` rule of a selection.
    Rule,
    /// A row of a listing.
    Listing,
}

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

/// The length of the special container name `path` begins with, when a
/// `/` follows it (`$root/…`: 5).
#[inline]
fn special_container_end(path: &[u8]) -> Option<usize> {
    if path.first() != Some(&b'$') {
        return None;
    }
    SPECIAL_CONTAINERS
        .iter()
        .map(|s| s.as_bytes())
        .find(|s| path.starts_with(s) && path.get(s.len()) == Some(&b'/'))
        .map(<[u8]>::len)
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

/// Checks a container name ([`ErrorKind::InvalidContainerName`]).
#[inline]
pub(crate) fn check_container(name: &str) -> Result<(), Error> {
    if is_ordinary_container_name(name.as_bytes()) || is_valid_container_name(name.as_bytes()) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidContainerName,
            container_name_problem(name),
        ))
    }
}

/// Checks a blob name: 1–1,024 characters, no control characters.
pub(crate) fn check_blob_name(name: &str) -> Result<(), Error> {
    if has_control(name.as_bytes()) {
        let (at, c) = name
            .chars()
            .enumerate()
            .find(|(_, c)| (*c as u32) < 0x20)
            .unwrap_or((0, '\0'));
        return Err(Error::new(
            ErrorKind::ControlCharacter,
            format!(
                "control character U+{:04X} at character {} of the blob name {}: blob \
                 names cannot contain characters 0x00-0x1F",
                c as u32,
                at + 1,
                quoted(name)
            ),
        ));
    }
    check_name_length(name)
}

/// Checks a blob name's length, 1–1,024 characters, for a name already
/// known to hold no control character.
#[inline]
pub(crate) fn check_name_length(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::new(ErrorKind::MissingBlobName, "empty blob name"));
    }
    // The byte length bounds the character count from above.
    if name.len() > MAX_BLOB_NAME_CHARS {
        let chars = name.chars().count();
        if chars > MAX_BLOB_NAME_CHARS {
            return Err(Error::new(
                ErrorKind::BlobNameTooLong,
                format!(
                    "blob name of {chars} characters: blob names have at most \
                     {MAX_BLOB_NAME_CHARS}"
                ),
            ));
        }
    }
    Ok(())
}

/// The error for a control character in a prefix or path that is not
/// placed in a blob name.
pub(crate) fn control_character(c: u32) -> Error {
    Error::new(
        ErrorKind::ControlCharacter,
        format!("control character U+{c:04X}: blob names cannot contain characters 0x00-0x1F"),
    )
}

/// `text` quoted for a message, cut short when long.
pub(crate) fn quoted(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((end, _)) => format!("{:?}...", &text[..end]),
        None => format!("{text:?}"),
    }
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
        BlobPath::parse_as(text, Reading::Rule)
    }

    /// [`BlobPath::parse`], with the fixes its errors suggest chosen for
    /// what the path is read as.
    pub(crate) fn parse_as(text: &'a str, reading: Reading) -> Result<BlobPath<'a>, Error> {
        let path = match BlobPath::split_ordinary(text) {
            Some(path) => path,
            None => {
                let path = BlobPath::split(text, reading)?;
                check_container(path.container)?;
                path
            }
        };
        check_blob_name(path.name)?;
        Ok(path)
    }

    /// Splits `/container/blob` or `container/blob` whose container name is
    /// valid (ordinary, or one of [`SPECIAL_CONTAINERS`]) and whose blob
    /// name is not empty; `None` for anything else. The fast path of every
    /// listed blob.
    #[inline]
    pub(crate) fn split_ordinary(path: &'a str) -> Option<BlobPath<'a>> {
        let start = usize::from(path.starts_with('/'));
        let rest = path.get(start..)?;
        let slash = match ordinary_container_end(rest.as_bytes()) {
            Some(slash) => slash,
            None => special_container_end(rest.as_bytes())?,
        };
        (slash + 1 < rest.len()).then(|| BlobPath {
            container: &rest[..slash],
            name: &rest[slash + 1..],
        })
    }

    /// Splits without validating the container name or the blob name's
    /// characters; only the shape (a container and a non-empty blob name) is
    /// checked ([`ErrorKind::EmptyPath`], [`ErrorKind::MissingBlobName`]).
    pub(crate) fn split(text: &'a str, reading: Reading) -> Result<BlobPath<'a>, Error> {
        let rest = text.strip_prefix('/').unwrap_or(text);
        if text.is_empty() {
            return Err(Error::new(ErrorKind::EmptyPath, "empty blob path"));
        }
        // Container names are short: a plain loop beats memchr's setup.
        let slash = rest.bytes().position(|b| b == b'/');
        if let Some(slash) = slash.filter(|&s| s + 1 < rest.len()) {
            return Ok(BlobPath {
                container: &rest[..slash],
                name: &rest[slash + 1..],
            });
        }
        // The error: formatted only now, off the path of every valid blob.
        let shown = match reading {
            Reading::Rule => format!("blob path {}", quoted(text)),
            Reading::Listing => quoted(text),
        };
        let (message, whole) = match slash {
            Some(slash) => (
                format!(
                    "{shown} names container {} but no blob: write /container/blob",
                    quoted(&rest[..slash])
                ),
                &rest[..slash],
            ),
            None if rest.is_empty() => (
                format!("{shown} names no container and no blob: write /container/blob"),
                "",
            ),
            None => (
                format!(
                    "{shown} names a container and no blob name: write /container/blob \
                     (a blob in the root container is /$root/{rest})"
                ),
                rest,
            ),
        };
        let message = match reading {
            Reading::Rule if !whole.is_empty() => format!(
                "{message}, or use BlobPathPrefix \"/{whole}/\" to take the whole container"
            ),
            _ => message,
        };
        Err(Error::new(ErrorKind::MissingBlobName, message))
    }

    /// The canonical path, `/container/name`.
    pub fn canonical(&self) -> String {
        let mut s = String::with_capacity(self.container.len() + self.name.len() + 2);
        self.push_canonical(&mut s);
        s
    }

    /// Appends the canonical path `/container/name` to `out`.
    pub fn push_canonical(&self, out: &mut String) {
        out.extend(["/", self.container, "/", self.name]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::{has_control, is_ordinary_container_name};

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

    #[test]
    fn ordinary_container_names_match_the_rule() {
        // Every name of up to 6 bytes over a small alphabet, against path.rs.
        let alphabet = b"a0-A_$";
        let mut names = vec![Vec::new()];
        for _ in 0..6 {
            let longer: Vec<Vec<u8>> = names
                .iter()
                .filter(|n| n.len() == names.last().map_or(0, Vec::len))
                .flat_map(|n| alphabet.iter().map(move |&c| [n.as_slice(), &[c]].concat()))
                .collect();
            names.extend(longer);
        }
        for name in names
            .iter()
            .map(Vec::as_slice)
            .chain([&b"a".repeat(63)[..], &b"a".repeat(64)])
        {
            let expected = name.first() != Some(&b'$') && is_valid_container_name(name);
            assert_eq!(is_ordinary_container_name(name), expected, "{name:?}");
        }
    }

    /// The fast split takes exactly the paths whose container the full
    /// split and check accept, special names included, and splits them
    /// the same way.
    #[test]
    fn split_ordinary_agrees_with_split_and_check() {
        let alphabet = b"a0-A_$";
        let mut names: Vec<Vec<u8>> = vec![Vec::new()];
        for len in 1..=4 {
            let longer: Vec<Vec<u8>> = names
                .iter()
                .filter(|n| n.len() == len - 1)
                .flat_map(|n| alphabet.iter().map(move |&c| [n.as_slice(), &[c]].concat()))
                .collect();
            names.extend(longer);
        }
        for special in ["$root", "$logs", "$web", "$rooty", "$roo", "$web$", "$Root"] {
            names.push(special.as_bytes().to_vec());
        }
        let mut fast = 0;
        for name in &names {
            let name = std::str::from_utf8(name).unwrap();
            for lead in ["", "/"] {
                for tail in ["/x", "/", "", "/x/y", "//"] {
                    let text = format!("{lead}{name}{tail}");
                    let want = BlobPath::split(&text, Reading::Listing)
                        .ok()
                        .filter(|p| check_container(p.container).is_ok())
                        .map(|p| (p.container, p.name));
                    let got = BlobPath::split_ordinary(&text).map(|p| (p.container, p.name));
                    assert_eq!(got, want, "{text:?}");
                    fast += usize::from(got.is_some_and(|(c, _)| c.starts_with('$')));
                }
            }
        }
        assert_eq!(fast, 3 * 2 * 3, "special containers split fast");
    }

    #[test]
    fn control_check_matches_naive() {
        for len in 1..40 {
            for at in 0..len {
                let mut bytes = vec![b'a'; len];
                for b in 0..=255u8 {
                    bytes[at] = b;
                    assert_eq!(has_control(&bytes), b < 0x20, "{len} {at} {b:#x}");
                }
                bytes[at] = 0x80;
                bytes[len - 1] = 0x1f;
                assert!(has_control(&bytes), "{len} {at}");
            }
        }
        assert!(!has_control(b""));
    }
}
