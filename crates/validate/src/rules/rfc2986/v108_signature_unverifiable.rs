//! V108 `signature-unverifiable`: the self-signature MUST be checkable: a signature nobody can verify proves nothing, and a CA refuses the request
//!
//! Citation: RFC 2986 §3 and §4.2.
//!
//! The principle: anything a CA would refuse is an error. A signature csrkit
//! cannot verify (an RSA key over 16384 bits, an exponent over 64 bits with
//! a modulus over 3072, an unknown algorithm, a hash csrkit does not
//! implement such as MD5) is an error of its own, naming the algorithm; it
//! is never a silent pass. When the key itself is refused by another error
//! rule (V104 curve parameters, V308 curve, V309 point, V310 algorithm), that
//! rule names the cause and this one stays quiet.

use crate::csr::Csr;
use crate::keys::SigCheck;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V108",
    name: "signature-unverifiable",
    default_severity: Severity::Error,
    description: "the self-signature MUST be checkable: a signature nobody can verify proves nothing, and a CA refuses the request",
    citation: "RFC 2986 §3 and §4.2",
    source: Source::Rfc2986,
    since: "0.1.0",
    rationale: "A signature nobody can check proves nothing: csrkit never passes one silently. Not verified: RSA over 16384 bits, an exponent over 64 bits with a modulus over 3072 (OpenSSL's limits), MD2/MD4/MD5, unknown algorithms. When another error rule already refuses the key (V104, V308, V309, V310), that rule speaks instead.",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let SigCheck::Unverifiable(why) = csr.signature() {
        out.push(
            Hit::new(format!("the self-signature cannot be verified: {why}"))
                .at(csr.sig_offset(), "signatureAlgorithm")
                .note("sign with sha256WithRSAEncryption (RSA 2048–4096) or ecdsa-with-SHA256 (P-256): csrkit generate does"),
        );
    }
}
