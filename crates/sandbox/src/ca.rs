//! The sandbox certificate authority: a root and an intermediate, made once per state, that
//! issue real leaf certificates for accepted CSRs.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber, SubjectPublicKeyInfo,
};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Validity of issued leaves (the free DV certificates last three months).
pub(crate) const LEAF_DAYS: i64 = 90;

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

/// A loaded CA, ready to issue.
pub(crate) struct Ca {
    pub(crate) material: CaMaterial,
    issuer: Issuer<'static, KeyPair>,
}

fn ca_err(what: &str) -> impl Fn(rcgen::Error) -> Error + '_ {
    move |e| Error::Ca {
        reason: format!("{what}: {e}"),
    }
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::OrganizationName,
        "csrkit sandbox (not trusted anywhere)",
    );
    dn.push(DnType::CommonName, cn);
    dn
}

fn random_serial() -> SerialNumber {
    let mut bytes = *uuid::Uuid::new_v4().as_bytes();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    SerialNumber::from_slice(&bytes)
}

impl Ca {
    /// Makes a fresh root and intermediate (ECDSA P-256).
    pub(crate) fn generate() -> Result<Ca> {
        let now = OffsetDateTime::now_utc();
        let root_key = KeyPair::generate().map_err(ca_err("root key"))?;
        let mut root = CertificateParams::default();
        root.distinguished_name = name("csrkit sandbox root CA");
        root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        root.not_before = now - Duration::days(1);
        root.not_after = now + Duration::days(3650);
        root.serial_number = Some(random_serial());
        let root_cert = root
            .self_signed(&root_key)
            .map_err(ca_err("root certificate"))?;
        let root_issuer = Issuer::new(root, root_key);

        let int_key = KeyPair::generate().map_err(ca_err("intermediate key"))?;
        let mut int = CertificateParams::default();
        int.distinguished_name = name("csrkit sandbox DV CA");
        int.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        int.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        int.not_before = now - Duration::days(1);
        int.not_after = now + Duration::days(1825);
        int.serial_number = Some(random_serial());
        int.use_authority_key_identifier_extension = true;
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
        })
    }

    /// Loads a CA from persisted material.
    pub(crate) fn load(material: CaMaterial) -> Result<Ca> {
        let key = KeyPair::from_pem(&material.intermediate_key_pem)
            .map_err(ca_err("intermediate key"))?;
        let issuer = Issuer::from_ca_cert_pem(&material.intermediate_pem, key)
            .map_err(ca_err("intermediate certificate"))?;
        Ok(Ca { material, issuer })
    }

    /// Issues a leaf for the key in `spki_der` with CN `common_name` and the SAN `dns_names`,
    /// valid from `now` for [`LEAF_DAYS`]; returns the leaf PEM.
    pub(crate) fn issue(
        &self,
        spki_der: &[u8],
        common_name: &str,
        dns_names: &[String],
        algorithm: &str,
        now: OffsetDateTime,
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
        p.not_before = now - Duration::minutes(1);
        p.not_after = now + Duration::days(LEAF_DAYS);
        p.serial_number = Some(random_serial());
        p.use_authority_key_identifier_extension = true;
        let cert = p.signed_by(&key, &self.issuer).map_err(ca_err("leaf"))?;
        Ok(cert.pem())
    }
}
