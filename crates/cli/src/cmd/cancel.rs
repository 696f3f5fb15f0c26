//! `csrkit cancel`: withdraw an order, and with `--delete` return its quota.
//!
//! JSON (`csrkit.cancel/1`): `order_id` (string), `state_before` (the
//! service's `Type` when the command started), `cancelled`, `deleted`
//! (booleans: what this run did or found done), `quota_returned`.

use std::process::ExitCode;

use csrkit_submit::{CancelOrderRequest, DeleteCertificateRequest, OrderId};

use super::connection::{ConnectionArgs, runtime};
use super::status::parse_order_id;
use crate::exit;
use crate::output::{Format, print_json};

/// Arguments of `csrkit cancel`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The order to cancel (in domain_verify or process).
    #[arg(long, value_name = "ID", value_parser = parse_order_id)]
    order_id: OrderId,
    /// Then delete the cancelled order, which returns its unit of quota.
    /// Also deletes an order in verify_fail.
    #[arg(long)]
    delete: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Runs `csrkit cancel`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let client = args.connection.client()?;
    let id = args.order_id;
    let cancel = CancelOrderRequest { order_id: id };
    let delete = DeleteCertificateRequest { order_id: id };
    let mut shown = vec![client.prepare(&cancel)];
    if args.delete {
        shown.push(client.prepare(&delete));
    }
    if args.connection.dry_run(shown, args.format)? {
        return Ok(ExitCode::from(exit::OK));
    }
    let rt = runtime()?;
    let state =
        rt.block_on(client.call(&csrkit_submit::DescribeCertificateState { order_id: id }))?;
    let (mut cancelled, mut deleted) = (state.state == csrkit_submit::StateType::Payed, false);
    // A failed order cannot be cancelled, only deleted.
    if state.state != csrkit_submit::StateType::VerifyFail
        && state.state != csrkit_submit::StateType::Payed
    {
        match rt.block_on(client.call(&cancel)) {
            Ok(_) => {}
            // The client retries a cancel whose answer was lost; the retry
            // then finds the order already cancelled. Only the order's
            // state tells whether the cancel took effect.
            Err(e) if e.code() == Some("OrderStateError") => {
                let now = rt.block_on(
                    client.call(&csrkit_submit::DescribeCertificateState { order_id: id }),
                )?;
                if now.state != csrkit_submit::StateType::Payed {
                    return Err(e.into());
                }
            }
            Err(e) => return Err(e.into()),
        }
        cancelled = true;
        if args.format == Format::Human {
            eprintln!("order {id}: cancelled");
        }
    }
    if args.delete {
        match rt.block_on(client.call(&delete)) {
            Ok(_) => {}
            // The order existed a moment ago (it was just described): a
            // delete retried after a lost answer finds it gone, which is
            // what was asked for.
            Err(e) if e.code() == Some("NotFoundOrder") => {}
            Err(e) => return Err(e.into()),
        }
        deleted = true;
    }
    match args.format {
        Format::Json => print_json(&serde_json::json!({
            "schema": "csrkit.cancel/1",
            "order_id": id.to_string(),
            "state_before": state.state.as_str(),
            "cancelled": cancelled,
            "deleted": deleted,
            "quota_returned": deleted,
        }))?,
        Format::Human if deleted => {
            eprintln!("order {id}: deleted; its unit of quota is returned");
        }
        Format::Human => {
            eprintln!("run `csrkit cancel --order-id {id} --delete` to return its quota");
        }
    }
    Ok(ExitCode::from(exit::OK))
}
