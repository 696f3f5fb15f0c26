//! `csrkit quota`, `orders`, `status --order-id` and `cancel` end to end
//! against a `csrkit sandbox` process: human and JSON output, `--dry-run`,
//! and the exit codes of DESIGN.md (3 refused, 4 network, 2 usage).
#![allow(clippy::unwrap_used)]

mod api;
mod util;

use std::collections::BTreeSet;

use api::{REFUSED_URL, create_orders, quota, run, run_at};
use util::SandboxProcess;

fn home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// `2^53`: order ids above it do not survive a trip through a float.
const TWO_POW_53: u64 = 1 << 53;

#[test]
fn quota_human_and_json_follow_spending() {
    let h = home();
    let sb = SandboxProcess::start(&[
        "--approve",
        "manual",
        "--quota",
        "digicert-free-1-free=7",
        "--quota",
        "geotrust-dv-1-starter=2",
    ]);

    let human = run_at(&sb, h.path(), &["quota"]).expect_code(0);
    assert_eq!(
        human.stdout.trim(),
        "digicert-free-1-free: 7 of 7 left (0 used, 0 issued)",
        "{}",
        human.both()
    );

    create_orders(&sb.url, "quota.example.com", 2);
    let doc = quota(&sb, h.path());
    assert_eq!(doc["schema"], "csrkit.quota/1");
    assert_eq!(doc["product_code"], "digicert-free-1-free");
    assert_eq!(doc["total"], 7);
    assert_eq!(doc["used"], 2);
    assert_eq!(doc["remaining"], 5);
    assert!(doc["issued"].is_u64(), "{doc}");

    let other = run_at(
        &sb,
        h.path(),
        &[
            "quota",
            "--product-code",
            "geotrust-dv-1-starter",
            "--format",
            "json",
        ],
    )
    .json();
    assert_eq!(other["product_code"], "geotrust-dv-1-starter");
    assert_eq!(other["total"], 2);
    assert_eq!(other["remaining"], 2);

    // A plan the account does not have: the service answers with zeros
    // (the sandbox does as the service's DescribePackageState does).
    let none = run_at(
        &sb,
        h.path(),
        &["quota", "--product-code", "symantec-free-1-free"],
    )
    .expect_code(0);
    assert_eq!(
        none.stdout.trim(),
        "symantec-free-1-free: 0 of 0 left (0 used, 0 issued)"
    );
}

