//! `preview --account-url …`: list the account itself, following the plan.

use std::cell::{Cell, RefCell};
use std::fs::{self, File};
use std::io::{BufReader, BufWriter, IsTerminal, Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use blobsel::remote::{
    Client, ClientBuilder, ConnectionString, Credential, ListProgress, ListStats, Lister,
    ResumePoint, TokenCredential,
};
use blobsel::{Error, ErrorKind, ListingEntry, ListingFormat, Selection};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::{AccountArgs, AuthMode};

/// A resolved account to list.
pub struct Account {
    pub client: Client,
    pub save_listing: Option<PathBuf>,
    pub concurrency: usize,
    /// Go on from the state beside `save_listing`.
    pub resume: bool,
    /// The account name: what a resume state is checked against.
    endpoint: String,
    /// Show the listing's progress when stderr is a terminal.
    progress: bool,
}

impl Account {
    /// The account the arguments name, if they name one.
    pub fn from_args(a: &AccountArgs, progress: bool) -> Result<Option<Account>> {
        let endpoint: String;
        let mut builder = match (&a.account_url, &a.connection_string) {
            (Some(url), _) => {
                endpoint = url.split('?').next().unwrap_or("").to_string();
                let mut b = ClientBuilder::new(url);
                if let Some(sas) = &a.sas {
                    b.credential(Credential::sas(sas)?);
                } else if let Some(key) = &a.account_key {
                    let account = account_name(url).with_context(|| {
                        "cannot tell the account name from --account-url for the shared key: \
                         use https://ACCOUNT.blob.core.windows.net or a connection string"
                    })?;
                    b.credential(Credential::shared_key(&account, key)?);
                }
                b
            }
            (None, Some(cs)) => {
                let text = if cs.is_empty() {
                    std::env::var("AZURE_STORAGE_CONNECTION_STRING").map_err(|_| {
                        anyhow::anyhow!(
                            "--connection-string without a value reads \
                             AZURE_STORAGE_CONNECTION_STRING, which is not set"
                        )
                    })?
                } else {
                    cs.clone()
                };
                endpoint = ConnectionString::parse(&text)?.blob_endpoint;
                ClientBuilder::from_connection_string(&text)?
            }
            (None, None) => {
                if a.save_listing.is_some() {
                    bail!("--save-listing needs an account to list (--account-url or --connection-string)");
                }
                return Ok(None);
            }
        };
        if a.auth_mode == Some(AuthMode::Login) {
            // Found when the first request needs it.
            builder.credential(Credential::Token(TokenCredential::from_environment()));
        }
        builder.max_results(a.page_size);
        // Finding the virtual directories takes a round trip a page; their
        // pages are mostly names (see ClientBuilder::directory_max_results).
        builder.directory_max_results(5000);
        Ok(Some(Account {
            client: builder.build()?,
            save_listing: a.save_listing.clone(),
            concurrency: usize::from(a.concurrency),
            resume: a.resume,
            // The account's name (its endpoint when that does not say):
            // a resume may reach the same account by another URL.
            endpoint: account_name(&endpoint).unwrap_or(endpoint),
            progress,
        }))
    }

    /// Fetches the blob list blob the selection names, unless supplied.
    pub fn supply_blob_list(&self, selection: &mut Selection) -> Result<()> {
        if let (true, Some(path)) = (selection.needs_blob_list(), selection.blob_list_blob_path()) {
            let path = path.to_string();
            let xml = self.client.get_blob_list_blob(&path[1..])?;
            selection.supply_blob_list(&xml[..], &format!("{path} (blob list blob)"))?;
        }
        Ok(())
    }

    /// Lists what `selection` can select; `each` sees every row.
    ///
    /// With `--save-listing FILE`, the rows go to FILE too. If the listing
    /// stops (Ctrl-C, the network gone after every retry), FILE keeps the
    /// rows up to the last whole page and `FILE.resume` says where that is;
    /// `--resume` passes FILE's rows to `each` again and lists the rest,
    /// appending to FILE, so output and FILE end as an uninterrupted run's.
    pub fn list(
        &self,
        selection: &Selection,
        each: &mut dyn FnMut(&ListingEntry) -> std::io::Result<()>,
    ) -> Result<ListStats> {
        let plan = selection.plan()?;
        let plan_json = serde_json::to_value(&plan)?;
        let mut resume_from = None;
        let mut save = match &self.save_listing {
            None if self.resume => {
                bail!("--resume needs --save-listing FILE (the listing to go on with)")
            }
            None => None,
            Some(path) => {
                let state_path = state_path(path);
                if !self.resume {
                    if state_path.exists() {
                        bail!(
                            "{} is there: a listing into {} was interrupted; add --resume to go on \
                             with it, or remove {0} to list again",
                            state_path.display(),
                            path.display()
                        );
                    }
                    Some(SaveFile::create(path)?)
                } else {
                    let state = State::read(&state_path)?;
                    if state.account != self.endpoint || state.plan != plan_json {
                        bail!(
                            "--resume: {} is of a listing of another account or selection; \
                             remove it to list again",
                            state_path.display()
                        );
                    }
                    let file = SaveFile::append(path, state.saved_bytes)?;
                    replay(path, state.saved_bytes, each)?;
                    resume_from = Some(state);
                    Some(file)
                }
            }
        };
        let mut failure: Option<std::io::Error> = None;
        let mut line = Vec::new();
        let written = Cell::new(resume_from.as_ref().map_or(0, |s| s.saved_bytes));
        let last: RefCell<Option<(ResumePoint, u64)>> = RefCell::new(None);
        let record =
            |point: &ResumePoint| *last.borrow_mut() = Some((point.clone(), written.get()));
        let bar = (self.progress && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
            bar
        });
        let show = |p: &ListProgress| {
            if let Some(bar) = &bar {
                bar.set_message(progress_line(p));
            }
        };
        let mut lister = Lister::new(&self.client);
        lister.concurrency(self.concurrency).on_progress(&show);
        if save.is_some() {
            lister.on_checkpoint(&record);
        }
        if let Some(state) = &resume_from {
            lister.resume_from(state.point.clone());
        }
        let result = lister.list(&plan, &mut |entry| {
            let result = (|| {
                if crate::INTERRUPTED.load(std::sync::atomic::Ordering::Relaxed) {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::Interrupted,
                        "interrupted",
                    ));
                }
                if let Some(save) = save.as_mut() {
                    line.clear();
                    write_saved(entry, &mut line);
                    save.write_all(&line)?;
                    written.set(written.get() + line.len() as u64);
                }
                each(entry)
            })();
            result.map_err(|e| {
                failure = Some(e);
                Error::new(ErrorKind::Io, "output failed")
            })
        });
        if let Some(bar) = &bar {
            bar.finish_and_clear();
        }
        let interrupted = failure
            .as_ref()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::Interrupted);
        if result.is_err() || failure.is_some() {
            let point = last.into_inner().map(|(point, bytes)| State {
                account: self.endpoint.clone(),
                plan: plan_json,
                saved_bytes: bytes,
                point,
            });
            if let (Some(save), Some(state), Some(path)) =
                (save, point.or(resume_from), &self.save_listing)
            {
                save.finish_at(state.saved_bytes)?;
                state.write(&state_path(path))?;
                eprintln!(
                    "blobsel: the listing stopped; what it listed is in {} and where it stopped \
                     in {}: run the same command with --resume to go on",
                    path.display(),
                    state_path(path).display()
                );
            }
            if interrupted {
                crate::check_interrupted()?;
            }
            return match (failure, result) {
                (Some(e), _) => Err(e.into()),
                (None, Err(e)) => Err(e.into()),
                (None, Ok(_)) => bail!("the listing stopped"),
            };
        }
        let stats = result?;
        if let Some(save) = save {
            let end = written.get();
            save.finish_at(end)?;
            if let Some(path) = &self.save_listing {
                let state = state_path(path);
                if state.exists() {
                    fs::remove_file(&state)
                        .with_context(|| format!("cannot remove {}", state.display()))?;
                }
            }
        }
        Ok(stats)
    }
}

