//! Live tests of `blobsel::remote::Lister` against Azurite: listing with
//! many requests in flight gives the rows of one sequential listing, in the
//! same order, whatever the page size, the layout and the faults on the way.
//!
//! Start Azurite first (`eval "$(bash .ci/azurite.sh start)"`); see
//! `tests/live.rs` for Azurite's quirks. The one that matters here: with a
//! small `maxresults`, a page boundary inside one blob's snapshots loses rows
//! on Azurite (not on Azure). So the layouts with snapshots are compared at
//! page sizes that hold each directory whole, and the many-page comparisons
//! use layouts without snapshots.

#![cfg(feature = "remote")]

mod support;

use std::time::Duration;

use blobsel::plan::{ContainerScope, Plan};
use blobsel::remote::{list_plan, Client, ListStats, Lister, ResumePoint};
use blobsel::ListingEntry;
use support::proxy::{Fault, Proxy};
use support::*;

/// Everything a row says that a listing decides (not its record number).
type FullRow = (
    String,
    Option<String>,
    Option<u64>,
    Option<bool>,
    Option<bool>,
);

fn full(e: &ListingEntry) -> FullRow {
    (
        e.path.clone(),
        e.snapshot.map(|s| s.to_string()),
        e.size,
        e.leased,
        e.committed,
    )
}

/// The rows of `plan` listed by `client` with `concurrency` requests in
/// flight, in the order the sink saw them.
fn list(client: &Client, plan: &Plan, concurrency: usize) -> (Vec<FullRow>, ListStats) {
    let mut rows = Vec::new();
    let stats = Lister::new(client)
        .concurrency(concurrency)
        .list(plan, &mut |e| {
            rows.push(full(e));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("concurrency {concurrency}: {e}"));
    (rows, stats)
}

/// Asserts that `got` equals `want` row by row, showing the first difference.
fn assert_same(got: &[FullRow], want: &[FullRow], what: &str) {
    if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
        panic!(
            "{what}: row {i} differs ({} rows vs {}):\n  got  {:?}\n  want {:?}",
            got.len(),
            want.len(),
            got.get(i),
            want.get(i)
        );
    }
}

/// A layout with everything a listing can hold: several containers and
/// `$root`, deep virtual directories, names with non-ASCII characters and
/// characters that need percent-encoding, snapshots, uncommitted blobs,
/// leases, page and append blobs. Returns the plan that lists it.
fn seed_rich(c: &Client, u: &str) -> Plan {
    let containers = [format!("{u}-a"), format!("{u}-b"), format!("{u}-c")];
    for name in containers.iter().chain([&"$root".to_string()]) {
        create_container(c, name);
    }
    let names = [
        "top.txt",
        "a b/c d.txt",
        "a b/%41%2F?#&=+;.txt",
        "albums/été/ä.jpg",
        "albums/été/ö/ü/deep.jpg",
        "albums/été",
        "albums/été0",
        "albums/日本/写真.png",
        "albums/😀/x",
        "d1/d2/d3/d4/d5/d6/leaf",
        "d1/d2/d3/d4/d5/d6/leaf2",
        "d1/d2/x",
        "d1/d2-/y",
        "d1/d2.z",
        "d1/",
        "d1//double",
        "z/",
        "~tilde/a",
        "UPPER/a",
        "0/1/2/3",
    ];
    for (i, container) in containers.iter().enumerate() {
        for name in names.iter().skip(i) {
            put_blob(c, container, name, name.as_bytes());
        }
        put_blob(c, container, "albums/snap.jpg", b"s");
        snapshot(c, container, "albums/snap.jpg");
        snapshot(c, container, "albums/snap.jpg");
        put_block_only(c, container, "albums/staged.bin", b"staged");
        put_block_only(c, container, "d1/d2/staged", b"staged");
        lease(c, container, if i == 0 { "top.txt" } else { "d1/d2/x" });
        put_other_blob(c, container, "d1/disk.vhd", Some(512));
        put_other_blob(c, container, "log/append.txt", None);
    }
    for name in ["x/y/z", "x/é/1", "x/a b"] {
        put_blob(c, "$root", &format!("{u}/{name}"), b"r");
    }
    Plan {
        steps: vec![
            step(ContainerScope::NamePrefix(format!("{u}-")), &[""]),
            step(
                ContainerScope::Container("$root".into()),
                &[&format!("{u}/")],
            ),
        ],
    }
}

