//! Where the certificate API is, and how to talk to it.

use std::sync::{Arc, Mutex};

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
    publishers: Publishers,
}

/// The publishers opened so far, by spec, shared by the clones of a
/// [`Service`] (a fleet's workers): one per provider for every certificate,
/// so that what a provider learns once (`alidns`: the account's zones) is
/// not asked again for each.
#[derive(Clone, Default)]
struct Publishers(Arc<Mutex<Vec<OpenPublisher>>>);

/// A spec and the publisher opened for it.
type OpenPublisher = (ProviderSpec, Arc<dyn Publisher>);

impl std::fmt::Debug for Publishers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map_or(0, |v| v.len());
        write!(f, "Publishers({n} open)")
    }
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
            publishers: Publishers::default(),
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
        self.publishers = Publishers::default();
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
    /// Opened once per spec and shared (see `Publishers`).
    pub(crate) fn open_publisher(&self, spec: &ProviderSpec) -> Result<Arc<dyn Publisher>> {
        let spec = match spec {
            ProviderSpec::Alidns { endpoint } if *endpoint == self.label => ProviderSpec::Alidns {
                endpoint: self.client.endpoint().url(),
            },
            other => other.clone(),
        };
        let mut open = self
            .publishers
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, p)) = open.iter().find(|(s, _)| *s == spec) {
            return Ok(Arc::clone(p));
        }
        // The certificate API's options (timeouts, retries, the rate
        // limiter shared by every request of a fleet) with its endpoint.
        let publisher: Arc<dyn Publisher> = spec
            .open_with(self.dns_credentials.clone(), self.client.options())
            .map_err(Error::from)?
            .into();
        open.push((spec, Arc::clone(&publisher)));
        Ok(publisher)
    }
}
