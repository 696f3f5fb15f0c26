//! The order of a directory: the recorded one, the one an earlier Create
//! made (reconcile), one adopted by hand, or a new one placed now, never
//! spending quota twice (DESIGN.md "Quota is money").
//!
//! A new order is committed in one journal write, just before the Create
//! goes out: the retirement of the order it replaces (`--new-order`), the
//! new key and CSR, and the submission `pending` with this attempt's id.
//! Whatever stops the run before that write (no quota, the network, a
//! refused flag) leaves the journal as it was.

use std::path::Path;

use csrkit_submit::{CreateCertificateWithCsr, Error as ApiError, OrderId, StateType, Tag};

use crate::error::{Error, Result};
use crate::event::{Event, Reporter, Step};
use crate::journal::{self, CreateOutcome, JOURNAL_FILE, Journal, PreviousOrder, Submission};
use crate::lint;
use crate::material;
use crate::plan::{ATTEMPT_TAG, Plan};
use crate::reconcile::{self, Found, Verdict};
use crate::service::Service;

fn notice(r: &mut dyn Reporter, message: String) {
    r.report(Event::Notice { message });
}

fn warning(r: &mut dyn Reporter, message: String) {
    r.report(Event::Warning { message });
}

/// An order to retire, and what it was when it was retired.
struct Retiring {
    id: OrderId,
    state: Option<StateType>,
}

/// Settles which order the directory follows, placing one if it must.
pub(crate) async fn settle(
    service: &Service,
    plan: &mut Plan,
    notes: &mut dyn Reporter,
) -> Result<OrderId> {
    if let Some(id) = plan.adopt {
        return adopt_by_hand(service, plan, id, notes).await;
    }
    if !plan.new_order
        && let Some(id) = plan.journal.order()?
    {
        return Ok(id);
    }
    let mut retiring = Vec::new();
    if let Some(id) = plan.journal.order()? {
        retiring.push(describe_for_retirement(service, id).await);
    } else if plan.journal.unsettled() {
        notice(
            notes,
            "a previous Create may have created an order: looking for it".to_owned(),
        );
        match reconcile_or_stop(service, plan, notes).await? {
            Some(id) if plan.new_order => retiring.push(describe_for_retirement(service, id).await),
            Some(id) => return Ok(id),
            None => {}
        }
    }
    for message in retiring.iter().filter_map(unit_warning) {
        warning(notes, message);
    }
    place(service, plan, retiring, notes).await
}

/// Runs reconcile for an unsettled submission: our order (adopted into the
/// journal), none (a Create may go out), or a stop with exit 4.
async fn reconcile_or_stop(
    service: &Service,
    plan: &mut Plan,
    notes: &mut dyn Reporter,
) -> Result<Option<OrderId>> {
    let dir = plan.dir.clone();
    let found = reconcile::find(service.client(), &plan.journal)
        .await
        .map_err(|e| list_unreadable(&dir, &e))?;
    match found {
        Found::Ours { order, also } => {
            notice(
                notes,
                format!("found order {order}, created by the earlier attempt"),
            );
            record_extra_orders(&mut plan.journal, &also, notes);
            adopt(&mut plan.journal, order, &dir)?;
            Ok(Some(order))
        }
        Found::NoneCreated => {
            notice(
                notes,
                "the service has no order for this CSR: nothing was spent".to_owned(),
            );
            Ok(None)
        }
        Found::Undetermined(open) => Err(undetermined(&dir, &open)),
    }
}

fn list_unreadable(dir: &Path, e: &ApiError) -> Error {
    Error::unavailable(format!(
        "a previous Create may have created an order, and the service could not be asked \
             which ({e}). State saved in {}: safe to re-run; csrkit will look for the order \
             before placing another",
        dir.join(JOURNAL_FILE).display()
    ))
}

fn undetermined(dir: &Path, open: &[(reconcile::Candidate, String)]) -> Error {
    let lines: Vec<String> = open
        .iter()
        .map(|(c, why)| {
            format!(
                "  order {} ({why}): if it is this directory's, `csrkit apply --out-dir {} \
                 --adopt {}`",
                c.order_id,
                dir.display(),
                c.order_id
            )
        })
        .collect();
    Error::unavailable(format!(
        "a previous Create may have created an order, and {} order(s) for this domain could \
             not be checked against this directory's CSR; nothing was sent. State saved in {}: \
             re-run later, or settle it by hand:\n{}",
        open.len(),
        dir.join(JOURNAL_FILE).display(),
        lines.join("\n")
    ))
}

/// Orders that also carry our CSR: each was paid for; record them so they
/// are never forgotten.
fn record_extra_orders(j: &mut Journal, also: &[OrderId], notes: &mut dyn Reporter) {
    for id in also {
        warning(
            notes,
            format!(
                "order {id} also carries this directory's CSR; it is recorded as a previous order \
             and keeps its unit until `csrkit cancel --order-id {id} --delete`"
            ),
        );
        j.previous_orders.push(PreviousOrder {
            order_id: id.to_string(),
            last_state: None,
            retired_at: Some(journal::now()),
        });
    }
}

