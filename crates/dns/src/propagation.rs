//! Waiting until the CA will see what was published.
//!
//! **DNS** ([`wait_for_dns`]): without a resolver given, csrkit finds the
//! zone's authoritative servers itself — an SOA walk over the record name's
//! label suffixes through the bootstrap (recursive) resolvers, the zone's NS
//! set, and each server's addresses — follows a CNAME at a TXT record's name
//! to where it points, and asks every authoritative server directly (no
//! recursion) until each one answers with the value (TXT strings joined).
//! SERVFAIL, timeouts and wrong answers are asked again, with exponential
//! backoff, until the timeout (default 10 minutes), which ends in
//! [`Error::PropagationTimeout`]. An explicit resolver
//! ([`Options::resolver`], the CLI's `--dns-resolver HOST:PORT`) replaces
//! the walk: that one server is asked, with recursion.
//!
//! **FILE** ([`wait_for_file`]): `GET http://DOMAIN/URI` (at most one
//! redirect) until the body is exactly the content.
//!
//! Progress is reported as [`Event`]s to the caller's callback; nothing is
//! printed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType as WireType};

use crate::challenge::{Challenge, DnsChallenge, FileChallenge, RecordType};
use crate::error::{Error, Result};
use crate::net::{self, Answer};

/// How to check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Ask this server (with recursion) instead of the zone's authoritative
    /// servers (`--dns-resolver HOST:PORT`): for tests and split-horizon
    /// setups.
    pub resolver: Option<SocketAddr>,
    /// Give up after this long (`--propagation-timeout`, default 10 minutes).
    pub timeout: Duration,
    /// The recursive resolvers used to find the authoritative servers;
    /// empty: the `nameserver` lines of `/etc/resolv.conf`.
    pub bootstrap: Vec<SocketAddr>,
    /// The port authoritative servers are asked on (53; another only for
    /// tests).
    pub nameserver_port: u16,
    /// How long to wait for one answer (default 5 s).
    pub query_timeout: Duration,
    /// The first pause between rounds (default 2 s); it doubles each round.
    pub interval: Duration,
    /// The longest pause between rounds (default 30 s).
    pub max_interval: Duration,
    /// FILE: connect here for every host name, keeping the name in the URL
    /// and `Host` header (tests; a load balancer in front of the site).
    pub http_connect_to: Option<SocketAddr>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            resolver: None,
            timeout: Duration::from_secs(600),
            bootstrap: Vec::new(),
            nameserver_port: 53,
            query_timeout: Duration::from_secs(5),
            interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(30),
            http_connect_to: None,
        }
    }
}

impl Options {
    /// Default options with `--propagation-timeout`.
    pub fn with_timeout(timeout: Duration) -> Self {
        Options {
            timeout,
            ..Options::default()
        }
    }
}

/// Progress of a check.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The record's name is an alias: the value is looked for at `to`.
    CnameFollowed {
        /// The record name.
        from: String,
        /// Where its CNAME chain ends.
        to: String,
    },
    /// The servers that will be asked.
    Servers {
        /// The zone (`None` with an explicit resolver).
        zone: Option<String>,
        /// Each server, as `name (address)` or the resolver's address.
        servers: Vec<String>,
    },
    /// The servers could not be found yet (asked again next round).
    ServersUnknown {
        /// Why.
        detail: String,
    },
    /// One server (or the URL) was asked.
    Checked {
        /// The server, or the URL.
        server: String,
        /// The round, from 1.
        attempt: u32,
        /// Whether it answered with the value.
        seen: bool,
        /// What it answered, e.g. `NOERROR: TXT "old"`, `SERVFAIL`,
        /// `no answer within 5s`, `HTTP 404`.
        answer: String,
    },
    /// Not everywhere yet: the next round starts after `delay`.
    Waiting {
        /// The round that just ended.
        attempt: u32,
        /// The pause before the next one.
        delay: Duration,
    },
    /// Seen everywhere.
    Propagated {
        /// The record name or URL.
        name: String,
        /// Since the check began.
        elapsed: Duration,
    },
}

