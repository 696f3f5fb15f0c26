/*!
Publishing a certificate's domain-validation record, checking that it
propagated, and removing exactly what was published.

`DescribeCertificateState` names what the CA wants to see: a DNS record
(`RecordDomain` + `RecordType` TXT or CNAME + `RecordValue`) or a file
(`Uri` + `Content`). A [`Challenge`] holds that, checked. A [`Publisher`]
presents it and returns a [`Published`] handle, which the caller journals
before anything else happens and later hands back to
[`Publisher::cleanup`], which removes that record and nothing else.
[`Publisher::plan`] gives the same handle before anything is published, for
the journal entry written before the act.

Providers, one module each (lego's and certbot's layout):

| provider | what it talks to |
|---|---|
| [`AlidnsPublisher`] | Alibaba Cloud DNS (Alidns 2015-01-09) through `csrkit-submit`'s signed client |
| [`Rfc2136Publisher`] | any standard server: RFC 2136 UPDATE signed with TSIG ([`TsigKey`]) |
| [`HookPublisher`] | a command of yours: `CMD present -- FQDN TYPE VALUE`, later `CMD cleanup -- …` |
| [`WebrootPublisher`] | FILE validation: `DIR/.well-known/pki-validation/fileauth.txt` |

[`propagation`] then waits until every authoritative server answers with the
value (or the file is served), reporting progress as [`propagation::Event`]s;
the library prints nothing.

```
use csrkit_dns::{Challenge, Kind, Publisher, WebrootPublisher};

# tokio::runtime::Runtime::new()?.block_on(async {
let webroot = tempfile::tempdir()?;
let challenge = Challenge::file(
    "example.com",
    "/.well-known/pki-validation/fileauth.txt",
    "20261201000000abcdef",
)?;
let publisher = WebrootPublisher::new(webroot.path())?;

// Journal what will be published before publishing it...
let planned = publisher.plan(&challenge)?;
assert_eq!(planned.kind, Kind::File);
// ...then publish, and journal the answer.
let published = publisher.present(&challenge).await?;
assert_eq!(published.kind, Kind::File);
// The handle is what the journal keeps.
let journaled = serde_json::to_string(&published)?;
let file = webroot.path().join(".well-known/pki-validation/fileauth.txt");
assert_eq!(std::fs::read_to_string(&file)?, "20261201000000abcdef");

// Later, maybe in another process:
publisher.cleanup(&serde_json::from_str(&journaled)?).await?;
assert!(!webroot.path().join(".well-known").exists());
# Ok::<(), Box<dyn std::error::Error>>(())
# })?;
# Ok::<(), Box<dyn std::error::Error>>(())
```
*/
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]
// Errors carry the provider's whole answer by value; every call that returns
// one has just waited on the network or a process, so size costs nothing.
#![allow(clippy::result_large_err)]

mod alidns;
mod challenge;
pub mod command;
mod error;
mod hook;
mod net;
pub mod propagation;
mod rfc2136;
mod spec;
mod tsig;
mod webroot;

use std::future::Future;
use std::pin::Pin;

pub use alidns::{ALIDNS_DEFAULT_ENDPOINT, AlidnsPublisher, ENV_DNS_ENDPOINT};
pub use challenge::{
    Challenge, DnsChallenge, FileChallenge, Kind, PKI_VALIDATION_DIR, Published, RecordType,
};
pub use error::{Category, Error, Result};
pub use hook::{DEFAULT_HOOK_TIMEOUT, HookPublisher};
pub use rfc2136::{RFC2136_DEFAULT_TTL, Rfc2136Publisher};
pub use spec::ProviderSpec;
pub use tsig::{TSIG_FUDGE, TsigAlgorithm, TsigKey};
pub use webroot::WebrootPublisher;

/// A boxed future, `Send`, as [`Publisher`]'s methods return (so that a
/// `Box<dyn Publisher>` can be chosen at run time).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Publishes a verification record and removes it again.
///
/// Contract, shared by every provider (and checked by one test suite run
/// against each provider's real counterpart):
/// - [`present`](Publisher::present) makes the challenge visible and returns
///   what is needed to remove it. It is idempotent: when the value is already
///   there it is reused (`preexisting: true`), never duplicated. Other
///   values at the same name are never touched.
/// - [`cleanup`](Publisher::cleanup) removes exactly what the handle names
///   and nothing else. It is idempotent: already gone is success. It also
///   takes the handle [`plan`](Publisher::plan) made before publishing.
/// - Neither prints anything.
pub trait Publisher: Send + Sync {
    /// The provider's name, as journaled (`alidns`, `rfc2136`, `hook`,
    /// `webroot`).
    fn provider(&self) -> &'static str;

    /// What [`present`](Publisher::present) will publish, before anything is
    /// done: journal this first. [`cleanup`](Publisher::cleanup) of it
    /// removes the record (by value) even when the run that published it
    /// stopped before it could journal `present`'s answer.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for a kind of challenge the provider does not
    /// publish.
    fn plan(&self, challenge: &Challenge) -> Result<Published>;

    /// Publishes the challenge.
    ///
    /// # Errors
    /// See [`Error`]; [`Error::category`] tells input errors, refusals and
    /// transient failures apart.
    fn present<'a>(&'a self, challenge: &'a Challenge) -> BoxFuture<'a, Result<Published>>;

    /// Removes what `present` published.
    ///
    /// # Errors
    /// See [`Error`].
    fn cleanup<'a>(&'a self, published: &'a Published) -> BoxFuture<'a, Result<()>>;

    /// Checks, before an order is placed, that the provider has a zone for
    /// the record the CA will ask for for each of `domains` (the
    /// certificate's names: `_dnsauth.` and the name, a wildcard's base): an order whose
    /// validation cannot be published is a unit of quota spent for nothing.
    /// Reads only. The default (hook, webroot: the provider cannot tell
    /// beforehand) checks nothing.
    ///
    /// # Errors
    /// [`Error::ZoneNotFound`] naming the first name no zone holds; what
    /// reading the zones can answer (permissions, the network).
    fn preflight<'a>(&'a self, domains: &'a [String]) -> BoxFuture<'a, Result<()>> {
        let _ = domains;
        Box::pin(async { Ok(()) })
    }
}

/// The label under which the CA asks for a DNS validation record
/// (`RecordDomain` in `DescribeCertificateState`).
pub(crate) const RECORD_LABEL: &str = "_dnsauth";

/// The record the CA will ask for for a certificate name (a wildcard's
/// under its base), before it says so: what a pre-order check looks up, so
/// that a zone delegated for the record alone (`_dnsauth.example.com` on
/// the update server) counts as well as the name's own.
pub(crate) fn expected_record(domain: &str) -> String {
    format!(
        "{RECORD_LABEL}.{}",
        domain.strip_prefix("*.").unwrap_or(domain)
    )
}
