//! Live tests of `blobsel::remote` against a real Azurite blob service.
//!
//! Start Azurite first: `eval "$(bash .ci/azurite.sh start)"` exports
//! `BLOBSEL_AZURITE_URL`; `.ci/run` does this in CI, where a test without it
//! fails instead of skipping. Each test seeds its own uniquely named
//! containers, so tests run in parallel and repeatedly against one server.
//!
//! Azurite differs from Azure in two ways that matter here (see
//! `tests/fixtures/listings/README.md`): it lists a blob's snapshots newest first
//! (Azure: oldest first), which is why rows are compared as sets; and with a
//! small `maxresults` its `NextMarker` skips the rest of a blob cut by a page
//! boundary (seen with 3.37.0: a boundary after the first of three snapshots
//! loses the other two and the base blob), which is why the paging seeds keep
//! every blob's snapshots inside one page: a boundary inside them would lose
//! rows on Azurite, not in blobsel, and would hide blobsel bugs behind that.

#![cfg(feature = "remote")]

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use blobsel::plan::{ContainerScope, Plan};
use blobsel::remote::{list_plan, ClientBuilder, Credential, DEVELOPMENT_KEY};
use blobsel::{BlobType, ErrorKind, Exportability};
use support::proxy::{Fault, Proxy};
use support::*;

