//! The parallel listing: workers list tasks (chains of pages), splitting
//! virtual directories off into tasks of their own; the calling thread
//! passes the rows on in the order of a sequential listing. See
//! [`Lister`](super::Lister) for why that order is kept and memory bounded.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use std::cmp::Ordering;

use super::rows::{blob_name, service_cmp, take_rows};
use super::{ResumeFrame, ResumePoint, Run};
use crate::error::Error;
use crate::listing::ListingEntry;
use crate::remote::client::Client;
use crate::remote::credential::remote_error;
use crate::remote::{is_container_not_found, ListStats};

/// How deep below a plan's prefix virtual directories are split off.
const MAX_DEPTH: u32 = 12;

impl Run<'_, '_> {
    /// Workers list tasks; this thread passes their rows on in order.
    pub(super) fn parallel(
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
                    let waiting = (state.held_rows + rows.len()) as u64;
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
                    self.progress(pages, in_flight, waiting);
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
            if let Err(e) = self.add_page(&mut state, id, rows, page.prefixes, start) {
                let task = &mut state.tasks[id];
                task.error = Some(e);
                task.done = true;
                self.changed.notify_all();
                return state;
            }
            let task = &mut state.tasks[id];
            task.marker = page.next;
            task.done = done;
            self.changed.notify_all();
            if done || state.stop {
                return state;
            }
            // No room for another page: a task later in the order is set
            // aside; the one being passed on waits for the sink to take
            // its rows (unless it has none waiting: then the sink waits
            // for it).
            while state.held_rows >= self.cap_rows {
                if id != state.front {
                    let path = state.tasks[id].path.clone();
                    state.pending.insert(path, id);
                    return state;
                }
                if state.tasks[id].pieces.is_empty() {
                    break;
                }
                state = self.wait(state);
                if state.stop {
                    return state;
                }
            }
        }
    }

    /// Adds the rows and the virtual directories of one page (from marker
    /// `start`) to task `id`, merged in name order; each directory becomes
    /// a waiting task. When resuming, what is not after the task's `after`
    /// name is left out, and a directory holding that name goes on where
    /// its frame says.
    ///
    /// Names compare in the service's order ([`service_cmp`]). The merge
    /// relies on the page's directories coming in that order, each after
    /// the last one seen (or that one again, after a page boundary): if
    /// they do not, no directory is silently dropped or moved; the listing
    /// fails with an error instead.
    fn add_page(
        &self,
        state: &mut State,
        id: usize,
        entries: Vec<ListingEntry>,
        prefixes: Vec<String>,
        start: Option<Arc<str>>,
    ) -> Result<(), Error> {
        let after = state.tasks[id].after.clone();
        let mut held = 0;
        let mut prefixes = prefixes.into_iter().peekable();
        let mut rows: Vec<ListingEntry> = Vec::new();
        let mut entries = entries.into_iter().filter(|e| {
            after
                .as_deref()
                .is_none_or(|a| service_cmp(blob_name(e), a) == Ordering::Greater)
        });
        let result = 'page: loop {
            let next_row = entries.next();
            // Directories that sort before this row (or all that are left).
            while let Some(q) = prefixes.next_if(|q| {
                next_row
                    .as_ref()
                    .is_none_or(|r| service_cmp(q, blob_name(r)) == Ordering::Less)
            }) {
                let child = state.tasks.len();
                let task = &mut state.tasks[id];
                match task
                    .last_prefix
                    .as_deref()
                    .map(|last| service_cmp(&q, last))
                {
                    // A directory cut by a page boundary comes again on the
                    // next page: it is listed once.
                    Some(Ordering::Equal) => continue,
                    Some(Ordering::Less) => {
                        let last = task.last_prefix.clone().unwrap_or_default();
                        break 'page Err(remote_error(format!(
                            "the service listed virtual directory {q:?} after {last:?} \
                             (under prefix {:?} of container {:?}), out of the order \
                             the parallel listing relies on; the listing is stopped \
                             rather than risk losing or misplacing blobs: list again \
                             with --concurrency 1",
                            task.prefix, self.containers[task.container]
                        )));
                    }
                    _ => {}
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
                    } else if service_cmp(&q, a) == Ordering::Less {
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
                None => break Ok(()),
            }
        };
        if !rows.is_empty() {
            held += rows.len();
            state.tasks[id].pieces.push_back(Piece::Rows(rows, start));
        }
        state.held_rows += held;
        result
    }
}

/// The container index of task `id`.
fn shared_container(shared: &Shared<'_>, id: usize) -> usize {
    shared.lock().tasks[id].container
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::ClientBuilder;

    #[test]
    fn directories_merge_in_the_services_order_and_out_of_order_is_an_error() {
        let client = ClientBuilder::from_connection_string("UseDevelopmentStorage=true")
            .unwrap()
            .build()
            .unwrap();
        let shared = Shared {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            containers: vec!["c"],
            client: &client,
            cap_rows: 100,
            concurrency: 4,
        };
        let mut state = shared.lock();
        state.tasks.push(Task::new(0, String::new(), vec![0], 0));
        let page = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // The service's order (UTF-16): 😀/ before Ａ/; both are kept.
        shared
            .add_page(
                &mut state,
                0,
                vec![],
                page(&["\u{1F600}/", "\u{FF21}/"]),
                None,
            )
            .unwrap();
        // A directory cut by a page boundary comes again: listed once.
        shared
            .add_page(
                &mut state,
                0,
                vec![],
                page(&["\u{FF21}/", "\u{FF22}/"]),
                None,
            )
            .unwrap();
        let listed: Vec<&str> = state.tasks[1..].iter().map(|t| t.prefix.as_str()).collect();
        assert_eq!(listed, ["\u{1F600}/", "\u{FF21}/", "\u{FF22}/"]);
        // One that goes back in the order is an error, not a silent loss.
        let e = shared
            .add_page(&mut state, 0, vec![], page(&["b/"]), None)
            .unwrap_err();
        assert!(e.message().contains("\"b/\" after \"\u{FF22}/\""), "{e}");
    }
}
