//! Rendering reports: human (cargo-deny style), JSON, SARIF 2.1.0 and
//! GitHub workflow annotations.
//!
//! [`Renderer`] writes a document file by file to any `io::Write`, so a run
//! over a million files holds one report at a time; [`human`], [`json()`],
//! [`sarif`] and [`github`] render a whole list of `(path, report)` pairs to
//! a string with it. The output is the same either way.
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
use std::io;

use serde_json::{Value, json};

use crate::model::{Counts, Finding, Report, Severity};
use crate::rules::rules;
use csrkit_names::display_safe as safe;

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

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Human output in cargo-deny's style, one block per finding, then a
/// summary line. Text from the request and file names pass through
/// [`csrkit_names::display_safe`], so no control or bidi character reaches
/// the terminal. With `color`, severities are coloured with ANSI codes
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
    collect(Format::Human { color }, files)
}

/// The human format's last line. Inputs that could not be read are not
/// counted as checked: the line says how many there were, and their
/// errors are on stderr.
fn human_summary(out: &mut String, files: usize, unread: usize, requests: usize, c: Counts) {
    let _ = write!(
        out,
        "{} checked ({}): {}, {}, {}",
        plural(files - unread, "file"),
        plural(requests, "request"),
        plural(c.errors, "error"),
        plural(c.warnings, "warning"),
        plural(c.infos, "info"),
    );
    if unread > 0 {
        let _ = write!(
            out,
            "; {} not read (see the errors)",
            plural(unread, "input")
        );
    }
    out.push('\n');
}

fn human_file(out: &mut String, path: &str, report: &Report, color: bool) {
    let path = safe(path);
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
            f.severity,
            f.code,
            safe(&f.message)
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
                    let _ = writeln!(out, " ├ field: {} (DER byte {o})", safe(&loc.field));
                }
                Some(o) => {
                    let _ = writeln!(out, " ├ at: {} (byte {o})", safe(&loc.field));
                }
                None => {
                    let _ = writeln!(out, " ├ field: {}", safe(&loc.field));
                }
            }
        }
        if !f.citation.is_empty() {
            let _ = writeln!(out, " ├ citation: {}", f.citation);
        }
        for note in &f.notes {
            let _ = writeln!(out, " ├ note: {}", safe(note));
        }
        let _ = writeln!(out, " └ rule: {} (csrkit explain {})\n", f.name, f.code);
    }
}

/// The JSON document described in the module documentation, pretty-printed.
pub fn json<P: AsRef<str>>(files: &[(P, Report)]) -> String {
    collect(Format::Json, files)
}

/// One file's object in the JSON document, serialized from the report as
/// it stands: the text of [`json_file`]'s value without building the value
/// (a map and a string for every key: 7,500 instructions a file, measured
/// with callgrind).
#[derive(serde::Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    requests: Vec<JsonRequest<'a>>,
    findings: Vec<JsonFinding<'a>>,
}

#[derive(serde::Serialize)]
struct JsonRequest<'a> {
    index: usize,
    common_name: &'a Option<String>,
}

#[derive(serde::Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    name: &'static str,
    severity: Severity,
    message: &'a str,
    citation: &'static str,
    request: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<&'a crate::model::Location>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
}

impl<'a> JsonFile<'a> {
    fn new(path: &'a str, report: &'a Report) -> JsonFile<'a> {
        JsonFile {
            path,
            requests: report
                .requests
                .iter()
                .map(|r| JsonRequest {
                    index: r.index,
                    common_name: &r.common_name,
                })
                .collect(),
            findings: findings(report)
                .map(|(request, f)| JsonFinding {
                    code: f.code,
                    name: f.name,
                    severity: f.severity,
                    message: &f.message,
                    citation: f.citation,
                    request,
                    location: f.location.as_ref(),
                    notes: &f.notes,
                })
                .collect(),
        }
    }
}

/// One file's object in the JSON document, as a value: the definition
/// [`JsonFile`] is tested against.
#[cfg(test)]
fn json_file(path: &str, report: &Report) -> Value {
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
    json!({ "path": path, "requests": requests, "findings": fs })
}

#[cfg(test)]
fn json_document(files: Value, n: usize, requests: usize, c: Counts) -> Value {
    json_document_with(files, n, requests, c, 0)
}

