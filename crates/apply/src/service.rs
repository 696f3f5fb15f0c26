//! Where the certificate API is, and how to talk to it.

use csrkit_dns::{ProviderSpec, Publisher};
use csrkit_submit::{Client, Credentials};

use crate::error::{Error, Result};

/// The certificate API the engine talks to: a signed client, the label the
/// journal records for it, and the credentials `alidns` publishes with.
#[derive(Debug, Clone)]
pub struct Service {
    client: Client,
    label: String,
    fast: bool,
    dns_credentials: Option<Credentials>,
}

impl Service {
    /// The service `client` talks to; the journal records its endpoint URL.
    pub fn new(client: Client) -> Service {
        let label = client.endpoint().url();
        Service {
            client,
            label,
            fast: false,
            dns_credentials: None,
        }
    }

    /// Records `label` in the journal instead of the endpoint URL (the CLI
    /// records `sandbox` for its in-process sandbox, whose port changes from
    /// run to run). An `alidns` provider whose endpoint is this label
    /// publishes at the client's endpoint (the sandbox serves both APIs).
    pub fn with_label(mut self, label: impl Into<String>) -> Service {
        self.label = label.into();
        self
    }

    /// Polls the order every 0.2–2 s instead of 10–60 s (a sandbox answers
    /// in milliseconds).
    pub fn with_fast_polling(mut self) -> Service {
        self.fast = true;
        self
    }

    /// The credentials `--dns alidns` signs with (the certificate API's own,
    /// as the CLI resolves them).
    pub fn with_dns_credentials(mut self, credentials: Credentials) -> Service {
        self.dns_credentials = Some(credentials);
        self
    }

    /// The signed client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// What the journal records as the endpoint.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub(crate) fn fast(&self) -> bool {
        self.fast
    }

    /// Opens the publisher a journal's spec names; an `alidns` client
    /// shares the certificate API client's options, rate limiter included.
    pub(crate) fn open_publisher(&self, spec: &ProviderSpec) -> Result<Box<dyn Publisher>> {
        let spec = match spec {
            ProviderSpec::Alidns { endpoint } if *endpoint == self.label => ProviderSpec::Alidns {
                endpoint: self.client.endpoint().url(),
            },
            other => other.clone(),
        };
        // The certificate API's options (timeouts, retries, the rate
        // limiter shared by every request of a fleet) with its endpoint.
        spec.open_with(self.dns_credentials.clone(), self.client.options())
            .map_err(Error::from)
    }
}
