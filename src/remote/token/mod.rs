//! Microsoft Entra ID bearer tokens for the Blob service.
//!
//! A [`TokenCredential`] signs requests with `Authorization: Bearer …` for
//! the resource `https://storage.azure.com/`. Its tokens come from a
//! [`TokenSource`]; [`TokenCredential::from_environment`] tries, in this
//! order (the order of the Azure SDKs' default credential chain):
//!
//! 1. a service principal with a client secret ([`ClientSecret`]:
//!    `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`);
//! 2. workload identity ([`WorkloadIdentity`]: `AZURE_TENANT_ID`,
//!    `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`, as on AKS);
//! 3. a managed identity ([`ManagedIdentity`]: `IDENTITY_ENDPOINT` with
//!    `IDENTITY_HEADER` on App Service, else the instance metadata endpoint
//!    of an Azure VM; `AZURE_CLIENT_ID` picks a user-assigned identity);
//! 4. the Azure CLI's signed-in user ([`AzureCli`]: `az account
//!    get-access-token`).
//!
//! The first source that gives a token is kept for the renewals. A source
//! that is not set up here (variables missing, no metadata endpoint, no
//! `az`) is passed over, and if none gives a token the error lists each one
//! and what it lacked; a source that is set up but fails (a wrong secret)
//! stops the chain with its error. `AZURE_AUTHORITY_HOST` changes the
//! Microsoft Entra authority (sovereign clouds; default
//! `https://login.microsoftonline.com`).
//!
//! A token is renewed before it expires: five minutes before, or after two
//! thirds of its lifetime when it lives less than a quarter of an hour, so a
//! long listing never sends an expired one. Tokens and secrets never show:
//! `Debug` hides them and errors never quote them.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::credential::{redact, remote_error};
use super::network::Network;
use crate::error::Error;

mod azure_cli;
mod client_secret;
mod managed_identity;
mod workload_identity;

pub use self::azure_cli::AzureCli;
pub use self::client_secret::ClientSecret;
pub use self::managed_identity::ManagedIdentity;
pub use self::workload_identity::WorkloadIdentity;

/// The resource whose tokens the Blob service accepts.
pub const STORAGE_RESOURCE: &str = "https://storage.azure.com/";
/// The OAuth 2.0 scope for [`STORAGE_RESOURCE`] (v2.0 endpoints).
pub const STORAGE_SCOPE: &str = "https://storage.azure.com/.default";
/// The default Microsoft Entra authority.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";

/// A bearer token and when it expires. `Debug` never shows the token.
#[derive(Clone)]
pub struct AccessToken {
    token: String,
    expires_on: SystemTime,
}

impl AccessToken {
    /// A token that expires at `expires_on`.
    pub fn new(token: impl Into<String>, expires_on: SystemTime) -> AccessToken {
        AccessToken {
            token: token.into(),
            expires_on,
        }
    }

    /// The token itself, to send; never print it.
    pub fn secret(&self) -> &str {
        &self.token
    }

    /// When it expires.
    pub fn expires_on(&self) -> SystemTime {
        self.expires_on
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"<redacted>")
            .field("expires_on", &self.expires_on)
            .finish()
    }
}

/// Why a [`TokenSource`] gave no token.
#[derive(Debug)]
#[non_exhaustive]
pub enum TokenError {
    /// The source is not set up here; the text says what it lacks
    /// ("AZURE_CLIENT_SECRET is not set"). The chain goes on to the next.
    Unavailable(String),
    /// The source is set up and failed; the chain stops with this error.
    Failed(Error),
}

/// Where tokens come from: one way of signing in.
pub trait TokenSource: Send + Sync {
    /// A short name for messages ("service principal (client secret)").
    fn name(&self) -> &'static str;

    /// A new token for [`STORAGE_RESOURCE`]; `http` reaches the network the
    /// way the client does (proxies, trusted roots).
    fn get_token(&self, http: &Http) -> Result<AccessToken, TokenError>;
}

/// What a [`TokenSource`] uses to reach its token endpoint.
pub struct Http {
    pub(crate) network: Network,
}

