//! docs/semantics.md §1–§3 as tables of cases.
//!
//! Every selection case is parsed, compiled, and matched through every code
//! path: the fresh matcher (`find_path` and `find`), the serialized and
//! reloaded matcher, and `find_batch` on both; every answer (including which
//! rule selects) is also checked against the naive reference model in
//! `tests/common/oracle.rs`. Every error case asserts the error kind and its
//! `line:column`, computed by hand from the fixture text. Every fixture is
//! also read one byte per `read` call, to hit every chunk boundary.

mod common {
    pub mod matcher;
    pub mod oracle;
    pub mod selection;
}

use blobsel::{
    ErrorKind, Form, Matcher, MatcherBuilder, ParseOptions, Position, RuleId, RuleKind, RuleStatus,
    Selection, SnapshotTime,
};
use common::matcher::exercise;
use common::oracle::{self, RefBlob, RefRule, Reference};
use common::selection::{key, keys, OneByte};

// ---------------------------------------------------------------------------
// Harness

fn snap(s: &str) -> SnapshotTime {
    s.parse()
        .unwrap_or_else(|e| panic!("bad snapshot in test: {s}: {e}"))
}

/// `prefix /bob/`, `path /c/b`, `base /c/b` (IncludeSnapshots=false),
/// `snap@TIME /c/b` (SnapshotTime=TIME, compared as an instant).
fn expected_rule(s: &str) -> (RuleKind, String) {
    let (head, text) = s.split_once(' ').expect("kind and text");
    let kind = match head {
        "prefix" => RuleKind::Prefix,
        "path" => RuleKind::Path,
        "base" => RuleKind::PathWithoutSnapshots,
        _ => RuleKind::Snapshot(snap(head.strip_prefix("snap@").expect("snap@TIME"))),
    };
    (kind, text.to_string())
}

/// `E` effective, `D3` duplicate of rule 3, `C1` covered by rule 1.
fn expected_status(s: &str) -> RuleStatus {
    let id = || RuleId(s[1..].parse().expect("rule id"));
    match &s[..1] {
        "E" => RuleStatus::Effective,
        "D" => RuleStatus::Duplicate { of: id() },
        "C" => RuleStatus::Covered { by: id() },
        _ => panic!("bad status {s}"),
    }
}

fn parse(name: &str, doc: &str) -> Selection {
    Selection::parse(doc.as_bytes(), name)
        .unwrap_or_else(|e| panic!("{name}: should parse, got {e} ({:?})", e.kind()))
}

fn reference_of(sel: &Selection) -> Reference {
    let rules = sel
        .rules()
        .expect("rules")
        .iter()
        .map(|r| RefRule::new(r.kind(), r.text()))
        .collect();
    Reference::with_container(rules, sel.container_sas())
}

/// Container and blob name of a canonical path (`None`: no second `/`).
fn split(path: &str) -> Option<(&str, &str)> {
    path.strip_prefix('/')?.split_once('/')
}

/// Matches `blobs` through every code path and checks each answer against
/// the table and the reference model.
fn check_matching(name: &str, sel: &Selection, blobs: &[(&str, Option<&str>, Option<usize>)]) {
    let reference = reference_of(sel);
    let m = sel
        .compile()
        .unwrap_or_else(|e| panic!("{name}: compile: {e}"));
    let loaded = Matcher::from_bytes(m.as_bytes().to_vec())
        .unwrap_or_else(|e| panic!("{name}: reload: {e}"));
    let mut items = Vec::new();
    let mut want = Vec::new();
    for &(path, snapshot, expected) in blobs {
        let s = snapshot.map(snap);
        let expected = expected.map(|i| RuleId(i as u32));
        let ctx = format!("{name}: blob {path} snapshot {snapshot:?}");
        let r = reference.chosen(&RefBlob::new(path, s));
        assert_eq!(
            r.map(|i| RuleId(i as u32)),
            expected,
            "{ctx}: the table and the reference model disagree"
        );
        assert_eq!(
            reference.selected(&RefBlob::new(path, s)),
            expected.is_some(),
            "{ctx}: reference selected() vs chosen()"
        );
        assert_eq!(
            m.find_path(path.as_bytes(), s),
            expected,
            "{ctx}: find_path"
        );
        assert_eq!(
            loaded.find_path(path.as_bytes(), s),
            expected,
            "{ctx}: find_path on the reloaded matcher"
        );
        assert_eq!(
            m.find_unrooted(&path.as_bytes()[1..], s),
            expected,
            "{ctx}: find_unrooted"
        );
        if let Some((c, b)) = split(path) {
            assert_eq!(m.find(c, b, s), expected, "{ctx}: find(container, name)");
            assert_eq!(loaded.find(c, b, s), expected, "{ctx}: reloaded find");
        }
        items.push((path.as_bytes().to_vec(), s));
        want.push(expected);
    }
    let mut out = Vec::new();
    m.find_batch(&items, &mut out);
    assert_eq!(out, want, "{name}: find_batch");
    loaded.find_batch(&items, &mut out);
    assert_eq!(out, want, "{name}: find_batch on the reloaded matcher");
}

fn check_statuses(name: &str, sel: &Selection, statuses: &str) {
    if statuses.is_empty() {
        return;
    }
    let m = sel.compile().expect("compile");
    let loaded = Matcher::from_bytes(m.as_bytes().to_vec()).expect("reload");
    let want: Vec<RuleStatus> = statuses.split(' ').map(expected_status).collect();
    let got: Vec<RuleStatus> = m.rules().map(|r| r.status).collect();
    assert_eq!(got, want, "{name}: rule statuses");
    let got: Vec<RuleStatus> = loaded.rules().map(|r| r.status).collect();
    assert_eq!(got, want, "{name}: rule statuses after reload");
}

// ---------------------------------------------------------------------------
// Selection cases: a document, the rules it yields, their statuses, and
// blobs with the rule expected to select each (None: not selected).

struct Case {
    name: &'static str,
    doc: &'static str,
    rules: &'static [&'static str],
    /// Expected statuses, space-separated (empty: not checked).
    status: &'static str,
    blobs: &'static [(&'static str, Option<&'static str>, Option<usize>)],
}

const T: &str = "2011-03-09T01:42:34.9360000Z";
const T_SHORT: &str = "2011-03-09T01:42:34.936Z";
const T_SIX: &str = "2011-03-09T01:42:34.936000Z";
const T_NEXT: &str = "2011-03-09T01:42:34.9360001Z";
const T_OTHER: &str = "2024-01-01T00:00:00Z";

const FOUR_FORMS_RULES: &[&str] = &["path /c00/a.jpg", "path /$root/logo.bmp", "prefix /bob/"];
const FOUR_FORMS_BLOBS: &[(&str, Option<&str>, Option<usize>)] = &[
    ("/c00/a.jpg", None, Some(0)),
    ("/c00/a.jpg", Some(T_SHORT), Some(0)),
    ("/$root/logo.bmp", Some(T), Some(1)),
    ("/bob/x", None, Some(2)),
    ("/bobkids/x", None, None),
    ("/c00/a.jpg2", None, None),
];

