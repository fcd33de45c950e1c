//! The Blob service operations blobsel needs: List Containers, List Blobs,
//! Get Blob. Pages are fetched whole (with retries) before they are parsed,
//! so a page that fails mid-way is requested again with the same marker and
//! nothing is lost or seen twice.

use quick_xml::events::Event;

use std::sync::atomic::Ordering;

use super::client::{Client, Response};
use super::credential::{remote_error, Credential};
use super::retry::backoff;
use crate::error::Error;
use crate::listing::list_blobs::parse_list_blobs_page;
use crate::listing::ListingEntry;

impl Client {
    /// Lists the names of the containers whose names start with `prefix`
    /// (all when empty), page by page, calling `sink` for each in the
    /// service's (sorted) order. Returns the number of pages.
    pub fn list_containers(
        &self,
        prefix: &str,
        sink: &mut dyn FnMut(&str) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        let max = self.builder.max_results.to_string();
        let what = format!("List Containers with prefix {prefix:?}");
        let mut marker: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut query = vec![("comp", "list"), ("maxresults", max.as_str())];
            if !prefix.is_empty() {
                query.push(("prefix", prefix));
            }
            if let Some(m) = &marker {
                query.push(("marker", m.as_str()));
            }
            let response = self.get_page("", &query, &what).map_err(|e| {
                let sas = matches!(self.builder.credential, Credential::Sas(_));
                if sas && e.message().contains("HTTP 403") {
                    remote_error(format!(
                        "{}; a container SAS cannot list containers: name the containers \
                         (`/container/…` rules), or use an account SAS (srt=sco, sp=rl)",
                        e.message()
                    ))
                } else {
                    e
                }
            })?;
            pages += 1;
            let (names, next) = parse_list_containers(&response.body).map_err(|m| {
                remote_error(format!("{what}: the response is not a container list: {m}"))
            })?;
            for name in &names {
                sink(name)?;
            }
            marker = next_marker(marker, next, &what)?;
            if marker.is_none() {
                return Ok(pages);
            }
        }
    }

    /// Lists the blobs of `container` whose names start with `prefix` (the
    /// whole container when empty), snapshots and uncommitted blobs
    /// included, calling `sink` for each row. Returns the number of pages.
    /// A container that does not exist is an error of code
    /// `ContainerNotFound`.
    pub fn list_blobs(
        &self,
        container: &str,
        prefix: &str,
        sink: &mut dyn FnMut(&ListingEntry) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        let mut marker: Option<String> = None;
        let mut pages = 0;
        loop {
            pages += 1;
            let page = self.list_blobs_page(container, prefix, false, marker.as_deref(), pages)?;
            for entry in &page.entries {
                sink(entry)?;
            }
            marker = page.next;
            if marker.is_none() {
                return Ok(pages);
            }
        }
    }

    /// One List Blobs page of `container` under `prefix`, from `marker` (the
    /// first page when `None`); with `delimiter`, `delimiter=/`: the rows of
    /// the blobs directly under `prefix` and the virtual directories below
    /// it (`BlobPrefix`), each to be listed on its own. `number` (1-based)
    /// names the page in errors.
    pub(crate) fn list_blobs_page(
        &self,
        container: &str,
        prefix: &str,
        delimiter: bool,
        marker: Option<&str>,
        number: u64,
    ) -> Result<BlobPage, Error> {
        let max = match self.builder.directory_max_results {
            Some(n) if delimiter => n,
            _ => self.builder.max_results,
        }
        .to_string();
        let what = format!("List Blobs in container {container:?} with prefix {prefix:?}");
        let mut query = vec![
            ("restype", "container"),
            ("comp", "list"),
            ("include", "snapshots,uncommittedblobs"),
            ("maxresults", max.as_str()),
        ];
        if !prefix.is_empty() {
            query.push(("prefix", prefix));
        }
        if delimiter {
            query.push(("delimiter", "/"));
        }
        if let Some(m) = marker {
            query.push(("marker", m));
        }
        let response = self.get_page(container, &query, &what)?;
        let source = format!("<List Blobs response {number} for container {container}>");
        let mut entries = Vec::new();
        let next = parse_list_blobs_page(&response.body, &source, &mut |entry| {
            entries.push(entry.clone());
        })?;
        let prefixes = if delimiter {
            parse_blob_prefixes(&response.body).map_err(|m| {
                remote_error(format!("{what}: the response is not a blob list: {m}"))
            })?
        } else {
            Vec::new()
        };
        Ok(BlobPage {
            entries,
            prefixes,
            next: next_marker(marker.map(str::to_string), next, &what)?,
        })
    }

    /// One listing page, whole. A 200 response whose body does not end with
    /// `</EnumerationResults>` was cut off (a connection closed early with
    /// no length to tell); it is requested again like any transient failure
    /// and never parsed, so no row of it reaches the sink twice.
    fn get_page(
        &self,
        resource: &str,
        query: &[(&str, &str)],
        what: &str,
    ) -> Result<Response, Error> {
        let mut attempt = 1;
        loop {
            let response = self.request("GET", resource, query, &[], &[], what)?;
            if response
                .body
                .trim_ascii_end()
                .ends_with(b"</EnumerationResults>")
            {
                return Ok(response);
            }
            if attempt >= self.builder.max_attempts {
                return Err(remote_error(format!(
                    "{what}: the response ended before `</EnumerationResults>` (after {attempt} tries)"
                )));
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(backoff(attempt, &self.builder));
            attempt += 1;
        }
    }

    /// Reads blob `name` of `container` whole (at most
    /// [`ClientBuilder::max_blob_size`](super::ClientBuilder::max_blob_size)
    /// bytes).
    pub fn get_blob(&self, container: &str, name: &str) -> Result<Vec<u8>, Error> {
        let what = format!("Get Blob /{container}/{name}");
        let response = self.request("GET", &format!("{container}/{name}"), &[], &[], &[], &what)?;
        if response.body.len() as u64 > self.builder.max_blob_size {
            return Err(remote_error(format!(
                "{what}: the blob is larger than {} bytes",
                self.builder.max_blob_size
            )));
        }
        Ok(response.body)
    }

    /// Reads the blob list blob that `BlobListBlobPath` names: `container/blob`
    /// (a leading `/` is allowed; `$root/…` for the root container).
    pub fn get_blob_list_blob(&self, blob_list_blob_path: &str) -> Result<Vec<u8>, Error> {
        let path = blob_list_blob_path
            .strip_prefix('/')
            .unwrap_or(blob_list_blob_path);
        match path.split_once('/') {
            Some((container, name)) if !container.is_empty() && !name.is_empty() => {
                self.get_blob(container, name)
            }
            _ => Err(remote_error(format!(
                "blob list blob path {blob_list_blob_path:?}: must be `container/blob`"
            ))),
        }
    }
}

