//! A load generator: signed V3 `DescribeCertificateState` requests over loopback keep-alive
//! connections against a sandbox started in this process (or at `--endpoint URL`).
//!
//! ```text
//! cargo run --release -p csrkit-sandbox --example load -- [--clients 50] [--requests 100000] [--endpoint http://127.0.0.1:PORT]
//! ```
//! Prints requests/s, latency percentiles and the process's resident memory before and after.
//! Against an external sandbox, give it a quota and an order first; in process, the example makes
//! one order itself (default credentials).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use csrkit_sandbox::{Approval, Sandbox, SandboxConfig};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn enc(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(char::from(b));
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

fn iso_now() -> String {
    let n = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        n.year(),
        u8::from(n.month()),
        n.day(),
        n.hour(),
        n.minute(),
        n.second()
    )
}

/// A V3-signed keep-alive request.
fn signed(
    addr: SocketAddr,
    id: &str,
    secret: &str,
    action: &str,
    params: &[(&str, &str)],
) -> Vec<u8> {
    let mut p: Vec<(String, String)> = params.iter().map(|(k, v)| (enc(k), enc(v))).collect();
    p.sort();
    let q = p
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let empty = hex::encode(Sha256::digest(b""));
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let headers = [
        ("host", addr.to_string()),
        ("x-acs-action", action.to_owned()),
        ("x-acs-content-sha256", empty.clone()),
        ("x-acs-date", iso_now()),
        ("x-acs-signature-nonce", nonce),
        ("x-acs-version", "2020-04-07".to_owned()),
    ];
    let ch: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let sh = headers
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(";");
    let creq = format!("POST\n/\n{q}\n{ch}\n{sh}\n{empty}");
    let sts = format!(
        "ACS3-HMAC-SHA256\n{}",
        hex::encode(Sha256::digest(creq.as_bytes()))
    );
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(sts.as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    let mut out = format!("POST /?{q} HTTP/1.1\r\n");
    for (k, v) in &headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "authorization: ACS3-HMAC-SHA256 Credential={id},SignedHeaders={sh},Signature={sig}\r\ncontent-length: 0\r\n\r\n"
    ));
    out.into_bytes()
}

/// Sends one request on a keep-alive connection; returns the status and body.
async fn exchange(conn: &mut BufReader<TcpStream>, req: &[u8]) -> Result<(u16, Vec<u8>), BoxError> {
    conn.get_mut().write_all(req).await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status: u16 = line.split(' ').nth(1).unwrap_or("0").parse()?;
    let mut len = 0usize;
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Err("connection closed".into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            len = v.trim().parse()?;
        }
    }
    let mut body = vec![0; len];
    conn.read_exact(&mut body).await?;
    Ok((status, body))
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let clients: u64 = arg("--clients").map_or(Ok(50), |v| v.parse())?;
    let total: u64 = arg("--requests").map_or(Ok(100_000), |v| v.parse())?;
    let (id, secret) = (
        csrkit_sandbox::DEFAULT_ACCESS_KEY_ID.to_owned(),
        csrkit_sandbox::DEFAULT_ACCESS_KEY_SECRET.to_owned(),
    );
    let mut _sandbox = None;
    let addr: SocketAddr = match arg("--endpoint") {
        Some(url) => url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()?,
        None => {
            let mut cfg = SandboxConfig::default();
            cfg.approve = Approval::Manual;
            let s = Sandbox::start(cfg).await?;
            let a = s.addr();
            _sandbox = Some(s);
            a
        }
    };
    // one order to describe
    let key = rcgen::KeyPair::generate()?;
    let mut p = rcgen::CertificateParams::new(vec!["load.example.com".to_owned()])?;
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "load.example.com");
    let csr = p.serialize_request(&key)?.pem()?;
    let mut conn = BufReader::new(TcpStream::connect(addr).await?);
    let (status, body) = exchange(
        &mut conn,
        &signed(
            addr,
            &id,
            &secret,
            "CreateCertificateWithCsrRequest",
            &[
                ("Csr", &csr),
                ("ValidateType", "DNS"),
                ("Username", "Load"),
                ("Phone", "1"),
                ("Email", "load@example.com"),
            ],
        ),
    )
    .await?;
    let order: serde_json::Value = serde_json::from_slice(&body)?;
    let order_id = order["OrderId"]
        .as_u64()
        .ok_or_else(|| format!("create failed: {status} {}", String::from_utf8_lossy(&body)))?
        .to_string();

    let rss_before = rss_kib();
    let next = Arc::new(AtomicU64::new(0));
    let failures = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, failures, id, secret, order_id) = (
            next.clone(),
            failures.clone(),
            id.clone(),
            secret.clone(),
            order_id.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut conn = BufReader::new(TcpStream::connect(addr).await?);
            conn.get_ref().set_nodelay(true)?;
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let req = signed(
                    addr,
                    &id,
                    &secret,
                    "DescribeCertificateState",
                    &[("OrderId", &order_id)],
                );
                let t = Instant::now();
                let (status, _) = exchange(&mut conn, &req).await?;
                lat.push(t.elapsed());
                if status != 200 {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
            Ok::<_, BoxError>(lat)
        }));
    }
    let mut lat: Vec<Duration> = Vec::new();
    for t in tasks {
        lat.extend(t.await??);
    }
    let elapsed = started.elapsed();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{} requests, {clients} clients, {:.2} s: {:.0} requests/s; failures {}",
        lat.len(),
        elapsed.as_secs_f64(),
        lat.len() as f64 / elapsed.as_secs_f64(),
        failures.load(Ordering::Relaxed)
    );
    println!(
        "latency p50 {:?} p99 {:?} max {:?}",
        pct(0.5),
        pct(0.99),
        lat.last().copied().unwrap_or_default()
    );
    println!(
        "RSS of this process (sandbox in process: {}): {} KiB before, {} KiB after",
        _sandbox.is_some(),
        rss_before,
        rss_kib()
    );
    Ok(())
}
