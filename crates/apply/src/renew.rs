//! `renew`: whether a directory's certificate is due, and its renewal
//! through the same engine as `apply` (DESIGN.md "Renewal").
//!
//! A certificate is **due** when less than a third of its lifetime
//! (`notAfter − notBefore` of the certificate `current` serves) is left, or
//! fewer than [`DueRule::days`] days, or always with [`DueRule::force`]. A
//! directory with no certificate yet, or with an order an earlier run
//! placed and did not finish, is due as well: that order is resumed (a
//! Create of unknown outcome is reconciled), never placed a second time.
//!
//! A due certificate gets a new order for the same names, with a new key of
//! the same type (or [`RenewRequest::key_type`]), or with the same key
//! (`reuse_key`, recorded), the recorded validation provider and its
//! settings, product code and tags, through the engine: lint, quota,
//! journal, reconcile, publish, propagation, wait, verify. Generation N
//! keeps serving until generation N+1 is verified; then `current` is
//! switched with one `rename(2)`. The deploy hook and the deployment run
//! after that; generations older than the newest [`RenewRequest::keep`]
//! before the current one are removed (their journal entries stay).
//!
//! The directory is locked ([`crate::DirLock`]) from the decision to the
//! end: a second `renew` (or `apply`) waits for the lock or stops, and
//! after the first one it finds the certificate no longer due.
//!
//! [`prepare_renewal`] does everything local (the lock, the decision, the
//! new key and CSR linted in memory, the flags recorded) and says whether
//! the network is needed ([`PreparedRenewal::needs_service`]): a run where
//! nothing is due needs no credentials. [`renew`] is both halves.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use csrkit_csr::KeyType;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zeroize::Zeroizing;

use crate::engine::{self, Ending, Prepared};
use crate::error::{Error, Result};
use crate::event::{Event, Reporter};
use crate::hooks::{self, FollowUps, HookRun};
use crate::journal::{Generation, JOURNAL_FILE, Journal, RenewalSettings};
use crate::layout::{self, CERT_FILE, CURRENT_LINK, GENERATIONS_DIR};
use crate::lock::{self, DirLock};
use crate::request::{Contact, Interrupt, PropagationSettings, RenewalChanges, Request};
use crate::service::Service;
use crate::{chain, lint, plan};

/// Previous generations kept by default (`--keep`), besides the current.
pub const DEFAULT_KEEP: usize = 5;
/// How long a renewal waits for the CA by default (`--wait-timeout`).
pub const DEFAULT_RENEW_WAIT: Duration = Duration::from_secs(2 * 3600);

/// When a certificate counts as due, besides a third of its lifetime left.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DueRule {
    /// Also due when fewer than this many days are left (`--days N`).
    pub days: Option<u32>,
    /// Due whatever is left (`--force`).
    pub force: bool,
}

/// Why a certificate is due, or that it is not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// Less than a third of its lifetime is left.
    LifetimeThird,
    /// Fewer than this many days are left (`--days`).
    Days(u32),
    /// `--force`.
    Forced,
    /// The directory has no certificate yet: its order is resumed (or
    /// placed, when none was).
    NoCertificate,
    /// An order an earlier run placed for it is not finished: it is
    /// resumed, never placed again.
    InFlight,
    /// More than a third of its lifetime (and more than `--days`) is left.
    NotDue,
}

/// The certificate `current` serves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Validity {
    /// Its notBefore (RFC 3339).
    pub not_before: String,
    /// Its notAfter (RFC 3339).
    pub not_after: String,
    /// notAfter − notBefore, in seconds.
    pub lifetime_secs: i64,
    /// notAfter − now, in seconds (negative once it expired).
    pub remaining_secs: i64,
}

impl Validity {
    /// Whole days left (rounded down; negative once it expired).
    pub fn days_left(&self) -> i64 {
        self.remaining_secs.div_euclid(86_400)
    }
}

/// Whether a certificate is due, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decision {
    /// Renew it (or resume its order) now.
    pub due: bool,
    /// Why.
    pub reason: Reason,
    /// The certificate serving now, when there is one.
    pub current: Option<Validity>,
}

