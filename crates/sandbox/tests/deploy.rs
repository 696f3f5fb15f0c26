//! Deployment to cloud products: uploads (with `ClientToken` idempotence), resources, the
//! contact, jobs through their states to each resource's outcome; the per-action rate limit;
//! and the lifetime of issued certificates.
mod common;

use std::time::Duration;

use common::{Client, TestResult, control, create_params, ecc_csr};
use csrkit_sandbox::{Approval, Sandbox, SandboxConfig, SandboxHandle};

/// A self-signed certificate for `names` and its key, both PEM.
fn self_signed(names: &[&str]) -> (String, String) {
    let key = rcgen::KeyPair::generate().expect("key");
    let params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("params");
    let cert = params.self_signed(&key).expect("certificate");
    (cert.pem(), key.serialize_pem())
}

async fn sandbox(
    resources: &[&str],
    deploy_after: Duration,
) -> Result<SandboxHandle, Box<dyn std::error::Error>> {
    let mut cfg = SandboxConfig::default();
    cfg.resources = resources
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, _>>()?;
    cfg.deploy_after = deploy_after;
    Ok(Sandbox::start(cfg).await?)
}

/// Parameters, the `Code` expected and what its message must say.
type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);

fn id(v: &serde_json::Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no integer {field} in {v}"))
}

#[tokio::test]
async fn uploads_are_idempotent_by_client_token_and_listed_as_uploads() -> TestResult {
    let s = sandbox(&[], Duration::ZERO).await?;
    let c = Client::for_sandbox(&s);
    let (cert, key) = self_signed(&["up.example.com", "www.up.example.com"]);
    let params = [
        ("Name", "csrkit-up"),
        ("Cert", cert.as_str()),
        ("Key", key.as_str()),
        ("ClientToken", "token-1"),
    ];
    let first = c.call("UploadUserCertificate", &params).await?;
    assert_eq!(first.status, 200, "{}", first.text());
    let cert_id = id(&first.json(), "CertId");
    assert_eq!(
        first.json()["ResourceId"],
        format!("cas-upload-{cert_id}"),
        "{}",
        first.text()
    );
    // The same token again: the same answer, nothing new.
    let again = c.call("UploadUserCertificate", &params).await?;
    assert_eq!(id(&again.json(), "CertId"), cert_id, "{}", again.text());
    assert_eq!(s.stats().certificates_uploaded, 1);
    // The token with other parameters is refused.
    let (other, other_key) = self_signed(&["other.example.com"]);
    let r = c
        .call(
            "UploadUserCertificate",
            &[
                ("Name", "csrkit-up"),
                ("Cert", other.as_str()),
                ("Key", other_key.as_str()),
                ("ClientToken", "token-1"),
            ],
        )
        .await?;
    assert_eq!(
        (r.status, r.code()),
        (400, "IdempotentParameterMismatch".to_owned())
    );
    // Names are unique in the account; a key must belong to its certificate.
    let r = c
        .call(
            "UploadUserCertificate",
            &[("Name", "csrkit-up"), ("Cert", &other), ("Key", &other_key)],
        )
        .await?;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidParameter".to_owned()),
        "{}",
        r.text()
    );
    assert!(r.text().contains("Name"), "{}", r.text());
    let r = c
        .call(
            "UploadUserCertificate",
            &[("Name", "mismatch"), ("Cert", &other), ("Key", &key)],
        )
        .await?;
    assert_eq!(r.code(), "InvalidParameter", "{}", r.text());
    assert!(r.text().contains("not the private key"), "{}", r.text());
    for (missing, p) in [
        ("Name", vec![("Cert", cert.as_str()), ("Key", key.as_str())]),
        ("Key", vec![("Name", "n"), ("Cert", cert.as_str())]),
    ] {
        let r = c.call("UploadUserCertificate", &p).await?;
        assert_eq!(r.code(), "MissingParameter", "{}", r.text());
        assert!(r.text().contains(missing), "{}", r.text());
    }
    assert_eq!(s.stats().certificates_uploaded, 1);

    // Detail: the certificate, its key, its identity.
    let d = c
        .call(
            "GetUserCertificateDetail",
            &[("CertId", &cert_id.to_string())],
        )
        .await?
        .json();
    assert_eq!(d["Cert"], cert.as_str());
    assert_eq!(d["Key"], key.as_str());
    assert_eq!(d["Name"], "csrkit-up");
    assert_eq!(d["Sans"], "up.example.com,www.up.example.com");
    assert_eq!(d["CertIdentifier"], format!("{cert_id}-cn-hangzhou"));
    assert_eq!(d["BuyInAliyun"], false);
    let filtered = c
        .call(
            "GetUserCertificateDetail",
            &[("CertId", &cert_id.to_string()), ("CertFilter", "true")],
        )
        .await?
        .json();
    assert!(
        filtered.get("Cert").is_none() && filtered.get("Key").is_none(),
        "{filtered}"
    );
    assert_eq!(filtered["SerialNo"], d["SerialNo"]);
    let r = c
        .call("GetUserCertificateDetail", &[("CertId", "42")])
        .await?;
    assert_eq!(r.code(), "InvalidParameter", "{}", r.text());

    // Listed as an upload, and among the certificates.
    for order_type in ["UPLOAD", "CERT"] {
        let l = c
            .call("ListUserCertificateOrder", &[("OrderType", order_type)])
            .await?
            .json();
        assert_eq!(l["TotalCount"], 1, "{l}");
        let item = &l["CertificateOrderList"][0];
        assert_eq!(item["CertificateId"], cert_id, "{l}");
        assert_eq!(item["Upload"], true);
        assert_eq!(item["SerialNo"], d["SerialNo"]);
        assert_eq!(item["Fingerprint"], d["Fingerprint"]);
    }
    Ok(())
}

