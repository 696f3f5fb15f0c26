//! The verifying CA (`--approve verify`): an order leaves `domain_verify` only once the sandbox
//! sees what it asked for.
//!
//! - **DNS**: `_dnsauth.<domain>` (the wildcard label dropped) of the type asked
//!   ([`crate::RecordType`]): a TXT whose strings joined are the `RecordValue`, or a CNAME whose target is
//!   it. The sandbox looks in its own zones, or, with [`crate::SandboxConfig::resolver`], asks that server
//!   over real DNS (UDP, TCP when the answer is truncated; recursion desired).
//! - **FILE**: `GET http://<domain>/.well-known/pki-validation/fileauth.txt`, connecting to
//!   [`crate::SandboxConfig::http_via`] (or the domain on port 80) with the domain as `Host`; status 200
//!   and a body equal to `Content` (trailing whitespace aside, as an editor may add a newline); at
//!   most one redirect (to `http://`), as DigiCert allows.
//!
//! **When**: on every `DescribeCertificateState` of an order in `domain_verify`, within
//! [`crate::SandboxConfig::verify_timeout`]; there is no background checker, so what a test sees depends
//! only on what it published before it asked. Once verified the order is `process`, and it is
//! issued `issue_after` later (on the same describe when that is 0). An order never verified stays
//! in `domain_verify`; `POST /_sandbox/orders/{id}/fail` still fails it. Every check's outcome is
//! kept (in memory) for `GET /_sandbox/verifications`.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

use bytes::Bytes;
use hickory_net::client::{Client, ClientHandle};
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::tcp::TcpClientStream;
use hickory_net::udp::UdpClientStream;
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType as QType};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::config::{Approval, RecordType};
use crate::server::{Shared, lock};
use crate::state::{Order, OrderState, ValidateType, unix_ms};

/// The host record the sandbox asks for (`RecordDomain`).
pub(crate) const RECORD_DOMAIN: &str = "_dnsauth";
/// The path of the FILE validation (`Uri`).
pub(crate) const FILE_URI: &str = "/.well-known/pki-validation/fileauth.txt";
/// Where CNAME targets point (a `.invalid` name: nothing resolves it).
const CNAME_SUFFIX: &str = "dcv.sandbox.invalid";
/// The largest file body read.
const MAX_FILE_BYTES: usize = 64 * 1024;
/// Most check outcomes kept.
const MAX_ATTEMPTS: usize = 1000;

/// The `RecordValue` asked for: the order's token for TXT, a name for CNAME.
pub(crate) fn asked_value(record_type: RecordType, token: &str) -> String {
    match record_type {
        RecordType::Txt => token.to_owned(),
        RecordType::Cname => format!("{}.{CNAME_SUFFIX}", token.to_ascii_lowercase()),
    }
}

/// The domain whose validation this is (the wildcard label dropped).
fn base_domain(order: &Order) -> &str {
    order.domain.strip_prefix("*.").unwrap_or(&order.domain)
}

/// The outcome of the last check of an order, for `GET /_sandbox/verifications`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Attempt {
    checked_at: String,
    verified: bool,
    detail: String,
}

/// What the sandbox knows of its checks.
#[derive(Debug, Default)]
pub(crate) struct Verifications {
    attempts: BTreeMap<u64, Attempt>,
    verified_ms: HashMap<u64, i64>,
}

impl Verifications {
    fn note(&mut self, id: u64, now: OffsetDateTime, verified: bool, detail: String) {
        if self.attempts.len() >= MAX_ATTEMPTS && !self.attempts.contains_key(&id) {
            self.attempts.pop_first();
        }
        self.attempts.insert(
            id,
            Attempt {
                checked_at: now.format(&Rfc3339).unwrap_or_default(),
                verified,
                detail,
            },
        );
    }

    /// The last outcome per order, as `/_sandbox/verifications` shows it.
    pub(crate) fn listing(&self) -> BTreeMap<String, Attempt> {
        self.attempts
            .iter()
            .map(|(id, a)| (id.to_string(), a.clone()))
            .collect()
    }
}

/// What to check for one order.
enum Job {
    Dns {
        name: String,
        record_type: RecordType,
        value: String,
    },
    File {
        domain: String,
        content: String,
    },
}

