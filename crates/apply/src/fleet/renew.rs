//! [`RenewJob`]: `csrkit renew --manifest` through the fleet runner.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::{Certificate, Done, Job, Verdict, lock};
use crate::error::{Error, Result};
use crate::event::Reporter;
use crate::journal::Journal;
use crate::renew::{
    DEFAULT_KEEP, DEFAULT_RENEW_WAIT, DueRule, PreparedRenewal, RenewAction, RenewOutcome,
    RenewRequest, prepare_renewal,
};
use crate::service::Service;

/// Renews each certificate of a fleet that is due, as `csrkit renew` does
/// for one directory ([`crate::renew`]): the local half (the lock, the
/// decision, the new key and CSR linted, the manifest's hooks and
/// deployment targets recorded) in [`Job::check`], the order in
/// [`Job::run`]. A certificate not due is settled locally
/// ([`Verdict::NotDue`]); one that was never issued (no directory, or no
/// certificate installed in it yet) is not renew's business: it is
/// reported [`Verdict::NotIssued`] and left alone (`apply` orders it, or
/// finishes its order). An order an earlier renewal placed and did not
/// finish is resumed, never placed again.
///
/// From each certificate's [`crate::Request`] it takes the directory, the
/// names (which must be those the directory holds), the key type, the
/// contact, the lint policy and allowances, the lock timeout, the
/// propagation settings, the interrupt and the changes to the recorded
/// hooks and deployment targets ([`crate::Request::renewal`]); the rest is
/// this job's.
#[derive(Debug)]
#[non_exhaustive]
pub struct RenewJob {
    /// When a certificate is due.
    pub rule: DueRule,
    /// Previous generations kept besides the current one.
    pub keep: usize,
    /// How long to wait for the CA.
    pub wait: Duration,
    /// Wait for the CA also for a directory validated by hand (see
    /// [`RenewRequest::wait_by_hand`]).
    pub wait_by_hand: bool,
    /// Decide and check; order, write and lock nothing
    /// ([`Verdict::WouldRenew`], [`Verdict::NotDue`]).
    pub dry_run: bool,
    /// Decide as of this time (default: when the fleet is checked).
    pub clock: Option<SystemTime>,
    /// What [`Job::check`] prepared, by directory, for [`Job::run`] (its
    /// lock held in between).
    prepared: Mutex<HashMap<PathBuf, PreparedRenewal>>,
}

impl Default for RenewJob {
    fn default() -> Self {
        RenewJob {
            rule: DueRule::default(),
            keep: DEFAULT_KEEP,
            wait: DEFAULT_RENEW_WAIT,
            wait_by_hand: false,
            dry_run: false,
            clock: None,
            prepared: Mutex::new(HashMap::new()),
        }
    }
}

impl RenewJob {
    /// The renewal request for `cert`.
    fn request(&self, cert: &Certificate) -> RenewRequest {
        let r = &cert.request;
        let mut req = RenewRequest::new(r.dir.clone());
        req.rule = self.rule;
        req.key_type = r.key_type;
        req.keep = self.keep;
        req.changes = r.renewal.clone();
        req.contact = r.contact.clone();
        req.key_passphrase = r.key_passphrase.clone();
        req.policy = r.policy.clone();
        req.allow = r.allow.clone();
        req.wait = self.wait;
        req.wait_by_hand = self.wait_by_hand;
        req.lock_timeout = r.lock_timeout;
        req.propagation = r.propagation.clone();
        req.dry_run = self.dry_run;
        req.interrupt = r.interrupt.clone();
        req.clock = self.clock;
        req
    }
}

/// How a settled renewal ends in the fleet.
fn settled(outcome: RenewOutcome, journal: &Journal) -> Done {
    let verdict = match outcome.action {
        RenewAction::WouldRenew => Verdict::WouldRenew,
        _ => Verdict::NotDue,
    };
    let mut done = Done::from_journal(verdict, journal);
    done.renewal = Some(Box::new(outcome));
    done
}

impl Job for RenewJob {
    fn check(
        &self,
        cert: &Certificate,
        label: &str,
        reporter: &mut dyn Reporter,
    ) -> Result<Option<Done>> {
        let dir = &cert.request.dir;
        // Read without the lock only to see whether there is a certificate
        // at all; the renewal reads it again, locked.
        let journal = match Journal::load(dir)? {
            Some(j) if j.current.is_some() => j,
            other => return Ok(Some(not_issued(other.as_ref()))),
        };
        if let Some(names) = cert.request.names()? {
            let asked: Vec<&str> = names.domains().iter().map(|d| d.as_str()).collect();
            if asked != journal.domains {
                return Err(Error::input(format!(
                    "{} holds a certificate for {}, not for {}: renew renews the names a \
                     directory holds; give the new names a dir of their own (and apply the \
                     manifest), or put the old names back",
                    dir.display(),
                    journal.domains.join(", "),
                    asked.join(", ")
                )));
            }
        }
        let prepared = prepare_renewal(self.request(cert), label, reporter)?;
        if prepared.has_work() {
            lock(&self.prepared).insert(dir.clone(), prepared);
            return Ok(None);
        }
        Ok(prepared.settle().map(|o| settled(o, &journal)))
    }

    async fn run(
        &self,
        cert: Certificate,
        service: &Service,
        reporter: &mut dyn Reporter,
    ) -> Result<Done> {
        let dir = cert.request.dir.clone();
        let held = lock(&self.prepared).remove(&dir);
        let prepared = match held {
            Some(p) => p,
            None => prepare_renewal(self.request(&cert), service.label(), reporter)?,
        };
        let outcome = prepared.run(Some(service), reporter).await?;
        let journal = outcome
            .journal
            .clone()
            .or_else(|| Journal::load(&dir).ok().flatten());
        let mut done = match (&outcome.action, &journal) {
            (RenewAction::Renewed { generation: g }, _) => Done::new(
                Verdict::Renewed,
                Some(g.order_id.clone()),
                Some(g.not_after.clone()),
            ),
            (_, Some(j)) => Done::from_journal(Verdict::NotDue, j),
            (_, None) => Done::new(Verdict::NotDue, None, None),
        };
        if let Some(e) = outcome.error() {
            // The renewal stands (and serves); what ran after it failed,
            // and the next run tries it again.
            let message = match &outcome.action {
                RenewAction::Renewed { generation: g } => format!(
                    "renewed (generation {}, order {}), but {e}",
                    g.number, g.order_id
                ),
                _ => e.to_string(),
            };
            return Err(Error::FollowUp {
                message,
                category: e.category(),
            });
        }
        done.renewal = Some(Box::new(outcome));
        Ok(done)
    }
}

/// A manifest entry with no certificate in its directory yet.
fn not_issued(journal: Option<&Journal>) -> Done {
    match journal {
        Some(j) => Done::from_journal(Verdict::NotIssued, j),
        None => Done::new(Verdict::NotIssued, None, None),
    }
}
