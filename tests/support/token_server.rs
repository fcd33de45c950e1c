//! Tiny loopback HTTP servers for the sign-in tests: a Microsoft Entra ID
//! token endpoint, a managed identity endpoint, or a CONNECT proxy. Each
//! runs in a thread, records what it was asked, and answers with tokens the
//! test mints (HTTPS Azurite with `--oauth basic` checks a token's audience,
//! issuer and lifetime, not its signature).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;

/// One request a server saw.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// `GET`, `POST`, `CONNECT`.
    pub method: String,
    /// The request target (path and query, or `host:port` for CONNECT).
    pub target: String,
    /// Headers, names lowercase.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl Seen {
    /// The first value of header `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The decoded value of form field `name` of the body.
    pub fn form(&self, name: &str) -> Option<String> {
        self.body.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            (k == name).then(|| decode(v))
        })
    }
}

fn decode(v: &str) -> String {
    let v = v.replace('+', " ");
    let bytes = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&v[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A JWT that Azurite's `--oauth basic` accepts: audience
/// `https://storage.azure.com`, an `sts.windows.net` issuer, valid from a
/// minute ago for `lifetime`. The signature is not checked, so it is junk.
pub fn mint_jwt(lifetime: Duration) -> String {
    mint_jwt_expiring(lifetime.as_secs() as i64)
}

/// A JWT like [`mint_jwt`] whose `exp` is `seconds` from now (negative: it
/// has expired).
pub fn mint_jwt_expiring(seconds: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let claims = format!(
        r#"{{"aud":"https://storage.azure.com","iss":"https://sts.windows.net/{TENANT}/","iat":{},"nbf":{},"exp":{},"oid":"{}","tid":"{TENANT}"}}"#,
        now - 600,
        now - 600,
        now + seconds,
        super::unique("oid"),
    );
    format!(
        "{}.{}.{}",
        b64(r#"{"alg":"RS256","typ":"JWT"}"#),
        b64(&claims),
        b64("not-a-signature")
    )
}

/// The tenant the tests sign in to.
pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/// What a server answers to one request: status and JSON body.
pub type Answer = Box<dyn Fn(&Seen) -> (u16, String) + Send + Sync>;

/// A running server.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Starts a server that answers each request with `answer`.
    pub fn start(answer: Answer) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, answer) = (seen.clone(), Arc::new(answer));
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, answer) = (s.clone(), answer.clone());
                thread::spawn(move || {
                    let _ = serve(stream, &s, &answer);
                });
            }
        });
        Server { url, seen }
    }

    /// A token endpoint (client credentials, or IMDS / App Service): every
    /// answer is a fresh token living `lifetime`, in the shape
    /// of the endpoint asked (`expires_in` for Entra ID, `expires_on` for
    /// managed identity).
    pub fn tokens(lifetime: Duration) -> Server {
        Server::start(Box::new(move |seen: &Seen| {
            let token = mint_jwt(lifetime);
            let body = if seen.method == "POST" {
                format!(
                    r#"{{"token_type":"Bearer","expires_in":{},"ext_expires_in":3599,"access_token":"{token}"}}"#,
                    lifetime.as_secs()
                )
            } else {
                let on = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .expect("clock")
                    .as_secs()
                    + lifetime.as_secs();
                format!(
                    r#"{{"access_token":"{token}","expires_on":"{on}","resource":"https://storage.azure.com/","token_type":"Bearer"}}"#
                )
            };
            (200, body)
        }))
    }

    /// The requests seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>, answer: &Answer) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let mut request = Seen {
        method: parts.next().unwrap_or("").to_string(),
        target: parts.next().unwrap_or("").to_string(),
        ..Seen::default()
    };
    let mut length = 0;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_string());
            if k == "content-length" {
                length = v.parse().unwrap_or(0);
            }
            request.headers.push((k, v));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    request.body = String::from_utf8_lossy(&body).into_owned();
    if let Ok(mut s) = seen.lock() {
        s.push(request.clone());
    }
    let (status, body) = answer(&request);
    write!(
        out,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )?;
    out.flush()
}

/// A CONNECT proxy on loopback: tunnels each `CONNECT host:port` and
/// records the targets.
pub struct ConnectProxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    pub fn start() -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                thread::spawn(move || {
                    let _ = tunnel(stream, &s);
                });
            }
        });
        ConnectProxy { url, seen }
    }

    /// The `host:port` of every CONNECT so far.
    pub fn targets(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

fn tunnel(client: TcpStream, seen: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut out = client.try_clone()?;
    if method != "CONNECT" {
        out.write_all(b"HTTP/1.1 405 Only CONNECT\r\ncontent-length: 0\r\n\r\n")?;
        return Ok(());
    }
    if let Ok(mut s) = seen.lock() {
        s.push(target.to_string());
    }
    let upstream = TcpStream::connect(target)?;
    out.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    // Anything the client sent after the head is still in `reader`.
    let buffered = reader.buffer().to_vec();
    let mut up_write = upstream.try_clone()?;
    up_write.write_all(&buffered)?;
    let mut up_read = upstream;
    let mut client_read = reader.into_inner();
    let t = thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut up_write);
        let _ = up_write.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut up_read, &mut out);
    let _ = out.shutdown(std::net::Shutdown::Write);
    let _ = t.join();
    Ok(())
}
