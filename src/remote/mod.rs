//! Listing a storage account over the Blob service REST API (feature `remote`).
//!
//! [`Client`] is a small blocking client for the three operations a preview
//! needs: List Containers, List Blobs (snapshots and uncommitted blobs
//! included) and Get Blob (for a blob list blob). [`list_plan`] follows a
//! [`Plan`]: it lists only the containers and blob-name prefixes a selection
//! can select, each once.
//!
//! # Example: list the blobs a plan needs from Azurite
//!
//! ```no_run
//! use blobsel::plan::{ContainerScope, Plan, PlanStep};
//! use blobsel::remote::{list_plan, ClientBuilder};
//!
//! let client = ClientBuilder::from_connection_string("UseDevelopmentStorage=true")?.build()?;
//! let plan = Plan {
//!     steps: vec![PlanStep {
//!         scope: ContainerScope::NamePrefix("photos".into()),
//!         blob_prefixes: vec!["2024/".into()],
//!     }],
//! };
//! let stats = list_plan(&client, &plan, &mut |entry| {
//!     println!("{}", entry.path);
//!     Ok(())
//! })?;
//! eprintln!("{} rows in {} pages", stats.entries, stats.list_blobs_pages);
//! # Ok::<(), blobsel::Error>(())
//! ```
//!
//! # Credentials
//!
//! [`Credential`]: an account SAS or a container SAS token, a Shared Key
//! (account name and base64 key), a Microsoft Entra ID token
//! ([`TokenCredential`]: a service principal, workload identity, a managed
//! identity or the Azure CLI; see [`token`]), or none; [`ConnectionString`] reads Azure
//! connection strings (`AccountName=…;AccountKey=…`, `BlobEndpoint=…`,
//! `SharedAccessSignature=…`, `UseDevelopmentStorage=true`). Credentials are
//! never printed: `Debug` shows the kind and the account only, and every
//! error message is scrubbed of keys and `sig=` values.
//!
//! # Networking
//!
//! Connect and per-read timeouts; at most six tries of a request, retried on
//! HTTP 408, 429, 500, 502, 503, 504 and on transport failures (refused or
//! reset connections, timeouts, a body cut off mid-way), with exponential
//! backoff and jitter, never sooner than `Retry-After`. A page is read whole
//! before it is parsed, and a retried page is requested with the same
//! marker, so nothing is lost or listed twice. Errors name the operation, the
//! HTTP status, the service's error code (`x-ms-error-code`, or `<Code>`) and
//! `x-ms-request-id`. Redirects are not followed (a SAS is never sent to
//! another host). See [`ClientBuilder`] for the limits. Proxies come from
//! `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY`, and the certificate authorities
//! of `SSL_CERT_FILE` are trusted besides the built-in roots
//! ([`ClientBuilder::build`]).
//!
//! # Why `ureq` and hand-written signing, not the Azure SDK
//!
//! The official Azure SDK for Rust (`azure_storage_blob` 1.x) is async only
//! (it brings tokio and an HTTP/2 stack into a blocking CLI), needs Rust 1.88
//! where this crate supports 1.85, and authorizes with Microsoft Entra ID
//! tokens and SAS URLs only: it has no Shared Key (account key) credential
//! and no connection strings, which are how Azurite and most export-job
//! operators authenticate. The older community crates (`azure_storage`
//! 0.x) are deprecated. blobsel needs three GET operations, so it uses
//! `ureq` 3 (blocking, small, rustls for HTTPS, no async runtime) and signs
//! requests itself: Shared Key is an HMAC-SHA256 (`hmac`, `sha2`) over a
//! canonical string built per "Authorize with Shared
//! Key" for service version 2021-08-06; a SAS is appended to the query as
//! given. The same code is tested against a real Azurite server
//! (`tests/live.rs`).

use std::collections::BTreeMap;

use crate::error::Error;
use crate::listing::ListingEntry;
use crate::plan::{ContainerScope, Plan};

mod client;
mod credential;
mod lister;
mod network;
mod ops;
mod retry;
mod sign;
pub mod token;

pub use self::client::{Client, ClientBuilder, Response, SERVICE_VERSION};
pub use self::credential::{
    redact, ConnectionString, Credential, SasToken, SharedKey, DEVELOPMENT_ACCOUNT,
    DEVELOPMENT_BLOB_ENDPOINT, DEVELOPMENT_KEY,
};
pub use self::lister::{ListProgress, Lister, ResumeFrame, ResumePoint, DEFAULT_CONCURRENCY};
pub use self::token::TokenCredential;

