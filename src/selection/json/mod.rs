//! The JSON forms of a selection: the Export fragment, the Put Job request
//! body, and the ARM job (docs/semantics.md §1); and writing the Export fragment.

mod value;

use std::sync::Arc;

use super::errors::Sink;
use super::Form;
use crate::error::{Error, ErrorKind, Position};
use crate::path::BlobPath;
use crate::rule::{Origin, Rule, RuleKind};
use value::{Node, Value};

/// The most bytes an inline `BlobList` may have (its JSON text).
pub const MAX_INLINE_BLOB_LIST_BYTES: usize = 32 * 1024;

/// What a JSON selection says.
pub(crate) struct Parsed {
    pub form: Form,
    pub rules: Vec<Rule>,
    pub blob_list_blob: Option<(String, Position)>,
    pub container_sas: Option<String>,
    /// Bytes of the inline `BlobList` text, with its position.
    pub inline_bytes: Option<(usize, Position)>,
}

/// Key spellings: the service's PascalCase, or ARM's camelCase.
struct Keys {
    blob_list: &'static str,
    blob_list_blob_path: &'static str,
    blob_path: &'static str,
    blob_path_prefix: &'static str,
}

const PASCAL: Keys = Keys {
    blob_list: "BlobList",
    blob_list_blob_path: "BlobListBlobPath",
    blob_path: "BlobPath",
    blob_path_prefix: "BlobPathPrefix",
};
const CAMEL: Keys = Keys {
    blob_list: "blobList",
    blob_list_blob_path: "blobListBlobPath",
    blob_path: "blobPath",
    blob_path_prefix: "blobPathPrefix",
};

struct Ctx<'a> {
    text: &'a [u8],
    source: &'a Arc<str>,
    /// Where an error of one rule or key goes (reading goes on when it
    /// says so).
    sink: std::cell::RefCell<&'a mut Sink>,
    /// The last offset turned into a position: rules are visited in
    /// document order, so each position is counted on from the last one
    /// (counting from the start each time would be quadratic).
    last: std::cell::Cell<(usize, Position)>,
}

impl Ctx<'_> {
    fn pos(&self, offset: usize) -> Position {
        let (at, mut p) = self.last.get();
        if offset < at {
            p = Position::from_offset(self.text, offset);
        } else {
            p = p.advance(&self.text[at..offset.min(self.text.len())]);
        }
        self.last.set((offset, p));
        p
    }

    /// Reports an error of one rule or key: `Err` to stop at it.
    fn report(&self, e: Error) -> Result<(), Error> {
        self.sink.borrow_mut().push(e)
    }

    fn err(&self, kind: ErrorKind, offset: usize, key_path: &str, msg: String) -> Error {
        let e = Error::new(kind, msg).at(self.pos(offset));
        if key_path.is_empty() {
            e
        } else {
            e.with_key_path(key_path)
        }
    }
}

/// Parses any JSON form, detected from its keys. An error of one rule or
/// key goes to `sink`, and reading goes on when it says so; what leaves the
/// rest unreadable is returned.
pub(crate) fn parse(text: &[u8], source: &Arc<str>, sink: &mut Sink) -> Result<Parsed, Error> {
    let root = value::parse(text)?;
    let cx = Ctx {
        text,
        source,
        sink: std::cell::RefCell::new(sink),
        last: std::cell::Cell::new((0, Position { line: 1, column: 1 })),
    };
    let Value::Object(members) = &root.value else {
        return Err(cx.err(
            ErrorKind::UnrecognizedForm,
            root.start,
            "",
            format!(
                "the document is {}, not a selection: {FORMS}",
                root.value.type_name()
            ),
        ));
    };
    no_duplicates(&cx, members, &DISPATCH_KEYS, "")?;
    let has = |k: &str| members.iter().any(|(key, ..)| key == k);
    if has("BlobList") || has("BlobListBlobPath") {
        let mut p = export(&cx, &root, "", &PASCAL)?;
        p.form = Form::ExportJson;
        Ok(p)
    } else if has("blobList") || has("blobListBlobPath") {
        let mut p = export(&cx, &root, "", &CAMEL)?;
        p.form = Form::ExportJson;
        Ok(p)
    } else if let Some(props) = get(members, "properties") {
        arm_job(&cx, &root, props)
    } else if has("Properties") || has("Export") {
        put_job(&cx, &root)
    } else {
        Err(cx.err(
            ErrorKind::UnrecognizedForm,
            root.start,
            "",
            format!("no BlobList, BlobListBlobPath, Export or properties key: {FORMS}"),
        ))
    }
}

