//! Credentials for the Blob service, and connection strings.
//!
//! A credential never shows itself: its `Debug` output names the kind and the
//! account, never a key or a SAS signature, and [`redact`] scrubs both from
//! any text (error messages of the HTTP client can quote a URL).

use std::fmt;

use base64::Engine as _;

use super::token::TokenCredential;
use crate::error::{Error, ErrorKind};

/// The account name and base64 key of the local storage emulator (Azurite),
/// published by Microsoft; not a secret.
pub const DEVELOPMENT_ACCOUNT: &str = "devstoreaccount1";
/// The well-known key of [`DEVELOPMENT_ACCOUNT`].
pub const DEVELOPMENT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
/// The emulator's blob endpoint, path-style (the account is the first path
/// segment).
pub const DEVELOPMENT_BLOB_ENDPOINT: &str = "http://127.0.0.1:10000/devstoreaccount1";

/// How requests are authorized.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Credential {
    /// No authorization: only a container with public access can be listed.
    #[default]
    Anonymous,
    /// Shared Key: every request is signed with the account key.
    SharedKey(SharedKey),
    /// A shared access signature (account SAS or container SAS), appended to
    /// every request's query.
    Sas(SasToken),
    /// A Microsoft Entra ID bearer token (`--auth-mode login`), sent only
    /// over HTTPS and renewed before it expires.
    Token(TokenCredential),
}

impl Credential {
    /// A Shared Key credential from the account name and its base64 key.
    pub fn shared_key(account: &str, base64_key: &str) -> Result<Credential, Error> {
        SharedKey::new(account, base64_key).map(Credential::SharedKey)
    }

    /// A SAS credential from a token (`sv=…&sig=…`, with or without the
    /// leading `?`; a `container?sv=…` or a whole SAS URL is cut at the `?`).
    pub fn sas(token: &str) -> Result<Credential, Error> {
        SasToken::new(token).map(Credential::Sas)
    }

    /// The secrets this credential holds, for [`redact`].
    pub(crate) fn secrets(&self) -> Vec<&str> {
        match self {
            Credential::Anonymous => Vec::new(),
            Credential::SharedKey(k) => vec![k.base64.as_str()],
            Credential::Sas(t) => {
                let raw = t.token.split('&').find_map(|p| p.strip_prefix("sig="));
                [Some(t.token.as_str()), raw, Some(t.sig.as_str())]
                    .into_iter()
                    .flatten()
                    .collect()
            }
            Credential::Token(_) => Vec::new(),
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Anonymous => f.write_str("Anonymous"),
            Credential::SharedKey(k) => f.debug_tuple("SharedKey").field(k).finish(),
            Credential::Sas(t) => f.debug_tuple("Sas").field(t).finish(),
            Credential::Token(t) => f.debug_tuple("Token").field(t).finish(),
        }
    }
}

/// An account name and its decoded key.
#[derive(Clone)]
pub struct SharedKey {
    pub(crate) account: String,
    pub(crate) key: Vec<u8>,
    base64: String,
}

impl SharedKey {
    /// Decodes `base64_key`. The error never quotes the key.
    pub fn new(account: &str, base64_key: &str) -> Result<SharedKey, Error> {
        if account.is_empty() {
            return Err(remote_error("shared key: the account name is empty"));
        }
        let base64 = base64_key.trim();
        let key = base64::engine::general_purpose::STANDARD
            .decode(base64)
            .map_err(|_| {
                remote_error(
                    "shared key: the account key is not valid base64 (copy it whole \
                     from the storage account's Access keys)",
                )
            })?;
        if key.is_empty() {
            return Err(remote_error("shared key: the account key is empty"));
        }
        Ok(SharedKey {
            account: account.to_string(),
            key,
            base64: base64.to_string(),
        })
    }

    /// The account name.
    pub fn account(&self) -> &str {
        &self.account
    }
}

impl fmt::Debug for SharedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedKey")
            .field("account", &self.account)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A SAS token, without the leading `?`.
#[derive(Clone)]
pub struct SasToken {
    pub(crate) token: String,
    /// The signature, percent-decoded: a service may quote it so.
    pub(crate) sig: String,
}