#[test]
fn listing_a_plan_returns_exactly_the_selectable_blobs() {
    let Some(url) = azurite("listing_a_plan_returns_exactly_the_selectable_blobs") else {
        return;
    };
    let c = key_client(&url);
    let u = unique("plan");
    let (photos, photos2, other) = (
        format!("{u}-photos"),
        format!("{u}-photos-2024"),
        format!("{u}-other"),
    );
    for name in [&photos, &photos2, &other, &"$root".to_string()] {
        create_container(&c, name);
    }
    let mut expected = BTreeSet::new();
    for name in [
        "IMG_0001.JPG",
        "a&b<c>.txt",
        "albums/été/ä.jpg",
        "image/photo.png",
        "dir/sub/deep/x.bin",
    ] {
        put_blob(&c, &photos, name, name.as_bytes());
        expected.insert(expect(&format!("/{photos}/{name}"), None));
    }
    lease(&c, &photos, "IMG_0001.JPG");
    put_blob(&c, &photos, "image.png", &[7; 1000]);
    let snaps = [
        snapshot(&c, &photos, "image.png"),
        snapshot(&c, &photos, "image.png"),
    ];
    expected.insert(expect(&format!("/{photos}/image.png"), None));
    for s in &snaps {
        expected.insert(expect(&format!("/{photos}/image.png"), Some(s)));
    }
    put_block_only(&c, &photos, "uncommitted.bin", b"staged");
    expected.insert(expect(&format!("/{photos}/uncommitted.bin"), None));
    put_other_blob(&c, &photos2, "disk.vhd", Some(4096));
    put_other_blob(&c, &photos2, "log.txt", None);
    expected.insert(expect(&format!("/{photos2}/disk.vhd"), None));
    expected.insert(expect(&format!("/{photos2}/log.txt"), None));
    put_blob(&c, "$root", &format!("{u}/logo.bmp"), b"bmp");
    put_blob(&c, "$root", &format!("{u}-not/logo.bmp"), b"no");
    expected.insert(expect(&format!("/$root/{u}/logo.bmp"), None));
    put_blob(&c, &other, "keep/a", b"a");
    put_blob(&c, &other, "keep/sub/b", b"b");
    put_blob(&c, &other, "skip/c", b"c");
    expected.insert(expect(&format!("/{other}/keep/a"), None));
    expected.insert(expect(&format!("/{other}/keep/sub/b"), None));

    // `photos` is reached twice (by the name prefix and by name) and
    // `keep/sub/` is inside `keep/`: each row must still come once.
    let plan = Plan {
        steps: vec![
            step(ContainerScope::NamePrefix(format!("{u}-photos")), &[""]),
            step(
                ContainerScope::Container("$root".into()),
                &[&format!("{u}/")],
            ),
            step(
                ContainerScope::Container(other.clone()),
                &["keep/sub/", "keep/"],
            ),
            step(ContainerScope::Container(photos.clone()), &["image"]),
            step(ContainerScope::Container(format!("{u}-missing")), &[""]),
        ],
    };
    let mut rows = Vec::new();
    let mut entries = Vec::new();
    let stats = list_plan(&c, &plan, &mut |e| {
        rows.push(row(e));
        entries.push(e.clone());
        Ok(())
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_rows(&rows, &expected);
    assert_eq!(stats.entries, expected.len() as u64);
    assert_eq!(stats.containers, 4);
    assert_eq!(stats.missing_containers, [format!("{u}-missing")]);

    let find = |path: String| {
        entries
            .iter()
            .find(|e| e.path == path && e.snapshot.is_none())
            .unwrap()
    };
    let leased = find(format!("/{photos}/IMG_0001.JPG"));
    assert_eq!((leased.leased, leased.size), (Some(true), Some(12)));
    let image = find(format!("/{photos}/image.png"));
    assert_eq!(
        (image.leased, image.size, image.blob_type),
        (Some(false), Some(1000), Some(BlobType::BlockBlob))
    );
    assert_eq!(
        find(format!("/{photos2}/disk.vhd")).blob_type,
        Some(BlobType::PageBlob)
    );
    assert_eq!(
        find(format!("/{photos2}/log.txt")).blob_type,
        Some(BlobType::AppendBlob)
    );
    let staged = find(format!("/{photos}/uncommitted.bin"));
    assert_eq!(
        staged.exportability(),
        Exportability::Uncommitted,
        "{staged:?}"
    );
    assert_eq!(
        find(format!("/{photos}/a&b<c>.txt")).exportability(),
        Exportability::Exportable
    );
}

#[test]
fn paging_crosses_many_pages_without_loss_or_duplicates() {
    let Some(url) = azurite("paging_crosses_many_pages_without_loss_or_duplicates") else {
        return;
    };
    let seeder = key_client(&url);
    let u = unique("paging");
    create_container(&seeder, &u);
    let mut expected = BTreeSet::new();
    // b00 and its two snapshots are rows 1–3 of page 1 (maxresults 5): no
    // page boundary falls inside them (Azurite's NextMarker would skip the
    // rest of them; see the file's comment).
    put_blob(&seeder, &u, "b00", b"x");
    for _ in 0..2 {
        let s = snapshot(&seeder, &u, "b00");
        expected.insert(expect(&format!("/{u}/b00"), Some(&s)));
    }
    for i in 0..23 {
        let name = format!("b{i:02}");
        if i > 0 {
            put_blob(&seeder, &u, &name, b"x");
        }
        expected.insert(expect(&format!("/{u}/{name}"), None));
    }
    let client = builder(&url, dev_key()).max_results(5).build().unwrap();
    let mut rows = Vec::new();
    let pages = client.list_blobs(&u, "", &mut push_to(&mut rows)).unwrap();
    assert_rows(&rows, &expected);
    assert!(pages >= 5, "25 rows in pages of 5 took {pages} pages");

    // List Containers pages too.
    for i in 0..5 {
        create_container(&seeder, &format!("{u}-c{i}"));
    }
    let client = builder(&url, dev_key()).max_results(2).build().unwrap();
    let mut names = Vec::new();
    let pages = client
        .list_containers(&format!("{u}-c"), &mut |n| {
            names.push(n.to_string());
            Ok(())
        })
        .unwrap();
    assert_eq!(
        names,
        (0..5).map(|i| format!("{u}-c{i}")).collect::<Vec<_>>()
    );
    assert!(pages >= 3, "{pages}");
}

#[test]
fn sas_tokens_and_connection_strings_authorize() {
    let Some(url) = azurite("sas_tokens_and_connection_strings_authorize") else {
        return;
    };
    let seeder = key_client(&url);
    let u = unique("sas");
    create_container(&seeder, &u);
    put_blob(&seeder, &u, "lists/export list.xml", b"<BlobList/>");
    put_blob(&seeder, &u, "data/1", b"1");
    let plan = Plan {
        steps: vec![step(ContainerScope::NamePrefix(u.clone()), &[""])],
    };
    let count = |client: &blobsel::remote::Client| {
        let mut n = 0;
        list_plan(client, &plan, &mut count_to(&mut n)).unwrap_or_else(|e| panic!("{e}"));
        n
    };
    // Account SAS: lists containers and blobs, reads blobs.
    let sas = account_sas("rl");
    let client = builder(&url, Credential::sas(&sas).unwrap())
        .build()
        .unwrap();
    assert_eq!(count(&client), 2);
    assert_eq!(
        client
            .get_blob_list_blob(&format!("{u}/lists/export list.xml"))
            .unwrap(),
        b"<BlobList/>"
    );
    // A SAS URL works as the endpoint too.
    let client = ClientBuilder::new(&format!("{url}?{sas}")).build().unwrap();
    assert_eq!(count(&client), 2);

    // Container SAS: lists its container; cannot list containers.
    let sas = container_sas(&u, "rl");
    let client = builder(&url, Credential::sas(&format!("?{sas}")).unwrap())
        .build()
        .unwrap();
    let mut n = 0;
    client
        .list_blobs(&u, "", &mut count_to(&mut n))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 2);
    let e = client
        .list_containers("", &mut |_| Ok(()))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("HTTP 403") && !e.contains(sas.rsplit_once("sig=").unwrap().1),
        "{e}"
    );
    assert!(e.contains("a container SAS cannot list containers"), "{e}");

    // Connection strings.
    let cs = format!(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DEVELOPMENT_KEY};BlobEndpoint={url};"
    );
    assert_eq!(
        count(
            &ClientBuilder::from_connection_string(&cs)
                .unwrap()
                .build()
                .unwrap()
        ),
        2
    );
    let cs = format!(
        "BlobEndpoint={url};SharedAccessSignature={}",
        account_sas("rl")
    );
    assert_eq!(
        count(
            &ClientBuilder::from_connection_string(&cs)
                .unwrap()
                .build()
                .unwrap()
        ),
        2
    );
}

