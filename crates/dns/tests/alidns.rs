//! `alidns` against the sandbox's Alibaba Cloud DNS emulation (a separate
//! implementation: its own canonicaliser, its own wire types).

use csrkit_dns::{AlidnsPublisher, Category, Challenge, Error, Publisher, RecordType};
use csrkit_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use csrkit_submit::{Client, ClientOptions, Credentials, Endpoint, Idempotency, Operation};

use crate::contract::{DnsCounterpart, dns_contract};

async fn sandbox(zones: &[&str], configure: impl FnOnce(&mut SandboxConfig)) -> SandboxHandle {
    let mut config = SandboxConfig::default();
    config.zones = zones.iter().map(|z| z.parse().unwrap()).collect();
    configure(&mut config);
    Sandbox::start(config).await.unwrap()
}

fn creds(s: &SandboxHandle) -> Credentials {
    Credentials::new(
        s.credentials().access_key_id(),
        s.credentials().access_key_secret(),
        None,
    )
}

fn publisher(s: &SandboxHandle) -> AlidnsPublisher {
    AlidnsPublisher::new(creds(s), &s.endpoint()).unwrap()
}

/// Someone else's `AddDomainRecord`, sent by a client of its own.
struct AddDomainRecord<'a>(&'a str, &'a str, &'a str, &'a str);

impl Operation for AddDomainRecord<'_> {
    type Output = serde_json::Value;
    const ACTION: &'static str = "AddDomainRecord";
    const VERSION: &'static str = "2015-01-09";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, csrkit_submit::Error> {
        Ok(vec![
            ("DomainName".into(), self.0.into()),
            ("RR".into(), self.1.into()),
            ("Type".into(), self.2.into()),
            ("Value".into(), self.3.into()),
        ])
    }
}

struct Hosted<'a> {
    sandbox: &'a SandboxHandle,
    zone: &'a str,
}

impl Hosted<'_> {
    fn records(&self, name: &str, t: &str) -> Vec<(String, String)> {
        self.sandbox
            .dns_zones()
            .into_iter()
            .flat_map(|z| z.records)
            .filter(|r| r.fqdn == name && r.record_type == t)
            .map(|r| (r.record_id, r.value))
            .collect()
    }
}

