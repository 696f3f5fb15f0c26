//! Building and signing the PKCS #10 request.

use csrkit_names::DnsName;
use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, SanType};

use crate::{Error, PrivateKey};

/// The longest subject CN (RFC 5280 Appendix A, `ub-common-name`).
const MAX_CN_LEN: usize = 64;

/// Optional subject attributes beside the CN. A DV certificate only carries
/// the CN (BR 7.1.2.7.2), so the CA ignores these; some internal processes
/// still ask for them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Subject {
    /// organizationName (O).
    pub organization: Option<String>,
    /// organizationalUnitName (OU).
    pub organizational_unit: Option<String>,
    /// countryName (C): two upper-case letters, encoded as PrintableString.
    pub country: Option<String>,
    /// stateOrProvinceName (ST).
    pub state: Option<String>,
    /// localityName (L).
    pub locality: Option<String>,
}

/// What a CSR will say: checked domains (the first is the CN; all are in
/// subjectAltName) and the optional subject.
#[derive(Clone, Debug)]
pub struct CsrRequest {
    domains: Vec<DnsName>,
    subject: Subject,
    cn: bool,
}

impl CsrRequest {
    /// Checks and normalises the domains: each is converted to A-labels and
    /// lower-cased (UTS #46); duplicates are dropped, order kept. Fails on the
    /// first bad name, naming the label at fault, before anything else
    /// happens.
    ///
    /// The first domain becomes the subject CN, which holds at most 64
    /// characters (RFC 5280 `ub-common-name`); a longer first domain is
    /// refused with what to do: put a shorter name first, or make the
    /// request without a CN ([`CsrRequest::without_cn`]).
    pub fn new<I, S>(domains: I) -> Result<CsrRequest, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let out = checked_names(domains)?;
        let first = &out[0];
        if first.as_str().len() > MAX_CN_LEN {
            let reason = match out.iter().find(|d| d.as_str().len() <= MAX_CN_LEN) {
                Some(short) => format!(
                    "the first domain becomes the CN, which holds at most {MAX_CN_LEN} \
                     characters (RFC 5280); put a shorter one first, such as {short}"
                ),
                None => format!(
                    "it is {} characters long and the first domain becomes the CN, which \
                     holds at most {MAX_CN_LEN} (RFC 5280). Alibaba Cloud CAS takes the \
                     certificate's domain from the CN, so it cannot certify this name on \
                     its own: put a shorter name of yours first (--domain SHORT --domain \
                     LONG), or pass --no-cn for a CA that reads the names from \
                     subjectAltName alone (BR 7.1.2.7.2 allows a subject without CN)",
                    first.as_str().len()
                ),
            };
            return Err(Error::InvalidSubject {
                field: "CN",
                value: first.to_string(),
                reason,
            });
        }
        Ok(CsrRequest {
            domains: out,
            subject: Subject::default(),
            cn: true,
        })
    }

    /// Like [`CsrRequest::new`], but the request has no subject CN: every
    /// name is in subjectAltName only, which the Baseline Requirements allow
    /// (BR 7.1.2.7.2: the CN is NOT RECOMMENDED) and which is how a name of
    /// 65–253 characters can be requested. The subjectAltName extension is
    /// marked critical when the subject is empty (RFC 5280 §4.2.1.6). A CA
    /// that takes the domain from the CN (Alibaba Cloud CAS) refuses such a
    /// request; the linter reports it there (V901).
    pub fn without_cn<I, S>(domains: I) -> Result<CsrRequest, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Ok(CsrRequest {
            domains: checked_names(domains)?,
            subject: Subject::default(),
            cn: false,
        })
    }

    /// Adds the optional subject attributes, checking each.
    pub fn with_subject(mut self, subject: Subject) -> Result<CsrRequest, Error> {
        if let Some(c) = &subject.country
            && (c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(Error::InvalidSubject {
                field: "C",
                value: c.clone(),
                reason: "a country is two upper-case letters (ISO 3166-1 alpha-2), \
                         such as CN or US"
                    .into(),
            });
        }
        for (field, value) in [
            ("O", &subject.organization),
            ("OU", &subject.organizational_unit),
            ("ST", &subject.state),
            ("L", &subject.locality),
        ] {
            if let Some(v) = value {
                check_attribute(field, v)?;
            }
        }
        self.subject = subject;
        Ok(self)
    }

    /// The normalised domains, CN first.
    pub fn domains(&self) -> &[DnsName] {
        &self.domains
    }

    /// The subject CN: the first domain (see [`CsrRequest::has_common_name`]).
    pub fn common_name(&self) -> &str {
        self.domains[0].as_str()
    }

    /// Whether the request carries a subject CN (false after
    /// [`CsrRequest::without_cn`]).
    pub fn has_common_name(&self) -> bool {
        self.cn
    }

    /// Builds the request and signs it with `key` (SHA-256; SHA-384 for
    /// P-384).
    pub fn sign(&self, key: &PrivateKey) -> Result<Csr, Error> {
        let sign_err = |e: rcgen::Error| Error::Signing {
            reason: e.to_string(),
        };
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        if let Some(c) = &self.subject.country {
            let printable = rcgen::string::PrintableString::try_from(c.as_str()).map_err(|e| {
                Error::InvalidSubject {
                    field: "C",
                    value: c.clone(),
                    reason: e.to_string(),
                }
            })?;
            dn.push(DnType::CountryName, DnValue::PrintableString(printable));
        }
        for (ty, value) in [
            (DnType::StateOrProvinceName, &self.subject.state),
            (DnType::LocalityName, &self.subject.locality),
            (DnType::OrganizationName, &self.subject.organization),
            (
                DnType::OrganizationalUnitName,
                &self.subject.organizational_unit,
            ),
        ] {
            if let Some(v) = value {
                dn.push(ty, DnValue::Utf8String(v.clone()));
            }
        }
        if self.cn {
            dn.push(
                DnType::CommonName,
                DnValue::Utf8String(self.common_name().to_owned()),
            );
        }
        params.distinguished_name = dn;
        params.subject_alt_names = self
            .domains
            .iter()
            .map(|d| {
                rcgen::string::Ia5String::try_from(d.as_str())
                    .map(SanType::DnsName)
                    .map_err(sign_err)
            })
            .collect::<Result<_, _>>()?;
        let csr = params.serialize_request(key.key_pair()).map_err(sign_err)?;
        let pem = csr.pem().map_err(sign_err)?;
        Ok(Csr {
            der: csr.der().to_vec(),
            pem,
        })
    }
}

