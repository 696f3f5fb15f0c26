//! What the caller asks the engine to do: [`Request`] (the CLI's `apply`
//! flags, as data), and the caller's [`Interrupt`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use csrkit_csr::{CsrRequest, KeyType};
use csrkit_submit::{OrderId, Tag, ValidateType};
use tokio::sync::watch;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The applicant the service requires on every Create; a part left out is
/// asked for only when a Create must go out.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Contact {
    /// Name (`--contact-name`).
    pub name: Option<String>,
    /// Phone (`--contact-phone`).
    pub phone: Option<String>,
    /// Email (`--contact-email`).
    pub email: Option<String>,
}

impl Contact {
    /// A complete contact.
    pub fn new(name: &str, phone: &str, email: &str) -> Contact {
        Contact {
            name: Some(name.to_owned()),
            phone: Some(phone.to_owned()),
            email: Some(email.to_owned()),
        }
    }

    /// The three parts, or an error naming what is missing.
    pub(crate) fn complete(&self) -> Result<(String, String, String)> {
        match (&self.name, &self.phone, &self.email) {
            (Some(n), Some(p), Some(e)) => Ok((n.clone(), p.clone(), e.clone())),
            (n, p, e) => {
                let missing: Vec<&str> = [
                    ("--contact-name", n.is_none()),
                    ("--contact-phone", p.is_none()),
                    ("--contact-email", e.is_none()),
                ]
                .into_iter()
                .filter_map(|(f, m)| m.then_some(f))
                .collect();
                Err(Error::input(format!(
                    "the service needs the applicant's contact: missing {} (or \
                     CSRKIT_CONTACT_NAME/_PHONE/_EMAIL, or [contact] in csrkit.toml); nothing was \
                     sent",
                    missing.join(", ")
                )))
            }
        }
    }
}

/// Who publishes the validation record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Validation {
    /// What the journal records (for a new directory: by hand).
    #[default]
    Recorded,
    /// By hand: the engine reports what to publish
    /// ([`crate::Event::PublishByHand`]) and waits for the CA.
    Manual,
    /// By this provider (`--dns alidns|rfc2136|hook`, `--webroot`).
    Provider(csrkit_dns::ProviderSpec),
}

/// Propagation settings given for this run; each replaces the recorded
/// one when set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PropagationSettings {
    /// Ask this server (`HOST[:PORT]`) instead of the zone's authoritative
    /// servers (`--dns-resolver`).
    pub resolver: Option<String>,
    /// Give up after this long (`--propagation-timeout`, default 10 minutes).
    pub timeout: Option<Duration>,
    /// FILE: fetch through this address (`--http-via HOST:PORT`).
    pub http_via: Option<String>,
}

/// Stops a waiting engine: the CLI fires it on Ctrl-C or SIGTERM. The
/// engine looks at it between steps and while it waits (for the
/// propagation, for the CA); it never abandons a request that may change
/// something at the service.
#[derive(Debug, Clone)]
pub struct Interrupt(watch::Receiver<bool>);

/// Fires an [`Interrupt`].
#[derive(Debug)]
pub struct Trigger(watch::Sender<bool>);

impl Interrupt {
    /// An interrupt and the trigger that fires it.
    pub fn new() -> (Trigger, Interrupt) {
        let (tx, rx) = watch::channel(false);
        (Trigger(tx), Interrupt(rx))
    }

