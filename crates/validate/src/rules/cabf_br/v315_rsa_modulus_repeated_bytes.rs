//! V315 `rsa-modulus-repeated-bytes`: the RSA modulus MUST NOT contain a run of 16 equal bytes
//!
//! Citation: BR 6.1.1.3(2). badkeys `pattern`: a random modulus has such
//! a run with probability about 2^-112; a generator that fills its
//! candidates with a constant makes them.

use crate::csr::{Csr, Key};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};
use crate::weak;

pub(crate) static RULE: Rule = Rule {
    code: "V315",
    name: "rsa-modulus-repeated-bytes",
    default_severity: Severity::Error,
    description: "the RSA modulus MUST NOT contain a run of 16 equal bytes",
    citation: "BR 6.1.1.3(2)",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Rsa { n, .. } = csr.key
        && let Some((at, byte)) = weak::repeated_bytes(n)
    {
        out.push(
            Hit::new(format!(
                "the RSA modulus repeats the byte {byte:#04x} 16 or more times from byte {at}: \
                 it was not made from random primes"
            ))
            .at(csr.key_offset(), "subjectPKInfo/modulus")
            .note("the key generator is faulty; make a new key with a standard tool"),
        );
    }
}
