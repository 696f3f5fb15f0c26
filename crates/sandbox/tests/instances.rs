//! `GetInstanceDetail` and `ListTagResources`: the CSR and the tags of an order's instance, in
//! the official SDK's shapes, and the documented errors for bad input.
mod common;

/// An action, its parameters, the HTTP status and `Code` expected.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16, &'a str);

use common::{CONTACT, Client, TestResult, ecc_csr};
use csrkit_sandbox::{Approval, Sandbox, SandboxConfig};

async fn create_tagged(
    c: &Client,
    csr: &str,
    tags: &[(&str, &str)],
) -> Result<u64, Box<dyn std::error::Error>> {
    let keys: Vec<(String, String)> = tags
        .iter()
        .enumerate()
        .flat_map(|(i, (k, v))| {
            [
                (format!("Tags.{}.Key", i + 1), (*k).to_owned()),
                (format!("Tags.{}.Value", i + 1), (*v).to_owned()),
            ]
        })
        .collect();
    let mut p: Vec<(&str, &str)> = vec![("Csr", csr), ("ValidateType", "DNS")];
    p.extend_from_slice(&CONTACT);
    p.extend(keys.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let r = c.call("CreateCertificateWithCsrRequest", &p).await?;
    assert_eq!(r.status, 200, "{}", r.text());
    Ok(r.json()["OrderId"].as_u64().ok_or("no OrderId")?)
}

#[tokio::test]
async fn instance_detail_returns_the_csr_and_tags_and_tag_lookup_finds_it() -> TestResult {
    let mut cfg = SandboxConfig::default();
    cfg.approve = Approval::Manual;
    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);
    let (csr_a, _) = ecc_csr("tags.example.com", &["tags.example.com"]);
    let (csr_b, _) = ecc_csr("tags.example.com", &["tags.example.com"]);
    let a = create_tagged(&c, &csr_a, &[("csrkit-attempt", "uuid-a"), ("env", "prod")]).await?;
    let b = create_tagged(&c, &csr_b, &[("csrkit-attempt", "uuid-b")]).await?;

    // The order list names each order's instance, and finds it by that id.
    let list = c
        .call(
            "ListUserCertificateOrder",
            &[("Keyword", &format!("cas-ivauto-{a}"))],
        )
        .await?
        .json();
    assert_eq!(list["TotalCount"], 1, "{list}");
    assert_eq!(list["CertificateOrderList"][0]["OrderId"], a);
    let instance = list["CertificateOrderList"][0]["InstanceId"]
        .as_str()
        .ok_or("no InstanceId")?
        .to_owned();

    let d = c
        .call("GetInstanceDetail", &[("InstanceId", &instance)])
        .await?;
    assert_eq!(d.status, 200, "{}", d.text());
    let d = d.json();
    assert_eq!(d["InstanceId"], instance.as_str());
    assert_eq!(d["Csr"], csr_a.as_str(), "the CSR as submitted");
    assert_eq!(d["KeyAlgorithm"], "ECC_256");
    assert_eq!(d["Domain"], "tags.example.com");
    assert_eq!(d["Status"], "pending");
    assert_eq!(
        d["Tags"],
        serde_json::json!([
            {"TagKey": "csrkit-attempt", "TagValue": "uuid-a"},
            {"TagKey": "env", "TagValue": "prod"}
        ])
    );

    // By tag: exactly the instance that carries it, every tag of it one row each.
    let r = c
        .call(
            "ListTagResources",
            &[
                ("RegionId", "cn-hangzhou"),
                ("ResourceType", "instance"),
                ("Tag.1.Key", "csrkit-attempt"),
                ("Tag.1.Value", "uuid-b"),
            ],
        )
        .await?;
    assert_eq!(r.status, 200, "{}", r.text());
    let rows = r.json()["TagResources"]["TagResource"].clone();
    assert_eq!(
        rows,
        serde_json::json!([{"ResourceId": format!("cas-ivauto-{b}"), "ResourceType": "instance",
                            "TagKey": "csrkit-attempt", "TagValue": "uuid-b"}])
    );
    // By resource id, paged one row at a time through NextToken.
    let mut token = String::new();
    let mut seen = Vec::new();
    for _ in 0..5 {
        let mut p = vec![
            ("RegionId", "cn-hangzhou"),
            ("ResourceId.1", instance.as_str()),
            ("MaxResults", "1"),
        ];
        if !token.is_empty() {
            p.push(("NextToken", token.as_str()));
        }
        let page = c.call("ListTagResources", &p).await?.json();
        for row in page["TagResources"]["TagResource"]
            .as_array()
            .ok_or("rows")?
        {
            seen.push(row["TagKey"].as_str().unwrap_or_default().to_owned());
        }
        token = page["NextToken"].as_str().unwrap_or_default().to_owned();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(seen, ["csrkit-attempt", "env"]);
    let none = c
        .call(
            "ListTagResources",
            &[
                ("RegionId", "cn-hangzhou"),
                ("Tag.1.Key", "csrkit-attempt"),
                ("Tag.1.Value", "nobody"),
            ],
        )
        .await?
        .json();
    assert_eq!(none["TagResources"]["TagResource"], serde_json::json!([]));
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn bad_input_gets_the_documented_errors() -> TestResult {
    let s = Sandbox::start(SandboxConfig::default()).await?;
    let c = Client::for_sandbox(&s);
    let cases: [Case<'_>; 8] = [
        ("GetInstanceDetail", vec![], 400, "MissingParameter"),
        (
            "GetInstanceDetail",
            vec![("InstanceId", "cas-ivauto-1")],
            400,
            "InvalidParameter",
        ),
        (
            "GetInstanceDetail",
            vec![("InstanceId", "i-123")],
            400,
            "InvalidParameter",
        ),
        (
            "ListTagResources",
            vec![("Tag.1.Key", "k")],
            400,
            "MissingParameter",
        ),
        (
            "ListTagResources",
            vec![("RegionId", "cn-hangzhou")],
            400,
            "InvalidParameter",
        ),
        (
            "ListTagResources",
            vec![
                ("RegionId", "cn-hangzhou"),
                ("ResourceType", "ORDER"),
                ("Tag.1.Key", "k"),
            ],
            400,
            "InvalidParameter",
        ),
        (
            "ListTagResources",
            vec![("RegionId", "cn-hangzhou"), ("Tag.21.Key", "k")],
            400,
            "InvalidParameter",
        ),
        (
            "ListTagResources",
            vec![
                ("RegionId", "cn-hangzhou"),
                ("Tag.1.Key", "k"),
                ("MaxResults", "0"),
            ],
            400,
            "InvalidParameter",
        ),
    ];
    for (action, params, status, code) in cases {
        let r = c.call(action, &params).await?;
        assert_eq!(
            (r.status, r.code().as_str()),
            (status, code),
            "{action} {params:?}: {}",
            r.text()
        );
        assert!(r.json()["Message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    s.shutdown().await;
    Ok(())
}
