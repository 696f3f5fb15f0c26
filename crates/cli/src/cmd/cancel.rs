//! `csrkit cancel`: withdraw an order, and with `--delete` return its quota.
//! Given a certificate directory, it withdraws the order the journal
//! records and removes the validation records csrkit published for it.
//!
//! JSON (`csrkit.cancel/1`): `order_id` (string), `state_before` (the
//! service's `Type` when the command started), `cancelled`, `deleted`
//! (booleans: what this run did or found done), `quota_returned`; for a
//! directory also `published` (the records still published after the
//! cleanup: empty unless one could not be removed).

use std::path::PathBuf;
use std::process::ExitCode;

use csrkit_apply::Withdrawn;
use csrkit_submit::{CancelOrderRequest, DeleteCertificateRequest, OrderId};
use serde_json::json;

use super::connection::{ConnectionArgs, parse_order_id, runtime};
use crate::output::{Format, print_json};
use crate::progress::Progress;
use crate::render;
use crate::service::{self, SANDBOX_LABEL, SandboxSetup};

/// Arguments of `csrkit cancel`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["dir", "order_id"])))]
pub(crate) struct Args {
    /// A certificate directory made by `csrkit apply`: cancel its order and
    /// remove the validation records csrkit published for it.
    #[arg(value_name = "DIR", conflicts_with = "order_id")]
    dir: Option<PathBuf>,
    /// The order to cancel (in domain_verify or process).
    #[arg(long, value_name = "ID", value_parser = parse_order_id)]
    order_id: Option<OrderId>,
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
    let rt = runtime()?;
    let (id, sandbox, verify) = match (&args.order_id, &args.dir) {
        (Some(id), _) => (*id, false, false),
        (None, Some(dir)) => {
            let (j, id) = csrkit_apply::recorded_order(dir)?;
            (id, j.endpoint == SANDBOX_LABEL, j.dns.is_some())
        }
        (None, None) => anyhow::bail!("give a certificate directory or --order-id"),
    };
    if args.connection.dry_run {
        let client = service::dry_run_client(sandbox, &args.connection)?;
        let mut shown = vec![client.prepare(&CancelOrderRequest { order_id: id })];
        if args.delete {
            shown.push(client.prepare(&DeleteCertificateRequest { order_id: id }));
        }
        args.connection.dry_run(shown, args.format)?;
        return Ok(ExitCode::SUCCESS);
    }
    rt.block_on(async {
        let (done, published) = match &args.dir {
            None => {
                let client = args.connection.client()?;
                (
                    csrkit_apply::withdraw(&client, id, args.delete).await?,
                    None,
                )
            }
            Some(dir) => {
                let connected = if sandbox {
                    let setup = SandboxSetup {
                        verify,
                        ..SandboxSetup::default()
                    };
                    service::connect_sandbox(&args.connection, dir, &setup).await?
                } else {
                    service::connect_endpoint(&args.connection)?
                };
                let mut progress = Progress::new(args.format);
                let done =
                    csrkit_apply::cancel(dir, &connected.service, args.delete, &mut progress)
                        .await?;
                progress.finish();
                let left = csrkit_apply::Journal::load(dir)?
                    .map(|j| render::records_json(&j))
                    .unwrap_or_default();
                (done, Some(left))
            }
        };
        report(&done, published, args.format)
    })
}

fn report(
    done: &Withdrawn,
    published: Option<serde_json::Value>,
    format: Format,
) -> anyhow::Result<ExitCode> {
    let id = done.order_id;
    match format {
        Format::Json => {
            let mut doc = json!({
                "schema": "csrkit.cancel/1",
                "order_id": id.to_string(),
                "state_before": done.state_before.as_str(),
                "cancelled": done.cancelled,
                "deleted": done.deleted,
                "quota_returned": done.deleted,
            });
            if let Some(p) = published {
                doc["published"] = p;
            }
            print_json(&doc)?;
        }
        Format::Human => {
            if done.cancelled {
                eprintln!("order {id}: cancelled");
            }
            if done.deleted {
                eprintln!("order {id}: deleted; its unit of quota is returned");
            } else {
                eprintln!("run `csrkit cancel --order-id {id} --delete` to return its quota");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
