//! `csrkit orders`: the orders of the account (every page).
//!
//! JSON (`csrkit.orders/1`): `orders[] { order_id (string), domain, status,
//! product_code }`.

use std::process::ExitCode;

use csrkit_submit::ListUserCertificateOrder;
use serde_json::json;

use super::connection::{ConnectionArgs, runtime};
use crate::exit;
use crate::output::outln;
use crate::output::{Format, print_json};

/// Arguments of `csrkit orders`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Only orders in this status: PAYED, CHECKING, CHECKED_FAIL, ISSUED,
    /// WILLEXPIRED, EXPIRED, NOTACTIVATED, REVOKED.
    #[arg(long, value_name = "S", value_parser = parse_status)]
    status: Option<String>,
    /// Only orders whose domain or instance id matches this text.
    #[arg(long, value_name = "K")]
    keyword: Option<String>,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

const STATUSES: [&str; 8] = [
    "PAYED",
    "CHECKING",
    "CHECKED_FAIL",
    "ISSUED",
    "WILLEXPIRED",
    "EXPIRED",
    "NOTACTIVATED",
    "REVOKED",
];

fn parse_status(s: &str) -> Result<String, String> {
    let up = s.to_ascii_uppercase();
    if STATUSES.contains(&up.as_str()) {
        Ok(up)
    } else {
        Err(format!(
            "unknown status {s:?}; use one of {}",
            STATUSES.join(", ")
        ))
    }
}

/// Runs `csrkit orders`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let client = args.connection.client()?;
    let query = ListUserCertificateOrder {
        order_type: Some("CPACK".into()),
        status: args.status.clone(),
        keyword: args.keyword.clone(),
        ..ListUserCertificateOrder::default()
    };
    if args
        .connection
        .dry_run(vec![client.prepare(&query)], args.format)?
    {
        return Ok(ExitCode::from(exit::OK));
    }
    let orders = runtime()?.block_on(client.list_all_user_certificate_orders(&query))?;
    match args.format {
        Format::Json => {
            let list: Vec<_> = orders
                .iter()
                .map(|o| {
                    json!({
                        "order_id": o.order_id.map(|id| id.to_string()),
                        "domain": o.domain,
                        "status": o.status,
                        "product_code": o.product_code,
                    })
                })
                .collect();
            print_json(&json!({ "schema": "csrkit.orders/1", "orders": list }))?;
        }
        Format::Human => {
            if orders.is_empty() {
                outln!("no orders");
            }
            for o in &orders {
                outln!(
                    "{:<20} {:<13} {:<24} {}",
                    o.order_id.map(|id| id.to_string()).unwrap_or_default(),
                    o.status.as_deref().unwrap_or("?"),
                    o.product_code.as_deref().unwrap_or("?"),
                    o.domain.as_deref().unwrap_or("?"),
                );
            }
        }
    }
    Ok(ExitCode::from(exit::OK))
}
