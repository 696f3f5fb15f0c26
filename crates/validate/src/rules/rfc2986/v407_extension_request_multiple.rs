//! V407 `extension-request-multiple`: the request MUST carry at most one extensionRequest attribute, holding exactly one value (PKCS #9: SINGLE VALUE TRUE)
//!
//! Citation: RFC 2985 §5.4.2; RFC 2986 §4.1.
//!
//! With two values (or two attributes), which set of extensions the CA
//! reads is up to its parser; csrkit's parser reads the first. Refused
//! rather than guessed.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V407",
    name: "extension-request-multiple",
    default_severity: Severity::Error,
    description: "the request MUST carry at most one extensionRequest attribute, holding exactly one value (PKCS #9: SINGLE VALUE TRUE)",
    citation: "RFC 2985 §5.4.2; RFC 2986 §4.1",
    source: Source::Rfc2986,
    since: "0.1.0",
    rationale: "With two values the extensions a CA reads depend on its parser; csrkit's reads the first. Refused rather than guessed.",
    profile: None,
    applies: |csr, _| !csr.attrs.is_empty(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    let reqs = &csr.raw_attrs().ext_requests;
    if reqs.len() > 1 {
        out.push(
            Hit::new(format!(
                "the request holds {} extensionRequest attributes; at most one is allowed",
                reqs.len()
            ))
            .at(reqs.get(1).map(|r| r.0), "attributes/extensionRequest"),
        );
    }
    for &(offset, values) in reqs {
        if values != 1 {
            out.push(
                Hit::new(format!(
                    "the extensionRequest attribute holds {values} values; PKCS #9 allows \
                     exactly one, and a CA may read any of them"
                ))
                .at(Some(offset), "attributes/extensionRequest"),
            );
        }
    }
}
