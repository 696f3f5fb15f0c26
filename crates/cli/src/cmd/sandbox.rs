//! `csrkit sandbox`: the local emulator of the certificate API as a server.
//!
//! The first line on stdout is the base URL (`http://127.0.0.1:PORT`), so a
//! script can start it in the background and read where it listens; with
//! `--dns-listen`, the second line is `dns IP:PORT`, where its zones answer
//! over DNS (UDP and TCP).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use csrkit_sandbox::{
    Approval, Fault, QuotaSpec, RecordType, ResourceSpec, Sandbox, SandboxConfig, ZoneName,
};

use crate::exit;

const ABOUT: &str = "\
Serves the API at / and control endpoints that the real service does not have:
  GET  /_sandbox/ca.pem                 the root that signs issued certificates
  GET  /_sandbox/ca/{root,intermediate}.{cer,crl}
                                        the CA's certificates and CRLs (DER), which
                                        issued certificates name (AIA, CRL DP)
  GET  /_sandbox/stats                  requests per action, orders created, quota
  GET  /_sandbox/requests               every request received
  POST /_sandbox/orders/{id}/approve    issue the certificate now
  POST /_sandbox/orders/{id}/fail       fail validation (verify_fail)
  GET  /_sandbox/dns                    every record of every hosted zone
  GET  /_sandbox/verifications          the last check of each order (--approve verify)
  GET  /_sandbox/resources              the cloud resources (--resource) and the
                                        certificate each serves
The same URL serves Alibaba Cloud DNS (Alidns 2015-01-09) for the --zone
zones: the request's API version picks the product.
Credentials: CSRKIT_SANDBOX_ACCESS_KEY_ID / CSRKIT_SANDBOX_ACCESS_KEY_SECRET
(defaults sandbox-access-key-id / sandbox-access-key-secret).

EXAMPLES:
  csrkit sandbox --listen 127.0.0.1:8765 --quota digicert-free-1-free=5
  csrkit sandbox --fault CreateCertificateWithCsrRequest=drop-after:1
  csrkit sandbox --approve manual --state sandbox.json
  csrkit sandbox --zone example.com --dns-listen 127.0.0.1:0 --approve verify
  csrkit sandbox --approve verify --resolver 127.0.0.1:5353 --record-type cname
  csrkit sandbox --approve verify --http-via 127.0.0.1:8080
  csrkit sandbox --zone example.com --deny AddDomainRecord
  csrkit sandbox --cert-lifetime 60s --rate-limit 10
  csrkit sandbox --resource cdn:www.example.com --resource slb:api.example.com:fail";

