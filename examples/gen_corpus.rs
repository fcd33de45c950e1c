//! Writes the benchmark corpus: realistic, deterministic listings and blob
//! lists (the generator is `benches/common/corpus.rs`, shared with the
//! criterion benches, which make the same corpus in memory).
//!
//! ```text
//! # A listing of N lines, `/container/name[<TAB>SNAPSHOT]`, in generation
//! # order, or byte-sorted as List Blobs returns it:
//! cargo run --release --example gen_corpus -- listing --lines 10000000 listing.txt
//! cargo run --release --example gen_corpus -- listing --lines 10000000 --sorted sorted.txt
//!
//! # A rule set (S, M, L or XL) as blob list XML, or as the Export JSON
//! # fragment (JSON has no snapshot attributes: those rules are left out):
//! cargo run --release --example gen_corpus -- rules L L.xml
//! cargo run --release --example gen_corpus -- rules M --json M.json
//!
//! # The same rules as line-anchored regexes for `rg -f` / `grep -E -f`:
//! cargo run --release --example gen_corpus -- patterns L L.patterns
//! ```
//!
//! Every command takes `--seed N` (default: the benches' seed); `-` as the
//! output writes to stdout. The same seed gives the same bytes everywhere,
//! and a listing of N lines is the first N lines of any longer one. Rule
//! sets are drawn from the first 1,000,000 lines, so one rule set serves
//! every listing size:
//!
//! | set | rules |
//! |---|---|
//! | S  | 10 prefixes |
//! | M  | 100 prefixes + 1,000 paths |
//! | L  | 1,000 prefixes + 10,000 paths (5% `IncludeSnapshots="false"`, 5% `SnapshotTime`) |
//! | XL | 1,000,000 exact paths (every second blob of the stream) |

use std::io::{BufWriter, Write};
use std::process::ExitCode;

#[path = "../benches/common/corpus.rs"]
mod corpus;

const USAGE: &str = "usage:
  gen_corpus listing --lines N [--sorted] [--seed N] OUT
  gen_corpus rules S|M|L|XL [--json] [--seed N] OUT
  gen_corpus patterns S|M|L|XL [--seed N] OUT";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_corpus: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let mut lines = None;
    let mut sorted = false;
    let mut json = false;
    let mut seed = corpus::SEED;
    let mut free = Vec::new();
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        let mut value = |what: &str| it.next().ok_or(format!("{what} needs a value"));
        match a.as_str() {
            "--lines" => {
                let v = value("--lines")?.replace('_', "");
                lines = Some(
                    v.parse::<usize>()
                        .map_err(|e| format!("--lines {v}: {e}"))?,
                );
            }
            "--seed" => {
                let v = value("--seed")?;
                seed = v.parse().map_err(|e| format!("--seed {v}: {e}"))?;
            }
            "--sorted" => sorted = true,
            "--json" => json = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ => free.push(a),
        }
    }
    let (command, rest) = free.split_first().ok_or("no command")?;
    let out_path = rest.last().ok_or("no output file")?;
    let mut out: Box<dyn Write> = if out_path == "-" {
        Box::new(BufWriter::new(std::io::stdout().lock()))
    } else {
        let f = std::fs::File::create(out_path).map_err(|e| format!("{out_path}: {e}"))?;
        Box::new(BufWriter::with_capacity(1 << 20, f))
    };
    let io = |e: std::io::Error| format!("{out_path}: {e}");
    match (command.as_str(), rest) {
        ("listing", [_]) => {
            let lines = lines.ok_or("listing needs --lines N")?;
            if sorted {
                let text = corpus::listing(lines, seed);
                out.write_all(&corpus::sort_lines(&text)).map_err(io)?;
            } else {
                corpus::write_listing(lines, seed, &mut out).map_err(io)?;
            }
        }
        ("rules" | "patterns", [size, _]) => {
            let size = corpus::Size::parse(size).ok_or(format!("no rule set {size:?}"))?;
            let base = if size == corpus::Size::XL {
                Vec::new()
            } else {
                corpus::blobs(corpus::RULE_BASE_LINES, seed)
            };
            let rules = corpus::rule_set(size, &base, seed);
            let text = match (command.as_str(), json) {
                ("patterns", _) => corpus::to_line_patterns(&rules),
                (_, true) => corpus::to_json(&rules),
                _ => corpus::to_xml(&rules),
            };
            out.write_all(text.as_bytes()).map_err(io)?;
        }
        _ => return Err(format!("cannot read the arguments of {command:?}")),
    }
    out.flush().map_err(io)
}
