use std::io::BufReader;
use std::path::Path;

use super::*;
use crate::error::ErrorKind;
use crate::verify::split;
use crate::verify::xml::hex;

const SAMPLE: &str = include_str!("../../../tests/fixtures/export-drive/9WM35C3U.manifest");

/// Reads `xml` whole, through a 1-byte buffer and in 2 to 6 parts on
/// threads; all must agree.
fn read(xml: &str) -> Result<DriveManifest, Error> {
    let whole = DriveManifest::read(xml.as_bytes(), "m.manifest");
    let tiny = DriveManifest::read(BufReader::with_capacity(1, xml.as_bytes()), "m.manifest");
    assert_eq!(whole, tiny, "whole and byte-by-byte reads differ");
    for parts in 2..=6 {
        let split = DriveManifest::read_in_parts(xml.as_bytes(), "m.manifest", parts);
        assert_eq!(whole, split, "whole and {parts}-part reads differ");
    }
    whole
}

/// The error's kind and `line:column`, with the source checked.
fn err(xml: &str) -> (ErrorKind, String, String) {
    let e = read(xml).unwrap_err();
    assert_eq!(e.source_name(), Some("m.manifest"), "{e}");
    let pos = e.position().map_or(String::new(), |p| p.to_string());
    (e.kind(), pos, e.message().to_string())
}

/// A manifest of drive `D` with `blobs` in one BlobList.
fn manifest(blobs: &str) -> String {
    format!(
        "<DriveManifest Version=\"2014-11-01\">\n<Drive>\n<DriveId>D</DriveId>\n<BlobList>\n{blobs}</BlobList>\n</Drive>\n</DriveManifest>\n"
    )
}

const H: &str = "00112233445566778899AABBCCDDEEFF";

fn block_blob(blocks: &str, length: u64) -> String {
    format!(
        "<Blob><BlobPath>c00/b</BlobPath><FilePath>\\c00\\b</FilePath><Length>{length}</Length>\
         <BlockList>{blocks}</BlockList></Blob>\n"
    )
}

#[test]
fn the_sample_manifest_reads_every_element() {
    let m = read(SAMPLE).unwrap();
    assert_eq!(m.drive_id, "9WM35C3U");
    assert_eq!(m.version.as_deref(), Some("2014-11-01"));
    assert!(!m.had_credential);
    let paths: Vec<_> = m.blobs.iter().map(|b| b.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/pictures/city/redmond.jpg",
            "/pictures/wild/canyon.jpg",
            "/pictures/wild/desert.jpg",
            "/$root/logo.bmp",
            "/docs/plan.xlsx"
        ]
    );
    let redmond = &m.blobs[0];
    assert_eq!(redmond.layout, Layout::Pages);
    assert_eq!(redmond.length, 15360);
    assert_eq!(
        redmond
            .ranges
            .iter()
            .map(|r| (r.offset, r.length))
            .collect::<Vec<_>>(),
        [(0, 3584), (7168, 512)]
    );
    assert_eq!(
        hex(&redmond.ranges[1].hash),
        "E6A8A0A900316B31369EA2B688776F4E"
    );
    let props = redmond.properties.as_ref().unwrap();
    assert_eq!(props.file_path, r"\pictures\city\redmond.jpg.properties");
    assert_eq!(
        props.file(),
        Path::new("pictures/city/redmond.jpg.properties")
    );
    assert_eq!(hex(&props.hash), "9959300ACD91371A37C0C55106261546");
    assert!(redmond.metadata.is_none());

    let desert = &m.blobs[2];
    assert_eq!(desert.layout, Layout::Blocks);
    assert_eq!(desert.ranges.len(), 3);
    assert_eq!(desert.ranges[1].id.as_deref(), Some("AQAAAA=="));
    assert_eq!(desert.file(), Path::new("pictures/wild/desert.jpg"));
    assert_eq!(desert.position.to_string(), "29:7");
    let logo = &m.blobs[3];
    assert_eq!((logo.container(), logo.name()), ("$root", "logo.bmp"));
    assert_eq!(logo.ranges[0].id, None);
    let plan = &m.blobs[4];
    assert_eq!(
        plan.snapshot.unwrap().to_string(),
        "2011-03-09T01:42:34.9360000Z"
    );
    assert_eq!(
        plan.file(),
        Path::new("docs/plan (2011-03-09T01-42-34.9360000Z).xlsx")
    );
    assert_eq!(m.bytes(), 15360 + 10884 + 163840 + 600 + 1000);
}

