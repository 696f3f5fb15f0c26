//! V203 `cn-multiple`: the subject SHOULD hold at most one commonName
//!
//! Citation: BR 7.1.4.3.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V203",
    name: "cn-multiple",
    default_severity: Severity::Warning,
    description: "the subject SHOULD hold at most one commonName",
    citation: "BR 7.1.4.3",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| csr.cns().nth(1).is_some(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    let cns: Vec<_> = csr.cns().collect();
    if cns.len() > 1 {
        let (i, second) = cns[1];
        out.push(
            Hit::new(format!(
                "the subject holds {} commonName attributes",
                cns.len()
            ))
            .at(second.offset, format!("subject/CN[{i}]"))
            .note("keep one CN (the primary domain) and list every name in subjectAltName"),
        );
    }
}
