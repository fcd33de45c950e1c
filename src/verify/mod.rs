//! After the export: check the returned drives against the preview (docs/semantics.md §7).
//!
//! An export job ends with drives, each with a **drive manifest** (which
//! blobs are on it, in which files, with the MD5 of every block or page
//! range) and a **copy log** (what went wrong, or with a verbose log,
//! everything). This module reads both and reconciles them with what the
//! preview selects:
//!
//! * [`DriveManifest`] / [`ManifestReader`] — the manifest, read whole
//!   (a big one held in memory on all threads, with the same answer:
//!   [`DriveManifest::read_bytes`]) or one [`ManifestBlob`] at a time;
//!   every blob it yields is valid (its file paths stay inside the drive:
//!   [`drive_relative_path`]).
//! * [`DriveLog`] / [`LogReader`] — the copy log, with its statuses known by
//!   name ([`BlobStatus`], [`PartStatus`], [`DriveStatus`]); unknown codes
//!   are kept and reported.
//! * [`Verification`] — the reconciliation of [`Expected`] blobs (the
//!   preview's selection) against [`Drive`]s, into a [`Report`] of
//!   [`Finding`]s: `missing`, `unexpected`, `duplicate`, `changed`, `failed`
//!   and, when a drive's files are at hand, `damaged`, `file-missing` and
//!   `file-length` ([`FindingKind`]). [`check_drive`] hashes one drive's
//!   files alone.
//! * `repair` (feature `remote`) — fetches what a drive lacks from the
//!   account with ranged Get Blob, checked against the manifest's MD5s
//!   before a byte is written.
//!
//! # Example: verify a drive against a selection and a listing
//!
//! ```
//! use blobsel::verify::{DriveLog, DriveManifest, Drive, Expected, FindingKind, Verification};
//! use blobsel::{ListingEntry, Selection};
//!
//! let matcher = Selection::parse(
//!     &b"<BlobList><BlobPathPrefix>/pictures/</BlobPathPrefix></BlobList>"[..],
//!     "selection.xml",
//! )?
//! .compile()?;
//! // The preview: the listing's entries that the selection selects.
//! let mut expected = Vec::new();
//! for (path, size) in [("/pictures/a.jpg", 3), ("/pictures/b.jpg", 5)] {
//!     let mut entry = ListingEntry::default();
//!     entry.path = path.to_string();
//!     entry.container_len = "pictures".len();
//!     entry.size = Some(size);
//!     if matcher.find_entry(&entry).is_some() {
//!         expected.push(Expected::from_entry(&entry));
//!     }
//! }
//! let manifest = DriveManifest::read(
//!     &br#"<DriveManifest Version="2014-11-01"><Drive><DriveId>D1</DriveId><BlobList>
//!   <Blob><BlobPath>pictures/a.jpg</BlobPath><FilePath>\pictures\a.jpg</FilePath>
//!     <Length>3</Length><BlockList>
//!       <Block Offset="0" Length="3" Hash="900150983CD24FB0D6963F7D28E17F72"/>
//!     </BlockList></Blob>
//! </BlobList></Drive></DriveManifest>"#[..],
//!     "D1.manifest",
//! )?;
//! let log = DriveLog::read(
//!     &br#"<DriveLog><DriveId>D1</DriveId><Blob Status="CompletedWithErrors">
//!   <BlobPath>pictures/a.jpg</BlobPath><BlockList>
//!     <Block Offset="0" Length="3" Status="Corrupted"/></BlockList></Blob>
//!   <Status>CompletedWithErrors</Status></DriveLog>"#[..],
//!     "D1_error.xml",
//! )?;
//! let report = Verification::new(&expected)
//!     .drive(Drive::new(&manifest).log(&log))
//!     .run()?;
//! let lines: Vec<String> = report.findings.iter().map(|f| f.to_string()).collect();
//! assert_eq!(lines, [
//!     "failed\t/pictures/a.jpg\tdrive=D1\tpart=block\toffset=0\tlength=3\tstatus=Corrupted",
//!     "missing\t/pictures/b.jpg\tlisting-size=5",
//! ]);
//! assert_eq!(report.findings[1].kind, FindingKind::Missing);
//! # Ok::<(), blobsel::Error>(())
//! ```

mod drive_path;
mod finding;
mod hash;
mod log;
mod manifest;
mod reconcile;
#[cfg(feature = "remote")]
pub mod repair;
mod split;
mod status;
mod xml;

pub use self::drive_path::{
    check_file_path, drive_relative_path, open_in_drive, resolve_in_drive, OpenError,
};
pub use self::finding::{Finding, FindingKind, Part};
pub use self::hash::{check_blob, check_drive};
pub use self::log::{DriveLog, LogBlob, LogRange, LogReader};
pub use self::manifest::{
    DriveManifest, Layout, ManifestBlob, ManifestRange, ManifestReader, SideFile,
};
pub use self::reconcile::{Drive, DriveSummary, Expected, Report, Verification};
pub use self::status::{BlobStatus, DriveStatus, PartStatus};