const CASES: &[Case] = &[
    // --- docs/semantics.md §3: the normative prefix table --------------------------------
    Case {
        name: "prefix /picturecontainer",
        doc: "<BlobList><BlobPathPrefix>/picturecontainer</BlobPathPrefix></BlobList>",
        rules: &["prefix /picturecontainer"],
        status: "E",
        blobs: &[
            ("/picturecontainer/image.png", None, Some(0)),
            ("/picturecontainer/a/b/c", Some(T), Some(0)),
            ("/picturecontainer2/x", None, Some(0)),
            ("/picturecontainers/x", Some(T_OTHER), Some(0)),
            ("/picture/x", None, None),
            ("/$root/picturecontainer", None, None),
            ("/other/picturecontainer/x", None, None),
        ],
    },
    Case {
        name: "prefix /bob",
        doc: "<BlobList><BlobPathPrefix>/bob</BlobPathPrefix></BlobList>",
        rules: &["prefix /bob"],
        status: "E",
        blobs: &[
            ("/bob/a", None, Some(0)),
            ("/bob/kids/x", Some(T), Some(0)),
            ("/bobkids/a", None, Some(0)),
            ("/bobkids/a", Some(T_SHORT), Some(0)),
            ("/alice/bob", None, None),
            ("/$root/bob", None, None),
            ("/abc/x", None, None),
        ],
    },
    Case {
        name: "prefix /bob/",
        doc: "<BlobList><BlobPathPrefix>/bob/</BlobPathPrefix></BlobList>",
        rules: &["prefix /bob/"],
        status: "E",
        blobs: &[
            ("/bob/a", None, Some(0)),
            ("/bob/kids/x", Some(T), Some(0)),
            ("/bobkids/a", None, None),
            ("/bobkids/bob/a", None, None),
        ],
    },
    Case {
        name: "prefix /picturecontainer/image",
        doc: "<BlobList><BlobPathPrefix>/picturecontainer/image</BlobPathPrefix></BlobList>",
        rules: &["prefix /picturecontainer/image"],
        status: "E",
        blobs: &[
            ("/picturecontainer/image", None, Some(0)),
            ("/picturecontainer/image.png", None, Some(0)),
            ("/picturecontainer/image2.png", None, Some(0)),
            ("/picturecontainer/image/photo.png", None, Some(0)),
            ("/picturecontainer/imagefiles/photo.png", None, Some(0)),
            ("/picturecontainer/image.png", Some(T), Some(0)),
            ("/picturecontainer/Image.png", None, None),
            ("/picturecontainer/imag", None, None),
            ("/picturecontainer/photo/image.png", None, None),
            ("/picturecontainer2/image.png", None, None),
            ("/picturecontainer/ image.png", None, None),
        ],
    },
    Case {
        name: "prefix /$root/",
        doc: "<BlobList><BlobPathPrefix>/$root/</BlobPathPrefix></BlobList>",
        rules: &["prefix /$root/"],
        status: "E",
        blobs: &[
            ("/$root/logo.bmp", None, Some(0)),
            ("/$root/a/b", Some(T), Some(0)),
            ("/$logs/x", None, None),
            ("/root/x", None, None),
        ],
    },
    Case {
        name: "prefix /",
        doc: "<BlobList><BlobPathPrefix>/</BlobPathPrefix></BlobList>",
        rules: &["prefix /"],
        status: "E",
        blobs: &[
            ("/$root/logo.bmp", None, Some(0)),
            ("/$logs/x", None, Some(0)),
            ("/bob/a", Some(T), Some(0)),
            ("/a-b-c/é/日", None, Some(0)),
        ],
    },
    // --- docs/semantics.md §3: paths -------------------------------------------------------
    Case {
        name: "$root paths, with and without the leading slash",
        doc: "<BlobList>\n  <BlobPath>$root/logo.bmp</BlobPath>\n  <BlobPath>/$root/logo.bmp</BlobPath>\n</BlobList>",
        rules: &["path /$root/logo.bmp", "path /$root/logo.bmp"],
        status: "E D0",
        blobs: &[
            ("/$root/logo.bmp", None, Some(0)),
            ("/$root/logo.bmp", Some(T), Some(0)),
            ("/$root/logo.bmp2", None, None),
            ("/$root/logo.bm", None, None),
            ("/$logs/logo.bmp", None, None),
        ],
    },
    Case {
        name: "paths with and without the leading slash",
        doc: "<BlobList><BlobPath>photos/a.jpg</BlobPath><BlobPath>/photos/b.jpg</BlobPath></BlobList>",
        rules: &["path /photos/a.jpg", "path /photos/b.jpg"],
        status: "E E",
        blobs: &[
            ("/photos/a.jpg", None, Some(0)),
            ("/photos/b.jpg", Some(T), Some(1)),
            ("/photos/a.jpeg", None, None),
            ("/photos/A.jpg", None, None),
        ],
    },
    Case {
        name: "IncludeSnapshots true/1/false/0 and absent",
        doc: r#"<BlobList>
  <BlobPath IncludeSnapshots="true">c00/t</BlobPath>
  <BlobPath IncludeSnapshots="1">c00/one</BlobPath>
  <BlobPath IncludeSnapshots="false">c00/f</BlobPath>
  <BlobPath IncludeSnapshots="0">c00/zero</BlobPath>
  <BlobPath>c00/none</BlobPath>
</BlobList>"#,
        rules: &[
            "path /c00/t",
            "path /c00/one",
            "base /c00/f",
            "base /c00/zero",
            "path /c00/none",
        ],
        status: "E E E E E",
        blobs: &[
            ("/c00/t", None, Some(0)),
            ("/c00/t", Some(T), Some(0)),
            ("/c00/one", Some(T_OTHER), Some(1)),
            ("/c00/f", None, Some(2)),
            ("/c00/f", Some(T), None),
            ("/c00/zero", None, Some(3)),
            ("/c00/zero", Some(T_OTHER), None),
            ("/c00/none", None, Some(4)),
            ("/c00/none", Some(T), Some(4)),
        ],
    },
    Case {
        name: "SnapshotTime in three textual forms of one instant",
        doc: r#"<BlobList>
  <BlobPath SnapshotTime="2011-03-09T01:42:34.936Z">c00/a</BlobPath>
  <BlobPath SnapshotTime="2011-03-09T01:42:34.9360000Z">c00/a</BlobPath>
  <BlobPath SnapshotTime="2011-03-09T01:42:34.936000Z">c00/a</BlobPath>
  <BlobPath SnapshotTime="2011-03-09T01:42:34.936000Z">c00/b</BlobPath>
</BlobList>"#,
        rules: &[
            "snap@2011-03-09T01:42:34.936Z /c00/a",
            "snap@2011-03-09T01:42:34.936Z /c00/a",
            "snap@2011-03-09T01:42:34.936Z /c00/a",
            "snap@2011-03-09T01:42:34.936Z /c00/b",
        ],
        status: "E D0 D0 E",
        blobs: &[
            ("/c00/a", Some(T_SHORT), Some(0)),
            ("/c00/a", Some(T), Some(0)),
            ("/c00/a", Some(T_SIX), Some(0)),
            ("/c00/a", None, None),
            ("/c00/a", Some(T_NEXT), None),
            ("/c00/a", Some(T_OTHER), None),
            ("/c00/b", Some(T), Some(3)),
            ("/c00/b", None, None),
        ],
    },
    Case {
        name: "SnapshotTime .936Z alone",
        doc: r#"<BlobList><BlobPath SnapshotTime="2011-03-09T01:42:34.936Z">c00/a</BlobPath></BlobList>"#,
        rules: &["snap@2011-03-09T01:42:34.9360000Z /c00/a"],
        status: "E",
        blobs: &[
            ("/c00/a", Some(T), Some(0)),
            ("/c00/a", Some(T_SIX), Some(0)),
            ("/c00/a", None, None),
        ],
    },
    Case {
        name: "SnapshotTime .9360000Z alone",
        doc: r#"<BlobList><BlobPath SnapshotTime="2011-03-09T01:42:34.9360000Z">c00/a</BlobPath></BlobList>"#,
        rules: &["snap@2011-03-09T01:42:34.936Z /c00/a"],
        status: "E",
        blobs: &[
            ("/c00/a", Some(T_SHORT), Some(0)),
            ("/c00/a", Some(T_SIX), Some(0)),
            ("/c00/a", Some(T_NEXT), None),
        ],
    },
    Case {
        name: "SnapshotTime .936000Z alone",
        doc: r#"<BlobList><BlobPath SnapshotTime="2011-03-09T01:42:34.936000Z">c00/a</BlobPath></BlobList>"#,
        rules: &["snap@2011-03-09T01:42:34.936Z /c00/a"],
        status: "E",
        blobs: &[
            ("/c00/a", Some(T_SHORT), Some(0)),
            ("/c00/a", Some(T), Some(0)),
            ("/c00/a", None, None),
        ],
    },
    Case {
        name: "a path with all snapshots covers base and snapshot rules",
        doc: r#"<BlobList>
  <BlobPath IncludeSnapshots="false">c00/a</BlobPath>
  <BlobPath SnapshotTime="2011-03-09T01:42:34.936Z">c00/a</BlobPath>
  <BlobPath>c00/a</BlobPath>
  <BlobPath>/c00/a</BlobPath>
</BlobList>"#,
        rules: &[
            "base /c00/a",
            "snap@2011-03-09T01:42:34.936Z /c00/a",
            "path /c00/a",
            "path /c00/a",
        ],
        status: "C2 C2 E D2",
        blobs: &[
            ("/c00/a", None, Some(2)),
            ("/c00/a", Some(T), Some(2)),
            ("/c00/a", Some(T_OTHER), Some(2)),
        ],
    },
    Case {
        name: "base and snapshot rules without a path rule",
        doc: r#"<BlobList>
  <BlobPath SnapshotTime="2024-01-01T00:00:00Z">c00/a</BlobPath>
  <BlobPath IncludeSnapshots="false">c00/a</BlobPath>
  <BlobPath IncludeSnapshots="0">c00/a</BlobPath>
  <BlobPath SnapshotTime="2011-03-09T01:42:34.936Z">c00/a</BlobPath>
</BlobList>"#,
        rules: &[
            "snap@2024-01-01T00:00:00Z /c00/a",
            "base /c00/a",
            "base /c00/a",
            "snap@2011-03-09T01:42:34.936Z /c00/a",
        ],
        status: "E E D1 E",
        blobs: &[
            ("/c00/a", None, Some(1)),
            ("/c00/a", Some(T_OTHER), Some(0)),
            ("/c00/a", Some(T_SIX), Some(3)),
            ("/c00/a", Some(T_NEXT), None),
            ("/c00/ab", None, None),
        ],
    },
    Case {
        name: "the shortest prefix covers longer ones and paths under it",
        doc: r#"<BlobList>
  <BlobPath>bob/a</BlobPath>
  <BlobPathPrefix>/bob/</BlobPathPrefix>
  <BlobPathPrefix>/bob</BlobPathPrefix>
  <BlobPathPrefix>/bob</BlobPathPrefix>
  <BlobPath SnapshotTime="2011-03-09T01:42:34.936Z">bobkids/x</BlobPath>
  <BlobPath>bobby/x</BlobPath>
</BlobList>"#,
        rules: &[
            "path /bob/a",
            "prefix /bob/",
            "prefix /bob",
            "prefix /bob",
            "snap@2011-03-09T01:42:34.936Z /bobkids/x",
            "path /bobby/x",
        ],
        status: "C2 C2 E D2 C2 C2",
        blobs: &[
            ("/bob/a", None, Some(2)),
            ("/bobkids/x", Some(T), Some(2)),
            ("/bobkids/y", None, Some(2)),
            ("/bobby/x", None, Some(2)),
            ("/bo0/x", None, None),
        ],
    },
    Case {
        name: "an exact path equal to a prefix, and one under it",
        doc: r#"<BlobList>
  <BlobPath>c00/a</BlobPath>
  <BlobPathPrefix>/c00/a</BlobPathPrefix>
  <BlobPath IncludeSnapshots="false">c00/ab</BlobPath>
  <BlobPath>c00/b</BlobPath>
</BlobList>"#,
        rules: &["path /c00/a", "prefix /c00/a", "base /c00/ab", "path /c00/b"],
        status: "C1 E C1 E",
        blobs: &[
            ("/c00/a", None, Some(1)),
            ("/c00/ab", Some(T), Some(1)),
            ("/c00/b", None, Some(3)),
            ("/c00/", None, None),
            ("/c00/ba", None, None),
        ],
    },
    // --- docs/semantics.md §1: XML details ---------------------------------------------------
    Case {
        name: "entities, character references and CDATA are decoded",
        doc: r#"<BlobList>
  <BlobPath>c00/a&amp;b&lt;c&gt;&quot;d&apos;.txt</BlobPath>
  <BlobPath><![CDATA[c00/x&y<z>]]></BlobPath>
  <BlobPath>c00/caf&#233;/&#x65E5;.txt</BlobPath>
  <BlobPath>c00/<![CDATA[m&n]]>.txt</BlobPath>
  <BlobPathPrefix>/c01/&lt;</BlobPathPrefix>
</BlobList>"#,
        rules: &[
            "path /c00/a&b<c>\"d'.txt",
            "path /c00/x&y<z>",
            "path /c00/café/日.txt",
            "path /c00/m&n.txt",
            "prefix /c01/<",
        ],
        status: "E E E E E",
        blobs: &[
            ("/c00/a&b<c>\"d'.txt", None, Some(0)),
            ("/c00/x&y<z>", None, Some(1)),
            ("/c00/café/日.txt", Some(T), Some(2)),
            ("/c00/m&n.txt", None, Some(3)),
            ("/c01/<a>", None, Some(4)),
            ("/c00/a&amp;b&lt;c&gt;&quot;d&apos;.txt", None, None),
            ("/c00/caf&#233;/&#x65E5;.txt", None, None),
        ],
    },
    Case {
        name: "pretty-printing whitespace around a path is trimmed, inner kept",
        doc: "<BlobList>\n  <BlobPath>\n      c00/a.jpg\n  </BlobPath>\n  <BlobPathPrefix>  /bob/  </BlobPathPrefix>\n  <BlobPath>\tc00/my file.jpg\t</BlobPath>\n</BlobList>\n",
        rules: &["path /c00/a.jpg", "prefix /bob/", "path /c00/my file.jpg"],
        status: "E E E",
        blobs: &[
            ("/c00/a.jpg", None, Some(0)),
            ("/bob/x", None, Some(1)),
            ("/bob", None, None),
            ("/c00/my file.jpg", None, Some(2)),
            ("/c00/my", None, None),
        ],
    },
    Case {
        name: "CRLF line endings",
        doc: "<BlobList>\r\n  <BlobPath>\r\n    c00/a.jpg\r\n  </BlobPath>\r\n  <BlobPathPrefix>/bob/\r\n</BlobPathPrefix>\r\n</BlobList>\r\n",
        rules: &["path /c00/a.jpg", "prefix /bob/"],
        status: "E E",
        blobs: &[("/c00/a.jpg", None, Some(0)), ("/bob/x", None, Some(1))],
    },
    Case {
        name: "UTF-8 BOM, XML declaration and comments",
        doc: "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- a list -->\n<BlobList>\n  <!-- inside -->\n  <BlobPath>c00/<!-- mid -->a.jpg</BlobPath>\n  <?pi data?>\n  <BlobPathPrefix>/bob/</BlobPathPrefix>\n</BlobList>\n<!-- after -->\n",
        rules: &["path /c00/a.jpg", "prefix /bob/"],
        status: "E E",
        blobs: &[("/c00/a.jpg", None, Some(0)), ("/bob/x", None, Some(1))],
    },
    Case {
        name: "an empty blob list",
        doc: "<?xml version=\"1.0\"?>\n<BlobList/>\n",
        rules: &[],
        status: "",
        blobs: &[("/c00/a.jpg", None, None)],
    },
    Case {
        name: "a multi-byte prefix",
        doc: "<BlobList><BlobPathPrefix>/c00/ééé</BlobPathPrefix></BlobList>",
        rules: &["prefix /c00/ééé"],
        status: "E",
        blobs: &[("/c00/éééé", None, Some(0)), ("/c00/éé", None, None)],
    },
    // --- docs/semantics.md §1: the four forms yield the same rules -----------------------------
    Case {
        name: "form: blob list XML",
        doc: r#"<?xml version="1.0" encoding="utf-8"?>
<BlobList>
    <BlobPath>c00/a.jpg</BlobPath>
    <BlobPath>/$root/logo.bmp</BlobPath>
    <BlobPathPrefix>/bob/</BlobPathPrefix>
</BlobList>
"#,
        rules: FOUR_FORMS_RULES,
        status: "E E E",
        blobs: FOUR_FORMS_BLOBS,
    },
    Case {
        name: "form: Export JSON fragment",
        doc: r#"{"BlobList": {"BlobPath": ["c00/a.jpg", "/$root/logo.bmp"], "BlobPathPrefix": ["/bob/"]}}"#,
        rules: FOUR_FORMS_RULES,
        status: "E E E",
        blobs: FOUR_FORMS_BLOBS,
    },
    Case {
        name: "form: Put Job body (unknown keys outside Export ignored)",
        doc: r#"{
  "Name": "job1",
  "Unrelated": {"Anything": [1, 2, {"BlobList": 3}]},
  "Properties": {
    "StorageAccountKey": "key",
    "Location": "West US",
    "Type": "Export",
    "ReturnAddress": {"Name": "x", "Phone": "1"},
    "NotAField": true
  },
  "Export": {
    "BlobList": {
      "BlobPath": ["c00/a.jpg", "/$root/logo.bmp"],
      "BlobPathPrefix": ["/bob/"]
    }
  }
}"#,
        rules: FOUR_FORMS_RULES,
        status: "E E E",
        blobs: FOUR_FORMS_BLOBS,
    },
    Case {
        name: "form: ARM job (camelCase, properties.export)",
        doc: r#"{
  "location": "West US",
  "tags": {"a": "b"},
  "properties": {
    "storageAccountId": "/subscriptions/x/resourceGroups/y",
    "jobType": "Export",
    "returnAddress": {"recipientName": "x"},
    "export": {
      "blobList": {
        "blobPath": ["c00/a.jpg", "/$root/logo.bmp"],
        "blobPathPrefix": ["/bob/"]
      }
    }
  }
}"#,
        rules: FOUR_FORMS_RULES,
        status: "E E E",
        blobs: FOUR_FORMS_BLOBS,
    },
    Case {
        name: "form: Export JSON fragment with a UTF-8 BOM",
        doc: "\u{FEFF}{\"BlobList\": {\"BlobPath\": [\"c00/a.jpg\", \"/$root/logo.bmp\"], \"BlobPathPrefix\": [\"/bob/\"]}}",
        rules: FOUR_FORMS_RULES,
        status: "E E E",
        blobs: FOUR_FORMS_BLOBS,
    },
    Case {
        name: "JSON strings are taken as written (escapes decoded, no trimming of \\u0020)",
        doc: r#"{"BlobList": {"BlobPath": ["c00/caf\u00e9 \/x"], "BlobPathPrefix": ["/c01/\u65e5"]}}"#,
        rules: &["path /c00/café /x", "prefix /c01/日"],
        status: "E E",
        blobs: &[
            ("/c00/café /x", None, Some(0)),
            ("/c01/日本", None, Some(1)),
        ],
    },
    // --- docs/semantics.md §1: container SAS ---------------------------------------------------
    Case {
        name: "container SAS: /photos selects inside photos only",
        doc: r#"{
  "Properties": {"Type": "Export", "ContainerSas": "photos?sv=2014-02-14&sr=c&sig=x"},
  "Export": {"BlobList": {
    "BlobPath": ["photos/a.jpg"],
    "BlobPathPrefix": ["/photos"]
  }}
}"#,
        rules: &["path /photos/a.jpg", "prefix /photos"],
        status: "C1 E",
        blobs: &[
            ("/photos/a.jpg", None, Some(1)),
            ("/photos/b/c", Some(T), Some(1)),
            ("/photos-2024/x", None, None),
            ("/photos2/x", None, None),
            ("/photosx/a.jpg", None, None),
        ],
    },
    Case {
        name: "container SAS: paths and prefixes inside the container",
        doc: r#"{
  "Properties": {"Type": "Export", "ContainerSas": "photos?sv=2014-02-14&sr=c&sig=x"},
  "Export": {"BlobList": {
    "BlobPath": ["/photos/x", "photos/2024/y"],
    "BlobPathPrefix": ["/photos/2024/", "/photos/"]
  }}
}"#,
        rules: &[
            "path /photos/x",
            "path /photos/2024/y",
            "prefix /photos/2024/",
            "prefix /photos/",
        ],
        status: "C3 C3 C3 E",
        blobs: &[
            ("/photos/x", None, Some(3)),
            ("/photos/2024/y", None, Some(3)),
            ("/photos-2024/y", None, None),
        ],
    },
];

