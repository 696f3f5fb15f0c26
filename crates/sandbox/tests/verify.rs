//! `--approve verify`: an order stays in `domain_verify` until the sandbox sees what it asked
//! for, over real sockets: a TXT or CNAME in its own zones (published through its Alidns), the
//! same through `--resolver` pointing at a second sandbox's DNS server, and the FILE through
//! `--http-via` from a real HTTP server on loopback.

mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::{ALIDNS, Client, TestResult, add_record, control, create, ecc_csr};
use csrkit_sandbox::{Approval, RecordType, Sandbox, SandboxConfig, SandboxHandle};
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use serde_json::Value;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn verifying(zones: &[&str]) -> SandboxConfig {
    let mut c = SandboxConfig::default();
    c.approve = Approval::Verify;
    c.zones = zones.iter().map(|z| z.parse().expect("zone")).collect();
    c
}

async fn describe(c: &Client, id: u64) -> Res<Value> {
    let r = c
        .call("DescribeCertificateState", &[("OrderId", &id.to_string())])
        .await?;
    if r.status != 200 {
        return Err(format!("describe: {}", r.text()).into());
    }
    Ok(r.json())
}

async fn order(c: &Client, domain: &str, validate: &str) -> Res<u64> {
    let (csr, _key) = ecc_csr(domain, &[domain]);
    create(c, &csr, validate).await
}

async fn alidns_call(s: &SandboxHandle, action: &str, p: &[(&str, &str)]) -> Res<Value> {
    let r = Client::for_sandbox(s)
        .with_version(ALIDNS)
        .call(action, p)
        .await?;
    if r.status != 200 {
        return Err(format!("{action}: {}", r.text()).into());
    }
    Ok(r.json())
}

async fn publish(s: &SandboxHandle, zone: &str, rr: &str, kind: &str, value: &str) -> Res<String> {
    add_record(&Client::for_sandbox(s), zone, rr, kind, value).await
}

/// The last check of an order, from `/_sandbox/verifications`.
async fn last_check(s: &SandboxHandle, id: u64) -> Res<Value> {
    let all = control(s.addr(), "GET", "/_sandbox/verifications")
        .await?
        .json();
    Ok(all[id.to_string()].clone())
}

