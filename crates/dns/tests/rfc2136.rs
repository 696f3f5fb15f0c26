//! `rfc2136` against a real BIND 9 `named` (Debian's `bind9`).

use std::net::{IpAddr, Ipv4Addr};

use csrkit_dns::{Category, Challenge, Error, Publisher, RecordType, Rfc2136Publisher, TsigKey};
use csrkit_testsupport::{Named, Zone};

use crate::contract::{DnsCounterpart, dns_contract};

const LO: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

struct Bind<'a>(&'a Named);

impl DnsCounterpart for Bind<'_> {
    fn values(&self, name: &str, t: RecordType) -> Vec<String> {
        match t {
            RecordType::Txt => self.0.txt(LO, name),
            _ => self.0.cname(LO, name).into_iter().collect(),
        }
    }
    fn put(&self, name: &str, t: RecordType, value: &str) {
        let data = match t {
            RecordType::Txt => format!("\"{value}\""),
            _ => format!("{value}."),
        };
        self.0
            .nsupdate(LO, &format!("update add {name} 60 {t} {data}"));
    }
}

fn publisher(named: &Named) -> Rfc2136Publisher {
    Rfc2136Publisher::new(
        &named.server(),
        TsigKey::from_file(named.key_file()).unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn contract_against_bind() {
    let named = Named::config()
        .zone(Zone::primary("example.test").updatable())
        .start();
    dns_contract(&publisher(&named), &Bind(&named), "example.test").await;
}

#[tokio::test]
async fn every_tsig_algorithm_signs_updates_bind_accepts() {
    for alg in ["hmac-sha256", "hmac-sha384", "hmac-sha512"] {
        let named = Named::config()
            .algorithm(alg)
            .zone(Zone::primary("example.test").updatable())
            .start();
        let c = Challenge::dns("example.test", "_dnsauth", "TXT", alg).unwrap();
        let p = publisher(&named).present(&c).await.unwrap();
        assert_eq!(named.txt(LO, "_dnsauth.example.test"), [alg], "{alg}");
        publisher(&named).cleanup(&p).await.unwrap();
        assert!(named.txt(LO, "_dnsauth.example.test").is_empty(), "{alg}");
    }
}

#[tokio::test]
async fn the_zone_is_the_one_the_server_is_authoritative_for() {
    // Both example.test and b.example.test are zones on the server.
    let named = Named::config()
        .zone(Zone::primary("example.test").updatable())
        .zone(Zone::primary("b.example.test").updatable())
        .start();
    let c = Challenge::dns("a.b.example.test", "_dnsauth", "TXT", "v").unwrap();
    let p = publisher(&named).present(&c).await.unwrap();
    assert_eq!(p.zone.as_deref(), Some("b.example.test"));
    assert_eq!(named.txt(LO, "_dnsauth.a.b.example.test"), ["v"]);
    publisher(&named).cleanup(&p).await.unwrap();
    assert!(named.txt(LO, "_dnsauth.a.b.example.test").is_empty());
}

#[tokio::test]
async fn a_zone_the_server_does_not_serve_is_named() {
    let named = Named::config()
        .zone(Zone::primary("example.test").updatable())
        .start();
    let c = Challenge::dns("example.org", "_dnsauth", "TXT", "v").unwrap();
    let e = publisher(&named).present(&c).await.unwrap_err();
    assert!(matches!(e, Error::ZoneNotFound { .. }), "{e}");
    assert!(e.to_string().contains("_dnsauth.example.org"), "{e}");
    assert!(e.to_string().contains("--dns-server"), "{e}");
}

#[tokio::test]
async fn a_key_the_server_does_not_know_is_refused_and_said_so() {
    let named = Named::config()
        .zone(Zone::primary("example.test").updatable())
        .start();
    let other = Named::config().zone(Zone::primary("x.test")).start();
    // Same name, different secret.
    let wrong = Rfc2136Publisher::new(
        &named.server(),
        TsigKey::from_file(other.key_file()).unwrap(),
    )
    .unwrap();
    let c = Challenge::dns("example.test", "_dnsauth", "TXT", "v").unwrap();
    let e = wrong.present(&c).await.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("csrkit-test-key"), "{msg}");
    assert!(msg.contains("secret"), "{msg}");
    assert_eq!(e.category(), Category::Refused, "{msg}");
    assert!(named.txt(LO, "_dnsauth.example.test").is_empty());
}

#[tokio::test]
async fn a_zone_without_an_update_policy_is_refused_with_the_policy_to_add() {
    let named = Named::config().zone(Zone::primary("example.test")).start();
    let c = Challenge::dns("example.test", "_dnsauth", "TXT", "v").unwrap();
    let e = publisher(&named).present(&c).await.unwrap_err();
    assert_eq!(e.category(), Category::Refused, "{e}");
    let msg = e.to_string();
    assert!(msg.contains("REFUSED") || msg.contains("Refused"), "{msg}");
    assert!(
        msg.contains("update-policy { grant csrkit-test-key zonesub TXT;"),
        "{msg}"
    );
}

#[tokio::test]
async fn a_server_that_does_not_answer_is_unavailable_not_refused() {
    // Nothing listens on this port.
    let port = csrkit_testsupport::free_port(&[LO]);
    let named = Named::config().zone(Zone::primary("example.test")).start();
    let p = Rfc2136Publisher::new(
        &format!("127.0.0.1:{port}"),
        TsigKey::from_file(named.key_file()).unwrap(),
    )
    .unwrap()
    .with_timeout(std::time::Duration::from_millis(500));
    let c = Challenge::dns("example.test", "_dnsauth", "TXT", "v").unwrap();
    let e = p.present(&c).await.unwrap_err();
    assert_eq!(e.category(), Category::Unavailable, "{e}");
}
