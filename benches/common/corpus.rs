//! A deterministic corpus of realistic Azure blob listings and blob lists,
//! shared by the benches (`#[path]`-included) and `examples/gen_corpus.rs`.
//!
//! * Listings: one blob a line, `/container/name` or
//!   `/container/name<TAB>SNAPSHOT`, from a long-tailed (Zipf) mix of 120
//!   containers including `$root`, `$logs` and `$web`: Storage Analytics logs,
//!   date-partitioned application logs, GUID-named data parts, photos, deep
//!   document trees and shallow backups; about 3% of blobs have a non-ASCII
//!   name and about 5% have 1–3 snapshots (listed right after the base blob).
//!   "Unsorted" is generation order; "sorted" is byte order of the lines, as
//!   List Blobs returns them.
//! * Rule sets drawn from the first [`RULE_BASE_LINES`] lines of the stream
//!   (so one rule set serves every listing size, and a listing of N lines is
//!   the first N lines of any longer one): **S** 10 prefixes; **M** 100
//!   prefixes + 1,000 paths; **L** 1,000 prefixes + 10,000 paths, of which
//!   some take `IncludeSnapshots="false"` or name a `SnapshotTime`; **XL**
//!   1,000,000 exact paths (every second blob of the stream: about half lie in
//!   a 1M-line listing, the rest further on).
//!
//! Everything comes from one seeded SplitMix64 generator: the same seed gives
//! the same bytes on every machine.

#![allow(dead_code)]

use std::fmt::Write as _;

/// The rule sets are drawn from this many lines of the stream.
pub const RULE_BASE_LINES: usize = 1_000_000;

/// The default seed.
pub const SEED: u64 = 0x5EED_B10B_5E1E_C7ED;

/// SplitMix64: small, fast, and good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `percent / 100`.
    pub fn percent(&mut self, percent: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * 100.0 < percent
    }

    /// One element of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    AnalyticsLogs,
    DateLogs,
    GuidParts,
    Photos,
    Documents,
    Backups,
    Root,
    Web,
}

const TEAMS: &[&str] = &[
    "finance",
    "hr",
    "ml",
    "analytics",
    "web",
    "mobile",
    "media",
    "iot",
    "sales",
    "legal",
    "research",
    "ops",
    "security",
    "billing",
    "crm",
    "etl",
    "marketing",
    "support",
    "shared",
    "partner",
];
const PURPOSES: &[(&str, Kind)] = &[
    ("logs", Kind::DateLogs),
    ("telemetry", Kind::DateLogs),
    ("events", Kind::DateLogs),
    ("data", Kind::GuidParts),
    ("raw", Kind::GuidParts),
    ("curated", Kind::GuidParts),
    ("exports", Kind::GuidParts),
    ("models", Kind::GuidParts),
    ("photos", Kind::Photos),
    ("images", Kind::Photos),
    ("uploads", Kind::Photos),
    ("docs", Kind::Documents),
    ("reports", Kind::Documents),
    ("contracts", Kind::Documents),
    ("backup", Kind::Backups),
    ("archive", Kind::Backups),
];
const ENVS: &[&str] = &[
    "prod",
    "dev",
    "test",
    "eastus",
    "westeurope",
    "2023",
    "2024",
];
const SERVICES: &[&str] = &[
    "api",
    "gateway",
    "worker",
    "auth",
    "checkout",
    "search",
    "ingest",
    "billing",
    "scheduler",
];
const WORDS: &[&str] = &[
    "alpha",
    "beta",
    "gamma",
    "delta",
    "projects",
    "specs",
    "design",
    "minutes",
    "budget",
    "plans",
    "q1",
    "q2",
    "q3",
    "q4",
    "drafts",
    "final",
    "old",
    "team",
    "clients",
    "vendors",
    "2021",
    "2022",
    "2023",
    "2024",
    "misc",
    "notes",
    "src",
    "assets",
    "templates",
    "hr",
    "onboarding",
    "policies",
    "audit",
    "Quarterly Review",
    "R&D",
    "board",
];
const NON_ASCII: &[&str] = &[
    "été",
    "Müller",
    "日本語",
    "фото",
    "naïve",
    "café",
    "Ελλάδα",
    "北京",
    "São Paulo",
    "Zürich",
    "😀 party",
    "Ångström",
    "résumé",
    "한국어",
];
const EXTENSIONS: &[&str] = &["pdf", "docx", "xlsx", "txt", "md", "csv", "pptx", "json"];
const TABLES: &[&str] = &[
    "orders",
    "customers",
    "clicks",
    "sessions",
    "inventory",
    "payments",
    "features",
    "embeddings",
];

