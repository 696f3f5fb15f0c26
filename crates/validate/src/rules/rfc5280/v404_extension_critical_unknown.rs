//! V404 `extension-critical-unknown`: a requested extension marked critical SHOULD be one the CA understands
//!
//! Citation: RFC 5280 §4.2.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V404",
    name: "extension-critical-unknown",
    default_severity: Severity::Warning,
    description: "a requested extension marked critical SHOULD be one the CA understands",
    citation: "RFC 5280 §4.2",
    source: Source::Rfc5280,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| !csr.exts.is_empty(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for ext in csr.exts.iter().filter(|e| e.critical && !e.known) {
        out.push(
            Hit::new(format!(
                "the unknown extension {} is marked critical",
                ext.oid
            ))
            .at(ext.offset, format!("extensionRequest/{}", ext.oid))
            .note("a CA that honours it must refuse the request; one that ignores it drops it"),
        );
    }
}
