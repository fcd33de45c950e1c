//! Listing a plan with many List Blobs requests in flight, in the order of
//! one sequential listing.

use std::time::{Duration, Instant};

use self::rows::{blob_name, take_rows};
use super::client::Client;
use super::{is_container_not_found, resolve_plan, ListStats};
use crate::error::Error;
use crate::listing::ListingEntry;
use crate::plan::Plan;

mod parallel;
mod rows;

/// The default number of requests in flight.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// Lists a [`Plan`] with several requests in flight; the rows reach the sink
/// in the order, and with the content, of a sequential [`list_plan`].
///
/// # How the work is split
///
/// The plan gives a list of *units*, (container, blob-name prefix), in the
/// order a sequential listing visits them. Each unit becomes a *task*: one
/// chain of List Blobs pages (a page's `NextMarker` is needed for the next,
/// so a chain is sequential). While few tasks are waiting, a task is listed
/// with `delimiter=/`: its pages hold the rows of the blobs directly under
/// its prefix, and the virtual directories below it (`BlobPrefix`), each of
/// which becomes a task of its own, listed at the same time. Otherwise the
/// task is listed flat (no delimiter), as today's sequential listing does.
///
/// The split is complete: every blob name under a prefix `P` either has no
/// `/` after `P` (it is a row of the delimiter listing of `P`) or has one,
/// and then it is under exactly one `BlobPrefix` `P…/` of that listing and
/// is listed by that prefix's task, nothing else. Snapshots and uncommitted
/// blobs are rows of the blob they belong to, so they go with it.
///
/// # Why the order is the sequential order
///
/// The service lists names in sorted order, so the names under a prefix `Q`
/// are contiguous in a sequential listing, and a name `b` not under `Q` sorts
/// before all of them exactly when `b < Q`. The rows of a delimiter page and
/// its `BlobPrefix` names are therefore merged by that comparison, each
/// prefix standing for the whole listing of its task. "Sorted" is the
/// service's order, by UTF-16 code units (Azurite's, and .NET's ordinal
/// order Azure uses), not the byte order of the UTF-8 names: the two differ
/// between characters at or above U+10000 and those in U+E000..=U+FFFF, and
/// comparing by bytes once lost and reordered directories. Should a service
/// list a page's directories out of that order, the listing stops with an
/// error rather than drop or misplace any.
///
/// The rows of one blob (its snapshots, and the blob itself) are passed on
/// in one order whatever the listing: snapshots oldest first, then the blob,
/// as Azure lists them. Azurite lists snapshots newest first in a flat
/// listing and in another order with a delimiter, so without this a split
/// listing would differ from a flat one. A page's last blob may go on in
/// the next page: its rows are held back until the next page comes.
///
/// # Memory
///
/// Results of tasks later in the order wait in memory until the rows before
/// them are passed on. Their number is bounded: once more than
/// `max_pages_waiting` pages' worth of rows wait, a worker finishing a page of
/// a task that is not the one being passed on sets the task aside (its next
/// marker kept) and takes the earliest task instead, or waits; the worker
/// of the task being passed on waits for the sink to take its rows. So
/// however slow the sink, at most `max_pages_waiting + concurrency` pages
/// wait ([`ListProgress::waiting`] shows how many rows do).
///
/// [`list_plan`]: super::list_plan
///
/// ```no_run
/// use blobsel::plan::Plan;
/// use blobsel::remote::{ClientBuilder, Lister};
///
/// let client = ClientBuilder::from_connection_string("UseDevelopmentStorage=true")?.build()?;
/// let plan = Plan::default();
/// let stats = Lister::new(&client).concurrency(32).list(&plan, &mut |entry| {
///     println!("{}", entry.path);
///     Ok(())
/// })?;
/// eprintln!("{} rows, {} requests", stats.entries, stats.requests);
/// # Ok::<(), blobsel::Error>(())
/// ```
pub struct Lister<'c> {
    client: &'c Client,
    concurrency: usize,
    max_pages_waiting: Option<usize>,
    progress: Option<&'c dyn Fn(&ListProgress)>,
    checkpoint: Option<&'c dyn Fn(&ResumePoint)>,
    resume: Option<ResumePoint>,
}