/// What to renew, and how: the flags of `csrkit renew` for one directory,
/// as data. Start from [`RenewRequest::new`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RenewRequest {
    /// The certificate's directory.
    pub dir: PathBuf,
    /// When it is due.
    pub rule: DueRule,
    /// The type of the new key [default: the current key's]. With the key
    /// kept (`reuse_key`), a different type is an error.
    pub key_type: Option<KeyType>,
    /// Previous generations kept besides the current one.
    pub keep: usize,
    /// Changes to the recorded hooks, deployment targets and key reuse
    /// (`--deploy-hook`, `--post-hook`, `--reuse-key`, …).
    pub changes: RenewalChanges,
    /// The applicant; each part missing is taken from the journal.
    pub contact: Contact,
    /// The passphrase of an encrypted key.
    pub key_passphrase: Option<Zeroizing<String>>,
    /// The lint policy.
    pub policy: csrkit_validate::Policy,
    /// Lint findings (codes or names) that do not stop the order.
    pub allow: Vec<String>,
    /// How long to wait for the CA.
    pub wait: Duration,
    /// Wait for the CA also when nobody publishes the validation for
    /// csrkit (a directory validated by hand). By default such a renewal
    /// places (or resumes) its order, reports what to publish
    /// ([`Event::PublishByHand`]) and ends with [`Error::Unavailable`]: an
    /// unattended run does not wait hours for a person; the next run
    /// finishes the order once the record is published.
    pub wait_by_hand: bool,
    /// How long to wait for another command working on the directory.
    pub lock_timeout: Duration,
    /// Propagation settings replacing the recorded ones for this run.
    pub propagation: PropagationSettings,
    /// Decide and check, but order nothing, write nothing, lock nothing.
    pub dry_run: bool,
    /// Order nothing: run the deploy hook on the current certificate (to
    /// test it).
    pub run_hooks: bool,
    /// Stops a waiting run.
    pub interrupt: Option<Interrupt>,
    /// Decide as of this time instead of now (tests; a fleet deciding at
    /// one instant).
    pub clock: Option<SystemTime>,
}

impl RenewRequest {
    /// A request for `dir` with every choice left to the journal and the
    /// defaults.
    pub fn new(dir: impl Into<PathBuf>) -> RenewRequest {
        RenewRequest {
            dir: dir.into(),
            rule: DueRule::default(),
            key_type: None,
            keep: DEFAULT_KEEP,
            changes: RenewalChanges::default(),
            contact: Contact::default(),
            key_passphrase: None,
            policy: csrkit_validate::Policy::default(),
            allow: Vec::new(),
            wait: DEFAULT_RENEW_WAIT,
            wait_by_hand: false,
            lock_timeout: Duration::ZERO,
            propagation: PropagationSettings::default(),
            dry_run: false,
            run_hooks: false,
            interrupt: None,
            clock: None,
        }
    }
}

/// What a renewal did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenewAction {
    /// Not due: nothing was ordered.
    NotDue,
    /// Due, and a dry run: it would be renewed.
    WouldRenew,
    /// Renewed: the new generation serves (or the order an earlier run
    /// placed was finished and installed).
    Renewed {
        /// The new generation.
        generation: Generation,
    },
    /// `run_hooks`: the deploy hook ran on the current certificate.
    HooksRan,
}

/// What [`renew`] did for one directory.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RenewOutcome {
    /// The directory.
    pub dir: PathBuf,
    /// Whether it was due.
    pub decision: Decision,
    /// What was done.
    pub action: RenewAction,
    /// The deploy hook and deployment that ran (after a renewal, for
    /// `run_hooks`, or left to do by an earlier run).
    pub follow_ups: FollowUps,
    /// The generations removed (`keep`).
    pub pruned: Vec<u32>,
    /// The journal as saved (`None` for a dry run).
    pub journal: Option<Journal>,
}

impl RenewOutcome {
    /// The error a failed deploy hook or deployment stands for (the
    /// renewal itself stands).
    pub fn error(&self) -> Option<Error> {
        self.follow_ups.error()
    }
}

/// The local half of a renewal, done: see [`prepare_renewal`].
pub struct PreparedRenewal {
    dir: PathBuf,
    decision: Decision,
    settings: RenewalSettings,
    keep: usize,
    todo: Todo,
}

enum Todo {
    DryRun,
    NotDue { lock: DirLock, journal: Journal },
    RunHooks { lock: DirLock, journal: Journal },
    Renew(Box<Prepared>),
}

impl std::fmt::Debug for PreparedRenewal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedRenewal")
            .field("dir", &self.dir)
            .field("decision", &self.decision)
            .finish_non_exhaustive()
    }
}

