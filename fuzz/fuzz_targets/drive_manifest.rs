//! Raw bytes into the drive manifest and copy log readers (`blobsel::verify`).
//! Never a panic; on success every blob is valid: its path names a blob,
//! its files stay inside the drive, its blocks cover `Length` in order with
//! no gap, its page ranges are in order, apart, and end within `Length`.
//! Reading whole, through a one-byte buffer and in parts on threads gives
//! the same answer, and the streaming reader the same blobs.

#![no_main]

use std::io::BufReader;
use std::path::{Component, Path};

use blobsel::verify::{DriveLog, DriveManifest, Layout, ManifestBlob, ManifestReader};
use blobsel::BlobPath;
use libfuzzer_sys::fuzz_target;

#[path = "../common/mod.rs"]
mod common;

const TARGET: &str = "drive_manifest";

fuzz_target!(|data: &[u8]| {
    if data.len() > common::MAX_INPUT {
        return;
    }
    let fail = |what: String| -> ! { common::fail(TARGET, data, &what) };

    let whole = DriveManifest::read(data, "d.manifest");
    let tiny = DriveManifest::read(BufReader::with_capacity(1, data), "d.manifest");
    if whole != tiny {
        fail(format!(
            "whole and byte-by-byte reads differ:\n{whole:?}\n{tiny:?}"
        ));
    }
    for parts in [2, 3, 7] {
        let split = DriveManifest::read_in_parts(data, "d.manifest", parts);
        if whole != split {
            fail(format!(
                "whole and {parts}-part reads differ:\n{whole:?}\n{split:?}"
            ));
        }
    }
    match &whole {
        Err(e) => {
            let _ = e.to_string();
            if e.source_name() != Some("d.manifest") || e.position().is_none() {
                fail(format!("an error without its source or position: {e}"));
            }
        }
        Ok(m) => {
            if m.drive_id.is_empty() {
                fail("an accepted manifest without a DriveId".into());
            }
            for b in &m.blobs {
                check_blob(b).unwrap_or_else(|what| fail(format!("{}: {what}", b.path)));
            }
            let mut reader = ManifestReader::new(data, "d.manifest");
            let mut blob = ManifestBlob::default();
            let mut streamed = Vec::new();
            while reader
                .read_blob(&mut blob)
                .unwrap_or_else(|e| fail(format!("{e}")))
            {
                streamed.push(blob.clone());
            }
            if streamed != m.blobs {
                fail("the streaming reader read other blobs".into());
            }
        }
    }

    let whole = DriveLog::read(data, "d.log");
    let tiny = DriveLog::read(BufReader::with_capacity(1, data), "d.log");
    if whole != tiny {
        fail(format!(
            "copy log: whole and byte-by-byte reads differ:\n{whole:?}\n{tiny:?}"
        ));
    }
    match whole {
        Err(e) => {
            let _ = e.to_string();
        }
        Ok(log) => {
            for b in &log.blobs {
                if BlobPath::parse(&b.path).is_err() {
                    fail(format!("copy log: invalid blob path {:?} accepted", b.path));
                }
            }
            let _ = log.unknown_statuses();
        }
    }
});

fn inside(file: &Path) -> bool {
    file.components().count() > 0 && file.components().all(|c| matches!(c, Component::Normal(_)))
}

fn check_blob(b: &ManifestBlob) -> Result<(), String> {
    let path = BlobPath::parse(&b.path).map_err(|e| format!("invalid path: {e}"))?;
    if path.container.len() != b.container_len || b.container() != path.container {
        return Err("container_len does not match the path".into());
    }
    if !inside(&b.file()) {
        return Err(format!("file {:?} is not inside the drive", b.file()));
    }
    for side in b.metadata.iter().chain(&b.properties) {
        if !inside(&side.file()) {
            return Err(format!("side file {:?} is not inside the drive", side.file()));
        }
    }
    let mut end = 0u64;
    for (i, r) in b.ranges.iter().enumerate() {
        let Some(r_end) = r.offset.checked_add(r.length) else {
            return Err("a range past u64".into());
        };
        match b.layout {
            Layout::Blocks if r.offset != end => {
                return Err(format!("block {i} at {} after {end}", r.offset))
            }
            Layout::Pages if r.offset < end => {
                return Err(format!("page range {i} at {} overlaps {end}", r.offset))
            }
            _ => {}
        }
        end = r_end;
    }
    match b.layout {
        Layout::Blocks if end != b.length => {
            Err(format!("blocks cover {end}, Length {}", b.length))
        }
        Layout::Pages if end > b.length => {
            Err(format!("page ranges end at {end}, Length {}", b.length))
        }
        _ => Ok(()),
    }
}
