//! The hosted zones over real DNS (UDP and TCP on loopback), asked with hickory's client: records
//! published through Alidns appear at once and go when deleted; NXDOMAIN, NODATA, REFUSED, the AA
//! flag, SOA/NS at the apex, CNAMEs, wildcards, long and many TXT values, truncation.

mod common;

use std::net::SocketAddr;

use common::{ALIDNS, Client, TestResult};
use csrkit_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use hickory_net::client::{Client as DnsClient, ClientHandle};
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::tcp::TcpClientStream;
use hickory_net::udp::UdpClientStream;
use hickory_proto::op::{DnsResponse, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[derive(Clone, Copy, Debug)]
enum Via {
    Udp,
    Tcp,
    /// UDP without EDNS: answers are limited to 512 bytes.
    UdpPlain,
}

const BOTH: [Via; 2] = [Via::Udp, Via::Tcp];

async fn ask(server: SocketAddr, name: &str, qtype: RecordType, via: Via) -> Res<DnsResponse> {
    let provider = TokioRuntimeProvider::default();
    let name = Name::from_ascii(name)?;
    let (mut client, bg) = match via {
        Via::Udp | Via::UdpPlain => {
            let stream = UdpClientStream::builder(server, provider).build();
            let (client, bg) = DnsClient::<TokioRuntimeProvider>::from_sender(stream);
            (client, tokio::spawn(bg))
        }
        Via::Tcp => {
            let (stream, sender) = TcpClientStream::new(server, None, None, provider);
            let (client, bg) = DnsClient::<TokioRuntimeProvider>::new(stream.await?, sender);
            (client, tokio::spawn(bg))
        }
    };
    if matches!(via, Via::UdpPlain) {
        client.disable_edns();
    }
    let r = client.query(name, DNSClass::IN, qtype).await;
    bg.abort();
    Ok(r?)
}

async fn start(zones: &[&str]) -> Res<(SandboxHandle, Client, SocketAddr)> {
    let mut c = SandboxConfig::default();
    c.zones = zones.iter().map(|z| z.parse()).collect::<Result<_, _>>()?;
    c.dns_listen = Some("127.0.0.1:0".parse()?);
    let s = Sandbox::start(c).await?;
    let api = Client::for_sandbox(&s).with_version(ALIDNS);
    let dns = s.dns_addr().ok_or("a DNS address")?;
    Ok((s, api, dns))
}

async fn add(c: &Client, zone: &str, rr: &str, kind: &str, value: &str) -> Res<String> {
    let r = c
        .call(
            "AddDomainRecord",
            &[
                ("DomainName", zone),
                ("RR", rr),
                ("Type", kind),
                ("Value", value),
            ],
        )
        .await?;
    if r.status != 200 {
        return Err(format!("add {rr} {kind} {value}: {}", r.text()).into());
    }
    Ok(r.json()["RecordId"].as_str().unwrap_or_default().to_owned())
}

async fn delete(c: &Client, id: &str) -> Res<()> {
    let r = c.call("DeleteDomainRecord", &[("RecordId", id)]).await?;
    if r.status != 200 {
        return Err(format!("delete {id}: {}", r.text()).into());
    }
    Ok(())
}

/// The TXT values of the answer (strings of one record joined), sorted.
fn txt(r: &DnsResponse) -> Vec<String> {
    let mut v: Vec<String> = r
        .answers
        .iter()
        .filter_map(|a| match &a.data {
            RData::TXT(t) => Some(
                t.txt_data
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect::<String>(),
            ),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

fn soa_in_authority(r: &DnsResponse) -> Option<(String, u32)> {
    r.authorities.iter().find_map(|a| match &a.data {
        RData::SOA(soa) => Some((a.name.to_ascii(), soa.serial)),
        _ => None,
    })
}

#[tokio::test]
async fn records_published_through_alidns_answer_over_udp_and_tcp_until_deleted() -> TestResult {
    let (s, api, dns) = start(&["example.com"]).await?;
    for via in BOTH {
        let r = ask(dns, "_dnsauth.example.com.", RecordType::TXT, via).await?;
        assert_eq!(r.metadata.response_code, ResponseCode::NXDomain, "{via:?}");
        assert!(r.metadata.authoritative, "{via:?}: AA");
        assert_eq!(
            soa_in_authority(&r).map(|s| s.0),
            Some("example.com.".to_owned()),
            "{via:?}: the SOA says whose NXDOMAIN it is"
        );
    }
    let first = add(&api, "example.com", "_dnsauth", "TXT", "token-one").await?;
    let second = add(&api, "example.com", "_dnsauth", "TXT", "token-two").await?;
    for via in BOTH {
        let r = ask(dns, "_dnsauth.example.com.", RecordType::TXT, via).await?;
        assert_eq!(r.metadata.response_code, ResponseCode::NoError);
        assert!(r.metadata.authoritative);
        assert_eq!(txt(&r), ["token-one", "token-two"], "{via:?}");
        assert!(r.answers.iter().all(|a| a.ttl == 600));
        // names are case-insensitive; the question's case comes back
        let r = ask(dns, "_DNSAUTH.Example.COM.", RecordType::TXT, via).await?;
        assert_eq!(txt(&r), ["token-one", "token-two"], "{via:?}");
        assert_eq!(r.answers[0].name.to_ascii(), "_DNSAUTH.Example.COM.");
    }
    delete(&api, &first).await?;
    for via in BOTH {
        let r = ask(dns, "_dnsauth.example.com.", RecordType::TXT, via).await?;
        assert_eq!(txt(&r), ["token-two"], "{via:?}");
    }
    delete(&api, &second).await?;
    for via in BOTH {
        let r = ask(dns, "_dnsauth.example.com.", RecordType::TXT, via).await?;
        assert_eq!(r.metadata.response_code, ResponseCode::NXDomain, "{via:?}");
        assert!(r.answers.is_empty());
    }
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn nodata_nxdomain_apex_and_names_of_no_hosted_zone() -> TestResult {
    let (s, api, dns) = start(&["example.com", "b.example.com"]).await?;
    add(&api, "example.com", "www", "A", "192.0.2.80").await?;
    add(&api, "example.com", "www", "AAAA", "2001:db8::80").await?;
    add(&api, "example.com", "_dnsauth.deep.er", "TXT", "v").await?;
    for via in BOTH {
        // a name with records of other types: NODATA (NOERROR, no answer, the SOA), AA
        let r = ask(dns, "www.example.com.", RecordType::TXT, via).await?;
        assert_eq!(r.metadata.response_code, ResponseCode::NoError, "{via:?}");
        assert!(r.answers.is_empty() && r.metadata.authoritative);
        assert!(soa_in_authority(&r).is_some());
        let r = ask(dns, "www.example.com.", RecordType::A, via).await?;
        assert!(matches!(r.answers[0].data, RData::A(a) if a.0.to_string() == "192.0.2.80"));
        let r = ask(dns, "www.example.com.", RecordType::AAAA, via).await?;
        assert!(matches!(r.answers[0].data, RData::AAAA(a) if a.0.to_string() == "2001:db8::80"));
        // an empty non-terminal exists (NODATA); a sibling does not (NXDOMAIN)
        for (name, code) in [
            ("deep.er.example.com.", ResponseCode::NoError),
            ("er.example.com.", ResponseCode::NoError),
            ("other.er.example.com.", ResponseCode::NXDomain),
            ("nothing.example.com.", ResponseCode::NXDomain),
        ] {
            let r = ask(dns, name, RecordType::A, via).await?;
            assert_eq!(r.metadata.response_code, code, "{via:?} {name}");
            assert!(r.answers.is_empty() && r.metadata.authoritative);
        }
        // the apex: SOA and two NS
        let r = ask(dns, "example.com.", RecordType::SOA, via).await?;
        assert!(
            matches!(&r.answers[0].data, RData::SOA(s) if s.mname.to_ascii() == "ns1.sandbox.invalid.")
        );
        let r = ask(dns, "example.com.", RecordType::NS, via).await?;
        assert_eq!(r.answers.len(), 2);
        // the longest hosted zone answers for a name in a hosted subdomain
        let r = ask(dns, "x.b.example.com.", RecordType::A, via).await?;
        assert_eq!(
            soa_in_authority(&r).map(|s| s.0),
            Some("b.example.com.".to_owned())
        );
        // a name in no hosted zone: REFUSED, not authoritative
        let r = ask(dns, "www.example.org.", RecordType::A, via).await?;
        assert_eq!(r.metadata.response_code, ResponseCode::Refused, "{via:?}");
        assert!(!r.metadata.authoritative);
    }
    // the SOA serial moves with every change
    let before = ask(dns, "example.com.", RecordType::SOA, Via::Udp).await?;
    add(&api, "example.com", "new", "TXT", "v").await?;
    let after = ask(dns, "example.com.", RecordType::SOA, Via::Udp).await?;
    let serial = |r: &DnsResponse| match &r.answers[0].data {
        RData::SOA(s) => s.serial,
        _ => 0,
    };
    assert_eq!(serial(&after), serial(&before) + 1);
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn cnames_are_followed_in_the_hosted_zones_and_wildcards_answer() -> TestResult {
    let (s, api, dns) = start(&["example.com", "example.net"]).await?;
    add(
        &api,
        "example.com",
        "_dnsauth",
        "CNAME",
        "_dnsauth.example.net",
    )
    .await?;
    add(&api, "example.net", "_dnsauth", "TXT", "delegated").await?;
    add(&api, "example.com", "out", "CNAME", "target.example.org").await?;
    add(&api, "example.com", "gone", "CNAME", "missing.example.net").await?;
    add(&api, "example.com", "*", "TXT", "wild").await?;
    add(&api, "example.com", "www", "A", "192.0.2.1").await?;
    for via in BOTH {
        // TXT at a CNAME: the CNAME, then the target's TXT (in another hosted zone)
        let r = ask(dns, "_dnsauth.example.com.", RecordType::TXT, via).await?;
        assert_eq!(r.metadata.response_code, ResponseCode::NoError);
        assert!(
            matches!(&r.answers[0].data, RData::CNAME(c) if c.0.to_ascii() == "_dnsauth.example.net.")
        );
        assert_eq!(txt(&r), ["delegated"]);
        // asked for the CNAME itself: just it
        let r = ask(dns, "_dnsauth.example.com.", RecordType::CNAME, via).await?;
        assert_eq!(r.answers.len(), 1);
        // a CNAME out of the hosted zones: NOERROR with the CNAME alone
        let r = ask(dns, "out.example.com.", RecordType::TXT, via).await?;
        assert_eq!(
            (r.metadata.response_code, r.answers.len()),
            (ResponseCode::NoError, 1)
        );
        // a CNAME to a missing name in a hosted zone: NXDOMAIN, with the CNAME
        let r = ask(dns, "gone.example.com.", RecordType::A, via).await?;
        assert_eq!(
            (r.metadata.response_code, r.answers.len()),
            (ResponseCode::NXDomain, 1)
        );
        // the wildcard answers for names that do not exist, under the name asked
        let r = ask(dns, "anything.example.com.", RecordType::TXT, via).await?;
        assert_eq!(txt(&r), ["wild"]);
        assert_eq!(r.answers[0].name.to_ascii(), "anything.example.com.");
        let r = ask(dns, "a.b.example.com.", RecordType::TXT, via).await?;
        assert_eq!(txt(&r), ["wild"]);
        // ... not for a name that exists
        let r = ask(dns, "www.example.com.", RecordType::TXT, via).await?;
        assert!(r.answers.is_empty());
        assert_eq!(r.metadata.response_code, ResponseCode::NoError);
    }
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn long_and_many_txt_values_truncate_over_plain_udp_and_come_whole_over_tcp() -> TestResult {
    let (s, api, dns) = start(&["example.com"]).await?;
    let long = "x".repeat(300);
    add(&api, "example.com", "long", "TXT", &long).await?;
    let r = ask(dns, "long.example.com.", RecordType::TXT, Via::Udp).await?;
    match &r.answers[0].data {
        RData::TXT(t) => {
            let lens: Vec<usize> = t.txt_data.iter().map(|s| s.len()).collect();
            assert_eq!(lens, [255, 45], "one value, two character-strings");
        }
        other => return Err(format!("not a TXT: {other:?}").into()),
    }
    assert_eq!(txt(&r), [long]);

    let values: Vec<String> = (0..8)
        .map(|i| format!("{i:02}-{}", "v".repeat(97)))
        .collect();
    for v in &values {
        add(&api, "example.com", "many", "TXT", v).await?;
    }
    let plain = ask(dns, "many.example.com.", RecordType::TXT, Via::UdpPlain).await?;
    assert!(
        plain.metadata.truncation,
        "about 900 bytes do not fit 512: TC"
    );
    assert!(plain.answers.len() < values.len());
    let whole = ask(dns, "many.example.com.", RecordType::TXT, Via::Tcp).await?;
    assert!(!whole.metadata.truncation);
    assert_eq!(txt(&whole), values);
    let edns = ask(dns, "many.example.com.", RecordType::TXT, Via::Udp).await?;
    assert_eq!(txt(&edns), values, "EDNS (1232 bytes) holds them over UDP");
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_dns_server_stops_with_the_sandbox_and_a_taken_port_is_an_error() -> TestResult {
    let (s, _api, dns) = start(&["example.com"]).await?;
    // the port is taken while it runs
    let mut c = SandboxConfig::default();
    c.dns_listen = Some(dns);
    let e = Sandbox::start(c)
        .await
        .err()
        .ok_or("a second server on the same port")?;
    assert!(e.to_string().contains(&dns.to_string()), "{e}");
    s.shutdown().await;
    // and free after shutdown: the same address binds again
    let mut c = SandboxConfig::default();
    c.dns_listen = Some(dns);
    let again = Sandbox::start(c).await?;
    assert_eq!(again.dns_addr(), Some(dns));
    again.shutdown().await;
    Ok(())
}
