//! V902 `key-type-not-accepted`: the key type MUST be one the target accepts: Alibaba Cloud CAS takes RSA (2048 bits or more) or ECDSA P-256/P-384 (or the policy's allowed_key_types)
//!
//! Citation: Alibaba CAS CreateCertificateWithCsrRequest (Csr: "RSA or ECC"); csrkit.toml allowed_key_types.

use crate::csr::{Csr, Key};
use crate::model::Severity;
use crate::policy::KeyType;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V902",
    name: "key-type-not-accepted",
    default_severity: Severity::Error,
    description: "the key type MUST be one the target accepts: Alibaba Cloud CAS takes RSA (2048 bits or more) or ECDSA P-256/P-384 (or the policy's allowed_key_types)",
    citation: "Alibaba CAS CreateCertificateWithCsrRequest (Csr: \"RSA or ECC\"); csrkit.toml allowed_key_types",
    source: Source::Aliyun,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, policy: &Policy, out: &mut Vec<Hit>) {
    let kt = match &csr.key {
        Key::Rsa { .. } => KeyType::Rsa,
        Key::Ec { curve: Some(c), .. } => match c.as_str() {
            "1.2.840.10045.3.1.7" => KeyType::P256,
            "1.3.132.0.34" => KeyType::P384,
            "1.3.132.0.35" => KeyType::P521,
            _ => return, // V308
        },
        Key::Ed25519 => KeyType::Ed25519,
        _ => return, // V310
    };
    if !policy.key_types().contains(&kt) {
        let allowed: Vec<&str> = policy.key_types().iter().map(|k| k.as_str()).collect();
        out.push(
            Hit::new(format!(
                "the key is {}, which is not accepted here (allowed: {})",
                csr.key.describe(),
                allowed.join(", ")
            ))
            .at(csr.key_offset(), "subjectPKInfo"),
        );
    }
}
