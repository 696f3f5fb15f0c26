//! V101 `signature-invalid`: the request MUST be signed by the private key of the public key it carries (proof of possession), verified with the declared algorithm and parameters
//!
//! Citation: RFC 2986 §3 and §4.2.

use crate::csr::Csr;
use crate::keys::SigCheck;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V101",
    name: "signature-invalid",
    default_severity: Severity::Error,
    description: "the request MUST be signed by the private key of the public key it carries (proof of possession), verified with the declared algorithm and parameters",
    citation: "RFC 2986 §3 and §4.2",
    source: Source::Rfc2986,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let SigCheck::Invalid(why) = csr.signature() {
        out.push(
            Hit::new(format!(
                "the self-signature ({}) is invalid: {why}",
                csr.sig_alg.describe()
            ))
            .at(csr.sig_offset(), "signature")
            .note("the CSR was altered after signing, or signed with another key; regenerate it from the key you will install"),
        );
    }
}
