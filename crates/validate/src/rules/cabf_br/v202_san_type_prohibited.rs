//! V202 `san-type-prohibited`: subjectAltName entries MUST be dNSName or iPAddress; otherName, rfc822Name, URI, directoryName, x400Address, ediPartyName and registeredID are not allowed
//!
//! Citation: BR 7.1.2.7.12.

use crate::csr::{Csr, SanKind};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V202",
    name: "san-type-prohibited",
    default_severity: Severity::Error,
    description: "subjectAltName entries MUST be dNSName or iPAddress; otherName, rfc822Name, URI, directoryName, x400Address, ediPartyName and registeredID are not allowed",
    citation: "BR 7.1.2.7.12",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for san in &csr.sans {
        if matches!(san.kind, SanKind::Dns | SanKind::Ip | SanKind::Invalid) {
            continue;
        }
        out.push(
            Hit::new(format!(
                "the subjectAltName holds a {} entry ({}); a TLS server certificate may name only DNS names and IP addresses",
                san.kind.asn1_name(),
                san.display()
            ))
            .at(san.offset, san.field())
            .note("remove it from the request; the CA will refuse or drop it"),
        );
    }
}
