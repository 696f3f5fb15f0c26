//! Private keys: generation through aws-lc-rs, loading from the formats
//! people have, PKCS #8 encoding (plain or encrypted) for writing.

use std::fmt;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_ASN1_SIGNING, ECDSA_P384_SHA384_ASN1_SIGNING, EcdsaKeyPair,
    EcdsaSigningAlgorithm,
};
use rcgen::{KeyPair, PublicKeyData, SignatureAlgorithm};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::Error;

/// The key types `generate` makes. P-256 is the default: small, fast and
/// accepted by every CA.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// ECDSA on NIST P-256, signed with SHA-256.
    #[default]
    P256,
    /// ECDSA on NIST P-384, signed with SHA-384.
    P384,
    /// RSA, 2048-bit modulus, signed with SHA-256.
    Rsa2048,
    /// RSA, 3072-bit modulus, signed with SHA-256.
    Rsa3072,
    /// RSA, 4096-bit modulus, signed with SHA-256.
    Rsa4096,
}

impl KeyType {
    /// Every key type, in the order the CLI lists them.
    pub const ALL: [KeyType; 5] = [
        KeyType::P256,
        KeyType::P384,
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
    ];

    /// The name used on the command line and in JSON (`p256`, `rsa2048`, ...).
    pub fn name(self) -> &'static str {
        match self {
            KeyType::P256 => "p256",
            KeyType::P384 => "p384",
            KeyType::Rsa2048 => "rsa2048",
            KeyType::Rsa3072 => "rsa3072",
            KeyType::Rsa4096 => "rsa4096",
        }
    }

    /// What a key of this type is.
    pub fn algorithm(self) -> KeyAlgorithm {
        match self {
            KeyType::P256 => KeyAlgorithm::EcdsaP256,
            KeyType::P384 => KeyAlgorithm::EcdsaP384,
            KeyType::Rsa2048 => KeyAlgorithm::Rsa { bits: 2048 },
            KeyType::Rsa3072 => KeyAlgorithm::Rsa { bits: 3072 },
            KeyType::Rsa4096 => KeyAlgorithm::Rsa { bits: 4096 },
        }
    }

    /// Whether making a key of this type takes long enough to show progress.
    pub fn is_slow(self) -> bool {
        matches!(self, KeyType::Rsa3072 | KeyType::Rsa4096)
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for KeyType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        KeyType::ALL
            .into_iter()
            .find(|t| t.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                let names: Vec<_> = KeyType::ALL.iter().map(|t| t.name()).collect();
                format!(
                    "unknown key type {s:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// What a key is: its algorithm and size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256.
    EcdsaP256,
    /// ECDSA on NIST P-384.
    EcdsaP384,
    /// RSA with a modulus of this many bits.
    Rsa {
        /// The modulus size in bits.
        bits: usize,
    },
}

impl KeyAlgorithm {
    /// The name used in JSON: `p256`, `p384` or `rsa<bits>`.
    pub fn name(self) -> String {
        match self {
            KeyAlgorithm::EcdsaP256 => "p256".into(),
            KeyAlgorithm::EcdsaP384 => "p384".into(),
            KeyAlgorithm::Rsa { bits } => format!("rsa{bits}"),
        }
    }

    fn signature_algorithm(self) -> &'static SignatureAlgorithm {
        match self {
            KeyAlgorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlgorithm::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyAlgorithm::Rsa { .. } => &rcgen::PKCS_RSA_SHA256,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyAlgorithm::EcdsaP256 => f.write_str("ECDSA P-256"),
            KeyAlgorithm::EcdsaP384 => f.write_str("ECDSA P-384"),
            KeyAlgorithm::Rsa { bits } => write!(f, "RSA {bits}"),
        }
    }
}

/// A private key. Its memory is zeroed when it is dropped and its `Debug`
/// shows no key material.
pub struct PrivateKey {
    pair: KeyPair,
    algorithm: KeyAlgorithm,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm)
            .field("key", &"[secret key elided]")
            .finish()
    }
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        // Zeroes the PKCS #8 copy rcgen keeps; aws-lc cleanses its own key
        // memory when the key object is freed.
        self.pair.zeroize();
    }
}

