//! The Azure CLI's signed-in user: `az account get-access-token --resource
//! https://storage.azure.com/ -o json`.

use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use super::STORAGE_RESOURCE;
use super::{parse_token_response, var, AccessToken, Env, Http, TokenError, TokenSource};
use crate::remote::credential::remote_error;

pub(super) const NAME: &str = "Azure CLI";

/// The Azure CLI (`az`, found on `PATH`).
#[derive(Debug)]
pub struct AzureCli {
    program: std::path::PathBuf,
}

impl AzureCli {
    /// The `az` on the `PATH` that `env` gives, or why there is none.
    /// `AZURE_TENANT_ID` is not passed on: the CLI's signed-in tenant is used.
    pub fn from_env(env: Env<'_>) -> Result<AzureCli, TokenError> {
        let path = var(env, "PATH").unwrap_or_default();
        let program = std::env::split_paths(&path)
            .map(|dir| dir.join("az"))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                TokenError::Unavailable(
                    "`az` is not on PATH (install the Azure CLI and run `az login`)".into(),
                )
            })?;
        Ok(AzureCli { program })
    }
}

impl TokenSource for AzureCli {
    fn name(&self) -> &'static str {
        NAME
    }

    fn get_token(&self, _http: &Http) -> Result<AccessToken, TokenError> {
        let mut command = Command::new(&self.program);
        command.args([
            "account",
            "get-access-token",
            "--resource",
            STORAGE_RESOURCE,
            "--output",
            "json",
        ]);
        let output = command
            .stdin(Stdio::null())
            .output()
            .map_err(|e| TokenError::Unavailable(format!("cannot run {:?}: {e}", self.program)))?;
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first = stderr
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("no message");
            return Err(TokenError::Unavailable(format!(
                "`az account get-access-token` failed ({}): {first} (run `az login`)",
                output.status
            )));
        }
        let now = SystemTime::now();
        // Older CLIs give only `expiresOn` in local time, without a zone:
        // such a token is taken to live five minutes, so it is renewed early.
        let body = &output.stdout;
        let token = parse_token_response(body, now).or_else(|_| {
            let v: serde_json::Value = serde_json::from_slice(body).map_err(|_| "not JSON")?;
            let t = v
                .get("accessToken")
                .and_then(|t| t.as_str())
                .ok_or("no accessToken")?;
            Ok::<_, &str>(AccessToken::new(t, now + Duration::from_secs(300)))
        });
        token.map_err(|why| {
            TokenError::Failed(remote_error(format!(
                "{NAME}: `az account get-access-token` printed an unexpected answer ({why})"
            )))
        })
    }
}