/// The environment, read through a function so that tests need not change
/// the process's.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A variable of `env`, trimmed, when set and not empty.
pub(crate) fn var(env: Env<'_>, name: &str) -> Option<String> {
    env(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// The token endpoint of `tenant` under the authority host `env` names.
/// Only `https://` is allowed, and `http://` to a loopback address (a local
/// test server): the request carries a secret.
pub(crate) fn token_url(env: Env<'_>, tenant: &str) -> Result<String, Error> {
    let host = var(env, "AZURE_AUTHORITY_HOST").unwrap_or_else(|| DEFAULT_AUTHORITY_HOST.into());
    let host = host.trim_end_matches('/');
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|p| {
            host.strip_prefix(p)
                .is_some_and(|r| r.is_empty() || r.starts_with([':', '/']))
        });
    if !host.starts_with("https://") && !loopback {
        return Err(remote_error(format!(
            "AZURE_AUTHORITY_HOST {host:?}: must begin with https:// (e.g. https://login.microsoftonline.us)"
        )));
    }
    if tenant.is_empty()
        || !tenant
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        return Err(remote_error(format!(
            "AZURE_TENANT_ID {tenant:?}: not a tenant id or domain"
        )));
    }
    Ok(format!("{host}/{tenant}/oauth2/v2.0/token"))
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

/// A bearer-token credential: a [`TokenSource`] and the token it last gave,
/// renewed before it expires. Cloning shares the token.
#[derive(Clone)]
pub struct TokenCredential {
    inner: Arc<Inner>,
}

struct Inner {
    source: Box<dyn TokenSource>,
    cached: Mutex<Option<(AccessToken, SystemTime)>>,
}

impl fmt::Debug for TokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCredential")
            .field("source", &self.inner.source.name())
            .finish_non_exhaustive()
    }
}

impl TokenCredential {
    /// A credential whose tokens come from `source`.
    pub fn new(source: impl TokenSource + 'static) -> TokenCredential {
        TokenCredential {
            inner: Arc::new(Inner {
                source: Box::new(source),
                cached: Mutex::new(None),
            }),
        }
    }

    /// The default chain over the process environment (see the module docs).
    pub fn from_environment() -> TokenCredential {
        TokenCredential::new(Chain::from_env(&|k| std::env::var(k).ok()))
    }

    /// The default chain over the variables `env` reads.
    pub fn from_env(env: Env<'_>) -> TokenCredential {
        TokenCredential::new(Chain::from_env(env))
    }

    /// The token to send now: the last one while it is fresh, else a new
    /// one (the last one still serves if renewing fails before it expires).
    pub(crate) fn bearer(&self, network: &Network) -> Result<String, Error> {
        let mut cached = self
            .inner
            .cached
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = SystemTime::now();
        if let Some((token, fetched)) = cached.as_ref() {
            if now < renew_at(token.expires_on, *fetched) {
                return Ok(token.token.clone());
            }
        }
        let http = Http {
            network: network.clone(),
        };
        match self.inner.source.get_token(&http) {
            Ok(token) => {
                let secret = token.token.clone();
                *cached = Some((token, now));
                Ok(secret)
            }
            Err(e) => match cached.as_ref() {
                Some((token, _)) if now + Duration::from_secs(10) < token.expires_on => {
                    Ok(token.token.clone())
                }
                _ => Err(match e {
                    TokenError::Failed(e) => e,
                    TokenError::Unavailable(why) => {
                        remote_error(format!("{}: {why}", self.inner.source.name()))
                    }
                }),
            },
        }
    }
}

/// When a token fetched at `fetched` that expires at `expires_on` is
/// renewed: five minutes before it expires, or after two thirds of its
/// lifetime when that comes sooner.
fn renew_at(expires_on: SystemTime, fetched: SystemTime) -> SystemTime {
    let lifetime = expires_on.duration_since(fetched).unwrap_or_default();
    let margin = Duration::from_secs(300).min(lifetime / 3);
    expires_on.checked_sub(margin).unwrap_or(expires_on)
}

/// One source of the chain, or its name and what it lacks.
type Link = Result<Box<dyn TokenSource>, (&'static str, String)>;

/// The default chain: the sources in order, the first that gives a token
/// kept.
struct Chain {
    sources: Vec<Link>,
    chosen: Mutex<Option<usize>>,
}

impl Chain {
    fn from_env(env: Env<'_>) -> Chain {
        fn boxed<T: TokenSource + 'static>(name: &'static str, r: Result<T, String>) -> Link {
            r.map(|s| Box::new(s) as Box<dyn TokenSource>)
                .map_err(|why| (name, why))
        }
        Chain {
            sources: vec![
                boxed(client_secret::NAME, ClientSecret::from_env(env)),
                boxed(workload_identity::NAME, WorkloadIdentity::from_env(env)),
                boxed(managed_identity::NAME, ManagedIdentity::from_env(env)),
                boxed(azure_cli::NAME, AzureCli::from_env(env)),
            ],
            chosen: Mutex::new(None),
        }
    }
}

