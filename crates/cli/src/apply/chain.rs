//! Checks on an issued certificate before it is saved: the leaf carries our
//! key, its names cover what was asked, and every certificate of the chain
//! is signed by the next.

use anyhow::Context;
use csrkit_names::DnsName;
use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

/// An issued certificate, checked.
#[derive(Debug, Clone)]
pub(crate) struct Issued {
    /// The leaf, PEM.
    pub(crate) cert_pem: String,
    /// The intermediates, PEM (may be empty).
    pub(crate) chain_pem: String,
    /// The leaf's notAfter, RFC 3339.
    pub(crate) not_after: String,
    /// Days from now to notAfter.
    pub(crate) days_left: i64,
}

/// Splits the service's `Certificate` field (leaf first, then the chain)
/// and checks it against the key fingerprint and the names of the order.
pub(crate) fn check(
    pem_text: &str,
    key_spki_sha256: &str,
    domains: &[String],
) -> anyhow::Result<Issued> {
    let blocks = ::pem::parse_many(pem_text.as_bytes())
        .context("the certificate the service returned is not valid PEM")?;
    let ders: Vec<Vec<u8>> = blocks
        .into_iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(|b| b.into_contents())
        .collect();
    let Some(leaf_der) = ders.first() else {
        anyhow::bail!("the service returned no certificate in its answer");
    };
    let mut certs = Vec::with_capacity(ders.len());
    for (i, der) in ders.iter().enumerate() {
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| {
            anyhow::anyhow!(
                "certificate {} of the returned chain does not parse: {e}",
                i + 1
            )
        })?;
        certs.push(cert);
    }
    let leaf = &certs[0];

    // 1. Our key.
    let spki = hex::encode(Sha256::digest(leaf.public_key().raw));
    if spki != key_spki_sha256 {
        anyhow::bail!(
            "the issued certificate is for another key (SPKI sha256 {spki}, ours {key_spki_sha256}); \
             it was not saved"
        );
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
        let want = DnsName::parse(d).with_context(|| format!("the journal's domain {d:?}"))?;
        if !names.iter().any(|n| n.covers(&want)) {
            anyhow::bail!(
                "the issued certificate does not cover {d} (it names {names:?}); it was not saved"
            );
        }
    }

    // 3. The chain's signatures, leaf upwards.
    for pair in certs.windows(2) {
        let (child, issuer) = (&pair[0], &pair[1]);
        child
            .verify_signature(Some(issuer.public_key()))
            .map_err(|e| {
                anyhow::anyhow!(
                    "the returned chain is broken: {} is not signed by {} ({e}); it was not saved",
                    child.subject(),
                    issuer.subject()
                )
            })?;
    }

    let not_after = leaf.validity().not_after.to_datetime();
    let days_left = (not_after - ::time::OffsetDateTime::now_utc()).whole_days();
    let encode = |der: &Vec<u8>| ::pem::encode(&::pem::Pem::new("CERTIFICATE", der.clone()));
    Ok(Issued {
        cert_pem: encode(leaf_der),
        chain_pem: ders[1..].iter().map(encode).collect(),
        not_after: not_after
            .format(&::time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        days_left,
    })
}
