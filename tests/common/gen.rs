//! Selections and listings generated for the CLI tests: rules written as
//! blob list XML, one set of rows written in every listing format, and what
//! blobsel must print for each row (the oracle's answer). Needs the
//! `oracle` and `rng` modules beside it.

use std::fmt;
use std::fmt::Write as _;

use blobsel::{RuleKind, SnapshotTime};

use super::oracle::{RefBlob, RefRule, Reference, State};
pub use super::rng::Rng;

/// A snapshot time: the seconds part as text (`2024-03-09T01:42:34`) and
/// the fraction in 100-ns ticks (0 ..= 9,999,999). Two are equal when they
/// are the same instant, whatever digits they were written with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Snap {
    pub seconds: String,
    pub ticks: u32,
}

impl Snap {
    pub fn new(seconds: &str, ticks: u32) -> Snap {
        assert!(ticks < 10_000_000);
        Snap {
            seconds: seconds.to_string(),
            ticks,
        }
    }

    /// With all seven fractional digits, as Azure writes it and as blobsel
    /// prints it: `2024-03-09T01:42:34.9360000Z`.
    pub fn full(&self) -> String {
        format!("{}.{:07}Z", self.seconds, self.ticks)
    }

    /// The instant, as the oracle compares it.
    pub fn instant(&self) -> SnapshotTime {
        self.full()
            .parse()
            .unwrap_or_else(|e| panic!("bad snapshot in test: {}: {e}", self.full()))
    }

    /// With trailing zeros dropped: `…34.936Z`, or `…34Z` for a whole
    /// second.
    pub fn short(&self) -> String {
        if self.ticks == 0 {
            return format!("{}Z", self.seconds);
        }
        let digits = format!("{:07}", self.ticks);
        format!("{}.{}Z", self.seconds, digits.trim_end_matches('0'))
    }
}

/// One rule of a selection, as the CLI tests write it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `BlobPathPrefix P`.
    Prefix(String),
    /// `BlobPath B` (B as written: `c/b` or `/c/b`).
    Path(String),
    /// `BlobPath B IncludeSnapshots="false"`.
    PathWithoutSnapshots(String),
    /// `BlobPath B SnapshotTime="T"` (T written short).
    Snapshot(String, Snap),
}

/// `c/b` or `/c/b` as the canonical `/c/b`.
fn canonical(b: &str) -> String {
    if b.starts_with('/') {
        b.to_string()
    } else {
        format!("/{b}")
    }
}

impl Rule {
    /// The rule as the oracle sees it: its kind and canonical text, the
    /// snapshot time as an instant.
    pub fn model(&self) -> RefRule {
        match self {
            Rule::Prefix(p) => RefRule::prefix(p),
            Rule::Path(b) => RefRule::path(&canonical(b)),
            Rule::PathWithoutSnapshots(b) => {
                RefRule::new(RuleKind::PathWithoutSnapshots, &canonical(b))
            }
            Rule::Snapshot(b, t) => RefRule::new(RuleKind::Snapshot(t.instant()), &canonical(b)),
        }
    }

    /// The rule as a blob list XML element.
    pub fn xml(&self) -> String {
        match self {
            Rule::Prefix(p) => format!("<BlobPathPrefix>{}</BlobPathPrefix>", escape(p)),
            Rule::Path(b) => format!("<BlobPath>{}</BlobPath>", escape(b)),
            Rule::PathWithoutSnapshots(b) => format!(
                "<BlobPath IncludeSnapshots=\"false\">{}</BlobPath>",
                escape(b)
            ),
            Rule::Snapshot(b, t) => format!(
                "<BlobPath SnapshotTime=\"{}\">{}</BlobPath>",
                t.short(),
                escape(b)
            ),
        }
    }
}

