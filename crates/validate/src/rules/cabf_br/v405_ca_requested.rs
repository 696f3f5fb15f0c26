//! V405 `ca-requested`: a subscriber request SHOULD NOT ask to be a CA (basicConstraints cA TRUE, keyUsage keyCertSign or cRLSign, nameConstraints)
//!
//! Citation: BR 7.1.2.7.8 and 7.1.2.7.11; RFC 5280 §4.2.1.10.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V405",
    name: "ca-requested",
    default_severity: Severity::Warning,
    description: "a subscriber request SHOULD NOT ask to be a CA (basicConstraints cA TRUE, keyUsage keyCertSign or cRLSign, nameConstraints)",
    citation: "BR 7.1.2.7.8 and 7.1.2.7.11; RFC 5280 §4.2.1.10",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| !csr.exts.is_empty(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for ext in &csr.exts {
        if ext.ca == Some(true) {
            out.push(
                Hit::new("the request asks for basicConstraints cA:TRUE; a TLS server certificate is never a CA")
                    .at(ext.offset, "extensionRequest/basicConstraints"),
            );
        }
        if ext.oid == "2.5.29.30" {
            out.push(
                Hit::new(
                    "the request asks for nameConstraints, an extension only CA certificates carry",
                )
                .at(ext.offset, "extensionRequest/nameConstraints"),
            );
        }
        if ext.cert_sign == Some(true) {
            out.push(
                Hit::new(
                    "the request asks for keyUsage keyCertSign or cRLSign, which only CAs hold",
                )
                .at(ext.offset, "extensionRequest/keyUsage"),
            );
        }
    }
}
