//! A selection: the rules of one export job, from any of its forms.
//!
//! The readers of the forms live here, mirroring `listing/`: `xml.rs` reads
//! blob list XML (with `xml/wellformed.rs`, what a conforming XML parser
//! refuses; `xml/fast.rs`, the fast path for entries in the usual shape;
//! `xml/source.rs`, the buffer both read from) and writes it back; `json/`
//! reads the Export fragment, the Put Job body and the ARM job, and writes
//! them.

use std::io::Read;
use std::sync::Arc;

use crate::error::{Error, ErrorKind, Position};
use crate::matcher::{Matcher, MatcherBuilder};
use crate::plan::Plan;
use crate::rule::Rule;
use crate::text;

mod errors;
mod json;
mod xml;

pub use self::errors::Errors;
use self::errors::Sink;
pub use self::json::MAX_INLINE_BLOB_LIST_BYTES;

/// The form a selection was written in (docs/semantics.md §1), detected from content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Form {
    /// Blob list XML (a "blob list blob").
    BlobListXml,
    /// The Export JSON fragment, `{"BlobList":…}` or `{"BlobListBlobPath":…}`.
    ExportJson,
    /// A Put Job request body: `Export` beside `Properties`.
    PutJobBody,
    /// An ARM `Microsoft.ImportExport/jobs` resource: `properties.export`.
    ArmJob,
}

/// How to read a selection.
#[derive(Clone, Debug)]
pub struct ParseOptions {
    enforce_inline_limit: bool,
    error_limit: usize,
    xml_fast_path: bool,
}

impl Default for ParseOptions {
    fn default() -> ParseOptions {
        ParseOptions {
            enforce_inline_limit: true,
            error_limit: 100,
            xml_fast_path: true,
        }
    }
}

impl ParseOptions {
    /// Whether an inline JSON `BlobList` over 32 KiB is an error (the default,
    /// as the service refuses it). Tools that convert such a list to the
    /// blob-list-blob form turn this off and check
    /// [`Selection::inline_json_bytes`] themselves.
    pub fn enforce_inline_limit(&mut self, yes: bool) -> &mut ParseOptions {
        self.enforce_inline_limit = yes;
        self
    }

    /// How many errors [`ParseOptions::check`] keeps (default 100, at least
    /// 1); it counts those past the limit without keeping them.
    pub fn collect_errors(&mut self, limit: usize) -> &mut ParseOptions {
        self.error_limit = limit.max(1);
        self
    }

    /// Whether blob list XML is read with the fast path for entries in the
    /// usual shape (the default), or with the full XML reader alone. The
    /// two give the same rules and errors; this is for the tests and fuzz
    /// targets that hold them to it.
    #[doc(hidden)]
    pub fn xml_fast_path(&mut self, yes: bool) -> &mut ParseOptions {
        self.xml_fast_path = yes;
        self
    }

    /// Reads a selection in any form from `input`, detected from its first
    /// bytes: `<` is blob list XML (streamed, never held whole), `{` is one
    /// of the JSON forms. `source` names the input in errors and origins.
    /// Stops at the first error; [`ParseOptions::check`] finds them all.
    pub fn parse<R: Read>(&self, input: R, source: &str) -> Result<Selection, Error> {
        let source: Arc<str> = source.into();
        self.parse_inner(input, &source, &mut Sink::first())
            .map_err(|e| e.in_source(&*source))
    }

    /// Reads a selection as [`ParseOptions::parse`] does, but reads on after
    /// an error of one rule or key (a bad path, attribute value, unknown
    /// element, attribute or key, a rule outside the container SAS, …) and
    /// returns every error found, up to the [limit](ParseOptions::collect_errors),
    /// in document order. An error that leaves the rest unreadable
    /// (malformed XML or JSON, a DOCTYPE, a job that is not an export job)
    /// ends the reading and is the last error.
    ///
    /// ```
    /// let xml = "<BlobList>\n<BlobPath>/Photos/a.jpg</BlobPath>\n<BlobPathPrefix>x/</BlobPathPrefix>\n</BlobList>";
    /// let errors = blobsel::ParseOptions::default().check(xml.as_bytes(), "list.xml").unwrap_err();
    /// assert_eq!(errors.total(), 2);
    /// assert!(errors.as_slice()[1].to_string().starts_with("list.xml:3:1: "));
    /// ```
    pub fn check<R: Read>(&self, input: R, source: &str) -> Result<Selection, Errors> {
        let name: Arc<str> = source.into();
        let mut sink = Sink::collecting(self.error_limit);
        let result = self.parse_inner(input, &name, &mut sink);
        sink.finish(result, source)
    }