impl SasToken {
    /// Checks that `token` looks like a SAS: query parameters with a `sig=`.
    pub fn new(token: &str) -> Result<SasToken, Error> {
        let token = token.trim();
        let token = token.rsplit_once('?').map_or(token, |(_, q)| q);
        let has_sig = token.split('&').any(|p| p.starts_with("sig="));
        if token.is_empty() || !has_sig {
            return Err(remote_error(
                "SAS token: no `sig=` parameter; pass the whole token, e.g. `sv=…&sp=rl&sig=…`",
            ));
        }
        let sig = token
            .split('&')
            .find_map(|p| p.strip_prefix("sig="))
            .map(percent_decode)
            .unwrap_or_default();
        Ok(SasToken {
            token: token.to_string(),
            sig,
        })
    }
}

impl fmt::Debug for SasToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", redact(&self.token, &[]))
    }
}

/// What a connection string says: the blob endpoint and the credential.
#[derive(Clone, Debug)]
pub struct ConnectionString {
    /// The blob service endpoint, e.g. `https://acct.blob.core.windows.net`.
    pub blob_endpoint: String,
    /// The account name, when the string names one.
    pub account_name: Option<String>,
    /// The credential (Shared Key when `AccountKey` is given, else SAS when
    /// `SharedAccessSignature` is, else anonymous).
    pub credential: Credential,
}

impl ConnectionString {
    /// Parses `DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…;…`,
    /// `UseDevelopmentStorage=true`, and `BlobEndpoint=…;SharedAccessSignature=…`.
    /// Keys are case-insensitive; keys of other services are ignored. Errors
    /// name keys, never values.
    pub fn parse(text: &str) -> Result<ConnectionString, Error> {
        let (mut protocol, mut name, mut key, mut endpoint) = (None, None, None, None);
        let (mut suffix, mut sas, mut dev, mut proxy) = (None, None, false, None);
        for part in text
            .trim()
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let Some((k, v)) = part.split_once('=') else {
                return Err(remote_error(
                    "connection string: a part is not `Key=Value` (parts are separated by `;`)",
                ));
            };
            let v = v.trim().to_string();
            match k.trim().to_ascii_lowercase().as_str() {
                "defaultendpointsprotocol" => protocol = Some(v),
                "accountname" => name = Some(v),
                "accountkey" => key = Some(v),
                "blobendpoint" => endpoint = Some(v),
                "endpointsuffix" => suffix = Some(v),
                "sharedaccesssignature" => sas = Some(v),
                "usedevelopmentstorage" => dev = v.eq_ignore_ascii_case("true"),
                "developmentstorageproxyuri" => proxy = Some(v),
                _ => {}
            }
        }
        if dev {
            let blob_endpoint = match proxy {
                Some(p) => format!("{}:10000/{DEVELOPMENT_ACCOUNT}", p.trim_end_matches('/')),
                None => DEVELOPMENT_BLOB_ENDPOINT.to_string(),
            };
            return Ok(ConnectionString {
                blob_endpoint,
                account_name: Some(DEVELOPMENT_ACCOUNT.to_string()),
                credential: Credential::shared_key(DEVELOPMENT_ACCOUNT, DEVELOPMENT_KEY)?,
            });
        }
        let blob_endpoint = match (endpoint, &name) {
            (Some(e), _) => e.trim_end_matches('/').to_string(),
            (None, Some(n)) => format!(
                "{}://{n}.blob.{}",
                protocol.as_deref().unwrap_or("https"),
                suffix.as_deref().unwrap_or("core.windows.net")
            ),
            (None, None) => {
                return Err(remote_error(
                    "connection string: neither `BlobEndpoint` nor `AccountName` is given",
                ))
            }
        };
        let credential = match (key, sas, &name) {
            (Some(k), _, Some(n)) => Credential::shared_key(n, &k)?,
            (Some(_), _, None) => {
                return Err(remote_error(
                    "connection string: `AccountKey` needs `AccountName` beside it",
                ))
            }
            (None, Some(s), _) => Credential::sas(&s)?,
            (None, None, _) => Credential::Anonymous,
        };
        Ok(ConnectionString {
            blob_endpoint,
            account_name: name,
            credential,
        })
    }
}

/// `text` with every `sig=` value and every one of `secrets` replaced by
/// `<redacted>`: a secret as it is, and as it shows when a service echoes a
/// request back, percent-encoded (`%7E`, `%7e`, `+` for a space: a form
/// body or a URL) or escaped in JSON (`\/`, `\u0026`), in any mix.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = redact_one(&out, secret);
    }
    let mut result = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(i) = find_sig(rest) {
        let value_start = i + 4;
        result.push_str(&rest[..value_start]);
        result.push_str("<redacted>");
        let tail = &rest[value_start..];
        let end = tail
            .find(|c: char| c == '&' || c == '\'' || c == '"' || c == '<' || c.is_whitespace())
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    result.push_str(rest);
    result
}

