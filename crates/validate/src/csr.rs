//! One parsed certification request and the facts every rule reads,
//! computed once.

use std::borrow::Cow;

use x509_parser::der_parser::asn1_rs::{Oid, Tag};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, ParsedCriAttribute, X509CertificationRequest};

use crate::seen::Seen;

/// A hash function named by a signature algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Hash {
    Md2,
    Md4,
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Hash::Md2 => "MD2",
            Hash::Md4 => "MD4",
            Hash::Md5 => "MD5",
            Hash::Sha1 => "SHA-1",
            Hash::Sha224 => "SHA-224",
            Hash::Sha256 => "SHA-256",
            Hash::Sha384 => "SHA-384",
            Hash::Sha512 => "SHA-512",
        }
    }
}

/// The signature algorithm of the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SigAlg {
    RsaPkcs1(Hash),
    /// RSASSA-PSS; the hash from its parameters when they parse.
    RsaPss(Option<Hash>),
    Ecdsa(Hash),
    Dsa(Hash),
    Ed25519,
    Ed448,
    Unknown(String),
}

impl SigAlg {
    pub(crate) fn describe(&self) -> String {
        match self {
            SigAlg::RsaPkcs1(h) => format!(
                "{}WithRSAEncryption",
                h.name().replace('-', "").to_lowercase()
            ),
            SigAlg::RsaPss(Some(h)) => format!("RSASSA-PSS with {}", h.name()),
            SigAlg::RsaPss(None) => "RSASSA-PSS".into(),
            SigAlg::Ecdsa(h) => format!("ecdsa-with-{}", h.name().replace('-', "")),
            SigAlg::Dsa(h) => format!("dsa-with-{}", h.name()),
            SigAlg::Ed25519 => "Ed25519".into(),
            SigAlg::Ed448 => "Ed448".into(),
            SigAlg::Unknown(oid) => format!("unknown algorithm {oid}"),
        }
    }

    fn from_oid(oid: &str, params: Option<(Tag, &[u8])>) -> SigAlg {
        use Hash::*;
        match oid {
            "1.2.840.113549.1.1.2" => SigAlg::RsaPkcs1(Md2),
            "1.2.840.113549.1.1.3" => SigAlg::RsaPkcs1(Md4),
            "1.2.840.113549.1.1.4" => SigAlg::RsaPkcs1(Md5),
            "1.2.840.113549.1.1.5" | "1.3.14.3.2.29" => SigAlg::RsaPkcs1(Sha1),
            "1.2.840.113549.1.1.14" => SigAlg::RsaPkcs1(Sha224),
            "1.2.840.113549.1.1.11" => SigAlg::RsaPkcs1(Sha256),
            "1.2.840.113549.1.1.12" => SigAlg::RsaPkcs1(Sha384),
            "1.2.840.113549.1.1.13" => SigAlg::RsaPkcs1(Sha512),
            "1.2.840.113549.1.1.10" => SigAlg::RsaPss(parse_pss(params).ok().map(|p| p.hash)),
            "1.2.840.10045.4.1" => SigAlg::Ecdsa(Sha1),
            "1.2.840.10045.4.3.1" => SigAlg::Ecdsa(Sha224),
            "1.2.840.10045.4.3.2" => SigAlg::Ecdsa(Sha256),
            "1.2.840.10045.4.3.3" => SigAlg::Ecdsa(Sha384),
            "1.2.840.10045.4.3.4" => SigAlg::Ecdsa(Sha512),
            "1.2.840.10040.4.3" => SigAlg::Dsa(Sha1),
            "2.16.840.1.101.3.4.3.1" => SigAlg::Dsa(Sha224),
            "2.16.840.1.101.3.4.3.2" => SigAlg::Dsa(Sha256),
            "1.3.101.112" => SigAlg::Ed25519,
            "1.3.101.113" => SigAlg::Ed448,
            other => SigAlg::Unknown(other.to_owned()),
        }
    }
}

/// The declared RSASSA-PSS parameters (RFC 4055 §3.1, RFC 8017 A.2.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PssParams {
    pub(crate) hash: Hash,
    pub(crate) mgf_hash: Hash,
    pub(crate) salt_len: usize,
}

/// Why RSASSA-PSS parameters cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PssError {
    /// They break the syntax: the signature cannot verify.
    Invalid(String),
    /// They name a hash csrkit does not implement.
    Unsupported(String),
}