struct Container {
    name: String,
    kind: Kind,
}

/// One blob: its canonical path and its snapshot times (usually none).
#[derive(Clone, Debug, Default)]
pub struct Blob {
    /// `/container/name`.
    pub path: String,
    /// Snapshot times, `2024-03-09T01:42:34.9360000Z`, oldest first.
    pub snapshots: Vec<String>,
}

impl Blob {
    /// Appends the blob's lines (the base blob, then each snapshot).
    pub fn write_lines(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.path.as_bytes());
        out.push(b'\n');
        for s in &self.snapshots {
            out.extend_from_slice(self.path.as_bytes());
            out.push(b'\t');
            out.extend_from_slice(s.as_bytes());
            out.push(b'\n');
        }
    }

    /// How many lines [`Blob::write_lines`] writes.
    pub fn line_count(&self) -> usize {
        1 + self.snapshots.len()
    }
}

/// The stream of blobs.
pub struct Generator {
    rng: Rng,
    containers: Vec<Container>,
    cumulative: Vec<u64>,
    serial: u64,
}

impl Generator {
    /// The stream for `seed`.
    pub fn new(seed: u64) -> Generator {
        let mut rng = Rng::new(seed);
        let mut containers = vec![
            Container {
                name: "$logs".into(),
                kind: Kind::AnalyticsLogs,
            },
            Container {
                name: "$root".into(),
                kind: Kind::Root,
            },
            Container {
                name: "$web".into(),
                kind: Kind::Web,
            },
        ];
        let mut seen = std::collections::HashSet::new();
        while containers.len() < 120 {
            let team = rng.pick(TEAMS);
            let (purpose, kind) = *rng.pick(PURPOSES);
            let mut name = format!("{team}-{purpose}");
            if rng.percent(50.0) {
                let _ = write!(name, "-{}", rng.pick(ENVS));
            }
            if rng.percent(10.0) {
                name = format!("tenant-{:04}-{purpose}", rng.below(10_000));
            }
            if seen.insert(name.clone()) {
                containers.push(Container { name, kind });
            }
        }
        // A long tail: container i (in a shuffled order) has weight
        // 1 / (i + 1)^1.1; $logs ranks 3rd, $root 40th, $web 70th.
        for i in (1..containers.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            containers.swap(i, j);
        }
        for (name, rank) in [("$logs", 2), ("$root", 39), ("$web", 69)] {
            let at = containers.iter().position(|c| c.name == name).unwrap();
            containers.swap(at, rank);
        }
        let mut cumulative = Vec::with_capacity(containers.len());
        let mut total = 0u64;
        for i in 0..containers.len() {
            total += (1e9 / ((i + 1) as f64).powf(1.1)) as u64 + 1;
            cumulative.push(total);
        }
        Generator {
            rng,
            containers,
            cumulative,
            serial: 0,
        }
    }

    /// The container names, most frequent first.
    pub fn container_names(&self) -> Vec<&str> {
        self.containers.iter().map(|c| c.name.as_str()).collect()
    }

