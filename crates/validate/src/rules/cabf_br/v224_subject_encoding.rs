//! V224 `subject-encoding`: subject attributes SHOULD be one per RDN, each type once, as PrintableString or UTF8String (countryName PrintableString), without control characters or leading/trailing spaces
//!
//! Citation: BR 7.1.4.1 and 7.1.4.2; RFC 5280 §4.1.2.4.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};
use crate::seen::Seen;
use x509_parser::der_parser::asn1_rs::Tag;

pub(crate) static RULE: Rule = Rule {
    code: "V224",
    name: "subject-encoding",
    default_severity: Severity::Warning,
    description: "subject attributes SHOULD be one per RDN, each type once, as PrintableString or UTF8String (countryName PrintableString), without control characters or leading/trailing spaces",
    citation: "BR 7.1.4.1 and 7.1.4.2; RFC 5280 §4.1.2.4",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| !csr.subject.is_empty(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    // the attribute types seen so far: linear in a subject of any size
    let mut seen = Seen::new();
    for attr in &csr.subject {
        let repeated = !seen.insert(attr.oid.as_str());
        let field = format!("subject/{}", attr.short());
        let mut problems = Vec::new();
        if attr.rdn_len > 1 {
            problems.push("it shares a multi-valued RDN with other attributes".to_owned());
        }
        if attr.oid != "2.5.4.3" && repeated {
            problems.push("the attribute type appears more than once".to_owned());
        }
        let allowed = match attr.oid.as_str() {
            "2.5.4.6" => matches!(attr.tag, Tag::PrintableString),
            "1.2.840.113549.1.9.1" | "0.9.2342.19200300.100.1.25" => {
                matches!(attr.tag, Tag::Ia5String)
            }
            _ => matches!(attr.tag, Tag::PrintableString | Tag::Utf8String),
        };
        if !allowed {
            problems.push(format!(
                "it is encoded as {}",
                crate::der::tag_name(attr.tag.0)
            ));
        }
        // V110 reports a string that does not decode.
        if let Some(t) = attr.text() {
            if t.chars().any(char::is_control) {
                problems.push("it contains control characters".to_owned());
            }
            if t != t.trim() {
                problems.push("it has leading or trailing whitespace".to_owned());
            }
            if t.is_empty() {
                problems.push("it is empty".to_owned());
            }
        }
        for p in problems {
            out.push(
                Hit::new(format!("subject {}: {p}", attr.short())).at(attr.offset, field.clone()),
            );
        }
    }
}