#[test]
fn reference_model_self_check() {
    oracle::self_check();
}

#[test]
fn selection_cases() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|case| {
            std::panic::catch_unwind(|| {
                let sel = parse(case.name, case.doc);
                let want: Vec<(RuleKind, String)> =
                    case.rules.iter().map(|r| expected_rule(r)).collect();
                assert_eq!(keys(&sel), want, "{}: rules", case.name);
                check_statuses(case.name, &sel, case.status);
                check_matching(case.name, &sel, case.blobs);
            })
            .err()
            .map(|p| panic_text(&p))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} selection cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn forms_are_detected() {
    let form = |name: &str| {
        let case = CASES.iter().find(|c| c.name == name).expect("case");
        parse(case.name, case.doc).form()
    };
    assert_eq!(form("form: blob list XML"), Form::BlobListXml);
    assert_eq!(form("form: Export JSON fragment"), Form::ExportJson);
    assert_eq!(
        form("form: Put Job body (unknown keys outside Export ignored)"),
        Form::PutJobBody
    );
    assert_eq!(
        form("form: ARM job (camelCase, properties.export)"),
        Form::ArmJob
    );
}

#[test]
fn container_sas_is_kept_in_the_matcher() {
    let case = &CASES
        .iter()
        .find(|c| c.name.starts_with("container SAS: /photos"))
        .expect("case");
    let sel = parse(case.name, case.doc);
    assert_eq!(sel.container_sas(), Some("photos"));
    let m = sel.compile().unwrap();
    assert_eq!(m.container(), Some("photos"));
    let loaded = Matcher::from_bytes(m.as_bytes().to_vec()).unwrap();
    assert_eq!(loaded.container(), Some("photos"));
}

/// The builder's documented promise: "Limits matching to one container
/// (what a job's container SAS does)".
#[test]
fn builder_container_limits_matching_to_that_container() {
    // Rules outside the container are refused, as with a container SAS.
    let outside = parse(
        "sas.xml",
        "<BlobList><BlobPathPrefix>/</BlobPathPrefix><BlobPath>videos/a.mp4</BlobPath></BlobList>",
    );
    let err = MatcherBuilder::new()
        .container(Some("photos"))
        .build(&outside)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::OutsideContainerSas);
    // A prefix that is exactly the container name stays in the container.
    let inside = parse(
        "sas.xml",
        "<BlobList><BlobPathPrefix>/photos</BlobPathPrefix></BlobList>",
    );
    let m = MatcherBuilder::new()
        .container(Some("photos"))
        .build(&inside)
        .unwrap();
    assert_eq!(m.find_path(b"/photos/a.jpg", None), Some(RuleId(0)));
    assert_eq!(m.find_path(b"/photos-2024/a.jpg", None), None);
    assert_eq!(m.find_path(b"/videos/a.mp4", None), None);
}

#[test]
fn long_blob_names_match_through_every_path() {
    let name = "é".repeat(1024);
    let doc = format!("<BlobList><BlobPath>c00/{name}</BlobPath></BlobList>");
    let sel = parse("long.xml", &doc);
    let m = sel.compile().unwrap();
    let path = format!("/c00/{name}");
    assert_eq!(m.find_path(path.as_bytes(), None), Some(RuleId(0)));
    assert_eq!(m.find("c00", &name, None), Some(RuleId(0)));
    assert_eq!(m.find("c00", &name[2..], None), None);
    let too_long = format!(
        "<BlobList>\n  <BlobPath>c00/{}</BlobPath>\n</BlobList>",
        "é".repeat(1025)
    );
    assert_error(
        "1,025 characters",
        &too_long,
        ErrorKind::BlobNameTooLong,
        (2, 3),
        None,
    );
}

