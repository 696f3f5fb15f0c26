//! V110 `der-not-strict`: the request MUST be DER: definite shortest lengths, minimal INTEGERs, BOOLEAN TRUE as 0xff, DEFAULT values left out (`critical FALSE`), string values within their type's character set (valid UTF-8 in a UTF8String, PrintableString's set)
//!
//! Citation: RFC 2986 §4 (the CertificationRequestInfo is DER-encoded to be signed); X.690 §10–11; X.680 §41.
//!
//! OpenSSL and x509-parser read BER leniently; a CA's strict parser (Go's,
//! for one) refuses what is not DER, and the signature covers the exact
//! bytes. The principle: a request that cannot be parsed strictly is an
//! error.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V110",
    name: "der-not-strict",
    default_severity: Severity::Error,
    description: "the request MUST be DER: definite shortest lengths, minimal INTEGERs, BOOLEAN TRUE as 0xff, DEFAULT values left out (`critical FALSE`), string values within their type's character set (valid UTF-8 in a UTF8String, PrintableString's set)",
    citation: "RFC 2986 §4; X.690 §10 and §11; X.680 §41",
    source: Source::Rfc2986,
    since: "0.1.0",
    rationale: "OpenSSL and x509-parser read BER leniently; the signature covers the exact bytes, and a strict parser refuses what is not DER. Anything a CA would refuse is an error.",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for p in csr.der_problems() {
        out.push(
            Hit::new(format!("the request is not DER: {}", p.what))
                .at(Some(p.offset), "DER")
                .note("regenerate the CSR with a standard tool (csrkit generate, openssl req)"),
        );
    }
    for e in csr.raw_attrs().exts.iter().filter(|e| e.critical_false) {
        out.push(
            Hit::new(format!(
                "the extension {} spells out critical FALSE; DER leaves a DEFAULT value out \
                 (X.690 §11.5)",
                crate::rules::ext_name(&e.oid)
            ))
            .at(
                Some(e.offset),
                format!(
                    "extensionRequest/{}/critical",
                    crate::rules::ext_name(&e.oid)
                ),
            ),
        );
    }
}
