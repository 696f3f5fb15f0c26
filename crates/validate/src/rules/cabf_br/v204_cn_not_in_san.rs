//! V204 `cn-not-in-san`: the subject commonName, if present, MUST be character for character one of the subjectAltName entries
//!
//! Citation: BR 7.1.4.3.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;

use crate::csr::{Csr, SanKind, ip_text};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};
use crate::seen::Seen;

pub(crate) static RULE: Rule = Rule {
    code: "V204",
    name: "cn-not-in-san",
    default_severity: Severity::Error,
    description: "the subject commonName, if present, MUST be character for character one of the subjectAltName entries",
    citation: "BR 7.1.4.3",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    // Without a subjectAltName extension the CA builds it from the CN (V227).
    applies: |csr, _| csr.cns().next().is_some() && csr.san().is_some(),
    check,
};

/// Linear in the names: the SAN texts are put in a [`Seen`] once (and their
/// lower-case and Unicode forms only when a CN is missing), so a request
/// with thousands of CNs and SANs is not CNs × SANs comparisons (nor as
/// many IDNA conversions).
fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    let exact: Seen<Cow<'_, str>> = csr
        .sans
        .iter()
        .filter_map(|s| match s.kind {
            SanKind::Dns => s.text.map(Cow::Borrowed),
            SanKind::Ip => Some(Cow::Owned(ip_text(s.bytes))),
            _ => None,
        })
        .collect();
    let lower: OnceCell<Seen<String>> = OnceCell::new();
    // the Unicode form of each A-label name, to the first such name
    let unicode: OnceCell<HashMap<String, &str>> = OnceCell::new();
    for (i, cn) in csr.cns() {
        let Some(text) = cn.text() else {
            out.push(
                Hit::new(format!(
                    "subject CN is not valid text (bytes {}), so it cannot equal any subjectAltName",
                    hex::encode(cn.data)
                ))
                .at(cn.offset, format!("subject/CN[{i}]")),
            );
            continue;
        };
        if exact.contains(&*text) {
            continue;
        }
        let mut hit = Hit::new(format!("subject CN \"{text}\" is not in subjectAltName"))
            .at(cn.offset, format!("subject/CN[{i}]"));
        let lower = lower.get_or_init(|| {
            csr.dns_names()
                .filter_map(|s| s.text.map(str::to_ascii_lowercase))
                .collect()
        });
        let unicode = || {
            unicode.get_or_init(|| {
                let mut map = HashMap::new();
                for t in csr.dns_names().filter_map(|s| s.text) {
                    if t.contains("xn--") {
                        map.entry(csrkit_names::to_unicode(t)).or_insert(t);
                    }
                }
                map
            })
        };
        if lower.contains(text.to_ascii_lowercase().as_str()) {
            hit = hit
                .note("a SAN differs only in case; the CN must match it character for character");
        } else if let Some(a_label) = unicode().get(&*text) {
            hit = hit.note(format!(
                "the CN is the Unicode form of \"{a_label}\"; P-Labels must not be converted \
                 to Unicode in the CN: write \"{a_label}\""
            ));
        } else {
            hit = hit.note(format!(
                "add DNS:{text} to subjectAltName, or change the CN to one of its names"
            ));
        }
        out.push(hit);
    }
}
