//! The status codes of a copy log (docs/semantics.md §7), known by name. A code that is
//! not known is kept as [`Other`](BlobStatus::Other) and reported, never
//! fatal: the service adds codes over time.

use std::fmt;

use crate::error::Error;

/// Refuses a copy log's status code, or a manifest's or copy log's
/// `DriveId`, that holds a control character: such text printed in a
/// finding's line could forge other lines (a newline) or fields (a tab).
/// The error has no position: the caller adds it.
pub(crate) fn check_code(what: &str, code: &str) -> Result<(), Error> {
    match code.chars().find(|c| c.is_control()) {
        None => Ok(()),
        Some(c) => Err(super::xml::invalid(format!(
            "{what} {} has a control character (U+{:04X}): a status code or drive id is \
             printed in findings, so it must be plain text; fix the file",
            crate::path::quoted(code),
            u32::from(c)
        ))),
    }
}

macro_rules! status_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A code this version of blobsel does not know, as written.
            Other(String),
        }

        impl $name {
            /// The status for `code` as the log writes it (exact case).
            pub fn parse(code: &str) -> $name {
                match code {
                    $(stringify!($variant) => $name::$variant,)*
                    other => $name::Other(other.to_string()),
                }
            }

            /// The code as the log writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => stringify!($variant),)*
                    $name::Other(s) => s,
                }
            }

            /// Every known code, in the order of the documentation.
            pub fn known() -> &'static [&'static str] {
                &[$(stringify!($variant)),*]
            }

            /// Whether this code is not one blobsel knows.
            pub fn is_unknown(&self) -> bool {
                matches!(self, $name::Other(_))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

status_enum! {
    /// The `Status` of a `Blob` in a copy log.
    BlobStatus {
        /// The blob was copied whole.
        Completed,
        /// The blob was copied, with errors in some of its parts.
        CompletedWithErrors,
        /// The file name is not valid.
        FileNameInvalid,
        /// The file name is too long.
        FileNameTooLong,
        /// The file was not found.
        FileNotFound,
        /// The file could not be accessed.
        FileAccessDenied,
        /// A request to the blob failed.
        BlobRequestFailed,
        /// A request to the blob was forbidden.
        BlobRequestForbidden,
        /// Renaming the file or blob failed.
        RenameFailed,
        /// The blob changed while it was copied.
        BlobUnexpectedChange,
        /// The blob has a lease.
        LeasePresent,
        /// Reading or writing the drive failed.
        IOFailed,
        /// Any other failure.
        Failed,
    }
}

status_enum! {
    /// The `Status` of a `Block`, `PageRange`, `Metadata` or `Properties` in
    /// a copy log.
    PartStatus {
        /// Copied.
        Completed,
        /// The bytes on the drive are corrupt.
        Corrupted,
        /// The file ended before the part.
        FileUnexpectedEnd,
        /// The blob ended before the part.
        BlobUnexpectedEnd,
        /// A request to the blob failed.
        BlobRequestFailed,
        /// Reading or writing the drive failed.
        IOFailed,
        /// Any other failure.
        Failed,
        /// The copy was cancelled.
        Cancelled,
        /// The file name is not valid (metadata, properties).
        FileNameInvalid,
        /// The file was not found (metadata, properties).
        FileNotFound,
        /// The file could not be accessed (metadata, properties).
        FileAccessDenied,
        /// The XML could not be read (metadata, properties).
        XmlReadFailed,
        /// The XML could not be written (metadata, properties).
        XmlWriteFailed,
    }
}

status_enum! {
    /// The final `Status` of a drive in a copy log.
    DriveStatus {
        /// Every blob was copied.
        Completed,
        /// Some blobs or parts failed; the `Blob` entries say which.
        CompletedWithErrors,
        /// The disk was not found.
        DiskNotFound,
        /// The volume was not found.
        VolumeNotFound,
        /// The disk could not be accessed.
        DiskAccessDenied,
        /// No BitLocker volume was found.
        BitLockerVolumeNotFound,
        /// No BitLocker protector was found.
        BitLockerProtectorNotFound,
        /// The BitLocker key is not valid.
        BitLockerKeyInvalid,
        /// The BitLocker volume could not be unlocked.
        BitLockerUnlockVolumeFailed,
        /// Any other BitLocker failure.
        BitLockerFailed,
        /// The manifest's name is not valid.
        ManifestNameInvalid,
        /// The manifest's name is too long.
        ManifestNameTooLong,
        /// The manifest was not found.
        ManifestNotFound,
        /// The manifest could not be accessed.
        ManifestAccessDenied,
        /// The manifest is corrupt.
        ManifestCorrupted,
        /// The manifest's format is not valid.
        ManifestFormatInvalid,
        /// The manifest names another drive.
        ManifestDriveIdMismatch,
        /// A request for the manifest failed.
        ManifestRequestFailed,
        /// A request to a blob was forbidden.
        BlobRequestForbidden,
        /// The service failed.
        InternalError,
    }
}

impl BlobStatus {
    /// Whether the blob was copied whole.
    pub fn is_completed(&self) -> bool {
        *self == BlobStatus::Completed
    }
}

impl PartStatus {
    /// Whether the part was copied.
    pub fn is_completed(&self) -> bool {
        *self == PartStatus::Completed
    }
}

impl DriveStatus {
    /// Whether the drive was processed (possibly with errors in some blobs,
    /// which its `Blob` entries list); any other code is a drive failure.
    pub fn is_processed(&self) -> bool {
        matches!(
            self,
            DriveStatus::Completed | DriveStatus::CompletedWithErrors
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips_and_unknown_ones_are_kept() {
        for &code in BlobStatus::known() {
            let s = BlobStatus::parse(code);
            assert!(!s.is_unknown(), "{code}");
            assert_eq!(s.as_str(), code);
        }
        for &code in PartStatus::known() {
            assert_eq!(PartStatus::parse(code).to_string(), code);
        }
        for &code in DriveStatus::known() {
            assert_eq!(DriveStatus::parse(code).as_str(), code);
        }
        assert_eq!(BlobStatus::known().len(), 13);
        assert_eq!(
            BlobStatus::parse("completed"),
            BlobStatus::Other("completed".into())
        );
        let odd = PartStatus::parse("Quarantined");
        assert!(odd.is_unknown() && !odd.is_completed());
        assert_eq!(odd.to_string(), "Quarantined");
        assert!(DriveStatus::CompletedWithErrors.is_processed());
        assert!(!DriveStatus::ManifestCorrupted.is_processed());
        assert!(!DriveStatus::parse("Lost").is_processed());
    }
}

#[cfg(test)]
mod control_tests {
    use super::check_code;

    #[test]
    fn control_characters_are_refused_in_codes() {
        assert!(check_code("Status", "Completed").is_ok());
        assert!(check_code("DriveId", "9WM35C3U").is_ok());
        for bad in ["Failed\nmissing\t/c/x", "a\tb", "x\u{7f}", "\r", "e\u{85}"] {
            let e = check_code("Status", bad).unwrap_err();
            assert!(e.message().contains("control character"), "{e}");
            assert!(
                !e.message().contains('\n') && !e.message().contains('\t'),
                "{e}"
            );
        }
    }
}
