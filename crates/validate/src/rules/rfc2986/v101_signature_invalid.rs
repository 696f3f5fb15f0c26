//! V101 `signature-invalid`: the request MUST be signed by the private key of the public key it carries (proof of possession)
//!
//! Citation: RFC 2986 §3 and §4.2.

#[allow(unused_imports)]
use crate::csr::{Csr, Hash, Key, SanKind, SigAlg, curve_name, ip_text};
#[allow(unused_imports)]
use crate::keys::{self, PointCheck, SigCheck};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V101",
    name: "signature-invalid",
    default_severity: Severity::Error,
    description: "the request MUST be signed by the private key of the public key it carries (proof of possession)",
    citation: "RFC 2986 §3 and §4.2",
    source: Source::Rfc2986,
    since: "0.1.0",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let SigCheck::Invalid(why) = keys::verify(csr) {
        out.push(
            Hit::new(format!("the self-signature is invalid: {why}"))
                .at(csr.sig_offset(), "signature")
                .note("the CSR was altered after signing, or signed with another key; regenerate it from the key you will install"),
        );
    }
}
