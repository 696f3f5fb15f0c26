//! V403 `extension-duplicate`: an extension MUST NOT appear more than once
//!
//! Citation: RFC 5280 §4.2.

use super::super::ext_name;
use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};
use crate::seen::Seen;

pub(crate) static RULE: Rule = Rule {
    code: "V403",
    name: "extension-duplicate",
    default_severity: Severity::Error,
    description: "an extension MUST NOT appear more than once",
    citation: "RFC 5280 §4.2",
    source: Source::Rfc5280,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| !csr.exts.is_empty(),
    check,
};

/// Linear in the number of extensions (a [`Seen`] of those seen).
fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    let mut seen = Seen::new();
    for ext in &csr.exts {
        if !seen.insert(ext.oid.as_str()) {
            out.push(
                Hit::new(format!(
                    "the extension {} is requested more than once",
                    ext_name(&ext.oid)
                ))
                .at(
                    ext.offset,
                    format!("extensionRequest/{}", ext_name(&ext.oid)),
                ),
            );
        }
    }
}