impl PreparedRenewal {
    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether it is due, and why.
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// What the journal records (after this run's changes): its post hook,
    /// for the end of the run.
    pub fn settings(&self) -> &RenewalSettings {
        &self.settings
    }

    /// Whether [`PreparedRenewal::run`] needs the service: a renewal, or a
    /// deployment an earlier run left to do.
    pub fn needs_service(&self) -> bool {
        match &self.todo {
            Todo::Renew(_) => true,
            Todo::NotDue { journal, .. } => hooks::due(journal).is_some_and(|f| f.deployment),
            Todo::DryRun | Todo::RunHooks { .. } => false,
        }
    }

    /// Whether [`PreparedRenewal::run`] has anything to do: a renewal, a
    /// deploy hook or deployment an earlier run left to do, or
    /// `run_hooks`. A dry run, and a certificate not due with nothing left
    /// to do, have none: [`PreparedRenewal::settle`] says how they ended
    /// without running.
    pub fn has_work(&self) -> bool {
        match &self.todo {
            Todo::Renew(_) | Todo::RunHooks { .. } => true,
            Todo::NotDue { journal, .. } => {
                hooks::due(journal).is_some_and(|f| f.deploy_hook || f.deployment)
            }
            Todo::DryRun => false,
        }
    }

    /// The outcome of a renewal with no work ([`PreparedRenewal::has_work`]
    /// is false), without running anything; the lock is released. `None`
    /// when there is work to do.
    pub fn settle(self) -> Option<RenewOutcome> {
        if self.has_work() {
            return None;
        }
        let (action, journal) = match self.todo {
            Todo::DryRun if self.decision.due => (RenewAction::WouldRenew, None),
            Todo::NotDue { journal, .. } => (RenewAction::NotDue, Some(journal)),
            _ => (RenewAction::NotDue, None),
        };
        Some(RenewOutcome {
            dir: self.dir,
            decision: self.decision,
            action,
            follow_ups: FollowUps::default(),
            pruned: Vec::new(),
            journal,
        })
    }

    /// Replaces the propagation settings (for a service whose resolver is
    /// known only once it runs, such as an in-process sandbox's DNS server).
    pub fn set_propagation(&mut self, settings: PropagationSettings) {
        if let Todo::Renew(p) = &mut self.todo {
            p.set_propagation(settings);
        }
    }

    /// The network half: the renewal through the engine, the deploy hook
    /// and deployment, the pruning. `service` may be `None` when
    /// [`PreparedRenewal::needs_service`] says it is not needed.
    ///
    /// # Errors
    /// As [`crate::apply`]; a renewal that ends without a certificate (a
    /// failed validation, a wait that ran out) is an error here. A failed
    /// deploy hook or deployment is not: see [`RenewOutcome::error`].
    pub async fn run(
        self,
        service: Option<&Service>,
        reporter: &mut dyn Reporter,
    ) -> Result<RenewOutcome> {
        let PreparedRenewal {
            dir,
            decision,
            keep,
            todo,
            ..
        } = self;
        let mut out = RenewOutcome {
            dir: dir.clone(),
            decision,
            action: RenewAction::NotDue,
            follow_ups: FollowUps::default(),
            pruned: Vec::new(),
            journal: None,
        };
        match todo {
            Todo::DryRun => {
                if out.decision.due {
                    out.action = RenewAction::WouldRenew;
                }
            }
            Todo::NotDue { lock, mut journal } => {
                out.follow_ups = hooks::run_due(service, &dir, &mut journal, reporter).await?;
                out.journal = Some(journal);
                drop(lock);
            }
            Todo::RunHooks { lock, journal } => {
                if let Some(command) = &journal.renewal.deploy_hook {
                    let hook = hooks::deploy_hook(&dir, &journal, command, reporter).await;
                    out.follow_ups.deploy_hook = Some(hook);
                }
                out.action = RenewAction::HooksRan;
                out.journal = Some(journal);
                drop(lock);
            }
            Todo::Renew(prepared) => {
                let Some(service) = service else {
                    return Err(Error::input(
                        "internal: a renewal was asked to run without the service",
                    ));
                };
                let (outcome, lock) = prepared.run_locked(service, reporter).await;
                let outcome = outcome?;
                if outcome.ending == Ending::Pending
                    && let Some(publish) = outcome.publish.clone()
                {
                    reporter.report(Event::PublishByHand { publish });
                    return Err(Error::unavailable(format!(
                        "{} is validated by hand: publish what is shown above, then run `csrkit \
                         renew {}` again to finish order {} (it is recorded and will not be \
                         placed again)",
                        dir.display(),
                        dir.display(),
                        outcome.order_id
                    )));
                }
                if outcome.ending != Ending::Issued {
                    return Err(outcome.error().unwrap_or_else(|| {
                        Error::unavailable(format!(
                            "the renewal of {} did not end with a certificate",
                            dir.display()
                        ))
                    }));
                }
                let mut journal = outcome.journal;
                out.pruned = prune(&dir, &mut journal, keep)?;
                if !out.pruned.is_empty() {
                    reporter.report(Event::Pruned {
                        dir: dir.clone(),
                        generations: out.pruned.clone(),
                    });
                }
                drop(lock);
                out.follow_ups = outcome.follow_ups;
                if let Some(generation) = outcome.installed {
                    out.action = RenewAction::Renewed { generation };
                }
                out.journal = Some(journal);
            }
        }
        Ok(out)
    }
}