fn json_document_with(
    files: Value,
    n: usize,
    requests: usize,
    c: Counts,
    input_errors: usize,
) -> Value {
    let mut doc = json!({
        "schema": JSON_SCHEMA,
        "files": files,
        "summary": {
            "files": n,
            "requests": requests,
            "errors": c.errors,
            "warnings": c.warnings,
            "infos": c.infos,
        },
    });
    if input_errors > 0 {
        doc["summary"]["input_errors"] = json!(input_errors);
    }
    doc
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
    collect(Format::Sarif, files)
}

/// The SARIF log with an empty `results` array: the frame results are
/// streamed into.
fn sarif_frame() -> Value {
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
    let results: Vec<Value> = Vec::new();
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
    doc
}

/// The SARIF results of one file.
fn sarif_results(path: &str, report: &Report) -> Vec<Value> {
    let catalogue = rules();
    let mut results = Vec::new();
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
                    "artifactLocation": { "uri": sarif_uri(path) },
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
    results
}

/// A URI reference for a path (RFC 3986): forward slashes, and every byte
/// but the unreserved characters, `/` and the sub-delimiters
/// percent-encoded, so a control character, a space, `#`, `?`, `%` or a
/// non-ASCII name in a file's name yields a valid reference, and a `:`
/// cannot make its first segment read as a scheme.
fn sarif_uri(path: &str) -> String {
    use std::fmt::Write as _;
    let p = path.replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p);
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// GitHub Actions workflow commands, one line per finding (control and
/// bidi characters escaped by [`csrkit_names::display_safe`], then `%`,
/// CR, LF, `:` and `,` as the workflow-command syntax requires):
/// `::error file=certs/www.csr,title=V204 cn-not-in-san::subject CN …`.
pub fn github<P: AsRef<str>>(files: &[(P, Report)]) -> String {
    collect(Format::Github, files)
}

fn github_file(out: &mut String, path: &str, report: &Report) {
    for (_, f) in findings(report) {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut msg = safe(&f.message).into_owned();
        if !f.citation.is_empty() {
            let _ = write!(msg, " ({})", f.citation);
        }
        let _ = writeln!(
            out,
            "::{level} file={},title={}::{}",
            escape_property(&safe(path)),
            escape_property(&format!("{} {}", f.code, f.name)),
            escape_data(&msg)
        );
    }
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
        assert_eq!(
            sarif_uri("a:b/x\n::error \u{1b}[31m\u{e9}?%.csr"),
            "a%3Ab/x%0A%3A%3Aerror%20%1B%5B31m%C3%A9%3F%25.csr"
        );
        assert_eq!(sarif_uri("certs\\www.csr"), "certs/www.csr");
    }
}

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// cargo-deny style blocks, then a summary line; ANSI colours if asked.
    Human {
        /// Colour the severities.
        color: bool,
    },
    /// The `csrkit.validate/1` document, pretty-printed.
    Json,
    /// SARIF 2.1.0, pretty-printed.
    Sarif,
    /// GitHub workflow commands (`::error file=…::…`), one line a finding.
    Github,
}

/// Writes one document, a file at a time, in the order given.
///
/// ```
/// use csrkit_validate::{render::{Format, Renderer}, validate, Policy};
///
/// let mut out = Vec::new();
/// let mut r = Renderer::new(&mut out, Format::Json)?;
/// r.file("a.csr", &validate(b"junk", &Policy::default()))?;
/// let counts = r.finish()?;
/// assert_eq!(counts.errors, 1);
/// let doc: serde_json::Value = serde_json::from_slice(&out)?;
/// assert_eq!(doc["files"][0]["findings"][0]["code"], "V100");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Renderer<W: io::Write> {
    out: W,
    format: Format,
    files: usize,
    requests: usize,
    counts: Counts,
    /// Items written into the open JSON array (files or SARIF results).
    items: usize,
    /// SARIF: the end of the frame, after the results array.
    tail: String,
    /// Inputs that could not be read: (path, why).
    input_errors: Vec<(String, String)>,
}

/// One file's share of a document, rendered apart from the others so that
/// the costly part of rendering runs on the thread that checked the file;
/// [`Renderer::add`] writes parts in order and keeps the totals.
///
/// ```
/// use csrkit_validate::{render::{Format, Part, Renderer}, validate, Policy};
///
/// let report = validate(b"junk", &Policy::default());
/// let part = Part::file(Format::Json, "a.csr", &report); // on any thread
/// let mut out = Vec::new();
/// let mut r = Renderer::new(&mut out, Format::Json)?;
/// r.add(part)?;
/// assert_eq!(r.finish()?.errors, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Part {
    text: String,
    /// Items of the open JSON array (files or SARIF results) it holds.
    items: usize,
    requests: usize,
    counts: Counts,
}

