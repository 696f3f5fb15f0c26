//! `rfc2136`: RFC 2136 dynamic UPDATE, signed with TSIG, to any standard
//! server (BIND, Knot, PowerDNS).
//!
//! - The zone is the one the update server itself is authoritative for: an
//!   SOA query to it (no recursion) for the record name and then each parent,
//!   until an answer with the AA flag names an SOA that contains the name.
//! - A TXT value is added with a prerequisite-free UPDATE (RFC 2136 §2.5.1
//!   "add to an RRset"): other values at the name stay.
//! - A CNAME is added only when no CNAME is there (prerequisite "RRset does
//!   not exist", §2.4.3), because a CNAME add would otherwise replace one
//!   that is not ours; a CNAME with our value is reused.
//! - After the UPDATE the server is asked again: a server silently ignores a
//!   CNAME next to other data (and data next to a CNAME), which is reported
//!   as [`Error::Conflict`].
//! - Cleanup deletes exactly our value (§2.5.4 "delete an RR from an RRset"),
//!   which succeeds when it is already gone.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_proto::op::{Message, ResponseCode, update_message};
use hickory_proto::rr::rdata::{CNAME, TXT};
use hickory_proto::rr::{Name, RData, Record, RecordSet};

use crate::challenge::{Challenge, DnsChallenge, Published, RecordType};
use crate::error::{Error, Result};
use crate::net::{self, Answer};
use crate::tsig::TsigKey;
use crate::{BoxFuture, Publisher};

const PROVIDER: &str = "rfc2136";

/// Publishes through RFC 2136 UPDATE signed with a TSIG key.
#[derive(Debug, Clone)]
pub struct Rfc2136Publisher {
    server: String,
    host: String,
    port: u16,
    key: TsigKey,
    ttl: u32,
    timeout: Duration,
}

/// The TTL of records `rfc2136` adds unless told otherwise (seconds).
pub const RFC2136_DEFAULT_TTL: u32 = 60;

impl Rfc2136Publisher {
    /// A publisher sending UPDATEs to `server` (`--dns-server HOST[:PORT]`,
    /// port 53 by default; an IPv6 address with a port is written
    /// `[ADDR]:PORT`), signed with `key`.
    ///
    /// # Errors
    /// [`Error::Config`] when `server` is not `HOST[:PORT]`.
    pub fn new(server: &str, key: TsigKey) -> Result<Self> {
        let (host, port) = parse_server(server, "--dns-server")?;
        key.signer()?;
        Ok(Rfc2136Publisher {
            server: server.trim().to_string(),
            host,
            port,
            key,
            ttl: RFC2136_DEFAULT_TTL,
            timeout: Duration::from_secs(10),
        })
    }

    /// Sets the TTL of added records (default [`RFC2136_DEFAULT_TTL`]).
    pub fn with_ttl(mut self, ttl: u32) -> Self {
        self.ttl = ttl;
        self
    }