/// Renews `req.dir` when it is due: [`prepare_renewal`] then
/// [`PreparedRenewal::run`].
///
/// # Errors
/// See [`PreparedRenewal::run`].
pub async fn renew(
    req: RenewRequest,
    service: &Service,
    reporter: &mut dyn Reporter,
) -> Result<RenewOutcome> {
    prepare_renewal(req, service.label(), reporter)?
        .run(Some(service), reporter)
        .await
}

/// The local half of a renewal: locks the directory (not for a dry run),
/// records the changes to its hooks and settings, decides whether it is
/// due (reported as [`Event::RenewalDecided`]) and, when it is, makes and
/// lints the new key and CSR in memory and checks the request against the
/// journal. Nothing is sent. `label` is what the journal records for the
/// service the renewal will use ([`Service::label`]).
///
/// # Errors
/// [`Error::Input`] for a directory without a journal, flags against it
/// (`--reuse-key` with another key type), a damaged journal; [`Error::Lock`]
/// when another command holds the directory; [`Error::Lint`].
pub fn prepare_renewal(
    req: RenewRequest,
    label: &str,
    reporter: &mut dyn Reporter,
) -> Result<PreparedRenewal> {
    req.changes.check()?;
    let dir = req.dir.clone();
    if !dir.is_dir() {
        return Err(not_a_certificate_dir(&dir));
    }
    let lock = match req.dry_run {
        true => None,
        false => Some(DirLock::acquire(
            &dir,
            req.lock_timeout,
            &lock::this_command(),
            "wait for it, or pass --lock-timeout DUR",
        )?),
    };
    let mut journal = Journal::load(&dir)?.ok_or_else(|| not_a_certificate_dir(&dir))?;
    if req.changes.apply_to(&mut journal.renewal) && lock.is_some() {
        journal.save(&dir)?;
    }
    let now = req.clock.unwrap_or_else(SystemTime::now);
    let decision = match req.run_hooks {
        true => current_decision(&dir, &journal, now),
        false => decide(&dir, &journal, &req.rule, now),
    };
    reporter.report(Event::RenewalDecided {
        dir: dir.clone(),
        decision: decision.clone(),
    });
    let settings = journal.renewal.clone();
    let keep = req.keep;
    let done = |todo| {
        Ok(PreparedRenewal {
            dir: dir.clone(),
            decision: decision.clone(),
            settings: settings.clone(),
            keep,
            todo,
        })
    };
    let Some(lock) = lock else {
        if decision.due && !req.run_hooks {
            let request = order_request(&req, &dir, &journal)?;
            plan::make(&request, Some(journal), label, reporter)?;
        }
        return done(Todo::DryRun);
    };
    if req.run_hooks {
        if journal.current.is_none() {
            return Err(Error::input(format!(
                "{} has no certificate yet: there is nothing to run the deploy hook on",
                dir.display()
            )));
        }
        return done(Todo::RunHooks { lock, journal });
    }
    if !decision.due {
        return done(Todo::NotDue { lock, journal });
    }
    let request = order_request(&req, &dir, &journal)?;
    let prepared = engine::prepare_locked(request, label, Some(lock), reporter)?;
    done(Todo::Renew(Box::new(prepared)))
}

