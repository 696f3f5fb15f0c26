//! Regenerates the rule fixtures under `crates/validate/tests/fixtures/`:
//! `cargo run -p csrkit-validate --example fixtures`.
//!
//! Each rule directory `vNNN/` gets `pass-*.pem` and `fail-*.pem` files:
//! the `openssl req -text -noout` dump (or a note when OpenSSL cannot read
//! the request) followed by the PEM. Well-formed requests are built with a
//! small DER writer and signed by rcgen with the committed keys under
//! `tests/fixtures/keys/` (made once by `openssl genpkey`, because RSA key
//! generation in debug builds is slow); requests that need what rcgen cannot
//! sign (SHA-1, RSA-1024, secp256k1, Ed25519, P-521, RSA-PSS) are made by
//! `openssl req`. Requests with deliberately broken keys (ROCA-shaped,
//! close primes, points off the curve) carry a key nobody holds, so their
//! signatures do not verify; each fixture is only checked for its own rule.
//!
//! Needs the `openssl` command. ECDSA signatures are randomised, so
//! regenerating changes those files' bytes but not their meaning.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use num_bigint::BigUint;
use rcgen::{KeyPair, PublicKeyData, SigningKey};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

// ---------------------------------------------------------------- DER writer

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}
fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}
fn set(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x31, &parts.concat())
}
fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted
        .split('.')
        .map(|a| a.parse().expect("oid arc"))
        .collect();
    let mut body = vec![(arcs[0] * 40 + arcs[1]) as u8];
    for &arc in &arcs[2..] {
        let mut chunk = vec![(arc & 0x7f) as u8];
        let mut v = arc >> 7;
        while v > 0 {
            chunk.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        chunk.reverse();
        body.extend(chunk);
    }
    tlv(0x06, &body)
}
fn uint(bytes: &[u8]) -> Vec<u8> {
    let mut b: Vec<u8> = bytes.iter().copied().skip_while(|x| *x == 0).collect();
    if b.is_empty() || b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    tlv(0x02, &b)
}
fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}
fn bits(content: &[u8]) -> Vec<u8> {
    let mut b = vec![0];
    b.extend_from_slice(content);
    tlv(0x03, &b)
}
fn octets(content: &[u8]) -> Vec<u8> {
    tlv(0x04, content)
}
fn boolean(v: bool) -> Vec<u8> {
    vec![0x01, 0x01, if v { 0xff } else { 0 }]
}
const UTF8: u8 = 0x0c;
const PRINTABLE: u8 = 0x13;

// ------------------------------------------------------------ request spec

const CN: &str = "2.5.4.3";
const SAN: &str = "2.5.29.17";

/// A subject attribute: (OID, string tag, value).
type Attr = (&'static str, u8, String);

#[derive(Clone)]
enum KeyChoice {
    Rsa2048,
    P256,
    /// A SubjectPublicKeyInfo nobody holds the key of; signed with RSA-2048.
    Raw(Vec<u8>),
}

#[derive(Clone)]
struct Spec {
    version: u8,
    /// One RDN per inner vector.
    subject: Vec<Vec<Attr>>,
    /// GeneralName TLVs; `None` for no subjectAltName extension.
    sans: Option<Vec<Vec<u8>>>,
    san_critical: bool,
    /// Further Extension TLVs.
    exts: Vec<Vec<u8>>,
    /// Further Attribute TLVs.
    attrs: Vec<Vec<u8>>,
    key: KeyChoice,
    /// Encode the RSA signature AlgorithmIdentifier without NULL parameters.
    sig_params_absent: bool,
    corrupt_signature: bool,
    trailing: Vec<u8>,
    /// Replace the signature AlgorithmIdentifier and signature (forgeries).
    forged: Option<(Vec<u8>, Vec<u8>)>,
    /// Replace the encoded subject Name.
    raw_subject: Option<Vec<u8>>,
}

fn dns(name: &str) -> Vec<u8> {
    tlv(0x82, name.as_bytes())
}
fn ip(octets_: &[u8]) -> Vec<u8> {
    tlv(0x87, octets_)
}
fn email(addr: &str) -> Vec<u8> {
    tlv(0x81, addr.as_bytes())
}
fn cn(v: &str) -> Vec<Attr> {
    vec![(CN, UTF8, v.to_owned())]
}

fn base() -> Spec {
    Spec {
        version: 0,
        subject: vec![cn("example.com")],
        sans: Some(vec![dns("example.com"), dns("www.example.com")]),
        san_critical: false,
        exts: Vec::new(),
        attrs: Vec::new(),
        key: KeyChoice::Rsa2048,
        sig_params_absent: false,
        corrupt_signature: false,
        trailing: Vec::new(),
        forged: None,
        raw_subject: None,
    }
}

fn ext(id: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    let mut parts = vec![oid(id)];
    if critical {
        parts.push(boolean(true));
    }
    parts.push(octets(value));
    seq(&parts)
}

struct Keys {
    rsa: KeyPair,
    p256: KeyPair,
}

fn build(spec: &Spec, keys: &Keys) -> Res<Vec<u8>> {
    let subject = seq(&spec
        .subject
        .iter()
        .map(|rdn| {
            set(&rdn
                .iter()
                .map(|(o, tag, v)| seq(&[oid(o), tlv(*tag, v.as_bytes())]))
                .collect::<Vec<_>>())
        })
        .collect::<Vec<_>>());
    let (signer, rsa) = match &spec.key {
        KeyChoice::Rsa2048 | KeyChoice::Raw(_) => (&keys.rsa, true),
        KeyChoice::P256 => (&keys.p256, false),
    };
    let spki = match &spec.key {
        KeyChoice::Raw(spki) => spki.clone(),
        _ => signer.subject_public_key_info(),
    };
    let mut exts = Vec::new();
    if let Some(names) = &spec.sans {
        exts.push(ext(SAN, spec.san_critical, &seq(names)));
    }
    exts.extend(spec.exts.iter().cloned());
    let mut attrs = Vec::new();
    if !exts.is_empty() {
        attrs.push(seq(&[oid("1.2.840.113549.1.9.14"), set(&[seq(&exts)])]));
    }
    attrs.extend(spec.attrs.iter().cloned());
    let subject = spec.raw_subject.clone().unwrap_or(subject);
    let cri = seq(&[
        uint(&[spec.version]),
        subject,
        spki,
        tlv(0xa0, &attrs.concat()),
    ]);
    let mut sig = signer.sign(&cri)?;
    if spec.corrupt_signature {
        let mid = sig.len() / 2;
        sig[mid] ^= 0x01;
    }
    let alg = if rsa {
        if spec.sig_params_absent {
            seq(&[oid("1.2.840.113549.1.1.11")])
        } else {
            seq(&[oid("1.2.840.113549.1.1.11"), null()])
        }
    } else {
        seq(&[oid("1.2.840.10045.4.3.2")])
    };
    let (alg, sig) = spec.forged.clone().unwrap_or((alg, sig));
    let mut der = seq(&[cri, alg, bits(&sig)]);
    der.extend_from_slice(&spec.trailing);
    Ok(der)
}

// ------------------------------------------------------------ crafted keys

/// A deterministic stream of bytes (xorshift64*), so crafted keys are the
/// same on every run.
struct Stream(u64);
impl Stream {
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                self.0 ^= self.0 >> 12;
                self.0 ^= self.0 << 25;
                self.0 ^= self.0 >> 27;
                (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
            })
            .collect()
    }
    /// An odd number of exactly `bits` bits.
    fn odd(&mut self, bits: usize) -> BigUint {
        let mut b = self.bytes(bits.div_ceil(8));
        let extra = b.len() * 8 - bits;
        b[0] &= 0xff >> extra;
        b[0] |= 0x80 >> extra;
        let last = b.len() - 1;
        b[last] |= 1;
        BigUint::from_bytes_be(&b)
    }
}