/// One List Blobs page, parsed.
#[derive(Debug, Default)]
pub(crate) struct BlobPage {
    /// The rows, in the service's order.
    pub(crate) entries: Vec<ListingEntry>,
    /// The `BlobPrefix` names of a delimiter listing, in the service's order.
    pub(crate) prefixes: Vec<String>,
    /// The marker of the next page, `None` after the last.
    pub(crate) next: Option<String>,
}

/// The marker for the next page, or `None` at the end. A marker that does
/// not move would loop forever: that is an error.
fn next_marker(
    previous: Option<String>,
    next: Option<String>,
    what: &str,
) -> Result<Option<String>, Error> {
    let next = next.filter(|m| !m.is_empty());
    if next.is_some() && next == previous {
        return Err(remote_error(format!(
            "{what}: the service returned the same NextMarker twice; stopping instead of looping"
        )));
    }
    Ok(next)
}

/// The `BlobPrefix` names of a List Blobs page (a delimiter listing).
fn parse_blob_prefixes(body: &[u8]) -> Result<Vec<String>, String> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut names = Vec::new();
    let mut text = String::new();
    let mut buf = Vec::new();
    loop {
        match reader
            .read_event_into(&mut buf)
            .map_err(|e| e.to_string())?
        {
            Event::Start(e) => {
                stack.push(e.name().as_ref().to_vec());
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.unescape().map_err(|e| e.to_string())?),
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::End(_) => {
                let path: [&[u8]; 4] = [b"EnumerationResults", b"Blobs", b"BlobPrefix", b"Name"];
                if stack.len() == 4 && stack.iter().zip(path).all(|(a, b)| a == b) {
                    names.push(std::mem::take(&mut text));
                }
                stack.pop();
                text.clear();
            }
            Event::Eof => return Ok(names),
            _ => {}
        }
        buf.clear();
    }
}