/// Where a listing stands, to go on from there after an interruption: the
/// rows passed on so far are exactly those of a sequential listing up to
/// and including every row of blob `last_name` of unit `unit`.
///
/// [`Lister::on_checkpoint`] reports one after each page's rows; given to
/// [`Lister::resume_from`] with the same plan, the listing goes on with the
/// next row, listing again at most one page per virtual directory level
/// (the page the point was in, from its marker), and the rows passed on
/// are the rest of the sequential listing: the two parts together equal
/// an uninterrupted run.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResumePoint {
    /// The index of the unit (container and plan prefix, in listing order).
    pub unit: usize,
    /// The container of that unit (checked on resume).
    pub container: String,
    /// The last blob whose rows were all passed on.
    pub last_name: String,
    /// The chains of pages being listed, from the unit's down to the one
    /// `last_name` came from.
    pub frames: Vec<ResumeFrame>,
}

/// One chain of pages of a [`ResumePoint`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResumeFrame {
    /// The blob-name prefix listed.
    pub prefix: String,
    /// Whether it is listed with `delimiter=/`.
    pub split: bool,
    /// The marker of the page the point is in (`None`: the first page).
    pub marker: Option<String>,
}

/// Where a listing is, for a progress display: passed to the callback of
/// [`Lister::on_progress`] after each page's rows reach the sink.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListProgress {
    /// Rows passed to the sink so far.
    pub entries: u64,
    /// List Blobs pages read so far.
    pub pages: u64,
    /// Requests sent so far, retries included.
    pub requests: u64,
    /// Requests in flight now.
    pub in_flight: u64,
    /// Rows listed and waiting for their turn (the page just passed on
    /// included): bounded by `max_pages_waiting + concurrency` pages.
    pub waiting: u64,
    /// Time since the listing started.
    pub elapsed: Duration,
}

impl<'c> Lister<'c> {
    /// A lister over `client` with [`DEFAULT_CONCURRENCY`] requests in flight.
    pub fn new(client: &'c Client) -> Lister<'c> {
        Lister {
            client,
            concurrency: DEFAULT_CONCURRENCY,
            max_pages_waiting: None,
            progress: None,
            checkpoint: None,
            resume: None,
        }
    }

    /// Sets the number of requests in flight (at least 1). With 1, the plan
    /// is listed as [`list_plan`](super::list_plan) does: one flat chain of
    /// pages per container and prefix, one request at a time.
    pub fn concurrency(&mut self, n: usize) -> &mut Lister<'c> {
        self.concurrency = n.max(1);
        self
    }

    /// Sets how many pages' worth of rows may wait for their turn (default:
    /// twice the concurrency).
    pub fn max_pages_waiting(&mut self, pages: usize) -> &mut Lister<'c> {
        self.max_pages_waiting = Some(pages.max(1));
        self
    }

    /// Calls `progress` (on the calling thread) after each page's rows are
    /// passed on.
    pub fn on_progress(&mut self, progress: &'c dyn Fn(&ListProgress)) -> &mut Lister<'c> {
        self.progress = Some(progress);
        self
    }

    /// Calls `checkpoint` (on the calling thread) after each page's rows are
    /// passed on, with the point to resume from should the listing stop
    /// after them.
    pub fn on_checkpoint(&mut self, checkpoint: &'c dyn Fn(&ResumePoint)) -> &mut Lister<'c> {
        self.checkpoint = Some(checkpoint);
        self
    }

    /// Goes on from `point` (reported by [`on_checkpoint`](Self::on_checkpoint)
    /// during an earlier listing of the same plan): only the rows after it
    /// are passed on.
    pub fn resume_from(&mut self, point: ResumePoint) -> &mut Lister<'c> {
        self.resume = Some(point);
        self
    }

    /// Lists every blob `plan` can select, calling `sink` for each row, in
    /// the order of a sequential listing. The first error (of a request,
    /// after its retries, or of `sink`) stops the listing and is returned.
    pub fn list(
        &self,
        plan: &Plan,
        sink: &mut dyn FnMut(&ListingEntry) -> Result<(), Error>,
    ) -> Result<ListStats, Error> {
        let started = Instant::now();
        let requests_before = self.client.requests_sent();
        let retries_before = self.client.retries();
        let mut stats = ListStats::default();
        let work = resolve_plan(self.client, plan, &mut stats)?;
        let mut run = Run {
            lister: self,
            started,
            entries: 0,
        };
        if let Some(point) = &self.resume {
            let unit = work
                .iter()
                .flat_map(|(c, p)| p.iter().map(move |_| c))
                .nth(point.unit);
            if unit != Some(&point.container) || point.frames.is_empty() {
                return Err(super::credential::remote_error(format!(
                    "cannot resume: the listing to resume was of another plan or account \
                     (unit {} of container {:?} is not there); list again without resuming",
                    point.unit, point.container
                )));
            }
        }
        let result = if self.concurrency == 1 && self.resume.is_none() {
            run.sequential(&work, &mut stats, sink)
        } else {
            run.parallel(&work, &mut stats, sink)
        };
        stats.entries = run.entries;
        stats.requests = self.client.requests_sent() - requests_before;
        stats.retries = self.client.retries() - retries_before;
        stats.elapsed = started.elapsed();
        result.map(|()| stats)
    }
}

