//! `csrkit quota`: what is left of a certificate resource plan.
//!
//! JSON (`csrkit.quota/1`): `product_code`, `total`, `used`, `issued`,
//! `remaining` (numbers; `null` when the service did not say).

use std::process::ExitCode;

use csrkit_submit::{DescribePackageState, PackageState};
use serde_json::json;

use super::connection::{ConnectionArgs, runtime};
use crate::exit;
use crate::output::outln;
use crate::output::{Format, print_json};

use csrkit_apply::DEFAULT_PRODUCT_CODE;

/// Arguments of `csrkit quota`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Resource plan to look at (e.g. digicert-free-1-free, geotrust-dv-1-starter).
    #[arg(long, value_name = "C", default_value = DEFAULT_PRODUCT_CODE)]
    product_code: String,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Runs `csrkit quota`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let client = args.connection.client()?;
    let op = DescribePackageState {
        product_code: Some(args.product_code.clone()),
    };
    if args
        .connection
        .dry_run(vec![client.prepare(&op)], args.format)?
    {
        return Ok(ExitCode::from(exit::OK));
    }
    let state = runtime()?.block_on(client.call(&op))?;
    report(&args.product_code, &state, args.format)?;
    Ok(ExitCode::from(exit::OK))
}

/// The JSON object for a package state (also embedded by `apply`).
pub(crate) fn to_json(product_code: &str, s: &PackageState) -> serde_json::Value {
    json!({
        "product_code": s.product_code.as_deref().unwrap_or(product_code),
        "total": s.total_count,
        "used": s.used_count,
        "issued": s.issued_count,
        "remaining": s.remaining(),
    })
}

fn report(product_code: &str, s: &PackageState, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            let mut doc = json!({ "schema": "csrkit.quota/1" });
            if let (Some(doc), serde_json::Value::Object(fields)) =
                (doc.as_object_mut(), to_json(product_code, s))
            {
                doc.extend(fields);
            }
            print_json(&doc)
        }
        Format::Human => {
            let n = |v: Option<u64>| v.map_or_else(|| "?".to_owned(), |v| v.to_string());
            outln!(
                "{}: {} of {} left ({} used, {} issued)",
                s.product_code.as_deref().unwrap_or(product_code),
                n(s.remaining()),
                n(s.total_count),
                n(s.used_count),
                n(s.issued_count)
            );
            Ok(())
        }
    }
}
