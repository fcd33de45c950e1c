//! How requests reach the network: proxies and trusted certificate
//! authorities, for the Blob service and for the token endpoints alike.
//!
//! - A proxy comes from the environment as curl and the Azure tools read it:
//!   `HTTPS_PROXY` (or `https_proxy`) for `https://` URLs, `HTTP_PROXY` (or
//!   `http_proxy`) for `http://` ones, `ALL_PROXY` for both when those are
//!   unset; hosts in `NO_PROXY` (`no_proxy`; a name covers its subdomains,
//!   `*` covers all) are
//!   reached directly. An `http://` proxy is asked to `CONNECT` to the host.
//! - Certificates: Mozilla's roots (the `webpki-root-certs` crate, as
//!   rustls ships them), plus every certificate of the PEM file that
//!   `SSL_CERT_FILE` names (a TLS-inspecting proxy's authority, or a test
//!   server's), plus those given to [`ClientBuilder::add_root_certificates`].
//!
//! [`ClientBuilder::add_root_certificates`]: super::ClientBuilder::add_root_certificates

use std::time::Duration;

use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};
use ureq::{Agent, Proxy};

use super::credential::remote_error;
use crate::error::Error;

/// What an agent needs: timeouts, and certificates to trust beyond the
/// built-in roots (PEM).
#[derive(Clone, Debug)]
pub(crate) struct Network {
    pub(crate) connect_timeout: Duration,
    pub(crate) read_timeout: Duration,
    pub(crate) extra_roots_pem: Vec<Vec<u8>>,
}

impl Network {
    /// An agent for URLs of `scheme` (`http` or `https`): the proxy the
    /// environment names for it, the trusted roots, no redirects, statuses
    /// returned (not errors).
    pub(crate) fn agent(&self, scheme: &str) -> Result<Agent, Error> {
        self.build_agent(proxy_from_env(scheme, &|k| std::env::var(k).ok())?)
    }

    /// An agent that reaches every host directly (managed identity
    /// endpoints are local: a proxy must not see their requests).
    pub(crate) fn agent_without_proxy(&self) -> Result<Agent, Error> {
        self.build_agent(None)
    }

    fn build_agent(&self, proxy: Option<Proxy>) -> Result<Agent, Error> {
        let config = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_connect(Some(self.connect_timeout))
            .timeout_per_read(Some(self.read_timeout))
            .timeout_recv_response(Some(self.read_timeout))
            .user_agent(concat!("blobsel/", env!("CARGO_PKG_VERSION")))
            .proxy(proxy)
            .tls_config(self.tls()?)
            .build();
        Ok(config.into())
    }

    /// The TLS configuration: the built-in roots, plus `SSL_CERT_FILE` and
    /// the extra ones when there are any.
    fn tls(&self) -> Result<TlsConfig, Error> {
        let mut extra: Vec<Certificate<'static>> = Vec::new();
        if let Some(path) = std::env::var_os("SSL_CERT_FILE").filter(|p| !p.is_empty()) {
            let pem = std::fs::read(&path).map_err(|e| {
                remote_error(format!(
                    "SSL_CERT_FILE {:?}: cannot read it: {e} (unset it, or name a PEM file)",
                    path
                ))
            })?;
            let certs = pem_certificates(&pem);
            if certs.is_empty() {
                return Err(remote_error(format!(
                    "SSL_CERT_FILE {path:?}: no `BEGIN CERTIFICATE` block in it (a PEM file is needed)"
                )));
            }
            extra.extend(certs);
        }
        for pem in &self.extra_roots_pem {
            extra.extend(pem_certificates(pem));
        }
        let roots = if extra.is_empty() {
            RootCerts::WebPki
        } else {
            let mut all: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .map(|der| Certificate::from_der(der.as_ref()).to_owned())
                .collect();
            all.extend(extra);
            RootCerts::new_with_certs(&all)
        };
        Ok(TlsConfig::builder().root_certs(roots).build())
    }
}

/// The certificates of a PEM text (other blocks are skipped).
pub(crate) fn pem_certificates(pem: &[u8]) -> Vec<Certificate<'static>> {
    ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect()
}

/// The proxy for URLs of `scheme`, from the variables `env` reads, with
/// `NO_PROXY` attached; `None` when none is set.
pub(crate) fn proxy_from_env(
    scheme: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Proxy>, Error> {
    let names: &[&str] = if scheme == "https" {
        &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
    } else {
        &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
    };
    let Some((name, value)) = names
        .iter()
        .find_map(|n| env(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
    else {
        return Ok(None);
    };
    let bad = || {
        // The value may hold a password: the error names the variable only.
        remote_error(format!(
            "{name}: not a proxy URL (http://HOST:PORT, http://USER:PASSWORD@HOST:PORT)"
        ))
    };
    let parsed = Proxy::new(value.trim()).map_err(|_| bad())?;
    let mut builder = Proxy::builder(parsed.protocol())
        .host(parsed.host())
        .port(parsed.port());
    if let Some(user) = parsed.username() {
        builder = builder.username(user);
    }
    if let Some(password) = parsed.password() {
        builder = builder.password(password);
    }
    if let Some(no) = env("NO_PROXY")
        .or_else(|| env("no_proxy"))
        .filter(|v| !v.trim().is_empty())
    {
        for entry in no.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            builder = builder.no_proxy(entry);
            // As curl: a plain domain also covers its subdomains.
            if !entry.starts_with(['.', '*']) && entry.parse::<std::net::IpAddr>().is_err() {
                builder = builder.no_proxy(&format!(".{entry}"));
            }
        }
    }
    builder.build().map(Some).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_proxy_follows_the_scheme_and_no_proxy() {
        let vars = [
            ("HTTPS_PROXY", "http://user:pw@proxy.example:3128"),
            ("HTTP_PROXY", "http://plain.example:8080"),
            ("NO_PROXY", "localhost, .internal,corp.example"),
        ];
        let p = proxy_from_env("https", &env(&vars)).unwrap().unwrap();
        assert_eq!((p.host(), p.port()), ("proxy.example", 3128));
        assert_eq!(p.username(), Some("user"));
        let skip: ureq::http::Uri = "https://acct.blob.internal/".parse().unwrap();
        let keep: ureq::http::Uri = "https://acct.blob.core.windows.net/".parse().unwrap();
        assert!(p.is_no_proxy(&skip) && !p.is_no_proxy(&keep));
        for host in [
            "http://localhost:1/",
            "https://corp.example/",
            "https://a.corp.example/",
        ] {
            assert!(p.is_no_proxy(&host.parse().unwrap()), "{host}");
        }
        let p = proxy_from_env("http", &env(&vars)).unwrap().unwrap();
        assert_eq!(p.host(), "plain.example");
        assert!(proxy_from_env("https", &env(&[])).unwrap().is_none());
        let all = [("all_proxy", "http://all.example:1")];
        assert_eq!(
            proxy_from_env("https", &env(&all)).unwrap().unwrap().host(),
            "all.example"
        );
    }

    #[test]
    fn a_bad_proxy_url_is_named_without_its_value() {
        let vars = [("HTTPS_PROXY", "http://us:secret@[bad")];
        let e = proxy_from_env("https", &env(&vars))
            .unwrap_err()
            .to_string();
        assert!(e.contains("HTTPS_PROXY") && !e.contains("secret"), "{e}");
    }
}
