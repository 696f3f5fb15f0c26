//! V204 `cn-not-in-san`: the subject commonName, if present, MUST be character for character one of the subjectAltName entries
//!
//! Citation: BR 7.1.4.3.

use crate::csr::{Csr, SanKind, ip_text};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};

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

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
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
        let in_dns = csr.dns_names().any(|s| s.text == Some(&*text));
        let in_ip = csr
            .sans
            .iter()
            .any(|s| s.kind == SanKind::Ip && ip_text(s.bytes) == text);
        if in_dns || in_ip {
            continue;
        }
        let mut hit = Hit::new(format!("subject CN \"{text}\" is not in subjectAltName"))
            .at(cn.offset, format!("subject/CN[{i}]"));
        if csr
            .dns_names()
            .any(|s| s.text.is_some_and(|t| t.eq_ignore_ascii_case(&text)))
        {
            hit = hit
                .note("a SAN differs only in case; the CN must match it character for character");
        } else if let Some(a_label) = csr
            .dns_names()
            .filter_map(|s| s.text)
            .find(|t| t.contains("xn--") && csrkit_names::to_unicode(t) == text)
        {
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
