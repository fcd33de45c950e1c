//! `blobsel verify`, driven as a user runs it: the sample drive in
//! `tests/fixtures/export-drive`, and a generated export damaged in each
//! way a drive can be, one finding each and nothing else.

mod common {
    pub mod cli;
    pub mod export;
}

use std::fs;
use std::path::Path;

use common::cli::{text, Dir};
use common::export;

const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/export-drive");

/// A copy of the sample in a temporary directory (so it can be damaged).
fn sample_dir() -> Dir {
    let dir = Dir::new();
    copy_tree(Path::new(SAMPLE), dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            fs::copy(e.path(), &target).unwrap();
        }
    }
}

const SAMPLE_ARGS: &[&str] = &[
    "verify",
    "selection.xml",
    "listing.jsonl",
    "--manifest",
    "9WM35C3U.manifest",
    "--copy-log",
    "9WM35C3U_error.xml",
    "--drive",
    "drive-9WM35C3U",
];

#[test]
fn the_sample_drive_finds_what_its_readme_says_and_nothing_else() {
    let dir = sample_dir();
    dir.cmd(SAMPLE_ARGS).run().code(1).stderr_empty().stdout(&text(&[
        "failed\t/pictures/wild/desert.jpg\tdrive=9WM35C3U\tpart=block\toffset=65536\tlength=65536\tstatus=Failed",
        "damaged\t/pictures/wild/desert.jpg\tdrive=9WM35C3U\tpart=block\toffset=65536\tlength=65536\tfile=\\pictures\\wild\\desert.jpg",
        "missing\t/pictures/wild/tiger.jpg\tlisting-size=4096",
    ]));
}

#[test]
fn the_listing_from_stdin_loses_no_line_to_format_detection() {
    // stdin has no extension: its format is detected from its first line,
    // which must still be read as a row.
    let dir = sample_dir();
    let mut args = SAMPLE_ARGS.to_vec();
    args[2] = "-";
    let listing = std::fs::read(dir.join("listing.jsonl")).unwrap();
    dir.cmd(&args).stdin(listing).run().code(1).stdout(&text(&[
        "failed\t/pictures/wild/desert.jpg\tdrive=9WM35C3U\tpart=block\toffset=65536\tlength=65536\tstatus=Failed",
        "damaged\t/pictures/wild/desert.jpg\tdrive=9WM35C3U\tpart=block\toffset=65536\tlength=65536\tfile=\\pictures\\wild\\desert.jpg",
        "missing\t/pictures/wild/tiger.jpg\tlisting-size=4096",
    ]));
}

#[test]
fn the_sample_in_the_repository_runs_in_place() {
    // The README's example: run where the fixture is, nothing copied.
    let run = std::process::Command::new(common::cli::BIN)
        .current_dir(SAMPLE)
        .args(SAMPLE_ARGS)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&run.stdout).lines().count(), 3);
}

