//! A service principal with a client secret: the OAuth 2.0 client
//! credentials grant at the Microsoft Entra token endpoint.

use super::{token_url, var, AccessToken, Env, Http, TokenError, TokenSource, STORAGE_SCOPE};
use crate::remote::credential::remote_error;

pub(super) const NAME: &str = "service principal (client secret)";

/// A service principal from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
/// `AZURE_CLIENT_SECRET`. `Debug` never shows the secret.
pub struct ClientSecret {
    token_url: String,
    client_id: String,
    secret: String,
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSecret")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

impl ClientSecret {
    /// The service principal the variables of `env` name (and the authority
    /// of `AZURE_AUTHORITY_HOST`); [`TokenError::Unavailable`] saying what
    /// is missing, or [`TokenError::Failed`] when all is set but something
    /// is unusable (`AZURE_AUTHORITY_HOST` without `https://`): a chain
    /// stops there rather than sign in as someone else.
    pub fn from_env(env: Env<'_>) -> Result<ClientSecret, TokenError> {
        let [tenant, client_id, secret] = required(
            env,
            ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"],
        )?;
        Ok(ClientSecret {
            token_url: tenant_token_url(env, &tenant, NAME)?,
            client_id,
            secret,
        })
    }
}

/// The values of `names` in `env`, or [`TokenError::Unavailable`] saying
/// which are not set: a source with all of them is set up.
pub(super) fn required<const N: usize>(
    env: Env<'_>,
    names: [&str; N],
) -> Result<[String; N], TokenError> {
    let missing: Vec<&str> = names
        .into_iter()
        .filter(|n| var(env, n).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(TokenError::Unavailable(format!(
            "{} not set",
            is_are(&missing)
        )));
    }
    Ok(names.map(|n| var(env, n).unwrap_or_default()))
}

/// The token endpoint of `tenant` under `AZURE_AUTHORITY_HOST`; unusable,
/// it is [`TokenError::Failed`]: the source `name` is set up, and a chain
/// stops there rather than sign in as someone else.
pub(super) fn tenant_token_url(
    env: Env<'_>,
    tenant: &str,
    name: &str,
) -> Result<String, TokenError> {
    token_url(env, tenant)
        .map_err(|e| TokenError::Failed(remote_error(format!("{name}: {}", e.message()))))
}

/// "A is" or "A, B are".
pub(super) fn is_are(names: &[&str]) -> String {
    match names {
        [one] => format!("{one} is"),
        many => format!("{} are", many.join(", ")),
    }
}

impl TokenSource for ClientSecret {
    fn name(&self) -> &'static str {
        NAME
    }

    fn get_token(&self, http: &Http) -> Result<AccessToken, TokenError> {
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.secret.as_str()),
            ("scope", STORAGE_SCOPE),
        ];
        http.post_form(NAME, &self.token_url, &form, &[&self.secret])
            .map_err(TokenError::Failed)
    }
}
