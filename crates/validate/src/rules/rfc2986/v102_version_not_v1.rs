//! V102 `version-not-v1`: the CertificationRequestInfo version MUST be 0 (v1)
//!
//! Citation: RFC 2986 §4.1.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V102",
    name: "version-not-v1",
    default_severity: Severity::Error,
    description: "the CertificationRequestInfo version MUST be 0 (v1)",
    citation: "RFC 2986 §4.1",
    source: Source::Rfc2986,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if csr.version != 0 {
        out.push(
            Hit::new(format!(
                "the request version is {} (v{}); PKCS #10 defines only 0 (v1)",
                csr.version,
                u64::from(csr.version) + 1
            ))
            .at(csr.version_offset(), "certificationRequestInfo/version")
            .note("regenerate the CSR with a standard tool (openssl req, csrkit generate)"),
        );
    }
}
