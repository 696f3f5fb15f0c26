//! V206 `dv-subject-attributes`: a DV subject holds only countryName and commonName; other attributes are not validated and the CA drops them or refuses the order
//!
//! Citation: BR 7.1.2.7.2.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V206",
    name: "dv-subject-attributes",
    default_severity: Severity::Warning,
    description: "a DV subject holds only countryName and commonName; other attributes are not validated and the CA drops them or refuses the order",
    citation: "BR 7.1.2.7.2",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for attr in &csr.subject {
        if attr.oid == "2.5.4.3" || attr.oid == "2.5.4.6" {
            continue;
        }
        out.push(
            Hit::new(format!(
                "the subject holds {}={:?}, which a DV certificate cannot carry",
                attr.short(),
                attr.text().unwrap_or_default()
            ))
            .at(attr.offset, format!("subject/{}", attr.short()))
            .note(
                "a DV subject holds only CN (and optionally C); the CA does not validate the rest",
            ),
        );
    }
}