/// The hash an AlgorithmIdentifier's DER contents name (OID, then
/// optional NULL parameters).
fn hash_of_alg_id(contents: &[u8]) -> Result<Hash, PssError> {
    // Its parameters (NULL or absent per RFC 4055) are not looked at, as
    // OpenSSL does not.
    let (oid, _) = crate::input::split_tlv(contents)
        .ok_or_else(|| PssError::Invalid("a hash AlgorithmIdentifier does not decode".into()))?;
    const SHA2: [u8; 10] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];
    match oid {
        [0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a] => Ok(Hash::Sha1),
        [head @ .., last] if head == SHA2 => match last {
            1 => Ok(Hash::Sha256),
            2 => Ok(Hash::Sha384),
            3 => Ok(Hash::Sha512),
            4 => Ok(Hash::Sha224),
            _ => Err(PssError::Unsupported(format!(
                "the hash 2.16.840.1.101.3.4.2.{last} is not implemented"
            ))),
        },
        _ => Err(PssError::Unsupported(format!(
            "the hash OID {} is not one csrkit implements",
            hex::encode(oid)
        ))),
    }
}

/// The contents of a TLV with the given tag.
fn expect<'a>(tlv: &'a [u8], tag: u8, what: &str) -> Result<&'a [u8], PssError> {
    if tlv.first() != Some(&tag) {
        return Err(PssError::Invalid(format!("{what} has the wrong tag")));
    }
    tlv_contents(tlv).ok_or_else(|| PssError::Invalid(format!("{what} does not decode")))
}

/// A small non-negative INTEGER's value.
fn small_uint(contents: &[u8], what: &str) -> Result<usize, PssError> {
    if contents.is_empty() || contents[0] & 0x80 != 0 || contents.len() > 4 {
        return Err(PssError::Invalid(format!(
            "{what} is not a small non-negative INTEGER"
        )));
    }
    Ok(contents
        .iter()
        .fold(0usize, |v, &b| (v << 8) | usize::from(b)))
}

/// Parses RSASSA-PSS-params strictly: `[0]` hash (default SHA-1), `[1]`
/// MGF1 with its hash (default MGF1-SHA-1), `[2]` salt length (default
/// 20), `[3]` trailer field (default and only value 1). Parameters MUST be
/// present in a signature AlgorithmIdentifier (RFC 4055 §3.1).
pub(crate) fn parse_pss(params: Option<(Tag, &[u8])>) -> Result<PssParams, PssError> {
    let Some((tag, mut rest)) = params else {
        return Err(PssError::Invalid(
            "they are absent; RFC 4055 §3.1 requires them in a signature".into(),
        ));
    };
    if tag != Tag::Sequence {
        return Err(PssError::Invalid("they are not a SEQUENCE".into()));
    }
    let mut p = PssParams {
        hash: Hash::Sha1,
        mgf_hash: Hash::Sha1,
        salt_len: 20,
    };
    let mut last = None;
    while !rest.is_empty() {
        let (tlv, after) = crate::input::split_tlv(rest)
            .ok_or_else(|| PssError::Invalid("a field does not decode".into()))?;
        rest = after;
        let t = tlv[0];
        if last.is_some_and(|l| t <= l) {
            return Err(PssError::Invalid(
                "the fields are out of order or repeated".into(),
            ));
        }
        last = Some(t);
        let inner =
            tlv_contents(tlv).ok_or_else(|| PssError::Invalid("a field does not decode".into()))?;
        let (one, extra) = crate::input::split_tlv(inner)
            .ok_or_else(|| PssError::Invalid("a field does not decode".into()))?;
        if !extra.is_empty() {
            return Err(PssError::Invalid(
                "a field holds more than one value".into(),
            ));
        }
        match t {
            0xa0 => p.hash = hash_of_alg_id(expect(one, 0x30, "hashAlgorithm")?)?,
            0xa1 => {
                let mgf = expect(one, 0x30, "maskGenAlgorithm")?;
                let (oid, hash) = crate::input::split_tlv(mgf)
                    .ok_or_else(|| PssError::Invalid("maskGenAlgorithm does not decode".into()))?;
                if oid
                    != [
                        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,
                    ]
                {
                    return Err(PssError::Unsupported(
                        "the mask generation function is not MGF1".into(),
                    ));
                }
                let (alg, extra) = crate::input::split_tlv(hash)
                    .ok_or_else(|| PssError::Invalid("the MGF1 hash does not decode".into()))?;
                if !extra.is_empty() {
                    return Err(PssError::Invalid(
                        "maskGenAlgorithm has extra fields".into(),
                    ));
                }
                p.mgf_hash = hash_of_alg_id(expect(alg, 0x30, "the MGF1 hash")?)?;
            }
            0xa2 => p.salt_len = small_uint(expect(one, 0x02, "saltLength")?, "saltLength")?,
            0xa3 => {
                let v = small_uint(expect(one, 0x02, "trailerField")?, "trailerField")?;
                if v != 1 {
                    return Err(PssError::Invalid(format!(
                        "trailerField is {v}; the only value is 1 (trailerFieldBC)"
                    )));
                }
            }
            other => {
                return Err(PssError::Invalid(format!(
                    "an unknown field [{}]",
                    other & 0x1f
                )));
            }
        }
    }
    Ok(p)
}