/// The progress line: rows, pages, requests in flight, rate.
fn progress_line(p: &ListProgress) -> String {
    let secs = p.elapsed.as_secs_f64().max(1e-3);
    format!(
        "listing: {} rows, {} pages, {} requests in flight, {:.0} rows/s, {:.0}s",
        p.entries,
        p.pages,
        p.in_flight,
        p.entries as f64 / secs,
        p.elapsed.as_secs_f64()
    )
}

/// Where the state of an interrupted listing into `save` is kept.
fn state_path(save: &Path) -> PathBuf {
    let mut name = save.as_os_str().to_owned();
    name.push(".resume");
    PathBuf::from(name)
}

/// What `--resume` needs: the listing it goes on with, how much of the
/// saved listing is good, and where the listing stopped.
#[derive(serde::Serialize, serde::Deserialize)]
struct State {
    account: String,
    plan: serde_json::Value,
    saved_bytes: u64,
    point: ResumePoint,
}

impl State {
    fn read(path: &Path) -> Result<State> {
        let text = fs::read_to_string(path).with_context(|| {
            format!(
                "--resume: cannot read {} (nothing to resume: the listing finished, or stopped \
                 before its first page)",
                path.display()
            )
        })?;
        serde_json::from_str(&text)
            .with_context(|| format!("--resume: {} is not a resume state", path.display()))
    }

