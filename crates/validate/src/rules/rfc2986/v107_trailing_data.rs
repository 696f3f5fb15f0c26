//! V107 `trailing-data`: the request SHOULD be exactly one DER value, with no bytes after it
//!
//! Citation: X.690 §8.1.1; RFC 2986 §4.

#[allow(unused_imports)]
use crate::csr::{Csr, Hash, Key, SanKind, SigAlg, curve_name, ip_text};
#[allow(unused_imports)]
use crate::keys::{self, PointCheck, SigCheck};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V107",
    name: "trailing-data",
    default_severity: Severity::Warning,
    description: "the request SHOULD be exactly one DER value, with no bytes after it",
    citation: "X.690 §8.1.1; RFC 2986 §4",
    source: Source::Rfc2986,
    since: "0.1.0",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if csr.trailing > 0 {
        let at = csr.der.len() - csr.trailing;
        out.push(
            Hit::new(format!(
                "{} bytes follow the end of the request; a CA may refuse or ignore them",
                csr.trailing
            ))
            .at(Some(at), "after the request"),
        );
    }
}
