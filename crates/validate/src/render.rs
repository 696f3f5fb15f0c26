//! Rendering reports: human (cargo-deny style), JSON, SARIF 2.1.0 and
//! GitHub workflow annotations.
//!
//! Every renderer takes the list of `(path, report)` pairs of one run, in
//! the order they should appear, and returns the whole document as a
//! string; nothing here prints.
//!
//! # The JSON document (`csrkit.validate/1`)
//!
//! One document per run, so `jq` reads it without stitching lines:
//!
//! ```json
//! {
//!   "schema": "csrkit.validate/1",
//!   "files": [
//!     {
//!       "path": "certs/www.csr",
//!       "requests": [ { "index": 0, "common_name": "www.example.com" } ],
//!       "findings": [
//!         {
//!           "code": "V204",
//!           "name": "cn-not-in-san",
//!           "severity": "error",
//!           "message": "subject CN \"www.example.com\" is not in subjectAltName",
//!           "citation": "BR 7.1.4.3",
//!           "request": 0,
//!           "location": { "der_offset": 87, "field": "subject/CN[0]" },
//!           "notes": [ "add DNS:www.example.com to subjectAltName, ..." ]
//!         }
//!       ]
//!     }
//!   ],
//!   "summary": { "files": 1, "requests": 1, "errors": 1, "warnings": 0, "infos": 0 }
//! }
//! ```
//!
//! - `schema` changes only when a field is removed or changes meaning;
//!   fields may be added.
//! - `severity` is `"error"`, `"warning"` or `"info"`, after the policy.
//! - `request` is the zero-based index of the request in the file, or
//!   `null` for a finding about the file itself (not a CSR, a private key,
//!   a certificate). `location` and `notes` may be absent; `der_offset`
//!   may be `null`.
//! - Findings are ordered: file-level first, then per request, worst
//!   severity first, then by code.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::model::{Counts, Finding, Report, Severity};
use crate::rules::rules;

/// The `schema` value of the JSON document.
pub const JSON_SCHEMA: &str = "csrkit.validate/1";

/// Findings of one file with the request they belong to.
fn findings(report: &Report) -> impl Iterator<Item = (Option<usize>, &Finding)> {
    report.findings.iter().map(|f| (None, f)).chain(
        report
            .requests
            .iter()
            .flat_map(|r| r.findings.iter().map(move |f| (Some(r.index), f))),
    )
}

