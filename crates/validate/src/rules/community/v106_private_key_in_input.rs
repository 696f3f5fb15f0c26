//! V106 `private-key-in-input`: a private key MUST NOT travel with the request: it is never uploaded, and a key in a CSR file is a key at risk
//!
//! Citation: BR 6.1.2; RFC 2986 §3 (only the public key is sent).

use crate::model::Severity;
use crate::rule::{Rule, Source, input_only, no_check};

pub(crate) static RULE: Rule = Rule {
    code: "V106",
    name: "private-key-in-input",
    default_severity: Severity::Error,
    description: "a private key MUST NOT travel with the request: it is never uploaded, and a key in a CSR file is a key at risk",
    citation: "BR 6.1.2; RFC 2986 §3 (only the public key is sent)",
    source: Source::Community,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: input_only,
    check: no_check,
};