/// The request's declared RSASSA-PSS parameters.
pub(crate) fn pss_params(csr: &Csr<'_>) -> Result<PssParams, PssError> {
    parse_pss(
        csr.req
            .signature_algorithm
            .parameters
            .as_ref()
            .map(|p| (p.tag(), p.data)),
    )
}

/// The subject public key.
#[derive(Clone, Debug)]
pub(crate) enum Key<'a> {
    Rsa {
        /// Modulus, big-endian, without leading zero bytes.
        n: &'a [u8],
        /// Exponent, big-endian, without leading zero bytes.
        e: &'a [u8],
        /// Whether the exponent INTEGER is negative.
        e_negative: bool,
        bits: usize,
        /// The AlgorithmIdentifier parameters are NULL (as they must be).
        params_null: bool,
        /// id-RSASSA-PSS key rather than rsaEncryption.
        pss: bool,
    },
    Ec {
        /// The named curve OID, `None` for explicit or missing parameters.
        curve: Option<String>,
        /// Explicit curve parameters (a SEQUENCE) instead of a named curve.
        explicit: bool,
        point: &'a [u8],
    },
    Ed25519,
    Ed448,
    Dsa,
    /// A key the parser could not read, or an algorithm we do not know.
    Other {
        oid: String,
        reason: Option<String>,
    },
}

/// A named curve, by OID.
pub(crate) fn curve_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.840.10045.3.1.7" => "P-256",
        "1.3.132.0.34" => "P-384",
        "1.3.132.0.35" => "P-521",
        "1.3.132.0.10" => "secp256k1",
        "1.2.840.10045.3.1.1" => "P-192",
        "1.3.132.0.33" => "P-224",
        "1.2.156.10197.1.301" => "SM2",
        "1.3.36.3.3.2.8.1.1.7" => "brainpoolP256r1",
        "1.3.36.3.3.2.8.1.1.11" => "brainpoolP384r1",
        _ => return None,
    })
}

impl Key<'_> {
    /// A short description: `RSA 2048`, `ECDSA P-256`.
    pub(crate) fn describe(&self) -> String {
        match self {
            Key::Rsa { bits, .. } => format!("RSA {bits}"),
            Key::Ec { curve: Some(c), .. } => {
                format!("ECDSA {}", curve_name(c).unwrap_or(c))
            }
            Key::Ec { .. } => "ECDSA (explicit curve parameters)".into(),
            Key::Ed25519 => "Ed25519".into(),
            Key::Ed448 => "Ed448".into(),
            Key::Dsa => "DSA".into(),
            Key::Other { oid, .. } => format!("unknown key algorithm {oid}"),
        }
    }
}

/// The kind of a subjectAltName entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SanKind {
    Dns,
    Ip,
    Email,
    Uri,
    DirectoryName,
    OtherName,
    X400,
    EdiParty,
    RegisteredId,
    /// An entry that did not decode (e.g. a dNSName that is not IA5).
    Invalid,
}

impl SanKind {
    pub(crate) fn asn1_name(self) -> &'static str {
        match self {
            SanKind::Dns => "dNSName",
            SanKind::Ip => "iPAddress",
            SanKind::Email => "rfc822Name",
            SanKind::Uri => "uniformResourceIdentifier",
            SanKind::DirectoryName => "directoryName",
            SanKind::OtherName => "otherName",
            SanKind::X400 => "x400Address",
            SanKind::EdiParty => "ediPartyName",
            SanKind::RegisteredId => "registeredID",
            SanKind::Invalid => "invalid",
        }
    }
}

/// One subjectAltName entry.
#[derive(Clone, Debug)]
pub(crate) struct San<'a> {
    pub(crate) kind: SanKind,
    /// The text (dNSName, rfc822Name, URI).
    pub(crate) text: Option<&'a str>,
    /// The raw value (iPAddress octets, invalid entries).
    pub(crate) bytes: &'a [u8],
    pub(crate) index: usize,
    pub(crate) offset: Option<usize>,
}

impl San<'_> {
    pub(crate) fn field(&self) -> String {
        format!(
            "extensionRequest/subjectAltName/{}[{}]",
            self.kind.asn1_name(),
            self.index
        )
    }

    /// The value as text for messages.
    pub(crate) fn display(&self) -> String {
        match (self.kind, self.text) {
            (_, Some(t)) => t.to_owned(),
            (SanKind::Ip, None) => ip_text(self.bytes),
            _ => hex::encode(self.bytes),
        }
    }
}

