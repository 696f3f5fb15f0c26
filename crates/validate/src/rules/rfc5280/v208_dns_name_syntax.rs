//! V208 `dns-name-syntax`: a dNSName MUST be in preferred name syntax: letters, digits and hyphens, labels not starting or ending with a hyphen, no empty label, not an all-numeric TLD
//!
//! Citation: BR 7.1.2.7.12; RFC 1034 §3.5; RFC 1123 §2.1; RFC 5280 §4.2.1.6.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};
use csrkit_names::ProblemKind;

pub(crate) static RULE: Rule = Rule {
    code: "V208",
    name: "dns-name-syntax",
    default_severity: Severity::Error,
    description: "a dNSName MUST be in preferred name syntax: letters, digits and hyphens, labels not starting or ending with a hyphen, no empty label, not an all-numeric TLD",
    citation: "BR 7.1.2.7.12; RFC 1034 §3.5; RFC 1123 §2.1; RFC 5280 §4.2.1.6",
    source: Source::Rfc5280,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    super::super::name_problems(csr, out, |k| match k {
        ProblemKind::InvalidCharacter { ch } => ch.is_ascii() && *ch != '\0' && *ch != ' ',
        ProblemKind::Empty
        | ProblemKind::EmptyLabel
        | ProblemKind::LeadingHyphen
        | ProblemKind::TrailingHyphen
        | ProblemKind::NumericTld => true,
        _ => false,
    });
}