    /// Supplies the content of the blob list blob a selection names, as
    /// [`Selection::supply_blob_list`] does, with every error found as
    /// [`ParseOptions::check`] finds them. On error the selection is left
    /// as it was.
    pub fn check_blob_list<R: Read>(
        &self,
        selection: &mut Selection,
        xml: R,
        source: &str,
    ) -> Result<(), Errors> {
        let mut sink = Sink::collecting(self.error_limit);
        let result = selection.supply_inner(xml, source, &mut sink, self.xml_fast_path);
        sink.finish(result, source)
    }

    fn parse_inner<R: Read>(
        &self,
        input: R,
        source: &Arc<str>,
        sink: &mut Sink,
    ) -> Result<Selection, Error> {
        let head = text::head(input).map_err(text::io_error)?;
        if !matches!(head.encoding, text::Encoding::Utf8 { .. }) {
            // Rare: decode whole, then read as UTF-8.
            let big = matches!(head.encoding, text::Encoding::Utf16Be { .. });
            let mut bytes = Vec::new();
            let mut stream = head.stream;
            stream.read_to_end(&mut bytes).map_err(text::io_error)?;
            let skip = if matches!(bytes.get(..2), Some([0xFF, 0xFE] | [0xFE, 0xFF])) {
                2
            } else {
                0
            };
            let utf8 = text::decode_utf16(&bytes[skip..], big)?;
            return self.parse_inner(utf8.as_bytes(), source, sink);
        }
        match head.first {
            Some(b'<') => {
                let (list, _) = xml::read_blob_list(head.stream, source, sink, self.xml_fast_path)?;
                let mut selection =
                    Selection::with_rules(Form::BlobListXml, source.clone(), list.rules);
                selection.offsets = list.offsets;
                Ok(selection)
            }
            Some(b'{') => {
                let mut bytes = Vec::new();
                let mut stream = head.stream;
                stream.read_to_end(&mut bytes).map_err(text::io_error)?;
                let parsed = json::parse(&bytes, source, sink)?;
                let selection = Selection::from_json(source.clone(), parsed);
                if self.enforce_inline_limit {
                    if let Err(e) = selection.check_inline_limit() {
                        sink.push(e)?;
                    }
                }
                selection.check_container_sas(&selection.rules, sink)?;
                Ok(selection)
            }
            Some(_) => Err(Error::new(
                ErrorKind::UnrecognizedForm,
                "not a selection: expected blob list XML (starting with '<') or JSON \
                 (starting with '{')",
            )
            .at(Position { line: 1, column: 1 })),
            None => Err(Error::new(
                ErrorKind::UnrecognizedForm,
                "empty selection file: expected blob list XML or a JSON export job",
            )),
        }
    }
}

/// The rules of one export job, and what the job says around them: the
/// form, a `BlobListBlobPath` and its content, a container SAS.
///
/// Read one with [`Selection::parse`] (any form, detected from content) or
/// build one with [`Selection::from_rules`].
#[derive(Clone, Debug)]
pub struct Selection {
    form: Form,
    source: Arc<str>,
    rules: Vec<Rule>,
    blob_list_blob: Option<(String, Position)>,
    blob_list_supplied: bool,
    container_sas: Option<String>,
    inline_bytes: Option<(usize, Position)>,
    /// `SnapshotTime`s written with a non-UTC offset: rule index, text.
    offsets: Vec<(usize, Box<str>)>,
}

impl Selection {
    /// Reads a selection in any form with the default [`ParseOptions`],
    /// stopping at the first error.
    pub fn parse<R: Read>(input: R, source: &str) -> Result<Selection, Error> {
        ParseOptions::default().parse(input, source)
    }

    /// Reads a selection with the default [`ParseOptions`], finding every
    /// error (up to 100): see [`ParseOptions::check`].
    pub fn check<R: Read>(input: R, source: &str) -> Result<Selection, Errors> {
        ParseOptions::default().check(input, source)
    }

    /// A selection made of `rules`, as if read from a blob list.
    pub fn from_rules(rules: Vec<Rule>) -> Selection {
        Selection::with_rules(Form::BlobListXml, "<rules>".into(), rules)
    }

    fn with_rules(form: Form, source: Arc<str>, rules: Vec<Rule>) -> Selection {
        Selection {
            form,
            source,
            rules,
            blob_list_blob: None,
            blob_list_supplied: false,
            container_sas: None,
            inline_bytes: None,
            offsets: Vec::new(),
        }
    }

