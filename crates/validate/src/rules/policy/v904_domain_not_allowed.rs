//! V904 `domain-not-allowed`: every name in the request MUST be one of the policy's allowed_domains
//!
//! Citation: csrkit.toml allowed_domains.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V904",
    name: "domain-not-allowed",
    default_severity: Severity::Error,
    description: "every name in the request MUST be one of the policy's allowed_domains",
    citation: "csrkit.toml allowed_domains",
    source: Source::Policy,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |_, policy| !policy.allowed_domains().is_empty(),
    check,
};

fn check(csr: &Csr<'_>, policy: &Policy, out: &mut Vec<Hit>) {
    for crate::csr::Name {
        name,
        offset,
        field,
        ..
    } in csr.names()
    {
        let lower = name.to_ascii_lowercase();
        let ok = policy.allowed_domains().iter().any(|d| {
            *d == lower
                || d.strip_prefix("*.").is_some_and(|base| {
                    lower
                        .split_once('.')
                        .is_some_and(|(first, parent)| first != "*" && parent == base)
                })
        });
        if !ok {
            out.push(
                Hit::new(format!("\"{}\" is not among the allowed domains", name))
                    .at(*offset, field.as_str())
                    .note(format!("allowed: {}", policy.allowed_domains().join(", "))),
            );
        }
    }
}