    /// The next blob, written into `blob` (buffers reused).
    pub fn next_into(&mut self, blob: &mut Blob) {
        self.serial += 1;
        let total = *self.cumulative.last().unwrap();
        let x = self.rng.below(total);
        let ci = self.cumulative.partition_point(|&c| c <= x);
        let kind = self.containers[ci].kind;
        blob.path.clear();
        blob.path.push('/');
        blob.path.push_str(&self.containers[ci].name);
        blob.path.push('/');
        let mut name = std::mem::take(&mut blob.path);
        self.name(kind, &mut name);
        blob.path = name;
        blob.snapshots.clear();
        if self.rng.percent(5.0) {
            for _ in 0..self.rng.range(1, 3) {
                let t = self.time();
                blob.snapshots.push(t);
            }
            blob.snapshots.sort();
        }
    }

    /// The next blob.
    pub fn next_blob(&mut self) -> Blob {
        let mut b = Blob::default();
        self.next_into(&mut b);
        b
    }

    fn time(&mut self) -> String {
        let r = &mut self.rng;
        format!(
            "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}0000Z",
            r.range(2019, 2025),
            r.range(1, 12),
            r.range(1, 28),
            r.below(24),
            r.below(60),
            r.below(60),
            r.below(1000)
        )
    }

    fn date(&mut self) -> (u64, u64, u64, u64) {
        let r = &mut self.rng;
        (
            r.range(2021, 2025),
            r.range(1, 12),
            r.range(1, 28),
            r.below(24),
        )
    }

    fn guid(&mut self, out: &mut String) {
        let (a, b) = (self.rng.next_u64(), self.rng.next_u64());
        let _ = write!(
            out,
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        );
    }

    fn word(&mut self) -> &'static str {
        if self.rng.percent(3.0) {
            NON_ASCII[self.rng.below(NON_ASCII.len() as u64) as usize]
        } else {
            WORDS[self.rng.below(WORDS.len() as u64) as usize]
        }
    }

    fn name(&mut self, kind: Kind, out: &mut String) {
        let s = self.serial;
        match kind {
            Kind::AnalyticsLogs => {
                let service = *self.rng.pick(&["blob", "blob", "blob", "table", "queue"]);
                let (y, m, d, h) = self.date();
                let _ = write!(
                    out,
                    "{service}/{y}/{m:02}/{d:02}/{h:02}00/{:06}.log",
                    self.rng.below(200)
                );
            }
            Kind::DateLogs => {
                let service = *self.rng.pick(SERVICES);
                let (y, m, d, h) = self.date();
                if self.rng.percent(50.0) {
                    let _ = write!(
                        out,
                        "{service}/{y}/{m:02}/{d:02}/{h:02}/{service}-{}-{:05}.log.gz",
                        self.rng.below(16),
                        self.rng.below(100_000)
                    );
                } else {
                    let _ = write!(
                        out,
                        "{service}/year={y}/month={m:02}/day={d:02}/hour={h:02}/part-{:05}.json",
                        self.rng.below(2_000)
                    );
                }
            }
            Kind::GuidParts => {
                if self.rng.percent(70.0) {
                    let table = *self.rng.pick(TABLES);
                    let (y, m, d, _) = self.date();
                    let _ = write!(
                        out,
                        "{table}/dt={y}-{m:02}-{d:02}/part-{:05}-",
                        self.rng.below(512)
                    );
                    self.guid(out);
                    out.push_str("-c000.snappy.parquet");
                } else {
                    self.guid(out);
                    out.push('/');
                    self.guid(out);
                    out.push_str(".bin");
                }
            }
            Kind::Photos => {
                let (y, m, d, h) = self.date();
                match self.rng.below(3) {
                    0 => {
                        let _ = write!(
                            out,
                            "{y}/{m:02}/IMG_{y}{m:02}{d:02}_{h:02}{:02}{:02}.jpg",
                            self.rng.below(60),
                            self.rng.below(60)
                        );
                    }
                    1 => {
                        let album = self.word();
                        let _ = write!(out, "albums/{album}/DSC{:05}.JPG", s % 100_000);
                    }
                    _ => {
                        let _ = write!(
                            out,
                            "users/u{:06}/profile-{}.png",
                            self.rng.below(300_000),
                            self.rng.below(4)
                        );
                    }
                }
            }
            Kind::Documents => {
                let most = self.rng.range(1, 10);
                let depth = 1 + self.rng.below(most);
                for _ in 0..depth {
                    out.push_str(self.word());
                    out.push('/');
                }
                let stem = self.word();
                let ext = *self.rng.pick(EXTENSIONS);
                let _ = write!(out, "{stem}-{s}.{ext}");
            }
            Kind::Backups => {
                let (y, m, d, h) = self.date();
                let db = *self.rng.pick(TABLES);
                if self.rng.percent(80.0) {
                    let _ = write!(out, "{db}-{y}-{m:02}-{d:02}T{h:02}.bak");
                } else {
                    let _ = write!(out, "{db}/full/{y}{m:02}{d:02}.tar.zst");
                }
            }
            Kind::Root => {
                let _ = match self.rng.below(4) {
                    0 => write!(out, "favicon-{}.ico", s % 50),
                    1 => write!(out, "index-{}.html", s % 500),
                    2 => write!(out, "logo.bmp"),
                    _ => write!(out, "{}-{}.txt", self.word(), s % 1000),
                };
            }
            Kind::Web => {
                let dir = *self.rng.pick(&["js", "css", "img", "fonts"]);
                let _ = write!(
                    out,
                    "assets/{dir}/{}.{:08x}.{dir}",
                    self.word(),
                    self.rng.next_u64() as u32
                );
            }
        }
    }
}