    fn from_json(source: Arc<str>, p: json::Parsed) -> Selection {
        Selection {
            form: p.form,
            source,
            rules: p.rules,
            blob_list_blob: p.blob_list_blob,
            blob_list_supplied: false,
            container_sas: p.container_sas,
            inline_bytes: p.inline_bytes,
            offsets: Vec::new(),
        }
    }

    /// The form the selection was read from.
    pub fn form(&self) -> Form {
        self.form
    }

    /// The source name the selection was read from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The `BlobListBlobPath` (canonical, `/container/blob`), if the
    /// selection names a blob list blob.
    pub fn blob_list_blob_path(&self) -> Option<&str> {
        self.blob_list_blob.as_ref().map(|(p, _)| p.as_str())
    }

    /// Whether the rules still wait for the blob list blob's content.
    pub fn needs_blob_list(&self) -> bool {
        self.blob_list_blob.is_some() && !self.blob_list_supplied
    }

    /// Supplies the XML content of the blob list blob (from a file, or
    /// fetched from the account); `source` names it in errors and origins.
    pub fn supply_blob_list<R: Read>(&mut self, xml: R, source: &str) -> Result<(), Error> {
        self.supply_inner(xml, source, &mut Sink::first(), true)
            .map_err(|e| e.in_source(source))
    }

    fn supply_inner<R: Read>(
        &mut self,
        xml: R,
        source: &str,
        sink: &mut Sink,
        fast: bool,
    ) -> Result<(), Error> {
        let name: Arc<str> = source.into();
        let (list, _) = xml::read_blob_list(xml, &name, sink, fast)?;
        // Refused rules must not stay: check before taking them.
        self.check_container_sas(&list.rules, sink)?;
        if !sink.is_clean() {
            return Ok(()); // the errors say what is wrong; nothing is taken
        }
        self.rules = list.rules;
        self.offsets = list.offsets;
        self.blob_list_supplied = true;
        Ok(())
    }

