//! V228 `country-invalid`: a countryName MUST be an officially assigned ISO 3166-1 alpha-2 code in upper case (`CN`, `DE`), as `csrkit generate` writes it
//!
//! Citation: BR 7.1.4.3 (countryName); X.520 (countryName SIZE (2)); ISO 3166-1.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V228",
    name: "country-invalid",
    default_severity: Severity::Error,
    description: "a countryName MUST be an officially assigned ISO 3166-1 alpha-2 code in upper case (`CN`, `DE`), as `csrkit generate` writes it",
    citation: "BR 7.1.4.3; X.520 (countryName SIZE (2)); ISO 3166-1",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| csr.subject.iter().any(|a| a.oid == "2.5.4.6"),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for attr in csr.subject.iter().filter(|a| a.oid == "2.5.4.6") {
        let Some(text) = attr.text() else {
            continue; // V110 names the broken string
        };
        if csrkit_names::is_country_code(&text) {
            continue;
        }
        let why = if text.chars().count() != 2 {
            "a country is two letters"
        } else if text.chars().any(|c| c.is_ascii_lowercase()) {
            "it must be written in upper case"
        } else {
            "it is not an assigned ISO 3166-1 alpha-2 code"
        };
        out.push(
            Hit::new(format!("subject C \"{text}\" is not a country code: {why}"))
                .at(attr.offset, "subject/C")
                .note("use the two-letter code, such as CN, or leave C out (a DV subject needs only the CN)"),
        );
    }
}