/// `--adopt ORDER_ID`: only an order whose CSR (or attempt tag) is ours.
async fn adopt_by_hand(
    service: &Service,
    plan: &mut Plan,
    id: OrderId,
    notes: &mut dyn Reporter,
) -> Result<OrderId> {
    let dir = plan.dir.clone();
    if plan.journal.retired(&id.to_string()) {
        return Err(Error::input(format!(
            "order {id} was retired from {} by --new-order; it is not adopted again",
            dir.display()
        )));
    }
    let verdict = reconcile::check_one(service.client(), &plan.journal, id).await?;
    match verdict {
        Some(Verdict::Ours) => {
            notice(
                notes,
                format!("order {id} carries this directory's CSR: adopted"),
            );
            adopt(&mut plan.journal, id, &dir)?;
            Ok(id)
        }
        Some(Verdict::NotOurs) => Err(Error::refused(format!(
            "order {id} was placed with another CSR than {}'s: it is not this directory's \
                 order, and its certificate would not fit this key. Nothing was changed",
            dir.display()
        ))),
        Some(Verdict::Undetermined(why)) => Err(Error::unavailable(format!(
            "order {id} could not be checked ({why}); nothing was changed: try again"
        ))),
        None => Err(Error::refused(format!(
            "order {id} is not an order for {} in this account (csrkit orders lists them); \
                 nothing was changed",
            plan.journal.domains.join(", ")
        ))),
    }
}

/// The state of an order about to be retired (unknown when it cannot be
/// read: it is retired all the same, and remembered).
async fn describe_for_retirement(service: &Service, id: OrderId) -> Retiring {
    let state = service
        .client()
        .describe_certificate_state(id)
        .await
        .ok()
        .map(|s| s.state);
    Retiring { id, state }
}

/// A warning for a retired order that still holds a unit of quota.
fn unit_warning(r: &Retiring) -> Option<String> {
    let state = r.state.as_ref()?;
    let alive = matches!(
        state,
        StateType::DomainVerify | StateType::Process | StateType::VerifyFail | StateType::Payed
    );
    alive.then(|| {
        format!(
            "order {} ({state}) still holds a unit of quota; it is replaced and kept in \
             the journal's previous_orders. `csrkit cancel --order-id {} --delete` returns the \
             unit",
            r.id, r.id
        )
    })
}

/// Checks the quota, commits the new order to the journal and sends the
/// Create; an unknown outcome goes to reconcile.
async fn place(
    service: &Service,
    plan: &mut Plan,
    retiring: Vec<Retiring>,
    notes: &mut dyn Reporter,
) -> Result<OrderId> {
    notes.report(Event::StepStarted { step: Step::Quota });
    check_quota(service, &plan.params.product_code).await?;
    notes.report(Event::StepFinished { step: Step::Quota });
    let attempt = uuid::Uuid::new_v4().to_string();
    let op = create_op(plan, &attempt)?;
    commit(plan, retiring, &attempt)?;
    notes.report(Event::StepStarted { step: Step::Create });
    let counted = service.client().call_counted(&op).await;
    let dir = plan.dir.clone();
    let j = &mut plan.journal;
    if let Some(s) = j.submission.as_mut() {
        s.attempts = s
            .attempts
            .saturating_add(counted.attempts.saturating_sub(1));
    }
    match counted.result {
        Ok(created) => {
            adopt(j, created.order_id, &dir)?;
            notes.report(Event::OrderPlaced {
                order_id: created.order_id,
            });
            notes.report(Event::StepFinished { step: Step::Create });
            Ok(created.order_id)
        }
        Err(e) if outcome_unknown(&e) => {
            set_outcome(j, CreateOutcome::Unknown);
            j.save(&dir)?;
            warning(notes, format!("{e}"));
            after_unknown(service, plan, &e, notes).await
        }
        Err(e) => {
            set_outcome(j, CreateOutcome::NotCreated);
            j.save(&dir)?;
            Err(e.into())
        }
    }
}

async fn check_quota(service: &Service, product_code: &str) -> Result<()> {
    let package = service
        .client()
        .describe_package_state(Some(product_code))
        .await?;
    if package.remaining() == Some(0) {
        return Err(Error::refused(format!(
            "no quota left for {product_code}: {} of {} used; nothing was sent. Buy a resource \
                 plan, or return quota with `csrkit cancel --order-id ID --delete`",
            package.used_count.unwrap_or_default(),
            package.total_count.unwrap_or_default()
        )));
    }
    Ok(())
}

