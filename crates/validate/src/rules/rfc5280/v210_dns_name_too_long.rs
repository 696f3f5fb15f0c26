//! V210 `dns-name-too-long`: a DNS name MUST be at most 253 octets in text form (255 on the wire)
//!
//! Citation: RFC 1035 §3.1; BR 7.1.2.7.12.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};
use csrkit_names::ProblemKind;

pub(crate) static RULE: Rule = Rule {
    code: "V210",
    name: "dns-name-too-long",
    default_severity: Severity::Error,
    description: "a DNS name MUST be at most 253 octets in text form (255 on the wire)",
    citation: "RFC 1035 §3.1; BR 7.1.2.7.12",
    source: Source::Rfc5280,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    super::super::name_problems(csr, out, |k| matches!(k, ProblemKind::NameTooLong { .. }));
}