/// An IP address from its octets.
pub(crate) fn ip_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => {
            let mut o = [0u8; 4];
            o.copy_from_slice(bytes);
            std::net::Ipv4Addr::from(o).to_string()
        }
        16 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(bytes);
            std::net::Ipv6Addr::from(o).to_string()
        }
        _ => format!("{} bytes {}", bytes.len(), hex::encode(bytes)),
    }
}

/// One attribute of the subject.
#[derive(Clone, Debug)]
pub(crate) struct SubjectAttr<'a> {
    /// How many attributes its RDN holds.
    pub(crate) rdn_len: usize,
    pub(crate) oid: String,
    pub(crate) tag: Tag,
    pub(crate) data: &'a [u8],
    pub(crate) offset: Option<usize>,
}

/// The short name of a subject attribute OID.
pub(crate) fn attr_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "street",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.5" => "serialNumber",
        "2.5.4.17" => "postalCode",
        "2.5.4.4" => "SN",
        "2.5.4.42" => "GN",
        "2.5.4.12" => "title",
        "1.2.840.113549.1.9.1" => "emailAddress",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "2.5.4.97" => "organizationIdentifier",
        "2.5.4.15" => "businessCategory",
        "1.3.6.1.4.1.311.60.2.1.3" => "jurisdictionC",
        _ => return None,
    })
}

impl<'a> SubjectAttr<'a> {
    pub(crate) fn short(&self) -> String {
        attr_name(&self.oid).map_or_else(|| self.oid.clone(), str::to_owned)
    }

    /// The value as text, when it is a string type that decodes.
    pub(crate) fn text(&self) -> Option<std::borrow::Cow<'a, str>> {
        match self.tag {
            Tag::PrintableString
            | Tag::Utf8String
            | Tag::Ia5String
            | Tag::NumericString
            | Tag::VisibleString
            | Tag::TeletexString => std::str::from_utf8(self.data).ok().map(Into::into),
            Tag::BmpString => {
                if !self.data.len().is_multiple_of(2) {
                    return None;
                }
                let units: Vec<u16> = self
                    .data
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                String::from_utf16(&units).ok().map(Into::into)
            }
            Tag::UniversalString => {
                if !self.data.len().is_multiple_of(4) {
                    return None;
                }
                self.data
                    .chunks_exact(4)
                    .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                    .collect()
            }
            _ => None,
        }
    }
}

/// One requested extension.
#[derive(Clone, Debug)]
pub(crate) struct Ext {
    pub(crate) oid: String,
    pub(crate) critical: bool,
    pub(crate) offset: Option<usize>,
    /// Whether the parser knows this extension type.
    pub(crate) known: bool,
    /// The parse error, when the value did not decode.
    pub(crate) error: Option<String>,
    /// basicConstraints cA, when this is basicConstraints.
    pub(crate) ca: Option<bool>,
    /// keyUsage keyCertSign or cRLSign, when this is keyUsage.
    pub(crate) cert_sign: Option<bool>,
}

/// One attribute of the request.
#[derive(Clone, Debug)]
pub(crate) struct CriAttr {
    pub(crate) oid: String,
    pub(crate) offset: Option<usize>,
}

/// A host name of the request with its syntax problems, computed once.
#[derive(Debug)]
pub(crate) struct Name {
    pub(crate) name: String,
    pub(crate) offset: Option<usize>,
    pub(crate) field: String,
    pub(crate) problems: Vec<csrkit_names::Problem>,
}

/// A parsed request with its facts.
pub(crate) struct Csr<'a> {
    /// The DER of this request.
    pub(crate) der: &'a [u8],
    pub(crate) req: X509CertificationRequest<'a>,
    pub(crate) version: u32,
    pub(crate) sig_alg: SigAlg,
    /// The signature AlgorithmIdentifier parameters: `None` absent,
    /// `Some(tag)` present.
    pub(crate) sig_params: Option<Tag>,
    pub(crate) key: Key<'a>,
    pub(crate) subject: Vec<SubjectAttr<'a>>,
    pub(crate) sans: Vec<San<'a>>,
    /// The subjectAltName extension, if requested (index into `exts`).
    pub(crate) san_ext: Option<usize>,
    pub(crate) exts: Vec<Ext>,
    /// The extended key usages requested: (offset of the extension, OID).
    pub(crate) ekus: Vec<(Option<usize>, String)>,
    pub(crate) attrs: Vec<CriAttr>,
    /// Bytes after the request's outer SEQUENCE.
    pub(crate) trailing: usize,
    names: std::cell::OnceCell<Vec<Name>>,
    residues: std::cell::OnceCell<Vec<u32>>,
    signature: std::cell::OnceCell<crate::keys::SigCheck>,
    strict: std::cell::OnceCell<Vec<crate::der::Problem>>,
    raw_attrs: std::cell::OnceCell<crate::der::RawAttrs>,
}

