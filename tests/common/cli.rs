//! A small harness that drives the real `blobsel` binary: a temporary
//! directory to work in ([`Dir`]), a command builder ([`Cmd`]), and
//! assertions on the finished run ([`Run`]) that print the command line, the
//! exit code, stderr and a readable line diff when they fail.
//!
//! Modelled on `ripgrep/tests/util.rs` and `fd/tests/testenv/mod.rs`.

#![allow(dead_code)]

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The binary under test, built by cargo for the integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_blobsel");

/// `tests/fixtures/cli`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli")
}

/// The text of a fixture file.
pub fn fixture(name: &str) -> String {
    let path = fixtures().join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A temporary directory that commands run in, removed when dropped. Files
/// are named relative to it, so error messages name them as written here.
pub struct Dir {
    tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::Builder::new()
                .prefix("blobsel-cli-")
                .tempdir()
                .expect("a temporary directory"),
        }
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    /// Writes `name` (creating folders), returning `self` for chaining.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> &Dir {
        let path = self.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(&path, contents).unwrap_or_else(|e| panic!("cannot write {name}: {e}"));
        self
    }

    /// Copies fixture files from `tests/fixtures/cli` under the same names.
    pub fn copy(&self, names: &[&str]) -> &Dir {
        for name in names {
            let from = fixtures().join(name);
            fs::copy(&from, self.join(name))
                .unwrap_or_else(|e| panic!("cannot copy {}: {e}", from.display()));
        }
        self
    }

    /// Makes a folder.
    pub fn mkdir(&self, name: &str) -> &Dir {
        fs::create_dir_all(self.join(name)).unwrap();
        self
    }

    /// The text of `name`.
    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.join(name)).unwrap_or_else(|e| panic!("cannot read {name}: {e}"))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.join(name).exists()
    }

    /// The names in a folder of the directory (`""` for the top), sorted:
    /// to see that nothing was left behind.
    pub fn ls(&self, folder: &str) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.join(folder))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// `blobsel ARGS…`, run in this directory.
    pub fn cmd(&self, args: &[&str]) -> Cmd {
        let mut cmd = Cmd {
            cmd: Command::new(BIN),
            stdin: None,
            line: "blobsel".to_string(),
        };
        cmd.cmd.current_dir(self.path());
        cmd.args(args)
    }
}

/// A `blobsel` command to run.
pub struct Cmd {
    cmd: Command,
    stdin: Option<Vec<u8>>,
    line: String,
}

impl Cmd {
    pub fn arg(mut self, arg: impl Into<OsString>) -> Cmd {
        let arg = arg.into();
        let shown = arg.to_string_lossy().into_owned();
        if shown.is_empty() || shown.contains([' ', '\t', '"', '\'', '$']) {
            let _ = write!(self.line, " {shown:?}");
        } else {
            let _ = write!(self.line, " {shown}");
        }
        self.cmd.arg(arg);
        self
    }

    pub fn args(mut self, args: &[&str]) -> Cmd {
        for a in args {
            self = self.arg(*a);
        }
        self
    }

