//! Snapshot times: UTC instants compared as 100-nanosecond ticks.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind};

/// A blob snapshot time: a UTC instant with 100-nanosecond resolution.
///
/// Two snapshot times are equal when they denote the same instant, whatever
/// their textual form: `2011-03-09T01:42:34.936Z`,
/// `2011-03-09T01:42:34.9360000Z` and `2011-03-09T01:42:34.936000Z` are one
/// snapshot. The value is the number of ticks (100 ns) since
/// `0001-01-01T00:00:00Z`, like .NET's `DateTime.Ticks`, so ordering is
/// chronological.
///
/// Accepted text: `YYYY-MM-DDTHH:MM:SS[.f{1,7}]` followed by `Z` (or a
/// numeric offset `±HH:MM`, converted to UTC). [`Display`](fmt::Display)
/// writes the canonical form with exactly 7 fractional digits and `Z`,
/// which is what the Blob service returns.
///
/// ```
/// use blobsel::SnapshotTime;
/// let a: SnapshotTime = "2011-03-09T01:42:34.936Z".parse()?;
/// let b: SnapshotTime = "2011-03-09T01:42:34.9360000Z".parse()?;
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "2011-03-09T01:42:34.9360000Z");
/// # Ok::<(), blobsel::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotTime(u64);

const TICKS_PER_SECOND: u64 = 10_000_000;
const SECONDS_PER_DAY: u64 = 86_400;

impl SnapshotTime {
    /// The snapshot time `ticks` 100-ns intervals after `0001-01-01T00:00:00Z`.
    pub const fn from_ticks(ticks: u64) -> SnapshotTime {
        SnapshotTime(ticks)
    }

    /// The number of 100-ns ticks since `0001-01-01T00:00:00Z`.
    pub const fn ticks(self) -> u64 {
        self.0
    }

    /// Parses a snapshot time from bytes; see the type's documentation for
    /// the accepted forms.
    pub fn parse(text: &[u8]) -> Result<SnapshotTime, Error> {
        parse(text).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidSnapshotTime,
                format!(
                    "invalid snapshot time {:?}: expected a UTC time like \
                     2011-03-09T01:42:34.9360000Z (at most 7 fractional digits)",
                    String::from_utf8_lossy(text)
                ),
            )
        })
    }
}

impl FromStr for SnapshotTime {
    type Err = Error;
    fn from_str(s: &str) -> Result<SnapshotTime, Error> {
        SnapshotTime::parse(s.as_bytes())
    }
}

impl fmt::Display for SnapshotTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.0 / TICKS_PER_SECOND;
        let fraction = self.0 % TICKS_PER_SECOND;
        let days = seconds / SECONDS_PER_DAY;
        let rem = seconds % SECONDS_PER_DAY;
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{fraction:07}Z",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        )
    }
}

impl serde::Serialize for SnapshotTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

fn digits(text: &[u8], n: usize) -> Option<u64> {
    let part = text.get(..n)?;
    part.iter().try_fold(0u64, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u64::from(b - b'0'))
    })
}

fn parse(t: &[u8]) -> Option<SnapshotTime> {
    // YYYY-MM-DDTHH:MM:SS
    if t.len() < 20 || t[4] != b'-' || t[7] != b'-' || !matches!(t[10], b'T' | b't') {
        return None;
    }
    if t[13] != b':' || t[16] != b':' {
        return None;
    }
    let year = digits(t, 4)?;
    let month = digits(&t[5..], 2)?;
    let day = digits(&t[8..], 2)?;
    let hour = digits(&t[11..], 2)?;
    let minute = digits(&t[14..], 2)?;
    let second = digits(&t[17..], 2)?;
    if year == 0 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = &t[19..];
    let mut fraction = 0u64;
    if let Some((b'.', tail)) = rest.split_first() {
        let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || n > 7 {
            return None;
        }
        fraction = digits(tail, n)? * 10u64.pow(7 - n as u32);
        rest = &tail[n..];
    }
    let offset_seconds: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2], 2)?;
            let m = digits(&[*m1, *m2], 2)?;
            if h > 23 || m > 59 {
                return None;
            }
            let s = (h * 3600 + m * 60) as i64;
            if *sign == b'+' {
                s
            } else {
                -s
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let local = (days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second) as i64;
    let utc = u64::try_from(local - offset_seconds).ok()?;
    let ticks = utc.checked_mul(TICKS_PER_SECOND)?.checked_add(fraction)?;
    // Keep the year within 0001..=9999 after the offset is applied.
    (ticks < days_from_civil(10_000, 1, 1) * SECONDS_PER_DAY * TICKS_PER_SECOND)
        .then_some(SnapshotTime(ticks))
}