impl fmt::Display for Rule {
    /// As blobsel shows a rule (`--explain`, the summary): the path
    /// canonical, the snapshot time in full.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Prefix(p) => write!(f, "BlobPathPrefix {p}"),
            Rule::Path(b) => write!(f, "BlobPath {}", canonical(b)),
            Rule::PathWithoutSnapshots(b) => {
                write!(f, "BlobPath {} IncludeSnapshots=false", canonical(b))
            }
            Rule::Snapshot(b, t) => {
                write!(f, "BlobPath {} SnapshotTime={}", canonical(b), t.full())
            }
        }
    }
}

/// XML text escaping.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// A blob list XML document of `rules`, one element a line.
pub fn blob_list_xml(rules: &[Rule]) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<BlobList>\n");
    for r in rules {
        s.push_str("  ");
        s.push_str(&r.xml());
        s.push('\n');
    }
    s.push_str("</BlobList>\n");
    s
}

/// One listed blob, snapshot or version.
#[derive(Clone, Debug)]
pub struct Row {
    pub container: String,
    pub name: String,
    pub snapshot: Option<Snap>,
    pub size: u64,
    pub leased: bool,
    pub state: State,
    /// The `lines` form writes `/c/b` (else `c/b`).
    pub rooted: bool,
    /// The `lines` and `jsonl` forms write the snapshot time short.
    pub short_snapshot: bool,
    /// The line ends in `\r\n`.
    pub crlf: bool,
    /// A blank line follows.
    pub blank_after: bool,
}

impl Row {
    pub fn new(container: &str, name: &str) -> Row {
        Row {
            container: container.to_string(),
            name: name.to_string(),
            snapshot: None,
            size: 1,
            leased: false,
            state: State::Committed,
            rooted: true,
            short_snapshot: false,
            crlf: false,
            blank_after: false,
        }
    }

    pub fn snap(mut self, seconds: &str, ticks: u32) -> Row {
        self.snapshot = Some(Snap::new(seconds, ticks));
        self
    }

    /// The canonical path `/c/b`.
    pub fn path(&self) -> String {
        format!("/{}/{}", self.container, self.name)
    }

    /// The row as the oracle sees it.
    pub fn blob(&self) -> RefBlob {
        RefBlob::new(&self.path(), self.snapshot.as_ref().map(Snap::instant))
    }

    /// What blobsel prints for the row when the listing is not `lines`:
    /// `/c/b` or `/c/b<TAB>SNAPSHOT` (seven fractional digits).
    pub fn canonical(&self) -> String {
        match &self.snapshot {
            Some(s) => format!("{}\t{}", self.path(), s.full()),
            None => self.path(),
        }
    }

    /// The row's `lines` text, without its line ending: also what blobsel
    /// prints for it.
    pub fn line(&self) -> String {
        let mut s = if self.rooted {
            self.path()
        } else {
            format!("{}/{}", self.container, self.name)
        };
        if let Some(t) = &self.snapshot {
            s.push('\t');
            s.push_str(&if self.short_snapshot {
                t.short()
            } else {
                t.full()
            });
        }
        s
    }

    fn version_id(&self) -> Option<String> {
        match self.state {
            State::PreviousVersion => Some("2023-01-01T00:00:00.0000000Z".into()),
            State::CurrentVersion => Some("2024-06-01T12:00:00.1234567Z".into()),
            _ => None,
        }
    }

    fn is_current(&self) -> Option<bool> {
        match self.state {
            State::PreviousVersion => Some(false),
            State::CurrentVersion => Some(true),
            _ => None,
        }
    }
}

/// A listing format, and what it can tell about a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Lines,
    Jsonl,
    Xml,
    Csv,
    Parquet,
}

