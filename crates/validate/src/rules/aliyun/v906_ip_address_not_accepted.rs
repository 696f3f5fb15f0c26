//! V906 `ip-address-not-accepted`: Alibaba Cloud CAS DV products certify domain names: the request MUST NOT hold an iPAddress entry or an IP address as its CN
//!
//! Citation: Alibaba CAS CreateCertificateWithCsrRequest and the DV ProductCodes (reference 1.3.1, 1.4: "the CN field of the CSR is the domain bound to the certificate"; every DV code is a single-domain or wildcard domain product).
//!
//! `csrkit generate` refuses an IP address for the same reason. Under
//! `br-dv` IP addresses are allowed (BR 7.1.2.7.12), reserved ones aside
//! (V219).

use crate::csr::{Csr, SanKind};
use crate::model::Severity;
use crate::policy::{Policy, Profile};
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V906",
    name: "ip-address-not-accepted",
    default_severity: Severity::Error,
    description: "Alibaba Cloud CAS DV products certify domain names: the request MUST NOT hold an iPAddress entry or an IP address as its CN",
    citation: "Alibaba CAS CreateCertificateWithCsrRequest (Csr: \"the CN field of the CSR is the domain bound to the certificate\"); DV ProductCodes name domains",
    source: Source::Aliyun,
    since: "0.1.0",
    rationale: "generate refuses IP addresses for the same reason; under br-dv they are allowed (reserved ones aside, V219).",
    profile: Some(Profile::AlibabaDv),
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for san in csr.sans.iter().filter(|s| s.kind == SanKind::Ip) {
        out.push(
            Hit::new(format!(
                "the iPAddress {} cannot be ordered: Alibaba Cloud CAS DV certificates name domains only",
                san.display()
            ))
            .at(san.offset, san.field())
            .note("remove the IP address; certify a host name that resolves to it instead"),
        );
    }
    for (i, cn) in csr.cns() {
        if let Some(t) = cn.text()
            && csrkit_names::is_ip_address(&t)
        {
            out.push(
                Hit::new(format!(
                    "subject CN \"{t}\" is an IP address: Alibaba Cloud CAS binds the certificate to the CN, which must be a domain"
                ))
                .at(cn.offset, format!("subject/CN[{i}]")),
            );
        }
    }
}
