//! V303 `rsa-exponent-invalid`: the RSA public exponent MUST be an odd number greater than or equal to 3
//!
//! Citation: BR 6.1.6; Mozilla Root Store Policy 5.2.

use crate::csr::{Csr, Key};
use crate::keys;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V303",
    name: "rsa-exponent-invalid",
    default_severity: Severity::Error,
    description: "the RSA public exponent MUST be an odd number greater than or equal to 3",
    citation: "BR 6.1.6; Mozilla Root Store Policy 5.2",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Rsa { e, e_negative, .. } = &csr.key {
        let why = if *e_negative {
            Some("it is negative".to_owned())
        } else if e.last().is_none_or(|b| b % 2 == 0) {
            Some("it is even".to_owned())
        } else if keys::small_exponent(e).is_some_and(|v| v < 3) {
            Some("it is 1".to_owned())
        } else {
            None
        };
        if let Some(why) = why {
            out.push(
                Hit::new(format!(
                    "the RSA public exponent 0x{} is invalid: {why}",
                    hex::encode(e)
                ))
                .at(csr.key_offset(), "subjectPKInfo/publicExponent")
                .note("make a new key with the exponent 65537"),
            );
        }
    }
}
