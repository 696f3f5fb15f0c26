//! Benchmark: `csrkit generate` as a whole process beside the openssl pair
//! it replaces (`openssl genpkey` + `openssl req -new`), measured in the same
//! run, interleaved, plus the in-process cost of keygen + CSR through the
//! library.
//!
//! csrkit flushes every file it writes to disk (`fsync` of the files and of
//! the directory); openssl does not. So csrkit runs twice: writing to the
//! disk (what a user gets) and writing to tmpfs (`/dev/shm`, where a flush
//! costs nothing), which shows the cost of the work itself.
//!
//! Run: `cargo bench -p csrkit --bench generate` (add `-- --quick` for
//! fewer rounds). Prints a Markdown table for the README.

mod common;
use common::{median, ms, run};

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use csrkit_csr::{CsrRequest, KeyType, generate_key};

struct Case {
    key_type: KeyType,
    genpkey: &'static [&'static str],
    rounds: usize,
}

const CASES: &[Case] = &[
    Case {
        key_type: KeyType::P256,
        genpkey: &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        rounds: 60,
    },
    Case {
        key_type: KeyType::P384,
        genpkey: &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        rounds: 40,
    },
    Case {
        key_type: KeyType::Rsa2048,
        genpkey: &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        rounds: 40,
    },
    Case {
        key_type: KeyType::Rsa3072,
        genpkey: &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
        rounds: 15,
    },
    Case {
        key_type: KeyType::Rsa4096,
        genpkey: &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
        rounds: 10,
    },
];

fn csrkit_once(dir: &Path, key_type: KeyType) -> Duration {
    run(Command::new(env!("CARGO_BIN_EXE_csrkit"))
        .args(["generate", "-d", "example.com", "-d", "www.example.com"])
        .args(["--key-type", key_type.name(), "--force", "--out-dir"])
        .arg(dir))
}

fn openssl_once(dir: &Path, genpkey: &[&str]) -> Duration {
    let key = dir.join("openssl.key");
    let csr = dir.join("openssl.csr");
    run(Command::new("openssl")
        .arg("genpkey")
        .args(genpkey)
        .arg("-out")
        .arg(&key))
        + run(Command::new("openssl")
            .args(["req", "-new", "-sha256", "-key"])
            .arg(&key)
            .args(["-subj", "/CN=example.com"])
            .args([
                "-addext",
                "subjectAltName=DNS:example.com,DNS:www.example.com",
            ])
            .arg("-out")
            .arg(&csr))
}

fn library_once(key_type: KeyType) -> Duration {
    let start = Instant::now();
    let req = CsrRequest::new(["example.com", "www.example.com"]).expect("valid names");
    let key = generate_key(key_type).expect("keygen");
    let csr = req.sign(&key).expect("sign");
    std::hint::black_box(csr);
    start.elapsed()
}

fn main() {
    // cargo bench passes `--bench`; accept and ignore it.
    let quick = std::env::args().any(|a| a == "--quick");
    let openssl_version = Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "openssl not found".into());
    let tmp = tempfile::tempdir().expect("tempdir");
    println!("csrkit generate vs {openssl_version}: median wall time per key + CSR, ms\n");
    let shm = tempfile::tempdir_in("/dev/shm").ok();
    println!(
        "| key | openssl genpkey + req | csrkit generate, disk (fsync'd) | ratio | \
         csrkit generate, tmpfs | ratio | csr crate in-process | rounds |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for case in CASES {
        let rounds = if quick {
            case.rounds.div_ceil(5)
        } else {
            case.rounds
        };
        let dir = tmp.path().join(case.key_type.name());
        std::fs::create_dir_all(&dir).expect("mkdir");
        // One warm-up of each, not counted.
        csrkit_once(&dir, case.key_type);
        openssl_once(&dir, case.genpkey);
        let shm_dir = shm
            .as_ref()
            .map(|d| d.path().join(case.key_type.name()))
            .unwrap_or_else(|| dir.clone());
        let (mut ours, mut ours_shm, mut theirs, mut lib) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            theirs.push(openssl_once(&dir, case.genpkey));
            ours.push(csrkit_once(&dir, case.key_type));
            ours_shm.push(csrkit_once(&shm_dir, case.key_type));
            lib.push(library_once(case.key_type));
        }
        let b = median(&mut theirs);
        let a = median(&mut ours);
        let t = median(&mut ours_shm);
        let c = median(&mut lib);
        let ratio = |x: Duration| x.as_secs_f64() / b.as_secs_f64();
        println!(
            "| {} | {} | {} | {:.2} | {} | {:.2} | {} | {} |",
            case.key_type,
            ms(b),
            ms(a),
            ratio(a),
            ms(t),
            ratio(t),
            ms(c),
            rounds
        );
    }
}
