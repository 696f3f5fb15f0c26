//! The facts `csrkit inspect` prints about a request.

use serde::Serialize;
use sha2::Digest as _;

use crate::csr::{Csr, Key, SanKind, curve_name, ip_text};
use crate::error::Error;
use crate::input::{self, Kind};
use crate::keys::SigCheck;

/// What a request holds, as `csrkit inspect` shows it (the JSON document's
/// fields, under `"schema": "csrkit.inspect/1"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Inspection {
    /// The subject as a distinguished name string (`CN=example.com`).
    pub subject: String,
    /// The first commonName, if any.
    pub common_name: Option<String>,
    /// The subjectAltName entries.
    pub sans: Vec<SanFacts>,
    /// The public key.
    pub key: KeyFacts,
    /// The signature algorithm, such as `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// Whether the self-signature verifies with the declared algorithm and
    /// parameters; `None` when it could not be checked.
    pub signature_valid: Option<bool>,
    /// Why the signature is not valid or was not checked (the finding
    /// `validate` reports: V101, V108, V109, or the key's rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_problem: Option<String>,
    /// SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex (the key's
    /// fingerprint, as `csrkit generate` prints it).
    pub spki_sha256: String,
}

/// One subjectAltName entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SanFacts {
    /// `dns`, `ip`, `email`, `uri` or `other`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The value as it stands in the request (A-labels for names).
    pub value: String,
    /// For DNS names with A-labels, the Unicode form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unicode: Option<String>,
}

/// The public key's type and size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyFacts {
    /// `rsa`, `ecdsa`, `ed25519`, `ed448`, `dsa` or `unknown`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// RSA modulus size in bits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bits: Option<usize>,
    /// ECDSA curve (`P-256`, `P-384`...), or its OID when unnamed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
}

/// The facts of every request in `bytes` (PEM or DER). Fails, naming what
/// the input is instead, when it holds no readable request.
pub fn inspect(bytes: &[u8]) -> Result<Vec<Inspection>, Error> {
    let ders: Vec<std::borrow::Cow<'_, [u8]>> = if input::is_pem(bytes) {
        input::pem_items(bytes)
            .into_iter()
            .filter(|i| i.kind == Kind::Request)
            .filter_map(|i| i.der.ok())
            .collect()
    } else {
        vec![std::borrow::Cow::Borrowed(bytes)]
    };
    let mut out = Vec::new();
    for der in &ders {
        if let Ok(csr) = Csr::parse(der) {
            out.push(facts(&csr));
        }
    }
    if out.is_empty() {
        let report = crate::validate(bytes, &crate::Policy::default());
        let reason = report
            .findings
            .first()
            .map(|f| f.message.clone())
            .unwrap_or_else(|| "no certificate request was found".to_owned());
        return Err(Error::NotARequest { reason });
    }
    Ok(out)
}

