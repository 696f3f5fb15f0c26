//! V211 `dns-name-underscore`: a DNS name MUST NOT contain an underscore (LDH labels only; underscores were sunset in 2019)
//!
//! Citation: BR 7.1.2.7.12; Ballot SC12.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};
use csrkit_names::ProblemKind;

pub(crate) static RULE: Rule = Rule {
    code: "V211",
    name: "dns-name-underscore",
    default_severity: Severity::Error,
    description: "a DNS name MUST NOT contain an underscore (LDH labels only; underscores were sunset in 2019)",
    citation: "BR 7.1.2.7.12; Ballot SC12",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    super::super::name_problems(csr, out, |k| matches!(k, ProblemKind::Underscore));
}