/// `part` re-borrowed from `base` with `base`'s lifetime (empty when it
/// does not lie inside `base`).
pub(crate) fn rebase<'a>(base: &'a [u8], part: &[u8]) -> &'a [u8] {
    match offset_in(base, part) {
        Some(off) => &base[off..off + part.len()],
        None => &[],
    }
}

fn rebase_str<'a>(base: &'a [u8], part: &str) -> &'a str {
    std::str::from_utf8(rebase(base, part.as_bytes())).unwrap_or_default()
}

/// Offset of `part` inside `base`, when it lies there.
pub(crate) fn offset_in(base: &[u8], part: &[u8]) -> Option<usize> {
    let b = base.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    let off = p.checked_sub(b)?;
    (off + part.len() <= base.len()).then_some(off)
}

impl<'a> Csr<'a> {
    /// Parses one request; the error says why it is not one.
    pub(crate) fn parse(der: &'a [u8]) -> Result<Csr<'a>, String> {
        let (rem, req) = X509CertificationRequest::from_der(der).map_err(|e| {
            format!(
                "it does not parse as a PKCS #10 CertificationRequest: {}",
                describe_error(&e)
            )
        })?;
        let info = &req.certification_request_info;
        let version = info.version.0;
        let sig_params = req.signature_algorithm.parameters.as_ref().map(|p| p.tag());
        let sig_alg = SigAlg::from_oid(
            &oid_text(&req.signature_algorithm.algorithm),
            req.signature_algorithm
                .parameters
                .as_ref()
                .map(|p| (p.tag(), p.data)),
        );
        let key = read_key(der, &info.subject_pki);

        let mut subject = Vec::new();
        for rdn in info.subject.iter_rdn() {
            let n = rdn.iter().count();
            for atv in rdn.iter() {
                let v = atv.attr_value();
                subject.push(SubjectAttr {
                    rdn_len: n,
                    oid: oid_text(atv.attr_type()),
                    tag: v.tag(),
                    data: rebase(der, v.data),
                    offset: offset_in(der, v.data),
                });
            }
        }

        let mut exts = Vec::new();
        let mut attrs = Vec::new();
        let mut sans = Vec::new();
        let mut san_ext = None;
        let mut ekus = Vec::new();
        for attr in info.iter_attributes() {
            attrs.push(CriAttr {
                oid: oid_text(&attr.oid),
                offset: offset_in(der, attr.value),
            });
            let ParsedCriAttribute::ExtensionRequest(er) = attr.parsed_attribute() else {
                continue;
            };
            for ext in &er.extensions {
                let idx = exts.len();
                let mut e = Ext {
                    oid: oid_text(&ext.oid),
                    critical: ext.critical,
                    offset: offset_in(der, ext.value),
                    known: true,
                    error: None,
                    ca: None,
                    cert_sign: None,
                };
                match ext.parsed_extension() {
                    ParsedExtension::UnsupportedExtension { .. } => e.known = false,
                    ParsedExtension::ParseError { error } => e.error = Some(error.to_string()),
                    ParsedExtension::BasicConstraints(bc) => e.ca = Some(bc.ca),
                    ParsedExtension::KeyUsage(ku) => {
                        e.cert_sign = Some(ku.key_cert_sign() || ku.crl_sign())
                    }
                    ParsedExtension::ExtendedKeyUsage(eku) => {
                        let at = offset_in(der, ext.value);
                        let named = [
                            (eku.any, "2.5.29.37.0"),
                            (eku.server_auth, "1.3.6.1.5.5.7.3.1"),
                            (eku.client_auth, "1.3.6.1.5.5.7.3.2"),
                            (eku.code_signing, "1.3.6.1.5.5.7.3.3"),
                            (eku.email_protection, "1.3.6.1.5.5.7.3.4"),
                            (eku.time_stamping, "1.3.6.1.5.5.7.3.8"),
                            (eku.ocsp_signing, "1.3.6.1.5.5.7.3.9"),
                        ];
                        for (set, oid) in named {
                            if set {
                                ekus.push((at, oid.to_owned()));
                            }
                        }
                        for o in &eku.other {
                            ekus.push((at, oid_text(o)));
                        }
                    }
                    ParsedExtension::SubjectAlternativeName(san) if san_ext.is_none() => {
                        san_ext = Some(idx);
                        for (i, gn) in san.general_names.iter().enumerate() {
                            sans.push(read_san(der, i, gn));
                        }
                    }
                    _ => {}
                }
                if e.oid == "2.5.29.17" && san_ext.is_none() {
                    san_ext = Some(idx);
                }
                exts.push(e);
            }
        }

        Ok(Csr {
            der,
            version,
            sig_alg,
            sig_params,
            key,
            subject,
            sans,
            san_ext,
            exts,
            ekus,
            attrs,
            trailing: rem.len(),
            req,
            names: std::cell::OnceCell::new(),
            residues: std::cell::OnceCell::new(),
            signature: std::cell::OnceCell::new(),
            strict: std::cell::OnceCell::new(),
            raw_attrs: std::cell::OnceCell::new(),
        })
    }

    /// The subject common names, with their position among CNs.
    pub(crate) fn cns(&self) -> impl Iterator<Item = (usize, &SubjectAttr<'a>)> {
        self.subject
            .iter()
            .filter(|a| a.oid == "2.5.4.3")
            .enumerate()
    }

    /// The first CN as text, if any.
    pub(crate) fn cn(&self) -> Option<String> {
        self.cns()
            .next()
            .and_then(|(_, a)| a.text().map(std::borrow::Cow::into_owned))
    }

    /// The dNSName entries.
    pub(crate) fn dns_names(&self) -> impl Iterator<Item = &San<'a>> {
        self.sans.iter().filter(|s| s.kind == SanKind::Dns)
    }

