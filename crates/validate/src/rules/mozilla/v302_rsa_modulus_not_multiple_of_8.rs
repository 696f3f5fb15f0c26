//! V302 `rsa-modulus-not-multiple-of-8`: an RSA modulus size in bits MUST be divisible by 8
//!
//! Citation: Mozilla Root Store Policy 5.1.

use crate::csr::{Csr, Key};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V302",
    name: "rsa-modulus-not-multiple-of-8",
    default_severity: Severity::Error,
    description: "an RSA modulus size in bits MUST be divisible by 8",
    citation: "Mozilla Root Store Policy 5.1",
    source: Source::Mozilla,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Rsa { bits, .. } = csr.key
        && bits % 8 != 0
    {
        out.push(
            Hit::new(format!(
                "the RSA modulus is {bits} bits, not a multiple of 8"
            ))
            .at(csr.key_offset(), "subjectPKInfo/modulus"),
        );
    }
}
