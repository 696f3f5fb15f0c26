//! V225 `dns-name-uppercase`: DNS names are compared without case, but CAs issue them lower-cased; write them in lower case
//!
//! Citation: RFC 4343 §2; RFC 5280 §7.2.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};
use csrkit_names::ProblemKind;

pub(crate) static RULE: Rule = Rule {
    code: "V225",
    name: "dns-name-uppercase",
    default_severity: Severity::Info,
    description: "DNS names are compared without case, but CAs issue them lower-cased; write them in lower case",
    citation: "RFC 4343 §2; RFC 5280 §7.2",
    source: Source::Community,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    super::super::name_problems(csr, out, |k| matches!(k, ProblemKind::UpperCase));
}
