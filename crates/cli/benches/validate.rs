//! Benchmark: `csrkit validate` over a corpus of CSRs in one invocation,
//! beside (a) the bare cost of reading, parsing and verifying the same files
//! with the same backend (x509-parser + aws-lc-rs) in one process on one
//! core, and (b) a per-file `openssl req -verify` loop, in the same run:
//! three interleaved rounds of each, medians.
//!
//! The corpus (half RSA-2048, half P-256, two names each) is generated once
//! into `target/bench-corpus/`. Peak memory of the csrkit process is read
//! with `/usr/bin/time -f %M` when it is installed.
//!
//! Run: `cargo bench -p csrkit --bench validate` (options after `--`:
//! `--sizes 10000,40000` corpus sizes, `--openssl N` files in the openssl
//! loop, default 1000).

mod common;
use common::median;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use csrkit_csr::{CsrRequest, KeyType, generate_key, load_key};
use x509_parser::prelude::{FromDer, X509CertificationRequest};

fn corpus(n: usize) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/bench-corpus")
        .join(format!("validate-{n}"));
    let done = dir.join(".complete");
    if done.exists() {
        return dir;
    }
    std::fs::create_dir_all(&dir).expect("corpus dir");
    let rsa_pem = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rsa2048-pkcs1.pem"),
    )
    .expect("RSA fixture");
    let rsa = load_key(&rsa_pem, "rsa2048-pkcs1.pem", None).expect("RSA key");
    let p256 = generate_key(KeyType::P256).expect("P-256 key");
    for i in 0..n {
        let name = format!("host{i}.example.com");
        let www = format!("www.{name}");
        let req = CsrRequest::new([name.as_str(), www.as_str()]).expect("names");
        let key = if i % 2 == 0 { &rsa } else { &p256 };
        let csr = req.sign(key).expect("sign");
        std::fs::write(dir.join(format!("{i:06}.csr")), csr.pem()).expect("write CSR");
    }
    std::fs::write(&done, b"").expect("marker");
    dir
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read corpus")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "csr"))
        .collect();
    v.sort();
    v
}

/// (a): read, PEM-decode, parse and verify every file, one core.
fn bare(files: &[PathBuf]) -> Duration {
    let start = Instant::now();
    let mut ok = 0usize;
    for f in files {
        let bytes = std::fs::read(f).expect("read");
        let pem = ::pem::parse(&bytes).expect("pem");
        let (_, csr) = X509CertificationRequest::from_der(pem.contents()).expect("parse");
        if csr.verify_signature().is_ok() {
            ok += 1;
        }
    }
    assert_eq!(ok, files.len(), "every corpus CSR verifies");
    start.elapsed()
}

/// csrkit validate DIR, whole process; returns wall time and peak RSS (KiB).
fn csrkit(dir: &Path, threads: Option<usize>, extra: &[&str]) -> (Duration, Option<u64>) {
    let bin = env!("CARGO_BIN_EXE_csrkit");
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.args(["-f", "%M", bin]);
        c
    } else {
        Command::new(bin)
    };
    cmd.args(["validate", "--format", "json"])
        .args(extra)
        .arg(dir);
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t.to_string());
    }
    let start = Instant::now();
    let out = cmd.output().expect("csrkit runs");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "csrkit validate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["summary"]["errors"], 0, "the corpus is clean");
    let rss = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok());
    (took, rss)
}

/// (b): `openssl req -verify` once per file.
fn openssl(files: &[PathBuf]) -> Duration {
    let start = Instant::now();
    for f in files {
        let out = Command::new("openssl")
            .args(["req", "-noout", "-verify", "-in"])
            .arg(f)
            .output()
            .expect("openssl runs");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains("verify OK"), "openssl: {said}");
    }
    start.elapsed()
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let sizes: Vec<usize> = opt("--sizes")
        .unwrap_or_else(|| "10000".into())
        .split(',')
        .map(|s| s.parse().expect("--sizes takes numbers"))
        .collect();
    let openssl_n: usize = opt("--openssl").map_or(1000, |s| s.parse().expect("a number"));

    println!(
        "| corpus | rules | (a) parse + verify, 1 core | csrkit validate, 1 core | ratio to (a) | \
         csrkit validate, 2 cores | (b) openssl req -verify per file | csrkit (2 cores) / openssl | \
         peak RSS (csrkit) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for n in sizes {
        let dir = corpus(n);
        let all = files(&dir);
        // Warm the page cache, then three rounds of each, interleaved. The
        // second variant leaves out V312 (known shared primes), whose
        // reduction of a 632-kbit product costs more than the rest.
        bare(&all);
        let variants: [(&str, &[&str]); 2] = [("all", &[]), ("all but V312", &["--allow", "V312"])];
        let mut a = Vec::new();
        let mut one = vec![Vec::new(); variants.len()];
        let mut two = vec![Vec::new(); variants.len()];
        let mut peak = vec![0; variants.len()];
        let sample = &all[..openssl_n.min(all.len())];
        let mut o = Vec::new();
        for _ in 0..3 {
            // The openssl loop in every round too, so that its rate is a
            // median taken beside csrkit's, not one sample.
            o.push(openssl(sample));
            a.push(bare(&all));
            for (v, (_, extra)) in variants.iter().enumerate() {
                let (t, rss) = csrkit(&dir, Some(1), extra);
                one[v].push(t);
                let (t, rss2) = csrkit(&dir, None, extra);
                two[v].push(t);
                peak[v] = peak[v].max(rss.unwrap_or(0)).max(rss2.unwrap_or(0));
            }
        }
        let o = median(&mut o);
        let a = median(&mut a);
        let o_rate = rate(sample.len(), o);
        for (v, (label, _)) in variants.iter().enumerate() {
            let (one, two) = (median(&mut one[v]), median(&mut two[v]));
            println!(
                "| {n} CSRs | {label} | {:.0}/s ({:.2} s) | {:.0}/s ({:.2} s) | {:.2} | {:.0}/s ({:.2} s) | \
                 {:.0}/s ({} files) | {:.0}× | {} |",
                rate(n, a),
                a.as_secs_f64(),
                rate(n, one),
                one.as_secs_f64(),
                rate(n, one) / rate(n, a),
                rate(n, two),
                two.as_secs_f64(),
                o_rate,
                sample.len(),
                rate(n, two) / o_rate,
                if peak[v] > 0 {
                    format!("{:.1} MiB", peak[v] as f64 / 1024.0)
                } else {
                    "n/a".into()
                }
            );
        }
    }
}