#[test]
fn summary_and_jsonl() {
    let dir = sample_dir();
    let mut args = SAMPLE_ARGS.to_vec();
    args.extend(["--summary", "--output", "jsonl"]);
    let run = dir.cmd(&args).run();
    run.code(1).stderr_has(&[
        "drive 9WM35C3U",
        "5 blobs",
        "191684 bytes",
        "the preview selects",
        "6 blobs",
        "missing:",
        "damaged:",
    ]);
    let kinds: Vec<String> = run
        .lines()
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["kind"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(kinds, ["failed", "damaged", "missing"]);
    let first: serde_json::Value = serde_json::from_str(run.lines()[0]).unwrap();
    assert_eq!(first["offset"], 65536);
    assert_eq!(first["status"], "Failed");
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("damaged:") && l.ends_with(" 1")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_whole_drive_is_clean_with_exit_0() {
    let dir = sample_dir();
    // Repair the sample by hand: the missing block's bytes are in the
    // listing nowhere, so instead make the preview and the files agree.
    dir.write(
        "selection.xml",
        "<BlobList><BlobPathPrefix>/pictures/city/</BlobPathPrefix></BlobList>",
    );
    dir.write(
        "listing.jsonl",
        "{\"path\": \"/pictures/city/redmond.jpg\", \"size\": 15360}\n",
    );
    let m = fs::read_to_string(dir.join("9WM35C3U.manifest")).unwrap();
    // Keep only redmond.jpg in the manifest.
    let start = m
        .find("      <Blob>\n        <BlobPath>pictures/wild/canyon")
        .unwrap();
    let end = m.find("    </BlobList>").unwrap();
    dir.write("9WM35C3U.manifest", format!("{}{}", &m[..start], &m[end..]));
    dir.cmd(&export::verify_args(&[
        "--manifest",
        "9WM35C3U.manifest",
        "--drive",
        "drive-9WM35C3U",
        "--summary",
    ]))
    .run()
    .code(0)
    .stdout_empty()
    .stderr_has(&["exactly what the preview selects"]);
}

/// The generated export, written whole into `dir`: `drive-D1/`,
/// `D1.manifest`, `D1_error.xml`, `listing.jsonl`, `selection.xml`.
fn generated(dir: &Dir, blobs: &[export::Blob], failed: &[(usize, usize)]) {
    export::write_drive(&dir.join("drive-D1"), blobs);
    dir.write("D1.manifest", export::manifest("D1", blobs));
    dir.write("D1_error.xml", export::error_log("D1", blobs, failed));
    let listed: Vec<_> = blobs.iter().filter(|b| b.selected).cloned().collect();
    dir.write("listing.jsonl", export::listing(&listed));
    dir.write("selection.xml", export::selection("photos"));
}

const GEN_ARGS: &[&str] = &[
    "verify",
    "selection.xml",
    "listing.jsonl",
    "--manifest",
    "D1.manifest",
    "--copy-log",
    "D1_error.xml",
    "--drive",
    "drive-D1",
];

#[test]
fn a_generated_export_verifies_clean() {
    let dir = Dir::new();
    let mut blobs = export::standard("photos");
    blobs.retain(|b| b.selected);
    generated(&dir, &blobs, &[]);
    dir.cmd(GEN_ARGS)
        .run()
        .code(0)
        .stdout_empty()
        .stderr_empty();
}

#[test]
fn each_damage_is_reported_once_and_nothing_else() {
    let dir = Dir::new();
    let blobs = export::standard("photos");
    let find = |name: &str| blobs.iter().position(|b| b.name == name).unwrap();
    // e/failed.bin: its second block failed in the copy log (the bytes are
    // right: only the log says so).
    let failed_blob = find("e/failed.bin");
    generated(&dir, &blobs, &[(failed_blob, 1)]);
    // a/four-blocks.bin: flip bytes in its third block.
    let a = dir.join("drive-D1/photos/a/four-blocks.bin");
    let mut data = fs::read(&a).unwrap();
    data[2 * 4096 + 17] ^= 0xFF;
    data[2 * 4096 + 4000] ^= 0x01;
    fs::write(&a, data).unwrap();
    // b/three-blocks.bin: truncated inside its second block.
    let b = fs::OpenOptions::new()
        .write(true)
        .open(dir.join("drive-D1/photos/b/three-blocks.bin"))
        .unwrap();
    b.set_len(5000).unwrap();
    // c/gone.bin: deleted.
    fs::remove_file(dir.join("drive-D1/photos/c/gone.bin")).unwrap();
    // d/dropped.bin: not in the manifest (the service never wrote it).
    let mut on_drive = blobs.clone();
    on_drive.remove(find("d/dropped.bin"));
    dir.write("D1.manifest", export::manifest("D1", &on_drive));
    // zz/not-selected.bin is in the manifest, and not selected.

    dir.cmd(GEN_ARGS).run().code(1).stderr_empty().stdout(&text(&[
        "damaged\t/photos/a/four-blocks.bin\tdrive=D1\tpart=block\toffset=8192\tlength=4096\tfile=\\photos\\a\\four-blocks.bin",
        "damaged\t/photos/b/three-blocks.bin\tdrive=D1\tpart=block\toffset=4096\tlength=4096\tfile=\\photos\\b\\three-blocks.bin\tnote=past the end of the file",
        "damaged\t/photos/b/three-blocks.bin\tdrive=D1\tpart=block\toffset=8192\tlength=4096\tfile=\\photos\\b\\three-blocks.bin\tnote=past the end of the file",
        "file-length\t/photos/b/three-blocks.bin\tdrive=D1\tpart=blob\tlength=12288\tfile-length=5000\tfile=\\photos\\b\\three-blocks.bin",
        "file-missing\t/photos/c/gone.bin\tdrive=D1\tpart=blob\tlength=5000\tfile=\\photos\\c\\gone.bin",
        "missing\t/photos/d/dropped.bin\tlisting-size=3000",
        "failed\t/photos/e/failed.bin\tdrive=D1\tpart=block\toffset=4096\tlength=4096\tstatus=Failed",
        "unexpected\t/photos/zz/not-selected.bin\tdrive=D1",
    ]));
}

#[test]
fn a_page_blobs_gaps_are_not_read_and_its_ranges_are() {
    let dir = Dir::new();
    let mut blobs = export::standard("photos");
    blobs.retain(|b| b.selected);
    generated(&dir, &blobs, &[]);
    let disk = dir.join("drive-D1/photos/disk.vhd");
    let mut data = fs::read(&disk).unwrap();
    data[2000] = 0xAA; // in a gap: not hashed, not reported
    data[4096 + 3] ^= 0xFF; // in the second range
    fs::write(&disk, data).unwrap();
    dir.cmd(GEN_ARGS).run().code(1).stdout(&text(&[
        "damaged\t/photos/disk.vhd\tdrive=D1\tpart=page-range\toffset=4096\tlength=512\tfile=\\photos\\disk.vhd",
    ]));
}

#[test]
fn properties_files_are_checked_too() {
    let dir = Dir::new();
    let mut blobs = export::standard("photos");
    blobs.retain(|b| b.selected);
    generated(&dir, &blobs, &[]);
    dir.write("drive-D1/$root/photos-logo.bmp.properties", "changed");
    fs::remove_file(dir.join("drive-D1/photos/disk.vhd.properties")).unwrap();
    dir.cmd(GEN_ARGS).run().code(1).stdout(&text(&[
        "damaged\t/$root/photos-logo.bmp\tdrive=D1\tpart=properties\tfile=\\$root\\photos-logo.bmp.properties",
        "file-missing\t/photos/disk.vhd\tdrive=D1\tpart=properties\tfile=\\photos\\disk.vhd.properties",
    ]));
}

#[test]
fn two_drives_duplicates_and_folders_matched_by_drive_id() {
    let dir = Dir::new();
    let mut blobs = export::standard("photos");
    blobs.retain(|b| b.selected);
    let (one, two) = blobs.split_at(4);
    let mut two = two.to_vec();
    two.push(one[0].clone()); // on both drives
    export::write_drive(&dir.join("copy-of-D1"), one);
    export::write_drive(&dir.join("copy-of-D2"), &two);
    dir.write("D1.manifest", export::manifest("D1", one));
    dir.write("D2.manifest", export::manifest("D2", &two));
    dir.write("listing.jsonl", export::listing(&blobs));
    dir.write("selection.xml", export::selection("photos"));
    // Folders given in the other order: their names tell the drive.
    dir.cmd(&export::verify_args(&[
        "--manifest",
        "D1.manifest",
        "--manifest",
        "D2.manifest",
        "--drive",
        "copy-of-D2",
        "--drive",
        "copy-of-D1",
    ]))
    .run()
    .code(1)
    .stdout(&text(&[
        "duplicate\t/photos/a/four-blocks.bin\tdrives=D1,D2",
    ]));
}

#[test]
fn errors_name_the_file_and_position_and_exit_2() {
    let dir = sample_dir();
    let m = fs::read_to_string(dir.join("9WM35C3U.manifest")).unwrap();
    dir.write(
        "evil.manifest",
        m.replace(
            r"\pictures\wild\canyon.jpg<",
            r"\pictures\..\..\..\etc\passwd<",
        ),
    );
    let mut args = SAMPLE_ARGS.to_vec();
    args[4] = "evil.manifest";
    dir.cmd(&args)
        .run()
        .error(&["evil.manifest:19:19: ", "\"..\" component", "not followed"]);

    dir.write("log.xml", "<DriveLog><DriveId>OTHER</DriveId></DriveLog>");
    let mut args = SAMPLE_ARGS.to_vec();
    args[6] = "log.xml";
    dir.cmd(&args)
        .run()
        .error(&["copy log log.xml is of drive OTHER, which no --manifest is of"]);

    let mut args = SAMPLE_ARGS.to_vec();
    args[4] = "9WM35C3U_error.xml";
    dir.cmd(&args).run().error(&[
        "9WM35C3U_error.xml:2:1: ",
        "not a drive manifest",
        "--copy-log",
    ]);

    dir.cmd(&["verify", "selection.xml", "listing.jsonl"])
        .run()
        .usage_error(&["--manifest"]);

    // A bad listing is reported as such, the manifests being fine.
    dir.write("bad.txt", "/pictures/a.jpg\n/NoSuchContainer/b\n");
    let mut args = SAMPLE_ARGS.to_vec();
    args[2] = "bad.txt";
    dir.cmd(&args)
        .run()
        .error(&["bad.txt:2: ", "invalid container name"]);
}

#[cfg(unix)]
#[test]
fn a_symlink_out_of_the_drive_is_refused() {
    let dir = sample_dir();
    let outside = dir.join("outside.jpg");
    fs::write(&outside, vec![0u8; 10884]).unwrap();
    let canyon = dir.join("drive-9WM35C3U/pictures/wild/canyon.jpg");
    fs::remove_file(&canyon).unwrap();
    std::os::unix::fs::symlink(&outside, &canyon).unwrap();
    dir.cmd(SAMPLE_ARGS).run().error(&[
        "9WM35C3U.manifest:17:7: ",
        "outside the drive",
        "not followed",
    ]);
}

#[test]
fn an_unknown_status_is_a_warning_and_a_finding() {
    let dir = sample_dir();
    dir.write(
        "9WM35C3U_error.xml",
        "<DriveLog><DriveId>9WM35C3U</DriveId><Blob Status=\"Evaporated\">\
         <BlobPath>pictures/wild/canyon.jpg</BlobPath></Blob>\
         <Status>CompletedWithErrors</Status></DriveLog>",
    );
    let run = dir.cmd(SAMPLE_ARGS).run();
    run.code(1)
        .stderr_has(&["warning: 9WM35C3U_error.xml: status \"Evaporated\""])
        .stdout_has(
            "failed\t/pictures/wild/canyon.jpg\tdrive=9WM35C3U\tpart=blob\tstatus=Evaporated\n",
        );
}

#[test]
fn help_teaches_the_kinds_and_the_workflow() {
    let run = Dir::new().cmd(&["verify", "--help"]).run();
    run.code(0);
    for needle in [
        "missing",
        "unexpected",
        "duplicate",
        "changed",
        "failed",
        "damaged",
        "file-missing",
        "file-length",
        "tests/fixtures/export-drive",
        "blobsel repair",
        "Exit status: 0",
    ] {
        run.stdout_has(needle);
    }
}

/// Drives D1 and D10 (one id a prefix of the other), each with its folder
/// `drive-D1`, `drive-D10`; the listing and selection of both.
fn drives_d1_and_d10(dir: &Dir) {
    let mut blobs = export::standard("photos");
    blobs.retain(|b| b.selected);
    let (one, ten) = blobs.split_at(4);
    export::write_drive(&dir.join("drive-D1"), one);
    export::write_drive(&dir.join("drive-D10"), ten);
    dir.write("D1.manifest", export::manifest("D1", one));
    dir.write("D10.manifest", export::manifest("D10", ten));
    dir.write("listing.jsonl", export::listing(&blobs));
    dir.write("selection.xml", export::selection("photos"));
}

const D1_D10: &[&str] = &[
    "verify",
    "selection.xml",
    "listing.jsonl",
    "--manifest",
    "D1.manifest",
    "--manifest",
    "D10.manifest",
];

#[test]
fn drive_folders_pair_by_whole_drive_id_then_by_order() {
    let dir = Dir::new();
    drives_d1_and_d10(&dir);
    let run = |drives: &[&str]| {
        let mut args = D1_D10.to_vec();
        for d in drives {
            args.extend(["--drive", d]);
        }
        dir.cmd(&args).run()
    };
    // drive-D10 holds "D1", but not as a whole token: it is D10's.
    run(&["drive-D10", "drive-D1"])
        .code(0)
        .stdout_empty()
        .stderr_empty();
    // A folder named exactly by its DriveId, and one named for no drive
    // that goes to the manifest left.
    fs::rename(dir.join("drive-D1"), dir.join("D1")).unwrap();
    fs::rename(dir.join("drive-D10"), dir.join("mnt-e")).unwrap();
    run(&["mnt-e", "D1"]).code(0).stdout_empty().stderr_empty();
    fs::rename(dir.join("mnt-e"), dir.join("D10_copy")).unwrap();
    run(&["D10_copy", "D1"]).code(0).stdout_empty();
    // The same folder twice; two folders for one drive.
    run(&["D1", "./D1"]).error(&["--drive D1 and --drive ./D1 are the same folder"]);
    copy_tree(&dir.join("D1"), &dir.join("backup-D1"));
    run(&["D1", "backup-D1"]).error(&["both named for drive D1"]);
    // More folders named for no drive than manifests left.
    dir.mkdir("mnt-f");
    dir.mkdir("mnt-g");
    run(&["mnt-f", "mnt-g", "D1"]).error(&["not named for a drive", "D10"]);
}

#[test]
fn two_manifests_of_one_drive_are_an_error_unless_copies() {
    let dir = Dir::new();
    let mut blobs = export::standard("photos");
    blobs.retain(|b| b.selected);
    generated(&dir, &blobs, &[]);
    fs::copy(dir.join("D1.manifest"), dir.join("D1-backup.xml")).unwrap();
    let args = |second: &'static str| {
        let mut args = GEN_ARGS.to_vec();
        args.extend(["--manifest", second]);
        args
    };
    // A byte-identical copy is used once, and told.
    dir.cmd(&args("D1-backup.xml"))
        .run()
        .code(0)
        .stdout_empty()
        .stderr_has(&[
            "warning: manifests D1.manifest and D1-backup.xml",
            "used once",
        ]);
    // Two different manifests of drive D1.
    let fewer = export::manifest("D1", &blobs[1..]);
    dir.write("D1-other.xml", fewer);
    dir.cmd(&args("D1-other.xml"))
        .run()
        .error(&["manifests D1.manifest and D1-other.xml are both of drive D1"]);
}

#[test]
fn a_blob_twice_in_one_manifest_is_a_duplicate_naming_its_drive_once() {
    let dir = Dir::new();
    let mut blobs = export::standard("photos");
    blobs.retain(|b| b.selected);
    generated(&dir, &blobs, &[]);
    let mut twice = blobs.clone();
    twice.push(blobs[0].clone());
    dir.write("D1.manifest", export::manifest("D1", &twice));
    dir.cmd(GEN_ARGS).run().code(1).stdout(&text(&[format!(
        "duplicate\t{}\tdrives=D1\tnote=listed more than once in one drive's manifest",
        blobs[0].path()
    )]));
}

#[test]
fn a_blob_modified_after_the_listing_is_changed_from_every_listing_format() {
    let dir = Dir::new();
    let mut blobs = export::standard("photos");
    blobs.retain(|b| b.selected && b.snapshot.is_none());
    let blobs = &blobs[..1];
    let b = &blobs[0];
    export::write_drive(&dir.join("drive-D1"), blobs);
    dir.write("D1.manifest", export::manifest("D1", blobs));
    dir.write("selection.xml", export::selection("photos"));
    let (container, name) = (&b.container, &b.name);
    let len = b.data.len();
    dir.write(
        "listing.jsonl",
        format!(
            "{{\"path\":\"{}\",\"size\":{len},\"last_modified\":\"2026-11-25T22:12:51Z\"}}\n",
            b.path()
        ),
    );
    dir.write(
        "inventory.csv",
        format!("Name,Content-Length,Last-Modified\n{container}/{name},{len},2026-11-25T22:12:51.0000000Z\n"),
    );
    dir.write(
        "list.xml",
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ContainerName=\"{container}\">\
             <Blobs><Blob><Name>{name}</Name><Properties><Last-Modified>Wed, 25 Nov 2026 22:12:51 GMT\
             </Last-Modified><Content-Length>{len}</Content-Length><BlobType>BlockBlob</BlobType>\
             </Properties></Blob></Blobs><NextMarker/></EnumerationResults>"
        ),
    );
    let log = |modified: &str| {
        format!(
            "<DriveLog Version=\"2014-11-01\"><DriveId>D1</DriveId>\n<Blob Status=\"Completed\">\
             <BlobPath>{container}/{name}</BlobPath><Length>{len}</Length>\n\
             <LastModified>{modified}</LastModified></Blob><Status>Completed</Status></DriveLog>"
        )
    };
    let args = |listing: &'static str| {
        vec![
            "verify",
            "selection.xml",
            listing,
            "--manifest",
            "D1.manifest",
            "--copy-log",
            "verbose.xml",
            "--drive",
            "drive-D1",
        ]
    };
    dir.write("verbose.xml", log("2026-11-30T08:00:00Z"));
    for listing in ["listing.jsonl", "inventory.csv", "list.xml"] {
        dir.cmd(&args(listing))
            .run()
            .code(1)
            .stdout(&text(&[format!(
                "changed\t{}\tdrive=D1\tnote=last modified 2026-11-30T08:00:00.0000000Z in the \
             copy log, after the listing's 2026-11-25T22:12:51.0000000Z",
                b.path()
            )]));
    }
    // Not later (RFC 1123 in the log too): clean.
    dir.write("verbose.xml", log("Wed, 25 Nov 2026 22:12:51 GMT"));
    for listing in ["listing.jsonl", "inventory.csv", "list.xml"] {
        dir.cmd(&args(listing)).run().code(0).stdout_empty();
    }
    // A LastModified that is no time is an error at its position.
    dir.write("verbose.xml", log("not a date"));
    dir.cmd(&args("listing.jsonl")).run().error(&[
        "verbose.xml:3:15: ",
        "LastModified: invalid time \"not a date\"",
    ]);
}

