//! Which failures are retried, how long to wait, and what the error says.
//!
//! Retried: HTTP 408, 429, 500, 502, 503 and 504, and transport failures
//! (connection refused or reset, a timeout, a body cut off mid-way). Each
//! wait doubles from the initial backoff up to the maximum, with "equal
//! jitter" (half fixed, half random), and is at least the `Retry-After` the
//! service asked for. A request is tried at most `max_attempts` times.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use super::client::{ClientBuilder, Response};
use super::credential::{redact, remote_error};
use super::sign::parse_http_date;
use crate::error::Error;

/// Why one try produced no response.
#[derive(Debug)]
pub(crate) enum Failure {
    /// A transport failure worth another try.
    Transient(String),
    /// A failure another try cannot mend.
    Fatal(String),
}

impl Failure {
    /// Sorts a ureq error.
    pub(crate) fn from_ureq(e: ureq::Error) -> Failure {
        let text = e.to_string();
        // A certificate the client does not trust: another try cannot mend it.
        if text.contains("certificate") {
            return Failure::Fatal(format!(
                "{text} (the server's certificate is not signed by a trusted authority: \
                 if a proxy inspects TLS, or the server uses its own, name that authority's \
                 PEM file in SSL_CERT_FILE)"
            ));
        }
        match e {
            ureq::Error::Io(_)
            | ureq::Error::Timeout(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::Protocol(_) => Failure::Transient(text),
            ureq::Error::HostNotFound => {
                Failure::Fatal(format!("{text} (check the host name of the account URL)"))
            }
            _ => Failure::Fatal(text),
        }
    }
}

impl Failure {
    /// Adds where the client was connecting to (an origin holds no secret).
    pub(crate) fn at(self, origin: &str) -> Failure {
        match self {
            Failure::Transient(t) => Failure::Transient(format!("{t} (talking to {origin})")),
            Failure::Fatal(t) => Failure::Fatal(format!("{t} (talking to {origin})")),
        }
    }
}

/// What to do after one try.
pub(crate) enum Attempt {
    /// Return this response.
    Done(Response),
    /// Try again after this wait.
    RetryAfter(Duration),
}

/// Judges the outcome of try number `attempt` (1-based): done, retry after a
/// wait, or an error that names the operation, status, error code and
/// request id, with `secrets` scrubbed.
pub(crate) fn judge(
    outcome: Result<Response, Failure>,
    attempt: u32,
    policy: &ClientBuilder,
    what: &str,
    secrets: &[&str],
) -> Result<Attempt, Error> {
    let last = attempt >= policy.max_attempts;
    let bearer = matches!(policy.credential, super::credential::Credential::Token(_));
    let tries = if attempt == 1 {
        String::new()
    } else {
        format!(" (after {attempt} tries)")
    };
    let response = match outcome {
        Ok(r) if (200..300).contains(&r.status) => return Ok(Attempt::Done(r)),
        Ok(r) => r,
        Err(Failure::Transient(_)) if !last => {
            return Ok(Attempt::RetryAfter(backoff(attempt, policy)));
        }
        Err(Failure::Transient(text) | Failure::Fatal(text)) => {
            let text = redact(&text, secrets);
            return Err(remote_error(format!("{what}: {text}{tries}")));
        }
    };
    let retryable = matches!(response.status, 408 | 429 | 500 | 502 | 503 | 504);
    let asked = response.header("retry-after").and_then(parse_retry_after);
    if retryable && !last {
        let wait = backoff(attempt, policy);
        match asked {
            Some(a) if a > policy.max_retry_after => {
                let secs = a.as_secs();
                let e = status_error(&response, what, secrets, &tries, bearer);
                let msg = format!(
                    "{}; the service asked to retry after {secs} s, longer than this client waits",
                    e.message()
                );
                return Err(remote_error(msg));
            }
            Some(a) => return Ok(Attempt::RetryAfter(wait.max(a))),
            None => return Ok(Attempt::RetryAfter(wait)),
        }
    }
    Err(status_error(&response, what, secrets, &tries, bearer))
}

/// The wait after failed try number `attempt`.
pub(crate) fn backoff(attempt: u32, policy: &ClientBuilder) -> Duration {
    let factor = 1u32 << attempt.saturating_sub(1).min(20);
    let full = policy
        .initial_backoff
        .saturating_mul(factor)
        .min(policy.max_backoff);
    let half = full / 2;
    let nanos = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    let jitter = if nanos == 0 { 0 } else { random() % nanos };
    half + Duration::from_nanos(jitter)
}

/// A random number (std's hasher keys are random per process and thread).
fn random() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// `Retry-After` in seconds or as an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = parse_http_date(value)?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

/// The error for a response with a failure status.
fn status_error(
    response: &Response,
    what: &str,
    secrets: &[&str],
    tries: &str,
    bearer: bool,
) -> Error {
    let code = response
        .header("x-ms-error-code")
        .map(str::to_string)
        .or_else(|| xml_element(&response.body, "Code"));
    let message = xml_element(&response.body, "Message")
        .map(|m| m.lines().next().unwrap_or("").trim().to_string())
        .filter(|m| !m.is_empty());
    let mut text = format!("{what}: HTTP {}", response.status);
    if let Some(code) = &code {
        text.push(' ');
        text.push_str(code);
    }
    if let Some(message) = &message {
        text.push_str(": ");
        text.push_str(message);
    }
    if let Some(id) = response.header("x-ms-request-id") {
        text.push_str(&format!(" (x-ms-request-id {id})"));
    }
    text.push_str(tries);
    if let Some(hint) = hint(response.status, code.as_deref(), bearer) {
        text.push_str("; ");
        text.push_str(hint);
    }
    remote_error(redact(&text, secrets))
}

/// What to do about a failure, where that is clear.
fn hint(status: u16, code: Option<&str>, bearer: bool) -> Option<&'static str> {
    if bearer && status == 403 {
        return Some(match code {
            Some("AuthenticationFailed" | "InvalidAuthenticationInfo") => {
                "the service refused the Microsoft Entra ID token (expired, or for another \
                 tenant or resource; check the clock)"
            }
            _ => {
                "with --auth-mode login, the signed-in identity needs a data role on the \
                 account or container, e.g. Storage Blob Data Reader (Owner or Contributor \
                 alone does not list blobs)"
            }
        });
    }
    Some(match (status, code) {
        (403, Some("AuthenticationFailed" | "AuthorizationFailure")) => {
            "check the account key or SAS token (a SAS also fails once expired or before its \
             start time; on Azure, also the account's network rules)"
        }
        (403, Some("AuthorizationResourceTypeMismatch")) => {
            "the SAS does not cover this resource type; a container SAS cannot list containers, \
             and an account SAS needs srt=sco"
        }
        (403, Some("AuthorizationPermissionMismatch")) => {
            "the SAS lacks a permission: listing needs `l`, fetching a blob list blob needs `r`"
        }
        (403, _) => "the credential is not allowed to do this",
        (404, Some("ResourceNotFound" | "InvalidUri")) | (400, Some("InvalidUri")) => {
            "check the account URL (Azurite: http://127.0.0.1:10000/devstoreaccount1)"
        }
        _ => return None,
    })
}

