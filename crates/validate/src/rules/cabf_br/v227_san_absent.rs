//! V227 `san-absent`: the request SHOULD list its names in a subjectAltName extension; without one the CA takes the CN alone
//!
//! Citation: BR 7.1.2.7.12 (the certificate MUST have a subjectAltName; the CA builds it).
//!
//! Decision (issue 13, L7): a request with a CN and no subjectAltName is a
//! warning, not an error, under both profiles. BR 7.1.2.7.12 governs the
//! certificate, which the CA assembles: Alibaba Cloud CAS takes the domain
//! from the CN (its own openssl guide makes CSRs without SANs), and
//! Let's Encrypt's Boulder promotes the CN to a SAN. No CA is known to
//! refuse it, so by the principle (an error is what a CA refuses) it is a
//! warning; V204 stays quiet (one finding for one cause). A request that
//! names no host at all is V201's error.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V227",
    name: "san-absent",
    default_severity: Severity::Warning,
    description: "the request SHOULD list its names in a subjectAltName extension; without one the CA takes the CN alone",
    citation: "BR 7.1.2.7.12",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "Decision: a warning, not an error. BR 7.1.2.7.12 binds the certificate the CA builds; Alibaba Cloud CAS takes the domain from the CN (its own openssl guide makes CSRs without SANs) and Boulder promotes the CN. V204 stays quiet then: one finding for one cause.",
    profile: None,
    applies: |csr, _| csr.san().is_none() && csr.cn().is_some(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Some(cn) = csr.cn() {
        out.push(
            Hit::new(format!(
                "the request has no subjectAltName extension; the certificate will name \"{cn}\" from the CN only"
            ))
            .at(None, "extensionRequest/subjectAltName")
            .note(format!(
                "add it: openssl req ... -addext \"subjectAltName=DNS:{cn}\", or csrkit generate --domain {cn}"
            )),
        );
    }
}
