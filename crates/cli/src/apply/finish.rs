//! The end of a run: the certificate installed (or why there is none), and
//! the outcome shown as text or as the `csrkit.apply/1` document.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use csrkit_submit::{CertificateState, OrderId, StateType};
use serde_json::json;

use super::journal::{JOURNAL_FILE, Journal};
use super::{Args, chain, files};
use crate::cmd::status::describe;
use crate::cmd::verification::Publish;
use crate::exit;
use crate::output::{Format, out, outln, print_json};

/// How a run ended: the exit code and the sentence that says so.
struct Ending {
    code: u8,
    note: String,
}

/// Installs an issued certificate (after checking it, and the key file,
/// against the journal), or says what stands in the way; then reports.
pub(super) fn finish(
    args: &Args,
    dir: &Path,
    j: &mut Journal,
    order_id: OrderId,
    state: &CertificateState,
) -> anyhow::Result<ExitCode> {
    let ending = match &state.state {
        StateType::Certificate => install(dir, j, state)?,
        other => not_issued(args, dir, order_id, other),
    };
    report(args, dir, j, order_id, state, &ending)?;
    if ending.code == exit::OK {
        Ok(ExitCode::from(ending.code))
    } else {
        Err(exit::fail(ending.code, ending.note))
    }
}

fn install(dir: &Path, j: &mut Journal, state: &CertificateState) -> anyhow::Result<Ending> {
    let pem = state.certificate.as_deref().unwrap_or_default();
    let issued = chain::check(pem, &j.key_spki_sha256, &j.domains)?;
    // The key may have changed while the order was waited for.
    files::check_key(dir, j)?;
    files::install(dir, j, &issued)?;
    Ok(Ending {
        code: exit::OK,
        note: format!(
            "certificate saved: {} (expires {}, in {} days)",
            dir.join("fullchain.pem").display(),
            issued.not_after,
            issued.days_left
        ),
    })
}

fn not_issued(args: &Args, dir: &Path, order_id: OrderId, state: &StateType) -> Ending {
    let (code, note) = match state {
        StateType::VerifyFail => (
            exit::REFUSED,
            format!(
                "validation failed for order {order_id}: the CA could not see the DNS record or \
                 file in time. Return the unit of quota with `csrkit cancel --order-id {order_id} \
                 --delete`, then run apply again with --new-order"
            ),
        ),
        StateType::Payed => (
            exit::REFUSED,
            format!(
                "order {order_id} was cancelled; delete it with `csrkit cancel --order-id \
                 {order_id} --delete` and run apply again with --new-order"
            ),
        ),
        _ if args.wait => (
            exit::NETWORK,
            format!(
                "still {state} after waiting {}s; state saved in {}: run apply again to keep \
                 waiting",
                args.wait_timeout.as_secs(),
                dir.join(JOURNAL_FILE).display()
            ),
        ),
        _ => (
            exit::OK,
            format!(
                "when it is published, run `csrkit apply --out-dir {} --wait` (or `csrkit status \
                 {}`)",
                dir.display(),
                dir.display()
            ),
        ),
    };
    Ending { code, note }
}

fn report(
    args: &Args,
    dir: &Path,
    j: &Journal,
    order_id: OrderId,
    state: &CertificateState,
    ending: &Ending,
) -> anyhow::Result<()> {
    let publish = state
        .verification()
        .and_then(|v| Publish::new(&v, j.domains.first().map(String::as_str)));
    let files = |p: &Option<PathBuf>| p.as_ref().map(|p| dir.join(p));
    match args.format {
        Format::Json => print_json(&json!({
            "schema": "csrkit.apply/1",
            "dir": dir,
            "order_id": order_id.to_string(),
            "state": state.state.as_str(),
            "verification": publish.as_ref().map(Publish::to_json),
            "files": {
                "key": files(&j.files.key),
                "csr": dir.join(&j.files.csr),
                "cert": files(&j.files.cert),
                "chain": files(&j.files.chain),
                "fullchain": files(&j.files.fullchain),
            },
            "not_after": j.not_after,
            "message": ending.note,
        })),
        Format::Human => {
            outln!(
                "order {order_id}: {} ({})",
                state.state,
                describe(&state.state)
            );
            if let Some(p) = publish.filter(|_| !matches!(state.state, StateType::Certificate)) {
                out!("{}", p.human());
            }
            if ending.code == exit::OK {
                outln!("{}", ending.note);
            }
            Ok(())
        }
    }
}