    /// Every host name the request names: dNSName entries, and the CN when
    /// it looks like a name and is not already among the SANs; each with
    /// its `csrkit-names` problems. Computed on first use.
    pub(crate) fn names(&self) -> &[Name] {
        self.names.get_or_init(|| {
            let mut out: Vec<Name> = Vec::new();
            for s in self.dns_names() {
                if let Some(t) = s.text {
                    out.push(Name {
                        name: t.to_owned(),
                        offset: s.offset,
                        field: s.field(),
                        problems: csrkit_names::problems(t),
                    });
                }
            }
            // the names so far (a `Seen`: thousands of CNs beside thousands
            // of SANs are not compared pairwise)
            let mut extra = Vec::new();
            {
                let mut seen: Seen<Cow<'_, str>> =
                    out.iter().map(|n| Cow::Borrowed(n.name.as_str())).collect();
                for (i, cn) in self.cns() {
                    if let Some(t) = cn.text()
                        && !t.contains(' ')
                        && seen.insert(t.clone())
                    {
                        extra.push(Name {
                            problems: csrkit_names::problems(&t),
                            name: t.into_owned(),
                            offset: cn.offset,
                            field: format!("subject/CN[{i}]"),
                        });
                    }
                }
            }
            out.extend(extra);
            out
        })
    }

    /// The RSA modulus modulo every small prime (empty for other keys).
    pub(crate) fn residues(&self) -> &[u32] {
        self.residues.get_or_init(|| match &self.key {
            Key::Rsa { n, .. } => crate::keys::residues(n),
            _ => Vec::new(),
        })
    }

    /// The outcome of verifying the self-signature, computed once.
    pub(crate) fn signature(&self) -> &crate::keys::SigCheck {
        self.signature.get_or_init(|| crate::keys::verify(self))
    }

    /// Where the request's bytes (without trailing data) break DER, up to
    /// eight places; computed once.
    pub(crate) fn der_problems(&self) -> &[crate::der::Problem] {
        self.strict.get_or_init(|| {
            let der = &self.der[..self.der.len() - self.trailing];
            let mut p = crate::der::shape_problems(der);
            p.extend(crate::der::problems(der, 8));
            p
        })
    }

    /// The attributes as written: extensionRequest values and raw
    /// extensions; computed once.
    pub(crate) fn raw_attrs(&self) -> &crate::der::RawAttrs {
        self.raw_attrs
            .get_or_init(|| crate::der::attributes(&self.der[..self.der.len() - self.trailing]))
    }

    /// The requested subjectAltName extension.
    pub(crate) fn san(&self) -> Option<&Ext> {
        self.san_ext.and_then(|i| self.exts.get(i))
    }

    /// Location of the version INTEGER (the first element of the
    /// CertificationRequestInfo).
    pub(crate) fn version_offset(&self) -> Option<usize> {
        let cri = self.req.certification_request_info.raw;
        let start = offset_in(self.der, cri)?;
        let hdr = cri.len() - tlv_contents(cri)?.len();
        Some(start + hdr)
    }

