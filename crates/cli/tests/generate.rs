//! `csrkit generate` end to end, with `openssl` as the independent oracle for
//! every key and CSR the binary writes.
#![allow(clippy::unwrap_used)]

mod util;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use util::{Succeeds, csrkit, openssl};

/// Checks one generated directory with openssl: signature, key validity,
/// public key match, CN and SANs, key file mode.
fn check_with_openssl(dir: &Path, cn: &str, sans: &[&str], passin: Option<&str>) {
    let csr = dir.join("request.csr");
    let key = dir.join("privkey.pem");
    let csr_s = csr.to_str().unwrap();
    let key_s = key.to_str().unwrap();

    // OpenSSL 3.0 exits 0 even when the signature is bad: read what it says.
    let verify = openssl(&["req", "-in", csr_s, "-noout", "-verify"]);
    assert!(
        verify.contains("verify OK") && !verify.contains("fail"),
        "openssl req -verify said: {verify}"
    );

    let mut pkey = vec!["pkey", "-in", key_s, "-check", "-noout"];
    if let Some(p) = passin {
        pkey.extend(["-passin", p]);
    }
    let check = openssl(&pkey);
    assert!(
        check.contains("Key is valid"),
        "openssl pkey -check said: {check}"
    );

    let mut pubout = vec!["pkey", "-in", key_s, "-pubout"];
    if let Some(p) = passin {
        pubout.extend(["-passin", p]);
    }
    let key_pub = openssl(&pubout);
    let csr_pub = openssl(&["req", "-in", csr_s, "-noout", "-pubkey"]);
    assert_eq!(
        key_pub, csr_pub,
        "the CSR's public key is not the key file's"
    );

    let subject = openssl(&[
        "req", "-in", csr_s, "-noout", "-subject", "-nameopt", "RFC2253",
    ]);
    assert_eq!(subject.trim(), format!("subject=CN={cn}"));
    let text = openssl(&["req", "-in", csr_s, "-noout", "-text"]);
    let want: Vec<String> = sans.iter().map(|s| format!("DNS:{s}")).collect();
    assert!(
        text.contains(&want.join(", ")),
        "SANs {want:?} not found in:\n{text}"
    );

    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "key file mode is {mode:o}");
}

#[test]
fn every_key_type_passes_openssl() {
    for (key_type, bits) in [
        ("p256", "256 bit"),
        ("p384", "384 bit"),
        ("rsa2048", "2048 bit"),
        ("rsa3072", "3072 bit"),
        ("rsa4096", "4096 bit"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let out = csrkit()
            .args([
                "generate",
                "-d",
                "example.com",
                "-d",
                "www.example.com",
                "--key-type",
                key_type,
            ])
            .arg("--out-dir")
            .arg(&dir)
            .args(["--format", "json"])
            .succeeds();
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["schema"], "csrkit.generate/1");
        assert_eq!(doc["key_type"], key_type);
        assert_eq!(
            doc["domains"],
            serde_json::json!(["example.com", "www.example.com"])
        );
        check_with_openssl(
            &dir,
            "example.com",
            &["example.com", "www.example.com"],
            None,
        );
        let text = openssl(&[
            "req",
            "-in",
            dir.join("request.csr").to_str().unwrap(),
            "-noout",
            "-text",
        ]);
        assert!(text.contains(bits), "{key_type}: {text}");
        let sig = if key_type == "p384" {
            "ecdsa-with-SHA384"
        } else if key_type == "p256" {
            "ecdsa-with-SHA256"
        } else {
            "sha256WithRSAEncryption"
        };
        assert!(text.contains(sig), "{key_type}: {text}");

        // spki_sha256 is the SHA-256 of the DER public key, as openssl computes it.
        let der = std::process::Command::new("openssl")
            .args(["pkey", "-in"])
            .arg(dir.join("privkey.pem"))
            .args(["-pubout", "-outform", "DER"])
            .output()
            .unwrap()
            .stdout;
        let digest = openssl_sha256(&der);
        assert_eq!(doc["spki_sha256"], digest);
    }
}

