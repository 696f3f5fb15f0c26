//! The report types: severities, findings, locations and reports.

use std::fmt;

use serde::Serialize;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
///
/// Following zlint's policy, `Error` is reserved for violations of a MUST or
/// MUST NOT with a citation; a heuristic is never an `Error` by default.
/// Severities can be remapped by [`crate::Policy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A tip or a fact worth knowing.
    Info,
    /// A SHOULD or SHOULD NOT is broken, or a heuristic fired.
    Warning,
    /// A MUST or MUST NOT is broken: the request will be refused or the
    /// certificate will be wrong.
    Error,
}

impl Severity {
    /// The lower-case name: `error`, `warning` or `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    /// Parses `error`, `warning` (or `warn`) and `info` (or `note`).
    pub fn parse(text: &str) -> Option<Severity> {
        match text.trim().to_ascii_lowercase().as_str() {
            "error" | "deny" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            "info" | "note" | "notice" => Some(Severity::Info),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where in the input a finding points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Byte offset in the DER of the request (for findings about the input
    /// as a whole: in the input), when known.
    pub der_offset: Option<usize>,
    /// The field, as a path such as `subject/CN[0]` or
    /// `extensionRequest/subjectAltName/dNSName[1]`.
    pub field: String,
}

/// One problem found, with everything needed to act on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's stable code, such as `V204`.
    pub code: &'static str,
    /// The rule's kebab-case name, such as `cn-not-in-san`.
    pub name: &'static str,
    /// The severity after the policy was applied.
    pub severity: Severity,
    /// What is wrong, naming the value at fault.
    pub message: String,
    /// Where, when it can be said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Further explanation and what to do.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The requirement broken, such as `BR 7.1.4.3`.
    pub citation: &'static str,
}

/// The findings about one certification request found in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RequestReport {
    /// Zero-based position of the request among the requests of the input.
    pub index: usize,
    /// Byte offset of the request in the input (of its PEM armour, or 0 for
    /// DER).
    pub input_offset: usize,
    /// The subject common name, if the request has one (for display).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub common_name: Option<String>,
    /// The findings, sorted by severity (worst first), then code.
    pub findings: Vec<Finding>,
}

/// The result of [`crate::validate`]: one report per request, plus findings
/// about the input as a whole (not a CSR, a private key, a certificate...).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// One entry per certification request found, in input order.
    pub requests: Vec<RequestReport>,
    /// Findings about the input itself rather than about one request.
    pub findings: Vec<Finding>,
}

/// How many findings of each severity a report holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Findings of severity `error`.
    pub errors: usize,
    /// Findings of severity `warning`.
    pub warnings: usize,
    /// Findings of severity `info`.
    pub infos: usize,
}

impl Counts {
    /// Adds a finding of this severity.
    pub fn add(&mut self, severity: Severity) {
        match severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
            Severity::Info => self.infos += 1,
        }
    }

    /// Adds another count to this one.
    pub fn merge(&mut self, other: Counts) {
        self.errors += other.errors;
        self.warnings += other.warnings;
        self.infos += other.infos;
    }
}

impl Report {
    /// Every finding: input-level first, then each request's in order.
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .chain(self.requests.iter().flat_map(|r| r.findings.iter()))
    }

    /// The worst severity of any finding, `None` when there is none. A CLI
    /// exits 1 when this is at or above its `--fail-on` level.
    pub fn worst_severity(&self) -> Option<Severity> {
        self.all_findings().map(|f| f.severity).max()
    }

    /// Whether any finding is at or above `level`.
    pub fn fails(&self, level: Severity) -> bool {
        self.worst_severity().is_some_and(|s| s >= level)
    }

    /// The number of findings of each severity.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for f in self.all_findings() {
            c.add(f.severity);
        }
        c
    }

    /// Whether the report holds a finding with this code.
    pub fn has(&self, code: &str) -> bool {
        self.all_findings().any(|f| f.code == code)
    }
}