fn facts(csr: &Csr<'_>) -> Inspection {
    let info = &csr.req.certification_request_info;
    let sans = csr
        .sans
        .iter()
        .map(|s| {
            let (kind, value) = match s.kind {
                SanKind::Dns => ("dns", s.text.unwrap_or_default().to_owned()),
                SanKind::Ip => ("ip", ip_text(s.bytes)),
                SanKind::Email => ("email", s.text.unwrap_or_default().to_owned()),
                SanKind::Uri => ("uri", s.text.unwrap_or_default().to_owned()),
                _ => ("other", s.display()),
            };
            let unicode = (kind == "dns" && value.split('.').any(|l| l.starts_with("xn--")))
                .then(|| csrkit_names::to_unicode(&value));
            SanFacts {
                kind,
                value,
                unicode,
            }
        })
        .collect();
    let key = match &csr.key {
        Key::Rsa { bits, .. } => KeyFacts {
            kind: "rsa",
            bits: Some(*bits),
            curve: None,
        },
        Key::Ec { curve, .. } => KeyFacts {
            kind: "ecdsa",
            bits: None,
            curve: Some(match curve {
                Some(c) => curve_name(c).map_or_else(|| c.clone(), str::to_owned),
                None => "explicit parameters".to_owned(),
            }),
        },
        Key::Ed25519 => KeyFacts {
            kind: "ed25519",
            bits: None,
            curve: None,
        },
        Key::Ed448 => KeyFacts {
            kind: "ed448",
            bits: None,
            curve: None,
        },
        Key::Dsa => KeyFacts {
            kind: "dsa",
            bits: None,
            curve: None,
        },
        Key::Other { .. } => KeyFacts {
            kind: "unknown",
            bits: None,
            curve: None,
        },
    };
    let (signature_valid, signature_problem) = match csr.signature() {
        SigCheck::Valid => (Some(true), None),
        SigCheck::Invalid(why) => (Some(false), Some(format!("V101: {why}"))),
        SigCheck::Mismatch(why) => (Some(false), Some(format!("V109: {why}"))),
        SigCheck::Unverifiable(why) => (None, Some(format!("V108: {why}"))),
        SigCheck::KeyRefused => (
            None,
            Some(
                "the public key is refused (V104, V308, V309 or V310: see csrkit validate)".into(),
            ),
        ),
    };
    Inspection {
        subject: info.subject.to_string(),
        common_name: csr.cn(),
        sans,
        key,
        signature_algorithm: csr.sig_alg.describe(),
        signature_valid,
        signature_problem,
        spki_sha256: hex::encode(sha2::Sha256::digest(info.subject_pki.raw)),
    }
}

impl Inspection {
    /// The `csrkit.inspect/1` JSON document for this request: the fields
    /// above plus `"schema"`; `key` is `{ "type", "bits" }` for RSA and
    /// `{ "type", "curve" }` for ECDSA; each SAN is `{ "type", "value" }`
    /// with `"unicode"` for names holding A-labels.
    pub fn to_json(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("schema".into(), serde_json::Value::from("csrkit.inspect/1"));
        }
        serde_json::to_string_pretty(&v).unwrap_or_default()
    }

    /// The human form `csrkit inspect` prints. Every value from the
    /// request passes through [`csrkit_names::display_safe`]: no control or
    /// bidi character reaches the terminal (the JSON form keeps them exact).
    pub fn to_human(&self) -> String {
        use csrkit_names::display_safe as safe;
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = writeln!(out, "subject:             {}", safe(&self.subject));
        if let Some(cn) = &self.common_name {
            let _ = writeln!(out, "common name:         {}", safe(cn));
        }
        for san in &self.sans {
            match &san.unicode {
                Some(u) => {
                    let _ = writeln!(
                        out,
                        "subjectAltName:      {}:{} ({})",
                        san.kind,
                        safe(&san.value),
                        safe(u)
                    );
                }
                None => {
                    let _ = writeln!(
                        out,
                        "subjectAltName:      {}:{}",
                        san.kind,
                        safe(&san.value)
                    );
                }
            }
        }
        let key = match (&self.key.bits, &self.key.curve) {
            (Some(bits), _) => format!("{} {bits} bits", self.key.kind),
            (None, Some(curve)) => format!("{} {curve}", self.key.kind),
            (None, None) => self.key.kind.to_owned(),
        };
        let _ = writeln!(out, "key:                 {key}");
        let _ = writeln!(out, "signature algorithm: {}", self.signature_algorithm);
        let valid = match (self.signature_valid, &self.signature_problem) {
            (Some(true), _) => "valid".to_owned(),
            (Some(false), Some(why)) => format!("INVALID ({})", safe(why)),
            (Some(false), None) => "INVALID".to_owned(),
            (None, Some(why)) => format!("NOT VERIFIED, an error ({})", safe(why)),
            (None, None) => "NOT VERIFIED, an error".to_owned(),
        };
        let _ = writeln!(out, "signature:           {valid}");
        let _ = writeln!(out, "spki sha256:         {}", self.spki_sha256);
        out
    }
}