    /// Sets how long to wait for each answer (default 10 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    async fn addr(&self) -> Result<SocketAddr> {
        resolve_host(&self.host, self.port, PROVIDER, &self.server).await
    }

    /// The zone `name` is in, according to the update server.
    async fn find_zone(&self, addr: SocketAddr, name: &Name) -> Result<Name> {
        let mut candidate = name.clone();
        loop {
            let a = net::query(
                addr,
                &candidate,
                hickory_proto::rr::RecordType::SOA,
                false,
                self.timeout,
            )
            .await
            .map_err(|e| self.unavailable(e.0))?;
            if a.authoritative
                && matches!(a.rcode, ResponseCode::NoError | ResponseCode::NXDomain)
                && let Some(owner) = a.soa_owner().filter(|o| o.zone_of(name))
            {
                return Ok(owner);
            }
            if candidate.num_labels() <= 1 {
                break;
            }
            candidate = candidate.base_name();
        }
        Err(Error::ZoneNotFound {
            provider: PROVIDER,
            name: net::name_text(name),
            hint: format!(
                "the server {} answered for no zone that contains it (no SOA with the AA flag). \
                 --dns-server must name the zone's primary server",
                self.server
            ),
        })
    }

    fn unavailable(&self, detail: String) -> Error {
        Error::Unavailable {
            provider: PROVIDER,
            target: self.server.clone(),
            detail,
        }
    }

    /// The TXT and CNAME records at `name` on the server, as (type, text, record).
    async fn records_at(
        &self,
        addr: SocketAddr,
        name: &Name,
    ) -> Result<Vec<(RecordType, String, Record)>> {
        let mut out = Vec::new();
        for t in [
            hickory_proto::rr::RecordType::CNAME,
            hickory_proto::rr::RecordType::TXT,
        ] {
            let a: Answer = net::query(addr, name, t, false, self.timeout)
                .await
                .map_err(|e| self.unavailable(e.0))?;
            if !matches!(a.rcode, ResponseCode::NoError | ResponseCode::NXDomain) {
                return Err(self.unavailable(format!(
                    "querying {name} {t}: the server answered {}",
                    a.rcode
                )));
            }
            for r in a.answers {
                if r.name != *name {
                    continue;
                }
                if let Some((rt, text)) = net::record_text(&r) {
                    let rt = match rt {
                        hickory_proto::rr::RecordType::TXT => RecordType::Txt,
                        _ => RecordType::Cname,
                    };
                    if !out
                        .iter()
                        .any(|(t, v, _): &(RecordType, String, Record)| *t == rt && *v == text)
                    {
                        out.push((rt, text, r));
                    }
                }
            }
        }
        Ok(out)
    }

    async fn send_update(
        &self,
        addr: SocketAddr,
        message: Message,
        what: &str,
        zone: &Name,
    ) -> Result<()> {
        let signer = self.key.signer()?;
        let a = match net::exchange(addr, message, Some(signer), self.timeout).await {
            Ok(a) => a,
            // An answer came but does not verify: servers answer a request
            // whose key or signature they reject (BADKEY, BADSIG, BADTIME)
            // with NOTAUTH, unsigned.
            Err(e) if e.1 => {
                return Err(Error::Refused {
                    provider: PROVIDER,
                    action: format!("UPDATE ({what}) in zone {}", net::name_text(zone)),
                    code: "TSIG".into(),
                    message: format!("the server's answer is not signed with our key ({})", e.0),
                    request_id: None,
                    hint: format!(
                        "The server most likely rejected the key: check that its key statement has the same \
                         name ({:?}), algorithm ({}) and secret as --tsig-key-file, and that both clocks are \
                         right within {} s",
                        self.key.name(),
                        self.key.algorithm(),
                        crate::tsig::TSIG_FUDGE
                    ),
                });
            }
            Err(e) => return Err(self.unavailable(format!("{what}: {}", e.0))),
        };
        match a.rcode {
            ResponseCode::NoError => Ok(()),
            ResponseCode::ServFail => {
                Err(self.unavailable(format!("{what}: the server answered SERVFAIL")))
            }
            code => Err(Error::Refused {
                provider: PROVIDER,
                action: format!("UPDATE ({what}) in zone {}", net::name_text(zone)),
                code: net::rcode_text(code),
                message: format!("the server {} refused the update", self.server),
                request_id: None,
                hint: update_hint(code, self.key.name(), &net::name_text(zone)),
            }),
        }
    }

    async fn present_dns(&self, c: &DnsChallenge) -> Result<Published> {
        let addr = self.addr().await?;
        let name = net::fqdn(c.name()).map_err(|reason| Error::InvalidChallenge {
            field: "RecordDomain",
            reason,
        })?;
        let zone = self.find_zone(addr, &name).await?;
        let mut published = Published::for_dns(PROVIDER, c);
        published.zone = Some(net::name_text(&zone));
        published.ttl = Some(self.ttl);
        let wanted = format!("{} {:?}", c.record_type(), c.value());

        let existing = self.records_at(addr, &name).await?;
        let ours = |e: &[(RecordType, String, Record)]| {
            e.iter()
                .any(|(t, v, _)| *t == c.record_type() && v == c.value())
        };
        if ours(&existing) {
            published.preexisting = true;
            return Ok(published);
        }
        let in_the_way = existing.iter().find(|(t, _, _)| match c.record_type() {
            RecordType::Txt => *t == RecordType::Cname,
            RecordType::Cname => true,
        });
        if let Some((t, v, _)) = in_the_way {
            return Err(conflict(c, &wanted, *t, v));
        }

        let record = Record::from_rdata(name.clone(), self.ttl, rdata(c)?);
        let message = match c.record_type() {
            RecordType::Txt => {
                update_message::append(RecordSet::from(record), zone.clone(), false, true)
            }
            RecordType::Cname => {
                update_message::create(RecordSet::from(record), zone.clone(), true)
            }
        };
        let sent = self
            .send_update(addr, message, &format!("add {} {wanted}", c.name()), &zone)
            .await;
        // A CNAME that appeared meanwhile (YXRRSET) is looked at below.
        if let Err(e) = sent {
            let race = matches!(&e, Error::Refused { code, .. } if code == "YXRRSET");
            if !race {
                return Err(e);
            }
        }
        let after = self.records_at(addr, &name).await?;
        if ours(&after) {
            return Ok(published);
        }
        let other = after
            .iter()
            .find(|(t, v, _)| !(*t == c.record_type() && v == c.value()));
        match other {
            Some((t, v, _)) => Err(conflict(c, &wanted, *t, v)),
            None => Err(Error::Refused {
                provider: PROVIDER,
                action: format!("UPDATE (add {} {wanted})", c.name()),
                code: "NOERROR".into(),
                message: "the server accepted the update, but does not answer with the record".into(),
                request_id: None,
                hint: "check that --dns-server is the zone's primary and not a secondary that forwards updates"
                    .into(),
            }),
        }
    }

    async fn cleanup_dns(&self, p: &Published) -> Result<()> {
        let rtype = p.dns_type(PROVIDER)?;
        let addr = self.addr().await?;
        let name = net::fqdn(&p.name).map_err(|reason| Error::InvalidChallenge {
            field: "name",
            reason,
        })?;
        let zone = match &p.zone {
            Some(z) => net::fqdn(z).map_err(|reason| Error::InvalidChallenge {
                field: "zone",
                reason,
            })?,
            None => self.find_zone(addr, &name).await?,
        };
        // Delete the record exactly as the server holds it (TXT strings may be
        // split differently from how csrkit would split them).
        let existing = self.records_at(addr, &name).await?;
        let matching: Vec<Record> = existing
            .into_iter()
            .filter(|(t, v, _)| *t == rtype && *v == p.value)
            .map(|(_, _, r)| r)
            .collect();
        for r in matching {
            let mut r = r;
            r.ttl = 0;
            let message = update_message::delete_by_rdata(RecordSet::from(r), zone.clone(), true);
            self.send_update(
                addr,
                message,
                &format!("delete {} {} {:?}", p.name, rtype, p.value),
                &zone,
            )
            .await?;
        }
        Ok(())
    }
}

