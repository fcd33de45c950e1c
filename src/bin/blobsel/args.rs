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
    /// One JSON object a blob: path, snapshot, size, rule.
    Jsonl,
}

#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[command(flatten)]
    pub sel: SelectionArgs,
    /// Listings of the account; none or '-' reads stdin.
    #[arg(value_name = "LISTING")]
    pub listings: Vec<PathBuf>,
    /// The listing format [default: from the extension: .xml, .csv,
    /// .parquet, .jsonl/.ndjson, else lines].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub listing_format: Option<FormatArg>,
    /// How to print the blobs.
    #[arg(long, value_enum, default_value = "text", value_name = "FORMAT")]
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
    /// Estimate the drives the export needs, e.g. 500GB, 8TB, 1.5TiB
    /// (decimal KB/MB/GB/TB and binary KiB/MiB/GiB/TiB).
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
    /// An Azure connection string; without a value, the one in
    /// AZURE_STORAGE_CONNECTION_STRING.
    #[arg(long, value_name = "STRING", num_args = 0..=1, default_missing_value = "", conflicts_with = "account_url")]
    pub connection_string: Option<String>,
    /// Write what was listed to FILE (jsonl), to preview it again offline.
    #[arg(long, value_name = "FILE")]
    pub save_listing: Option<PathBuf>,
    /// Results per List Blobs / List Containers page (1-5000).
    #[arg(long, value_name = "N", default_value = "5000")]
    pub page_size: u32,
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
