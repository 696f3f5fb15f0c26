//! The hosted zones over real DNS: an authoritative server on UDP and TCP (hickory-server does
//! the transport, truncation and TCP framing; the answers are built here), and the lookup that
//! both the server and the verifying CA use.
//!
//! Answers follow RFC 1034 §4.3.2 for the zones the sandbox hosts, from the records the Alidns
//! emulation holds at the moment of the query (a change is visible to the next query):
//!
//! - the AA flag on every answer from a hosted zone; `REFUSED` (no AA) for any other name;
//! - `NXDOMAIN` for a name with no records at or below it, `NOERROR` with no answer (NODATA) for a
//!   name that exists without records of the type asked (an empty non-terminal included); both
//!   carry the zone's SOA in the authority section (TTL 600, RFC 2308);
//! - the apex has a synthesised SOA (serial: one more on every record change) and NS records
//!   (`ns1.sandbox.invalid`, `ns2.sandbox.invalid`);
//! - a CNAME is answered for any type, and followed while its target is in a hosted zone;
//! - a wildcard (`*` RR) answers for names that do not exist below its closest encloser
//!   (RFC 4592);
//! - a TXT value longer than 255 bytes is served as several strings; several TXT records at one
//!   name are several values;
//! - only records of line `default` are served (the server answers as the default line).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hickory_net::runtime::Time;
use hickory_proto::op::{Edns, Header, HeaderCounts, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, NS, SOA, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::watch;

use crate::alidns::{DNS_SERVERS, DnsData, MIN_TTL, Rec, Zone};
use crate::error::{Error, Result};
use crate::server::{Shared, lock};

/// How long a TCP connection may stay idle between queries.
const TCP_IDLE: Duration = Duration::from_secs(10);
/// How many CNAMEs are followed in one answer.
const MAX_CHAIN: usize = 8;

/// What a hosted zone says about a name and type.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) rcode: ResponseCode,
    pub(crate) answers: Vec<Record>,
    pub(crate) authority: Vec<Record>,
}

/// Looks `qname`/`qtype` up in the hosted zones; `None` when the name is in none of them.
pub(crate) fn lookup(dns: &DnsData, qname: &Name, qtype: RecordType) -> Option<Answer> {
    let mut answers = Vec::new();
    let mut name = qname.clone();
    for _ in 0..=MAX_CHAIN {
        let Some(step) = lookup_one(dns, &name, qtype) else {
            // a CNAME out of the hosted zones: the answer so far
            return (!answers.is_empty()).then_some(Answer {
                rcode: ResponseCode::NoError,
                answers,
                authority: Vec::new(),
            });
        };
        answers.extend(step.answer.answers);
        match step.follow {
            Some(target) => name = target,
            None => {
                return Some(Answer {
                    rcode: step.answer.rcode,
                    answers,
                    authority: step.answer.authority,
                });
            }
        }
    }
    Some(Answer {
        rcode: ResponseCode::NoError,
        answers,
        authority: Vec::new(),
    })
}

/// One step of a lookup: the answer at one name, and the CNAME target to follow, if any.
struct Step {
    answer: Answer,
    follow: Option<Name>,
}

/// The name's labels, lower case; `None` for a label that is not plain text (it cannot be a
/// hosted name).
fn plain_labels(name: &Name) -> Vec<Option<String>> {
    name.iter()
        .map(|l| {
            std::str::from_utf8(l)
                .ok()
                .filter(|s| !s.contains('.'))
                .map(str::to_ascii_lowercase)
        })
        .collect()
}

