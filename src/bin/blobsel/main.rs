//! The `blobsel` command-line tool.

mod args;
mod commands;
mod index;
mod listings;
mod live;
mod output;
mod preview;
mod progress;
mod repair;
mod sniff;
mod summary;
mod verify;
mod why;

use std::io::{self, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use blobsel::{ErrorKind, Errors, ListingFormat, Matcher, ParseOptions, Selection};
use clap::{CommandFactory, Parser};

use args::{Cli, Command, OutputArg, SelectionArgs};
use summary::SummaryMode;

/// Set by Ctrl-C; long loops check it and stop cleanly, so an `-o` FILE's
/// temporary file is removed rather than left behind.
pub static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// An error for a run stopped by Ctrl-C.
pub fn check_interrupted() -> Result<()> {
    if INTERRUPTED.load(std::sync::atomic::Ordering::Relaxed) {
        bail!(Interrupted);
    }
    Ok(())
}

#[derive(Debug)]
struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

fn main() -> ExitCode {
    // A second Ctrl-C while the first is handled ends the process at once.
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            std::process::exit(130);
        }
    });
    match run() {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            if err.downcast_ref::<Interrupted>().is_some() {
                let _ = writeln!(io::stderr(), "blobsel: interrupted");
                return ExitCode::from(130);
            }
            let _ = writeln!(io::stderr(), "blobsel: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
            || e.downcast_ref::<blobsel::Error>()
                .is_some_and(|e| e.kind() == ErrorKind::Io && e.message().contains("Broken pipe"))
    })
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Preview(a) => preview(a),
        Command::Check(a) => {
            // What the service refuses (an inline list over 32 KiB, a blob
            // list blob not given) is an error here as in every command.
            let selection = match check_selection(&a.sel)? {
                Ok(selection) => selection,
                Err(errors) => {
                    report_errors(&errors)?;
                    return Ok(ExitCode::from(2));
                }
            };
            let mut out = io::stdout().lock();
            let matcher = selection.compile()?;
            let warnings = commands::check(&selection, &matcher, &mut out)?;
            out.flush()?;
            if a.strict && warnings > 0 {
                eprintln!(
                    "blobsel: {}: {}, and --strict fails on warnings",
                    selection.source(),
                    commands::plural(warnings, "warning")
                );
                return Ok(ExitCode::from(1));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Compile(a) => {
            let selection = load_selection(&a.sel, &ParseOptions::default(), IndexUse::Refuse)?;
            let matcher = selection.compile()?;
            // check's warnings, on stderr: stdout stays free.
            let warnings = commands::warnings(&selection, &matcher)?;
            let mut err = io::stderr().lock();
            for msg in &warnings {
                writeln!(err, "warning: {msg}")?;
            }
            if a.strict && !warnings.is_empty() {
                writeln!(
                    err,
                    "blobsel: {}: {}, and --strict fails on warnings: {} not written",
                    selection.source(),
                    commands::plural(warnings.len(), "warning"),
                    a.output_file.display()
                )?;
                return Ok(ExitCode::from(1));
            }
            drop(err);
            let mut out = output::Output::open(Some(&a.output_file))?;
            out.write_all(matcher.as_bytes())?;
            out.finish()?;
            eprintln!(
                "{}: {} rules compiled into {} ({} bytes)",
                selection.source(),
                matcher.rule_count(),
                a.output_file.display(),
                matcher.as_bytes().len()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Convert(a) => {
            let mut options = ParseOptions::default();
            options.enforce_inline_limit(false);
            let selection = load_selection(&a.sel, &options, IndexUse::Rules)?;
            let mut out = output::Output::open(a.output_file.as_deref())?;
            commands::convert(
                &selection,
                a.to,
                a.blob_list_out.as_deref(),
                a.blob_list_path.as_deref(),
                &mut out,
            )?;
            out.finish()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Plan(a) => {
            let selection = load_selection(&a.sel, &ParseOptions::default(), IndexUse::Rules)?;
            let mut out = io::stdout().lock();
            let steps = commands::plan(&selection, a.output, &mut out)?;
            out.flush()?;
            Ok(if steps > 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Verify(a) => verify::run(a),
        Command::Repair(a) => repair::run(a),
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "blobsel", &mut io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Where `preview` and `verify` read the account from: LISTING files or
/// the account (`live`), not both, and not stdin twice.
fn check_listing_source(
    sel: &args::SelectionArgs,
    listing: &args::ListingArgs,
    live: bool,
) -> Result<()> {
    let listings = &listing.listings;
    if live && !listings.is_empty() {
        bail!("give LISTING files or an account to list (--account-url, --connection-string), not both");
    }
    if is_stdin(&sel.selection)
        && !live
        && (listings.is_empty() || listings.iter().any(|p| is_stdin(p)))
    {
        bail!(
            "the selection is read from stdin (-), so the listing cannot be: give LISTING \
             files, or the selection as a file"
        );
    }
    Ok(())
}

/// `blobsel preview`: resolves the arguments into a config, then runs.
fn preview(a: args::PreviewArgs) -> Result<ExitCode> {
    if let Some(n) = a.threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()?;
    }
    let account = live::Account::from_args(&a.account, !a.no_progress)?;
    check_listing_source(&a.sel, &a.listing, account.is_some())?;
    // Listing the account is planned from the rules (an index's given
    // back); the blob list blob may come from the account.
    let index = IndexUse::Keep {
        rules: account.is_some(),
    };
    let loaded = load(&a.sel, &ParseOptions::default(), index, account.is_none())?;
    let (selection, matcher) = match loaded {
        Loaded::Index { matcher, rules } => (rules, *matcher),
        Loaded::Selection(mut selection) => {
            if let Some(account) = &account {
                account.supply_blob_list(&mut selection)?;
            }
            let matcher = index::compiled(selection.compile()?)?;
            (Some(selection), matcher)
        }
    };
    let listings = match account {
        Some(_) => Vec::new(),
        None => listings::resolve(&a.listing.listings, a.listing.listing_format)?,
    };
    for path in listings.iter().filter_map(|l| l.path.as_deref()) {
        if let Some(kind) = sniff::selection_kind(&sniff::head_of(path)) {
            let name = path.display().to_string();
            return Err(swapped(&name, kind, "a selection", "a listing"));
        }
    }
    if a.output == OutputArg::Json && !a.summary_only {
        bail!(
            "--output json prints the summary as one JSON object and goes with \
             --summary-only; for one object a blob, use --output jsonl"
        );
    }
    let drive_size = a
        .drive_size
        .as_deref()
        .map(summary::parse_size)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--drive-size: {e}"))?;
    if let (Some(text), Some(bytes)) = (a.drive_size.as_deref(), drive_size) {
        if let Some(warning) = summary::small_drive_warning(text, bytes) {
            eprintln!("{warning}");
        }
    }
    if drive_size.is_some()
        && account.is_none()
        && listings.iter().all(|l| l.format == ListingFormat::Lines)
    {
        bail!(
            "--drive-size needs blob sizes, which a lines listing does not have: use a \
             listing with sizes (jsonl, List Blobs XML, inventory CSV or Parquet)"
        );
    }
    let summary = match (a.summary, a.summary_only) {
        (_, true) => SummaryMode::Only,
        (true, _) => SummaryMode::Stderr,
        _ if drive_size.is_some() => SummaryMode::Stderr,
        _ => SummaryMode::None,
    };
    let why = (a.invert && (a.explain || a.output == OutputArg::Jsonl))
        .then(|| why::WhyNot::new(&matcher));
    let cfg = preview::Config {
        why,
        matcher,
        listings,
        ignore_unknown_keys: a.ignore_unknown_keys,
        jsonl: a.output == OutputArg::Jsonl,
        summary_json: a.output == OutputArg::Json,
        explain: a.explain,
        invert: a.invert,
        summary,
        drive_size,
        output_file: a.output_file,
        progress: !a.no_progress,
        // An account always comes with its selection (from an index, its
        // rules rebuilt).
        account: account.zip(selection),
    };
    let outcome = preview::run(&cfg)?;
    let s = &outcome.stats;
    if summary == SummaryMode::Stderr {
        let mut err = io::stderr().lock();
        if let Some(l) = &outcome.listed {
            writeln!(err, "{}", live::describe(l))?;
        }
        s.print_summary(&cfg.matcher, drive_size, &mut err)?;
    }
    let any = if cfg.invert {
        s.read > s.selected
    } else {
        s.selected > 0
    };
    Ok(if any {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What a command does with a compiled index given as SELECTION.
#[derive(Clone, Copy, PartialEq, Eq)]
enum IndexUse {
    /// Refuse it (check and compile need the selection itself).
    Refuse,
    /// Read its rules back (convert and plan).
    Rules,
    /// Keep it to match with (preview), and read its rules back too when
    /// `rules`.
    Keep { rules: bool },
}

/// What SELECTION gave.
enum Loaded {
    /// A selection, parsed; or an index's rules given back.
    Selection(Selection),
    /// An index kept to match with ([`IndexUse::Keep`]), with its rules
    /// when they were asked for.
    Index {
        matcher: Box<index::CliMatcher>,
        rules: Option<Selection>,
    },
}

/// The selection SELECTION holds, with its rules (from --blob-list when it
/// names a blob list blob), or an index's rules where `index` allows.
fn load_selection(a: &SelectionArgs, options: &ParseOptions, index: IndexUse) -> Result<Selection> {
    match load(a, options, index, true)? {
        Loaded::Selection(selection) => Ok(selection),
        Loaded::Index { matcher, rules } => match rules {
            Some(rules) => Ok(rules),
            None => Ok(matcher.selection()?),
        },
    }
}

/// The one loader of SELECTION: tells an index from a selection, parses a
/// selection (supplying its blob list blob from --blob-list; with
/// `need_rules`, a blob list blob not supplied is an error), and treats an
/// index as `index` says.
fn load(
    a: &SelectionArgs,
    options: &ParseOptions,
    index: IndexUse,
    need_rules: bool,
) -> Result<Loaded> {
    let name = selection_name(&a.selection);
    let bytes = match (open_selection(&a.selection)?, &a.blob_list) {
        (Opened::Selection { text, head }, _) => {
            return match parse_opened(text, a, need_rules, options) {
                Ok(selection) => Ok(Loaded::Selection(selection)),
                Err(e) => match sniff::listing_kind(&head) {
                    Some(kind) => Err(swapped(&name, kind, "a listing", "a selection")),
                    None => Err(e),
                },
            };
        }
        (Opened::Index(_), _) if index == IndexUse::Refuse => return Err(index_refused(&name)),
        (Opened::Index(_), Some(list)) => return Err(index_with_blob_list(&name, list)),
        (Opened::Index(bytes), None) => bytes,
    };
    let matcher = Box::new(Matcher::from_bytes(bytes).with_context(|| name.clone())?);
    let rules = |m: &index::CliMatcher| m.selection().with_context(|| name.clone());
    Ok(match index {
        IndexUse::Keep { rules: false } => Loaded::Index {
            matcher,
            rules: None,
        },
        IndexUse::Keep { rules: true } => Loaded::Index {
            rules: Some(rules(&matcher)?),
            matcher,
        },
        _ => Loaded::Selection(rules(&matcher)?),
    })
}

/// The error for SELECTION and LISTING given the other way round.
fn swapped(name: &str, kind: &str, is: &str, wanted: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{name} looks like {kind}, which is {is}, not {wanted}: were SELECTION and LISTING \
         swapped? The order is `blobsel preview SELECTION [LISTING...]` (SELECTION: blob \
         list XML or a JSON export job)"
    )
}

fn index_refused(name: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{name} is a compiled index (blobsel compile): give the selection it was compiled \
         from (preview, convert and plan read an index; check and compile do not)"
    )
}

/// `check`'s SELECTION, read with every error found (up to 100), in it and
/// in the blob list blob given with --blob-list. `Err` for what stops
/// before reading (a missing file, an index).
fn check_selection(a: &SelectionArgs) -> Result<std::result::Result<Selection, Errors>> {
    let name = selection_name(&a.selection);
    let (text, head) = match open_selection(&a.selection)? {
        Opened::Selection { text, head } => (text, head),
        Opened::Index(_) => return Err(index_refused(&name)),
    };
    let options = ParseOptions::default();
    let mut selection = match options.check(text, &name) {
        Ok(selection) => selection,
        Err(errors) => match sniff::listing_kind(&head) {
            Some(kind) => return Err(swapped(&name, kind, "a listing", "a selection")),
            None => return Ok(Err(errors)),
        },
    };
    match (&a.blob_list, selection.blob_list_blob_path().is_some()) {
        (Some(path), true) => {
            let file = output::open_file(path)?;
            let source = path.display().to_string();
            if let Err(errors) = options.check_blob_list(&mut selection, file, &source) {
                return Ok(Err(errors));
            }
        }
        (Some(path), false) => return Err(blob_list_not_named(path, &name)),
        (None, _) => {}
    }
    if let Err(e) = selection.rules() {
        return Ok(Err(e.into()));
    }
    Ok(Ok(selection))
}

/// Prints `errors` to stderr, one `blobsel: SOURCE:LINE:COLUMN: message` a
/// line, then how many were not shown and how many there were.
fn report_errors(errors: &Errors) -> Result<()> {
    let mut err = io::stderr().lock();
    for e in errors {
        writeln!(err, "blobsel: {e}")?;
    }
    if errors.omitted() > 0 {
        writeln!(
            err,
            "blobsel: … and {} more error{} (the first {} are shown)",
            errors.omitted(),
            if errors.omitted() == 1 { "" } else { "s" },
            errors.as_slice().len()
        )?;
    }
    if errors.total() > 1 {
        let source = errors.first().source_name().unwrap_or("the selection");
        writeln!(
            err,
            "blobsel: {source}: {}",
            commands::plural(errors.total(), "error")
        )?;
    }
    Ok(())
}

fn blob_list_not_named(path: &Path, name: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "--blob-list {} was given, but {name} has no BlobListBlobPath: it names its blobs \
         itself; drop --blob-list",
        path.display()
    )
}

fn index_with_blob_list(name: &str, list: &Path) -> anyhow::Error {
    anyhow::anyhow!(
        "--blob-list {} was given, but {name} is a compiled index, which holds its rules: \
         drop --blob-list",
        list.display()
    )
}

/// SELECTION, opened and read once (it may be a pipe).
enum Opened {
    /// An index written by `blobsel compile`: all its bytes.
    Index(index::FileBytes),
    /// Anything else: a selection to parse, from its first byte, and its
    /// first bytes again (to tell a listing given in its place).
    Selection {
        text: io::Chain<io::Cursor<Vec<u8>>, Box<dyn Read>>,
        head: Vec<u8>,
    },
}

/// Opens SELECTION and tells an index written by `blobsel compile` (by
/// its first eight bytes) from a selection.
fn open_selection(path: &Path) -> Result<Opened> {
    // A file is opened once (a pipe could not be opened again), and kept
    // to map if it is a regular file holding an index.
    let (mut file, regular): (Box<dyn Read>, Option<std::fs::File>) = if is_stdin(path) {
        (Box::new(io::stdin().lock()), None)
    } else {
        let f = output::open_file(path)?;
        let regular = f.metadata().is_ok_and(|m| m.is_file());
        let mapped = if regular { Some(f.try_clone()?) } else { None };
        (Box::new(f), mapped)
    };
    let name = selection_name(path);
    let mut head = Vec::new();
    (&mut file)
        .take(sniff::HEAD)
        .read_to_end(&mut head)
        .with_context(|| format!("cannot read {name}"))?;
    if !Matcher::is_index(&head) {
        let text = io::Cursor::new(head.clone()).chain(file);
        return Ok(Opened::Selection { text, head });
    }
    // An index file is mapped (loading it then reads only what it
    // checks); one from a pipe is read whole.
    if let Some(mut f) = regular {
        return Ok(Opened::Index(index::read_whole(&mut f, &name)?));
    }
    file.read_to_end(&mut head)
        .with_context(|| format!("cannot read {name}"))?;
    Ok(Opened::Index(index::FileBytes::Owned(head)))
}

/// Whether SELECTION (or a LISTING) is `-`, standard input.
fn is_stdin(path: &Path) -> bool {
    path == Path::new("-")
}

/// SELECTION as errors and origins name it.
fn selection_name(path: &Path) -> String {
    if is_stdin(path) {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Parses the selection `text` read from SELECTION, and supplies its blob
/// list blob from --blob-list.
fn parse_opened(
    text: impl Read,
    a: &SelectionArgs,
    need_rules: bool,
    options: &ParseOptions,
) -> Result<Selection> {
    let name = selection_name(&a.selection);
    let mut selection = options.parse(text, &name)?;
    match (&a.blob_list, selection.blob_list_blob_path().is_some()) {
        (Some(path), true) => {
            let file = output::open_file(path)?;
            selection.supply_blob_list(file, &path.display().to_string())?;
        }
        (Some(path), false) => return Err(blob_list_not_named(path, &name)),
        (None, _) => {}
    }
    if need_rules {
        selection.rules()?;
    }
    Ok(selection)
}
