//! V401 `attribute-unexpected`: the request SHOULD carry no attribute other than extensionRequest
//!
//! Citation: RFC 2985 §5.4; RFC 2986 §4.1.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V401",
    name: "attribute-unexpected",
    default_severity: Severity::Warning,
    description: "the request SHOULD carry no attribute other than extensionRequest",
    citation: "RFC 2985 §5.4; RFC 2986 §4.1",
    source: Source::Rfc2986,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| !csr.attrs.is_empty(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for attr in &csr.attrs {
        match attr.oid.as_str() {
            "1.2.840.113549.1.9.14" => {} // V407 when repeated
            "1.2.840.113549.1.9.7" => {}  // V402
            oid => out.push(
                Hit::new(format!(
                    "the request holds the attribute {}, which CAs ignore",
                    attr_label(oid)
                ))
                .at(attr.offset, format!("attributes/{oid}")),
            ),
        }
    }
}

fn attr_label(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.9.2" => "unstructuredName (1.2.840.113549.1.9.2)".into(),
        "1.2.840.113549.1.9.8" => "unstructuredAddress (1.2.840.113549.1.9.8)".into(),
        other => other.to_owned(),
    }
}
