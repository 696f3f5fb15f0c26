//! The CSR side of `apply`: reading a CSR given by the user, and the lint
//! gate that stops an order before any request is sent.

use std::path::{Path, PathBuf};

use anyhow::Context;
use csrkit_csr::CsrRequest;
use csrkit_validate::{render, validate};

use crate::exit;
use crate::settings::Settings;

/// The DER of the single CSR in `bytes` (PEM or DER).
pub(super) fn csr_der(bytes: &[u8], path: &Path) -> anyhow::Result<Vec<u8>> {
    let looks_pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
    if !looks_pem {
        return Ok(bytes.to_vec());
    }
    let blocks =
        ::pem::parse_many(bytes).with_context(|| format!("{} is not valid PEM", path.display()))?;
    let csrs: Vec<_> = blocks
        .into_iter()
        .filter(|b| matches!(b.tag(), "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST"))
        .collect();
    match csrs.len() {
        1 => Ok(csrs
            .into_iter()
            .next()
            .map(|b| b.into_contents())
            .unwrap_or_default()),
        0 => anyhow::bail!("{} holds no CERTIFICATE REQUEST", path.display()),
        n => anyhow::bail!(
            "{} holds {n} CSRs; apply takes one certificate at a time",
            path.display()
        ),
    }
}

fn inspect_one(der: &[u8]) -> anyhow::Result<csrkit_validate::Inspection> {
    csrkit_validate::inspect(der)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no certificate request found"))
}

/// The SHA-256 of the CSR's public key.
pub(super) fn csr_spki_sha256(der: &[u8]) -> anyhow::Result<String> {
    Ok(inspect_one(der)?.spki_sha256)
}

/// The default directory for a CSR: `./<CN>/` (wildcard as `_`).
pub(super) fn csr_default_dir(path: &Path) -> anyhow::Result<PathBuf> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the CSR {}", path.display()))?;
    let facts = inspect_one(&csr_der(&bytes, path)?)?;
    let cn = facts
        .common_name
        .ok_or_else(|| anyhow::anyhow!("{} has no CN; pass --out-dir", path.display()))?;
    let name = csrkit_names::DnsName::parse(&cn)
        .with_context(|| format!("the CN of {}; pass --out-dir", path.display()))?;
    Ok(PathBuf::from(name.file_stem()))
}

/// Refuses a CSR found in the directory whose names are not the ones asked.
pub(super) fn check_names_match(
    der: &[u8],
    request: &CsrRequest,
    path: &Path,
) -> anyhow::Result<()> {
    let facts = inspect_one(der)?;
    let have: Vec<String> = facts
        .sans
        .iter()
        .filter(|s| s.kind == "dns")
        .map(|s| s.value.clone())
        .collect();
    let want: Vec<String> = request.domains().iter().map(|d| d.to_string()).collect();
    if have != want {
        anyhow::bail!(
            "{} is a CSR for {}, not for {}; use another --out-dir",
            path.display(),
            have.join(", "),
            want.join(", ")
        );
    }
    Ok(())
}

/// Lints the CSR with the settings' policy and `--allow`: prints findings
/// and stops (exit 1) on any at or above the policy's `fail_on`. Returns
/// the CSR's names, CN first.
pub(super) fn gate(
    der: &[u8],
    settings: &Settings,
    allow: &[String],
    path: &Path,
) -> anyhow::Result<Vec<String>> {
    let mut policy = settings.policy.clone();
    for rule in allow {
        policy.allow(rule)?;
    }
    let report = validate(der, &policy);
    let label = path.display().to_string();
    if report.worst_severity().is_some() {
        eprint!(
            "{}",
            render::human(&[(label.as_str(), report.clone())], false)
        );
    }
    if report.fails(policy.fail_on()) {
        return Err(exit::fail(
            exit::FINDINGS,
            format!(
                "{label} fails the lint (see above): nothing was sent. Fix the CSR, or pass \
                 --allow RULE to submit it anyway"
            ),
        ));
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
