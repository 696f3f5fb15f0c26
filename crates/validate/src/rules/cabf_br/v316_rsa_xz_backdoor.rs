//! V316 `rsa-xz-backdoor`: the RSA modulus MUST NOT carry the command header of the xz-utils backdoor (CVE-2024-3094)
//!
//! Citation: BR 6.1.1.3(2). badkeys `xzbackdoor`: the backdoor took its
//! commands from an RSA modulus whose first 16 bytes satisfy
//! a·b + c ≤ 3; no key generator makes one by chance (2^-62).

use crate::csr::{Csr, Key};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source};
use crate::weak;

pub(crate) static RULE: Rule = Rule {
    code: "V316",
    name: "rsa-xz-backdoor",
    default_severity: Severity::Error,
    description: "the RSA modulus MUST NOT carry the command header of the xz-utils backdoor (CVE-2024-3094)",
    citation: "BR 6.1.1.3(2)",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: |csr, _| matches!(csr.key, Key::Rsa { .. }),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Key::Rsa { n, .. } = csr.key
        && weak::xz_backdoor(n)
    {
        out.push(
            Hit::new(
                "the RSA modulus has the structure of an xz-utils backdoor payload \
                 (CVE-2024-3094): it is not a key",
            )
            .at(csr.key_offset(), "subjectPKInfo/modulus")
            .note("treat the machine that produced it as compromised; make a new key elsewhere"),
        );
    }
}
