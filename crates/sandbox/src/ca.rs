//! The sandbox certificate authority: a root and an intermediate, made once per state, that
//! issue real leaf certificates for accepted CSRs.
//!
//! The certificates follow the profile a public CA issues (CA/Browser Forum TLS Baseline
//! Requirements 7.1.2), so that a pipeline tested against the sandbox meets the same shape in
//! production; DigiCert's `pkilint` finds no error in the leaf (`DV-FINAL-CERTIFICATE`) nor in
//! the intermediate (`EXTERNAL-UNCONSTRAINED-TLS-CA`), `scripts/ci/pkilint.sh`:
//!
//! - leaf: subject CN, subjectAltName, keyUsage (digitalSignature, plus keyEncipherment for
//!   RSA), extKeyUsage serverAuth, certificatePolicies with the CA/B DV policy 2.23.140.1.2.1,
//!   authorityInfoAccess caIssuers (the intermediate, served by the sandbox), a CRL
//!   distribution point (the intermediate's CRL, served by the sandbox), AKI and SKI;
//! - intermediate: C/O/CN, basicConstraints CA pathLen 0, keyUsage keyCertSign/cRLSign,
//!   extKeyUsage serverAuth, the DV policy, caIssuers (the root) and the root's CRL, AKI and SKI.
//!
//! The URLs are `http://pki.sandbox.example.com:PORT/_sandbox/ca/…` ([`ca_base_url`]): the
//! sandbox's port, under a reserved documentation name (RFC 2606). A public CA's URLs name a
//! public host, and linters refuse an IP address or an internal name there (pkilint:
//! `cabf.internal_domain_name`), so the loopback address cannot appear; the sandbox serves
//! those paths whatever the `host` header says (`curl --resolve
//! pki.sandbox.example.com:PORT:127.0.0.1 URL`, or the sandbox's own URL with the path).
//! The port may change between runs (port 0): a loaded state whose intermediate names another
//! gets its intermediate re-issued (same key, so earlier leaves still chain).

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CrlDistributionPoint,
    CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod,
    KeyPair, KeyUsagePurpose, RevocationReason, RevokedCertParams, SanType, SerialNumber,
    SubjectPublicKeyInfo,
};
use serde::{Deserialize, Serialize};
use sha1::{Digest as _, Sha1};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// What is persisted of the CA. The keys are sandbox keys, but still kept out of `Debug`.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct CaMaterial {
    pub(crate) root_pem: String,
    #[serde(with = "secret")]
    pub(crate) root_key_pem: Zeroizing<String>,
    pub(crate) intermediate_pem: String,
    #[serde(with = "secret")]
    pub(crate) intermediate_key_pem: Zeroizing<String>,
}

/// Serde for zeroizing strings.
mod secret {
    use serde::{Deserialize as _, Deserializer, Serializer};
    use zeroize::Zeroizing;

    pub(super) fn serialize<S: Serializer>(v: &Zeroizing<String>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Zeroizing<String>, D::Error> {
        String::deserialize(d).map(Zeroizing::new)
    }
}

impl std::fmt::Debug for CaMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaMaterial")
            .field("root_pem", &self.root_pem)
            .field("root_key_pem", &"** redacted **")
            .field("intermediate_pem", &self.intermediate_pem)
            .field("intermediate_key_pem", &"** redacted **")
            .finish()
    }
}

/// Where the sandbox serves its CA's certificates and CRLs (the paths under its base URL).
pub(crate) const ROOT_CER: &str = "ca/root.cer";
/// The intermediate certificate (DER), named by leaves' caIssuers.
pub(crate) const INTERMEDIATE_CER: &str = "ca/intermediate.cer";
/// The root's CRL (DER), named by the intermediate's CRL distribution point.
pub(crate) const ROOT_CRL: &str = "ca/root.crl";
/// The intermediate's CRL (DER), named by leaves' CRL distribution point.
pub(crate) const INTERMEDIATE_CRL: &str = "ca/intermediate.crl";