/// The text of the first `<name>` element of an XML error body, unescaped.
fn xml_element(body: &[u8], name: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut inside = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) => inside = e.name().as_ref() == name.as_bytes(),
            Event::Text(t) if inside => return t.unescape().ok().map(|s| s.into_owned()),
            Event::End(_) => inside = false,
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ClientBuilder {
        let mut b = ClientBuilder::new("http://127.0.0.1:1/a");
        b.retries(4, Duration::from_millis(100), Duration::from_millis(250));
        b
    }

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Response {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn an_untrusted_certificate_is_not_retried() {
        let e = ureq::Error::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "invalid peer certificate: UnknownIssuer",
        ));
        match Failure::from_ureq(e) {
            Failure::Fatal(t) => assert!(t.contains("SSL_CERT_FILE"), "{t}"),
            Failure::Transient(t) => panic!("retried: {t}"),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter() {
        let p = policy();
        for (attempt, full) in [(1, 100), (2, 200), (3, 250), (9, 250)] {
            let w = backoff(attempt, &p).as_millis();
            assert!(w >= full / 2 && w <= full, "attempt {attempt}: {w} ms");
        }
    }

    #[test]
    fn retries_what_is_transient_and_honours_retry_after() {
        let p = policy();
        let busy = response(503, &[("retry-after", "1")], "");
        match judge(Ok(busy), 1, &p, "op", &[]) {
            Ok(Attempt::RetryAfter(w)) => assert!(w >= Duration::from_secs(1)),
            _ => panic!("503 must be retried"),
        }
        let gone = response(404, &[], "");
        assert!(judge(Ok(gone), 1, &p, "op", &[]).is_err());
        let busy = response(503, &[], "");
        assert!(
            judge(Ok(busy), 4, &p, "op", &[]).is_err(),
            "attempts are bounded"
        );
        let slow = response(429, &[("retry-after", "3600")], "");
        assert!(judge(Ok(slow), 1, &p, "op", &[]).is_err());
    }

    #[test]
    fn errors_name_status_code_and_request_id_but_no_secret() {
        let body = "<?xml version=\"1.0\"?><Error><Code>AuthenticationFailed</Code>\
                    <Message>Server failed to authenticate the request.\nRequestId:x</Message>\
                    <AuthenticationErrorDetail>sig=abc SECRETKEY</AuthenticationErrorDetail></Error>";
        let r = response(403, &[("x-ms-request-id", "rid-1")], body);
        let e = match judge(Ok(r), 1, &policy(), "List Blobs in photos", &["SECRETKEY"]) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("403 is an error"),
        };
        assert!(
            e.starts_with("List Blobs in photos: HTTP 403 AuthenticationFailed: Server failed"),
            "{e}"
        );
        assert!(
            e.contains("x-ms-request-id rid-1") && !e.contains("SECRETKEY"),
            "{e}"
        );
    }
}
