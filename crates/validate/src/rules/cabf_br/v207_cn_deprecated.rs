//! V207 `cn-deprecated`: the commonName is deprecated in subscriber certificates; the Baseline Requirements alone need only the subjectAltName
//!
//! Citation: BR 7.1.2.7.2 and 7.1.4.3 (NOT RECOMMENDED).

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::policy::Profile;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V207",
    name: "cn-deprecated",
    default_severity: Severity::Info,
    description: "the commonName is deprecated in subscriber certificates; the Baseline Requirements alone need only the subjectAltName",
    citation: "BR 7.1.2.7.2 and 7.1.4.3 (NOT RECOMMENDED)",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: Some(Profile::BrDv),
    applies: |csr, _| csr.cns().next().is_some(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Some((i, cn)) = csr.cns().next() {
        out.push(
            Hit::new("the subject holds a commonName, which the Baseline Requirements discourage")
                .at(cn.offset, format!("subject/CN[{i}]"))
                .note(
                    "keep it if the CA requires one (Alibaba CAS does: use the alibaba-dv profile)",
                ),
        );
    }
}