/// The host the CA's URLs name (see the module documentation).
pub(crate) const CA_HOST: &str = "pki.sandbox.example.com";

/// The base of the CA's URLs for a sandbox listening on `port`.
pub(crate) fn ca_base_url(port: u16) -> String {
    if port == 80 {
        format!("http://{CA_HOST}")
    } else {
        format!("http://{CA_HOST}:{port}")
    }
}

/// How long a CRL is valid (BR 4.9.7: at most ten days for subscriber certificates).
const CRL_DAYS: i64 = 7;

/// A loaded CA, ready to issue.
pub(crate) struct Ca {
    pub(crate) material: CaMaterial,
    issuer: Issuer<'static, KeyPair>,
    root: Issuer<'static, KeyPair>,
    base_url: String,
}

fn ca_err(what: &str) -> impl Fn(rcgen::Error) -> Error + '_ {
    move |e| Error::Ca {
        reason: format!("{what}: {e}"),
    }
}

fn name(cn: &str) -> Result<DistinguishedName> {
    let mut dn = DistinguishedName::new();
    // BR 7.1.2.10.2: a CA's subject carries its country, a PrintableString (X.520).
    let us = rcgen::string::PrintableString::try_from("US").map_err(ca_err("country"))?;
    dn.push(DnType::CountryName, rcgen::DnValue::PrintableString(us));
    dn.push(
        DnType::OrganizationName,
        "csrkit sandbox (not trusted anywhere)",
    );
    dn.push(DnType::CommonName, cn);
    Ok(dn)
}

fn random_serial() -> SerialNumber {
    let mut bytes = *uuid::Uuid::new_v4().as_bytes();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

/// DER: a tag, its length, its content.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// `id-ad-caIssuers` (1.3.6.1.5.5.7.48.2), DER-encoded.
const OID_CA_ISSUERS: [u8; 10] = [0x06, 0x08, 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
/// The CA/Browser Forum's domain-validated policy (2.23.140.1.2.1), DER-encoded.
const OID_DV_POLICY: [u8; 8] = [0x06, 0x06, 0x67, 0x81, 0x0C, 0x01, 0x02, 0x01];

/// authorityInfoAccess (RFC 5280 4.2.2.1) with one caIssuers URL.
fn aia(ca_issuers: &str) -> CustomExtension {
    let url = tlv(0x86, ca_issuers.as_bytes()); // [6] uniformResourceIdentifier
    let description = tlv(0x30, &[&OID_CA_ISSUERS[..], &url].concat());
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], tlv(0x30, &description))
}

/// certificatePolicies (RFC 5280 4.2.1.4) holding the DV policy alone.
fn dv_policy() -> CustomExtension {
    let info = tlv(0x30, &OID_DV_POLICY);
    CustomExtension::from_oid_content(&[2, 5, 29, 32], tlv(0x30, &info))
}

/// The key identifier of RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
fn key_id(spki_der: &[u8]) -> Result<KeyIdMethod> {
    use x509_parser::prelude::FromDer as _;
    let (_, spki) =
        x509_parser::x509::SubjectPublicKeyInfo::from_der(spki_der).map_err(|e| Error::Ca {
            reason: format!("public key: {e}"),
        })?;
    Ok(KeyIdMethod::PreSpecified(
        Sha1::digest(&spki.subject_public_key.data).to_vec(),
    ))
}

fn key_id_of(key: &KeyPair) -> Result<KeyIdMethod> {
    key_id(&rcgen::PublicKeyData::subject_public_key_info(key))
}