#[test]
fn streaming_gives_the_same_blobs_and_the_drive_id() {
    let mut r = ManifestReader::new(SAMPLE.as_bytes(), "s");
    let mut blob = ManifestBlob::default();
    let mut n = 0;
    while r.read_blob(&mut blob).unwrap() {
        assert_eq!(r.drive_id(), Some("9WM35C3U"));
        assert_eq!(blob, read(SAMPLE).unwrap().blobs[n]);
        n += 1;
    }
    assert_eq!(n, 5);
    assert!(!r.read_blob(&mut blob).unwrap(), "a second end");
}

#[test]
fn metadata_list_files_ignored_elements_and_empty_blobs() {
    let xml = manifest(&format!(
        "<MetadataPath Hash=\"{H}\">\\meta\\all.xml</MetadataPath>\n\
         <PropertiesPath Hash=\"{H}\">\\meta\\all.props</PropertiesPath>\n\
         <Blob><BlobPath>/c00/empty</BlobPath><FilePath>\\c00\\empty</FilePath>\
         <ClientData>anything</ClientData><Length>0</Length>\
         <ImportDisposition>rename</ImportDisposition>\
         <MetadataPath Hash=\"{H}\">\\c00\\empty.meta</MetadataPath><Unknown/></Blob>\n\
         <Blob><BlobPath>c00/disk</BlobPath><FilePath>\\c00\\disk</FilePath><Length>1024</Length>\
         <PageRangeList/></Blob>\n"
    ));
    let m = read(&xml).unwrap();
    assert_eq!(m.list_files.len(), 2);
    assert_eq!(m.list_files[0].file(), Path::new("meta/all.xml"));
    assert_eq!(m.list_files[0].part, Part::Metadata);
    assert_eq!(m.list_files[1].part, Part::Properties);
    assert_eq!(m.blobs[0].metadata.as_ref().unwrap().part, Part::Metadata);
    let empty = &m.blobs[0];
    assert_eq!((empty.length, empty.ranges.len()), (0, 0));
    assert_eq!(
        empty.metadata.as_ref().unwrap().file(),
        Path::new("c00/empty.meta")
    );
    let disk = &m.blobs[1];
    assert_eq!((disk.layout, disk.ranges.len()), (Layout::Pages, 0));
}

#[test]
fn credentials_of_an_import_manifest_are_never_kept_or_shown() {
    let key = "c2VjcmV0LWtleS1kby1ub3Qtc2hvdw==";
    let sas = "container?sv=2012-02-12&amp;sig=SECRETSIG";
    for secret in [
        format!("<StorageAccountKey>{key}</StorageAccountKey>"),
        format!("<ContainerSas>{sas}</ContainerSas>"),
        // Bad XML inside: the error must not quote it either.
        format!("<StorageAccountKey>{key}&bogus;</StorageAccountKey>"),
    ] {
        let xml = format!(
            "<DriveManifest><Drive><DriveId>D</DriveId>{secret}<BlobList>{}</BlobList></Drive></DriveManifest>",
            block_blob(&format!("<Block Offset=\"0\" Length=\"1\" Hash=\"{H}\"/>"), 1)
        );
        let shown = match read(&xml) {
            Ok(m) => {
                assert!(m.had_credential);
                format!("{m:?}")
            }
            Err(e) => format!("{e} {e:?}"),
        };
        assert!(
            !shown.contains("c2VjcmV0") && !shown.contains("SECRETSIG") && !shown.contains("bogus"),
            "{shown}"
        );
    }
}