#[test]
fn find_batch_over_many_items_agrees_with_find_path() {
    let sel = parse(
        "batch.xml",
        r#"<BlobList>
  <BlobPathPrefix>/bob</BlobPathPrefix>
  <BlobPath IncludeSnapshots="false">c00/a</BlobPath>
  <BlobPath SnapshotTime="2011-03-09T01:42:34.936Z">c00/b</BlobPath>
</BlobList>"#,
    );
    let m = sel.compile().unwrap();
    let loaded = Matcher::from_bytes(m.as_bytes().to_vec()).unwrap();
    let reference = reference_of(&sel);
    let paths = [
        "/bob/x",
        "/bobkids/y",
        "/c00/a",
        "/c00/b",
        "/c00/c",
        "/abc/x",
    ];
    let snaps = [None, Some(snap(T)), Some(snap(T_OTHER))];
    let items: Vec<(String, Option<SnapshotTime>)> = (0..5000)
        .map(|i| {
            (
                paths[i % paths.len()].to_string(),
                snaps[i / 7 % snaps.len()],
            )
        })
        .collect();
    let want: Vec<Option<RuleId>> = items
        .iter()
        .map(|(p, s)| {
            reference
                .chosen(&RefBlob::new(p, *s))
                .map(|i| RuleId(i as u32))
        })
        .collect();
    let mut out = vec![Some(RuleId(99))];
    m.find_batch(&items, &mut out);
    assert_eq!(out, want);
    loaded.find_batch(&items, &mut out);
    assert_eq!(out, want);
    let one: Vec<Option<RuleId>> = items
        .iter()
        .map(|(p, s)| m.find_path(p.as_bytes(), *s))
        .collect();
    assert_eq!(one, want);
}

// ---------------------------------------------------------------------------
// Error cases: kind and line:column (and the JSON key path where given).

struct ErrCase {
    name: &'static str,
    doc: &'static str,
    kind: ErrorKind,
    at: (u32, u32),
    key_path: Option<&'static str>,
}

const fn err(name: &'static str, doc: &'static str, kind: ErrorKind, at: (u32, u32)) -> ErrCase {
    ErrCase {
        name,
        doc,
        kind,
        at,
        key_path: None,
    }
}

const fn err_key(
    name: &'static str,
    doc: &'static str,
    kind: ErrorKind,
    at: (u32, u32),
    key_path: &'static str,
) -> ErrCase {
    ErrCase {
        name,
        doc,
        kind,
        at,
        key_path: Some(key_path),
    }
}

use ErrorKind::*;

