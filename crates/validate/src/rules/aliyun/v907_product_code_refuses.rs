//! V907 `product-code-refuses`: the request MUST fit the product `apply` is about to buy (`--product-code`): a known code, a DV code for CreateCertificateWithCsrRequest, a wildcard only on a wildcard product, and no more names than the product carries (one)
//!
//! Citation: Alibaba CAS reference §1.3.1 (CreateCertificateWithCsrRequest issues DV only; the CN is the domain bound), §1.3.2 (Domain: "Exactly one domain. A wildcard only with a wildcard ProductCode"), §1.4 (the ProductCode values).
//!
//! Runs only when the policy names a product code
//! ([`crate::Policy::set_product_code`], `--product-code`, `[validate]
//! product_code`). Every product carries one name, the CN: the reference
//! documents "exactly one domain" for these products and nothing about
//! `www.` pairs, so a request naming `example.com` and `www.example.com` is
//! two names and an error on any product (order `www.example.com` on its
//! own, or both on a multi-domain product the reference does not list).
//! A wildcard product carries its one wildcard name the same way.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::product::{PRODUCTS, product};
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V907",
    name: "product-code-refuses",
    default_severity: Severity::Error,
    description: "the request MUST fit the product apply is about to buy (--product-code): a known code, a DV code for CreateCertificateWithCsrRequest, a wildcard only on a wildcard product, and no more names than the product carries (one)",
    citation: "Alibaba CAS CreateCertificateWithCsrRequest and CreateCertificateRequest (Domain: exactly one domain; a wildcard only with a wildcard ProductCode); ProductCode values",
    source: Source::Aliyun,
    since: "0.1.0",
    rationale: "Runs when a product code is set (--product-code, [validate] product_code, or apply's). Each product carries one name, the CN: the reference documents \"exactly one domain\" and nothing about www. pairs, so example.com plus www.example.com is two names and an error on any product. An unknown code, an OV/EV code for CreateCertificateWithCsrRequest, and a wildcard on a single-domain product are errors too.",
    profile: None,
    applies: |_, policy| policy.product_code().is_some(),
    check,
};

fn check(csr: &Csr<'_>, policy: &Policy, out: &mut Vec<Hit>) {
    let Some(code) = policy.product_code() else {
        return;
    };
    let Some(p) = product(code) else {
        let dv: Vec<&str> = PRODUCTS
            .iter()
            .filter(|p| p.csr_request)
            .map(|p| p.code)
            .collect();
        out.push(
            Hit::new(format!(
                "the product code \"{code}\" is not one the service documents"
            ))
            .at(None, "--product-code")
            .note(format!("DV codes: {}", dv.join(", "))),
        );
        return;
    };
    if !p.csr_request {
        out.push(
            Hit::new(format!(
                "{code} is an {} product; CreateCertificateWithCsrRequest issues DV certificates only",
                p.validation
            ))
            .at(None, "--product-code")
            .note("choose a DV code, such as digicert-free-1-free or geotrust-dv-w-starter (wildcard)"),
        );
    }
    let mut names: Vec<(String, Option<usize>, String)> = Vec::new();
    for n in csr.names() {
        let lower = n.name.to_ascii_lowercase();
        if !names.iter().any(|(x, _, _)| *x == lower) {
            names.push((lower, n.offset, n.field.clone()));
        }
    }
    if !p.wildcard {
        for (name, offset, field) in names.iter().filter(|(n, _, _)| n.starts_with("*.")) {
            out.push(
                Hit::new(format!(
                    "{code} is a single-domain product: it cannot certify the wildcard \"{name}\""
                ))
                .at(*offset, field.as_str())
                .note("use a wildcard product: --product-code geotrust-dv-w-starter, globalsign-dv-w-advanced or symantec-dv-1-starter"),
            );
        }
    }
    if names.len() > 1 {
        let list: Vec<&str> = names.iter().map(|(n, _, _)| n.as_str()).collect();
        out.push(
            Hit::new(format!(
                "{code} carries one name, the CN; the request names {}: {}",
                names.len(),
                list.join(", ")
            ))
            .at(None, "extensionRequest/subjectAltName")
            .note("order one certificate per name (a www. name counts as a name of its own: the reference documents exactly one domain)"),
        );
    }
}