#[test]
fn parallel_listing_equals_sequential_on_a_rich_account() {
    let Some(url) = azurite("parallel_listing_equals_sequential_on_a_rich_account") else {
        return;
    };
    let c = key_client(&url);
    let u = unique("par");
    let plan = seed_rich(&c, &u);
    let (want, seq) = list(&c, &plan, 1);
    assert!(want.len() > 60, "{}", want.len());
    assert!(want.iter().any(|r| r.1.is_some()), "snapshots listed");
    assert!(
        want.iter().any(|r| r.4 == Some(false)),
        "uncommitted listed"
    );
    assert!(want.iter().any(|r| r.0.contains("😀")));
    // The old entry point is the sequential one.
    let mut old = Vec::new();
    list_plan(&c, &plan, &mut |e| {
        old.push(full(e));
        Ok(())
    })
    .unwrap();
    assert_same(&old, &want, "list_plan");
    for concurrency in [2, 4, 16, 64] {
        let (got, stats) = list(&c, &plan, concurrency);
        assert_same(&got, &want, &format!("concurrency {concurrency}"));
        assert_eq!(stats.entries, want.len() as u64);
        assert_eq!(stats.containers, seq.containers);
        // The virtual directories were listed on their own.
        assert!(
            stats.list_blobs_pages > seq.list_blobs_pages,
            "concurrency {concurrency}: {} pages vs {}",
            stats.list_blobs_pages,
            seq.list_blobs_pages
        );
    }
    // Only a few pages may wait: the answer is the same.
    let mut rows = Vec::new();
    Lister::new(&c)
        .concurrency(8)
        .max_pages_waiting(1)
        .list(&plan, &mut |e| {
            rows.push(full(e));
            Ok(())
        })
        .unwrap();
    assert_same(&rows, &want, "max_pages_waiting 1");
}

/// The requests that find virtual directories may ask for bigger pages
/// than the blobs' pages: the same answer, and each request asks for what
/// it was told to.
#[test]
fn directory_pages_of_their_own_size_give_the_same_answer() {
    let Some(url) = azurite("directory_pages_of_their_own_size_give_the_same_answer") else {
        return;
    };
    let c = key_client(&url);
    let u = unique("dirpage");
    // No snapshots: Azurite drops a snapshot row at some page boundaries,
    // whichever the lister (see BENCHMARKS.md).
    create_container(&c, &u);
    for d in 0..7 {
        put_blob(&c, &u, &format!("top{d}"), b"t");
        for i in 0..5 {
            put_blob(&c, &u, &format!("d{d}/s{}/b{i}", i % 3), b"x");
        }
    }
    let plan = Plan {
        steps: vec![step(ContainerScope::Container(u.clone()), &[""])],
    };
    let small = builder(&url, dev_key()).max_results(3).build().unwrap();
    let (want, _) = list(&small, &plan, 1);
    assert_eq!(want.len(), 7 * 6);
    let proxy = Proxy::start(Some(&url), &[]);
    for directory in [2, 5000] {
        let client = builder(&proxy.url, dev_key())
            .max_results(3)
            .directory_max_results(directory)
            .build()
            .unwrap();
        let (got, _) = list(&client, &plan, 8);
        assert_same(&got, &want, &format!("directory pages of {directory}"));
    }
    let seen = proxy.seen();
    let lists: Vec<&str> = seen
        .iter()
        .map(|(line, _)| line.as_str())
        .filter(|l| l.contains("comp=list") && l.contains("restype=container"))
        .collect();
    let max = |l: &str| -> u32 {
        let after = l.split("maxresults=").nth(1).expect("maxresults");
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().unwrap()
    };
    let (directory, flat): (Vec<&str>, Vec<&str>) =
        lists.iter().partition(|l| l.contains("delimiter="));
    assert!(flat.iter().all(|l| max(l) == 3), "{flat:?}");
    let sizes: std::collections::BTreeSet<u32> = directory.iter().map(|l| max(l)).collect();
    assert_eq!(sizes, [2, 5000].into(), "{directory:?}");
}

/// A small deterministic generator (xorshift), for layouts.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

/// Random names from a small alphabet rich in `/`, so directories nest, are
/// empty-named (`a//b`), end in `/`, and sit next to blobs of the same stem.
fn random_names(seed: u64, n: usize) -> Vec<String> {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let parts = ["a", "b", "a.b", "é", "%", " ", "-", "0", "~", "Z", "日"];
    let mut names = std::collections::BTreeSet::new();
    while names.len() < n {
        let depth = 1 + rng.next() % 5;
        let mut name = String::new();
        for i in 0..depth {
            if i > 0 {
                name.push('/');
            }
            name.push_str(rng.pick(&parts));
            if rng.next().is_multiple_of(7) {
                name.push_str(rng.pick(&parts));
            }
        }
        if rng.next().is_multiple_of(11) {
            name.push('/');
        }
        names.insert(name);
    }
    names.into_iter().collect()
}

