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
