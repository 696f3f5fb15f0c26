//! V104 `algorithm-encoding-improper`: AlgorithmIdentifiers MUST be encoded as the BRs list them: RSA key and PKCS#1 signature parameters NULL, ECDSA signature parameters absent, EC keys on a named curve
//!
//! Citation: BR 7.1.3.1 and 7.1.3.2; RFC 4055 §1.2; RFC 5480 §2.1.1.

use crate::csr::{Csr, Key, SigAlg};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};
use x509_parser::der_parser::asn1_rs::Tag;

pub(crate) static RULE: Rule = Rule {
    code: "V104",
    name: "algorithm-encoding-improper",
    default_severity: Severity::Error,
    description: "AlgorithmIdentifiers MUST be encoded as the BRs list them: RSA key and PKCS#1 signature parameters NULL, ECDSA signature parameters absent, EC keys on a named curve",
    citation: "BR 7.1.3.1 and 7.1.3.2; RFC 4055 §1.2; RFC 5480 §2.1.1",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    let spki = csr.key_offset();
    match &csr.key {
        Key::Rsa { params_null: false, pss: false, .. } => out.push(
            Hit::new("the rsaEncryption key AlgorithmIdentifier parameters are not NULL")
                .at(spki, "subjectPKInfo/algorithm/parameters"),
        ),
        Key::Ec { explicit: true, .. } => out.push(
            Hit::new("the EC key uses explicit curve parameters instead of a named curve")
                .at(spki, "subjectPKInfo/algorithm/parameters")
                .note("make the key with a named curve: openssl ecparam -name prime256v1 -genkey (without -param_enc explicit)"),
        ),
        Key::Ec { curve: None, explicit: false, .. } => out.push(
            Hit::new("the EC key has no curve parameters")
                .at(spki, "subjectPKInfo/algorithm/parameters"),
        ),
        _ => {}
    }
    match (&csr.sig_alg, csr.sig_params) {
        (SigAlg::RsaPkcs1(_), Some(Tag::Null)) => {}
        (SigAlg::RsaPkcs1(_), other) => out.push(
            Hit::new(format!(
                "the RSA signature AlgorithmIdentifier parameters are {}; they must be NULL",
                match other {
                    None => "absent".into(),
                    Some(t) => crate::der::tag_name(t.0),
                }
            ))
            .at(csr.sig_offset(), "signatureAlgorithm/parameters"),
        ),
        (SigAlg::Ecdsa(_), Some(t)) => out.push(
            Hit::new(format!(
                "the ECDSA signature AlgorithmIdentifier has parameters ({}); they must be absent",
                crate::der::tag_name(t.0)
            ))
            .at(csr.sig_offset(), "signatureAlgorithm/parameters"),
        ),
        _ => {}
    }
}
