//! Listing a plan with many List Blobs requests in flight, in the order of
//! one sequential listing.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::client::Client;
use super::{is_container_not_found, resolve_plan, ListStats};
use crate::error::Error;
use crate::listing::ListingEntry;
use crate::plan::Plan;

/// The default number of requests in flight.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// How deep below a plan's prefix virtual directories are split off.
const MAX_DEPTH: u32 = 12;

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
/// prefix standing for the whole listing of its task (this assumes the
/// service's order is the byte order of UTF-8 names, which is what Azure
/// and Azurite use; the set of rows does not depend on it).
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
/// marker kept) and takes the earliest task instead, or waits. So at most
/// `max_pages_waiting + concurrency` pages wait.
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
    fn progress(&self, pages: u64, in_flight: u64) {
        if let Some(f) = self.lister.progress {
            f(&ListProgress {
                entries: self.entries,
                pages,
                requests: self.lister.client.requests_sent(),
                in_flight,
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
                    self.progress(stats.list_blobs_pages, 1);
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

    /// Workers list tasks; this thread passes their rows on in order.
    fn parallel(
        &mut self,
        work: &[(String, Vec<String>)],
        stats: &mut ListStats,
        sink: &mut dyn FnMut(&ListingEntry) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut state = State::default();
        let mut units: Vec<Vec<usize>> = Vec::new();
        let resume = self.lister.resume.as_ref();
        for (c, (_, prefixes)) in work.iter().enumerate() {
            let mut ids = Vec::new();
            for prefix in prefixes {
                let id = state.tasks.len();
                let path = vec![u32::try_from(id).unwrap_or(u32::MAX)];
                let mut task = Task::new(c, prefix.clone(), path.clone(), 0);
                match resume {
                    // Listed before the interruption.
                    Some(point) if id < point.unit => task.done = true,
                    Some(point) if id == point.unit => {
                        let frame = &point.frames[0];
                        task.split = Some(frame.split);
                        task.marker = frame.marker.clone();
                        task.after = Some(Arc::from(point.last_name.as_str()));
                        task.frames = point.frames[1..].to_vec();
                    }
                    _ => {}
                }
                if !task.done {
                    state.pending.insert(path, id);
                }
                state.tasks.push(task);
                ids.push(id);
            }
            units.push(ids);
        }
        let cap_rows = self
            .lister
            .max_pages_waiting
            .unwrap_or(2 * self.lister.concurrency)
            .saturating_mul(self.lister.client.builder.max_results as usize);
        let shared = Shared {
            state: Mutex::new(state),
            changed: Condvar::new(),
            containers: work.iter().map(|(c, _)| c.as_str()).collect(),
            client: self.lister.client,
            cap_rows,
            concurrency: self.lister.concurrency,
        };
        std::thread::scope(|scope| {
            for _ in 0..self.lister.concurrency {
                scope.spawn(|| shared.work());
            }
            let result = self.emit(&shared, work, &units, stats, sink);
            shared.lock().stop = true;
            shared.changed.notify_all();
            stats.list_blobs_pages = shared.lock().pages;
            result
        })
    }

    /// Passes the rows of every unit on, in order.
    fn emit(
        &mut self,
        shared: &Shared<'_>,
        work: &[(String, Vec<String>)],
        units: &[Vec<usize>],
        stats: &mut ListStats,
        sink: &mut dyn FnMut(&ListingEntry) -> Result<(), Error>,
    ) -> Result<(), Error> {
        for ((container, _), ids) in work.iter().zip(units) {
            let mut listed = false;
            for &id in ids {
                match self.drain(shared, id, sink) {
                    Ok(()) => listed = true,
                    Err((e, from)) if !listed && from == id && is_container_not_found(&e) => {
                        stats.missing_containers.push(container.clone());
                        break;
                    }
                    Err((e, _)) => return Err(e),
                }
            }
            stats.containers += u64::from(listed);
        }
        Ok(())
    }

    /// Passes on the rows of task `top` and of the tasks split off it, in
    /// order. An error names the task it came from.
    fn drain(
        &mut self,
        shared: &Shared<'_>,
        top: usize,
        sink: &mut dyn FnMut(&ListingEntry) -> Result<(), Error>,
    ) -> Result<(), (Error, usize)> {
        // The tasks being passed on, each with the marker of the page its
        // current piece came from.
        let mut stack: Vec<(usize, Option<Arc<str>>)> = vec![(top, None)];
        shared.set_front(top);
        while let Some(&(id, _)) = stack.last() {
            let mut state = shared.lock();
            let piece = loop {
                let task = &mut state.tasks[id];
                if let Some(piece) = task.pieces.pop_front() {
                    break Some(piece);
                }
                if let Some(e) = task.error.take() {
                    return Err((e, id));
                }
                if task.done {
                    break None;
                }
                state = shared.wait(state);
            };
            match piece {
                Some(Piece::Rows(rows, marker)) => {
                    state.held_rows -= rows.len();
                    let (pages, in_flight) = (state.pages, state.running as u64);
                    if let Some(top) = stack.last_mut() {
                        top.1 = marker;
                    }
                    let frames: Vec<ResumeFrame> = if self.lister.checkpoint.is_some() {
                        stack
                            .iter()
                            .map(|(t, m)| ResumeFrame {
                                prefix: state.tasks[*t].prefix.clone(),
                                split: state.tasks[*t].split.unwrap_or(false),
                                marker: m.as_deref().map(str::to_string),
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    drop(state);
                    shared.changed.notify_all();
                    for entry in &rows {
                        sink(entry).map_err(|e| (e, id))?;
                        self.entries += 1;
                    }
                    self.progress(pages, in_flight);
                    if let Some(last) = rows.last() {
                        self.checkpoint(|| ResumePoint {
                            unit: top,
                            container: shared.containers[shared_container(shared, top)].to_string(),
                            last_name: blob_name(last).to_string(),
                            frames,
                        });
                    }
                }
                Some(Piece::Child(child, marker)) => {
                    drop(state);
                    if let Some(top) = stack.last_mut() {
                        top.1 = marker;
                    }
                    stack.push((child, None));
                    shared.set_front(child);
                }
                None => {
                    state.tasks[id].prefix = String::new();
                    drop(state);
                    stack.pop();
                    if let Some(&(parent, _)) = stack.last() {
                        shared.set_front(parent);
                    }
                }
            }
        }
        Ok(())
    }
}

/// What one task has produced, in order: rows, or a task split off it whose
/// rows all come at this point.
/// Each with the marker of the page it came from (`None`: the first).
enum Piece {
    Rows(Vec<ListingEntry>, Option<Arc<str>>),
    Child(usize, Option<Arc<str>>),
}

/// One chain of List Blobs pages.
struct Task {
    /// The index of the container in the work list.
    container: usize,
    prefix: String,
    /// The place in the output order: tasks compare by it.
    path: Vec<u32>,
    depth: u32,
    /// With `delimiter=/`; decided when the first page is asked for.
    split: Option<bool>,
    /// The marker of the next page to ask for.
    marker: Option<String>,
    pages: u64,
    pieces: VecDeque<Piece>,
    children: u32,
    last_prefix: Option<String>,
    /// The rows of the last blob of the last page, held back.
    carry: Vec<ListingEntry>,
    /// When resuming: only what comes after this blob name is wanted.
    after: Option<Arc<str>>,
    /// When resuming: the chains below this one that were being listed.
    frames: Vec<ResumeFrame>,
    done: bool,
    error: Option<Error>,
}

impl Task {
    fn new(container: usize, prefix: String, path: Vec<u32>, depth: u32) -> Task {
        Task {
            container,
            prefix,
            path,
            depth,
            split: None,
            marker: None,
            pages: 0,
            pieces: VecDeque::new(),
            children: 0,
            last_prefix: None,
            carry: Vec::new(),
            after: None,
            frames: Vec::new(),
            done: false,
            error: None,
        }
    }
}

#[derive(Default)]
struct State {
    tasks: Vec<Task>,
    /// Tasks waiting for a worker, by their place in the order.
    pending: BTreeMap<Vec<u32>, usize>,
    /// Tasks a worker is listing.
    running: usize,
    /// Rows listed and not yet passed on.
    held_rows: usize,
    /// The task whose rows are being passed on.
    front: usize,
    stop: bool,
    pages: u64,
}

struct Shared<'a> {
    state: Mutex<State>,
    changed: Condvar,
    containers: Vec<&'a str>,
    client: &'a Client,
    cap_rows: usize,
    concurrency: usize,
}

impl Shared<'_> {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wait<'g>(&self, guard: MutexGuard<'g, State>) -> MutexGuard<'g, State> {
        self.changed
            .wait(guard)
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn set_front(&self, id: usize) {
        self.lock().front = id;
        self.changed.notify_all();
    }

    /// The next task for a worker: the earliest waiting one while there is
    /// room for more rows, else only the one being passed on.
    fn pick(&self, state: &mut State) -> Option<usize> {
        let (_, &first) = state.pending.first_key_value()?;
        if state.held_rows < self.cap_rows || first == state.front {
            state.pending.pop_first();
            return Some(first);
        }
        let front = state.front;
        let path = &state.tasks[front].path;
        state.pending.remove(path).map(|_| front)
    }

    /// A worker: lists tasks until told to stop.
    fn work(&self) {
        let mut state = self.lock();
        loop {
            let id = loop {
                if state.stop {
                    return;
                }
                if let Some(id) = self.pick(&mut state) {
                    break id;
                }
                state = self.wait(state);
            };
            state.running += 1;
            state = self.run(state, id);
            state.running -= 1;
            self.changed.notify_all();
        }
    }

    /// Lists pages of task `id` until it ends, fails, or is set aside.
    fn run<'g>(&'g self, mut state: MutexGuard<'g, State>, id: usize) -> MutexGuard<'g, State> {
        loop {
            let busy = state.pending.len() + state.running;
            let task = &mut state.tasks[id];
            let split = *task.split.get_or_insert(
                self.concurrency > 1 && task.depth < MAX_DEPTH && busy < 2 * self.concurrency,
            );
            let container = self.containers[task.container];
            let prefix = task.prefix.clone();
            let marker = task.marker.take();
            let start: Option<Arc<str>> = marker.as_deref().map(Arc::from);
            task.pages += 1;
            let number = task.pages;
            drop(state);
            let page =
                self.client
                    .list_blobs_page(container, &prefix, split, marker.as_deref(), number);
            state = self.lock();
            let page = match page {
                Ok(page) => page,
                // A service that refuses `delimiter=/` (with the includes) on
                // the first page: the task is listed flat instead.
                Err(e) if split && number == 1 && e.message().contains(": HTTP 400") => {
                    let task = &mut state.tasks[id];
                    task.split = Some(false);
                    task.marker = marker;
                    task.pages = 0;
                    continue;
                }
                Err(e) => {
                    let task = &mut state.tasks[id];
                    task.error = Some(e);
                    task.done = true;
                    self.changed.notify_all();
                    return state;
                }
            };
            state.pages += 1;
            let done = page.next.is_none();
            let task = &mut state.tasks[id];
            let rows = take_rows(&mut task.carry, page.entries, !done, &page.prefixes);
            self.add_page(&mut state, id, rows, page.prefixes, start);
            let task = &mut state.tasks[id];
            task.marker = page.next;
            task.done = done;
            self.changed.notify_all();
            if done || state.stop {
                return state;
            }
            if state.held_rows >= self.cap_rows && id != state.front {
                let path = state.tasks[id].path.clone();
                state.pending.insert(path, id);
                return state;
            }
        }
    }

    /// Adds the rows and the virtual directories of one page (from marker
    /// `start`) to task `id`, merged in name order; each directory becomes
    /// a waiting task. When resuming, what is not after the task's `after`
    /// name is left out, and a directory holding that name goes on where
    /// its frame says.
    fn add_page(
        &self,
        state: &mut State,
        id: usize,
        entries: Vec<ListingEntry>,
        prefixes: Vec<String>,
        start: Option<Arc<str>>,
    ) {
        let after = state.tasks[id].after.clone();
        let mut held = 0;
        let mut prefixes = prefixes.into_iter().peekable();
        let mut rows: Vec<ListingEntry> = Vec::new();
        let mut entries = entries
            .into_iter()
            .filter(|e| after.as_deref().is_none_or(|a| blob_name(e) > a));
        loop {
            let next_row = entries.next();
            // Directories that sort before this row (or all that are left).
            while let Some(q) = prefixes.next_if(|q| {
                next_row
                    .as_ref()
                    .is_none_or(|r| q.as_bytes() < blob_name(r).as_bytes())
            }) {
                let child = state.tasks.len();
                let task = &mut state.tasks[id];
                // A directory cut by a page boundary comes again on the next
                // page: it is listed once.
                if task.last_prefix.as_ref().is_some_and(|last| q <= *last) {
                    continue;
                }
                task.last_prefix = Some(q.clone());
                let mut resumed = Task::new(task.container, String::new(), Vec::new(), 0);
                if let Some(a) = &after {
                    if a.starts_with(q.as_str()) {
                        // The directory the listing stopped in.
                        resumed.after = Some(a.clone());
                        if task.frames.first().is_some_and(|f| f.prefix == q) {
                            let frame = task.frames.remove(0);
                            resumed.split = Some(frame.split);
                            resumed.marker = frame.marker;
                            resumed.frames = std::mem::take(&mut task.frames);
                        }
                    } else if q.as_str() < &**a {
                        continue; // passed on before the interruption
                    }
                }
                if !rows.is_empty() {
                    held += rows.len();
                    task.pieces
                        .push_back(Piece::Rows(std::mem::take(&mut rows), start.clone()));
                }
                let mut path = task.path.clone();
                path.push(task.children);
                task.children += 1;
                task.pieces.push_back(Piece::Child(child, start.clone()));
                resumed.container = task.container;
                resumed.depth = task.depth + 1;
                resumed.prefix = q;
                resumed.path = path.clone();
                state.pending.insert(path, child);
                state.tasks.push(resumed);
            }
            match next_row {
                Some(row) => rows.push(row),
                None => break,
            }
        }
        if !rows.is_empty() {
            held += rows.len();
            state.tasks[id].pieces.push_back(Piece::Rows(rows, start));
        }
        state.held_rows += held;
    }
}

/// The container index of task `id`.
fn shared_container(shared: &Shared<'_>, id: usize) -> usize {
    shared.lock().tasks[id].container
}

/// The blob name of a row: its path without `/container/`.
fn blob_name(entry: &ListingEntry) -> &str {
    entry.path.get(entry.container_len + 2..).unwrap_or("")
}

/// The rows to pass on after a page: those `carry` held back, then the
/// page's, each blob's rows in one order (snapshots oldest first, then the
/// blob). When `more` pages follow and none of the page's virtual
/// directories (`prefixes`) comes after the last blob, that blob's rows may
/// go on in the next page: they stay in `carry`.
fn take_rows(
    carry: &mut Vec<ListingEntry>,
    page: Vec<ListingEntry>,
    more: bool,
    prefixes: &[String],
) -> Vec<ListingEntry> {
    let mut rows = std::mem::take(carry);
    rows.extend(page);
    let later_prefix = |e: &ListingEntry| prefixes.iter().any(|q| q.as_str() > blob_name(e));
    if more && !rows.last().is_some_and(later_prefix) {
        if let Some(last) = rows.last().map(|e| e.path.clone()) {
            let cut = rows
                .iter()
                .rposition(|e| e.path != last)
                .map_or(0, |i| i + 1);
            *carry = rows.split_off(cut);
        }
    }
    for group in rows.chunk_by_mut(|a, b| a.path == b.path) {
        if group.len() > 1 {
            group.sort_by(|a, b| {
                (a.snapshot.is_none(), a.snapshot, &a.version_id).cmp(&(
                    b.snapshot.is_none(),
                    b.snapshot,
                    &b.version_id,
                ))
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snapshot::SnapshotTime;

    fn row(path: &str, snapshot: Option<&str>) -> ListingEntry {
        ListingEntry {
            path: path.to_string(),
            container_len: 1,
            snapshot: snapshot.map(|s| s.parse::<SnapshotTime>().unwrap()),
            ..ListingEntry::default()
        }
    }

    fn show(rows: &[ListingEntry]) -> Vec<String> {
        rows.iter()
            .map(|e| match e.snapshot {
                Some(s) => format!("{}@{}", e.path, &s.to_string()[..4]),
                None => e.path.clone(),
            })
            .collect()
    }

    #[test]
    fn a_blobs_rows_come_in_one_order_across_pages() {
        let mut carry = Vec::new();
        let page1 = vec![
            row("/c/a", None),
            row("/c/a", Some("2024-01-01T00:00:00Z")),
            row("/c/b", Some("2025-01-01T00:00:00Z")),
        ];
        let rows = take_rows(&mut carry, page1, true, &[]);
        assert_eq!(show(&rows), ["/c/a@2024", "/c/a"]);
        let page2 = vec![
            row("/c/b", None),
            row("/c/b", Some("2023-01-01T00:00:00Z")),
            row("/c/d", None),
        ];
        let rows = take_rows(&mut carry, page2, false, &[]);
        assert_eq!(show(&rows), ["/c/b@2023", "/c/b@2025", "/c/b", "/c/d"]);
        assert!(carry.is_empty());
        // A directory after the last blob: that blob is complete.
        let rows = take_rows(&mut carry, vec![row("/c/e", None)], true, &["f/".into()]);
        assert_eq!(show(&rows), ["/c/e"]);
        // A held-back blob and a directory after it on the next page.
        let rows = take_rows(&mut carry, vec![row("/c/g", None)], true, &[]);
        assert!(rows.is_empty());
        let rows = take_rows(&mut carry, vec![], true, &["g/".into()]);
        assert_eq!(show(&rows), ["/c/g"]);
    }
}
