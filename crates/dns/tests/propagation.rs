//! The propagation check against real `named` servers and a real HTTP server.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use csrkit_dns::propagation::{Event, Options, wait_for, wait_for_dns};
use csrkit_dns::{Category, Challenge, DnsChallenge, Error, Publisher, WebrootPublisher};
use csrkit_testsupport::{HttpServer, Named, View, Zone, free_port};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::task::JoinHandle;

const V4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const V6: IpAddr = IpAddr::V6(Ipv6Addr::LOCALHOST);

fn fast(timeout: Duration) -> Options {
    let mut o = Options::with_timeout(timeout);
    o.interval = Duration::from_millis(50);
    o.max_interval = Duration::from_millis(200);
    o.query_timeout = Duration::from_millis(700);
    o
}

/// Options for the authoritative walk through `named` (its zone data is
/// what a recursive resolver would return).
fn walk(named: &Named, timeout: Duration) -> Options {
    let mut o = fast(timeout);
    o.bootstrap = vec![named.addr()];
    o.nameserver_port = named.port();
    o
}

fn dns(domain: &str, value: &str) -> DnsChallenge {
    match Challenge::dns(domain, "_dnsauth", "TXT", value).unwrap() {
        Challenge::Dns(d) => d,
        _ => unreachable!(),
    }
}

/// Runs the check in a task; its events arrive on the receiver.
fn spawn_check(
    c: Challenge,
    o: Options,
) -> (JoinHandle<csrkit_dns::Result<()>>, UnboundedReceiver<Event>) {
    let (tx, rx) = unbounded_channel();
    let h = tokio::spawn(async move {
        let mut on_event = move |e: Event| {
            let _ = tx.send(e);
        };
        wait_for(&c, &o, &mut on_event).await
    });
    (h, rx)
}

/// Waits for the first event `pred` accepts; returns the events seen.
async fn until(rx: &mut UnboundedReceiver<Event>, pred: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    while let Some(e) = rx.recv().await {
        let hit = pred(&e);
        seen.push(e);
        if hit {
            return seen;
        }
    }
    panic!("the check ended without the event; saw {seen:?}");
}

fn not_seen_at(server: &'static str) -> impl Fn(&Event) -> bool {
    move |e| matches!(e, Event::Checked { server: s, seen: false, .. } if s.contains(server))
}

fn two_servers_zone(records: &[&str]) -> Zone {
    let mut z = Zone::primary("example.test")
        .ns("ns1", V4)
        .ns("ns2", V6)
        .updatable();
    for r in records {
        z = z.record(r);
    }
    z
}

