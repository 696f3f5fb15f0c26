//! V402 `challenge-password`: a challengePassword attribute is sent to the CA in clear text and ignored by it; leave it out
//!
//! Citation: RFC 2985 §5.4.1.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V402",
    name: "challenge-password",
    default_severity: Severity::Warning,
    description: "a challengePassword attribute is sent to the CA in clear text and ignored by it; leave it out",
    citation: "RFC 2985 §5.4.1",
    source: Source::Rfc2986,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| !csr.attrs.is_empty(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for attr in csr.attrs.iter().filter(|a| a.oid == "1.2.840.113549.1.9.7") {
        out.push(
            Hit::new("the request holds a challengePassword, readable by anyone who sees the CSR")
                .at(attr.offset, "attributes/challengePassword")
                .note("answer the 'challenge password' prompt of openssl req with an empty line"),
        );
    }
}
