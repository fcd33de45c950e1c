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
/// numeric offset `±HH:MM`, converted to UTC; `blobsel check` warns about a
/// selection that writes one, docs/semantics.md §2.4). An error names the
/// field that is wrong (`month 13`, `hour 24`, `fraction of 8 digits`).
/// [`Display`](fmt::Display) writes the canonical form with exactly 7
/// fractional digits and `Z`, which is what the Blob service returns;
/// [`Debug`](fmt::Debug) shows the same instant, `SnapshotTime(2011-…Z)`.
///
/// ```
/// use blobsel::SnapshotTime;
/// let a: SnapshotTime = "2011-03-09T01:42:34.936Z".parse()?;
/// let b: SnapshotTime = "2011-03-09T01:42:34.9360000Z".parse()?;
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "2011-03-09T01:42:34.9360000Z");
/// # Ok::<(), blobsel::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SnapshotTime(u64);

impl fmt::Debug for SnapshotTime {
    /// `SnapshotTime(2011-03-09T01:42:34.9360000Z)`: the instant, not ticks.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SnapshotTime({self})")
    }
}

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
        if let Some(time) = parse_canonical(text) {
            return Ok(time);
        }
        parse(text).map_err(|why| {
            Error::new(
                ErrorKind::InvalidSnapshotTime,
                format!(
                    "invalid snapshot time {:?}: {why}",
                    String::from_utf8_lossy(text)
                ),
            )
        })
    }
}

impl SnapshotTime {
    /// Parses an instant as the Blob service writes a last-modified time:
    /// ISO 8601 as [`SnapshotTime::parse`] reads it (`2026-11-25T22:12:51Z`,
    /// inventories, JSON), or RFC 1123 in GMT (`Wed, 25 Nov 2026 22:12:51
    /// GMT`, List Blobs' `Last-Modified` and HTTP headers), the weekday
    /// checked against the date.
    ///
    /// ```
    /// use blobsel::SnapshotTime;
    /// let a = SnapshotTime::parse_instant(b"Wed, 25 Nov 2026 22:12:51 GMT")?;
    /// assert_eq!(a, SnapshotTime::parse_instant(b"2026-11-25T22:12:51Z")?);
    /// assert!(SnapshotTime::parse_instant(b"Thu, 25 Nov 2026 22:12:51 GMT").is_err());
    /// assert!(SnapshotTime::parse_instant(b"not a date").is_err());
    /// # Ok::<(), blobsel::Error>(())
    /// ```
    pub fn parse_instant(text: &[u8]) -> Result<SnapshotTime, Error> {
        let looks_rfc1123 = text.len() > 4 && text[3] == b',' && text[0].is_ascii_alphabetic();
        if !looks_rfc1123 {
            return SnapshotTime::parse(text).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidSnapshotTime,
                    format!(
                        "{} (or RFC 1123, like Wed, 25 Nov 2026 22:12:51 GMT)",
                        e.message()
                    )
                    .replacen("invalid snapshot time", "invalid time", 1),
                )
            });
        }
        parse_rfc1123(text).map(SnapshotTime).map_err(|why| {
            Error::new(
                ErrorKind::InvalidSnapshotTime,
                format!(
                    "invalid time {:?}: {why}; expected RFC 1123 in GMT, like \
                     Wed, 25 Nov 2026 22:12:51 GMT (or ISO 8601, like 2026-11-25T22:12:51Z)",
                    String::from_utf8_lossy(text)
                ),
            )
        })
    }
}