fn totals<P: AsRef<str>>(files: &[(P, Report)]) -> Counts {
    let mut c = Counts::default();
    for (_, r) in files {
        c.merge(r.counts());
    }
    c
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Human output in cargo-deny's style, one block per finding, then a
/// summary line. With `color`, severities are coloured with ANSI codes
/// (the caller decides: terminal, `NO_COLOR`).
///
/// ```text
/// error[V204]: subject CN "www.example.com" is not in subjectAltName
///  ┌─ certs/www.csr (request 1)
///  ├ field: subject/CN[0] (DER byte 87)
///  ├ citation: BR 7.1.4.3
///  └ rule: cn-not-in-san
/// ```
pub fn human<P: AsRef<str>>(files: &[(P, Report)], color: bool) -> String {
    let mut out = String::new();
    for (path, report) in files {
        let path = path.as_ref();
        for (request, f) in findings(report) {
            let (open, close) = match (color, f.severity) {
                (false, _) => ("", ""),
                (true, Severity::Error) => ("\x1b[1;31m", "\x1b[0m"),
                (true, Severity::Warning) => ("\x1b[1;33m", "\x1b[0m"),
                (true, Severity::Info) => ("\x1b[1;36m", "\x1b[0m"),
            };
            let _ = writeln!(
                out,
                "{open}{}[{}]{close}: {}",
                f.severity, f.code, f.message
            );
            match request {
                Some(i) if report.requests.len() > 1 => {
                    let _ = writeln!(out, " ┌─ {path} (request {})", i + 1);
                }
                _ => {
                    let _ = writeln!(out, " ┌─ {path}");
                }
            }
            if let Some(loc) = &f.location {
                match loc.der_offset {
                    Some(o) if request.is_some() => {
                        let _ = writeln!(out, " ├ field: {} (DER byte {o})", loc.field);
                    }
                    Some(o) => {
                        let _ = writeln!(out, " ├ at: {} (byte {o})", loc.field);
                    }
                    None => {
                        let _ = writeln!(out, " ├ field: {}", loc.field);
                    }
                }
            }
            if !f.citation.is_empty() {
                let _ = writeln!(out, " ├ citation: {}", f.citation);
            }
            for note in &f.notes {
                let _ = writeln!(out, " ├ note: {note}");
            }
            let _ = writeln!(out, " └ rule: {} (csrkit explain {})\n", f.name, f.code);
        }
    }
    let c = totals(files);
    let requests: usize = files.iter().map(|(_, r)| r.requests.len()).sum();
    let _ = writeln!(
        out,
        "{} checked ({}): {}, {}, {}",
        plural(files.len(), "file"),
        plural(requests, "request"),
        plural(c.errors, "error"),
        plural(c.warnings, "warning"),
        plural(c.infos, "info"),
    );
    out
}

/// The JSON document described in the module documentation, pretty-printed.
pub fn json<P: AsRef<str>>(files: &[(P, Report)]) -> String {
    let c = totals(files);
    let files_json: Vec<Value> = files
        .iter()
        .map(|(path, report)| {
            let requests: Vec<Value> = report
                .requests
                .iter()
                .map(|r| json!({ "index": r.index, "common_name": r.common_name }))
                .collect();
            let fs: Vec<Value> = findings(report)
                .map(|(request, f)| {
                    let mut v = json!({
                        "code": f.code,
                        "name": f.name,
                        "severity": f.severity,
                        "message": f.message,
                        "citation": f.citation,
                        "request": request,
                    });
                    if let Some(loc) = &f.location {
                        v["location"] = json!({ "der_offset": loc.der_offset, "field": loc.field });
                    }
                    if !f.notes.is_empty() {
                        v["notes"] = json!(f.notes);
                    }
                    v
                })
                .collect();
            json!({ "path": path.as_ref(), "requests": requests, "findings": fs })
        })
        .collect();
    let doc = json!({
        "schema": JSON_SCHEMA,
        "files": files_json,
        "summary": {
            "files": files.len(),
            "requests": files.iter().map(|(_, r)| r.requests.len()).sum::<usize>(),
            "errors": c.errors,
            "warnings": c.warnings,
            "infos": c.infos,
        },
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A SARIF 2.1.0 log for code scanning: one run, the whole rule catalogue
/// as `tool.driver.rules` (with descriptions, citations and default
/// levels), one result per finding located at its file.
pub fn sarif<P: AsRef<str>>(files: &[(P, Report)]) -> String {
    let catalogue = rules();
    let rule_meta: Vec<Value> = catalogue
        .iter()
        .map(|r| {
            json!({
                "id": r.code(),
                "name": r.name(),
                "shortDescription": { "text": r.description() },
                "fullDescription": { "text": format!("{} ({})", r.description(), r.citation()) },
                "help": { "text": r.to_string() },
                "defaultConfiguration": { "level": sarif_level(r.default_severity()) },
                "properties": {
                    "tags": [r.source().as_str()],
                    "citation": r.citation(),
                },
            })
        })
        .collect();
    let mut results = Vec::new();
    for (path, report) in files {
        for (request, f) in findings(report) {
            let index = catalogue.iter().position(|r| r.code() == f.code);
            let mut text = f.message.clone();
            for note in &f.notes {
                text.push('\n');
                text.push_str(note);
            }
            let mut props = json!({ "name": f.name, "citation": f.citation, "request": request });
            if let Some(loc) = &f.location {
                props["field"] = json!(loc.field);
                props["der_offset"] = json!(loc.der_offset);
            }
            let mut result = json!({
                "ruleId": f.code,
                "level": sarif_level(f.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": sarif_uri(path.as_ref()) },
                        "region": { "startLine": 1 },
                    }
                }],
                "properties": props,
            });
            // ruleIndex must be an integer when present (SARIF 2.1.0 §3.27.6).
            if let Some(i) = index {
                result["ruleIndex"] = json!(i);
            }
            results.push(result);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "csrkit",
                    "informationUri": "https://github.com/csrkit/csrkit",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rule_meta,
                }
            },
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// A relative URI reference for a path: forward slashes, spaces and `%`
/// escaped.
fn sarif_uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p);
    let mut out = String::with_capacity(p.len());
    for c in p.chars() {
        match c {
            '%' => out.push_str("%25"),
            ' ' => out.push_str("%20"),
            '#' => out.push_str("%23"),
            '?' => out.push_str("%3F"),
            c => out.push(c),
        }
    }
    out
}

/// GitHub Actions workflow commands, one line per finding:
/// `::error file=certs/www.csr,title=V204 cn-not-in-san::subject CN …`.
pub fn github<P: AsRef<str>>(files: &[(P, Report)]) -> String {
    let mut out = String::new();
    for (path, report) in files {
        for (_, f) in findings(report) {
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            let mut msg = f.message.clone();
            if !f.citation.is_empty() {
                let _ = write!(msg, " ({})", f.citation);
            }
            let _ = writeln!(
                out,
                "::{level} file={},title={}::{}",
                escape_property(path.as_ref()),
                escape_property(&format!("{} {}", f.code, f.name)),
                escape_data(&msg)
            );
        }
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes() {
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
        assert_eq!(escape_data("50%\r\n"), "50%25%0D%0A");
        assert_eq!(sarif_uri("./my dir/a#b.csr"), "my%20dir/a%23b.csr");
    }
}
