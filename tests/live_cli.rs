//! `blobsel preview --account-url …` end to end against a real Azurite
//! server (see `.ci/azurite.sh`): the live preview must equal an offline
//! preview of the same blobs, saved with `--save-listing`.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use blobsel::remote::DEVELOPMENT_KEY;
use support::{
    azurite, create_container, key_client, lease, put_blob, put_block_only, snapshot, unique,
};

fn blobsel(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_blobsel"));
    cmd.args(args)
        .env_remove("BLOBSEL_ACCOUNT_KEY")
        .env_remove("AZURE_STORAGE_CONNECTION_STRING");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run blobsel")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.display().to_string()
}

/// Seeds two containers that share a name prefix, with snapshots, a leased
/// blob, an uncommitted blob and nested names; returns their names.
fn seed(url: &str) -> (String, String) {
    let c = key_client(url);
    let a = unique("pics");
    let b = format!("{a}kids");
    create_container(&c, &a);
    create_container(&c, &b);
    for name in [
        "2024/a.jpg",
        "2024/sub/b.jpg",
        "2023/c.jpg",
        "été/d.jpg",
        "keep.txt",
    ] {
        put_blob(&c, &a, name, b"x");
    }
    put_blob(&c, &b, "kid.png", b"yy");
    snapshot(&c, &a, "keep.txt");
    lease(&c, &a, "2024/a.jpg");
    put_block_only(&c, &a, "2024/pending.bin", b"zzz");
    (a, b)
}

#[test]
fn live_preview_equals_offline_preview_of_the_saved_listing() {
    let Some(url) = azurite("live_preview_equals_offline_preview_of_the_saved_listing") else {
        return;
    };
    let (a, _) = seed(&url);
    let dir = tempfile::tempdir().unwrap();
    let sel = write(
        dir.path(),
        "sel.xml",
        &format!(
            "<BlobList><BlobPathPrefix>/{a}</BlobPathPrefix>\
             <BlobPath IncludeSnapshots=\"false\">{a}/keep.txt</BlobPath></BlobList>"
        ),
    );
    let saved = dir.path().join("saved.jsonl").display().to_string();
    let live = blobsel(
        &[
            "preview",
            &sel,
            "--account-url",
            &url,
            "--save-listing",
            &saved,
            "--summary",
            "--page-size",
            "2",
        ],
        &[("BLOBSEL_ACCOUNT_KEY", DEVELOPMENT_KEY)],
    );
    assert_eq!(live.status.code(), Some(0), "{}", text(&live.stderr));
    let offline = blobsel(&["preview", &sel, &saved], &[]);
    assert_eq!(offline.status.code(), Some(0), "{}", text(&offline.stderr));
    assert_eq!(text(&live.stdout), text(&offline.stdout));
    // The saved listing keeps each blob's last-modified time, for verify.
    let rows = std::fs::read_to_string(&saved).unwrap();
    assert!(
        rows.lines().all(|r| r.contains("\"last_modified\":\"20")),
        "{rows}"
    );

    let out = text(&live.stdout);
    // `/pics…` spans both containers; the uncommitted blob is not exported.
    assert!(out.contains(&format!("/{a}kids/kid.png\n")), "{out}");
    assert!(out.contains(&format!("/{a}/2024/a.jpg\n")), "{out}");
    assert!(!out.contains("pending.bin"), "{out}");
    assert_eq!(
        out.matches("keep.txt").count(),
        2,
        "base and snapshot via the prefix: {out}"
    );
    let err = text(&live.stderr);
    assert!(err.contains("uncommitted blobs skipped: 1"), "{err}");
    assert!(err.contains("leased blobs selected:     1"), "{err}");
    assert!(err.contains("List Blobs pages"), "{err}");
    assert!(
        !err.contains(DEVELOPMENT_KEY),
        "the key must never be printed"
    );

    // A compiled index lists the account the same way (its rules rebuilt
    // to plan the calls).
    let index = dir.path().join("sel.bsi").display().to_string();
    let compiled = blobsel(&["compile", &sel, "-o", &index], &[]);
    assert_eq!(
        compiled.status.code(),
        Some(0),
        "{}",
        text(&compiled.stderr)
    );
    let from_index = blobsel(
        &[
            "preview",
            &index,
            "--account-url",
            &url,
            "--summary",
            "--page-size",
            "2",
        ],
        &[("BLOBSEL_ACCOUNT_KEY", DEVELOPMENT_KEY)],
    );
    assert_eq!(
        from_index.status.code(),
        Some(0),
        "{}",
        text(&from_index.stderr)
    );
    assert_eq!(text(&from_index.stdout), out);
    assert_eq!(untimed(&text(&from_index.stderr)), untimed(&err));
    assert!(
        err.contains("listing took:") && err.contains(" requests, "),
        "{err}"
    );

    // One request at a time: the same output and the same saved listing.
    let saved1 = dir.path().join("saved1.jsonl").display().to_string();
    let sequential = blobsel(
        &[
            "preview",
            &sel,
            "--account-url",
            &url,
            "--save-listing",
            &saved1,
            "--page-size",
            "2",
            "--concurrency",
            "1",
        ],
        &[("BLOBSEL_ACCOUNT_KEY", DEVELOPMENT_KEY)],
    );
    assert_eq!(text(&sequential.stdout), out);
    assert_eq!(
        std::fs::read_to_string(&saved1).unwrap(),
        std::fs::read_to_string(&saved).unwrap()
    );
}