/// `text` with every occurrence of `secret`, in any of the encodings
/// [`redact`] names, replaced by `<redacted>`.
fn redact_one(text: &str, secret: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        match encoded_match(bytes, i, secret) {
            // A match starts and ends on character boundaries: it begins with
            // the first character of the secret, or an ASCII `%` or `\`, and
            // ends after a whole character or an ASCII escape.
            Some(end) if end > i && text.is_char_boundary(i) && text.is_char_boundary(end) => {
                out.push_str(&text[copied..i]);
                out.push_str("<redacted>");
                copied = end;
                i = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Where `secret` ends if it is written at `at` in `text`, each character
/// as it is, percent-encoded (each UTF-8 byte `%XX`, any letter case; `+`
/// for a space) or JSON-escaped (`\/`, `\"`, `\\`, `\n`…, `\uXXXX`,
/// surrogate pairs beyond U+FFFF).
fn encoded_match(text: &[u8], at: usize, secret: &str) -> Option<usize> {
    // Every place the secret so far can end (`%` may be itself, or the
    // start of `%25`): a few at most.
    let mut ends = vec![at];
    for c in secret.chars() {
        let mut next: Vec<usize> = ends.iter().flat_map(|&i| char_ends(text, i, c)).collect();
        next.sort_unstable();
        next.dedup();
        if next.is_empty() {
            return None;
        }
        ends = next;
    }
    ends.last().copied()
}

/// Where character `c` can end if it is written at `i` in `text`, in one of
/// the encodings of [`encoded_match`].
fn char_ends(text: &[u8], i: usize, c: char) -> impl Iterator<Item = usize> {
    let mut utf8 = [0u8; 4];
    let raw = c.encode_utf8(&mut utf8).as_bytes();
    let as_is = (text.get(i..i + raw.len()) == Some(raw)).then_some(i + raw.len());
    let plus = (c == ' ' && text.get(i) == Some(&b'+')).then_some(i + 1);
    // Percent-encoded: every byte `%XX`.
    let percent = raw.iter().try_fold(i, |j, &b| {
        (text.get(j) == Some(&b'%') && hex_at(text, j + 1, 2) == Some(u32::from(b)))
            .then_some(j + 3)
    });
    // JSON escapes: short ones, or `\uXXXX` (two beyond U+FFFF).
    let short = match c {
        '/' => Some(b'/'),
        '"' => Some(b'"'),
        '\\' => Some(b'\\'),
        '\n' => Some(b'n'),
        '\r' => Some(b'r'),
        '\t' => Some(b't'),
        '\u{8}' => Some(b'b'),
        '\u{c}' => Some(b'f'),
        _ => None,
    };
    let short = short
        .filter(|&e| text.get(i) == Some(&b'\\') && text.get(i + 1) == Some(&e))
        .map(|_| i + 2);
    let mut units = [0u16; 2];
    let unicode = c.encode_utf16(&mut units).iter().try_fold(i, |j, &unit| {
        (text.get(j..j + 2) == Some(b"\\u") && hex_at(text, j + 2, 4) == Some(u32::from(unit)))
            .then_some(j + 6)
    });
    [as_is, plus, percent, short, unicode].into_iter().flatten()
}

/// The value of the `digits` hexadecimal digits at `at` in `text`.
fn hex_at(text: &[u8], at: usize, digits: usize) -> Option<u32> {
    let s = std::str::from_utf8(text.get(at..at + digits)?).ok()?;
    if !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok()
}

/// The byte offset of the next `sig=` that starts a query parameter, in any
/// letter case.
fn find_sig(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(3)).find(|&i| {
        bytes[i..i + 4].eq_ignore_ascii_case(b"sig=")
            && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
            && !bytes[i + 4..].starts_with(b"<redacted>")
    })
}

/// `text` with its `%XX` escapes decoded (invalid ones, and invalid UTF-8,
/// kept as they are).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match hex_at(bytes, i + 1, 2) {
            Some(b) if bytes[i] == b'%' => {
                out.push(u8::try_from(b).unwrap_or(b'%'));
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// A [`ErrorKind::Remote`] error.
pub(crate) fn remote_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Remote, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_sig_values_and_secrets() {
        let t = "GET https://a.blob/c?sv=2021&SIG=abc%2Bd&sp=r and sig=xyz";
        assert_eq!(
            redact(t, &[]),
            "GET https://a.blob/c?sv=2021&SIG=<redacted>&sp=r and sig=<redacted>"
        );
        assert_eq!(
            redact("key Zm9vYmFy here", &["Zm9vYmFy"]),
            "key <redacted> here"
        );
        assert_eq!(redact("design=x", &[]), "design=x");
    }

    #[test]
    fn redacts_secrets_percent_encoded_and_json_escaped() {
        let secret = "Xq8~ab/cd+EF=gh&ij";
        for shown in [
            // A form body as blobsel sends it, echoed back (issue 13, finding 2).
            "client_secret=Xq8%7Eab%2Fcd%2BEF%3Dgh%26ij&x=1",
            "client_secret=Xq8%7eab%2fcd%2bEF%3dgh%26ij",
            "client_secret=Xq8~ab%2Fcd%2BEF%3Dgh%26ij",
            "\"client_secret\": \"Xq8~ab\\/cd+EF=gh\\u0026ij\"",
            "\"Xq8\\u007eab\\u002Fcd\\u002bEF\\u003dgh\\u0026ij\"",
            "Xq8~ab/cd+EF=gh&ij",
        ] {
            let got = redact(shown, &[secret]);
            assert!(got.contains("<redacted>"), "{shown} -> {got}");
            for piece in ["Xq8", "EF", "gh", "ij"] {
                assert!(!got.contains(piece), "{shown} -> {got}");
            }
        }
        // A space: `+` in a form, `%20` in a URL.
        for shown in ["a+b+c+d", "a%20b%20c%20d", "a b c d"] {
            assert_eq!(redact(shown, &["a b c d"]), "<redacted>");
        }
        // Beyond ASCII: UTF-8 percent-encoded, or JSON's surrogate pairs.
        let wide = "p\u{e9}\u{1F600}q";
        for shown in [
            "p%C3%A9%F0%9F%98%80q",
            "p\\u00e9\\ud83d\\ude00q",
            "p\u{e9}\u{1F600}q",
        ] {
            assert_eq!(redact(&format!("<{shown}>"), &[wide]), "<<redacted>>");
        }
        // A SAS signature, as the token holds it or decoded.
        let sas = SasToken::new("sv=2021&sig=ab%2Bcd%2Fef%3D&sp=r").unwrap();
        assert_eq!(sas.sig, "ab+cd/ef=");
        let sas = Credential::Sas(sas);
        let secrets = sas.secrets();
        assert_eq!(redact("x ab+cd/ef= y", &secrets), "x <redacted> y");
        assert_eq!(
            redact("x ab%252Bcd%252Fef%253D y", &secrets),
            "x <redacted> y"
        );
        // Text around a match, and text that only looks like one, stay.
        assert_eq!(
            redact("x=Xq8%7Eab%2Fcd%2B", &[secret]),
            "x=Xq8%7Eab%2Fcd%2B"
        );
        assert_eq!(
            redact("\u{e9}abcd\u{e9}", &["abcd"]),
            "\u{e9}<redacted>\u{e9}"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credential::shared_key("acct", DEVELOPMENT_KEY).unwrap();
        let s = Credential::sas("?sv=2021-08-06&sp=rl&sig=c2VjcmV0").unwrap();
        let text = format!("{c:?} {s:?}");
        assert!(
            !text.contains("Eby8") && !text.contains("c2VjcmV0"),
            "{text}"
        );
        assert!(text.contains("acct") && text.contains("sp=rl"), "{text}");
    }

    #[test]
    fn parses_connection_strings() {
        let cs = ConnectionString::parse(
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFy;EndpointSuffix=core.windows.net",
        )
        .unwrap();
        assert_eq!(cs.blob_endpoint, "https://acct.blob.core.windows.net");
        assert!(matches!(cs.credential, Credential::SharedKey(_)));
        let cs = ConnectionString::parse("UseDevelopmentStorage=true").unwrap();
        assert_eq!(cs.blob_endpoint, DEVELOPMENT_BLOB_ENDPOINT);
        let cs = ConnectionString::parse(
            "BlobEndpoint=http://127.0.0.1:1/devstoreaccount1/;SharedAccessSignature=sv=1&sig=x",
        )
        .unwrap();
        assert_eq!(cs.blob_endpoint, "http://127.0.0.1:1/devstoreaccount1");
        assert!(matches!(cs.credential, Credential::Sas(_)));
        let e = ConnectionString::parse("AccountName=a;AccountKey=not*base64!").unwrap_err();
        assert!(!e.to_string().contains("not*base64"), "{e}");
        assert!(ConnectionString::parse("AccountKey=Zm9v").is_err());
    }
}