/// With `--approve verify`: checks an order in `domain_verify` and moves it on if it is verified;
/// issues a verified order whose time has come. Called on `DescribeCertificateState`, before the
/// state is read; holds no lock while it checks.
pub(crate) async fn on_describe(shared: &Shared, id: u64) {
    let config = &shared.config;
    if config.approve != Approval::Verify {
        return;
    }
    let job = {
        let s = lock(&shared.state);
        match s.data.orders.get(&id) {
            Some(o) if o.state == OrderState::DomainVerify => Some(match o.validate_type {
                ValidateType::Dns => Job::Dns {
                    name: format!("{RECORD_DOMAIN}.{}", base_domain(o)),
                    record_type: config.record_type,
                    value: asked_value(config.record_type, &o.record_value),
                },
                ValidateType::File => Job::File {
                    domain: base_domain(o).to_owned(),
                    content: o.file_content.clone(),
                },
            }),
            _ => None,
        }
    };
    if let Some(job) = job {
        let outcome = match tokio::time::timeout(config.verify_timeout, check(shared, &job)).await {
            Ok(r) => r,
            Err(_) => Err(format!(
                "no answer within {} ms",
                config.verify_timeout.as_millis()
            )),
        };
        let now = OffsetDateTime::now_utc();
        let verified = outcome.is_ok();
        let detail = match (&job, outcome) {
            (
                Job::Dns {
                    name, record_type, ..
                },
                Ok(()),
            ) => {
                format!("{record_type} {name}: the value asked for is there")
            }
            (Job::File { domain, .. }, Ok(())) => {
                format!("http://{domain}{FILE_URI}: the content asked for is there")
            }
            (_, Err(why)) => why,
        };
        let mut s = lock(&shared.state);
        if verified
            && let Some(o) = s.data.orders.get_mut(&id)
            && o.state == OrderState::DomainVerify
        {
            o.state = OrderState::Process;
            s.touch();
            lock(&shared.verifications)
                .verified_ms
                .insert(id, unix_ms(now));
        }
        lock(&shared.verifications).note(id, now, verified, detail);
    }
    // A verified order is issued `issue_after` after its verification (at once after a restart,
    // which forgot when).
    let now = OffsetDateTime::now_utc();
    let mut s = lock(&shared.state);
    if s.data.orders.get(&id).map(|o| o.state) == Some(OrderState::Process) {
        let since = lock(&shared.verifications).verified_ms.get(&id).copied();
        let due = since.is_none_or(|ms| {
            unix_ms(now) - ms >= i64::try_from(config.issue_after.as_millis()).unwrap_or(i64::MAX)
        });
        if due && s.issue(id, now).is_ok() {
            lock(&shared.verifications).verified_ms.remove(&id);
        }
    }
}

async fn check(shared: &Shared, job: &Job) -> Result<(), String> {
    match job {
        Job::Dns {
            name,
            record_type,
            value,
        } => {
            let qname = Name::from_ascii(format!("{name}."))
                .map_err(|e| format!("{name} is not a DNS name: {e}"))?;
            let qtype = match record_type {
                RecordType::Txt => QType::TXT,
                RecordType::Cname => QType::CNAME,
            };
            let (rcode, answers, source) = match shared.config.resolver {
                Some(server) => {
                    let (rcode, answers) = query(server, &qname, qtype).await?;
                    (rcode, answers, format!("at {server}"))
                }
                None => {
                    let s = lock(&shared.state);
                    match crate::dns::lookup(&s.data.dns, &qname, qtype) {
                        Some(a) => (a.rcode, a.answers, "in the sandbox's zones".to_owned()),
                        None => {
                            return Err(format!(
                                "{record_type} {name}: no hosted zone holds it (host its zone with --zone, or ask a DNS server with --resolver)"
                            ));
                        }
                    }
                }
            };
            matches(&qname, *record_type, value, rcode, &answers)
                .map_err(|why| format!("{record_type} {name} {source}: {why}"))
        }
        Job::File { domain, content } => {
            let body = fetch(shared.config.http_via, domain).await?;
            let got = body.trim_ascii_end();
            if got == content.as_bytes() {
                Ok(())
            } else {
                Err(format!(
                    "http://{domain}{FILE_URI}: the content is not the one asked for ({} bytes: {:?})",
                    body.len(),
                    String::from_utf8_lossy(&got[..got.len().min(80)])
                ))
            }
        }
    }
}

/// Whether the answer holds the record asked for; if not, what it holds instead.
fn matches(
    qname: &Name,
    record_type: RecordType,
    value: &str,
    rcode: ResponseCode,
    answers: &[Record],
) -> Result<(), String> {
    if rcode != ResponseCode::NoError {
        return Err(format!(
            "the answer is {}",
            format!("{rcode:?}").to_ascii_uppercase()
        ));
    }
    let mut seen = Vec::new();
    for r in answers {
        match (&r.data, record_type) {
            (RData::TXT(txt), RecordType::Txt) => {
                let joined: Vec<u8> = txt
                    .txt_data
                    .iter()
                    .flat_map(|s| s.iter().copied())
                    .collect();
                if joined == value.as_bytes() {
                    return Ok(());
                }
                seen.push(format!("{:?}", String::from_utf8_lossy(&joined)));
            }
            (RData::CNAME(target), RecordType::Cname)
                if r.name.eq_case(qname) || r.name == *qname =>
            {
                let target = target.0.to_ascii();
                let target = target.trim_end_matches('.');
                if target.eq_ignore_ascii_case(value) {
                    return Ok(());
                }
                seen.push(target.to_owned());
            }
            _ => {}
        }
    }
    if seen.is_empty() {
        Err(format!("no {record_type} record"))
    } else {
        Err(format!(
            "{} {record_type} value(s), none is the one asked for: {}",
            seen.len(),
            seen.join(", ")
        ))
    }
}