#[test]
fn parallel_listing_equals_sequential_on_random_layouts_at_any_page_size() {
    let Some(url) = azurite("parallel_listing_equals_sequential_on_random_layouts") else {
        return;
    };
    let c = key_client(&url);
    for seed in 1..=4u64 {
        let u = unique(&format!("rnd{seed}"));
        create_container(&c, &u);
        let names = random_names(seed, 60);
        for (i, name) in names.iter().enumerate() {
            if i % 9 == 4 {
                put_block_only(&c, &u, name, b"staged");
            } else {
                put_blob(&c, &u, name, b"x");
            }
        }
        let plan = Plan {
            steps: vec![step(ContainerScope::Container(u.clone()), &[""])],
        };
        let (want, _) = list(&c, &plan, 1);
        assert_eq!(want.len(), names.len(), "seed {seed}");
        for page_size in [1, 2, 3, 7, 5000] {
            let paged = builder(&url, dev_key())
                .max_results(page_size)
                .build()
                .unwrap();
            for concurrency in [1, 3, 16] {
                let (got, _) = list(&paged, &plan, concurrency);
                assert_same(
                    &got,
                    &want,
                    &format!("seed {seed}, page size {page_size}, concurrency {concurrency}"),
                );
            }
        }
    }
}

#[test]
fn parallel_listing_through_faults_equals_a_clean_sequential_run() {
    let Some(url) = azurite("parallel_listing_through_faults_equals_a_clean_sequential_run") else {
        return;
    };
    let c = key_client(&url);
    let u = unique("fault");
    create_container(&c, &u);
    create_container(&c, &format!("{u}-2"));
    for d in 0..12 {
        for i in 0..6 {
            put_blob(&c, &u, &format!("d{d}/s{}/b{i}", i % 2), b"x");
        }
        put_blob(&c, &format!("{u}-2"), &format!("é{d}/x"), b"y");
    }
    let plan = Plan {
        steps: vec![step(ContainerScope::NamePrefix(u.clone()), &[""])],
    };
    let (want, _) = list(&c, &plan, 1);
    assert_eq!(want.len(), 12 * 6 + 12);
    use Fault::*;
    let mut faults = Vec::new();
    for _ in 0..6 {
        faults.extend([
            Pass,
            Busy(Some(0)),
            Status(500),
            Reset,
            DropMidBody,
            Pass,
            Busy(None),
        ]);
    }
    let proxy = Proxy::start(Some(&url), &faults);
    let client = builder(&proxy.url, dev_key())
        .max_results(3)
        .retries(12, Duration::from_millis(5), Duration::from_millis(50))
        .build()
        .unwrap();
    let (got, stats) = list(&client, &plan, 16);
    assert_same(&got, &want, "through the fault proxy");
    assert_eq!(proxy.faults_left(), 0, "every fault was used");
    assert!(stats.retries >= 30, "{} retries", stats.retries);
    assert!(stats.requests >= stats.list_blobs_pages + stats.retries);
}

/// Lists `plan`, stopping (as an interrupted run would) after `stop_after`
/// rows; keeps the rows up to the last checkpoint (what the saved listing
/// holds), then resumes from it with `resume_concurrency` and appends.
fn interrupted_then_resumed(
    client: &Client,
    plan: &Plan,
    concurrency: usize,
    resume_concurrency: usize,
    stop_after: usize,
) -> (Vec<FullRow>, u64) {
    use std::cell::RefCell;
    let mut rows = Vec::new();
    let last: RefCell<Option<(ResumePoint, usize)>> = RefCell::new(None);
    let seen = RefCell::new(0usize);
    let record = |p: &ResumePoint| *last.borrow_mut() = Some((p.clone(), *seen.borrow()));
    let result = Lister::new(client)
        .concurrency(concurrency)
        .on_checkpoint(&record)
        .list(plan, &mut |e| {
            if rows.len() == stop_after {
                return Err(blobsel::Error::new(blobsel::ErrorKind::Io, "stop"));
            }
            rows.push(full(e));
            *seen.borrow_mut() += 1;
            Ok(())
        });
    let Some((point, kept)) = last.into_inner() else {
        // Stopped before the first checkpoint: start again.
        let (rows, stats) = list(client, plan, resume_concurrency);
        return (rows, stats.list_blobs_pages);
    };
    if result.is_ok() {
        return (rows, 0);
    }
    rows.truncate(kept);
    let mut again = Vec::new();
    let stats = Lister::new(client)
        .concurrency(resume_concurrency)
        .resume_from(point)
        .list(plan, &mut |e| {
            again.push(full(e));
            Ok(())
        })
        .unwrap_or_else(|e| panic!("resume: {e}"));
    rows.extend(again);
    (rows, stats.list_blobs_pages)
}