/// The container names and the `NextMarker` of one List Containers page.
fn parse_list_containers(body: &[u8]) -> Result<(Vec<String>, Option<String>), String> {
    let mut reader = quick_xml::Reader::from_reader(body);
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut names = Vec::new();
    let mut next = None;
    let mut text = String::new();
    let mut buf = Vec::new();
    let mut seen_root = false;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| e.to_string())?;
        match event {
            Event::Start(e) => {
                seen_root |= stack.is_empty() && e.name().as_ref() == b"EnumerationResults";
                stack.push(e.name().as_ref().to_vec());
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.unescape().map_err(|e| e.to_string())?),
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::End(_) => {
                let at = |path: &[&[u8]]| {
                    stack.len() >= path.len()
                        && stack[stack.len() - path.len()..]
                            .iter()
                            .zip(path)
                            .all(|(a, b)| a == b)
                };
                if stack.len() == 4 && at(&[b"Containers", b"Container", b"Name"]) {
                    names.push(std::mem::take(&mut text));
                } else if stack.len() == 2 && at(&[b"NextMarker"]) {
                    next = Some(std::mem::take(&mut text));
                }
                stack.pop();
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !seen_root {
        return Err("no <EnumerationResults> element".to_string());
    }
    Ok((names, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_captured_container_list() {
        // Abridged from tests/fixtures/listings/list-containers.xml (Azurite 3.37.0).
        let body = br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><EnumerationResults ServiceEndpoint="http://127.0.0.1:10000/devstoreaccount1"><Prefix/><MaxResults>5000</MaxResults><Containers><Container><Name>$root</Name><Properties><Etag>"0x22C74FA8C3C5100"</Etag></Properties></Container><Container><Name>backups</Name><Properties/></Container><Container><Name>photos</Name><Properties/></Container><Container><Name>photos-2024</Name><Properties><LeaseState>available</LeaseState></Properties></Container></Containers><NextMarker/></EnumerationResults>"#;
        let (names, next) = parse_list_containers(body).unwrap();
        assert_eq!(names, ["$root", "backups", "photos", "photos-2024"]);
        assert_eq!(next, None);
        let page = b"<EnumerationResults><Containers><Container><Name>a</Name></Container>\
                     </Containers><NextMarker>/acct/b</NextMarker></EnumerationResults>";
        assert_eq!(
            parse_list_containers(page).unwrap(),
            (vec!["a".into()], Some("/acct/b".into()))
        );
        assert!(parse_list_containers(b"<Error><Code>X</Code></Error>").is_err());
    }

    #[test]
    fn parses_blob_prefixes_of_a_delimiter_listing() {
        let page = b"<EnumerationResults><Prefix>a/</Prefix><Blobs><Blob><Name>a/x</Name></Blob>\
                     <BlobPrefix><Name>a/b/</Name></BlobPrefix><BlobPrefix><Name>a/&amp;/</Name>\
                     </BlobPrefix></Blobs><NextMarker/></EnumerationResults>";
        assert_eq!(parse_blob_prefixes(page).unwrap(), ["a/b/", "a/&/"]);
    }

    #[test]
    fn a_marker_that_does_not_move_is_an_error() {
        assert!(next_marker(Some("m".into()), Some("m".into()), "op").is_err());
        assert_eq!(next_marker(None, Some(String::new()), "op").unwrap(), None);
    }
}
