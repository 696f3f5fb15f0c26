//! The CSR side of the engine: reading a CSR given by the user, and the
//! lint gate that stops an order before any request is sent.

use std::path::{Path, PathBuf};

use csrkit_csr::CsrRequest;
use csrkit_validate::validate;

use crate::error::{Error, Result};
use crate::event::{Event, Reporter};

/// The DER of the single CSR in `bytes` (PEM or DER).
pub(crate) fn csr_der(bytes: &[u8], path: &Path) -> Result<Vec<u8>> {
    let looks_pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
    if !looks_pem {
        return Ok(bytes.to_vec());
    }
    let blocks = ::pem::parse_many(bytes)
        .map_err(|e| Error::input(format!("{} is not valid PEM: {e}", path.display())))?;
    let mut csrs: Vec<_> = blocks
        .into_iter()
        .filter(|b| matches!(b.tag(), "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST"))
        .collect();
    match csrs.len() {
        1 => Ok(csrs.remove(0).into_contents()),
        0 => Err(Error::input(format!(
            "{} holds no CERTIFICATE REQUEST",
            path.display()
        ))),
        n => Err(Error::input(format!(
            "{} holds {n} CSRs; apply takes one certificate at a time",
            path.display()
        ))),
    }
}

/// The DER of the CSR in the file `path`.
pub(crate) fn read_csr(path: &Path) -> Result<Vec<u8>> {
    let bytes = std::fs::read(path)
        .map_err(|e| Error::input(format!("cannot read the CSR {}: {e}", path.display())))?;
    csr_der(&bytes, path)
}

/// The PEM text of a CSR's DER.
pub(crate) fn pem_of(der: &[u8]) -> String {
    ::pem::encode(&::pem::Pem::new("CERTIFICATE REQUEST", der.to_vec()))
}

fn inspect_one(der: &[u8]) -> Result<csrkit_validate::Inspection> {
    csrkit_validate::inspect(der)?
        .into_iter()
        .next()
        .ok_or_else(|| Error::input("no certificate request found"))
}

/// The SHA-256 of the CSR's public key.
pub(crate) fn csr_spki_sha256(der: &[u8]) -> Result<String> {
    Ok(inspect_one(der)?.spki_sha256)
}

/// The key type of the CSR's key, by its name (`p256`, `rsa2048`, …).
pub(crate) fn csr_key_type(der: &[u8]) -> Result<String> {
    let facts = inspect_one(der)?;
    Ok(
        match (facts.key.kind, facts.key.curve.as_deref(), facts.key.bits) {
            ("ecdsa", Some("P-256"), _) => "p256".to_owned(),
            ("ecdsa", Some("P-384"), _) => "p384".to_owned(),
            ("rsa", _, Some(bits)) => format!("rsa{bits}"),
            (kind, curve, _) => format!("{kind} {}", curve.unwrap_or_default()),
        },
    )
}

/// The default directory for a CSR: `./<CN>/` (wildcard as `_`).
pub(crate) fn csr_default_dir(path: &Path) -> Result<PathBuf> {
    let facts = inspect_one(&read_csr(path)?)?;
    let cn = facts
        .common_name
        .ok_or_else(|| Error::input(format!("{} has no CN; pass --out-dir", path.display())))?;
    let name = csrkit_names::DnsName::parse(&cn)
        .map_err(|e| Error::input(format!("the CN of {}: {e}; pass --out-dir", path.display())))?;
    Ok(PathBuf::from(name.file_stem()))
}

/// Refuses a CSR found in the directory whose names are not the ones asked.
pub(crate) fn check_names_match(der: &[u8], request: &CsrRequest, path: &Path) -> Result<()> {
    let facts = inspect_one(der)?;
    let have: Vec<String> = facts
        .sans
        .iter()
        .filter(|s| s.kind == "dns")
        .map(|s| s.value.clone())
        .collect();
    let want: Vec<String> = request.domains().iter().map(|d| d.to_string()).collect();
    if have != want {
        return Err(Error::input(format!(
            "{} is a CSR for {}, not for {}; use another --out-dir",
            path.display(),
            have.join(", "),
            want.join(", ")
        )));
    }
    Ok(())
}

/// Lints the CSR with `policy` and `allow`: reports any finding, and stops
/// ([`Error::Lint`]) on one at or above the policy's `fail_on`. Returns the
/// CSR's names, CN first.
pub(crate) fn gate(
    der: &[u8],
    policy: &csrkit_validate::Policy,
    allow: &[String],
    path: &Path,
    reporter: &mut dyn Reporter,
) -> Result<Vec<String>> {
    let mut policy = policy.clone();
    for rule in allow {
        policy.allow(rule)?;
    }
    let report = validate(der, &policy);
    let label = path.display().to_string();
    if report.worst_severity().is_some() {
        reporter.report(Event::LintFindings {
            csr: label.clone(),
            report: report.clone(),
        });
    }
    if report.fails(policy.fail_on()) {
        return Err(Error::Lint {
            csr: label,
            report: Box::new(report),
        });
    }
    let facts = inspect_one(der)?;
    let mut names: Vec<String> = Vec::new();
    if let Some(cn) = facts.common_name {
        names.push(cn);
    }
    for san in facts.sans.iter().filter(|s| s.kind == "dns") {
        if !names.contains(&san.value) {
            names.push(san.value.clone());
        }
    }
    Ok(names)
}