fn not_a_certificate_dir(dir: &Path) -> Error {
    Error::input(format!(
        "{} is not a certificate directory (it holds no csrkit {JOURNAL_FILE}); give a directory \
         `csrkit apply` made",
        dir.display()
    ))
}

/// Whether the certificate of `dir` is due at `now` (see the module docs).
pub fn decide(dir: &Path, j: &Journal, rule: &DueRule, now: SystemTime) -> Decision {
    let current = validity(dir, j, now);
    let reason = if j.current.is_none() || current.is_none() {
        Reason::NoCertificate
    } else if in_flight(dir, j) {
        Reason::InFlight
    } else if rule.force {
        Reason::Forced
    } else {
        let v = current
            .as_ref()
            .map_or((0, 0), |v| (v.remaining_secs, v.lifetime_secs));
        let (remaining, lifetime) = v;
        if remaining.saturating_mul(3) < lifetime {
            Reason::LifetimeThird
        } else if let Some(days) = rule.days
            && remaining < i64::from(days).saturating_mul(86_400)
        {
            Reason::Days(days)
        } else {
            Reason::NotDue
        }
    };
    Decision {
        due: reason != Reason::NotDue,
        reason,
        current,
    }
}

/// The current certificate's validity, not a decision (`run_hooks`).
fn current_decision(dir: &Path, j: &Journal, now: SystemTime) -> Decision {
    Decision {
        due: false,
        reason: Reason::NotDue,
        current: validity(dir, j, now),
    }
}

/// Reads the journal of `dir` (without the lock) and decides whether it is
/// due at `now`: to see what a run would do before it takes any lock (the
/// random delay of an unattended run comes only when something is due).
///
/// # Errors
/// [`Error::Input`] when `dir` holds no readable journal.
pub fn check_due(dir: &Path, rule: &DueRule, now: SystemTime) -> Result<Decision> {
    let j = Journal::load(dir)?.ok_or_else(|| not_a_certificate_dir(dir))?;
    Ok(decide(dir, &j, rule, now))
}

/// Whether an order an earlier run placed is still to be finished: a
/// Create of unknown outcome, or a recorded order that is neither
/// installed nor failed.
fn in_flight(dir: &Path, j: &Journal) -> bool {
    if j.unsettled() {
        return true;
    }
    j.order_id.is_some() && !layout::installed(dir, j) && !failed(j)
}

/// Whether the recorded order ended without a certificate.
fn failed(j: &Journal) -> bool {
    j.states
        .last()
        .is_some_and(|s| s.state == "verify_fail" || s.state == "payed")
}

/// The certificate `current` serves: read from it (`cert.pem`), else from
/// the journal's entry for the current generation.
fn validity(dir: &Path, j: &Journal, now: SystemTime) -> Option<Validity> {
    let from_file = std::fs::read_to_string(dir.join(CURRENT_LINK).join(CERT_FILE))
        .ok()
        .and_then(|pem| chain::leaf_facts(&pem).ok())
        .map(|f| (f.not_before, f.not_after));
    let from_journal = || {
        let n = j.current?;
        let g = j.generations.iter().find(|g| g.number == n)?;
        Some((g.not_before.clone(), g.not_after.clone()))
    };
    let (not_before, not_after) = from_file.or_else(from_journal)?;
    let parse = |t: &str| OffsetDateTime::parse(t, &Rfc3339).ok();
    let (nb, na) = (parse(&not_before)?, parse(&not_after)?);
    let now = OffsetDateTime::from(now);
    Some(Validity {
        lifetime_secs: (na - nb).whole_seconds(),
        remaining_secs: (na - now).whole_seconds(),
        not_before,
        not_after,
    })
}

