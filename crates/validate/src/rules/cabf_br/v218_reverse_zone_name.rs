//! V218 `reverse-zone-name`: a DNS name MUST NOT be under the IP reverse zones (in-addr.arpa, ip6.arpa)
//!
//! Citation: BR 4.2.2 (Ballot SC86).

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V218",
    name: "reverse-zone-name",
    default_severity: Severity::Error,
    description: "a DNS name MUST NOT be under the IP reverse zones (in-addr.arpa, ip6.arpa)",
    citation: "BR 4.2.2 (Ballot SC86)",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
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
        let lower = name.trim_end_matches('.').to_ascii_lowercase();
        if lower == "arpa" || lower.ends_with(".arpa") {
            out.push(
                Hit::new(format!("\"{}\" is in the .arpa infrastructure zone", name))
                    .at(*offset, field.as_str())
                    .note(
                        "certificates are not issued for reverse-DNS names; name the host itself",
                    ),
            );
        }
    }
}
