//! V226 `subject-san-text`: the subject SHOULD NOT hold subjectAltName text (a sign that -subj was given what -addext should have been)
//!
//! Citation: community practice (certbot#3826).

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V226",
    name: "subject-san-text",
    default_severity: Severity::Warning,
    description: "the subject SHOULD NOT hold subjectAltName text (a sign that -subj was given what -addext should have been)",
    citation: "community practice (certbot#3826)",
    source: Source::Community,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| !csr.subject.is_empty(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for attr in &csr.subject {
        let Some(t) = attr.text() else { continue };
        let l = t.to_ascii_lowercase();
        if l.contains("subjectaltname")
            || l.contains("dns:")
            || l.contains("dns.") && l.starts_with("dns.")
        {
            out.push(
                Hit::new(format!(
                    "subject {} holds {:?}, which looks like a subjectAltName written into the subject",
                    attr.short(),
                    t
                ))
                .at(attr.offset, format!("subject/{}", attr.short()))
                .note("pass SANs with -addext \"subjectAltName=DNS:example.com\" rather than inside -subj"),
            );
        }
    }
}
