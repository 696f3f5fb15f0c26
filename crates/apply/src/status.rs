//! Looking at a directory's order (`csrkit status DIR`), and withdrawing it
//! (`csrkit cancel DIR`, `csrkit cancel --order-id ID`).

use std::path::Path;
use std::time::Duration;

use csrkit_submit::{
    CancelOrderRequest, CertificateState, Client, DeleteCertificateRequest,
    DescribeCertificateState, OrderId, StateType,
};

use crate::error::{Error, Result};
use crate::event::{Event, Reporter, Step};
use crate::journal::{JOURNAL_FILE, Journal};
use crate::lock::{self, DirLock};
use crate::publish;
use crate::service::Service;

/// A directory's order as the service sees it now.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Status {
    /// The order.
    pub order_id: OrderId,
    /// What the service answered.
    pub state: CertificateState,
    /// The journal (its `published` entries that are still live are the
    /// records still out there).
    pub journal: Journal,
}

/// The journal of `dir` and the order it records.
///
/// # Errors
/// [`Error::Input`] when the directory has no journal or no order yet.
pub fn recorded_order(dir: &Path) -> Result<(Journal, OrderId)> {
    let Some(journal) = Journal::load(dir)? else {
        return Err(Error::input(format!(
            "{} has no {JOURNAL_FILE}: no order was placed from it (run `csrkit apply --out-dir {}`)",
            dir.display(),
            dir.display()
        )));
    };
    let Some(id) = journal.order()? else {
        return Err(Error::input(format!(
            "{} records no order yet (the Create request did not complete); run `csrkit apply \
             --out-dir {}` to place or find it",
            dir.display(),
            dir.display()
        )));
    };
    Ok((journal, id))
}

fn check_endpoint(dir: &Path, j: &Journal, service: &Service) -> Result<()> {
    if service.label() != j.endpoint {
        return Err(Error::input(format!(
            "the order of {} lives at {}; pass --endpoint {} (or the matching --site)",
            dir.display(),
            j.endpoint,
            j.endpoint
        )));
    }
    Ok(())
}

/// Describes the order `dir` records (nothing is written).
///
/// # Errors
/// As [`recorded_order`]; [`Error::Input`] when `service` is not where the
/// order lives; the API's errors.
pub async fn status(dir: &Path, service: &Service) -> Result<Status> {
    let (journal, order_id) = recorded_order(dir)?;
    check_endpoint(dir, &journal, service)?;
    let state = service
        .client()
        .describe_certificate_state(order_id)
        .await?;
    Ok(Status {
        order_id,
        state,
        journal,
    })
}

/// What [`withdraw`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Withdrawn {
    /// The order.
    pub order_id: OrderId,
    /// Its state when the command started.
    pub state_before: StateType,
    /// It is cancelled (by this run, or was already).
    pub cancelled: bool,
    /// It was deleted (its unit of quota returned).
    pub deleted: bool,
}

/// Cancels an order (unless it failed validation or is cancelled already)
/// and with `delete` deletes it, which returns its unit of quota. A retried
/// request whose first answer was lost is recognised by the order's state.
///
/// # Errors
/// The API's errors.
pub async fn withdraw(client: &Client, order_id: OrderId, delete: bool) -> Result<Withdrawn> {
    let describe = DescribeCertificateState { order_id };
    let before = client.call(&describe).await?.state;
    let mut cancelled = before == StateType::Payed;
    // A failed order cannot be cancelled, only deleted.
    if before != StateType::VerifyFail && before != StateType::Payed {
        match client.call(&CancelOrderRequest { order_id }).await {
            Ok(_) => {}
            // The client retries a cancel whose answer was lost; the retry
            // then finds the order already cancelled. Only the order's
            // state tells whether the cancel took effect.
            Err(e) if e.code() == Some("OrderStateError") => {
                if client.call(&describe).await?.state != StateType::Payed {
                    return Err(e.into());
                }
            }
            Err(e) => return Err(e.into()),
        }
        cancelled = true;
    }
    let mut deleted = false;
    if delete {
        match client.call(&DeleteCertificateRequest { order_id }).await {
            Ok(_) => {}
            // The order existed a moment ago (it was just described): a
            // delete retried after a lost answer finds it gone, which is
            // what was asked for.
            Err(e) if e.code() == Some("NotFoundOrder") => {}
            Err(e) => return Err(e.into()),
        }
        deleted = true;
    }
    Ok(Withdrawn {
        order_id,
        state_before: before,
        cancelled,
        deleted,
    })
}

/// `csrkit cancel DIR`: withdraws the order the directory records (see
/// [`withdraw`]), records it, and removes every record still published
/// for the directory's orders.
///
/// # Errors
/// As [`status`]; [`Error::Lock`] when another command works on the
/// directory.
pub async fn cancel(
    dir: &Path,
    service: &Service,
    delete: bool,
    reporter: &mut dyn Reporter,
) -> Result<Withdrawn> {
    let hint = "wait for it to finish, then run this again";
    let _lock = DirLock::acquire(dir, Duration::ZERO, &lock::this_command(), hint)?;
    let (mut journal, order_id) = recorded_order(dir)?;
    check_endpoint(dir, &journal, service)?;
    reporter.report(Event::StepStarted { step: Step::Cancel });
    let done = withdraw(service.client(), order_id, delete).await?;
    if done.cancelled && journal.see(StateType::Payed.as_str()) {
        journal.save(dir)?;
    }
    reporter.report(Event::StepFinished { step: Step::Cancel });
    publish::cleanup(service, dir, &mut journal, |_| true, reporter).await;
    Ok(done)
}