impl Format {
    /// The `--listing-format` value.
    pub fn name(self) -> &'static str {
        match self {
            Format::Lines => "lines",
            Format::Jsonl => "jsonl",
            Format::Xml => "xml",
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    /// The state of `row` as this format conveys it: `lines` has no
    /// states, the inventory has no uncommitted blobs.
    pub fn state(self, row: &Row) -> State {
        match (self, row.state) {
            (Format::Lines, _) => State::Committed,
            (Format::Csv | Format::Parquet, State::Uncommitted) => State::Committed,
            (_, s) => s,
        }
    }

    /// What blobsel prints for `row` read in this format.
    pub fn printed(self, row: &Row) -> String {
        match self {
            Format::Lines => row.line(),
            _ => row.canonical(),
        }
    }
}

/// The oracle for `rules`.
pub fn model(rules: &[Rule]) -> Reference {
    Reference::new(rules.iter().map(Rule::model).collect())
}

/// The rows of `rows` that the export takes (`selected`) or leaves, as
/// blobsel prints them for `format`: the oracle's answer.
pub fn expected(rows: &[Row], rules: &[Rule], format: Format, selected: bool) -> String {
    let model = model(rules);
    let mut out = String::new();
    for row in rows {
        let taken = model.exported(&row.blob(), format.state(row));
        if taken == selected {
            out.push_str(&format.printed(row));
            out.push('\n');
        }
    }
    out
}

/// The selection the mixed listing is matched against: every rule kind,
/// `$root`, a prefix that spans containers, escapes, snapshot times written
/// short, and a rule that selects nothing.
pub fn mixed_rules() -> Vec<Rule> {
    vec![
        Rule::Prefix("/bob".into()),
        Rule::Prefix("/photos/2024/".into()),
        Rule::Path("$root/logo.bmp".into()),
        Rule::PathWithoutSnapshots("docs/report.docx".into()),
        Rule::Snapshot(
            "/docs/plan.xlsx".into(),
            Snap::new("2024-03-09T01:42:34", 9_360_000),
        ),
        Rule::Path("/videos/intro.mp4".into()),
        Rule::Path("videos/a&b<c>.txt".into()),
        Rule::Prefix("/archive-".into()),
        Rule::Path("/videos/missing.mp4".into()),
    ]
}

/// About 200 rows over ten containers: the hand-written rows that each
/// rule is about (and their near misses), then generated ones with
/// snapshots, leases, versions and uncommitted blobs, shuffled together.
/// Every row prints differently, so outputs can be merged back by order.
pub fn mixed_rows() -> Vec<Row> {
    let s1 = ("2024-03-09T01:42:34", 9_360_000);
    let s2 = ("2024-03-10T00:00:00", 0);
    let s3 = ("2024-12-01T10:00:00", 5_000_000);
    let mut rows = vec![
        Row::new("$root", "logo.bmp"),
        Row::new("$root", "logo.bmp").snap(s3.0, s3.1),
        Row::new("$root", "favicon.ico"),
        Row::new("bob", "notes.txt"),
        Row::new("bob", "notes.txt").snap(s2.0, s2.1),
        Row::new("bobkids", "drawing.png"),
        Row::new("bobby-tables", "students.txt"),
        Row::new("boa", "constrictor.txt"),
        Row::new("photos", "2024/summer/été/ä.jpg"),
        Row::new("photos", "2024/winter/ski.jpg"),
        Row::new("photos", "2024/winter/ski.jpg").snap(s3.0, s3.1),
        Row::new("photos", "2023/beach.jpg"),
        Row::new("photos", "2024"),
        Row::new("photos2", "2024/x.jpg"),
        Row::new("docs", "report.docx"),
        Row::new("docs", "report.docx").snap(s1.0, s1.1),
        Row::new("docs", "report.docx.bak"),
        Row::new("docs", "plan.xlsx"),
        Row::new("docs", "plan.xlsx").snap(s1.0, s1.1),
        Row::new("docs", "plan.xlsx").snap(s2.0, s2.1),
        Row::new("docs", "plan.xlsx").snap("2024-03-09T01:42:34", 9_360_001),
        Row::new("docs", "a,b \"quoted\".txt"),
        Row::new("videos", "intro.mp4"),
        Row::new("videos", "intro.mp4").snap("2024-01-01T00:00:00", 5_000_000),
        Row::new("videos", "intro.mp4.part"),
        Row::new("videos", "outro.mp4"),
        Row::new("videos", "a&b<c>.txt"),
        Row::new("videos", "say 'hi'.txt"),
        Row::new("archive-2023", "jan/01.tar"),
        Row::new("archive-2024", "jan/01.tar"),
    ];
    let containers = [
        "bob",
        "bobkids",
        "photos",
        "photos2",
        "docs",
        "videos",
        "$root",
        "archive-2024",
        "logs-x",
        "bo-b",
    ];
    let dirs = [
        "2024/",
        "2023/",
        "2024/summer/",
        "",
        "intro/",
        "notes/",
        "é/",
    ];
    let seconds = [
        "2024-03-09T01:42:34",
        "2023-11-30T23:59:59",
        "2025-01-01T00:00:00",
    ];
    let mut rng = Rng::new(0x5eed_b10b);
    for i in 0..170u64 {
        let container: &str = rng.pick(&containers);
        let dir: &str = rng.pick(&dirs);
        let mut row = Row::new(container, &format!("{dir}f{i}.bin"));
        row.size = 1 + rng.below(5_000_000);
        row.leased = rng.below(7) == 0;
        match rng.below(20) {
            0 | 1 => row.state = State::Uncommitted,
            2 | 3 => row.state = State::PreviousVersion,
            4..=7 => row.state = State::CurrentVersion,
            8..=12 => {
                let ticks = match rng.below(3) {
                    0 => 0,
                    1 => 9_360_000,
                    _ => rng.below(10_000_000) as u32,
                };
                let seconds: &str = rng.pick(&seconds);
                row.snapshot = Some(Snap::new(seconds, ticks));
            }
            _ => {}
        }
        if row.state == State::Uncommitted {
            row.size = 0;
            row.leased = false;
        }
        rows.push(row);
    }
    // Shuffle (Fisher-Yates), then vary how each row is written.
    for i in (1..rows.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        rows.swap(i, j);
    }
    for (i, row) in rows.iter_mut().enumerate() {
        row.rooted = rng.below(2) == 0;
        row.short_snapshot = rng.below(3) == 0;
        row.crlf = i % 4 == 1;
        row.blank_after = i % 11 == 5;
        if row.size == 1 && row.state != State::Uncommitted {
            row.size = 100 + i as u64;
        }
    }
    let mut seen = std::collections::HashSet::new();
    for row in &rows {
        assert!(
            seen.insert(row.canonical()),
            "duplicate row {}",
            row.canonical()
        );
    }
    rows
}

/// The `lines` listing: `/c/b` and `c/b`, short and full snapshot times,
/// CRLF endings, blank lines (one of them `\r\n` alone), and no newline at
/// the end.
pub fn lines(rows: &[Row]) -> String {
    let mut s = String::new();
    for (i, row) in rows.iter().enumerate() {
        s.push_str(&row.line());
        if i + 1 == rows.len() {
            break;
        }
        s.push_str(if row.crlf { "\r\n" } else { "\n" });
        if row.blank_after {
            s.push_str(if i % 2 == 0 { "\n" } else { "\r\n" });
        }
    }
    s
}

/// The `jsonl` listing: path in each of its three spellings, every field,
/// `null`s, unknown keys, blank lines.
pub fn jsonl(rows: &[Row]) -> String {
    let mut s = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut obj = serde_json::Map::new();
        match i % 3 {
            0 => {
                obj.insert("path".into(), row.path().into());
            }
            1 => {
                obj.insert(
                    "path".into(),
                    format!("{}/{}", row.container, row.name).into(),
                );
            }
            _ => {
                obj.insert("container".into(), row.container.clone().into());
                obj.insert("name".into(), row.name.clone().into());
            }
        }
        let snapshot = match &row.snapshot {
            Some(t) if row.short_snapshot => t.short().into(),
            Some(t) => t.full().into(),
            None => serde_json::Value::Null,
        };
        obj.insert("snapshot".into(), snapshot);
        obj.insert("size".into(), row.size.into());
        obj.insert("blob_type".into(), "BlockBlob".into());
        if i % 2 == 0 {
            obj.insert("leased".into(), row.leased.into());
        } else {
            let state = if row.leased { "leased" } else { "available" };
            obj.insert("lease_state".into(), state.into());
        }
        if let Some(v) = row.version_id() {
            obj.insert("version_id".into(), v.into());
            obj.insert("is_current_version".into(), row.is_current().into());
        }
        if row.state == State::Uncommitted {
            obj.insert("committed".into(), false.into());
        }
        // A key blobsel's own `--output jsonl` writes, which reads skip.
        obj.insert("rule".into(), format!("rule {i}").into());
        s.push_str(&serde_json::Value::Object(obj).to_string());
        s.push_str(if row.crlf { "\r\n" } else { "\n" });
        if row.blank_after {
            s.push('\n');
        }
    }
    s
}