/// The Create request: the CSR to be committed, the plan's parameters, the
/// user's tags and this attempt's tag.
pub(crate) fn create_op(plan: &Plan, attempt: &str) -> Result<CreateCertificateWithCsr> {
    let Some(contact) = plan.params.contact.clone() else {
        return Err(Error::input(
            "internal: a Create without the applicant's contact",
        ));
    };
    let csr = match (&plan.next, &plan.fresh) {
        (Some(m), _) | (None, Some(m)) => m.csr_pem.clone(),
        (None, None) => lint::pem_of(&lint::read_csr(&plan.dir.join(&plan.journal.files.csr))?),
    };
    let mut tags = plan.params.tags.clone();
    tags.push(Tag {
        key: ATTEMPT_TAG.to_owned(),
        value: attempt.to_owned(),
    });
    Ok(CreateCertificateWithCsr {
        csr,
        username: contact.name,
        phone: contact.phone,
        email: contact.email,
        validate_type: plan.params.validate_type,
        product_code: Some(plan.params.product_code.clone()),
        tags,
    })
}

/// The one journal write before the Create: the retirement, a staged key
/// and CSR, the order's parameters and the submission `pending` with this
/// attempt's id (fsync'd).
fn commit(plan: &mut Plan, retiring: Vec<Retiring>, attempt: &str) -> Result<()> {
    let dir = plan.dir.clone();
    if let Some(m) = &plan.next {
        material::write(&dir, m)?;
    }
    let j = &mut plan.journal;
    for r in retiring {
        j.previous_orders.push(PreviousOrder {
            order_id: r.id.to_string(),
            last_state: r.state.map(|s| s.as_str().to_owned()),
            retired_at: Some(journal::now()),
        });
    }
    if plan.new_order {
        forget_the_old_order(j);
    }
    if let Some(m) = plan.next.take() {
        j.csr_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&m.csr_der));
        j.key_spki_sha256 = m.spki;
        j.files.csr = m.csr_file;
        j.files.key = m.key_file;
    }
    if let Some(a) = &plan.params.contact {
        j.contact = Some(crate::request::Contact::new(&a.name, &a.phone, &a.email));
    }
    j.product_code = plan.params.product_code.clone();
    j.validate_type = plan.params.validate_type.as_str().to_owned();
    j.tags = plan.params.tags.clone();
    let (started_at, attempts) = match &j.submission {
        Some(s) if s.unsettled() => (s.started_at.clone(), s.attempts),
        Some(s) if !plan.new_order => (journal::now(), s.attempts),
        _ => (journal::now(), 0),
    };
    j.submission = Some(Submission {
        started_at,
        attempts: attempts.saturating_add(1),
        outcome: CreateOutcome::Pending,
        attempt_id: Some(attempt.to_owned()),
    });
    j.save(&dir)
}

/// `--new-order`: the journal stops following the old order (it is in
/// `previous_orders`); its states, verification and certificate entries go.
fn forget_the_old_order(j: &mut Journal) {
    j.order_id = None;
    j.states.clear();
    j.verification = None;
    j.files.cert = None;
    j.files.chain = None;
    j.files.fullchain = None;
    j.not_after = None;
}

/// After a Create of unknown outcome: find the order it may have made.
async fn after_unknown(
    service: &Service,
    plan: &mut Plan,
    e: &ApiError,
    notes: &mut dyn Reporter,
) -> Result<OrderId> {
    let dir = plan.dir.clone();
    match reconcile::find(service.client(), &plan.journal).await {
        Ok(Found::Ours { order, also }) => {
            notice(
                notes,
                format!("found order {order}: the Create did succeed"),
            );
            record_extra_orders(&mut plan.journal, &also, notes);
            adopt(&mut plan.journal, order, &dir)?;
            Ok(order)
        }
        Ok(Found::NoneCreated) => Err(Error::unavailable(format!(
            "the order could not be placed ({e}); the service shows no order for this CSR, \
                 so nothing was spent. State saved in {}: safe to re-run",
            dir.join(JOURNAL_FILE).display()
        ))),
        Ok(Found::Undetermined(open)) => Err(undetermined(&dir, &open)),
        Err(list_err) => Err(Error::unavailable(format!(
            "the outcome of the order is unknown ({e}) and the service could not be asked \
                 ({list_err}). State saved in {}: safe to re-run; csrkit will look for the order \
                 before placing another",
            dir.join(JOURNAL_FILE).display()
        ))),
    }
}

fn outcome_unknown(e: &ApiError) -> bool {
    match e {
        ApiError::OutcomeUnknown { .. } | ApiError::Decode { .. } => true,
        ApiError::Transport {
            request_may_have_been_sent,
            ..
        } => *request_may_have_been_sent,
        _ => false,
    }
}

fn set_outcome(j: &mut Journal, outcome: CreateOutcome) {
    if let Some(s) = j.submission.as_mut() {
        s.outcome = outcome;
    }
}

/// Records `id` as the directory's order (fsync'd).
fn adopt(j: &mut Journal, id: OrderId, dir: &Path) -> Result<()> {
    j.order_id = Some(id.to_string());
    set_outcome(j, CreateOutcome::Created);
    j.save(dir)
}
