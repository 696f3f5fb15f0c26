//! `csrkit status`: the state of an order, what to publish, and the
//! records csrkit published that are still out there.
//!
//! JSON (`csrkit.status/1`): `order_id` (string), `state` (the service's
//! `Type`), `verification` (see [`csrkit_apply::Publish`]) while the domain
//! is being validated, `cert_id` once issued; for a directory also `files`,
//! `generation` (the one `current` points at), `not_after` and `published`
//! (the records still published: provider, zone, name, type, value,
//! record_id, published_at).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use csrkit_apply::{Journal, Publish};
use csrkit_submit::{
    CertificateState, Client, DescribeCertificateState, ListUserCertificateOrder, OrderId,
};
use serde_json::json;

use super::connection::{ConnectionArgs, parse_order_id, runtime};
use crate::output::{Format, out, outln, print_json};
use crate::render;
use crate::service::{self, SANDBOX_LABEL, SandboxSetup};

/// Arguments of `csrkit status`.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["dir", "order_id"])))]
pub(crate) struct Args {
    /// A certificate directory made by `csrkit apply` (its order.json says
    /// which order, where, and for which domain).
    #[arg(value_name = "DIR", conflicts_with = "order_id")]
    dir: Option<PathBuf>,
    /// The order to look at.
    #[arg(long, value_name = "ID", value_parser = parse_order_id)]
    order_id: Option<OrderId>,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Runs `csrkit status`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let Some(order_id) = args.order_id else {
        let Some(dir) = &args.dir else {
            anyhow::bail!("give a certificate directory or --order-id");
        };
        return rt.block_on(status_of_dir(dir, &args));
    };
    let client = args.connection.client()?;
    let op = DescribeCertificateState { order_id };
    if args
        .connection
        .dry_run(vec![client.prepare(&op)], args.format)?
    {
        return Ok(ExitCode::SUCCESS);
    }
    let state = rt.block_on(client.call(&op))?;
    // The answer names the DNS record relative to the domain; find the
    // order's domain to print the full name.
    let domain = match state.verification() {
        Some(csrkit_submit::Verification::Dns { .. }) => {
            rt.block_on(order_domain(&client, order_id))
        }
        _ => None,
    };
    report(order_id, &state, domain.as_deref(), None, args.format)?;
    Ok(ExitCode::SUCCESS)
}

async fn status_of_dir(dir: &Path, args: &Args) -> anyhow::Result<ExitCode> {
    let (journal, order_id) = csrkit_apply::recorded_order(dir)?;
    let sandbox = journal.endpoint == SANDBOX_LABEL;
    if args.connection.dry_run {
        let client = service::dry_run_client(sandbox, &args.connection)?;
        let op = DescribeCertificateState { order_id };
        args.connection
            .dry_run(vec![client.prepare(&op)], args.format)?;
        return Ok(ExitCode::SUCCESS);
    }
    // The in-process sandbox keeps its state in the directory: one writer.
    let _lock = sandbox.then(|| csrkit_apply::lock_now(dir)).transpose()?;
    let connected = if sandbox {
        // The sandbox approves as it does for apply: by seeing the record
        // csrkit publishes, or on its own when nobody publishes.
        let setup = SandboxSetup {
            verify: journal.dns.is_some(),
            ..SandboxSetup::default()
        };
        service::connect_sandbox(&args.connection, dir, &setup).await?
    } else {
        service::connect_endpoint(&args.connection)?
    };
    let status = csrkit_apply::status(dir, &connected.service).await?;
    report(
        order_id,
        &status.state,
        status.journal.domains.first().map(String::as_str),
        Some((dir, &status.journal)),
        args.format,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// The domain of an order, from the order list (best effort).
async fn order_domain(client: &Client, order_id: OrderId) -> Option<String> {
    let query = ListUserCertificateOrder {
        order_type: Some("CPACK".into()),
        ..ListUserCertificateOrder::default()
    };
    let orders = client.list_all_user_certificate_orders(&query).await.ok()?;
    orders
        .into_iter()
        .find(|o| o.order_id == Some(order_id))
        .and_then(|o| o.domain)
}

fn report(
    order_id: OrderId,
    s: &CertificateState,
    domain: Option<&str>,
    local: Option<(&Path, &Journal)>,
    format: Format,
) -> anyhow::Result<()> {
    let publish = s.verification().and_then(|v| Publish::new(&v, domain));
    match format {
        Format::Json => print_json(&json!({
            "schema": "csrkit.status/1",
            "order_id": order_id.to_string(),
            "state": s.state.as_str(),
            "verification": publish.as_ref().map(Publish::to_json),
            "cert_id": s.cert_id,
            "files": local.map(|(dir, j)| render::files_json(dir, j)),
            "generation": local.and_then(|(_, j)| j.current),
            "not_after": local.and_then(|(_, j)| j.not_after.clone()),
            "published": local.map(|(_, j)| render::records_json(j)),
        })),
        Format::Human => {
            outln!(
                "order {order_id}: {} ({})",
                s.state,
                render::describe(&s.state)
            );
            if let Some(p) = &publish {
                out!("{}", render::publish_human(p));
            }
            let Some((dir, j)) = local else {
                return Ok(());
            };
            match (&j.files.fullchain, &j.not_after) {
                (Some(f), Some(t)) => {
                    let generation = j.current.map(|n| format!(", generation {n}"));
                    outln!(
                        "certificate: {} (expires {t}{})",
                        dir.join(f).display(),
                        generation.unwrap_or_default()
                    );
                }
                _ if s.state == csrkit_submit::StateType::Certificate => outln!(
                    "issued: run `csrkit apply --out-dir {}` to download it",
                    dir.display()
                ),
                _ => {}
            }
            let live = render::live_records(j);
            if !live.is_empty() {
                outln!("still published (csrkit removes them once the order is done):");
                for r in live {
                    outln!("  {}", render::record_line(r));
                }
            }
            Ok(())
        }
    }
}
