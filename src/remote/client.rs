//! The client: one signed request, retried with backoff.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use super::credential::{redact, remote_error, ConnectionString, Credential};
use super::network::Network;
use super::retry::{self, Attempt};
use super::sign;
use crate::error::Error;

/// The service version every request asks for.
pub const SERVICE_VERSION: &str = "2021-08-06";

/// Builds a [`Client`]: the account's blob endpoint, a credential, paging and
/// networking limits.
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    endpoint: String,
    pub(crate) credential: Credential,
    pub(crate) max_results: u32,
    /// `maxresults` of the `delimiter=/` requests that find virtual
    /// directories (`None`: `max_results`).
    pub(crate) directory_max_results: Option<u32>,
    connect_timeout: Duration,
    read_timeout: Duration,
    pub(crate) max_attempts: u32,
    pub(crate) initial_backoff: Duration,
    pub(crate) max_backoff: Duration,
    pub(crate) max_retry_after: Duration,
    pub(crate) max_blob_size: u64,
    extra_roots_pem: Vec<Vec<u8>>,
}

impl ClientBuilder {
    /// A builder for the blob endpoint `endpoint`: `https://ACCOUNT.blob.core.windows.net`,
    /// or path-style `http://127.0.0.1:10000/devstoreaccount1` for Azurite. A
    /// query on it (a SAS URL) becomes the credential.
    pub fn new(endpoint: &str) -> ClientBuilder {
        let (endpoint, sas) = endpoint
            .trim()
            .split_once('?')
            .unwrap_or((endpoint.trim(), ""));
        ClientBuilder {
            endpoint: endpoint.trim_end_matches('/').to_string(),
            credential: Credential::sas(sas).unwrap_or_default(),
            max_results: 5000,
            directory_max_results: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            max_attempts: 6,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            max_blob_size: 64 << 20,
            extra_roots_pem: Vec::new(),
        }
    }

    /// A builder from an Azure connection string (see [`ConnectionString`]).
    pub fn from_connection_string(text: &str) -> Result<ClientBuilder, Error> {
        let cs = ConnectionString::parse(text)?;
        let mut builder = ClientBuilder::new(&cs.blob_endpoint);
        builder.credential(cs.credential);
        Ok(builder)
    }

    /// Sets the credential (default: anonymous, or the SAS of a SAS URL).
    pub fn credential(&mut self, credential: Credential) -> &mut ClientBuilder {
        self.credential = credential;
        self
    }

    /// Sets `maxresults` of List Containers and List Blobs (1–5000; default 5000).
    pub fn max_results(&mut self, n: u32) -> &mut ClientBuilder {
        self.max_results = n.clamp(1, 5000);
        self
    }

    /// Sets `maxresults` of the `delimiter=/` List Blobs requests with which
    /// a parallel listing finds the virtual directories to list on their
    /// own (1–5000; default: [`max_results`](Self::max_results)). Their
    /// pages are mostly directory names, and every page of them is a round
    /// trip before the directories can be listed; the CLI asks for 5000
    /// whatever `--page-size` is.
    pub fn directory_max_results(&mut self, n: u32) -> &mut ClientBuilder {
        self.directory_max_results = Some(n.clamp(1, 5000));
        self
    }

    /// Sets the connect timeout (default 10 s) and the timeout of each read
    /// from the socket (default 60 s).
    pub fn timeouts(&mut self, connect: Duration, read: Duration) -> &mut ClientBuilder {
        self.connect_timeout = connect;
        self.read_timeout = read;
        self
    }