#[test]
fn a_blob_lists_own_metadata_and_properties_files_are_checked() {
    let dir = Dir::new();
    let mut blobs = export::standard("photos");
    blobs.retain(|b| b.selected);
    generated(&dir, &blobs, &[]);
    let meta = "<Metadata><Owner>ops</Owner></Metadata>";
    let props = "<Properties><Tier>Hot</Tier></Properties>";
    dir.write("drive-D1/all.metadata", meta);
    dir.write("drive-D1/all.properties", props);
    let manifest = dir.read("D1.manifest").replacen(
        "<BlobList>\n",
        &format!(
            "<BlobList>\n      <MetadataPath Hash=\"{}\">\\all.metadata</MetadataPath>\n      \
             <PropertiesPath Hash=\"{}\">\\all.properties</PropertiesPath>\n",
            export::md5_hex(meta.as_bytes()),
            export::md5_hex(props.as_bytes())
        ),
        1,
    );
    dir.write("D1.manifest", manifest);
    dir.cmd(GEN_ARGS).run().code(0).stdout_empty();
    // One changed, one gone.
    dir.write("drive-D1/all.properties", "<Properties/>");
    fs::remove_file(dir.join("drive-D1/all.metadata")).unwrap();
    let note = |element| format!("note=the BlobList's {element}, for all its blobs");
    dir.cmd(GEN_ARGS).run().code(1).stdout(&text(&[
        format!(
            "file-missing\t\\all.metadata\tdrive=D1\tpart=metadata\tfile=\\all.metadata\t{}",
            note("MetadataPath")
        ),
        format!(
            "damaged\t\\all.properties\tdrive=D1\tpart=properties\tfile=\\all.properties\t{}",
            note("PropertiesPath")
        ),
    ]));
}

