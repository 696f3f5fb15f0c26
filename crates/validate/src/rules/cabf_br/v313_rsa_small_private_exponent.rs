//! V313 `rsa-small-private-exponent`: the RSA private exponent MUST NOT be small enough for Wiener's attack
//!
//! Citation: BR 6.1.1.3(3). badkeys `smalld`: a large public exponent
//! paired with a private exponent below about n^(1/4) gives the factors
//! from the continued fraction of e/n.

use crate::csr::{Csr, Key};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};
use crate::weak;

pub(crate) static RULE: Rule = Rule {
    code: "V313",
    name: "rsa-small-private-exponent",
    default_severity: Severity::Error,
    description: "the RSA private exponent MUST NOT be small enough for Wiener's attack",
    citation: "BR 6.1.1.3(3)",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Rsa {
        n,
        e,
        e_negative: false,
        ..
    } = csr.key
        && let Some(d_bits) = weak::small_private_exponent(n, e)
    {
        out.push(
            Hit::new(format!(
                "the public exponent ({} bits) gives away a {d_bits}-bit private exponent \
                 (Wiener's attack); the key is broken",
                e.len() * 8 - e.first().map_or(0, |b| b.leading_zeros() as usize)
            ))
            .at(csr.key_offset(), "subjectPKInfo/publicExponent")
            .note(
                "the key was made by choosing a small d (or by swapping d and e); make a new \
                 key with a standard tool and e = 65537",
            ),
        );
    }
}
