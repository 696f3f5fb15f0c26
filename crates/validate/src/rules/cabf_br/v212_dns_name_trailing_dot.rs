//! V212 `dns-name-trailing-dot`: a DNS name MUST NOT end with a dot (the root label)
//!
//! Citation: BR 7.1.2.7.12.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};
use csrkit_names::ProblemKind;

pub(crate) static RULE: Rule = Rule {
    code: "V212",
    name: "dns-name-trailing-dot",
    default_severity: Severity::Error,
    description: "a DNS name MUST NOT end with a dot (the root label)",
    citation: "BR 7.1.2.7.12",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    super::super::name_problems(csr, out, |k| matches!(k, ProblemKind::TrailingDot));
}