fn is_leap(y: u64) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u64, m: u64) -> u64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 0001-01-01 (proleptic Gregorian).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    // Days before each month in a common year.
    const BEFORE: [u64; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let y1 = y - 1;
    let leap_day = u64::from(m > 2 && is_leap(y));
    y1 * 365 + y1 / 4 - y1 / 100 + y1 / 400 + BEFORE[(m - 1) as usize] + leap_day + d - 1
}

fn civil_from_days(mut days: u64) -> (u64, u64, u64) {
    // 400-year cycles have 146,097 days.
    let cycles = days / 146_097;
    days %= 146_097;
    let mut year = cycles * 400 + 1;
    loop {
        let len = if is_leap(year) { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let mut month = 1;
    while days >= days_in_month(year, month) {
        days -= days_in_month(year, month);
        month += 1;
    }
    (year, month, days + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> SnapshotTime {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn equal_instants_in_different_text_are_equal() {
        let forms = [
            "2011-03-09T01:42:34.936Z",
            "2011-03-09T01:42:34.9360000Z",
            "2011-03-09T01:42:34.936000Z",
            "2011-03-09T01:42:34.93600Z",
            "2011-03-09T02:42:34.936+01:00",
            "2011-03-08T23:42:34.936-02:00",
        ];
        for f in forms {
            assert_eq!(t(f), t(forms[0]), "{f}");
            assert_eq!(t(f).to_string(), "2011-03-09T01:42:34.9360000Z");
        }
        assert_ne!(t("2011-03-09T01:42:34.9360001Z"), t(forms[0]));
        assert_eq!(
            t("2011-03-09T01:42:34Z").to_string(),
            "2011-03-09T01:42:34.0000000Z"
        );
    }

    #[test]
    fn canonical_form_round_trips_at_the_edges() {
        for s in [
            "0001-01-01T00:00:00.0000000Z",
            "1600-02-29T12:00:00.0000001Z",
            "2000-02-29T23:59:59.9999999Z",
            "2024-12-31T23:59:59.9999999Z",
            "9999-12-31T23:59:59.9999999Z",
        ] {
            assert_eq!(t(s).to_string(), s);
        }
        assert_eq!(t("0001-01-01T00:00:00Z").ticks(), 0);
        // Python: (datetime(2011,3,9,1,42,34,936000) - datetime(1,1,1)) in 100 ns units
        assert_eq!(
            t("2011-03-09T01:42:34.936Z").ticks(),
            634_352_317_549_360_000
        );
    }

    #[test]
    fn rejects_what_is_not_a_snapshot_time() {
        for s in [
            "",
            "2011-03-09",
            "2011-03-09T01:42:34",
            "2011-03-09T01:42:34.Z",
            "2011-03-09T01:42:34.93600001Z",
            "2011-02-29T01:42:34Z",
            "2011-13-09T01:42:34Z",
            "2011-03-09T24:00:00Z",
            "2011-03-09 01:42:34Z",
            "2011-03-09T01:42:34ZZ",
            "0000-01-01T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
            "x011-03-09T01:42:34Z",
            "2011-03-09T01:42:34.936Z ",
        ] {
            let e = s.parse::<SnapshotTime>().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidSnapshotTime, "{s}");
        }
    }
}
