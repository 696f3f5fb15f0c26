//! Product codes and the names each one certifies (reference 1.3.1, 1.3.2, 1.4).
//!
//! `CreateCertificateWithCsrRequest` "purchases, applies for and issues a DV-only certificate"
//! (1.3.1), and "the CN field of the CSR is the domain bound to the certificate". Reference 1.4
//! lists the DV codes valid for it, single-domain or wildcard, and 1.3.2 says "a wildcard
//! (`*.example.com`) only with a wildcard ProductCode". The reference says nothing about other
//! names in the CSR's subjectAltName; the sandbox follows the brands' published rule (DigiCert,
//! which issues for these products: "All DigiCert SSL certificates allow you to cover both the
//! base domain and the www subdomain at no added cost ... This also applies to Wildcards
//! (example.com available for free with *.example.com)", docs.digicert.com, "Flex
//! certificates"):
//!
//! - a single-domain product certifies the CN, and may add its `www.` counterpart
//!   (`example.com` with `www.example.com`, or `www.example.com` with `example.com`); no other
//!   name, no wildcard;
//! - a wildcard product certifies a wildcard CN (`*.example.com`), and may add its base
//!   (`example.com`); a plain CN is refused (the console binds "one wildcard name" to these).
//!
//! Anything else is refused with `CreateCertificateRequestFailed` (403), the code reference
//! 1.3.1 documents for this operation as "failed to create the request"; the reference does not
//! say which code the service picks for these cases.

use crate::csr::CheckedCsr;
use crate::wire::ApiError;

/// How many names, of which kind, a product certifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Coverage {
    /// One name (plus its `www.` counterpart).
    Single,
    /// One wildcard name (plus its base).
    Wildcard,
}

/// The DV codes valid for `CreateCertificateWithCsrRequest` (reference 1.4).
/// `symantec-dv-1-starter` is a wildcard product in the current SDK documentation and a
/// single-domain one in the 2020 zh document; the sandbox follows the current documentation
/// (as csrkit's lint does).
const DV: [(&str, Coverage); 7] = [
    ("digicert-free-1-free", Coverage::Single),
    ("symantec-free-1-free", Coverage::Single),
    ("symantec-dv-1-starter", Coverage::Wildcard),
    ("geotrust-dv-1-starter", Coverage::Single),
    ("geotrust-dv-w-starter", Coverage::Wildcard),
    ("globalsign-dv-1-personal", Coverage::Single),
    ("globalsign-dv-w-advanced", Coverage::Wildcard),
];

/// The OV/EV codes, documented for `CreateCertificateForPackageRequest` and
/// `DescribePackageState` only (reference 1.4).
const OV_EV: [&str; 8] = [
    "symantec-ov-1-personal",
    "symantec-ov-w-personal",
    "geotrust-ov-1-personal",
    "geotrust-ov-w-personal",
    "globalsign-ov-1-personal",
    "globalsign-ov-w-advanced",
    "cfca-ov-1-personal",
    "cfca-ev-w-advanced",
];

/// The coverage of a DV code; `None` for any other code.
pub(crate) fn dv(code: &str) -> Option<Coverage> {
    DV.iter().find(|(c, _)| *c == code).map(|(_, k)| *k)
}

/// A documented code, DV or OV/EV.
pub(crate) fn is_documented(code: &str) -> bool {
    dv(code).is_some() || OV_EV.contains(&code)
}

/// `InvalidParameter` for a code that `CreateCertificateWithCsrRequest` does not take.
pub(crate) fn not_dv(code: &str) -> ApiError {
    let dv: Vec<&str> = DV.iter().map(|(c, _)| *c).collect();
    let why = if OV_EV.contains(&code) {
        "is an OV/EV product code; CreateCertificateWithCsrRequest issues DV certificates only"
    } else {
        "is not a DV product code"
    };
    ApiError::invalid(
        "ProductCode",
        format!("\"{code}\" {why}; use one of {}", dv.join(", ")),
    )
}

/// What an order certifies, and how `ListUserCertificateOrder` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Covered {
    /// The CN first, then the other names the product allows.
    pub(crate) names: Vec<String>,
}

/// `DomainType`, `DomainCount` and `WildDomainCount` of an order on `code` (reference 1.3.6
/// names them; it does not define the counts). The sandbox counts the names bought: one plain
/// name for a single-domain product, one wildcard for a wildcard product; the free `www.`
/// counterpart or base is not counted.
pub(crate) fn list_shape(code: &str, names: &[String]) -> (&'static str, u64, u64) {
    match dv(code) {
        Some(Coverage::Single) => ("ONE", 1, 0),
        Some(Coverage::Wildcard) => ("WILDCARD", 0, 1),
        // an order kept from before product rules existed
        None => {
            let wild = names.iter().filter(|n| n.starts_with("*.")).count() as u64;
            let plain = names.len() as u64 - wild;
            let kind = match (plain, wild) {
                (_, 0) if plain <= 1 => "ONE",
                (_, 0) => "MULTIPLE",
                (0, 1) => "WILDCARD",
                (0, _) => "M_WILDCARD",
                _ => "MIX",
            };
            (kind, plain, wild)
        }
    }
}

/// The `www.` counterpart of a plain name: `www.x` for `x`, `x` for `www.x` (when `x` still
/// has a dot).
fn www_counterpart(name: &str) -> String {
    match name.strip_prefix("www.") {
        Some(rest) if rest.contains('.') => rest.to_owned(),
        _ => format!("www.{name}"),
    }
}

