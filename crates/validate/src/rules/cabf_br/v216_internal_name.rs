//! V216 `internal-name`: a DNS name MUST NOT be an Internal Name: it must end in a TLD of the public root zone (not .local, .internal, .test, .example, .invalid, .localhost, .alt, or a single label)
//!
//! Citation: BR 7.1.2.7.12 and 1.6.1 (Internal Name); RFC 6761; RFC 6762; RFC 9476.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V216",
    name: "internal-name",
    default_severity: Severity::Error,
    description: "a DNS name MUST NOT be an Internal Name: it must end in a TLD of the public root zone (not .local, .internal, .test, .example, .invalid, .localhost, .alt, or a single label)",
    citation: "BR 7.1.2.7.12 and 1.6.1 (Internal Name); RFC 6761; RFC 6762; RFC 9476",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

/// Special-use and private-use TLDs that never resolve publicly.
const RESERVED_TLDS: [&str; 10] = [
    "local",
    "internal",
    "test",
    "example",
    "invalid",
    "localhost",
    "alt",
    "lan",
    "home",
    "corp",
];

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for crate::csr::Name {
        name,
        offset,
        field,
        ..
    } in csr.names()
    {
        let lower = name.trim_end_matches('.').to_ascii_lowercase();
        let base = lower.strip_prefix("*.").unwrap_or(&lower);
        if base.is_empty() || csrkit_names::is_ip_address(base) {
            continue;
        }
        let tld = base.rsplit('.').next().unwrap_or(base);
        if tld == "onion" || tld == "arpa" {
            continue; // V217 and V218
        }
        if super::v229_public_suffix_name::is_icann_suffix(base) {
            continue; // a public suffix itself: V229, or V214 under a wildcard
        }
        let why = if !base.contains('.') {
            Some("it is a single label, not a fully qualified domain name".to_owned())
        } else if RESERVED_TLDS.contains(&tld) {
            Some(format!(
                ".{tld} is a special-use or private TLD that never resolves publicly"
            ))
        } else if !psl::suffix(base.as_bytes()).is_some_and(|s| s.is_known()) {
            Some(format!(
                ".{tld} is not a top-level domain of the public root zone"
            ))
        } else {
            None
        };
        if let Some(why) = why {
            out.push(
                Hit::new(format!("\"{name}\" is an internal name: {why}"))
                    .at(*offset, field.as_str())
                    .note("public CAs issue only for names in the public DNS; use a private CA for internal hosts"),
            );
        }
    }
}