    /// Sets the retry policy: at most `max_attempts` tries of one request
    /// (default 6), waiting about `initial` (default 0.5 s) after the first
    /// failure, doubling up to `max` (default 30 s), with jitter.
    pub fn retries(
        &mut self,
        max_attempts: u32,
        initial: Duration,
        max: Duration,
    ) -> &mut ClientBuilder {
        self.max_attempts = max_attempts.max(1);
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Sets the longest `Retry-After` the client waits for (default 120 s);
    /// a longer one fails the request instead.
    pub fn max_retry_after(&mut self, limit: Duration) -> &mut ClientBuilder {
        self.max_retry_after = limit;
        self
    }

    /// Sets the largest blob [`Client::get_blob`] reads (default 64 MiB).
    pub fn max_blob_size(&mut self, bytes: u64) -> &mut ClientBuilder {
        self.max_blob_size = bytes;
        self
    }

    /// Trusts the certificates of the PEM text `pem` as roots, in addition
    /// to the built-in ones and those of `SSL_CERT_FILE`.
    pub fn add_root_certificates(&mut self, pem: &[u8]) -> &mut ClientBuilder {
        self.extra_roots_pem.push(pem.to_vec());
        self
    }

    /// Checks the endpoint and builds the client. The proxy comes from
    /// `HTTPS_PROXY` / `HTTP_PROXY` (by the endpoint's scheme) and `NO_PROXY`;
    /// the trusted roots are the built-in ones plus those of the PEM file
    /// `SSL_CERT_FILE` names, plus [`add_root_certificates`](Self::add_root_certificates).
    /// A bearer token is sent only over `https://`.
    pub fn build(&self) -> Result<Client, Error> {
        let rest = ["http://", "https://"]
            .iter()
            .find_map(|s| self.endpoint.strip_prefix(s))
            .ok_or_else(|| {
                remote_error(format!(
                    "account URL {:?}: must begin with https:// (or http:// for Azurite)",
                    redact(&self.endpoint, &[])
                ))
            })?;
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if host.is_empty() || host.contains(['@', ' ', '#']) {
            return Err(remote_error(format!(
                "account URL {:?}: no host, or a malformed one",
                redact(&self.endpoint, &[])
            )));
        }
        let https = self.endpoint.starts_with("https://");
        if matches!(self.credential, Credential::Token(_)) && !https {
            return Err(remote_error(format!(
                "account URL {:?}: a Microsoft Entra ID token is sent only over https://",
                redact(&self.endpoint, &[])
            )));
        }
        let network = Network {
            connect_timeout: self.connect_timeout,
            read_timeout: self.read_timeout,
            extra_roots_pem: self.extra_roots_pem.clone(),
        };
        let agent = network.agent(if https { "https" } else { "http" })?;
        Ok(Client {
            origin: format!(
                "{}{host}",
                &self.endpoint[..self.endpoint.len() - rest.len()]
            ),
            base_path: if path.is_empty() {
                String::new()
            } else {
                format!("/{path}")
            },
            builder: self.clone(),
            agent,
            network,
            retries: AtomicU64::new(0),
            requests: AtomicU64::new(0),
        })
    }
}

/// A blocking Blob-service client for one storage account. Build it with
/// [`ClientBuilder`]. Requests are retried (see [`ClientBuilder::retries`]);
/// errors are [`ErrorKind::Remote`](crate::ErrorKind::Remote) and never
/// contain a credential.
pub struct Client {
    origin: String,
    base_path: String,
    pub(crate) builder: ClientBuilder,
    agent: ureq::Agent,
    network: Network,
    pub(crate) retries: AtomicU64,
    requests: AtomicU64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field(
                "endpoint",
                &format_args!("{}{}", self.origin, self.base_path),
            )
            .field("credential", &self.builder.credential)
            .field("max_results", &self.builder.max_results)
            .field("directory_max_results", &self.builder.directory_max_results)
            .finish_non_exhaustive()
    }
}

/// A successful response, its body read whole.
#[derive(Clone, Debug)]
pub struct Response {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The response headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(h, _)| h == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Client {
    /// The number of requests sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The number of retries so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Get Blob of the `length` bytes at `offset` of blob `name` in
    /// `container` (of its snapshot `snapshot` when given, as the service
    /// writes snapshot times), with `x-ms-range`. The response's `etag`,
    /// `last-modified` and `content-range` (`bytes FIRST-LAST/LENGTH`: the
    /// blob's whole length) headers say which version of the blob the bytes
    /// are of. A body of any other length than `length` (the blob ends
    /// inside the range) is an error, and so is a `length` of 0.
    pub fn get_blob_range(
        &self,
        container: &str,
        name: &str,
        snapshot: Option<&str>,
        offset: u64,
        length: u64,
    ) -> Result<Response, Error> {
        let what = format!("Get Blob /{container}/{name} bytes {offset}+{length}");
        let last = offset
            .checked_add(length)
            .filter(|_| length > 0)
            .ok_or_else(|| remote_error(format!("{what}: an empty or impossible range")))?
            - 1;
        let range = format!("bytes={offset}-{last}");
        let query: Vec<(&str, &str)> = snapshot.map(|s| ("snapshot", s)).into_iter().collect();
        let response = self.request(
            "GET",
            &format!("{container}/{name}"),
            &query,
            &[("x-ms-range", &range)],
            &[],
            &what,
        )?;
        if response.body.len() as u64 != length {
            return Err(remote_error(format!(
                "{what}: the service sent {} bytes: the blob ends inside the range",
                response.body.len()
            )));
        }
        Ok(response)
    }

