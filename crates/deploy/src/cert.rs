//! The certificate to deploy, read and checked before anything is sent.

use sha2::{Digest as _, Sha256};
use x509_parser::prelude::{FromDer as _, X509Certificate};

use crate::error::{Error, Result};

/// A certificate chain and its key, checked: the chain parses, its first
/// certificate is the key's, and it has not expired.
pub(crate) struct LocalCert {
    /// The chain as given (the leaf first), for the upload.
    pub(crate) chain_pem: String,
    /// The leaf's DER.
    pub(crate) leaf_der: Vec<u8>,
    /// Lowercase hex SHA-256 of the leaf's DER: the journal's key.
    pub(crate) fingerprint: String,
    /// Uppercase hex of the serial number's bytes.
    pub(crate) serial: String,
    /// The subject CN (or the first SAN).
    pub(crate) common_name: String,
    /// notAfter, Unix seconds.
    pub(crate) not_after: i64,
}

fn input(what: &str, reason: impl Into<String>) -> Error {
    Error::Input {
        what: what.to_owned(),
        reason: reason.into(),
    }
}

impl LocalCert {
    /// Reads `chain_pem` (the certificate, then its chain) and checks that
    /// `key_pem` is its key, at `now` (Unix seconds).
    pub(crate) fn parse(chain_pem: &str, key_pem: &str, now: i64) -> Result<LocalCert> {
        let blocks: Vec<x509_parser::pem::Pem> =
            x509_parser::pem::Pem::iter_from_buffer(chain_pem.as_bytes())
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| input("the certificate", format!("it is not PEM ({e})")))?;
        let leaf_pem = blocks
            .iter()
            .find(|b| b.label == "CERTIFICATE")
            .ok_or_else(|| input("the certificate", "it holds no CERTIFICATE block"))?;
        let (_, leaf) = X509Certificate::from_der(&leaf_pem.contents).map_err(|e| {
            input(
                "the certificate",
                format!("its first CERTIFICATE block is not a certificate ({e})"),
            )
        })?;
        let not_after = leaf.validity().not_after.timestamp();
        if not_after <= now {
            return Err(input(
                "the certificate",
                format!(
                    "it expired at {} (Unix time {not_after}); renew it first (csrkit renew, or apply --new-order)",
                    leaf.validity().not_after
                ),
            ));
        }
        if key_pem.contains("ENCRYPTED PRIVATE KEY") {
            return Err(input(
                "the private key",
                "it is encrypted; the service installs the key on the product, so it needs the key in clear \
                 (decrypt a copy with `openssl pkey`, and keep it 0600)",
            ));
        }
        let key = rcgen::KeyPair::from_pem(key_pem).map_err(|_| {
            input(
                "the private key",
                "it is not a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)",
            )
        })?;
        if key.public_key_raw() != leaf.public_key().subject_public_key.data.as_ref() {
            return Err(input(
                "the private key",
                "it is not the key of the certificate (their public keys differ); deploy the key the \
                 certificate was issued for",
            ));
        }
        let common_name = leaf
            .subject()
            .iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok())
            .map(str::to_owned)
            .or_else(|| first_san(&leaf))
            .unwrap_or_default();
        Ok(LocalCert {
            chain_pem: chain_pem.to_owned(),
            leaf_der: leaf_pem.contents.clone(),
            fingerprint: hex::encode(Sha256::digest(&leaf_pem.contents)),
            serial: hex::encode_upper(leaf.raw_serial()),
            common_name,
            not_after,
        })
    }

    /// Whether `pem` (a chain the service returned) starts with this
    /// certificate.
    pub(crate) fn is_leaf_of(&self, pem: &str) -> bool {
        x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes())
            .find_map(|b| b.ok().filter(|b| b.label == "CERTIFICATE"))
            .is_some_and(|b| b.contents == self.leaf_der)
    }

    /// Whether a serial number the service lists (hex, any case, maybe with
    /// colons or leading zeros) is this certificate's.
    pub(crate) fn has_serial(&self, listed: &str) -> bool {
        let norm = |s: &str| {
            s.chars()
                .filter(char::is_ascii_hexdigit)
                .collect::<String>()
                .to_ascii_uppercase()
                .trim_start_matches('0')
                .to_owned()
        };
        !listed.is_empty() && norm(listed) == norm(&self.serial)
    }

    /// The name the upload gets: `csrkit-<name>-<fingerprint prefix>`, at
    /// most 63 characters (the service's limit), unique per certificate.
    pub(crate) fn upload_name(&self) -> String {
        let name: String = self
            .common_name
            .replace("*.", "wildcard.")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(63 - "csrkit--".len() - 16)
            .collect();
        format!("csrkit-{name}-{}", &self.fingerprint[..16])
    }
}

fn first_san(leaf: &X509Certificate<'_>) -> Option<String> {
    leaf.subject_alternative_name()
        .ok()
        .flatten()?
        .value
        .general_names
        .iter()
        .find_map(|n| match n {
            x509_parser::extensions::GeneralName::DNSName(d) => Some((*d).to_owned()),
            _ => None,
        })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pair(names: &[&str]) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(
            names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>(),
        )
        .unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, names[0]);
        (params.self_signed(&key).unwrap().pem(), key.serialize_pem())
    }

    #[test]
    fn reads_and_checks_the_pair() {
        let (cert, key) = pair(&["*.example.com"]);
        let c = LocalCert::parse(&cert, &key, 0).unwrap();
        assert_eq!(c.fingerprint.len(), 64);
        assert!(c.is_leaf_of(&cert));
        assert!(c.has_serial(&format!("00:{}", c.serial.to_ascii_lowercase())));
        assert!(!c.has_serial(""));
        let name = c.upload_name();
        assert!(
            name.starts_with("csrkit-wildcard.example.com-") && name.len() <= 63,
            "{name}"
        );
        let long = "a".repeat(60) + ".example.com";
        let (cert2, key2) = pair(&[&long]);
        assert!(
            LocalCert::parse(&cert2, &key2, 0)
                .unwrap()
                .upload_name()
                .len()
                <= 63
        );

        let e = LocalCert::parse(&cert, &key2, 0).err().unwrap().to_string();
        assert!(e.contains("not the key of the certificate"), "{e}");
        let e = LocalCert::parse("nothing", &key, 0)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("no CERTIFICATE"), "{e}");
        let e = LocalCert::parse(
            &cert,
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----\n",
            0,
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("encrypted"), "{e}");
        let e = LocalCert::parse(&cert, &key, i64::MAX)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("expired"), "{e}");
    }
}
