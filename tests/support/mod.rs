//! Helpers for the live tests: finding Azurite, seeding it over plain REST
//! (through the crate's own signed requests), and making SAS tokens.

#![allow(dead_code)]

pub mod proxy;
pub mod token_server;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use base64::Engine as _;
use blobsel::plan::{ContainerScope, PlanStep};
use blobsel::remote::{Client, ClientBuilder, Credential, DEVELOPMENT_ACCOUNT, DEVELOPMENT_KEY};
use blobsel::ListingEntry;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The Azurite blob endpoint for a live test, or `None` (after saying so)
/// when there is none outside CI. In CI (`CI` set) a missing endpoint fails
/// the test: a live test must never pass by not running.
pub fn azurite(test: &str) -> Option<String> {
    if let Ok(url) = std::env::var("BLOBSEL_AZURITE_URL") {
        if !url.trim().is_empty() {
            return Some(url.trim().trim_end_matches('/').to_string());
        }
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{test}: BLOBSEL_AZURITE_URL is not set, and CI must run the live tests: \
             run `eval \"$(bash .ci/azurite.sh start)\"` before `cargo test`"
        );
    }
    // A developer who ran `.ci/azurite.sh start` without exporting the URL.
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/target/azurite/endpoint");
    if let Ok(url) = std::fs::read_to_string(file) {
        return Some(url.trim().to_string());
    }
    let _ = test;
    say_once_that_live_tests_did_not_run();
    None
}

/// What a `cargo test` without Azurite says, once for the whole run
/// (every test binary is a child of the one `cargo` process; the first to
/// get here says it), in README's words.
pub fn say_once_that_live_tests_did_not_run() {
    #[cfg(unix)]
    let run = std::os::unix::process::parent_id();
    #[cfg(not(unix))]
    let run = std::process::id();
    if first_to_say(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")), run) {
        // Written to stderr itself, not with `eprintln!`, which the test
        // harness captures and hides for a passing test.
        let _ = writeln!(std::io::stderr(), "\n{LIVE_TESTS_DID_NOT_RUN}\n");
    }
}

/// The one line a `cargo test` without Azurite prints (README has the
/// same command).
pub const LIVE_TESTS_DID_NOT_RUN: &str = "NOTE: the live tests (against Azurite) did not run: \
    no Azurite is running. To run them too: eval \"$(bash .ci/azurite.sh start)\" && cargo test";

/// Whether this is the first call for `run` (a marker file in `dir`).
pub fn first_to_say(dir: &std::path::Path, run: u32) -> bool {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dir.join(format!("live-tests-skipped-{run}")))
        .is_ok()
}

/// The HTTPS Azurite that accepts bearer tokens (`--oauth basic`) and the
/// PEM file of the authority that signed its certificate, or `None` (after
/// saying so) outside CI when it is not running.
pub fn azurite_oauth(test: &str) -> Option<(String, std::path::PathBuf)> {
    let from_env = std::env::var("BLOBSEL_AZURITE_OAUTH_URL")
        .ok()
        .zip(std::env::var("BLOBSEL_AZURITE_CA").ok())
        .filter(|(u, c)| !u.trim().is_empty() && !c.trim().is_empty());
    if let Some((url, ca)) = from_env {
        return Some((url.trim().to_string(), ca.trim().into()));
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{test}: BLOBSEL_AZURITE_OAUTH_URL is not set, and CI must run the live tests: \
             run `eval \"$(bash .ci/azurite.sh start)\"` before `cargo test`"
        );
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/target/azurite/oauth");
    if let Ok(url) = std::fs::read_to_string(format!("{dir}/endpoint")) {
        return Some((url.trim().to_string(), format!("{dir}/ca.pem").into()));
    }
    let _ = test;
    say_once_that_live_tests_did_not_run();
    None
}

/// A name unique to this test process and call, for containers and blob
/// prefixes: tests run in parallel against one Azurite, and a developer may
/// run them many times against the same server.
pub fn unique(tag: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{tag}-{}-{n}-{:x}", std::process::id(), nanos % 0xfff)
}

/// A builder for `url` with short retry waits, so failures show quickly.
pub fn builder(url: &str, credential: Credential) -> ClientBuilder {
    let mut b = ClientBuilder::new(url);
    b.credential(credential)
        .retries(4, Duration::from_millis(20), Duration::from_millis(200))
        .timeouts(Duration::from_secs(5), Duration::from_secs(20));
    b
}

/// The emulator account's Shared Key.
pub fn dev_key() -> Credential {
    Credential::shared_key(DEVELOPMENT_ACCOUNT, DEVELOPMENT_KEY).expect("well-known key")
}

/// A Shared Key client for `url`.
pub fn key_client(url: &str) -> Client {
    builder(url, dev_key()).build().expect("client")
}

/// A plan step: `scope`, listed with each of `prefixes`.
pub fn step(scope: ContainerScope, prefixes: &[&str]) -> PlanStep {
    PlanStep {
        scope,
        blob_prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
    }
}

/// Creates `container` (an existing one is fine: `$root` is shared by every
/// test and every run).
pub fn create_container(c: &Client, container: &str) {
    let r = c.request(
        "PUT",
        container,
        &[("restype", "container")],
        &[],
        b"",
        "Create Container",
    );
    if let Err(e) = r {
        assert!(e.to_string().contains("ContainerAlreadyExists"), "{e}");
    }
}

