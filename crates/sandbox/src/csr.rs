//! The checks the service makes on a submitted CSR (reference 1.3.1 and 1.5): parseable, its
//! self-signature valid, a CN present (the CN is the bound domain), an RSA key of at least 2048
//! bits or an ECC key.
//!
//! The service's codes for a bad CSR are not documented (reference 5); the sandbox answers
//! `InvalidCsr.*` codes with HTTP 400 and a message naming the fault.

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;

use crate::wire::ApiError;

/// What issuance needs from an accepted CSR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckedCsr {
    /// The subject CN: the domain bound to the order.
    pub(crate) common_name: String,
    /// The CN first, then the SAN DNS names not equal to it.
    pub(crate) dns_names: Vec<String>,
    /// The SubjectPublicKeyInfo DER.
    pub(crate) spki_der: Vec<u8>,
    /// `RSA` or `ECC`.
    pub(crate) algorithm: &'static str,
}

fn bad(code: &'static str, message: String) -> ApiError {
    ApiError::new(400, code, message)
}

/// Number of significant bits of a big-endian unsigned integer.
fn bit_len(bytes: &[u8]) -> usize {
    let first = bytes.iter().position(|b| *b != 0);
    match first {
        None => 0,
        Some(i) => (bytes.len() - i - 1) * 8 + (8 - bytes[i].leading_zeros() as usize),
    }
}

/// Why a public CA would not certify `name`, if it would not: an internal name (CA/B Forum
/// Baseline Requirements 4.2.2 and 7.1.4.2: no certificates for names that are not resolvable
/// in the public DNS), or a wildcard directly below a public suffix (BR 3.2.2.6). The
/// reference says nothing on this; every public CA behind these products follows the BRs.
///
/// A name is internal when it is a single label, or its top-level domain is not one the
/// public suffix list knows from ICANN's root zone (`local`, `localhost`, `internal`, `lan`,
/// `corp`, `test`, `example`, `invalid`, ...), or it is under `arpa` (the infrastructure
/// domain, `home.arpa` included) or `onion` (RFC 7686: not in the DNS; the BRs allow it only
/// under Appendix B, which these DV products do not offer). A name that *is* an ICANN public suffix
/// (`co.uk`) cannot be certified either.
pub(crate) fn not_certifiable(name: &str) -> Option<String> {
    let base = name.strip_prefix("*.").unwrap_or(name);
    let Some((_, tld)) = base.rsplit_once('.') else {
        return Some(format!(
            "{name} is a single label, an internal name that no public CA certifies (CA/B Forum BR 7.1.4.2)"
        ));
    };
    let icann = |s: &str| {
        psl::suffix(s.as_bytes())
            .filter(|x| x.as_bytes().len() == s.len())
            .is_some_and(|x| x.typ() == Some(psl::Type::Icann))
    };
    if tld == "arpa" || tld == "onion" || !icann(tld) {
        return Some(format!(
            "{name} is under .{tld}, which is not a public top-level domain (reserved for local or special use): an internal name that no public CA certifies (CA/B Forum BR 7.1.4.2)"
        ));
    }
    if icann(base) {
        return Some(if name.starts_with("*.") {
            format!(
                "{name} is a wildcard directly below the public suffix {base}, which no public CA certifies (CA/B Forum BR 3.2.2.6)"
            )
        } else {
            format!("{name} is a public suffix, not a domain anyone can hold")
        });
    }
    None
}

