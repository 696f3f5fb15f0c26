//! V214 `wildcard-public-suffix`: a wildcard MUST NOT sit directly over a public suffix (`*.com`, `*.co.uk`): the CA must refuse it
//!
//! Citation: BR 3.2.2.6.

#[allow(unused_imports)]
use crate::csr::{Csr, Hash, Key, SanKind, SigAlg, curve_name, ip_text};
#[allow(unused_imports)]
use crate::keys::{self, PointCheck, SigCheck};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V214",
    name: "wildcard-public-suffix",
    default_severity: Severity::Error,
    description: "a wildcard MUST NOT sit directly over a public suffix (`*.com`, `*.co.uk`): the CA must refuse it",
    citation: "BR 3.2.2.6",
    source: Source::CabfBr,
    since: "0.1.0",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for crate::csr::Name {
        name,
        offset,
        field,
        ..
    } in csr.names()
    {
        let Some(base) = name.strip_prefix("*.") else {
            continue;
        };
        let lower = base.to_ascii_lowercase();
        if let Some(suffix) = psl::suffix(lower.as_bytes())
            && suffix.is_known()
            && suffix.as_bytes() == lower.as_bytes()
        {
            let mut hit = Hit::new(format!(
                "\"{}\" is a wildcard over the public suffix \"{lower}\"",
                name.escape_debug()
            ))
            .at(*offset, field.as_str())
            .note("a wildcard must cover names under a domain you register, such as *.example.com");
            if suffix.typ() == Some(psl::Type::Private) {
                hit = hit.note(format!(
                    "\"{lower}\" is in the private section of the Public Suffix List: only its \
                     operator, proving control of the whole namespace, could obtain this"
                ));
            }
            out.push(hit);
        }
    }
}
