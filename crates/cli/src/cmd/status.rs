//! `csrkit status`: the state of an order, and what to publish.
//!
//! JSON (`csrkit.status/1`): `order_id` (string), `state` (the service's
//! `Type`), `verification` (see [`super::verification`]) while the domain
//! is being validated, `cert_id` once issued.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use csrkit_submit::{
    CertificateState, Client, DescribeCertificateState, ListUserCertificateOrder, OrderId,
};
use serde_json::json;

use super::connection::{ConnectionArgs, runtime};
use super::verification::Publish;
use crate::apply::{JOURNAL_FILE, Journal, SANDBOX_LABEL, connect, dry_run_client, lock_now};
use crate::exit;
use crate::output::{Format, print_json};
use crate::output::{out, outln};

/// Arguments of `csrkit status`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// A certificate directory made by `csrkit apply` (its order.json says
    /// which order, where, and for which domain).
    #[arg(
        value_name = "DIR",
        required_unless_present = "order_id",
        conflicts_with = "order_id"
    )]
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

/// Parses an order id given on the command line.
pub(crate) fn parse_order_id(s: &str) -> Result<OrderId, String> {
    s.parse().map_err(|_| {
        format!("{s:?} is not an order id (a decimal number, as `csrkit orders` shows)")
    })
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
        return Ok(ExitCode::from(exit::OK));
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
    Ok(ExitCode::from(exit::OK))
}

async fn status_of_dir(dir: &Path, args: &Args) -> anyhow::Result<ExitCode> {
    let Some(journal) = Journal::load(dir)? else {
        anyhow::bail!(
            "{} has no {JOURNAL_FILE}: no order was placed from it (run `csrkit apply --out-dir {}`)",
            dir.display(),
            dir.display()
        );
    };
    let Some(id) = journal.order_id.as_deref() else {
        anyhow::bail!(
            "{} records no order yet (the Create request did not complete); run `csrkit apply \
             --out-dir {}` to place or find it",
            dir.display(),
            dir.display()
        );
    };
    let order_id: OrderId = parse_order_id(id).map_err(anyhow::Error::msg)?;
    let sandbox = journal.endpoint == SANDBOX_LABEL;
    if args.connection.dry_run {
        let client = dry_run_client(sandbox, &args.connection)?;
        let op = DescribeCertificateState { order_id };
        args.connection
            .dry_run(vec![client.prepare(&op)], args.format)?;
        return Ok(ExitCode::from(exit::OK));
    }
    // The in-process sandbox keeps its state in the directory: one writer.
    let _lock = sandbox.then(|| lock_now(dir)).transpose()?;
    let service = connect(sandbox, &args.connection, dir).await?;
    if service.label != journal.endpoint {
        anyhow::bail!(
            "the order of {} lives at {}; pass --endpoint {} (or the matching --site)",
            dir.display(),
            journal.endpoint,
            journal.endpoint
        );
    }
    let state = service.client.describe_certificate_state(order_id).await?;
    report(
        order_id,
        &state,
        journal.domains.first().map(String::as_str),
        Some((dir, &journal)),
        args.format,
    )?;
    Ok(ExitCode::from(exit::OK))
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

/// A human sentence for each state.
pub(crate) fn describe(state: &csrkit_submit::StateType) -> &'static str {
    use csrkit_submit::StateType as S;
    match state {
        S::DomainVerify => "waiting for domain validation",
        S::Process => "under review by the CA",
        S::Certificate => "issued",
        S::VerifyFail => "validation failed",
        S::Payed => "cancelled (pending application); delete it to return the quota",
        S::Unknow => "unknown to the service for now; ask again shortly",
        _ => "a state this version of csrkit does not know",
    }
}

fn report(
    order_id: OrderId,
    s: &CertificateState,
    domain: Option<&str>,
    local: Option<(&Path, &Journal)>,
    format: Format,
) -> anyhow::Result<()> {
    let publish = s.verification().and_then(|v| Publish::new(&v, domain));
    let files = local.map(|(dir, j)| {
        let at = |p: &Option<PathBuf>| p.as_ref().map(|p| dir.join(p));
        json!({
            "key": at(&j.files.key),
            "csr": dir.join(&j.files.csr),
            "cert": at(&j.files.cert),
            "chain": at(&j.files.chain),
            "fullchain": at(&j.files.fullchain),
        })
    });
    match format {
        Format::Json => print_json(&json!({
            "schema": "csrkit.status/1",
            "order_id": order_id.to_string(),
            "state": s.state.as_str(),
            "verification": publish.as_ref().map(Publish::to_json),
            "cert_id": s.cert_id,
            "files": files,
            "not_after": local.and_then(|(_, j)| j.not_after.clone()),
        })),
        Format::Human => {
            outln!("order {order_id}: {} ({})", s.state, describe(&s.state));
            if let Some(p) = &publish {
                out!("{}", p.human());
            }
            if let Some((dir, j)) = local {
                match (&j.files.fullchain, &j.not_after) {
                    (Some(f), Some(t)) => {
                        outln!("certificate: {} (expires {t})", dir.join(f).display());
                    }
                    _ if s.state == csrkit_submit::StateType::Certificate => outln!(
                        "issued: run `csrkit apply --out-dir {}` to download it",
                        dir.display()
                    ),
                    _ => {}
                }
            }
            Ok(())
        }
    }
}
