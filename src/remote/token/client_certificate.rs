//! A service principal with a client certificate: the OAuth 2.0 client
//! credentials grant with a signed client assertion (a JWT signed with
//! the certificate's RSA key, `RS256`, naming the certificate by its
//! thumbprints), as the Azure SDKs' `ClientCertificateCredential` does.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};

use super::client_secret::{required, tenant_token_url};
use super::{var, AccessToken, Env, Http, TokenError, TokenSource, STORAGE_SCOPE};
use crate::remote::credential::remote_error;

pub(super) const NAME: &str = "service principal (client certificate)";

/// How long a client assertion is valid.
const ASSERTION_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// A service principal from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
/// `AZURE_CLIENT_CERTIFICATE_PATH`: a PEM file with the certificate and
/// its unencrypted RSA private key (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA
/// PRIVATE KEY`). `AZURE_CLIENT_SEND_CERTIFICATE_CHAIN=true` sends the
/// certificates too (`x5c`, for subject name/issuer authentication).
/// `Debug` never shows the key.
pub struct ClientCertificate {
    token_url: String,
    client_id: String,
    key: RsaKeyPair,
    /// `x5t` and `x5t#S256`: the SHA-1 and SHA-256 thumbprints of the
    /// certificate, base64url.
    x5t: String,
    x5t_s256: String,
    /// The certificates, base64 DER, when the chain is sent.
    chain: Option<Vec<String>>,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("x5t", &self.x5t)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl ClientCertificate {
    /// The service principal the variables of `env` name, its certificate
    /// file read; [`TokenError::Unavailable`] saying what is missing, or
    /// [`TokenError::Failed`] when the file cannot be used (the chain stops
    /// there rather than sign in as someone else).
    pub fn from_env(env: Env<'_>) -> Result<ClientCertificate, TokenError> {
        let [tenant, client_id, path] = required(
            env,
            [
                "AZURE_TENANT_ID",
                "AZURE_CLIENT_ID",
                "AZURE_CLIENT_CERTIFICATE_PATH",
            ],
        )?;
        let failed = |why: String| {
            TokenError::Failed(remote_error(format!(
                "{NAME}: AZURE_CLIENT_CERTIFICATE_PATH {path:?}: {why}"
            )))
        };
        if var(env, "AZURE_CLIENT_CERTIFICATE_PASSWORD").is_some() {
            return Err(failed(
                "a password-protected (PKCS#12/PFX) certificate is not read; convert it to \
                 PEM with `openssl pkcs12 -in CERT.pfx -out CERT.pem -nodes` and unset \
                 AZURE_CLIENT_CERTIFICATE_PASSWORD"
                    .into(),
            ));
        }
        let pem = std::fs::read(&path).map_err(|e| failed(format!("cannot read it: {e}")))?;
        let send_chain = var(env, "AZURE_CLIENT_SEND_CERTIFICATE_CHAIN")
            .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
        let (key, certs) = read_pem(&pem).map_err(failed)?;
        let thumbprint = |alg| URL_SAFE_NO_PAD.encode(ring::digest::digest(alg, &certs[0]));
        Ok(ClientCertificate {
            token_url: tenant_token_url(env, &tenant, NAME)?,
            client_id,
            key,
            x5t: thumbprint(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY),
            x5t_s256: thumbprint(&ring::digest::SHA256),
            chain: send_chain.then(|| certs.iter().map(|c| STANDARD.encode(c)).collect()),
        })
    }

    /// A client assertion for the token endpoint, valid for ten minutes
    /// from `now`.
    fn assertion(&self, now: SystemTime) -> Result<String, String> {
        let rng = SystemRandom::new();
        let mut jti = [0u8; 16];
        rng.fill(&mut jti).map_err(|_| "no random numbers")?;
        let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let mut header = serde_json::json!({
            "alg": "RS256",
            "typ": "JWT",
            "x5t": self.x5t,
            "x5t#S256": self.x5t_s256,
        });
        if let Some(chain) = &self.chain {
            header["x5c"] = serde_json::json!(chain);
        }
        let claims = serde_json::json!({
            "aud": self.token_url,
            "iss": self.client_id,
            "sub": self.client_id,
            "jti": jti.iter().map(|b| format!("{b:02x}")).collect::<String>(),
            "nbf": secs(now),
            "iat": secs(now),
            "exp": secs(now + ASSERTION_LIFETIME),
        });
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &rng, signed.as_bytes(), &mut signature)
            .map_err(|_| "the key cannot sign")?;
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

impl TokenSource for ClientCertificate {
    fn name(&self) -> &'static str {
        NAME
    }

    fn get_token(&self, http: &Http) -> Result<AccessToken, TokenError> {
        let assertion = self
            .assertion(SystemTime::now())
            .map_err(|why| TokenError::Failed(remote_error(format!("{NAME}: {why}"))))?;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
            ("scope", STORAGE_SCOPE),
        ];
        http.post_form(NAME, &self.token_url, &form, &[&assertion])
            .map_err(TokenError::Failed)
    }
}