#[tokio::test]
async fn an_explicit_resolver_is_asked_instead() {
    let named = Named::config()
        .zone(Zone::primary("example.test").record("_dnsauth IN TXT \"seen-value\""))
        .start();
    let mut o = fast(Duration::from_secs(30));
    o.resolver = Some(named.addr());
    let mut events = Vec::new();
    wait_for_dns(&dns("example.test", "seen-value"), &o, &mut |e| {
        events.push(e)
    })
    .await
    .unwrap();
    assert!(
        matches!(&events[0], Event::Servers { zone: None, servers } if servers == &[named.addr().to_string()]),
        "{events:?}"
    );
    assert!(
        matches!(
            &events[1],
            Event::Checked {
                seen: true,
                attempt: 1,
                ..
            }
        ),
        "{events:?}"
    );
    assert!(
        matches!(events.last(), Some(Event::Propagated { .. })),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_value_that_never_arrives_is_a_typed_timeout() {
    let named = Named::config()
        .zone(Zone::primary("example.test").record("_dnsauth IN TXT \"old-value\""))
        .start();
    let mut o = fast(Duration::from_millis(800));
    o.resolver = Some(named.addr());
    let mut rounds = 0;
    let e = wait_for_dns(&dns("example.test", "new-value"), &o, &mut |e| {
        if matches!(e, Event::Checked { .. }) {
            rounds += 1;
        }
    })
    .await
    .unwrap_err();
    assert!(e.is_propagation_timeout(), "{e}");
    assert_eq!(e.category(), Category::Unavailable);
    let msg = e.to_string();
    assert!(
        msg.contains("old-value") && msg.contains(&named.addr().to_string()),
        "{msg}"
    );
    assert!(msg.contains("--propagation-timeout"), "{msg}");
    assert!(rounds >= 2, "asked only {rounds} times");
}

#[tokio::test]
async fn waits_while_one_authoritative_server_still_serves_the_old_value() {
    let named = Named::config()
        .listen(&[V4, V6])
        .view(View::new("fresh", &[V4]).zone(two_servers_zone(&["_dnsauth IN TXT \"old\""])))
        .view(View::new("stale", &[V6]).zone(two_servers_zone(&["_dnsauth IN TXT \"old\""])))
        .start();
    named.nsupdate(V4, "update add _dnsauth.example.test 60 TXT \"new\"");
    let (check, mut rx) = spawn_check(
        Challenge::Dns(dns("example.test", "new")),
        walk(&named, Duration::from_secs(120)),
    );
    let before = until(&mut rx, not_seen_at("[::1]")).await;
    assert!(
        before.iter().any(|e| matches!(e, Event::Servers { zone: Some(z), servers } if z == "example.test" && servers.len() == 2)),
        "{before:?}"
    );
    assert!(before.iter().any(
        |e| matches!(e, Event::Checked { server, seen: true, .. } if server.contains("127.0.0.1"))
    ));
    assert!(before.iter().any(
        |e| matches!(e, Event::Checked { answer, seen: false, .. } if answer.contains("\"old\""))
    ));
    // The lagging server catches up.
    named.nsupdate(V6, "update add _dnsauth.example.test 60 TXT \"new\"");
    check.await.unwrap().unwrap();
    let after = until(&mut rx, |e| matches!(e, Event::Propagated { .. })).await;
    assert!(after.iter().any(
        |e| matches!(e, Event::Checked { server, seen: true, .. } if server.contains("[::1]"))
    ));
}

#[tokio::test]
async fn servfail_is_asked_again_until_the_timeout() {
    let named = Named::config()
        .listen(&[V4, V6])
        .view(View::new("fresh", &[V4]).zone(two_servers_zone(&["_dnsauth IN TXT \"new\""])))
        .view(View::new("broken", &[V6]).zone(Zone::servfail("example.test")))
        .start();
    let mut answers = Vec::new();
    let e = wait_for_dns(
        &dns("example.test", "new"),
        &walk(&named, Duration::from_millis(1500)),
        &mut |e| {
            if let Event::Checked {
                server,
                attempt,
                answer,
                ..
            } = e
                && server.contains("[::1]")
            {
                answers.push((attempt, answer));
            }
        },
    )
    .await
    .unwrap_err();
    assert!(e.is_propagation_timeout(), "{e}");
    assert!(e.to_string().contains("SERVFAIL"), "{e}");
    assert!(answers.len() >= 2, "{answers:?}");
    assert!(
        answers.iter().all(|(_, a)| a.contains("SERVFAIL")),
        "{answers:?}"
    );
    assert_eq!(answers[1].0, 2);
}

#[tokio::test]
async fn a_stopped_server_is_asked_again_until_it_answers() {
    let port = free_port(&[V4, V6]);
    let zone = || two_servers_zone(&["_dnsauth IN TXT \"new\""]);
    let first = Named::config()
        .listen(&[V4])
        .port(port)
        .zone(zone())
        .start();
    let (check, mut rx) = spawn_check(
        Challenge::Dns(dns("example.test", "new")),
        walk(&first, Duration::from_secs(120)),
    );
    until(&mut rx, not_seen_at("[::1]")).await;
    until(&mut rx, not_seen_at("[::1]")).await;
    // ns2 comes up.
    let _second = Named::config()
        .listen(&[V6])
        .port(port)
        .key_file(first.key_file())
        .zone(zone())
        .start();
    check.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_cname_at_the_record_name_is_followed() {
    let named = Named::config()
        .zone(Zone::primary("example.test").record("_dnsauth.a IN CNAME _dnsauth.delegated.test."))
        .zone(Zone::primary("delegated.test").record("_dnsauth IN TXT \"new\""))
        .start();
    let mut events = Vec::new();
    wait_for_dns(
        &dns("a.example.test", "new"),
        &walk(&named, Duration::from_secs(30)),
        &mut |e| events.push(e),
    )
    .await
    .unwrap();
    assert!(
        events.contains(&Event::CnameFollowed {
            from: "_dnsauth.a.example.test".into(),
            to: "_dnsauth.delegated.test".into()
        }),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Servers { zone: Some(z), .. } if z == "delegated.test")),
        "{events:?}"
    );
}

#[tokio::test]
async fn the_file_is_fetched_over_http_until_it_is_served() {
    let root = tempfile::tempdir().unwrap();
    let http = HttpServer::serve_dir(root.path());
    let c = Challenge::file(
        "example.test",
        "/.well-known/pki-validation/fileauth.txt",
        "2026120100000abc",
    )
    .unwrap();
    let mut o = fast(Duration::from_secs(120));
    o.http_connect_to = Some(http.addr());
    let (check, mut rx) = spawn_check(c.clone(), o);
    let before = until(&mut rx, |e| matches!(e, Event::Checked { seen: false, .. })).await;
    assert!(
        matches!(before.last(), Some(Event::Checked { answer, .. }) if answer.contains("404")),
        "{before:?}"
    );
    let w = WebrootPublisher::new(root.path()).unwrap();
    let p = w.present(&c).await.unwrap();
    check.await.unwrap().unwrap();
    let reqs = http.requests();
    assert!(
        reqs.iter()
            .all(|r| r.host == "example.test"
                && r.path == "/.well-known/pki-validation/fileauth.txt"),
        "{reqs:?}"
    );
    assert_eq!(reqs.last().unwrap().status, 200);
    w.cleanup(&p).await.unwrap();
}

#[tokio::test]
async fn a_file_with_other_content_never_passes() {
    let root = tempfile::tempdir().unwrap();
    let http = HttpServer::serve_dir(root.path());
    let dir = root.path().join(".well-known/pki-validation");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("fileauth.txt"), "2026120100000abc\n").unwrap();
    let c = Challenge::file(
        "example.test",
        "/.well-known/pki-validation/fileauth.txt",
        "2026120100000abc",
    )
    .unwrap();
    let mut o = fast(Duration::from_millis(600));
    o.http_connect_to = Some(http.addr());
    let e = wait_for(&c, &o, &mut |_| {}).await.unwrap_err();
    assert!(matches!(&e, Error::PropagationTimeout { .. }), "{e}");
    assert!(e.to_string().contains("other content"), "{e}");
}

