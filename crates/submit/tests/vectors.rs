//! Walks `tests/vectors/<case>/` and checks csrkit's signer against every
//! expected file (computed independently by `tests/vectors/independent.py`,
//! and for the official cases published by Alibaba Cloud).

use std::path::{Path, PathBuf};

use csrkit_submit::{
    AccessKeySecret, Credentials, SignableRequest, SigningParams, canonical_query_string,
    percent_encode, sign_v1, sign_v3, v1_string_to_sign,
};
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("vectors")
}

fn read(case: &Path, name: &str) -> String {
    std::fs::read_to_string(case.join(name))
        .unwrap_or_else(|e| panic!("{}/{name}: {e}", case.display()))
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn check_v3(case: &Path, ctx: &Value) {
    let r = &ctx["request"];
    let req = SignableRequest {
        method: r["method"].as_str().unwrap().to_string(),
        host: r["host"].as_str().unwrap().to_string(),
        action: r["action"].as_str().unwrap().to_string(),
        version: r["version"].as_str().unwrap().to_string(),
        query: pairs(&r["query"]),
        body: r["body"].as_str().unwrap().as_bytes().to_vec(),
        headers: pairs(&r["headers"]),
    };
    let creds = Credentials::new(
        ctx["access_key_id"].as_str().unwrap(),
        ctx["access_key_secret"].as_str().unwrap(),
        ctx["security_token"].as_str(),
    );
    let params = SigningParams {
        date: ctx["date"].as_str().unwrap().to_string(),
        nonce: ctx["nonce"].as_str().unwrap().to_string(),
    };
    let s = sign_v3(&req, &creds, &params);
    let name = case.display();
    assert_eq!(
        s.canonical_request(),
        read(case, "canonical-request.txt"),
        "{name}: canonical request"
    );
    assert_eq!(
        s.string_to_sign(),
        read(case, "string-to-sign.txt"),
        "{name}: string to sign"
    );
    assert_eq!(
        s.authorization(),
        read(case, "authorization.txt"),
        "{name}: authorization"
    );
    if let Some(published) = ctx["published_signature"].as_str() {
        assert_eq!(s.signature(), published, "{name}: published signature");
    }
    // The request as it goes on the wire: the query encoded exactly as signed.
    let q = canonical_query_string(&req.query);
    let target = if q.is_empty() {
        "/".to_string()
    } else {
        format!("/?{q}")
    };
    let mut wire = vec![format!("{} {target}", req.method)];
    wire.extend(s.headers().iter().map(|(k, v)| format!("{k}: {v}")));
    assert_eq!(
        wire.join("\n"),
        read(case, "request.txt"),
        "{name}: signed request"
    );
}

fn check_v1(case: &Path, ctx: &Value) {
    let params = pairs(&ctx["params"]);
    let method = ctx["method"].as_str().unwrap();
    let secret = AccessKeySecret::new(ctx["access_key_secret"].as_str().unwrap());
    let name = case.display();
    let q = canonical_query_string(&params);
    assert_eq!(
        q,
        read(case, "canonical-request.txt"),
        "{name}: canonical query"
    );
    assert_eq!(
        v1_string_to_sign(&params, method),
        read(case, "string-to-sign.txt"),
        "{name}: string to sign"
    );
    let sig = sign_v1(&params, method, &secret);
    assert_eq!(sig, read(case, "authorization.txt"), "{name}: signature");
    if let Some(published) = ctx["published_signature"].as_str() {
        assert_eq!(sig, published, "{name}: published signature");
    }
    // A Signature parameter already present is not signed.
    let mut with_sig = params.clone();
    with_sig.push(("Signature".to_string(), "ignored".to_string()));
    assert_eq!(
        sign_v1(&with_sig, method, &secret),
        sig,
        "{name}: Signature excluded"
    );
    assert_eq!(
        format!("{method} /?{q}&Signature={}", percent_encode(&sig)),
        read(case, "request.txt"),
        "{name}: signed request"
    );
}

#[test]
fn every_vector_case_matches() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("context.json").is_file())
        .collect();
    cases.sort();
    let (mut v3, mut v1, mut published) = (0, 0, 0);
    for case in &cases {
        let ctx: Value = serde_json::from_str(&read(case, "context.json")).unwrap();
        published += usize::from(ctx["published_signature"].is_string());
        match ctx["scheme"].as_str() {
            Some("v3") => {
                check_v3(case, &ctx);
                v3 += 1;
            }
            Some("v1") => {
                check_v1(case, &ctx);
                v1 += 1;
            }
            other => panic!("{}: unknown scheme {other:?}", case.display()),
        }
    }
    // The official and CAS vectors of the reference, plus the canonicalisation cases.
    assert!(
        v3 >= 10 && v1 >= 4 && published >= 6,
        "v3 {v3}, v1 {v1}, published {published}"
    );
}
