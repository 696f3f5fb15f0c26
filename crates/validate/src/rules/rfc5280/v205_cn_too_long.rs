//! V205 `cn-too-long`: the commonName MUST be at most 64 characters (ub-common-name)
//!
//! Citation: RFC 5280 Appendix A (ub-common-name); BR 7.1.4.2.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V205",
    name: "cn-too-long",
    default_severity: Severity::Error,
    description: "the commonName MUST be at most 64 characters (ub-common-name)",
    citation: "RFC 5280 Appendix A (ub-common-name); BR 7.1.4.2",
    source: Source::Rfc5280,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| csr.cns().next().is_some(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for (i, cn) in csr.cns() {
        let Some(text) = cn.text() else { continue };
        let len = text.chars().count();
        if len > 64 {
            out.push(
                Hit::new(format!("subject CN is {len} characters long; the limit is 64"))
                    .at(cn.offset, format!("subject/CN[{i}]"))
                    .note("put a shorter name in the CN (the CA requires one) and the long name in subjectAltName only"),
            );
        }
    }
}
