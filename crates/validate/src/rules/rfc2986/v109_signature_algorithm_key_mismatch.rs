//! V109 `signature-algorithm-key-mismatch`: the signature algorithm MUST be one the subject public key can produce (an RSA key signs with RSA, an EC key with ECDSA)
//!
//! Citation: RFC 2986 §4.2; RFC 5280 §4.1.1.2.

use crate::csr::Csr;
use crate::keys::SigCheck;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V109",
    name: "signature-algorithm-key-mismatch",
    default_severity: Severity::Error,
    description: "the signature algorithm MUST be one the subject public key can produce (an RSA key signs with RSA, an EC key with ECDSA)",
    citation: "RFC 2986 §4.2; RFC 5280 §4.1.1.2",
    source: Source::Rfc2986,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let SigCheck::Mismatch(why) = csr.signature() {
        out.push(
            Hit::new(format!(
                "the signature algorithm does not fit the {} key: {why}",
                csr.key.describe()
            ))
            .at(csr.sig_offset(), "signatureAlgorithm")
            .note("the request pairs a public key with a signature it did not make (a forgery, or a broken tool); regenerate it from the key you will install"),
        );
    }
}