/// The engine request that renews (or resumes) `dir`'s certificate.
fn order_request(req: &RenewRequest, dir: &Path, j: &Journal) -> Result<Request> {
    let mut r = Request::new(dir);
    r.contact = req.contact.clone();
    r.key_passphrase = req.key_passphrase.clone();
    r.policy = req.policy.clone();
    r.allow = req.allow.clone();
    r.wait = (j.dns.is_some() || req.wait_by_hand).then_some(req.wait);
    r.lock_timeout = req.lock_timeout;
    r.propagation = req.propagation.clone();
    r.interrupt = req.interrupt.clone();
    // A new order replaces the one the current certificate came from (or
    // one that failed); anything else is resumed as it stands.
    r.new_order = layout::installed(dir, j) || (j.order_id.is_some() && failed(j));
    if !r.new_order {
        return Ok(r);
    }
    let Some(key) = &j.files.key else {
        // A CSR given without its key: it is sent again as it is.
        return Ok(r);
    };
    let have = current_key_type(dir, j)?;
    if key.is_absolute() {
        // A key kept outside the directory is the operator's: kept.
        if let Some(t) = req.key_type.filter(|t| Some(t.name()) != have.as_deref()) {
            return Err(Error::input(format!(
                "--key-type {t}: {} renews with the key it was given ({}), kept outside the \
                 directory; make a new key there, or order into another directory",
                dir.display(),
                key.display()
            )));
        }
        r.same_key = true;
        return Ok(r);
    }
    if j.renewal.reuse_key {
        if let Some(t) = req.key_type.filter(|t| Some(t.name()) != have.as_deref()) {
            return Err(Error::input(format!(
                "--key-type {t} with --reuse-key: the key of {} is {}; pass --new-key to renew \
                 with a new {t} key (and stop reusing the key)",
                dir.display(),
                have.as_deref().unwrap_or("of another type")
            )));
        }
        r.same_key = true;
        return Ok(r);
    }
    r.key_type = match (req.key_type, have) {
        (Some(t), _) => Some(t),
        (None, Some(name)) => Some(name.parse().map_err(|e: String| {
            Error::input(format!(
                "the key of {} cannot be made again ({e}); pass --key-type",
                dir.display()
            ))
        })?),
        (None, None) => None,
    };
    Ok(r)
}

/// The type of the directory's current key, by the CSR it ordered with.
fn current_key_type(dir: &Path, j: &Journal) -> Result<Option<String>> {
    let der = lint::read_csr(&dir.join(&j.files.csr))?;
    Ok(Some(lint::csr_key_type(&der)?))
}

/// Removes the directories of installed generations older than the
/// current one and the `keep` before it; never the current one, one a
/// journal entry still points into, or one whose follow-ups are due. Their
/// journal entries stay, with `pruned_at`.
fn prune(dir: &Path, j: &mut Journal, keep: usize) -> Result<Vec<u32>> {
    let Some(current) = j.current else {
        return Ok(Vec::new());
    };
    let mut needed = vec![current];
    needed.extend(layout::number_of(&j.files.csr));
    needed.extend(j.files.key.as_deref().and_then(layout::number_of));
    needed.extend(j.follow_ups.map(|f| f.generation));
    if let Ok(target) = std::fs::read_link(dir.join(CURRENT_LINK)) {
        needed.extend(layout::number_of(&target));
    }
    let mut older: Vec<u32> = j
        .generations
        .iter()
        .filter(|g| g.number < current && g.pruned_at.is_none())
        .map(|g| g.number)
        .collect();
    older.sort_unstable_by(|a, b| b.cmp(a));
    let mut pruned = Vec::new();
    for n in older.into_iter().skip(keep) {
        if needed.contains(&n) {
            continue;
        }
        let path = dir.join(layout::generation_dir(n));
        match std::fs::remove_dir_all(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("remove", path)(e)),
        }
        if let Some(g) = j.generations.iter_mut().find(|g| g.number == n) {
            g.pruned_at = Some(crate::journal::now());
        }
        pruned.push(n);
    }
    if !pruned.is_empty() {
        j.save(dir)?;
    }
    pruned.sort_unstable();
    Ok(pruned)
}

/// Certificate directories found under a root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Found {
    /// Directories holding a csrkit order journal, sorted.
    pub dirs: Vec<PathBuf>,
    /// What could not be looked into, and why (one sentence each).
    pub skipped: Vec<String>,
}

/// How deep [`find_certificate_dirs`] looks below its root.
pub const FIND_MAX_DEPTH: usize = 8;
/// How many directories [`find_certificate_dirs`] looks into at most.
const FIND_MAX_DIRS: usize = 100_000;

