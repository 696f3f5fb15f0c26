//! V306 `rsa-roca`: the RSA key MUST NOT be one of the weak keys of the Infineon library (ROCA, CVE-2017-15361)
//!
//! Citation: BR 6.1.1.3(5)(2).

use crate::csr::{Csr, Key};
use crate::keys;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V306",
    name: "rsa-roca",
    default_severity: Severity::Error,
    description: "the RSA key MUST NOT be one of the weak keys of the Infineon library (ROCA, CVE-2017-15361)",
    citation: "BR 6.1.1.3(5)(2)",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if matches!(csr.key, Key::Rsa { .. }) && keys::roca_fingerprint(csr.residues()) {
        out.push(
                Hit::new("the RSA modulus has the ROCA fingerprint (CVE-2017-15361): its private key can be computed")
                    .at(csr.key_offset(), "subjectPKInfo/modulus")
                    .note("the key came from an Infineon chip or library with the flaw; update its firmware and make a new key"),
            );
    }
}
