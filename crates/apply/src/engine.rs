//! `apply`: the steps in order, each one function (DESIGN.md "The apply
//! engine"):
//!
//! ```text
//! key + CSR -> lint -> quota -> Create (reconcile when the outcome is unknown) -> describe
//!   -> publish the record -> propagation check -> wait for the CA -> fetch -> verify
//!   -> install (one switch to the new generation) -> clean up the record
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use csrkit_submit::{CertificateState, OrderId, StateType};

use crate::error::{Error, Result};
use crate::event::{Event, Reporter, Step};
use crate::follow::{self, is_final};
use crate::hooks::{self, FollowUps};
use crate::journal::{Generation, JOURNAL_FILE, Journal, Publishing};
use crate::layout;
use crate::lock::{self, DirLock};
use crate::material;
use crate::order;
use crate::plan::{self, Plan};
use crate::publish;
use crate::publish_text::Publish;
use crate::request::{Interrupt, Request};
use crate::service::Service;
use crate::{chain, fsx};

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Ending {
    /// The certificate is installed (by this run or an earlier one).
    Issued,
    /// The CA is validating; the request did not ask to wait.
    Pending,
    /// Still validating when the wait ran out.
    StillWaiting {
        /// How long was waited.
        waited: Duration,
    },
    /// The CA could not validate the domain (`verify_fail`).
    ValidationFailed,
    /// The order was cancelled (`payed`).
    Cancelled,
}

/// What a run of [`apply`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Outcome {
    /// The certificate's directory.
    pub dir: PathBuf,
    /// The order.
    pub order_id: OrderId,
    /// Its last state.
    pub state: StateType,
    /// What the CA asks to publish, while it validates.
    pub publish: Option<Publish>,
    /// How the run ended.
    pub ending: Ending,
    /// The generation serving now, when this order's certificate is
    /// installed.
    pub installed: Option<Generation>,
    /// The journal as saved.
    pub journal: Journal,
    /// The deploy hook and deployment that ran after the installation (or
    /// that an earlier run left to do).
    pub follow_ups: FollowUps,
}

impl Outcome {
    /// The error an unsuccessful ending stands for (`None` for
    /// [`Ending::Issued`] and [`Ending::Pending`]).
    pub fn error(&self) -> Option<Error> {
        let id = self.order_id;
        match &self.ending {
            Ending::Issued | Ending::Pending => None,
            Ending::ValidationFailed => Some(Error::refused(format!(
                "validation failed for order {id}: the CA could not see the DNS record or file in \
                 time. Return the unit of quota with `csrkit cancel --order-id {id} --delete`, \
                 then run apply again with --new-order"
            ))),
            Ending::Cancelled => Some(Error::refused(format!(
                "order {id} was cancelled; delete it with `csrkit cancel --order-id {id} \
                 --delete` and run apply again with --new-order"
            ))),
            Ending::StillWaiting { waited } => Some(Error::unavailable(format!(
                "still {} after waiting {}s; state saved in {}: run apply again to keep waiting",
                self.state,
                waited.as_secs(),
                self.dir.join(JOURNAL_FILE).display()
            ))),
        }
    }
}

/// Orders (or resumes) the certificate `req` describes, publishes the
/// validation when a provider is chosen, waits when asked, and installs the
/// certificate; reports every step to `reporter`. The same as
/// [`prepare`] then [`Prepared::run`].
///
/// # Errors
/// See [`Error`]; [`Error::category`] says what kind of failure it is. A
/// run that ends without a certificate for a reason of the service's (a
/// failed validation, a cancelled order, a wait that ran out) returns
/// `Ok` with [`Outcome::ending`] saying so ([`Outcome::error`]).
pub async fn apply(
    req: Request,
    service: &Service,
    reporter: &mut dyn Reporter,
) -> Result<Outcome> {
    prepare(req, service.label(), reporter)?
        .run(service, reporter)
        .await
}

/// A run whose local half is done: every check that needs no network
/// passed, the directory is locked (until this is dropped), and a new
/// directory's key, CSR and journal are written.
pub struct Prepared {
    req: Request,
    plan: Plan,
    chosen: Option<Publishing>,
    _lock: DirLock,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("dir", &self.plan.dir)
            .finish_non_exhaustive()
    }
}

/// The local half of [`apply`]: checks the names, the key and CSR (made
/// now), the lint, the journal and its files and the request against them;
/// locks the directory; writes a new directory's key, CSR and journal; and
/// migrates a directory of an earlier version. Nothing is sent. `label` is
/// what the journal records for the service ([`Service::label`]): a caller
/// that starts its service in the directory (the CLI's in-process sandbox)
/// connects only after this succeeded.
///
/// # Errors
/// Everything that stops a run before the network: [`Error::Lint`],
/// [`Error::Input`], [`Error::Lock`], …
pub fn prepare(req: Request, label: &str, reporter: &mut dyn Reporter) -> Result<Prepared> {
    req.check_interrupt("before starting")?;
    // An existing directory is locked before its journal is read; a new
    // one is created only once every local check has passed.
    let held = match req.dir.is_dir() {
        true => Some(lock_dir(&req.dir, req.lock_timeout)?),
        false => None,
    };
    prepare_locked(req, label, held, reporter)
}