impl PrivateKey {
    /// What the key is.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// The DER SubjectPublicKeyInfo of the key.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.pair.subject_public_key_info()
    }

    /// The public key in PEM (`PUBLIC KEY`).
    pub fn public_key_pem(&self) -> String {
        self.pair.public_key_pem()
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex: the key's
    /// fingerprint as `openssl pkey -pubout -outform DER | sha256sum` prints it.
    pub fn spki_sha256(&self) -> String {
        hex::encode(Sha256::digest(self.public_key_der()))
    }

    /// The key as unencrypted PKCS #8 PEM (`PRIVATE KEY`).
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(self.pair.serialize_pem())
    }

    /// The key as encrypted PKCS #8 PEM (`ENCRYPTED PRIVATE KEY`): PBES2 with
    /// PBKDF2-HMAC-SHA256 ([`crate::PBKDF2_ITERATIONS`] rounds, 16-byte
    /// random salt) and AES-256-CBC, which `openssl pkey -passin` opens.
    pub fn to_encrypted_pkcs8_pem(&self, passphrase: &[u8]) -> Result<Zeroizing<String>, Error> {
        use pkcs8::der::{EncodePem, pem::LineEnding};
        let fail = |reason: String| Error::Encryption { reason };
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        aws_lc_rs::rand::fill(&mut salt).map_err(|_| fail("no randomness".into()))?;
        aws_lc_rs::rand::fill(&mut iv).map_err(|_| fail("no randomness".into()))?;
        let params = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
            crate::PBKDF2_ITERATIONS,
            &salt,
            iv,
        )
        .map_err(|e| fail(e.to_string()))?;
        let info = pkcs8::PrivateKeyInfoRef::try_from(self.pair.serialized_der())
            .map_err(|e| fail(e.to_string()))?;
        let doc = info
            .encrypt_with_params(params, passphrase)
            .map_err(|e| fail(e.to_string()))?;
        let encrypted = pkcs8::EncryptedPrivateKeyInfoRef::try_from(doc.as_bytes())
            .map_err(|e| fail(e.to_string()))?;
        let pem = encrypted
            .to_pem(LineEnding::LF)
            .map_err(|e| fail(e.to_string()))?;
        Ok(Zeroizing::new(pem))
    }

    pub(crate) fn key_pair(&self) -> &KeyPair {
        &self.pair
    }
}

/// Makes a new key of the given type from the operating system's randomness.
pub fn generate_key(key_type: KeyType) -> Result<PrivateKey, Error> {
    let fail = |e: rcgen::Error| Error::KeyGeneration {
        key_type,
        reason: e.to_string(),
    };
    let algorithm = key_type.algorithm();
    let pair = match key_type {
        KeyType::P256 | KeyType::P384 => {
            KeyPair::generate_for(algorithm.signature_algorithm()).map_err(fail)?
        }
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => {
            let size = match key_type {
                KeyType::Rsa2048 => rcgen::RsaKeySize::_2048,
                KeyType::Rsa3072 => rcgen::RsaKeySize::_3072,
                _ => rcgen::RsaKeySize::_4096,
            };
            KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, size).map_err(fail)?
        }
    };
    Ok(PrivateKey { pair, algorithm })
}

/// Reads a private key: PEM (`PRIVATE KEY`, `RSA PRIVATE KEY`,
/// `EC PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`) or DER (PKCS #8, encrypted
/// PKCS #8, PKCS #1, SEC1). `source_name` (usually the file name) is used in
/// errors. RSA keys of at least 2048 bits and ECDSA P-256/P-384 keys are
/// accepted: the keys this service certifies.
pub fn load_key(
    bytes: &[u8],
    source_name: &str,
    passphrase: Option<&[u8]>,
) -> Result<PrivateKey, Error> {
    let bad = |reason: &str| Error::KeyParse {
        source_name: source_name.to_owned(),
        reason: reason.to_owned(),
    };
    let (label, der) = if looks_like_pem(bytes) {
        pem_private_key(bytes, source_name)?
    } else {
        (None, Zeroizing::new(bytes.to_vec()))
    };
    let der = match label.as_deref() {
        Some("ENCRYPTED PRIVATE KEY") => decrypt(&der, source_name, passphrase)?,
        None if pkcs8::EncryptedPrivateKeyInfoRef::try_from(der.as_slice()).is_ok() => {
            decrypt(&der, source_name, passphrase)?
        }
        _ => der,
    };
    let format = match label.as_deref() {
        Some("RSA PRIVATE KEY") => Format::Pkcs1,
        Some("EC PRIVATE KEY") => Format::Sec1,
        Some(_) => Format::Pkcs8,
        None => sniff(&der),
    };
    let (algorithm, pkcs8) = match format {
        Format::Pkcs8 => from_pkcs8(&der, source_name)?,
        Format::Pkcs1 => {
            let key = aws_lc_rs::rsa::KeyPair::from_der(&der)
                .map_err(|e| rsa_rejected(e, source_name))?;
            rsa_to_pkcs8(&key, source_name)?
        }
        Format::Sec1 => ec_from_der(&der, source_name)?,
        Format::Unknown => {
            return Err(bad(
                "not a private key in a format csrkit reads (PEM or DER: PKCS #8, \
                 encrypted PKCS #8, PKCS #1 RSA, SEC1 EC)",
            ));
        }
    };
    let pkcs8_der = rustls_pki_types::PrivatePkcs8KeyDer::from(pkcs8.as_slice());
    let pair = KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8_der, algorithm.signature_algorithm())
        .map_err(|e| bad(&format!("the key could not be loaded: {e}")))?;
    Ok(PrivateKey { pair, algorithm })
}

