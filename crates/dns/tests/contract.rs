//! The provider contract, run against each provider's real counterpart
//! (`rfc2136::contract_against_bind`, `hook::contract_against_a_shell_script`,
//! `alidns`: the sandbox's Alidns).

use csrkit_dns::{Category, Challenge, Error, Kind, Published, Publisher, RecordType};

/// The real system behind a DNS provider, read and written without it.
pub(crate) trait DnsCounterpart {
    /// The values of type `t` at `name` (TXT strings joined; a CNAME target
    /// without the final dot).
    fn values(&self, name: &str, t: RecordType) -> Vec<String>;
    /// Puts someone else's record there.
    fn put(&self, name: &str, t: RecordType, value: &str);
    /// Whether the provider itself looks at the records (a hook's script
    /// decides for itself).
    fn provider_looks(&self) -> bool {
        true
    }
}

fn round_trip(p: &Published) -> Published {
    serde_json::from_str(&serde_json::to_string(p).unwrap()).unwrap()
}

/// Present, present again, clean up, clean up again; another value at the
/// same name is never touched; CNAMEs the same; conflicts refused.
pub(crate) async fn dns_contract(publisher: &dyn Publisher, cp: &dyn DnsCounterpart, domain: &str) {
    let txt = |rd: &str, v: &str| {
        Challenge::dns(domain, rd, "TXT", v)
            .unwrap()
            .with_order_id("98987582437920968")
    };
    let name = format!("_dnsauth.{domain}");

    // Someone else's value at the same name.
    cp.put(&name, RecordType::Txt, "someone-else");
    let c = txt("_dnsauth", "csrkit-value-1");
    let p = publisher.present(&c).await.unwrap();
    assert_eq!(p.provider, publisher.provider());
    assert_eq!(
        (p.name.as_str(), p.kind, p.value.as_str()),
        (name.as_str(), Kind::Txt, "csrkit-value-1")
    );
    assert_eq!(p.domain, domain);
    assert_eq!(p.order_id.as_deref(), Some("98987582437920968"));
    assert!(!p.preexisting, "{p:?}");
    let mut v = cp.values(&name, RecordType::Txt);
    v.sort();
    assert_eq!(v, ["csrkit-value-1", "someone-else"]);

    // Idempotent: the same value again is reused, not duplicated.
    let again = publisher.present(&c).await.unwrap();
    if cp.provider_looks() {
        assert!(again.preexisting, "{again:?}");
        assert_eq!(again.record_id, p.record_id);
    }
    let mut v = cp.values(&name, RecordType::Txt);
    v.sort();
    assert_eq!(v, ["csrkit-value-1", "someone-else"]);

    // Clean up from the journal's copy; twice.
    publisher.cleanup(&round_trip(&p)).await.unwrap();
    assert_eq!(cp.values(&name, RecordType::Txt), ["someone-else"]);
    publisher.cleanup(&round_trip(&p)).await.unwrap();
    assert_eq!(cp.values(&name, RecordType::Txt), ["someone-else"]);

    // A run killed after publishing, before journaling present's answer:
    // the plan journaled beforehand is enough to remove it.
    let c = txt("_dnsauth", "csrkit-value-killed");
    let planned = publisher.plan(&c).unwrap();
    assert_eq!(
        (planned.name.as_str(), planned.value.as_str()),
        (name.as_str(), "csrkit-value-killed")
    );
    publisher.present(&c).await.unwrap();
    publisher.cleanup(&round_trip(&planned)).await.unwrap();
    assert_eq!(cp.values(&name, RecordType::Txt), ["someone-else"]);

    // A value longer than one TXT string (255 bytes) with characters a
    // shell or a zone file would read: published and removed intact.
    let long = format!("a \"quoted\" $(x); `y` \\z {}", "0123456789".repeat(40));
    let c = txt("_long", &long);
    let p = publisher.present(&c).await.unwrap();
    assert_eq!(
        cp.values(&format!("_long.{domain}"), RecordType::Txt),
        std::slice::from_ref(&long)
    );
    publisher.cleanup(&p).await.unwrap();
    assert!(
        cp.values(&format!("_long.{domain}"), RecordType::Txt)
            .is_empty()
    );

    // CNAME.
    let cname_name = format!("_cn.{domain}");
    let c = Challenge::dns(domain, "_cn", "CNAME", "Abc123.dcv.example.net.").unwrap();
    let p = publisher.present(&c).await.unwrap();
    assert_eq!(
        (p.kind, p.value.as_str()),
        (Kind::Cname, "abc123.dcv.example.net")
    );
    assert_eq!(
        cp.values(&cname_name, RecordType::Cname),
        ["abc123.dcv.example.net"]
    );
    let again = publisher.present(&c).await.unwrap();
    if cp.provider_looks() {
        assert!(again.preexisting);
    }
    publisher.cleanup(&round_trip(&p)).await.unwrap();
    assert!(cp.values(&cname_name, RecordType::Cname).is_empty());
    publisher.cleanup(&p).await.unwrap();

    if !cp.provider_looks() {
        return;
    }
    // A CNAME is never put next to other data, nor replaces someone's CNAME.
    let taken = format!("_taken.{domain}");
    cp.put(&taken, RecordType::Txt, "theirs");
    let e = publisher
        .present(&Challenge::dns(domain, "_taken", "CNAME", "x.dcv.example.net").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Conflict { .. }), "{e}");
    assert_eq!(e.category(), Category::Refused);
    assert!(e.to_string().contains("theirs"), "{e}");
    assert_eq!(cp.values(&taken, RecordType::Txt), ["theirs"]);

    let aliased = format!("_aliased.{domain}");
    cp.put(&aliased, RecordType::Cname, "elsewhere.example.net");
    for (t, v) in [("TXT", "csrkit-value-2"), ("CNAME", "mine.dcv.example.net")] {
        let e = publisher
            .present(&Challenge::dns(domain, "_aliased", t, v).unwrap())
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Conflict { .. }), "{t}: {e}");
        assert!(e.to_string().contains("elsewhere.example.net"), "{e}");
    }
    assert_eq!(
        cp.values(&aliased, RecordType::Cname),
        ["elsewhere.example.net"]
    );
}
