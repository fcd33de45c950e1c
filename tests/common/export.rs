//! A test export: blobs with their bytes, written as the service would
//! (a drive's files, its manifest with real MD5s, a copy log), and the
//! selection and listing that go with them. Used by `tests/verify_cli.rs`
//! and the live repair tests.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use md5::{Digest, Md5};

/// How a blob's bytes are listed in the manifest.
#[derive(Clone, Debug)]
pub enum Shape {
    /// Blocks of this size (the last one shorter).
    Blocks(u64),
    /// Page ranges (offset, length); the rest of the blob is zeros.
    Pages(Vec<(u64, u64)>),
}

/// One exported blob.
#[derive(Clone, Debug)]
pub struct Blob {
    pub container: String,
    pub name: String,
    pub snapshot: Option<String>,
    pub data: Vec<u8>,
    pub shape: Shape,
    /// The file on the drive, with `/` (written with `\` in the manifest).
    pub file: String,
    /// Whether the selection selects it (an unexpected blob is not).
    pub selected: bool,
}

impl Blob {
    pub fn path(&self) -> String {
        format!("/{}/{}", self.container, self.name)
    }

    /// (offset, length) of its blocks or page ranges.
    pub fn ranges(&self) -> Vec<(u64, u64)> {
        match &self.shape {
            Shape::Blocks(size) => {
                let len = self.data.len() as u64;
                let mut out = Vec::new();
                let mut at = 0;
                while at < len {
                    let n = (*size).min(len - at);
                    out.push((at, n));
                    at += n;
                }
                out
            }
            Shape::Pages(r) => r.clone(),
        }
    }

    fn properties(&self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Properties><Content-Length>{}</Content-Length></Properties>\n",
            self.data.len()
        )
    }
}

/// Bytes that differ from blob to blob and from place to place.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A page blob's bytes: `bytes` where the ranges are, zeros elsewhere.
pub fn paged(seed: u64, len: usize, ranges: &[(u64, u64)]) -> Vec<u8> {
    let mut data = vec![0; len];
    let fill = bytes(seed, len);
    for &(o, l) in ranges {
        let (o, l) = (o as usize, l as usize);
        data[o..o + l].copy_from_slice(&fill[o..o + l]);
    }
    data
}

pub fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data).iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02X}");
        s
    })
}

/// The usual test export: block blobs of several blocks, a page blob with
/// gaps, one in `$root`, a snapshot, and one blob that is not selected.
pub fn standard(container: &str) -> Vec<Blob> {
    let c = container.to_string();
    let blob = |name: &str, data: Vec<u8>, shape: Shape| Blob {
        container: c.clone(),
        name: name.into(),
        snapshot: None,
        file: format!("{c}/{name}"),
        data,
        shape,
        selected: true,
    };
    let pages = vec![(0, 1024), (4096, 512), (6144, 2048)];
    let mut out = vec![
        blob(
            "a/four-blocks.bin",
            bytes(1, 4 * 4096 + 100),
            Shape::Blocks(4096),
        ),
        blob(
            "b/three-blocks.bin",
            bytes(2, 3 * 4096),
            Shape::Blocks(4096),
        ),
        blob("c/gone.bin", bytes(3, 5000), Shape::Blocks(2048)),
        blob("d/dropped.bin", bytes(4, 3000), Shape::Blocks(1024)),
        blob("e/failed.bin", bytes(5, 9000), Shape::Blocks(4096)),
        blob("disk.vhd", paged(6, 16384, &pages), Shape::Pages(pages)),
        Blob {
            container: "$root".into(),
            name: format!("{c}-logo.bmp"),
            snapshot: None,
            file: format!("$root/{c}-logo.bmp"),
            data: bytes(7, 600),
            shape: Shape::Blocks(4096),
            selected: true,
        },
    ];
    let mut snap = blob("f/plan.xlsx", bytes(8, 1000), Shape::Blocks(4096));
    snap.snapshot = Some("2011-03-09T01:42:34.9360000Z".into());
    snap.file = format!("{c}/f/plan (2011-03-09T01-42-34.9360000Z).xlsx");
    out.push(snap);
    let mut extra = blob("zz/not-selected.bin", bytes(9, 700), Shape::Blocks(4096));
    extra.selected = false;
    out.push(extra);
    out
}

/// A selection of the standard export: its container, the `$root` blob,
/// and the snapshot (selected by prefix already); `zz/` left out.
pub fn selection(container: &str) -> String {
    format!(
        "<BlobList>\n  <BlobPathPrefix>/{container}/a/</BlobPathPrefix>\n  \
         <BlobPathPrefix>/{container}/b/</BlobPathPrefix>\n  \
         <BlobPathPrefix>/{container}/c/</BlobPathPrefix>\n  \
         <BlobPathPrefix>/{container}/d/</BlobPathPrefix>\n  \
         <BlobPathPrefix>/{container}/e/</BlobPathPrefix>\n  \
         <BlobPathPrefix>/{container}/f/</BlobPathPrefix>\n  \
         <BlobPath>{container}/disk.vhd</BlobPath>\n  \
         <BlobPath>$root/{container}-logo.bmp</BlobPath>\n</BlobList>\n"
    )
}