const FORMS: &str = "a JSON selection is an Export fragment ({\"BlobList\":{…}} or \
    {\"BlobListBlobPath\":\"container/list.xml\"}), a Put Job body ({\"Properties\":{…},\
    \"Export\":{…}}) or an ARM job ({\"properties\":{\"export\":{…}}})";

/// The top-level keys that decide the form (and are then read by it).
const DISPATCH_KEYS: [&str; 7] = [
    "BlobList",
    "BlobListBlobPath",
    "blobList",
    "blobListBlobPath",
    "properties",
    "Properties",
    "Export",
];

/// `key` under `path`, as errors name it (`Properties.Type`).
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The error for the second `key` (at byte `second`) of an object at `path`
/// whose first, spelled `first_key`, is at byte `first`.
fn duplicate(
    cx: &Ctx<'_>,
    key: &str,
    (first_key, first): (&str, usize),
    second: usize,
    path: &str,
) -> Error {
    // Not through `cx.pos`: that counts on from the last position asked for,
    // and `first` is behind it.
    let first = Position::from_offset(cx.text, first);
    let spelled = if first_key == key {
        String::new()
    } else {
        format!(", spelled {first_key:?}; services read keys in any case")
    };
    cx.err(
        ErrorKind::DuplicateKey,
        second,
        &join(path, key),
        format!(
            "duplicate key {key:?} (the first is at {first}{spelled}): JSON readers differ \
             on which one counts, so the job could export something other than what \
             blobsel reads; remove one of them"
        ),
    )
}

/// Fails on the second occurrence of any of `keys` (the keys blobsel reads
/// in this object), in any case: blobsel reads the exact spelling, but
/// the services behind the job (ARM's among them) read keys in any case,
/// so `Export` beside `export` is as ambiguous as `Export` twice. Other
/// keys may repeat: the selection does not depend on them. Linear in the
/// members: `keys` is a handful.
fn no_duplicates(
    cx: &Ctx<'_>,
    members: &[(String, usize, Node)],
    keys: &[&str],
    path: &str,
) -> Result<(), Error> {
    let mut first: Vec<Option<(&str, usize)>> = vec![None; keys.len()];
    for (key, at, _) in members {
        // Keys that differ only in case share the first slot.
        if let Some(i) = keys.iter().position(|k| k.eq_ignore_ascii_case(key)) {
            match first[i] {
                None => first[i] = Some((key.as_str(), *at)),
                Some(f) => cx.report(duplicate(cx, key, f, *at, path))?,
            }
        }
    }
    Ok(())
}

fn get<'n>(members: &'n [(String, usize, Node)], key: &str) -> Option<&'n Node> {
    members
        .iter()
        .find(|(k, ..)| k == key)
        .map(|(.., v)| v)
        .filter(|v| !matches!(v.value, Value::Null))
}

fn put_job(cx: &Ctx<'_>, root: &Node) -> Result<Parsed, Error> {
    let Value::Object(members) = &root.value else {
        unreachable!("checked by caller")
    };
    let props = get(members, "Properties");
    let props_members = match props.map(|p| &p.value) {
        Some(Value::Object(m)) => Some(m),
        Some(other) => {
            let p = props.map_or(0, |p| p.start);
            return Err(cx.err(
                ErrorKind::WrongType,
                p,
                "Properties",
                format!("expected an object, found {}", other.type_name()),
            ));
        }
        None => None,
    };
    if let Some(m) = props_members {
        no_duplicates(cx, m, &["Type", "ContainerSas"], "Properties")?;
    }
    let job_type = props_members.and_then(|m| get(m, "Type"));
    let sas = match props_members.and_then(|m| get(m, "ContainerSas")) {
        Some(node) => match container_of_sas(cx, node) {
            Ok(container) => Some(container),
            Err(e) => {
                cx.report(e)?; // read on as if without it
                None
            }
        },
        None => None,
    };
    let misplaced = props_members.is_some_and(|m| get(m, "Export").is_some());
    let export_node = get(members, "Export");
    let mut p = job(
        cx,
        job_type,
        "Properties.Type",
        export_node,
        "Export",
        &PASCAL,
        misplaced,
        root,
    )?;
    p.form = Form::PutJobBody;
    p.container_sas = sas;
    Ok(p)
}