/// One `<Blob>` of a List Blobs response.
fn xml_blob(row: &Row) -> String {
    let mut s = format!("<Blob><Name>{}</Name>", escape(&row.name));
    if let Some(t) = &row.snapshot {
        let _ = write!(s, "<Snapshot>{}</Snapshot>", t.full());
    }
    if let Some(v) = row.version_id() {
        // As the service writes it: the flag on the current version alone.
        let _ = write!(s, "<VersionId>{v}</VersionId>");
        if row.is_current() == Some(true) {
            s.push_str("<IsCurrentVersion>true</IsCurrentVersion>");
        }
    }
    s.push_str("<Properties><Creation-Time>Wed, 25 Nov 2026 22:12:51 GMT</Creation-Time>");
    let _ = write!(s, "<Content-Length>{}</Content-Length>", row.size);
    if row.state != State::Uncommitted {
        s.push_str("<Content-Type>application/octet-stream</Content-Type>");
    }
    s.push_str("<BlobType>BlockBlob</BlobType>");
    if row.leased {
        s.push_str("<LeaseStatus>locked</LeaseStatus><LeaseState>leased</LeaseState>");
    } else {
        s.push_str("<LeaseStatus>unlocked</LeaseStatus><LeaseState>available</LeaseState>");
    }
    if row.state != State::Uncommitted {
        s.push_str("<ServerEncrypted>true</ServerEncrypted><AccessTier>Hot</AccessTier>");
    }
    s.push_str("</Properties></Blob>");
    s
}

