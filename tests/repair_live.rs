//! `blobsel repair` against a real Azurite (see `tests/live.rs` for how to
//! start it; without it these tests say so and skip, except in CI): a test
//! export seeded into the account (block blobs of several blocks, a page
//! blob with gaps, `$root`, a snapshot whose base blob changed since),
//! written as the service would, damaged, then repaired until `verify`
//! finds nothing. Also: a repair killed midway resumes; a blob changed in
//! the account after the export is reported, not written; `--dry-run`
//! changes nothing; nothing is written through a link out of the drive.

#![cfg(feature = "remote")]

mod common {
    pub mod cli;
    pub mod export;
}
mod support;

use std::fs;

use blobsel::remote::{Client, DEVELOPMENT_KEY};
use common::cli::Dir;
use common::export;
use support::{azurite, create_container, key_client, put_blob, put_other_blob, snapshot, unique};

/// Seeds `blobs` into the account: block blobs, page blobs page by page,
/// and for a snapshot, the snapshot's bytes then other bytes on the base
/// blob (so only a Get Blob of the snapshot returns the right ones).
fn seed(c: &Client, blobs: &mut [export::Blob]) {
    for b in blobs.iter_mut() {
        create_container(c, &b.container);
        match &b.shape {
            export::Shape::Blocks(_) => put_blob(c, &b.container, &b.name, &b.data),
            export::Shape::Pages(ranges) => {
                put_other_blob(c, &b.container, &b.name, Some(b.data.len() as u64));
                for &(o, l) in ranges {
                    let range = format!("bytes={o}-{}", o + l - 1);
                    c.request(
                        "PUT",
                        &format!("{}/{}", b.container, b.name),
                        &[("comp", "page")],
                        &[("x-ms-page-write", "update"), ("x-ms-range", &range)],
                        &b.data[o as usize..(o + l) as usize],
                        "Put Page",
                    )
                    .unwrap_or_else(|e| panic!("{e}"));
                }
            }
        }
        if b.snapshot.is_some() {
            b.snapshot = Some(snapshot(c, &b.container, &b.name));
            put_blob(c, &b.container, &b.name, &export::bytes(99, b.data.len()));
        }
    }
}

/// A seeded export in `dir`: `drive-D1/` damaged in every way, `D1.manifest`,
/// `D1_error.xml` (a block of `e/failed.bin` failed, its bytes zeros),
/// `selection.xml` and `listing.jsonl`. Returns the blobs.
fn damaged_export(url: &str, dir: &Dir) -> Vec<export::Blob> {
    let c = key_client(url);
    let u = unique("repair");
    let mut blobs = export::standard(&u);
    blobs.retain(|b| b.selected);
    seed(&c, &mut blobs);
    let find = |name: &str| blobs.iter().position(|b| b.name.ends_with(name)).unwrap();
    export::write_drive(&dir.join("drive-D1"), &blobs);
    dir.write("D1.manifest", export::manifest("D1", &blobs));
    dir.write(
        "D1_error.xml",
        export::error_log("D1", &blobs, &[(find("e/failed.bin"), 1)]),
    );
    dir.write("selection.xml", export::selection(&u));
    dir.write("listing.jsonl", export::listing(&blobs));
    let file = |name: &str| dir.join(&format!("drive-D1/{}", blobs[find(name)].file));
    // The failed block is zeros on the drive, as the service leaves it.
    zero(&file("e/failed.bin"), 4096, 4096);
    flip(&file("a/four-blocks.bin"), 2 * 4096 + 5);
    fs::OpenOptions::new()
        .write(true)
        .open(file("b/three-blocks.bin"))
        .unwrap()
        .set_len(5000)
        .unwrap();
    fs::remove_file(file("c/gone.bin")).unwrap();
    flip(&file("disk.vhd"), 6144 + 100);
    flip(&file("plan.xlsx"), 10);
    fs::remove_file(file("logo.bmp")).unwrap();
    blobs
}

fn flip(path: &std::path::Path, at: usize) {
    let mut data = fs::read(path).unwrap();
    data[at] ^= 0x5A;
    fs::write(path, data).unwrap();
}

