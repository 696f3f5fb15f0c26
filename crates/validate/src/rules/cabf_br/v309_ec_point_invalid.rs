//! V309 `ec-point-invalid`: the ECDSA public point MUST decode to a point of the curve: on the curve, coordinates in range, not the point at infinity
//!
//! Citation: RFC 5480 §2.2; SEC 1 v2 §2.3.4; BR 6.1.6; NIST SP 800-56A §5.6.2.3.
//!
//! An invalid point is not a key: no signature can verify with it, and a CA
//! refuses the request (OpenSSL cannot even decode it). So this is an error,
//! and the signature rules stay quiet about it (one finding for one cause).

use crate::csr::{Csr, Key};
use crate::keys::{self, PointCheck};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V309",
    name: "ec-point-invalid",
    default_severity: Severity::Error,
    description: "the ECDSA public point MUST decode to a point of the curve: on the curve, coordinates in range, not the point at infinity",
    citation: "RFC 5480 §2.2; SEC 1 v2 §2.3.4; BR 6.1.6; NIST SP 800-56A §5.6.2.3",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "A point off the curve is no key: nothing verifies with it and OpenSSL cannot decode it, so it is an error, and the signature rules stay quiet (one cause, one finding).",
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
