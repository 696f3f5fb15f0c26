//! V317 `rsa-modulus-bit-bias`: the share of one bits in an RSA modulus SHOULD be near one half
//!
//! Citation: badkeys `rsabias`. A heuristic, so a warning: outside
//! 50 ± 10% (above 2000 bits) the modulus was shaped by something other
//! than random primes. With a random lower half it is a "vanity" key, whose
//! chosen upper half is not by itself a weakness.

use crate::csr::{Csr, Key};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};
use crate::{keys, weak};

pub(crate) static RULE: Rule = Rule {
    code: "V317",
    name: "rsa-modulus-bit-bias",
    default_severity: Severity::Warning,
    description: "the share of one bits in an RSA modulus SHOULD be near one half",
    citation: "badkeys rsabias",
    source: Source::Community,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Rsa { n, .. } = csr.key
        && let Some(found) = weak::bit_bias(n, keys::small_factor(n, csr.residues()).is_some())
    {
        let hit = Hit::new(format!(
            "{}% of the RSA modulus bits are ones, far from the 50% of random primes",
            found.percent
        ))
        .at(csr.key_offset(), "subjectPKInfo/modulus");
        out.push(if found.vanity {
            hit.note(
                "the lower half looks random: a \"vanity\" key with a chosen upper half; not \
                 broken by itself, but not what a standard tool makes",
            )
        } else {
            hit.note("the key generator is suspect; make a new key with a standard tool")
        });
    }
}
