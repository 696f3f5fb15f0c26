//! `hook`: your own command publishes and removes the record.
//!
//! # The hook contract
//!
//! - **Command line.** `CMD` (`--dns-hook CMD`) is run by `sh -c` with the
//!   arguments passed as positional parameters, never pasted into the shell
//!   text: csrkit runs `sh -c 'CMD "$@"' csrkit-dns-hook present -- FQDN TYPE
//!   VALUE`. So `CMD` may be a path or a command line with its own arguments
//!   (`/usr/local/bin/dns-hook --zone example.com`, `python3 hook.py`), and
//!   the hook sees `$1 = present` (or `cleanup`), `$2 = --`, `$3 = FQDN`
//!   (`_dnsauth.example.com`, no final dot), `$4 = TYPE` (`TXT` or `CNAME`),
//!   `$5 = VALUE`. A value is never interpreted by the shell.
//! - **Environment.** `CSRKIT_DNS_PHASE` (`present`/`cleanup`),
//!   `CSRKIT_DNS_NAME`, `CSRKIT_DNS_TYPE`, `CSRKIT_DNS_VALUE`,
//!   `CSRKIT_DNS_DOMAIN` (the certificate's domain), `CSRKIT_DNS_TTL` (a
//!   suggested TTL), `CSRKIT_ORDER_ID` and `CSRKIT_DNS_ORDER_ID` (when known);
//!   for `cleanup` also `CSRKIT_DNS_PRESENT_OUTPUT`: what `present` printed on
//!   stdout (say, a record id), at most 64 KiB. Standard input is empty.
//! - **Exit status.** 0 is success; anything else fails the step, and the
//!   end of the hook's stderr (4 KiB) is shown. `cleanup` must succeed when
//!   the record is already gone.
//! - **Timeout.** `--hook-timeout` (default 5 minutes) for each run; past it
//!   the hook's whole process group is killed and the step fails. A hook
//!   must not leave processes behind that keep its stdout or stderr open.

use std::time::Duration;

use crate::challenge::{Challenge, Published};
use crate::command::{CommandError, ShellCommand};
use crate::error::{Error, Result};
use crate::rfc2136::RFC2136_DEFAULT_TTL;
use crate::{BoxFuture, Publisher};

const PROVIDER: &str = "hook";
/// The default `--hook-timeout`: 5 minutes.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(300);

/// Publishes by running a command (see the module's contract).
#[derive(Debug, Clone)]
pub struct HookPublisher {
    command: String,
    timeout: Duration,
    ttl: u32,
}

impl HookPublisher {
    /// A hook running `command` through `sh -c`.
    ///
    /// # Errors
    /// [`Error::Config`] for an empty command or one holding a NUL byte.
    pub fn new(command: &str) -> Result<Self> {
        if command.trim().is_empty() || command.contains('\0') {
            return Err(Error::Config {
                setting: "--dns-hook",
                reason: "must be a command, e.g. /usr/local/bin/dns-hook".into(),
            });
        }
        Ok(HookPublisher {
            command: command.to_string(),
            timeout: DEFAULT_HOOK_TIMEOUT,
            ttl: RFC2136_DEFAULT_TTL,
        })
    }

    /// Sets the limit for each run (`--hook-timeout`, default 5 minutes).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the TTL suggested to the hook (`CSRKIT_DNS_TTL`, default 60).
    pub fn with_ttl(mut self, ttl: u32) -> Self {
        self.ttl = ttl;
        self
    }

    /// Runs one phase; returns its stdout (at most 64 KiB, lossily UTF-8).
    async fn run(
        &self,
        phase: &'static str,
        p: &Published,
        present_output: Option<&str>,
    ) -> Result<String> {
        let mut cmd = ShellCommand::new(&self.command, "csrkit-dns-hook", self.timeout)
            .arg(phase)
            .arg("--")
            .arg(&p.name)
            .arg(p.kind.as_str())
            .arg(&p.value)
            .env_remove("CSRKIT_DNS_PRESENT_OUTPUT")
            .env_remove("CSRKIT_ORDER_ID")
            .env_remove("CSRKIT_DNS_ORDER_ID")
            .env("CSRKIT_DNS_PHASE", phase)
            .env("CSRKIT_DNS_NAME", &p.name)
            .env("CSRKIT_DNS_TYPE", p.kind.as_str())
            .env("CSRKIT_DNS_VALUE", &p.value)
            .env("CSRKIT_DNS_DOMAIN", &p.domain)
            .env("CSRKIT_DNS_TTL", p.ttl.unwrap_or(self.ttl).to_string());
        if let Some(id) = &p.order_id {
            cmd = cmd
                .env("CSRKIT_ORDER_ID", id)
                .env("CSRKIT_DNS_ORDER_ID", id);
        }
        if let Some(out) = present_output {
            cmd = cmd.env("CSRKIT_DNS_PRESENT_OUTPUT", out);
        }
        match cmd.run().await {
            Ok(out) => Ok(out.stdout),
            Err(CommandError::Io { source }) => Err(Error::Io {
                action: "run the DNS hook with",
                path: "sh".into(),
                source,
            }),
            Err(CommandError::TimedOut { timeout, stderr }) => Err(Error::HookTimedOut {
                phase,
                command: self.command.clone(),
                timeout,
                stderr,
            }),
            Err(CommandError::Failed { status, stderr, .. }) => Err(Error::HookFailed {
                phase,
                command: self.command.clone(),
                status,
                stderr,
            }),
        }
    }
}

impl Publisher for HookPublisher {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn plan(&self, challenge: &Challenge) -> Result<Published> {
        let mut p = Published::for_dns(PROVIDER, challenge.dns_only(PROVIDER)?);
        p.ttl = Some(self.ttl);
        Ok(p)
    }

    fn present<'a>(&'a self, challenge: &'a Challenge) -> BoxFuture<'a, Result<Published>> {
        Box::pin(async move {
            let mut p = self.plan(challenge)?;
            let out = self.run("present", &p, None).await?;
            p.present_output = Some(out);
            Ok(p)
        })
    }

    fn cleanup<'a>(&'a self, published: &'a Published) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            published.dns_type(PROVIDER)?;
            self.run(
                "cleanup",
                published,
                Some(published.present_output.as_deref().unwrap_or("")),
            )
            .await
            .map(|_| ())
        })
    }
}
