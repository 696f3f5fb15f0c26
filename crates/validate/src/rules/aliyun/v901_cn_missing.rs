//! V901 `cn-missing`: Alibaba Cloud CAS binds the certificate to the CSR's commonName: the request MUST have one
//!
//! Citation: Alibaba CAS CreateCertificateWithCsrRequest (Csr: "the CN field of the CSR is the domain bound to the certificate").

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::policy::Profile;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V901",
    name: "cn-missing",
    default_severity: Severity::Error,
    description: "Alibaba Cloud CAS binds the certificate to the CSR's commonName: the request MUST have one",
    citation: "Alibaba CAS CreateCertificateWithCsrRequest (Csr: \"the CN field of the CSR is the domain bound to the certificate\")",
    source: Source::Aliyun,
    since: "0.1.0",
    rationale: "",
    profile: Some(Profile::AlibabaDv),
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if csr.cns().next().is_none() {
        let first = csr
            .dns_names()
            .find_map(|s| s.text)
            .unwrap_or("example.com");
        out.push(
            Hit::new("the subject has no commonName; Alibaba Cloud CAS takes the certificate's domain from it")
                .at(None, "subject/CN")
                .note(format!("add one: -subj \"/CN={first}\" (it must also be in subjectAltName)")),
        );
    }
}