/// A manifest of `n` one-block blobs `/big/bN` (each of length N % 100),
/// one element a line as the service writes it, and its listing.
fn big_manifest(n: usize) -> (String, String) {
    let mut m = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<DriveManifest Version=\"2014-11-01\">\n  \
         <Drive>\n    <DriveId>BIG</DriveId>\n    <BlobList>\n",
    );
    let mut listing = String::new();
    for i in 0..n {
        let len = i % 100 + 1;
        m.push_str(&format!(
            "      <Blob>\n        <BlobPath>big/b{i}</BlobPath>\n        \
             <FilePath>\\big\\b{i}</FilePath>\n        <Length>{len}</Length>\n        \
             <BlockList>\n          <Block Offset=\"0\" Length=\"{len}\" \
             Hash=\"00112233445566778899AABBCCDDEEFF\" />\n        </BlockList>\n      </Blob>\n"
        ));
        listing.push_str(&format!("{{\"path\":\"/big/b{i}\",\"size\":{len}}}\n"));
    }
    m.push_str("    </BlobList>\n  </Drive>\n</DriveManifest>\n");
    (m, listing)
}

/// A manifest of tens of megabytes is read in parts on all threads: the
/// same findings, and an error deep in it at its line and column.
#[test]
fn a_big_manifest_read_on_all_threads_gives_the_answer_of_one_piece() {
    let dir = Dir::new();
    let (m, listing) = big_manifest(40_000);
    assert!(m.len() > 8 << 20, "big enough to be read in parts");
    dir.write(
        "sel.xml",
        "<BlobList><BlobPathPrefix>/big/</BlobPathPrefix></BlobList>",
    );
    // One blob missing from the drive, one on it twice (the second time
    // with the missing one's length), one that grew.
    let m = m.replace(
        "<BlobPath>big/b39990</BlobPath>",
        "<BlobPath>big/b1</BlobPath>",
    );
    dir.write(
        "listing.jsonl",
        listing.replace("\"/big/b20000\",\"size\":1", "\"/big/b20000\",\"size\":7"),
    );
    dir.write("big.manifest", &m);
    for threads in ["1", "2", "3"] {
        dir.cmd(&["verify", "sel.xml", "listing.jsonl", "--manifest", "big.manifest"])
            .args(&["--threads", threads])
            .run()
            .code(1)
            .stdout(&text(&[
                "duplicate\t/big/b1\tdrives=BIG\tnote=listed more than once in one drive's manifest",
                "changed\t/big/b1\tdrive=BIG\tlength=91\tlisting-size=2\tnote=the blob's length changed after the listing",
                "changed\t/big/b20000\tdrive=BIG\tlength=1\tlisting-size=7\tnote=the blob's length changed after the listing",
                "missing\t/big/b39990\tlisting-size=91",
            ]));
    }
    // An error three quarters in: the line of its element, as one piece says.
    let bad = m.replace("<Length>31</Length>\n        <BlockList>\n          <Block Offset=\"0\" Length=\"31\" Hash=\"00112233445566778899AABBCCDDEEFF\" />\n        </BlockList>\n      </Blob>\n      <Blob>\n        <BlobPath>big/b30031<", "<Length>3x</Length>\n        <BlockList>\n          <Block Offset=\"0\" Length=\"31\" Hash=\"00112233445566778899AABBCCDDEEFF\" />\n        </BlockList>\n      </Blob>\n      <Blob>\n        <BlobPath>big/b30031<");
    assert_ne!(bad, m);
    // Five lines of head, eight a blob, Length the fourth of a blob.
    let line = 5 + 30_030 * 8 + 4;
    dir.write("bad.manifest", &bad);
    dir.cmd(&[
        "verify",
        "sel.xml",
        "listing.jsonl",
        "--manifest",
        "bad.manifest",
    ])
    .run()
    .error(&[&format!("bad.manifest:{line}:17: "), "Length is \"3x\""]);
}
