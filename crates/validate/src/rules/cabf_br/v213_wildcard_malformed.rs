//! V213 `wildcard-malformed`: a wildcard MUST be the whole leftmost label, once, over at least a registrable name (`*.example.com`)
//!
//! Citation: BR 1.6.1 (Wildcard Domain Name).

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};
use csrkit_names::ProblemKind;

pub(crate) static RULE: Rule = Rule {
    code: "V213",
    name: "wildcard-malformed",
    default_severity: Severity::Error,
    description: "a wildcard MUST be the whole leftmost label, once, over at least a registrable name (`*.example.com`)",
    citation: "BR 1.6.1 (Wildcard Domain Name)",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    super::super::name_problems(csr, out, |k| {
        matches!(
            k,
            ProblemKind::WildcardNotLeftmost
                | ProblemKind::PartialWildcard
                | ProblemKind::BareWildcard
        )
    });
}
