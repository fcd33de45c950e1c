//! How token sources reach their endpoints: a form POST or a GET, the
//! answer read as a token, errors that say what the service said and never
//! quote a secret.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::AccessToken;
use crate::error::Error;
use crate::remote::credential::{redact, remote_error};
use crate::remote::network::Network;

/// What a [`TokenSource`](super::TokenSource) uses to reach its token endpoint.
pub struct Http {
    pub(crate) network: Network,
}

impl Http {
    /// POSTs a form and reads a token response (`access_token` with
    /// `expires_in` or `expires_on`). `secrets` are scrubbed from errors.
    pub(crate) fn post_form(
        &self,
        source: &str,
        url: &str,
        form: &[(&str, &str)],
        secrets: &[&str],
    ) -> Result<AccessToken, Error> {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = ureq::http::Request::post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body.into_bytes())
            .map_err(|e| remote_error(format!("{source}: {e}")))?;
        self.send(source, url, request, secrets, true)
    }

    /// GETs a token response with `headers` (managed identity endpoints);
    /// never through a proxy when `proxy` is false.
    pub(crate) fn get(
        &self,
        source: &str,
        url: &str,
        headers: &[(&str, &str)],
        proxy: bool,
    ) -> Result<AccessToken, Error> {
        let mut request = ureq::http::Request::get(url).header("accept", "application/json");
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let request = request
            .body(Vec::new())
            .map_err(|e| remote_error(format!("{source}: {e}")))?;
        let secrets: Vec<&str> = headers.iter().map(|(_, v)| *v).collect();
        self.send(source, url, request, &secrets, proxy)
    }

    fn send(
        &self,
        source: &str,
        url: &str,
        request: ureq::http::Request<Vec<u8>>,
        secrets: &[&str],
        proxy: bool,
    ) -> Result<AccessToken, Error> {
        let scheme = if url.starts_with("https://") {
            "https"
        } else {
            "http"
        };
        let agent = if proxy {
            self.network.agent(scheme)?
        } else {
            self.network.agent_without_proxy()?
        };
        let origin = origin(url);
        let mut response = agent.run(request).map_err(|e| {
            remote_error(format!(
                "{source}: {} (talking to {origin})",
                redact(&e.to_string(), secrets)
            ))
        })?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .map_err(|e| remote_error(format!("{source}: {e} (talking to {origin})")))?;
        parse_token_response(&body, SystemTime::now())
            .and_then(|t| {
                if (200..300).contains(&status) {
                    Ok(t)
                } else {
                    Err(String::new())
                }
            })
            .map_err(|why| {
                let said = service_error(&body);
                let text = match (said, why.is_empty()) {
                    (Some(said), _) => format!("{source}: HTTP {status} from {origin}: {said}"),
                    (None, true) => format!("{source}: HTTP {status} from {origin}"),
                    (None, false) => format!("{source}: HTTP {status} from {origin}: {why}"),
                };
                remote_error(redact(&text, secrets))
            })
    }
}

/// `scheme://host[:port]` of a URL (it holds no secret).
fn origin(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    let end = url[after..]
        .find(['/', '?'])
        .map_or(url.len(), |i| after + i);
    &url[..end]
}

/// The `error` and the first line of `error_description` of an OAuth error
/// body (`AADSTS…` codes), or a managed identity endpoint's `message`.
fn service_error(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let error = text("error").or_else(|| {
        v.get("error")
            .and_then(|e| e.get("code"))
            .and_then(|c| c.as_str())
            .map(str::to_string)
    });
    let description = text("error_description")
        .or_else(|| text("message"))
        .or_else(|| {
            v.get("error")
                .and_then(|e| e.get("message"))
                .and_then(|c| c.as_str())
                .map(str::to_string)
        })
        .map(|d| d.lines().next().unwrap_or("").trim().to_string());
    match (error, description) {
        (Some(e), Some(d)) => Some(format!("{e}: {d}")),
        (e, d) => e.or(d),
    }
}

/// An access token from a token endpoint's JSON: `access_token`, and
/// `expires_on` (Unix seconds, a number or a string) or `expires_in`
/// (seconds from `now`). The error never quotes the body.
pub(crate) fn parse_token_response(body: &[u8], now: SystemTime) -> Result<AccessToken, String> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| "the answer is not JSON".to_string())?;
    let token = v
        .get("access_token")
        .or_else(|| v.get("accessToken"))
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .ok_or("the answer has no access_token")?;
    let seconds = |k: &str| {
        v.get(k).and_then(|x| match x {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
    };
    let expires_on = if let Some(at) = seconds("expires_on") {
        UNIX_EPOCH + Duration::from_secs(at)
    } else if let Some(within) = seconds("expires_in") {
        now + Duration::from_secs(within)
    } else {
        return Err("the answer has neither expires_on nor expires_in".into());
    };
    Ok(AccessToken::new(token, expires_on))
}

/// `application/x-www-form-urlencoded` encoding of one key or value.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
