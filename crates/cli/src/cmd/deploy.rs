//! `csrkit deploy DIR --to PRODUCT:DOMAIN… | --resource-id ID…`: put a
//! certificate directory's certificate on Alibaba Cloud products through the
//! service's deployment jobs ([`csrkit_deploy`] does the work; this renders
//! its events and its report).
//!
//! JSON (`csrkit.deploy/1`): `dir`, `fingerprint` (SHA-256 of the
//! certificate, hex), `cert_id`, `held` (`journal`, `found` or `uploaded`),
//! `job_id` (`null` when every resource already served it), `job_status`,
//! `resources[] { id, product, domain, outcome }` with `outcome` one of
//! `deployed`, `already_serving`, `failed`; and `error` when the job failed.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use csrkit_deploy::{
    Deployment, Error as DeployError, Event, Held, JOURNAL_FILE, Options, Outcome, Report, Target,
};
use serde_json::json;

use super::connection::{ConnectionArgs, print_dry_run, runtime};
use crate::exit;
use crate::output::{Format, outln, print_json};

const EXAMPLES: &str = "\
EXAMPLES:
  csrkit deploy example.com --to cdn:www.example.com --to slb:example.com
  csrkit deploy example.com --resource-id 1234567 --format json
  csrkit deploy example.com --to cdn:www.example.com --dry-run

The certificate (DIR/fullchain.pem, else DIR/cert.pem) and its key
(DIR/privkey.pem) are uploaded to the account once, unless it holds them
already, and put on the resources that do not serve them yet by one
deployment job. DIR/deploy.json journals every upload and job before it is
sent: a run that was interrupted is finished by running it again, and a
re-run after success sends nothing but lookups. RAM actions needed
(yundun-cert:): ListCloudResources, ListContact, ListUserCertificateOrder,
GetUserCertificateDetail, UploadUserCertificate, CreateDeploymentJob,
UpdateDeploymentJobStatus, DescribeDeploymentJob, ListDeploymentJob,
ListWorkerResource.

EXIT CODES:
  0  every resource serves the certificate
  2  bad input: no certificate or key in DIR, an unknown target
  3  the service refused, or the job ended in error (the resources are named)
  4  network or timeout, or the job still running; journaled, run again";

/// Arguments of `csrkit deploy`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub(crate) struct Args {
    /// The certificate directory (what `csrkit apply` made).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Deploy to every resource of PRODUCT serving DOMAIN (cdn, dcdn, slb,
    /// alb, nlb, oss, waf, ga, fc, apigateway, sae, mse, live, vod, ddos, cr,
    /// webhosting); for load balancers DOMAIN may be an instance id or
    /// INSTANCE/LISTENER. Repeat for more.
    #[arg(long = "to", value_name = "PRODUCT:DOMAIN", value_parser = parse_target,
          required_unless_present = "resource_ids")]
    to: Vec<Target>,
    /// Deploy to the resource with this id (ListCloudResources' Id). Repeat
    /// for more.
    #[arg(long = "resource-id", value_name = "ID")]
    resource_ids: Vec<u64>,
    /// Give up following the deployment job after this long (e.g. 10m); it
    /// is journaled, and a re-run follows it again.
    #[arg(long, value_name = "DURATION", default_value = "30m",
          value_parser = crate::apply::parse_duration)]
    wait_timeout: Duration,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

fn parse_target(s: &str) -> Result<Target, String> {
    s.parse().map_err(|e: DeployError| e.to_string())
}

/// The certificate chain and key of a certificate directory, read through
/// whatever it holds (plain files, or the `current` generation's links).
fn read_pair(dir: &Path) -> anyhow::Result<(String, String)> {
    let chain_path = ["fullchain.pem", "cert.pem"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.exists())
        .with_context(|| {
            format!(
                "{} has no certificate (fullchain.pem or cert.pem): finish the order first (csrkit apply --out-dir {} --wait)",
                dir.display(),
                dir.display()
            )
        })?;
    let chain = std::fs::read_to_string(&chain_path)
        .with_context(|| format!("cannot read {}", chain_path.display()))?;
    let key_path = dir.join("privkey.pem");
    let key = std::fs::read_to_string(&key_path).with_context(|| {
        format!(
            "cannot read {}: deploying needs the certificate's private key",
            key_path.display()
        )
    })?;
    Ok((chain, key))
}