/// What [`list_plan`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListStats {
    /// Containers whose blobs were listed.
    pub containers: u64,
    /// List Containers pages read.
    pub list_containers_pages: u64,
    /// List Blobs pages read.
    pub list_blobs_pages: u64,
    /// Rows passed to the sink (blobs, snapshots, uncommitted blobs).
    pub entries: u64,
    /// Containers the plan names that do not exist (they hold nothing to
    /// export, so this is not an error).
    pub missing_containers: Vec<String>,
    /// Requests retried.
    pub retries: u64,
    /// Requests sent (List Containers, List Blobs), retries included.
    pub requests: u64,
    /// How long the listing took.
    pub elapsed: std::time::Duration,
}

impl ListStats {
    /// Rows listed per second.
    pub fn entries_per_second(&self) -> f64 {
        self.entries as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Lists every blob `plan` can select, calling `sink` for each row, one
/// request at a time ([`Lister`] lists with many in flight, in the same order).
///
/// The plan's container scopes are resolved first (List Containers with
/// `prefix=` for [`ContainerScope::NamePrefix`]); then each container is
/// listed once per blob-name prefix (List Blobs with `prefix=`, the empty
/// prefix meaning the whole container), in container order. Containers
/// reached by several steps are listed once, and a prefix that another
/// prefix of the same container covers is dropped, so no row is passed twice.
/// A container named by [`ContainerScope::Container`] that does not exist is
/// reported in [`ListStats::missing_containers`]. The first error of `sink`
/// stops the listing and is returned.
pub fn list_plan(
    client: &Client,
    plan: &Plan,
    sink: &mut dyn FnMut(&ListingEntry) -> Result<(), Error>,
) -> Result<ListStats, Error> {
    Lister::new(client).concurrency(1).list(plan, sink)
}

/// The containers to list, in name order, each with its minimal blob-name
/// prefixes (List Containers resolves the name prefixes of `plan`).
pub(crate) fn resolve_plan(
    client: &Client,
    plan: &Plan,
    stats: &mut ListStats,
) -> Result<Vec<(String, Vec<String>)>, Error> {
    let mut work: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for step in &plan.steps {
        match &step.scope {
            ContainerScope::Container(name) => {
                work.entry(name.clone())
                    .or_default()
                    .extend(step.blob_prefixes.iter().cloned());
            }
            ContainerScope::NamePrefix(prefix) => {
                stats.list_containers_pages += client.list_containers(prefix, &mut |name| {
                    let prefixes = work.entry(name.to_string()).or_default();
                    prefixes.extend(step.blob_prefixes.iter().cloned());
                    Ok(())
                })?;
            }
        }
    }
    Ok(work
        .into_iter()
        .map(|(container, prefixes)| {
            let minimal = minimal_prefixes(&prefixes)
                .into_iter()
                .map(str::to_string)
                .collect();
            (container, minimal)
        })
        .collect())
}

/// The prefixes of `prefixes` that no other one of them starts, sorted and
/// without duplicates (`""` alone when `""` is among them).
fn minimal_prefixes(prefixes: &[String]) -> Vec<&str> {
    let mut sorted: Vec<&str> = prefixes.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.dedup();
    let mut kept: Vec<&str> = Vec::with_capacity(sorted.len());
    for p in sorted {
        // Sorted order puts a prefix right before the strings it starts, so
        // only the last kept one can cover `p`.
        if kept.last().is_none_or(|k| !p.starts_with(k)) {
            kept.push(p);
        }
    }
    kept
}

/// Whether `e` is List Blobs' answer for a container that does not exist.
pub(crate) fn is_container_not_found(e: &Error) -> bool {
    e.kind() == crate::ErrorKind::Remote && e.message().contains("HTTP 404 ContainerNotFound")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_prefixes_that_others_cover() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            minimal_prefixes(&p(&["b/", "a", "ab", "b/c", "a"])),
            ["a", "b/"]
        );
        assert_eq!(minimal_prefixes(&p(&["x", "", "y"])), [""]);
        assert_eq!(minimal_prefixes(&p(&["a/", "a0", "a/b"])), ["a/", "a0"]);
    }
}
