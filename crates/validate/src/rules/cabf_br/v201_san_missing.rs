//! V201 `san-missing`: the request MUST ask for a subjectAltName extension with at least one dNSName or iPAddress
//!
//! Citation: BR 7.1.2.7.12.

#[allow(unused_imports)]
use crate::csr::{Csr, Hash, Key, SanKind, SigAlg, curve_name, ip_text};
#[allow(unused_imports)]
use crate::keys::{self, PointCheck, SigCheck};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V201",
    name: "san-missing",
    default_severity: Severity::Error,
    description: "the request MUST ask for a subjectAltName extension with at least one dNSName or iPAddress",
    citation: "BR 7.1.2.7.12",
    source: Source::CabfBr,
    since: "0.1.0",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    let Some(ext) = csr.san() else {
        let mut hit = Hit::new("the request has no subjectAltName extension")
            .at(None, "extensionRequest/subjectAltName");
        if let Some(cn) = csr.cn() {
            hit = hit.note(format!(
                "add it: openssl req ... -addext \"subjectAltName=DNS:{cn}\", or csrkit generate --domain {cn}"
            ));
        }
        out.push(hit);
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