fn check_dir(dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        anyhow::bail!(
            "{} is not a certificate directory; give the directory `csrkit apply` wrote",
            dir.display()
        );
    }
    Ok(())
}

/// Locks the directory for the run (one place, whatever the lock's home).
fn lock(dir: &Path) -> anyhow::Result<impl Sized> {
    Ok(csrkit_apply::lock_now(dir)?)
}

/// Runs `csrkit deploy`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let targets: Vec<Target> = args
        .to
        .iter()
        .cloned()
        .chain(args.resource_ids.iter().map(|id| Target::ResourceId(*id)))
        .collect();
    check_dir(&args.dir)?;
    let journal = args.dir.join(JOURNAL_FILE);
    let client = args.connection.client()?;
    // A dry run reads the files and the journal; it sends, writes and locks
    // nothing.
    let _lock = match args.connection.dry_run {
        true => None,
        false => Some(lock(&args.dir)?),
    };
    let (chain, key) = read_pair(&args.dir)?;
    let what = Deployment {
        chain_pem: &chain,
        key_pem: &key,
        targets: &targets,
        journal: &journal,
    };
    if args.connection.dry_run {
        let requests = csrkit_deploy::dry_run(&client, &what).map_err(anyhow::Error::new)?;
        print_dry_run(&requests, args.format)?;
        return Ok(ExitCode::from(exit::OK));
    }
    let mut options = Options::default().with_wait_timeout(args.wait_timeout);
    if client.endpoint().is_loopback() {
        // The sandbox answers in milliseconds.
        options = options.with_polling(Duration::from_millis(100), Duration::from_millis(500));
    }
    let human = args.format == Format::Human;
    let mut show = |e: &Event| {
        if human {
            progress(e);
        }
    };
    let result = runtime()?.block_on(csrkit_deploy::deploy(&client, &what, &options, &mut show));
    match result {
        Ok(report) => {
            render(&args.dir, &report, None, args.format)?;
            Ok(ExitCode::from(exit::OK))
        }
        Err(e) => {
            if let Some(report) = e.report() {
                render(&args.dir, report, Some(&e.to_string()), args.format)?;
            }
            Err(e.into())
        }
    }
}

/// A line on stderr per step.
fn progress(e: &Event) {
    if let Some(text) = progress_line(e) {
        eprintln!("{text}");
    }
}

/// What a step of a deployment says (also under `apply` and `renew`).
pub(crate) fn progress_line(e: &Event) -> Option<String> {
    Some(match e {
        Event::Resolved { target, resources } => {
            let ids: Vec<String> = resources.iter().map(|r| r.id.to_string()).collect();
            format!("{target}: resource {}", ids.join(", "))
        }
        Event::Uploading { name } => format!("uploading the certificate as {name}"),
        Event::CertificateHeld { cert_id, how } => {
            let how = match how {
                Held::Journal => "recorded in deploy.json",
                Held::Found => "found in the account",
                _ => "uploaded",
            };
            format!("the account holds the certificate as CertId {cert_id} ({how})")
        }
        Event::AlreadyServing { resource } => {
            format!("{resource}: already serves the certificate")
        }
        Event::JobCreated {
            job_id,
            found: true,
            ..
        } => format!("found deployment job {job_id}, created by an earlier run"),
        Event::JobCreated { job_id, name, .. } => {
            format!("created deployment job {job_id} ({name})")
        }
        Event::JobStarted { job_id } => format!("started deployment job {job_id}"),
        Event::JobStatus { job_id, status } => format!("job {job_id}: {status}"),
        _ => return None,
    })
}

fn render(dir: &Path, r: &Report, error: Option<&str>, format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => {
            let mut doc = json!({
                "schema": "csrkit.deploy/1",
                "dir": dir,
                "fingerprint": r.fingerprint,
                "cert_id": r.cert_id,
                "held": r.held,
                "job_id": r.job_id,
                "job_status": r.job_status,
                "resources": r.resources,
            });
            if let Some(e) = error {
                doc["error"] = json!(e);
            }
            print_json(&doc)
        }
        Format::Human => {
            for res in &r.resources {
                let what = match res.outcome {
                    Outcome::Deployed => "deployed",
                    Outcome::AlreadyServing => "already serving",
                    Outcome::Failed => "FAILED",
                    _ => "?",
                };
                outln!("{}: {what} (CertId {})", res.resource, r.cert_id);
            }
            Ok(())
        }
    }
}