/// Asks `server` over UDP (TCP when the answer is truncated).
async fn query(
    server: SocketAddr,
    qname: &Name,
    qtype: QType,
) -> Result<(ResponseCode, Vec<Record>), String> {
    let provider = TokioRuntimeProvider::default();
    let udp = UdpClientStream::builder(server, provider.clone()).build();
    let (mut client, bg) = Client::<TokioRuntimeProvider>::from_sender(udp);
    let bg = tokio::spawn(bg);
    let answer = client.query(qname.clone(), DNSClass::IN, qtype).await;
    bg.abort();
    let response = answer.map_err(|e| format!("{server} did not answer over UDP: {e}"))?;
    if !response.metadata.truncation {
        return Ok((response.metadata.response_code, response.answers.clone()));
    }
    let (stream, sender) = TcpClientStream::new(server, None, None, provider);
    let stream = stream
        .await
        .map_err(|e| format!("cannot reach {server} over TCP: {e}"))?;
    let (mut client, bg) = Client::<TokioRuntimeProvider>::new(stream, sender);
    let bg = tokio::spawn(bg);
    let answer = client.query(qname.clone(), DNSClass::IN, qtype).await;
    bg.abort();
    let response = answer.map_err(|e| format!("{server} did not answer over TCP: {e}"))?;
    Ok((response.metadata.response_code, response.answers.clone()))
}

/// Fetches the validation file: at most one redirect, to `http://` only.
async fn fetch(via: Option<SocketAddr>, domain: &str) -> Result<Vec<u8>, String> {
    let mut host = domain.to_owned();
    let mut path = FILE_URI.to_owned();
    for hop in 0..2 {
        let url = format!("http://{host}{path}");
        let stream = match via {
            Some(addr) => tokio::net::TcpStream::connect(addr).await,
            None if host.contains(':') => tokio::net::TcpStream::connect(host.as_str()).await,
            None => tokio::net::TcpStream::connect((host.as_str(), 80)).await,
        }
        .map_err(|e| {
            format!(
                "{url}: cannot connect to {}: {e}",
                via.map_or_else(|| host.clone(), |a| a.to_string())
            )
        })?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let conn = tokio::spawn(conn);
        let request = hyper::Request::get(path.as_str())
            .header(hyper::header::HOST, host.as_str())
            .header(hyper::header::USER_AGENT, "csrkit-sandbox-dcv/1")
            .header(hyper::header::ACCEPT, "*/*")
            .body(Empty::<Bytes>::new())
            .map_err(|e| format!("{url}: {e}"))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status();
        if status.is_redirection() {
            conn.abort();
            let location = response
                .headers()
                .get(hyper::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| format!("{url}: redirect {status} without a Location"))?;
            if hop == 1 {
                return Err(format!(
                    "{url}: a second redirect (to {location}); a CA follows at most one"
                ));
            }
            (host, path) = redirect_target(&host, location).ok_or_else(|| {
                format!("{url}: redirect to {location:?}, which is not an http:// URL or a path")
            })?;
            continue;
        }
        if status != hyper::StatusCode::OK {
            conn.abort();
            return Err(format!("{url}: HTTP status {status}"));
        }
        let body = Limited::new(response.into_body(), MAX_FILE_BYTES)
            .collect()
            .await
            .map_err(|e| format!("{url}: the body: {e}"))?
            .to_bytes();
        conn.abort();
        return Ok(body.to_vec());
    }
    Err(format!("http://{domain}{FILE_URI}: too many redirects"))
}

/// The host and path a `Location` points at: an `http://` URL, or a path on the same host.
fn redirect_target(host: &str, location: &str) -> Option<(String, String)> {
    if let Some(rest) = location.strip_prefix("http://") {
        let (h, p) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
        if h.is_empty() {
            return None;
        }
        Some((h.to_owned(), format!("/{p}")))
    } else if location.starts_with('/') {
        Some((host.to_owned(), location.to_owned()))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_targets() {
        assert_eq!(
            redirect_target("a.example", "/x"),
            Some(("a.example".to_owned(), "/x".to_owned()))
        );
        assert_eq!(
            redirect_target("a.example", "http://www.a.example/.well-known/y"),
            Some(("www.a.example".to_owned(), "/.well-known/y".to_owned()))
        );
        assert_eq!(
            redirect_target("a.example", "http://b.example"),
            Some(("b.example".to_owned(), "/".to_owned()))
        );
        assert_eq!(redirect_target("a.example", "https://a.example/x"), None);
        assert_eq!(redirect_target("a.example", "x"), None);
    }

    #[test]
    fn cname_values_are_names() {
        assert_eq!(
            asked_value(RecordType::Txt, "20260101000000AbC"),
            "20260101000000AbC"
        );
        assert_eq!(
            asked_value(RecordType::Cname, "20260101000000AbC"),
            "20260101000000abc.dcv.sandbox.invalid"
        );
    }
}
