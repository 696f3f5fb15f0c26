//! What runs after a certificate is installed, and at the end of a renewal
//! run (DESIGN.md "Renewal"):
//!
//! - the **deploy hook**, once per installed certificate, with
//!   `CSRKIT_CERT_DIR`, `CSRKIT_DOMAINS` (space-separated),
//!   `CSRKIT_CERT_PATH`, `CSRKIT_KEY_PATH`, `CSRKIT_FULLCHAIN_PATH`,
//!   `CSRKIT_CHAIN_PATH`, `CSRKIT_COMBINED_PATH`, `CSRKIT_ORDER_ID`,
//!   `CSRKIT_CERT_ID`, `CSRKIT_NOT_AFTER` (RFC 3339) and
//!   `CSRKIT_GENERATION`; the paths are absolute, through the directory's
//!   stable names (so they name the new certificate);
//! - the **deployment** to the recorded targets, through CAS deployment
//!   jobs (`csrkit-deploy`, journaled in `DIR/deploy.json`);
//! - the **post hook**, once per `renew` run in which a certificate was
//!   due, with `CSRKIT_RENEWED` and `CSRKIT_FAILED` (the directories,
//!   absolute, space-separated).
//!
//! Every hook runs through `sh -c` with empty standard input, in its own
//! process group, killed with its group past the timeout (default 5
//! minutes), its output bounded: [`csrkit_dns::command`], the one runner
//! csrkit has. A hook or deployment that fails is reported and makes the
//! run fail; it never undoes the installation. The journal's `follow_ups`
//! keeps what has not succeeded yet, and the next `apply` or `renew` on the
//! directory runs it again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use csrkit_dns::command::{CommandError, ShellCommand};

use crate::error::{Category, Error, Result};
use crate::event::{Event, Reporter, Step};
use crate::journal::{FollowUpsDue, Journal, RenewalSettings};
use crate::layout::{CERT_FILE, CHAIN_FILE, COMBINED_FILE, FULLCHAIN_FILE};
use crate::service::Service;

/// How long a hook may run when nothing else is recorded: 5 minutes.
pub const DEFAULT_HOOK_TIMEOUT: Duration = csrkit_dns::DEFAULT_HOOK_TIMEOUT;

/// Every variable a deploy or post hook is given; each is cleared first, so
/// that a hook never sees one inherited from the caller's environment.
const HOOK_VARIABLES: [&str; 13] = [
    "CSRKIT_CERT_DIR",
    "CSRKIT_DOMAINS",
    "CSRKIT_CERT_PATH",
    "CSRKIT_KEY_PATH",
    "CSRKIT_FULLCHAIN_PATH",
    "CSRKIT_CHAIN_PATH",
    "CSRKIT_COMBINED_PATH",
    "CSRKIT_ORDER_ID",
    "CSRKIT_CERT_ID",
    "CSRKIT_NOT_AFTER",
    "CSRKIT_GENERATION",
    "CSRKIT_RENEWED",
    "CSRKIT_FAILED",
];

/// Which hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HookKind {
    /// Once per installed certificate (`--deploy-hook`).
    Deploy,
    /// Once per renewal run (`--post-hook`).
    Post,
}

impl HookKind {
    /// `deploy` or `post`.
    pub fn as_str(self) -> &'static str {
        match self {
            HookKind::Deploy => "deploy",
            HookKind::Post => "post",
        }
    }
}

/// Why a hook or a deployment did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Failure {
    /// What happened, in a sentence.
    pub message: String,
    /// The tail of the hook's standard error (at most 4 KiB; empty for a
    /// deployment).
    pub stderr: String,
    /// What kind of failure it is (a hook that failed: [`Category::Input`];
    /// one past its timeout: [`Category::Unavailable`]; a deployment's
    /// follows the service's answer).
    pub category: Category,
}

impl Failure {
    /// The error this failure stands for.
    pub fn to_error(&self) -> Error {
        let message = match self.stderr.trim() {
            "" => self.message.clone(),
            tail => format!("{}; its stderr ends:\n{tail}", self.message),
        };
        Error::FollowUp {
            message,
            category: self.category,
        }
    }
}

