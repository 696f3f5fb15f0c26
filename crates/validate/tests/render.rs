//! Snapshots of every output format, over fixtures whose bytes are stable
//! (RSA PKCS #1 signatures are deterministic; the key file is committed).

use csrkit_validate::{Policy, Report, render, validate};

fn reports() -> Vec<(String, Report)> {
    let dir = crate::common::fixture_dir();
    [
        "v204/fail-cn-missing-from-san.pem",
        "v206/fail-organization.pem",
        "v100/fail-text.pem",
        "v101/pass-rsa.pem",
    ]
    .iter()
    .map(|f| {
        let bytes = std::fs::read(dir.join(f)).expect("fixture");
        (format!("certs/{f}"), validate(&bytes, &Policy::default()))
    })
    .collect()
}

#[test]
fn human() {
    insta::assert_snapshot!("human", render::human(&reports(), false));
}

#[test]
fn human_color_marks_severities() {
    let out = render::human(&reports(), true);
    assert!(out.contains("\x1b[1;31merror[V204]\x1b[0m"), "{out}");
}

#[test]
fn json() {
    let out = render::json(&reports());
    let doc: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(doc["schema"], "csrkit.validate/1");
    assert_eq!(doc["summary"]["errors"], 2);
    insta::assert_snapshot!("json", out);
}

#[test]
fn sarif() {
    let out = render::sarif(&reports());
    let doc: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    // The parts of the SARIF 2.1.0 schema code scanning relies on.
    assert_eq!(doc["version"], "2.1.0");
    let run = &doc["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), csrkit_validate::rules().len());
    for r in rules {
        assert!(r["id"].is_string() && r["shortDescription"]["text"].is_string());
        assert!(matches!(
            r["defaultConfiguration"]["level"].as_str(),
            Some("error" | "warning" | "note")
        ));
    }
    for res in run["results"].as_array().expect("results") {
        let idx = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
        assert!(res["message"]["text"].is_string());
        assert!(res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].is_string());
    }
    // The rule metadata is long and changes with the catalogue; snapshot
    // the results.
    insta::assert_json_snapshot!("sarif_results", run["results"]);
}

#[test]
fn github() {
    insta::assert_snapshot!("github", render::github(&reports()));
}

#[test]
fn inspect_json_and_human() {
    let dir = crate::common::fixture_dir();
    let bytes = std::fs::read(dir.join("v215/pass-a-label.pem")).expect("fixture");
    let facts = csrkit_validate::inspect(&bytes).expect("a request");
    assert_eq!(facts.len(), 1);
    let doc: serde_json::Value = serde_json::from_str(&facts[0].to_json()).expect("JSON");
    assert_eq!(doc["schema"], "csrkit.inspect/1");
    assert_eq!(doc["key"]["type"], "rsa");
    assert_eq!(doc["key"]["bits"], 2048);
    assert_eq!(doc["signature_valid"], true);
    assert_eq!(doc["sans"][1]["unicode"], "bücher.example.com");
    insta::assert_snapshot!("inspect_json", facts[0].to_json());
    insta::assert_snapshot!("inspect_human", facts[0].to_human());
}

#[test]
fn inspect_names_what_is_not_a_request() {
    let key = std::fs::read(crate::common::fixture_dir().join("keys/p256.pem")).expect("key");
    let err = csrkit_validate::inspect(&key).expect_err("a key");
    assert!(err.to_string().contains("private key"), "{err}");
}