fn zero(path: &std::path::Path, at: usize, len: usize) {
    let mut data = fs::read(path).unwrap();
    data[at..at + len].fill(0);
    fs::write(path, data).unwrap();
}

fn repair_args(url: &str) -> Vec<String> {
    [
        "repair",
        "--manifest",
        "D1.manifest",
        "--drive",
        "drive-D1",
        "--copy-log",
        "D1_error.xml",
        "--no-progress",
        "--account-url",
        url,
        "--account-key",
        DEVELOPMENT_KEY,
    ]
    .map(String::from)
    .to_vec()
}

fn run(dir: &Dir, args: &[String]) -> common::cli::Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    dir.cmd(&args).run()
}

fn verify(dir: &Dir) -> common::cli::Run {
    dir.cmd(&export::verify_args(&[
        "--manifest",
        "D1.manifest",
        "--drive",
        "drive-D1",
    ]))
    .run()
}

/// The drive's files, to see that something did not change them.
fn snapshot_of_files(dir: &Dir) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.join("drive-D1")];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.display().to_string(), fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn repair_makes_a_damaged_drive_verify_clean() {
    let Some(url) = azurite("repair_makes_a_damaged_drive_verify_clean") else {
        return;
    };
    let dir = Dir::new();
    damaged_export(&url, &dir);
    assert_eq!(verify(&dir).code.unwrap(), 1);

    let before = snapshot_of_files(&dir);
    let mut dry = repair_args(&url);
    dry.push("--dry-run".into());
    let plan = run(&dir, &dry);
    plan.code(1);
    assert_eq!(
        snapshot_of_files(&dir),
        before,
        "--dry-run changed the drive"
    );
    assert!(!dir.exists("D1.manifest.repair-state"));
    let fetch = plan
        .lines()
        .iter()
        .filter(|l| l.starts_with("would-fetch\t"))
        .count();
    // a: 1 block; b: 2 blocks past the end; c: 3 blocks; disk.vhd: 1
    // range; plan.xlsx: 1 block; logo.bmp: 1 block; e: the failed block.
    assert_eq!(fetch, 10, "{}", plan.stdout);
    plan.stdout_has("would-create\t/")
        .stdout_has("would-resize\t/")
        .stdout_has("part=page-range\toffset=6144\tlength=2048");

    let done = run(&dir, &repair_args(&url));
    done.code(0);
    assert_eq!(
        done.lines()
            .iter()
            .filter(|l| l.starts_with("repaired\t"))
            .count(),
        10,
        "{}",
        done.stdout
    );
    assert!(!done.stdout.contains("not-repaired"), "{}", done.stdout);
    verify(&dir).code(0).stdout_empty();
    // Again: nothing to do.
    run(&dir, &repair_args(&url)).code(0).stdout_empty();
    // The preview taken from the account itself, not a listing file: the
    // base blob of the snapshot is in the account too, and selected (the
    // selection takes f/ whole), so it is missing from the drive.
    let live = run(
        &dir,
        &[
            "verify",
            "selection.xml",
            "--manifest",
            "D1.manifest",
            "--drive",
            "drive-D1",
            "--account-url",
            &url,
            "--account-key",
            DEVELOPMENT_KEY,
        ]
        .map(String::from),
    );
    live.code(1);
    let lines = live.lines();
    assert_eq!(lines.len(), 1, "{}", live.stdout);
    assert!(
        lines[0].starts_with("missing\t/") && lines[0].contains("/f/plan.xlsx\tlisting-size=1000"),
        "{}",
        live.stdout
    );
}

