//! V209 `dns-label-too-long`: every label of a DNS name MUST be at most 63 octets
//!
//! Citation: RFC 1035 §2.3.4; BR 7.1.2.7.12.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};
use csrkit_names::ProblemKind;

pub(crate) static RULE: Rule = Rule {
    code: "V209",
    name: "dns-label-too-long",
    default_severity: Severity::Error,
    description: "every label of a DNS name MUST be at most 63 octets",
    citation: "RFC 1035 §2.3.4; BR 7.1.2.7.12",
    source: Source::Rfc5280,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    super::super::name_problems(csr, out, |k| matches!(k, ProblemKind::LabelTooLong { .. }));
}
