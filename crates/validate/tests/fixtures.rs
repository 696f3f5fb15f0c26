//! Every rule against its pass and fail fixtures: a fail fixture must
//! raise the rule, a pass fixture must not.

use crate::common::{fixtures, policy_for};

#[test]
fn every_fixture_gives_its_expected_outcome() {
    let mut wrong = Vec::new();
    let all = fixtures();
    assert!(all.len() > 100, "only {} fixtures", all.len());
    for (code, name, fail, bytes) in &all {
        let report = csrkit_validate::validate(bytes, &policy_for(code));
        if report.has(code) != *fail {
            let found: Vec<String> = report
                .all_findings()
                .map(|f| format!("{} {}", f.code, f.message))
                .collect();
            wrong.push(format!(
                "{code}/{name}: expected {}, found {found:?}",
                if *fail {
                    "the rule to fire"
                } else {
                    "no finding of the rule"
                }
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} fixtures wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_baseline_request_is_clean() {
    let bytes =
        std::fs::read(crate::common::fixture_dir().join("v101/pass-rsa.pem")).expect("fixture");
    let report = csrkit_validate::validate(&bytes, &csrkit_validate::Policy::default());
    assert_eq!(report.requests.len(), 1);
    let found: Vec<_> = report.all_findings().collect();
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn weak_keys_are_named_as_weak_not_as_bad_signatures() {
    let bytes =
        std::fs::read(crate::common::fixture_dir().join("v301/fail-rsa1024.pem")).expect("fixture");
    let report = csrkit_validate::validate(&bytes, &csrkit_validate::Policy::default());
    assert!(report.has("V301"));
    assert!(!report.has("V101"), "{report:#?}");
    let facts = csrkit_validate::inspect(&bytes).expect("a request");
    assert_eq!(facts[0].signature_valid, Some(true));
}

#[test]
fn openssl_pss_default_salt_verifies() {
    let bytes =
        std::fs::read(crate::common::fixture_dir().join("v101/pass-rsa-pss-default-salt.pem"))
            .expect("fixture");
    let facts = csrkit_validate::inspect(&bytes).expect("a request");
    assert_eq!(facts[0].signature_valid, Some(true));
    assert!(facts[0].signature_algorithm.contains("PSS"));
}

/// Issue 13 M3: an IP CN equal to its iPAddress SAN passes the Baseline
/// Requirements (br-dv, BR 7.1.2.7.2) with BR-neutral wording, and is an
/// error under alibaba-dv (the service certifies domains).
#[test]
fn ip_addresses_per_profile() {
    let bytes =
        std::fs::read(crate::common::fixture_dir().join("v219/pass-ip-cn-matching-san.pem"))
            .expect("fixture");
    let br = csrkit_validate::validate(
        &bytes,
        &csrkit_validate::Policy::new(csrkit_validate::Profile::BrDv),
    );
    let errors: Vec<_> = br
        .all_findings()
        .filter(|f| f.severity == csrkit_validate::Severity::Error)
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let ali = csrkit_validate::validate(&bytes, &csrkit_validate::Policy::default());
    assert!(ali.has("V906") && !ali.has("V219"), "{ali:#?}");
    let reserved =
        std::fs::read(crate::common::fixture_dir().join("v219/fail-as112.pem")).expect("fixture");
    let r = csrkit_validate::validate(
        &reserved,
        &csrkit_validate::Policy::new(csrkit_validate::Profile::BrDv),
    );
    let msg = &r
        .all_findings()
        .find(|f| f.code == "V219")
        .expect("V219")
        .message;
    assert!(!msg.contains("service"), "BR-neutral: {msg}");
    assert!(msg.contains("AS112"), "{msg}");
}

/// Issue 13 message 3: no finding message carries Rust `Debug` text (ASN.1
/// types are named as UTF8String, IA5String...), over every fixture and
/// every differential-style breakage of one.
#[test]
fn messages_name_asn1_types_not_rust_debug() {
    let mut inputs: Vec<Vec<u8>> = crate::common::fixtures()
        .into_iter()
        .map(|(_, _, _, b)| b)
        .collect();
    // a request cut at every 7th byte: the parser's errors in words
    let der = {
        let text = std::fs::read_to_string(crate::common::fixture_dir().join("v101/pass-rsa.pem"))
            .expect("fixture");
        let body: String = text
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, body).expect("b64")
    };
    for cut in (1..der.len()).step_by(7) {
        inputs.push(der[..cut].to_vec());
        let mut tag = der.clone();
        tag[cut] ^= 0x0c;
        inputs.push(tag);
    }
    for bytes in &inputs {
        let report = csrkit_validate::validate(bytes, &crate::common::policy_for("V100"));
        for f in report.all_findings() {
            for bad in ["Tag(", "Some(", "NomError", "Der(", "Unexpected", "{ "] {
                assert!(!f.message.contains(bad), "{}: {}", f.code, f.message);
            }
        }
    }
}

/// Issue 13 message 7: a public suffix is named as one, not as an internal
/// name with the wrong reason.
#[test]
fn public_suffixes_are_not_internal_names() {
    let key = crate::common::fixture_dir().join("keys/p256.pem");
    for (name, want) in [
        ("com", "V229"),
        ("*.com", "V214"),
        ("*.ck", "V214"),
        ("ck", "V229"),
    ] {
        let out = std::process::Command::new("openssl")
            .args(["req", "-new", "-key"])
            .arg(&key)
            .args(["-subj", &format!("/CN={name}"), "-addext"])
            .arg(format!("subjectAltName=DNS:{name}"))
            .output()
            .expect("openssl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report = csrkit_validate::validate(&out.stdout, &csrkit_validate::Policy::default());
        assert!(report.has(want), "{name}: {report:#?}");
        assert!(!report.has("V216"), "{name}: {report:#?}");
    }
}
