//! The helper of `benches/live_listing.sh`: seeds Azurite with a large
//! account, and runs a proxy that adds latency to every request, as a
//! far-away storage account has.
//!
//!   live_bench seed URL CONTAINERS BLOBS_EACH   # idempotent; prints the selection XML
//!   live_bench proxy URL DELAY_MS               # prints the proxied URL, serves until killed
//!
//! Layout per container: `dNN/sMM/blob-NNNNN`, 20 top directories of 5
//! subdirectories each, so a listing can be split by virtual directory.

#[cfg(feature = "remote")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("seed") if args.len() == 5 => seed(&args[2], args[3].parse()?, args[4].parse()?),
        Some("proxy") if args.len() == 4 => proxy(&args[2], args[3].parse()?),
        _ => Err("usage: live_bench seed URL CONTAINERS BLOBS_EACH | proxy URL DELAY_MS".into()),
    }
}

#[cfg(not(feature = "remote"))]
fn main() {
    eprintln!("live_bench needs the `remote` feature");
}

#[cfg(feature = "remote")]
fn seed(url: &str, containers: usize, each: usize) -> Result<(), Box<dyn std::error::Error>> {
    use blobsel::remote::{ClientBuilder, Credential, DEVELOPMENT_ACCOUNT, DEVELOPMENT_KEY};
    let mut b = ClientBuilder::new(url);
    b.credential(Credential::shared_key(
        DEVELOPMENT_ACCOUNT,
        DEVELOPMENT_KEY,
    )?);
    let client = b.build()?;
    let name = |c: usize| format!("bench-live-{containers}x{each}-{c}");
    let done = format!("{}/done", name(containers - 1));
    if client
        .request("GET", &done, &[], &[], b"", "check")
        .is_err()
    {
        let put = |path: &str| {
            client.request(
                "PUT",
                path,
                &[],
                &[("x-ms-blob-type", "BlockBlob")],
                b"x",
                "Put Blob",
            )
        };
        for c in 0..containers {
            let r = client.request(
                "PUT",
                &name(c),
                &[("restype", "container")],
                &[],
                b"",
                "Create Container",
            );
            if let Err(e) = r {
                if !e.to_string().contains("ContainerAlreadyExists") {
                    return Err(e.into());
                }
            }
            let threads = 16;
            std::thread::scope(|s| {
                for t in 0..threads {
                    let (put, name) = (&put, &name);
                    s.spawn(move || {
                        for i in (t..each).step_by(threads) {
                            let path =
                                format!("{}/d{:02}/s{}/blob-{i:05}", name(c), i % 20, (i / 20) % 5);
                            put(&path).expect("Put Blob");
                        }
                    });
                }
            });
            eprintln!("seeded {} ({each} blobs)", name(c));
        }
        put(&done)?;
    }
    println!(
        "<BlobList><BlobPathPrefix>/bench-live-{containers}x{each}-</BlobPathPrefix></BlobList>"
    );
    Ok(())
}

/// Forwards each request to `url`'s host after `delay_ms`: the live tests'
/// loopback proxy (`tests/support/proxy.rs`), with no faults scripted.
#[cfg(feature = "remote")]
fn proxy(url: &str, delay_ms: u64) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::Write;
    if !url.starts_with("http://") {
        return Err("an http:// URL".into());
    }
    let delay = std::time::Duration::from_millis(delay_ms);
    let proxy = test_proxy::Proxy::start_slow(Some(url), &[], delay);
    println!("{}", proxy.url);
    std::io::stdout().flush()?;
    // Serves (on its own threads) until this process is killed.
    loop {
        std::thread::park();
    }
}

#[cfg(feature = "remote")]
#[allow(dead_code)] // the faults and request log serve the tests, not this
#[path = "../tests/support/proxy.rs"]
mod test_proxy;
