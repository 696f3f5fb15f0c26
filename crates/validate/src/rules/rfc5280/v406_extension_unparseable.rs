//! V406 `extension-unparseable`: a requested extension SHOULD decode as its type defines
//!
//! Citation: RFC 5280 §4.2.

use super::super::ext_name;
#[allow(unused_imports)]
use crate::csr::{Csr, Hash, Key, SanKind, SigAlg, curve_name, ip_text};
#[allow(unused_imports)]
use crate::keys::{self, PointCheck, SigCheck};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V406",
    name: "extension-unparseable",
    default_severity: Severity::Warning,
    description: "a requested extension SHOULD decode as its type defines",
    citation: "RFC 5280 §4.2",
    source: Source::Rfc5280,
    since: "0.1.0",
    profile: None,
    applies: |csr, _| !csr.exts.is_empty(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for ext in &csr.exts {
        if let Some(err) = &ext.error {
            out.push(
                Hit::new(format!(
                    "the extension {} does not decode: {err}",
                    ext_name(&ext.oid)
                ))
                .at(
                    ext.offset,
                    format!("extensionRequest/{}", ext_name(&ext.oid)),
                ),
            );
        }
    }
}
