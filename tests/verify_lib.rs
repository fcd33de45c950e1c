//! The `verify` library API on the sample drive (`tests/fixtures/export-drive`)
//! and on hand-made variations of it: each finding kind, and nothing else.

use std::fs;
use std::path::{Path, PathBuf};

use blobsel::listing::JsonlReader;
use blobsel::verify::{
    Drive, DriveLog, DriveManifest, Expected, FindingKind, Report, Verification,
};
use blobsel::{ListingEntry, ListingReader, Selection};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/export-drive")
}

/// The preview of the sample's selection against its listing.
fn expected() -> Vec<Expected> {
    let dir = sample();
    let sel = fs::read(dir.join("selection.xml")).unwrap();
    let matcher = Selection::parse(&sel[..], "selection.xml")
        .unwrap()
        .compile()
        .unwrap();
    let listing = fs::read(dir.join("listing.jsonl")).unwrap();
    let mut reader = JsonlReader::new(&listing[..], "listing.jsonl");
    let mut entry = ListingEntry::default();
    let mut out = Vec::new();
    while reader.read_entry(&mut entry).unwrap() {
        if matcher.find_entry(&entry).is_some() {
            out.push(Expected::from_entry(&entry));
        }
    }
    out
}

fn manifest() -> DriveManifest {
    let text = fs::read(sample().join("9WM35C3U.manifest")).unwrap();
    DriveManifest::read(&text[..], "9WM35C3U.manifest").unwrap()
}

fn log() -> DriveLog {
    let text = fs::read(sample().join("9WM35C3U_error.xml")).unwrap();
    DriveLog::read(&text[..], "9WM35C3U_error.xml").unwrap()
}

fn lines(report: &Report) -> Vec<String> {
    report.findings.iter().map(|f| f.to_string()).collect()
}

#[test]
fn the_sample_drive_has_exactly_what_its_readme_says() {
    let expected = expected();
    assert_eq!(expected.len(), 6);
    let (m, l) = (manifest(), log());
    let dir = sample().join("drive-9WM35C3U");
    let report = Verification::new(&expected)
        .drive(Drive::new(&m).log(&l).dir(&dir))
        .run()
        .unwrap();
    assert_eq!(
        lines(&report),
        [
            "failed\t/pictures/wild/desert.jpg\tdrive=9WM35C3U\tpart=block\toffset=65536\tlength=65536\tstatus=Failed",
            "damaged\t/pictures/wild/desert.jpg\tdrive=9WM35C3U\tpart=block\toffset=65536\tlength=65536\tfile=\\pictures\\wild\\desert.jpg",
            "missing\t/pictures/wild/tiger.jpg\tlisting-size=4096",
        ]
    );
    assert_eq!(report.drives[0].blobs, 5);
    assert_eq!(report.drives[0].bytes, 191_684);
    let counts = report.counts();
    assert!(counts.contains(&(FindingKind::Damaged, 1)));
    assert!(counts.contains(&(FindingKind::Unexpected, 0)));
}

#[test]
fn without_files_or_log_only_the_manifest_is_reconciled() {
    let expected = expected();
    let m = manifest();
    let report = Verification::new(&expected)
        .drive(Drive::new(&m))
        .run()
        .unwrap();
    assert_eq!(
        lines(&report),
        ["missing\t/pictures/wild/tiger.jpg\tlisting-size=4096"]
    );
}

#[test]
fn unexpected_duplicate_and_changed() {
    let mut expected = expected();
    // canyon.jpg grew after the listing; logo.bmp is not selected any more.
    expected
        .iter_mut()
        .find(|e| e.path == "/pictures/wild/canyon.jpg")
        .unwrap()
        .size = Some(10_000);
    expected.retain(|e| e.path != "/$root/logo.bmp");
    let m = manifest();
    let mut other = m.clone();
    other.drive_id = "SECOND".into();
    other.blobs.retain(|b| b.path == "/docs/plan.xlsx");
    let report = Verification::new(&expected)
        .drive(Drive::new(&m))
        .drive(Drive::new(&other))
        .run()
        .unwrap();
    assert_eq!(
        lines(&report),
        [
            "unexpected\t/$root/logo.bmp\tdrive=9WM35C3U",
            "duplicate\t/docs/plan.xlsx\t2011-03-09T01:42:34.9360000Z\tdrives=9WM35C3U,SECOND",
            "changed\t/pictures/wild/canyon.jpg\tdrive=9WM35C3U\tlength=10884\tlisting-size=10000\tnote=the blob's length changed after the listing",
            "missing\t/pictures/wild/tiger.jpg\tlisting-size=4096",
        ]
    );
}

#[test]
fn a_later_last_modified_in_a_verbose_log_is_a_change() {
    let mut expected = expected();
    for e in &mut expected {
        e.last_modified = Some("2012-09-18T00:00:00Z".parse().unwrap());
    }
    let (m, l) = (manifest(), log());
    let report = Verification::new(&expected)
        .drive(Drive::new(&m).log(&l))
        .run()
        .unwrap();
    assert!(report
        .findings
        .iter()
        .any(|f| f.kind == FindingKind::Changed
            && f.path == "/pictures/wild/desert.jpg"
            && f.note.as_deref().unwrap().contains("2012-09-18T23:47:08")));
}

#[test]
fn a_copy_log_of_another_drive_is_an_error() {
    let expected = expected();
    let m = manifest();
    let mut l = log();
    l.drive_id = Some("OTHER".into());
    let e = Verification::new(&expected)
        .drive(Drive::new(&m).log(&l))
        .run()
        .unwrap_err();
    assert!(e.to_string().contains("is of drive OTHER"), "{e}");
}