#[test]
fn orders_lists_every_page_and_filters_by_status_and_keyword() {
    let h = home();
    let sb = SandboxProcess::start(&["--approve", "manual", "--quota", "digicert-free-1-free=60"]);
    // 53 + 2 orders: more than one page of 50.
    let mut page = create_orders(&sb.url, "page.example.com", 53);
    let other = create_orders(&sb.url, "other.example.org", 2);
    // One issued, one failed.
    sb.post(&format!("/_sandbox/orders/{}/approve", page[0]));
    sb.post(&format!("/_sandbox/orders/{}/fail", page[1]));
    let (issued, failed) = (page.remove(0), page.remove(0));

    let before = sb.get_json("/_sandbox/stats")["requests"]["ListUserCertificateOrder"]
        .as_u64()
        .unwrap_or(0);
    let doc = run_at(&sb, h.path(), &["orders", "--format", "json"]).json();
    assert_eq!(doc["schema"], "csrkit.orders/1");
    let orders = doc["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 55, "{doc}");
    let after = sb.get_json("/_sandbox/stats")["requests"]["ListUserCertificateOrder"]
        .as_u64()
        .unwrap();
    assert_eq!(after - before, 2, "55 orders take two pages of 50");

    let listed: BTreeSet<String> = orders
        .iter()
        .map(|o| {
            let id = o["order_id"]
                .as_str()
                .unwrap_or_else(|| panic!("order_id must be a JSON string: {o}"));
            assert!(id.parse::<u64>().unwrap() > TWO_POW_53, "{o}");
            assert_eq!(o["product_code"], "digicert-free-1-free", "{o}");
            id.to_owned()
        })
        .collect();
    let made: BTreeSet<String> = page
        .iter()
        .chain(&other)
        .chain([&issued, &failed])
        .cloned()
        .collect();
    assert_eq!(listed, made, "every order exactly once, ids exact");

    let status_of = |id: &str| {
        orders
            .iter()
            .find(|o| o["order_id"] == id)
            .map(|o| o["status"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(status_of(&issued), "ISSUED");
    assert_eq!(status_of(&failed), "CHECKED_FAIL");
    assert_eq!(status_of(&page[0]), "CHECKING");

    // --keyword
    let kw = run_at(
        &sb,
        h.path(),
        &[
            "orders",
            "--keyword",
            "other.example.org",
            "--format",
            "json",
        ],
    )
    .json();
    let ids: BTreeSet<&str> = kw["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            assert_eq!(o["domain"], "other.example.org");
            o["order_id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(ids, other.iter().map(String::as_str).collect());

    // --status, case-insensitive on the command line.
    for (status, want) in [
        ("issued", vec![issued.clone()]),
        ("CHECKED_FAIL", vec![failed.clone()]),
    ] {
        let doc = run_at(
            &sb,
            h.path(),
            &["orders", "--status", status, "--format", "json"],
        )
        .json();
        let got: Vec<&str> = doc["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["order_id"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "--status {status}");
    }
    let checking = run_at(
        &sb,
        h.path(),
        &["orders", "--status", "checking", "--format", "json"],
    )
    .json();
    assert_eq!(checking["orders"].as_array().unwrap().len(), 53);

    // Human: one line per order with its id, status and domain.
    let human = run_at(&sb, h.path(), &["orders", "--keyword", "other.example.org"]).expect_code(0);
    let lines: Vec<&str> = human.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", human.both());
    for id in &other {
        let line = lines
            .iter()
            .find(|l| l.starts_with(id.as_str()))
            .unwrap_or_else(|| panic!("no line for {id}: {}", human.stdout));
        assert!(line.contains("CHECKING") && line.ends_with("other.example.org"));
    }
    let empty = run_at(&sb, h.path(), &["orders", "--keyword", "nothing.invalid"]).expect_code(0);
    assert_eq!(empty.stdout.trim(), "no orders");

    let bad = run_at(&sb, h.path(), &["orders", "--status", "sleeping"]).expect_code(2);
    assert!(
        bad.stderr.contains("sleeping") && bad.stderr.contains("CHECKING"),
        "{}",
        bad.both()
    );
}

#[test]
fn status_by_order_id_names_the_full_dns_record() {
    let h = home();
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let id = create_orders(&sb.url, "www.example.com", 1).remove(0);
    // The value the service holds, asked for independently of the binary.
    let raw = api::rt()
        .block_on(api::client(&sb.url).describe_certificate_state(id.parse().unwrap()))
        .unwrap();
    let Some(csrkit_submit::Verification::Dns {
        record_value,
        record_domain,
        record_type,
    }) = raw.verification()
    else {
        panic!("a DNS order answers with a DNS verification: {raw:?}");
    };
    assert_eq!(record_domain, "_dnsauth", "the service's relative name");

    let doc = run_at(
        &sb,
        h.path(),
        &["status", "--order-id", &id, "--format", "json"],
    )
    .json();
    assert_eq!(doc["schema"], "csrkit.status/1");
    assert_eq!(doc["order_id"], id.as_str(), "order id as a JSON string");
    assert_eq!(doc["state"], "domain_verify");
    let v = &doc["verification"];
    assert_eq!(v["type"], "DNS");
    assert_eq!(v["record_name"], "_dnsauth.www.example.com");
    assert_eq!(v["record_type"], record_type.as_str());
    assert_eq!(v["record_value"], record_value.as_str());

    let human = run_at(&sb, h.path(), &["status", "--order-id", &id]).expect_code(0);
    assert!(
        human
            .stdout
            .starts_with(&format!("order {id}: domain_verify")),
        "{}",
        human.both()
    );
    assert!(human.stdout.contains("_dnsauth.www.example.com"));
    assert!(human.stdout.contains(&record_value));
    assert!(human.stdout.contains(&format!(
        "_dnsauth.www.example.com. 600 IN TXT \"{record_value}\""
    )));

    sb.post(&format!("/_sandbox/orders/{id}/approve"));
    let doc = run_at(
        &sb,
        h.path(),
        &["status", "--order-id", &id, "--format", "json"],
    )
    .json();
    assert_eq!(doc["state"], "certificate");
    assert!(doc["verification"].is_null(), "{doc}");
    let human = run_at(&sb, h.path(), &["status", "--order-id", &id]).expect_code(0);
    assert_eq!(
        human.stdout.trim(),
        format!("order {id}: certificate (issued)")
    );
}

#[test]
fn status_of_wildcard_and_file_orders() {
    let h = home();
    let sb = SandboxProcess::start(&[
        "--approve",
        "manual",
        "--quota",
        "geotrust-dv-w-starter=1",
        "--quota",
        "digicert-free-1-free=1",
    ]);
    let wild = api::create_orders_with(
        &sb.url,
        "*.wild.example.com",
        Some("geotrust-dv-w-starter"),
        csrkit_submit::ValidateType::Dns,
        1,
    )
    .remove(0);
    let doc = run_at(
        &sb,
        h.path(),
        &["status", "--order-id", &wild, "--format", "json"],
    )
    .json();
    assert_eq!(
        doc["verification"]["record_name"], "_dnsauth.wild.example.com",
        "a wildcard's record sits at its base domain: {doc}"
    );

    let file = api::create_orders_with(
        &sb.url,
        "files.example.com",
        None,
        csrkit_submit::ValidateType::File,
        1,
    )
    .remove(0);
    let doc = run_at(
        &sb,
        h.path(),
        &["status", "--order-id", &file, "--format", "json"],
    )
    .json();
    let v = &doc["verification"];
    assert_eq!(v["type"], "FILE", "{doc}");
    assert_eq!(
        v["url"],
        "http://files.example.com/.well-known/pki-validation/fileauth.txt"
    );
    let content = v["content"].as_str().unwrap();
    assert!(!content.is_empty());
    let human = run_at(&sb, h.path(), &["status", "--order-id", &file]).expect_code(0);
    assert!(
        human.stdout.contains(content)
            && human
                .stdout
                .contains("http://files.example.com/.well-known/pki-validation/fileauth.txt"),
        "{}",
        human.both()
    );
}

#[test]
fn odd_keywords_are_signed_as_the_service_expects() {
    // The sandbox recomputes the signature from the raw query: spaces,
    // reserved characters and UTF-8 must be canonicalised exactly.
    let h = home();
    let sb = SandboxProcess::start(&[]);
    create_orders(&sb.url, "a-b.example.com", 1);
    for keyword in [
        "a b",
        "bücher.example",
        "*",
        "~x",
        "a+b",
        "100%",
        "x&y=z",
        "'\"",
        "a-b",
    ] {
        let doc = run_at(
            &sb,
            h.path(),
            &["orders", "--keyword", keyword, "--format", "json"],
        )
        .json();
        let n = doc["orders"].as_array().unwrap().len();
        assert_eq!(n, usize::from(keyword == "a-b"), "{keyword:?}: {doc}");
    }
}

#[test]
fn cancel_then_delete_returns_the_quota() {
    let h = home();
    let sb = SandboxProcess::start(&["--approve", "manual", "--quota", "digicert-free-1-free=3"]);
    let ids = create_orders(&sb.url, "cancel.example.com", 2);
    assert_eq!(quota(&sb, h.path())["remaining"], 1);

    // Cancel alone: the order goes back to `payed`, the quota stays spent.
    let c = run_at(&sb, h.path(), &["cancel", "--order-id", &ids[0]]).expect_code(0);
    assert!(c.stderr.contains("cancelled"), "{}", c.both());
    assert!(
        c.stderr.contains("--delete"),
        "says how to get the quota back"
    );
    let st = run_at(
        &sb,
        h.path(),
        &["status", "--order-id", &ids[0], "--format", "json"],
    )
    .json();
    assert_eq!(st["state"], "payed");
    assert_eq!(quota(&sb, h.path())["remaining"], 1);

    // Then --delete on the cancelled order.
    let d = run_at(
        &sb,
        h.path(),
        &["cancel", "--order-id", &ids[0], "--delete"],
    )
    .expect_code(0);
    assert!(d.stderr.contains("deleted"), "{}", d.both());
    let q = quota(&sb, h.path());
    assert_eq!(
        (q["used"].as_u64(), q["remaining"].as_u64()),
        (Some(1), Some(2))
    );

    // Cancel and delete in one go, reported as JSON.
    let done = run_at(
        &sb,
        h.path(),
        &[
            "cancel",
            "--order-id",
            &ids[1],
            "--delete",
            "--format",
            "json",
        ],
    )
    .expect_code(0);
    let doc: serde_json::Value = serde_json::from_str(&done.stdout).unwrap();
    assert_eq!(doc["schema"], "csrkit.cancel/1");
    assert_eq!(doc["order_id"], ids[1].as_str());
    assert_eq!(doc["state_before"], "domain_verify");
    assert_eq!(
        (&doc["cancelled"], &doc["deleted"]),
        (&serde_json::json!(true), &serde_json::json!(true))
    );
    assert_eq!(quota(&sb, h.path())["remaining"], 3);
    // The order is gone.
    let gone = run_at(&sb, h.path(), &["status", "--order-id", &ids[1]]).expect_code(3);
    assert!(gone.stderr.contains("NotFoundOrder"), "{}", gone.both());

    // A failed order cannot be cancelled, only deleted; cancel --delete
    // knows that.
    let failed = create_orders(&sb.url, "cancel.example.com", 1).remove(0);
    sb.post(&format!("/_sandbox/orders/{failed}/fail"));
    assert_eq!(quota(&sb, h.path())["remaining"], 2);
    run_at(
        &sb,
        h.path(),
        &["cancel", "--order-id", &failed, "--delete"],
    )
    .expect_code(0);
    assert_eq!(quota(&sb, h.path())["remaining"], 3);
}

#[test]
fn dry_run_sends_nothing_and_redacts_the_signature() {
    let h = home();
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let id = create_orders(&sb.url, "dry.example.com", 1).remove(0);
    let stats = sb.get_json("/_sandbox/stats");
    let logged = sb.get_json("/_sandbox/requests");

    let cases: [(&[&str], &[&str]); 5] = [
        (&["quota"], &["DescribePackageState"]),
        (
            &["orders", "--status", "issued"],
            &["ListUserCertificateOrder"],
        ),
        (
            &["status", "--order-id", &id],
            &["DescribeCertificateState"],
        ),
        (&["cancel", "--order-id", &id], &["CancelOrderRequest"]),
        (
            &["cancel", "--order-id", &id, "--delete"],
            &["CancelOrderRequest", "DeleteCertificateRequest"],
        ),
    ];
    for (args, actions) in cases {
        let mut all: Vec<&str> = args.to_vec();
        all.push("--dry-run");
        let out = run_at(&sb, h.path(), &all).expect_code(0);
        for action in actions {
            assert!(
                out.stdout.contains(&format!("x-acs-action: {action}\n")),
                "{args:?}: {}",
                out.both()
            );
        }
        let requests = out.stdout.matches("POST http://127.0.0.1:").count();
        assert_eq!(requests, actions.len(), "{args:?}: {}", out.both());
        let signatures = out.stdout.matches("Signature=** redacted **").count();
        assert_eq!(signatures, actions.len(), "{args:?}: {}", out.both());
        // Nothing that looks like a real signature (64 hex digits after
        // `Signature=`).
        for (i, _) in out.stdout.match_indices("Signature=") {
            let after = &out.stdout[i + "Signature=".len()..];
            assert!(after.starts_with("** redacted **"), "{args:?}: {after}");
        }
        assert!(!out.stdout.contains(util::SANDBOX_SECRET));
    }
    let status = run_at(&sb, h.path(), &["status", "--order-id", &id, "--dry-run"]).expect_code(0);
    assert!(
        status.stdout.contains(&format!("?OrderId={id}")),
        "{}",
        status.both()
    );

    // Every field but `requests_total`, which counts the reads of the
    // control endpoints too.
    let after = sb.get_json("/_sandbox/stats");
    for field in ["requests", "orders_created", "orders", "quota", "faults"] {
        assert_eq!(
            after[field], stats[field],
            "--dry-run sent something: {after}"
        );
    }
    assert_eq!(sb.get_json("/_sandbox/requests"), logged);
}

#[test]
fn refusals_exit_3_with_code_message_request_id_and_link() {
    let h = home();
    let sb = SandboxProcess::start(&[]);
    let check = |run: api::Run, code: &str| {
        let run = run.expect_code(3);
        let e = &run.stderr;
        assert!(e.contains(&format!("answered {code}:")), "{}", run.both());
        let id = e
            .split("request id ")
            .nth(1)
            .and_then(|rest| rest.split([')', ';', ' ']).next())
            .unwrap_or_else(|| panic!("no request id: {e}"));
        assert_eq!(id.len(), 36, "a request id such as a UUID: {e}");
        assert!(
            e.contains(&format!(
                "https://api.aliyun.com/troubleshoot?q={code}&product=Cas&requestId={id}"
            )),
            "the Recommend link: {e}"
        );
        assert!(run.stdout.is_empty(), "{}", run.both());
        run
    };

    let r = check(
        run_at(
            &sb,
            h.path(),
            &["status", "--order-id", "12345678901234567"],
        ),
        "NotFoundOrder",
    );
    assert!(r.stderr.contains("12345678901234567"), "{}", r.both());

    let wrong = check(
        run(api::at(&sb, h.path(), &["quota"])
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")),
        "SignatureDoesNotMatch",
    );
    assert!(
        wrong
            .stderr
            .contains("server StringToSign is [ACS3-HMAC-SHA256 "),
        "{}",
        wrong.both()
    );

    let unknown = check(
        run(api::at(&sb, h.path(), &["orders"]).env("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI-nobody")),
        "InvalidAccessKeyId.NotFound",
    );
    assert!(unknown.stderr.contains("LTAI-nobody"), "{}", unknown.both());

    // Cancel of an order that does not exist: refused before anything changes.
    check(
        run_at(&sb, h.path(), &["cancel", "--order-id", "42", "--delete"]),
        "NotFoundOrder",
    );
}

#[test]
fn network_failures_exit_4() {
    let h = home();
    // Nothing listening.
    let url = REFUSED_URL;
    let mut cmd = util::csrkit();
    api::isolate(&mut cmd, h.path())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret")
        .args(["quota", "--endpoint", url]);
    let out = run(&mut cmd).expect_code(4);
    assert!(
        out.stderr.contains(url),
        "names the endpoint: {}",
        out.both()
    );
    assert!(out.stderr.contains("connection failed"), "{}", out.both());

    // An answer slower than --timeout, every time (read-only: retried, then
    // given up).
    let sb = SandboxProcess::start(&[
        "--fault",
        "DescribeCertificateState=delay-5000:all",
        "--fault",
        "DescribePackageState=delay-200:all",
    ]);
    let out = run_at(
        &sb,
        h.path(),
        &["status", "--order-id", "1", "--timeout", "0.2"],
    )
    .expect_code(4);
    assert!(
        out.stderr.contains(&format!(
            "DescribeCertificateState to {}: timed out",
            sb.url
        )),
        "{}",
        out.both()
    );
    let stats = sb.get_json("/_sandbox/stats");
    assert!(
        stats["requests"]["DescribeCertificateState"]
            .as_u64()
            .unwrap()
            > 1,
        "a read-only call is retried after a timeout: {stats}"
    );
    // A slow answer within --timeout is an answer.
    run_at(&sb, h.path(), &["quota", "--timeout", "60"]).expect_code(0);
    let stats = sb.get_json("/_sandbox/stats");
    assert_eq!(stats["requests"]["DescribePackageState"], 1, "{stats}");
}

#[test]
fn usage_errors_exit_2_naming_the_input() {
    let h = home();
    let sb = SandboxProcess::start(&[]);
    let cases: [(&[&str], &str); 9] = [
        (&["quota", "--bogus"], "--bogus"),
        (
            &["status", "--order-id", "abc"],
            "\"abc\" is not an order id",
        ),
        (
            &["cancel", "--order-id", "12x3"],
            "\"12x3\" is not an order id",
        ),
        (
            &["status", "--order-id", "99999999999999999999999"],
            "99999999999999999999999",
        ),
        (&["cancel"], "--order-id"),
        (
            &["quota", "--endpoint", "http://example.com"],
            "http://example.com",
        ),
        (
            &["orders", "--endpoint", "http://10.0.0.1:8080"],
            "loopback",
        ),
        (&["quota", "--site", "mars"], "mars"),
        (&["quota", "--timeout", "soon"], "soon"),
    ];
    for (args, needle) in cases {
        let out = run_at(&sb, h.path(), args).expect_code(2);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.both());
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.both());
    }
    let stats = sb.get_json("/_sandbox/stats");
    assert_eq!(
        stats["requests"].as_object().map_or(0, |m| m.len()),
        0,
        "a usage error sends nothing: {stats}"
    );
}