    /// Location of the public key.
    pub(crate) fn key_offset(&self) -> Option<usize> {
        offset_in(
            self.der,
            self.req.certification_request_info.subject_pki.raw,
        )
    }

    /// Location of the signature algorithm.
    pub(crate) fn sig_offset(&self) -> Option<usize> {
        offset_in(self.der, self.req.signature_value.data.as_ref())
    }
}

/// A parser error in words: ASN.1 type names, never a Rust `Debug` form.
pub(crate) fn describe_error(e: &x509_parser::nom::Err<x509_parser::error::X509Error>) -> String {
    use x509_parser::der_parser::error::BerError as B;
    use x509_parser::error::X509Error as X;
    let inner = match e {
        x509_parser::nom::Err::Incomplete(_) => {
            return "the data ends before the structure does (truncated)".into();
        }
        x509_parser::nom::Err::Error(x) | x509_parser::nom::Err::Failure(x) => x,
    };
    match inner {
        X::Der(b) => match b {
            B::UnexpectedTag { expected, actual } => match expected {
                Some(t) => format!(
                    "expected {} but found {}",
                    crate::der::tag_name(t.0),
                    crate::der::tag_name(actual.0)
                ),
                None => format!("unexpected {}", crate::der::tag_name(actual.0)),
            },
            B::Incomplete(_) => "the data ends before the structure does (truncated)".into(),
            B::InvalidLength => "a length is invalid or runs past the end".into(),
            B::IndefiniteLengthUnexpected => "an indefinite length (BER, not DER)".into(),
            B::StringInvalidCharset => "a string holds characters its type does not allow".into(),
            B::IntegerTooLarge | B::IntegerNegative => "an INTEGER is out of range".into(),
            B::BerMaxDepth => "the structure is nested too deeply".into(),
            B::InvalidTag | B::UnknownTag(_) => "a tag is invalid".into(),
            B::UnexpectedClass { .. } => "a tag has the wrong class".into(),
            B::ConstructExpected | B::ConstructUnexpected => {
                "a value is primitive where it must be constructed, or the reverse".into()
            }
            _ => "its DER structure is not that of a CertificationRequest".into(),
        },
        X::NomError(_) => "its DER structure is not that of a CertificationRequest".into(),
        other => other.to_string(),
    }
}

