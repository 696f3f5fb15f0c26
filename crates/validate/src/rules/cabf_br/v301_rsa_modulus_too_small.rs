//! V301 `rsa-modulus-too-small`: an RSA modulus MUST be at least 2048 bits (or the policy minimum, if higher)
//!
//! Citation: BR 6.1.5; Mozilla Root Store Policy 5.1.

use crate::csr::{Csr, Key};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V301",
    name: "rsa-modulus-too-small",
    default_severity: Severity::Error,
    description: "an RSA modulus MUST be at least 2048 bits (or the policy minimum, if higher)",
    citation: "BR 6.1.5; Mozilla Root Store Policy 5.1",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, policy: &Policy, out: &mut Vec<Hit>) {
    if let Key::Rsa { bits, .. } = csr.key {
        let min = policy.min_rsa_bits();
        if bits < min {
            let mut hit = Hit::new(format!(
                "the RSA key is {bits} bits; at least {min} are required"
            ))
            .at(csr.key_offset(), "subjectPKInfo")
            .note("make a new key: csrkit generate --key-type rsa2048 (or p256)");
            if bits < 2048 {
                hit = hit.note(
                    "the signature of a key this small is not checked by the TLS verifier either",
                );
            }
            out.push(hit);
        }
    }
}
