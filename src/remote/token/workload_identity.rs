//! Workload identity (AKS and other federated identities): the token in
//! `AZURE_FEDERATED_TOKEN_FILE`, read anew for every request (it is rotated),
//! is the client assertion of a client credentials grant.

use super::client_secret::{required, tenant_token_url};
use super::{AccessToken, Env, Http, TokenError, TokenSource, STORAGE_SCOPE};
use crate::remote::credential::remote_error;

pub(super) const NAME: &str = "workload identity";

/// Workload identity from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
/// `AZURE_FEDERATED_TOKEN_FILE`.
#[derive(Debug)]
pub struct WorkloadIdentity {
    token_url: String,
    client_id: String,
    token_file: std::path::PathBuf,
}

impl WorkloadIdentity {
    /// The workload identity the variables of `env` describe, or what is
    /// missing.
    pub fn from_env(env: Env<'_>) -> Result<WorkloadIdentity, TokenError> {
        let [token_file, tenant, client_id] = required(
            env,
            [
                "AZURE_FEDERATED_TOKEN_FILE",
                "AZURE_TENANT_ID",
                "AZURE_CLIENT_ID",
            ],
        )?;
        Ok(WorkloadIdentity {
            token_url: tenant_token_url(env, &tenant, NAME)?,
            client_id,
            token_file: token_file.into(),
        })
    }
}

impl TokenSource for WorkloadIdentity {
    fn name(&self) -> &'static str {
        NAME
    }

    fn get_token(&self, http: &Http) -> Result<AccessToken, TokenError> {
        let assertion = std::fs::read_to_string(&self.token_file).map_err(|e| {
            TokenError::Failed(remote_error(format!(
                "{NAME}: AZURE_FEDERATED_TOKEN_FILE {:?}: cannot read it: {e}",
                self.token_file
            )))
        })?;
        let assertion = assertion.trim();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
            ("scope", STORAGE_SCOPE),
        ];
        http.post_form(NAME, &self.token_url, &form, &[assertion])
            .map_err(TokenError::Failed)
    }
}