#[derive(Clone, Copy, Debug)]
enum Format {
    Pkcs8,
    Pkcs1,
    Sec1,
    Unknown,
}

fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// The first private-key block of a PEM file, with its label.
fn pem_private_key(
    bytes: &[u8],
    source_name: &str,
) -> Result<(Option<String>, Zeroizing<Vec<u8>>), Error> {
    let bad = |reason: String| Error::KeyParse {
        source_name: source_name.to_owned(),
        reason,
    };
    let blocks = ::pem::parse_many(bytes).map_err(|e| bad(format!("not valid PEM: {e}")))?;
    let mut seen = Vec::new();
    for block in blocks {
        let label = block.tag().to_owned();
        match label.as_str() {
            "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => {
                if block.headers().get("Proc-Type").is_some() {
                    return Err(bad(
                        "the key uses OpenSSL's legacy PEM encryption (Proc-Type: \
                         4,ENCRYPTED), which csrkit does not read; convert it with \
                         `openssl pkcs8 -topk8 -v2 aes256 -in KEY -out KEY.p8`"
                            .into(),
                    ));
                }
                return Ok((Some(label), Zeroizing::new(block.into_contents())));
            }
            _ => seen.push(label),
        }
    }
    let hint = match seen.first().map(String::as_str) {
        Some("CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST") => {
            "this is a CSR, not a private key; pass the key it was made from"
        }
        Some("CERTIFICATE") => "this is a certificate, not a private key",
        Some("OPENSSH PRIVATE KEY") => {
            "this is an OpenSSH key; convert it with `ssh-keygen -p -m PKCS8 -f KEY`"
        }
        Some("PUBLIC KEY") => "this is a public key; a CSR needs the private key",
        _ => "no PRIVATE KEY block found",
    };
    Err(bad(hint.into()))
}

fn sniff(der: &[u8]) -> Format {
    if pkcs8::PrivateKeyInfoRef::try_from(der).is_ok() {
        Format::Pkcs8
    } else if aws_lc_rs::rsa::KeyPair::from_der(der).is_ok() {
        Format::Pkcs1
    } else if ec_from_der(der, "").is_ok() {
        Format::Sec1
    } else {
        Format::Unknown
    }
}

fn decrypt(
    der: &[u8],
    source_name: &str,
    passphrase: Option<&[u8]>,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der).map_err(|e| Error::KeyParse {
        source_name: source_name.to_owned(),
        reason: format!("not a valid encrypted PKCS #8 key: {e}"),
    })?;
    let Some(passphrase) = passphrase else {
        return Err(Error::PassphraseRequired {
            source_name: source_name.to_owned(),
        });
    };
    let doc = info
        .decrypt(passphrase)
        .map_err(|_| Error::WrongPassphrase {
            source_name: source_name.to_owned(),
        })?;
    Ok(Zeroizing::new(doc.as_bytes().to_vec()))
}

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_RSA_PSS: &str = "1.2.840.113549.1.1.10";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";

fn from_pkcs8(der: &[u8], source_name: &str) -> Result<(KeyAlgorithm, Zeroizing<Vec<u8>>), Error> {
    let bad = |reason: String| Error::KeyParse {
        source_name: source_name.to_owned(),
        reason,
    };
    let info = pkcs8::PrivateKeyInfoRef::try_from(der)
        .map_err(|e| bad(format!("not a valid PKCS #8 private key: {e}")))?;
    let oid = info.algorithm.oid.to_string();
    match oid.as_str() {
        OID_RSA => {
            let key = aws_lc_rs::rsa::KeyPair::from_pkcs8(der)
                .map_err(|e| rsa_rejected(e, source_name))?;
            rsa_to_pkcs8(&key, source_name)
        }
        OID_EC => ec_from_der(der, source_name),
        OID_RSA_PSS => Err(bad(
            "this is an RSA-PSS key (id-RSASSA-PSS); the CA expects an ordinary RSA \
             key (rsaEncryption): make one with `csrkit generate --key-type rsa2048`"
                .into(),
        )),
        OID_ED25519 => Err(bad(
            "this is an Ed25519 key, which this CA does not certify; use ECDSA \
             P-256 (the default) or RSA"
                .into(),
        )),
        other => Err(bad(format!(
            "the key algorithm {other} is not supported; use ECDSA P-256/P-384 or RSA"
        ))),
    }
}

