//! Microsoft Entra ID bearer tokens for the Blob service.
//!
//! A [`TokenCredential`] signs requests with `Authorization: Bearer …` for
//! the resource `https://storage.azure.com/`. Its tokens come from a
//! [`TokenSource`]; [`TokenCredential::from_environment`] tries, in this
//! order (the order of the Azure SDKs' default credential chain):
//!
//! 1. a service principal with a client secret ([`ClientSecret`]:
//!    `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`), or else
//!    with a client certificate ([`ClientCertificate`]:
//!    `AZURE_CLIENT_CERTIFICATE_PATH`, a PEM file with the certificate and
//!    its RSA key);
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
use std::time::{Duration, SystemTime};

use self::chain::Chain;
pub(crate) use self::http::parse_token_response;
use super::credential::remote_error;
use super::network::Network;
use crate::error::Error;

mod azure_cli;
mod chain;
mod client_certificate;
mod client_secret;
mod http;
mod managed_identity;
mod workload_identity;

pub use self::azure_cli::AzureCli;
pub use self::client_certificate::ClientCertificate;
pub use self::client_secret::ClientSecret;
pub use self::http::Http;
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
            "AZURE_AUTHORITY_HOST {host:?}: must begin with https:// (e.g. \
             https://login.microsoftonline.us), or http:// to a loopback address \
             (127.0.0.1, localhost or [::1]: a local test server)"
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

    /// Forgets `token` if it is the one kept (the service refused it), so
    /// that the next request gets a new one.
    pub(crate) fn forget(&self, token: &str) {
        let mut cached = self
            .inner
            .cached
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if cached.as_ref().is_some_and(|(t, _)| t.token == token) {
            *cached = None;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

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
        let e = token_url(&env("127.0.0.1:47001"), "t").unwrap_err();
        assert!(
            e.message().contains("must begin with https://")
                && e.message().contains("or http:// to a loopback address"),
            "{e}"
        );
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