/// [`prepare`] with the directory's lock already held (`held`; `None` for
/// a directory that does not exist yet).
pub(crate) fn prepare_locked(
    req: Request,
    label: &str,
    held: Option<DirLock>,
    reporter: &mut dyn Reporter,
) -> Result<Prepared> {
    let dir = req.dir.clone();
    let journal = Journal::load(&dir)?;
    let existed = journal.is_some();
    reporter.report(Event::StepStarted { step: Step::Lint });
    let mut plan = plan::make(&req, journal, label, reporter)?;
    reporter.report(Event::StepFinished { step: Step::Lint });
    let chosen = publish::choose(&req, &plan.journal);
    if let Some(p) = &chosen {
        publish::check_fits(p, plan.params.validate_type)?;
        publish::check_settings(p, label)?;
    }
    let lock = match held {
        Some(l) => l,
        None => lock_new_dir(&dir, req.lock_timeout)?,
    };
    let changed = req.renewal.apply_to(&mut plan.journal.renewal);
    if let Some(m) = &plan.fresh {
        material::write(&dir, m)?;
        plan.journal.save(&dir)?;
    } else if changed {
        plan.journal.save(&dir)?;
    }
    if existed && let Some(message) = layout::migrate(&dir, &mut plan.journal)? {
        reporter.report(Event::Notice { message });
    }
    Ok(Prepared {
        req,
        plan,
        chosen,
        _lock: lock,
    })
}

impl Prepared {
    /// The certificate's directory.
    pub fn dir(&self) -> &Path {
        &self.plan.dir
    }

    /// Replaces the propagation settings (for a service whose resolver is
    /// known only once it runs, such as an in-process sandbox's DNS server).
    pub fn set_propagation(&mut self, settings: crate::PropagationSettings) {
        self.req.propagation = settings;
        self.chosen = publish::choose(&self.req, &self.plan.journal);
    }

    /// The network half of [`apply`]: the order, the publication, the wait,
    /// the installation, the cleanup, the deploy hook and the deployment.
    ///
    /// # Errors
    /// As [`apply`].
    pub async fn run(self, service: &Service, reporter: &mut dyn Reporter) -> Result<Outcome> {
        self.run_locked(service, reporter).await.0
    }

    /// [`Prepared::run`], handing back the directory's lock.
    pub(crate) async fn run_locked(
        self,
        service: &Service,
        reporter: &mut dyn Reporter,
    ) -> (Result<Outcome>, DirLock) {
        let Prepared {
            req,
            plan,
            chosen,
            _lock,
        } = self;
        (run_steps(req, plan, chosen, service, reporter).await, _lock)
    }
}

/// The network half: settle the order, then follow it.
async fn run_steps(
    mut req: Request,
    mut plan: Plan,
    chosen: Option<Publishing>,
    service: &Service,
    reporter: &mut dyn Reporter,
) -> Result<Outcome> {
    let dir = plan.dir.clone();
    if let Some(p) = &chosen {
        publish::check_ready(service, p).await?;
        // A new order only: one already placed (or being reconciled) is
        // followed whatever the provider says now.
        let places = plan.adopt.is_none()
            && (plan.new_order || (plan.journal.order()?.is_none() && !plan.journal.unsettled()));
        if places {
            publish::preflight(service, p, &plan.journal.domains, reporter).await?;
        }
    }
    publish::record_choice(service, &dir, &mut plan.journal, chosen, reporter).await?;
    req.check_interrupt("before the order")?;
    let order_id = order::settle(service, &mut plan, reporter).await?;
    let Plan { journal, .. } = plan;
    let mut run = Run {
        service,
        dir,
        journal,
        interrupt: req.interrupt.take(),
        reporter,
    };
    run.follow(order_id, &req).await
}

/// A run past the order step.
struct Run<'a> {
    service: &'a Service,
    dir: PathBuf,
    journal: Journal,
    interrupt: Option<Interrupt>,
    reporter: &'a mut dyn Reporter,
}