    fn write(&self, path: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        fs::write(path, text + "\n").with_context(|| format!("cannot write {}", path.display()))
    }
}

/// Passes the first `bytes` of the saved listing `path` to `each`.
fn replay(
    path: &Path,
    bytes: u64,
    each: &mut dyn FnMut(&ListingEntry) -> std::io::Result<()>,
) -> Result<()> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let input = Box::new(BufReader::new(file.take(bytes)));
    let name = path.display().to_string();
    let mut reader = blobsel::listing::open_reader(ListingFormat::Jsonl, input, &name)?;
    let mut entry = ListingEntry::default();
    while reader.read_entry(&mut entry)? {
        each(&entry)?;
    }
    Ok(())
}

/// The saved listing being written: a new file (a temporary one renamed
/// into place when done, whole or up to a checkpoint), or the file of an
/// interrupted listing, appended to.
enum SaveFile {
    Fresh {
        tmp: BufWriter<tempfile::NamedTempFile>,
        path: PathBuf,
    },
    Append(BufWriter<File>),
}

impl SaveFile {
    fn create(path: &Path) -> Result<SaveFile> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new()
            .prefix(".blobsel-")
            .suffix(".partial")
            .tempfile_in(dir)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(SaveFile::Fresh {
            tmp: BufWriter::with_capacity(256 * 1024, tmp),
            path: path.to_path_buf(),
        })
    }

    /// `path` cut to its first `bytes` (what the checkpoint covers), to go on.
    fn append(path: &Path, bytes: u64) -> Result<SaveFile> {
        let mut file = fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("--resume: cannot open {}", path.display()))?;
        file.set_len(bytes)?;
        file.seek(std::io::SeekFrom::End(0))?;
        Ok(SaveFile::Append(BufWriter::with_capacity(256 * 1024, file)))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            SaveFile::Fresh { tmp, .. } => tmp.write_all(buf),
            SaveFile::Append(w) => w.write_all(buf),
        }
    }

    /// Flushes, keeps the first `bytes`, and puts the file in place.
    fn finish_at(self, bytes: u64) -> Result<()> {
        match self {
            SaveFile::Fresh { tmp, path } => {
                let tmp = tmp.into_inner().map_err(|e| e.into_error())?;
                tmp.as_file().set_len(bytes)?;
                tmp.as_file().sync_all()?;
                tmp.persist(&path)
                    .map_err(|e| e.error)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            SaveFile::Append(w) => {
                let file = w.into_inner().map_err(|e| e.into_error())?;
                file.set_len(bytes)?;
                file.sync_all()?;
            }
        }
        Ok(())
    }
}

#[derive(serde::Serialize)]
struct Saved<'a> {
    path: &'a str,
    snapshot: Option<blobsel::SnapshotTime>,
    size: Option<u64>,
    blob_type: Option<blobsel::BlobType>,
    leased: Option<bool>,
    committed: Option<bool>,
    version_id: Option<&'a str>,
    is_current_version: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_modified: Option<blobsel::SnapshotTime>,
}

