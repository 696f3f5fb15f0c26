//! V107 `trailing-data`: the request MUST be exactly one DER value, with no bytes after it
//!
//! Citation: X.690 §8.1.1; RFC 2986 §4.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V107",
    name: "trailing-data",
    default_severity: Severity::Error,
    description: "the request MUST be exactly one DER value, with no bytes after it",
    citation: "X.690 §8.1.1; RFC 2986 §4",
    source: Source::Rfc2986,
    since: "0.1.0",
    rationale: "OpenSSL ignores bytes after the request; a strict parser refuses them, and nothing says which object a CA reads. Anything a CA would refuse is an error.",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if csr.trailing > 0 {
        let at = csr.der.len() - csr.trailing;
        out.push(
            Hit::new(format!(
                "{} bytes follow the end of the request; a CA parsing it strictly refuses it",
                csr.trailing
            ))
            .at(Some(at), "after the request"),
        );
    }
}