const ERRORS: &[ErrCase] = &[
    // --- docs/semantics.md §3: paths that name no blob --------------------------------------------
    err(
        "/logo.bmp names a container and no blob",
        "<BlobList>\n  <BlobPath>/logo.bmp</BlobPath>\n</BlobList>",
        MissingBlobName,
        (2, 3),
    ),
    err(
        "/video alone",
        "<BlobList>\n  <BlobPath>/video</BlobPath>\n</BlobList>",
        MissingBlobName,
        (2, 3),
    ),
    err(
        "video/ with an empty blob name",
        "<BlobList>\n  <BlobPath>video/</BlobPath>\n</BlobList>",
        MissingBlobName,
        (2, 3),
    ),
    err(
        "/$root/ with an empty blob name",
        "<BlobList>\n  <BlobPath>/$root/</BlobPath>\n</BlobList>",
        MissingBlobName,
        (2, 3),
    ),
    err(
        "empty BlobPath",
        "<BlobList>\n  <BlobPath></BlobPath>\n</BlobList>",
        EmptyPath,
        (2, 3),
    ),
    err(
        "self-closing BlobPath",
        "<BlobList>\n  <BlobPath/>\n</BlobList>",
        EmptyPath,
        (2, 3),
    ),
    err(
        "whitespace-only BlobPathPrefix",
        "<BlobList>\n  <BlobPathPrefix>  \n  </BlobPathPrefix>\n</BlobList>",
        EmptyPath,
        (2, 3),
    ),
    err(
        "a path after a multi-byte name: columns count characters",
        "<BlobList><BlobPath>c00/é</BlobPath><BlobPath>/video</BlobPath></BlobList>",
        MissingBlobName,
        (1, 37),
    ),
    err(
        "markup at the start of a line after text",
        "<BlobList>\n<BlobPath>/video</BlobPath>\n</BlobList>",
        MissingBlobName,
        (2, 1),
    ),
    err(
        "markup after a tab",
        "<BlobList>\n\t<BlobPath>/video</BlobPath>\n</BlobList>",
        MissingBlobName,
        (2, 2),
    ),
    err(
        "markup after a multi-byte comment",
        "<BlobList><!-- é日 --> <BlobPath>/video</BlobPath></BlobList>",
        MissingBlobName,
        (1, 23),
    ),
    err(
        "CRLF lines",
        "<BlobList>\r\n  <BlobPath>/video</BlobPath>\r\n</BlobList>",
        MissingBlobName,
        (2, 3),
    ),
    err(
        "an invalid container name",
        "<BlobList>\n  <BlobPath>Photos/a.jpg</BlobPath>\n</BlobList>",
        InvalidContainerName,
        (2, 3),
    ),
    err(
        "a tab from a character reference inside a blob name",
        "<BlobList>\n  <BlobPath>c00/a&#9;b</BlobPath>\n</BlobList>",
        ControlCharacter,
        (2, 3),
    ),
    err(
        "a newline from a character reference inside a prefix",
        "<BlobList>\n  <BlobPathPrefix>/c00/a&#10;b</BlobPathPrefix>\n</BlobList>",
        ControlCharacter,
        (2, 3),
    ),
    // --- docs/semantics.md §3: prefixes must begin with '/' -----------------------------------------
    err(
        "prefix without a leading slash",
        "<BlobList>\n  <BlobPathPrefix>bob/</BlobPathPrefix>\n</BlobList>",
        PrefixWithoutSlash,
        (2, 3),
    ),
    err(
        "prefix without a leading slash, after trimming",
        "<BlobList>\n  <BlobPathPrefix>  $root/ </BlobPathPrefix>\n</BlobList>",
        PrefixWithoutSlash,
        (2, 3),
    ),
    err_key(
        "JSON prefix without a leading slash",
        "{\n  \"BlobList\": {\n    \"BlobPathPrefix\": [\"bob/\"]\n  }\n}",
        PrefixWithoutSlash,
        (3, 24),
        "BlobList.BlobPathPrefix[0]",
    ),
    // --- docs/semantics.md §3: attributes -------------------------------------------------------------
    err(
        "IncludeSnapshots=\"yes\"",
        "<BlobList>\n  <BlobPath IncludeSnapshots=\"yes\">c00/a</BlobPath>\n</BlobList>",
        InvalidIncludeSnapshots,
        (2, 31),
    ),
    err(
        "IncludeSnapshots=\"TRUE\"",
        "<BlobList>\n  <BlobPath IncludeSnapshots=\"TRUE\">c00/a</BlobPath>\n</BlobList>",
        InvalidIncludeSnapshots,
        (2, 31),
    ),
    err(
        "IncludeSnapshots=\"False\"",
        "<BlobList>\n  <BlobPath IncludeSnapshots=\"False\">c00/a</BlobPath>\n</BlobList>",
        InvalidIncludeSnapshots,
        (2, 31),
    ),
    err(
        "IncludeSnapshots=\"\"",
        "<BlobList>\n  <BlobPath IncludeSnapshots=\"\">c00/a</BlobPath>\n</BlobList>",
        InvalidIncludeSnapshots,
        (2, 31),
    ),
    err(
        "IncludeSnapshots=\"2\"",
        "<BlobList>\n  <BlobPath IncludeSnapshots=\"2\">c00/a</BlobPath>\n</BlobList>",
        InvalidIncludeSnapshots,
        (2, 31),
    ),
    err(
        "SnapshotTime without a time",
        "<BlobList>\n  <BlobPath SnapshotTime=\"2011-03-09\">c00/a</BlobPath>\n</BlobList>",
        InvalidSnapshotTime,
        (2, 27),
    ),
    err(
        "SnapshotTime with 8 fractional digits",
        "<BlobList>\n  <BlobPath SnapshotTime=\"2011-03-09T01:42:34.93600001Z\">c00/a</BlobPath>\n</BlobList>",
        InvalidSnapshotTime,
        (2, 27),
    ),
    err(
        "SnapshotTime on a day that does not exist",
        "<BlobList>\n  <BlobPath SnapshotTime=\"2011-02-29T01:42:34Z\">c00/a</BlobPath>\n</BlobList>",
        InvalidSnapshotTime,
        (2, 27),
    ),
    err(
        "SnapshotTime that is not a time",
        "<BlobList>\n  <BlobPath SnapshotTime=\"yesterday\">c00/a</BlobPath>\n</BlobList>",
        InvalidSnapshotTime,
        (2, 27),
    ),
    err(
        "both attributes (IncludeSnapshots true)",
        "<BlobList>\n  <BlobPath IncludeSnapshots=\"true\" SnapshotTime=\"2011-03-09T01:42:34.936Z\">c00/a</BlobPath>\n</BlobList>",
        ConflictingAttributes,
        (2, 3),
    ),
    err(
        "both attributes (IncludeSnapshots false, SnapshotTime first)",
        "<BlobList>\n  <BlobPath SnapshotTime=\"2011-03-09T01:42:34.936Z\" IncludeSnapshots=\"false\">c00/a</BlobPath>\n</BlobList>",
        ConflictingAttributes,
        (2, 3),
    ),
    // --- docs/semantics.md §1: unknown XML elements and attributes ------------------------------
    err(
        "BlobPathprefix (case)",
        "<BlobList>\n  <BlobPath>c00/a</BlobPath>\n  <BlobPathprefix>/bob/</BlobPathprefix>\n</BlobList>",
        UnknownElement,
        (3, 3),
    ),
    err(
        "Blobpath (case)",
        "<BlobList>\n  <Blobpath>c00/a</Blobpath>\n</BlobList>",
        UnknownElement,
        (2, 3),
    ),
    err(
        "an unknown empty element",
        "<BlobList>\n  <BlobPath>c00/a</BlobPath><Snapshot/>\n</BlobList>",
        UnknownElement,
        (2, 29),
    ),
    err(
        "an element inside BlobPath",
        "<BlobList>\n  <BlobPath>c00/<b>x</b></BlobPath>\n</BlobList>",
        UnknownElement,
        (2, 17),
    ),
    err(
        "includeSnapshots (case)",
        "<BlobList>\n  <BlobPath includeSnapshots=\"false\">c00/a</BlobPath>\n</BlobList>",
        UnknownAttribute,
        (2, 3),
    ),
    err(
        "an attribute on BlobPathPrefix",
        "<BlobList>\n  <BlobPathPrefix IncludeSnapshots=\"false\">/bob/</BlobPathPrefix>\n</BlobList>",
        UnknownAttribute,
        (2, 3),
    ),
    err(
        "an attribute on BlobList",
        "<BlobList version=\"1\">\n  <BlobPath>c00/a</BlobPath>\n</BlobList>",
        UnknownAttribute,
        (1, 1),
    ),
    err(
        "a root element that is not BlobList",
        "<?xml version=\"1.0\"?>\n<Bloblist>\n  <BlobPath>c00/a</BlobPath>\n</Bloblist>",
        UnrecognizedForm,
        (2, 1),
    ),
    err(
        "an unknown element after a UTF-8 BOM (the BOM is no column)",
        "\u{FEFF}<BlobList><Foo/></BlobList>",
        UnknownElement,
        (1, 11),
    ),
    err(
        "an unknown element on line 2 after a UTF-8 BOM",
        "\u{FEFF}<BlobList>\n  <Foo/>\n</BlobList>",
        UnknownElement,
        (2, 3),
    ),
    // --- docs/semantics.md §1: DOCTYPE, entities --------------------------------------------------
    err(
        "DOCTYPE with an internal entity",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE BlobList [<!ENTITY x \"c00/a.jpg\">]>\n<BlobList><BlobPath>&x;</BlobPath></BlobList>",
        Dtd,
        (2, 1),
    ),
    err(
        "billion laughs",
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n <!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n]>\n<BlobList><BlobPath>c00/&lol3;</BlobPath></BlobList>",
        Dtd,
        (2, 1),
    ),
    err(
        "an external DOCTYPE",
        "<!DOCTYPE BlobList SYSTEM \"file:///etc/passwd\">\n<BlobList><BlobPath>c00/a</BlobPath></BlobList>",
        Dtd,
        (1, 1),
    ),
    err(
        "an undefined entity",
        "<BlobList><BlobPath>&x;</BlobPath></BlobList>",
        Syntax,
        (1, 21),
    ),
    err(
        "a truncated blob list",
        "<BlobList>\n  <BlobPath>c00/a</BlobPath>\n",
        Syntax,
        (3, 1),
    ),
    err("not a selection", "hello", UnrecognizedForm, (1, 1)),
    // --- docs/semantics.md §1: unknown JSON keys inside Export / BlobList -----------------------
    err_key(
        "fragment: unknown key in BlobList",
        "{\n  \"BlobList\": {\n    \"BlobPath\": [\"c00/a.jpg\"],\n    \"blobPathPrefix\": [\"/bob/\"]\n  }\n}",
        UnknownKey,
        (4, 5),
        "BlobList",
    ),
    err(
        "fragment: unknown key beside BlobList",
        "{\n  \"BlobList\": {\"BlobPath\": [\"c00/a.jpg\"]},\n  \"Foo\": 1\n}",
        UnknownKey,
        (3, 3),
    ),
    err_key(
        "Put Job: unknown key in Export",
        "{\n  \"Name\": \"job\",\n  \"Properties\": {\"Type\": \"Export\", \"Whatever\": 1},\n  \"Export\": {\n    \"BlobList\": {\"BlobPath\": [\"c00/a.jpg\"]},\n    \"Extra\": true\n  }\n}",
        UnknownKey,
        (6, 5),
        "Export",
    ),
    err_key(
        "Put Job: unknown key in BlobList",
        "{\n  \"Properties\": {\"Type\": \"Export\"},\n  \"Export\": {\n    \"BlobList\": {\"BlobPath\": [\"c00/a.jpg\"], \"BlobPaths\": []}\n  }\n}",
        UnknownKey,
        (4, 45),
        "Export.BlobList",
    ),
    err_key(
        "ARM: PascalCase key in export",
        "{\n  \"properties\": {\n    \"jobType\": \"Export\",\n    \"export\": {\n      \"blobList\": {\"blobPath\": [\"c00/a.jpg\"]},\n      \"BlobList\": {\"BlobPath\": [\"c00/b.jpg\"]}\n    }\n  }\n}",
        UnknownKey,
        (6, 7),
        "properties.export",
    ),
    // --- docs/semantics.md §1: job types -------------------------------------------------------------
    err_key(
        "Put Job: import job with Export",
        "{\n  \"Properties\": {\"Type\": \"Import\"},\n  \"Export\": {\"BlobList\": {\"BlobPath\": [\"c00/a.jpg\"]}}\n}",
        ImportJobWithExport,
        (3, 13),
        "Export",
    ),
    err_key(
        "ARM: import job with export",
        "{\n  \"properties\": {\n    \"jobType\": \"Import\",\n    \"export\": {\"blobList\": {\"blobPath\": [\"c00/a.jpg\"]}}\n  }\n}",
        ImportJobWithExport,
        (4, 15),
        "properties.export",
    ),
    err(
        "Put Job: export job without Export",
        "{\n  \"Name\": \"job\",\n  \"Properties\": {\"Type\": \"Export\"}\n}",
        MissingExport,
        (1, 1),
    ),
    err(
        "Put Job: Export misplaced inside Properties",
        "{\n  \"Properties\": {\"Type\": \"Export\", \"Export\": {\"BlobList\": {\"BlobPath\": [\"c00/a\"]}}}\n}",
        MissingExport,
        (1, 1),
    ),
    err(
        "ARM: export job without export",
        "{\"properties\": {\"jobType\": \"Export\"}}",
        MissingExport,
        (1, 1),
    ),
    // --- docs/semantics.md §1: BlobList and BlobListBlobPath ------------------------------------
    err(
        "fragment: both BlobList and BlobListBlobPath",
        "{\n  \"BlobList\": {\"BlobPath\": [\"c00/a.jpg\"]},\n  \"BlobListBlobPath\": \"lists/list.xml\"\n}",
        BothBlobLists,
        (3, 23),
    ),
    err_key(
        "Put Job: neither BlobList nor BlobListBlobPath",
        "{\n  \"Properties\": {\"Type\": \"Export\"},\n  \"Export\": {}\n}",
        NoBlobList,
        (3, 13),
        "Export",
    ),
    err_key(
        "ARM: neither blobList nor blobListBlobPath",
        "{\n  \"properties\": {\n    \"jobType\": \"Export\",\n    \"export\": {}\n  }\n}",
        NoBlobList,
        (4, 15),
        "properties.export",
    ),
    err(
        "BlobListBlobPath without a container",
        "{\"BlobListBlobPath\": \"list.xml\"}",
        InvalidBlobListBlobPath,
        (1, 22),
    ),
    // --- docs/semantics.md §1: container SAS -----------------------------------------------------------
    err(
        "container SAS: a path in another container",
        "{\n  \"Properties\": {\"Type\": \"Export\", \"ContainerSas\": \"photos?sv=2014-02-14&sr=c&sig=x\"},\n  \"Export\": {\"BlobList\": {\n    \"BlobPath\": [\"photos/a.jpg\", \"videos/a.mp4\"],\n    \"BlobPathPrefix\": [\"/photos/\"]\n  }}\n}",
        OutsideContainerSas,
        (4, 34),
    ),
    err(
        "container SAS: a path in photos-2024",
        "{\n  \"Properties\": {\"Type\": \"Export\", \"ContainerSas\": \"photos?sig=x\"},\n  \"Export\": {\"BlobList\": {\n    \"BlobPath\": [\n      \"photos-2024/a\"\n    ]\n  }}\n}",
        OutsideContainerSas,
        (5, 7),
    ),
    err(
        "container SAS: prefix /pho",
        "{\n  \"Properties\": {\"Type\": \"Export\", \"ContainerSas\": \"photos?sig=x\"},\n  \"Export\": {\"BlobList\": {\n    \"BlobPathPrefix\": [\"/photos/\", \"/pho\"]\n  }}\n}",
        OutsideContainerSas,
        (4, 36),
    ),
    err(
        "container SAS: prefix /photos-2024/",
        "{\n  \"Properties\": {\"Type\": \"Export\", \"ContainerSas\": \"photos?sig=x\"},\n  \"Export\": {\"BlobList\": {\n    \"BlobPathPrefix\": [\n      \"/photos-2024/\"\n    ]\n  }}\n}",
        OutsideContainerSas,
        (5, 7),
    ),
    err(
        "container SAS: prefix /photos2",
        "{\n  \"Properties\": {\"Type\": \"Export\", \"ContainerSas\": \"photos?sig=x\"},\n  \"Export\": {\"BlobList\": {\n    \"BlobPathPrefix\": [\n      \"/photos2\"\n    ]\n  }}\n}",
        OutsideContainerSas,
        (5, 7),
    ),
    err(
        "container SAS: prefix /",
        "{\n  \"Properties\": {\"Type\": \"Export\", \"ContainerSas\": \"photos?sig=x\"},\n  \"Export\": {\"BlobList\": {\n    \"BlobPathPrefix\": [\n      \"/\"\n    ]\n  }}\n}",
        OutsideContainerSas,
        (5, 7),
    ),
    // --- JSON paths, key paths and syntax ---------------------------------------------
    err_key(
        "Put Job: /video in a BlobPath list",
        "{\n  \"Properties\": {\"Type\": \"Export\"},\n  \"Export\": {\"BlobList\": {\"BlobPath\": [\n    \"c00/a.jpg\",\n    \"/video\"\n  ]}}\n}",
        MissingBlobName,
        (5, 5),
        "Export.BlobList.BlobPath[1]",
    ),
    err_key(
        "ARM: /logo.bmp in a blobPath list",
        "{\"properties\": {\"jobType\": \"Export\", \"export\": {\"blobList\": {\"blobPath\": [\n\"/logo.bmp\"]}}}}",
        MissingBlobName,
        (2, 1),
        "properties.export.blobList.blobPath[0]",
    ),
    err(
        "JSON: columns count characters",
        "{\"BlobList\":{\"BlobPath\":[\"c00/日本\",\"/video\"]}}",
        MissingBlobName,
        (1, 35),
    ),
    err(
        "JSON with a BOM: unknown key position",
        "\u{FEFF}{\"BlobList\":{\"Foo\":[]}}",
        UnknownKey,
        (1, 14),
    ),
    err_key(
        "JSON: BlobPath is not a list",
        "{\"BlobList\": {\"BlobPath\": \"c00/a.jpg\"}}",
        WrongType,
        (1, 27),
        "BlobList.BlobPath",
    ),
    err(
        "JSON: trailing comma",
        "{\"BlobList\": {\"BlobPath\": [\"c00/a.jpg\",]}}",
        Syntax,
        (1, 40),
    ),
];