fn write_saved(e: &ListingEntry, out: &mut Vec<u8>) {
    let row = Saved {
        path: &e.path,
        snapshot: e.snapshot,
        size: e.size,
        blob_type: e.blob_type,
        leased: e.leased,
        committed: e.committed,
        version_id: e.version_id.as_deref(),
        is_current_version: e.is_current_version,
        last_modified: e.last_modified,
    };
    let _ = serde_json::to_writer(&mut *out, &row);
    out.push(b'\n');
}

/// The account name of a blob endpoint: the first label of
/// `ACCOUNT.blob.…`, or the first path segment of a path-style URL.
fn account_name(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let rest = rest.split(['?', '#']).next()?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let first_segment = path.split('/').next().filter(|s| !s.is_empty());
    let host_name = host.split(':').next()?;
    let is_address = host_name == "localhost" || host_name.parse::<std::net::IpAddr>().is_ok();
    if is_address {
        first_segment.map(str::to_string)
    } else {
        host_name
            .split('.')
            .next()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
}

/// One line for the summary.
pub fn describe(stats: &ListStats) -> String {
    let mut s = format!(
        "listed:                    {} containers, {} List Blobs pages, {} List Containers pages, {} rows, {} retries\n\
         listing took:              {:.2} s, {} requests, {:.0} rows/s",
        stats.containers,
        stats.list_blobs_pages,
        stats.list_containers_pages,
        stats.entries,
        stats.retries,
        stats.elapsed.as_secs_f64(),
        stats.requests,
        stats.entries_per_second()
    );
    if !stats.missing_containers.is_empty() {
        s.push_str(&format!(
            "\ncontainers not found:      {}",
            stats.missing_containers.join(", ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::{account_name, progress_line};

    #[test]
    fn auth_mode_and_concurrency_parse() {
        use clap::Parser as _;
        let parse = |extra: &[&str]| {
            let mut args = vec![
                "blobsel",
                "preview",
                "s.xml",
                "--account-url",
                "https://a.blob.core.windows.net",
            ];
            args.extend_from_slice(extra);
            crate::args::Cli::try_parse_from(args)
        };
        let account = |cli: crate::args::Cli| match cli.command {
            crate::args::Command::Preview(p) => p.account,
            _ => unreachable!("a preview"),
        };
        let a = account(parse(&["--auth-mode", "Login", "--concurrency", "4"]).unwrap());
        assert_eq!(
            (a.auth_mode, a.concurrency),
            (Some(crate::args::AuthMode::Login), 4)
        );
        assert_eq!(account(parse(&[]).unwrap()).concurrency, 16);
        assert!(parse(&["--concurrency", "0"]).is_err());
        assert!(parse(&["--auth-mode", "login", "--sas", "sv=1&sig=x"]).is_err());
        assert!(
            parse(&["--resume"]).is_err(),
            "--resume needs --save-listing"
        );
    }

    #[test]
    fn the_progress_line_shows_rows_pages_in_flight_and_rate() {
        let mut p = blobsel::remote::ListProgress::default();
        p.entries = 5000;
        p.pages = 50;
        p.in_flight = 16;
        p.elapsed = std::time::Duration::from_secs(2);
        assert_eq!(
            progress_line(&p),
            "listing: 5000 rows, 50 pages, 16 requests in flight, 2500 rows/s, 2s"
        );
    }

    #[test]
    fn account_names() {
        assert_eq!(
            account_name("https://acct.blob.core.windows.net").as_deref(),
            Some("acct")
        );
        assert_eq!(
            account_name("https://acct.blob.core.windows.net/?sv=1").as_deref(),
            Some("acct")
        );
        assert_eq!(
            account_name("http://127.0.0.1:10000/devstoreaccount1").as_deref(),
            Some("devstoreaccount1")
        );
        assert_eq!(
            account_name("http://localhost:10000/dev/").as_deref(),
            Some("dev")
        );
        assert_eq!(account_name("http://127.0.0.1:10000"), None);
    }
}