/// Starts a job and polls it until it ends, returning every status seen.
async fn run_job(c: &Client, job: u64) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let job = job.to_string();
    let r = c
        .call(
            "UpdateDeploymentJobStatus",
            &[("JobId", &job), ("Status", "pending")],
        )
        .await?;
    assert_eq!(r.status, 200, "{}", r.text());
    let mut seen: Vec<String> = Vec::new();
    loop {
        let d = c
            .call("DescribeDeploymentJob", &[("JobId", &job)])
            .await?
            .json();
        let st = d["Status"].as_str().unwrap_or_default().to_owned();
        if seen.last() != Some(&st) {
            seen.push(st.clone());
        }
        if st == "success" || st == "error" {
            return Ok(seen);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_job_puts_the_certificate_on_its_resources_and_reports_each_outcome() -> TestResult {
    let s = sandbox(
        &[
            "cdn:www.dep.example.com",
            "slb:dep.example.com",
            "oss:bad.dep.example.com:fail",
        ],
        Duration::from_millis(400),
    )
    .await?;
    let c = Client::for_sandbox(&s);
    let (cert, key) = self_signed(&["*.dep.example.com", "dep.example.com"]);
    let up = c
        .call(
            "UploadUserCertificate",
            &[("Name", "dep"), ("Cert", &cert), ("Key", &key)],
        )
        .await?
        .json();
    let cert_id = id(&up, "CertId");

    let list = c
        .call(
            "ListCloudResources",
            &[
                ("CloudName", "aliyun"),
                ("CloudProduct", "CDN"),
                ("Keyword", "www.dep"),
            ],
        )
        .await?
        .json();
    assert_eq!(list["Total"], 1, "{list}");
    let cdn = id(&list["Data"][0], "Id");
    assert_eq!(list["Data"][0]["Domain"], "www.dep.example.com");
    assert!(list["Data"][0].get("CertId").is_none(), "{list}");
    let all = c
        .call("ListCloudResources", &[("ShowSize", "2")])
        .await?
        .json();
    assert_eq!(
        (all["Total"].as_u64(), all["Data"].as_array().map(Vec::len)),
        (Some(3), Some(2))
    );
    let slb = c
        .call("ListCloudResources", &[("CloudProduct", "SLB")])
        .await?
        .json();
    let slb_id = id(&slb["Data"][0], "Id");
    assert!(slb["Data"][0]["InstanceId"].is_string(), "{slb}");
    let r = c
        .call("ListCloudResources", &[("CloudProduct", "cdn")])
        .await?;
    assert_eq!(
        r.code(),
        "InvalidParameter",
        "the service's spelling only: {}",
        r.text()
    );

    let contacts = c.call("ListContact", &[("ShowSize", "1")]).await?.json();
    let contact = id(&contacts["ContactList"][0], "ContactId");

    let ids = format!("{cdn},{slb_id}");
    let job = c
        .call(
            "CreateDeploymentJob",
            &[
                ("Name", "csrkit-dep"),
                ("JobType", "user"),
                ("CertIds", &cert_id.to_string()),
                ("ResourceIds", &ids),
                ("ContactIds", &contact.to_string()),
            ],
        )
        .await?
        .json();
    let job_id = id(&job, "JobId");
    let d = c
        .call("DescribeDeploymentJob", &[("JobId", &job_id.to_string())])
        .await?
        .json();
    assert_eq!(d["Status"], "editing", "a new job waits to be started: {d}");
    let seen = run_job(&c, job_id).await?;
    assert_eq!(seen.last().map(String::as_str), Some("success"), "{seen:?}");
    assert!(
        seen.iter()
            .any(|st| st == "scheduling" || st == "processing"),
        "the job runs for a while: {seen:?}"
    );
    let workers = c
        .call("ListWorkerResource", &[("JobId", &job_id.to_string())])
        .await?
        .json();
    assert_eq!(workers["Total"], 2, "{workers}");
    for w in workers["Data"].as_array().ok_or("no Data")? {
        assert_eq!(w["Status"], "success", "{w}");
        assert_eq!(w["CertId"], cert_id);
    }
    let served: Vec<(u64, Option<u64>)> = s.resources().iter().map(|r| (r.id, r.cert_id)).collect();
    assert!(served.contains(&(cdn, Some(cert_id))), "{served:?}");
    assert!(served.contains(&(slb_id, Some(cert_id))), "{served:?}");
    let bound = c
        .call(
            "ListCloudResources",
            &[("CertIds", &format!("[{cert_id}]"))],
        )
        .await?
        .json();
    assert_eq!(bound["Total"], 2, "{bound}");
    assert_eq!(bound["Data"][0]["CertId"], cert_id);
    // A finished job cannot be started again.
    let r = c
        .call(
            "UpdateDeploymentJobStatus",
            &[("JobId", &job_id.to_string()), ("Status", "pending")],
        )
        .await?;
    assert_eq!(r.code(), "InvalidParameter", "{}", r.text());

    // A resource that fails: the job ends in error, that worker in error, the other fine.
    let bad = s
        .resources()
        .iter()
        .find(|r| r.domain == "bad.dep.example.com")
        .map(|r| r.id)
        .ok_or("no bad resource")?;
    let job = c
        .call(
            "CreateDeploymentJob",
            &[
                ("Name", "csrkit-bad"),
                ("JobType", "user"),
                ("CertIds", &cert_id.to_string()),
                ("ResourceIds", &format!("{bad},{cdn}")),
                ("ContactIds", &contact.to_string()),
            ],
        )
        .await?
        .json();
    let bad_job = id(&job, "JobId");
    let seen = run_job(&c, bad_job).await?;
    assert_eq!(seen.last().map(String::as_str), Some("error"), "{seen:?}");
    let workers = c
        .call(
            "ListWorkerResource",
            &[("JobId", &bad_job.to_string()), ("Status", "error")],
        )
        .await?
        .json();
    assert_eq!(workers["Total"], 1, "{workers}");
    assert_eq!(workers["Data"][0]["ResourceId"], bad);
    assert_eq!(workers["Data"][0]["ResourceDomain"], "bad.dep.example.com");
    let jobs = c
        .call(
            "ListDeploymentJob",
            &[("CertId", &cert_id.to_string()), ("JobType", "user")],
        )
        .await?
        .json();
    let names: Vec<&str> = jobs["Data"]
        .as_array()
        .ok_or("no Data")?
        .iter()
        .filter_map(|j| j["Name"].as_str())
        .collect();
    assert_eq!(names, ["csrkit-bad", "csrkit-dep"], "newest first: {jobs}");
    assert_eq!(s.stats().deployment_jobs_created, 2);

    let resources = control(s.addr(), "GET", "/_sandbox/resources")
        .await?
        .json();
    assert_eq!(resources.as_array().map(Vec::len), Some(3), "{resources}");
    let shown = resources
        .as_array()
        .ok_or("not a list")?
        .iter()
        .find(|r| r["id"] == cdn)
        .ok_or("cdn resource missing")?;
    assert_eq!(shown["product"], "CDN");
    assert_eq!(shown["domain"], "www.dep.example.com");
    assert_eq!(shown["cert_id"], cert_id);
    Ok(())
}

#[tokio::test]
async fn job_parameters_are_checked() -> TestResult {
    let mut cfg = SandboxConfig::default();
    cfg.resources = vec!["cdn:chk.example.com".parse()?];
    cfg.approve = Approval::Auto;
    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);
    let resource = s.resources()[0].id.to_string();
    // An issued certificate ordered with our own CSR: the service has no key to deploy.
    let (csr, _key) = ecc_csr("chk.example.com", &["chk.example.com"]);
    let created = c
        .call(
            "CreateCertificateWithCsrRequest",
            &create_params(&csr, "digicert-free-1-free"),
        )
        .await?
        .json();
    let order = id(&created, "OrderId").to_string();
    let issued = c
        .call("DescribeCertificateState", &[("OrderId", &order)])
        .await?
        .json();
    let issued_cert = issued["CertId"].as_str().ok_or("no CertId")?.to_owned();
    let d = c
        .call("GetUserCertificateDetail", &[("CertId", &issued_cert)])
        .await?
        .json();
    assert!(d["Cert"].is_string() && d.get("Key").is_none(), "{d}");
    assert_eq!(d["OrderId"].as_u64().map(|o| o.to_string()), Some(order));
    let (cert, key) = self_signed(&["chk.example.com"]);
    let up = c
        .call(
            "UploadUserCertificate",
            &[("Name", "chk"), ("Cert", &cert), ("Key", &key)],
        )
        .await?
        .json();
    let uploaded = id(&up, "CertId").to_string();
    let cases: [Case<'_>; 7] = [
        (
            vec![
                ("JobType", "user"),
                ("CertIds", "1"),
                ("ResourceIds", &resource),
                ("ContactIds", "1000001"),
            ],
            "MissingParameter",
            "Name",
        ),
        (
            vec![
                ("Name", "n"),
                ("JobType", "cloud"),
                ("CertIds", "1"),
                ("ResourceIds", &resource),
                ("ContactIds", "1000001"),
            ],
            "InvalidParameter",
            "JobType",
        ),
        (
            vec![
                ("Name", "n"),
                ("JobType", "user"),
                ("CertIds", "7"),
                ("ResourceIds", &resource),
                ("ContactIds", "1000001"),
            ],
            "InvalidParameter",
            "CertId",
        ),
        (
            vec![
                ("Name", "n"),
                ("JobType", "user"),
                ("CertIds", &issued_cert),
                ("ResourceIds", &resource),
                ("ContactIds", "1000001"),
            ],
            "InvalidParameter",
            "no private key",
        ),
        (
            vec![
                ("Name", "n"),
                ("JobType", "user"),
                ("CertIds", &uploaded),
                ("ResourceIds", "99"),
                ("ContactIds", "1000001"),
            ],
            "InvalidParameter",
            "not a cloud resource",
        ),
        (
            vec![
                ("Name", "n"),
                ("JobType", "user"),
                ("CertIds", &uploaded),
                ("ResourceIds", &resource),
                ("ContactIds", "5"),
            ],
            "InvalidParameter",
            "not a contact",
        ),
        (
            vec![
                ("Name", "n"),
                ("JobType", "user"),
                ("CertIds", &issued_cert),
                ("ResourceIds", &resource),
            ],
            "MissingParameter",
            "ContactIds",
        ),
    ];
    for (params, code, says) in cases {
        let r = c.call("CreateDeploymentJob", &params).await?;
        assert_eq!(r.code(), code, "{params:?}: {}", r.text());
        assert!(r.text().contains(says), "{params:?}: {}", r.text());
    }
    let r = c.call("DescribeDeploymentJob", &[("JobId", "5")]).await?;
    assert_eq!(r.code(), "InvalidParameter", "{}", r.text());
    assert_eq!(s.stats().deployment_jobs_created, 0);
    Ok(())
}

#[tokio::test]
async fn the_rate_limit_counts_answers_per_action_for_every_credential() -> TestResult {
    const LIMIT: u32 = 3;
    let mut cfg = SandboxConfig::default();
    cfg.rate_limit = Some(LIMIT);
    cfg.sts = Some(csrkit_sandbox::Credentials::sts(
        "STS.other",
        "other-secret",
        "token",
    ));
    let s = Sandbox::start(cfg).await?;
    let main = Client::for_sandbox(&s);
    let mut other = Client::new(s.addr(), "STS.other", "other-secret");
    other.token = Some("token".to_owned());

    // Not above: LIMIT requests of one action always pass, however the seconds fall.
    for _ in 0..LIMIT {
        let r = main.call("ListContact", &[]).await?;
        assert_eq!(r.status, 200, "{}", r.text());
    }
    assert!(s.stats().throttled.is_empty(), "{:?}", s.stats().throttled);

    // Above: many requests of one action from two credentials. Whatever the clock did, no
    // second lets more than LIMIT through, and every refusal is the service's answer.
    let start = time::OffsetDateTime::now_utc().unix_timestamp();
    let (mut passed, mut refused) = (0u64, 0u64);
    for i in 0..60 {
        let c = if i % 2 == 0 { &main } else { &other };
        let r = c.call("DescribePackageState", &[]).await?;
        match r.status {
            200 => passed += 1,
            400 => {
                assert_eq!(r.code(), "Throttling.User", "{}", r.text());
                assert_eq!(
                    r.json()["Message"],
                    "Request was denied due to user flow control."
                );
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    let seconds = time::OffsetDateTime::now_utc().unix_timestamp() - start + 1;
    let bound = u64::from(LIMIT) * u64::try_from(seconds)?;
    assert!(
        passed <= bound,
        "{passed} passed in {seconds} s with a limit of {LIMIT}/s"
    );
    assert_eq!(passed + refused, 60);
    assert!(refused >= 60 - bound, "{refused} refused");
    let stats = s.stats();
    assert_eq!(stats.throttled.get("DescribePackageState"), Some(&refused));
    assert_eq!(
        stats.throttled.get("ListContact"),
        None,
        "each action has its own count"
    );
    Ok(())
}

#[tokio::test]
async fn certificates_live_as_long_as_configured() -> TestResult {
    use x509_parser::prelude::{FromDer as _, X509Certificate};
    let mut cfg = SandboxConfig::default();
    cfg.cert_lifetime = Duration::from_secs(60);
    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);
    let (csr, _key) = ecc_csr("short.example.com", &["short.example.com"]);
    let created = c
        .call(
            "CreateCertificateWithCsrRequest",
            &create_params(&csr, "digicert-free-1-free"),
        )
        .await?
        .json();
    let order = id(&created, "OrderId").to_string();
    let issued = c
        .call("DescribeCertificateState", &[("OrderId", &order)])
        .await?
        .json();
    let pem = issued["Certificate"].as_str().ok_or("no Certificate")?;
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())?;
    let (_, leaf) = X509Certificate::from_der(&block.contents)?;
    let v = leaf.validity();
    assert_eq!(v.not_after.timestamp() - v.not_before.timestamp(), 60);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        v.not_before.timestamp() <= now && now < v.not_after.timestamp(),
        "valid now"
    );
    // The API says what the certificate says.
    let list = c
        .call(
            "ListUserCertificateOrder",
            &[("Keyword", "short.example.com")],
        )
        .await?
        .json();
    let item = &list["CertificateOrderList"][0];
    assert_eq!(
        item["CertStartTime"].as_i64(),
        Some(v.not_before.timestamp() * 1000)
    );
    assert_eq!(
        item["CertEndTime"].as_i64(),
        Some(v.not_after.timestamp() * 1000)
    );
    // Out of range is refused at start.
    let mut cfg = SandboxConfig::default();
    cfg.cert_lifetime = Duration::ZERO;
    let e = Sandbox::start(cfg)
        .await
        .expect_err("zero lifetime")
        .to_string();
    assert!(e.contains("--cert-lifetime"), "{e}");
    Ok(())
}