fn arm_job(cx: &Ctx<'_>, root: &Node, props: &Node) -> Result<Parsed, Error> {
    let Value::Object(members) = &props.value else {
        return Err(cx.err(
            ErrorKind::WrongType,
            props.start,
            "properties",
            format!("expected an object, found {}", props.value.type_name()),
        ));
    };
    no_duplicates(cx, members, &["jobType", "export"], "properties")?;
    let job_type = get(members, "jobType");
    let export_node = get(members, "export");
    let mut p = job(
        cx,
        job_type,
        "properties.jobType",
        export_node,
        "properties.export",
        &CAMEL,
        false,
        root,
    )?;
    p.form = Form::ArmJob;
    Ok(p)
}

#[allow(clippy::too_many_arguments)]
fn job(
    cx: &Ctx<'_>,
    job_type: Option<&Node>,
    type_path: &str,
    export_node: Option<&Node>,
    export_path: &str,
    keys: &Keys,
    misplaced: bool,
    root: &Node,
) -> Result<Parsed, Error> {
    let is_import = match job_type {
        None => false,
        Some(node) => match &node.value {
            Value::String(s) if s.eq_ignore_ascii_case("import") => true,
            Value::String(s) if s.eq_ignore_ascii_case("export") => false,
            other => {
                return Err(cx.err(
                    ErrorKind::InvalidJobType,
                    node.start,
                    type_path,
                    format!(
                        "job type {}: expected \"Export\" (or \"Import\")",
                        describe(other)
                    ),
                ))
            }
        },
    };
    match (is_import, export_node) {
        (true, Some(node)) => Err(cx.err(
            ErrorKind::ImportJobWithExport,
            node.start,
            export_path,
            "Export must not be specified for import jobs: set the job type to \"Export\", \
             or remove Export"
                .into(),
        )),
        (true, None) => Err(cx.err(
            ErrorKind::MissingExport,
            job_type.map_or(root.start, |n| n.start),
            type_path,
            "this is an import job: it exports nothing, so there is no selection to read".into(),
        )),
        (false, None) => {
            let hint = if misplaced {
                ": Export sits at the top level of the body, beside Properties, not inside it"
            } else {
                ": add Export with BlobList or BlobListBlobPath"
            };
            Err(cx.err(
                ErrorKind::MissingExport,
                root.start,
                "",
                format!("an export job needs {export_path}{hint}"),
            ))
        }
        (false, Some(node)) => export(cx, node, export_path, keys),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.type_name().to_string(),
    }
}

/// The container of a `ContainerSas` (`container?sv=…&sig=…`).
fn container_of_sas(cx: &Ctx<'_>, node: &Node) -> Result<String, Error> {
    const FORM: &str = "expected the container name, '?' and the SAS token, as in \
                        mycontainer?sv=2014-02-14&sr=c&sig=…";
    let Value::String(s) = &node.value else {
        return Err(cx.err(
            ErrorKind::WrongType,
            node.start,
            "Properties.ContainerSas",
            format!("expected a string, found {}", node.value.type_name()),
        ));
    };
    let sas_err = |msg: String| {
        cx.err(
            ErrorKind::InvalidContainerSas,
            node.start,
            "Properties.ContainerSas",
            msg,
        )
    };
    // An empty value, or nothing after '?', is a template that was not
    // filled in: taking it for "no SAS" would silently widen the selection
    // to every container. Messages never repeat the value: it may hold a
    // signature.
    if s.is_empty() {
        return Err(sas_err(format!(
            "empty value: {FORM}; remove the key if the job uses \
             StorageAccountKey"
        )));
    }
    let Some((container, token)) = s.split_once('?') else {
        let hint = if s.contains('=') {
            "it looks like the SAS token without its container: write the container \
             name and '?' before it"
        } else {
            "add '?' and the SAS token after the container name"
        };
        return Err(sas_err(format!("no '?', so no SAS token: {FORM}; {hint}")));
    };
    if let Some((_, after)) = container.split_once("://") {
        let name = after.rsplit('/').next().unwrap_or("");
        return Err(sas_err(format!(
            "a URL: {FORM}, not the container's URL (write {name:?} and the part \
             from '?' on)"
        )));
    }
    if !crate::path::is_valid_container_name(container.as_bytes()) {
        return Err(cx.err(
            ErrorKind::InvalidContainerName,
            node.start,
            "Properties.ContainerSas",
            format!(
                "{}: ContainerSas is the container name, '?', and the SAS token",
                crate::path::container_name_problem(container)
            ),
        ));
    }
    if token.is_empty() {
        return Err(sas_err(format!(
            "nothing after '?', so no SAS token: {FORM}"
        )));
    }
    Ok(container.to_string())
}

