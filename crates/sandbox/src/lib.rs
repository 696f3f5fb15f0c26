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

mod auth;
mod ca;
mod canon;
mod config;
mod conn;
mod csr;
mod error;
mod products;
mod server;
mod state;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::sync::watch;

pub use config::{
    Approval, Credentials, DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, DEFAULT_PRODUCT_CODE,
    DEFAULT_QUOTA, ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET, Fault, FaultCount, FaultKind,
    QuotaSpec, SandboxConfig,
};
pub use error::{Error, Result};
pub use server::{FaultStats, QuotaStats, Stats};

/// Starts sandboxes.
#[derive(Debug)]
#[non_exhaustive]
pub struct Sandbox;

impl Sandbox {
    /// Loads (or creates) the state, binds `config.listen` and serves in the background on the
    /// current tokio runtime until [`SandboxHandle::shutdown`] or until the handle is dropped.
    pub async fn start(config: SandboxConfig) -> Result<SandboxHandle> {
        let credentials = config.credentials.clone();
        let (listener, addr) = server::bind(config.listen).await?;
        let shared = Arc::new(server::Shared::new(config, &ca::ca_base_url(addr.port()))?);
        let (stop, task) = server::spawn(listener, shared.clone()).await?;
        Ok(SandboxHandle {
            addr,
            credentials,
            shared,
            stop,
            task,
        })
    }
}

/// A running sandbox.
#[derive(Debug)]
pub struct SandboxHandle {
    addr: SocketAddr,
    credentials: Credentials,
    shared: Arc<server::Shared>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
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

    /// Stops accepting, lets open connections finish their current request, and waits for the
    /// accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