#[test]
fn every_problem_is_an_error_with_its_position() {
    let block = |o: u64, l: u64| format!("<Block Offset=\"{o}\" Length=\"{l}\" Hash=\"{H}\"/>");
    let cases: Vec<(String, ErrorKind, &str, &str)> = vec![
        (
            manifest(&block_blob(&(block(0, 10) + &block(20, 10)), 30)),
            ErrorKind::InvalidManifest,
            "5:",
            "leaves a gap",
        ),
        (
            manifest(&block_blob(&(block(0, 10) + &block(5, 10)), 15)),
            ErrorKind::InvalidManifest,
            "5:",
            "overlaps",
        ),
        (
            manifest(&block_blob(&block(4, 10), 14)),
            ErrorKind::InvalidManifest,
            "5:",
            "not 0",
        ),
        (
            manifest(&block_blob(&block(0, 10), 100_000_000)),
            ErrorKind::InvalidManifest,
            "5:",
            "cover 10 bytes",
        ),
        (
            manifest(&block_blob(&block(0, 10), 5)),
            ErrorKind::InvalidManifest,
            "5:",
            "cover 10 bytes",
        ),
        (
            manifest(&block_blob(&block(u64::MAX, 10), 5)),
            ErrorKind::InvalidManifest,
            "5:",
            "past any blob's end",
        ),
        (
            manifest(&block_blob("<Block Offset=\"0\" Length=\"1\"/>", 1)),
            ErrorKind::InvalidManifest,
            "5:",
            "without Hash",
        ),
        (
            manifest(&block_blob(
                "<Block Offset=\"0\" Length=\"1\" Hash=\"xyz\"/>",
                1,
            )),
            ErrorKind::InvalidManifest,
            "5:",
            "not an MD5 hash",
        ),
        (
            manifest(&block_blob("<Block Offset=\"-1\" Length=\"1\"/>", 1)),
            ErrorKind::InvalidManifest,
            "5:",
            "number of bytes",
        ),
        (
            manifest(
                "<Blob><BlobPath>c00/p</BlobPath><FilePath>\\p</FilePath><Length>100</Length>\
                 <PageRangeList><PageRange Offset=\"0\" Length=\"512\" Hash=\"00112233445566778899AABBCCDDEEFF\"/>\
                 </PageRangeList></Blob>",
            ),
            ErrorKind::InvalidManifest,
            "5:",
            "ends at 512",
        ),
        (
            manifest(
                "<Blob><BlobPath>c00/p</BlobPath><FilePath>\\p</FilePath><Length>4096</Length>\
                 <PageRangeList><PageRange Offset=\"512\" Length=\"512\" Hash=\"00112233445566778899AABBCCDDEEFF\"/>\
                 <PageRange Offset=\"0\" Length=\"512\" Hash=\"00112233445566778899AABBCCDDEEFF\"/>\
                 </PageRangeList></Blob>",
            ),
            ErrorKind::InvalidManifest,
            "5:",
            "overlaps",
        ),
        (
            manifest("<Blob><BlobPath>c00/b</BlobPath><FilePath>\\..\\..\\etc\\passwd</FilePath><Length>0</Length></Blob>"),
            ErrorKind::UnsafeFilePath,
            "5:",
            "\"..\" component",
        ),
        (
            manifest("<Blob><BlobPath>c00/b</BlobPath><FilePath>C:\\x</FilePath><Length>0</Length></Blob>"),
            ErrorKind::UnsafeFilePath,
            "5:",
            "drive letter",
        ),
        (
            manifest(&format!("<Blob><BlobPath>c00/b</BlobPath><FilePath>\\b</FilePath><Length>0</Length><PropertiesPath Hash=\"{H}\">\\..\\p</PropertiesPath></Blob>")),
            ErrorKind::UnsafeFilePath,
            "5:",
            "not followed",
        ),
        (
            manifest("<Blob><BlobPath>c00/b</BlobPath><FilePath>\\b</FilePath><Length>0</Length><PropertiesPath>\\p</PropertiesPath></Blob>"),
            ErrorKind::InvalidManifest,
            "5:",
            "without a Hash",
        ),
        (
            manifest("<Blob><BlobPath>Bad/b</BlobPath><FilePath>\\b</FilePath><Length>0</Length></Blob>"),
            ErrorKind::InvalidManifest,
            "5:",
            "invalid container name",
        ),
        (
            manifest("<Blob><BlobPath>c00</BlobPath><FilePath>\\b</FilePath><Length>0</Length></Blob>"),
            ErrorKind::InvalidManifest,
            "5:",
            "no blob",
        ),
        (
            manifest("<Blob><FilePath>\\b</FilePath><Length>0</Length></Blob>"),
            ErrorKind::InvalidManifest,
            "5:1",
            "without <BlobPath>",
        ),
        (
            manifest("<Blob><BlobPath>c00/b</BlobPath><Length>0</Length></Blob>"),
            ErrorKind::InvalidManifest,
            "5:1",
            "without <FilePath>",
        ),
        (
            manifest("<Blob><BlobPath>c00/b</BlobPath><FilePath>\\b</FilePath></Blob>"),
            ErrorKind::InvalidManifest,
            "5:1",
            "without <Length>",
        ),
        (
            manifest("<Blob><BlobPath>c00/b</BlobPath><FilePath>\\b</FilePath><Length>5</Length></Blob>"),
            ErrorKind::InvalidManifest,
            "5:1",
            "no <BlockList>",
        ),
        (
            manifest("<Blob><BlobPath>c00/b</BlobPath><BlobPath>c00/c</BlobPath><FilePath>\\b</FilePath><Length>0</Length></Blob>"),
            ErrorKind::InvalidManifest,
            "5:",
            "a second <BlobPath>",
        ),
        (
            manifest("<Blob><BlobPath>c00/b</BlobPath><FilePath>\\b</FilePath><Snapshot>yesterday</Snapshot><Length>0</Length></Blob>"),
            ErrorKind::InvalidManifest,
            "5:",
            "invalid snapshot time",
        ),
        (
            manifest("<Blob><BlobPath>c00/b</BlobPath><FilePath>\\b</FilePath><Length>0</Length><BlockList/><PageRangeList/></Blob>"),
            ErrorKind::InvalidManifest,
            "5:",
            "a second <BlockList> or <PageRangeList>",
        ),
        (
            "<DriveManifest><Drive><BlobList/></Drive></DriveManifest>".into(),
            ErrorKind::InvalidManifest,
            "1:",
            "no <DriveId>",
        ),
        (
            "<DriveManifest><Drive><DriveId>A</DriveId><DriveId>B</DriveId></Drive></DriveManifest>".into(),
            ErrorKind::InvalidManifest,
            "1:",
            "a second <DriveId>",
        ),
        (
            "<DriveManifest><Drive><DriveId>A</DriveId></Drive><Drive/></DriveManifest>".into(),
            ErrorKind::InvalidManifest,
            "1:",
            "a second <Drive>",
        ),
        (
            "<DriveLog/>".into(),
            ErrorKind::InvalidManifest,
            "1:1",
            "--copy-log",
        ),
        ("".into(), ErrorKind::InvalidManifest, "1:1", "not a drive manifest"),
        (
            "<!DOCTYPE x [<!ENTITY e \"e\">]><DriveManifest/>".into(),
            ErrorKind::Dtd,
            "1:1",
            "DOCTYPE",
        ),
        (
            "<DriveManifest><Drive><DriveId>A</DriveId>".into(),
            ErrorKind::Syntax,
            "1:",
            "truncated",
        ),
        (
            "<DriveManifest><Drive><DriveId>A</DriveId></Drive></DriveManifest>junk".into(),
            ErrorKind::Syntax,
            "1:",
            "outside",
        ),
    ];
    for (xml, kind, pos, needle) in cases {
        let (k, p, m) = err(&xml);
        assert_eq!(k, kind, "{xml}\n{m}");
        assert!(p.starts_with(pos), "{xml}\nposition {p}, want {pos}: {m}");
        assert!(m.contains(needle), "{xml}\n{m:?} lacks {needle:?}");
    }
}

