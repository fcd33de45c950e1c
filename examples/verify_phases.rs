//! The phases of `verify` on a big manifest, timed apart (for
//! BENCHMARKS.md; `benches/verify.sh` writes the inputs):
//!
//! ```sh
//! cargo run --release --example verify_phases -- MANIFEST LISTING.txt
//! ```

use std::fs::File;
use std::io::BufReader;
use std::time::Instant;

use blobsel::listing::LinesReader;
use blobsel::verify::{Drive, DriveManifest, Expected, Verification};
use blobsel::{ListingEntry, ListingReader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [manifest, listing] = args.as_slice() else {
        return Err("usage: verify_phases MANIFEST LISTING.txt".into());
    };
    let t = Instant::now();
    let m = DriveManifest::read_bytes(&std::fs::read(manifest)?, manifest)?;
    let read = t.elapsed();
    let t = Instant::now();
    let mut reader = LinesReader::new(BufReader::new(File::open(listing)?), listing.as_str());
    let mut entry = ListingEntry::default();
    let mut expected = Vec::new();
    while reader.read_entry(&mut entry)? {
        expected.push(Expected::from_entry(&entry));
    }
    let listed = t.elapsed();
    let t = Instant::now();
    let report = Verification::new(&expected).drive(Drive::new(&m)).run()?;
    let reconciled = t.elapsed();
    println!(
        "{} blobs: manifest read {read:.2?}, listing read {listed:.2?}, reconciled {reconciled:.2?}; {} findings",
        m.blobs.len(),
        report.findings.len()
    );
    Ok(())
}
