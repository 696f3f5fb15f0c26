//! The provider and its settings as the journal records them, so a re-run or
//! a renewal publishes (and cleans up) the same way.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::Publisher;
use crate::alidns::AlidnsPublisher;
use crate::error::{Error, Result};
use crate::hook::HookPublisher;
use crate::rfc2136::Rfc2136Publisher;
use crate::tsig::TsigKey;
use crate::webroot::WebrootPublisher;

/// Which provider publishes, with its settings (the CLI's `--dns …` flags).
/// No secret is part of it: credentials and TSIG secrets are read when the
/// publisher is opened.
///
/// JSON: `{"provider":"rfc2136","server":"ns1.example.com:53","tsig_key_file":"/etc/csrkit/tsig.key"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "provider", rename_all = "lowercase")]
#[non_exhaustive]
pub enum ProviderSpec {
    /// `--dns alidns [--dns-endpoint URL]`.
    Alidns {
        /// The Alidns endpoint.
        endpoint: String,
    },
    /// `--dns rfc2136 --dns-server HOST[:PORT] --tsig-key-file FILE`.
    Rfc2136 {
        /// The update server.
        server: String,
        /// The key file, as `tsig-keygen` prints it.
        tsig_key_file: PathBuf,
    },
    /// `--dns-hook CMD [--hook-timeout DUR]`.
    Hook {
        /// The command.
        command: String,
        /// The limit for each run, in seconds.
        timeout_secs: u64,
    },
    /// `--webroot DIR`.
    Webroot {
        /// The document root.
        dir: PathBuf,
    },
}

impl ProviderSpec {
    /// The provider's name (`alidns`, `rfc2136`, `hook`, `webroot`).
    pub fn name(&self) -> &'static str {
        match self {
            ProviderSpec::Alidns { .. } => "alidns",
            ProviderSpec::Rfc2136 { .. } => "rfc2136",
            ProviderSpec::Hook { .. } => "hook",
            ProviderSpec::Webroot { .. } => "webroot",
        }
    }

    /// Opens the publisher: reads the TSIG key file, checks the webroot,
    /// builds the Alidns client with `credentials` (needed for `alidns`
    /// only; the same as the certificate API's).
    ///
    /// # Errors
    /// As each provider's constructor; [`Error::Credentials`] when `alidns`
    /// has none.
    pub fn open(
        &self,
        credentials: Option<csrkit_submit::Credentials>,
    ) -> Result<Box<dyn Publisher>> {
        self.open_with(credentials, &csrkit_submit::ClientOptions::default())
    }

    /// Checks the settings as [`ProviderSpec::open`] does, without
    /// credentials: the Alidns endpoint, the TSIG key file, the hook
    /// command, the webroot. Nothing is sent.
    ///
    /// # Errors
    /// As [`ProviderSpec::open`], but never [`Error::Credentials`].
    pub fn check(&self) -> Result<()> {
        match self {
            ProviderSpec::Alidns { endpoint } => crate::alidns::parse_endpoint(endpoint).map(drop),
            other => other.open(None).map(drop),
        }
    }

    /// [`ProviderSpec::open`], with `alidns`'s client made from `base`
    /// (its endpoint replaced by the spec's): a rate limiter in it is
    /// shared with the certificate API's client.
    ///
    /// # Errors
    /// As [`ProviderSpec::open`].
    pub fn open_with(
        &self,
        credentials: Option<csrkit_submit::Credentials>,
        base: &csrkit_submit::ClientOptions,
    ) -> Result<Box<dyn Publisher>> {
        Ok(match self {
            ProviderSpec::Alidns { endpoint } => {
                let creds = credentials.ok_or_else(|| {
                    Error::Credentials("--dns alidns needs Alibaba Cloud credentials".into())
                })?;
                Box::new(AlidnsPublisher::with_base(creds, endpoint, base.clone())?)
            }
            ProviderSpec::Rfc2136 {
                server,
                tsig_key_file,
            } => Box::new(Rfc2136Publisher::new(
                server,
                TsigKey::from_file(tsig_key_file)?,
            )?),
            ProviderSpec::Hook {
                command,
                timeout_secs,
            } => Box::new(
                HookPublisher::new(command)?.with_timeout(Duration::from_secs(*timeout_secs)),
            ),
            ProviderSpec::Webroot { dir } => Box::new(WebrootPublisher::new(dir)?),
        })
    }
}
