//! V905 `expected-domain-missing`: the request MUST name every domain given with --expect-domain
//!
//! Citation: csrkit --expect-domain.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V905",
    name: "expected-domain-missing",
    default_severity: Severity::Error,
    description: "the request MUST name every domain given with --expect-domain",
    citation: "csrkit --expect-domain",
    source: Source::Policy,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |_, policy| !policy.expected_domains().is_empty(),
    check,
};

fn check(csr: &Csr<'_>, policy: &Policy, out: &mut Vec<Hit>) {
    let names: Vec<String> = csr
        .names()
        .iter()
        .map(|n| n.name.to_ascii_lowercase())
        .collect();
    for want in policy.expected_domains() {
        if !names.iter().any(|n| n == want) {
            out.push(
                Hit::new(format!(
                    "the request does not name the expected domain \"{want}\""
                ))
                .at(None, "extensionRequest/subjectAltName")
                .note(format!(
                    "it names: {}",
                    if names.is_empty() {
                        "nothing".to_owned()
                    } else {
                        names.join(", ")
                    }
                )),
            );
        }
    }
}