/// Arguments of `csrkit sandbox`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = ABOUT)]
pub(crate) struct Args {
    /// Address to listen on (loopback by default; port 0 picks a free one).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Keep orders, quota and the CA in this file across restarts.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Approve orders on their own (auto, after --issue-after), only through
    /// POST /_sandbox/orders/{id}/approve (manual), or once the record or
    /// file asked for is seen (verify; checked on each DescribeCertificateState,
    /// issued --issue-after later).
    #[arg(long, value_name = "MODE", default_value = "auto", value_parser = parse_from_str::<Approval>)]
    approve: Approval,
    /// Seconds from Create to issuance when --approve auto.
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    issue_after: u64,
    /// Quota of a product code, CODE=N; repeat for more
    /// [default: digicert-free-1-free=20, or what --state FILE saved].
    #[arg(long, value_name = "CODE=N", value_parser = parse_from_str::<QuotaSpec>)]
    quota: Vec<QuotaSpec>,
    /// Inject a fault, ACTION=KIND[:COUNT]; KIND is throttle,
    /// throttle-after-S (with x-acs-retry-after: S), error500, error503,
    /// delay-MS, drop-before, drop-after or answer-after-MS (the work done,
    /// the answer MS later); COUNT a number or all.
    #[arg(long, value_name = "ACTION=KIND[:COUNT]", value_parser = parse_from_str::<Fault>)]
    fault: Vec<Fault>,
    /// Host this zone behind the Alidns emulation; repeat for more
    /// (IDN zones are kept as A-labels).
    #[arg(long, value_name = "NAME", value_parser = parse_from_str::<ZoneName>)]
    zone: Vec<ZoneName>,
    /// A zone hosted by another Alidns account: naming it answers
    /// IncorrectDomainUser; repeat for more.
    #[arg(long, value_name = "NAME", value_parser = parse_from_str::<ZoneName>)]
    foreign_zone: Vec<ZoneName>,
    /// Serve the hosted zones over DNS, UDP and TCP on this address
    /// (port 0 picks a free one; printed as the second line).
    #[arg(long, value_name = "ADDR")]
    dns_listen: Option<SocketAddr>,
    /// With --approve verify, ask this DNS server (IP:PORT) for the record
    /// instead of looking in the hosted zones.
    #[arg(long, value_name = "IP:PORT")]
    resolver: Option<SocketAddr>,
    /// With --approve verify, fetch every FILE validation by connecting
    /// here (IP:PORT), with the domain as Host.
    #[arg(long, value_name = "IP:PORT")]
    http_via: Option<SocketAddr>,
    /// The record type asked for in DNS validation: txt or cname.
    #[arg(long, value_name = "TYPE", default_value = "txt", value_parser = parse_from_str::<RecordType>)]
    record_type: RecordType,
    /// Answer this action with Forbidden.RAM, as for a RAM user without
    /// the permission (`*` for every action); repeat for more.
    #[arg(long, value_name = "ACTION", value_parser = parse_deny)]
    deny: Vec<String>,
    /// Also accept requests whose signed host is HOST[:PORT], as a service
    /// behind a port forward or reverse proxy accepts its public name;
    /// repeat for more.
    #[arg(long, value_name = "HOST[:PORT]")]
    public_host: Vec<String>,
    /// How long issued certificates are valid, notAfter − notBefore (e.g.
    /// 60s, 10m, 90d), so that renewal can be tested in seconds.
    #[arg(long, value_name = "DURATION", default_value = "90d",
          value_parser = crate::apply::parse_duration)]
    cert_lifetime: Duration,
    /// Answer Throttling.User (HTTP 400) to requests beyond N per second per
    /// action, counted for all credentials together, as the service's flow
    /// control does [default: no limit].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit: Option<u32>,
    /// A cloud resource to deploy certificates to, PRODUCT:DOMAIN (e.g.
    /// cdn:www.example.com, slb:api.example.com); :fail at the end makes
    /// every deployment to it end in error. Repeat for more.
    #[arg(long, value_name = "PRODUCT:DOMAIN[:fail]", value_parser = parse_from_str::<ResourceSpec>)]
    resource: Vec<ResourceSpec>,
    /// How long a started deployment job runs (scheduling, then processing)
    /// before it ends in success or error (0: at once).
    #[arg(long, value_name = "DURATION", default_value = "1s",
          value_parser = crate::apply::parse_duration)]
    deploy_after: Duration,
}

fn parse_deny(s: &str) -> Result<String, String> {
    if s == "*" || (!s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric())) {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "{s:?} is not an action: give an API action name such as AddDomainRecord, or `*`"
        ))
    }
}

fn parse_from_str<T>(s: &str) -> Result<T, String>
where
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    s.parse().map_err(|e: T::Err| e.to_string())
}

impl Args {
    fn config(self) -> anyhow::Result<SandboxConfig> {
        let mut config = SandboxConfig::from_env()?;
        config.listen = self.listen;
        config.approve = self.approve;
        config.issue_after = Duration::from_secs(self.issue_after);
        if !self.quota.is_empty() {
            config.quotas = self.quota;
        } else if self.state.as_deref().is_some_and(std::path::Path::exists) {
            // A saved state keeps its plans' totals: the default quota
            // applies to a fresh state only, and `--quota` changes a total.
            config.quotas = Vec::new();
        }
        config.state_file = self.state;
        config.faults = self.fault;
        config.zones = self.zone;
        config.foreign_zones = self.foreign_zone;
        config.dns_listen = self.dns_listen;
        config.resolver = self.resolver;
        config.http_via = self.http_via;
        config.record_type = self.record_type;
        config.denied_actions = self.deny;
        config.public_hosts = self.public_host;
        config.cert_lifetime = self.cert_lifetime;
        config.rate_limit = self.rate_limit;
        config.resources = self.resource;
        config.deploy_after = self.deploy_after;
        Ok(config)
    }
}

/// Runs `csrkit sandbox` until Ctrl-C or SIGTERM.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        let sandbox = Sandbox::start(config).await?;
        {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}", sandbox.endpoint())?;
            if let Some(dns) = sandbox.dns_addr() {
                writeln!(out, "dns {dns}")?;
            }
            out.flush()?;
        }
        eprintln!(
            "csrkit sandbox: access key id {:?}; Ctrl-C stops it",
            sandbox.credentials().access_key_id()
        );
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        sandbox.shutdown().await;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::from(exit::OK))
}
