//! `check`, `convert` and `plan`.

use std::io::Write;

use anyhow::{bail, Context, Result};
use blobsel::plan::ContainerScope;
use blobsel::{Form, Matcher, RuleId, RuleKind, RuleStatus, Selection};

use crate::args::{PlanOutputArg, TargetArg};
use crate::output::Output;

/// What `check` warns about (and `compile` shows): each a message, without
/// `warning: `.
pub fn warnings(selection: &Selection, matcher: &Matcher) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    if let Some(n) = selection.inline_json_bytes() {
        // Over the limit, parsing failed already.
        if n > blobsel::MAX_INLINE_BLOB_LIST_BYTES * 9 / 10 {
            warnings.push(format!(
                "{}: the inline BlobList is {n} bytes, close to the 32 KiB limit",
                selection.source()
            ));
        }
    }
    // Statuses first: a million rules are looked up whole only when they
    // have something to say.
    for id in (0..matcher.rule_count() as u32).map(RuleId) {
        match matcher.rule_status(id) {
            RuleStatus::Duplicate { of } => warnings.push(format!(
                "{} duplicates {}",
                matcher.rule(id),
                matcher.rule(of)
            )),
            RuleStatus::Covered { by } => warnings.push(format!(
                "{} is covered by {}",
                matcher.rule(id),
                matcher.rule(by)
            )),
            RuleStatus::Effective => {}
        }
    }
    for (rule, written) in selection.non_utc_snapshot_times() {
        if let Some(t) = rule.snapshot_time() {
            warnings.push(format!(
                "BlobPath {} ({}): SnapshotTime {written:?} is not in UTC; blobsel converts it to {t}, \
                 but the Blob service names snapshots in UTC and does not document how it \
                 reads an offset: write SnapshotTime=\"{t}\"",
                rule.text(),
                rule.origin()
            ));
        }
    }
    for (i, rule) in selection.rules()?.iter().enumerate() {
        if matches!(
            matcher.rule_status(RuleId(i as u32)),
            RuleStatus::Duplicate { .. }
        ) {
            continue; // warned about above, once
        }
        let at = rule.origin();
        if let Some(why) = rule.never_matches() {
            warnings.push(format!("{rule} ({at}) can never match: {why}"));
        } else if rule.spans_containers() && selection.container_sas().is_none() {
            warnings.push(format!("{rule} ({at}) {}", spanning(&rule.text()[1..])));
        }
    }
    if selection.rules()?.is_empty() {
        warnings.push(format!(
            "{}: the selection has no rules: it exports nothing",
            selection.source()
        ));
    }
    Ok(warnings)
}

/// What a prefix `/c` that ends inside a container name spans. Without a
/// listing no container name is known, so examples are patterns only
/// (`c`, `c2`, `…`), never a name that looks real.
fn spanning(c: &str) -> String {
    if c.is_empty() {
        "takes every blob in every container of the account".to_string()
    } else if blobsel::path::is_valid_container_name(c.as_bytes()) {
        format!(
            "ends inside a container name, so it spans every container whose name starts \
             with {c:?} ({c}, {c}2, …): write \"/{c}/\" for the container {c:?} alone"
        )
    } else {
        // No container is named just so ("ab", "a-"): only longer names
        // can match.
        format!(
            "ends inside a container name, so it spans every container whose name starts \
             with {c:?} (no container is named {c:?} itself)"
        )
    }
}

/// Validates and lints: prints the warnings and a summary line. Returns
/// the number of warnings.
pub fn check(selection: &Selection, matcher: &Matcher, w: &mut dyn Write) -> Result<usize> {
    let warnings = warnings(selection, matcher)?;
    for msg in &warnings {
        writeln!(w, "warning: {msg}")?;
    }
    let (mut prefixes, mut paths, mut no_snaps, mut snaps) = (0, 0, 0, 0);
    for rule in selection.rules()? {
        match rule.kind() {
            RuleKind::Prefix => prefixes += 1,
            RuleKind::Path => paths += 1,
            RuleKind::PathWithoutSnapshots => no_snaps += 1,
            RuleKind::Snapshot(_) => snaps += 1,
        }
    }
    let form = match selection.form() {
        Form::BlobListXml => "blob list XML",
        Form::ExportJson => "Export JSON",
        Form::PutJobBody => "Put Job body",
        Form::ArmJob => "ARM job",
        _ => "selection",
    };
    writeln!(
        w,
        "{}: valid {form}: {}: {}, {}, {}, {}; {}",
        selection.source(),
        plural(prefixes + paths + no_snaps + snaps, "rule"),
        plural(prefixes, "prefix"),
        plural(paths, "path"),
        plural(no_snaps, "path without snapshots"),
        plural(snaps, "snapshot"),
        plural(warnings.len(), "warning"),
    )?;
    Ok(warnings.len())
}

/// `1 rule`, `2 rules`, `2 prefixes`, `2 paths without snapshots`.
pub fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        return format!("1 {what}");
    }
    match what.split_once(' ') {
        Some((head, tail)) => format!("{n} {head}s {tail}"),
        None if what.ends_with('x') => format!("{n} {what}es"),
        None => format!("{n} {what}s"),
    }
}

pub fn convert(
    selection: &Selection,
    to: TargetArg,
    blob_list_out: Option<&std::path::Path>,
    blob_list_path: Option<&str>,
    out: &mut Output,
) -> Result<()> {
    let text = match (to, blob_list_out, blob_list_path) {
        (TargetArg::Xml, Some(_), _) => {
            bail!("--blob-list-out goes with --to json or --to arm-json")
        }
        (TargetArg::Xml, None, _) => selection.to_blob_list_xml()?,
        (target, Some(file), Some(path)) => {
            // Everything that can fail comes before FILE is written.
            let json =
                Selection::to_export_json_with_blob_list_path(path, target == TargetArg::ArmJson)?;
            let xml = selection.to_blob_list_xml()?;
            let mut f = Output::open(Some(file))?;
            f.write_all(xml.as_bytes())?;
            f.finish()
                .with_context(|| format!("cannot write {}", file.display()))?;
            json
        }
        (TargetArg::Json, ..) => selection.to_export_json()?,
        (TargetArg::ArmJson, ..) => selection.to_arm_json()?,
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}

pub fn plan(selection: &Selection, output: PlanOutputArg, w: &mut dyn Write) -> Result<usize> {
    let plan = selection.plan()?;
    for step in &plan.steps {
        match output {
            PlanOutputArg::Jsonl => {
                serde_json::to_writer(&mut *w, step)?;
                writeln!(w)?;
            }
            PlanOutputArg::Text => {
                let (what, name) = match &step.scope {
                    ContainerScope::Container(c) => ("container", c.clone()),
                    ContainerScope::NamePrefix(p) if p.is_empty() => {
                        ("every container", String::new())
                    }
                    ContainerScope::NamePrefix(p) => ("containers starting with", p.clone()),
                };
                let prefixes: Vec<String> = step
                    .blob_prefixes
                    .iter()
                    .map(|p| {
                        if p.is_empty() {
                            "(all blobs)".to_string()
                        } else {
                            format!("prefix={p}")
                        }
                    })
                    .collect();
                let sep = if name.is_empty() { "" } else { " " };
                writeln!(w, "{what}{sep}{name}: {}", prefixes.join(" "))?;
            }
        }
    }
    Ok(plan.steps.len())
}
