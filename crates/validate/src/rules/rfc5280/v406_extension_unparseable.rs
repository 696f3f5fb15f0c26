//! V406 `extension-unparseable`: a requested extension MUST decode as its type defines, with nothing after the value inside extnValue
//!
//! Citation: RFC 5280 §4.1 and §4.2 (extnValue holds the DER encoding of one value of the type).
//!
//! An error, not a warning: a CA that cannot decode a requested extension,
//! or finds bytes after it, refuses the request (Go's parser: "trailing
//! data"), and what a lenient parser reads may not be what the CA reads.

use super::super::ext_name;
use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V406",
    name: "extension-unparseable",
    default_severity: Severity::Error,
    description: "a requested extension MUST decode as its type defines, with nothing after the value inside extnValue",
    citation: "RFC 5280 §4.1 and §4.2",
    source: Source::Rfc5280,
    since: "0.1.0",
    rationale: "A CA that cannot decode a requested extension, or finds bytes after its value, refuses the request; what a lenient parser reads may not be what the CA reads.",
    profile: None,
    applies: |csr, _| !csr.attrs.is_empty(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for ext in &csr.exts {
        if ext.error.is_some() {
            out.push(
                Hit::new(format!(
                    "the extension {} does not decode as the type RFC 5280 defines",
                    ext_name(&ext.oid)
                ))
                .at(
                    ext.offset,
                    format!("extensionRequest/{}", ext_name(&ext.oid)),
                ),
            );
        }
    }
    for raw in &csr.raw_attrs().exts {
        let name = ext_name(&raw.oid);
        if raw.trailing > 0 {
            out.push(
                Hit::new(format!(
                    "the extension {name} has {} bytes after its value inside extnValue",
                    raw.trailing
                ))
                .at(Some(raw.offset), format!("extensionRequest/{name}")),
            );
        } else if raw.value_broken {
            out.push(
                Hit::new(format!(
                    "the extension {name} has an empty or broken extnValue"
                ))
                .at(Some(raw.offset), format!("extensionRequest/{name}")),
            );
        }
    }
}
