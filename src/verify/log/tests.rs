use std::io::BufReader;

use super::*;

const SAMPLE: &str = include_str!("../../../tests/fixtures/export-drive/9WM35C3U_error.xml");

fn read(xml: &str) -> Result<DriveLog, Error> {
    let whole = DriveLog::read(xml.as_bytes(), "l.xml");
    let tiny = DriveLog::read(BufReader::with_capacity(1, xml.as_bytes()), "l.xml");
    assert_eq!(whole, tiny, "whole and byte-by-byte reads differ");
    whole
}

#[test]
fn the_sample_error_log() {
    let log = read(SAMPLE).unwrap();
    assert_eq!(log.drive_id.as_deref(), Some("9WM35C3U"));
    assert_eq!(log.version.as_deref(), Some("2014-11-01"));
    assert_eq!(log.status, Some(DriveStatus::CompletedWithErrors));
    assert_eq!(log.blobs.len(), 1);
    let b = &log.blobs[0];
    assert_eq!(b.status, BlobStatus::CompletedWithErrors);
    assert_eq!(b.path, "/pictures/wild/desert.jpg");
    assert_eq!(b.file_path.as_deref(), Some(r"\pictures\wild\desert.jpg"));
    assert_eq!(b.length, Some(163840));
    assert_eq!(b.last_modified.as_deref(), Some("2012-09-18T23:47:08Z"));
    assert_eq!(
        b.last_modified_time,
        Some("2012-09-18T23:47:08Z".parse().unwrap())
    );
    assert_eq!(b.layout, Some(Layout::Blocks));
    assert_eq!(
        b.ranges,
        [LogRange {
            offset: 65536,
            length: 65536,
            id: Some("AQAAAA==".into()),
            status: PartStatus::Failed
        }]
    );
    assert!(log.unknown_statuses().is_empty());
}

/// A verbose log with one blob per blob status, every part status on its
/// blocks, page ranges, metadata and properties.
#[test]
fn every_status_is_known_by_name() {
    let mut xml = String::from("<DriveLog Version=\"2014-11-01\"><DriveId>D</DriveId>\n");
    for (i, status) in BlobStatus::known().iter().enumerate() {
        xml.push_str(&format!(
            "<Blob Status=\"{status}\"><BlobPath>c00/b{i}</BlobPath><FilePath>\\c00\\b{i}</FilePath>\
             <Snapshot>2011-03-09T01:42:34.936Z</Snapshot><Length>1024</Length>\
             <LastModified>Tue, 18 Sep 2012 23:47:08 GMT</LastModified>\
             <ImportDisposition Status=\"Created\">rename</ImportDisposition>\
             <PageRangeList><PageRange Offset=\"0\" Length=\"512\" Status=\"Completed\"/></PageRangeList>\
             <Metadata Status=\"Completed\"><GlobalPath Hash=\"x\">\\m</GlobalPath><Path Hash=\"y\">\\n</Path></Metadata>\
             <Properties Status=\"Completed\"><Path Hash=\"z\">\\p</Path></Properties></Blob>\n"
        ));
    }
    for (i, status) in PartStatus::known().iter().enumerate() {
        xml.push_str(&format!(
            "<Blob Status=\"CompletedWithErrors\"><BlobPath>c01/p{i}</BlobPath>\
             <BlockList><Block Offset=\"0\" Length=\"10\" Id=\"AA==\" Status=\"{status}\"/></BlockList>\
             <Metadata Status=\"{status}\"/><Properties Status=\"{status}\"/></Blob>\n"
        ));
    }
    xml.push_str("<Status>Completed</Status></DriveLog>\n");
    let log = read(&xml).unwrap();
    let n = BlobStatus::known().len();
    assert_eq!(log.blobs.len(), n + PartStatus::known().len());
    for (b, status) in log.blobs.iter().zip(BlobStatus::known()) {
        assert_eq!(b.status.as_str(), *status);
        assert!(!b.status.is_unknown());
        assert_eq!(b.layout, Some(Layout::Pages));
        assert_eq!(
            b.snapshot.unwrap().to_string(),
            "2011-03-09T01:42:34.9360000Z"
        );
        // An RFC 1123 time is kept as written, and read.
        assert_eq!(
            b.last_modified.as_deref(),
            Some("Tue, 18 Sep 2012 23:47:08 GMT")
        );
        assert_eq!(
            b.last_modified_time,
            Some("2012-09-18T23:47:08Z".parse().unwrap())
        );
        assert_eq!(b.metadata, Some(PartStatus::Completed));
        assert_eq!(b.properties, Some(PartStatus::Completed));
    }
    for (b, status) in log.blobs[n..].iter().zip(PartStatus::known()) {
        assert_eq!(b.ranges[0].status.as_str(), *status);
        assert_eq!(b.metadata.as_ref().unwrap().as_str(), *status);
        assert_eq!(b.properties.as_ref().unwrap().as_str(), *status);
        assert_eq!(b.layout, Some(Layout::Blocks));
    }
    assert!(log.unknown_statuses().is_empty());

    for status in DriveStatus::known() {
        let log = read(&format!(
            "<DriveLog><DriveId>D</DriveId><Status>{status}</Status></DriveLog>"
        ))
        .unwrap();
        assert_eq!(log.status.as_ref().unwrap().as_str(), *status);
    }
}

