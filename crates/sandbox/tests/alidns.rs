//! The Alidns (2015-01-09) emulation on the sandbox's URL, over loopback with independently
//! signed requests: each operation, paging and search, each documented error, RAM denial, faults,
//! persistence and `/_sandbox/dns`.

mod common;

use common::{ALIDNS, Client, TestResult, control};
use csrkit_sandbox::{Sandbox, SandboxConfig, SandboxHandle, ZoneName};
use serde_json::Value;

fn zones(names: &[&str]) -> Vec<ZoneName> {
    names
        .iter()
        .map(|n| n.parse().expect("a zone name"))
        .collect()
}

fn config(hosted: &[&str]) -> SandboxConfig {
    let mut c = SandboxConfig::default();
    c.zones = zones(hosted);
    c
}

fn alidns(s: &SandboxHandle) -> Client {
    Client::for_sandbox(s).with_version(ALIDNS)
}

/// Calls an action that must succeed; its JSON body.
async fn ok(
    c: &Client,
    action: &str,
    p: &[(&str, &str)],
) -> Result<Value, Box<dyn std::error::Error>> {
    let r = c.call(action, p).await?;
    if r.status != 200 {
        return Err(format!("{action} {p:?}: {} {}", r.status, r.text()).into());
    }
    Ok(r.json())
}

/// Calls an action that must fail; (HTTP status, Code, Message).
async fn fails(
    c: &Client,
    action: &str,
    p: &[(&str, &str)],
) -> Result<(u16, String, String), Box<dyn std::error::Error>> {
    let r = c.call(action, p).await?;
    let j = r.json();
    if r.status == 200 {
        return Err(format!("{action} {p:?} succeeded: {}", r.text()).into());
    }
    assert_eq!(j["HostId"], "alidns.aliyuncs.com", "{}", r.text());
    assert!(j["RequestId"].as_str().is_some_and(|id| !id.is_empty()));
    Ok((
        r.status,
        j["Code"].as_str().unwrap_or("").to_owned(),
        j["Message"].as_str().unwrap_or("").to_owned(),
    ))
}