fn refused(message: String) -> ApiError {
    ApiError::new(403, "CreateCertificateRequestFailed", message)
}

const WILDCARD_CODES: &str =
    "geotrust-dv-w-starter, globalsign-dv-w-advanced, symantec-dv-1-starter";

/// The names an order on `code` certifies for this CSR, or the refusal.
pub(crate) fn names_for(code: &str, csr: &CheckedCsr) -> Result<Covered, ApiError> {
    let Some(coverage) = dv(code) else {
        return Err(not_dv(code));
    };
    let cn = csr.common_name.as_str();
    let allowed: [String; 2] = match coverage {
        Coverage::Single => {
            if cn.starts_with("*.") {
                return Err(refused(format!(
                    "Failed to create the request: {code} is a single-domain product and the CSR's CN {cn} is a wildcard. A wildcard needs a wildcard product ({WILDCARD_CODES})."
                )));
            }
            [cn.to_owned(), www_counterpart(cn)]
        }
        Coverage::Wildcard => {
            let Some(base) = cn.strip_prefix("*.") else {
                return Err(refused(format!(
                    "Failed to create the request: {code} is a wildcard product and binds one wildcard name (*.example.com); the CSR's CN is {cn}. Make the CSR with CN=*.{cn}, or use a single-domain product."
                )));
            };
            [cn.to_owned(), base.to_owned()]
        }
    };
    if let Some(extra) = csr.dns_names.iter().find(|n| !allowed.contains(n)) {
        let what = match coverage {
            Coverage::Single if extra.starts_with("*.") => {
                format!("a wildcard; a wildcard needs a wildcard product ({WILDCARD_CODES})")
            }
            Coverage::Single => format!(
                "neither the CN {cn} nor its counterpart {}; a single-domain product certifies one name (and its www. counterpart)",
                allowed[1]
            ),
            Coverage::Wildcard => format!(
                "neither the CN {cn} nor its base {}; a wildcard product certifies one wildcard name (and its base)",
                allowed[1]
            ),
        };
        return Err(refused(format!(
            "Failed to create the request: the CSR asks for {extra}, which {code} does not certify: it is {what}. Order one certificate per name, or make the CSR for the CN alone."
        )));
    }
    Ok(Covered {
        names: csr.dns_names.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csr(cn: &str, sans: &[&str]) -> CheckedCsr {
        let mut dns_names = vec![cn.to_owned()];
        for s in sans {
            if !dns_names.iter().any(|n| n == s) {
                dns_names.push((*s).to_owned());
            }
        }
        CheckedCsr {
            common_name: cn.to_owned(),
            dns_names,
            spki_der: Vec::new(),
            algorithm: "ECC",
        }
    }

    fn code(r: Result<Covered, ApiError>) -> String {
        r.map(|c| c.names.join(","))
            .unwrap_or_else(|e| e.code.into())
    }

    #[test]
    fn single_domain_products_take_one_name_and_its_www_counterpart() {
        let c = "digicert-free-1-free";
        assert_eq!(code(names_for(c, &csr("example.com", &[]))), "example.com");
        assert_eq!(
            code(names_for(c, &csr("example.com", &["www.example.com"]))),
            "example.com,www.example.com"
        );
        assert_eq!(
            code(names_for(c, &csr("www.example.org", &["example.org"]))),
            "www.example.org,example.org"
        );
        assert_eq!(
            code(names_for(
                c,
                &csr("site.example.com", &["www.site.example.com"])
            )),
            "site.example.com,www.site.example.com"
        );
        for (cn, sans) in [
            ("*.example.com", &[][..]),
            ("example.com", &["*.example.com"][..]),
            ("example.com", &["evil.org"][..]),
            ("example.com", &["other.org"][..]),
            ("site.example.com", &["example.com"][..]),
            ("www.com", &["com"][..]),
        ] {
            assert_eq!(
                code(names_for(c, &csr(cn, sans))),
                "CreateCertificateRequestFailed",
                "{cn} {sans:?}"
            );
        }
    }

    #[test]
    fn wildcard_products_take_a_wildcard_and_its_base() {
        let c = "geotrust-dv-w-starter";
        assert_eq!(
            code(names_for(c, &csr("*.example.com", &[]))),
            "*.example.com"
        );
        assert_eq!(
            code(names_for(c, &csr("*.example.com", &["example.com"]))),
            "*.example.com,example.com"
        );
        for (cn, sans) in [
            ("example.com", &[][..]),
            ("*.example.com", &["www.example.com"][..]),
            ("*.example.com", &["*.example.org"][..]),
        ] {
            assert_eq!(
                code(names_for(c, &csr(cn, sans))),
                "CreateCertificateRequestFailed",
                "{cn} {sans:?}"
            );
        }
    }

    #[test]
    fn only_dv_codes() {
        for c in ["symantec-ov-1-personal", "nope", "globalsign-dv-1-starter"] {
            let e = names_for(c, &csr("example.com", &[])).expect_err(c);
            assert_eq!(e.code, "InvalidParameter");
            assert!(e.message.contains("ProductCode"), "{}", e.message);
        }
        assert!(is_documented("symantec-ov-1-personal") && !is_documented("nope"));
    }

    #[test]
    fn list_shapes_agree_with_the_product() {
        let n = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            list_shape("digicert-free-1-free", &n(&["a.com", "www.a.com"])),
            ("ONE", 1, 0)
        );
        assert_eq!(
            list_shape("geotrust-dv-w-starter", &n(&["*.a.com", "a.com"])),
            ("WILDCARD", 0, 1)
        );
    }
}