/// Writes `lines` lines of the stream for `seed` to `out` in generation
/// order (the last blob's snapshots may be cut to hit the count exactly).
pub fn write_listing<W: std::io::Write>(
    lines: usize,
    seed: u64,
    mut out: W,
) -> std::io::Result<()> {
    let mut g = Generator::new(seed);
    let mut blob = Blob::default();
    let mut buf = Vec::with_capacity(1 << 20);
    let mut left = lines;
    while left > 0 {
        g.next_into(&mut blob);
        blob.snapshots.truncate(left - 1);
        left -= blob.line_count();
        blob.write_lines(&mut buf);
        if buf.len() >= 1 << 20 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)
}

/// The listing of `lines` lines in memory, in generation order.
pub fn listing(lines: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines * 64);
    write_listing(lines, seed, &mut out).expect("writing to a Vec");
    out
}

/// The lines of `text` in byte order.
pub fn sort_lines(text: &[u8]) -> Vec<u8> {
    let mut lines: Vec<&[u8]> = text
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort_unstable();
    let mut out = Vec::with_capacity(text.len());
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

/// The blobs of the first `lines` lines of the stream.
pub fn blobs(lines: usize, seed: u64) -> Vec<Blob> {
    let mut g = Generator::new(seed);
    let mut out = Vec::new();
    let mut left = lines;
    while left > 0 {
        let mut b = g.next_blob();
        b.snapshots.truncate(left - 1);
        left -= b.line_count();
        out.push(b);
    }
    out
}

/// A rule of a generated blob list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GenRule {
    /// `<BlobPathPrefix>`.
    Prefix(String),
    /// `<BlobPath>` (all snapshots).
    Path(String),
    /// `<BlobPath IncludeSnapshots="false">`.
    PathWithoutSnapshots(String),
    /// `<BlobPath SnapshotTime="…">`.
    Snapshot(String, String),
}

/// The rule sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// 10 prefixes.
    S,
    /// 100 prefixes + 1,000 paths.
    M,
    /// 1,000 prefixes + 10,000 paths, with snapshot rules.
    L,
    /// 1,000,000 exact paths.
    XL,
}

impl Size {
    /// All of them, smallest first.
    pub const ALL: [Size; 4] = [Size::S, Size::M, Size::L, Size::XL];