/// Puts a block blob.
pub fn put_blob(c: &Client, container: &str, name: &str, body: &[u8]) {
    let h = [
        ("x-ms-blob-type", "BlockBlob"),
        ("content-type", "application/octet-stream"),
    ];
    c.request(
        "PUT",
        &format!("{container}/{name}"),
        &[],
        &h,
        body,
        "Put Blob",
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Creates an empty page blob of `size` bytes or an append blob.
pub fn put_other_blob(c: &Client, container: &str, name: &str, page_size: Option<u64>) {
    let size = page_size.map(|s| s.to_string());
    let h: Vec<(&str, &str)> = match &size {
        Some(s) => vec![
            ("x-ms-blob-type", "PageBlob"),
            ("x-ms-blob-content-length", s),
        ],
        None => vec![("x-ms-blob-type", "AppendBlob")],
    };
    c.request(
        "PUT",
        &format!("{container}/{name}"),
        &[],
        &h,
        b"",
        "Put Blob",
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Takes a snapshot and returns its time as the service wrote it.
pub fn snapshot(c: &Client, container: &str, name: &str) -> String {
    let r = c
        .request(
            "PUT",
            &format!("{container}/{name}"),
            &[("comp", "snapshot")],
            &[],
            b"",
            "Snapshot Blob",
        )
        .unwrap_or_else(|e| panic!("{e}"));
    r.header("x-ms-snapshot")
        .expect("x-ms-snapshot")
        .to_string()
}

/// Acquires an infinite lease.
pub fn lease(c: &Client, container: &str, name: &str) {
    let h = [
        ("x-ms-lease-action", "acquire"),
        ("x-ms-lease-duration", "-1"),
    ];
    c.request(
        "PUT",
        &format!("{container}/{name}"),
        &[("comp", "lease")],
        &h,
        b"",
        "Lease Blob",
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Stages a block without committing it: the blob exists only uncommitted.
pub fn put_block_only(c: &Client, container: &str, name: &str, body: &[u8]) {
    let id = base64::engine::general_purpose::STANDARD.encode("block-000001");
    let q = [("comp", "block"), ("blockid", id.as_str())];
    c.request(
        "PUT",
        &format!("{container}/{name}"),
        &q,
        &[],
        body,
        "Put Block",
    )
    .unwrap_or_else(|e| panic!("{e}"));
}

/// One listed row as the tests compare it: path, snapshot (as text of the
/// parsed time, so equal instants compare equal), size, leased, committed.
pub type Row = (String, Option<String>);

/// The rows a sink saw.
pub fn row(e: &ListingEntry) -> Row {
    (e.path.clone(), e.snapshot.map(|s| s.to_string()))
}

/// A sink that collects rows into `rows`.
pub fn push_to(
    rows: &mut Vec<Row>,
) -> impl FnMut(&ListingEntry) -> Result<(), blobsel::Error> + '_ {
    move |e| {
        rows.push(row(e));
        Ok(())
    }
}

/// A sink that counts rows into `n`.
pub fn count_to(n: &mut usize) -> impl FnMut(&ListingEntry) -> Result<(), blobsel::Error> + '_ {
    move |_| {
        *n += 1;
        Ok(())
    }
}

/// A row for `path` and a snapshot time written by the service.
pub fn expect(path: &str, snapshot: Option<&str>) -> Row {
    let snap = snapshot.map(|s| {
        s.parse::<blobsel::SnapshotTime>()
            .expect("snapshot time")
            .to_string()
    });
    (path.to_string(), snap)
}

/// Asserts that `got` holds each of `expected` once and nothing else.
pub fn assert_rows(got: &[Row], expected: &BTreeSet<Row>) {
    let set: BTreeSet<Row> = got.iter().cloned().collect();
    assert_eq!(set.len(), got.len(), "a row was listed twice: {got:#?}");
    let missing: Vec<_> = expected.difference(&set).collect();
    let extra: Vec<_> = set.difference(expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
}

const SAS_VERSION: &str = "2021-08-06";
const EXPIRY: &str = "2099-01-01T00:00:00Z";

fn sign(string_to_sign: &str) -> String {
    let key = base64::engine::general_purpose::STANDARD
        .decode(DEVELOPMENT_KEY)
        .expect("well-known key");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(string_to_sign.as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    sig.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

/// An account SAS (blob service; service, container and object resource
/// types) with permissions `sp`, per "Create an account SAS", version
/// 2020-12-06 and later.
pub fn account_sas(sp: &str) -> String {
    let (ss, srt, spr) = ("b", "sco", "https,http");
    let to_sign =
        format!("{DEVELOPMENT_ACCOUNT}\n{sp}\n{ss}\n{srt}\n\n{EXPIRY}\n\n{spr}\n{SAS_VERSION}\n\n");
    format!(
        "sv={SAS_VERSION}&ss={ss}&srt={srt}&sp={sp}&se={EXPIRY}&spr={spr}&sig={}",
        sign(&to_sign)
    )
}

/// A service SAS for `container` (`sr=c`) with permissions `sp`, per
/// "Create a service SAS", version 2020-12-06 and later.
pub fn container_sas(container: &str, sp: &str) -> String {
    let resource = format!("/blob/{DEVELOPMENT_ACCOUNT}/{container}");
    let spr = "https,http";
    let to_sign =
        format!("{sp}\n\n{EXPIRY}\n{resource}\n\n\n{spr}\n{SAS_VERSION}\nc\n\n\n\n\n\n\n");
    format!(
        "sv={SAS_VERSION}&sr=c&sp={sp}&se={EXPIRY}&spr={spr}&sig={}",
        sign(&to_sign)
    )
}
