//! V103 `signature-algorithm-not-allowed`: the signature MUST use RSASSA-PKCS1-v1_5 or RSASSA-PSS with SHA-256/384/512, or ECDSA with SHA-256/384/512; MD2, MD4, MD5, SHA-1, SHA-224, DSA and EdDSA are not allowed
//!
//! Citation: BR 7.1.3.2.

use crate::csr::{Csr, Hash, SigAlg};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V103",
    name: "signature-algorithm-not-allowed",
    default_severity: Severity::Error,
    description: "the signature MUST use RSASSA-PKCS1-v1_5 or RSASSA-PSS with SHA-256/384/512, or ECDSA with SHA-256/384/512; MD2, MD4, MD5, SHA-1, SHA-224, DSA and EdDSA are not allowed",
    citation: "BR 7.1.3.2",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    let ok = match &csr.sig_alg {
        SigAlg::RsaPkcs1(h) | SigAlg::Ecdsa(h) => {
            matches!(h, Hash::Sha256 | Hash::Sha384 | Hash::Sha512)
        }
        SigAlg::RsaPss(Some(h)) => matches!(h, Hash::Sha256 | Hash::Sha384 | Hash::Sha512),
        _ => false,
    };
    if !ok {
        out.push(
            Hit::new(format!(
                "the request is signed with {}, which the Baseline Requirements do not allow",
                csr.sig_alg.describe()
            ))
            .at(csr.sig_offset(), "signatureAlgorithm")
            .note("sign with SHA-256 or stronger: openssl req -sha256, or csrkit generate"),
        );
    }
}
