//! V312 `rsa-known-shared-prime`: the RSA modulus MUST NOT have a prime factor that other public keys are known to share
//!
//! Citation: BR 6.1.1.3(5). The primes are badkeys' `sharedprimes` data
//! (batch GCD over public keys found in the wild; `data/badkeys/`).

use crate::csr::{Csr, Key};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};
use crate::weak;

pub(crate) static RULE: Rule = Rule {
    code: "V312",
    name: "rsa-known-shared-prime",
    default_severity: Severity::Error,
    description: "the RSA modulus MUST NOT have a prime factor that other public keys are known to share",
    citation: "BR 6.1.1.3(5)",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Rsa { n, .. } = csr.key
        && let Some(found) = weak::known_shared_prime(n)
    {
        let what = if found.factored {
            format!(
                "the RSA modulus has a {}-bit prime factor that other public keys share; \
                 anyone can factor it",
                found.factor_bits
            )
        } else {
            "both primes of the RSA modulus are known from other public keys".to_owned()
        };
        out.push(
            Hit::new(what)
                .at(csr.key_offset(), "subjectPKInfo/modulus")
                .note(
                    "the key came from a generator with too little randomness (a device or \
                     library seeded at boot); make a new key on a machine with a sound RNG",
                ),
        );
    }
}
