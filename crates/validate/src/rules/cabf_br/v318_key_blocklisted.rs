//! V318 `key-blocklisted`: the public key MUST NOT be on a list of compromised keys (Debian weak keys and others)
//!
//! Citation: BR 6.1.1.3(4)–(5). Runs when the policy has blocklists
//! (`blocklists` in csrkit.toml, `--blocklist FILE`); see [`crate::Blocklist`]
//! for the formats.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V318",
    name: "key-blocklisted",
    default_severity: Severity::Error,
    description: "the public key MUST NOT be on a list of compromised keys (Debian weak keys and others)",
    citation: "BR 6.1.1.3(4)-(5)",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |_, policy| !policy.blocklists().is_empty(),
    check,
};

fn check(csr: &Csr<'_>, policy: &Policy, out: &mut Vec<Hit>) {
    if let Some(found) = policy.blocklists().iter().find_map(|l| l.find(csr)) {
        out.push(
            Hit::new(format!(
                "the public key is on the blocklist {} (line {}, matched by {})",
                found.list, found.line, found.format
            ))
            .at(csr.key_offset(), "subjectPKInfo")
            .note(
                "its private key is known to others (a Debian weak key, or published); make a \
                 new key, and replace it wherever it is in use",
            ),
        );
    }
}