/// A hook that ran.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HookRun {
    /// Which.
    pub kind: HookKind,
    /// The command.
    pub command: String,
    /// The certificate's directory (a deploy hook's).
    pub dir: Option<PathBuf>,
    /// The head of its standard output (at most 64 KiB).
    pub stdout: String,
    /// Why it failed, if it did.
    pub failure: Option<Failure>,
}

/// A deployment to the recorded targets that ran.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DeploymentRun {
    /// The certificate's directory.
    pub dir: PathBuf,
    /// The targets, as recorded.
    pub targets: Vec<String>,
    /// What happened to each resource, when the deployment got that far.
    pub report: Option<csrkit_deploy::Report>,
    /// Why it failed, if it did.
    pub failure: Option<Failure>,
}

/// What ran after an installation.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FollowUps {
    /// The deploy hook, when one is recorded and was due.
    pub deploy_hook: Option<HookRun>,
    /// The deployment, when targets are recorded and it was due.
    pub deployment: Option<DeploymentRun>,
}

impl FollowUps {
    /// The first failure, as an error.
    pub fn error(&self) -> Option<Error> {
        let hook = self.deploy_hook.as_ref().and_then(|h| h.failure.as_ref());
        let deployment = self.deployment.as_ref().and_then(|d| d.failure.as_ref());
        hook.or(deployment).map(Failure::to_error)
    }

    /// True when nothing ran.
    pub fn is_empty(&self) -> bool {
        self.deploy_hook.is_none() && self.deployment.is_none()
    }
}

/// A deployment target as recorded (`PRODUCT:DOMAIN`, or a resource id),
/// parsed.
///
/// # Errors
/// [`Error::Input`] naming the target and the forms accepted.
pub fn parse_deploy_target(text: &str) -> Result<csrkit_deploy::Target> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse()
            .map(csrkit_deploy::Target::ResourceId)
            .map_err(|_| Error::input(format!("deployment target {text:?}: the id is too large")));
    }
    t.parse().map_err(|e: csrkit_deploy::Error| {
        Error::input(format!(
            "{e} (a deployment target is PRODUCT:DOMAIN, e.g. cdn:www.example.com, or a \
             resource id)"
        ))
    })
}

/// A deployment target as the journal records it: `PRODUCT:DOMAIN` with the
/// product's canonical name, or the resource id.
///
/// # Errors
/// As [`parse_deploy_target`].
pub(crate) fn recorded_deploy_target(text: &str) -> Result<String> {
    Ok(match parse_deploy_target(text)? {
        csrkit_deploy::Target::ResourceId(id) => id.to_string(),
        other => other.to_string(),
    })
}

/// How long each hook of the directory may run.
pub(crate) fn timeout_of(settings: &RenewalSettings) -> Duration {
    settings
        .hook_timeout_secs
        .map_or(DEFAULT_HOOK_TIMEOUT, Duration::from_secs)
}

/// A hook command, checked.
pub(crate) fn check_command(flag: &str, command: &str) -> Result<()> {
    if command.contains('\0') {
        return Err(Error::input(format!(
            "{flag}: the command holds a NUL byte; give a command line such as `systemctl reload \
             nginx`"
        )));
    }
    Ok(())
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}