/// The listing (jsonl, with sizes) of `blobs`.
pub fn listing(blobs: &[Blob]) -> String {
    let mut out = String::new();
    for b in blobs {
        let snap = b
            .snapshot
            .as_ref()
            .map_or(String::new(), |s| format!(", \"snapshot\": \"{s}\""));
        let kind = match b.shape {
            Shape::Blocks(_) => "BlockBlob",
            Shape::Pages(_) => "PageBlob",
        };
        writeln!(
            out,
            "{{\"path\": \"{}\", \"size\": {}, \"blob_type\": \"{kind}\"{snap}}}",
            b.path(),
            b.data.len()
        )
        .unwrap();
    }
    out
}

/// Writes the blobs' files and properties files under `drive`.
pub fn write_drive(drive: &Path, blobs: &[Blob]) {
    for b in blobs {
        let file = drive.join(&b.file);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(&file, &b.data).unwrap();
        fs::write(drive.join(format!("{}.properties", b.file)), b.properties()).unwrap();
    }
}

fn backslashes(file: &str) -> String {
    format!("\\{}", file.replace('/', "\\"))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;")
}

/// The drive manifest of `blobs` on drive `drive_id`, with real MD5s.
/// The arguments of `blobsel verify` of a test export's `selection.xml`
/// against its `listing.jsonl`, then `more`.
pub fn verify_args<'a>(more: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["verify", "selection.xml", "listing.jsonl"];
    args.extend_from_slice(more);
    args
}

/// The elements of a `<Blob>` a manifest and a copy log both begin with:
/// `BlobPath`, `FilePath`, `Snapshot` and `Length`, each line indented by
/// `indent`.
fn blob_head(x: &mut String, b: &Blob, indent: &str) {
    writeln!(
        x,
        "{indent}<BlobPath>{}/{}</BlobPath>",
        b.container,
        escape(&b.name)
    )
    .unwrap();
    writeln!(
        x,
        "{indent}<FilePath>{}</FilePath>",
        escape(&backslashes(&b.file))
    )
    .unwrap();
    if let Some(s) = &b.snapshot {
        writeln!(x, "{indent}<Snapshot>{s}</Snapshot>").unwrap();
    }
    writeln!(x, "{indent}<Length>{}</Length>", b.data.len()).unwrap();
}

pub fn manifest(drive_id: &str, blobs: &[Blob]) -> String {
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<DriveManifest Version=\"2014-11-01\">\n  <Drive>\n    \
         <DriveId>{drive_id}</DriveId>\n    <ClientCreator>Windows Azure Import/Export service</ClientCreator>\n    <BlobList>\n"
    );
    for b in blobs {
        writeln!(x, "      <Blob>").unwrap();
        blob_head(&mut x, b, "        ");
        let (list, item) = match b.shape {
            Shape::Blocks(_) => ("BlockList", "Block"),
            Shape::Pages(_) => ("PageRangeList", "PageRange"),
        };
        writeln!(x, "        <{list}>").unwrap();
        for (i, (o, l)) in b.ranges().into_iter().enumerate() {
            let hash = md5_hex(&b.data[o as usize..(o + l) as usize]);
            let id = match b.shape {
                Shape::Blocks(_) => format!(" Id=\"{}\"", block_id(i)),
                Shape::Pages(_) => String::new(),
            };
            writeln!(
                x,
                "          <{item} Offset=\"{o}\" Length=\"{l}\"{id} Hash=\"{hash}\" />"
            )
            .unwrap();
        }
        writeln!(x, "        </{list}>").unwrap();
        writeln!(
            x,
            "        <PropertiesPath Hash=\"{}\">{}.properties</PropertiesPath>",
            md5_hex(b.properties().as_bytes()),
            escape(&backslashes(&b.file))
        )
        .unwrap();
        writeln!(x, "      </Blob>").unwrap();
    }
    x.push_str("    </BlobList>\n  </Drive>\n</DriveManifest>\n");
    x
}

pub fn block_id(i: usize) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode((i as u32).to_le_bytes())
}

/// An error log of drive `drive_id`: the ranges `failed` ((blob, range)
/// indexes) failed; the drive completed with errors.
pub fn error_log(drive_id: &str, blobs: &[Blob], failed: &[(usize, usize)]) -> String {
    let mut x = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<DriveLog Version=\"2014-11-01\">\n  <DriveId>{drive_id}</DriveId>\n"
    );
    let mut by_blob: Vec<usize> = failed.iter().map(|f| f.0).collect();
    by_blob.dedup();
    for bi in by_blob {
        let b = &blobs[bi];
        writeln!(x, "  <Blob Status=\"CompletedWithErrors\">").unwrap();
        blob_head(&mut x, b, "    ");
        writeln!(x, "    <BlockList>").unwrap();
        for &(_, ri) in failed.iter().filter(|f| f.0 == bi) {
            let (o, l) = b.ranges()[ri];
            writeln!(
                x,
                "      <Block Offset=\"{o}\" Length=\"{l}\" Id=\"{}\" Status=\"Failed\" />",
                block_id(ri)
            )
            .unwrap();
        }
        writeln!(x, "    </BlockList>\n  </Blob>").unwrap();
    }
    let status = if failed.is_empty() {
        "Completed"
    } else {
        "CompletedWithErrors"
    };
    writeln!(x, "  <Status>{status}</Status>\n</DriveLog>").unwrap();
    x
}
