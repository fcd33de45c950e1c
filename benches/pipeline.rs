//! `parse`, `compile` and `preview`: the stages around matching.
//!
//! * `parse/{xml,json}/SIZE` — reading a selection (bytes/s), beside the
//!   floor of reading the same bytes with `quick-xml` events or
//!   `serde_json::Value` alone; for XML also with the full reader alone
//!   (`blobsel-full-reader`: the fast path off, what it saves in one run).
//! * `compile/SIZE` — rules/s into the fst index (the index size is
//!   printed), `load/SIZE` (`Matcher::from_bytes`, checksum and all), the
//!   XL target `parse+compile/XL`, and the peers' build times.
//! * `preview/SIZE/ORDER` — the in-process pipeline of `blobsel preview`
//!   over an in-memory lines listing: split on `\n`, `parse_line`,
//!   a `Cursor`'s `find_blob`, selected lines into a `Vec` (bytes/s), on one thread and
//!   on all (1 MiB chunks matched in parallel, output kept in input order),
//!   beside the floor of counting the lines with `memchr`.
//!
//! ```text
//! cargo bench --bench pipeline
//! cargo bench --bench pipeline -- 'preview/L/'
//! BLOBSEL_BENCH_LINES=200000 BLOBSEL_BENCH_SETS=S,M cargo bench --bench pipeline
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use blobsel::listing::parse_line;
use blobsel::{Matcher, ParseOptions, Selection};
use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, SamplingMode, Throughput,
};
use rayon::prelude::*;

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/peers.rs"]
mod peers;

