//! V105 `certificate-not-csr`: the input MUST be a certification request; a certificate was given instead
//!
//! Citation: RFC 2986 §4.

use crate::model::Severity;
use crate::rule::{Rule, Source, input_only, no_check};

pub(crate) static RULE: Rule = Rule {
    code: "V105",
    name: "certificate-not-csr",
    default_severity: Severity::Error,
    description: "the input MUST be a certification request; a certificate was given instead",
    citation: "RFC 2986 §4",
    source: Source::Community,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: input_only,
    check: no_check,
};
