//! Resources a client can hold (attack-sandbox F05, F06): slow and idle connections are
//! closed, a process out of file descriptors still answers, and the request log is bounded in
//! bytes.

mod common;

use std::io::{BufRead as _, Read as _, Write as _};
use std::time::Duration;

use common::{TestResult, control, wait_for_stats};
use csrkit_sandbox::{Sandbox, SandboxConfig};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; what it sent on the way. A connection the
/// server keeps open forever fails the test after a minute instead of hanging it.
async fn until_closed(s: &mut TcpStream, what: &str) -> Vec<u8> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the sandbox never closed: {what}");
    got
}

/// F05 with real slow clients: one that never finishes its head, one whose body stops, one
/// that never sends a byte, and one idle after an answer on a kept-alive connection. Each is
/// closed by the server; the two mid-request count in `api_in_flight` from their first byte.
#[tokio::test]
async fn f05_slow_and_idle_connections_are_closed() -> TestResult {
    let mut cfg = SandboxConfig::default();
    cfg.header_timeout = Duration::from_millis(300);
    cfg.body_timeout = Duration::from_millis(300);
    let s = Sandbox::start(cfg).await?;
    let addr = s.addr();

    let mut head = TcpStream::connect(addr).await?;
    head.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nx-acs-a")
        .await?;
    wait_for_stats(&s, "the unfinished head in flight", |st| {
        st.api_in_flight == 1
    })
    .await;
    let mut body = TcpStream::connect(addr).await?;
    body.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nab")
        .await?;
    let mut silent = TcpStream::connect(addr).await?;
    let mut idle = TcpStream::connect(addr).await?;
    idle.write_all(
        format!("GET /_sandbox/stats HTTP/1.1\r\nHost: {addr}\r\ncontent-length: 0\r\n\r\n")
            .as_bytes(),
    )
    .await?;

    until_closed(&mut head, "a head that never ends").await;
    let answer = String::from_utf8_lossy(&until_closed(&mut body, "a body that never ends").await)
        .into_owned();
    assert!(
        answer.starts_with("HTTP/1.1 408") && answer.contains("RequestTimeout"),
        "{answer}"
    );
    until_closed(&mut silent, "a connection that never sends").await;
    let answer = String::from_utf8_lossy(&until_closed(&mut idle, "an idle kept-alive one").await)
        .into_owned();
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "answered first: {answer}"
    );
    wait_for_stats(&s, "nothing in flight, no connection", |st| {
        st.api_in_flight == 0 && st.connections == 0
    })
    .await;
    // and it still serves
    assert_eq!(control(addr, "GET", "/_sandbox/stats").await?.status, 200);
    s.shutdown().await;
    Ok(())
}

const CHILD: &str = "CSRKIT_SANDBOX_TEST_CHILD";

/// The sandbox of [`f05_slow_clients_cannot_lock_others_out`], run in a child process (this
/// test binary again) whose descriptors are limited: it prints its URL and serves until its
/// stdin closes. Does nothing when run otherwise.
#[tokio::test]
#[ignore = "the child process of f05_slow_clients_cannot_lock_others_out"]
async fn child_sandbox_with_few_descriptors() -> TestResult {
    if std::env::var_os(CHILD).is_none() {
        return Ok(());
    }
    let mut cfg = SandboxConfig::default();
    // so long that only making room can let a client in
    cfg.header_timeout = Duration::from_secs(3600);
    cfg.body_timeout = Duration::from_secs(3600);
    let s = Sandbox::start(cfg).await?;
    println!("CHILD_URL {}", s.endpoint());
    std::io::stdout().flush()?;
    tokio::task::spawn_blocking(|| {
        let mut b = [0u8; 64];
        while std::io::stdin().read(&mut b).is_ok_and(|n| n > 0) {}
    })
    .await?;
    s.shutdown().await;
    Ok(())
}

