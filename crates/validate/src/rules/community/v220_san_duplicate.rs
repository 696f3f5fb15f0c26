//! V220 `san-duplicate`: each name SHOULD appear once, and not beside a wildcard that already covers it
//!
//! Citation: hygiene (zlint n_san_dns_name_duplicate; Boulder rejects wildcard overlap).

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

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

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    let names: Vec<(String, &crate::csr::San<'_>)> = csr
        .dns_names()
        .filter_map(|s| s.text.map(|t| (t.to_ascii_lowercase(), s)))
        .collect();
    for (i, (name, san)) in names.iter().enumerate() {
        if names[..i].iter().any(|(n, _)| n == name) {
            out.push(
                Hit::new(format!(
                    "\"{}\" appears more than once in subjectAltName",
                    name
                ))
                .at(san.offset, san.field()),
            );
            continue;
        }
        let covered = names.iter().find(|(n, _)| {
            n.strip_prefix("*.").is_some_and(|base| {
                !name.starts_with("*.")
                    && name
                        .split_once('.')
                        .is_some_and(|(_, parent)| parent == base)
            })
        });
        if let Some((wild, _)) = covered {
            out.push(
                Hit::new(format!("\"{}\" is already covered by \"{}\"", name, wild))
                    .at(san.offset, san.field())
                    .note("some CAs refuse overlapping names; drop the redundant one"),
            );
        }
    }
}
