//! A faithful local emulator of the Alibaba Cloud SSL Certificates Service API (CAS, version
//! 2020-04-07), for tests and for rehearsing a pipeline without an account.
//!
//! It verifies V3 (`ACS3-HMAC-SHA256`) and V1 (HMAC-SHA1) signatures with its own
//! canonicaliser, answers in the service's JSON shapes and error codes, keeps quota per product
//! code, runs the order state machine (`domain_verify → process → certificate`, `verify_fail`,
//! `payed` after a cancel), issues real certificates from a sandbox CA and injects faults on
//! request. Besides the API at `/` it serves control endpoints the real service does not have:
//!
//! | endpoint | what |
//! |---|---|
//! | `GET /_sandbox/ca.pem` | the root that signs issued certificates |
//! | `GET /_sandbox/stats` | [`Stats`] as JSON: requests per action, orders created, quota, faults |
//! | `GET /_sandbox/ca/root.cer`, `ca/intermediate.cer` | the CA's certificates (DER), which issued certificates name as caIssuers |
//! | `GET /_sandbox/ca/root.crl`, `ca/intermediate.crl` | the CA's CRLs (DER), which issued certificates name as CRL distribution points; the intermediate's lists what `CancelCertificateForPackageRequest` revoked |
//! | `GET /_sandbox/requests` | the most recent API requests and control actions (up to [`SandboxConfig::request_log_capacity`] of them and [`SandboxConfig::request_log_max_bytes`] of JSON): method, path with query, headers, body; the STS token is redacted |
//! | `POST /_sandbox/orders/{id}/approve` | issue the order's certificate now |
//! | `POST /_sandbox/orders/{id}/fail` | fail the order's review (`verify_fail`) |
//! | `GET /_sandbox/dns` | every record of every hosted zone: `{"zones": [`[`DnsZone`]`]}` |
//! | `GET /_sandbox/verifications` | with `--approve verify`, the last check of each order: `{ID: {checked_at, verified, detail}}` |
//! | `GET /_sandbox/resources` | the cloud resources ([`SandboxConfig::resources`]) and the certificate each serves: `[`[`DeployedResource`]`]` |
//!
//! It also emulates Alibaba Cloud DNS (Alidns 2015-01-09) on the same URL for the zones it hosts
//! ([`SandboxConfig::zones`]): the request's API version picks the product. It can serve those
//! zones over real DNS ([`SandboxConfig::dns_listen`]) and act as a verifying CA
//! ([`Approval::Verify`]) that issues only once it resolves the record it asked for, or fetches
//! the file over HTTP.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use csrkit_sandbox::{Approval, Sandbox, SandboxConfig};
//!
//! let mut config = SandboxConfig::default();
//! config.zones = vec!["example.com".parse()?];
//! config.dns_listen = Some("127.0.0.1:0".parse()?);
//! config.approve = Approval::Verify;
//! let sandbox = Sandbox::start(config).await?;
//! let dns = sandbox.dns_addr().expect("a DNS server was asked for");
//! assert!(dns.ip().is_loopback());
//! assert_eq!(sandbox.dns_zones()[0].puny_code, "example.com");
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use csrkit_sandbox::{Sandbox, SandboxConfig};
//!
//! let mut config = SandboxConfig::default();
//! config.quotas = vec!["digicert-free-1-free=2".parse()?];
//! config.faults = vec!["CreateCertificateWithCsrRequest=throttle".parse()?];
//! let sandbox = Sandbox::start(config).await?;
//! assert!(sandbox.endpoint().starts_with("http://127.0.0.1:"));
//! assert_eq!(sandbox.credentials().access_key_id(), "sandbox-access-key-id");
//! assert_eq!(sandbox.stats().quota["digicert-free-1-free"].total, 2);
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod alidns;
mod auth;
mod ca;
mod canon;
mod config;
mod conn;
mod csr;
mod deploy;
mod dns;
mod error;
mod instance;
mod product;
mod products;
mod ratelimit;
mod server;
mod state;
mod verify;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;

pub use alidns::{DnsRecord, DnsZone, ZoneName};
pub use config::{
    Approval, Credentials, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, DEFAULT_CERT_LIFETIME,
    DEFAULT_DEPLOY_AFTER, DEFAULT_PRODUCT_CODE, DEFAULT_QUOTA, ENV_ACCESS_KEY_ID,
    ENV_ACCESS_KEY_SECRET, Fault, FaultCount, FaultKind, QuotaSpec, RecordType, SandboxConfig,
};
pub use deploy::{DeployedResource, ResourceSpec};
pub use error::{Error, Result};
pub use server::{FaultStats, QuotaStats, Stats};

