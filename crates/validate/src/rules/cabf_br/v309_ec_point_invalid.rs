//! V309 `ec-point-invalid`: the ECDSA public point SHOULD pass full public-key validation: on the curve, coordinates in range, not the point at infinity
//!
//! Citation: BR 6.1.6; NIST SP 800-56A §5.6.2.3.

#[allow(unused_imports)]
use crate::csr::{Csr, Hash, Key, SanKind, SigAlg, curve_name, ip_text};
#[allow(unused_imports)]
use crate::keys::{self, PointCheck, SigCheck};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V309",
    name: "ec-point-invalid",
    default_severity: Severity::Warning,
    description: "the ECDSA public point SHOULD pass full public-key validation: on the curve, coordinates in range, not the point at infinity",
    citation: "BR 6.1.6; NIST SP 800-56A §5.6.2.3",
    source: Source::CabfBr,
    since: "0.1.0",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Ec { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Ec {
        curve: Some(curve),
        point,
        ..
    } = &csr.key
        && let PointCheck::Invalid(why) = keys::check_point(curve, point)
    {
        out.push(
            Hit::new(format!("the EC public key is invalid: {why}"))
                .at(csr.key_offset(), "subjectPKInfo/subjectPublicKey"),
        );
    }
}
