//! `preview --account-url …`: list the account itself, following the plan.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use blobsel::remote::{Client, ClientBuilder, Credential, ListStats, Lister, TokenCredential};
use blobsel::{Error, ErrorKind, ListingEntry, Selection};

use crate::args::{AccountArgs, AuthMode};
use crate::output::Output;

/// A resolved account to list.
pub struct Account {
    pub client: Client,
    pub save_listing: Option<PathBuf>,
    pub concurrency: usize,
}

impl Account {
    /// The account the arguments name, if they name one.
    pub fn from_args(a: &AccountArgs) -> Result<Option<Account>> {
        let mut builder = match (&a.account_url, &a.connection_string) {
            (Some(url), _) => {
                let mut b = ClientBuilder::new(url);
                if let Some(sas) = &a.sas {
                    b.credential(Credential::sas(sas)?);
                } else if let Some(key) = &a.account_key {
                    let account = account_name(url).with_context(|| {
                        "cannot tell the account name from --account-url for the shared key: \
                         use https://ACCOUNT.blob.core.windows.net or a connection string"
                    })?;
                    b.credential(Credential::shared_key(&account, key)?);
                }
                b
            }
            (None, Some(cs)) => {
                let text = if cs.is_empty() {
                    std::env::var("AZURE_STORAGE_CONNECTION_STRING").map_err(|_| {
                        anyhow::anyhow!(
                            "--connection-string without a value reads \
                             AZURE_STORAGE_CONNECTION_STRING, which is not set"
                        )
                    })?
                } else {
                    cs.clone()
                };
                ClientBuilder::from_connection_string(&text)?
            }
            (None, None) => {
                if a.save_listing.is_some() {
                    bail!("--save-listing needs an account to list (--account-url or --connection-string)");
                }
                return Ok(None);
            }
        };
        if a.auth_mode == Some(AuthMode::Login) {
            // Found when the first request needs it.
            builder.credential(Credential::Token(TokenCredential::from_environment()));
        }
        builder.max_results(a.page_size);
        Ok(Some(Account {
            client: builder.build()?,
            save_listing: a.save_listing.clone(),
            concurrency: usize::from(a.concurrency),
        }))
    }

    /// Fetches the blob list blob the selection names, unless supplied.
    pub fn supply_blob_list(&self, selection: &mut Selection) -> Result<()> {
        if let (true, Some(path)) = (selection.needs_blob_list(), selection.blob_list_blob_path()) {
            let path = path.to_string();
            let xml = self.client.get_blob_list_blob(&path[1..])?;
            selection.supply_blob_list(&xml[..], &format!("{path} (blob list blob)"))?;
        }
        Ok(())
    }

    /// Lists what `selection` can select; `each` sees every row.
    pub fn list(
        &self,
        selection: &Selection,
        each: &mut dyn FnMut(&ListingEntry) -> std::io::Result<()>,
    ) -> Result<ListStats> {
        let plan = selection.plan()?;
        let mut save = self
            .save_listing
            .as_deref()
            .map(|p| Output::open(Some(p)))
            .transpose()?;
        let mut failure: Option<std::io::Error> = None;
        let mut line = Vec::new();
        let mut lister = Lister::new(&self.client);
        lister.concurrency(self.concurrency);
        let result = lister.list(&plan, &mut |entry| {
            let written = (|| {
                if let Some(save) = save.as_mut() {
                    line.clear();
                    write_saved(entry, &mut line);
                    save.write_all(&line)?;
                }
                each(entry)
            })();
            written.map_err(|e| {
                failure = Some(e);
                Error::new(ErrorKind::Io, "output failed")
            })
        });
        if let Some(e) = failure {
            return Err(e.into());
        }
        let stats = result?;
        if let Some(save) = save {
            save.finish()?;
        }
        Ok(stats)
    }
}

#[derive(serde::Serialize)]
struct Saved<'a> {
    path: &'a str,
    snapshot: Option<blobsel::SnapshotTime>,
    size: Option<u64>,
    blob_type: Option<blobsel::BlobType>,
    leased: Option<bool>,
    committed: Option<bool>,
    version_id: Option<&'a str>,
    is_current_version: Option<bool>,
}

fn write_saved(e: &ListingEntry, out: &mut Vec<u8>) {
    let row = Saved {
        path: &e.path,
        snapshot: e.snapshot,
        size: e.size,
        blob_type: e.blob_type,
        leased: e.leased,
        committed: e.committed,
        version_id: e.version_id.as_deref(),
        is_current_version: e.is_current_version,
    };
    let _ = serde_json::to_writer(&mut *out, &row);
    out.push(b'\n');
}

/// The account name of a blob endpoint: the first label of
/// `ACCOUNT.blob.…`, or the first path segment of a path-style URL.
fn account_name(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let rest = rest.split(['?', '#']).next()?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let first_segment = path.split('/').next().filter(|s| !s.is_empty());
    let host_name = host.split(':').next()?;
    let is_address = host_name == "localhost" || host_name.parse::<std::net::IpAddr>().is_ok();
    if is_address {
        first_segment.map(str::to_string)
    } else {
        host_name
            .split('.')
            .next()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
}

/// One line for the summary.
pub fn describe(stats: &ListStats) -> String {
    let mut s = format!(
        "listed:                    {} containers, {} List Blobs pages, {} List Containers pages, {} rows, {} retries\n\
         listing took:              {:.2} s, {} requests, {:.0} rows/s",
        stats.containers,
        stats.list_blobs_pages,
        stats.list_containers_pages,
        stats.entries,
        stats.retries,
        stats.elapsed.as_secs_f64(),
        stats.requests,
        stats.entries_per_second()
    );
    if !stats.missing_containers.is_empty() {
        s.push_str(&format!(
            "\ncontainers not found:      {}",
            stats.missing_containers.join(", ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::account_name;

    #[test]
    fn account_names() {
        assert_eq!(
            account_name("https://acct.blob.core.windows.net").as_deref(),
            Some("acct")
        );
        assert_eq!(
            account_name("https://acct.blob.core.windows.net/?sv=1").as_deref(),
            Some("acct")
        );
        assert_eq!(
            account_name("http://127.0.0.1:10000/devstoreaccount1").as_deref(),
            Some("devstoreaccount1")
        );
        assert_eq!(
            account_name("http://localhost:10000/dev/").as_deref(),
            Some("dev")
        );
        assert_eq!(account_name("http://127.0.0.1:10000"), None);
    }
}