/// List Blobs responses: one page per run of rows in one container (at
/// most 7 blobs a page), the pages spread over `files` files, several
/// pages `cat`ed into each. Some pages carry a `BlobPrefix` (not a blob).
pub fn xml_files(rows: &[Row], files: usize) -> Vec<String> {
    let mut pages: Vec<String> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let c = &rows[i].container;
        let mut j = i;
        while j < rows.len() && &rows[j].container == c && j - i < 7 {
            j += 1;
        }
        let mut page = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults \
             ServiceEndpoint=\"https://acct.blob.core.windows.net/\" ContainerName=\"{}\">\
             <Prefix/><Marker/><MaxResults>7</MaxResults><Blobs>",
            escape(c)
        );
        if pages.len() % 5 == 2 {
            page.push_str("<BlobPrefix><Name>2024/</Name></BlobPrefix>");
        }
        for row in &rows[i..j] {
            page.push_str(&xml_blob(row));
        }
        let marker = if j < rows.len() { "next" } else { "" };
        let _ = writeln!(
            page,
            "</Blobs><NextMarker>{marker}</NextMarker></EnumerationResults>"
        );
        pages.push(page);
        i = j;
    }
    let per_file = pages.len().div_ceil(files);
    pages.chunks(per_file).map(|c| c.concat()).collect()
}