#[test]
fn a_wrong_key_or_sas_is_a_clear_403_that_shows_no_secret() {
    let Some(url) = azurite("a_wrong_key_or_sas_is_a_clear_403_that_shows_no_secret") else {
        return;
    };
    let wrong_key = "d3JvbmctYnV0LXZhbGlkLWJhc2U2NC1rZXktMTIzNDU2Nzg5MA==";
    let client = builder(
        &url,
        Credential::shared_key("devstoreaccount1", wrong_key).unwrap(),
    )
    .build()
    .unwrap();
    let e = client.list_containers("", &mut |_| Ok(())).unwrap_err();
    let text = e.to_string();
    assert_eq!(e.kind(), ErrorKind::Remote);
    assert!(
        text.starts_with("List Containers with prefix \"\": HTTP 403 "),
        "{text}"
    );
    assert!(
        text.contains("AuthorizationFailure") || text.contains("AuthenticationFailed"),
        "{text}"
    );
    assert!(
        text.contains("x-ms-request-id ") && text.contains("check the account key"),
        "{text}"
    );
    assert!(
        !text.contains(wrong_key) && !format!("{client:?}").contains(wrong_key),
        "{text}"
    );

    let mut sas = account_sas("rl");
    let sig_at = sas.find("sig=").unwrap() + 4;
    sas.replace_range(sig_at..sig_at + 4, "AAAA");
    let sig = sas[sig_at..].to_string();
    let client = builder(&url, Credential::sas(&sas).unwrap())
        .build()
        .unwrap();
    let text = client
        .list_containers("", &mut |_| Ok(()))
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("HTTP 403") && text.contains("x-ms-request-id"),
        "{text}"
    );
    assert!(
        !text.contains(&sig) && !format!("{client:?}").contains(&sig),
        "{text}"
    );
}

#[test]
fn service_busy_twice_then_success_is_retried() {
    let Some(url) = azurite("service_busy_twice_then_success_is_retried") else {
        return;
    };
    let seeder = key_client(&url);
    let u = unique("busy");
    create_container(&seeder, &u);
    put_blob(&seeder, &u, "one", b"1");
    let proxy = Proxy::start(Some(&url), &[Fault::Busy(None), Fault::Busy(Some(0))]);
    let client = builder(&proxy.url, dev_key()).build().unwrap();
    let mut rows = Vec::new();
    client
        .list_blobs(&u, "", &mut push_to(&mut rows))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_rows(&rows, &[expect(&format!("/{u}/one"), None)].into());
    assert_eq!((client.retries(), proxy.faults_left()), (2, 0));
    let seen = proxy.seen();
    assert_eq!(seen.len(), 3);
    assert!(seen.iter().all(|(line, _)| line == &seen[0].0), "{seen:#?}");
}