/// `Wed, 25 Nov 2026 22:12:51 GMT` as ticks.
fn parse_rfc1123(text: &[u8]) -> Result<u64, String> {
    const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let parts: Vec<&[u8]> = text.split(|&b| b == b' ').collect();
    let [wkday, day, month, year, time, zone] = parts[..] else {
        return Err("not of six parts".into());
    };
    let weekday = wkday
        .strip_suffix(b",")
        .and_then(|w| DAYS.iter().position(|d| d.eq_ignore_ascii_case(w)))
        .ok_or("unknown weekday")?;
    if !zone.eq_ignore_ascii_case(b"GMT") && zone != b"UTC" {
        return Err("the zone is not GMT".into());
    }
    let d = (day.len() == 2).then(|| digits(day, 2)).flatten();
    let y = (year.len() == 4).then(|| digits(year, 4)).flatten();
    let m = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(month))
        .map(|m| m as u64 + 1);
    let (Some(d), Some(m), Some(y)) = (d, m, y) else {
        return Err("the date is not DD Mon YYYY".into());
    };
    if y == 0 || d == 0 || d > days_in_month(y, m) {
        return Err("no such date".into());
    }
    let hms = (time.len() == 8 && time[2] == b':' && time[5] == b':')
        .then(|| {
            Some((
                digits(time, 2)?,
                digits(&time[3..], 2)?,
                digits(&time[6..], 2)?,
            ))
        })
        .flatten();
    let Some((hh, mm, ss)) = hms.filter(|&(h, m, s)| h < 24 && m < 60 && s < 60) else {
        return Err("the time is not HH:MM:SS".into());
    };
    let days = days_from_civil(y, m, d);
    // 0001-01-01 was a Monday.
    if (days % 7) as usize != weekday {
        return Err(format!(
            "{} is not a {}",
            String::from_utf8_lossy(&text[5..16]),
            String::from_utf8_lossy(wkday.strip_suffix(b",").unwrap_or(wkday))
        ));
    }
    Ok(((days * SECONDS_PER_DAY) + hh * 3600 + mm * 60 + ss) * TICKS_PER_SECOND)
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

/// What the accepted form is, for messages.
const FORM: &str = "expected YYYY-MM-DDTHH:MM:SS, up to 7 fractional digits and Z (or an offset \
                    \u{b1}HH:MM, converted to UTC), like 2011-03-09T01:42:34.9360000Z";

