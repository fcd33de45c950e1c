//! The command line, as clap sees it. `main` turns it into plain configs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  # What would this job export, from a listing of the account?
  blobsel preview job.json listing.txt
  # Same, with a blob list blob kept as a local file, and a summary
  blobsel preview job.json --blob-list list.xml listing.txt --summary
  # List Blobs XML pages or an inventory CSV, with the rule that selects each
  blobsel preview list.xml pages/*.xml --explain
  # How many 8 TB drives?
  blobsel preview list.xml inventory.csv --drive-size 8TB --summary-only
  # Everything the job leaves behind
  blobsel preview list.xml listing.txt --invert
  # A blob list of a million paths: compile it once, preview many times
  blobsel compile list.xml -o list.bsi
  blobsel preview list.bsi listing.txt
  # Validate and lint; convert; plan the listing calls
  blobsel check list.xml
  blobsel convert list.xml --to json
  blobsel plan job.json
  # After the export: check the drives against the preview, then mend them
  blobsel verify job.json listing.jsonl --manifest D1.manifest --drive /mnt/d1
  blobsel repair --manifest D1.manifest --drive /mnt/d1 --account-url URL

Exit status: 0 something selected, 1 nothing selected, 2 error.";

/// Which blobs will this Azure Import/Export export job export?
///
/// blobsel reads an export job's blob selection (blob list XML, the Export
/// JSON fragment, a Put Job request body, or an ARM job), compiles it, and
/// matches listings of the storage account against it with the service's
/// exact semantics.
#[derive(Debug, Parser)]
#[command(name = "blobsel", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the blobs of a listing that the job exports, in input order.
    #[command(after_help = EXAMPLES)]
    Preview(PreviewArgs),
    /// Validate a selection: every error in it, or its warnings.
    ///
    /// Reads the selection (and the blob list blob given with --blob-list).
    /// When it is invalid, prints every error in it, up to 100, one a line on
    /// stderr as SOURCE:LINE:COLUMN: message. When it is valid, prints to
    /// stdout one `warning:` line for each thing that is likely a mistake (a
    /// rule that duplicates or is covered by another, a prefix that can never
    /// match or that spans several containers, a SnapshotTime not in UTC, an
    /// inline BlobList close to 32 KiB, no rules at all), then one line that
    /// names the form and counts the rules and warnings.
    #[command(after_help = CHECK_EXIT)]
    Check(CheckArgs),
    /// Compile a selection into an index file, which `preview` reads in its
    /// place without parsing and compiling it again.
    ///
    /// Writes the index to FILE and one line to stderr (the rules compiled,
    /// the file, its size), after the warnings `blobsel check` would print
    /// (also on stderr). Stops at the selection's first error; `blobsel
    /// check` lists them all.
    #[command(after_help = COMPILE_EXIT)]
    Compile(CompileArgs),
    /// Convert a selection between blob list XML and the JSON forms.
    Convert(ConvertArgs),
    /// Print the fewest List Containers / List Blobs calls that see every
    /// blob the selection can select.
    ///
    /// These are the calls `preview --account-url` makes: one line (or JSON
    /// object) a container, or a container-name prefix for a prefix that ends
    /// inside a container name, with the blob-name prefixes to list in it.
    #[command(after_help = PLAN_EXIT)]
    Plan(PlanArgs),
    /// After the export: check the returned drives against the preview.
    #[command(long_about = VERIFY_ABOUT, after_help = VERIFY_EXAMPLES)]
    Verify(VerifyArgs),
    /// Fetch what a drive lacks from the account: damaged, missing and
    /// failed blocks and page ranges, written in place.
    #[command(long_about = REPAIR_ABOUT, after_help = REPAIR_EXAMPLES)]
    Repair(RepairArgs),
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// The selection: blob list XML, an Export JSON fragment, a Put Job
    /// request body or an ARM job; the form is detected from the content.
    /// `preview`, `convert` and `plan` also take an index written by
    /// `blobsel compile`. `-` reads it from stdin (preview then needs
    /// LISTING files).
    pub selection: PathBuf,
    /// The blob list blob's XML, when the selection names one with
    /// BlobListBlobPath.
    #[arg(long, value_name = "FILE")]
    pub blob_list: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// One blob a line: PATH or PATH<TAB>SNAPSHOT.
    Lines,
    /// One JSON object a line.
    Jsonl,
    /// Azure List Blobs responses (EnumerationResults XML).
    Xml,
    /// Azure blob inventory CSV.
    Csv,
    /// Azure blob inventory Parquet.
    Parquet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputArg {
    /// Paths, one a line (lines input: each line as read).
    Text,
    /// One JSON object a line: for preview a blob (path, snapshot, size,
    /// rule or why none, lease, version), for plan a call.
    Jsonl,
    /// One JSON object: with `preview --summary-only`, the summary.
    Json,
}

/// Parses `--output FORMAT`; a value that is no format is most likely a
/// file name meant for `-o/--output-file`, and the error says so.
fn output_format<T: ValueEnum>(text: &str) -> Result<T, String> {
    T::from_str(text, true).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect();
        format!(
            "{text:?} is not an output format ({}): --output chooses the format; to write \
             the output to a file, use -o/--output-file {text}",
            names.join(", ")
        )
    })
}

/// The listing files `preview` and `verify` read, and their format.
#[derive(Debug, Args)]
pub struct ListingArgs {
    /// Listings of the account; none or '-' reads stdin.
    #[arg(value_name = "LISTING")]
    pub listings: Vec<PathBuf>,
    /// The listing format [default: from the extension: .xml, .csv,
    /// .parquet, .jsonl/.ndjson, .txt (lines); else detected from the
    /// content: a JSON object is jsonl, `<` xml, a header with Name csv,
    /// anything else lines].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub listing_format: Option<FormatArg>,
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[command(flatten)]
    pub sel: SelectionArgs,
    #[command(flatten)]
    pub listing: ListingArgs,
    /// Skip jsonl keys blobsel does not read (other tools' extra keys)
    /// instead of refusing them; a key that looks like a misspelling of one
    /// it reads is still an error. The summary counts the rows skipped.
    #[arg(long)]
    pub ignore_unknown_keys: bool,
    /// How to print the blobs: text, jsonl (an object a blob), or json
    /// (with --summary-only: the summary as one object). To write to a
    /// file, use -o/--output-file.
    #[arg(long, value_parser = output_format::<OutputArg>, default_value = "text", value_name = "FORMAT")]
    pub output: OutputArg,
    /// Add the rule that selected each blob as a last tab-separated column.
    #[arg(long)]
    pub explain: bool,
    /// Print the blobs that are NOT selected instead.
    #[arg(long)]
    pub invert: bool,
    /// Print a summary to stderr: counts, bytes, hits per rule, rules that
    /// selected nothing, skipped and leased blobs.
    #[arg(long)]
    pub summary: bool,
    /// Print only the summary, to stdout.
    #[arg(long, conflicts_with = "summary")]
    pub summary_only: bool,
    /// Estimate the drives the export needs, e.g. 500GB, 8TB, 1.5TiB. Units:
    /// B, KB, MB, GB, TB, PB (powers of 1000, as drives are sold; K, M, G,
    /// T, P alone likewise) or KiB, MiB, GiB, TiB, PiB (powers of 1024); a
    /// unit is required. Blobs larger than a drive are named.
    #[arg(long, value_name = "SIZE")]
    pub drive_size: Option<String>,
    /// Write the output to FILE, atomically (complete, or not at all); a
    /// device or pipe (/dev/null, a FIFO) is written in place.
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Worker threads [default: one per core].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    #[command(flatten)]
    pub account: AccountArgs,
}

/// Listing the storage account itself instead of LISTING files.
#[derive(Debug, Args)]
#[command(next_help_heading = "Listing the account (instead of LISTING files)")]
pub struct AccountArgs {
    /// The account's blob endpoint: https://ACCOUNT.blob.core.windows.net,
    /// or http://127.0.0.1:10000/devstoreaccount1 for Azurite. Lists only
    /// what the selection can select (see `blobsel plan`).
    #[arg(long, value_name = "URL")]
    pub account_url: Option<String>,
    /// An account or container SAS token (sv=…&sig=…).
    #[arg(
        long,
        value_name = "TOKEN",
        requires = "account_url",
        conflicts_with = "account_key"
    )]
    pub sas: Option<String>,
    /// The account key (Shared Key). Prefer the environment variable, which
    /// stays out of shell history.
    #[arg(
        long,
        env = "BLOBSEL_ACCOUNT_KEY",
        hide_env_values = true,
        value_name = "KEY"
    )]
    pub account_key: Option<String>,
    /// How to authorize: `login` signs in with Microsoft Entra ID (a service
    /// principal from AZURE_TENANT_ID/AZURE_CLIENT_ID with AZURE_CLIENT_SECRET
    /// or AZURE_CLIENT_CERTIFICATE_PATH, workload identity, a managed identity, or `az login`, tried in this
    /// order; HTTPS only); `key` uses the account key, SAS or connection
    /// string given.
    #[arg(
        long,
        value_enum,
        env = "AZURE_STORAGE_AUTH_MODE",
        value_name = "MODE",
        ignore_case = true,
        conflicts_with = "sas"
    )]
    pub auth_mode: Option<AuthMode>,
    /// An Azure connection string; without a value, the one in
    /// AZURE_STORAGE_CONNECTION_STRING.
    #[arg(long, value_name = "STRING", num_args = 0..=1, default_missing_value = "", conflicts_with = "account_url")]
    pub connection_string: Option<String>,
    /// Write what was listed to FILE (jsonl), to preview it again offline.
    /// If the listing stops (Ctrl-C, the network gone), FILE keeps what was
    /// listed and FILE.resume where it stopped: see --resume.
    #[arg(long, value_name = "FILE")]
    pub save_listing: Option<PathBuf>,
    /// Go on with the interrupted listing into --save-listing FILE: its rows
    /// are previewed again without listing them, and the rest is listed and
    /// appended. Give the same selection and account.
    #[arg(long, requires = "save_listing")]
    pub resume: bool,
    /// Results per List Blobs / List Containers page (1-5000). With
    /// --concurrency above 1, the requests that find virtual directories to
    /// list in parallel (delimiter=/) ask for 5000: their pages are mostly
    /// directory names.
    #[arg(long, value_name = "N", default_value = "5000", value_parser = clap::value_parser!(u32).range(1..=5000))]
    pub page_size: u32,
    /// List Blobs requests in flight: containers, prefixes and the virtual
    /// directories below them are listed at the same time (1: one request
    /// at a time). The output is the same whatever N.
    #[arg(long, value_name = "N", default_value = "16", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// The account key, SAS or connection string given.
    Key,
    /// A Microsoft Entra ID token.
    Login,
}

const CHECK_EXIT: &str = "\
Exit status: 0 valid (with or without warnings), 1 valid but with warnings and --strict,
2 invalid (or unreadable).";

const COMPILE_EXIT: &str = "\
Exit status: 0 index written (warnings do not stop it), 1 warnings with --strict (no index
written), 2 error.";

const PLAN_EXIT: &str = "\
Exit status: 0 calls printed, 1 nothing to list (no rule can select a blob), 2 error.";

/// The SELECTION of the commands that take a selection and no listing.
const SELECTION_ONLY: &str = "The selection: blob list XML, an Export JSON fragment, a Put Job \
    request body or an ARM job; the form is detected from the content. `-` reads it from stdin";

#[derive(Debug, Args)]
#[command(mut_arg("selection", |a| a.help(SELECTION_ONLY)))]
pub struct CompileArgs {
    #[command(flatten)]
    pub sel: SelectionArgs,
    /// The index file to write, atomically. `blobsel preview INDEX ...`
    /// then matches as the selection would (listing the account with
    /// --account-url still needs the selection).
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    pub output_file: PathBuf,
    /// Treat warnings as errors: with any, write no index and exit 1.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
#[command(mut_arg("selection", |a| a.help(SELECTION_ONLY)))]
pub struct CheckArgs {
    #[command(flatten)]
    pub sel: SelectionArgs,
    /// Exit 1 when there are warnings (for CI pipelines); the output is the
    /// same.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetArg {
    /// Blob list XML.
    Xml,
    /// The Export JSON fragment (PascalCase, as in a Put Job body).
    Json,
    /// An ARM job body (camelCase properties.export).
    ArmJson,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub sel: SelectionArgs,
    /// The form to write.
    #[arg(long, value_enum)]
    pub to: TargetArg,
    /// With --to json/arm-json: write the rules as blob list XML to FILE and
    /// emit JSON that names it with BlobListBlobPath (for lists over 32 KiB,
    /// or with snapshot attributes).
    #[arg(long, value_name = "FILE", requires = "blob_list_path")]
    pub blob_list_out: Option<PathBuf>,
    /// Where the blob list blob will live in the account: container/name.xml.
    #[arg(long, value_name = "PATH", requires = "blob_list_out")]
    pub blob_list_path: Option<String>,
    /// Write the output to FILE, atomically; a device or pipe is written
    /// in place.
    #[arg(short = 'o', long = "output-file", value_name = "FILE")]
    pub output_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(mut_arg("selection", |a| a.help(
    "The selection: blob list XML, an Export JSON fragment, a Put Job request body, an ARM \
     job, or an index written by `blobsel compile`; the form is detected from the content. \
     `-` reads it from stdin"
)))]
pub struct PlanArgs {
    #[command(flatten)]
    pub sel: SelectionArgs,
    /// How to print the plan.
    #[arg(long, value_enum, default_value = "text", value_name = "FORMAT")]
    pub output: PlanOutputArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanOutputArg {
    /// One call a line: `container NAME: prefix=P …`, `containers starting
    /// with P: …` or `every container: …`; `(all blobs)` for the whole
    /// container.
    Text,
    /// One JSON object a line: {"scope":{"kind":"container" or
    /// "name_prefix","name":…},"blob_prefixes":[…]}, "" for all blobs.
    Jsonl,
}

const VERIFY_ABOUT: &str = "\
After the export: check the returned drives against the preview.

What should have been exported is the preview of SELECTION against the
LISTING files (or the account itself, with --account-url or
--connection-string, as in `preview`). What was exported is what the drive
manifests (--manifest, one per drive) list. With each drive's copy log
(--copy-log) and its files (--drive: the mounted drive, or a copy of its
files) the check goes down to the bytes: every block and page range is
hashed and compared with the manifest's MD5.

One finding a line, tab-separated: the kind, /container/blob, the snapshot
when there is one, then key=value details. The kinds:

  missing        selected by the preview, on no drive
  unexpected     on a drive, not selected by the preview
  duplicate      on more than one drive (drives=…)
  changed        its length differs from the listing's size (or, from a
                 verbose copy log, it was modified later): the blob changed
                 after the listing; the copy is not corrupt
  failed         a copy-log entry that is not Completed (status=…, and
                 part=, offset=, length= for a block or page range)
  drive-failed   the copy log's drive status is a failure (BitLocker, …)
  damaged        a block, page range, properties or metadata file whose MD5
                 does not match the manifest (part=, offset=, length=)
  file-missing   a file the manifest names is not on the drive
  file-length    a blob's file is not Length bytes long (file-length=)

A copy log goes with the manifest of its DriveId; --drive folders with the
manifest whose DriveId their name holds, or else in the order given. A
FilePath that would leave the drive (.., an absolute path, a drive letter, a
symbolic link out of it) is an error and is never followed.";

const VERIFY_EXAMPLES: &str = "\
Examples:
  # The sample drive in the repository (tests/fixtures/export-drive):
  cd tests/fixtures/export-drive
  blobsel verify selection.xml listing.jsonl --manifest 9WM35C3U.manifest \\
      --copy-log 9WM35C3U_error.xml --drive drive-9WM35C3U --summary
  # Manifests only (no drive at hand): missing, unexpected, duplicate, changed
  blobsel verify job.json listing.txt --manifest d1.manifest --manifest d2.manifest
  # Against the account itself, findings as JSON objects
  blobsel verify job.json --account-url https://acct.blob.core.windows.net \\
      --manifest d1.manifest --output jsonl
  # Then fetch what is damaged or missing from the account:
  blobsel repair --manifest d1.manifest --drive /mnt/d1 --copy-log d1_error.xml \\
      --account-url https://acct.blob.core.windows.net

Exit status: 0 the drives hold exactly what the preview selects, whole;
1 any finding; 2 error.";

#[derive(Debug, Args)]
#[command(mut_arg("listings", |a| a.help(
    "Listings of the account when the job ran, as for `preview`; none or '-' reads stdin"
)))]
pub struct VerifyArgs {
    #[command(flatten)]
    pub sel: SelectionArgs,
    #[command(flatten)]
    pub listing: ListingArgs,
    /// A drive manifest (DriveManifest XML), one per drive of the job.
    #[arg(long = "manifest", value_name = "FILE", required = true)]
    pub manifests: Vec<PathBuf>,
    /// A drive's copy log (DriveLog XML: the error log or the verbose log).
    #[arg(long = "copy-log", value_name = "FILE")]
    pub copy_logs: Vec<PathBuf>,
    /// A drive's files (the mounted drive, or a copy): hash them. One per
    /// manifest, matched by the DriveId in the folder's name, or in order.
    #[arg(long = "drive", value_name = "DIR")]
    pub drives: Vec<PathBuf>,
    /// How to print the findings.
    #[arg(long, value_enum, default_value = "text", value_name = "FORMAT")]
    pub output: FindingsOutput,
    /// Print a summary to stderr: blobs and bytes per drive, totals, and
    /// findings per kind.
    #[arg(long)]
    pub summary: bool,
    /// Worker threads for hashing [default: one per core].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    #[command(flatten)]
    pub account: AccountArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingsOutput {
    /// One finding a line: kind, /container/blob, snapshot, key=value details.
    Text,
    /// One JSON object a finding, with the same fields.
    Jsonl,
}

const REPAIR_ABOUT: &str = "\
Fetch what a drive lacks from the account, and write it in place.

The drive's files (--drive) are hashed against its manifest (--manifest)
as `blobsel verify` does. Every damaged block or page range, every missing
file, and every range the copy log (--copy-log) says failed is fetched from
the account with a ranged Get Blob (of the snapshot when the manifest names
one) and written where the manifest places it; a missing file is created at
its Length, a file of the wrong length is set to it. Then the drive is
hashed again.

Nothing is written that does not match: each range fetched is checked
against the manifest's MD5 before it is written, and the blob's length
against the manifest's. A blob that changed in the account since the
export is reported (changed) and its file left as it is. Only files the
manifest names are written, and only inside the drive.

Progress goes to a state file (--state, by default beside the manifest):
the ETag of each blob as first fetched and each range written. Run the same
command again after an interruption and it continues; a blob whose ETag
changed in between is reported, not mixed. Properties and metadata files
cannot be recreated byte for byte and are listed as not repaired.

The account and its credentials are given as to `preview` (the options
under \"Listing the account\"; --save-listing and --page-size do nothing
here).

Output, one line each: created, resized, repaired (a range written),
changed (not written: the blob changed in the account), then what still
does not verify (not-repaired). With --dry-run: would-create,
would-resize, would-fetch.";

const REPAIR_EXAMPLES: &str = "\
Examples:
  # What would be fetched
  blobsel repair --manifest 9WM35C3U.manifest --drive /mnt/e --copy-log 9WM35C3U_error.xml \\
      --account-url https://acct.blob.core.windows.net --dry-run
  # Fetch it (the key from BLOBSEL_ACCOUNT_KEY; or --sas, --connection-string)
  blobsel repair --manifest 9WM35C3U.manifest --drive /mnt/e --copy-log 9WM35C3U_error.xml \\
      --account-url https://acct.blob.core.windows.net
  # Then check the whole job again
  blobsel verify job.json listing.jsonl --manifest 9WM35C3U.manifest --drive /mnt/e

Exit status: 0 the drive verifies after the repair (with --dry-run: there
is nothing to repair); 1 something could not be repaired (listed); 2 error.";

#[derive(Debug, Args)]
pub struct RepairArgs {
    /// The drive's manifest (DriveManifest XML).
    #[arg(long, value_name = "FILE")]
    pub manifest: PathBuf,
    /// The drive's files: the mounted drive, or a copy of them.
    #[arg(long, value_name = "DIR")]
    pub drive: PathBuf,
    /// The drive's copy log: its failed ranges are fetched too.
    #[arg(long = "copy-log", value_name = "FILE")]
    pub copy_log: Option<PathBuf>,
    /// The repair's progress, to continue after an interruption [default:
    /// MANIFEST.repair-state, beside the manifest].
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// List what would be fetched, created or resized; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    #[command(flatten)]
    pub account: AccountArgs,
}
