//! V307 `rsa-close-primes`: the RSA key MUST NOT have primes close enough for Fermat factorisation (100 rounds)
//!
//! Citation: BR 6.1.1.3(5)(3).

use crate::csr::{Csr, Key};
use crate::keys;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V307",
    name: "rsa-close-primes",
    default_severity: Severity::Error,
    description: "the RSA key MUST NOT have primes close enough for Fermat factorisation (100 rounds)",
    citation: "BR 6.1.1.3(5)(3)",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Rsa { n, .. } = csr.key
        && keys::fermat(n, 100).is_some()
    {
        out.push(
            Hit::new(
                "the RSA modulus factors by Fermat's method: its two primes are too close together",
            )
            .at(csr.key_offset(), "subjectPKInfo/modulus")
            .note(
                "the private key can be computed from the CSR; make a new key with a standard tool",
            ),
        );
    }
}