fn assert_error(name: &str, doc: &str, kind: ErrorKind, at: (u32, u32), key_path: Option<&str>) {
    let e = match Selection::parse(doc.as_bytes(), "case.txt") {
        Ok(sel) => panic!(
            "{name}: expected {kind:?} at {}:{}, but it parsed to {:?}",
            at.0,
            at.1,
            sel.rules()
                .map(|r| r.iter().map(|r| r.to_string()).collect::<Vec<_>>())
        ),
        Err(e) => e,
    };
    let want = Position {
        line: at.0,
        column: at.1,
    };
    assert_eq!(
        (e.kind(), e.position()),
        (kind, Some(want)),
        "{name}: error kind and position; got: {e}"
    );
    assert_eq!(e.source_name(), Some("case.txt"), "{name}: source name");
    if let Some(k) = key_path {
        assert_eq!(e.key_path(), Some(k), "{name}: key path; got: {e}");
    }
    assert!(
        e.to_string()
            .contains(&format!("case.txt:{}:{}", at.0, at.1)),
        "{name}: display names source and position: {e}"
    );
}

#[test]
fn error_cases() {
    let failures: Vec<String> = ERRORS
        .iter()
        .filter_map(|case| {
            std::panic::catch_unwind(|| {
                assert_error(case.name, case.doc, case.kind, case.at, case.key_path)
            })
            .err()
            .map(|p| panic_text(&p))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} error cases failed:\n{}",
        failures.len(),
        ERRORS.len(),
        failures.join("\n")
    );
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------
// Every fixture through a reader that returns one byte per read call.

/// What parsing a document gives, comparable across readers.
fn outcome(r: Result<Selection, blobsel::Error>) -> Result<Vec<(RuleKind, String)>, String> {
    match r {
        Ok(sel) => sel
            .rules()
            .map(|rules| rules.iter().map(key).collect())
            .map_err(|e| format!("{:?} at {:?}", e.kind(), e.position())),
        Err(e) => Err(format!("{:?} at {:?}", e.kind(), e.position())),
    }
}

#[test]
fn every_fixture_reads_the_same_one_byte_at_a_time() {
    let docs = CASES
        .iter()
        .map(|c| (c.name, c.doc))
        .chain(ERRORS.iter().map(|c| (c.name, c.doc)));
    let mut failures = Vec::new();
    for (name, doc) in docs {
        let whole = outcome(Selection::parse(doc.as_bytes(), "x"));
        let slow = outcome(Selection::parse(OneByte(doc.as_bytes()), "x"));
        if whole != slow {
            failures.push(format!(
                "{name}:\n  whole:    {whole:?}\n  one byte: {slow:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixtures read differently one byte at a time:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn leading_whitespace_read_one_byte_at_a_time() {
    let doc = "\n  \n<BlobList><BlobPath>c00/a</BlobPath></BlobList>";
    let whole = outcome(Selection::parse(doc.as_bytes(), "x"));
    assert!(whole.is_ok(), "{whole:?}");
    let slow = outcome(Selection::parse(OneByte(doc.as_bytes()), "x"));
    assert_eq!(slow, whole);
}

// ---------------------------------------------------------------------------
// docs/semantics.md §1: BlobListBlobPath, inline size limit

#[test]
fn blob_list_blob_path_needs_its_content() {
    for (name, doc, canonical, at) in [
        (
            "fragment",
            "{\"BlobListBlobPath\": \"lists/list.xml\"}",
            "/lists/list.xml",
            (1, 22),
        ),
        (
            "fragment, root container",
            "{\"BlobListBlobPath\": \"$root/list.xml\"}",
            "/$root/list.xml",
            (1, 22),
        ),
        (
            "Put Job",
            "{\n  \"Properties\": {\"Type\": \"Export\"},\n  \"Export\": {\"BlobListBlobPath\": \"lists/l.xml\"}\n}",
            "/lists/l.xml",
            (3, 34),
        ),
        (
            "ARM",
            "{\n  \"properties\": {\n    \"jobType\": \"Export\",\n    \"export\": {\"blobListBlobPath\": \"/lists/l.xml\"}\n  }\n}",
            "/lists/l.xml",
            (4, 36),
        ),
    ] {
        let mut sel = parse(name, doc);
        assert_eq!(sel.blob_list_blob_path(), Some(canonical), "{name}");
        assert!(sel.needs_blob_list(), "{name}");
        let e = sel.rules().unwrap_err();
        assert_eq!(
            (e.kind(), e.position()),
            (
                ErrorKind::BlobListNotSupplied,
                Some(Position {
                    line: at.0,
                    column: at.1
                })
            ),
            "{name}: {e}"
        );
        assert_eq!(
            sel.compile().unwrap_err().kind(),
            ErrorKind::BlobListNotSupplied,
            "{name}"
        );
        assert_eq!(
            sel.to_blob_list_xml().unwrap_err().kind(),
            ErrorKind::BlobListNotSupplied,
            "{name}"
        );
        sel.supply_blob_list(
            &b"<BlobList>\n  <BlobPathPrefix>/bob/</BlobPathPrefix>\n  <BlobPath IncludeSnapshots=\"false\">c00/a</BlobPath>\n</BlobList>"[..],
            "list.xml",
        )
        .unwrap();
        assert!(!sel.needs_blob_list(), "{name}");
        assert_eq!(
            keys(&sel),
            vec![expected_rule("prefix /bob/"), expected_rule("base /c00/a")],
            "{name}"
        );
        let origins: Vec<String> = sel
            .rules()
            .unwrap()
            .iter()
            .map(|r| r.origin().to_string())
            .collect();
        assert_eq!(origins, ["list.xml:2:3", "list.xml:3:3"], "{name}");
        check_matching(
            name,
            &sel,
            &[
                ("/bob/x", None, Some(0)),
                ("/c00/a", None, Some(1)),
                ("/c00/a", Some(T), None),
                ("/bobkids/x", None, None),
            ],
        );
    }
}

#[test]
fn a_bad_supplied_blob_list_names_its_own_source() {
    let mut sel = parse("job.json", "{\"BlobListBlobPath\": \"lists/list.xml\"}");
    let e = sel
        .supply_blob_list(
            &b"<BlobList>\n  <BlobPath>/video</BlobPath>\n</BlobList>"[..],
            "list.xml",
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MissingBlobName);
    assert_eq!(e.position(), Some(Position { line: 2, column: 3 }));
    assert_eq!(e.source_name(), Some("list.xml"));
}

#[test]
fn container_sas_applies_to_a_supplied_blob_list() {
    let doc = "{\n  \"Properties\": {\"Type\": \"Export\", \"ContainerSas\": \"photos?sig=x\"},\n  \"Export\": {\"BlobListBlobPath\": \"photos/list.xml\"}\n}";
    let mut sel = parse("job.json", doc);
    let e = sel
        .supply_blob_list(
            &b"<BlobList>\n  <BlobPathPrefix>/photos/</BlobPathPrefix>\n  <BlobPathPrefix>/photos-2024/</BlobPathPrefix>\n</BlobList>"[..],
            "list.xml",
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutsideContainerSas, "{e}");
    assert_eq!(e.position(), Some(Position { line: 3, column: 3 }));
    assert_eq!(e.source_name(), Some("list.xml"));
    // The refused list must not stay behind: with a container SAS nothing
    // outside the container is ever selected (docs/semantics.md §1).
    if let Ok(m) = sel.compile() {
        assert_eq!(
            m.find_path(b"/photos-2024/a", None),
            None,
            "after a refused blob list, the selection still compiles ({:?}) and selects \
             /photos-2024/a under a SAS for photos",
            sel.rules()
                .map(|r| r.iter().map(|r| r.to_string()).collect::<Vec<_>>())
        );
    }

    let mut sel = parse("job.json", doc);
    sel.supply_blob_list(
        &b"<BlobList><BlobPathPrefix>/photos</BlobPathPrefix></BlobList>"[..],
        "list.xml",
    )
    .unwrap();
    check_matching(
        "supplied list under a SAS",
        &sel,
        &[("/photos/a", None, Some(0)), ("/photos-2024/a", None, None)],
    );
}

/// `{"BlobPath":["c00/…",…]}` of exactly `size` bytes, with multi-byte
/// characters so bytes and characters differ.
fn blob_list_of_bytes(size: usize) -> String {
    let head = "{\"BlobPath\":[";
    let tail = "]}";
    let mut items: Vec<String> = Vec::new();
    let len = |items: &[String]| {
        head.len()
            + tail.len()
            + items.iter().map(|i| i.len() + 2).sum::<usize>()
            + items.len().saturating_sub(1)
    };
    // Whole items of 1,004 bytes ("c00/" + 500 × 'é') while far from the size.
    while size - len(&items) > 1100 {
        items.push(format!("c00/{}", "é".repeat(500)));
    }
    // The last item fills the rest exactly.
    let rest = size - len(&items) - 2 - usize::from(!items.is_empty());
    let body = rest - 4;
    items.push(format!(
        "c00/{}{}",
        "é".repeat(body / 2),
        "x".repeat(body % 2)
    ));
    let quoted: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
    let text = format!("{head}{}{tail}", quoted.join(","));
    assert_eq!(text.len(), size);
    text
}

#[test]
fn inline_blob_list_limit_is_32_kib_of_json_text() {
    let at_limit = format!("{{\"BlobList\":{}}}", blob_list_of_bytes(32 * 1024));
    let sel = parse("at-limit.json", &at_limit);
    assert_eq!(sel.inline_json_bytes(), Some(32_768));
    assert!(sel.compile().is_ok());

    let over = format!("{{\"BlobList\":{}}}", blob_list_of_bytes(32 * 1024 + 1));
    let e = Selection::parse(over.as_bytes(), "over.json").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InlineBlobListTooLarge, "{e}");
    assert_eq!(
        e.position(),
        Some(Position {
            line: 1,
            column: 13
        })
    );
    assert!(
        e.to_string().contains("BlobListBlobPath"),
        "points to the blob-list-blob form: {e}"
    );

    let over_job = format!(
        "{{\"Properties\":{{\"Type\":\"Export\"}},\"Export\":{{\"BlobList\":{}}}}}",
        blob_list_of_bytes(32 * 1024 + 1)
    );
    let e = Selection::parse(over_job.as_bytes(), "over.json").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InlineBlobListTooLarge, "{e}");
    assert_eq!(
        e.position(),
        Some(Position {
            line: 1,
            column: 54
        })
    );

    let at_job = format!(
        "{{\"Properties\":{{\"Type\":\"Export\"}},\"Export\":{{\"BlobList\":{}}}}}",
        blob_list_of_bytes(32 * 1024)
    );
    assert!(Selection::parse(at_job.as_bytes(), "at.json").is_ok());

    let lenient = ParseOptions::default()
        .enforce_inline_limit(false)
        .parse(over.as_bytes(), "over.json")
        .unwrap();
    assert_eq!(lenient.inline_json_bytes(), Some(32_769));
}

// ---------------------------------------------------------------------------
// Serialized form: corrupt bytes give InvalidIndex and never panic.

fn sample_matcher() -> (Matcher, Vec<(String, Option<SnapshotTime>)>) {
    let sel = parse(
        "sample.xml",
        r#"<BlobList>
  <BlobPathPrefix>/bob</BlobPathPrefix>
  <BlobPathPrefix>/bob/</BlobPathPrefix>
  <BlobPath>c00/a</BlobPath>
  <BlobPath IncludeSnapshots="false">c00/b</BlobPath>
  <BlobPath SnapshotTime="2011-03-09T01:42:34.936Z">c00/b</BlobPath>
  <BlobPath SnapshotTime="2024-01-01T00:00:00Z">c00/b</BlobPath>
  <BlobPath>$root/é</BlobPath>
</BlobList>"#,
    );
    let blobs = [
        "/bob/x",
        "/bobkids/x",
        "/c00/a",
        "/c00/b",
        "/c00/c",
        "/$root/é",
    ]
    .iter()
    .flat_map(|p| {
        [None, Some(snap(T)), Some(snap(T_OTHER))]
            .into_iter()
            .map(move |s| (p.to_string(), s))
    })
    .collect();
    (sel.compile().unwrap(), blobs)
}

#[test]
fn serialized_matcher_round_trips() {
    let (m, blobs) = sample_matcher();
    let loaded = Matcher::from_bytes(m.as_bytes().to_vec()).unwrap();
    assert_eq!(loaded.as_bytes(), m.as_bytes());
    assert_eq!(loaded.rule_count(), m.rule_count());
    assert_eq!(loaded.container(), None);
    for (a, b) in m.rules().zip(loaded.rules()) {
        assert_eq!(a, b);
    }
    for (p, s) in &blobs {
        assert_eq!(
            loaded.find_path(p.as_bytes(), *s),
            m.find_path(p.as_bytes(), *s)
        );
    }
    let infos: Vec<String> = m.rules().map(|r| format!("{:?} {}", r.status, r)).collect();
    assert_eq!(
        infos,
        [
            "Effective BlobPathPrefix /bob (sample.xml:2:3)",
            "Covered { by: RuleId(0) } BlobPathPrefix /bob/ (sample.xml:3:3)",
            "Effective BlobPath /c00/a (sample.xml:4:3)",
            "Effective BlobPath /c00/b IncludeSnapshots=false (sample.xml:5:3)",
            "Effective BlobPath /c00/b SnapshotTime=2011-03-09T01:42:34.9360000Z (sample.xml:6:3)",
            "Effective BlobPath /c00/b SnapshotTime=2024-01-01T00:00:00.0000000Z (sample.xml:7:3)",
            "Effective BlobPath /$root/é (sample.xml:8:3)",
        ]
    );
}

fn assert_invalid(bytes: Vec<u8>, what: &str) {
    match Matcher::from_bytes(bytes) {
        Ok(_) => panic!("{what}: loaded"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidIndex, "{what}: {e}"),
    }
}

#[test]
fn truncated_index_is_invalid() {
    let (m, _) = sample_matcher();
    let bytes = m.as_bytes();
    for n in 0..bytes.len() {
        assert_invalid(bytes[..n].to_vec(), &format!("truncated to {n} bytes"));
    }
    let mut longer = bytes.to_vec();
    longer.push(0);
    assert_invalid(longer, "one byte appended");
}

#[test]
fn wrong_magic_or_version_is_invalid() {
    let (m, _) = sample_matcher();
    let good = m.as_bytes().to_vec();
    assert_eq!(&good[..8], b"BLOBSEL\0", "the documented magic");
    for i in 0..8 {
        let mut b = good.clone();
        b[i] ^= 0x20;
        assert_invalid(b, &format!("magic byte {i} changed"));
    }
    let version = u32::from_le_bytes(good[8..12].try_into().unwrap());
    for v in [0, version + 1, version.wrapping_sub(1), u32::MAX] {
        if v == version {
            continue;
        }
        let mut b = good.clone();
        b[8..12].copy_from_slice(&v.to_le_bytes());
        match Matcher::from_bytes(b) {
            Ok(_) => panic!("version {v} loaded"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidIndex);
                assert!(e.to_string().contains("version"), "{e}");
            }
        }
    }
    assert_invalid(Vec::new(), "empty");
    assert_invalid(b"BLOBSEL\0".to_vec(), "magic only");
    assert_invalid(vec![0xFF; 4096], "garbage");
}

#[test]
fn every_flipped_byte_is_rejected() {
    let (m, blobs) = sample_matcher();
    let good = m.as_bytes().to_vec();
    // The index carries a checksum of all its bytes: any change is caught,
    // and said to be damage.
    for i in 0..good.len() {
        for mask in [0x01u8, 0x80, 0xFF] {
            let mut b = good.clone();
            b[i] ^= mask;
            let what = format!("byte {i} ^ {mask:#04x}");
            match Matcher::from_bytes(b) {
                Err(e) => {
                    assert_eq!(e.kind(), ErrorKind::InvalidIndex, "{what}: {e}");
                    if i >= 12 {
                        assert!(e.to_string().contains("damaged"), "{what}: {e}");
                    }
                }
                Ok(loaded) => {
                    exercise(&loaded, &blobs);
                    panic!("{what}: a damaged index loaded");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Writers near the inline limit: what the writer accepts must read back.

#[test]
fn json_written_just_under_the_limit_reads_back() {
    let origin = || blobsel::Origin {
        source: "api".into(),
        position: None,
    };
    let path = |name: String| blobsel::Rule::path(&name, RuleKind::Path, origin()).unwrap();
    // 32 names of 1,000 bytes: the list is a few hundred bytes under 32 KiB,
    // and the last name (up to 1,024 characters) carries it over.
    let selection = |extra: usize| {
        let mut rules: Vec<blobsel::Rule> = (0..32)
            .map(|i| path(format!("c00/{i:02}{}", "a".repeat(998))))
            .collect();
        rules.push(path(format!("c00/z{}", "b".repeat(extra))));
        Selection::from_rules(rules)
    };
    let mut failures = Vec::new();
    for form in ["export", "arm"] {
        let write = |extra: usize| {
            let sel = selection(extra);
            if form == "export" {
                sel.to_export_json()
            } else {
                sel.to_arm_json()
            }
        };
        assert!(
            write(0).is_ok(),
            "{form}: the smallest list is under the limit"
        );
        assert!(
            write(1000).is_err(),
            "{form}: the largest list is over the limit"
        );
        // The longest last name the writer still accepts.
        let (mut lo, mut hi) = (0, 1000);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if write(mid).is_ok() {
                lo = mid
            } else {
                hi = mid
            }
        }
        for extra in lo.saturating_sub(80)..=lo {
            let json = write(extra).unwrap();
            if let Err(e) = Selection::parse(json.as_bytes(), "written.json") {
                failures.push(format!(
                    "{form}: a {}-byte document written with the last name {extra} bytes \
                     longer: {e}",
                    json.len()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} documents the writer produced do not read back, e.g.\n{}\n{}",
        failures.len(),
        failures[0],
        failures[failures.len() - 1]
    );
}

#[test]
fn json_that_fits_compact_is_written_compact() {
    // An inline list a little under 32 KiB as written compactly: accepted
    // as it is, so converting it to JSON must not fail on indentation.
    let mut list = Vec::new();
    let mut bytes = "{\"BlobPath\":[]}".len();
    for i in 0.. {
        let p = format!("\"/photos/2024/06/{i:05}.jpg\"");
        if bytes + p.len() + 1 > 32 * 1024 - 40 {
            break;
        }
        bytes += p.len() + usize::from(!list.is_empty());
        list.push(p);
    }
    let doc = format!("{{\"BlobList\":{{\"BlobPath\":[{}]}}}}", list.join(","));
    let sel = Selection::parse(doc.as_bytes(), "close.json").unwrap();
    assert_eq!(sel.inline_json_bytes(), Some(bytes));
    for (form, json) in [("export", sel.to_export_json()), ("arm", sel.to_arm_json())] {
        let json = json.unwrap_or_else(|e| panic!("{form}: {e}"));
        assert_eq!(json.lines().count(), 1, "{form}: written compact");
        let again = Selection::parse(json.as_bytes(), "written.json").unwrap();
        let texts = |s: &Selection| -> Vec<String> {
            s.rules()
                .unwrap()
                .iter()
                .map(|r| format!("{:?} {}", r.kind(), r.text()))
                .collect()
        };
        assert!(
            texts(&again) == texts(&sel),
            "{form}: other rules read back"
        );
    }
    // A small list stays pretty-printed.
    let small = Selection::parse(&br#"{"BlobList":{"BlobPath":["/a1a/b"]}}"#[..], "s").unwrap();
    assert!(small.to_export_json().unwrap().lines().count() > 3);
}

#[test]
fn export_json_with_blob_list_path_reads_back() {
    for camel in [false, true] {
        let json = Selection::to_export_json_with_blob_list_path("$root/list.xml", camel).unwrap();
        let sel = parse("written.json", &json);
        assert_eq!(sel.blob_list_blob_path(), Some("/$root/list.xml"), "{json}");
        assert!(sel.needs_blob_list());
        let json = Selection::to_export_json_with_blob_list_path("/lists/l.xml", camel).unwrap();
        assert_eq!(
            parse("written.json", &json).blob_list_blob_path(),
            Some("/lists/l.xml"),
            "{json}"
        );
    }
    assert_eq!(
        Selection::to_export_json_with_blob_list_path("list.xml", false)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidBlobListBlobPath
    );
}

#[test]
fn supplied_blob_list_with_bom_read_one_byte_at_a_time() {
    let xml = "\u{FEFF}<BlobList><BlobPathPrefix>/bob/</BlobPathPrefix></BlobList>";
    let mut sel = parse("job.json", "{\"BlobListBlobPath\": \"lists/list.xml\"}");
    sel.supply_blob_list(xml.as_bytes(), "list.xml").unwrap();
    assert_eq!(keys(&sel), vec![expected_rule("prefix /bob/")]);
    let mut sel = parse("job.json", "{\"BlobListBlobPath\": \"lists/list.xml\"}");
    sel.supply_blob_list(OneByte(xml.as_bytes()), "list.xml")
        .unwrap_or_else(|e| panic!("one byte at a time: {e}"));
    assert_eq!(keys(&sel), vec![expected_rule("prefix /bob/")]);
}

// ---------------------------------------------------------------------------
// Nothing silently wrong (issue 16): every error of a selection, errors that
// name the field, a Debug that shows the instant, `find_path` as the CLI.

/// Each error's kind and `line:column`.
fn kinds_at(errors: &blobsel::Errors) -> Vec<(ErrorKind, String)> {
    errors
        .as_slice()
        .iter()
        .map(|e| (e.kind(), e.position().unwrap().to_string()))
        .collect()
}

#[test]
fn check_finds_every_error_parse_the_first() {
    let xml = "<BlobList>\n\
        <BlobPath SnapshotTime=\"2011-13-09T01:42:34Z\">c00/a</BlobPath>\n\
        <BlobPathPrefix>x/</BlobPathPrefix>\n\
        <BlobPaths>c00/b</BlobPaths>\n\
        <BlobPath Foo=\"1\">/Photos/a</BlobPath>\n\
        <BlobPath>c00/<b/>x</BlobPath>\n\
        <BlobPath IncludeSnapshots=\"yes\">c00/c</BlobPath>\n\
        <BlobPath>c00/fine</BlobPath>\n\
        </BlobList>\n";
    let first = Selection::parse(xml.as_bytes(), "list.xml").unwrap_err();
    let errors = Selection::check(xml.as_bytes(), "list.xml").unwrap_err();
    assert_eq!(
        errors.first(),
        &first,
        "parse stops at the first check finds"
    );
    assert_eq!(
        kinds_at(&errors),
        [
            (ErrorKind::InvalidSnapshotTime, "2:25".to_string()),
            (ErrorKind::PrefixWithoutSlash, "3:1".into()),
            (ErrorKind::UnknownElement, "4:1".into()),
            (ErrorKind::UnknownAttribute, "5:1".into()),
            (ErrorKind::InvalidContainerName, "5:1".into()),
            (ErrorKind::UnknownElement, "6:15".into()),
            (ErrorKind::InvalidIncludeSnapshots, "7:29".into()),
        ]
    );
    assert_eq!((errors.total(), errors.omitted()), (7, 0));
    assert!(errors
        .as_slice()
        .iter()
        .all(|e| e.source_name() == Some("list.xml")));
    assert!(errors
        .to_string()
        .starts_with("list.xml:2:25: invalid snapshot time \"2011-13-09T01:42:34Z\": month 13"));

    // Over the limit: kept up to it, the rest counted.
    let mut options = ParseOptions::default();
    options.collect_errors(3);
    let errors = options.check(xml.as_bytes(), "list.xml").unwrap_err();
    assert_eq!(
        (errors.as_slice().len(), errors.total(), errors.omitted()),
        (3, 7, 4)
    );
    assert!(
        errors.to_string().ends_with("\n… and 4 more errors"),
        "{errors}"
    );

    // A syntax error ends the reading: it comes last.
    let broken = "<BlobList>\n<BlobPathPrefix>x/</BlobPathPrefix>\n<BlobPath>c00/a</Blob>\n<BlobPathPrefix>y/</BlobPathPrefix>\n";
    let errors = Selection::check(broken.as_bytes(), "b.xml").unwrap_err();
    let kinds: Vec<ErrorKind> = errors.as_slice().iter().map(|e| e.kind()).collect();
    assert_eq!(kinds, [ErrorKind::PrefixWithoutSlash, ErrorKind::Syntax]);

    // No error: the same selection as parse.
    let good = "<BlobList><BlobPath>c00/a</BlobPath></BlobList>";
    let checked = Selection::check(good.as_bytes(), "g.xml").unwrap();
    let parsed = Selection::parse(good.as_bytes(), "g.xml").unwrap();
    assert_eq!(keys(&checked), keys(&parsed));
}

#[test]
fn check_finds_every_error_of_a_json_job() {
    let job = r#"{
  "Properties": {"Type": "Export", "ContainerSas": "photos?sv=1&sig=x"},
  "Export": {"BlobList": {
    "BlobPath": ["photos/a.jpg", "videos/b.mp4", 7, "/Photos/c"],
    "BlobPathPrefix": ["/photos/", "/videos/", "nope/"],
    "BlobPathPrefixes": []
  }}
}"#;
    let first = Selection::parse(job.as_bytes(), "job.json").unwrap_err();
    let errors = Selection::check(job.as_bytes(), "job.json").unwrap_err();
    assert_eq!(
        kinds_at(&errors),
        [
            // In document order: the lists are read after the keys.
            (ErrorKind::OutsideContainerSas, "4:34".to_string()),
            (ErrorKind::WrongType, "4:50".into()),
            (ErrorKind::InvalidContainerName, "4:53".into()),
            (ErrorKind::OutsideContainerSas, "5:36".into()),
            (ErrorKind::PrefixWithoutSlash, "5:48".into()),
            (ErrorKind::UnknownKey, "6:5".into()),
        ]
    );
    assert!(errors.as_slice().contains(&first), "{first}");
}

#[test]
fn snapshot_time_errors_point_at_the_value_and_name_the_field() {
    for (time, says) in [
        ("2011-13-09T01:42:34Z", "month 13"),
        ("2011-04-31T01:42:34Z", "day 31 of a 30-day month (April)"),
        ("2011-03-09T24:42:34Z", "hour 24"),
        (
            "2011-03-09T01:42:34.12345678Z",
            "fraction of 8 digits: at most 7",
        ),
    ] {
        let xml = format!(
            "<BlobList>\n  <BlobPath SnapshotTime=\"{time}\">c00/a</BlobPath>\n</BlobList>"
        );
        let e = Selection::parse(xml.as_bytes(), "list.xml").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidSnapshotTime);
        // The value's first character, after `SnapshotTime="`.
        assert_eq!(
            e.position(),
            Some(Position {
                line: 2,
                column: 27
            }),
            "{e}"
        );
        assert!(e.message().contains(says), "{e}");
    }
}

#[test]
fn snapshot_time_debug_shows_the_instant() {
    let t: SnapshotTime = "2011-03-09T01:42:34.936Z".parse().unwrap();
    assert_eq!(
        format!("{t:?}"),
        "SnapshotTime(2011-03-09T01:42:34.9360000Z)"
    );
    let rule = Selection::parse(
        &b"<BlobList><BlobPath SnapshotTime=\"2011-03-09T01:42:34.936Z\">c00/a</BlobPath></BlobList>"[..],
        "l.xml",
    )
    .unwrap();
    let debug = format!("{:?}", rule.rules().unwrap()[0].kind());
    assert_eq!(
        debug,
        "Snapshot(SnapshotTime(2011-03-09T01:42:34.9360000Z))"
    );
}

#[test]
fn non_utc_snapshot_times_are_converted_and_told() {
    let xml = "<BlobList>\n\
        <BlobPath SnapshotTime=\"2011-03-09T02:42:34.936+01:00\">c00/a</BlobPath>\n\
        <BlobPath SnapshotTime=\"2011-03-09T01:42:34.936+00:00\">c00/b</BlobPath>\n\
        <BlobPath SnapshotTime=\"2011-03-09T01:42:34.936Z\">c00/c</BlobPath>\n\
        </BlobList>";
    let sel = Selection::parse(xml.as_bytes(), "l.xml").unwrap();
    let t: SnapshotTime = "2011-03-09T01:42:34.936Z".parse().unwrap();
    assert!(sel
        .rules()
        .unwrap()
        .iter()
        .all(|r| r.snapshot_time() == Some(t)));
    let told: Vec<(&str, &str)> = sel
        .non_utc_snapshot_times()
        .map(|(r, text)| (r.text(), text))
        .collect();
    assert_eq!(told, [("/c00/a", "2011-03-09T02:42:34.936+01:00")]);
}

#[test]
fn find_path_takes_a_path_without_its_leading_slash_as_the_cli_does() {
    let sel = parse(
        "l.xml",
        "<BlobList><BlobPathPrefix>/photos/</BlobPathPrefix><BlobPath>videos/a.mp4</BlobPath></BlobList>",
    );
    let m = sel.compile().unwrap();
    for (rooted, unrooted, want) in [
        ("/photos/a.jpg", "photos/a.jpg", Some(RuleId(0))),
        ("/videos/a.mp4", "videos/a.mp4", Some(RuleId(1))),
        ("/videos/b.mp4", "videos/b.mp4", None),
    ] {
        assert_eq!(m.find_path(rooted.as_bytes(), None), want, "{rooted}");
        assert_eq!(m.find_path(unrooted.as_bytes(), None), want, "{unrooted}");
        assert_eq!(m.find_unrooted(unrooted.as_bytes(), None), want);
        let mut cursor = m.cursor();
        assert_eq!(
            cursor.find_path(unrooted.as_bytes(), None),
            want,
            "cursor {unrooted}"
        );
        assert_eq!(
            cursor.find_path(rooted.as_bytes(), None),
            want,
            "cursor {rooted}"
        );
    }
    let everything = parse(
        "all.xml",
        "<BlobList><BlobPathPrefix>/</BlobPathPrefix></BlobList>",
    );
    let m = everything.compile().unwrap();
    assert_eq!(m.find_path(b"", None), None, "an empty path is no blob");
    assert_eq!(m.find_path(b"c00/x", None), Some(RuleId(0)));
}
