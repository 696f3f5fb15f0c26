//! V221 `dns-name-bad-encoding`: a dNSName MUST be an IA5String host name: no NUL, no space, no leading period, no non-ASCII text
//!
//! Citation: RFC 5280 §4.2.1.6.

use crate::csr::{Csr, SanKind};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V221",
    name: "dns-name-bad-encoding",
    default_severity: Severity::Error,
    description: "a dNSName MUST be an IA5String host name: no NUL, no space, no leading period, no non-ASCII text",
    citation: "RFC 5280 §4.2.1.6",
    source: Source::Rfc5280,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| !csr.sans.is_empty(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for san in &csr.sans {
        if san.kind == SanKind::Invalid {
            out.push(
                Hit::new(format!(
                    "a subjectAltName entry does not decode (bytes {}); a dNSName must be IA5 text",
                    san.display()
                ))
                .at(san.offset, san.field()),
            );
            continue;
        }
        if san.kind != SanKind::Dns {
            continue;
        }
        let Some(text) = san.text else { continue };
        let why = if text.contains('\0') {
            Some("it contains a NUL character")
        } else if text.trim().is_empty() {
            Some("it is empty or blank")
        } else if text.contains(' ') {
            Some("it contains a space")
        } else if text.starts_with('.') {
            Some("it starts with a period")
        } else if !text.is_ascii() {
            Some("it holds non-ASCII characters; internationalised names go in A-label form (xn--)")
        } else {
            None
        };
        if let Some(why) = why {
            out.push(
                Hit::new(format!("dNSName \"{}\" is malformed: {why}", text))
                    .at(san.offset, san.field()),
            );
        }
    }
}
