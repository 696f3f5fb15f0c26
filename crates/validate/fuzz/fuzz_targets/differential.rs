//! csrkit against OpenSSL on any bytes (issue 13 item 4): the comparison
//! of `tests/differential.rs`, with OpenSSL's verdict through the openssl
//! crate (the library `openssl req -verify` calls: `d2i` or
//! `PEM_read_bio_X509_REQ`, then `X509_REQ_verify` with the request's own
//! key).
//!
//! The rules: every input OpenSSL cannot load or verify gets at least one
//! csrkit error; no input OpenSSL verifies gets a parse or signature error,
//! unless `tests/differential-allowed.txt` lists the category. A
//! disagreement does not stop the run: it is written to
//! `artifacts/differential/disagreements/` (named by its hash) with the
//! reason beside it, and counted; the counts are printed every 50,000
//! inputs (libFuzzer prints its own at the end; the disagreements are the
//! files in that directory).
#![no_main]

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;

const PARSE_OR_SIGNATURE: &[&str] = &[
    "V100", "V101", "V105", "V106", "V107", "V108", "V109", "V110", "V406",
];

static ALLOWED: &str = include_str!("../../tests/differential-allowed.txt");
static RUNS: AtomicU64 = AtomicU64::new(0);
static VERIFIED: AtomicU64 = AtomicU64::new(0);
static DISAGREE: AtomicU64 = AtomicU64::new(0);

fn policy() -> &'static csrkit_validate::Policy {
    static POLICY: std::sync::OnceLock<csrkit_validate::Policy> = std::sync::OnceLock::new();
    POLICY.get_or_init(|| {
        let mut p = csrkit_validate::Policy::default();
        // slow, and about keys, not parsing or signatures
        p.allow("V312").expect("V312 exists");
        p
    })
}

fn allowed() -> &'static [(String, String)] {
    static LIST: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        ALLOWED
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|l| {
                let mut f = l.splitn(3, '\t');
                (
                    f.next().unwrap_or_default().trim().to_owned(),
                    f.next().unwrap_or_default().trim().to_owned(),
                )
            })
            .collect()
    })
}

/// OpenSSL's verdict: loaded and verified with the request's own key.
fn openssl_verifies(data: &[u8], pem: bool) -> bool {
    let req = if pem {
        openssl::x509::X509Req::from_pem(data)
    } else {
        openssl::x509::X509Req::from_der(data)
    };
    let Ok(req) = req else { return false };
    let Ok(key) = req.public_key() else { return false };
    matches!(req.verify(&key), Ok(true))
}

fn record(data: &[u8], why: &str) {
    DISAGREE.fetch_add(1, Ordering::Relaxed);
    let dir = std::path::Path::new("artifacts/differential/disagreements");
    let _ = std::fs::create_dir_all(dir);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    let name = dir.join(format!("{h:016x}"));
    if !name.exists() {
        let _ = std::fs::write(&name, data);
        let _ = std::fs::write(name.with_extension("why"), why);
    }
}

fn compare(data: &[u8], pem: bool) {
    let ossl = openssl_verifies(data, pem);
    if ossl {
        VERIFIED.fetch_add(1, Ordering::Relaxed);
    }
    let report = csrkit_validate::validate(data, policy());
    let errors: Vec<_> = report
        .all_findings()
        .filter(|f| f.severity == csrkit_validate::Severity::Error)
        .collect();
    if !ossl {
        if errors.is_empty() {
            record(data, "openssl refuses it; csrkit reports no error");
        }
        return;
    }
    for f in errors.iter().filter(|f| PARSE_OR_SIGNATURE.contains(&f.code)) {
        let ok = allowed()
            .iter()
            .any(|(code, needle)| code == f.code && f.message.contains(needle.as_str()));
        if !ok {
            record(
                data,
                &format!("openssl verifies it; csrkit says {}: {}", f.code, f.message),
            );
        }
    }
}

fn report() {
    let _ = writeln!(
        std::io::stderr(),
        "differential: {} inputs, {} verified by openssl, {} disagreements",
        RUNS.load(Ordering::Relaxed),
        VERIFIED.load(Ordering::Relaxed),
        DISAGREE.load(Ordering::Relaxed)
    );
}

fuzz_target!(|data: &[u8]| {
    let n = RUNS.fetch_add(1, Ordering::Relaxed);
    // csrkit reads PEM wherever a BEGIN line is; so must OpenSSL then.
    let is_pem = data.windows(11).any(|w| w == b"-----BEGIN ");
    compare(data, is_pem);
    // The same bytes armoured, through the PEM readers of both.
    let mut pem = b"-----BEGIN CERTIFICATE REQUEST-----\n".to_vec();
    pem.extend(base64_lines(data));
    pem.extend(b"-----END CERTIFICATE REQUEST-----\n");
    compare(&pem, true);
    if (n + 1) % 50_000 == 0 {
        report();
    }
});

/// Base64 in 64-column lines, without a dependency.
fn base64_lines(data: &[u8]) -> Vec<u8> {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(data.len() * 4 / 3 + 4);
    for (i, chunk) in data.chunks(3).enumerate() {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(A[(n >> 18) as usize & 63]);
        out.push(A[(n >> 12) as usize & 63]);
        out.push(if chunk.len() > 1 { A[(n >> 6) as usize & 63] } else { b'=' });
        out.push(if chunk.len() > 2 { A[n as usize & 63] } else { b'=' });
        if i % 16 == 15 {
            out.push(b'\n');
        }
    }
    out.push(b'\n');
    out
}