fn export(cx: &Ctx<'_>, node: &Node, path: &str, keys: &Keys) -> Result<Parsed, Error> {
    let Value::Object(members) = &node.value else {
        return Err(cx.err(
            ErrorKind::WrongType,
            node.start,
            path,
            format!("expected an object, found {}", node.value.type_name()),
        ));
    };
    check_keys(
        cx,
        members,
        &[keys.blob_list, keys.blob_list_blob_path],
        path,
    )?;
    let list = get(members, keys.blob_list);
    let list_blob = get(members, keys.blob_list_blob_path);
    let mut parsed = Parsed {
        form: Form::ExportJson,
        rules: Vec::new(),
        blob_list_blob: None,
        container_sas: None,
        inline_bytes: None,
    };
    match (list, list_blob) {
        (Some(_), Some(b)) => {
            return Err(cx.err(
                ErrorKind::BothBlobLists,
                b.start,
                path,
                format!(
                    "both {} and {} are given: keep one (the inline list, or the path of a \
                     blob list blob in the account)",
                    keys.blob_list, keys.blob_list_blob_path
                ),
            ))
        }
        (None, None) => {
            return Err(cx.err(
                ErrorKind::NoBlobList,
                node.start,
                path,
                format!(
                    "neither {} nor {} is given: add the blobs to export",
                    keys.blob_list, keys.blob_list_blob_path
                ),
            ))
        }
        (Some(list), None) => {
            let list_path = join(path, keys.blob_list);
            parsed.inline_bytes = Some((list.end - list.start, cx.pos(list.start)));
            parsed.rules = blob_list(cx, list, &list_path, keys)?;
        }
        (None, Some(b)) => {
            let key_path = join(path, keys.blob_list_blob_path);
            let Value::String(s) = &b.value else {
                return Err(cx.err(
                    ErrorKind::WrongType,
                    b.start,
                    &key_path,
                    format!(
                        "expected a string like \"container/list.xml\", found {}",
                        b.value.type_name()
                    ),
                ));
            };
            let canonical = BlobPath::parse(s).map(|p| p.canonical()).map_err(|e| {
                cx.err(
                    ErrorKind::InvalidBlobListBlobPath,
                    b.start,
                    &key_path,
                    format!(
                        "{}: {} is the path of a block blob holding blob list XML, \
                         beginning with its container ($root/… for the root container)",
                        e.message(),
                        keys.blob_list_blob_path
                    ),
                )
            })?;
            parsed.blob_list_blob = Some((canonical, cx.pos(b.start)));
        }
    }
    Ok(parsed)
}

/// Every key of an object inside `Export`/`BlobList` must be one of
/// `allowed` (exactly: another spelling is a typo), and once.
fn check_keys(
    cx: &Ctx<'_>,
    members: &[(String, usize, Node)],
    allowed: &[&str],
    path: &str,
) -> Result<(), Error> {
    for (key, at, _) in members {
        if !allowed.contains(&key.as_str()) {
            let near = allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(key))
                .map(|a| format!(" (did you mean {a:?}?)"))
                .unwrap_or_default();
            cx.report(cx.err(
                ErrorKind::UnknownKey,
                *at,
                path,
                format!(
                    "unknown key {key:?}{near}: only {} are allowed here (case-sensitive)",
                    allowed.join(" and ")
                ),
            ))?;
        }
    }
    no_duplicates(cx, members, allowed, path)
}

