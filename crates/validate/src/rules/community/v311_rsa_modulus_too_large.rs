//! V311 `rsa-modulus-too-large`: an RSA modulus above 4096 bits is refused by many CAs and is slow for every client
//!
//! Citation: CA practice (Let's Encrypt: key too large > 4096); Alibaba CreateCsr offers 2048/3072/4096.

use crate::csr::{Csr, Key};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V311",
    name: "rsa-modulus-too-large",
    default_severity: Severity::Warning,
    description: "an RSA modulus above 4096 bits is refused by many CAs and is slow for every client",
    citation: "CA practice (Let's Encrypt: key too large > 4096); Alibaba CreateCsr offers 2048/3072/4096",
    source: Source::Community,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Rsa { bits, .. } = csr.key
        && bits > 4096
    {
        out.push(
            Hit::new(format!(
                "the RSA key is {bits} bits; CAs commonly refuse keys above 4096"
            ))
            .at(csr.key_offset(), "subjectPKInfo"),
        );
    }
}
