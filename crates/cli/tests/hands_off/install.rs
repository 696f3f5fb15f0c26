//! The directory layout: generations switched with one rename, as a reader
//! sees it while `apply --new-order` replaces them; a flat directory of an
//! earlier version migrated on first use; and `apply --sandbox` showing the
//! whole hands-off loop.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};
use x509_parser::prelude::*;

use super::super::util::{SandboxProcess, csrkit};
use super::super::{
    CREATE, apply, check_issued, count, journal, json, order_id_of, stats, write_root,
};
use super::{published, run_expect};

/// SHA-256 of the SubjectPublicKeyInfo of the first certificate in `pem`.
pub(crate) fn cert_spki(pem: &[u8]) -> Result<String, String> {
    let block = ::pem::parse_many(pem)
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|b| b.tag() == "CERTIFICATE")
        .ok_or("no certificate")?;
    let (_, cert) = X509Certificate::from_der(block.contents()).map_err(|e| e.to_string())?;
    Ok(hex::encode(Sha256::digest(cert.public_key().raw)))
}

/// SHA-256 of the SubjectPublicKeyInfo of the key in `pem`.
pub(crate) fn key_spki(pem: &[u8]) -> Result<String, String> {
    csrkit_csr::load_key(pem, "key", None)
        .map(|k| k.spki_sha256())
        .map_err(|e| e.to_string())
}

/// What the readers saw.
#[derive(Default)]
pub(crate) struct Seen {
    pub(crate) reads: usize,
    pub(crate) generations: std::collections::BTreeSet<PathBuf>,
    pub(crate) problems: Vec<String>,
}

/// Reads the directory as a server would, until told to stop: resolving
/// `current` once and reading the key and certificate from there; reading
/// `combined.pem`; and reading `cert.pem` and `fullchain.pem`, which must
/// always be whole. (Also the reader of `renew`'s test.)
pub(crate) fn reader(dir: PathBuf, stop: Arc<AtomicBool>) -> Seen {
    let mut seen = Seen::default();
    while !stop.load(Ordering::Relaxed) {
        seen.reads += 1;
        match std::fs::read_link(dir.join("current")) {
            Ok(generation) => {
                let g = dir.join(&generation);
                let key = std::fs::read(g.join("privkey.pem"));
                let cert = std::fs::read(g.join("cert.pem"));
                match (key, cert) {
                    (Ok(k), Ok(c)) => match (key_spki(&k), cert_spki(&c)) {
                        (Ok(a), Ok(b)) if a == b => {}
                        (a, b) => seen
                            .problems
                            .push(format!("{}: key {a:?}, certificate {b:?}", g.display())),
                    },
                    (k, c) => seen.problems.push(format!(
                        "{}: key {:?}, certificate {:?}",
                        g.display(),
                        k.err(),
                        c.err()
                    )),
                }
                seen.generations.insert(generation);
            }
            Err(e) => seen.problems.push(format!("current: {e}")),
        }
        match std::fs::read(dir.join("combined.pem")) {
            Ok(both) => match (key_spki(&both), cert_spki(&both)) {
                (Ok(a), Ok(b)) if a == b => {}
                (a, b) => seen
                    .problems
                    .push(format!("combined.pem: key {a:?}, certificate {b:?}")),
            },
            Err(e) => seen.problems.push(format!("combined.pem: {e}")),
        }
        for name in ["cert.pem", "fullchain.pem"] {
            if let Err(e) = std::fs::read(dir.join(name))
                .map_err(|e| e.to_string())
                .and_then(|b| cert_spki(&b))
            {
                seen.problems.push(format!("{name}: {e}"));
            }
        }
    }
    seen
}

/// Runs `round` `rounds` times while two [`reader`]s read `dir`, then
/// checks what they saw: no problem, more reads than rounds, and more than
/// one generation (they read across a switch).
pub(crate) fn while_reading(dir: &Path, rounds: usize, mut round: impl FnMut()) {
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (d, s) = (dir.to_path_buf(), stop.clone());
            std::thread::spawn(move || reader(d, s))
        })
        .collect();
    for _ in 0..rounds {
        round();
    }
    stop.store(true, Ordering::Relaxed);
    let mut generations = std::collections::BTreeSet::new();
    for r in readers {
        let seen = r.join().unwrap();
        assert!(
            seen.problems.is_empty(),
            "{:#?}",
            &seen.problems[..seen.problems.len().min(10)]
        );
        assert!(seen.reads > rounds, "the reader read {} times", seen.reads);
        generations.extend(seen.generations);
    }
    assert!(
        generations.len() > 1,
        "the readers saw only {generations:?}: they did not read across a switch"
    );
}