impl Run<'_> {
    /// Describe → publish → propagate → wait → install → clean up.
    async fn follow(&mut self, order_id: OrderId, req: &Request) -> Result<Outcome> {
        let mut state = self.describe(order_id).await?;
        if state.state == StateType::DomainVerify
            && let Some(p) = self.journal.dns.clone()
        {
            self.publish_and_propagate(&p, &state, order_id).await?;
            state = self.describe(order_id).await?;
        }
        let mut waited = None;
        if let Some(wait) = req.wait
            && !is_final(&state.state)
        {
            if self.journal.dns.is_none()
                && let Some(publish) = follow::publish_of(&state, &self.journal)
            {
                self.reporter.report(Event::PublishByHand { publish });
            }
            state = follow::wait_for_ca(
                self.service.client(),
                order_id,
                &self.dir,
                &mut self.journal,
                state,
                wait,
                self.service.fast(),
                self.interrupt.as_mut(),
                self.reporter,
            )
            .await?;
            waited = Some(wait);
        }
        self.finish(order_id, state, waited, req).await
    }

    /// Describes the order; an interrupt abandons the look (it only reads).
    async fn describe(&mut self, order_id: OrderId) -> Result<CertificateState> {
        let look = follow::describe(
            self.service.client(),
            order_id,
            &self.dir,
            &mut self.journal,
            self.reporter,
        );
        match self.interrupt.as_mut() {
            Some(i) => tokio::select! {
                r = look => r,
                () = i.wait() => Err(follow::interrupted(order_id, &self.dir)),
            },
            None => look.await,
        }
    }

    async fn publish_and_propagate(
        &mut self,
        p: &Publishing,
        state: &CertificateState,
        order_id: OrderId,
    ) -> Result<()> {
        let Some(challenge) = publish::challenge(state, &self.journal, order_id)? else {
            return Ok(());
        };
        publish::publish(
            self.service,
            p,
            &challenge,
            &self.dir,
            &mut self.journal,
            self.reporter,
        )
        .await?;
        if self.interrupt.as_ref().is_some_and(Interrupt::fired) {
            return Err(follow::interrupted(order_id, &self.dir));
        }
        publish::propagate(
            self.service,
            p,
            &challenge,
            self.interrupt.as_mut(),
            &self.dir,
            self.reporter,
        )
        .await
    }

    /// Installs an issued certificate, or says why there is none; then
    /// removes the records of every order that is done.
    async fn finish(
        &mut self,
        order_id: OrderId,
        state: CertificateState,
        waited: Option<Duration>,
        req: &Request,
    ) -> Result<Outcome> {
        let mut installed = None;
        let ending = match &state.state {
            StateType::Certificate => {
                installed = Some(self.install(order_id, &state, req)?);
                Ending::Issued
            }
            StateType::VerifyFail => Ending::ValidationFailed,
            StateType::Payed => Ending::Cancelled,
            _ => match waited {
                Some(waited) => Ending::StillWaiting { waited },
                None => Ending::Pending,
            },
        };
        let done = is_final(&state.state);
        let current = order_id.to_string();
        publish::cleanup(
            self.service,
            &self.dir,
            &mut self.journal,
            |r| done || r.record.order_id.as_deref() != Some(current.as_str()),
            self.reporter,
        )
        .await;
        let follow_ups = match installed {
            Some(_) => {
                hooks::run_due(
                    Some(self.service),
                    &self.dir,
                    &mut self.journal,
                    self.reporter,
                )
                .await?
            }
            None => FollowUps::default(),
        };
        Ok(Outcome {
            dir: self.dir.clone(),
            order_id,
            publish: follow::publish_of(&state, &self.journal),
            state: state.state,
            ending,
            installed,
            journal: self.journal.clone(),
            follow_ups,
        })
    }

    /// Verifies the certificate against the key and the names, and installs
    /// it as a new generation (once: a re-run finds it installed).
    fn install(
        &mut self,
        order_id: OrderId,
        state: &CertificateState,
        req: &Request,
    ) -> Result<Generation> {
        let j = &mut self.journal;
        let dir = &self.dir;
        self.reporter
            .report(Event::StepStarted { step: Step::Verify });
        let pem = state.certificate.as_deref().unwrap_or_default();
        let issued = chain::check(pem, &j.key_spki_sha256, &j.domains)?;
        // The key may have changed while the order was waited for.
        material::check_key(dir, j, req.key_passphrase.as_ref())?;
        self.reporter
            .report(Event::StepFinished { step: Step::Verify });
        if layout::installed(dir, j)
            && let Some(g) = j.generations.iter().find(|g| Some(g.number) == j.current)
        {
            return Ok(g.clone());
        }
        self.reporter.report(Event::StepStarted {
            step: Step::Install,
        });
        let generation = layout::install(
            dir,
            j,
            &issued,
            &order_id.to_string(),
            state.cert_id.clone(),
        )?;
        self.reporter.report(Event::StepFinished {
            step: Step::Install,
        });
        self.reporter.report(Event::Installed {
            generation: generation.number,
            fullchain: dir.join(layout::FULLCHAIN_FILE),
            not_after: issued.not_after.clone(),
            days_left: issued.days_left,
        });
        Ok(generation)
    }
}

/// Creates and locks a directory that did not exist when the plan was
/// made; another command may have started there meanwhile.
fn lock_new_dir(dir: &Path, wait: Duration) -> Result<DirLock> {
    fsx::create_dir(dir)?;
    let lock = lock_dir(dir, wait)?;
    if Journal::load(dir)?.is_some() {
        return Err(Error::input(format!(
            "another csrkit command started an order in {} meanwhile; run again to resume it",
            dir.display()
        )));
    }
    Ok(lock)
}

/// Locks a certificate directory for `apply` (see [`crate::DirLock`]).
fn lock_dir(dir: &Path, wait: Duration) -> Result<DirLock> {
    let hint = "wait for it, or pass --lock-timeout DUR";
    Ok(DirLock::acquire(dir, wait, &lock::this_command(), hint)?)
}
