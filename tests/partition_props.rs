//! Nothing lost: over random selections and random listings, in every
//! listing format, `preview` and `preview --invert` partition the listing
//! exactly — disjoint, together the whole input, each in input order — and
//! `preview` prints exactly what the library's matcher selects.

use std::path::Path;
use std::process::Command;

use blobsel::{Selection, SnapshotTime};
use proptest::prelude::*;

const CONTAINERS: [&str; 5] = ["bob", "bobkids", "$root", "pics", "p1cs"];
const NAMES: [&str; 6] = ["a", "a/b", "ab", "é/x", "a&b<c>", "2024/01/x.log"];
const TIMES: [&str; 3] = [
    "2011-03-09T01:42:34.936Z",
    "2011-03-09T01:42:34.9360000Z",
    "2024-01-01T00:00:00Z",
];

#[derive(Clone, Debug)]
struct Row {
    container: &'static str,
    name: &'static str,
    snapshot: Option<&'static str>,
}

impl Row {
    fn path(&self) -> String {
        format!("/{}/{}", self.container, self.name)
    }
}

fn row() -> impl Strategy<Value = Row> {
    (
        0..CONTAINERS.len(),
        0..NAMES.len(),
        prop::option::of(0..TIMES.len()),
    )
        .prop_map(|(c, n, t)| Row {
            container: CONTAINERS[c],
            name: NAMES[n],
            snapshot: t.map(|t| TIMES[t]),
        })
}

fn rule() -> impl Strategy<Value = String> {
    let escape = |s: String| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    prop_oneof![
        (0..CONTAINERS.len(), 0..4usize).prop_map(move |(c, cut)| {
            let full = format!("/{}/", CONTAINERS[c]);
            let keep = full.len().saturating_sub(cut).max(1);
            format!(
                "<BlobPathPrefix>{}</BlobPathPrefix>",
                escape(full[..keep].to_string())
            )
        }),
        (0..CONTAINERS.len(), 0..NAMES.len(), 0..4usize).prop_map(move |(c, n, attr)| {
            let a = match attr {
                0 => String::new(),
                1 => " IncludeSnapshots=\"false\"".to_string(),
                2 => " IncludeSnapshots=\"1\"".to_string(),
                _ => format!(" SnapshotTime=\"{}\"", TIMES[n % TIMES.len()]),
            };
            format!(
                "<BlobPath{a}>{}/{}</BlobPath>",
                CONTAINERS[c],
                escape(NAMES[n].to_string())
            )
        }),
    ]
}

/// The listing in `format`, and the printed line of each row.
fn write_listing(dir: &Path, format: &str, rows: &[Row]) -> (String, Vec<String>) {
    let canonical = |r: &Row| match r.snapshot {
        Some(t) => format!("{}\t{}", r.path(), t),
        None => r.path(),
    };
    let (file, text) = match format {
        "lines" => (
            "l.txt",
            rows.iter().map(|r| canonical(r) + "\n").collect::<String>(),
        ),
        "jsonl" => (
            "l.jsonl",
            rows.iter()
                .map(|r| {
                    serde_json::json!({"path": r.path(), "snapshot": r.snapshot}).to_string() + "\n"
                })
                .collect(),
        ),
        "csv" => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(["Name", "Snapshot"]).unwrap();
            for r in rows {
                w.write_record([
                    format!("{}/{}", r.container, r.name),
                    r.snapshot.unwrap_or("").to_string(),
                ])
                .unwrap();
            }
            ("l.csv", String::from_utf8(w.into_inner().unwrap()).unwrap())
        }
        _ => {
            // One List Blobs page per run of rows in the same container.
            let mut xml = String::new();
            for group in rows.chunk_by(|a, b| a.container == b.container) {
                xml.push_str(&format!(
                    "<?xml version=\"1.0\"?><EnumerationResults ContainerName=\"{}\"><Blobs>",
                    group[0].container
                ));
                for r in group {
                    let name = r
                        .name
                        .replace('&', "&amp;")
                        .replace('<', "&lt;")
                        .replace('>', "&gt;");
                    let snap = r
                        .snapshot
                        .map(|t| format!("<Snapshot>{t}</Snapshot>"))
                        .unwrap_or_default();
                    xml.push_str(&format!("<Blob><Name>{name}</Name>{snap}<Properties><Content-Length>1</Content-Length><BlobType>BlockBlob</BlobType></Properties></Blob>"));
                }
                xml.push_str("</Blobs><NextMarker/></EnumerationResults>\n");
            }
            ("l.xml", xml)
        }
    };
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    let printed = rows
        .iter()
        .map(|r| match (format, r.snapshot) {
            ("lines", _) => canonical(r),
            (_, Some(t)) => format!("{}\t{}", r.path(), t.parse::<SnapshotTime>().unwrap()),
            (_, None) => r.path(),
        })
        .collect();
    (path.display().to_string(), printed)
}

fn preview(sel: &str, listing: &str, invert: bool) -> Vec<String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_blobsel"));
    cmd.args(["preview", sel, listing]);
    if invert {
        cmd.arg("--invert");
    }
    let out = cmd.output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn preview_and_invert_partition_every_format(
        rules in prop::collection::vec(rule(), 0..6),
        rows in prop::collection::vec(row(), 1..40),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let xml = format!("<BlobList>{}</BlobList>", rules.concat());
        let sel = dir.path().join("sel.xml");
        std::fs::write(&sel, &xml).unwrap();
        let sel = sel.display().to_string();
        let matcher = Selection::parse(xml.as_bytes(), "sel.xml").unwrap().compile().unwrap();
        let selected: Vec<bool> = rows
            .iter()
            .map(|r| matcher.find_path(r.path().as_bytes(), r.snapshot.map(|t| t.parse().unwrap())).is_some())
            .collect();
        for format in ["lines", "jsonl", "csv", "xml"] {
            let (listing, printed) = write_listing(dir.path(), format, &rows);
            let yes = preview(&sel, &listing, false);
            let no = preview(&sel, &listing, true);
            let want_yes: Vec<String> = printed.iter().zip(&selected).filter(|(_, s)| **s).map(|(p, _)| p.clone()).collect();
            let want_no: Vec<String> = printed.iter().zip(&selected).filter(|(_, s)| !**s).map(|(p, _)| p.clone()).collect();
            prop_assert_eq!(&yes, &want_yes, "{} preview\n{}", format, xml);
            prop_assert_eq!(&no, &want_no, "{} preview --invert\n{}", format, xml);
            // Interleaved back by input order they are the listing.
            let (mut i, mut j) = (0, 0);
            for (p, s) in printed.iter().zip(&selected) {
                let got = if *s { i += 1; &yes[i - 1] } else { j += 1; &no[j - 1] };
                prop_assert_eq!(got, p);
            }
        }
    }
}