/// Blobs one a line, `n` of them, the `i`th of length `i`.
fn many_blobs(n: usize) -> String {
    (0..n)
        .map(|i| {
            let blocks = if i == 0 {
                String::new()
            } else {
                format!("<Block Offset=\"0\" Length=\"{i}\" Hash=\"{H}\"/>")
            };
            format!(
                "  <Blob><BlobPath>c00/b{i}</BlobPath><FilePath>\\c00\\b{i}</FilePath>\
                 <Length>{i}</Length><BlockList>{blocks}</BlockList></Blob>\n"
            )
        })
        .collect()
}

#[test]
fn parts_read_on_threads_give_the_blobs_and_positions_of_one_piece() {
    let xml = manifest(&many_blobs(200));
    let m = read(&xml).unwrap();
    // The parts did join (no reading again in one piece).
    let cuts = split::cuts(xml.as_bytes(), State::RECORD, 4);
    assert_eq!(cuts.len(), 5);
    let whole = split::read_parts::<State>(xml.as_bytes(), "m.manifest", &cuts).unwrap();
    assert_eq!(whole.records, m.blobs);
    assert_eq!(m.blobs.len(), 200);
    // Line 5 holds the first blob (after the root, Drive, DriveId, BlobList).
    for (i, b) in m.blobs.iter().enumerate() {
        assert_eq!(b.position.line as usize, 5 + i, "{}", b.path);
        assert_eq!(b.position.column, 3);
    }
}

