//! V214 `wildcard-public-suffix`: a wildcard MUST NOT sit directly over a public suffix (`*.com`, `*.co.uk`): the CA must refuse it
//!
//! Citation: BR 3.2.2.6.
//!
//! Decision (issue 13, L3): the PSL's wildcard rules count. `*.kawasaki.jp`
//! and `*.compute.amazonaws.com` are refused too: the PSL says every name
//! directly under `kawasaki.jp` (`*.kawasaki.jp`) is itself a public
//! suffix, so each name such a wildcard matches is one, and no applicant
//! controls them all. Both PSL sections count here, as BR 3.2.2.6 speaks of
//! "registry-controlled or public suffix" (the private section's operator
//! would have to prove control of the whole namespace).

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V214",
    name: "wildcard-public-suffix",
    default_severity: Severity::Error,
    description: "a wildcard MUST NOT sit directly over a public suffix (`*.com`, `*.co.uk`): the CA must refuse it",
    citation: "BR 3.2.2.6",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "The PSL's wildcard rules count: *.kawasaki.jp and *.compute.amazonaws.com match only public suffixes. Both PSL sections count (BR 3.2.2.6: registry-controlled or public suffix).",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for crate::csr::Name {
        name,
        offset,
        field,
        ..
    } in csr.names()
    {
        let Some(base) = name.strip_prefix("*.") else {
            continue;
        };
        let lower = base.to_ascii_lowercase();
        // A label under `lower` that no PSL rule names: if the whole name is
        // still a suffix, a wildcard rule (`*.lower`) made it one.
        let probe = format!("csrkit-probe.{lower}");
        let under_wildcard_rule = psl::suffix(probe.as_bytes())
            .is_some_and(|s| s.is_known() && s.as_bytes() == probe.as_bytes());
        let exact = psl::suffix(lower.as_bytes())
            .filter(|s| s.is_known() && s.as_bytes() == lower.as_bytes());
        if under_wildcard_rule && exact.is_none() {
            out.push(
                Hit::new(format!(
                    "\"{name}\" matches only public suffixes: the Public Suffix List makes every name directly under \"{lower}\" a suffix (rule *.{lower})"
                ))
                .at(*offset, field.as_str())
                .note("a wildcard must cover names under a domain you register"),
            );
            continue;
        }
        if let Some(suffix) = exact {
            let mut hit = Hit::new(format!(
                "\"{name}\" is a wildcard over the public suffix \"{lower}\""
            ))
            .at(*offset, field.as_str())
            .note("a wildcard must cover names under a domain you register, such as *.example.com");
            if suffix.typ() == Some(psl::Type::Private) {
                hit = hit.note(format!(
                    "\"{lower}\" is in the private section of the Public Suffix List: only its \
                     operator, proving control of the whole namespace, could obtain this"
                ));
            }
            out.push(hit);
        }
    }
}
