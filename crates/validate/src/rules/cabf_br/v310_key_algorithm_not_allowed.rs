//! V310 `key-algorithm-not-allowed`: the public key MUST be RSA or ECDSA; DSA, EdDSA and other algorithms are not allowed
//!
//! Citation: BR 6.1.5.

use crate::csr::{Csr, Key};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V310",
    name: "key-algorithm-not-allowed",
    default_severity: Severity::Error,
    description: "the public key MUST be RSA or ECDSA; DSA, EdDSA and other algorithms are not allowed",
    citation: "BR 6.1.5",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    let why = match &csr.key {
        Key::Rsa { .. } | Key::Ec { .. } => return,
        Key::Other {
            reason: Some(r), ..
        } => r.clone(),
        other => format!(
            "{} keys are not allowed in TLS server certificates",
            other.describe()
        ),
    };
    out.push(
        Hit::new(format!("the public key algorithm is not allowed: {why}"))
            .at(csr.key_offset(), "subjectPKInfo/algorithm")
            .note("make an RSA (2048 bits or more) or ECDSA P-256 key"),
    );
}
