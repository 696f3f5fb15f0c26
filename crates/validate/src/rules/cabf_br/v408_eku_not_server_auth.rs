//! V408 `eku-not-server-auth`: a requested extKeyUsage SHOULD hold only id-kp-serverAuth (and optionally id-kp-clientAuth): anyExtendedKeyUsage, codeSigning, emailProtection, timeStamping and OCSPSigning are forbidden in a TLS server certificate
//!
//! Citation: BR 7.1.2.7.10.
//!
//! A warning, as V405 is: the BR's MUST NOT binds the certificate the CA
//! makes, and CAs build it from their own profile rather than copy a
//! requested extKeyUsage; a request asking for them is wrong but not
//! refused.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V408",
    name: "eku-not-server-auth",
    default_severity: Severity::Warning,
    description: "a requested extKeyUsage SHOULD hold only id-kp-serverAuth (and optionally id-kp-clientAuth): anyExtendedKeyUsage, codeSigning, emailProtection, timeStamping and OCSPSigning are forbidden in a TLS server certificate",
    citation: "BR 7.1.2.7.10",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "A warning, like V405: the MUST NOT binds the certificate, and CAs build it from their own profile rather than copying a requested extKeyUsage.",
    profile: None,
    applies: |csr, _| !csr.ekus.is_empty(),
    check,
};

fn eku_name(oid: &str) -> &str {
    match oid {
        "2.5.29.37.0" => "anyExtendedKeyUsage",
        "1.3.6.1.5.5.7.3.3" => "codeSigning",
        "1.3.6.1.5.5.7.3.4" => "emailProtection",
        "1.3.6.1.5.5.7.3.8" => "timeStamping",
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning",
        other => other,
    }
}

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for (offset, oid) in &csr.ekus {
        if matches!(oid.as_str(), "1.3.6.1.5.5.7.3.1" | "1.3.6.1.5.5.7.3.2") {
            continue;
        }
        out.push(
            Hit::new(format!(
                "the request asks for the extended key usage {}, which a TLS server certificate must not carry",
                eku_name(oid)
            ))
            .at(*offset, "extensionRequest/extKeyUsage")
            .note("drop extendedKeyUsage from the request, or ask for serverAuth only"),
        );
    }
}