#[test]
fn an_interrupted_listing_resumed_equals_an_uninterrupted_one() {
    let Some(url) = azurite("an_interrupted_listing_resumed_equals_an_uninterrupted_one") else {
        return;
    };
    let c = key_client(&url);
    // A rich account, whole pages.
    let u = unique("resume");
    let plan = seed_rich(&c, &u);
    let (want, _) = list(&c, &plan, 1);
    for (concurrency, again) in [(1, 8), (8, 8), (8, 1)] {
        for stop in [1, 20, 40, want.len() - 1] {
            let (got, _) = interrupted_then_resumed(&c, &plan, concurrency, again, stop);
            assert_same(
                &got,
                &want,
                &format!("rich, concurrency {concurrency} then {again}, stopped after {stop}"),
            );
        }
    }
    // Random layouts, small pages: the resumed run lists few pages again.
    let u = unique("resume-rnd");
    create_container(&c, &u);
    for name in random_names(7, 50) {
        put_blob(&c, &u, &name, b"x");
    }
    let plan = Plan {
        steps: vec![step(ContainerScope::Container(u.clone()), &[""])],
    };
    let paged = builder(&url, dev_key()).max_results(3).build().unwrap();
    let (want, all) = list(&paged, &plan, 1);
    for (concurrency, again) in [(1, 1), (6, 6), (6, 1)] {
        for stop in [2, 10, 25, 44] {
            let (got, pages) = interrupted_then_resumed(&paged, &plan, concurrency, again, stop);
            assert_same(
                &got,
                &want,
                &format!("random, concurrency {concurrency} then {again}, stopped after {stop}"),
            );
            if concurrency == 1 && again == 1 {
                // Only the page in progress is listed again.
                let before = (stop / 3) as u64;
                assert!(
                    pages <= all.list_blobs_pages - before + 1,
                    "stopped after {stop}: {pages} pages of {}",
                    all.list_blobs_pages
                );
            }
        }
    }
}

#[test]
fn a_listing_resumes_after_a_missing_container_with_several_prefixes() {
    let Some(url) = azurite("a_listing_resumes_after_a_missing_container") else {
        return;
    };
    let c = key_client(&url);
    let u = unique("resume-miss");
    let (missing, here) = (format!("{u}-a"), format!("{u}-z"));
    create_container(&c, &here);
    for i in 0..20 {
        put_blob(&c, &here, &format!("b{i:02}"), b"x");
    }
    // The missing container's two prefixes come first: resume points must
    // count both of them.
    let plan = Plan {
        steps: vec![
            step(ContainerScope::Container(missing), &["p/", "q/"]),
            step(ContainerScope::Container(here), &[""]),
        ],
    };
    let paged = builder(&url, dev_key()).max_results(3).build().unwrap();
    let (want, stats) = list(&paged, &plan, 1);
    assert_eq!((want.len(), stats.missing_containers.len()), (20, 1));
    for (concurrency, again) in [(1, 1), (1, 4), (4, 1)] {
        let (got, _) = interrupted_then_resumed(&paged, &plan, concurrency, again, 10);
        assert_same(
            &got,
            &want,
            &format!("concurrency {concurrency} then {again}"),
        );
    }
}

#[test]
fn a_service_that_refuses_delimiter_listings_is_listed_flat() {
    let Some(url) = azurite("a_service_that_refuses_delimiter_listings_is_listed_flat") else {
        return;
    };
    let c = key_client(&url);
    let u = unique("nodelim");
    create_container(&c, &u);
    for i in 0..30 {
        put_blob(&c, &u, &format!("d{}/b{i:02}", i % 3), b"x");
    }
    let plan = Plan {
        steps: vec![step(ContainerScope::Container(u.clone()), &[""])],
    };
    let (want, _) = list(&c, &plan, 1);
    let proxy = Proxy::refusing(&url, "delimiter=");
    let client = builder(&proxy.url, dev_key())
        .max_results(4)
        .build()
        .unwrap();
    let (got, stats) = list(&client, &plan, 8);
    assert_same(&got, &want, "delimiter refused");
    assert!(proxy
        .seen()
        .iter()
        .any(|(line, _)| line.contains("delimiter=")));
    assert_eq!(stats.entries, 30);
}