    /// Sends one request and reads its response, retrying as configured.
    ///
    /// `resource` is the unencoded `container` or `container/blob` below the
    /// account (empty for the account itself); `query` and `headers` are
    /// unencoded (the client adds `x-ms-date`, `x-ms-version` and the
    /// authorization); `what` names the operation in errors ("List Blobs in
    /// photos"). Any status other than 2xx is an error that names the status,
    /// the service's error code and `x-ms-request-id`. This is the way to
    /// operations this module does not wrap (the tests seed Azurite with it).
    pub fn request(
        &self,
        method: &str,
        resource: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: &[u8],
        what: &str,
    ) -> Result<Response, Error> {
        let secrets = self.builder.credential.secrets();
        let mut attempt = 1;
        let mut renewed = false;
        loop {
            let bearer = match &self.builder.credential {
                Credential::Token(t) => Some(t.bearer(&self.network).map_err(|e| {
                    remote_error(format!("{what}: {}", redact(e.message(), &secrets)))
                })?),
                _ => None,
            };
            let sent_bearer = bearer.clone();
            let outcome = self.send_once(method, resource, query, headers, body, bearer);
            self.requests.fetch_add(1, Ordering::Relaxed);
            if let (Credential::Token(t), Ok(r), Some(sent)) =
                (&self.builder.credential, &outcome, &sent_bearer)
            {
                // A token the service finds expired (clocks apart) or no
                // longer good: a new one, at once, once.
                if token_refused(r) && !renewed {
                    renewed = true;
                    t.forget(sent);
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
            // The token sent is a secret too, should an answer quote it.
            let mut secrets = secrets.clone();
            secrets.extend(sent_bearer.as_deref());
            let judged = retry::judge(outcome, attempt, &self.builder, what, &secrets)?;
            match judged {
                Attempt::Done(response) => return Ok(response),
                Attempt::RetryAfter(wait) => {
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    std::thread::sleep(wait);
                    attempt += 1;
                }
            }
        }
    }

    /// One try: sign, send, read the whole body.
    fn send_once(
        &self,
        method: &str,
        resource: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: &[u8],
        bearer: Option<String>,
    ) -> Result<Response, retry::Failure> {
        let path = format!("{}/{}", self.base_path, sign::encode_path(resource));
        let mut url = format!("{}{path}", self.origin);
        let mut sep = '?';
        for (k, v) in query {
            url.push(sep);
            url.push_str(&sign::encode_query(k));
            url.push('=');
            url.push_str(&sign::encode_query(v));
            sep = '&';
        }
        let date = sign::http_date(SystemTime::now());
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        all.push(("x-ms-date", &date));
        all.push(("x-ms-version", SERVICE_VERSION));
        let auth;
        match &self.builder.credential {
            Credential::Anonymous => {}
            Credential::Sas(sas) => {
                url.push(sep);
                url.push_str(&sas.token);
            }
            Credential::SharedKey(key) => {
                auth = sign::authorization(key, method, &path, query, &all, body.len());
                all.push(("authorization", &auth));
            }
            Credential::Token(_) => {
                auth = format!("Bearer {}", bearer.unwrap_or_default());
                all.push(("authorization", &auth));
            }
        }
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(url.as_str());
        for (k, v) in &all {
            request = request.header(*k, *v);
        }
        let request = request
            .body(body)
            .map_err(|e| retry::Failure::Fatal(e.to_string()))?;
        let mut response = self
            .agent
            .run(request)
            .map_err(|e| retry::Failure::from_ureq(e).at(&self.origin))?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let limit = self.builder.max_blob_size.max(64 << 20);
        let body = response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| retry::Failure::from_ureq(e).at(&self.origin))?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// Whether the service refused a bearer token itself (HTTP 401, or 403
/// `AuthenticationFailed` / `InvalidAuthenticationInfo`: expired, not yet
/// valid, or revoked), as opposed to refusing the identity an operation.
fn token_refused(r: &Response) -> bool {
    let code = r.header("x-ms-error-code").unwrap_or("");
    r.status == 401
        || (r.status == 403 && matches!(code, "AuthenticationFailed" | "InvalidAuthenticationInfo"))
}