/// Must show: a reader that resolves `current` once (and one reading
/// `combined.pem`) never sees a key and a certificate that do not belong
/// together, nor a missing or partial file, while `apply --new-order`
/// replaces the generation 20 times with a new key each time.
#[test]
fn readers_never_see_a_key_and_certificate_that_do_not_belong_together() {
    const ROUNDS: usize = 20;
    let sb = SandboxProcess::start(&["--quota", "digicert-free-1-free=50"]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(
        apply(&sb, tmp.path()).args(["-d", "gen.example.com", "--wait"]),
        0,
    );
    let dir = tmp.path().join("gen.example.com");
    let mut keys = std::collections::BTreeSet::new();
    while_reading(&dir, ROUNDS, || {
        run_expect(
            apply(&sb, tmp.path()).args([
                "--out-dir",
                "gen.example.com",
                "--new-order",
                "--key-type",
                "p256",
                "--wait",
            ]),
            0,
        );
        keys.insert(key_spki(&std::fs::read(dir.join("privkey.pem")).unwrap()).unwrap());
    });
    assert_eq!(keys.len(), ROUNDS, "each generation has its own key");
    assert_eq!(
        std::fs::read_link(dir.join("current")).unwrap(),
        Path::new("generations").join((ROUNDS + 1).to_string())
    );
    let j = journal(&dir);
    let orders: Vec<&str> = j["generations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(orders.len(), ROUNDS + 1, "{j}");
    assert_eq!(orders.last().copied(), Some(order_id_of(&dir).as_str()));
    assert!(j["generations"][0]["cert_id"].is_string(), "{j}");
    let st = stats(&sb);
    assert_eq!(count(&st, CREATE), (ROUNDS + 1) as u64, "{st}");
    assert_eq!(st["orders_created"], ROUNDS + 1, "{st}");
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["gen.example.com"]);
    for n in 1..=ROUNDS + 1 {
        let g = dir.join("generations").join(n.to_string());
        let meta = json(&std::fs::read_to_string(g.join("generation.json")).unwrap());
        assert_eq!(meta["order_id"], orders[n - 1], "{meta}");
        assert_eq!(
            key_spki(&std::fs::read(g.join("privkey.pem")).unwrap()),
            cert_spki(&std::fs::read(g.join("cert.pem")).unwrap()),
            "generation {n}"
        );
    }
}

/// Turns a directory of this version back into the flat layout of the
/// first generation of csrkit: the files at the top level, no `current`,
/// no generations in the journal.
fn flatten(dir: &Path) {
    for name in [
        "privkey.pem",
        "request.csr",
        "cert.pem",
        "chain.pem",
        "fullchain.pem",
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        std::fs::remove_file(dir.join(name)).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join("privkey.pem"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    std::fs::remove_file(dir.join("combined.pem")).unwrap();
    std::fs::remove_file(dir.join("current")).unwrap();
    std::fs::remove_dir_all(dir.join("generations")).unwrap();
    let mut j = journal(dir);
    let o = j.as_object_mut().unwrap();
    o.remove("generations");
    o.remove("current");
    std::fs::write(dir.join("order.json"), j.to_string()).unwrap();
}

/// A flat directory of an earlier csrkit (decided: migrated on first use)
/// is read by `status` as it is, and the first `apply` moves it into
/// generation 1 without changing a byte a reader sees; a new order then
/// installs generation 2.
#[test]
fn a_flat_directory_is_read_and_migrated_on_first_use() {
    let sb = SandboxProcess::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(
        apply(&sb, tmp.path()).args(["-d", "flat.example.com", "--wait"]),
        0,
    );
    let dir = tmp.path().join("flat.example.com");
    let id = order_id_of(&dir);
    flatten(&dir);
    let cert = std::fs::read(dir.join("cert.pem")).unwrap();
    let key = std::fs::read(dir.join("privkey.pem")).unwrap();
    let (stdout, _) = run_expect(
        sb.csrkit()
            .current_dir(tmp.path())
            .args(["status", "flat.example.com"]),
        0,
    );
    assert!(
        stdout.contains("certificate: flat.example.com/fullchain.pem"),
        "{stdout}"
    );
    assert!(!dir.join("current").exists());

    let (_, err) = run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "flat.example.com"]),
        0,
    );
    assert!(
        err.contains("now keeps its certificates in generations"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_link(dir.join("current")).unwrap(),
        Path::new("generations/1")
    );
    for name in ["cert.pem", "privkey.pem", "combined.pem"] {
        assert!(
            std::fs::symlink_metadata(dir.join(name))
                .unwrap()
                .file_type()
                .is_symlink(),
            "{name} is not a link"
        );
    }
    assert_eq!(std::fs::read(dir.join("cert.pem")).unwrap(), cert);
    assert_eq!(std::fs::read(dir.join("privkey.pem")).unwrap(), key);
    assert_eq!(journal(&dir)["generations"][0]["order_id"], id.as_str());
    assert_eq!(count(&stats(&sb), CREATE), 1);

    run_expect(
        apply(&sb, tmp.path()).args([
            "--out-dir",
            "flat.example.com",
            "--new-order",
            "--key-type",
            "p384",
            "--wait",
        ]),
        0,
    );
    assert_eq!(
        std::fs::read_link(dir.join("current")).unwrap(),
        Path::new("generations/2")
    );
    assert_eq!(
        std::fs::read(dir.join("generations/1/cert.pem")).unwrap(),
        cert
    );
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["flat.example.com"]);
}