#[tokio::test]
async fn txt_in_its_own_zones_advances_the_order_only_when_right() -> TestResult {
    let s = Sandbox::start(verifying(&["example.com"])).await?;
    let c = Client::for_sandbox(&s);
    let id = order(&c, "www.example.com", "DNS").await?;
    let d = describe(&c, id).await?;
    assert_eq!(d["Type"], "domain_verify");
    assert_eq!(
        (d["RecordType"].as_str(), d["RecordDomain"].as_str()),
        (Some("TXT"), Some("_dnsauth"))
    );
    let token = d["RecordValue"].as_str().ok_or("RecordValue")?.to_owned();

    // nothing published: it stays, and says why
    assert_eq!(describe(&c, id).await?["Type"], "domain_verify");
    let why = last_check(&s, id).await?;
    assert_eq!(why["verified"], false);
    let detail = why["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("_dnsauth.www.example.com") && detail.contains("NXDOMAIN"),
        "{detail}"
    );

    // at the wrong name, or with the wrong value: it stays
    publish(&s, "example.com", "_dnsauth", "TXT", &token).await?;
    publish(&s, "example.com", "_dnsauth.www", "TXT", "not-the-token").await?;
    assert_eq!(describe(&c, id).await?["Type"], "domain_verify");
    let detail = last_check(&s, id).await?["detail"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(detail.contains("not-the-token"), "{detail}");

    // the right value beside the wrong one: issued on that describe
    publish(&s, "example.com", "_dnsauth.www", "TXT", &token).await?;
    let d = describe(&c, id).await?;
    assert_eq!(d["Type"], "certificate", "{d}");
    assert!(
        d["Certificate"]
            .as_str()
            .is_some_and(|pem| pem.contains("BEGIN CERTIFICATE"))
    );
    assert_eq!(last_check(&s, id).await?["verified"], true);
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn cname_is_asked_for_and_only_a_cname_to_its_target_passes() -> TestResult {
    let mut cfg = verifying(&["example.com"]);
    cfg.record_type = RecordType::Cname;
    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);
    let id = order(&c, "example.com", "DNS").await?;
    let d = describe(&c, id).await?;
    assert_eq!(d["RecordType"], "CNAME");
    let target = d["RecordValue"].as_str().ok_or("RecordValue")?.to_owned();
    assert!(target.ends_with(".dcv.sandbox.invalid"), "{target}");

    // a TXT holding the target is not a CNAME
    let txt = publish(&s, "example.com", "_dnsauth", "TXT", &target).await?;
    assert_eq!(describe(&c, id).await?["Type"], "domain_verify");
    alidns_call(&s, "DeleteDomainRecord", &[("RecordId", &txt)]).await?;
    // a CNAME elsewhere
    let wrong = publish(
        &s,
        "example.com",
        "_dnsauth",
        "CNAME",
        "elsewhere.example.net",
    )
    .await?;
    assert_eq!(describe(&c, id).await?["Type"], "domain_verify");
    let detail = last_check(&s, id).await?["detail"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(detail.contains("elsewhere.example.net"), "{detail}");
    // pointed right (an update, as a client fixing it would)
    alidns_call(
        &s,
        "UpdateDomainRecord",
        &[
            ("RecordId", &wrong),
            ("RR", "_dnsauth"),
            ("Type", "CNAME"),
            ("Value", &target),
        ],
    )
    .await?;
    assert_eq!(describe(&c, id).await?["Type"], "certificate");
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn through_a_resolver_another_sandboxs_dns_server() -> TestResult {
    // B hosts the zone and serves it over DNS; A verifies by asking B.
    let mut b_cfg = SandboxConfig::default();
    b_cfg.zones = vec!["example.com".parse()?];
    b_cfg.dns_listen = Some("127.0.0.1:0".parse()?);
    let b = Sandbox::start(b_cfg).await?;
    let mut a_cfg = verifying(&[]);
    a_cfg.resolver = b.dns_addr();
    let a = Sandbox::start(a_cfg).await?;
    let c = Client::for_sandbox(&a);
    let id = order(&c, "example.com", "DNS").await?;
    let token = describe(&c, id).await?["RecordValue"]
        .as_str()
        .ok_or("value")?
        .to_owned();

    assert_eq!(describe(&c, id).await?["Type"], "domain_verify");
    let detail = last_check(&a, id).await?["detail"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        detail.contains(&b.dns_addr().ok_or("addr")?.to_string()),
        "{detail}"
    );
    // another value at B: it stays
    publish(&b, "example.com", "_dnsauth", "TXT", "stale").await?;
    assert_eq!(describe(&c, id).await?["Type"], "domain_verify");
    publish(&b, "example.com", "_dnsauth", "TXT", &token).await?;
    assert_eq!(describe(&c, id).await?["Type"], "certificate");
    a.shutdown().await;
    b.shutdown().await;

    // a resolver that never answers: the order stays, the check gives up in time
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
    let mut cfg = verifying(&[]);
    cfg.resolver = Some(silent.local_addr()?);
    cfg.verify_timeout = std::time::Duration::from_millis(300);
    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);
    let id = order(&c, "example.com", "DNS").await?;
    assert_eq!(describe(&c, id).await?["Type"], "domain_verify");
    assert_eq!(last_check(&s, id).await?["verified"], false);
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn no_zone_and_no_resolver_says_so_and_the_fail_endpoint_still_works() -> TestResult {
    let s = Sandbox::start(verifying(&["example.org"])).await?;
    let c = Client::for_sandbox(&s);
    let id = order(&c, "example.com", "DNS").await?;
    assert_eq!(describe(&c, id).await?["Type"], "domain_verify");
    let detail = last_check(&s, id).await?["detail"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        detail.contains("--zone") && detail.contains("--resolver"),
        "{detail}"
    );
    let r = control(s.addr(), "POST", &format!("/_sandbox/orders/{id}/fail")).await?;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(describe(&c, id).await?["Type"], "verify_fail");
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn verified_orders_wait_issue_after_in_process() -> TestResult {
    let mut cfg = verifying(&["example.com"]);
    cfg.issue_after = std::time::Duration::from_secs(3600);
    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);
    let id = order(&c, "example.com", "DNS").await?;
    let token = describe(&c, id).await?["RecordValue"]
        .as_str()
        .ok_or("value")?
        .to_owned();
    publish(&s, "example.com", "_dnsauth", "TXT", &token).await?;
    assert_eq!(describe(&c, id).await?["Type"], "process");
    assert_eq!(
        describe(&c, id).await?["Type"],
        "process",
        "an hour is not up"
    );
    let r = control(s.addr(), "POST", &format!("/_sandbox/orders/{id}/approve")).await?;
    assert_eq!(r.status, 200);
    assert_eq!(describe(&c, id).await?["Type"], "certificate");
    s.shutdown().await;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// FILE validation against a real HTTP server.

/// A page: status, Location, body.
type Page = (u16, Option<String>, String);

/// What the test web server answers, per (Host, path).
#[derive(Clone, Default)]
struct Site {
    pages: Arc<Mutex<HashMap<(String, String), Page>>>,
    hosts: Arc<Mutex<Vec<String>>>,
}

impl Site {
    fn page(&self, host: &str, path: &str, status: u16, location: Option<&str>, body: &str) {
        self.pages.lock().expect("lock").insert(
            (host.to_owned(), path.to_owned()),
            (status, location.map(str::to_owned), body.to_owned()),
        );
    }
}

async fn serve(site: Site) -> Res<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let site = site.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let site = site.clone();
                        async move {
                            let host = req
                                .headers()
                                .get(hyper::header::HOST)
                                .and_then(|h| h.to_str().ok())
                                .unwrap_or("")
                                .to_owned();
                            site.hosts.lock().expect("lock").push(host.clone());
                            let page = site
                                .pages
                                .lock()
                                .expect("lock")
                                .get(&(host, req.uri().path().to_owned()))
                                .cloned()
                                .unwrap_or((404, None, "not found".to_owned()));
                            let mut resp = hyper::Response::new(Full::new(Bytes::from(page.2)));
                            *resp.status_mut() =
                                hyper::StatusCode::from_u16(page.0).expect("status");
                            if let Some(l) = page.1 {
                                resp.headers_mut().insert(
                                    hyper::header::LOCATION,
                                    hyper::header::HeaderValue::from_str(&l).expect("location"),
                                );
                            }
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Ok(addr)
}

const FILE: &str = "/.well-known/pki-validation/fileauth.txt";

#[tokio::test]
async fn file_is_fetched_through_http_via_with_the_domain_as_host() -> TestResult {
    let site = Site::default();
    let web = serve(site.clone()).await?;
    let mut cfg = verifying(&[]);
    cfg.http_via = Some(web);
    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);
    let id = order(&c, "example.com", "FILE").await?;
    let d = describe(&c, id).await?;
    assert_eq!(
        (d["ValidateType"].as_str(), d["Uri"].as_str()),
        (Some("FILE"), Some(FILE))
    );
    let content = d["Content"].as_str().ok_or("Content")?.to_owned();

    // not there (404): stays
    assert_eq!(describe(&c, id).await?["Type"], "domain_verify");
    let detail = last_check(&s, id).await?["detail"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(detail.contains("404"), "{detail}");
    assert!(
        site.hosts
            .lock()
            .expect("lock")
            .iter()
            .all(|h| h == "example.com")
    );
    // wrong content: stays
    site.page("example.com", FILE, 200, None, "someone-else's-token");
    assert_eq!(describe(&c, id).await?["Type"], "domain_verify");
    let detail = last_check(&s, id).await?["detail"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(detail.contains("not the one asked for"), "{detail}");
    // served for another host only: stays
    site.page("www.example.com", FILE, 200, None, &content);
    assert_eq!(describe(&c, id).await?["Type"], "domain_verify");
    // the content, with the newline an editor adds: issued
    site.page("example.com", FILE, 200, None, &format!("{content}\n"));
    assert_eq!(describe(&c, id).await?["Type"], "certificate");
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn file_follows_one_redirect_and_no_more() -> TestResult {
    let site = Site::default();
    let web = serve(site.clone()).await?;
    let mut cfg = verifying(&[]);
    cfg.http_via = Some(web);
    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);

    let one = order(&c, "one.example.com", "FILE").await?;
    let content = describe(&c, one).await?["Content"]
        .as_str()
        .ok_or("Content")?
        .to_owned();
    site.page(
        "one.example.com",
        FILE,
        301,
        Some(&format!("http://www.one.example.com{FILE}")),
        "",
    );
    site.page("www.one.example.com", FILE, 200, None, &content);
    assert_eq!(describe(&c, one).await?["Type"], "certificate");

    let two = order(&c, "two.example.com", "FILE").await?;
    let content = describe(&c, two).await?["Content"]
        .as_str()
        .ok_or("Content")?
        .to_owned();
    site.page("two.example.com", FILE, 302, Some("/first"), "");
    site.page("two.example.com", "/first", 302, Some("/second"), "");
    site.page("two.example.com", "/second", 200, None, &content);
    assert_eq!(describe(&c, two).await?["Type"], "domain_verify");
    let detail = last_check(&s, two).await?["detail"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(detail.contains("second redirect"), "{detail}");

    // a redirect to https is not followed
    let tls = order(&c, "tls.example.com", "FILE").await?;
    site.page(
        "tls.example.com",
        FILE,
        301,
        Some(&format!("https://tls.example.com{FILE}")),
        "",
    );
    assert_eq!(describe(&c, tls).await?["Type"], "domain_verify");
    s.shutdown().await;
    Ok(())
}