impl Part {
    /// Renders one file's report for `format`.
    pub fn file(format: Format, path: &str, report: &Report) -> Part {
        let mut text = String::new();
        let mut items = 0;
        match format {
            Format::Human { color } => human_file(&mut text, path, report, color),
            Format::Github => github_file(&mut text, path, report),
            Format::Json => {
                text = nested(&JsonFile::new(path, report), 4);
                items = 1;
            }
            Format::Sarif => {
                for result in sarif_results(path, report) {
                    if items > 0 {
                        text.push_str(separator(format, false));
                    }
                    text.push_str(&nested(&result, 8));
                    items += 1;
                }
            }
        }
        Part {
            text,
            items,
            requests: report.requests.len(),
            counts: report.counts(),
        }
    }
}

/// What goes before an item of the document's open array (JSON's files,
/// SARIF's results, nested 4 and 8 deep): a line break and the item's
/// indent, after a comma unless it is the first.
fn separator(format: Format, first: bool) -> &'static str {
    match (format, first) {
        (Format::Json, true) => "\n    ",
        (Format::Json, false) => ",\n    ",
        (Format::Sarif, true) => "\n        ",
        (Format::Sarif, false) => ",\n        ",
        _ => "",
    }
}

/// The text of a pretty-printed JSON value, every line but the first
/// indented by `indent` spaces: a value as `serde_json` prints it nested
/// at that depth.
fn nested(value: &impl serde::Serialize, indent: usize) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let pad = " ".repeat(indent);
    text.replace('\n', &format!("\n{pad}"))
}

/// Splits the pretty text of `doc` around the empty array `key: []`.
fn split_at_array(doc: &Value, key: &str) -> (String, String) {
    let text = serde_json::to_string_pretty(doc).unwrap_or_default();
    let marker = format!("\"{key}\": []");
    match text.find(&marker) {
        Some(i) => (
            text[..i + marker.len() - 1].to_owned(),
            text[i + marker.len() - 1..].to_owned(),
        ),
        None => (text, String::new()),
    }
}

impl<W: io::Write> Renderer<W> {
    /// Starts a document.
    pub fn new(mut out: W, format: Format) -> io::Result<Renderer<W>> {
        let mut tail = String::new();
        match format {
            Format::Json => {
                out.write_all(b"{\n  \"schema\": \"csrkit.validate/1\",\n  \"files\": [")?
            }
            Format::Sarif => {
                let (head, rest) = split_at_array(&sarif_frame(), "results");
                out.write_all(head.as_bytes())?;
                tail = rest;
            }
            Format::Human { .. } | Format::Github => {}
        }
        Ok(Renderer {
            out,
            format,
            files: 0,
            requests: 0,
            counts: Counts::default(),
            items: 0,
            tail,
            input_errors: Vec::new(),
        })
    }

    /// Adds a path that could not be read (missing, unreadable, too big):
    /// a file entry with `"error"` in JSON, a tool execution notification
    /// in SARIF; nothing in the human and GitHub formats, whose caller
    /// prints the error on stderr. The document stays whole.
    pub fn input_error(&mut self, path: &str, why: &str) -> io::Result<()> {
        self.files += 1;
        self.input_errors.push((path.to_owned(), why.to_owned()));
        if self.format == Format::Json {
            let mut text = String::from(separator(self.format, self.items == 0));
            let entry = json!({ "path": path, "error": why, "requests": [], "findings": [] });
            text.push_str(&nested(&entry, 4));
            self.items += 1;
            self.out.write_all(text.as_bytes())?;
        }
        Ok(())
    }

    /// Adds one file's report.
    pub fn file(&mut self, path: &str, report: &Report) -> io::Result<()> {
        self.add(Part::file(self.format, path, report))
    }

    /// Adds a file's [`Part`], rendered beforehand (on any thread) for
    /// this renderer's format. Parts are written in the order they are
    /// added. Render them with [`Renderer::format`]: a part of another
    /// format is written as it is.
    pub fn add(&mut self, part: Part) -> io::Result<()> {
        self.files += 1;
        self.requests += part.requests;
        self.counts.merge(part.counts);
        if part.items > 0 {
            self.out
                .write_all(separator(self.format, self.items == 0).as_bytes())?;
            self.items += part.items;
        }
        self.out.write_all(part.text.as_bytes())
    }

