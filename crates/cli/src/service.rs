//! Where a command's certificate API is: the endpoint of the connection
//! flags, or a sandbox started in this process (`--sandbox`) that keeps its
//! state in the certificate's directory, so that a re-run finds its order.
//!
//! The in-process sandbox is a verifying CA: it hosts the zone of the
//! certificate's names behind its Alibaba Cloud DNS emulation, serves it
//! over DNS on a loopback port, and issues an order only once it sees the
//! record csrkit published there (`--approve verify`). When nobody publishes
//! (FILE validation without `--webroot`, `--dns manual`) it approves on its
//! own.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use csrkit_apply::Service;
use csrkit_csr::WriteMode;
use csrkit_submit::{Client, ClientOptions, Credentials, Endpoint};

use crate::cmd::connection::ConnectionArgs;

/// What a journal records as the endpoint of an in-process sandbox.
pub(crate) const SANDBOX_LABEL: &str = "sandbox";

/// The state file of the in-process sandbox, inside the certificate's
/// directory so that a re-run of `apply --sandbox` finds its order again.
const SANDBOX_STATE: &str = ".sandbox-state.json";
/// The sandbox CA's root certificate, written next to the certificate.
const SANDBOX_ROOT: &str = "sandbox-root.pem";

/// How an in-process sandbox is set up for one certificate.
#[derive(Debug, Clone, Default)]
pub(crate) struct SandboxSetup {
    /// The zones to host (the registrable domains of the names).
    pub(crate) zones: Vec<String>,
    /// Issue only once the record (or file) is seen; else approve at once.
    pub(crate) verify: bool,
    /// Resolve the record through this server instead of the own zones.
    pub(crate) resolver: Option<SocketAddr>,
    /// Fetch FILE validations through this address.
    pub(crate) http_via: Option<SocketAddr>,
    /// Product codes to give a quota (besides the sandbox's default one).
    pub(crate) product_codes: Vec<String>,
}

/// A connected service, and the in-process sandbox serving it (kept alive
/// as long as this value).
pub(crate) struct Connected {
    pub(crate) service: Service,
    /// Where the in-process sandbox answers DNS for its zones.
    pub(crate) sandbox_dns: Option<SocketAddr>,
    _sandbox: Option<csrkit_sandbox::SandboxHandle>,
}

/// The credentials of the connection flags' resolution chain.
fn credentials(connection: &ConnectionArgs) -> anyhow::Result<Credentials> {
    Ok(Credentials::from_env(connection.profile.as_deref())?)
}

/// The endpoint of the connection flags, with the credentials of the usual
/// chain (also used for `--dns alidns`).
pub(crate) fn connect_endpoint(connection: &ConnectionArgs) -> anyhow::Result<Connected> {
    connect_endpoint_with(connection, connection.options()?)
}

/// [`connect_endpoint`] with these client options (a fleet's shared rate
/// limiter), which `--dns alidns` shares.
pub(crate) fn connect_endpoint_with(
    connection: &ConnectionArgs,
    options: ClientOptions,
) -> anyhow::Result<Connected> {
    let creds = credentials(connection)?;
    let client = Client::new(creds.clone(), options)?;
    Ok(Connected {
        service: Service::new(client).with_dns_credentials(creds),
        sandbox_dns: None,
        _sandbox: None,
    })
}

/// An in-process sandbox keeping its state in `dir` (created if missing).
pub(crate) async fn connect_sandbox(
    connection: &ConnectionArgs,
    dir: &Path,
    setup: &SandboxSetup,
) -> anyhow::Result<Connected> {
    csrkit_apply::create_dir(dir)?;
    let mut config = csrkit_sandbox::SandboxConfig::from_env()?;
    config.approve = if setup.verify {
        csrkit_sandbox::Approval::Verify
    } else {
        csrkit_sandbox::Approval::Auto
    };
    config.issue_after = Duration::ZERO;
    config.state_file = Some(dir.join(SANDBOX_STATE));
    for zone in &setup.zones {
        if let Ok(z) = zone.parse() {
            config.zones.push(z);
        }
    }
    config.dns_listen = Some(SocketAddr::from(([127, 0, 0, 1], 0)));
    config.resolver = setup.resolver;
    config.http_via = setup.http_via;
    for code in &setup.product_codes {
        if !config.quotas.iter().any(|q| q.product_code == *code)
            && let Ok(q) = format!("{code}={}", csrkit_sandbox::DEFAULT_QUOTA).parse()
        {
            config.quotas.push(q);
        }
    }
    let handle = csrkit_sandbox::Sandbox::start(config).await?;
    // The root that signs the sandbox's certificates, so that `openssl
    // verify -CAfile` can check them after this process is gone.
    csrkit_csr::write_public_file(
        &dir.join(SANDBOX_ROOT),
        handle.ca_pem().as_bytes(),
        WriteMode::Overwrite,
    )?;
    let creds = Credentials::new(
        handle.credentials().access_key_id(),
        handle.credentials().access_key_secret(),
        None,
    );
    let options = ClientOptions {
        endpoint: Endpoint::parse(&handle.endpoint())?,
        ..connection.options()?
    };
    let service = Service::new(Client::new(creds.clone(), options)?)
        .with_label(SANDBOX_LABEL)
        .with_fast_polling()
        .with_dns_credentials(creds);
    Ok(Connected {
        service,
        sandbox_dns: handle.dns_addr(),
        _sandbox: Some(handle),
    })
}

/// The client that signs a `--dry-run`: the connection flags' (credentials
/// from the usual chain), or the in-process sandbox's credentials at a
/// loopback placeholder (no sandbox is started: it would write its state).
pub(crate) fn dry_run_client(sandbox: bool, connection: &ConnectionArgs) -> anyhow::Result<Client> {
    if !sandbox {
        return connection.client();
    }
    let config = csrkit_sandbox::SandboxConfig::from_env()?;
    let creds = Credentials::new(
        config.credentials.access_key_id(),
        config.credentials.access_key_secret(),
        None,
    );
    let options = ClientOptions {
        endpoint: Endpoint::parse("http://127.0.0.1")?,
        ..connection.options()?
    };
    Ok(Client::new(creds, options)?)
}

/// The zone the sandbox hosts for a name: its registrable domain (the name
/// itself when the public suffix list does not know its suffix).
pub(crate) fn zone_of(name: &str) -> String {
    let base = name.trim_start_matches("*.").to_ascii_lowercase();
    psl::domain_str(&base).unwrap_or(&base).to_owned()
}
