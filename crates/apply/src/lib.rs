/*!
The certificate lifecycle engine behind `csrkit apply`, `renew`, `status`
and `cancel`: the journal, the directory lock, the steps, reconcile and
resume, hooks and deployment after installation, and the renewal decision,
as a typed API that reports progress as [`Event`]s and prints nothing.

```text
key + CSR -> lint -> quota -> Create (reconcile when the outcome is unknown) -> describe
  -> publish the record -> propagation check -> wait for the CA -> fetch -> verify
  -> install (one switch to the new generation) -> clean up the record
  -> deploy hook / deployment job
```

[`renew`] decides whether a directory's certificate is due (less than a
third of its lifetime left) and renews it through the same steps.

Each step is journaled (`order.json`, see [`Journal`]) before it acts and
after it learns something, so a run stopped at any moment (a crash,
`kill -9`, Ctrl-C) is resumed by the next one: a step that was done is never
redone, and a step that may have happened (a Create, a published record) is
looked up before it is retried. Quota is money: no path sends a second
Create for a directory unless it has proved that the first created nothing.
One command at a time works on a directory ([`DirLock`]).

A certificate's directory keeps every certificate it was issued as a
generation (`generations/N/`), with stable names linked through one
`current` link that is switched with a single `rename(2)`: see
[`GENERATIONS_DIR`] and the layout described there.

An order from the sandbox, published through its Alibaba Cloud DNS
emulation, checked on its DNS server, issued, installed and cleaned up:

```
use std::time::Duration;

use csrkit_apply::{Contact, Ending, Event, Request, Service, Validation};
use csrkit_dns::ProviderSpec;
use csrkit_submit::{Client, ClientOptions, Credentials, Endpoint};

# tokio::runtime::Runtime::new()?.block_on(async {
// A sandbox CA hosting example.com, answering for it over DNS, and issuing
// only once it resolves the record it asked for.
let mut config = csrkit_sandbox::SandboxConfig::default();
config.zones = vec!["example.com".parse()?];
config.dns_listen = Some("127.0.0.1:0".parse()?);
config.approve = csrkit_sandbox::Approval::Verify;
let sandbox = csrkit_sandbox::Sandbox::start(config).await?;
let key = sandbox.credentials();
let credentials = Credentials::new(key.access_key_id(), key.access_key_secret(), None);
let options = ClientOptions {
    endpoint: Endpoint::parse(&sandbox.endpoint())?,
    ..ClientOptions::default()
};
let service = Service::new(Client::new(credentials.clone(), options)?)
    .with_fast_polling()
    .with_dns_credentials(credentials);

let dir = tempfile::tempdir()?;
let mut request = Request::new(dir.path().join("example.com"));
request.domains = vec!["example.com".into()];
request.contact = Contact::new("Zhang San", "13800000000", "ops@example.com");
request.validation = Validation::Provider(ProviderSpec::Alidns {
    endpoint: sandbox.endpoint(),
});
request.propagation.resolver = sandbox.dns_addr().map(|a| a.to_string());
request.wait = Some(Duration::from_secs(120));

let mut events = Vec::new();
let outcome = csrkit_apply::apply(request, &service, &mut |e| events.push(e)).await?;
assert_eq!(outcome.ending, Ending::Issued);
assert!(dir.path().join("example.com/current/fullchain.pem").exists());
assert!(events.iter().any(|e| matches!(e, Event::RecordPublished { .. })));
assert!(events.iter().any(|e| matches!(e, Event::CleanedUp { .. })));
// Nothing is left in the zone.
assert!(sandbox.dns_zones()[0].records.iter().all(|r| r.rr != "_dnsauth"));
sandbox.shutdown().await;
# Ok::<(), Box<dyn std::error::Error>>(())
# })?;
# Ok::<(), Box<dyn std::error::Error>>(())
```
*/
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod chain;
mod dry_run;
mod engine;
mod error;
mod event;
pub mod fleet;
mod follow;
mod fsx;
mod hooks;
mod journal;
mod layout;
mod lint;
mod lock;
mod manifest;
mod material;
mod order;
mod plan;
mod publish;
mod publish_text;
mod reconcile;
mod renew;
mod request;
mod service;
mod settings;
mod status;

use std::path::Path;
use std::time::Duration;

pub use dry_run::dry_run;
pub use engine::{Ending, Outcome, Prepared, apply, prepare};
pub use error::{Category, Error, Result, api_category};
pub use event::{Event, Reporter, Step};
pub use fsx::{CSR_FILE, KEY_FILE, create_dir};
pub use hooks::{
    DEFAULT_HOOK_TIMEOUT, DeploymentRun, Failure, FollowUps, HookKind, HookRun,
    parse_deploy_target, run_post_hook,
};
pub use journal::{
    CreateOutcome, Files, FollowUpsDue, Generation, JOURNAL_FILE, Journal, PreviousOrder,
    PublishedRecord, Publishing, RenewalSettings, SCHEMA, StateSeen, Submission, now,
};
pub use layout::{
    CERT_FILE, CHAIN_FILE, COMBINED_FILE, CURRENT_LINK, FULLCHAIN_FILE, GENERATION_FILE,
    GENERATIONS_DIR, generation_dir,
};
pub use lock::{DirLock, Holder, LOCK_FILE, LockError, this_command};
pub use manifest::{Manifest, ManifestEntry};
pub use plan::{ATTEMPT_TAG, DEFAULT_PRODUCT_CODE, check_tags};
pub use publish_text::Publish;
pub use renew::{
    DEFAULT_KEEP, DEFAULT_RENEW_WAIT, Decision, DueRule, FIND_MAX_DEPTH, Found, PreparedRenewal,
    Reason, RenewAction, RenewOutcome, RenewRequest, Validity, check_due, decide,
    find_certificate_dirs, post_hook, prepare_renewal, renew,
};
pub use request::{
    Contact, Interrupt, PropagationSettings, RenewalChanges, Request, Trigger, Validation,
    default_dir,
};
pub use service::Service;
pub use settings::{ProviderName, Spelling, ValidationSettings, parse_duration};
pub use status::{Status, Withdrawn, cancel, recorded_order, status, withdraw};

/// Locks a certificate directory at once, for a command without a waiting
/// flag (`generate`, `status` of a sandbox order).
///
/// # Errors
/// [`Error::Lock`] when another command holds it.
pub fn lock_now(dir: &Path) -> Result<DirLock> {
    let hint = "wait for it to finish, then run this again";
    Ok(DirLock::acquire(
        dir,
        Duration::ZERO,
        &this_command(),
        hint,
    )?)
}

/// For `csrkit generate`: an existing directory locked, and refused when it
/// holds an order journal (new files there would not be the journal's). A
/// new directory is not created here.
///
/// # Errors
/// [`Error::Lock`] when another command holds it; [`Error::Input`] when it
/// holds a journal.
pub fn lock_for_generate(dir: &Path) -> Result<Option<DirLock>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let lock = lock_now(dir)?;
    if let Some(j) = Journal::load(dir)? {
        let todo = if j.nothing_sent() {
            format!(
                "no order was placed from it yet: remove {} first to start over",
                dir.join(JOURNAL_FILE).display()
            )
        } else {
            format!(
                "new files would leave its certificate without its key. To renew with a new key \
                 use `csrkit apply --out-dir {} --new-order --key-type TYPE`, or generate into \
                 another --out-dir",
                dir.display()
            )
        };
        return Err(Error::input(format!(
            "{} holds the order journal {JOURNAL_FILE}; {todo}",
            dir.display()
        )));
    }
    Ok(Some(lock))
}