fn rsa_spki(n: &BigUint, e: &BigUint) -> Vec<u8> {
    seq(&[
        seq(&[oid("1.2.840.113549.1.1.1"), null()]),
        bits(&seq(&[uint(&n.to_bytes_be()), uint(&e.to_bytes_be())])),
    ])
}

fn ec_spki(curve: &str, point: &[u8]) -> Vec<u8> {
    seq(&[seq(&[oid("1.2.840.10045.2.1"), oid(curve)]), bits(point)])
}

fn f4() -> BigUint {
    BigUint::from(65537u32)
}

/// A modulus with no factor below 752 (so only the rule under test fires).
fn clean_odd(s: &mut Stream, bits_: usize) -> BigUint {
    loop {
        let n = s.odd(bits_);
        if (3u32..752)
            .step_by(2)
            .all(|p| &n % p != BigUint::from(0u32))
        {
            return n;
        }
    }
}

// ------------------------------------------------------------ output

struct Out {
    dir: PathBuf,
    count: usize,
}

impl Out {
    fn write(&mut self, code: &str, file: &str, what: &str, pem: &str) -> Res<()> {
        let dir = self.dir.join(code.to_ascii_lowercase());
        std::fs::create_dir_all(&dir)?;
        let path = dir.join(format!("{file}.pem"));
        std::fs::write(&path, pem.as_bytes())?;
        let dump = Command::new("openssl")
            .args(["req", "-text", "-noout", "-in"])
            .arg(&path)
            .output()?;
        let mut text = format!("# {code} {file}: {what}\n");
        if dump.status.success() && pem.contains("REQUEST") {
            text.push_str(&String::from_utf8_lossy(&dump.stdout));
        } else if pem.contains("REQUEST") {
            let err = String::from_utf8_lossy(&dump.stderr);
            let first = err.lines().next().unwrap_or("");
            let _ = writeln!(
                text,
                "# openssl req -text cannot read this request: {first}"
            );
        }
        text.push_str(pem);
        std::fs::write(&path, text)?;
        self.count += 1;
        Ok(())
    }

    fn csr(&mut self, keys: &Keys, code: &str, file: &str, what: &str, spec: &Spec) -> Res<()> {
        let der = build(spec, keys)?;
        self.write(code, file, what, &pem("CERTIFICATE REQUEST", &der))
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        s.push('\n');
    }
    let _ = writeln!(s, "-----END {label}-----");
    s
}