/// The RSA key and the certificates (DER, in file order) of a PEM file.
fn read_pem(pem: &[u8]) -> Result<(RsaKeyPair, Vec<Vec<u8>>), String> {
    let text = std::str::from_utf8(pem).map_err(|_| {
        "not a PEM file (a PKCS#12/PFX file? convert it with `openssl pkcs12 -in CERT.pfx \
         -out CERT.pem -nodes`)"
            .to_string()
    })?;
    let mut key = None;
    let mut certs = Vec::new();
    let mut rest = text;
    while let Some(begin) = rest.find("-----BEGIN ") {
        let after = &rest[begin + "-----BEGIN ".len()..];
        let label_end = after.find("-----").ok_or("a PEM header without its end")?;
        let label = &after[..label_end];
        let body_and_rest = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let end = body_and_rest
            .find(&end_marker)
            .ok_or_else(|| format!("a {label} block without its END line"))?;
        let body: String = body_and_rest[..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = STANDARD
            .decode(body)
            .map_err(|e| format!("the {label} block is not base64: {e}"))?;
        match label {
            "CERTIFICATE" => certs.push(der),
            "PRIVATE KEY" => {
                key = Some(RsaKeyPair::from_pkcs8(&der).map_err(|e| {
                    format!("the private key is not an RSA key this can use ({e}); Microsoft Entra certificates are RSA")
                })?)
            }
            "RSA PRIVATE KEY" => {
                key = Some(
                    RsaKeyPair::from_der(&der)
                        .map_err(|e| format!("the RSA private key cannot be used ({e})"))?,
                )
            }
            "ENCRYPTED PRIVATE KEY" => {
                return Err("the private key is encrypted; decrypt it with `openssl pkcs8 -in \
                            KEY.pem -out PLAIN.pem` (keep the file private)"
                    .into())
            }
            _ => {}
        }
        rest = &body_and_rest[end + end_marker.len()..];
    }
    let key = key.ok_or("no private key in it (a PRIVATE KEY or RSA PRIVATE KEY block)")?;
    if certs.is_empty() {
        return Err("no certificate in it (a CERTIFICATE block)".into());
    }
    Ok((key, certs))
}

#[cfg(test)]
mod tests {
    use super::read_pem;

    #[test]
    fn files_that_are_not_a_key_and_a_certificate_say_what_is_wrong() {
        let err = |pem: &[u8]| read_pem(pem).err().unwrap_or_default();
        assert!(err(b"\x30\x82\x01").contains("not a PEM file"));
        assert!(err(b"").contains("no private key"));
        assert!(err(b"-----BEGIN CERTIFICATE-----\nAAAA\n").contains("without its END"));
        assert!(err(
            b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"
        )
        .contains("encrypted"));
        assert!(
            err(b"-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n")
                .contains("not base64")
        );
        assert!(
            err(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                .contains("not an RSA key")
        );
    }
}
