//! V304 `rsa-exponent-not-recommended`: the RSA public exponent SHOULD be in the range 2^16+1 to 2^256-1 (65537 in practice)
//!
//! Citation: BR 6.1.6.

use crate::csr::{Csr, Key};
use crate::keys;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V304",
    name: "rsa-exponent-not-recommended",
    default_severity: Severity::Warning,
    description: "the RSA public exponent SHOULD be in the range 2^16+1 to 2^256-1 (65537 in practice)",
    citation: "BR 6.1.6",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Rsa {
        e,
        e_negative: false,
        ..
    } = &csr.key
    {
        let odd = e.last().is_some_and(|b| b % 2 == 1);
        let small = keys::small_exponent(e).is_some_and(|v| v <= 65536);
        let large = e.len() > 32;
        if odd && keys::small_exponent(e).is_none_or(|v| v >= 3) && (small || large) {
            out.push(
                Hit::new(format!(
                    "the RSA public exponent 0x{} is outside the recommended range 2^16+1..2^256-1",
                    hex::encode(e)
                ))
                .at(csr.key_offset(), "subjectPKInfo/publicExponent")
                .note("keys made by current tools use 65537"),
            );
        }
    }
}