#[tokio::test]
async fn an_answer_too_big_for_udp_is_read_over_tcp() {
    // 12 values of 200 bytes: more than the 1232 bytes an EDNS UDP answer holds.
    let mut zone = Zone::primary("example.test");
    for i in 0..12 {
        zone = zone.record(&format!("_dnsauth IN TXT \"{}{i:02}\"", "x".repeat(198)));
    }
    let named = Named::config()
        .zone(zone.record("_dnsauth IN TXT \"ours\""))
        .start();
    assert_eq!(named.txt(V4, "_dnsauth.example.test").len(), 13);
    let mut resolver = fast(Duration::from_secs(30));
    resolver.resolver = Some(named.addr());
    for o in [resolver, walk(&named, Duration::from_secs(30))] {
        let mut checked = Vec::new();
        wait_for_dns(&dns("example.test", "ours"), &o, &mut |e| {
            if let Event::Checked {
                attempt,
                seen,
                answer,
                ..
            } = e
            {
                checked.push((attempt, seen, answer));
            }
        })
        .await
        .unwrap();
        // All 13 values, the first time.
        assert_eq!(checked.len(), 1, "{checked:?}");
        assert!(
            checked[0].1 && checked[0].2.starts_with("NOERROR: 13 TXT records"),
            "{checked:?}"
        );
    }
}

#[tokio::test]
async fn one_redirect_is_followed_two_are_not() {
    let root = tempfile::tempdir().unwrap();
    let http = HttpServer::serve_dir(root.path());
    std::fs::write(root.path().join("real.txt"), "2026120100000abc").unwrap();
    let uri = "/.well-known/pki-validation/fileauth.txt";
    // http://example.test/... -> http://www.example.test/real.txt, as a site
    // that sends every request to its www name does.
    http.redirect(uri, "http://www.example.test/real.txt");
    let c = Challenge::file("example.test", uri, "2026120100000abc").unwrap();
    let mut o = fast(Duration::from_secs(30));
    o.http_connect_to = Some(http.addr());
    wait_for(&c, &o, &mut |_| {}).await.unwrap();
    let hosts: Vec<String> = http.requests().into_iter().map(|r| r.host).collect();
    assert_eq!(hosts, ["example.test", "www.example.test"]);

    // Two hops: more than a CA follows.
    let c = Challenge::file(
        "example.test",
        "/.well-known/pki-validation/two.txt",
        "2026120100000abc",
    )
    .unwrap();
    http.redirect(
        "/.well-known/pki-validation/two.txt",
        "http://www.example.test/hop",
    );
    http.redirect("/hop", "http://www.example.test/real.txt");
    let mut o = fast(Duration::from_millis(500));
    o.http_connect_to = Some(http.addr());
    let e = wait_for(&c, &o, &mut |_| {}).await.unwrap_err();
    assert!(e.to_string().contains("redirect"), "{e}");
}

#[tokio::test]
async fn the_resolver_flag_is_host_and_port() {
    use csrkit_dns::propagation::resolver_addr;
    assert_eq!(
        resolver_addr("127.0.0.1:5353").await.unwrap(),
        "127.0.0.1:5353".parse().unwrap()
    );
    assert_eq!(
        resolver_addr("[::1]:53").await.unwrap(),
        "[::1]:53".parse().unwrap()
    );
    assert_eq!(
        resolver_addr("127.0.0.1").await.unwrap(),
        "127.0.0.1:53".parse().unwrap()
    );
    assert_eq!(resolver_addr("localhost:5353").await.unwrap().port(), 5353);
    let e = resolver_addr("127.0.0.1:notaport").await.unwrap_err();
    assert!(e.to_string().starts_with("--dns-resolver: "), "{e}");
    assert_eq!(e.category(), Category::Input);
}