    /// `S`, `M`, `L` or `XL`.
    pub fn name(self) -> &'static str {
        match self {
            Size::S => "S",
            Size::M => "M",
            Size::L => "L",
            Size::XL => "XL",
        }
    }

    /// The size named `s`.
    pub fn parse(s: &str) -> Option<Size> {
        Size::ALL
            .into_iter()
            .find(|z| z.name().eq_ignore_ascii_case(s))
    }

    /// One line about the rule set.
    pub fn describe(self) -> &'static str {
        match self {
            Size::S => "10 prefixes",
            Size::M => "100 prefixes + 1,000 paths",
            Size::L => "1,000 prefixes + 10,000 paths (5% IncludeSnapshots=false, 5% SnapshotTime)",
            Size::XL => "1,000,000 exact paths",
        }
    }
}

/// The rule set `size`, drawn from `base` (the blobs of the first
/// [`RULE_BASE_LINES`] lines: [`blobs`]). XL ignores `base` and walks the
/// stream itself.
pub fn rule_set(size: Size, base: &[Blob], seed: u64) -> Vec<GenRule> {
    let mut rng = Rng::new(seed ^ (0xA11CE << (size as u32 * 8)));
    let (prefixes, paths) = match size {
        Size::S => (10, 0),
        Size::M => (100, 1_000),
        Size::L => (1_000, 10_000),
        Size::XL => return xl(seed),
    };
    let mut rules = Vec::with_capacity(prefixes + paths);
    for _ in 0..prefixes {
        let blob = &rng.pick(base).path;
        // Whole containers: a few of the small sets, rarely in big ones.
        let whole = match size {
            Size::S => 20.0,
            Size::M => 5.0,
            _ => 1.0,
        };
        rules.push(GenRule::Prefix(prefix_of(&mut rng, blob, whole)));
    }
    for _ in 0..paths {
        let blob = rng.pick(base);
        let mut path = blob.path.clone();
        if rng.percent(10.0) {
            path.push_str(".missing"); // a path the listing lacks
        }
        let roll = rng.below(100);
        let rule = if size == Size::L && roll < 5 {
            GenRule::PathWithoutSnapshots(path)
        } else if size == Size::L && roll < 10 {
            match blob.snapshots.as_slice() {
                [] => {
                    // An instant the blob has no snapshot at.
                    GenRule::Snapshot(path, "2020-01-01T00:00:00.0000000Z".into())
                }
                times => {
                    let t = rng.pick(times).clone();
                    // Either form names the same instant.
                    let t = if rng.percent(50.0) {
                        t.replace("0000Z", "Z")
                    } else {
                        t
                    };
                    GenRule::Snapshot(path, t)
                }
            }
        } else {
            GenRule::Path(path)
        };
        rules.push(rule);
    }
    rules
}

/// A prefix of `path` as people write them: a whole container, a folder, a
/// cut inside a name, a container-name stem, or one that matches nothing.
fn prefix_of(rng: &mut Rng, path: &str, whole: f64) -> String {
    let slashes: Vec<usize> = path.match_indices('/').map(|(i, _)| i).collect();
    let container_end = slashes[1];
    let last = slashes[slashes.len() - 1] + 1;
    let roll = rng.below(100);
    let cut = if rng.percent(whole) {
        container_end + 1 // "/container/"
    } else if rng.percent(whole / 2.0) {
        // A container-name stem: "/finance-" spans every container so named.
        path[..container_end]
            .find('-')
            .map_or(container_end, |i| i + 1)
    } else if roll < 65 && slashes.len() >= 3 {
        // "/container/dir/…/": half the time one of the two deepest folders.
        let deepest = slashes.len() as u64 - 1;
        let lo = if rng.percent(50.0) {
            deepest.max(3) - 1
        } else {
            2
        };
        slashes[rng.range(lo, deepest) as usize] + 1
    } else if roll < 90 {
        // Inside the last segment, on a character boundary.
        let mut at = last + rng.below((path.len() - last) as u64) as usize;
        while !path.is_char_boundary(at) {
            at -= 1;
        }
        at.max(last + 1)
    } else {
        let mut p = path[..container_end + 1].to_string();
        p.push_str("no-such-folder/");
        return p;
    };
    path[..cut].to_string()
}

