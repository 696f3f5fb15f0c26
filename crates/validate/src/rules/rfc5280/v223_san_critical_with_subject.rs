//! V223 `san-critical-with-subject`: when the subject is not empty, the subjectAltName extension SHOULD NOT be critical
//!
//! Citation: RFC 5280 §4.2.1.6; BR 7.1.2.7.12.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V223",
    name: "san-critical-with-subject",
    default_severity: Severity::Warning,
    description: "when the subject is not empty, the subjectAltName extension SHOULD NOT be critical",
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
        && !csr.subject.is_empty()
        && ext.critical
    {
        out.push(
            Hit::new("subjectAltName is marked critical although the subject is not empty")
                .at(ext.offset, "extensionRequest/subjectAltName/critical")
                .note(
                    "some CAs have refused such requests; drop 'critical,' from the openssl config",
                ),
        );
    }
}
