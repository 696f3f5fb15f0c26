//! V308 `ec-curve-not-allowed`: an ECDSA key MUST be on P-256, P-384 or P-521
//!
//! Citation: BR 6.1.5.

use crate::csr::{Csr, Key, curve_name};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V308",
    name: "ec-curve-not-allowed",
    default_severity: Severity::Error,
    description: "an ECDSA key MUST be on P-256, P-384 or P-521",
    citation: "BR 6.1.5",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Ec { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Ec {
        curve: Some(curve), ..
    } = &csr.key
        && !matches!(
            curve.as_str(),
            "1.2.840.10045.3.1.7" | "1.3.132.0.34" | "1.3.132.0.35"
        )
    {
        out.push(
            Hit::new(format!(
                "the EC key is on {}, which the Baseline Requirements do not allow",
                curve_name(curve).unwrap_or(curve)
            ))
            .at(csr.key_offset(), "subjectPKInfo/algorithm/parameters")
            .note("use P-256 (prime256v1) or P-384 (secp384r1)"),
        );
    }
}