    /// Feeds `input` on stdin (otherwise stdin is empty).
    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(input.into());
        self.line.push_str(" < (stdin)");
        self
    }

    /// The command line, for messages.
    pub fn line(&self) -> &str {
        &self.line
    }

    /// Spawns with piped stdout and stderr (stdin empty), for tests that
    /// read the output as it comes.
    pub fn spawn(mut self) -> std::process::Child {
        self.cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.line))
    }

    /// Runs to the end.
    pub fn run(mut self) -> Run {
        self.cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self
            .cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.line));
        let input = self.stdin.take().unwrap_or_default();
        let mut stdin = child.stdin.take().unwrap();
        // Write on a thread: a big input would otherwise deadlock against
        // a full stdout pipe.
        let writer = std::thread::spawn(move || {
            // The tool may stop reading early (an error): that is not ours
            // to report.
            let _ = stdin.write_all(&input);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        Run {
            line: self.line,
            code: out.status.code(),
            stdout_bytes: out.stdout.clone(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// A finished run.
pub struct Run {
    pub line: String,
    /// `None` when killed by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stdout_bytes: Vec<u8>,
    pub stderr: String,
}

impl Run {
    fn fail(&self, what: &str) -> ! {
        panic!(
            "\n$ {}\n{what}\n--- exit code: {:?}\n--- stdout:\n{}--- stderr:\n{}---\n",
            self.line,
            self.code,
            shorten(&self.stdout),
            shorten(&self.stderr),
        )
    }

    /// The exit code is `code`.
    pub fn code(&self, code: i32) -> &Run {
        if self.code != Some(code) {
            self.fail(&format!("expected exit code {code}"));
        }
        if self.stderr.contains("panicked") || self.stderr.contains("RUST_BACKTRACE") {
            self.fail("the tool panicked");
        }
        self
    }

    /// stdout is exactly `expected`.
    pub fn stdout(&self, expected: &str) -> &Run {
        if self.stdout != expected {
            self.fail(&format!(
                "stdout differs (- expected, + actual):\n{}",
                diff(expected, &self.stdout)
            ));
        }
        self
    }

    /// stdout holds `needle`.
    pub fn stdout_has(&self, needle: &str) -> &Run {
        if !self.stdout.contains(needle) {
            self.fail(&format!("stdout does not contain {needle:?}"));
        }
        self
    }

    /// stderr is exactly `expected`.
    pub fn stderr(&self, expected: &str) -> &Run {
        if self.stderr != expected {
            self.fail(&format!(
                "stderr differs (- expected, + actual):\n{}",
                diff(expected, &self.stderr)
            ));
        }
        self
    }

    /// stderr holds each of `needles`.
    pub fn stderr_has(&self, needles: &[&str]) -> &Run {
        for needle in needles {
            if !self.stderr.contains(needle) {
                self.fail(&format!("stderr does not contain {needle:?}"));
            }
        }
        self
    }

    /// stderr is a single `blobsel: …` line (one error, cleanly reported)
    /// holding each of `needles`.
    pub fn error(&self, needles: &[&str]) -> &Run {
        self.code(2);
        if !self.stderr.starts_with("blobsel: ") || self.stderr.lines().count() != 1 {
            self.fail("expected one line on stderr, starting with \"blobsel: \"");
        }
        self.stderr_has(needles)
    }

    /// The clap usage error shape: exit 2, a message on stderr.
    pub fn usage_error(&self, needles: &[&str]) -> &Run {
        self.code(2);
        self.stderr_has(needles)
    }

    pub fn stderr_empty(&self) -> &Run {
        self.stderr("")
    }

    pub fn stdout_empty(&self) -> &Run {
        self.stdout("")
    }

    /// stdout's lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// At most 120 lines of `text` (a huge output would bury the message).
fn shorten(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = String::new();
    for line in lines.iter().take(120) {
        out.push_str(line);
        out.push('\n');
    }
    if lines.len() > 120 {
        let _ = writeln!(out, "… {} more lines", lines.len() - 120);
    }
    out
}

/// A line diff of `expected` and `actual`: `-` lines only expected, `+`
/// lines only actual, ` ` both. Line endings are shown when they differ
/// only there (`\r`, a missing last newline).
pub fn diff(expected: &str, actual: &str) -> String {
    let show = |s: &str| -> Vec<String> {
        s.split_inclusive('\n')
            .map(|l| match l.strip_suffix('\n') {
                Some(l) if l.ends_with('\r') => format!("{}\\r", &l[..l.len() - 1]),
                Some(l) => l.to_string(),
                None => format!("{l}⏎ (no newline at the end)"),
            })
            .collect()
    };
    let (a, b) = (show(expected), show(actual));
    // Longest common subsequence; outputs here are small (the big ones are
    // compared by count first).
    if a.len() * b.len() > 4_000_000 {
        return format!(
            "(too long to diff: {} expected lines, {} actual lines)\n",
            a.len(),
            b.len()
        );
    }
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            let _ = writeln!(out, "  {}", a[i]);
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            let _ = writeln!(out, "- {}", a[i]);
            i += 1;
        } else {
            let _ = writeln!(out, "+ {}", b[j]);
            j += 1;
        }
    }
    out
}

/// Asserts two texts are equal, with a line diff when not.
#[track_caller]
pub fn assert_text_eq(what: &str, expected: &str, actual: &str) {
    if expected != actual {
        panic!(
            "{what} differs (- expected, + actual):\n{}",
            diff(expected, actual)
        );
    }
}

/// `lines` joined, each ending in `\n`.
pub fn text(lines: &[impl AsRef<str>]) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(l.as_ref());
        s.push('\n');
    }
    s
}