#[test]
fn a_cut_that_is_not_between_blobs_is_noticed_and_the_answer_is_the_same() {
    let body = many_blobs(40);
    let lines: Vec<&str> = body.lines().collect();
    // What would fool a cut at a line that begins with `<Blob`: a comment,
    // CDATA, a multi-line attribute value, a blob inside an unknown element,
    // a text of a collected element.
    let fences = [
        ("<!--\n", "-->\n"),
        ("<Foo><![CDATA[\n", "]]></Foo>\n"),
        ("<Foo a=\"\n", "\"/>\n"),
        ("<Foo>\n", "</Foo>\n"),
        ("<?pi\n", "?>\n"),
    ];
    for (open, close) in fences {
        let mut fenced = String::new();
        for (i, l) in lines.iter().enumerate() {
            if i == 10 {
                fenced.push_str(open);
            }
            fenced.push_str(l);
            fenced.push('\n');
            if i == 29 {
                fenced.push_str(close);
            }
        }
        // The 20 fenced blobs are not blobs of the list (quick-xml lets
        // `<` into an attribute value).
        let xml = manifest(&fenced);
        let m = read(&xml).unwrap();
        assert_eq!(m.blobs.len(), 20, "{open:?}");
        // A cut inside the fence is refused (the document is read whole).
        let inside = xml.find("<Blob><BlobPath>c00/b20<").unwrap() - 2;
        let cuts = [0, inside, xml.len()];
        assert!(
            split::read_parts::<State>(xml.as_bytes(), "m", &cuts).is_none(),
            "{open:?}"
        );
    }
}

#[test]
fn errors_in_a_later_part_are_those_of_one_piece() {
    let mut blobs = many_blobs(60);
    // Errors late in the document: the parts fail and the whole is read
    // again, so message and position are those of one piece.
    for (bad, good) in [
        ("<Length>50</Length>", "<Length>5x</Length>"),
        (
            "<BlobPath>c00/b55</BlobPath>",
            "<BlobPath>c00/b55</BlobPath><BlobPath>x/y</BlobPath>",
        ),
        (
            "<FilePath>\\c00\\b45</FilePath>",
            "<FilePath>..\\..\\etc</FilePath>",
        ),
    ] {
        let broken = blobs.replace(bad, good);
        let (_, pos, message) = err(&manifest(&broken));
        assert!(
            pos.starts_with("5") || pos.starts_with("6"),
            "{pos} {message}"
        );
    }
    // What only the whole tells: no DriveId, a DriveId after the blobs, a
    // second Drive, a side file of the whole list in a later part, a
    // credential after the blobs.
    let no_id = manifest(&blobs).replace("<DriveId>D</DriveId>\n", "");
    assert!(read(&no_id).unwrap_err().message().contains("no <DriveId>"));
    let late_id = no_id.replace("</BlobList>", "</BlobList><DriveId>D</DriveId>");
    assert_eq!(read(&late_id).unwrap().drive_id, "D");
    let two = manifest(&blobs).replace("</Drive>", "</Drive><Drive></Drive>");
    assert!(read(&two)
        .unwrap_err()
        .message()
        .contains("a second <Drive>"));
    blobs.push_str(&format!(
        "  <MetadataPath Hash=\"{H}\">\\c00\\list.meta</MetadataPath>\n"
    ));
    let m = read(&manifest(&blobs).replace(
        "</BlobList>",
        "</BlobList><StorageAccountKey>k</StorageAccountKey>",
    ))
    .unwrap();
    assert_eq!(m.list_files.len(), 1);
    assert!(m.had_credential);
    let second_root = format!("{}<DriveManifest/>", manifest(&blobs));
    assert!(read(&second_root).is_err());
}
