//! A managed identity: the App Service / Functions endpoint
//! (`IDENTITY_ENDPOINT` with `IDENTITY_HEADER`), else the instance metadata
//! endpoint (IMDS) of an Azure VM, VM scale set or AKS node at
//! `169.254.169.254`. Neither is reached through a proxy.

use std::time::Duration;

use super::{var, AccessToken, Env, Http, TokenError, TokenSource, STORAGE_RESOURCE};

pub(super) const NAME: &str = "managed identity";

/// The instance metadata endpoint's token URL.
const IMDS: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// A managed identity; `AZURE_CLIENT_ID` selects a user-assigned one.
#[derive(Debug)]
pub struct ManagedIdentity {
    endpoint: Endpoint,
    client_id: Option<String>,
}

enum Endpoint {
    /// App Service: the endpoint and the header value it expects (a
    /// secret).
    AppService { url: String, header: String },
    /// The instance metadata endpoint (another URL only in tests).
    Imds { url: String },
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::AppService { url, .. } => f
                .debug_struct("AppService")
                .field("url", url)
                .field("header", &"<redacted>")
                .finish(),
            Endpoint::Imds { url } => f.debug_struct("Imds").field("url", url).finish(),
        }
    }
}

impl ManagedIdentity {
    /// The managed identity endpoint the variables of `env` name: App
    /// Service's when `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` are set,
    /// else the instance metadata endpoint (`BLOBSEL_IMDS_ENDPOINT` replaces
    /// its URL; only tests set it).
    pub fn from_env(env: Env<'_>) -> Result<ManagedIdentity, TokenError> {
        let client_id = var(env, "AZURE_CLIENT_ID");
        let endpoint = match (var(env, "IDENTITY_ENDPOINT"), var(env, "IDENTITY_HEADER")) {
            (Some(url), Some(header)) => Endpoint::AppService { url, header },
            (Some(_), None) => {
                return Err(TokenError::Unavailable(
                    "IDENTITY_ENDPOINT is set without IDENTITY_HEADER \
                     (Azure Arc's challenge is not supported)"
                        .into(),
                ))
            }
            _ => Endpoint::Imds {
                url: var(env, "BLOBSEL_IMDS_ENDPOINT").unwrap_or_else(|| IMDS.into()),
            },
        };
        Ok(ManagedIdentity {
            endpoint,
            client_id,
        })
    }
}

impl TokenSource for ManagedIdentity {
    fn name(&self) -> &'static str {
        NAME
    }

    fn get_token(&self, http: &Http) -> Result<AccessToken, TokenError> {
        let client = self
            .client_id
            .as_deref()
            .map_or(String::new(), |c| format!("&client_id={c}"));
        match &self.endpoint {
            Endpoint::AppService { url, header } => {
                let url =
                    format!("{url}?api-version=2019-08-01&resource={STORAGE_RESOURCE}{client}");
                http.get(NAME, &url, &[("x-identity-header", header)], false)
                    .map_err(TokenError::Failed)
            }
            Endpoint::Imds { url } => {
                let url =
                    format!("{url}?api-version=2018-02-01&resource={STORAGE_RESOURCE}{client}");
                // Not on an Azure machine, nothing answers: a short wait.
                let mut quick = Http {
                    network: http.network.clone(),
                };
                quick.network.connect_timeout = Duration::from_secs(1);
                match quick.get(NAME, &url, &[("metadata", "true")], false) {
                    Ok(token) => Ok(token),
                    Err(e) if e.message().contains("HTTP ") => {
                        // It answered: no identity assigned, or another error.
                        if e.message().contains("HTTP 400") || e.message().contains("HTTP 404") {
                            Err(TokenError::Unavailable(format!(
                                "the instance metadata endpoint has no identity for this machine ({})",
                                e.message()
                            )))
                        } else {
                            Err(TokenError::Failed(e))
                        }
                    }
                    Err(_) => Err(TokenError::Unavailable(
                        "IDENTITY_ENDPOINT is not set and no instance metadata endpoint \
                         answered (not on an Azure machine)"
                            .into(),
                    )),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_identity_header() {
        let env = |k: &str| match k {
            "IDENTITY_ENDPOINT" => Some("http://127.0.0.1:41234/msi/token".to_string()),
            "IDENTITY_HEADER" => Some("hdr-secret-value".to_string()),
            _ => None,
        };
        let text = format!("{:?}", ManagedIdentity::from_env(&env).unwrap());
        assert!(
            !text.contains("hdr-secret-value") && text.contains("41234"),
            "{text}"
        );
    }
}