impl DnsCounterpart for Hosted<'_> {
    fn values(&self, name: &str, t: RecordType) -> Vec<String> {
        self.records(name, t.as_str())
            .into_iter()
            .map(|(_, v)| v.trim_end_matches('.').to_string())
            .collect()
    }
    fn put(&self, name: &str, t: RecordType, value: &str) {
        let rr = name.strip_suffix(&format!(".{}", self.zone)).unwrap();
        let client = Client::new(
            creds(self.sandbox),
            ClientOptions {
                endpoint: Endpoint::parse(&self.sandbox.endpoint()).unwrap(),
                ..ClientOptions::default()
            },
        )
        .unwrap();
        let op = AddDomainRecord(self.zone, rr, t.as_str(), value);
        // The publisher's tests run on tokio; this one blocks on its own thread.
        std::thread::scope(|s| {
            s.spawn(|| {
                tokio::runtime::Runtime::new()
                    .unwrap()
                    .block_on(client.call(&op))
                    .unwrap();
            });
        });
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn contract_against_the_sandbox() {
    let s = sandbox(&["example.com"], |_| {}).await;
    dns_contract(
        &publisher(&s),
        &Hosted {
            sandbox: &s,
            zone: "example.com",
        },
        "example.com",
    )
    .await;
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_longest_hosted_zone_wins() {
    let s = sandbox(&["example.com", "b.example.com"], |_| {}).await;
    let c = Challenge::dns("a.b.example.com", "_dnsauth", "TXT", "v1").unwrap();
    let p = publisher(&s).present(&c).await.unwrap();
    assert_eq!(p.zone.as_deref(), Some("b.example.com"));
    let zones = s.dns_zones();
    let b = zones
        .iter()
        .find(|z| z.puny_code == "b.example.com")
        .unwrap();
    assert!(
        b.records
            .iter()
            .any(|r| r.rr == "_dnsauth.a" && r.value == "v1"),
        "{b:?}"
    );
    let parent = zones.iter().find(|z| z.puny_code == "example.com").unwrap();
    assert!(
        !parent.records.iter().any(|r| r.value == "v1"),
        "{parent:?}"
    );
    assert_eq!(p.ttl, Some(600));
    publisher(&s).cleanup(&p).await.unwrap();
    assert!(
        !s.dns_zones()
            .iter()
            .flat_map(|z| z.records.clone())
            .any(|r| r.value == "v1")
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_already_carrying_our_value_is_reused_and_removed() {
    let s = sandbox(&["example.com"], |_| {}).await;
    let hosted = Hosted {
        sandbox: &s,
        zone: "example.com",
    };
    hosted.put(
        "_dnsauth.example.com",
        RecordType::Txt,
        "auto-added-by-the-console",
    );
    let before = hosted.records("_dnsauth.example.com", "TXT");
    let c = Challenge::dns(
        "example.com",
        "_dnsauth",
        "TXT",
        "auto-added-by-the-console",
    )
    .unwrap();
    let p = publisher(&s).present(&c).await.unwrap();
    assert!(p.preexisting);
    assert_eq!(p.record_id.as_deref(), Some(before[0].0.as_str()));
    assert_eq!(hosted.records("_dnsauth.example.com", "TXT").len(), 1);
    publisher(&s).cleanup(&p).await.unwrap();
    assert!(hosted.records("_dnsauth.example.com", "TXT").is_empty());
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn forbidden_ram_names_the_action_to_grant_and_leaves_nothing() {
    let s = sandbox(&["example.com"], |c| {
        c.denied_actions = vec!["AddDomainRecord".into()]
    })
    .await;
    let c = Challenge::dns("example.com", "_dnsauth", "TXT", "v").unwrap();
    let e = publisher(&s).present(&c).await.unwrap_err();
    assert!(
        matches!(&e, Error::Permission { action, .. } if action == "AddDomainRecord"),
        "{e}"
    );
    assert_eq!(e.category(), Category::Refused);
    let msg = e.to_string();
    assert!(
        msg.contains("alidns:AddDomainRecord") && msg.contains("Forbidden.RAM"),
        "{msg}"
    );
    assert!(s.dns_zones()[0].records.iter().all(|r| r.value != "v"));
    s.shutdown().await;

    let s = sandbox(&["example.com"], |c| {
        c.denied_actions = vec!["DescribeDomains".into()]
    })
    .await;
    let e = publisher(&s).present(&c).await.unwrap_err();
    assert!(e.to_string().contains("alidns:DescribeDomains"), "{e}");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_domain_no_hosted_zone_contains_is_named_with_the_zones_there_are() {
    let s = sandbox(&["example.com"], |_| {}).await;
    let c = Challenge::dns("example.org", "_dnsauth", "TXT", "v").unwrap();
    let e = publisher(&s).present(&c).await.unwrap_err();
    assert!(matches!(e, Error::ZoneNotFound { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("_dnsauth.example.org") && msg.contains("example.com"),
        "{msg}"
    );
    // Not fooled by a suffix that is not on a label boundary.
    let c = Challenge::dns("notexample.com", "_dnsauth", "TXT", "v").unwrap();
    assert!(matches!(
        publisher(&s).present(&c).await.unwrap_err(),
        Error::ZoneNotFound { .. }
    ));
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_of_zones_is_read_and_idn_zones_match_by_a_label() {
    let mut zones: Vec<String> = (0..230).map(|i| format!("zone{i:03}.example")).collect();
    zones.push("bücher.example".into());
    let refs: Vec<&str> = zones.iter().map(String::as_str).collect();
    let s = sandbox(&refs, |_| {}).await;
    for domain in ["www.zone229.example", "bücher.example"] {
        let c = Challenge::dns(domain, "_dnsauth", "TXT", "v").unwrap();
        let p = publisher(&s).present(&c).await.unwrap();
        assert!(p.zone.is_some(), "{p:?}");
        publisher(&s).cleanup(&p).await.unwrap();
    }
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cleanup_without_a_journaled_id_removes_only_our_value() {
    let s = sandbox(&["example.com"], |_| {}).await;
    let hosted = Hosted {
        sandbox: &s,
        zone: "example.com",
    };
    hosted.put("_dnsauth.example.com", RecordType::Txt, "theirs");
    let c = Challenge::dns("example.com", "_dnsauth", "TXT", "ours").unwrap();
    let mut p = publisher(&s).present(&c).await.unwrap();
    // A run that stopped between adding the record and journaling its id.
    p.record_id = None;
    publisher(&s).cleanup(&p).await.unwrap();
    assert_eq!(
        hosted.values("_dnsauth.example.com", RecordType::Txt),
        ["theirs"]
    );
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_add_whose_answer_was_lost_is_found_not_duplicated() {
    // The sandbox adds the record, then drops the connection; the retry is
    // answered DomainRecordDuplicate, and the record is listed again for its id.
    let s = sandbox(&["example.com"], |c| {
        c.faults = vec!["AddDomainRecord=drop-after".parse().unwrap()]
    })
    .await;
    let hosted = Hosted {
        sandbox: &s,
        zone: "example.com",
    };
    let c = Challenge::dns("example.com", "_dnsauth", "TXT", "v").unwrap();
    let p = publisher(&s).present(&c).await.unwrap();
    let records = hosted.records("_dnsauth.example.com", "TXT");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(p.record_id.as_deref(), Some(records[0].0.as_str()));
    assert_eq!(s.stats().requests["AddDomainRecord"], 2);
    publisher(&s).cleanup(&p).await.unwrap();
    assert!(hosted.records("_dnsauth.example.com", "TXT").is_empty());
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_whose_answer_was_lost_is_success() {
    let s = sandbox(&["example.com"], |c| {
        c.faults = vec!["DeleteDomainRecord=drop-after".parse().unwrap()]
    })
    .await;
    let hosted = Hosted {
        sandbox: &s,
        zone: "example.com",
    };
    let c = Challenge::dns("example.com", "_dnsauth", "TXT", "v").unwrap();
    let p = publisher(&s).present(&c).await.unwrap();
    publisher(&s).cleanup(&p).await.unwrap();
    assert!(hosted.records("_dnsauth.example.com", "TXT").is_empty());
    // The retry found it gone, which is success.
    assert_eq!(s.stats().requests["DeleteDomainRecord"], 2);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn published_through_alidns_then_seen_on_the_sandboxs_own_dns() {
    let s = sandbox(&["example.com"], |c| {
        c.dns_listen = Some("127.0.0.1:0".parse().unwrap())
    })
    .await;
    let c = Challenge::dns("example.com", "_dnsauth", "TXT", "seen-over-dns").unwrap();
    let p = publisher(&s).present(&c).await.unwrap();
    let mut o = csrkit_dns::propagation::Options::with_timeout(std::time::Duration::from_secs(30));
    o.resolver = s.dns_addr();
    let mut seen = false;
    csrkit_dns::propagation::wait_for(&c, &o, &mut |e| {
        seen |= matches!(
            e,
            csrkit_dns::propagation::Event::Checked { seen: true, .. }
        );
    })
    .await
    .unwrap();
    assert!(seen);
    publisher(&s).cleanup(&p).await.unwrap();
    s.shutdown().await;
}