impl TokenSource for Chain {
    fn name(&self) -> &'static str {
        "Microsoft Entra ID sign-in (--auth-mode login)"
    }

    fn get_token(&self, http: &Http) -> Result<AccessToken, TokenError> {
        let chosen = *self.chosen.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(Ok(source)) = chosen.map(|i| &self.sources[i]) {
            return source.get_token(http);
        }
        let mut tried = Vec::new();
        for (i, source) in self.sources.iter().enumerate() {
            match source {
                Err((name, why)) => tried.push(format!("{name}: {why}")),
                Ok(source) => match source.get_token(http) {
                    Ok(token) => {
                        *self.chosen.lock().unwrap_or_else(PoisonError::into_inner) = Some(i);
                        return Ok(token);
                    }
                    Err(TokenError::Unavailable(why)) => {
                        tried.push(format!("{}: {why}", source.name()))
                    }
                    Err(TokenError::Failed(e)) => return Err(TokenError::Failed(e)),
                },
            }
        }
        Err(TokenError::Failed(remote_error(format!(
            "--auth-mode login: no Microsoft Entra ID credential found; tried, in order:\n  {}\n\
             (set one up, e.g. `az login`, or use an account key, a SAS or a connection string)",
            tried.join("\n  ")
        ))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_responses_of_every_endpoint_kind() {
        let now = UNIX_EPOCH + Duration::from_secs(1000);
        let t = parse_token_response(br#"{"access_token":"T","expires_in":3599}"#, now).unwrap();
        assert_eq!(t.expires_on(), now + Duration::from_secs(3599));
        let t = parse_token_response(br#"{"access_token":"T","expires_on":"5000"}"#, now).unwrap();
        assert_eq!(t.expires_on(), UNIX_EPOCH + Duration::from_secs(5000));
        let t =
            parse_token_response(br#"{"accessToken":"eyJ0eXAi","expires_on":5000}"#, now).unwrap();
        assert_eq!(t.secret(), "eyJ0eXAi");
        assert!(!format!("{t:?}").contains("eyJ0eXAi"));
        assert!(parse_token_response(b"{}", now).is_err());
    }

    #[test]
    fn tokens_are_renewed_before_they_expire() {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let hour = t0 + Duration::from_secs(3600);
        assert_eq!(renew_at(hour, t0), hour - Duration::from_secs(300));
        let short = t0 + Duration::from_secs(3);
        assert_eq!(renew_at(short, t0), t0 + Duration::from_secs(2));
    }

    #[test]
    fn the_authority_must_be_https_but_for_loopback() {
        let env =
            |v: &'static str| move |k: &str| (k == "AZURE_AUTHORITY_HOST").then(|| v.to_string());
        assert_eq!(
            token_url(&env(""), "t").unwrap(),
            "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        );
        assert_eq!(
            token_url(&env("https://login.microsoftonline.us/"), "t").unwrap(),
            "https://login.microsoftonline.us/t/oauth2/v2.0/token"
        );
        assert!(token_url(&env("http://127.0.0.1:8080"), "t").is_ok());
        assert!(token_url(&env("http://evil.example"), "t").is_err());
        assert!(token_url(&env("http://127.0.0.1.evil.example"), "t").is_err());
        assert!(token_url(&env(""), "a/b").is_err());
    }

    #[test]
    fn the_error_lists_every_source_and_what_it_lacked() {
        let env = |k: &str| match k {
            "AZURE_TENANT_ID" => Some("t".to_string()),
            "PATH" => Some(String::new()),
            "BLOBSEL_IMDS_ENDPOINT" => Some("http://127.0.0.1:1".to_string()),
            _ => None,
        };
        let network = Network {
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
            extra_roots_pem: Vec::new(),
        };
        let e = TokenCredential::from_env(&env)
            .bearer(&network)
            .unwrap_err()
            .to_string();
        for part in [
            "service principal",
            "AZURE_CLIENT_ID, AZURE_CLIENT_SECRET are not set",
            "workload identity",
            "AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID are not set",
            "managed identity",
            "Azure CLI",
            "`az` is not on PATH",
        ] {
            assert!(e.contains(part), "{part:?} in {e}");
        }
    }
}