#[test]
fn unknown_statuses_are_kept_and_listed() {
    let log = read(
        "<DriveLog><DriveId>D</DriveId>\
         <Blob Status=\"Vanished\"><BlobPath>c00/a</BlobPath>\
         <BlockList><Block Offset=\"0\" Length=\"1\" Status=\"Melted\"/></BlockList>\
         <Properties Status=\"Melted\"/></Blob>\
         <Status>OnFire</Status></DriveLog>",
    )
    .unwrap();
    assert_eq!(log.blobs[0].status, BlobStatus::Other("Vanished".into()));
    assert_eq!(
        log.blobs[0].ranges[0].status,
        PartStatus::Other("Melted".into())
    );
    assert_eq!(log.status, Some(DriveStatus::Other("OnFire".into())));
    assert_eq!(log.unknown_statuses(), ["OnFire", "Vanished", "Melted"]);
}

#[test]
fn a_blob_list_wrapper_is_read_through() {
    let log = read(
        "<DriveLog><DriveId>D</DriveId><BlobList><Blob Status=\"Completed\">\
         <BlobPath>/$root/a</BlobPath></Blob></BlobList></DriveLog>",
    )
    .unwrap();
    assert_eq!(log.blobs[0].path, "/$root/a");
    assert_eq!(log.status, None);
}

#[test]
fn errors_have_their_position() {
    let cases = [
        ("<DriveLog>\n<Blob><BlobPath>c00/a</BlobPath></Blob></DriveLog>", "2:1", "without a Status"),
        ("<DriveLog>\n<Blob Status=\"Failed\"></Blob></DriveLog>", "2:1", "without <BlobPath>"),
        (
            "<DriveLog>\n<Blob Status=\"Failed\"><BlobPath>c00/a</BlobPath><BlockList><Block Length=\"1\" Status=\"Failed\"/></BlockList></Blob></DriveLog>",
            "2:",
            "without Offset",
        ),
        (
            "<DriveLog>\n<Blob Status=\"Failed\"><BlobPath>c00/a</BlobPath><BlockList><Block Offset=\"0\" Length=\"1\"/></BlockList></Blob></DriveLog>",
            "2:",
            "without Status",
        ),
        (
            "<DriveLog>\n<Blob Status=\"Failed\"><BlobPath>c00/a</BlobPath><Length>ten</Length></Blob></DriveLog>",
            "2:",
            "number of bytes",
        ),
        (
            "<DriveLog>\n<Blob Status=\"Failed\"><BlobPath>x/a</BlobPath></Blob></DriveLog>",
            "2:",
            "invalid container name",
        ),
        (
            "<DriveLog>\n<Blob Status=\"Failed\"><BlobPath>c00/a</BlobPath>\n<LastModified>not a date</LastModified></Blob></DriveLog>",
            "3:15",
            "LastModified: invalid time \"not a date\"",
        ),
        ("<DriveManifest/>", "1:1", "--manifest"),
        ("  ", "1:", "not a copy log"),
        ("<DriveLog><Status>Completed</Status>", "1:", "truncated"),
    ];
    for (xml, pos, needle) in cases {
        let e = read(xml).unwrap_err();
        assert_eq!(e.source_name(), Some("l.xml"));
        let p = e.position().unwrap().to_string();
        assert!(p.starts_with(pos), "{xml}: {p} {e}");
        assert!(e.message().contains(needle), "{xml}: {e}");
    }
}