fn read_san<'a>(der: &'a [u8], index: usize, gn: &GeneralName<'_>) -> San<'a> {
    let (kind, text, bytes): (SanKind, Option<&'a str>, &'a [u8]) = match gn {
        GeneralName::DNSName(s) => (
            SanKind::Dns,
            Some(rebase_str(der, s)),
            rebase(der, s.as_bytes()),
        ),
        GeneralName::IPAddress(b) => (SanKind::Ip, None, rebase(der, b)),
        GeneralName::RFC822Name(s) => (
            SanKind::Email,
            Some(rebase_str(der, s)),
            rebase(der, s.as_bytes()),
        ),
        GeneralName::URI(s) => (
            SanKind::Uri,
            Some(rebase_str(der, s)),
            rebase(der, s.as_bytes()),
        ),
        GeneralName::DirectoryName(n) => (SanKind::DirectoryName, None, rebase(der, n.as_raw())),
        GeneralName::OtherName(_, b) => (SanKind::OtherName, None, rebase(der, b)),
        GeneralName::X400Address(a) => (SanKind::X400, None, rebase(der, a.data)),
        GeneralName::EDIPartyName(a) => (SanKind::EdiParty, None, rebase(der, a.data)),
        GeneralName::RegisteredID(_) => (SanKind::RegisteredId, None, &[]),
        GeneralName::Invalid(_, b) => (SanKind::Invalid, None, rebase(der, b)),
    };
    San {
        kind,
        text,
        bytes,
        index,
        offset: offset_in(der, bytes),
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

fn bit_len(b: &[u8]) -> usize {
    match b.first() {
        Some(&top) => (b.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}

fn read_key<'a>(der: &'a [u8], spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>) -> Key<'a> {
    let oid = oid_text(&spki.algorithm.algorithm);
    let params = spki.algorithm.parameters.as_ref();
    match oid.as_str() {
        "1.2.840.113549.1.1.1" | "1.2.840.113549.1.1.10" => {
            let pss = oid.ends_with(".10");
            match read_rsa(rebase(der, spki.subject_public_key.data.as_ref())) {
                Some(([], _, _)) => Key::Other {
                    oid,
                    reason: Some("the RSA modulus is zero or negative".into()),
                },
                Some((n, e, e_negative)) => Key::Rsa {
                    n,
                    e,
                    e_negative,
                    bits: bit_len(n),
                    params_null: params.is_some_and(|p| p.tag() == Tag::Null && p.data.is_empty()),
                    pss,
                },
                None => Key::Other {
                    oid,
                    reason: Some("the RSA public key does not decode".into()),
                },
            }
        }
        "1.2.840.10045.2.1" => {
            let (curve, explicit) = match params {
                Some(p) if p.tag() == Tag::Oid => (p.as_oid().ok().map(|o| oid_text(&o)), false),
                Some(p) if p.tag() == Tag::Sequence => (None, true),
                _ => (None, false),
            };
            Key::Ec {
                curve,
                explicit,
                point: rebase(der, spki.subject_public_key.data.as_ref()),
            }
        }
        "1.3.101.112" => Key::Ed25519,
        "1.3.101.113" => Key::Ed448,
        "1.2.840.10040.4.1" => Key::Dsa,
        _ => Key::Other { oid, reason: None },
    }
}

/// Reads RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }.
fn read_rsa(bits: &[u8]) -> Option<(&[u8], &[u8], bool)> {
    let (seq, _) = crate::input::split_tlv(bits)?;
    if seq.first() != Some(&0x30) {
        return None;
    }
    let body = tlv_contents(seq)?;
    let (n_tlv, rest) = crate::input::split_tlv(body)?;
    let (e_tlv, _) = crate::input::split_tlv(rest)?;
    if n_tlv.first() != Some(&0x02) || e_tlv.first() != Some(&0x02) {
        return None;
    }
    let n = tlv_contents(n_tlv)?;
    let e = tlv_contents(e_tlv)?;
    if n.first().is_some_and(|b| b & 0x80 != 0) {
        return Some((&[], e, false));
    }
    let e_negative = e.first().is_some_and(|b| b & 0x80 != 0);
    Some((strip_zeros(n), strip_zeros(e), e_negative))
}

/// The contents of a TLV whose bounds were already checked.
pub(crate) fn tlv_contents(tlv: &[u8]) -> Option<&[u8]> {
    let first = *tlv.get(1)?;
    let hdr = if first < 0x80 {
        2
    } else {
        2 + (first & 0x7f) as usize
    };
    tlv.get(hdr..)
}

/// An object identifier in dotted form, as asn1-rs's `Oid::to_id_string`
/// writes it (its quirks included: the first two arcs come from the first
/// byte alone), without the strings and big numbers it builds for every
/// arc: 2,800 instructions an OID, five OIDs a request. An arc longer than
/// nine bytes (asn1-rs's test for 64 bits) or an unfinished last arc goes
/// to asn1-rs, whose text for those depends on its features. For absolute
/// OIDs, the only kind a request holds.
pub(crate) fn oid_text(oid: &Oid<'_>) -> String {
    use std::fmt::Write as _;
    let bytes = oid.as_bytes();
    let (first, rest) = match bytes {
        [] => return String::new(),
        [0] => return "0".into(),
        [first, rest @ ..] => (*first, rest),
    };
    if rest.last().is_some_and(|b| b & 0x80 != 0) {
        return oid.to_id_string();
    }
    let mut out = String::with_capacity(bytes.len() * 3 + 4);
    let _ = write!(out, "{}.{}", first / 40, first % 40);
    let (mut arc, mut len) = (0u64, 0);
    for &b in rest {
        len += 1;
        if len > 9 {
            return oid.to_id_string();
        }
        arc = (arc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            let _ = write!(out, ".{arc}");
            (arc, len) = (0, 0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// [`oid_text`] is asn1-rs's text for any bytes: arcs of every
        /// length, an unfinished last arc, arcs past 64 bits (asn1-rs
        /// writes those, and oid_text hands them to it).
        #[test]
        fn oid_text_is_asn1_rs_text(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..40)) {
            let oid = Oid::new(std::borrow::Cow::Borrowed(&bytes));
            proptest::prop_assert_eq!(oid_text(&oid), oid.to_id_string());
        }
    }

    #[test]
    fn oid_text_of_real_oids() {
        for text in [
            "1.2.840.113549.1.1.11",
            "2.5.29.17",
            "1.3.6.1.4.1.311.60.2.1.3",
            "2.5.4.3",
        ] {
            let arcs: Vec<u64> = text.split('.').map(|a| a.parse().unwrap()).collect();
            let oid = Oid::from(&arcs).unwrap();
            assert_eq!(oid_text(&oid), text);
        }
        // an arc of 70 bits: asn1-rs's big numbers
        let oid = Oid::new(std::borrow::Cow::Borrowed(&[
            0x2a, 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
        ]));
        assert_eq!(oid_text(&oid), oid.to_id_string());
        assert!(oid_text(&oid).len() > 20);
    }
}