/// Checks and normalises the names (A-labels, lower case), dropping
/// duplicates and keeping the order; at least one.
fn checked_names<I, S>(domains: I) -> Result<Vec<DnsName>, Error>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out: Vec<DnsName> = Vec::new();
    for d in domains {
        let name = DnsName::parse(d.as_ref())?;
        if !out.contains(&name) {
            out.push(name);
        }
    }
    if out.is_empty() {
        return Err(Error::NoDomains);
    }
    Ok(out)
}

fn check_attribute(field: &'static str, value: &str) -> Result<(), Error> {
    let reason = if value.trim().is_empty() {
        Some("it is empty")
    } else if value.trim() != value {
        Some("it has leading or trailing spaces")
    } else if value.chars().any(char::is_control) {
        Some("it contains control characters")
    } else if value.chars().count() > MAX_CN_LEN {
        Some("it is longer than 64 characters")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidSubject {
            field,
            value: value.to_owned(),
            reason: reason.into(),
        }),
        None => Ok(()),
    }
}

/// A signed certificate signing request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Csr {
    der: Vec<u8>,
    pem: String,
}

impl Csr {
    /// The request in DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
    /// The request in PEM (`CERTIFICATE REQUEST`).
    pub fn pem(&self) -> &str {
        &self.pem
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{KeyType, generate_key};
    use x509_parser::prelude::*;

    #[test]
    fn cn_first_sans_all_deduplicated() {
        let req = CsrRequest::new([
            "Www.Example.com",
            "example.com",
            "www.example.com",
            "bücher.example.com",
        ])
        .unwrap();
        let key = generate_key(KeyType::P256).unwrap();
        let csr = req.sign(&key).unwrap();
        let (rest, parsed) = X509CertificationRequest::from_der(csr.der()).unwrap();
        assert!(rest.is_empty());
        parsed.verify_signature().unwrap();
        let cn: Vec<_> = parsed
            .certification_request_info
            .subject
            .iter_common_name()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(cn, ["www.example.com"]);
        let mut sans = Vec::new();
        for ext in parsed.requested_extensions().unwrap() {
            if let ParsedExtension::SubjectAlternativeName(san) = ext {
                for n in &san.general_names {
                    if let GeneralName::DNSName(d) = n {
                        sans.push(d.to_string());
                    }
                }
            }
        }
        assert_eq!(
            sans,
            [
                "www.example.com",
                "example.com",
                "xn--bcher-kva.example.com"
            ]
        );
    }

    #[test]
    fn country_is_printable_string() {
        let req = CsrRequest::new(["example.com"])
            .unwrap()
            .with_subject(Subject {
                country: Some("CN".into()),
                organization: Some("Example 公司".into()),
                ..Subject::default()
            })
            .unwrap();
        let key = generate_key(KeyType::P384).unwrap();
        let csr = req.sign(&key).unwrap();
        let (_, parsed) = X509CertificationRequest::from_der(csr.der()).unwrap();
        parsed.verify_signature().unwrap();
        let subject = &parsed.certification_request_info.subject;
        let c = subject.iter_country().next().unwrap();
        assert_eq!(
            c.attr_value().header.tag(),
            x509_parser::der_parser::asn1_rs::Tag::PrintableString
        );
        assert_eq!(
            parsed.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.10045.4.3.3" // ecdsa-with-SHA384
        );
    }

    #[test]
    fn refuses_bad_subjects_and_long_cn() {
        assert!(CsrRequest::new(Vec::<String>::new()).is_err());
        let long = format!("{}.example.com", "a".repeat(60));
        let err = CsrRequest::new([long.as_str()]).unwrap_err().to_string();
        assert!(err.contains("64"), "{err}");
        // A long name is fine after a short first one.
        assert!(CsrRequest::new(["example.com", long.as_str()]).is_ok());
        let r = CsrRequest::new(["example.com"]).unwrap();
        assert!(
            r.clone()
                .with_subject(Subject {
                    country: Some("China".into()),
                    ..Default::default()
                })
                .is_err()
        );
        assert!(
            r.with_subject(Subject {
                organization: Some(" x".into()),
                ..Default::default()
            })
            .is_err()
        );
    }
}
