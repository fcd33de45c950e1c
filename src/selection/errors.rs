//! Every error of a selection, for `check`: [`Errors`], and the [`Sink`]
//! the readers report a rule's error to.

use std::fmt;

use crate::error::Error;

/// The errors found in one selection by [`ParseOptions::check`]: the first
/// ones, up to the limit set with [`ParseOptions::collect_errors`], in
/// document order, and how many there were in all.
///
/// Displayed one error a line (`SOURCE:LINE:COLUMN: message`), then
/// `… and N more errors` when some were not kept.
///
/// [`ParseOptions::check`]: crate::ParseOptions::check
/// [`ParseOptions::collect_errors`]: crate::ParseOptions::collect_errors
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Errors {
    errors: Vec<Error>,
    total: usize,
}

impl Errors {
    /// The errors kept, in document order; never empty.
    pub fn as_slice(&self) -> &[Error] {
        &self.errors
    }

    /// The first error kept.
    pub fn first(&self) -> &Error {
        &self.errors[0]
    }

    /// How many errors were found, those not kept included.
    pub fn total(&self) -> usize {
        self.total
    }

    /// How many errors were found but not kept (over the limit).
    pub fn omitted(&self) -> usize {
        self.total - self.errors.len()
    }

    /// The errors kept.
    pub fn into_vec(self) -> Vec<Error> {
        self.errors
    }
}

impl From<Error> for Errors {
    fn from(e: Error) -> Errors {
        Errors {
            errors: vec![e],
            total: 1,
        }
    }
}

impl<'a> IntoIterator for &'a Errors {
    type Item = &'a Error;
    type IntoIter = std::slice::Iter<'a, Error>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        match self.omitted() {
            0 => Ok(()),
            1 => f.write_str("\n… and 1 more error"),
            n => write!(f, "\n… and {n} more errors"),
        }
    }
}

impl std::error::Error for Errors {}

/// Where a reader reports an error of one rule (a bad path, attribute or
/// key), after which it can read on. When parsing, [`Sink::push`] gives the
/// error back, so the reader stops at the first as `?` always did; when
/// checking, it keeps the error (up to a limit, counting the rest) and the
/// reader goes on. Errors that leave the rest unreadable (syntax) are
/// returned, never pushed. Costs nothing when there are no errors.
#[derive(Debug)]
pub(crate) struct Sink {
    collect: bool,
    limit: usize,
    kept: Vec<Error>,
    total: usize,
}

impl Sink {
    /// Stops at the first error.
    pub(crate) fn first() -> Sink {
        Sink {
            collect: false,
            limit: 1,
            kept: Vec::new(),
            total: 0,
        }
    }

    /// Keeps up to `limit` errors (at least 1) and counts the rest.
    pub(crate) fn collecting(limit: usize) -> Sink {
        Sink {
            collect: true,
            limit: limit.max(1),
            kept: Vec::new(),
            total: 0,
        }
    }

    /// Reports an error of one rule: `Err` to stop at it, `Ok` to read on.
    #[inline]
    pub(crate) fn push(&mut self, e: Error) -> Result<(), Error> {
        if !self.collect {
            return Err(e);
        }
        self.total += 1;
        if self.kept.len() < self.limit {
            self.kept.push(e);
        }
        Ok(())
    }

    /// Whether no error was reported.
    #[inline]
    pub(crate) fn is_clean(&self) -> bool {
        self.total == 0
    }

    /// The outcome of a reading that reported to this sink and ended with
    /// `result`: its value when nothing went wrong, else every error (the
    /// one that stopped it last), named after `source` when they have no
    /// source yet, in document order.
    pub(crate) fn finish<T>(mut self, result: Result<T, Error>, source: &str) -> Result<T, Errors> {
        match result {
            Ok(v) if self.total == 0 => return Ok(v),
            Ok(_) => {}
            Err(e) => {
                self.total += 1;
                if self.kept.len() < self.limit {
                    self.kept.push(e);
                }
            }
        }
        let mut errors: Vec<Error> = self.kept.into_iter().map(|e| e.in_source(source)).collect();
        // Readers find some errors out of order (a JSON object's keys are
        // checked before its lists are read): show them as the file reads.
        errors.sort_by(|a, b| {
            (a.source_name() != Some(source), a.position())
                .cmp(&(b.source_name() != Some(source), b.position()))
        });
        Err(Errors {
            errors,
            total: self.total,
        })
    }
}
