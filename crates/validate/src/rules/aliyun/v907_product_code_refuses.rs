//! V907 `product-code-refuses`: the request MUST fit the product `apply` is about to buy (`--product-code`): a known code, a DV code for CreateCertificateWithCsrRequest, a wildcard only on a wildcard product, and no name beyond the CN and its counterpart
//!
//! Citation: Alibaba CAS reference §1.3.1 (CreateCertificateWithCsrRequest issues DV only; the CN is the domain bound), §1.3.2 (Domain: "Exactly one domain. A wildcard only with a wildcard ProductCode"), §1.4 (the ProductCode values).
//!
//! Runs only when the policy names a product code
//! ([`crate::Policy::set_product_code`], `--product-code`, `[validate]
//! product_code`). Every product binds one name, the CN (reference §1.3.1,
//! §1.3.2: "exactly one domain"). A name that is neither the CN nor its
//! counterpart (`www.` added or removed; a wildcard's base) is an error; the
//! counterpart itself is V908's warning, because the reference is silent on
//! it and DigiCert's single-name certificates carry it (the sandbox follows
//! DigiCert, so the two agree).

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::product::{PRODUCTS, product};
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V907",
    name: "product-code-refuses",
    default_severity: Severity::Error,
    description: "the request MUST fit the product apply is about to buy (--product-code): a known code, a DV code for CreateCertificateWithCsrRequest, a wildcard only on a wildcard product, and no name beyond the CN and its counterpart",
    citation: "Alibaba CAS CreateCertificateWithCsrRequest and CreateCertificateRequest (Domain: exactly one domain; a wildcard only with a wildcard ProductCode); ProductCode values",
    source: Source::Aliyun,
    since: "0.1.0",
    rationale: "Runs when a product code is set (--product-code, [validate] product_code, or apply's). Each product binds one name, the CN (the reference: \"exactly one domain\"); a name that is neither the CN nor its counterpart (www. added or removed, or a wildcard's base) is an error. The counterpart alone is V908's warning: the reference is silent on it, DigiCert's single-name certificates carry it, and the sandbox follows DigiCert. An unknown code, an OV/EV code for CreateCertificateWithCsrRequest, and a wildcard on a single-domain product are errors too.",
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
    let mut seen = crate::seen::Seen::new();
    for n in csr.names() {
        let lower = n.name.to_ascii_lowercase();
        if seen.insert(lower.clone()) {
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
    let cn = csr.cn().map(|c| c.to_ascii_lowercase());
    let bound: Vec<String> = cn
        .iter()
        .flat_map(|c| [c.clone(), counterpart(c, p.wildcard)])
        .collect();
    let extra: Vec<&str> = names
        .iter()
        .map(|(n, _, _)| n.as_str())
        .filter(|n| !bound.iter().any(|b| b == n))
        .filter(|n| p.wildcard || !n.starts_with("*."))
        .collect();
    if !extra.is_empty() && (cn.is_some() || names.len() > 1) {
        out.push(
            Hit::new(format!(
                "{code} binds one name, the CN{}; the request also names {}",
                cn.as_deref().map(|c| format!(" {c}")).unwrap_or_default(),
                extra.join(", ")
            ))
            .at(None, "extensionRequest/subjectAltName")
            .note("order one certificate per name"),
        );
    }
}

/// The name a product certifies beside the CN, as DigiCert does: the `www.`
/// counterpart on a single-domain product (`example.com` ↔
/// `www.example.com`), the base on a wildcard product (`*.example.com` →
/// `example.com`). Shared with V908.
pub(crate) fn counterpart(cn: &str, wildcard: bool) -> String {
    if wildcard {
        return cn.strip_prefix("*.").unwrap_or(cn).to_owned();
    }
    match cn.strip_prefix("www.") {
        Some(rest) if rest.contains('.') => rest.to_owned(),
        _ => format!("www.{cn}"),
    }
}