/// The intermediate's parameters, with the URLs under `base_url`.
fn intermediate_params(
    key: &KeyPair,
    base_url: &str,
    now: OffsetDateTime,
) -> Result<CertificateParams> {
    let mut int = CertificateParams::default();
    int.distinguished_name = name("csrkit sandbox DV CA")?;
    int.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    int.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    int.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    int.crl_distribution_points = vec![CrlDistributionPoint {
        uris: vec![format!("{base_url}/_sandbox/{ROOT_CRL}")],
    }];
    int.custom_extensions = vec![dv_policy(), aia(&format!("{base_url}/_sandbox/{ROOT_CER}"))];
    int.not_before = now - Duration::days(1);
    int.not_after = now + Duration::days(1825);
    int.serial_number = Some(random_serial());
    int.use_authority_key_identifier_extension = true;
    int.key_identifier_method = key_id_of(key)?;
    Ok(int)
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map(|(_, p)| p.contents)
        .unwrap_or_default()
}

impl Ca {
    /// Makes a fresh root and intermediate (ECDSA P-256) whose URLs are under `base_url`.
    pub(crate) fn generate(base_url: &str) -> Result<Ca> {
        let now = OffsetDateTime::now_utc();
        let root_key = KeyPair::generate().map_err(ca_err("root key"))?;
        let mut root = CertificateParams::default();
        root.distinguished_name = name("csrkit sandbox root CA")?;
        root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        root.not_before = now - Duration::days(1);
        root.not_after = now + Duration::days(3650);
        root.serial_number = Some(random_serial());
        root.key_identifier_method = key_id_of(&root_key)?;
        let root_cert = root
            .self_signed(&root_key)
            .map_err(ca_err("root certificate"))?;
        let root_issuer = Issuer::new(root, root_key);

        let int_key = KeyPair::generate().map_err(ca_err("intermediate key"))?;
        let int = intermediate_params(&int_key, base_url, now)?;
        let int_cert = int
            .signed_by(&int_key, &root_issuer)
            .map_err(ca_err("intermediate certificate"))?;
        let material = CaMaterial {
            root_pem: root_cert.pem(),
            root_key_pem: Zeroizing::new(root_issuer.key().serialize_pem()),
            intermediate_pem: int_cert.pem(),
            intermediate_key_pem: Zeroizing::new(int_key.serialize_pem()),
        };
        Ok(Ca {
            material,
            issuer: Issuer::new(int, int_key),
            root: root_issuer,
            base_url: base_url.to_owned(),
        })
    }

    /// Loads a CA from persisted material. An intermediate that does not name `base_url` (the
    /// sandbox listens elsewhere now, or the state predates the DV profile) is re-issued with
    /// the same key; `true` says the material changed.
    pub(crate) fn load(mut material: CaMaterial, base_url: &str) -> Result<(Ca, bool)> {
        let root_key = KeyPair::from_pem(&material.root_key_pem).map_err(ca_err("root key"))?;
        let root = Issuer::from_ca_cert_pem(&material.root_pem, root_key)
            .map_err(ca_err("root certificate"))?;
        let key = KeyPair::from_pem(&material.intermediate_key_pem)
            .map_err(ca_err("intermediate key"))?;
        let der = pem_to_der(&material.intermediate_pem);
        let names_url = der
            .windows(base_url.len() + 10)
            .any(|w| w == format!("{base_url}/_sandbox/").as_bytes());
        if names_url {
            let issuer = Issuer::from_ca_cert_pem(&material.intermediate_pem, key)
                .map_err(ca_err("intermediate certificate"))?;
            return Ok((
                Ca {
                    material,
                    issuer,
                    root,
                    base_url: base_url.to_owned(),
                },
                false,
            ));
        }
        let int = intermediate_params(&key, base_url, OffsetDateTime::now_utc())?;
        let cert = int
            .signed_by(&key, &root)
            .map_err(ca_err("intermediate certificate"))?;
        material.intermediate_pem = cert.pem();
        Ok((
            Ca {
                material,
                issuer: Issuer::new(int, key),
                root,
                base_url: base_url.to_owned(),
            },
            true,
        ))
    }

    /// The root certificate, DER.
    pub(crate) fn root_der(&self) -> Vec<u8> {
        pem_to_der(&self.material.root_pem)
    }