fn openssl_sha256(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-r"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn default_directory_names_and_idn() {
    let tmp = tempfile::tempdir().unwrap();
    csrkit()
        .current_dir(tmp.path())
        .args(["generate", "-d", "*.Bücher.example", "-d", "bücher.example"])
        .succeeds();
    let dir = tmp.path().join("_.xn--bcher-kva.example");
    check_with_openssl(
        &dir,
        "*.xn--bcher-kva.example",
        &["*.xn--bcher-kva.example", "xn--bcher-kva.example"],
        None,
    );
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
}

#[test]
fn encrypted_key_opens_with_openssl() {
    let tmp = tempfile::tempdir().unwrap();
    let pass = tmp.path().join("pass.txt");
    std::fs::write(&pass, "s3cret phrase\n").unwrap();
    let dir = tmp.path().join("enc");
    csrkit()
        .args([
            "generate",
            "-d",
            "example.com",
            "--encrypt",
            "--passphrase-file",
        ])
        .arg(&pass)
        .arg("--out-dir")
        .arg(&dir)
        .succeeds();
    let key = std::fs::read_to_string(dir.join("privkey.pem")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let passin = format!("file:{}", pass.display());
    check_with_openssl(&dir, "example.com", &["example.com"], Some(&passin));
    let params = openssl(&[
        "asn1parse",
        "-in",
        dir.join("privkey.pem").to_str().unwrap(),
    ]);
    assert!(
        params.contains("PBES2") && params.contains("aes-256-cbc"),
        "{params}"
    );

    // The same key again as --key, opened through CSRKIT_KEY_PASSPHRASE.
    let again = tmp.path().join("again");
    csrkit()
        .env("CSRKIT_KEY_PASSPHRASE", "s3cret phrase")
        .args(["generate", "-d", "example.com", "--key"])
        .arg(dir.join("privkey.pem"))
        .arg("--out-dir")
        .arg(&again)
        .succeeds();
    assert!(
        !again.join("privkey.pem").exists(),
        "an existing key is never copied"
    );
    let a = openssl(&[
        "req",
        "-in",
        again.join("request.csr").to_str().unwrap(),
        "-noout",
        "-pubkey",
    ]);
    let b = openssl(&[
        "req",
        "-in",
        dir.join("request.csr").to_str().unwrap(),
        "-noout",
        "-pubkey",
    ]);
    assert_eq!(a, b);

    // A wrong passphrase is refused, naming the file.
    let out = csrkit()
        .env("CSRKIT_KEY_PASSPHRASE", "wrong")
        .args(["generate", "-d", "example.com", "--key"])
        .arg(dir.join("privkey.pem"))
        .arg("--out-dir")
        .arg(tmp.path().join("wrong"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("passphrase does not decrypt") && err.contains("privkey.pem"),
        "{err}"
    );
    assert!(!tmp.path().join("wrong").exists());
}

#[test]
fn existing_keys_in_every_format_openssl_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let t = |name: &str| tmp.path().join(name).to_str().unwrap().to_owned();
    let keys = [
        // PKCS #1 RSA ("RSA PRIVATE KEY"), committed fixture
        ("pkcs1", util::fixture("rsa2048-pkcs1.pem"), None),
        // PKCS #8 RSA
        ("pkcs8-rsa", util::fixture("rsa3072-pkcs8.pem"), None),
        // SEC1 EC ("EC PRIVATE KEY")
        (
            "sec1",
            {
                openssl(&[
                    "ecparam",
                    "-name",
                    "prime256v1",
                    "-genkey",
                    "-noout",
                    "-out",
                    &t("sec1.pem"),
                ]);
                t("sec1.pem")
            },
            None,
        ),
        // encrypted PKCS #8, made by openssl
        (
            "enc",
            {
                openssl(&[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-384",
                    "-aes-256-cbc",
                    "-pass",
                    "pass:hunter22",
                    "-out",
                    &t("enc.pem"),
                ]);
                t("enc.pem")
            },
            Some("hunter22"),
        ),
        // DER PKCS #8
        (
            "der",
            {
                openssl(&[
                    "genpkey",
                    "-algorithm",
                    "EC",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-outform",
                    "DER",
                    "-out",
                    &t("key.der"),
                ]);
                t("key.der")
            },
            None,
        ),
    ];
    for (label, key, pass) in keys {
        let dir = tmp.path().join(label);
        let mut cmd = csrkit();
        if let Some(p) = pass {
            cmd.env("CSRKIT_KEY_PASSPHRASE", p);
        }
        cmd.args(["generate", "-d", "example.com", "--key", &key])
            .arg("--out-dir")
            .arg(&dir)
            .succeeds();
        let csr = dir.join("request.csr");
        let verify = openssl(&["req", "-in", csr.to_str().unwrap(), "-noout", "-verify"]);
        assert!(verify.contains("verify OK"), "{label}: {verify}");
        let mut pubout = vec!["pkey", "-in", key.as_str(), "-pubout"];
        let passin = pass.map(|p| format!("pass:{p}"));
        if let Some(p) = &passin {
            pubout.extend(["-passin", p.as_str()]);
        }
        if label == "der" {
            pubout.extend(["-inform", "DER"]);
        }
        assert_eq!(
            openssl(&pubout),
            openssl(&["req", "-in", csr.to_str().unwrap(), "-noout", "-pubkey"]),
            "{label}"
        );
    }
}

#[test]
fn bad_names_are_refused_and_nothing_is_written() {
    let long_label = format!("{}.example.com", "a".repeat(64));
    let long_name = format!(
        "{}.{}.{}.{}.com",
        "a".repeat(61),
        "b".repeat(61),
        "c".repeat(62),
        "d".repeat(63)
    );
    assert_eq!(long_name.len(), 254);
    let cases: Vec<(String, &str)> = vec![
        ("exa_mple.com".into(), "'_'"),
        ("-a.example.com".into(), "starts with '-'"),
        ("a..example.com".into(), "empty label"),
        ("*.*.example.com".into(), "wildcard"),
        ("foo.*.example.com".into(), "wildcard"),
        ("example.com.".into(), "ends with a dot"),
        (long_label, "64 characters long"),
        (long_name, "254 characters long"),
        ("192.0.2.1".into(), "IP address"),
        ("".into(), "empty"),
    ];
    for (name, says) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let out = csrkit()
            .current_dir(tmp.path())
            .args(["generate", "--domain", &name])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{name:?}: {err}");
        assert!(
            err.contains(&format!("{name:?}")),
            "error must name the input: {err}"
        );
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(left.is_empty(), "{name:?} left files behind: {left:?}");
    }
}

