//! The CONNECTION flags shared by every command that talks to the API
//! (DESIGN.md "The command line"), and the client they make.

use std::time::Duration;

use crate::output::{Format, out, outln, print_json};
use anyhow::Context;
use csrkit_submit::{Client, ClientOptions, PreparedRequest, Site};

/// `[--endpoint URL | --site cn|intl] [--profile NAME] [--timeout SECONDS] [--dry-run]`
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "Connection")]
pub(crate) struct ConnectionArgs {
    /// API endpoint URL; http:// only for loopback (the sandbox).
    #[arg(
        long,
        value_name = "URL",
        env = "CSRKIT_ENDPOINT",
        conflicts_with = "site"
    )]
    pub(crate) endpoint: Option<String>,

    /// Which Alibaba Cloud site: cn (aliyun.com, cas.aliyuncs.com) or intl
    /// (alibabacloud.com, cas.ap-southeast-1.aliyuncs.com).
    #[arg(long, value_name = "SITE", default_value = "cn", value_parser = parse_site)]
    pub(crate) site: Site,

    /// Credentials profile of the aliyun CLI (~/.aliyun/config.json) or of
    /// ~/.alibabacloud/credentials.ini [env: ALIBABA_CLOUD_PROFILE].
    #[arg(long, value_name = "NAME")]
    pub(crate) profile: Option<String>,

    /// Read timeout in seconds (connect timeout: 5 s, or this if smaller).
    #[arg(long, value_name = "SECONDS", value_parser = parse_timeout)]
    pub(crate) timeout: Option<Duration>,

    /// Print the requests that would be sent (signed; signature and token
    /// redacted) and send nothing, write nothing. With --format json, one
    /// document: {"schema":"csrkit.dry-run/1","requests":[…]}.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

fn parse_site(s: &str) -> Result<Site, String> {
    s.parse().map_err(|e: csrkit_submit::Error| e.to_string())
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    let secs: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !(secs.is_finite() && secs > 0.0 && secs <= 3600.0) {
        return Err(format!("{s:?}: give a timeout between 0 and 3600 seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

impl ConnectionArgs {
    /// The client options these flags describe.
    pub(crate) fn options(&self) -> anyhow::Result<ClientOptions> {
        Ok(ClientOptions::from_flags(
            self.endpoint.as_deref(),
            self.site,
            self.timeout,
        )?)
    }

    /// A client with credentials from the resolution chain.
    pub(crate) fn client(&self) -> anyhow::Result<Client> {
        Ok(Client::from_env(self.options()?, self.profile.as_deref())?)
    }

    /// With `--dry-run`, prints `requests` (see
    /// [`print_dry_run`]) and returns true.
    pub(crate) fn dry_run(
        &self,
        requests: Vec<Result<PreparedRequest, csrkit_submit::Error>>,
        format: Format,
    ) -> anyhow::Result<bool> {
        if !self.dry_run {
            return Ok(false);
        }
        let shown = requests.into_iter().collect::<Result<Vec<_>, _>>()?;
        print_dry_run(&shown, format)?;
        Ok(true)
    }
}

/// Prints the requests a `--dry-run` would send: as text, one block per
/// request, or as one `csrkit.dry-run/1` document
/// (`{"schema":"csrkit.dry-run/1","requests":[{action, method, url,
/// headers}]}`, headers as `[name, value]` pairs). Signature and token are
/// redacted in both.
pub(crate) fn print_dry_run(requests: &[PreparedRequest], format: Format) -> anyhow::Result<()> {
    match format {
        Format::Json => print_json(&serde_json::json!({
            "schema": "csrkit.dry-run/1",
            "requests": requests,
        }))?,
        Format::Human => {
            for r in requests {
                out!("{r}");
                outln!();
            }
            eprintln!("--dry-run: nothing was sent and nothing was written");
        }
    }
    Ok(())
}

/// Parses an order id given on the command line.
pub(crate) fn parse_order_id(s: &str) -> Result<csrkit_submit::OrderId, String> {
    s.parse().map_err(|_| {
        format!("{s:?} is not an order id (a decimal number, as `csrkit orders` shows)")
    })
}

/// A current-thread tokio runtime for one command.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// A multi-threaded tokio runtime for a fleet (`--manifest`): the engine
/// writes its journals and checks keys on the runtime's threads, so a few
/// of them keep one certificate's disk writes from holding up the others.
pub(crate) fn runtime_for_fleet(concurrency: usize) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(concurrency.clamp(2, 8))
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}