    /// The format this renderer writes, for rendering [`Part`]s.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Ends the document and returns the totals.
    pub fn finish(mut self) -> io::Result<Counts> {
        let mut text = String::new();
        match self.format {
            Format::Human { .. } => {
                human_summary(
                    &mut text,
                    self.files,
                    self.input_errors.len(),
                    self.requests,
                    self.counts,
                );
            }
            Format::Github => {}
            Format::Json => {
                let doc = json_document_with(
                    json!([]),
                    self.files,
                    self.requests,
                    self.counts,
                    self.input_errors.len(),
                );
                let (_, rest) = split_at_array(&doc, "files");
                if self.items > 0 {
                    text.push_str("\n  ");
                }
                text.push_str(&rest);
            }
            Format::Sarif => {
                if self.items > 0 {
                    text.push_str("\n      ");
                }
                // The tail starts with the `]` closing `results`; the run's
                // invocation, with a notification per unreadable input,
                // goes right after it.
                let (close, rest) = self.tail.split_at(self.tail.find(']').map_or(0, |i| i + 1));
                text.push_str(close);
                if !self.input_errors.is_empty() {
                    let notes: Vec<Value> = self
                        .input_errors
                        .iter()
                        .map(|(path, why)| {
                            json!({
                                "level": "error",
                                "message": { "text": format!("{path}: {why}") },
                                "locations": [{ "physicalLocation": {
                                    "artifactLocation": { "uri": sarif_uri(path) } } }],
                            })
                        })
                        .collect();
                    let invocation = json!([{
                        "executionSuccessful": false,
                        "toolExecutionNotifications": notes,
                    }]);
                    text.push_str(",\n      \"invocations\": ");
                    text.push_str(&nested(&invocation, 6));
                }
                text.push_str(rest);
            }
        }
        self.out.write_all(text.as_bytes())?;
        self.out.flush()?;
        Ok(self.counts)
    }
}

/// A whole document as a string.
fn collect<P: AsRef<str>>(format: Format, files: &[(P, Report)]) -> String {
    let mut out = Vec::new();
    let written = Renderer::new(&mut out, format).and_then(|mut r| {
        for (path, report) in files {
            r.file(path.as_ref(), report)?;
        }
        r.finish()
    });
    match written {
        Ok(_) => String::from_utf8(out).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod streaming_tests {
    use super::*;

    /// A file's object serialized from the report is the text of its
    /// value, on every fixture (findings with and without locations and
    /// notes, requests with and without a common name, several requests).
    #[test]
    fn json_file_serialized_is_its_value() {
        let mut dirs =
            vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")];
        let mut files = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        let mut seen = (0, 0, 0);
        for path in files {
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let report = crate::validate(&bytes, &crate::Policy::default());
            let label = path.display().to_string();
            assert_eq!(
                nested(&JsonFile::new(&label, &report), 4),
                nested(&json_file(&label, &report), 4),
                "{label}"
            );
            for (_, f) in findings(&report) {
                seen.0 += usize::from(f.location.is_some());
                seen.1 += usize::from(!f.notes.is_empty());
            }
            seen.2 += report
                .requests
                .iter()
                .filter(|r| r.common_name.is_none())
                .count();
        }
        assert!(seen.0 > 0 && seen.1 > 0 && seen.2 > 0, "{seen:?}");
    }

    /// The streamed documents are exactly what serde_json prints for the
    /// whole value, with and without items.
    #[test]
    fn streaming_matches_whole_documents() {
        let none: [(&str, Report); 0] = [];
        assert_eq!(
            json(&none),
            serde_json::to_string_pretty(&json_document(json!([]), 0, 0, Counts::default()))
                .unwrap()
        );
        assert_eq!(
            sarif(&none),
            serde_json::to_string_pretty(&sarif_frame()).unwrap()
        );
        let bad = crate::validate(b"junk", &crate::Policy::default());
        let two = [("a.csr", bad.clone()), ("b.csr", bad)];
        let files: Vec<Value> = two.iter().map(|(p, r)| json_file(p, r)).collect();
        let mut c = Counts::default();
        for (_, r) in &two {
            c.merge(r.counts());
        }
        let whole = json_document(Value::from(files), 2, 0, c);
        assert_eq!(json(&two), serde_json::to_string_pretty(&whole).unwrap());
        let streamed: Value = serde_json::from_str(&sarif(&two)).unwrap();
        assert_eq!(
            streamed["runs"][0]["results"].as_array().map(Vec::len),
            Some(2)
        );
    }
}
