//! A progress bar on stderr, only when stderr is a terminal and the run
//! takes more than a moment.

use std::io::{IsTerminal, Read};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

const DELAY: Duration = Duration::from_millis(700);

pub struct Progress {
    enabled: bool,
    total: Option<u64>,
    started: Instant,
    state: Mutex<(u64, Option<ProgressBar>)>,
}

impl Progress {
    pub fn new(wanted: bool, total: Option<u64>) -> Progress {
        Progress {
            enabled: wanted && std::io::stderr().is_terminal(),
            total,
            started: Instant::now(),
            state: Mutex::new((0, None)),
        }
    }

    /// Counts `n` more bytes read.
    pub fn add(&self, n: u64) {
        if !self.enabled {
            return;
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        state.0 += n;
        if state.1.is_none() && self.started.elapsed() > DELAY {
            let bar = match self.total {
                Some(t) => ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr())
                    .with_style(
                        ProgressStyle::with_template(
                            "{bar:40} {bytes}/{total_bytes} read, {elapsed}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    ),
                None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
                    .with_style(
                        ProgressStyle::with_template("{spinner} {bytes} read, {elapsed}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    ),
            };
            // Start at what is read already, so the rate is not a jump.
            state.1 = Some(bar.with_position(state.0));
        }
        let done = state.0;
        if let Some(bar) = &state.1 {
            bar.set_position(done);
        }
    }

    /// Wraps a reader so its bytes count.
    pub fn wrap<'a, R: Read + 'a>(&'a self, inner: R) -> Box<dyn Read + 'a> {
        if self.enabled {
            Box::new(Counted {
                inner,
                progress: self,
            })
        } else {
            Box::new(inner)
        }
    }

    pub fn finish(&self) {
        if let Ok(state) = self.state.lock() {
            if let Some(bar) = &state.1 {
                bar.finish_and_clear();
            }
        }
    }
}

struct Counted<'a, R> {
    inner: R,
    progress: &'a Progress,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}