/// Every certificate directory under `root` (`root` included): the
/// directories holding a csrkit `order.json` (an `order.json` of another
/// program is not one). The walk follows links to directories but enters
/// each directory once (so a link loop ends it), never looks inside a
/// certificate directory (its generations), and stops at
/// [`FIND_MAX_DEPTH`] levels and 100 000 directories (said in
/// [`Found::skipped`]).
pub fn find_certificate_dirs(root: &Path) -> Found {
    use std::os::unix::fs::MetadataExt;
    let mut found = Found::default();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let meta = match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() => m,
            Ok(_) => continue,
            Err(e) => {
                found.skipped.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        if !seen.insert((meta.dev(), meta.ino())) {
            continue;
        }
        if seen.len() > FIND_MAX_DIRS {
            found.skipped.push(format!(
                "{}: not looked into; more than {FIND_MAX_DIRS} directories under {} (name the \
                 certificate directories instead)",
                dir.display(),
                root.display()
            ));
            break;
        }
        if is_certificate_dir(&dir) {
            found.dirs.push(dir);
            continue;
        }
        if depth >= FIND_MAX_DEPTH {
            found.skipped.push(format!(
                "{}: deeper than {FIND_MAX_DEPTH} levels; not looked into",
                dir.display()
            ));
            continue;
        }
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                found.skipped.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        let mut children: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_name() != GENERATIONS_DIR)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir() || t.is_symlink()))
            .map(|e| e.path())
            .collect();
        children.sort();
        stack.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
    }
    found.dirs.sort();
    found
}

/// Whether `dir` holds a csrkit order journal: by its schema, or, when the
/// journal is too damaged to show one, by what csrkit leaves beside it (a
/// `generations` directory, or a lock file csrkit wrote). A damaged journal
/// is thus reported by the run instead of its certificate silently never
/// being renewed again; another program's `order.json` has neither.
fn is_certificate_dir(dir: &Path) -> bool {
    use std::io::Read;
    let Ok(file) = std::fs::File::open(dir.join(JOURNAL_FILE)) else {
        return false;
    };
    let mut head = Vec::new();
    if file.take(64 * 1024).read_to_end(&mut head).is_ok()
        && String::from_utf8_lossy(&head).contains("\"csrkit.order/")
    {
        return true;
    }
    let lock_is_ours = || {
        std::fs::read(dir.join(crate::lock::LOCK_FILE))
            .is_ok_and(|b| String::from_utf8_lossy(&b).contains("\"command\":\"csrkit"))
    };
    dir.join(GENERATIONS_DIR).is_dir() || lock_is_ours()
}