/// Runs `command` as `kind`'s hook with `env`.
async fn run(
    kind: HookKind,
    command: &str,
    dir: Option<&Path>,
    env: Vec<(&'static str, String)>,
    timeout: Duration,
) -> HookRun {
    let name = format!("csrkit-{}-hook", kind.as_str());
    let mut cmd = ShellCommand::new(command, &name, timeout);
    for var in HOOK_VARIABLES {
        cmd = cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    let (stdout, failure) = match cmd.run().await {
        Ok(out) => (out.stdout, None),
        Err(e) => {
            let (stdout, stderr) = match &e {
                CommandError::Failed { stdout, stderr, .. } => (stdout.clone(), stderr.clone()),
                other => (String::new(), other.stderr().to_owned()),
            };
            let on = dir.map_or_else(String::new, |d| format!(" for {}", d.display()));
            // A hook that ran out of time is like any other timeout (exit
            // 4); one that failed is local trouble (exit 2).
            let category = match e {
                CommandError::TimedOut { .. } => Category::Unavailable,
                _ => Category::Input,
            };
            (
                stdout,
                Some(Failure {
                    message: format!("the {} hook `{command}`{on} failed: {e}", kind.as_str()),
                    stderr,
                    category,
                }),
            )
        }
    };
    HookRun {
        kind,
        command: command.to_owned(),
        dir: dir.map(Path::to_path_buf),
        stdout,
        failure,
    }
}

/// The deploy hook's environment for the current generation of `dir`.
fn deploy_env(dir: &Path, j: &Journal) -> Vec<(&'static str, String)> {
    let base = absolute(dir);
    let path = |name: &str| base.join(name).display().to_string();
    let current = j
        .current
        .and_then(|n| j.generations.iter().find(|g| g.number == n));
    let key = match &j.files.key {
        Some(k) if k.is_absolute() => k.display().to_string(),
        Some(k) => base.join(k).display().to_string(),
        None => String::new(),
    };
    let combined = match base.join(COMBINED_FILE).exists() {
        true => path(COMBINED_FILE),
        false => String::new(),
    };
    vec![
        ("CSRKIT_CERT_DIR", base.display().to_string()),
        ("CSRKIT_DOMAINS", j.domains.join(" ")),
        ("CSRKIT_CERT_PATH", path(CERT_FILE)),
        ("CSRKIT_KEY_PATH", key),
        ("CSRKIT_FULLCHAIN_PATH", path(FULLCHAIN_FILE)),
        ("CSRKIT_CHAIN_PATH", path(CHAIN_FILE)),
        ("CSRKIT_COMBINED_PATH", combined),
        (
            "CSRKIT_ORDER_ID",
            current.map(|g| g.order_id.clone()).unwrap_or_default(),
        ),
        (
            "CSRKIT_CERT_ID",
            current.and_then(|g| g.cert_id.clone()).unwrap_or_default(),
        ),
        (
            "CSRKIT_NOT_AFTER",
            current.map(|g| g.not_after.clone()).unwrap_or_default(),
        ),
        (
            "CSRKIT_GENERATION",
            current.map(|g| g.number.to_string()).unwrap_or_default(),
        ),
    ]
}

/// Runs `command` as the deploy hook of `dir`'s current certificate and
/// reports it.
pub(crate) async fn deploy_hook(
    dir: &Path,
    j: &Journal,
    command: &str,
    reporter: &mut dyn Reporter,
) -> HookRun {
    reporter.report(Event::StepStarted {
        step: Step::DeployHook,
    });
    let hook = run(
        HookKind::Deploy,
        command,
        Some(dir),
        deploy_env(dir, j),
        timeout_of(&j.renewal),
    )
    .await;
    if hook.failure.is_none() {
        reporter.report(Event::StepFinished {
            step: Step::DeployHook,
        });
    }
    reporter.report(Event::HookRan { hook: hook.clone() });
    hook
}

/// Runs the post hook `command` once, with the directories renewed and
/// those that failed, and reports it.
pub async fn run_post_hook(
    command: &str,
    renewed: &[PathBuf],
    failed: &[PathBuf],
    timeout: Duration,
    reporter: &mut dyn Reporter,
) -> HookRun {
    let list = |dirs: &[PathBuf]| {
        dirs.iter()
            .map(|d| absolute(d).display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let env = vec![
        ("CSRKIT_RENEWED", list(renewed)),
        ("CSRKIT_FAILED", list(failed)),
    ];
    let hook = run(HookKind::Post, command, None, env, timeout).await;
    reporter.report(Event::HookRan { hook: hook.clone() });
    hook
}

/// The deployment of `dir`'s current certificate to its recorded targets.
async fn deployment(
    service: &Service,
    dir: &Path,
    j: &Journal,
    reporter: &mut dyn Reporter,
) -> DeploymentRun {
    reporter.report(Event::StepStarted {
        step: Step::Deployment,
    });
    let targets = j.renewal.deploy_to.clone();
    let result = deploy_current(service, dir, j, &targets, reporter).await;
    let (report, failure) = match result {
        Ok(r) => (Some(r), None),
        Err(e) => {
            let report = match &e {
                Error::Deploy(d) => d.report().cloned(),
                _ => None,
            };
            let failure = Failure {
                message: format!(
                    "the deployment of {} to {} failed: {e}",
                    dir.display(),
                    targets.join(", ")
                ),
                stderr: String::new(),
                category: e.category(),
            };
            (report, Some(failure))
        }
    };
    if failure.is_none() {
        reporter.report(Event::StepFinished {
            step: Step::Deployment,
        });
    }
    let run = DeploymentRun {
        dir: dir.to_path_buf(),
        targets,
        report,
        failure,
    };
    reporter.report(Event::Deployed { run: run.clone() });
    run
}

async fn deploy_current(
    service: &Service,
    dir: &Path,
    j: &Journal,
    targets: &[String],
    reporter: &mut dyn Reporter,
) -> Result<csrkit_deploy::Report> {
    let targets = targets
        .iter()
        .map(|t| parse_deploy_target(t))
        .collect::<Result<Vec<_>>>()?;
    let read = |p: PathBuf| {
        std::fs::read_to_string(&p)
            .map(zeroize::Zeroizing::new)
            .map_err(Error::io("read", p))
    };
    let chain = read(dir.join(FULLCHAIN_FILE))?;
    let key = match &j.files.key {
        Some(k) => read(dir.join(k))?,
        None => {
            return Err(Error::input(format!(
                "{} has no private key csrkit knows of (the CSR was given without --key); a \
                 deployment uploads the key with the certificate",
                dir.display()
            )));
        }
    };
    let journal = dir.join(csrkit_deploy::JOURNAL_FILE);
    let what = csrkit_deploy::Deployment {
        chain_pem: &chain,
        key_pem: &key,
        targets: &targets,
        journal: &journal,
    };
    let mut options = csrkit_deploy::Options::default();
    if service.fast() || service.client().endpoint().is_loopback() {
        options = options.with_polling(Duration::from_millis(100), Duration::from_millis(500));
    }
    let mut on_event = |e: &csrkit_deploy::Event| reporter.report(Event::Deployment(e.clone()));
    Ok(csrkit_deploy::deploy(service.client(), &what, &options, &mut on_event).await?)
}

/// Records that the follow-ups of generation `n` are due (in the journal
/// write that installs it).
pub(crate) fn mark_due(j: &mut Journal, n: u32) {
    let hook = j.renewal.deploy_hook.is_some();
    let deployment = !j.renewal.deploy_to.is_empty();
    j.follow_ups = (hook || deployment).then_some(FollowUpsDue {
        generation: n,
        deploy_hook: hook,
        deployment,
    });
}

/// Whether follow-ups of the current generation are due (and which).
pub(crate) fn due(j: &Journal) -> Option<FollowUpsDue> {
    j.follow_ups.filter(|f| Some(f.generation) == j.current)
}

/// Runs the follow-ups of the current generation that are due, and records
/// in the journal what succeeded. `service` is needed for a deployment;
/// without one, a due deployment is left for the next run that has it.
pub(crate) async fn run_due(
    service: Option<&Service>,
    dir: &Path,
    j: &mut Journal,
    reporter: &mut dyn Reporter,
) -> Result<FollowUps> {
    let mut done = FollowUps::default();
    let Some(mut due) = due(j) else {
        return Ok(done);
    };
    if due.deploy_hook {
        match j.renewal.deploy_hook.clone() {
            Some(command) => {
                let hook = deploy_hook(dir, j, &command, reporter).await;
                due.deploy_hook = hook.failure.is_some();
                done.deploy_hook = Some(hook);
            }
            None => due.deploy_hook = false,
        }
    }
    if due.deployment
        && let Some(service) = service
    {
        if j.renewal.deploy_to.is_empty() {
            due.deployment = false;
        } else {
            let run = deployment(service, dir, j, reporter).await;
            due.deployment = run.failure.is_some();
            done.deployment = Some(run);
        }
    }
    j.follow_ups = (due.deploy_hook || due.deployment).then_some(due);
    j.save(dir)?;
    Ok(done)
}
