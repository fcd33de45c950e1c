//! `--save-listing FILE` and `--resume` end to end against Azurite: a live
//! preview stopped midway (the service failing, or Ctrl-C) leaves FILE and
//! FILE.resume; the same command with `--resume` goes on without listing
//! again what FILE holds, and its output and FILE then equal those of an
//! uninterrupted run.

#![cfg(feature = "remote")]

mod support;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use blobsel::remote::DEVELOPMENT_KEY;
use support::proxy::{Fault, Proxy};
use support::*;

fn blobsel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blobsel"))
        .args(args)
        .env_remove("AZURE_STORAGE_CONNECTION_STRING")
        .env_remove("AZURE_STORAGE_AUTH_MODE")
        .env("BLOBSEL_ACCOUNT_KEY", DEVELOPMENT_KEY)
        .output()
        .expect("run blobsel")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Seeds 48 blobs in nested directories; returns the selection file.
fn seed(url: &str, dir: &Path) -> String {
    let c = key_client(url);
    let u = unique("resume");
    create_container(&c, &u);
    for i in 0..48 {
        put_blob(&c, &u, &format!("d{}/s{}/b{i:02}", i % 4, i % 3), b"x");
    }
    put_blob(&c, &u, "top", b"t");
    let sel = dir.join("sel.xml");
    std::fs::write(
        &sel,
        format!("<BlobList><BlobPathPrefix>/{u}/</BlobPathPrefix></BlobList>"),
    )
    .unwrap();
    sel.display().to_string()
}

/// The arguments of a preview of `sel` from `url` saved to `save`.
fn args<'a>(sel: &'a str, url: &'a str, save: &'a str, concurrency: &'a str) -> Vec<&'a str> {
    vec![
        "preview",
        sel,
        "--account-url",
        url,
        "--save-listing",
        save,
        "--page-size",
        "2",
        "--concurrency",
        concurrency,
        "--summary",
    ]
}

/// The number of List Blobs pages a summary reports.
fn pages(stderr: &str) -> u64 {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("listed:"))
        .unwrap_or_else(|| panic!("no summary in {stderr}"));
    line.split(", ")
        .find_map(|p| p.strip_suffix(" List Blobs pages"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"))
}

#[test]
fn a_listing_stopped_by_the_service_is_resumed_to_the_same_end() {
    let Some(url) = azurite("a_listing_stopped_by_the_service_is_resumed_to_the_same_end") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sel = seed(&url, dir.path());
    for concurrency in ["1", "16"] {
        let full = dir.path().join(format!("full-{concurrency}.jsonl"));
        let full = full.to_str().unwrap();
        let whole = blobsel(&args(&sel, &url, full, concurrency));
        assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stderr));
        let all_pages = pages(&text(&whole.stderr));

        // One request at a time, the 9th is refused (not retried); in
        // parallel, the listings of d3/ are: either way the listing stops
        // after some rows came through.
        let mut faults = vec![Fault::Pass; 8];
        faults.push(Fault::Status(400));
        let proxy = if concurrency == "1" {
            Proxy::start(Some(&url), &faults)
        } else {
            Proxy::refusing(&url, "prefix=d3")
        };
        let save = dir.path().join(format!("part-{concurrency}.jsonl"));
        let save = save.to_str().unwrap();
        let stopped = blobsel(&args(&sel, &proxy.url, save, concurrency));
        let stderr = text(&stopped.stderr);
        assert_eq!(stopped.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("HTTP 400"), "{stderr}");
        assert!(stderr.contains("--resume to go on"), "{stderr}");
        let part = std::fs::read_to_string(save).unwrap();
        let state = std::fs::read_to_string(format!("{save}.resume")).unwrap();
        assert!(!part.is_empty() && part.lines().count() < 49, "{part}");
        assert!(std::fs::read_to_string(full).unwrap().starts_with(&part));
        assert!(state.contains("\"last_name\""), "{state}");

        // Without --resume, the state is not overwritten by accident.
        let again = blobsel(&args(&sel, &proxy.url, save, concurrency));
        assert_eq!(again.status.code(), Some(2));
        assert!(
            text(&again.stderr).contains("add --resume"),
            "{}",
            text(&again.stderr)
        );

        // The same command (the service is back).
        let back = Proxy::start(Some(&url), &[]);
        let resume_url = if concurrency == "1" {
            &proxy.url
        } else {
            &back.url
        };
        let mut resume = args(&sel, resume_url, save, concurrency);
        resume.push("--resume");
        let resumed = blobsel(&resume);
        let stderr = text(&resumed.stderr);
        assert_eq!(resumed.status.code(), Some(0), "{stderr}");
        assert_eq!(text(&resumed.stdout), text(&whole.stdout));
        assert_eq!(
            std::fs::read_to_string(save).unwrap(),
            std::fs::read_to_string(full).unwrap()
        );
        assert!(!Path::new(&format!("{save}.resume")).exists());
        // What FILE held was not listed again (a page or two per level at most).
        // One request at a time, 8 pages were listed before the refusal;
        // in parallel, how many of them came in order before it varies.
        let listed_again = pages(&stderr);
        let bound = if concurrency == "1" {
            all_pages - 8 + 1
        } else {
            all_pages - 1
        };
        assert!(
            listed_again <= bound,
            "concurrency {concurrency}: {listed_again} pages on resume, {all_pages} in all"
        );
        // Resuming twice: nothing to resume.
        let twice = blobsel(&resume);
        assert_eq!(twice.status.code(), Some(2));
        assert!(text(&twice.stderr).contains("nothing to resume"));
    }
}

#[test]
fn a_listing_stopped_by_ctrl_c_is_resumed_to_the_same_end() {
    let Some(url) = azurite("a_listing_stopped_by_ctrl_c_is_resumed_to_the_same_end") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sel = seed(&url, dir.path());
    let full = dir.path().join("full.jsonl");
    let full = full.to_str().unwrap();
    let whole = blobsel(&args(&sel, &url, full, "1"));
    assert_eq!(whole.status.code(), Some(0), "{}", text(&whole.stderr));

    // 25 pages, 120 ms each: Ctrl-C after about a second is midway.
    let slow = Proxy::start_slow(Some(&url), &[], Duration::from_millis(120));
    let save = dir.path().join("part.jsonl");
    let save = save.to_str().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_blobsel"))
        .args(args(&sel, &slow.url, save, "1"))
        .env("BLOBSEL_ACCOUNT_KEY", DEVELOPMENT_KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: sends SIGINT to the child this test started.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let stopped = child.wait_with_output().unwrap();
    let stderr = text(&stopped.stderr);
    assert_eq!(stopped.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let part = std::fs::read_to_string(save).unwrap();
    assert!(
        !part.is_empty() && part.lines().count() < 49,
        "stopped midway: {} rows",
        part.lines().count()
    );

    let mut resume = args(&sel, &slow.url, save, "16");
    resume.push("--resume");
    let resumed = blobsel(&resume);
    assert_eq!(resumed.status.code(), Some(0), "{}", text(&resumed.stderr));
    assert_eq!(text(&resumed.stdout), text(&whole.stdout));
    assert_eq!(
        std::fs::read_to_string(save).unwrap(),
        std::fs::read_to_string(full).unwrap()
    );
}