fn rsa_rejected(e: aws_lc_rs::error::KeyRejected, source_name: &str) -> Error {
    let reason = match e.to_string().as_str() {
        "TooSmall" => "the RSA key is smaller than 2048 bits, which no CA accepts \
                       (BR 6.1.5); make a new key"
            .to_owned(),
        "TooLarge" => "the RSA key is larger than 8192 bits".to_owned(),
        other => format!("not a usable RSA private key ({other})"),
    };
    Error::KeyParse {
        source_name: source_name.to_owned(),
        reason,
    }
}

fn rsa_to_pkcs8(
    key: &aws_lc_rs::rsa::KeyPair,
    source_name: &str,
) -> Result<(KeyAlgorithm, Zeroizing<Vec<u8>>), Error> {
    let bits = key.public_modulus_len() * 8;
    let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> =
        key.as_der().map_err(|_| Error::KeyParse {
            source_name: source_name.to_owned(),
            reason: "the RSA key could not be re-encoded as PKCS #8".into(),
        })?;
    Ok((
        KeyAlgorithm::Rsa { bits },
        Zeroizing::new(der.as_ref().to_vec()),
    ))
}

/// An EC key in PKCS #8 or SEC1 form, on P-256 or P-384.
fn ec_from_der(der: &[u8], source_name: &str) -> Result<(KeyAlgorithm, Zeroizing<Vec<u8>>), Error> {
    let curves: [(KeyAlgorithm, &'static EcdsaSigningAlgorithm); 2] = [
        (KeyAlgorithm::EcdsaP256, &ECDSA_P256_SHA256_ASN1_SIGNING),
        (KeyAlgorithm::EcdsaP384, &ECDSA_P384_SHA384_ASN1_SIGNING),
    ];
    for (algorithm, signing) in curves {
        if let Ok(key) = EcdsaKeyPair::from_private_key_der(signing, der) {
            let doc = key.to_pkcs8v1().map_err(|_| Error::KeyParse {
                source_name: source_name.to_owned(),
                reason: "the EC key could not be re-encoded as PKCS #8".into(),
            })?;
            return Ok((algorithm, Zeroizing::new(doc.as_ref().to_vec())));
        }
    }
    Err(Error::KeyParse {
        source_name: source_name.to_owned(),
        reason: "not a usable EC key on P-256 or P-384 (other curves are not \
                 accepted by the CA)"
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_no_key_material() {
        let key = generate_key(KeyType::P256).unwrap();
        assert_eq!(
            format!("{key:?}"),
            "PrivateKey { algorithm: EcdsaP256, key: \"[secret key elided]\" }"
        );
    }

    #[test]
    fn round_trips_every_ec_format() {
        for key_type in [KeyType::P256, KeyType::P384] {
            let key = generate_key(key_type).unwrap();
            let pem = key.to_pkcs8_pem();
            let again = load_key(pem.as_bytes(), "test", None).unwrap();
            assert_eq!(again.spki_sha256(), key.spki_sha256());
            assert_eq!(again.algorithm(), key_type.algorithm());
            // DER PKCS #8
            let der = ::pem::parse(pem.as_bytes()).unwrap().into_contents();
            assert_eq!(
                load_key(&der, "t", None).unwrap().spki_sha256(),
                key.spki_sha256()
            );
        }
    }

    #[test]
    fn encrypted_round_trip_and_wrong_passphrase() {
        let key = generate_key(KeyType::P256).unwrap();
        let pem = key.to_encrypted_pkcs8_pem(b"correct horse").unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        let again = load_key(pem.as_bytes(), "k.pem", Some(b"correct horse")).unwrap();
        assert_eq!(again.spki_sha256(), key.spki_sha256());
        assert!(matches!(
            load_key(pem.as_bytes(), "k.pem", Some(b"wrong")),
            Err(Error::WrongPassphrase { .. })
        ));
        assert!(matches!(
            load_key(pem.as_bytes(), "k.pem", None),
            Err(Error::PassphraseRequired { .. })
        ));
    }

    #[test]
    fn names_what_it_was_given() {
        let csr = b"-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";
        let err = load_key(csr, "req.csr", None).unwrap_err().to_string();
        assert!(err.contains("req.csr") && err.contains("CSR"), "{err}");
        let err = load_key(b"\x00\x01garbage", "junk.bin", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("junk.bin"), "{err}");
    }

    proptest::proptest! {
        #[test]
        fn load_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = load_key(&bytes, "fuzz", Some(b"x"));
        }
    }
}