/// The inventory CSV: the columns an inventory rule can have, plus one
/// blobsel ignores; names with commas and quotes quoted.
pub fn csv(rows: &[Row]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "Name",
        "Creation-Time",
        "Snapshot",
        "Content-Length",
        "BlobType",
        "LeaseState",
        "VersionId",
        "IsCurrentVersion",
    ])
    .unwrap();
    for row in rows {
        let snapshot = row.snapshot.as_ref().map(Snap::full).unwrap_or_default();
        let current = row.is_current().map(|b| b.to_string()).unwrap_or_default();
        w.write_record([
            format!("{}/{}", row.container, row.name),
            "2024-01-01T00:00:00.0000000Z".to_string(),
            snapshot,
            row.size.to_string(),
            "BlockBlob".to_string(),
            if row.leased { "leased" } else { "available" }.to_string(),
            row.version_id().unwrap_or_default(),
            current,
        ])
        .unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

/// The inventory as Parquet, written to `path`.
#[cfg(feature = "parquet")]
pub fn parquet(rows: &[Row], path: &std::path::Path) {
    use std::sync::Arc;

    use parquet::basic::{Compression, ConvertedType, Repetition, Type as Physical};
    use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int64Type};
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::types::Type;

    enum Col {
        Text(&'static str, Vec<Option<String>>),
        Long(&'static str, Vec<Option<i64>>),
        Bool(&'static str, Vec<Option<bool>>),
    }
    let cols = [
        Col::Text(
            "Name",
            rows.iter()
                .map(|r| Some(format!("{}/{}", r.container, r.name)))
                .collect(),
        ),
        Col::Text(
            "Snapshot",
            rows.iter()
                .map(|r| r.snapshot.as_ref().map(Snap::full))
                .collect(),
        ),
        Col::Long(
            "Content-Length",
            rows.iter().map(|r| Some(r.size as i64)).collect(),
        ),
        Col::Text(
            "BlobType",
            rows.iter().map(|_| Some("BlockBlob".to_string())).collect(),
        ),
        Col::Text(
            "LeaseState",
            rows.iter()
                .map(|r| Some(if r.leased { "leased" } else { "available" }.to_string()))
                .collect(),
        ),
        Col::Text("VersionId", rows.iter().map(Row::version_id).collect()),
        Col::Bool(
            "IsCurrentVersion",
            rows.iter().map(Row::is_current).collect(),
        ),
    ];
    let fields = cols
        .iter()
        .map(|c| {
            let (name, physical) = match c {
                Col::Text(n, _) => (n, Physical::BYTE_ARRAY),
                Col::Long(n, _) => (n, Physical::INT64),
                Col::Bool(n, _) => (n, Physical::BOOLEAN),
            };
            let mut t =
                Type::primitive_type_builder(name, physical).with_repetition(Repetition::OPTIONAL);
            if matches!(c, Col::Text(..)) {
                t = t.with_converted_type(ConvertedType::UTF8);
            }
            Arc::new(t.build().unwrap())
        })
        .collect();
    let schema = Arc::new(
        Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .unwrap(),
    );
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let file = std::fs::File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, schema, props).unwrap();
    let mut group = writer.next_row_group().unwrap();
    fn levels<T>(v: &[Option<T>]) -> Vec<i16> {
        v.iter().map(|x| i16::from(x.is_some())).collect()
    }
    for col in &cols {
        let mut w = group.next_column().unwrap().unwrap();
        match col {
            Col::Text(_, v) => {
                let values: Vec<ByteArray> = v
                    .iter()
                    .flatten()
                    .map(|s| ByteArray::from(s.as_str()))
                    .collect();
                w.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&levels(v)), None)
                    .unwrap();
            }
            Col::Long(_, v) => {
                let values: Vec<i64> = v.iter().flatten().copied().collect();
                w.typed::<Int64Type>()
                    .write_batch(&values, Some(&levels(v)), None)
                    .unwrap();
            }
            Col::Bool(_, v) => {
                let values: Vec<bool> = v.iter().flatten().copied().collect();
                w.typed::<BoolType>()
                    .write_batch(&values, Some(&levels(v)), None)
                    .unwrap();
            }
        }
        w.close().unwrap();
    }
    group.close().unwrap();
    writer.close().unwrap();
}