/// One call of [`Lister::list`].
struct Run<'a, 'c> {
    lister: &'a Lister<'c>,
    started: Instant,
    entries: u64,
}

impl Run<'_, '_> {
    fn progress(&self, pages: u64, in_flight: u64, waiting: u64) {
        if let Some(f) = self.lister.progress {
            f(&ListProgress {
                entries: self.entries,
                pages,
                requests: self.lister.client.requests_sent(),
                in_flight,
                waiting,
                elapsed: self.started.elapsed(),
            });
        }
    }

    fn checkpoint(&self, point: impl FnOnce() -> ResumePoint) {
        if let Some(f) = self.lister.checkpoint {
            f(&point());
        }
    }

    /// Today's listing: one flat chain per unit, one request at a time.
    fn sequential(
        &mut self,
        work: &[(String, Vec<String>)],
        stats: &mut ListStats,
        sink: &mut dyn FnMut(&ListingEntry) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut first_unit = 0;
        for (container, prefixes) in work {
            let mut listed = false;
            // Units are numbered as the parallel listing numbers them: every
            // prefix of every container, in order.
            let units = first_unit..;
            first_unit += prefixes.len();
            for (unit, prefix) in units.zip(prefixes) {
                let mut marker: Option<String> = None;
                let mut pages = 0;
                let mut carry = Vec::new();
                loop {
                    let page = self.lister.client.list_blobs_page(
                        container,
                        prefix,
                        false,
                        marker.as_deref(),
                        pages + 1,
                    );
                    let page = match page {
                        Ok(page) => page,
                        Err(e) if !listed && pages == 0 && is_container_not_found(&e) => {
                            stats.missing_containers.push(container.clone());
                            break;
                        }
                        Err(e) => return Err(e),
                    };
                    pages += 1;
                    stats.list_blobs_pages += 1;
                    let more = page.next.is_some();
                    let rows = take_rows(&mut carry, page.entries, more, &[]);
                    for entry in &rows {
                        sink(entry)?;
                        self.entries += 1;
                    }
                    self.progress(stats.list_blobs_pages, 1, rows.len() as u64);
                    if let Some(last) = rows.last() {
                        self.checkpoint(|| ResumePoint {
                            unit,
                            container: container.clone(),
                            last_name: blob_name(last).to_string(),
                            frames: vec![ResumeFrame {
                                prefix: prefix.clone(),
                                split: false,
                                marker: marker.clone(),
                            }],
                        });
                    }
                    marker = page.next;
                    if marker.is_none() {
                        break;
                    }
                }
                if pages == 0 {
                    break; // the container is missing
                }
                listed = true;
            }
            stats.containers += u64::from(listed);
        }
        Ok(())
    }
}