async fn add(
    c: &Client,
    zone: &str,
    rr: &str,
    kind: &str,
    value: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let j = ok(
        c,
        "AddDomainRecord",
        &[
            ("DomainName", zone),
            ("RR", rr),
            ("Type", kind),
            ("Value", value),
        ],
    )
    .await?;
    j["RecordId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("RecordId is not a string: {j}").into())
}

fn records(j: &Value) -> Vec<Value> {
    j["DomainRecords"]["Record"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn field(list: &[Value], name: &str) -> Vec<String> {
    list.iter()
        .map(|r| r[name].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn describe_domains_pages_and_searches_with_idn_punycode() -> TestResult {
    let s = Sandbox::start(config(&[
        "a.example",
        "b.example",
        "c.example",
        "bücher.example",
    ]))
    .await?;
    let c = alidns(&s);
    let j = ok(&c, "DescribeDomains", &[]).await?;
    assert_eq!(j["TotalCount"], 4);
    assert_eq!(j["PageNumber"], 1);
    assert_eq!(j["PageSize"], 20);
    let all = j["Domains"]["Domain"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(all.len(), 4);
    let idn = all
        .iter()
        .find(|d| d["PunyCode"] == "xn--bcher-kva.example")
        .ok_or("the IDN zone by its PunyCode")?;
    assert_eq!(idn["DomainName"], "bücher.example");
    assert_eq!(
        idn["DnsServers"]["DnsServer"],
        serde_json::json!(["ns1.sandbox.invalid", "ns2.sandbox.invalid"])
    );
    assert!(idn["DomainId"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(idn["RecordCount"], 0);

    // paging: 4 zones, 3 a page
    let p1 = ok(&c, "DescribeDomains", &[("PageSize", "3")]).await?;
    let p2 = ok(
        &c,
        "DescribeDomains",
        &[("PageSize", "3"), ("PageNumber", "2")],
    )
    .await?;
    let names = |j: &Value| {
        field(
            j["Domains"]["Domain"].as_array().map_or(&[][..], |v| v),
            "PunyCode",
        )
    };
    assert_eq!((names(&p1).len(), names(&p2).len()), (3, 1));
    assert_eq!(p2["TotalCount"], 4);
    let mut seen = names(&p1);
    seen.extend(names(&p2));
    seen.sort();
    assert_eq!(
        seen,
        [
            "a.example",
            "b.example",
            "c.example",
            "xn--bcher-kva.example"
        ]
    );
    let p3 = ok(
        &c,
        "DescribeDomains",
        &[("PageSize", "3"), ("PageNumber", "3")],
    )
    .await?;
    assert_eq!(names(&p3).len(), 0);

    // KeyWord: %kw% by default (case-insensitive, either form), whole name with EXACT
    let like = ok(&c, "DescribeDomains", &[("KeyWord", "B")]).await?;
    assert_eq!(like["TotalCount"], 2, "{like}");
    let exact = ok(
        &c,
        "DescribeDomains",
        &[("KeyWord", "b.example"), ("SearchMode", "EXACT")],
    )
    .await?;
    assert_eq!(names(&exact), ["b.example"]);
    let none = ok(
        &c,
        "DescribeDomains",
        &[("KeyWord", "example"), ("SearchMode", "EXACT")],
    )
    .await?;
    assert_eq!(none["TotalCount"], 0);
    let by_unicode = ok(&c, "DescribeDomains", &[("KeyWord", "bücher")]).await?;
    assert_eq!(names(&by_unicode), ["xn--bcher-kva.example"]);

    for bad in [
        vec![("PageSize", "101")],
        vec![("PageSize", "0")],
        vec![("PageNumber", "x")],
        vec![("SearchMode", "FUZZY")],
    ] {
        let (status, code, _) = fails(&c, "DescribeDomains", &bad).await?;
        assert_eq!(
            (status, code.as_str()),
            (400, "InvalidParameter"),
            "{bad:?}"
        );
    }
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn describe_domain_info_and_the_zone_errors() -> TestResult {
    let mut cfg = config(&["example.com", "sub.example.net", "例子.cn"]);
    cfg.foreign_zones = zones(&["other.org"]);
    let s = Sandbox::start(cfg).await?;
    let c = alidns(&s);

    // MinTtl and the lines only with NeedDetailAttributes, as the SDK's model says
    let plain = ok(&c, "DescribeDomainInfo", &[("DomainName", "example.com")]).await?;
    assert_eq!(plain["DomainName"], "example.com");
    assert_eq!(plain["SubDomain"], false);
    assert!(plain.get("MinTtl").is_none(), "{plain}");
    assert_eq!(plain["DnsServers"]["DnsServer"][0], "ns1.sandbox.invalid");
    let detail = ok(
        &c,
        "DescribeDomainInfo",
        &[
            ("DomainName", "Example.COM."),
            ("NeedDetailAttributes", "true"),
        ],
    )
    .await?;
    assert_eq!(detail["MinTtl"], 600);
    assert_eq!(detail["AvailableTtls"]["AvailableTtl"][0], "600");
    assert_eq!(
        detail["RecordLines"]["RecordLine"][0]["LineCode"],
        "default"
    );
    let sub = ok(
        &c,
        "DescribeDomainInfo",
        &[("DomainName", "sub.example.net")],
    )
    .await?;
    assert_eq!(sub["SubDomain"], true, "a hosted subdomain: {sub}");
    // an IDN zone answers by either form
    for name in ["例子.cn", "xn--fsqu00a.cn"] {
        let j = ok(&c, "DescribeDomainInfo", &[("DomainName", name)]).await?;
        assert_eq!(
            (j["DomainName"].as_str(), j["PunyCode"].as_str()),
            (Some("例子.cn"), Some("xn--fsqu00a.cn"))
        );
    }

    // every operation that takes a DomainName refuses the same way
    let expect = [
        ("www.example.com", "InvalidDomainName.NoExist"), // inside a zone, not a zone
        ("example.net", "InvalidDomainName.NoExist"),     // the parent of a hosted subdomain
        ("nowhere.test", "InvalidDomainName.NoExist"),
        ("com", "InvalidDomainName.Format"),
        ("exa mple.com", "InvalidDomainName.Format"),
        ("_x.example.com", "InvalidDomainName.Format"),
        ("other.org", "IncorrectDomainUser"),
    ];
    for (name, code) in expect {
        for (action, extra) in [
            ("DescribeDomainInfo", vec![]),
            ("DescribeDomainRecords", vec![]),
            (
                "AddDomainRecord",
                vec![("RR", "x"), ("Type", "TXT"), ("Value", "v")],
            ),
        ] {
            let mut p = vec![("DomainName", name)];
            p.extend(extra);
            let (status, got, msg) = fails(&c, action, &p).await?;
            assert_eq!(
                (status, got.as_str()),
                (400, code),
                "{action} {name}: {msg}"
            );
        }
    }
    let (_, _, msg) = fails(&c, "DescribeDomainInfo", &[("DomainName", "nowhere.test")]).await?;
    assert_eq!(
        msg,
        "The specified domain name does not exist. Refresh the page and try again."
    );
    for action in [
        "DescribeDomainInfo",
        "DescribeDomainRecords",
        "AddDomainRecord",
    ] {
        let (_, code, msg) = fails(&c, action, &[]).await?;
        assert_eq!(code, "MissingParameter", "{action}");
        assert!(msg.contains("DomainName"), "{msg}");
    }
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn add_list_update_delete_a_record() -> TestResult {
    let s = Sandbox::start(config(&["example.com"])).await?;
    let c = alidns(&s);
    let id = add(&c, "example.com", "_dnsauth", "TXT", "token-1").await?;
    assert!(
        id.parse::<u64>()? > 1 << 53,
        "record ids are large numbers sent as strings: {id}"
    );

    let j = ok(
        &c,
        "DescribeDomainRecords",
        &[("DomainName", "example.com")],
    )
    .await?;
    assert_eq!(j["TotalCount"], 1);
    let r = &records(&j)[0];
    assert_eq!(r["RecordId"], id.as_str());
    assert_eq!(r["RR"], "_dnsauth");
    assert_eq!(r["Type"], "TXT");
    assert_eq!(r["Value"], "token-1");
    assert_eq!(r["TTL"], 600);
    assert_eq!(r["Line"], "default");
    assert_eq!(r["Status"], "ENABLE");
    assert_eq!(r["Locked"], false);
    assert_eq!(r["DomainName"], "example.com");
    assert!(r["CreateTimestamp"].as_i64().is_some() && r["UpdateTimestamp"].as_i64().is_some());

    // the SDK's DescribeSubDomainRecords finds it by name (no timestamps in that shape)
    let sub = ok(
        &c,
        "DescribeSubDomainRecords",
        &[("SubDomain", "_dnsauth.example.com"), ("Type", "txt")],
    )
    .await?;
    assert_eq!(field(&records(&sub), "RecordId"), std::slice::from_ref(&id));
    assert!(records(&sub)[0].get("CreateTimestamp").is_none());

    // update: value and TTL
    let u = ok(
        &c,
        "UpdateDomainRecord",
        &[
            ("RecordId", &id),
            ("RR", "_dnsauth"),
            ("Type", "TXT"),
            ("Value", "token-2"),
            ("TTL", "3600"),
        ],
    )
    .await?;
    assert_eq!(u["RecordId"], id.as_str());
    let j = ok(
        &c,
        "DescribeDomainRecords",
        &[("DomainName", "example.com")],
    )
    .await?;
    assert_eq!(
        (
            records(&j)[0]["Value"].as_str(),
            records(&j)[0]["TTL"].as_u64()
        ),
        (Some("token-2"), Some(3600))
    );

    // an update to what the record already holds is a duplicate, as the service answers it
    let (_, code, msg) = fails(
        &c,
        "UpdateDomainRecord",
        &[
            ("RecordId", &id),
            ("RR", "_dnsauth"),
            ("Type", "TXT"),
            ("Value", "token-2"),
            ("TTL", "3600"),
        ],
    )
    .await?;
    assert_eq!(
        (code.as_str(), msg.as_str()),
        ("DomainRecordDuplicate", "The DNS record already exists.")
    );

    // delete, then it is gone and its id is nobody's
    let d = ok(&c, "DeleteDomainRecord", &[("RecordId", &id)]).await?;
    assert_eq!(d["RecordId"], id.as_str());
    let j = ok(
        &c,
        "DescribeDomainRecords",
        &[("DomainName", "example.com")],
    )
    .await?;
    assert_eq!(j["TotalCount"], 0);
    for action in ["DeleteDomainRecord", "UpdateDomainRecord"] {
        for rid in [id.as_str(), "12345", "not-a-number"] {
            let (status, code, msg) = fails(
                &c,
                action,
                &[
                    ("RecordId", rid),
                    ("RR", "a"),
                    ("Type", "TXT"),
                    ("Value", "v"),
                ],
            )
            .await?;
            assert_eq!(
                (status, code.as_str()),
                (400, "DomainRecordNotBelongToUser"),
                "{action} {rid}"
            );
            assert_eq!(msg, "The DNS record does not exist in your account.");
        }
        let (_, code, _) = fails(&c, action, &[]).await?;
        assert_eq!(code, "MissingParameter");
    }
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn duplicates_conflicts_and_bad_values_are_refused() -> TestResult {
    let s = Sandbox::start(config(&["example.com"])).await?;
    let c = alidns(&s);
    let txt = add(&c, "example.com", "_dnsauth", "TXT", "v1").await?;
    // same RR + Type + Line + Value, whatever the case of the RR and the type
    for (rr, kind) in [("_dnsauth", "TXT"), ("_DNSAUTH", "txt")] {
        let (status, code, msg) = fails(
            &c,
            "AddDomainRecord",
            &[
                ("DomainName", "example.com"),
                ("RR", rr),
                ("Type", kind),
                ("Value", "v1"),
            ],
        )
        .await?;
        assert_eq!((status, code.as_str()), (400, "DomainRecordDuplicate"));
        assert_eq!(msg, "The DNS record already exists.");
    }
    // another value, or the same value on another line, is another record
    add(&c, "example.com", "_dnsauth", "TXT", "v2").await?;
    ok(
        &c,
        "AddDomainRecord",
        &[
            ("DomainName", "example.com"),
            ("RR", "_dnsauth"),
            ("Type", "TXT"),
            ("Value", "v1"),
            ("Line", "telecom"),
        ],
    )
    .await?;

    // a CNAME beside other records at one RR conflicts, both ways
    let (_, code, _) = fails(
        &c,
        "AddDomainRecord",
        &[
            ("DomainName", "example.com"),
            ("RR", "_dnsauth"),
            ("Type", "CNAME"),
            ("Value", "x.dcv.example.net"),
        ],
    )
    .await?;
    assert_eq!(code, "DomainRecordConflict");
    add(&c, "example.com", "alias", "CNAME", "target.example.net").await?;
    for (kind, value) in [
        ("TXT", "v"),
        ("A", "192.0.2.1"),
        ("CNAME", "other.example.net"),
    ] {
        let (_, code, _) = fails(
            &c,
            "AddDomainRecord",
            &[
                ("DomainName", "example.com"),
                ("RR", "alias"),
                ("Type", kind),
                ("Value", value),
            ],
        )
        .await?;
        assert_eq!(code, "DomainRecordConflict", "{kind}");
    }
    // and an update that would make one
    let (_, code, _) = fails(
        &c,
        "UpdateDomainRecord",
        &[
            ("RecordId", &txt),
            ("RR", "alias"),
            ("Type", "TXT"),
            ("Value", "v1"),
        ],
    )
    .await?;
    assert_eq!(code, "DomainRecordConflict");

    // TTL: below a free zone's minimum, above the maximum, not a number
    for (ttl, want) in [
        ("599", "QuotaExceeded.TTL"),
        ("60", "QuotaExceeded.TTL"),
        ("86401", "QuotaExceeded.TTL"),
        ("0", "InvalidParameter"),
        ("ten", "InvalidParameter"),
    ] {
        let (status, code, msg) = fails(
            &c,
            "AddDomainRecord",
            &[
                ("DomainName", "example.com"),
                ("RR", "t"),
                ("Type", "TXT"),
                ("Value", "v"),
                ("TTL", ttl),
            ],
        )
        .await?;
        assert_eq!((status, code.as_str()), (400, want), "TTL {ttl}: {msg}");
        if want == "QuotaExceeded.TTL" {
            assert_eq!(
                msg,
                "The specified TTL is invalid. A valid TTL must be in the range of 600 to 86400."
            );
        }
    }
    ok(
        &c,
        "AddDomainRecord",
        &[
            ("DomainName", "example.com"),
            ("RR", "t"),
            ("Type", "TXT"),
            ("Value", "v"),
            ("TTL", "86400"),
        ],
    )
    .await?;

    // values, types, RRs, lines, MX priority
    for (rr, kind, value, name) in [
        ("a", "A", "192.0.2", "Value"),
        ("a", "AAAA", "192.0.2.1", "Value"),
        ("a", "CNAME", "not a name", "Value"),
        ("a", "TXT", "line\nbreak", "Value"),
        ("a", "SPF", "v=spf1", "Type"),
        ("a b", "TXT", "v", "RR"),
        ("a.*", "TXT", "v", "RR"),
        ("..", "TXT", "v", "RR"),
    ] {
        let (status, code, msg) = fails(
            &c,
            "AddDomainRecord",
            &[
                ("DomainName", "example.com"),
                ("RR", rr),
                ("Type", kind),
                ("Value", value),
            ],
        )
        .await?;
        assert_eq!(
            (status, code.as_str()),
            (400, "InvalidParameter"),
            "{rr} {kind} {value}: {msg}"
        );
        assert!(msg.contains(name), "{msg}");
    }
    let (_, code, _) = fails(
        &c,
        "AddDomainRecord",
        &[
            ("DomainName", "example.com"),
            ("RR", "x"),
            ("Type", "TXT"),
            ("Value", "v"),
            ("Line", "mars"),
        ],
    )
    .await?;
    assert_eq!(code, "InvalidParameter");
    for missing in ["RR", "Type", "Value"] {
        let p: Vec<(&str, &str)> = [
            ("DomainName", "example.com"),
            ("RR", "m"),
            ("Type", "TXT"),
            ("Value", "v"),
        ]
        .into_iter()
        .filter(|(k, _)| *k != missing)
        .collect();
        let (_, code, msg) = fails(&c, "AddDomainRecord", &p).await?;
        assert_eq!(code, "MissingParameter");
        assert!(msg.contains(&format!("\"{missing}\"")), "{msg}");
    }
    let (_, code, msg) = fails(
        &c,
        "AddDomainRecord",
        &[
            ("DomainName", "example.com"),
            ("RR", "@"),
            ("Type", "MX"),
            ("Value", "mx.example.com"),
        ],
    )
    .await?;
    assert_eq!(code, "MissingParameter", "{msg}");
    ok(
        &c,
        "AddDomainRecord",
        &[
            ("DomainName", "example.com"),
            ("RR", "@"),
            ("Type", "MX"),
            ("Value", "mx.example.com"),
            ("Priority", "5"),
        ],
    )
    .await?;
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn describe_domain_records_pages_searches_and_orders() -> TestResult {
    let s = Sandbox::start(config(&["example.com"])).await?;
    let c = alidns(&s);
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(
            add(
                &c,
                "example.com",
                &format!("host{i:02}"),
                "A",
                &format!("192.0.2.{i}"),
            )
            .await?,
        );
    }
    add(&c, "example.com", "_dnsauth.www", "TXT", "Token-ABC").await?;
    add(&c, "example.com", "www", "CNAME", "cdn.example.net").await?;

    // newest first by default, 20 a page
    let p1 = ok(
        &c,
        "DescribeDomainRecords",
        &[("DomainName", "example.com")],
    )
    .await?;
    assert_eq!(
        (p1["TotalCount"].as_u64(), records(&p1).len()),
        (Some(27), 20)
    );
    assert_eq!(records(&p1)[0]["RR"], "www");
    let asc = ok(
        &c,
        "DescribeDomainRecords",
        &[
            ("DomainName", "example.com"),
            ("Direction", "ASC"),
            ("PageSize", "500"),
        ],
    )
    .await?;
    assert_eq!(field(&records(&asc), "RecordId")[..25], ids[..]);
    let p2 = ok(
        &c,
        "DescribeDomainRecords",
        &[("DomainName", "example.com"), ("PageNumber", "2")],
    )
    .await?;
    assert_eq!(records(&p2).len(), 7);
    let (_, code, _) = fails(
        &c,
        "DescribeDomainRecords",
        &[("DomainName", "example.com"), ("PageSize", "501")],
    )
    .await?;
    assert_eq!(code, "InvalidParameter");

    let count = |j: &Value| j["TotalCount"].as_u64().unwrap_or(999);
    // no SearchMode: RRKeyWord and ValueKeyWord fuzzy, TypeKeyWord exact
    let j = ok(
        &c,
        "DescribeDomainRecords",
        &[("DomainName", "example.com"), ("RRKeyWord", "HOST1")],
    )
    .await?;
    assert_eq!(count(&j), 10);
    let j = ok(
        &c,
        "DescribeDomainRecords",
        &[("DomainName", "example.com"), ("TypeKeyWord", "txt")],
    )
    .await?;
    assert_eq!(field(&records(&j), "Value"), ["Token-ABC"]);
    let j = ok(
        &c,
        "DescribeDomainRecords",
        &[("DomainName", "example.com"), ("ValueKeyWord", "token")],
    )
    .await?;
    assert_eq!(count(&j), 1);
    let j = ok(
        &c,
        "DescribeDomainRecords",
        &[
            ("DomainName", "example.com"),
            ("RRKeyWord", "www"),
            ("TypeKeyWord", "CNAME"),
        ],
    )
    .await?;
    assert_eq!(field(&records(&j), "Value"), ["cdn.example.net"]);
    // COMBINATION: exact
    let j = ok(
        &c,
        "DescribeDomainRecords",
        &[
            ("DomainName", "example.com"),
            ("RRKeyWord", "www"),
            ("SearchMode", "COMBINATION"),
        ],
    )
    .await?;
    assert_eq!(field(&records(&j), "RR"), ["www"]);
    // KeyWord: LIKE over RR and value; EXACT whole; RRKeyWord ignored then
    let j = ok(
        &c,
        "DescribeDomainRecords",
        &[("DomainName", "example.com"), ("KeyWord", "www")],
    )
    .await?;
    assert_eq!(count(&j), 2);
    let j = ok(
        &c,
        "DescribeDomainRecords",
        &[
            ("DomainName", "example.com"),
            ("KeyWord", "192.0.2.7"),
            ("SearchMode", "EXACT"),
            ("RRKeyWord", "nothing"),
        ],
    )
    .await?;
    assert_eq!(field(&records(&j), "RR"), ["host07"]);
    let j = ok(
        &c,
        "DescribeDomainRecords",
        &[
            ("DomainName", "example.com"),
            ("Type", "A"),
            ("Status", "Disable"),
        ],
    )
    .await?;
    assert_eq!(count(&j), 0);
    let (_, code, _) = fails(
        &c,
        "DescribeDomainRecords",
        &[("DomainName", "example.com"), ("SearchMode", "REGEX")],
    )
    .await?;
    assert_eq!(code, "InvalidParameter");
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn sub_domain_records_find_the_zone_as_the_model_says() -> TestResult {
    let s = Sandbox::start(config(&["example.com", "b.example.com"])).await?;
    let c = alidns(&s);
    add(&c, "example.com", "_dnsauth.a.b", "TXT", "in-parent").await?;
    add(&c, "b.example.com", "_dnsauth.a", "TXT", "in-child").await?;
    add(&c, "b.example.com", "_dnsauth.a", "A", "192.0.2.1").await?;
    add(&c, "b.example.com", "@", "TXT", "apex").await?;
    let values = |j: &Value| {
        let mut v = field(&records(j), "Value");
        v.sort();
        v
    };
    // without DomainName: the zone of the registrable domain (example.com), RR a.b
    let j = ok(
        &c,
        "DescribeSubDomainRecords",
        &[("SubDomain", "_dnsauth.a.b.example.com")],
    )
    .await?;
    assert_eq!(values(&j), ["in-parent"]);
    // with DomainName: that zone
    let j = ok(
        &c,
        "DescribeSubDomainRecords",
        &[
            ("SubDomain", "_dnsauth.a.b.example.com"),
            ("DomainName", "b.example.com"),
        ],
    )
    .await?;
    assert_eq!(values(&j), ["192.0.2.1", "in-child"]);
    let j = ok(
        &c,
        "DescribeSubDomainRecords",
        &[
            ("SubDomain", "_dnsauth.a.b.example.com"),
            ("DomainName", "b.example.com"),
            ("Type", "TXT"),
        ],
    )
    .await?;
    assert_eq!(values(&j), ["in-child"]);
    assert_eq!(records(&j)[0]["DomainName"], "b.example.com");
    // the zone itself is RR @
    let j = ok(
        &c,
        "DescribeSubDomainRecords",
        &[
            ("SubDomain", "b.example.com"),
            ("DomainName", "b.example.com"),
        ],
    )
    .await?;
    assert_eq!(field(&records(&j), "RR"), ["@"]);
    // a name outside the zone named: nothing; a zone not hosted: the zone errors
    let j = ok(
        &c,
        "DescribeSubDomainRecords",
        &[
            ("SubDomain", "www.example.org"),
            ("DomainName", "example.com"),
        ],
    )
    .await?;
    assert_eq!(j["TotalCount"], 0);
    let (_, code, _) = fails(
        &c,
        "DescribeSubDomainRecords",
        &[("SubDomain", "www.example.org")],
    )
    .await?;
    assert_eq!(code, "InvalidDomainName.NoExist");
    let (_, code, _) = fails(&c, "DescribeSubDomainRecords", &[]).await?;
    assert_eq!(code, "MissingParameter");
    let (_, code, _) = fails(&c, "DescribeSubDomainRecords", &[("SubDomain", "com")]).await?;
    assert_eq!(code, "InvalidDomainName.Format");
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn quota_of_one_rr_and_the_sandbox_record_limit() -> TestResult {
    let mut cfg = config(&["example.com"]);
    cfg.max_dns_records = 95;
    let s = Sandbox::start(cfg).await?;
    let c = alidns(&s);
    for i in 0..90 {
        add(&c, "example.com", "many", "TXT", &format!("v{i}")).await?;
    }
    let (status, code, msg) = fails(
        &c,
        "AddDomainRecord",
        &[
            ("DomainName", "example.com"),
            ("RR", "many"),
            ("Type", "TXT"),
            ("Value", "v90"),
        ],
    )
    .await?;
    assert_eq!(
        (status, code.as_str()),
        (400, "QuotaExceeded.Record"),
        "{msg}"
    );
    for i in 0..5 {
        add(&c, "example.com", "other", "TXT", &format!("v{i}")).await?;
    }
    let (status, code, _) = fails(
        &c,
        "AddDomainRecord",
        &[
            ("DomainName", "example.com"),
            ("RR", "more"),
            ("Type", "TXT"),
            ("Value", "v"),
        ],
    )
    .await?;
    assert_eq!(
        (status, code.as_str()),
        (403, "Sandbox.RecordLimitExceeded")
    );
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_version_picks_the_product_and_v1_signatures_work() -> TestResult {
    let s = Sandbox::start(config(&["example.com"])).await?;
    let cas = Client::for_sandbox(&s);
    let dns = alidns(&s);
    // V1 (GET and POST form) for Alidns
    for method in ["GET", "POST"] {
        let r = dns
            .send(dns.v1_bytes(
                method,
                "AddDomainRecord",
                &[
                    ("DomainName", "example.com"),
                    ("RR", method),
                    ("Type", "TXT"),
                    ("Value", "v1 signed"),
                ],
            ))
            .await?;
        assert_eq!(r.status, 200, "{method}: {}", r.text());
    }
    let j = ok(
        &dns,
        "DescribeDomainRecords",
        &[("DomainName", "example.com")],
    )
    .await?;
    assert_eq!(j["TotalCount"], 2);
    // an Alidns action under the CAS version, and the other way round
    let r = cas.call("DescribeDomains", &[]).await?;
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "InvalidApi.NotFound"),
        "{}",
        r.text()
    );
    assert_eq!(r.json()["HostId"], "cas.aliyuncs.com");
    let r = dns.call("DescribePackageState", &[]).await?;
    assert_eq!(
        (r.status, r.code().as_str()),
        (404, "InvalidApi.NotFound"),
        "{}",
        r.text()
    );
    assert_eq!(r.json()["HostId"], "alidns.aliyuncs.com");
    assert!(
        r.json()["Recommend"]
            .as_str()
            .is_some_and(|l| l.contains("product=Alidns"))
    );
    let r = cas
        .with_version("2019-01-01")
        .call("DescribePackageState", &[])
        .await?;
    assert_eq!(r.code(), "InvalidVersion");
    // an Alidns request signed with the wrong secret is refused by Alidns
    let mut wrong = dns.clone();
    wrong.secret = "wrong".to_owned();
    let r = wrong.call("DescribeDomains", &[]).await?;
    assert_eq!(
        (r.code().as_str(), r.json()["HostId"].as_str()),
        ("SignatureDoesNotMatch", Some("alidns.aliyuncs.com"))
    );
    // both products count in the stats
    let stats = control(s.addr(), "GET", "/_sandbox/stats").await?.json();
    assert_eq!(stats["requests"]["DescribeDomainRecords"], 1);
    assert_eq!(stats["requests"]["AddDomainRecord"], 2);
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn denied_actions_answer_forbidden_ram() -> TestResult {
    let mut cfg = config(&["example.com"]);
    cfg.denied_actions = vec![
        "AddDomainRecord".to_owned(),
        "DescribePackageState".to_owned(),
    ];
    let s = Sandbox::start(cfg).await?;
    let c = alidns(&s);
    let r = c
        .call(
            "AddDomainRecord",
            &[
                ("DomainName", "example.com"),
                ("RR", "_dnsauth"),
                ("Type", "TXT"),
                ("Value", "v"),
            ],
        )
        .await?;
    let j = r.json();
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "Forbidden.RAM"),
        "{}",
        r.text()
    );
    assert_eq!(
        j["Message"],
        "User not authorized to operate on the specified resource, or this API doesn't support RAM."
    );
    assert_eq!(j["AccessDeniedDetail"]["AuthPrincipalType"], "SubUser");
    assert!(
        j["AccessDeniedDetail"]["EncodedDiagnosticMessage"]
            .as_str()
            .is_some()
    );
    // nothing was added; other actions work
    let list = ok(
        &c,
        "DescribeDomainRecords",
        &[("DomainName", "example.com")],
    )
    .await?;
    assert_eq!(list["TotalCount"], 0);
    // a CAS action denied answers as the gateway's table says (403)
    let r = Client::for_sandbox(&s)
        .call("DescribePackageState", &[])
        .await?;
    assert_eq!((r.status, r.code().as_str()), (403, "Forbidden.RAM"));
    assert_eq!(r.json()["HostId"], "cas.aliyuncs.com");
    s.shutdown().await;

    let mut cfg = config(&["example.com"]);
    cfg.denied_actions = vec!["*".to_owned()];
    let s = Sandbox::start(cfg).await?;
    let r = alidns(&s).call("DescribeDomains", &[]).await?;
    assert_eq!(r.code(), "Forbidden.RAM");
    s.shutdown().await;

    let mut cfg = SandboxConfig::default();
    cfg.denied_actions = vec!["Add Record".to_owned()];
    let e = Sandbox::start(cfg)
        .await
        .err()
        .ok_or("a bad --deny is refused")?;
    assert!(e.to_string().contains("Add Record"), "{e}");
    Ok(())
}

#[tokio::test]
async fn faults_apply_to_alidns_actions() -> TestResult {
    let mut cfg = config(&["example.com"]);
    cfg.faults = vec![
        "AddDomainRecord=throttle:1".parse()?,
        "DeleteDomainRecord=drop-after:1".parse()?,
    ];
    let s = Sandbox::start(cfg).await?;
    let c = alidns(&s);
    let p = [
        ("DomainName", "example.com"),
        ("RR", "_dnsauth"),
        ("Type", "TXT"),
        ("Value", "v"),
    ];
    let r = c.call("AddDomainRecord", &p).await?;
    assert_eq!((r.status, r.code().as_str()), (400, "Throttling.User"));
    assert_eq!(r.json()["HostId"], "alidns.aliyuncs.com");
    let id = add(&c, "example.com", "_dnsauth", "TXT", "v").await?;
    // drop-after: the record is deleted, the answer never comes
    let dropped = c.call("DeleteDomainRecord", &[("RecordId", &id)]).await;
    assert!(
        dropped.is_err(),
        "the connection was closed without an answer: {dropped:?}"
    );
    assert!(s.dns_zones()[0].records.is_empty(), "the delete was done");
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn zones_and_records_persist_in_the_state_file_and_are_listed() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("state.json");
    let mut cfg = config(&["example.com"]);
    cfg.state_file = Some(path.clone());
    let s = Sandbox::start(cfg).await?;
    let c = alidns(&s);
    let id = add(&c, "example.com", "_dnsauth", "TXT", "kept").await?;
    add(&c, "example.com", "www", "A", "192.0.2.80").await?;
    s.shutdown().await;

    // a restart with another zone: the saved one keeps its records
    let mut cfg = config(&["example.org"]);
    cfg.state_file = Some(path.clone());
    let s = Sandbox::start(cfg).await?;
    let c = alidns(&s);
    let j = ok(&c, "DescribeDomains", &[]).await?;
    assert_eq!(j["TotalCount"], 2);
    let listed = control(s.addr(), "GET", "/_sandbox/dns").await?.json();
    let zones = listed["zones"].as_array().cloned().unwrap_or_default();
    assert_eq!(zones.len(), 2, "{listed}");
    let com = zones
        .iter()
        .find(|z| z["name"] == "example.com")
        .ok_or("example.com listed")?;
    let recs = com["records"].as_array().cloned().unwrap_or_default();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0]["record_id"], id.as_str());
    assert_eq!(recs[0]["fqdn"], "_dnsauth.example.com");
    assert_eq!(recs[0]["type"], "TXT");
    assert_eq!(recs[0]["value"], "kept");
    assert_eq!(recs[0]["ttl"], 600);
    assert_eq!(recs[1]["fqdn"], "www.example.com");
    // the Rust API says the same
    let api = s.dns_zones();
    assert_eq!(api.iter().map(|z| z.records.len()).sum::<usize>(), 2);
    ok(&c, "DeleteDomainRecord", &[("RecordId", &id)]).await?;
    s.shutdown().await;

    let mut cfg = SandboxConfig::default();
    cfg.state_file = Some(path);
    let s = Sandbox::start(cfg).await?;
    let zones = s.dns_zones();
    let com = zones
        .iter()
        .find(|z| z.name == "example.com")
        .ok_or("still hosted")?;
    assert_eq!(com.records.len(), 1, "the delete was saved");
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn zones_given_twice_or_badly_are_refused() -> TestResult {
    let mut cfg = config(&["example.com"]);
    cfg.foreign_zones = zones(&["example.com"]);
    let e = Sandbox::start(cfg)
        .await
        .err()
        .ok_or("hosted and foreign at once")?;
    assert!(e.to_string().contains("example.com"), "{e}");
    for bad in ["com", "co.uk", "*.example.com", "a_b.example", ""] {
        let e = bad.parse::<ZoneName>().err().ok_or(bad)?;
        assert!(e.to_string().contains("invalid zone"), "{e}");
    }
    Ok(())
}
