//! Per-rule accounting: how many blobs each rule selected, and which rules
//! selected nothing (with the rule that made them redundant).

use crate::matcher::{Matcher, RuleId, RuleInfo, RuleStatus};

/// Hit counts per rule, for one batch or a whole run. Tallies from parallel
/// workers add up with [`Tally::merge`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    hits: Vec<u64>,
}

impl Tally {
    /// A tally of zeros for `rules` rules.
    pub fn new(rules: usize) -> Tally {
        Tally {
            hits: vec![0; rules],
        }
    }

    /// Counts one blob selected by `rule`.
    #[inline]
    pub fn record(&mut self, rule: RuleId) {
        if let Some(h) = self.hits.get_mut(rule.0 as usize) {
            *h += 1;
        }
    }

    /// Adds another tally's counts to this one.
    pub fn merge(&mut self, other: &Tally) {
        if self.hits.len() < other.hits.len() {
            self.hits.resize(other.hits.len(), 0);
        }
        for (a, b) in self.hits.iter_mut().zip(&other.hits) {
            *a += b;
        }
    }

    /// The count for `rule`.
    pub fn hits(&self, rule: RuleId) -> u64 {
        self.hits.get(rule.0 as usize).copied().unwrap_or(0)
    }
}

/// One rule's outcome over a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleReport<'a> {
    /// The rule.
    pub rule: RuleInfo<'a>,
    /// How many blobs it selected (a duplicate or covered rule selects
    /// nothing itself: its blobs count for the rule that covers it).
    pub hits: u64,
}

impl<D: AsRef<[u8]>> Matcher<D> {
    /// Every rule with its hit count, in selection order.
    pub fn report<'a>(&'a self, tally: &'a Tally) -> impl Iterator<Item = RuleReport<'a>> + 'a {
        self.rules().map(move |rule| RuleReport {
            hits: tally.hits(rule.id),
            rule,
        })
    }

    /// The rules that selected nothing: effective rules without a hit, and
    /// every duplicate or covered rule (see [`RuleInfo::status`] for the rule
    /// that covers it).
    pub fn unused<'a>(&'a self, tally: &'a Tally) -> impl Iterator<Item = RuleReport<'a>> + 'a {
        self.report(tally)
            .filter(|r| r.hits == 0 || r.rule.status != RuleStatus::Effective)
    }
}
