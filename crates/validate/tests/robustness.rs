//! Bad input never panics: garbage, truncated and over-long DER, an empty
//! file, non-UTF-8, deeply nested ASN.1 and a large input all give findings.

use csrkit_validate::{Policy, Severity, validate};
use proptest::prelude::*;

fn good_der() -> Vec<u8> {
    let pem = std::fs::read_to_string(crate::common::fixture_dir().join("v101/pass-rsa.pem"))
        .expect("fixture");
    let start = pem.find("-----BEGIN").expect("pem");
    let body: String = pem[start..]
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("base64")
}

fn fails_with_v100(bytes: &[u8]) {
    let report = validate(bytes, &Policy::default());
    assert!(report.requests.is_empty(), "{report:?}");
    assert!(report.has("V100"), "{report:?}");
    assert_eq!(report.worst_severity(), Some(Severity::Error));
}

#[test]
fn empty_input() {
    fails_with_v100(b"");
}

#[test]
fn non_utf8() {
    fails_with_v100(&[0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28]);
}

#[test]
fn every_truncation_of_a_good_request() {
    let der = good_der();
    for len in 0..der.len() {
        let report = validate(&der[..len], &Policy::default());
        assert!(report.requests.is_empty() || len == der.len());
    }
}

#[test]
fn over_long_lengths() {
    // SEQUENCE claiming 4 GiB, and one with a 9-byte length.
    fails_with_v100(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00]);
    fails_with_v100(&[0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0]);
}

#[test]
fn deeply_nested() {
    let mut der = vec![0x05, 0x00];
    for _ in 0..5000 {
        let len = der.len();
        let mut outer = vec![0x30, 0x84];
        outer.extend_from_slice(&(len as u32).to_be_bytes());
        outer.extend(der);
        der = outer;
    }
    let _ = validate(&der, &Policy::default());
    // Nested indefinite-length BER as well.
    let mut ber = [0x30u8, 0x80].repeat(20_000);
    ber.extend([0x00u8, 0x00].repeat(20_000));
    let _ = validate(&ber, &Policy::default());
}

#[test]
fn large_input() {
    // 8 MiB of PEM-looking text with one good request in the middle (the
    // CLI caps files at 1 MiB; the library must not care).
    let good =
        std::fs::read(crate::common::fixture_dir().join("v101/pass-rsa.pem")).expect("fixture");
    let filler = b"x".repeat(4 << 20);
    let mut input = filler.clone();
    input.extend(&good);
    input.extend(&filler);
    let report = validate(&input, &Policy::default());
    assert_eq!(report.requests.len(), 1);
    assert!(report.worst_severity().is_none(), "{report:?}");
}

#[test]
fn many_requests_in_one_file() {
    let good =
        std::fs::read(crate::common::fixture_dir().join("v101/pass-rsa.pem")).expect("fixture");
    let report = validate(&good.repeat(3), &Policy::default());
    assert_eq!(report.requests.len(), 3);
    assert_eq!(report.requests[2].index, 2);
}

#[test]
fn pem_with_broken_base64() {
    fails_with_v100(
        b"-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n",
    );
    fails_with_v100(b"-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n");
    fails_with_v100(b"-----BEGIN ");
}

#[test]
fn der_private_key_and_certificate_are_named() {
    let key =
        std::fs::read_to_string(crate::common::fixture_dir().join("keys/p256.pem")).expect("key");
    let report = validate(key.as_bytes(), &Policy::default());
    assert!(report.has("V106"));
    let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    use base64::Engine as _;
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("b64");
    assert!(validate(&der, &Policy::default()).has("V106"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = validate(&bytes, &Policy::default());
    }

    #[test]
    fn mutated_requests_never_panic(pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let mut der = good_der();
        let i = pos.index(der.len());
        der[i] = byte;
        let _ = validate(&der, &Policy::default());
        let c = cut.index(der.len());
        let _ = validate(&der[..c], &Policy::default());
        let _ = csrkit_validate::inspect(&der);
    }
}

/// DER TLV with a definite length of any size.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    if content.len() < 128 {
        out.push(content.len() as u8);
    } else {
        let len = content.len().to_be_bytes();
        let len: Vec<u8> = len.iter().copied().skip_while(|&b| b == 0).collect();
        out.push(0x80 | len.len() as u8);
        out.extend(len);
    }
    out.extend_from_slice(content);
    out
}

