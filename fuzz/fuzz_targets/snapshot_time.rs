//! Bytes into `SnapshotTime::parse`, against a naive model written from the
//! documented grammar (`YYYY-MM-DDTHH:MM:SS[.f{1,7}]` then `Z` or `±HH:MM`,
//! years 0001–9999 after the offset). On success: the canonical form parses
//! to the same instant and prints the same; padding the fraction with zeros,
//! or writing the offset `+00:00` for `Z`, gives an equal instant.
//! Separately, the first 8 bytes as ticks: canonical form → parse is the
//! identity over the whole range.

#![no_main]

use blobsel::SnapshotTime;
use libfuzzer_sys::fuzz_target;

#[path = "../common/mod.rs"]
mod common;

const TARGET: &str = "snapshot_time";

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn month_days(y: i64, m: i64) -> i64 {
    [
        31,
        if leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][(m - 1) as usize]
}

/// Days from 0001-01-01, by counting.
fn days(y: i64, m: i64, d: i64) -> i64 {
    let whole_years: i64 = (1..y).map(|y| if leap(y) { 366 } else { 365 }).sum();
    let whole_months: i64 = (1..m).map(|m| month_days(y, m)).sum();
    whole_years + whole_months + d - 1
}

/// Ticks of 0001-01-01 .. 10000-01-01 (.NET's `DateTime.MaxValue.Ticks + 1`;
/// `days(10_000, 1, 1) * 86_400 * 10_000_000`, checked below).
const END_TICKS: i64 = 3_155_378_976_000_000_000;

fn end_ticks() -> i64 {
    END_TICKS
}

fn num(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok())?
}

/// The naive model: the grammar taken apart with string operations.
fn model(bytes: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(bytes).ok()?;
    if !s.is_ascii() || s.len() < 20 {
        return None;
    }
    let (date, rest) = s.split_at(10);
    let (t, rest) = rest.split_at(1);
    if t != "T" && t != "t" {
        return None;
    }
    let d: Vec<&str> = date.split('-').collect();
    if d.len() != 3 || d[0].len() != 4 || d[1].len() != 2 || d[2].len() != 2 {
        return None;
    }
    let (y, mo, da) = (num(d[0])?, num(d[1])?, num(d[2])?);
    let (time, rest) = rest.split_at(8);
    let tp: Vec<&str> = time.split(':').collect();
    if tp.len() != 3 || tp.iter().any(|p| p.len() != 2) {
        return None;
    }
    let (h, mi, se) = (num(tp[0])?, num(tp[1])?, num(tp[2])?);
    if y < 1 || !(1..=12).contains(&mo) || da < 1 || da > month_days(y, mo) {
        return None;
    }
    if h > 23 || mi > 59 || se > 59 {
        return None;
    }
    let (fraction, zone) = match rest.strip_prefix('.') {
        Some(f) => {
            let n = f.bytes().take_while(u8::is_ascii_digit).count();
            if !(1..=7).contains(&n) {
                return None;
            }
            let padded = format!("{:0<7}", &f[..n]);
            (num(&padded)?, &f[n..])
        }
        None => (0, rest),
    };
    let offset = match zone {
        "Z" | "z" => 0,
        _ if zone.len() == 6 && (zone.starts_with('+') || zone.starts_with('-')) => {
            if &zone[3..4] != ":" {
                return None;
            }
            let (oh, om) = (num(&zone[1..3])?, num(&zone[4..6])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let s = oh * 3600 + om * 60;
            if zone.starts_with('+') {
                s
            } else {
                -s
            }
        }
        _ => return None,
    };
    let seconds = days(y, mo, da) * 86_400 + h * 3600 + mi * 60 + se - offset;
    let ticks = seconds * 10_000_000 + fraction;
    (seconds >= 0 && ticks < end_ticks()).then_some(ticks)
}

fuzz_target!(|data: &[u8]| {
    if data.len() > 256 {
        return;
    }
    let fail = |what: String| -> ! { common::fail(TARGET, data, &what) };
    if data.is_empty() {
        assert_eq!(days(10_000, 1, 1) * 86_400 * 10_000_000, END_TICKS);
    }

    // Any tick count in range prints a time that parses back to it.
    if let Some(first) = data.get(..8) {
        let raw = u64::from_le_bytes(first.try_into().unwrap());
        let t = SnapshotTime::from_ticks(raw % end_ticks() as u64);
        let text = t.to_string();
        match SnapshotTime::parse(text.as_bytes()) {
            Ok(u) if u == t => {}
            other => fail(format!(
                "ticks {} print as {text:?}, which parses to {other:?}",
                t.ticks()
            )),
        }
    }

    let parsed = SnapshotTime::parse(data);
    let expected = model(data);
    match (&parsed, expected) {
        (Ok(t), Some(ticks)) if t.ticks() == ticks as u64 => {}
        (Err(_), None) => {}
        _ => fail(format!(
            "SnapshotTime::parse says {parsed:?}, the model {expected:?} (ticks)"
        )),
    }
    let Ok(t) = parsed else { return };

    // Canonical form: parse ∘ display is the identity, display is stable.
    let text = t.to_string();
    match SnapshotTime::parse(text.as_bytes()) {
        Ok(u) if u == t && u.to_string() == text => {}
        other => fail(format!("canonical {text:?} parses to {other:?}, not {t:?}")),
    }
    if text.len() != 28 {
        fail(format!("canonical form {text:?} is not 28 characters"));
    }

    // Equal instants in other text: the fraction padded with zeros.
    let s = std::str::from_utf8(data).unwrap_or_else(|_| fail("accepted non-UTF-8".into()));
    let padded = match s[19..].strip_prefix('.') {
        Some(f) => {
            let n = f.bytes().take_while(u8::is_ascii_digit).count();
            format!("{}.{:0<7}{}", &s[..19], &f[..n], &f[n..])
        }
        None => format!("{}.0{}", &s[..19], &s[19..]),
    };
    match SnapshotTime::parse(padded.as_bytes()) {
        Ok(u) if u == t => {}
        other => fail(format!("padded {padded:?} parses to {other:?}, not {t:?}")),
    }
    if s.ends_with(['Z', 'z']) {
        let offset = format!("{}+00:00", &s[..s.len() - 1]);
        match SnapshotTime::parse(offset.as_bytes()) {
            Ok(u) if u == t => {}
            other => fail(format!("{offset:?} parses to {other:?}, not {t:?}")),
        }
    }
});
