//! V100 `not-a-csr`: the input MUST be a PKCS #10 certification request, in PEM or DER
//!
//! Citation: RFC 2986 §4.

use crate::model::Severity;
use crate::rule::{Rule, Source, input_only, no_check};

pub(crate) static RULE: Rule = Rule {
    code: "V100",
    name: "not-a-csr",
    default_severity: Severity::Error,
    description: "the input MUST be a PKCS #10 certification request, in PEM or DER",
    citation: "RFC 2986 §4",
    source: Source::Rfc2986,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: input_only,
    check: no_check,
};
