//! V314 `rsa-modulus-zero-chunks`: the RSA modulus MUST NOT show the zero-bit patterns of primes that factor as sparse polynomials
//!
//! Citation: BR 6.1.1.3(2). badkeys `rsapoly`: fewer than 40% one bits in
//! the whole modulus and in its lower half, without small factors.

use crate::csr::{Csr, Key};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};
use crate::{keys, weak};

pub(crate) static RULE: Rule = Rule {
    code: "V314",
    name: "rsa-modulus-zero-chunks",
    default_severity: Severity::Error,
    description: "the RSA modulus MUST NOT show the zero-bit patterns of primes that factor as sparse polynomials",
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
        && let Some(found) = weak::zero_chunks(n, keys::small_factor(n, csr.residues()).is_some())
    {
        let known = found
            .generator
            .map(|g| format!(" (the pattern badkeys calls {g:?})"))
            .unwrap_or_default();
        out.push(
            Hit::new(format!(
                "only {}% of the modulus bits are ones, in runs of zeros{known}: its primes \
                 have so few one bits that the modulus factors quickly",
                found.percent
            ))
            .at(csr.key_offset(), "subjectPKInfo/modulus")
            .note("the key generator is faulty; make a new key with a standard tool"),
        );
    }
}