fn lines_wanted() -> usize {
    std::env::var("BLOBSEL_BENCH_LINES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

fn sets_wanted() -> Vec<corpus::Size> {
    match std::env::var("BLOBSEL_BENCH_SETS") {
        Ok(s) => s.split(',').filter_map(corpus::Size::parse).collect(),
        Err(_) => corpus::Size::ALL.to_vec(),
    }
}

fn small<M: criterion::measurement::Measurement>(g: &mut BenchmarkGroup<'_, M>) {
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
}

struct RuleSet {
    size: corpus::Size,
    xml: String,
    json: String,
    rule_count: usize,
    json_rule_count: usize,
}

fn rule_sets() -> Vec<RuleSet> {
    let base = corpus::blobs(corpus::RULE_BASE_LINES, corpus::SEED);
    sets_wanted()
        .into_iter()
        .map(|size| {
            let rules = corpus::rule_set(size, &base, corpus::SEED);
            let json_rule_count = rules
                .iter()
                .filter(|r| matches!(r, corpus::GenRule::Prefix(_) | corpus::GenRule::Path(_)))
                .count();
            RuleSet {
                size,
                xml: corpus::to_xml(&rules),
                json: corpus::to_json(&rules),
                rule_count: rules.len(),
                json_rule_count,
            }
        })
        .collect()
}

fn parse_xml(xml: &str) -> Selection {
    Selection::parse(xml.as_bytes(), "rules.xml").expect("generated XML parses")
}

/// [`parse_xml`] with quick-xml alone, no fast path.
fn parse_xml_full(xml: &str) -> Selection {
    ParseOptions::default()
        .xml_fast_path(false)
        .parse(xml.as_bytes(), "rules.xml")
        .expect("generated XML parses")
}

fn parse_json(json: &str) -> Selection {
    ParseOptions::default()
        .enforce_inline_limit(false)
        .parse(json.as_bytes(), "rules.json")
        .expect("generated JSON parses")
}

/// Start tags, read with quick-xml alone: the floor of any XML reader.
fn xml_events(xml: &str) -> usize {
    let mut reader = quick_xml::Reader::from_reader(xml.as_bytes());
    let mut n = 0;
    loop {
        match reader.read_event().expect("well-formed") {
            quick_xml::events::Event::Start(_) => n += 1,
            quick_xml::events::Event::Eof => return n,
            _ => {}
        }
    }
}

fn bench_parse(c: &mut Criterion) {
    for set in rule_sets() {
        let name = set.size.name();
        let mut g = c.benchmark_group("parse");
        small(&mut g);
        g.throughput(Throughput::Bytes(set.xml.len() as u64));
        g.bench_function(format!("xml/{name}/blobsel"), |b| {
            b.iter(|| assert_eq!(parse_xml(&set.xml).rules().unwrap().len(), set.rule_count))
        });
        g.bench_function(format!("xml/{name}/blobsel-full-reader"), |b| {
            b.iter(|| {
                assert_eq!(
                    parse_xml_full(&set.xml).rules().unwrap().len(),
                    set.rule_count
                )
            })
        });
        g.bench_function(format!("xml/{name}/quick-xml-events"), |b| {
            b.iter(|| assert_eq!(xml_events(&set.xml), set.rule_count + 1))
        });
        g.throughput(Throughput::Bytes(set.json.len() as u64));
        g.bench_function(format!("json/{name}/blobsel"), |b| {
            b.iter(|| {
                let sel = parse_json(&set.json);
                assert_eq!(sel.rules().unwrap().len(), set.json_rule_count)
            })
        });
        g.bench_function(format!("json/{name}/serde_json-value"), |b| {
            b.iter(|| black_box(serde_json::from_str::<serde_json::Value>(&set.json).unwrap()))
        });
        g.finish();
    }
}

fn bench_compile(c: &mut Criterion) {
    for set in rule_sets() {
        let name = set.size.name();
        let sel = parse_xml(&set.xml);
        let rules = sel.rules().unwrap();
        let m = sel.compile().unwrap();
        let text: usize = rules.iter().map(|r| r.text().len()).sum();
        eprintln!(
            "compile/{name}: {} rules, rule text {text} B, XML {} B, prefix fst {} B, {} keys \
             (prefixes and exact paths), \
             whole index {} B = {:.2}x the rule text",
            rules.len(),
            set.xml.len(),
            m.index_bytes(),
            m.index_len(),
            m.as_bytes().len(),
            m.as_bytes().len() as f64 / text as f64
        );
        let mut g = c.benchmark_group("compile");
        small(&mut g);
        g.throughput(Throughput::Elements(rules.len() as u64));
        g.bench_function(format!("{name}/blobsel"), |b| {
            b.iter(|| black_box(sel.compile().unwrap()))
        });
        let bytes = m.as_bytes().to_vec();
        g.bench_function(format!("{name}/blobsel-load"), |b| {
            b.iter_batched(
                || bytes.clone(),
                |v| black_box(Matcher::from_bytes(v).unwrap()),
                BatchSize::LargeInput,
            )
        });
        if set.size == corpus::Size::XL {
            g.bench_function("XL/blobsel-parse+compile", |b| {
                b.iter(|| black_box(parse_xml(&set.xml).compile().unwrap()))
            });
        }
        // Peers: built once here if big (their build times are printed by
        // the match bench too), measured when small.
        let prepared = peers::Prepared::new(rules);
        g.bench_function(format!("{name}/sorted-array"), |b| {
            b.iter(|| black_box(peers::SortedArray::new(&peers::Prepared::new(rules))))
        });
        g.bench_function(format!("{name}/hashset+sorted"), |b| {
            b.iter(|| black_box(peers::HashAndSorted::new(&peers::Prepared::new(rules))))
        });
        g.bench_function(format!("{name}/patricia"), |b| {
            b.iter(|| black_box(peers::Patricia::new(&peers::Prepared::new(rules))))
        });
        if set.size != corpus::Size::XL {
            g.bench_function(format!("{name}/aho-corasick"), |b| {
                b.iter(|| black_box(peers::AhoCorasickPeer::new(&prepared).unwrap()))
            });
            let t = Instant::now();
            match peers::RegexPeer::new(&prepared) {
                Ok(_) => {
                    g.bench_function(format!("{name}/regex-automata"), |b| {
                        b.iter(|| black_box(peers::RegexPeer::new(&prepared).unwrap()))
                    });
                }
                Err(e) => eprintln!(
                    "compile/{name}/regex-automata: skipped, does not build ({e}) after {:.1?}",
                    t.elapsed()
                ),
            }
        }
        g.finish();
    }
}

/// Selected lines and how many, as `blobsel preview` writes them.
fn preview_chunk(m: &Matcher, chunk: &[u8], out: &mut Vec<u8>) -> usize {
    let mut cursor = m.cursor();
    let mut selected = 0;
    let mut start = 0;
    let mut newlines = blobsel::listing::lines::line_ends(chunk);
    while start < chunk.len() {
        let end = newlines.next().unwrap_or(chunk.len());
        let line = &chunk[start..end];
        start = end + 1;
        let Some(blob) = parse_line(line).expect("valid line") else {
            continue;
        };
        let path_start = blob.container.as_ptr() as usize - line.as_ptr() as usize;
        let path_end = blob.name.as_ptr() as usize - line.as_ptr() as usize + blob.name.len();
        if cursor
            .find_blob(
                &line[path_start..path_end],
                blob.container.len(),
                blob.snapshot,
            )
            .is_some()
        {
            selected += 1;
            out.extend_from_slice(line);
            out.push(b'\n');
        }
    }
    selected
}

/// 1 MiB chunks ending at a newline.
fn chunks(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > 1 << 20 {
        let cut = memchr::memrchr(b'\n', &rest[..1 << 20]).map_or(rest.len(), |i| i + 1);
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

fn bench_preview(c: &mut Criterion) {
    let lines = lines_wanted();
    let unsorted = corpus::listing(lines, corpus::SEED);
    let sorted = corpus::sort_lines(&unsorted);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("rayon pool");
    {
        let mut g = c.benchmark_group("preview/floor");
        small(&mut g);
        g.throughput(Throughput::Bytes(unsorted.len() as u64));
        g.bench_function("memchr-line-count", |b| {
            b.iter(|| assert_eq!(memchr::memchr_iter(b'\n', &unsorted).count(), lines))
        });
        g.finish();
    }
    for set in rule_sets() {
        if set.size == corpus::Size::M {
            continue; // S, L and XL bracket it
        }
        let m = parse_xml(&set.xml).compile().unwrap();
        for (order, text) in [("unsorted", &unsorted), ("sorted", &sorted)] {
            let mut out = Vec::with_capacity(text.len());
            let expected = preview_chunk(&m, text, &mut out);
            let out_len = out.len();
            eprintln!(
                "preview/{}/{order}: {expected} of {lines} lines selected, {out_len} bytes out",
                set.size.name()
            );
            let mut g = c.benchmark_group(format!("preview/{}/{order}", set.size.name()));
            small(&mut g);
            g.throughput(Throughput::Bytes(text.len() as u64));
            g.bench_function("blobsel-1-thread", |b| {
                b.iter(|| {
                    out.clear();
                    assert_eq!(preview_chunk(&m, text, &mut out), expected);
                })
            });
            g.bench_function(format!("blobsel-{threads}-threads"), |b| {
                b.iter(|| {
                    let parts: Vec<(Vec<u8>, usize)> = pool.install(|| {
                        chunks(text)
                            .par_iter()
                            .map(|c| {
                                let mut o = Vec::with_capacity(c.len() / 2);
                                let n = preview_chunk(&m, c, &mut o);
                                (o, n)
                            })
                            .collect()
                    });
                    out.clear();
                    let mut n = 0;
                    for (o, k) in parts {
                        out.extend_from_slice(&o);
                        n += k;
                    }
                    assert_eq!((n, out.len()), (expected, out_len));
                })
            });
            g.finish();
        }
    }
}

criterion_group!(benches, bench_parse, bench_compile, bench_preview);
criterion_main!(benches);