/// A request whose RSA key has an `n_bits`-bit sparse modulus and an
/// exponent almost as large (what would make Fermat, Wiener and the
/// pattern checks expensive), signed with garbage.
fn huge_key_request(n_bits: usize) -> Vec<u8> {
    let bytes = n_bits / 8;
    let mut n = vec![0u8; bytes + 1];
    n[1] = 0x80;
    n[bytes / 2] = 0x01;
    n[bytes] = 0x01;
    let mut e = vec![0u8; bytes];
    e[1] = 0x40;
    e[bytes - 1] = 0x03;
    let rsa_oid = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    let sig_oid = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
    ];
    let key = tlv(0x30, &[tlv(0x02, &n), tlv(0x02, &e)].concat());
    let spki = tlv(
        0x30,
        &[
            tlv(0x30, &[&rsa_oid[..], &[0x05, 0x00]].concat()),
            tlv(0x03, &[&[0u8][..], &key].concat()),
        ]
        .concat(),
    );
    let cri = tlv(
        0x30,
        &[tlv(0x02, &[0]), tlv(0x30, &[]), spki, tlv(0xa0, &[])].concat(),
    );
    tlv(
        0x30,
        &[
            cri,
            tlv(0x30, &[&sig_oid[..], &[0x05, 0x00]].concat()),
            tlv(0x03, &[&[0u8][..], &[0x11; 256]].concat()),
        ]
        .concat(),
    )
}

#[test]
fn huge_keys_are_reported_not_analysed_forever() {
    // Up to 8 Mbit of modulus (a 1 MiB file): the quadratic analyses stop
    // at 16384 bits, so this returns promptly even in a debug build.
    for bits in [16384 + 8, 1 << 20, 1 << 23] {
        let report = validate(&huge_key_request(bits), &Policy::default());
        assert_eq!(report.requests.len(), 1, "{bits}");
        assert!(report.has("V311"), "{bits}: {report:?}");
    }
}

/// Thousands of subject attributes and extensions, the largest counts a
/// 1 MiB request holds: every duplicate found once, none invented. (V224
/// and V403 compared each with every earlier one: 0.42 s for 20,000
/// attribute types, 0.05 s now, in the README's side-by-side run.)
#[test]
fn thousands_of_attributes_and_extensions() {
    // 5,000 attribute types of their own, then ten organizationalUnitNames
    let custom: Vec<Vec<u8>> = (0..5_000u32)
        .map(|i| {
            // 1.3.6.1.4.1.99999.i, the last arc in base 128
            let mut t = vec![0x2b, 6, 1, 4, 1, 0x86, 0x8d, 0x1f];
            if i >= 128 {
                t.push((i >> 7) as u8 | 0x80);
            }
            t.push((i & 0x7f) as u8);
            t
        })
        .collect();
    let mut subject: Vec<(&[u8], String)> = vec![(CN, "example.com".into())];
    subject.extend(custom.iter().map(|t| (t.as_slice(), "v".to_owned())));
    subject.extend((0..10).map(|i| (&[0x55u8, 4, 11][..], format!("unit {i}"))));
    let der = request_with(&subject, &[Ok("example.com".into())]);
    let report = validate(&der, &Policy::default());
    let repeated = report
        .all_findings()
        .filter(|f| f.code == "V224" && f.message.contains("appears more than once"))
        .count();
    assert_eq!(
        repeated, 9,
        "the first organizationalUnitName is not a repeat"
    );
    assert!(!report.has("V110"), "the hand-made DER is strict");

    use rcgen::{CertificateParams, CustomExtension, KeyPair};
    let mut params = CertificateParams::default();
    params.subject_alt_names = vec![rcgen::SanType::DnsName(
        "example.com".try_into().expect("name"),
    )];
    let ext =
        |i: u64| CustomExtension::from_oid_content(&[1, 3, 6, 1, 4, 1, 99_998, i], vec![5, 0]);
    params.custom_extensions = (0..5_000).chain(0..10).map(ext).collect();
    let key = KeyPair::generate().expect("P-256 key");
    let der = params
        .serialize_request(&key)
        .expect("rcgen")
        .der()
        .to_vec();
    let report = validate(&der, &Policy::default());
    let repeated = report
        .all_findings()
        .filter(|f| f.code == "V403" && f.message.contains("is requested more than once"))
        .count();
    assert_eq!(repeated, 10);
}

