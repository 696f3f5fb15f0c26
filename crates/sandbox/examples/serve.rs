//! Runs the sandbox as a server until Ctrl-C or SIGTERM; the first stdout line is the base URL.
//!
//! ```text
//! cargo run -p csrkit-sandbox --example serve -- [--listen ADDR] [--state FILE]
//!     [--approve auto|manual] [--issue-after SECONDS] [--quota CODE=N]... [--fault ACTION=KIND[:COUNT]]...
//! ```
//! Credentials come from CSRKIT_SANDBOX_ACCESS_KEY_ID / CSRKIT_SANDBOX_ACCESS_KEY_SECRET.

use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use csrkit_sandbox::{Sandbox, SandboxConfig};

fn parse(args: &[String]) -> Result<SandboxConfig, String> {
    let mut config = SandboxConfig::from_env().map_err(|e| e.to_string())?;
    let mut quotas = Vec::new();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--listen" => {
                let v = value()?;
                config.listen = v
                    .parse()
                    .map_err(|_| format!("--listen {v:?} is not an address such as 127.0.0.1:0"))?;
            }
            "--state" => config.state_file = Some(value()?.into()),
            "--approve" => config.approve = value()?.parse().map_err(|e| format!("{e}"))?,
            "--issue-after" => {
                let v = value()?;
                let secs: u64 = v
                    .parse()
                    .map_err(|_| format!("--issue-after {v:?} is not a number of seconds"))?;
                config.issue_after = Duration::from_secs(secs);
            }
            "--quota" => quotas.push(value()?.parse().map_err(|e| format!("{e}"))?),
            "--fault" => config
                .faults
                .push(value()?.parse().map_err(|e| format!("{e}"))?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !quotas.is_empty() {
        config.quotas = quotas;
    }
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", sandbox.endpoint());
    let _ = out.flush();
    drop(out);
    eprintln!(
        "csrkit sandbox: access key id {:?}; Ctrl-C stops it",
        sandbox.credentials().access_key_id()
    );
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot listen for SIGTERM: {e}");
            return ExitCode::from(2);
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}
