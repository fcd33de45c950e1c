//! Matches a `lines` listing (paths beginning with `/`, as `gen_corpus`
//! writes them) against a selection (or an index written by
//! `blobsel compile`) in N passes of `Cursor::find_all`, and prints the
//! median pass: a driver for profilers, whose counts of 1 and of 3 passes,
//! subtracted and halved, are one pass of matching alone.
//!
//! ```text
//! cargo run --release --example gen_corpus -- listing --lines 200000 u200k.txt
//! cargo run --release --example gen_corpus -- rules L L.xml
//! cargo run --release -- compile L.xml -o L.bsi
//! cargo build --release --example match_passes
//! valgrind --tool=cachegrind --cache-sim=yes \
//!     target/release/examples/match_passes L.bsi u200k.txt 1   # then 3
//! ```

use std::time::Instant;

use blobsel::listing::parse_line;
use blobsel::{Matcher, Selection, SnapshotTime};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, selection, listing, rest @ ..] = &args[..] else {
        return Err("usage: match_passes SELECTION|INDEX LISTING [PASSES]".into());
    };
    let passes: usize = rest.first().map_or(Ok(3), |s| s.parse())?.max(1);
    let bytes = std::fs::read(selection)?;
    let matcher = if Matcher::is_index(&bytes) {
        Matcher::from_bytes(bytes)?
    } else {
        Selection::parse(&bytes[..], selection)?.compile()?
    };
    let text = std::fs::read(listing)?;
    let mut items: Vec<(&[u8], Option<SnapshotTime>)> = Vec::new();
    for line in text.split(|&b| b == b'\n') {
        let Some(blob) = parse_line(line)? else {
            continue;
        };
        // The canonical path is the line up to the end of the name.
        let end = blob.name.as_ptr() as usize - line.as_ptr() as usize + blob.name.len();
        items.push((&line[..end], blob.snapshot));
    }
    let mut times = Vec::with_capacity(passes);
    let mut selected = 0;
    for _ in 0..passes {
        let start = Instant::now();
        selected = matcher.cursor().find_all(&items).flatten().count();
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{selected} of {} selected; median pass {:.1} ms ({passes} passes)",
        items.len(),
        times[passes / 2]
    );
    Ok(())
}
