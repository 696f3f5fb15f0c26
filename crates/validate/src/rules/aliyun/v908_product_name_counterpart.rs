//! V908 `product-name-counterpart`: the request names the CN's counterpart
//! (`www.` added or removed; a wildcard's base) beside the CN, which the
//! reference does not say the product carries
//!
//! Citation: Alibaba CAS reference §1.3.1–1.3.2 ("The CN field of the CSR is
//! the domain bound to the certificate"; "exactly one domain"); DigiCert's
//! single-name certificates also secure the `www.` counterpart.
//!
//! A warning, not an error: the reference documents one domain per order and
//! is silent on the counterpart, while the CA behind the free product
//! (DigiCert) certifies it on single-name certificates, and the sandbox does
//! the same. If the service drops or refuses it, order that name separately.
//! Runs only when the policy names a product code, like V907.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::product::product;
use crate::rule::{Hit, Rule, Source};
use crate::rules::aliyun::v907_product_code_refuses::counterpart;

pub(crate) static RULE: Rule = Rule {
    code: "V908",
    name: "product-name-counterpart",
    default_severity: Severity::Warning,
    description: "the request names the CN's counterpart (www. added or removed, or a wildcard's base), which the reference does not say the product carries beside the CN",
    citation: "Alibaba CAS CreateCertificateWithCsrRequest (the CN is the domain bound) and CreateCertificateRequest (exactly one domain); DigiCert single-name certificates cover the www. counterpart",
    source: Source::Aliyun,
    since: "0.1.0",
    rationale: "A warning: the reference binds one domain, the CN, and says nothing of its www. counterpart or a wildcard's base; DigiCert, the CA behind the default free product, certifies them on single-name certificates, and the sandbox does too. Any other second name is V907's error.",
    profile: None,
    applies: |_, policy| policy.product_code().and_then(product).is_some(),
    check,
};

fn check(csr: &Csr<'_>, policy: &Policy, out: &mut Vec<Hit>) {
    let (Some(p), Some(cn)) = (policy.product_code().and_then(product), csr.cn()) else {
        return;
    };
    let cn = cn.to_ascii_lowercase();
    let other = counterpart(&cn, p.wildcard);
    if other == cn {
        return;
    }
    if let Some(n) = csr
        .names()
        .iter()
        .find(|n| n.name.eq_ignore_ascii_case(&other))
    {
        out.push(
            Hit::new(format!(
                "{} binds one name, {cn}; the request also names its counterpart {other}, which the reference does not say it carries",
                p.code
            ))
            .at(n.offset, n.field.as_str())
            .note("DigiCert certifies it on single-name certificates (and so does the sandbox); if the service drops it, order it separately"),
        );
    }
}