/// Runs the post hook of a renewal run: see [`hooks::run_post_hook`].
pub async fn post_hook(
    command: &str,
    renewed: &[PathBuf],
    failed: &[PathBuf],
    settings: &RenewalSettings,
    reporter: &mut dyn Reporter,
) -> HookRun {
    hooks::run_post_hook(
        command,
        renewed,
        failed,
        hooks::timeout_of(settings),
        reporter,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal_with(not_before: &str, not_after: &str) -> Journal {
        let mut j: Journal = serde_json::from_value(serde_json::json!({
            "schema": crate::journal::SCHEMA,
            "domains": ["example.com"],
            "csr_sha256": "ab", "key_spki_sha256": "cd",
            "product_code": "digicert-free-1-free", "validate_type": "DNS",
            "endpoint": "sandbox", "order_id": "1", "submission": null,
            "verification": null, "files": { "key": "privkey.pem", "csr": "request.csr" },
            "not_after": null,
            "generations": [{ "number": 1, "order_id": "1", "key_spki_sha256": "cd",
                              "not_before": not_before, "not_after": not_after,
                              "installed_at": not_before }],
            "current": 1
        }))
        .unwrap();
        j.states.clear();
        j
    }

    fn at(t: &str) -> SystemTime {
        OffsetDateTime::parse(t, &Rfc3339).unwrap().into()
    }

    /// The rule's arithmetic, with the clock moved: a 90-day certificate
    /// is due once fewer than 30 days are left, not a second before; `--days`
    /// makes it due earlier; `--force` at once.
    #[test]
    fn due_at_a_third_of_the_lifetime_or_days_or_forced() {
        let dir = tempfile::tempdir().unwrap();
        // Not installed through `current`: the journal's entry is read, and
        // the directory counts as in flight only by its order (installed
        // needs the link), so the order is dropped here.
        let mut j = journal_with("2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z");
        j.order_id = None;
        let rule = DueRule::default();
        // 90 days: due below 30 days left (2026-03-02T00:00:00Z).
        let d = decide(dir.path(), &j, &rule, at("2026-03-01T23:59:59Z"));
        assert_eq!((d.due, d.reason), (false, Reason::NotDue), "{d:?}");
        assert_eq!(d.current.as_ref().unwrap().days_left(), 30);
        let d = decide(dir.path(), &j, &rule, at("2026-03-02T00:00:01Z"));
        assert_eq!((d.due, d.reason), (true, Reason::LifetimeThird), "{d:?}");
        let days = DueRule {
            days: Some(45),
            force: false,
        };
        let d = decide(dir.path(), &j, &days, at("2026-02-15T00:00:01Z"));
        assert_eq!((d.due, d.reason), (true, Reason::Days(45)), "{d:?}");
        let d = decide(dir.path(), &j, &days, at("2026-02-14T23:59:59Z"));
        assert!(!d.due, "{d:?}");
        let force = DueRule {
            days: None,
            force: true,
        };
        let d = decide(dir.path(), &j, &force, at("2026-01-02T00:00:00Z"));
        assert_eq!((d.due, d.reason), (true, Reason::Forced));
        // Expired: due, with negative days left.
        let d = decide(dir.path(), &j, &rule, at("2026-05-01T00:00:00Z"));
        assert!(d.due && d.current.unwrap().days_left() < 0);
    }

    #[test]
    fn an_order_in_flight_or_no_certificate_is_due() {
        let dir = tempfile::tempdir().unwrap();
        let j = journal_with("2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z");
        // Order 1 recorded, not installed through `current` here: in flight.
        let d = decide(
            dir.path(),
            &j,
            &DueRule::default(),
            at("2026-01-02T00:00:00Z"),
        );
        assert_eq!((d.due, d.reason), (true, Reason::InFlight));
        // The same order failed: not in flight; the expiry rule decides.
        let mut failed = j.clone();
        failed.see("verify_fail");
        let d = decide(
            dir.path(),
            &failed,
            &DueRule::default(),
            at("2026-01-02T00:00:00Z"),
        );
        assert_eq!((d.due, d.reason), (false, Reason::NotDue));
        let mut none = j;
        none.current = None;
        let d = decide(
            dir.path(),
            &none,
            &DueRule::default(),
            at("2026-01-02T00:00:00Z"),
        );
        assert_eq!((d.due, d.reason), (true, Reason::NoCertificate));
    }

    #[test]
    fn the_walk_finds_journals_skips_foreign_ones_and_survives_a_link_loop() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        let ours = r.join("a/example.com");
        std::fs::create_dir_all(ours.join("generations/1")).unwrap();
        std::fs::write(ours.join(JOURNAL_FILE), "{\"schema\": \"csrkit.order/1\"}").unwrap();
        // A journal inside a certificate directory's generations is not
        // looked for.
        std::fs::write(
            ours.join("generations/1").join(JOURNAL_FILE),
            "{\"schema\": \"csrkit.order/1\"}",
        )
        .unwrap();
        let foreign = r.join("shop");
        std::fs::create_dir_all(&foreign).unwrap();
        std::fs::write(foreign.join(JOURNAL_FILE), "{\"items\": []}").unwrap();
        std::os::unix::fs::symlink(r, r.join("a/loop")).unwrap();
        std::os::unix::fs::symlink(&ours, r.join("alias")).unwrap();
        // Journals damaged past their schema are still found (and then
        // reported by the run): beside csrkit's generations, or its lock.
        let damaged = r.join("b/damaged.example.com");
        std::fs::create_dir_all(damaged.join("generations/1")).unwrap();
        std::fs::write(damaged.join(JOURNAL_FILE), b"\xff\xfe garbage").unwrap();
        let unissued = r.join("b/unissued.example.com");
        std::fs::create_dir_all(&unissued).unwrap();
        std::fs::write(unissued.join(JOURNAL_FILE), b"\0\0\0").unwrap();
        std::fs::write(
            unissued.join(crate::lock::LOCK_FILE),
            "{\"pid\":1,\"command\":\"csrkit apply -d unissued.example.com\"}",
        )
        .unwrap();
        // Another program's lock beside another program's journal is not.
        std::fs::write(foreign.join(crate::lock::LOCK_FILE), "{\"pid\":1}").unwrap();
        let found = find_certificate_dirs(r);
        assert_eq!(found.dirs, vec![ours, damaged, unissued], "{found:?}");
        assert!(found.skipped.is_empty(), "{found:?}");
    }
}