#[test]
fn a_connection_dropped_mid_page_is_retried_without_loss_or_duplicates() {
    let Some(url) = azurite("a_connection_dropped_mid_page_is_retried_without_loss_or_duplicates")
    else {
        return;
    };
    let seeder = key_client(&url);
    let u = unique("drop");
    create_container(&seeder, &u);
    let mut expected = BTreeSet::new();
    for i in 0..12 {
        put_blob(&seeder, &u, &format!("f{i:02}"), b"x");
        expected.insert(expect(&format!("/{u}/f{i:02}"), None));
    }
    // Page 1 passes; page 2 is cut mid-body twice, then passes; and so on.
    use Fault::*;
    let proxy = Proxy::start(
        Some(&url),
        &[Pass, DropMidBody, DropMidBody, Pass, DropMidBody],
    );
    let client = builder(&proxy.url, dev_key())
        .max_results(4)
        .build()
        .unwrap();
    let mut rows = Vec::new();
    client
        .list_blobs(&u, "", &mut push_to(&mut rows))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_rows(&rows, &expected);
    assert_eq!(client.retries(), 3);
    let seen = proxy.seen();
    // Each retry asked for the very page (the same marker) that was cut.
    for pair in seen.windows(2) {
        if pair[0].1 == DropMidBody {
            assert_eq!(pair[0].0, pair[1].0, "{seen:#?}");
        }
    }
    assert!(seen[1].0.contains("marker="), "{seen:#?}");
}

#[test]
fn retries_are_bounded_and_honour_retry_after() {
    // A stub with no upstream: needs no Azurite, so it runs everywhere.
    let proxy = Proxy::start(
        None,
        &[Fault::Busy(Some(1)), Fault::Busy(None), Fault::Busy(None)],
    );
    let mut b = builder(&proxy.url, dev_key());
    b.retries(3, Duration::from_millis(10), Duration::from_millis(20));
    let client = b.build().unwrap();
    let started = Instant::now();
    let e = client
        .list_blobs("c", "", &mut |_| Ok(()))
        .unwrap_err()
        .to_string();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
    assert!(
        e.contains("HTTP 503 ServerBusy") && e.contains("after 3 tries"),
        "{e}"
    );
    assert!(e.contains("x-ms-request-id proxy-503"), "{e}");
    assert_eq!(proxy.seen().len(), 3);
    assert!(!e.contains(DEVELOPMENT_KEY), "{e}");
}

#[test]
fn refused_connections_are_retried_then_reported_without_the_sas() {
    // A port nobody listens on: needs no Azurite.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sas = "sv=2021-08-06&ss=b&srt=sco&sp=rl&se=2099-01-01T00:00:00Z&sig=c2VjcmV0LXNpZw%3D%3D";
    let url = format!("http://127.0.0.1:{port}/devstoreaccount1");
    let client = builder(&url, Credential::sas(sas).unwrap())
        .build()
        .unwrap();
    let e = client
        .list_blobs("c", "p", &mut |_| Ok(()))
        .unwrap_err()
        .to_string();
    assert_eq!(client.retries(), 3, "{e}");
    assert!(
        e.starts_with("List Blobs in container \"c\" with prefix \"p\": "),
        "{e}"
    );
    assert!(
        e.contains(&format!("127.0.0.1:{port}")) && e.contains("after 4 tries"),
        "{e}"
    );
    assert!(
        !e.contains("c2VjcmV0") && !format!("{client:?}").contains("c2VjcmV0"),
        "{e}"
    );
}

#[test]
fn a_page_cut_short_without_a_length_is_requested_again() {
    // A stub with no upstream: needs no Azurite. Without Content-Length or
    // chunking, only the missing `</EnumerationResults>` shows the cut.
    let body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults \
                ContainerName=\"ccc\"><Blobs><Blob><Name>a</Name><Properties>\
                <Content-Length>1</Content-Length><BlobType>BlockBlob</BlobType>\
                </Properties></Blob></Blobs><NextMarker/></EnumerationResults>";
    let faults = [
        Fault::Page { body, cut: true },
        Fault::Page { body, cut: false },
    ];
    let proxy = Proxy::start(None, &faults);
    let client = builder(&proxy.url, dev_key()).build().unwrap();
    let mut rows = Vec::new();
    client
        .list_blobs("ccc", "", &mut push_to(&mut rows))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rows, [expect("/ccc/a", None)]);
    assert_eq!((client.retries(), proxy.seen().len()), (1, 2));
}

#[test]
fn without_azurite_cargo_test_says_so_once_with_the_command_readme_gives() {
    let dir = tempfile::tempdir().unwrap();
    // Every test binary of one run asks; only the first says it.
    assert!(support::first_to_say(dir.path(), 42));
    assert!(!support::first_to_say(dir.path(), 42));
    assert!(!support::first_to_say(dir.path(), 42));
    assert!(
        support::first_to_say(dir.path(), 43),
        "another run says it again"
    );
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let command = support::LIVE_TESTS_DID_NOT_RUN
        .split("To run them too: ")
        .nth(1)
        .unwrap();
    assert!(
        readme.contains(&format!("`{command}`")),
        "README gives {command:?}"
    );
}