#[test]
fn second_run_is_refused_and_key_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |extra: &[&str]| {
        csrkit()
            .current_dir(tmp.path())
            .args(["generate", "-d", "example.com"])
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(run(&[]).status.success());
    let key = tmp.path().join("example.com/privkey.pem");
    let before = std::fs::read(&key).unwrap();
    let out = run(&["--key-type", "rsa2048"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(std::fs::read(&key).unwrap(), before, "the key changed");
    // --force replaces both, still 0600.
    assert!(run(&["--force"]).status.success());
    assert_ne!(std::fs::read(&key).unwrap(), before);
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn key_mode_ignores_umask() {
    // A permissive umask must not widen the key file's mode.
    let tmp = tempfile::tempdir().unwrap();
    std::process::Command::new("sh")
        .current_dir(tmp.path())
        .arg("-c")
        .arg(format!(
            "umask 000 && {} generate -d example.com",
            util::bin().display()
        ))
        .succeeds();
    let mode = std::fs::metadata(tmp.path().join("example.com/privkey.pem"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn subject_attributes_and_country_encoding() {
    let tmp = tempfile::tempdir().unwrap();
    csrkit()
        .current_dir(tmp.path())
        .args([
            "generate",
            "-d",
            "example.com",
            "--country",
            "CN",
            "--org",
            "Example Ltd",
        ])
        .succeeds();
    let csr = tmp.path().join("example.com/request.csr");
    let asn1 = openssl(&["asn1parse", "-in", csr.to_str().unwrap()]);
    let country_line = asn1
        .lines()
        .skip_while(|l| !l.contains(":countryName"))
        .nth(1)
        .unwrap_or("");
    assert!(
        country_line.contains("PRINTABLESTRING") && country_line.contains(":CN"),
        "{asn1}"
    );

    let out = csrkit()
        .current_dir(tmp.path())
        .args(["generate", "-d", "example.org", "--country", "China"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"China\""));
}

#[test]
fn debug_output_never_shows_key_material() {
    // The JSON and human outputs mention paths and fingerprints only.
    let tmp = tempfile::tempdir().unwrap();
    for format in ["human", "json"] {
        let dir = tmp.path().join(format);
        let out = csrkit()
            .args(["generate", "-d", "example.com", "--format", format])
            .arg("--out-dir")
            .arg(&dir)
            .output()
            .unwrap();
        assert!(out.status.success());
        let key = std::fs::read_to_string(dir.join("privkey.pem")).unwrap();
        let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !all.contains("PRIVATE KEY") && !all.contains(&body[..40]),
            "{all}"
        );
    }
}

// ------------------------------------------------- interruption, races, dirs

/// A `csrkit generate` stopped by the debug-build hook `CSRKIT_TEST_HOLD_WRITE`
/// after its temporary files are written and flushed, before any is renamed
/// into place. `Held::start` returns once the process is at that point (it
/// has opened the FIFO); dropping `writer` lets it go on.
struct Held {
    child: std::process::Child,
    writer: Option<std::fs::File>,
}

impl Held {
    fn start(cwd: &Path, args: &[&str]) -> Held {
        let fifo = cwd.join("hold.fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let mut child = csrkit()
            .current_dir(cwd)
            .env("CSRKIT_TEST_HOLD_WRITE", &fifo)
            .arg("generate")
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Opening a FIFO for writing without blocking fails (ENXIO) until
        // the reader has it open: that is the event to wait for.
        const O_NONBLOCK: i32 = 0o4000; // Linux
        let writer = loop {
            use std::os::unix::fs::OpenOptionsExt;
            match std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(O_NONBLOCK)
                .open(&fifo)
            {
                Ok(w) => break w,
                Err(e) if e.raw_os_error() == Some(6) => {
                    if let Some(status) = child.try_wait().unwrap() {
                        let out = child.wait_with_output().unwrap();
                        panic!(
                            "csrkit exited ({status}) before writing: {}",
                            String::from_utf8_lossy(&out.stderr)
                        );
                    }
                    std::thread::yield_now();
                }
                Err(e) => panic!("{e}"),
            }
        };
        Held {
            child,
            writer: Some(writer),
        }
    }

    fn signal(&self, sig: &str) {
        let sent = std::process::Command::new("kill")
            .args(["-s", sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits for it to exit while still holding it (after a signal).
    fn wait_held(mut self) -> std::process::Output {
        let out = self.child.wait_with_output().unwrap();
        self.writer.take();
        out
    }

    /// Lets it go on (closes the FIFO) and waits for it.
    fn finish(mut self) -> std::process::Output {
        self.writer.take();
        self.child.wait_with_output().unwrap()
    }
}

/// The names in `dir`, sorted ("-" when it does not exist).
/// What a directory holds ("-" when it does not exist), but for the lock
/// file every command leaves in a directory it worked on.
fn listing(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return vec!["-".into()];
    };
    let mut v: Vec<String> = entries
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != csrkit_csr::LOCK_FILE)
        .collect();
    v.sort();
    v
}

fn temps(dir: &Path) -> Vec<String> {
    listing(dir)
        .into_iter()
        .filter(|n| n.starts_with(".csrkit-") && n.ends_with(".tmp"))
        .collect()
}

/// M6: SIGTERM and SIGHUP are handled like SIGINT: the unfinished files (a
/// plaintext key among them) and the directory made for them are removed,
/// and the exit code is 128 + the signal.
#[test]
fn a_signal_while_writing_removes_the_unfinished_files() {
    for (sig, code) in [("TERM", 143), ("HUP", 129), ("INT", 130)] {
        let tmp = tempfile::tempdir().unwrap();
        let held = Held::start(tmp.path(), &["-d", "example.com", "--out-dir", "out"]);
        let out = tmp.path().join("out");
        let staged = temps(&out);
        assert_eq!(staged.len(), 2, "{sig}: {:?}", listing(&out));
        let key_seen = staged
            .iter()
            .any(|t| std::fs::read_to_string(out.join(t)).is_ok_and(|s| s.contains("PRIVATE KEY")));
        assert!(key_seen, "{sig}: no staged key in {staged:?}");
        held.signal(sig);
        let done = held.wait_held();
        let err = String::from_utf8_lossy(&done.stderr);
        assert_eq!(done.status.code(), Some(code), "{sig}: {err}");
        assert!(err.contains(&format!("interrupted by SIG{sig}")), "{err}");
        assert_eq!(listing(&out), ["-"], "{sig}: the new directory stays");
    }
}

/// M6: what a SIGKILL leaves (a `.csrkit-*.tmp` holding the key) is seen by
/// `validate` (V106: a private key about to be committed) and removed by the
/// next `generate` in that directory, which names it.
#[test]
fn a_killed_run_leaves_a_temp_file_that_validate_and_the_next_run_see() {
    let tmp = tempfile::tempdir().unwrap();
    let mut held = Held::start(tmp.path(), &["-d", "example.com", "--out-dir", "out"]);
    held.child.kill().unwrap();
    held.child.wait().unwrap();
    let out = tmp.path().join("out");
    let left = temps(&out);
    assert_eq!(left.len(), 2, "{:?}", listing(&out));

    let lint = csrkit()
        .current_dir(tmp.path())
        .args(["validate", "out"])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&lint.stdout);
    assert_eq!(lint.status.code(), Some(1), "{said}");
    assert!(said.contains("V106"), "{said}");
    assert!(
        left.iter().any(|t| said.contains(t.as_str())),
        "validate must name the temp file: {said}"
    );

    let again = csrkit()
        .current_dir(tmp.path())
        .args(["generate", "-d", "example.com", "--out-dir", "out"])
        .succeeds();
    let err = String::from_utf8_lossy(&again.stderr);
    for t in &left {
        assert!(
            err.contains(&format!("removed out/{t}")),
            "must name {t}: {err}"
        );
    }
    assert!(temps(&out).is_empty(), "{:?}", listing(&out));
    check_with_openssl(&out, "example.com", &["example.com"], None);
}

/// M7: key and CSR are committed as a pair. When the CSR's name is taken
/// between the check and the rename, the key already renamed into place is
/// rolled back: no new privkey.pem remains.
#[test]
fn a_failed_csr_rename_takes_the_key_back() {
    let tmp = tempfile::tempdir().unwrap();
    let held = Held::start(tmp.path(), &["-d", "example.com", "--out-dir", "out"]);
    let out = tmp.path().join("out");
    std::fs::write(out.join("request.csr"), "someone else's").unwrap();
    let done = held.finish();
    let err = String::from_utf8_lossy(&done.stderr);
    assert_eq!(done.status.code(), Some(2), "{err}");
    assert!(err.contains("out/request.csr already exists"), "{err}");
    assert_eq!(listing(&out), ["request.csr"]);
    assert_eq!(
        std::fs::read_to_string(out.join("request.csr")).unwrap(),
        "someone else's"
    );
}

/// M7: a dangling symbolic link at either name counts as "exists" (lstat),
/// nothing is written, and both refusals give the same advice.
#[test]
fn a_dangling_link_counts_as_existing_with_the_same_advice() {
    let mut advice = Vec::new();
    for name in ["request.csr", "privkey.pem"] {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("d3");
        std::fs::create_dir(&out).unwrap();
        std::os::unix::fs::symlink("nowhere", out.join(name)).unwrap();
        // --encrypt with no passphrase anywhere: the refusal must come
        // first, before any key work or prompt.
        let done = csrkit()
            .current_dir(tmp.path())
            .args([
                "generate",
                "-d",
                "example.com",
                "--out-dir",
                "d3",
                "--encrypt",
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&done.stderr).into_owned();
        assert_eq!(done.status.code(), Some(2), "{err}");
        assert_eq!(listing(&out), [name], "{err}");
        let (what, rest) = err.split_once(" already exists").expect(&err);
        assert!(what.ends_with(&format!("d3/{name}")), "{err}");
        advice.push(rest.to_owned());
    }
    assert_eq!(advice[0], advice[1]);
    assert!(advice[0].contains("--force") && advice[0].contains("--out-dir"));
}

/// L1: every write is anchored on the directory opened at the start: a
/// directory swapped for a symbolic link mid-write does not redirect the
/// files.
#[test]
fn writes_stay_in_the_directory_first_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let held = Held::start(tmp.path(), &["-d", "example.com", "--out-dir", "out"]);
    let (out, moved, elsewhere) = (
        tmp.path().join("out"),
        tmp.path().join("moved"),
        tmp.path().join("elsewhere"),
    );
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::rename(&out, &moved).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &out).unwrap();
    let done = held.finish();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(listing(&elsewhere), Vec::<String>::new());
    assert_eq!(listing(&moved), ["privkey.pem", "request.csr"]);
    check_with_openssl(&moved, "example.com", &["example.com"], None);
}

/// L1: a directory every user may write to (no sticky bit) is refused
/// without --force; with it, or with the sticky bit, the write goes ahead
/// with a note. A symbolic link as the output directory is reported.
#[test]
fn shared_and_linked_output_directories() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let shared = tmp.path().join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o777)).unwrap();
    let run = |extra: &[&str]| {
        csrkit()
            .current_dir(tmp.path())
            .args(["generate", "-d", "example.com"])
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = run(&["--out-dir", "shared"]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("shared is writable by every user (mode 0777)") && err.contains("--force"),
        "{err}"
    );
    assert!(listing(&shared).is_empty());

    let forced = run(&["--out-dir", "shared", "--force"]);
    let err = String::from_utf8_lossy(&forced.stderr);
    assert!(forced.status.success(), "{err}");
    assert!(
        err.contains("note: shared is writable by every user"),
        "{err}"
    );

    let sticky = tmp.path().join("sticky");
    std::fs::create_dir(&sticky).unwrap();
    std::fs::set_permissions(&sticky, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let ok = run(&["--out-dir", "sticky"]);
    let err = String::from_utf8_lossy(&ok.stderr);
    assert!(ok.status.success(), "{err}");
    assert!(err.contains("note: sticky is a shared directory"), "{err}");

    std::fs::create_dir(tmp.path().join("real")).unwrap();
    std::os::unix::fs::symlink("real", tmp.path().join("link")).unwrap();
    let linked = run(&["--out-dir", "link"]);
    let err = String::from_utf8_lossy(&linked.stderr);
    assert!(linked.status.success(), "{err}");
    assert!(
        err.contains("note: link is a symbolic link to real"),
        "{err}"
    );
    assert_eq!(
        listing(&tmp.path().join("real")),
        ["privkey.pem", "request.csr"]
    );
}

/// Messages 2: a single name of 65–253 characters cannot be the CN; the
/// error says what to do, and --no-cn makes a CSR without one (the name in a
/// critical subjectAltName, as RFC 5280 asks for an empty subject).
#[test]
fn a_name_too_long_for_the_cn() {
    let long = format!("{}.com", "a".repeat(63));
    let tmp = tempfile::tempdir().unwrap();
    let refused = csrkit()
        .current_dir(tmp.path())
        .args(["generate", "-d", &long])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--no-cn") && err.contains("BR 7.1.2.7.2") && err.contains(&long),
        "{err}"
    );
    assert_eq!(listing(tmp.path()), Vec::<String>::new());

    csrkit()
        .current_dir(tmp.path())
        .args(["generate", "-d", &long, "--no-cn", "--out-dir", "o"])
        .succeeds();
    let csr = tmp.path().join("o/request.csr");
    let text = openssl(&["req", "-in", csr.to_str().unwrap(), "-noout", "-text"]);
    assert!(
        text.contains("Subject: \n") || text.contains("Subject:\n"),
        "{text}"
    );
    assert!(
        text.contains("Subject Alternative Name: critical")
            && text.contains(&format!("DNS:{long}")),
        "{text}"
    );
    let verify = openssl(&["req", "-in", csr.to_str().unwrap(), "-noout", "-verify"]);
    assert!(verify.contains("verify OK"), "{verify}");

    // With a short name among them, the advice names it.
    let out = csrkit()
        .current_dir(tmp.path())
        .args(["generate", "-d", &long, "-d", "example.com"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("such as example.com"), "{err}");
}

/// Messages 4 and 5: an OS error is printed once; a name taken by something
/// that is not a directory says so.
#[test]
fn directory_and_os_error_messages() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("d6/privkey.pem/x")).unwrap();
    let out = csrkit()
        .current_dir(tmp.path())
        .args([
            "generate",
            "-d",
            "example.com",
            "--out-dir",
            "d6",
            "--force",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        err.trim_end(),
        "error: could not write d6/privkey.pem: Is a directory (os error 21)"
    );
    assert_eq!(listing(&tmp.path().join("d6")), ["privkey.pem"]);

    std::os::unix::fs::symlink("nowhere", tmp.path().join("example.com")).unwrap();
    for (dir, what) in [
        (
            None,
            "example.com exists and is not a directory (it is a dangling symbolic link)",
        ),
        (
            Some("/dev/null"),
            "/dev/null exists and is not a directory (it is a character device)",
        ),
    ] {
        let mut cmd = csrkit();
        cmd.current_dir(tmp.path())
            .args(["generate", "-d", "example.com"]);
        if let Some(d) = dir {
            cmd.args(["--out-dir", d]);
        }
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(what), "{err}");
    }
}

/// Messages 6: "an existing … key".
#[test]
fn an_existing_key_reads_well() {
    let tmp = tempfile::tempdir().unwrap();
    let out = csrkit()
        .current_dir(tmp.path())
        .args(["generate", "-d", "example.com", "--key"])
        .arg(util::fixture("rsa2048-pkcs1.pem"))
        .succeeds();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with("CSR for example.com with an existing RSA"),
        "{said}"
    );
}

/// Messages 4 on a full disk (a 64 KiB tmpfs, mounted as root): the OS error
/// is printed once, and the directories made for the files are gone again.
#[test]
fn a_full_disk_leaves_no_directory_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let small = tmp.path().join("small");
    std::fs::create_dir(&small).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&small)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        let uid = std::process::Command::new("id").arg("-u").output().unwrap();
        assert_ne!(
            String::from_utf8_lossy(&uid.stdout).trim(),
            "0",
            "root could not mount a tmpfs"
        );
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&small);
    {
        use std::io::Write;
        let mut fill = std::fs::File::create(small.join("fill")).unwrap();
        while fill.write_all(&[0u8; 4096]).is_ok() {}
    }
    let out = csrkit()
        .current_dir(tmp.path())
        .args([
            "generate",
            "-d",
            "example.com",
            "--out-dir",
            "small/new/deeper",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        err.trim_end(),
        "error: cannot lock small/new/deeper/.lock: No space left on device (os error 28)"
    );
    assert_eq!(listing(&small), ["fill"]);
}