fn blob_list(cx: &Ctx<'_>, list: &Node, path: &str, keys: &Keys) -> Result<Vec<Rule>, Error> {
    let Value::Object(members) = &list.value else {
        return Err(cx.err(
            ErrorKind::WrongType,
            list.start,
            path,
            format!(
                "expected an object with {} and {} lists, found {}",
                keys.blob_path,
                keys.blob_path_prefix,
                list.value.type_name()
            ),
        ));
    };
    check_keys(cx, members, &[keys.blob_path, keys.blob_path_prefix], path)?;
    let mut rules = Vec::new();
    for (key, _, node) in members {
        let prefix = key == keys.blob_path_prefix;
        if !prefix && key != keys.blob_path {
            continue; // an unknown key, reported
        }
        let key_path = format!("{path}.{key}");
        let items = match &node.value {
            Value::Null => continue,
            Value::Array(items) => items,
            other => {
                cx.report(cx.err(
                    ErrorKind::WrongType,
                    node.start,
                    &key_path,
                    format!("expected a list of strings, found {}", other.type_name()),
                ))?;
                continue;
            }
        };
        for (i, item) in items.iter().enumerate() {
            let Value::String(s) = &item.value else {
                cx.report(cx.err(
                    ErrorKind::WrongType,
                    item.start,
                    &format!("{key_path}[{i}]"),
                    format!("expected a string, found {}", item.value.type_name()),
                ))?;
                continue;
            };
            let origin = Origin {
                source: cx.source.clone(),
                position: Some(cx.pos(item.start)),
            };
            let rule = if prefix {
                Rule::prefix(s, origin)
            } else {
                Rule::path(s, RuleKind::Path, origin)
            };
            match rule {
                Ok(rule) => rules.push(rule),
                Err(e) => cx.report(
                    e.at(cx.pos(item.start))
                        .with_key_path(format!("{key_path}[{i}]")),
                )?,
            }
        }
    }
    Ok(rules)
}

/// Writes the inline `BlobList` object for `rules` (paths and prefixes only).
/// Fails for rules JSON cannot carry (snapshot attributes).
pub(crate) fn blob_list_value(rules: &[Rule], camel: bool) -> Result<serde_json::Value, Error> {
    let keys = if camel { &CAMEL } else { &PASCAL };
    let mut paths = Vec::new();
    let mut prefixes = Vec::new();
    for rule in rules {
        match rule.kind() {
            RuleKind::Prefix => prefixes.push(rule.text()),
            RuleKind::Path => paths.push(&rule.text()[1..]),
            RuleKind::PathWithoutSnapshots | RuleKind::Snapshot(_) => {
                return Err(Error::new(
                    ErrorKind::Unrepresentable,
                    format!(
                        "{rule} (from {}) cannot be written as JSON: the JSON BlobList has no \
                         IncludeSnapshots or SnapshotTime, every JSON BlobPath takes all \
                         snapshots. Keep the XML blob list and name it with BlobListBlobPath \
                         (--blob-list-out FILE --blob-list-path container/name.xml)",
                        rule.origin()
                    ),
                ))
            }
        }
    }
    let mut obj = serde_json::Map::new();
    if !paths.is_empty() {
        obj.insert(keys.blob_path.into(), paths.into());
    }
    if !prefixes.is_empty() {
        obj.insert(keys.blob_path_prefix.into(), prefixes.into());
    }
    Ok(serde_json::Value::Object(obj))
}

/// The key names for an Export object with an inline list, or a blob list
/// blob path.
pub(crate) fn export_value(
    list: Option<serde_json::Value>,
    blob_path: Option<&str>,
    camel: bool,
) -> serde_json::Value {
    let keys = if camel { &CAMEL } else { &PASCAL };
    let mut obj = serde_json::Map::new();
    if let Some(list) = list {
        obj.insert(keys.blob_list.into(), list);
    }
    if let Some(path) = blob_path {
        obj.insert(keys.blob_list_blob_path.into(), path.into());
    }
    serde_json::Value::Object(obj)
}
