//! `match`: names per second for each rule set (S, M, L, XL), on a listing
//! in generation order ("unsorted") and in byte order ("sorted"); blobsel on
//! one thread and on all threads (`find_batch` in a local rayon pool), and
//! its peers (`common/peers.rs`) on one thread, every one asserted to select
//! exactly as many blobs as blobsel.
//!
//! ```text
//! cargo bench --bench matching                  # everything (a few minutes)
//! cargo bench --bench matching -- 'match/L/'    # one rule set
//! BLOBSEL_BENCH_LINES=200000 BLOBSEL_BENCH_SETS=S,M cargo bench --bench matching
//! ```
//!
//! Slow peers are measured on an evenly strided sample of the names (in
//! the same order), sized so one pass takes about a quarter second; the
//! asserted count is blobsel's on that same sample. The sample size is
//! printed, and throughput is per name matched either way.

use std::hint::black_box;
use std::time::{Duration, Instant};

use blobsel::listing::parse_line;
use blobsel::{Matcher, Rule, Selection, SnapshotTime};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/peers.rs"]
mod peers;

use peers::Peer;

type Item = (&'static [u8], Option<SnapshotTime>);

fn lines_wanted() -> usize {
    std::env::var("BLOBSEL_BENCH_LINES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

/// The rule sets named in `BLOBSEL_BENCH_SETS` (e.g. `S,L`), or all.
fn sets_wanted() -> Vec<corpus::Size> {
    match std::env::var("BLOBSEL_BENCH_SETS") {
        Ok(s) => s.split(',').filter_map(corpus::Size::parse).collect(),
        Err(_) => corpus::Size::ALL.to_vec(),
    }
}

/// The canonical path and snapshot of every line (all lines begin with '/').
fn items(text: &'static [u8]) -> Vec<Item> {
    text.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|line| {
            let blob = parse_line(line).expect("valid line").expect("not blank");
            let end = blob.name.as_ptr() as usize - line.as_ptr() as usize + blob.name.len();
            (&line[..end], blob.snapshot)
        })
        .collect()
}

fn parse_rules(rules: &[corpus::GenRule]) -> (Vec<Rule>, Matcher) {
    let xml = corpus::to_xml(rules);
    let sel = Selection::parse(xml.as_bytes(), "rules.xml").expect("generated XML parses");
    let matcher = sel.compile().expect("compiles");
    (sel.rules().expect("rules").to_vec(), matcher)
}

fn strided(items: &[Item], k: usize) -> Vec<Item> {
    let step = items.len().div_ceil(k.max(1)).max(1);
    items.iter().step_by(step).copied().collect()
}

/// blobsel's way to match a stream of names: one [`blobsel::Cursor`],
/// which caches the walk over each container and reuses the last walk,
/// given the names as a slice (`find_all`), so it can look ahead.
fn count_blobsel(m: &Matcher, items: &[Item]) -> usize {
    m.cursor().find_all(items).filter(Option::is_some).count()
}

fn count_peer(p: &dyn Peer, items: &[Item]) -> usize {
    items.iter().filter(|(x, s)| p.selects(x, *s)).count()
}

/// A sample of `items` that `peer` matches in about `budget`.
fn sample_for(peer: &dyn Peer, items: &[Item], budget: Duration) -> Vec<Item> {
    let probe = strided(items, 2_000);
    let start = Instant::now();
    black_box(count_peer(peer, &probe));
    let per = start.elapsed().as_secs_f64() / probe.len() as f64;
    let k = (budget.as_secs_f64() / per.max(1e-12)) as usize;
    if k >= items.len() {
        items.to_vec()
    } else {
        strided(items, k.max(100))
    }
}

fn bench_matching(c: &mut Criterion) {
    let lines = lines_wanted();
    let t = Instant::now();
    let unsorted: &'static [u8] =
        Box::leak(corpus::listing(lines, corpus::SEED).into_boxed_slice());
    let sorted: &'static [u8] = Box::leak(corpus::sort_lines(unsorted).into_boxed_slice());
    let orders = [("unsorted", items(unsorted)), ("sorted", items(sorted))];
    let base = corpus::blobs(corpus::RULE_BASE_LINES, corpus::SEED);
    eprintln!(
        "corpus: {} lines, {} bytes, generated in {:.1?}",
        orders[0].1.len(),
        unsorted.len(),
        t.elapsed()
    );
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool");

    for size in sets_wanted() {
        let gen = corpus::rule_set(size, &base, corpus::SEED);
        let (rules, matcher) = parse_rules(&gen);
        let prepared = peers::Prepared::new(&rules);
        let mut list: Vec<(&str, Box<dyn Peer>)> = Vec::new();
        let mut timed =
            |name: &'static str, f: &mut dyn FnMut() -> Result<Box<dyn Peer>, String>| {
                let t = Instant::now();
                match f() {
                    Ok(p) => {
                        eprintln!("match/{}: {name} built in {:.1?}", size.name(), t.elapsed());
                        list.push((name, p));
                    }
                    Err(e) => eprintln!(
                        "match/{}: {name} skipped: does not build ({e}) after {:.1?}",
                        size.name(),
                        t.elapsed()
                    ),
                }
            };
        timed("naive", &mut || Ok(Box::new(peers::Naive::new(&rules))));
        timed("sorted-array", &mut || {
            Ok(Box::new(peers::SortedArray::new(&prepared)))
        });
        timed("hashset+sorted", &mut || {
            Ok(Box::new(peers::HashAndSorted::new(&prepared)))
        });
        timed("patricia", &mut || {
            Ok(Box::new(peers::Patricia::new(&prepared)))
        });
        timed("aho-corasick", &mut || {
            peers::AhoCorasickPeer::new(&prepared).map(|p| Box::new(p) as Box<dyn Peer>)
        });
        timed("regex-automata", &mut || {
            peers::RegexPeer::new(&prepared).map(|p| Box::new(p) as Box<dyn Peer>)
        });

        for (order, items) in &orders {
            let expected = count_blobsel(&matcher, items);
            eprintln!(
                "match/{}/{order}: {} rules ({}), {expected} of {} names selected",
                size.name(),
                rules.len(),
                size.describe(),
                items.len()
            );
            let mut group = c.benchmark_group(format!("match/{}/{order}", size.name()));
            group
                .sampling_mode(SamplingMode::Flat)
                .sample_size(10)
                .warm_up_time(Duration::from_millis(300))
                .measurement_time(Duration::from_secs(2))
                .throughput(Throughput::Elements(items.len() as u64));
            group.bench_function("blobsel-1-thread", |b| {
                b.iter(|| assert_eq!(count_blobsel(&matcher, items), expected))
            });
            let mut out = Vec::with_capacity(items.len());
            group.bench_function(format!("blobsel-{threads}-threads"), |b| {
                b.iter(|| {
                    pool.install(|| matcher.find_batch(items, &mut out));
                    assert_eq!(out.iter().filter(|r| r.is_some()).count(), expected);
                })
            });
            for (name, peer) in &list {
                let sample = sample_for(&**peer, items, Duration::from_millis(250));
                let want = count_blobsel(&matcher, &sample);
                let got = count_peer(&**peer, &sample);
                assert_eq!(
                    got,
                    want,
                    "{name} disagrees with blobsel on rule set {}",
                    size.name()
                );
                if sample.len() < items.len() {
                    eprintln!(
                        "match/{}/{order}/{name}: on a strided sample of {} names",
                        size.name(),
                        sample.len()
                    );
                }
                group.throughput(Throughput::Elements(sample.len() as u64));
                group.bench_function(*name, |b| {
                    b.iter(|| assert_eq!(count_peer(&**peer, &sample), want))
                });
            }
            group.finish();
        }
    }
}

criterion_group!(benches, bench_matching);
criterion_main!(benches);
