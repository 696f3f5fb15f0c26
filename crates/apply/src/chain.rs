//! Checks on an issued certificate before it is saved: the leaf carries our
//! key, its names cover what was asked, and every certificate of the chain
//! is signed by the next.

use csrkit_names::DnsName;
use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

use crate::error::{Error, Result};

/// An issued certificate, checked.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub(crate) struct Issued {
    /// The leaf, PEM.
    pub(crate) cert_pem: String,
    /// The intermediates, PEM (may be empty).
    pub(crate) chain_pem: String,
    /// The leaf's notBefore, RFC 3339.
    pub(crate) not_before: String,
    /// The leaf's notAfter, RFC 3339.
    pub(crate) not_after: String,
    /// Days from now to notAfter.
    pub(crate) days_left: i64,
}

/// Splits the service's `Certificate` field (leaf first, then the chain)
/// and checks it against the key fingerprint and the names of the order.
pub(crate) fn check(pem_text: &str, key_spki_sha256: &str, domains: &[String]) -> Result<Issued> {
    let blocks = ::pem::parse_many(pem_text.as_bytes()).map_err(|e| {
        Error::refused(format!(
            "the certificate the service returned is not valid PEM ({e}); it was not saved"
        ))
    })?;
    let ders: Vec<Vec<u8>> = blocks
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(|b| b.into_contents())
        .collect();
    let Some(leaf_der) = ders.first() else {
        return Err(Error::refused(
            "the service returned no certificate in its answer; nothing was saved",
        ));
    };
    let mut certs = Vec::with_capacity(ders.len());
    for (i, der) in ders.iter().enumerate() {
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| {
            Error::refused(format!(
                "certificate {} of the returned chain does not parse: {e}; it was not saved",
                i + 1
            ))
        })?;
        certs.push(cert);
    }
    let leaf = &certs[0];

    // 1. Our key.
    let spki = hex::encode(Sha256::digest(leaf.public_key().raw));
    if spki != key_spki_sha256 {
        return Err(Error::refused(format!(
            "the issued certificate is for another key (SPKI sha256 {spki}, ours \
             {key_spki_sha256}); it was not saved"
        )));
    }

    // 2. Our names.
    let mut names: Vec<DnsName> = Vec::new();
    if let Ok(Some(san)) = leaf.subject_alternative_name() {
        for n in &san.value.general_names {
            if let GeneralName::DNSName(d) = n
                && let Ok(name) = DnsName::parse(d)
            {
                names.push(name);
            }
        }
    }
    for d in domains {
        let want = DnsName::parse(d)
            .map_err(|e| Error::input(format!("the journal's domain {d:?}: {e}")))?;
        if !names.iter().any(|n| n.covers(&want)) {
            return Err(Error::refused(format!(
                "the issued certificate does not cover {d} (it names {names:?}); it was not saved"
            )));
        }
    }

    // 3. The chain's signatures, leaf upwards.
    for pair in certs.windows(2) {
        let (child, issuer) = (&pair[0], &pair[1]);
        child
            .verify_signature(Some(issuer.public_key()))
            .map_err(|e| {
                Error::refused(format!(
                    "the returned chain is broken: {} is not signed by {} ({e}); it was not saved",
                    child.subject(),
                    issuer.subject()
                ))
            })?;
    }

    let rfc3339 = |t: ::time::OffsetDateTime| {
        t.format(&::time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    let not_before = leaf.validity().not_before.to_datetime();
    let not_after = leaf.validity().not_after.to_datetime();
    let days_left = (not_after - ::time::OffsetDateTime::now_utc()).whole_days();
    let encode = |der: &Vec<u8>| ::pem::encode(&::pem::Pem::new("CERTIFICATE", der.clone()));
    Ok(Issued {
        cert_pem: encode(leaf_der),
        chain_pem: ders[1..].iter().map(encode).collect(),
        not_before: rfc3339(not_before),
        not_after: rfc3339(not_after),
        days_left,
    })
}

/// What the layout needs to know of a certificate already on disk.
pub(crate) struct LeafFacts {
    /// SHA-256 of its SubjectPublicKeyInfo, hex.
    pub(crate) spki_sha256: String,
    /// notBefore, RFC 3339.
    pub(crate) not_before: String,
    /// notAfter, RFC 3339.
    pub(crate) not_after: String,
}

/// The first certificate of a PEM text.
pub(crate) fn leaf_facts(pem_text: &str) -> Result<LeafFacts> {
    let bad = |e: String| Error::input(format!("cert.pem does not hold a certificate: {e}"));
    let block = ::pem::parse_many(pem_text.as_bytes())
        .map_err(|e| bad(e.to_string()))?
        .into_iter()
        .find(|b| b.tag() == "CERTIFICATE")
        .ok_or_else(|| bad("no CERTIFICATE block".into()))?;
    let (_, cert) = X509Certificate::from_der(block.contents()).map_err(|e| bad(e.to_string()))?;
    let rfc3339 = |t: ::time::OffsetDateTime| {
        t.format(&::time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    };
    Ok(LeafFacts {
        spki_sha256: hex::encode(Sha256::digest(cert.public_key().raw)),
        not_before: rfc3339(cert.validity().not_before.to_datetime()),
        not_after: rfc3339(cert.validity().not_after.to_datetime()),
    })
}

/// The SPKI fingerprint of an unencrypted key file; `None` when it cannot
/// be read without a passphrase.
pub(crate) fn key_file_spki(path: &std::path::Path) -> Option<String> {
    let bytes = zeroize::Zeroizing::new(std::fs::read(path).ok()?);
    csrkit_csr::load_key(&bytes, &path.display().to_string(), None)
        .ok()
        .map(|k| k.spki_sha256())
}