/// F05's lockout: a sandbox limited to 256 descriptors, 276 clients that send half a request
/// line and wait; a good request is still answered, because the sandbox closes the oldest
/// waiting connection when it cannot accept (its header timer is an hour here, so nothing else
/// could let the good request in).
#[test]
fn f05_slow_clients_cannot_lock_others_out() -> TestResult {
    let exe = std::env::current_exe()?;
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 256 && exec "$0" --ignored --exact child_sandbox_with_few_descriptors --nocapture --test-threads 1"#)
        .arg(exe)
        .env(CHILD, "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let result = (|| -> TestResult {
        let out = child.stdout.take().ok_or("no stdout")?;
        let mut lines = std::io::BufReader::new(out).lines();
        let url = loop {
            let line = lines.next().ok_or("the child sandbox did not start")??;
            // libtest prints the test's name on the same line
            if let Some((_, u)) = line.split_once("CHILD_URL ") {
                break u.trim().to_owned();
            }
        };
        let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse()?;
        let mut held = Vec::new();
        for _ in 0..276 {
            let mut c = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
            c.write_all(b"GET / HTTP/1.1\r\n")?;
            held.push(c);
        }
        let mut good = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
        good.set_read_timeout(Some(Duration::from_secs(60)))?;
        good.write_all(
            format!("GET /_sandbox/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )?;
        let mut answer = Vec::new();
        let read = good.read_to_end(&mut answer);
        let text = String::from_utf8_lossy(&answer);
        assert!(
            read.is_ok() && text.starts_with("HTTP/1.1 200"),
            "a good request behind 276 half-open clients: {read:?} {text}"
        );
        drop(held);
        Ok(())
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// F06: the log is bounded in bytes, measured as the JSON a fetch serves: 150 requests of
/// 64 KB of control bytes and 72 KB of headers each (about 460 KB of JSON apiece, 69 MB in
/// all) leave at most 8 MiB, the most recent ones.
#[tokio::test]
async fn f06_the_request_log_is_bounded_in_bytes() -> TestResult {
    let s = Sandbox::start(SandboxConfig::default()).await?;
    let cap = SandboxConfig::default().request_log_max_bytes;
    let addr = s.addr();
    let headers: String = (0..9)
        .map(|j| format!("x-p{j}: {}\r\n", "c".repeat(8000)))
        .collect();
    let body = vec![1u8; 65_000];
    for i in 0..150 {
        let mut req = format!(
            "POST /?n={i} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/octet-stream\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        req.extend_from_slice(&body);
        let r = common::send_raw(addr, &req).await?.ok_or("no answer")?;
        assert_eq!(r.status, 400, "unauthenticated: {}", r.text());
    }
    let st = s.stats();
    assert!(
        st.request_log_bytes as usize <= cap && st.request_log_bytes > 0,
        "{} bytes kept",
        st.request_log_bytes
    );
    let log = control(addr, "GET", "/_sandbox/requests").await?;
    assert!(
        log.body.len() <= cap + 200,
        "GET /_sandbox/requests served {} bytes, over the cap of {cap}",
        log.body.len()
    );
    let entries = log.json();
    let entries = entries.as_array().ok_or("not a JSON array")?;
    assert!(entries.len() >= 10, "{} entries", entries.len());
    assert_eq!(
        entries.last().ok_or("empty")?["path"],
        "/?n=149",
        "the newest stays"
    );

    // an entry larger than the cap alone is kept without its body
    let mut cfg = SandboxConfig::default();
    cfg.request_log_max_bytes = 4096;
    let small = Sandbox::start(cfg).await?;
    let mut req = format!(
        "POST /?big HTTP/1.1\r\nhost: {}\r\ncontent-length: 10000\r\nconnection: close\r\n\r\n",
        small.addr()
    )
    .into_bytes();
    req.extend_from_slice(&[b'z'; 10_000]);
    common::send_raw(small.addr(), &req).await?;
    let log = control(small.addr(), "GET", "/_sandbox/requests")
        .await?
        .json();
    assert_eq!(log[0]["path"], "/?big");
    assert!(
        log[0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("not kept")),
        "{log}"
    );
    s.shutdown().await;
    small.shutdown().await;
    Ok(())
}