/// The DER of the commonName attribute type, 2.5.4.3.
const CN: &[u8] = &[0x55, 4, 3];

/// A signed request with these subject attributes (type's OID contents,
/// UTF8String text), one per RDN, and these SANs (dNSName strings, or
/// iPAddress octets), built by hand: rcgen keeps one attribute of a type.
fn request_with(subject: &[(&[u8], String)], sans: &[Result<String, Vec<u8>>]) -> Vec<u8> {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
    let seq = |parts: &[Vec<u8>]| tlv(0x30, &parts.concat());
    let oid = |der: &[u8]| tlv(0x06, der);
    let rdns: Vec<Vec<u8>> = subject
        .iter()
        .map(|(t, text)| tlv(0x31, &seq(&[oid(t), tlv(0x0c, text.as_bytes())])))
        .collect();
    let names: Vec<Vec<u8>> = sans
        .iter()
        .map(|s| match s {
            Ok(dns) => tlv(0x82, dns.as_bytes()),
            Err(ip) => tlv(0x87, ip),
        })
        .collect();
    let san_ext = seq(&[oid(&[0x55, 29, 17]), tlv(0x04, &seq(&names))]);
    let ext_req = seq(&[
        oid(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 1, 9, 14]),
        tlv(0x31, &seq(&[san_ext])),
    ]);
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).expect("key");
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).expect("key");
    let spki = seq(&[
        seq(&[
            oid(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 2, 1]),
            oid(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 3, 1, 7]),
        ]),
        tlv(0x03, &[&[0u8][..], key.public_key().as_ref()].concat()),
    ]);
    let info = seq(&[tlv(0x02, &[0]), seq(&rdns), spki, tlv(0xa0, &ext_req)]);
    let sig = key.sign(&rng, &info).expect("sign");
    seq(&[
        info,
        seq(&[oid(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 4, 3, 2])]),
        tlv(0x03, &[&[0u8][..], sig.as_ref()].concat()),
    ])
}

/// Thousands of CNs beside thousands of SANs, each kind of CN that V204
/// tells apart: in the SANs, in them but in another case, the Unicode form
/// of an A-label SAN, an IP address SAN, missing. (V204 compared every CN
/// with every SAN, converting each A-label to Unicode each time: 37.7 s
/// for 12,000 of each; 0.10 s now, in the README's side-by-side run. The
/// names every rule sees were deduplicated pairwise too.)
#[test]
fn thousands_of_cns_beside_thousands_of_sans() {
    let n = 2_500;
    let (mut cns, mut sans) = (Vec::new(), Vec::new());
    for i in 0..n {
        match i % 5 {
            0 => {
                cns.push(format!("c{i}.example.com"));
                sans.push(Ok(format!("c{i}.example.com")));
            }
            1 => {
                cns.push(format!("C{i}.Example.com"));
                sans.push(Ok(format!("c{i}.example.com")));
            }
            2 => {
                cns.push(format!("bücher{i}.example"));
                let name =
                    csrkit_names::DnsName::parse(&format!("bücher{i}.example")).expect("IDN");
                sans.push(Ok(name.as_str().to_owned()));
            }
            3 => {
                cns.push(format!("10.0.{}.{}", i / 250, i % 250));
                sans.push(Err(vec![10, 0, (i / 250) as u8, (i % 250) as u8]));
            }
            _ => cns.push(format!("missing{i}.example.com")),
        }
    }
    let subject: Vec<(&[u8], String)> = cns.into_iter().map(|c| (CN, c)).collect();
    let report = validate(&request_with(&subject, &sans), &Policy::default());
    assert!(!report.has("V101"), "the signature is good");
    let v204: Vec<String> = report
        .all_findings()
        .filter(|f| f.code == "V204")
        .map(|f| f.notes.join(" "))
        .collect();
    let with = |text: &str| v204.iter().filter(|n| n.contains(text)).count();
    assert_eq!(v204.len(), 3 * n / 5, "{:?}", &v204[..3]);
    assert_eq!(with("differs only in case"), n / 5);
    assert_eq!(with("is the Unicode form of \"xn--"), n / 5);
    assert_eq!(with("add DNS:missing"), n / 5);
}