/// Checks a PEM CSR as the service would.
pub(crate) fn check(pem: &str) -> Result<CheckedCsr, ApiError> {
    let malformed = |why: &str| {
        bad(
            "InvalidCsr.Malformed",
            format!(
                "The parameter \"Csr\" is not a PEM certificate request: {why}. Send the whole \"-----BEGIN CERTIFICATE REQUEST-----\" block."
            ),
        )
    };
    let text = pem.trim();
    if !text.starts_with("-----BEGIN ") {
        return Err(malformed(
            "there is something other than whitespace before the PEM block",
        ));
    }
    let (rest, pem) = x509_parser::pem::parse_x509_pem(text.as_bytes())
        .map_err(|_| malformed("no PEM block found"))?;
    if !rest.iter().all(u8::is_ascii_whitespace) {
        return Err(malformed(
            "there is something after the PEM block (one CSR, nothing around it)",
        ));
    }
    if pem.label != "CERTIFICATE REQUEST" && pem.label != "NEW CERTIFICATE REQUEST" {
        return Err(malformed(&format!(
            "the PEM label is \"{}\", not \"CERTIFICATE REQUEST\"",
            pem.label
        )));
    }
    let (rest, csr) = X509CertificationRequest::from_der(&pem.contents)
        .map_err(|e| malformed(&format!("DER decoding failed ({e})")))?;
    if !rest.is_empty() {
        return Err(malformed("trailing bytes after the DER request"));
    }
    let info = &csr.certification_request_info;
    let spki = &info.subject_pki;
    let algorithm = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => {
            let bits = bit_len(rsa.modulus);
            if bits < 2048 {
                return Err(bad(
                    "InvalidCsr.KeySize",
                    format!(
                        "The CSR's RSA key has {bits} bits; the key length of the RSA algorithm must be at least 2048. Make a new key and CSR."
                    ),
                ));
            }
            "RSA"
        }
        Ok(PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string())
                .unwrap_or_default();
            if curve != "1.2.840.10045.3.1.7" && curve != "1.3.132.0.34" {
                return Err(bad(
                    "InvalidCsr.KeyAlgorithm",
                    format!(
                        "The CSR's EC key is on curve {curve:?}; the sandbox accepts P-256 and P-384. Make a new key and CSR."
                    ),
                ));
            }
            "ECC"
        }
        Ok(_) | Err(_) => {
            return Err(bad(
                "InvalidCsr.KeyAlgorithm",
                format!(
                    "The CSR's key algorithm ({}) is not accepted: the key must be RSA (at least 2048 bits) or ECC. Make a new key and CSR.",
                    spki.algorithm.algorithm.to_id_string()
                ),
            ));
        }
    };
    csr.verify_signature().map_err(|e| {
        bad(
            "InvalidCsr.Signature",
            format!("The CSR's self-signature does not verify ({e}); the request was altered or signed with another key. Make the CSR again."),
        )
    })?;
    let common_name = info
        .subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| {
            bad(
                "InvalidCsr.CommonNameMissing",
                "The CSR's subject has no CN (or it is not a string); the CN is the domain bound to the certificate. Make the CSR with CN=<your domain>.".to_owned(),
            )
        })?;
    let cn_name = csrkit_names::DnsName::parse(&common_name).map_err(|e| {
        bad(
            "InvalidCsr.CommonName",
            format!("The CSR's CN {common_name:?} is not a domain name: {e}. Make the CSR with CN=<your domain>."),
        )
    })?;
    if let Some(why) = not_certifiable(cn_name.as_str()) {
        return Err(bad(
            "InvalidCsr.CommonName",
            format!(
                "The CSR's CN cannot be certified: {why}. Make the CSR for a public domain name."
            ),
        ));
    }
    let mut dns_names = vec![cn_name.as_str().to_owned()];
    if let Some(exts) = csr.requested_extensions() {
        for ext in exts {
            if let ParsedExtension::SubjectAlternativeName(san) = ext {
                for name in &san.general_names {
                    match name {
                        GeneralName::DNSName(d) => {
                            let n = csrkit_names::DnsName::parse(d).map_err(|e| {
                                bad(
                                    "InvalidCsr.SubjectAltName",
                                    format!(
                                        "The CSR's subjectAltName {d:?} is not a domain name: {e}."
                                    ),
                                )
                            })?;
                            if let Some(why) = not_certifiable(n.as_str()) {
                                return Err(bad(
                                    "InvalidCsr.SubjectAltName",
                                    format!("The CSR's subjectAltName cannot be certified: {why}."),
                                ));
                            }
                            if !dns_names.iter().any(|x| x == n.as_str()) {
                                dns_names.push(n.as_str().to_owned());
                            }
                        }
                        other => {
                            return Err(bad(
                                "InvalidCsr.SubjectAltName",
                                format!(
                                    "The CSR's subjectAltName {other} is not a DNS name; DV certificates carry domain names only."
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    Ok(CheckedCsr {
        common_name: cn_name.as_str().to_owned(),
        dns_names,
        spki_der: spki.raw.to_vec(),
        algorithm,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csr(key: &rcgen::KeyPair, cn: Option<&str>, sans: &[&str]) -> String {
        let mut p =
            rcgen::CertificateParams::new(sans.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
                .expect("params");
        p.distinguished_name = rcgen::DistinguishedName::new();
        if let Some(cn) = cn {
            p.distinguished_name.push(rcgen::DnType::CommonName, cn);
        }
        p.serialize_request(key).expect("csr").pem().expect("pem")
    }

    #[test]
    fn accepts_ecc_and_collects_names() {
        let key = rcgen::KeyPair::generate().expect("key");
        let c = check(&csr(
            &key,
            Some("Example.com"),
            &["example.com", "www.example.com"],
        ))
        .expect("accepted");
        assert_eq!(c.common_name, "example.com");
        assert_eq!(c.dns_names, ["example.com", "www.example.com"]);
        assert_eq!(c.algorithm, "ECC");
    }

    #[test]
    fn rejects_with_clear_codes() {
        let key = rcgen::KeyPair::generate().expect("key");
        assert_eq!(
            check("hello").map_err(|e| e.code).err().as_deref(),
            Some("InvalidCsr.Malformed")
        );
        let no_cn = csr(&key, None, &["example.com"]);
        assert_eq!(
            check(&no_cn).map_err(|e| e.code).err().as_deref(),
            Some("InvalidCsr.CommonNameMissing")
        );
        let bad_cn = csr(&key, Some("not a domain"), &[]);
        assert_eq!(
            check(&bad_cn).map_err(|e| e.code).err().as_deref(),
            Some("InvalidCsr.CommonName")
        );
        // flip a bit inside the signature: the last bytes of the DER
        let good = csr(&key, Some("example.com"), &[]);
        let (_, p) = x509_parser::pem::parse_x509_pem(good.as_bytes()).expect("pem");
        let mut der = p.contents.clone();
        let n = der.len();
        der[n - 3] ^= 1;
        let tampered = format!(
            "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der)
        );
        let code = check(&tampered).map_err(|e| e.code).err();
        assert!(
            matches!(
                code.as_deref(),
                Some("InvalidCsr.Signature" | "InvalidCsr.Malformed")
            ),
            "{code:?}"
        );
    }

    #[test]
    fn internal_names_and_public_suffixes() {
        for ok in [
            "example.com",
            "www.example.org",
            "*.example.com",
            "a.b.example.co.uk",
            "xn--bcher-kva.example",
            "foo.github.io",
        ] {
            // `.example` is reserved: the IDN case must be refused, the rest pass
            let r = not_certifiable(ok);
            assert_eq!(r.is_some(), ok.ends_with(".example"), "{ok}: {r:?}");
        }
        for bad in [
            "localhost",
            "example",
            "intranet.local",
            "foo.localhost",
            "printer.lan",
            "host.internal",
            "x.corp",
            "site.test",
            "a.invalid",
            "printer.home.arpa",
            "1.0.0.127.in-addr.arpa",
            "abc.onion",
            "co.uk",
            "com",
            "*.co.uk",
            "*.com",
        ] {
            assert!(not_certifiable(bad).is_some(), "{bad}");
        }
        let key = rcgen::KeyPair::generate().expect("key");
        for (cn, sans, code) in [
            ("intranet.local", &[][..], "InvalidCsr.CommonName"),
            ("localhost", &[][..], "InvalidCsr.CommonName"),
            (
                "example.com",
                &["example.com", "db.internal"][..],
                "InvalidCsr.SubjectAltName",
            ),
        ] {
            assert_eq!(
                check(&csr(&key, Some(cn), sans))
                    .map_err(|e| e.code)
                    .err()
                    .as_deref(),
                Some(code),
                "{cn}"
            );
        }
    }

    #[test]
    fn one_pem_block_and_nothing_around_it() {
        let key = rcgen::KeyPair::generate().expect("key");
        let good = csr(&key, Some("example.com"), &[]);
        assert!(check(&format!("\n  {good}\n\n")).is_ok());
        for bad in [
            format!("junk\n{good}"),
            format!("{good}junk\n"),
            format!("{good}{}", csr(&key, Some("other.org"), &[])),
        ] {
            assert_eq!(
                check(&bad).map_err(|e| e.code).err().as_deref(),
                Some("InvalidCsr.Malformed"),
                "{bad}"
            );
        }
    }

    #[test]
    fn bit_length() {
        assert_eq!(bit_len(&[0, 0x80, 0]), 16);
        assert_eq!(bit_len(&[0x01]), 1);
        assert_eq!(bit_len(&[]), 0);
    }
}