/// A summary without its timing line (elapsed time and rate vary).
fn untimed(summary: &str) -> String {
    summary
        .lines()
        .filter(|l| !l.starts_with("listing took:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn shared_key_sas_and_connection_string_give_the_same_preview() {
    let Some(url) = azurite("shared_key_sas_and_connection_string_give_the_same_preview") else {
        return;
    };
    let (a, _) = seed(&url);
    let dir = tempfile::tempdir().unwrap();
    let sel = write(
        dir.path(),
        "sel.json",
        &format!(r#"{{"BlobList":{{"BlobPathPrefix":["/{a}/2024/"]}}}}"#),
    );
    let by_key = blobsel(
        &[
            "preview",
            &sel,
            "--account-url",
            &url,
            "--account-key",
            DEVELOPMENT_KEY,
        ],
        &[],
    );
    assert_eq!(by_key.status.code(), Some(0), "{}", text(&by_key.stderr));
    let expected = format!("/{a}/2024/a.jpg\n/{a}/2024/sub/b.jpg\n");
    assert_eq!(text(&by_key.stdout), expected);

    let sas = support::account_sas("rl");
    let by_sas = blobsel(
        &["preview", &sel, "--account-url", &url, "--sas", &sas],
        &[],
    );
    assert_eq!(text(&by_sas.stdout), expected, "{}", text(&by_sas.stderr));

    let cs = format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DEVELOPMENT_KEY};BlobEndpoint={url};"
    );
    let by_cs = blobsel(
        &["preview", &sel, "--connection-string"],
        &[("AZURE_STORAGE_CONNECTION_STRING", &cs)],
    );
    assert_eq!(text(&by_cs.stdout), expected, "{}", text(&by_cs.stderr));
}

#[test]
fn a_wrong_key_is_a_clear_error_without_the_key() {
    let Some(url) = azurite("a_wrong_key_is_a_clear_error_without_the_key") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sel = write(
        dir.path(),
        "sel.xml",
        "<BlobList><BlobPathPrefix>/x</BlobPathPrefix></BlobList>",
    );
    let wrong = "d3Jvbmcga2V5IHdyb25nIGtleSB3cm9uZyBrZXkgd3Jvbmcga2V5IHdyb25nIGtleQ==";
    let out = blobsel(
        &["preview", &sel, "--account-url", &url],
        &[("BLOBSEL_ACCOUNT_KEY", wrong)],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("403"), "{err}");
    assert!(!err.contains(wrong), "{err}");
}

#[test]
fn a_blob_list_blob_is_fetched_from_the_account() {
    let Some(url) = azurite("a_blob_list_blob_is_fetched_from_the_account") else {
        return;
    };
    let (a, _) = seed(&url);
    let c = key_client(&url);
    let xml = format!("<BlobList><BlobPath>{a}/été/d.jpg</BlobPath></BlobList>");
    put_blob(&c, &a, "lists/export.xml", xml.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    let job = write(
        dir.path(),
        "job.json",
        &format!(
            r#"{{"Properties":{{"Type":"Export"}},"Export":{{"BlobListBlobPath":"{a}/lists/export.xml"}}}}"#
        ),
    );
    let out = blobsel(
        &["preview", &job, "--account-url", &url, "--explain"],
        &[("BLOBSEL_ACCOUNT_KEY", DEVELOPMENT_KEY)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with(&format!(
            "/{a}/été/d.jpg\tBlobPath /{a}/été/d.jpg (/{a}/lists/export.xml"
        )),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1);
}

#[test]
fn drive_estimate_uses_the_listed_sizes() {
    let Some(url) = azurite("drive_estimate_uses_the_listed_sizes") else {
        return;
    };
    let (a, _) = seed(&url);
    let dir = tempfile::tempdir().unwrap();
    let sel = write(
        dir.path(),
        "sel.xml",
        &format!("<BlobList><BlobPathPrefix>/{a}kids/</BlobPathPrefix></BlobList>"),
    );
    let out = blobsel(
        &[
            "preview",
            &sel,
            "--account-url",
            &url,
            "--drive-size",
            "1KB",
            "--summary-only",
        ],
        &[("BLOBSEL_ACCOUNT_KEY", DEVELOPMENT_KEY)],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("bytes selected:            2 (2 B)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("drive #1: blobs = 1, occupied space = 2 B"),
        "{stdout}"
    );
}