#[test]
fn a_repair_killed_midway_resumes() {
    let Some(url) = azurite("a_repair_killed_midway_resumes") else {
        return;
    };
    let dir = Dir::new();
    damaged_export(&url, &dir);
    // Stopped dead after the fourth range, as a kill would.
    let killed = std::process::Command::new(common::cli::BIN)
        .current_dir(dir.path())
        .args(repair_args(&url))
        .env("BLOBSEL_TEST_REPAIR_STOP_AFTER", "4")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&killed.stdout);
    assert_eq!(
        killed.status.code(),
        Some(137),
        "{}",
        String::from_utf8_lossy(&killed.stderr)
    );
    let first = stdout
        .lines()
        .filter(|l| l.starts_with("repaired\t"))
        .count();
    assert_eq!(first, 4);
    let state = dir.read("D1.manifest.repair-state");
    assert!(state.starts_with("blobsel-repair-state 1\tD1\n"), "{state}");
    assert_eq!(state.lines().filter(|l| l.starts_with("done\t")).count(), 4);

    let rest = run(&dir, &repair_args(&url));
    rest.code(0)
        .stderr_has(&["continuing the repair", "4 ranges written before"]);
    let second = rest
        .lines()
        .iter()
        .filter(|l| l.starts_with("repaired\t"))
        .count();
    assert_eq!(
        first + second,
        10,
        "a range written twice, or one left:\n{}",
        rest.stdout
    );
    verify(&dir).code(0);
}

#[test]
fn a_blob_changed_in_the_account_is_reported_not_written() {
    let Some(url) = azurite("a_blob_changed_in_the_account_is_reported_not_written") else {
        return;
    };
    let dir = Dir::new();
    let blobs = damaged_export(&url, &dir);
    let c = key_client(&url);
    let a = blobs
        .iter()
        .find(|b| b.name.ends_with("a/four-blocks.bin"))
        .unwrap();
    let b = blobs
        .iter()
        .find(|b| b.name.ends_with("b/three-blocks.bin"))
        .unwrap();
    // Same length, other bytes; and another length.
    put_blob(&c, &a.container, &a.name, &export::bytes(77, a.data.len()));
    put_blob(&c, &b.container, &b.name, &export::bytes(78, 100));
    let a_file = dir.join(&format!("drive-D1/{}", a.file));
    let a_before = fs::read(&a_file).unwrap();

    let out = run(&dir, &repair_args(&url));
    out.code(1);
    assert_eq!(fs::read(&a_file).unwrap(), a_before, "stale bytes written");
    let changed: Vec<&str> = out
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("changed\t"))
        .collect();
    assert_eq!(changed.len(), 2, "{}", out.stdout);
    assert!(
        changed
            .iter()
            .any(|l| l.contains(&a.path()) && l.contains("MD5")),
        "{changed:?}"
    );
    assert!(
        changed
            .iter()
            .any(|l| l.contains(&b.path()) && l.contains("shorter in the account")),
        "{changed:?}"
    );
    // The others were repaired; a and b are still listed as not repaired.
    let left: Vec<&str> = out
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("not-repaired\t"))
        .collect();
    assert!(
        !left.is_empty()
            && left
                .iter()
                .all(|l| l.contains(&a.path()) || l.contains(&b.path())),
        "{left:?}"
    );
    let v = verify(&dir);
    assert!(
        v.lines()
            .iter()
            .all(|l| l.contains(&a.path()) || l.contains(&b.path())),
        "{}",
        v.stdout
    );
}

#[cfg(unix)]
#[test]
fn nothing_is_written_through_a_link_out_of_the_drive() {
    let Some(url) = azurite("nothing_is_written_through_a_link_out_of_the_drive") else {
        return;
    };
    let dir = Dir::new();
    let blobs = damaged_export(&url, &dir);
    let c = blobs
        .iter()
        .find(|b| b.name.ends_with("c/gone.bin"))
        .unwrap();
    // c/gone.bin is missing; its folder becomes a link out of the drive.
    let folder = dir
        .join(&format!("drive-D1/{}", c.file))
        .parent()
        .unwrap()
        .to_path_buf();
    fs::remove_dir_all(&folder).unwrap();
    dir.mkdir("elsewhere");
    std::os::unix::fs::symlink(dir.join("elsewhere"), &folder).unwrap();
    let out = run(&dir, &repair_args(&url));
    out.code(2)
        .stderr_has(&["outside the drive", "not followed"]);
    assert!(dir.ls("elsewhere").is_empty(), "{:?}", dir.ls("elsewhere"));
}