    /// The rules whose `SnapshotTime` was written with an offset other than
    /// UTC's (`+01:00`), each with the text as written. blobsel converts
    /// such a time to UTC (docs/semantics.md §2.4); the Blob service names
    /// snapshots in UTC, so `blobsel check` warns about each.
    pub fn non_utc_snapshot_times(&self) -> impl Iterator<Item = (&Rule, &str)> + '_ {
        self.offsets
            .iter()
            .filter_map(|(i, text)| Some((self.rules.get(*i)?, &**text)))
    }

    /// The container of the job's container SAS, if it has one: every rule
    /// lies inside it and matching is limited to it.
    pub fn container_sas(&self) -> Option<&str> {
        self.container_sas.as_deref()
    }

    /// The size in bytes of the inline JSON `BlobList` text, if the
    /// selection has one.
    pub fn inline_json_bytes(&self) -> Option<usize> {
        self.inline_bytes.map(|(n, _)| n)
    }

    /// The rules. Fails when the selection names a blob list blob whose
    /// content was not supplied ([`Selection::supply_blob_list`]).
    pub fn rules(&self) -> Result<&[Rule], Error> {
        if let Some((path, pos)) = &self.blob_list_blob {
            if !self.blob_list_supplied {
                return Err(Error::new(
                    ErrorKind::BlobListNotSupplied,
                    format!(
                        "the selection names the blob list blob {path} (BlobListBlobPath) but \
                         its content was not supplied: pass the XML file with --blob-list \
                         FILE, or preview against the account so it can be fetched"
                    ),
                )
                .at(*pos)
                .in_source(&*self.source));
            }
        }
        Ok(&self.rules)
    }

    fn check_inline_limit(&self) -> Result<(), Error> {
        match self.inline_bytes {
            Some((n, pos)) if n > json::MAX_INLINE_BLOB_LIST_BYTES => Err(Error::new(
                ErrorKind::InlineBlobListTooLarge,
                format!(
                    "the inline BlobList is {n} bytes; the service accepts at most 32 KiB \
                     (32,768 bytes): store the list as a blob list blob in the account and \
                     name it with BlobListBlobPath (blobsel convert --to json \
                     --blob-list-out list.xml --blob-list-path container/list.xml)"
                ),
            )
            .at(pos)),
            _ => Ok(()),
        }
    }

    fn check_container_sas(&self, rules: &[Rule], sink: &mut Sink) -> Result<(), Error> {
        let Some(container) = &self.container_sas else {
            return Ok(());
        };
        let inside = |text: &str| {
            text.strip_prefix('/')
                .and_then(|t| t.strip_prefix(container.as_str()))
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        };
        if let Some((path, pos)) = &self.blob_list_blob {
            if !inside(path) {
                sink.push(
                    Error::new(
                        ErrorKind::OutsideContainerSas,
                        format!(
                            "BlobListBlobPath {path} is outside container {container:?}, the only \
                         one the job's ContainerSas can read: move the blob list blob into \
                         {container:?}, or use StorageAccountKey"
                        ),
                    )
                    .at(*pos),
                )?;
            }
        }
        for rule in rules {
            if !rule.inside_container(container) {
                let mut e = Error::new(
                    ErrorKind::OutsideContainerSas,
                    format!(
                        "{rule} lies outside container {container:?}: with a ContainerSas every \
                         rule must be inside that container (a prefix \"/{container}\" or \
                         \"/{container}/…\", a path \"{container}/…\")"
                    ),
                )
                .in_source(&*rule.origin().source);
                if let Some(p) = rule.origin().position {
                    e = e.at(p);
                }
                sink.push(e)?;
            }
        }
        Ok(())
    }

    /// Compiles the rules (limited to the container SAS's container, if any).
    pub fn compile(&self) -> Result<Matcher, Error> {
        MatcherBuilder::new().build(self)
    }

    /// The listing calls that enumerate every blob the selection can select.
    pub fn plan(&self) -> Result<Plan, Error> {
        Ok(Plan::for_rules(self.rules()?, self.container_sas()))
    }

    /// Writes the rules as blob list XML. Fails when a rule holds a
    /// character that XML cannot carry at all (U+FFFE, U+FFFF): a JSON
    /// selection can name such a blob, a blob list cannot.
    pub fn to_blob_list_xml(&self) -> Result<String, Error> {
        let mut out = String::new();
        xml::write_blob_list(self.rules()?, &mut out)?;
        Ok(out)
    }

    /// Writes the Export JSON fragment with an inline `BlobList`. Fails when
    /// a rule has snapshot attributes (JSON cannot carry them) or when the
    /// list would exceed 32 KiB; write the XML and use
    /// [`Selection::to_export_json_with_blob_list_path`] then.
    pub fn to_export_json(&self) -> Result<String, Error> {
        self.export_json(false)
    }

    /// Writes an ARM job body (`properties.jobType` Export,
    /// `properties.export` in camelCase) with an inline `blobList`.
    pub fn to_arm_json(&self) -> Result<String, Error> {
        self.export_json(true)
    }

    fn export_json(&self, camel: bool) -> Result<String, Error> {
        let list = json::blob_list_value(self.rules()?, camel)?;
        let doc = wrap(json::export_value(Some(list), None, camel), camel);
        // Pretty-printed when the list fits so, else compact: the limit is
        // on the list as it stands in the output (measured the way a reader
        // does), and indentation should not make a list that fits fail.
        let mut n = 0;
        for pretty in [true, false] {
            let text = render(&doc, pretty);
            n = json::parse(text.as_bytes(), &self.source, &mut Sink::first())?
                .inline_bytes
                .map_or(0, |(n, _)| n);
            if n <= json::MAX_INLINE_BLOB_LIST_BYTES {
                return Ok(text);
            }
        }
        Err(Error::new(
            ErrorKind::InlineBlobListTooLarge,
            format!(
                "as JSON the BlobList would be {n} bytes, over the service's 32 KiB limit: \
                 write it as a blob list blob instead (--blob-list-out FILE \
                 --blob-list-path container/name.xml)"
            ),
        ))
    }

    /// Writes the Export JSON fragment that names a blob list blob,
    /// `{"BlobListBlobPath": path}` (`path` is `container/blob`).
    pub fn to_export_json_with_blob_list_path(path: &str, camel: bool) -> Result<String, Error> {
        let p = crate::path::BlobPath::parse(path).map_err(|e| {
            Error::new(
                ErrorKind::InvalidBlobListBlobPath,
                format!(
                    "blob list blob path {path:?}: {}; write it as container/name.xml",
                    e.message()
                ),
            )
        })?;
        let relative = format!("{}/{}", p.container, p.name);
        Ok(render(
            &wrap(json::export_value(None, Some(&relative), camel), camel),
            true,
        ))
    }
}

/// The Export fragment, or for ARM an ARM job body around it.
fn wrap(export: serde_json::Value, camel: bool) -> serde_json::Value {
    if camel {
        serde_json::json!({ "properties": { "jobType": "Export", "export": export } })
    } else {
        export
    }
}

/// `doc` as text, pretty-printed or compact, and a newline.
fn render(doc: &serde_json::Value, pretty: bool) -> String {
    let mut s = if pretty {
        serde_json::to_string_pretty(doc)
    } else {
        serde_json::to_string(doc)
    }
    .unwrap_or_default();
    s.push('\n');
    s
}