/// Two commands at once: a temporary file of a csrkit still running is never
/// swept, even before that process has locked it (here: a file named for a
/// live process and not locked at all), so concurrent runs in one directory
/// cannot delete each other's files; exactly one of two concurrent runs wins.
#[test]
fn a_running_writers_files_are_never_swept() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut live = std::process::Command::new("cat")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let name = format!(".csrkit-{}-AbCdEf123456.tmp", live.id());
    std::fs::write(out.join(&name), "-----BEGIN PRIVATE KEY-----\n").unwrap();
    csrkit()
        .current_dir(tmp.path())
        .args(["generate", "-d", "example.com", "--out-dir", "out"])
        .succeeds();
    assert_eq!(listing(&out), [name.as_str(), "privkey.pem", "request.csr"]);
    drop(live.stdin.take());
    live.wait().unwrap();

    for round in 0..20 {
        let dir = format!("race{round}");
        let spawn = |key_type: &str| {
            csrkit()
                .current_dir(tmp.path())
                .args(["generate", "-d", "example.com", "--key-type", key_type])
                .args(["--out-dir", &dir])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("p256"), spawn("p384"));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let wins = [&a, &b].iter().filter(|o| o.status.success()).count();
        assert_eq!(
            wins,
            1,
            "round {round}: {} / {}",
            String::from_utf8_lossy(&a.stderr),
            String::from_utf8_lossy(&b.stderr)
        );
        assert_eq!(
            listing(&tmp.path().join(&dir)),
            ["privkey.pem", "request.csr"]
        );
    }
}