fn lookup_one(dns: &DnsData, qname: &Name, qtype: RecordType) -> Option<Step> {
    let labels = plain_labels(qname);
    // the longest hosted zone that holds the name
    let (zone, cut) = (0..labels.len()).find_map(|i| {
        let suffix: Option<Vec<&str>> = labels[i..].iter().map(Option::as_deref).collect();
        dns.zones.get(&suffix?.join(".")).map(|z| (z, i))
    })?;
    let rel = &labels[..cut];
    let Some(rel) = rel.iter().cloned().collect::<Option<Vec<String>>>() else {
        return Some(Step {
            answer: negative(zone, ResponseCode::NXDomain),
            follow: None,
        });
    };
    let owner = if rel.is_empty() {
        "@".to_owned()
    } else {
        rel.join(".")
    };
    let exists = |rr: &str| {
        rr == "@"
            || zone
                .records
                .iter()
                .any(|r| r.line == "default" && (r.rr == rr || r.rr.ends_with(&format!(".{rr}"))))
    };
    let at = |rr: &str| -> Vec<&Rec> {
        zone.records
            .iter()
            .filter(|r| r.line == "default" && r.rr == rr)
            .collect()
    };
    let node = if exists(&owner) {
        at(&owner)
    } else {
        // RFC 4592: the closest encloser's wildcard, if it has records
        let encloser = (1..=rel.len())
            .map(|j| {
                if j == rel.len() {
                    "@".to_owned()
                } else {
                    rel[j..].join(".")
                }
            })
            .find(|rr| exists(rr))
            .unwrap_or_else(|| "@".to_owned());
        let wildcard = if encloser == "@" {
            "*".to_owned()
        } else {
            format!("*.{encloser}")
        };
        let recs = at(&wildcard);
        if recs.is_empty() {
            return Some(Step {
                answer: negative(zone, ResponseCode::NXDomain),
                follow: None,
            });
        }
        recs
    };
    let apex = owner == "@";
    let mut answers: Vec<Record> = Vec::new();
    let mut follow = None;
    let cname = node.iter().find(|r| r.rtype == "CNAME");
    let apex_data = apex && matches!(qtype, RecordType::SOA | RecordType::NS);
    match cname {
        Some(c) if qtype != RecordType::CNAME && !apex_data => {
            if let Some(rec) = to_record(qname, c) {
                if let RData::CNAME(CNAME(target)) = &rec.data {
                    follow = Some(target.clone());
                }
                answers.push(rec);
            }
        }
        _ => {
            if apex && matches!(qtype, RecordType::SOA | RecordType::ANY) {
                answers.push(soa(zone));
            }
            if apex && matches!(qtype, RecordType::NS | RecordType::ANY) {
                answers.extend(apex_ns(zone));
            }
            answers.extend(
                node.iter()
                    .filter(|r| qtype == RecordType::ANY || r.rtype == qtype.to_string())
                    .filter_map(|r| to_record(qname, r)),
            );
        }
    }
    if answers.is_empty() {
        return Some(Step {
            answer: negative(zone, ResponseCode::NoError),
            follow: None,
        });
    }
    Some(Step {
        answer: Answer {
            rcode: ResponseCode::NoError,
            answers,
            authority: Vec::new(),
        },
        follow,
    })
}

fn zone_name(zone: &Zone) -> Name {
    Name::from_ascii(format!("{}.", zone.puny)).unwrap_or_else(|_| Name::root())
}

fn fqdn(name: &str) -> Option<Name> {
    Name::from_ascii(format!("{name}.")).ok()
}

fn soa(zone: &Zone) -> Record {
    let apex = zone_name(zone);
    let mname = fqdn(DNS_SERVERS[0]).unwrap_or_else(Name::root);
    let rname = fqdn(&format!("hostmaster.{}", zone.puny)).unwrap_or_else(Name::root);
    Record::from_rdata(
        apex,
        MIN_TTL,
        RData::SOA(SOA::new(
            mname,
            rname,
            zone.serial,
            3600,
            600,
            86_400,
            MIN_TTL,
        )),
    )
}

fn apex_ns(zone: &Zone) -> Vec<Record> {
    DNS_SERVERS
        .iter()
        .filter_map(|ns| fqdn(ns))
        .map(|ns| Record::from_rdata(zone_name(zone), MIN_TTL, RData::NS(NS(ns))))
        .collect()
}

fn negative(zone: &Zone, rcode: ResponseCode) -> Answer {
    Answer {
        rcode,
        answers: Vec::new(),
        authority: vec![soa(zone)],
    }
}