/// XL: every second blob of the stream, 1,000,000 of them.
fn xl(seed: u64) -> Vec<GenRule> {
    let mut g = Generator::new(seed);
    let mut rules = Vec::with_capacity(1_000_000);
    let mut blob = Blob::default();
    while rules.len() < 1_000_000 {
        g.next_into(&mut blob);
        g.next_into(&mut blob);
        rules.push(GenRule::Path(blob.path.clone()));
    }
    rules
}

fn xml_escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// The rules as blob list XML (paths without their leading `/`, as the
/// service's documentation writes them).
pub fn to_xml(rules: &[GenRule]) -> String {
    let mut out = String::with_capacity(rules.len() * 80);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<BlobList>\n");
    for r in rules {
        match r {
            GenRule::Prefix(p) => {
                out.push_str("  <BlobPathPrefix>");
                xml_escape(p, &mut out);
                out.push_str("</BlobPathPrefix>\n");
            }
            GenRule::Path(p) => {
                out.push_str("  <BlobPath>");
                xml_escape(&p[1..], &mut out);
                out.push_str("</BlobPath>\n");
            }
            GenRule::PathWithoutSnapshots(p) => {
                out.push_str("  <BlobPath IncludeSnapshots=\"false\">");
                xml_escape(&p[1..], &mut out);
                out.push_str("</BlobPath>\n");
            }
            GenRule::Snapshot(p, t) => {
                let _ = write!(out, "  <BlobPath SnapshotTime=\"{t}\">");
                xml_escape(&p[1..], &mut out);
                out.push_str("</BlobPath>\n");
            }
        }
    }
    out.push_str("</BlobList>\n");
    out
}

fn json_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The rules as the Export JSON fragment, `{"BlobList": {…}}`. JSON has no
/// snapshot attributes: `IncludeSnapshots="false"` and `SnapshotTime` rules
/// are left out.
pub fn to_json(rules: &[GenRule]) -> String {
    let mut out = String::with_capacity(rules.len() * 64);
    out.push_str("{\"BlobList\": {\n  \"BlobPathPrefix\": [");
    let mut first = true;
    for r in rules {
        if let GenRule::Prefix(p) = r {
            out.push_str(if first { "\n    " } else { ",\n    " });
            first = false;
            json_string(p, &mut out);
        }
    }
    out.push_str("\n  ],\n  \"BlobPath\": [");
    first = true;
    for r in rules {
        if let GenRule::Path(p) = r {
            out.push_str(if first { "\n    " } else { ",\n    " });
            first = false;
            json_string(&p[1..], &mut out);
        }
    }
    out.push_str("\n  ]\n}}\n");
    out
}

/// Escapes the regex meta characters of `text` (the set `regex-syntax`
/// escapes), so the pattern matches `text` literally.
pub fn regex_escape(text: &str, out: &mut String) {
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// The rules as line-anchored regexes over a listing's lines (one a line,
/// for `rg -f`): a prefix `^P`, a path `^B(\t|$)`, a base-only path `^B$`,
/// one snapshot `^B\tT$` with `T` in the listing's 7-digit form.
pub fn to_line_patterns(rules: &[GenRule]) -> String {
    let mut out = String::new();
    for r in rules {
        out.push('^');
        match r {
            GenRule::Prefix(p) => regex_escape(p, &mut out),
            GenRule::Path(p) => {
                regex_escape(p, &mut out);
                out.push_str("(\\t|$)");
            }
            GenRule::PathWithoutSnapshots(p) => {
                regex_escape(p, &mut out);
                out.push('$');
            }
            GenRule::Snapshot(p, t) => {
                regex_escape(p, &mut out);
                out.push_str("\\t");
                let t = match t.strip_suffix('Z') {
                    Some(s) => format!("{s:0<27}Z"),
                    None => t.clone(),
                };
                regex_escape(&t, &mut out);
                out.push('$');
            }
        }
        out.push('\n');
    }
    out
}