fn rdata(c: &DnsChallenge) -> Result<RData> {
    Ok(match c.record_type() {
        RecordType::Txt => RData::TXT(TXT::from_bytes(c.value().as_bytes().chunks(255).collect())),
        RecordType::Cname => RData::CNAME(CNAME(net::fqdn(c.value()).map_err(|reason| {
            Error::InvalidChallenge {
                field: "RecordValue",
                reason,
            }
        })?)),
    })
}

fn conflict(c: &DnsChallenge, wanted: &str, t: RecordType, v: &str) -> Error {
    Error::Conflict {
        provider: PROVIDER,
        name: c.name().to_string(),
        wanted: wanted.to_string(),
        existing: format!("{t} {v:?}"),
    }
}

fn update_hint(code: ResponseCode, key: &str, zone: &str) -> String {
    match code {
        ResponseCode::Refused => format!(
            "The server's policy does not let key {key:?} change this name: give the zone {zone} \
             `update-policy {{ grant {key} zonesub TXT; grant {key} zonesub CNAME; }};` (BIND) and reload it"
        ),
        ResponseCode::NotAuth => format!(
            "The server did not accept key {key:?} or is not authoritative for {zone}: check the key's name, \
             algorithm and secret match the server's key statement, and that --dns-server is the zone's primary"
        ),
        ResponseCode::NotZone => format!("The name is not in zone {zone} on this server"),
        _ => String::new(),
    }
}