/// Reads `--dns-resolver HOST[:PORT]` (port 53 when left out; `[ADDR]:PORT`
/// for IPv6 with a port; a host name is resolved by the system) into
/// [`Options::resolver`]'s address.
///
/// # Errors
/// [`Error::Config`] when it is not `HOST[:PORT]`; [`Error::Unavailable`]
/// when the host name does not resolve.
pub async fn resolver_addr(flag: &str) -> Result<SocketAddr> {
    let (host, port) = crate::rfc2136::parse_server(flag, "--dns-resolver")?;
    crate::rfc2136::resolve_host(&host, port, "propagation", flag).await
}

/// Waits until `challenge` is visible: [`wait_for_dns`] or [`wait_for_file`].
///
/// # Errors
/// [`Error::PropagationTimeout`] when not seen in time; [`Error::Config`]
/// when there is no resolver to start from.
pub async fn wait_for(
    challenge: &Challenge,
    options: &Options,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<()> {
    match challenge {
        Challenge::Dns(c) => wait_for_dns(c, options, on_event).await,
        Challenge::File(c) => wait_for_file(c, options, on_event).await,
    }
}

/// The rounds of a check: numbering, backoff, the deadline.
struct Rounds {
    start: Instant,
    deadline: Instant,
    delay: Duration,
    max: Duration,
    attempt: u32,
}

impl Rounds {
    fn new(options: &Options) -> Rounds {
        let start = Instant::now();
        Rounds {
            start,
            deadline: start + options.timeout,
            delay: options.interval,
            max: options.max_interval,
            attempt: 0,
        }
    }

    /// Starts the next round; returns its number.
    fn next(&mut self) -> u32 {
        self.attempt += 1;
        self.attempt
    }

    /// After a round that did not see everything: pauses (reporting it), or
    /// returns the timeout error when the deadline has passed.
    async fn pause(
        &mut self,
        name: String,
        pending: Vec<String>,
        on_event: &mut (dyn FnMut(Event) + Send),
    ) -> Result<()> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(Error::PropagationTimeout {
                name,
                waited: self.start.elapsed(),
                pending,
            });
        }
        let pause = self.delay.min(self.deadline - now);
        on_event(Event::Waiting {
            attempt: self.attempt,
            delay: pause,
        });
        tokio::time::sleep(pause).await;
        self.delay = (self.delay * 2).min(self.max);
        Ok(())
    }
}

/// A server to ask and how.
#[derive(Debug, Clone)]
struct Target {
    label: String,
    addr: SocketAddr,
    recursion: bool,
}

