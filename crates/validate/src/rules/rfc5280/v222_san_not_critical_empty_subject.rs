//! V222 `san-not-critical-empty-subject`: when the subject is empty, the subjectAltName extension MUST be critical
//!
//! Citation: RFC 5280 §4.2.1.6; BR 7.1.2.7.12.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V222",
    name: "san-not-critical-empty-subject",
    default_severity: Severity::Error,
    description: "when the subject is empty, the subjectAltName extension MUST be critical",
    citation: "RFC 5280 §4.2.1.6; BR 7.1.2.7.12",
    source: Source::Rfc5280,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| csr.san().is_some(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Some(ext) = csr.san()
        && csr.subject.is_empty()
        && !ext.critical
    {
        out.push(
            Hit::new("the subject is empty and subjectAltName is not marked critical")
                .at(ext.offset, "extensionRequest/subjectAltName/critical"),
        );
    }
}