/// Parses `HOST[:PORT]` (default port 53); `[V6]:PORT` for IPv6 with a port.
pub(crate) fn parse_server(s: &str, setting: &'static str) -> Result<(String, u16)> {
    let s = s.trim();
    let bad = |reason: String| Error::Config { setting, reason };
    if s.is_empty() {
        return Err(bad(
            "is empty; write HOST or HOST:PORT, e.g. ns1.example.com or 127.0.0.1:5353".into(),
        ));
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Ok((sa.ip().to_string(), sa.port()));
    }
    if let Ok(ip) = s
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Ok((ip.to_string(), 53));
    }
    let (host, port) = match s.rsplit_once(':') {
        Some((h, p)) => {
            let port = p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad(format!("{s:?}: {p:?} is not a port (1-65535)")))?;
            (h, port)
        }
        None => (s, 53),
    };
    let host = host.trim_end_matches('.');
    if host.is_empty()
        || host.len() > 253
        || !host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    {
        return Err(bad(format!(
            "{s:?} is not HOST[:PORT] (a host name or an IP address; an IPv6 address with a port is [ADDR]:PORT)"
        )));
    }
    Ok((host.to_ascii_lowercase(), port))
}

/// Resolves a host through the system resolver (an IP address as is).
pub(crate) async fn resolve_host(
    host: &str,
    port: u16,
    provider: &'static str,
    shown: &str,
) -> Result<SocketAddr> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    let found = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| Error::Unavailable {
            provider,
            target: shown.to_string(),
            detail: format!("cannot resolve {host}: {e}"),
        })?;
    let mut found: Vec<SocketAddr> = found.collect();
    found.sort_by_key(|a| !a.is_ipv4());
    found.into_iter().next().ok_or_else(|| Error::Unavailable {
        provider,
        target: shown.to_string(),
        detail: format!("{host} has no address"),
    })
}

impl Publisher for Rfc2136Publisher {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn plan(&self, challenge: &Challenge) -> Result<Published> {
        let mut p = Published::for_dns(PROVIDER, challenge.dns_only(PROVIDER)?);
        p.ttl = Some(self.ttl);
        Ok(p)
    }

    fn present<'a>(&'a self, challenge: &'a Challenge) -> BoxFuture<'a, Result<Published>> {
        Box::pin(async move { self.present_dns(challenge.dns_only(PROVIDER)?).await })
    }

    fn cleanup<'a>(&'a self, published: &'a Published) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.cleanup_dns(published))
    }

    fn preflight<'a>(&'a self, domains: &'a [String]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let addr = self.addr().await?;
            for d in domains {
                let name = net::fqdn(&crate::expected_record(d)).map_err(|reason| {
                    Error::InvalidChallenge {
                        field: "domain",
                        reason,
                    }
                })?;
                self.find_zone(addr, &name).await?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn servers() {
        assert_eq!(
            parse_server("127.0.0.1", "s").unwrap(),
            ("127.0.0.1".into(), 53)
        );
        assert_eq!(
            parse_server("127.0.0.1:5353", "s").unwrap(),
            ("127.0.0.1".into(), 5353)
        );
        assert_eq!(
            parse_server("[::1]:5353", "s").unwrap(),
            ("::1".into(), 5353)
        );
        assert_eq!(parse_server("::1", "s").unwrap(), ("::1".into(), 53));
        assert_eq!(
            parse_server("NS1.example.com.", "s").unwrap(),
            ("ns1.example.com".into(), 53)
        );
        assert_eq!(
            parse_server("ns1.example.com:54", "s").unwrap(),
            ("ns1.example.com".into(), 54)
        );
        for bad in [
            "",
            "ns1:0",
            "ns1:99999",
            "ns 1",
            "http://ns1",
            "ns1:port",
            "a..b",
        ] {
            let e = parse_server(bad, "--dns-server").unwrap_err().to_string();
            assert!(e.starts_with("--dns-server: "), "{bad}: {e}");
        }
    }
}
