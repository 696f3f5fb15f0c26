//! V201 `san-missing`: the request MUST name at least one host: a subjectAltName with a dNSName or iPAddress, or (lacking the extension) a CN
//!
//! Citation: BR 7.1.2.7.12.
//!
//! A request with a CN but no subjectAltName extension is V227's warning
//! (the CA builds the SAN from the CN); this rule is the error of a request
//! that names nothing, or whose subjectAltName holds no usable entry.

use crate::csr::{Csr, SanKind};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V201",
    name: "san-missing",
    default_severity: Severity::Error,
    description: "the request MUST name at least one host: a subjectAltName with a dNSName or iPAddress, or (lacking the extension) a CN",
    citation: "BR 7.1.2.7.12",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "A request with a CN and no subjectAltName is V227's warning (CAs build the SAN from the CN); this error is for a request that names nothing, or a subjectAltName without a usable entry.",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    let Some(ext) = csr.san() else {
        if csr.cn().is_none() {
            out.push(
                Hit::new("the request names no host: no subjectAltName extension and no CN")
                    .at(None, "extensionRequest/subjectAltName")
                    .note("csrkit generate --domain example.com makes a request with both"),
            );
        }
        return;
    };
    let usable = csr
        .sans
        .iter()
        .filter(|s| matches!(s.kind, SanKind::Dns | SanKind::Ip))
        .count();
    if usable == 0 {
        out.push(
            Hit::new("the subjectAltName extension holds no dNSName or iPAddress entry")
                .at(ext.offset, "extensionRequest/subjectAltName"),
        );
    }
}
