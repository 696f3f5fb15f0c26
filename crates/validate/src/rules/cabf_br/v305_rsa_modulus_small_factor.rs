//! V305 `rsa-modulus-small-factor`: the RSA modulus SHOULD be odd and have no prime factor below 752
//!
//! Citation: BR 6.1.6.

use crate::csr::{Csr, Key};
use crate::keys;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V305",
    name: "rsa-modulus-small-factor",
    default_severity: Severity::Warning,
    description: "the RSA modulus SHOULD be odd and have no prime factor below 752",
    citation: "BR 6.1.6",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Rsa { n, .. } = csr.key
        && let Some(p) = keys::small_factor(n, csr.residues())
    {
        out.push(
            Hit::new(format!(
                "the RSA modulus is divisible by {p}; the key is broken"
            ))
            .at(csr.key_offset(), "subjectPKInfo/modulus")
            .note("the key generator is faulty; make a new key with a standard tool"),
        );
    }
}
