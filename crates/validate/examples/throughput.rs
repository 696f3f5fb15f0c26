//! Measures `validate` against the bare cost of parsing and verifying the
//! same requests with the same backend (x509-parser + aws-lc-rs), in one
//! process: `cargo run --release -p csrkit-validate --example throughput
//! [-- N]` (default 2000 requests, half RSA-2048, half P-256).

use std::time::Instant;

use rcgen::{CertificateParams, KeyPair};
use x509_parser::prelude::{FromDer, X509CertificationRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(2000), |a| a.parse())?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keys");
    let rsa = KeyPair::from_pem_and_sign_algo(
        &std::fs::read_to_string(dir.join("rsa2048.pem"))?,
        &rcgen::PKCS_RSA_SHA256,
    )?;
    let p256 = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut corpus = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("host{i}.example.com");
        let mut params = CertificateParams::new(vec![name.clone(), format!("www.{name}")])?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        let key = if i % 2 == 0 { &rsa } else { &p256 };
        corpus.push(params.serialize_request(key)?.der().to_vec());
    }
    let mut policy = csrkit_validate::Policy::default();
    // CSRKIT_ALLOW=V305,V307 turns rules off, to see what each costs.
    for rule in std::env::var("CSRKIT_ALLOW")
        .unwrap_or_default()
        .split(',')
        .filter(|r| !r.is_empty())
    {
        policy.allow(rule)?;
    }
    for round in 0..2 {
        let t = Instant::now();
        let mut ok = 0;
        for der in &corpus {
            let (_, req) = X509CertificationRequest::from_der(der)?;
            ok += usize::from(req.verify_signature().is_ok());
        }
        let bare = t.elapsed();
        let t = Instant::now();
        let mut clean = 0;
        for der in &corpus {
            let report = csrkit_validate::validate(der, &policy);
            clean += usize::from(report.worst_severity().is_none());
        }
        let full = t.elapsed();
        let rate = |d: std::time::Duration| n as f64 / d.as_secs_f64();
        println!(
            "round {round}: bare parse+verify {:.0}/s ({ok} ok), validate {:.0}/s ({clean} clean), ratio {:.2}",
            rate(bare),
            rate(full),
            rate(full) / rate(bare)
        );
    }
    Ok(())
}
