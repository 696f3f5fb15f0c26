//! V229 `public-suffix-name`: a DNS name MUST NOT be a public suffix itself (`co.uk`, `com`): nobody can prove control of a registry's namespace to a DV CA
//!
//! Citation: BR 1.6.1 (Base Domain Name, Public Suffix List); BR 3.2.2.4 and 3.2.2.6.
//!
//! Decisions (issue 13, L3): only the ICANN section of the Public Suffix
//! List counts. A name in its private section (`github.io`) belongs to one
//! operator, who can validate it, and does hold certificates for it. A
//! wildcard over a public suffix, or over a name the PSL's wildcard rules
//! make a suffix (`*.kawasaki.jp`, `*.compute.amazonaws.com`: every name
//! they match is a public suffix), is V214's error.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V229",
    name: "public-suffix-name",
    default_severity: Severity::Error,
    description: "a DNS name MUST NOT be a public suffix itself (`co.uk`, `com`): nobody can prove control of a registry's namespace to a DV CA",
    citation: "BR 1.6.1 (Base Domain Name); BR 3.2.2.4 and 3.2.2.6",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "Only the ICANN section: a private-section name (github.io) belongs to one operator, who can validate it. Wildcards over suffixes are V214.",
    profile: None,
    applies: always,
    check,
};

/// Whether `name` (lower case, no wildcard) is exactly an ICANN public
/// suffix: listed itself, or a top-level label the list only names through
/// a wildcard rule (`ck`, under `*.ck`).
pub(crate) fn is_icann_suffix(name: &str) -> bool {
    let exact = |n: &str| {
        psl::suffix(n.as_bytes()).is_some_and(|s| {
            s.is_known() && s.as_bytes() == n.as_bytes() && s.typ() == Some(psl::Type::Icann)
        })
    };
    exact(name)
        || (!name.contains('.') && !name.is_empty() && exact(&format!("csrkit-probe.{name}")))
}

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for n in csr.names() {
        let lower = n.name.to_ascii_lowercase();
        if lower.starts_with("*.") || csrkit_names::is_ip_address(&lower) {
            continue;
        }
        if is_icann_suffix(&lower) {
            out.push(
                Hit::new(format!(
                    "\"{}\" is a public suffix (ICANN section of the Public Suffix List): no one can register it, so no DV CA can validate it",
                    n.name
                ))
                .at(n.offset, n.field.as_str())
                .note("name a domain registered under it, such as example.co.uk"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn psl_cases() {
        assert!(super::is_icann_suffix("co.uk"));
        assert!(super::is_icann_suffix("com"));
        assert!(!super::is_icann_suffix("example.co.uk"));
        assert!(!super::is_icann_suffix("github.io"), "private section");
        assert!(super::is_icann_suffix("ck"), "a TLD named by *.ck");
        assert!(!super::is_icann_suffix("kawasaki.jp"));
        assert!(!super::is_icann_suffix("zz"), "not a TLD: V216's");
    }
}