/// Waits until every authoritative server (or the explicit resolver)
/// answers with the challenge's value.
///
/// # Errors
/// As [`wait_for`].
pub async fn wait_for_dns(
    c: &DnsChallenge,
    options: &Options,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<()> {
    let mut rounds = Rounds::new(options);
    let name = net::fqdn(c.name()).map_err(|reason| Error::InvalidChallenge {
        field: "RecordDomain",
        reason,
    })?;
    let bootstrap = if options.resolver.is_some() {
        Vec::new()
    } else if options.bootstrap.is_empty() {
        system_resolvers()?
    } else {
        options.bootstrap.clone()
    };

    let mut targets: Option<Discovered> = None;
    let mut pending: Vec<(String, String)> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    loop {
        let attempt = rounds.next();
        if targets.is_none() {
            match discover(c, &name, options, &bootstrap, on_event).await {
                Ok(t) => {
                    on_event(Event::Servers {
                        zone: t.zone.as_ref().map(net::name_text),
                        servers: t.targets.iter().map(|t| t.label.clone()).collect(),
                    });
                    targets = Some(t);
                }
                Err(detail) => {
                    on_event(Event::ServersUnknown {
                        detail: detail.clone(),
                    });
                    pending = vec![("authoritative servers".to_string(), detail)];
                }
            }
        }
        if let Some(found) = &targets {
            pending.clear();
            let to_ask: Vec<&Target> = found
                .targets
                .iter()
                .filter(|t| !seen.contains(&t.label))
                .collect();
            for t in to_ask {
                let (ok, answer) = ask(t, &found.name, c, options).await;
                on_event(Event::Checked {
                    server: t.label.clone(),
                    attempt,
                    seen: ok,
                    answer: answer.clone(),
                });
                if ok {
                    seen.push(t.label.clone());
                } else {
                    pending.push((t.label.clone(), answer));
                }
            }
            if pending.is_empty() {
                on_event(Event::Propagated {
                    name: c.name().to_string(),
                    elapsed: rounds.start.elapsed(),
                });
                return Ok(());
            }
        }
        let pending = pending.iter().map(|(s, a)| format!("{s}: {a}")).collect();
        rounds
            .pause(
                format!("{} {}", c.name(), c.record_type()),
                pending,
                on_event,
            )
            .await?;
    }
}

/// Asks one server; returns whether it has the value, and what it said.
async fn ask(t: &Target, name: &Name, c: &DnsChallenge, options: &Options) -> (bool, String) {
    let wire = match c.record_type() {
        RecordType::Txt => WireType::TXT,
        RecordType::Cname => WireType::CNAME,
    };
    let a = match net::query(t.addr, name, wire, t.recursion, options.query_timeout).await {
        Ok(a) => a,
        Err(e) => return (false, e.0),
    };
    if a.rcode != ResponseCode::NoError {
        return (false, net::rcode_text(a.rcode));
    }
    if !t.recursion && !a.authoritative {
        return (
            false,
            "not authoritative for the zone (no AA flag): a lame delegation".to_string(),
        );
    }
    let mut values = Vec::new();
    for r in &a.answers {
        // A resolver follows CNAMEs: any TXT in its answer counts; a CNAME
        // challenge is the CNAME at the name itself.
        let owner_ok = t.recursion && c.record_type() == RecordType::Txt || r.name == *name;
        if let Some((rt, text)) = net::record_text(r)
            && rt == wire
            && owner_ok
        {
            values.push(text);
        }
    }
    let ok = values.iter().any(|v| v == c.value());
    let shown = match values.len() {
        0 => format!("NOERROR, no {}", c.record_type()),
        1 => format!("NOERROR: {} {:?}", c.record_type(), values[0]),
        n => {
            let list: Vec<String> = values.iter().take(3).map(|v| format!("{v:?}")).collect();
            let more = if n > 3 { ", ..." } else { "" };
            format!(
                "NOERROR: {n} {} records: {}{more}",
                c.record_type(),
                list.join(", ")
            )
        }
    };
    (ok, shown)
}

/// What to ask, and whom.
struct Discovered {
    /// The name to ask for (where a CNAME chain ends).
    name: Name,
    /// Its zone (`None` with an explicit resolver).
    zone: Option<Name>,
    targets: Vec<Target>,
}

/// The name to check and the servers to ask.
async fn discover(
    c: &DnsChallenge,
    name: &Name,
    options: &Options,
    bootstrap: &[SocketAddr],
    on_event: &mut (dyn FnMut(Event) + Send),
) -> std::result::Result<Discovered, String> {
    if let Some(r) = options.resolver {
        return Ok(Discovered {
            name: name.clone(),
            zone: None,
            targets: vec![Target {
                label: r.to_string(),
                addr: r,
                recursion: true,
            }],
        });
    }
    let mut checked = name.clone();
    if c.record_type() == RecordType::Txt {
        let end = follow_cname(name, bootstrap, options).await?;
        if end != *name {
            on_event(Event::CnameFollowed {
                from: net::name_text(name),
                to: net::name_text(&end),
            });
            checked = end;
        }
    }
    let zone = find_zone(&checked, bootstrap, options).await?;
    let ns = resolve(bootstrap, &zone, WireType::NS, options).await?;
    let mut ns_names: Vec<Name> = ns
        .answers
        .iter()
        .filter_map(|r| match &r.data {
            RData::NS(n) if r.name == zone => Some(n.0.clone()),
            _ => None,
        })
        .collect();
    ns_names.sort();
    ns_names.dedup();
    if ns_names.is_empty() {
        return Err(format!(
            "zone {} has no NS records ({})",
            net::name_text(&zone),
            ns.rcode
        ));
    }
    let mut targets = Vec::new();
    for ns_name in &ns_names {
        for t in [WireType::A, WireType::AAAA] {
            let a = resolve(bootstrap, ns_name, t, options).await?;
            for r in &a.answers {
                let ip: Option<IpAddr> = match &r.data {
                    RData::A(a) => Some(IpAddr::V4(a.0)),
                    RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                    _ => None,
                };
                if let Some(ip) = ip {
                    let addr = SocketAddr::new(ip, options.nameserver_port);
                    if !targets.iter().any(|t: &Target| t.addr == addr) {
                        targets.push(Target {
                            label: format!("{} ({addr})", net::name_text(ns_name)),
                            addr,
                            recursion: false,
                        });
                    }
                }
            }
        }
    }
    if targets.is_empty() {
        return Err(format!(
            "no address for any nameserver of {} ({})",
            net::name_text(&zone),
            ns_names
                .iter()
                .map(net::name_text)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(Discovered {
        name: checked,
        zone: Some(zone),
        targets,
    })
}

/// Asks the bootstrap resolvers in turn (with recursion) until one answers
/// NOERROR or NXDOMAIN.
async fn resolve(
    bootstrap: &[SocketAddr],
    name: &Name,
    t: WireType,
    options: &Options,
) -> std::result::Result<Answer, String> {
    let mut last = String::from("no resolver to ask");
    for r in bootstrap {
        match net::query(*r, name, t, true, options.query_timeout).await {
            Ok(a) if matches!(a.rcode, ResponseCode::NoError | ResponseCode::NXDomain) => {
                return Ok(a);
            }
            Ok(a) => {
                last = format!(
                    "resolver {r}: {} {t}: {}",
                    net::name_text(name),
                    net::rcode_text(a.rcode)
                )
            }
            Err(e) => last = format!("resolver {r}: {e}"),
        }
    }
    Err(last)
}

/// Where a CNAME chain at `name` ends (`name` itself without one).
async fn follow_cname(
    name: &Name,
    bootstrap: &[SocketAddr],
    options: &Options,
) -> std::result::Result<Name, String> {
    let mut current = name.clone();
    for _ in 0..16 {
        let a = resolve(bootstrap, &current, WireType::CNAME, options).await?;
        let next = a.answers.iter().find_map(|r| match &r.data {
            RData::CNAME(t) if r.name == current => Some(t.0.clone()),
            _ => None,
        });
        match next {
            Some(n) => current = n,
            None => return Ok(current),
        }
    }
    Err(format!(
        "the CNAME chain at {} is longer than 16 links",
        net::name_text(name)
    ))
}

/// The zone `name` is in: the longest suffix whose SOA the resolver returns
/// as an answer (skipping suffixes that are aliases).
async fn find_zone(
    name: &Name,
    bootstrap: &[SocketAddr],
    options: &Options,
) -> std::result::Result<Name, String> {
    let mut candidate = name.clone();
    loop {
        let a = resolve(bootstrap, &candidate, WireType::SOA, options).await?;
        let is_alias = a.answers.iter().any(|r| matches!(r.data, RData::CNAME(_)));
        let apex = a
            .answers
            .iter()
            .any(|r| matches!(r.data, RData::SOA(_)) && r.name == candidate);
        if a.rcode == ResponseCode::NoError && apex && !is_alias {
            return Ok(candidate);
        }
        if candidate.num_labels() <= 1 {
            return Err(format!(
                "no zone found for {} (no SOA at any of its suffixes)",
                net::name_text(name)
            ));
        }
        candidate = candidate.base_name();
    }
}

/// The `nameserver` lines of `/etc/resolv.conf`, on port 53.
fn system_resolvers() -> Result<Vec<SocketAddr>> {
    let text = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let found = parse_resolv_conf(&text);
    if found.is_empty() {
        return Err(Error::Config {
            setting: "--dns-resolver",
            reason: "/etc/resolv.conf names no nameserver to find the zone's authoritative servers with; \
                     give --dns-resolver HOST:PORT"
                .into(),
        });
    }
    Ok(found)
}

fn parse_resolv_conf(text: &str) -> Vec<SocketAddr> {
    text.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            match (words.next(), words.next()) {
                (Some("nameserver"), Some(addr)) => addr.parse::<IpAddr>().ok(),
                _ => None,
            }
        })
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

// ------------------------------------------------------------------ FILE ---

/// Connects every host name to one address (`http_connect_to`).
struct ConnectTo(SocketAddr);

impl reqwest::dns::Resolve for ConnectTo {
    fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let addr = self.0;
        Box::pin(async move { Ok(Box::new(std::iter::once(addr)) as reqwest::dns::Addrs) })
    }
}

/// Waits until `http://DOMAIN/URI` serves exactly the content.
///
/// # Errors
/// As [`wait_for`].
pub async fn wait_for_file(
    c: &FileChallenge,
    options: &Options,
    on_event: &mut (dyn FnMut(Event) + Send),
) -> Result<()> {
    let mut rounds = Rounds::new(options);
    let mut b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(1))
        .no_proxy()
        .connect_timeout(options.query_timeout)
        .timeout(options.query_timeout)
        .user_agent(csrkit_submit::USER_AGENT);
    if let Some(addr) = options.http_connect_to {
        b = b.dns_resolver(Arc::new(ConnectTo(addr)));
    }
    let http = b.build().map_err(|e| Error::Config {
        setting: "--webroot",
        reason: format!("cannot build the HTTP client: {e}"),
    })?;
    let url = c.url();
    loop {
        let attempt = rounds.next();
        let (ok, answer) = fetch(&http, &url, c.content()).await;
        on_event(Event::Checked {
            server: url.clone(),
            attempt,
            seen: ok,
            answer: answer.clone(),
        });
        if ok {
            on_event(Event::Propagated {
                name: url,
                elapsed: rounds.start.elapsed(),
            });
            return Ok(());
        }
        rounds
            .pause(url.clone(), vec![format!("{url}: {answer}")], on_event)
            .await?;
    }
}

async fn fetch(http: &reqwest::Client, url: &str, content: &str) -> (bool, String) {
    let resp = match http.get(url).send().await {
        Ok(r) => r,
        Err(e) => {
            let mut chain = String::new();
            let mut src = std::error::Error::source(&e);
            while let Some(c) = src {
                chain.push_str(": ");
                chain.push_str(&c.to_string());
                src = c.source();
            }
            return (false, format!("{}{chain}", e.without_url()));
        }
    };
    let status = resp.status();
    // Read at most a little more than the content: a huge page is not it.
    let limit = content.len() + 1024;
    let mut body = Vec::new();
    let mut resp = resp;
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > limit {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => return (false, format!("HTTP {status}, body broken: {e}")),
        }
    }
    if !status.is_success() {
        return (false, format!("HTTP {status}"));
    }
    if body == content.as_bytes() {
        return (true, format!("HTTP {status}, content matches"));
    }
    let shown: String = String::from_utf8_lossy(&body).chars().take(80).collect();
    (
        false,
        format!(
            "HTTP {status}, other content ({} bytes: {shown:?})",
            body.len()
        ),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn resolv_conf() {
        let got = parse_resolv_conf(
            "# comment\nsearch example.com\nnameserver 10.0.0.2\nnameserver ::1\nnameserver fe80::1%eth0\noptions ndots:1\n",
        );
        assert_eq!(
            got,
            vec!["10.0.0.2:53".parse().unwrap(), "[::1]:53".parse().unwrap()]
        );
    }
}