/// Must show: `apply --sandbox` (the README's first command) shows the whole
/// hands-off loop offline: publish, propagate, verify, issue, clean up, and
/// leaves a verifiable certificate and no record in the sandbox's zone.
#[test]
fn apply_sandbox_shows_the_whole_hands_off_loop() {
    let tmp = tempfile::tempdir().unwrap();
    let out = csrkit()
        .current_dir(tmp.path())
        .args(["apply", "--sandbox", "--domain", "www.example.com"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let dir = tmp.path().join("www.example.com");
    let steps = [
        "published _dnsauth.www.example.com TXT",
        "propagated",
        "the CA validated the domain",
        "certificate (issued)",
        "installed as generation 1",
        "removed _dnsauth.www.example.com TXT",
    ];
    let mut at = 0;
    for step in steps {
        let found = stderr[at..]
            .find(step)
            .unwrap_or_else(|| panic!("{step:?} missing (or out of order) in:\n{stderr}"));
        at += found;
    }
    check_issued(&dir, &dir.join("sandbox-root.pem"), &["www.example.com"]);
    let j = journal(&dir);
    assert_eq!(published(&j)[0]["zone"], "example.com", "{j}");
    assert!(published(&j)[0]["removed_at"].is_string(), "{j}");
    let state = json(&std::fs::read_to_string(dir.join(".sandbox-state.json")).unwrap());
    let zone = &state["data"]["dns"]["zones"]["example.com"];
    assert_eq!(zone["records"], serde_json::json!([]), "{zone}");
    // The zone held the record while the order was validated (its serial
    // moved for the add and the delete).
    assert!(zone["serial"].as_u64().unwrap() >= 3, "{zone}");
}

/// The lint knows the product the order spends: a wildcard on the default
/// single-domain product stops before any request (exit 1, V907: no
/// directory, no sandbox started; at an endpoint, nothing sent), and the
/// same command with a wildcard product goes through.
#[test]
fn a_wildcard_needs_a_wildcard_product_before_any_request() {
    let tmp = tempfile::tempdir().unwrap();
    let out = csrkit()
        .current_dir(tmp.path())
        .args(["apply", "--sandbox", "--domain", "*.example.com"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("V907") && stderr.contains("--product-code geotrust-dv-w-starter"),
        "{stderr}"
    );
    assert!(
        !tmp.path().join("_.example.com").exists(),
        "files were written"
    );

    let sb = SandboxProcess::start(&[]);
    let (_, err) = run_expect(apply(&sb, tmp.path()).args(["-d", "*.example.org"]), 1);
    assert!(err.contains("V907"), "{err}");
    let st = stats(&sb);
    assert_eq!(st["requests"], serde_json::json!({}), "{st}");

    run_expect(
        csrkit().current_dir(tmp.path()).args([
            "apply",
            "--sandbox",
            "--domain",
            "*.example.com",
            "--product-code",
            "geotrust-dv-w-starter",
        ]),
        0,
    );
    let dir = tmp.path().join("_.example.com");
    check_issued(&dir, &dir.join("sandbox-root.pem"), &["*.example.com"]);
    assert_eq!(journal(&dir)["product_code"], "geotrust-dv-w-starter");
}
