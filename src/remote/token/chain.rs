//! The default chain: each source in turn, the first that gives a token
//! kept for the renewals.

use std::sync::{Mutex, PoisonError};

use super::{azure_cli, client_certificate, client_secret, managed_identity, workload_identity};
use super::{AccessToken, AzureCli, ClientCertificate, ClientSecret, Env, Http};
use super::{ManagedIdentity, TokenError};
use super::{TokenSource, WorkloadIdentity};
use crate::remote::credential::remote_error;

/// One source of the chain, or its name and why it cannot be used: what it
/// lacks (the chain goes on), or what is wrong with how it is set up (the
/// chain stops: another identity must not be used in its place).
type Link = Result<Box<dyn TokenSource>, (&'static str, TokenError)>;

/// The default chain: the sources in order, the first that gives a token
/// kept.
pub(super) struct Chain {
    sources: Vec<Link>,
    chosen: Mutex<Option<usize>>,
}

impl Chain {
    pub(super) fn from_env(env: Env<'_>) -> Chain {
        fn boxed<T: TokenSource + 'static>(name: &'static str, r: Result<T, TokenError>) -> Link {
            r.map(|s| Box::new(s) as Box<dyn TokenSource>)
                .map_err(|why| (name, why))
        }
        Chain {
            sources: vec![
                boxed(client_secret::NAME, ClientSecret::from_env(env)),
                boxed(client_certificate::NAME, ClientCertificate::from_env(env)),
                boxed(workload_identity::NAME, WorkloadIdentity::from_env(env)),
                boxed(managed_identity::NAME, ManagedIdentity::from_env(env)),
                boxed(azure_cli::NAME, AzureCli::from_env(env)),
            ],
            chosen: Mutex::new(None),
        }
    }
}

impl TokenSource for Chain {
    fn name(&self) -> &'static str {
        "Microsoft Entra ID sign-in (--auth-mode login)"
    }

    fn get_token(&self, http: &Http) -> Result<AccessToken, TokenError> {
        let chosen = *self.chosen.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(Ok(source)) = chosen.map(|i| &self.sources[i]) {
            return source.get_token(http);
        }
        let mut tried = Vec::new();
        for (i, source) in self.sources.iter().enumerate() {
            match source {
                Err((name, TokenError::Unavailable(why))) => tried.push(format!("{name}: {why}")),
                Err((_, TokenError::Failed(e))) => return Err(TokenError::Failed(e.clone())),
                Ok(source) => match source.get_token(http) {
                    Ok(token) => {
                        *self.chosen.lock().unwrap_or_else(PoisonError::into_inner) = Some(i);
                        return Ok(token);
                    }
                    Err(TokenError::Unavailable(why)) => {
                        tried.push(format!("{}: {why}", source.name()))
                    }
                    Err(TokenError::Failed(e)) => return Err(TokenError::Failed(e)),
                },
            }
        }
        Err(TokenError::Failed(remote_error(format!(
            "--auth-mode login: no Microsoft Entra ID credential found; tried, in order:\n  {}\n\
             (set one up, e.g. `az login`, or use an account key, a SAS or a connection string)",
            tried.join("\n  ")
        ))))
    }
}