    /// The intermediate certificate, DER.
    pub(crate) fn intermediate_der(&self) -> Vec<u8> {
        pem_to_der(&self.material.intermediate_pem)
    }

    /// Issues a leaf for the key in `spki_der` with CN `common_name` and the SAN `dns_names`,
    /// valid from `not_before` to `not_after` (whole seconds, as X.509 writes them); returns
    /// the leaf PEM.
    pub(crate) fn issue(
        &self,
        spki_der: &[u8],
        common_name: &str,
        dns_names: &[String],
        algorithm: &str,
        (not_before, not_after): (OffsetDateTime, OffsetDateTime),
    ) -> Result<String> {
        let key = SubjectPublicKeyInfo::from_der(spki_der).map_err(ca_err("CSR public key"))?;
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        p.distinguished_name = dn;
        p.subject_alt_names = dns_names
            .iter()
            .map(|n| {
                n.clone()
                    .try_into()
                    .map(SanType::DnsName)
                    .map_err(ca_err("subjectAltName"))
            })
            .collect::<Result<_>>()?;
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = if algorithm == "RSA" {
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ]
        } else {
            vec![KeyUsagePurpose::DigitalSignature]
        };
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec![format!("{}/_sandbox/{INTERMEDIATE_CRL}", self.base_url)],
        }];
        p.custom_extensions = vec![
            dv_policy(),
            aia(&format!("{}/_sandbox/{INTERMEDIATE_CER}", self.base_url)),
        ];
        p.not_before = not_before;
        p.not_after = not_after;
        p.serial_number = Some(random_serial());
        p.use_authority_key_identifier_extension = true;
        p.key_identifier_method = key_id(spki_der)?;
        let cert = p.signed_by(&key, &self.issuer).map_err(ca_err("leaf"))?;
        Ok(cert.pem())
    }

    /// The intermediate's CRL (DER), listing `revoked` (serial bytes, revocation time).
    pub(crate) fn intermediate_crl(
        &self,
        revoked: &[(Vec<u8>, OffsetDateTime)],
        now: OffsetDateTime,
    ) -> Result<Vec<u8>> {
        crl(&self.issuer, &self.intermediate_der(), revoked, now)
    }

    /// The root's CRL (DER): it has revoked nothing.
    pub(crate) fn root_crl(&self, now: OffsetDateTime) -> Result<Vec<u8>> {
        crl(&self.root, &self.root_der(), &[], now)
    }
}

/// A CRL signed by `issuer`, whose certificate is `issuer_der` (its SKI becomes the CRL's AKI).
fn crl(
    issuer: &Issuer<'_, KeyPair>,
    issuer_der: &[u8],
    revoked: &[(Vec<u8>, OffsetDateTime)],
    now: OffsetDateTime,
) -> Result<Vec<u8>> {
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let ms = u64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
    let params = CertificateRevocationListParams {
        this_update: now,
        next_update: now + Duration::days(CRL_DAYS),
        // increases with time, as a CRL number must
        crl_number: SerialNumber::from_slice(&ms.to_be_bytes()),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|(serial, at)| RevokedCertParams {
                serial_number: SerialNumber::from_slice(serial),
                revocation_time: at.replace_nanosecond(0).unwrap_or(*at),
                reason_code: Some(RevocationReason::CessationOfOperation),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::PreSpecified(ski(issuer_der)?),
    };
    let crl = params.signed_by(issuer).map_err(ca_err("CRL"))?;
    Ok(crl.der().to_vec())
}

/// The subjectKeyIdentifier of a certificate.
fn ski(cert_der: &[u8]) -> Result<Vec<u8>> {
    use x509_parser::prelude::{FromDer as _, ParsedExtension, X509Certificate};
    let (_, cert) = X509Certificate::from_der(cert_der).map_err(|e| Error::Ca {
        reason: format!("CA certificate: {e}"),
    })?;
    cert.iter_extensions()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        })
        .ok_or_else(|| Error::Ca {
            reason: "a CA certificate without a subjectKeyIdentifier".to_owned(),
        })
}
