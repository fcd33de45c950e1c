//! Shared Key signing, percent-encoding and HTTP dates.
//!
//! Signing follows "Authorize with Shared Key" for service version
//! 2009-09-19 and later (so also 2021-08-06): the string to sign is the verb,
//! eleven standard headers (Content-Length empty when zero), the
//! canonicalized `x-ms-` headers, and the canonicalized resource: `/account`,
//! the encoded URI path, then each query parameter as `\nname:value` with
//! lowercase names in order and decoded values (repeated names joined by
//! commas in sorted order). The signature is base64 HMAC-SHA256 of that string
//! under the decoded account key.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::credential::SharedKey;

/// The standard headers in the order the string to sign lists them.
const STANDARD_HEADERS: [&str; 11] = [
    "content-encoding",
    "content-language",
    "content-length",
    "content-md5",
    "content-type",
    "date",
    "if-modified-since",
    "if-match",
    "if-none-match",
    "if-unmodified-since",
    "range",
];

/// The `Authorization` header value for one request.
///
/// `path` is the encoded URI path as sent (`/devstoreaccount1/photos`),
/// `query` the decoded query parameters, `headers` every header sent with the
/// request except `Content-Length`, whose value is `content_length`.
pub(crate) fn authorization(
    key: &SharedKey,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    headers: &[(&str, &str)],
    content_length: usize,
) -> String {
    let mut to_sign = String::with_capacity(256);
    to_sign.push_str(method);
    to_sign.push('\n');
    for name in STANDARD_HEADERS {
        if name == "content-length" {
            if content_length > 0 {
                to_sign.push_str(&content_length.to_string());
            }
        } else if let Some((_, v)) = headers.iter().find(|(h, _)| h.eq_ignore_ascii_case(name)) {
            to_sign.push_str(v);
        }
        to_sign.push('\n');
    }
    let mut ms: Vec<(String, String)> = headers
        .iter()
        .filter(|(h, _)| h.len() > 5 && h[..5].eq_ignore_ascii_case("x-ms-"))
        .map(|(h, v)| (h.to_ascii_lowercase(), fold_whitespace(v)))
        .collect();
    ms.sort();
    for (h, v) in ms {
        to_sign.push_str(&h);
        to_sign.push(':');
        to_sign.push_str(&v);
        to_sign.push('\n');
    }
    to_sign.push('/');
    to_sign.push_str(&key.account);
    to_sign.push_str(if path.is_empty() { "/" } else { path });
    let mut params: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (name, value) in query {
        params
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(value);
    }
    for (name, mut values) in params {
        values.sort_unstable();
        to_sign.push('\n');
        to_sign.push_str(&name);
        to_sign.push(':');
        to_sign.push_str(&values.join(","));
    }
    format!(
        "SharedKey {}:{}",
        key.account,
        hmac_base64(&key.key, &to_sign)
    )
}

/// base64 of HMAC-SHA256 of `message` under `key`.
pub(crate) fn hmac_base64(key: &[u8], message: &str) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(message.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Trims a header value and folds runs of whitespace to one space.
fn fold_whitespace(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Percent-encodes `text` for a URI path: everything but unreserved
/// characters, `/` and `$` (so `$root` stays readable).
pub(crate) fn encode_path(text: &str) -> String {
    encode(text, b"/$")
}

/// Percent-encodes `text` for a query value: everything but unreserved
/// characters.
pub(crate) fn encode_query(text: &str) -> String {
    encode(text, b"")
}

fn encode(text: &str, keep: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `time` as an RFC 1123 date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn http_date(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Parses an RFC 1123 date; `None` for anything else.
pub(crate) fn parse_http_date(text: &str) -> Option<SystemTime> {
    let mut it = text.split_whitespace();
    let _weekday = it.next()?;
    let d: u64 = it.next()?.parse().ok()?;
    let month = it.next()?;
    let m = MONTHS.iter().position(|&x| x == month)? as u64 + 1;
    let y: u64 = it.next()?.parse().ok()?;
    let mut hms = it.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, mi, s) = (hms.next()??, hms.next()??, hms.next()??);
    if it.next()? != "GMT" || !(1970..10_000).contains(&y) || d == 0 || d > 31 {
        return None;
    }
    let days = days_from_civil(y, m, d);
    Some(UNIX_EPOCH + Duration::from_secs(days * 86_400 + h * 3600 + mi * 60 + s))
}

/// Days since 1970-01-01 to (year, month, day), for dates from 1970 on
/// (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + u64::from(m <= 2), m, d)
}

/// (year, month, day) from 1970 on to days since 1970-01-01.
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(t));
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(http_date(leap), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(parse_http_date(&http_date(leap)), Some(leap));
        assert_eq!(parse_http_date("120"), None);
    }

    #[test]
    fn encodes() {
        assert_eq!(encode_path("$root/a b/é"), "$root/a%20b/%C3%A9");
        assert_eq!(
            encode_query("snapshots,uncommittedblobs"),
            "snapshots%2Cuncommittedblobs"
        );
    }

    #[test]
    fn signs_the_documented_layout() {
        // The string to sign for a List Containers request, checked by hand.
        let key = SharedKey::new("acct", "a2V5").unwrap();
        let headers = [("x-ms-version", "2021-08-06"), ("x-ms-date", "D")];
        let got = authorization(
            &key,
            "GET",
            "/",
            &[("comp", "list"), ("prefix", "a")],
            &headers,
            0,
        );
        let expected = "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:D\nx-ms-version:2021-08-06\n/acct/\ncomp:list\nprefix:a";
        assert_eq!(
            got,
            format!("SharedKey acct:{}", hmac_base64(b"key", expected))
        );
    }
}
