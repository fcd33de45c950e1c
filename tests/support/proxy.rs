//! A tiny fault-injecting HTTP proxy on 127.0.0.1, in a thread.
//!
//! It forwards each request to an upstream server (Azurite) and passes the
//! answer back, unless a scripted fault says otherwise: answer 503 itself,
//! or cut the upstream answer off half-way and drop the connection. It
//! records the request line of every request it saw, so a test can check
//! that a retried page asked for the same marker. Only GET requests without
//! a body pass through it (the listing); tests seed Azurite directly.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// What the proxy does with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forward it and pass the answer back whole.
    Pass,
    /// Answer `503 ServerBusy` without asking upstream, with this
    /// `Retry-After` in seconds (or none).
    Busy(Option<u32>),
    /// Forward it, send back the status line, the headers and half of the
    /// body, then drop the connection.
    DropMidBody,
    /// Answer this status (a server error) without asking upstream.
    Status(u16),
    /// Close the connection without answering.
    Reset,
    /// Answer 200 with this body itself, without a length (the end of the
    /// body is where the connection closes), and only its first half when
    /// `cut` is set.
    Page {
        /// The body.
        body: &'static str,
        /// Whether to send only the first half.
        cut: bool,
    },
}

/// A running proxy. Dropped, it stops accepting (its thread ends with the
/// test process; every socket has a timeout, so nothing hangs).
pub struct Proxy {
    /// The blob endpoint through the proxy (`http://127.0.0.1:PORT/ACCOUNT`).
    pub url: String,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    seen: Arc<Mutex<Vec<(String, Fault)>>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (a blob endpoint URL, `http://` only)
    /// that applies `faults` to the first requests, in order, then passes
    /// everything. An upstream of `None` makes every request without a
    /// scripted fault a 404 (for tests without Azurite).
    pub fn start(upstream: Option<&str>, faults: &[Fault]) -> Proxy {
        Proxy::start_slow(upstream, faults, Duration::ZERO)
    }

    /// Like [`Proxy::start`], and every request waits `delay` first (a
    /// far-away service).
    pub fn start_slow(upstream: Option<&str>, faults: &[Fault], delay: Duration) -> Proxy {
        Proxy::start_with(upstream, faults, delay, None)
    }

    /// A proxy that answers `400` itself to every request whose request
    /// line contains `needle` (a listing of one prefix, say), and passes
    /// the others.
    pub fn refusing(upstream: &str, needle: &str) -> Proxy {
        Proxy::start_with(
            Some(upstream),
            &[],
            Duration::ZERO,
            Some(needle.to_string()),
        )
    }

    fn start_with(
        upstream: Option<&str>,
        faults: &[Fault],
        delay: Duration,
        refuse: Option<String>,
    ) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let (upstream_addr, path) = match upstream {
            Some(u) => {
                let rest = u.strip_prefix("http://").expect("an http:// upstream");
                let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
                (Some(host.to_string()), path.to_string())
            }
            None => (None, "devstoreaccount1".to_string()),
        };
        let faults = Arc::new(Mutex::new(faults.iter().copied().collect::<VecDeque<_>>()));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (f, s) = (faults.clone(), seen.clone());
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (f, s, up) = (f.clone(), s.clone(), upstream_addr.clone());
                let refuse = refuse.clone();
                thread::spawn(move || {
                    let _ = serve(stream, up.as_deref(), &f, &s, delay, refuse.as_deref());
                });
            }
        });
        Proxy {
            url: format!("http://127.0.0.1:{port}/{path}"),
            faults,
            seen,
        }
    }

    /// The request lines seen so far (`GET /path?query HTTP/1.1`) and the
    /// fault applied to each.
    pub fn seen(&self) -> Vec<(String, Fault)> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Faults not used yet.
    pub fn faults_left(&self) -> usize {
        self.faults.lock().map(|f| f.len()).unwrap_or(0)
    }
}

/// Serves the requests of one client connection.
fn serve(
    client: TcpStream,
    upstream: Option<&str>,
    faults: &Mutex<VecDeque<Fault>>,
    seen: &Mutex<Vec<(String, Fault)>>,
    delay: Duration,
    refuse: Option<&str>,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    loop {
        // The request head; a GET carries no body.
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut head = request_line.clone();
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 || line == "\r\n" {
                break;
            }
            if !line.to_ascii_lowercase().starts_with("connection:") {
                head.push_str(&line);
            }
        }
        head.push_str("Connection: close\r\n\r\n");
        thread::sleep(delay);
        let fault = if refuse.is_some_and(|n| request_line.contains(n)) {
            Fault::Status(400)
        } else {
            faults
                .lock()
                .ok()
                .and_then(|mut f| f.pop_front())
                .unwrap_or(Fault::Pass)
        };
        if let Ok(mut s) = seen.lock() {
            s.push((request_line.trim_end().to_string(), fault));
        }
        let answer = match (fault, upstream) {
            (Fault::Busy(after), _) => {
                let after = after.map_or(String::new(), |a| format!("Retry-After: {a}\r\n"));
                let body = "<?xml version=\"1.0\"?><Error><Code>ServerBusy</Code>\
                            <Message>Injected by the test proxy.</Message></Error>";
                format!(
                    "HTTP/1.1 503 Service Unavailable\r\nx-ms-error-code: ServerBusy\r\n\
                     x-ms-request-id: proxy-503\r\n{after}Content-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes()
            }
            (Fault::Status(code), _) => {
                let body = "<?xml version=\"1.0\"?><Error><Code>InternalError</Code>\
                            <Message>Injected by the test proxy.</Message></Error>";
                format!(
                    "HTTP/1.1 {code} Injected\r\nx-ms-error-code: InternalError\r\n\
                     x-ms-request-id: proxy-{code}\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes()
            }
            (Fault::Reset, _) => return client.shutdown(Shutdown::Both),
            (Fault::Page { body, cut }, _) => {
                let body = if cut { &body[..body.len() / 2] } else { body };
                let head =
                    "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nConnection: close\r\n\r\n";
                client.write_all(format!("{head}{body}").as_bytes())?;
                client.flush()?;
                return client.shutdown(Shutdown::Both);
            }
            (_, None) => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_vec(),
            (_, Some(addr)) => {
                let mut up = TcpStream::connect(addr)?;
                up.set_read_timeout(Some(Duration::from_secs(10)))?;
                up.write_all(head.as_bytes())?;
                let mut answer = Vec::new();
                up.read_to_end(&mut answer)?;
                answer
            }
        };
        if fault == Fault::DropMidBody {
            let body_start = answer
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(0, |i| i + 4);
            let cut = body_start + (answer.len() - body_start) / 2;
            client.write_all(&answer[..cut])?;
            client.flush()?;
            return client.shutdown(Shutdown::Both);
        }
        client.write_all(&answer)?;
        client.flush()?;
        if upstream.is_some() && fault == Fault::Pass {
            // Upstream answered `Connection: close`; so do we.
            return client.shutdown(Shutdown::Both);
        }
    }
}