#[test]
fn rows_waiting_for_a_slow_sink_stay_bounded() {
    let Some(url) = azurite("rows_waiting_for_a_slow_sink_stay_bounded") else {
        return;
    };
    let c = key_client(&url);
    let u = unique("bounded");
    create_container(&c, &u);
    for i in 0..80 {
        put_blob(&c, &u, &format!("d{}/b{i:02}", i % 4), b"x");
    }
    put_blob(&c, &u, "flat", b"x");
    let plan = Plan {
        steps: vec![step(ContainerScope::Container(u.clone()), &[""])],
    };
    let (want, _) = list(&c, &plan, 1);
    let paged = builder(&url, dev_key()).max_results(2).build().unwrap();
    let most = std::cell::Cell::new(0);
    let watch = |p: &blobsel::remote::ListProgress| most.set(most.get().max(p.waiting));
    let mut rows = Vec::new();
    Lister::new(&paged)
        .concurrency(4)
        .max_pages_waiting(2)
        .on_progress(&watch)
        .list(&plan, &mut |e| {
            // A sink far slower than the listing.
            std::thread::sleep(Duration::from_millis(15));
            rows.push(full(e));
            Ok(())
        })
        .unwrap();
    assert_same(&rows, &want, "slow sink");
    // (2 waiting + 4 in flight) pages of 2 rows.
    assert!(most.get() <= 12, "{} rows waited", most.get());
    assert!(most.get() >= 2, "{} rows waited", most.get());
}

/// The service lists names by UTF-16 code units: a virtual directory in
/// U+E000..=U+FFFF comes after one at U+10000 or above (the other way round
/// in UTF-8 byte order). The parallel listing once compared directories by
/// bytes, and dropped the one it took for a repeat (issue 13, finding 1).
#[test]
fn parallel_listing_keeps_the_services_order_of_non_bmp_directories() {
    let Some(url) = azurite("parallel_listing_keeps_the_services_order_of_non_bmp") else {
        return;
    };
    let c = key_client(&url);
    let layouts: [&[&str]; 5] = [
        &["\u{FF21}/x", "\u{1F600}/y"],
        &["\u{E000}/x", "\u{10000}/y"],
        &[
            "a",
            "\u{FF21}/x",
            "\u{1F600}/y",
            "\u{E000}/x",
            "\u{10000}/y",
            "z/q",
        ],
        &[
            "\u{e9}/1",
            "\u{e9}",
            "\u{1F600}",
            "\u{1F600}/a/b",
            "\u{FF21}",
            "\u{FF21}/\u{10000}/c",
            "\u{FF21}/\u{E000}/d",
            "b/\u{1F600}/e",
            "b/\u{FF21}/f",
            "b/\u{E000}",
        ],
        &[
            "\u{10000}/1",
            "\u{10000}/2",
            "\u{1F600}/1",
            "\u{E000}/1",
            "\u{E000}/2",
            "\u{FF21}/1",
            "\u{FF21}/\u{1F600}/1",
            "\u{FF21}/\u{FF21}/1",
        ],
    ];
    for (n, names) in layouts.iter().enumerate() {
        let u = unique(&format!("utf16{n}"));
        create_container(&c, &u);
        for name in names.iter() {
            put_blob(&c, &u, name, b"x");
        }
        let plan = Plan {
            steps: vec![step(ContainerScope::Container(u.clone()), &[""])],
        };
        let (want, _) = list(&c, &plan, 1);
        // The sequential listing holds every blob, in UTF-16 order.
        let mut sorted: Vec<String> = names.iter().map(|s| format!("/{u}/{s}")).collect();
        sorted.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
        let paths: Vec<String> = want.iter().map(|r| r.0.clone()).collect();
        assert_eq!(paths, sorted, "layout {n}: the service's order");
        for page_size in [1, 2, 3, 5000] {
            let paged = builder(&url, dev_key())
                .max_results(page_size)
                .build()
                .unwrap();
            for concurrency in [1, 2, 4, 16] {
                let (got, _) = list(&paged, &plan, concurrency);
                assert_same(
                    &got,
                    &want,
                    &format!("layout {n}, page size {page_size}, concurrency {concurrency}"),
                );
            }
        }
    }
}
