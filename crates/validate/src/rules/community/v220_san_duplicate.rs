//! V220 `san-duplicate`: each name SHOULD appear once, and not beside a wildcard that already covers it
//!
//! Citation: hygiene (zlint n_san_dns_name_duplicate; Boulder rejects wildcard overlap).

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};
use crate::seen::Seen;

pub(crate) static RULE: Rule = Rule {
    code: "V220",
    name: "san-duplicate",
    default_severity: Severity::Warning,
    description: "each name SHOULD appear once, and not beside a wildcard that already covers it",
    citation: "hygiene (zlint n_san_dns_name_duplicate; Boulder rejects wildcard overlap)",
    source: Source::Community,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

/// Linear in the number of names (a [`Seen`] of those seen and one of the
/// wildcards' bases): a request may carry tens of thousands.
fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    let names: Vec<(String, &crate::csr::San<'_>)> = csr
        .dns_names()
        .filter_map(|s| s.text.map(|t| (t.to_ascii_lowercase(), s)))
        .collect();
    let wildcard_bases: Seen<&str> = names
        .iter()
        .filter_map(|(n, _)| n.strip_prefix("*."))
        .collect();
    let mut seen = Seen::new();
    for (name, san) in &names {
        if !seen.insert(name.as_str()) {
            out.push(
                Hit::new(format!(
                    "\"{}\" appears more than once in subjectAltName",
                    name
                ))
                .at(san.offset, san.field()),
            );
            continue;
        }
        if name.starts_with("*.") {
            continue;
        }
        if let Some((_, parent)) = name.split_once('.')
            && wildcard_bases.contains(parent)
        {
            out.push(
                Hit::new(format!(
                    "\"{}\" is already covered by \"*.{}\"",
                    name, parent
                ))
                .at(san.offset, san.field())
                .note("some CAs refuse overlapping names; drop the redundant one"),
            );
        }
    }
}