/// A TXT value as character-strings of at most 255 bytes, cut at character boundaries.
pub(crate) fn txt_strings(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in value.chars() {
        if current.len() + c.len_utf8() > 255 {
            out.push(std::mem::take(&mut current));
        }
        current.push(c);
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}

/// A stored record as a DNS record owned by `owner`.
fn to_record(owner: &Name, r: &Rec) -> Option<Record> {
    let data = match r.rtype.as_str() {
        "A" => RData::A(A(r.value.parse().ok()?)),
        "AAAA" => RData::AAAA(AAAA(r.value.parse().ok()?)),
        "CNAME" => RData::CNAME(CNAME(fqdn(&r.value)?)),
        "MX" => RData::MX(MX::new(
            u16::try_from(r.priority.unwrap_or(10)).ok()?,
            fqdn(&r.value)?,
        )),
        "TXT" => RData::TXT(TXT::new(txt_strings(&r.value))),
        _ => return None,
    };
    Some(Record::from_rdata(owner.clone(), r.ttl, data))
}

/// Answers DNS queries from the shared state.
pub(crate) struct Handler {
    shared: Arc<Shared>,
}

#[async_trait::async_trait]
impl RequestHandler for Handler {
    async fn handle_request<R: ResponseHandler, T: Time>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let mut edns_out = Edns::new();
        let edns = request.edns.as_ref().map(|e| {
            edns_out.set_max_payload(e.max_payload().max(512));
            edns_out.set_version(0);
            &edns_out
        });
        let mut meta = Metadata::response_from_request(&request.metadata);
        let queries = request.queries.queries();
        let answer = if request.edns.as_ref().is_some_and(|e| e.version() > 0) {
            Err(ResponseCode::BADVERS)
        } else if request.metadata.op_code != OpCode::Query {
            Err(ResponseCode::NotImp)
        } else if queries.len() != 1 {
            Err(ResponseCode::FormErr)
        } else {
            let q = queries[0].original();
            let class_ok = matches!(q.query_class(), DNSClass::IN | DNSClass::ANY);
            let transfer = matches!(q.query_type(), RecordType::AXFR | RecordType::IXFR);
            if !class_ok || transfer {
                Err(ResponseCode::Refused)
            } else {
                let s = lock(&self.shared.state);
                lookup(&s.data.dns, q.name(), q.query_type()).ok_or(ResponseCode::Refused)
            }
        };
        let builder = MessageResponseBuilder::new(&request.queries, edns);
        let sent = match &answer {
            Ok(a) => {
                meta.authoritative = true;
                meta.response_code = a.rcode;
                let response = builder.build(
                    meta,
                    a.answers.iter(),
                    a.authority.iter(),
                    std::iter::empty(),
                    std::iter::empty(),
                );
                response_handle.send_response(response).await
            }
            Err(code) => {
                let response = builder.error_msg(&request.metadata, *code);
                response_handle.send_response(response).await
            }
        };
        sent.unwrap_or_else(|_| {
            let mut failed = Metadata::response_from_request(&request.metadata);
            failed.response_code = ResponseCode::ServFail;
            ResponseInfo::from(Header {
                metadata: failed,
                counts: HeaderCounts::default(),
            })
        })
    }
}

/// Binds UDP and TCP on one port (`addr`'s, or a free one for port 0).
async fn bind_pair(addr: SocketAddr) -> Result<(UdpSocket, TcpListener, SocketAddr)> {
    let bind_err = |source| Error::Bind { addr, source };
    let mut last = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind(addr).await.map_err(bind_err)?;
        let local = udp.local_addr().map_err(bind_err)?;
        match TcpListener::bind(local).await {
            Ok(tcp) => return Ok((udp, tcp, local)),
            // the free UDP port is taken for TCP: try another one
            Err(e) if addr.port() == 0 && e.kind() == std::io::ErrorKind::AddrInUse => {
                last = Some(e);
            }
            Err(e) => return Err(bind_err(e)),
        }
    }
    Err(bind_err(last.unwrap_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "no free port for UDP and TCP",
        )
    })))
}

/// Starts the DNS server on `addr`; it stops when `stop` changes or its sender is dropped.
pub(crate) async fn spawn(
    shared: Arc<Shared>,
    addr: SocketAddr,
    mut stop: watch::Receiver<bool>,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let (udp, tcp, local) = bind_pair(addr).await?;
    let mut server = hickory_server::Server::new(Handler { shared });
    server.register_socket(udp);
    server.register_listener(tcp, TCP_IDLE, 32);
    let task = tokio::spawn(async move {
        let _ = stop.changed().await;
        let _ = server.shutdown_gracefully().await;
    });
    Ok((local, task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_values_split_at_255_bytes_on_character_boundaries() {
        assert_eq!(txt_strings("abc"), vec!["abc"]);
        let long = "x".repeat(300);
        let parts = txt_strings(&long);
        assert_eq!(parts.iter().map(String::len).collect::<Vec<_>>(), [255, 45]);
        let wide = "é".repeat(200); // 400 bytes
        let parts = txt_strings(&wide);
        assert!(parts.iter().all(|p| p.len() <= 255), "{parts:?}");
        assert_eq!(parts.concat(), wide);
    }
}