fn openssl(args: &[&str]) -> Res<String> {
    let out = Command::new("openssl").args(args).output()?;
    if !out.status.success() {
        return Err(format!(
            "openssl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// Makes a key with `openssl genpkey` once; later runs reuse the file.
fn key_file(dir: &Path, name: &str, args: &[&str]) -> Res<PathBuf> {
    let path = dir.join(format!("{name}.pem"));
    if !path.exists() {
        let mut a = vec!["genpkey"];
        a.extend_from_slice(args);
        let pem = openssl(&a)?;
        std::fs::write(&path, pem)?;
    }
    Ok(path)
}

/// The DER SubjectPublicKeyInfo of a public key PEM (PKCS #1 `RSA PUBLIC
/// KEY` or SPKI `PUBLIC KEY`), converted by openssl.
fn spki_of(path: &Path) -> Res<Vec<u8>> {
    let p = path.to_str().ok_or("path")?;
    let pem_text = std::fs::read_to_string(path)?;
    let mut args = vec!["pkey", "-pubin", "-in", p, "-pubout"];
    if pem_text.contains("BEGIN RSA PUBLIC KEY") {
        args = vec!["rsa", "-RSAPublicKey_in", "-pubin", "-in", p, "-pubout"];
    }
    der_of(&openssl(&args)?)
}

/// The modulus of an RSA public key PEM, as openssl prints it.
fn modulus_of(path: &Path) -> Res<BigUint> {
    let spki = spki_of(path)?;
    let tmp = std::env::temp_dir().join(format!("csrkit-spki-{}.der", std::process::id()));
    std::fs::write(&tmp, spki)?;
    let out = openssl(&[
        "rsa",
        "-pubin",
        "-inform",
        "DER",
        "-in",
        tmp.to_str().ok_or("path")?,
        "-noout",
        "-modulus",
    ]);
    let _ = std::fs::remove_file(&tmp);
    let hex_digits = out?.trim().trim_start_matches("Modulus=").to_owned();
    BigUint::parse_bytes(hex_digits.as_bytes(), 16).ok_or_else(|| "modulus".into())
}

/// The DER inside the first PEM block of `text`.
fn der_of(text: &str) -> Res<Vec<u8>> {
    let body: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    Ok(base64::engine::general_purpose::STANDARD.decode(body)?)
}

/// The request with the last byte of its DER (inside the signature)
/// changed.
fn corrupt_last_byte(csr_pem: &str) -> Res<String> {
    let mut der = der_of(csr_pem)?;
    let last = der.last_mut().ok_or("empty request")?;
    *last ^= 0x01;
    Ok(pem("CERTIFICATE REQUEST", &der))
}

/// A CSR made by `openssl req` with the standard names.
fn openssl_csr(key: &Path, extra: &[&str]) -> Res<String> {
    let k = key.to_str().ok_or("key path")?;
    let mut args = vec![
        "req",
        "-new",
        "-key",
        k,
        "-subj",
        "/CN=example.com",
        "-addext",
        "subjectAltName=DNS:example.com,DNS:www.example.com",
    ];
    args.extend_from_slice(extra);
    openssl(&args)
}

/// A request of the attack folder (tests/fixtures/external/attack/, see its
/// README), unchanged.
fn attack(name: &str) -> Res<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/external/attack")
        .join(name);
    Ok(std::fs::read_to_string(path)?)
}

/// Splits one DER TLV off the front: (whole, rest).
fn split(der: &[u8]) -> Res<(&[u8], &[u8])> {
    let first = *der.get(1).ok_or("short")?;
    let (hdr, len) = if first < 0x80 {
        (2, usize::from(first))
    } else {
        let n = usize::from(first & 0x7f);
        let len = der
            .get(2..2 + n)
            .ok_or("short")?
            .iter()
            .fold(0usize, |v, &b| (v << 8) | usize::from(b));
        (2 + n, len)
    };
    if der.len() < hdr + len {
        return Err("short".into());
    }
    Ok(der.split_at(hdr + len))
}

/// The request with its signature AlgorithmIdentifier replaced (as
/// forge.py does: no private key involved).
fn replace_alg(csr_pem: &str, alg: &[u8]) -> Res<String> {
    let der = der_of(csr_pem)?;
    let hdr = if der[1] < 0x80 {
        2
    } else {
        2 + usize::from(der[1] & 0x7f)
    };
    let (cri, rest) = split(&der[hdr..])?;
    let (_, rest) = split(rest)?;
    let (sig, _) = split(rest)?;
    Ok(pem(
        "CERTIFICATE REQUEST",
        &seq(&[cri.to_vec(), alg.to_vec(), sig.to_vec()]),
    ))
}

fn main() -> Res<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let key_dir = root.join("keys");
    std::fs::create_dir_all(&key_dir)?;
    let rsa_path = key_file(
        &key_dir,
        "rsa2048",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    )?;
    let p256_path = key_file(
        &key_dir,
        "p256",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    )?;
    let rsa1024 = key_file(
        &key_dir,
        "rsa1024",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    )?;
    let k1 = key_file(
        &key_dir,
        "secp256k1",
        &[
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:secp256k1",
        ],
    )?;
    let ed = key_file(&key_dir, "ed25519", &["-algorithm", "ED25519"])?;
    let p521 = key_file(
        &key_dir,
        "p521",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    )?;
    let keys = Keys {
        rsa: KeyPair::from_pem_and_sign_algo(
            &std::fs::read_to_string(&rsa_path)?,
            &rcgen::PKCS_RSA_SHA256,
        )?,
        p256: KeyPair::from_pem_and_sign_algo(
            &std::fs::read_to_string(&p256_path)?,
            &rcgen::PKCS_ECDSA_P256_SHA256,
        )?,
    };
    // Clear old fixtures (not the keys).
    for entry in std::fs::read_dir(&root)? {
        let p = entry?.path();
        if p.is_dir()
            && p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('v'))
        {
            std::fs::remove_dir_all(&p)?;
        }
    }
    let mut o = Out {
        dir: root.clone(),
        count: 0,
    };
    let k = &keys;
    let b = base();
    let mut s = Stream(0x5eed_c5a7_2026_1127);

    // ---- 1xx
    o.write(
        "V100",
        "fail-text",
        "text that is not a request",
        "this file holds notes, not a certificate request\n",
    )?;
    o.write(
        "V100",
        "fail-truncated",
        "a PEM block cut short",
        "-----BEGIN CERTIFICATE REQUEST-----\nMIIBszCCAVkCAQAwFjEUMBIGA1UEAwwLZXhhbXBsZS5jb20w\n",
    )?;
    o.csr(k, "V100", "pass-rsa", "a well-formed request", &b)?;
    let blank = pem("CERTIFICATE REQUEST", &build(&b, k)?);
    let mut lines: Vec<&str> = blank.lines().collect();
    lines.insert(3, "");
    o.write(
        "V100",
        "fail-blank-line-in-body",
        "a blank line between base64 lines (found by the differential fuzzer: OpenSSL reads the lines before it as headers)",
        &(lines.join("\n") + "\n"),
    )?;
    o.csr(k, "V101", "pass-rsa", "signed by its own RSA key", &b)?;
    o.csr(
        k,
        "V101",
        "pass-p256",
        "signed by its own P-256 key",
        &Spec {
            key: KeyChoice::P256,
            ..b.clone()
        },
    )?;
    let pss = openssl_csr(&rsa_path, &["-sigopt", "rsa_padding_mode:pss", "-sha256"])?;
    o.write(
        "V101",
        "pass-rsa-pss-default-salt",
        "RSA-PSS with OpenSSL's default salt length",
        &pss,
    )?;
    let small = openssl_csr(&rsa1024, &["-sha256"])?;
    o.write(
        "V101",
        "pass-rsa1024",
        "a valid signature by a 1024-bit key (weak, but not forged)",
        &small,
    )?;
    o.csr(
        k,
        "V101",
        "fail-corrupt-signature",
        "one bit of the signature flipped",
        &Spec {
            corrupt_signature: true,
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V101",
        "fail-p256-corrupt-signature",
        "one bit of the ECDSA signature flipped",
        &Spec {
            key: KeyChoice::P256,
            corrupt_signature: true,
            ..b.clone()
        },
    )?;
    let p521_csr = openssl_csr(&p521, &["-sha512"])?;
    o.write(
        "V101",
        "pass-p521",
        "signed by its own P-521 key (verified through aws-lc-rs)",
        &p521_csr,
    )?;
    o.write(
        "V101",
        "fail-p521-corrupt-signature",
        "the last byte of the P-521 signature changed",
        &corrupt_last_byte(&p521_csr)?,
    )?;
    for (file, what, name) in [
        (
            "pass-attack-pss-salt32",
            "RSASSA-PSS declaring the salt length 32 it used",
            "pss.csr",
        ),
        (
            "pass-attack-p256-sha512",
            "P-256 with ecdsa-with-SHA512",
            "p256-sha512.csr",
        ),
        (
            "pass-attack-rsa9216",
            "RSA 9216 bits (verified on big integers)",
            "rsa9216.csr",
        ),
        (
            "fail-attack-pss-salt20",
            "attack M1: signed with salt 32, declaring 20",
            "pss-salt20.csr",
        ),
        (
            "fail-attack-p256-sha512-flipped",
            "attack H1: P-256, SHA-512, a bit flipped",
            "p256-sha512-flipped.csr",
        ),
        (
            "fail-attack-rsa9216-flipped",
            "attack H1: RSA 9216, a bit flipped",
            "rsa9216-flipped.csr",
        ),
    ] {
        o.write("V101", file, what, &attack(name)?)?;
    }
    let pss_mgf1 = openssl_csr(
        &rsa_path,
        &[
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_mgf1_md:sha1",
            "-sigopt",
            "rsa_pss_saltlen:20",
            "-sha256",
        ],
    )?;
    o.write(
        "V101",
        "pass-rsa-pss-mgf1-sha1",
        "RSASSA-PSS with SHA-256, MGF1-SHA-1 and salt 20, as declared",
        &pss_mgf1,
    )?;
    // The same request declaring MGF1-SHA-256 instead: the signature was
    // made with MGF1-SHA-1, so it must not verify.
    let sha256_id = seq(&[oid("2.16.840.1.101.3.4.2.1"), null()]);
    let pss_declared = seq(&[
        oid("1.2.840.113549.1.1.10"),
        seq(&[
            tlv(0xa0, &sha256_id),
            tlv(
                0xa1,
                &seq(&[oid("1.2.840.113549.1.1.8"), sha256_id.clone()]),
            ),
            tlv(0xa2, &uint(&[20])),
        ]),
    ]);
    o.write(
        "V101",
        "fail-rsa-pss-mgf1-declared-wrong",
        "RSASSA-PSS made with MGF1-SHA-1, declaring MGF1-SHA-256",
        &replace_alg(&pss_mgf1, &pss_declared)?,
    )?;
    o.csr(k, "V102", "pass-v1", "version 0", &b)?;
    o.csr(
        k,
        "V102",
        "fail-version-2",
        "version 1 (v2)",
        &Spec {
            version: 1,
            ..b.clone()
        },
    )?;
    o.csr(k, "V103", "pass-sha256", "sha256WithRSAEncryption", &b)?;
    o.write(
        "V103",
        "fail-sha1",
        "sha1WithRSAEncryption",
        &openssl_csr(&rsa_path, &["-sha1"])?,
    )?;
    o.csr(
        k,
        "V104",
        "pass-null-params",
        "RSA AlgorithmIdentifiers with NULL",
        &b,
    )?;
    o.csr(
        k,
        "V104",
        "fail-absent-params",
        "sha256WithRSAEncryption without its NULL parameters",
        &Spec {
            sig_params_absent: true,
            ..b.clone()
        },
    )?;
    let explicit = openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-param_enc",
        "explicit",
    ])?;
    let explicit_path = std::env::temp_dir().join("csrkit-fixtures-explicit.pem");
    std::fs::write(&explicit_path, explicit)?;
    o.write(
        "V104",
        "fail-explicit-curve",
        "an EC key with explicit curve parameters",
        &openssl_csr(&explicit_path, &["-sha256"])?,
    )?;
    let _ = std::fs::remove_file(&explicit_path);
    o.csr(k, "V105", "pass-csr", "a request", &b)?;
    let cert = openssl(&[
        "req",
        "-x509",
        "-key",
        rsa_path.to_str().ok_or("path")?,
        "-subj",
        "/CN=example.com",
        "-days",
        "1",
    ])?;
    o.write(
        "V105",
        "fail-certificate",
        "a self-signed certificate instead of a request",
        &cert,
    )?;
    o.csr(k, "V106", "pass-csr-alone", "a request without its key", &b)?;
    let with_key = format!(
        "{}{}",
        pem("CERTIFICATE REQUEST", &build(&b, k)?),
        std::fs::read_to_string(&p256_path)?
    );
    o.write(
        "V106",
        "fail-key-after-csr",
        "a request followed by a private key",
        &with_key,
    )?;
    let key_pem = std::fs::read_to_string(&rsa_path)?;
    o.write(
        "V106",
        "fail-key-under-csr-label",
        "a private key armoured as CERTIFICATE REQUEST",
        &key_pem.replace("PRIVATE KEY", "CERTIFICATE REQUEST"),
    )?;
    let bare: String = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(|l| format!("{l}\n"))
        .collect();
    o.write(
        "V106",
        "fail-bare-base64",
        "a PKCS #8 key as bare base64, no armour",
        &bare,
    )?;
    o.csr(k, "V107", "pass-exact", "no bytes after the request", &b)?;
    o.csr(
        k,
        "V107",
        "fail-trailing-bytes",
        "two zero bytes after the request",
        &Spec {
            trailing: vec![0, 0],
            ..b.clone()
        },
    )?;

    // ---- 108-110: what cannot be verified, forged, or is not DER
    let mut big = clean_odd(&mut s, 16400).to_bytes_be();
    big[0] |= 0x80;
    o.csr(k, "V108", "pass-rsa", "a verifiable RSA signature", &b)?;
    o.csr(
        k,
        "V108",
        "fail-rsa-16400",
        "a 16400-bit RSA key: over every verifier's limit",
        &Spec {
            key: KeyChoice::Raw(rsa_spki(&BigUint::from_bytes_be(&big), &f4())),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V108",
        "fail-unknown-algorithm",
        "a signature algorithm nobody knows (1.3.6.1.4.1.55555.9)",
        &Spec {
            forged: Some((seq(&[oid("1.3.6.1.4.1.55555.9")]), vec![1; 256])),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V109",
        "pass-rsa-with-rsa",
        "an RSA key signing with RSA",
        &b,
    )?;
    o.write(
        "V109",
        "fail-attack-forged-rsa",
        "attack H1: an RSA key with ecdsa-with-SHA256 and random bytes (forge.py ecdsa-junk)",
        &attack("forged-rsa.csr")?,
    )?;
    o.csr(
        k,
        "V109",
        "fail-rsa-empty-ecdsa",
        "an RSA key with ecdsa-with-SHA256 and an empty signature",
        &Spec {
            forged: Some((seq(&[oid("1.2.840.10045.4.3.2")]), Vec::new())),
            ..b.clone()
        },
    )?;
    o.csr(k, "V110", "pass-der", "DER throughout", &b)?;
    let cn_attr = |tag: u8, v: &[u8]| seq(&[set(&[seq(&[oid(CN), tlv(tag, v)])])]);
    let mut long_len = cn_attr(UTF8, b"example.com");
    // the outer Name SEQUENCE's length in the long form: 30 81 LL
    long_len.splice(1..2, [0x81, long_len[1]]);
    o.csr(
        k,
        "V110",
        "fail-long-form-length",
        "the subject's length in the long form (BER, not DER)",
        &Spec {
            raw_subject: Some(long_len),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V110",
        "fail-printable-star",
        "a PrintableString CN holding '*' (outside its character set)",
        &Spec {
            raw_subject: Some(cn_attr(PRINTABLE, b"*.example.com")),
            sans: Some(vec![dns("*.example.com")]),
            ..b.clone()
        },
    )?;
    o.write(
        "V110",
        "fail-algorithm-three-fields",
        "a signature AlgorithmIdentifier with a third field (found by the differential test: openssl refuses it, x509-parser ignored it)",
        &replace_alg(
            &pem("CERTIFICATE REQUEST", &build(&b, k)?),
            &seq(&[oid("1.2.840.113549.1.1.11"), null(), null()]),
        )?,
    )?;
    o.write(
        "V110",
        "fail-attack-cn-bad-utf8",
        "attack L4: a UTF8String CN holding the byte 0xff",
        &attack("cn-bad-utf8.csr")?,
    )?;
    o.write(
        "V110",
        "fail-attack-critical-false",
        "attack L5: critical FALSE spelt out",
        &attack("ext_critical_false_explicit.csr")?,
    )?;

    // ---- 2xx
    o.csr(k, "V201", "pass-san", "two dNSNames", &b)?;
    o.csr(
        k,
        "V201",
        "fail-no-names",
        "no subjectAltName extension and no CN",
        &Spec {
            sans: None,
            subject: vec![],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V201",
        "fail-email-only",
        "a subjectAltName holding only an rfc822Name",
        &Spec {
            sans: Some(vec![email("admin@example.com")]),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V202",
        "pass-dns-and-ip",
        "dNSName and iPAddress",
        &Spec {
            sans: Some(vec![dns("example.com"), ip(&[8, 8, 8, 8])]),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V202",
        "fail-email",
        "an rfc822Name",
        &Spec {
            sans: Some(vec![dns("example.com"), email("admin@example.com")]),
            ..b.clone()
        },
    )?;
    o.csr(k, "V203", "pass-one-cn", "one CN", &b)?;
    o.csr(
        k,
        "V203",
        "fail-two-cns",
        "two CNs",
        &Spec {
            subject: vec![cn("example.com"), cn("www.example.com")],
            ..b.clone()
        },
    )?;
    o.csr(k, "V204", "pass-cn-in-san", "CN among the SANs", &b)?;
    o.csr(
        k,
        "V204",
        "fail-cn-missing-from-san",
        "CN not among the SANs",
        &Spec {
            subject: vec![cn("shop.example.com")],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V204",
        "fail-cn-case",
        "CN differs from its SAN in case",
        &Spec {
            subject: vec![cn("Example.com")],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V204",
        "fail-cn-unicode",
        "CN is the Unicode form of an A-label SAN",
        &Spec {
            subject: vec![cn("bücher.example.com")],
            sans: Some(vec![dns("xn--bcher-kva.example.com")]),
            ..b.clone()
        },
    )?;
    o.write(
        "V204",
        "fail-attack-cn-bad-utf8",
        "attack L4: a CN that is not UTF-8 cannot equal a SAN",
        &attack("cn-bad-utf8.csr")?,
    )?;
    o.csr(
        k,
        "V204",
        "pass-no-san",
        "no subjectAltName at all: V227's, not V204's",
        &Spec {
            sans: None,
            ..b.clone()
        },
    )?;
    let long = format!("{}.example.com", "a".repeat(60));
    o.csr(k, "V205", "pass-short-cn", "a 11-character CN", &b)?;
    o.csr(
        k,
        "V205",
        "fail-cn-72",
        "a 72-character CN",
        &Spec {
            subject: vec![cn(&long)],
            sans: Some(vec![dns(&long)]),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V206",
        "pass-cn-and-c",
        "C and CN only",
        &Spec {
            subject: vec![vec![("2.5.4.6", PRINTABLE, "CN".into())], cn("example.com")],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V206",
        "fail-organization",
        "an O attribute",
        &Spec {
            subject: vec![
                cn("example.com"),
                vec![("2.5.4.10", UTF8, "Acme Ltd".into())],
            ],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V207",
        "pass-no-cn",
        "no CN (br-dv profile)",
        &Spec {
            subject: vec![],
            san_critical: true,
            ..b.clone()
        },
    )?;
    o.csr(k, "V207", "fail-cn", "a CN (br-dv profile)", &b)?;
    let name_rule = |o: &mut Out, code: &str, file: &str, what: &str, name: &str| -> Res<()> {
        o.csr(
            k,
            code,
            file,
            what,
            &Spec {
                sans: Some(vec![dns("example.com"), dns(name)]),
                ..b.clone()
            },
        )
    };
    name_rule(
        &mut o,
        "V208",
        "pass-ldh",
        "letters, digits, hyphens",
        "a-1.example.com",
    )?;
    name_rule(
        &mut o,
        "V208",
        "fail-leading-hyphen",
        "a label starting with '-'",
        "-shop.example.com",
    )?;
    name_rule(
        &mut o,
        "V208",
        "fail-empty-label",
        "two dots in a row",
        "shop..example.com",
    )?;
    name_rule(
        &mut o,
        "V209",
        "pass-label-63",
        "a 63-octet label",
        &format!("{}.example.com", "a".repeat(63)),
    )?;
    name_rule(
        &mut o,
        "V209",
        "fail-label-64",
        "a 64-octet label",
        &format!("{}.example.com", "a".repeat(64)),
    )?;
    let l63 = "a".repeat(63);
    name_rule(
        &mut o,
        "V210",
        "pass-253",
        "a 253-octet name",
        &format!("{l63}.{l63}.{l63}.{}.com", "b".repeat(57)),
    )?;
    name_rule(
        &mut o,
        "V210",
        "fail-254",
        "a 254-octet name",
        &format!("{l63}.{l63}.{l63}.{}.com", "b".repeat(58)),
    )?;
    name_rule(
        &mut o,
        "V211",
        "pass-hyphen",
        "a hyphen",
        "my-host.example.com",
    )?;
    name_rule(
        &mut o,
        "V211",
        "fail-underscore",
        "an underscore",
        "my_host.example.com",
    )?;
    name_rule(
        &mut o,
        "V212",
        "pass-no-dot",
        "no trailing dot",
        "www.example.com",
    )?;
    name_rule(
        &mut o,
        "V212",
        "fail-trailing-dot",
        "a trailing dot",
        "www.example.com.",
    )?;
    name_rule(
        &mut o,
        "V213",
        "pass-leftmost",
        "a leftmost wildcard",
        "*.example.com",
    )?;
    name_rule(
        &mut o,
        "V213",
        "fail-inner-wildcard",
        "a wildcard in the middle",
        "www.*.example.com",
    )?;
    name_rule(
        &mut o,
        "V213",
        "fail-partial-wildcard",
        "a partial-label wildcard",
        "w*.example.com",
    )?;
    name_rule(
        &mut o,
        "V214",
        "pass-registered",
        "a wildcard over a registered domain",
        "*.example.co.uk",
    )?;
    name_rule(
        &mut o,
        "V214",
        "fail-co-uk",
        "a wildcard over co.uk",
        "*.co.uk",
    )?;
    name_rule(
        &mut o,
        "V214",
        "fail-psl-wildcard-rule",
        "*.kawasaki.jp: the PSL makes every name under kawasaki.jp a suffix",
        "*.kawasaki.jp",
    )?;
    name_rule(
        &mut o,
        "V215",
        "fail-idna2008-disallowed",
        "xn--53h (U+2615, valid in UTS #46, DISALLOWED in IDNA2008)",
        "xn--53h.example.com",
    )?;
    name_rule(
        &mut o,
        "V215",
        "pass-a-label",
        "a valid A-label (bücher)",
        "xn--bcher-kva.example.com",
    )?;
    name_rule(
        &mut o,
        "V215",
        "fail-reserved",
        "a reserved 'ab--' label",
        "ab--cd.example.com",
    )?;
    name_rule(
        &mut o,
        "V215",
        "fail-bad-punycode",
        "an xn-- label that does not decode",
        "xn--zz-.example.com",
    )?;
    name_rule(
        &mut o,
        "V216",
        "pass-public",
        "a name under .com",
        "shop.example.com",
    )?;
    name_rule(
        &mut o,
        "V216",
        "fail-local",
        "a .local name",
        "printer.local",
    )?;
    name_rule(
        &mut o,
        "V216",
        "fail-single-label",
        "a single label",
        "intranet",
    )?;
    name_rule(
        &mut o,
        "V217",
        "pass-v3",
        "a Tor v3 address",
        "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
    )?;
    name_rule(
        &mut o,
        "V217",
        "fail-v2",
        "a 16-character (v2) onion address",
        "expyuzz4wqqyqhjn.onion",
    )?;
    name_rule(
        &mut o,
        "V218",
        "pass-forward",
        "a forward name",
        "mail.example.com",
    )?;
    name_rule(
        &mut o,
        "V218",
        "fail-in-addr",
        "a reverse-zone name",
        "1.0.0.10.in-addr.arpa",
    )?;
    o.csr(
        k,
        "V219",
        "pass-public-ip",
        "a public iPAddress",
        &Spec {
            sans: Some(vec![dns("example.com"), ip(&[8, 8, 8, 8])]),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V219",
        "fail-private-ip",
        "iPAddress 10.0.0.1",
        &Spec {
            sans: Some(vec![dns("example.com"), ip(&[10, 0, 0, 1])]),
            ..b.clone()
        },
    )?;
    for (file, what, octets_) in [
        (
            "fail-6to4-relay",
            "192.88.99.1 (6to4 relay anycast)",
            vec![192u8, 88, 99, 1],
        ),
        ("fail-as112", "192.175.48.1 (AS112)", vec![192, 175, 48, 1]),
        ("fail-6to4", "2002:a00:1::1 (6to4)", {
            let mut v = vec![0x20, 0x02, 0x0a, 0x00, 0, 1];
            v.resize(15, 0);
            v.push(1);
            v
        }),
        ("fail-ipv4-mapped", "::ffff:8.8.8.8 (IPv4-mapped)", {
            let mut v = vec![0u8; 10];
            v.extend([0xff, 0xff, 8, 8, 8, 8]);
            v
        }),
        ("fail-3fff", "3fff::1 (documentation, RFC 9637)", {
            let mut v = vec![0x3f, 0xff];
            v.resize(15, 0);
            v.push(1);
            v
        }),
    ] {
        o.csr(
            k,
            "V219",
            file,
            what,
            &Spec {
                sans: Some(vec![dns("example.com"), ip(&octets_)]),
                ..b.clone()
            },
        )?;
    }
    o.write(
        "V219",
        "fail-attack-as112-v6",
        "attack M2: 2620:4f:8000::1",
        &attack("ip.csr")?,
    )?;
    o.csr(
        k,
        "V219",
        "pass-ip-cn-matching-san",
        "CN 8.8.8.8 equal to its iPAddress SAN (BR 7.1.2.7.2 allows it)",
        &Spec {
            subject: vec![cn("8.8.8.8")],
            sans: Some(vec![ip(&[8, 8, 8, 8])]),
            ..b.clone()
        },
    )?;
    name_rule(
        &mut o,
        "V219",
        "fail-ip-as-dns",
        "an IP address written as dNSName",
        "192.0.2.7",
    )?;
    o.csr(k, "V220", "pass-distinct", "distinct names", &b)?;
    name_rule(
        &mut o,
        "V220",
        "fail-duplicate",
        "example.com twice",
        "example.com",
    )?;
    o.csr(
        k,
        "V220",
        "fail-covered",
        "www.example.com beside *.example.com",
        &Spec {
            sans: Some(vec![
                dns("example.com"),
                dns("*.example.com"),
                dns("www.example.com"),
            ]),
            ..b.clone()
        },
    )?;
    o.csr(k, "V221", "pass-ia5", "plain names", &b)?;
    name_rule(
        &mut o,
        "V221",
        "fail-space",
        "a space in a dNSName",
        "www example.com",
    )?;
    name_rule(
        &mut o,
        "V221",
        "fail-leading-period",
        "a leading period",
        ".example.com",
    )?;
    o.csr(
        k,
        "V222",
        "pass-critical",
        "empty subject, critical SAN",
        &Spec {
            subject: vec![],
            san_critical: true,
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V222",
        "fail-not-critical",
        "empty subject, non-critical SAN",
        &Spec {
            subject: vec![],
            san_critical: false,
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V223",
        "pass-not-critical",
        "subject and non-critical SAN",
        &b,
    )?;
    o.csr(
        k,
        "V223",
        "fail-critical",
        "subject and critical SAN",
        &Spec {
            san_critical: true,
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V224",
        "pass-printable-country",
        "C as PrintableString",
        &Spec {
            subject: vec![vec![("2.5.4.6", PRINTABLE, "CN".into())], cn("example.com")],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V224",
        "fail-utf8-country",
        "C as UTF8String",
        &Spec {
            subject: vec![vec![("2.5.4.6", UTF8, "CN".into())], cn("example.com")],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V224",
        "fail-multi-valued-rdn",
        "C and CN in one RDN",
        &Spec {
            subject: vec![vec![
                ("2.5.4.6", PRINTABLE, "CN".into()),
                (CN, UTF8, "example.com".into()),
            ]],
            ..b.clone()
        },
    )?;
    name_rule(
        &mut o,
        "V225",
        "pass-lower",
        "lower case",
        "www.example.com",
    )?;
    name_rule(
        &mut o,
        "V225",
        "fail-upper",
        "upper case",
        "WWW.Example.com",
    )?;
    o.csr(k, "V226", "pass-plain-subject", "a plain subject", &b)?;
    o.csr(
        k,
        "V226",
        "fail-san-in-ou",
        "subjectAltName text in OU",
        &Spec {
            subject: vec![
                cn("example.com"),
                vec![(
                    "2.5.4.11",
                    UTF8,
                    "subjectAltName=DNS:www.example.com".into(),
                )],
            ],
            ..b.clone()
        },
    )?;

    o.csr(k, "V227", "pass-san", "a subjectAltName", &b)?;
    o.csr(
        k,
        "V227",
        "fail-cn-only",
        "a CN and no subjectAltName extension",
        &Spec {
            sans: None,
            ..b.clone()
        },
    )?;
    let with_c = |c: &str| Spec {
        subject: vec![vec![("2.5.4.6", PRINTABLE, c.into())], cn("example.com")],
        ..b.clone()
    };
    o.csr(k, "V228", "pass-cn", "C=CN", &with_c("CN"))?;
    o.csr(
        k,
        "V228",
        "fail-xx",
        "C=XX (user-assigned, not a country)",
        &with_c("XX"),
    )?;
    o.csr(k, "V228", "fail-lower", "C=cn", &with_c("cn"))?;
    o.write(
        "V228",
        "fail-attack-chn",
        "attack L4: C=CHN",
        &attack("c_3letters.csr")?,
    )?;
    o.csr(
        k,
        "V229",
        "pass-registrable",
        "example.co.uk",
        &Spec {
            subject: vec![cn("example.co.uk")],
            sans: Some(vec![dns("example.co.uk")]),
            ..b.clone()
        },
    )?;
    o.write(
        "V229",
        "fail-attack-co-uk",
        "attack L3: co.uk itself",
        &attack("couk.csr")?,
    )?;
    name_rule(&mut o, "V229", "fail-com", "the TLD com as a name", "com")?;

    // ---- 3xx
    o.csr(k, "V301", "pass-rsa2048", "RSA 2048", &b)?;
    o.write("V301", "fail-rsa1024", "RSA 1024", &small)?;
    let n2052 = clean_odd(&mut s, 2052);
    o.csr(k, "V302", "pass-2048", "a 2048-bit modulus", &b)?;
    o.csr(
        k,
        "V302",
        "fail-2052-bits",
        "a 2052-bit modulus",
        &Spec {
            key: KeyChoice::Raw(rsa_spki(&n2052, &f4())),
            ..b.clone()
        },
    )?;
    let n = clean_odd(&mut s, 2048);
    o.csr(k, "V303", "pass-65537", "exponent 65537", &b)?;
    o.csr(
        k,
        "V303",
        "fail-even",
        "exponent 65536",
        &Spec {
            key: KeyChoice::Raw(rsa_spki(&n, &BigUint::from(65536u32))),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V303",
        "fail-one",
        "exponent 1",
        &Spec {
            key: KeyChoice::Raw(rsa_spki(&n, &BigUint::from(1u32))),
            ..b.clone()
        },
    )?;
    o.csr(k, "V304", "pass-65537", "exponent 65537", &b)?;
    o.csr(
        k,
        "V304",
        "fail-three",
        "exponent 3",
        &Spec {
            key: KeyChoice::Raw(rsa_spki(&n, &BigUint::from(3u32))),
            ..b.clone()
        },
    )?;
    o.csr(k, "V305", "pass-no-small-factor", "a real RSA modulus", &b)?;
    let n7 = &n - (&n % 7u32) + 7u32;
    let n7 = if n7.bit(0) { n7 } else { n7 + 7u32 };
    o.csr(
        k,
        "V305",
        "fail-factor-7",
        "a modulus divisible by 7",
        &Spec {
            key: KeyChoice::Raw(rsa_spki(&n7, &f4())),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V305",
        "fail-even-modulus",
        "an even modulus",
        &Spec {
            key: KeyChoice::Raw(rsa_spki(&(&n + 1u32), &f4())),
            ..b.clone()
        },
    )?;
    // ROCA: n ≡ 1 mod each fingerprint prime puts n in every subgroup.
    let m = [
        3u32, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
        97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
    ]
    .iter()
    .fold(BigUint::from(1u32), |acc, p| acc * p);
    let roca = (&n / &m) * &m + 1u32;
    o.csr(
        k,
        "V306",
        "pass-random-key",
        "a key from aws-lc / OpenSSL",
        &b,
    )?;
    o.csr(
        k,
        "V306",
        "fail-roca-structure",
        "a modulus with the ROCA fingerprint",
        &Spec {
            key: KeyChoice::Raw(rsa_spki(&roca, &f4())),
            ..b.clone()
        },
    )?;
    let x = clean_odd(&mut s, 1024);
    let close = &x * (&x + 2u32);
    o.csr(k, "V307", "pass-random-key", "a key from OpenSSL", &b)?;
    o.csr(
        k,
        "V307",
        "fail-close-factors",
        "n = x(x+2): Fermat factors it at once",
        &Spec {
            key: KeyChoice::Raw(rsa_spki(&close, &f4())),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V308",
        "pass-p256",
        "P-256",
        &Spec {
            key: KeyChoice::P256,
            ..b.clone()
        },
    )?;
    o.write(
        "V308",
        "fail-secp256k1",
        "secp256k1",
        &openssl_csr(&k1, &["-sha256"])?,
    )?;
    o.csr(
        k,
        "V309",
        "pass-p256",
        "a valid P-256 point",
        &Spec {
            key: KeyChoice::P256,
            ..b.clone()
        },
    )?;
    let mut off_curve = vec![4u8];
    off_curve.extend(s.bytes(64));
    o.csr(
        k,
        "V309",
        "fail-off-curve",
        "a P-256 point not on the curve",
        &Spec {
            key: KeyChoice::Raw(ec_spki("1.2.840.10045.3.1.7", &off_curve)),
            ..b.clone()
        },
    )?;
    o.write("V309", "pass-p521", "a valid P-521 point", &p521_csr)?;
    o.write(
        "V309",
        "fail-attack-pointflip",
        "attack H1: one bit of the P-256 point flipped",
        &attack("p256-offcurve.csr")?,
    )?;
    let mut off_p521 = vec![4u8];
    off_p521.extend(s.bytes(132));
    off_p521[1] &= 0x01;
    off_p521[67] &= 0x01;
    o.csr(
        k,
        "V309",
        "fail-p521-off-curve",
        "a P-521 point not on the curve",
        &Spec {
            key: KeyChoice::Raw(ec_spki("1.3.132.0.35", &off_p521)),
            ..b.clone()
        },
    )?;
    o.csr(k, "V310", "pass-rsa", "RSA", &b)?;
    o.write("V310", "fail-ed25519", "Ed25519", &openssl_csr(&ed, &[])?)?;
    o.csr(k, "V311", "pass-2048", "RSA 2048", &b)?;
    let big = clean_odd(&mut s, 4104);
    o.csr(
        k,
        "V311",
        "fail-4104",
        "a 4104-bit modulus",
        &Spec {
            key: KeyChoice::Raw(rsa_spki(&big, &f4())),
            ..b.clone()
        },
    )?;

    // ---- flawed generators (badkeys' checks): badkeys' own test keys,
    // under tests/fixtures/external/badkeys/, are the fail cases.
    let external = root.join("external");
    let bk =
        |name: &str| -> Res<Vec<u8>> { spki_of(&external.join(format!("badkeys/{name}.pem"))) };
    for code in ["V312", "V313", "V314", "V315", "V316", "V317"] {
        o.csr(k, code, "pass-random-key", "a key from OpenSSL", &b)?;
    }
    for (code, file, what) in [
        (
            "V312",
            "rsa-sharedprimes",
            "badkeys' key from crt.sh 5534506057, whose prime others share",
        ),
        ("V313", "rsa-small-d", "badkeys' key with d and e swapped"),
        (
            "V314",
            "rsapoly128",
            "badkeys' sparse-prime key, 128-bit chunks",
        ),
        (
            "V314",
            "rsapoly32",
            "badkeys' sparse-prime key, 32-bit chunks",
        ),
        ("V315", "rsa-pattern", "badkeys' key of mostly zero bytes"),
        (
            "V317",
            "rsa-vanity",
            "badkeys' vanity key from crt.sh 25222336527",
        ),
    ] {
        o.csr(
            k,
            code,
            &format!("fail-badkeys-{file}"),
            what,
            &Spec {
                key: KeyChoice::Raw(bk(file)?),
                ..b.clone()
            },
        )?;
    }
    // Moduli made for the purpose.
    let shared = {
        let n = modulus_of(&external.join("badkeys/rsa-sharedprimes.pem"))?;
        let raw = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("data/badkeys/primes2048.dat"),
        )?;
        let product = BigUint::from_bytes_le(raw.get(2..).ok_or("primes2048.dat")?);
        num_integer::Integer::gcd(&n, &(&product % &n))
    };
    let known_prime = &shared * clean_odd(&mut s, 1024);
    let mut run = clean_odd(&mut s, 2048).to_bytes_be();
    run[100..120].fill(0xff);
    // DER INTEGER bytes 00 n0 n1 n2 | n3..n6 | n7..n14: b = 0, c = 1
    let mut xz = clean_odd(&mut s, 2048).to_bytes_be();
    xz[3..15].copy_from_slice(&[0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    for (code, file, what, n) in [
        (
            "V312",
            "fail-new-modulus-known-prime",
            "a new modulus: a known shared prime times a random odd number",
            known_prime,
        ),
        (
            "V315",
            "fail-run-of-ff",
            "20 bytes of 0xff in the middle of a random modulus",
            BigUint::from_bytes_be(&run),
        ),
        (
            "V316",
            "fail-xz-header",
            "a modulus whose first 16 DER bytes give a*b + c = 1",
            BigUint::from_bytes_be(&xz),
        ),
    ] {
        o.csr(
            k,
            code,
            file,
            what,
            &Spec {
                key: KeyChoice::Raw(rsa_spki(&n, &f4())),
                ..b.clone()
            },
        )?;
    }
    // The blocklist V318's fixtures are checked against; its entries are
    // computed by openssl (the independent oracle for both formats).
    let debian = external.join("badkeys/rsa-debianweak.pem");
    let modulus_line = openssl(&[
        "rsa",
        "-RSAPublicKey_in",
        "-pubin",
        "-noout",
        "-modulus",
        "-in",
        debian.to_str().ok_or("path")?,
    ])?;
    let tmp = std::env::temp_dir().join(format!("csrkit-fixtures-{}", std::process::id()));
    std::fs::write(&tmp, &modulus_line)?;
    let sha1 = openssl(&["dgst", "-sha1", "-r", tmp.to_str().ok_or("path")?])?;
    let spki_der = tmp.with_extension("der");
    openssl(&[
        "pkey",
        "-in",
        p256_path.to_str().ok_or("path")?,
        "-pubout",
        "-outform",
        "DER",
        "-out",
        spki_der.to_str().ok_or("path")?,
    ])?;
    let sha256 = openssl(&["dgst", "-sha256", "-r", spki_der.to_str().ok_or("path")?])?;
    let _ = std::fs::remove_file(&tmp);
    let _ = std::fs::remove_file(&spki_der);
    let first = |digest: &str| {
        digest
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let list = format!(
        "# V318's fixture blocklist, written by examples/fixtures.rs with openssl.\n\
         # openssl-vulnkey format: the last 20 hex digits of\n\
         #   openssl rsa -noout -modulus | sha1sum\n\
         # here of badkeys' Debian weak key (CVE-2008-0166):\n\
         {}\n\
         # an entry that matches nothing\n\
         00005890bc78bcbee3ca\n\
         # SHA-256 of the DER SubjectPublicKeyInfo of tests/fixtures/keys/p256.pem\n\
         {}\n",
        &first(&sha1)[20..],
        first(&sha256),
    );
    std::fs::write(external.join("blocklist.txt"), list)?;
    o.csr(
        k,
        "V318",
        "pass-not-listed",
        "an RSA key not on the list",
        &b,
    )?;
    o.csr(
        k,
        "V318",
        "fail-debian-weak-key",
        "badkeys' Debian weak key, listed by its openssl-vulnkey fingerprint",
        &Spec {
            key: KeyChoice::Raw(bk("rsa-debianweak")?),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V318",
        "fail-listed-spki",
        "a P-256 key listed by the SHA-256 of its SubjectPublicKeyInfo",
        &Spec {
            key: KeyChoice::P256,
            ..b.clone()
        },
    )?;

    // ---- 4xx
    let unstructured = seq(&[
        oid("1.2.840.113549.1.9.2"),
        set(&[tlv(PRINTABLE, b"web01")]),
    ]);
    let challenge = seq(&[
        oid("1.2.840.113549.1.9.7"),
        set(&[tlv(PRINTABLE, b"secret")]),
    ]);
    o.csr(
        k,
        "V401",
        "pass-extension-request-only",
        "only extensionRequest",
        &b,
    )?;
    o.csr(
        k,
        "V401",
        "fail-unstructured-name",
        "an unstructuredName attribute",
        &Spec {
            attrs: vec![unstructured],
            ..b.clone()
        },
    )?;
    o.csr(k, "V402", "pass-no-password", "no challengePassword", &b)?;
    o.csr(
        k,
        "V402",
        "fail-challenge-password",
        "a challengePassword",
        &Spec {
            attrs: vec![challenge],
            ..b.clone()
        },
    )?;
    let bc_false = ext("2.5.29.19", false, &seq(&[]));
    let bc_true = ext("2.5.29.19", true, &seq(&[boolean(true)]));
    o.csr(
        k,
        "V403",
        "pass-unique",
        "each extension once",
        &Spec {
            exts: vec![bc_false.clone()],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V403",
        "fail-basic-constraints-twice",
        "basicConstraints twice",
        &Spec {
            exts: vec![bc_false.clone(), bc_false.clone()],
            ..b.clone()
        },
    )?;
    let unknown = |critical| ext("1.3.6.1.4.1.55555.1", critical, &null());
    o.csr(
        k,
        "V404",
        "pass-unknown-not-critical",
        "an unknown non-critical extension",
        &Spec {
            exts: vec![unknown(false)],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V404",
        "fail-unknown-critical",
        "an unknown critical extension",
        &Spec {
            exts: vec![unknown(true)],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V405",
        "pass-not-ca",
        "basicConstraints cA FALSE",
        &Spec {
            exts: vec![bc_false],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V405",
        "fail-ca-true",
        "basicConstraints cA TRUE",
        &Spec {
            exts: vec![bc_true],
            ..b.clone()
        },
    )?;
    let ku_cert_sign = ext("2.5.29.15", true, &tlv(0x03, &[0x01, 0x86]));
    o.csr(
        k,
        "V405",
        "fail-key-cert-sign",
        "keyUsage keyCertSign",
        &Spec {
            exts: vec![ku_cert_sign],
            ..b.clone()
        },
    )?;
    let ku_ok = ext("2.5.29.15", true, &tlv(0x03, &[0x05, 0xa0]));
    let ku_bad = ext("2.5.29.15", true, &null());
    o.csr(
        k,
        "V406",
        "pass-key-usage",
        "a well-formed keyUsage",
        &Spec {
            exts: vec![ku_ok],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V406",
        "fail-key-usage-null",
        "a keyUsage holding NULL",
        &Spec {
            exts: vec![ku_bad],
            ..b.clone()
        },
    )?;

    o.write(
        "V405",
        "fail-attack-name-constraints",
        "attack L5: nameConstraints requested",
        &attack("nameconstraints.csr")?,
    )?;
    o.write(
        "V406",
        "fail-attack-san-trailing-bytes",
        "attack L5: bytes after the GeneralNames in extnValue",
        &attack("san_trailing_bytes.csr")?,
    )?;
    o.csr(
        k,
        "V407",
        "pass-one-value",
        "one extensionRequest with one value",
        &b,
    )?;
    o.write(
        "V407",
        "fail-attack-two-values",
        "attack L5: an extensionRequest with two values",
        &attack("extreq_two_values.csr")?,
    )?;
    let eku = |oids: &[&str]| {
        ext(
            "2.5.29.37",
            false,
            &seq(&oids.iter().map(|o| oid(o)).collect::<Vec<_>>()),
        )
    };
    o.csr(
        k,
        "V408",
        "pass-server-client",
        "extKeyUsage serverAuth, clientAuth",
        &Spec {
            exts: vec![eku(&["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"])],
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V408",
        "fail-any-eku",
        "extKeyUsage anyExtendedKeyUsage",
        &Spec {
            exts: vec![eku(&["2.5.29.37.0"])],
            ..b.clone()
        },
    )?;
    o.write(
        "V408",
        "fail-attack-code-signing",
        "attack L5: extKeyUsage codeSigning",
        &attack("eku_codesign.csr")?,
    )?;

    // ---- 9xx
    o.csr(k, "V901", "pass-cn", "a CN", &b)?;
    o.csr(
        k,
        "V901",
        "fail-no-cn",
        "no subject at all",
        &Spec {
            subject: vec![],
            san_critical: true,
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V902",
        "pass-p256",
        "ECDSA P-256",
        &Spec {
            key: KeyChoice::P256,
            ..b.clone()
        },
    )?;
    o.write("V902", "fail-p521", "ECDSA P-521", &p521_csr)?;
    o.csr(k, "V903", "pass-plain-cn", "a plain CN", &b)?;
    o.csr(
        k,
        "V903",
        "fail-wildcard-cn",
        "a wildcard CN",
        &Spec {
            subject: vec![cn("*.example.com")],
            sans: Some(vec![dns("*.example.com"), dns("example.com")]),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V904",
        "pass-allowed",
        "names within example.com and www.example.com",
        &b,
    )?;
    name_rule(
        &mut o,
        "V904",
        "fail-other-name",
        "api.example.com is not allowed",
        "api.example.com",
    )?;
    o.csr(k, "V905", "pass-expected", "names www.example.com", &b)?;
    o.csr(
        k,
        "V905",
        "fail-missing",
        "does not name www.example.com",
        &Spec {
            sans: Some(vec![dns("example.com")]),
            ..b.clone()
        },
    )?;

    o.csr(k, "V906", "pass-names-only", "DNS names only", &b)?;
    o.write(
        "V906",
        "fail-attack-public-ip",
        "attack M3: iPAddress 8.8.8.8 under alibaba-dv",
        &attack("ip-public.csr")?,
    )?;
    // V907's fixtures are checked with --product-code digicert-free-1-free
    // (tests/common.rs).
    let one = Spec {
        sans: Some(vec![dns("example.com")]),
        ..b.clone()
    };
    o.csr(
        k,
        "V907",
        "pass-one-name",
        "one name on a single-domain product",
        &one,
    )?;
    o.csr(
        k,
        "V907",
        "fail-wildcard",
        "a wildcard on a single-domain product",
        &Spec {
            subject: vec![cn("*.example.com")],
            sans: Some(vec![dns("*.example.com")]),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V907",
        "fail-second-name",
        "example.com and shop.example.com: a name beyond the CN and its counterpart",
        &Spec {
            sans: Some(vec![dns("example.com"), dns("shop.example.com")]),
            ..b.clone()
        },
    )?;
    o.csr(
        k,
        "V907",
        "pass-www-pair",
        "example.com and www.example.com: the CN and its counterpart (V908 warns)",
        &b,
    )?;
    // V908's likewise.
    o.csr(
        k,
        "V908",
        "pass-one-name",
        "one name on a single-domain product",
        &one,
    )?;
    o.csr(
        k,
        "V908",
        "fail-www-pair",
        "example.com and www.example.com: the counterpart the reference is silent on",
        &b,
    )?;

    println!("wrote {} fixtures under {}", o.count, root.display());
    Ok(())
}