/// The offset written after a snapshot time, when it is not UTC (`Z`,
/// `+00:00`, `-00:00`): `+01:00` in `2011-03-09T02:42:34.936+01:00`. Only
/// meaningful for text that [`SnapshotTime::parse`] accepts.
pub(crate) fn non_utc_offset(text: &[u8]) -> Option<&str> {
    let tail = text.get(text.len().checked_sub(6)?..)?;
    let tail = std::str::from_utf8(tail).ok()?;
    (tail.starts_with(['+', '-']) && &tail[1..] != "00:00").then_some(tail)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The canonical form `YYYY-MM-DDTHH:MM:SS.fffffffZ` (what the Blob
/// service writes, and most snapshot times of a listing), checked and read
/// a word at a time; `None` for anything else, valid or not, which
/// [`parse`] then reads. It accepts only what [`parse`] accepts, with the
/// same instant.
#[inline]
fn parse_canonical(t: &[u8]) -> Option<SnapshotTime> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let t: &[u8; 28] = t.try_into().ok()?;
    // Four words (the last overlaps the third): each byte is a digit
    // where the template has '0', and equal to the template elsewhere.
    let template = *b"0000-00-00T00:00:00.0000000Z";
    let mut bad = 0u64;
    for at in [0, 8, 16, 20] {
        let w = u64::from_le_bytes(t[at..at + 8].try_into().ok()?);
        let want = u64::from_le_bytes(template[at..at + 8].try_into().ok()?);
        let digit_bytes = {
            let zeros = want ^ (ONES * u64::from(b'0'));
            // High bit set on the template's '0' bytes (exact per byte).
            !(((zeros & !HIGH) + !HIGH) | zeros) & HIGH
        };
        let others = !((digit_bytes >> 7) * 0xff);
        let x = w ^ (ONES * u64::from(b'0'));
        // A digit is 0-9 after the XOR: high bit clear, and adding 0x76
        // to the low seven bits does not reach it.
        let not_digit = (((x & !HIGH) + ONES * 0x76) | x) & HIGH;
        bad |= (not_digit & digit_bytes) | ((w ^ want) & others);
    }
    if bad != 0 {
        return None;
    }
    let d = |i: usize| u64::from(t[i] - b'0');
    let two = |i: usize| d(i) * 10 + d(i + 1);
    let year = two(0) * 100 + two(2);
    let (month, day) = (two(5), two(8));
    let (hour, minute, second) = (two(11), two(14), two(17));
    let fraction = (20..27).fold(0, |f, i| f * 10 + d(i));
    let valid = year > 0
        && (1..=12).contains(&month)
        && day > 0
        && day <= days_in_month(year, month)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    // Years 0001-9999 in UTC: no overflow, and within range (as `parse`
    // finds with a zero offset).
    let seconds =
        days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second;
    Some(SnapshotTime(seconds * TICKS_PER_SECOND + fraction))
}

/// Parses, or says which field is wrong.
fn parse(t: &[u8]) -> Result<SnapshotTime, String> {
    // YYYY-MM-DDTHH:MM:SS: the shape first, then each field's range.
    let shape = |what: &str| format!("{what}: {FORM}");
    if t.len() >= 11 && t[10] == b' ' {
        return Err(shape("a space between date and time, where 'T' belongs"));
    }
    if t.len() < 19
        || t[4] != b'-'
        || t[7] != b'-'
        || !matches!(t[10], b'T' | b't')
        || t[13] != b':'
        || t[16] != b':'
    {
        return Err(shape("not a date and time"));
    }
    let field = |at: usize, n: usize, name: &str| {
        digits(&t[at..], n).ok_or_else(|| shape(&format!("the {name} is not {n} digits")))
    };
    let year = field(0, 4, "year")?;
    let month = field(5, 2, "month")?;
    let day = field(8, 2, "day")?;
    let hour = field(11, 2, "hour")?;
    let minute = field(14, 2, "minute")?;
    let second = field(17, 2, "second")?;
    if year == 0 {
        return Err("year 0000: years run from 0001 to 9999".into());
    }
    if !(1..=12).contains(&month) {
        return Err(format!("month {month}: months run from 01 to 12"));
    }
    let month_days = days_in_month(year, month);
    if day == 0 {
        return Err("day 00: days run from 01".into());
    }
    if day > month_days {
        let name = MONTHS[(month - 1) as usize];
        return Err(if month == 2 && day == 29 {
            format!("day 29 of February {year:04}, which is not a leap year")
        } else {
            format!("day {day} of a {month_days}-day month ({name})")
        });
    }
    if hour > 23 {
        return Err(format!("hour {hour}: hours run from 00 to 23"));
    }
    if minute > 59 {
        return Err(format!("minute {minute}: minutes run from 00 to 59"));
    }
    if second > 59 {
        return Err(format!(
            "second {second}: seconds run from 00 to 59 (no leap seconds)"
        ));
    }
    let mut rest = &t[19..];
    let mut fraction = 0u64;
    if let Some((b'.', tail)) = rest.split_first() {
        let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return Err("'.' without fractional digits: write digits after it, or drop it".into());
        }
        if n > 7 {
            return Err(format!(
                "fraction of {n} digits: at most 7 (snapshot times count 100-nanosecond ticks)"
            ));
        }
        fraction = digits(tail, n).unwrap_or(0) * 10u64.pow(7 - n as u32);
        rest = &tail[n..];
    }
    let offset_seconds: i64 = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let bad = || shape("the offset is not \u{b1}HH:MM");
            let h = digits(&[*h1, *h2], 2).ok_or_else(bad)?;
            let m = digits(&[*m1, *m2], 2).ok_or_else(bad)?;
            if h > 23 || m > 59 {
                return Err(format!(
                    "offset {}: offset hours run from 00 to 23, minutes from 00 to 59",
                    String::from_utf8_lossy(rest)
                ));
            }
            let s = (h * 3600 + m * 60) as i64;
            if *sign == b'+' {
                s
            } else {
                -s
            }
        }
        [] => return Err("no time zone: add Z for UTC".into()),
        [b'Z' | b'z', more @ ..] => {
            return Err(format!(
                "{:?} after the Z: nothing may follow the time zone",
                String::from_utf8_lossy(more)
            ))
        }
        _ => {
            return Err(shape(&format!(
                "{:?} where Z or an offset \u{b1}HH:MM belongs",
                String::from_utf8_lossy(rest)
            )))
        }
    };
    let days = days_from_civil(year, month, day);
    let local = (days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second) as i64;
    let range = || "with its offset, the instant falls outside years 0001 to 9999".to_string();
    let utc = u64::try_from(local - offset_seconds).map_err(|_| range())?;
    let ticks = utc
        .checked_mul(TICKS_PER_SECOND)
        .and_then(|t| t.checked_add(fraction))
        .ok_or_else(range)?;
    // Keep the year within 0001..=9999 after the offset is applied.
    if ticks >= days_from_civil(10_000, 1, 1) * SECONDS_PER_DAY * TICKS_PER_SECOND {
        return Err(range());
    }
    Ok(SnapshotTime(ticks))
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

    /// Canonical texts, and texts one byte away from one: the fast path
    /// takes only what the full parser accepts, with the same instant, and
    /// takes every canonical text the full parser accepts.
    #[test]
    fn the_canonical_fast_path_agrees_with_the_parser() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let bytes = b"0123456789-T:.Zzt+ /\x80\xff";
        let (mut fast, mut slow) = (0, 0);
        for i in 0..200_000 {
            // Fields past their ranges too: month 00-19, day 00-39, ...
            let text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
                next() % 10_000,
                next() % 20,
                next() % 40,
                next() % 30,
                next() % 70,
                next() % 70,
                next() % 10_000_000
            );
            let mut t = text.into_bytes();
            if i % 2 == 1 {
                let at = (next() % 28) as usize;
                t[at] = bytes[(next() % bytes.len() as u64) as usize];
            }
            let full = parse(&t).ok();
            match parse_canonical(&t) {
                Some(time) => {
                    assert_eq!(Some(time), full, "{}", String::from_utf8_lossy(&t));
                    fast += 1;
                }
                None => {
                    let canonical =
                        t.len() == 28 && t[10] == b'T' && t[19] == b'.' && t[27] == b'Z';
                    assert!(
                        !(canonical && full.is_some()),
                        "{}",
                        String::from_utf8_lossy(&t)
                    );
                    slow += 1;
                }
            }
        }
        assert!(fast > 10_000 && slow > 10_000, "{fast} {slow}");
        for edge in [
            "0001-01-01T00:00:00.0000000Z",
            "9999-12-31T23:59:59.9999999Z",
        ] {
            assert_eq!(
                parse_canonical(edge.as_bytes()),
                parse(edge.as_bytes()).ok()
            );
            assert!(parse_canonical(edge.as_bytes()).is_some());
        }
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

    #[test]
    fn errors_name_the_field_that_is_wrong() {
        for (text, says) in [
            ("2011-13-09T01:42:34Z", "month 13"),
            ("2011-04-31T01:42:34Z", "day 31 of a 30-day month (April)"),
            (
                "2011-02-29T01:42:34Z",
                "day 29 of February 2011, which is not a leap year",
            ),
            ("2011-03-00T01:42:34Z", "day 00"),
            ("0000-01-01T00:00:00Z", "year 0000"),
            ("2011-03-09T24:00:00Z", "hour 24"),
            ("2011-03-09T01:60:34Z", "minute 60"),
            ("2011-03-09T01:42:60Z", "second 60"),
            (
                "2011-03-09T01:42:34.93600001Z",
                "fraction of 8 digits: at most 7",
            ),
            ("2011-03-09T01:42:34.Z", "'.' without fractional digits"),
            ("2011-03-09T01:42:34", "no time zone: add Z"),
            ("2011-03-09 01:42:34Z", "a space between date and time"),
            ("2011-03-09T01:42:34+24:00", "offset +24:00"),
            ("0001-01-01T00:00:00+01:00", "outside years 0001 to 9999"),
            ("2011-03-09T01:42:34ZZ", "\"Z\" after the Z"),
            ("2011-03-09T01:42:34.936Z ", "\" \" after the Z"),
            ("2011-03-09T01:42:34UTC", "\"UTC\" where Z"),
            ("yesterday", "not a date and time"),
        ] {
            let e = text.parse::<SnapshotTime>().unwrap_err();
            assert!(
                e.message()
                    .starts_with(&format!("invalid snapshot time {text:?}: ")),
                "{e}"
            );
            assert!(e.message().contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn debug_shows_the_instant() {
        assert_eq!(
            format!("{:?}", t("2011-03-09T01:42:34.936Z")),
            "SnapshotTime(2011-03-09T01:42:34.9360000Z)"
        );
        assert_eq!(
            format!("{:?}", Some(t("0001-01-01T00:00:00Z"))),
            "Some(SnapshotTime(0001-01-01T00:00:00.0000000Z))"
        );
    }

    #[test]
    fn non_utc_offsets_are_told_apart() {
        assert_eq!(
            non_utc_offset(b"2011-03-09T02:42:34.936+01:00"),
            Some("+01:00")
        );
        assert_eq!(
            non_utc_offset(b"2011-03-08T23:42:34.936-02:00"),
            Some("-02:00")
        );
        for utc in [
            "2011-03-09T01:42:34Z",
            "2011-03-09T01:42:34+00:00",
            "2011-03-09T01:42:34-00:00",
            "Z",
        ] {
            assert_eq!(non_utc_offset(utc.as_bytes()), None, "{utc}");
        }
    }
}