    /// Whether it fired.
    pub fn fired(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once it fires (never, when the trigger was dropped unfired).
    pub(crate) async fn wait(&mut self) {
        if self.0.wait_for(|v| *v).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Trigger {
    /// Fires the interrupt.
    pub fn fire(&self) {
        let _ = self.0.send(true);
    }
}

/// What to order, where, and how: the flags of `csrkit apply`, as data.
///
/// Start from [`Request::new`] and set the fields that apply.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Request {
    /// The certificate's directory (see [`default_dir`]).
    pub dir: PathBuf,
    /// The names, CN first (`--domain`); empty to take them from the CSR
    /// or the journal.
    pub domains: Vec<String>,
    /// Submit this CSR instead of making one (`--csr`).
    pub csr: Option<PathBuf>,
    /// The private key: with `csr`, the key to check the certificate
    /// against; otherwise the key to make the CSR with (never copied).
    pub key: Option<PathBuf>,
    /// The type of a new key (default P-256).
    pub key_type: Option<KeyType>,
    /// The passphrase of an encrypted key.
    pub key_passphrase: Option<Zeroizing<String>>,
    /// The applicant.
    pub contact: Contact,
    /// DNS or FILE (default DNS; a recorded order keeps its own).
    pub validate_type: Option<ValidateType>,
    /// The resource plan to spend (default
    /// [`crate::DEFAULT_PRODUCT_CODE`]; a recorded order keeps its own).
    pub product_code: Option<String>,
    /// The user's tags (csrkit adds its own attempt tag).
    pub tags: Vec<Tag>,
    /// Place a new order although the directory records one.
    pub new_order: bool,
    /// Settle a Create of unknown outcome by hand with this order.
    pub adopt: Option<OrderId>,
    /// The lint policy.
    pub policy: csrkit_validate::Policy,
    /// Lint findings (codes or names) that do not stop the order.
    pub allow: Vec<String>,
    /// Wait this long for the CA (`None`: describe once and return).
    pub wait: Option<Duration>,
    /// Wait this long for another command working on the directory.
    pub lock_timeout: Duration,
    /// Who publishes the validation record.
    pub validation: Validation,
    /// How its propagation is checked.
    pub propagation: PropagationSettings,
    /// Stops a waiting run.
    pub interrupt: Option<Interrupt>,
    /// With `new_order`: a new CSR for the key the directory holds now
    /// (`renew --reuse-key`), instead of a new key.
    pub same_key: bool,
    /// Changes to what runs after installation (deploy hook, deployment
    /// targets) and how `renew` orders, recorded in the journal.
    pub renewal: RenewalChanges,
}

/// Changes to the journal's [`crate::RenewalSettings`]: each `None` keeps
/// what is recorded; an empty hook command (or an empty list of targets)
/// removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RenewalChanges {
    /// `--deploy-hook CMD`.
    pub deploy_hook: Option<String>,
    /// `--post-hook CMD`.
    pub post_hook: Option<String>,
    /// Deployment targets (`PRODUCT:DOMAIN` or a resource id).
    pub deploy_to: Option<Vec<String>>,
    /// `--hook-timeout`.
    pub hook_timeout: Option<Duration>,
    /// `--reuse-key` (`Some(true)`) or `--new-key` (`Some(false)`).
    pub reuse_key: Option<bool>,
}

impl RenewalChanges {
    /// Checks the commands and targets.
    ///
    /// # Errors
    /// [`Error::Input`] naming the flag at fault.
    pub fn check(&self) -> Result<()> {
        if let Some(c) = &self.deploy_hook {
            crate::hooks::check_command("--deploy-hook", c)?;
        }
        if let Some(c) = &self.post_hook {
            crate::hooks::check_command("--post-hook", c)?;
        }
        for t in self.deploy_to.iter().flatten() {
            crate::hooks::parse_deploy_target(t)?;
        }
        if self.hook_timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::input("--hook-timeout must be at least 1s"));
        }
        Ok(())
    }

    /// Applies the changes; returns whether anything changed.
    pub(crate) fn apply_to(&self, s: &mut crate::RenewalSettings) -> bool {
        let before = s.clone();
        let hook = |given: &Option<String>, slot: &mut Option<String>| {
            if let Some(c) = given {
                *slot = Some(c.trim().to_owned()).filter(|c| !c.is_empty());
            }
        };
        hook(&self.deploy_hook, &mut s.deploy_hook);
        hook(&self.post_hook, &mut s.post_hook);
        if let Some(targets) = &self.deploy_to {
            s.deploy_to = targets
                .iter()
                .filter_map(|t| crate::hooks::recorded_deploy_target(t).ok())
                .collect();
            s.deploy_to.dedup();
        }
        if let Some(t) = self.hook_timeout {
            s.hook_timeout_secs = Some(t.as_secs().max(1));
        }
        if let Some(r) = self.reuse_key {
            s.reuse_key = r;
        }
        *s != before
    }
}

impl Request {
    /// A request for the directory `dir` with every choice left to the
    /// journal or to the defaults.
    pub fn new(dir: impl Into<PathBuf>) -> Request {
        Request {
            dir: dir.into(),
            domains: Vec::new(),
            csr: None,
            key: None,
            key_type: None,
            key_passphrase: None,
            contact: Contact::default(),
            validate_type: None,
            product_code: None,
            tags: Vec::new(),
            new_order: false,
            adopt: None,
            policy: csrkit_validate::Policy::default(),
            allow: Vec::new(),
            wait: None,
            lock_timeout: Duration::ZERO,
            validation: Validation::Recorded,
            propagation: PropagationSettings::default(),
            interrupt: None,
            same_key: false,
            renewal: RenewalChanges::default(),
        }
    }

    /// `domains`, checked.
    pub(crate) fn names(&self) -> Result<Option<CsrRequest>> {
        if self.domains.is_empty() {
            return Ok(None);
        }
        Ok(Some(CsrRequest::new(&self.domains)?))
    }

    /// Stops with [`Error::Interrupted`] when the interrupt fired.
    pub(crate) fn check_interrupt(&self, doing: &str) -> Result<()> {
        if self.interrupt.as_ref().is_some_and(Interrupt::fired) {
            return Err(Error::Interrupted {
                message: format!(
                    "interrupted {doing}; state saved in {}: run apply again to resume",
                    self.dir.join(crate::JOURNAL_FILE).display()
                ),
            });
        }
        Ok(())
    }
}

/// The directory a certificate goes to by default: `./<first domain>/`
/// (`_` for a wildcard label), or for a CSR, `./<its CN>/`.
///
/// # Errors
/// [`Error::Input`] for a malformed domain, an unreadable CSR, or a CSR
/// without a CN; and when neither domains nor a CSR are given.
pub fn default_dir(domains: &[String], csr: Option<&Path>) -> Result<PathBuf> {
    if !domains.is_empty() {
        let r = CsrRequest::new(domains)?;
        return Ok(PathBuf::from(r.domains()[0].file_stem()));
    }
    match csr {
        Some(path) => crate::lint::csr_default_dir(path),
        None => Err(Error::input(
            "say what to certify: --domain D (repeat for more), --csr FILE, or --out-dir DIR to \
             resume an order",
        )),
    }
}