/// Starts sandboxes.
#[derive(Debug)]
#[non_exhaustive]
pub struct Sandbox;

impl Sandbox {
    /// Loads (or creates) the state, binds `config.listen` (and `config.dns_listen`) and serves
    /// in the background on the current tokio runtime until [`SandboxHandle::shutdown`] or until
    /// the handle is dropped.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle> {
        if let Some(z) = config
            .zones
            .iter()
            .find(|z| config.foreign_zones.contains(z))
        {
            return Err(Error::InvalidZone {
                zone: z.to_string(),
                reason: "it is given both as a hosted zone and as another account's".to_owned(),
            });
        }
        if let Some(d) = config
            .denied_actions
            .iter()
            .find(|d| *d != "*" && (d.is_empty() || !d.bytes().all(|b| b.is_ascii_alphanumeric())))
        {
            return Err(Error::InvalidDeny { given: d.clone() });
        }
        if config.cert_lifetime < std::time::Duration::from_secs(1)
            || config.cert_lifetime > std::time::Duration::from_secs(3650 * 86_400)
        {
            return Err(Error::InvalidSetting {
                setting: "--cert-lifetime",
                reason: format!(
                    "{:?} is out of range; give 1 second to 3650 days (90d by default)",
                    config.cert_lifetime
                ),
            });
        }
        if config.rate_limit == Some(0) {
            return Err(Error::InvalidSetting {
                setting: "--rate-limit",
                reason: "0 requests per second would refuse everything; give at least 1".to_owned(),
            });
        }
        let credentials = config.credentials.clone();
        let dns_listen = config.dns_listen;
        let (listener, addr) = server::bind(config.listen).await?;
        let shared = Arc::new(server::Shared::new(config, &ca::ca_base_url(addr.port()))?);
        let (stop, task) = server::spawn(listener, shared.clone()).await?;
        let dns = match dns_listen {
            Some(at) => match dns::spawn(shared.clone(), at, stop.subscribe()).await {
                Ok(d) => Some(d),
                Err(e) => {
                    let _ = stop.send(true);
                    let _ = task.await;
                    return Err(e);
                }
            },
            None => None,
        };
        let (dns_addr, dns_task) = dns.unzip();
        Ok(SandboxHandle {
            addr,
            dns_addr,
            credentials,
            shared,
            stop,
            task,
            dns_task,
        })
    }
}

/// A running sandbox.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    dns_addr: Option<SocketAddr>,
    credentials: Credentials,
    shared: Arc<server::Shared>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    dns_task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for server::Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl SandboxHandle {
    /// The base URL a client on this machine uses, `http://127.0.0.1:PORT`:
    /// bound to every interface (`0.0.0.0`, `::`), it names the loopback
    /// address of the same family, which csrkit's client accepts over plain
    /// HTTP (the unspecified address is not one a client can connect to).
    pub fn endpoint(&self) -> String {
        server::base_url(self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The access key the sandbox accepts.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The counters of `/_sandbox/stats`.
    pub fn stats(&self) -> Stats {
        self.shared.stats()
    }

    /// The root certificate (PEM) that issued certificates chain to.
    pub fn ca_pem(&self) -> String {
        self.shared.ca_pem()
    }

    /// Where the hosted zones are served over DNS (UDP and TCP on this one address), when
    /// [`SandboxConfig::dns_listen`] asked for it. As for [`SandboxHandle::endpoint`], bound to
    /// `0.0.0.0` or `::` it is the loopback address of the same family.
    pub fn dns_addr(&self) -> Option<SocketAddr> {
        self.dns_addr.map(server::reachable)
    }

    /// The cloud resources and the certificate each serves, as `GET /_sandbox/resources` lists
    /// them.
    pub fn resources(&self) -> Vec<DeployedResource> {
        let mut s = server::lock(&self.shared.state);
        deploy::settle_now(&mut s);
        s.data.deploy.listing()
    }

    /// Every record of every hosted zone, as `GET /_sandbox/dns` lists them.
    pub fn dns_zones(&self) -> Vec<DnsZone> {
        alidns::listing(&server::lock(&self.shared.state))
    }

    /// Stops accepting (API and DNS), lets open connections finish their current request, and
    /// waits for the servers to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        if let Some(t) = self.dns_task {
            let _ = t.await;
        }
    }
}
