//! Running a user's command: the one runner behind every hook csrkit runs
//! (the DNS hook here, the deploy and post hooks of renewal in
//! `csrkit-apply`).
//!
//! - `CMD` is run by `sh -c 'CMD "$@"' NAME ARGS…`: the arguments are
//!   positional parameters, never pasted into the shell text, so no value is
//!   ever interpreted by the shell.
//! - Standard input is empty. Standard output is kept up to a limit (its
//!   head); standard error is kept up to a limit (its tail, where the reason
//!   for a failure is).
//! - The command runs in its own process group. Past the timeout the whole
//!   group is killed (`SIGKILL`), so a hook that started a server, or hung
//!   in a child, does not outlive the run. Once the command exits, its
//!   pipes are read until every process it started has let go of them,
//!   bounded by what is left of the timeout.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// A command to run through `sh -c` (see the module docs).
#[derive(Debug, Clone)]
pub struct ShellCommand {
    command: String,
    name: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    env_remove: Vec<String>,
    timeout: Duration,
    stdout_limit: usize,
    stderr_limit: usize,
}

/// What a command that succeeded printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommandOutput {
    /// The head of its standard output (lossily UTF-8).
    pub stdout: String,
    /// The tail of its standard error (lossily UTF-8, trailing white space
    /// trimmed).
    pub stderr: String,
}

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// `sh` could not be started, or waited for.
    #[error("cannot run sh: {source}")]
    Io {
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// It exited unsuccessfully.
    #[error("{status}")]
    Failed {
        /// `exit status N` or `killed by signal N`.
        status: String,
        /// The head of its standard output.
        stdout: String,
        /// The tail of its standard error.
        stderr: String,
    },
    /// It ran past the timeout; its process group was killed.
    #[error("still running after {}s; it was stopped", timeout.as_secs())]
    TimedOut {
        /// The timeout.
        timeout: Duration,
        /// The tail of what it wrote to standard error until then.
        stderr: String,
    },
}

impl CommandError {
    /// The tail of the command's standard error, when it ran.
    pub fn stderr(&self) -> &str {
        match self {
            CommandError::Failed { stderr, .. } | CommandError::TimedOut { stderr, .. } => stderr,
            CommandError::Io { .. } => "",
        }
    }
}

/// Standard output kept by default: 64 KiB.
pub const DEFAULT_STDOUT_LIMIT: usize = 64 * 1024;
/// Standard error kept by default: 4 KiB.
pub const DEFAULT_STDERR_LIMIT: usize = 4 * 1024;

impl ShellCommand {
    /// `command`, run as `sh -c 'COMMAND "$@"' NAME` (`NAME` is `$0`, what
    /// `ps` and the shell's own messages call it), with the default limits
    /// and `timeout`.
    pub fn new(command: &str, name: &str, timeout: Duration) -> ShellCommand {
        ShellCommand {
            command: command.to_owned(),
            name: name.to_owned(),
            args: Vec::new(),
            env: Vec::new(),
            env_remove: Vec::new(),
            timeout,
            stdout_limit: DEFAULT_STDOUT_LIMIT,
            stderr_limit: DEFAULT_STDERR_LIMIT,
        }
    }

    /// Adds a positional parameter (`$1`, `$2`, …).
    pub fn arg(mut self, arg: impl Into<String>) -> ShellCommand {
        self.args.push(arg.into());
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> ShellCommand {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Removes an inherited environment variable (before those set with
    /// [`ShellCommand::env`] apply).
    pub fn env_remove(mut self, key: impl Into<String>) -> ShellCommand {
        self.env_remove.push(key.into());
        self
    }

    /// The command text.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Its timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs it to the end, or until the timeout.
    ///
    /// # Errors
    /// See [`CommandError`].
    pub async fn run(&self) -> Result<CommandOutput, CommandError> {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c")
            .arg(format!("{} \"$@\"", self.command))
            .arg(&self.name)
            .args(&self.args);
        for key in &self.env_remove {
            cmd.env_remove(key);
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|source| CommandError::Io { source })?;
        let group = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(rustix::process::Pid::from_raw);
        let kill_group = || {
            if let Some(pg) = group {
                let _ = rustix::process::kill_process_group(pg, rustix::process::Signal::KILL);
            }
        };
        let out = tokio::spawn(read_head(child.stdout.take(), self.stdout_limit));
        let err = tokio::spawn(read_tail(child.stderr.take(), self.stderr_limit));
        let deadline = tokio::time::Instant::now() + self.timeout;

        let status = match tokio::time::timeout_at(deadline, child.wait()).await {
            Ok(Ok(s)) => s,
            Ok(Err(source)) => {
                kill_group();
                return Err(CommandError::Io { source });
            }
            Err(_) => {
                kill_group();
                let _ = child.wait().await;
                out.abort();
                let stderr = match tokio::time::timeout(Duration::from_secs(2), err).await {
                    Ok(Ok(s)) => s,
                    _ => String::new(),
                };
                return Err(CommandError::TimedOut {
                    timeout: self.timeout,
                    stderr,
                });
            }
        };
        // The command has exited; its pipes close when every process it
        // started has let go of them (bounded by what is left of the
        // timeout).
        let (stdout, stderr) =
            match tokio::time::timeout_at(deadline, async { (out.await, err.await) }).await {
                Ok((o, e)) => (o.unwrap_or_default(), e.unwrap_or_default()),
                Err(_) => {
                    kill_group();
                    (String::new(), String::new())
                }
            };
        if !status.success() {
            let how = match (
                status.code(),
                std::os::unix::process::ExitStatusExt::signal(&status),
            ) {
                (Some(c), _) => format!("exit status {c}"),
                (None, Some(s)) => format!("killed by signal {s}"),
                _ => status.to_string(),
            };
            return Err(CommandError::Failed {
                status: how,
                stdout,
                stderr,
            });
        }
        Ok(CommandOutput { stdout, stderr })
    }
}

async fn read_head<R: AsyncRead + Unpin>(r: Option<R>, limit: usize) -> String {
    let Some(mut r) = r else { return String::new() };
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 {
            break;
        }
        let room = limit.saturating_sub(kept.len());
        kept.extend_from_slice(&buf[..n.min(room)]);
    }
    String::from_utf8_lossy(&kept).into_owned()
}

async fn read_tail<R: AsyncRead + Unpin>(r: Option<R>, limit: usize) -> String {
    let Some(mut r) = r else { return String::new() };
    let mut kept: Vec<u8> = Vec::new();
    let mut buf = [0u8; 8192];
    while let Ok(n) = r.read(&mut buf).await {
        if n == 0 {
            break;
        }
        kept.extend_from_slice(&buf[..n]);
        if kept.len() > limit {
            kept.drain(..kept.len() - limit);
        }
    }
    String::from_utf8_lossy(&kept).trim_end().to_string()
}
