//! The product codes of Alibaba Cloud CAS, and what each one carries
//! (the reference `alibaba-cas-api.md` §1.3.1–1.3.3 and §1.4).

use serde::Serialize;

/// What a certificate product of Alibaba Cloud CAS carries, from its
/// `ProductCode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Product {
    /// The `ProductCode`, such as `digicert-free-1-free`.
    pub code: &'static str,
    /// The validation level: `DV`, `OV` or `EV`.
    pub validation: &'static str,
    /// Whether it is a wildcard product (`-w-` codes, and
    /// `symantec-dv-1-starter` per the current SDK documentation).
    pub wildcard: bool,
    /// Whether `CreateCertificateWithCsrRequest` (which issues DV only) takes
    /// it.
    pub csr_request: bool,
}

const fn dv(code: &'static str, wildcard: bool) -> Product {
    Product {
        code,
        validation: "DV",
        wildcard,
        csr_request: true,
    }
}

const fn ov(code: &'static str, validation: &'static str, wildcard: bool) -> Product {
    Product {
        code,
        validation,
        wildcard,
        csr_request: false,
    }
}

/// Every documented product code (reference §1.4). `symantec-dv-1-starter`
/// is a wildcard product per the current SDK documentation (the 2020 zh
/// documentation said single-domain; the current one wins).
pub const PRODUCTS: &[Product] = &[
    dv("digicert-free-1-free", false),
    dv("symantec-free-1-free", false),
    dv("symantec-dv-1-starter", true),
    dv("geotrust-dv-1-starter", false),
    dv("geotrust-dv-w-starter", true),
    dv("globalsign-dv-1-personal", false),
    dv("globalsign-dv-w-advanced", true),
    ov("symantec-ov-1-personal", "OV", false),
    ov("symantec-ov-w-personal", "OV", true),
    ov("geotrust-ov-1-personal", "OV", false),
    ov("geotrust-ov-w-personal", "OV", true),
    ov("globalsign-ov-1-personal", "OV", false),
    ov("globalsign-ov-w-advanced", "OV", true),
    ov("cfca-ov-1-personal", "OV", false),
    ov("cfca-ev-w-advanced", "EV", true),
];

/// The product a code names, `None` for a code the reference does not
/// list (such as `globalsign-dv-1-starter`, which does not exist).
///
/// ```
/// let p = csrkit_validate::product("geotrust-dv-w-starter").ok_or("no such product")?;
/// assert!(p.wildcard && p.csr_request);
/// assert!(csrkit_validate::product("globalsign-dv-1-starter").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn product(code: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|p| p.code == code)
}
