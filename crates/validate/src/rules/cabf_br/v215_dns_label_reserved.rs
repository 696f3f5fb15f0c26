//! V215 `dns-label-reserved`: labels with hyphens in the third and fourth places MUST be valid A-labels (`xn--` Punycode of a valid, NFC, IDNA2008 U-label)
//!
//! Citation: BR 1.6.1 (P-Label, Reserved LDH Label) and 7.1.2.7.12; RFC 5890 §2.3.1; RFC 5891 §4.2.3.1.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};
use csrkit_names::ProblemKind;

pub(crate) static RULE: Rule = Rule {
    code: "V215",
    name: "dns-label-reserved",
    default_severity: Severity::Error,
    description: "labels with hyphens in the third and fourth places MUST be valid A-labels (`xn--` Punycode of a valid, NFC, IDNA2008 U-label)",
    citation: "BR 1.6.1 (P-Label, Reserved LDH Label) and 7.1.2.7.12; RFC 5890 §2.3.1; RFC 5891 §4.2.3.1",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "IDNA2008, not only UTS #46: the idna crate's UTS #46 lets through symbols such as U+2615 that IDNA2008 (RFC 5892) disallows; csrkit checks every U-label against the RFC 5892 derived property table (embedded, generated from IANA's tables via the Python idna package by crates/names/data/idna2008.py), in generate and validate alike. BR 1.6.1's P-Label is made from a U-Label, which RFC 5890 defines under IDNA2008.",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    super::super::name_problems(csr, out, |k| {
        matches!(
            k,
            ProblemKind::ReservedLabel | ProblemKind::InvalidPunycode { .. }
        )
    });
}
