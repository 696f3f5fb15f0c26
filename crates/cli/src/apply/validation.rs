//! The validation flags of `apply` (`--dns`, `--dns-hook`, `--webroot`,
//! the propagation settings) as the engine's [`Validation`], and the
//! in-process sandbox they call for.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use csrkit_apply::{
    Journal, PropagationSettings, ProviderName, Spelling, Validation, ValidationSettings,
};
use csrkit_dns::{ALIDNS_DEFAULT_ENDPOINT, ProviderSpec};
use csrkit_submit::ValidateType;

use super::Args;
use crate::service::{SANDBOX_LABEL, SandboxSetup, zone_of};

/// `--dns`: who publishes the validation record.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DnsProvider {
    /// Nobody: csrkit prints the record, you publish it.
    Manual,
    /// Alibaba Cloud DNS, with the certificate API's credentials.
    Alidns,
    /// Any standard server, by RFC 2136 UPDATE signed with TSIG.
    Rfc2136,
    /// Your command (`--dns-hook CMD`).
    Hook,
}

impl From<DnsProvider> for ProviderName {
    fn from(p: DnsProvider) -> ProviderName {
        match p {
            DnsProvider::Manual => ProviderName::Manual,
            DnsProvider::Alidns => ProviderName::Alidns,
            DnsProvider::Rfc2136 => ProviderName::Rfc2136,
            DnsProvider::Hook => ProviderName::Hook,
        }
    }
}

impl ValidationArgs {
    /// The flags as the engine's settings (what a manifest entry's keys
    /// also become).
    pub(crate) fn settings(&self) -> ValidationSettings {
        let mut s = ValidationSettings::default();
        s.dns = self.dns.map(ProviderName::from);
        s.dns_endpoint = self.dns_endpoint.clone();
        s.dns_server = self.dns_server.clone();
        s.tsig_key_file = self.tsig_key_file.clone();
        s.dns_hook = self.dns_hook.clone();
        s.hook_timeout = self.hook_timeout;
        s.webroot = self.webroot.clone();
        s.dns_resolver = self.dns_resolver.clone();
        s.propagation_timeout = self.propagation_timeout;
        s.http_via = self.http_via.clone();
        s
    }
}

/// Where `alidns` publishes without `--dns-endpoint`.
pub(crate) fn alidns_default(sandbox: bool) -> &'static str {
    match sandbox {
        true => SANDBOX_LABEL,
        false => ALIDNS_DEFAULT_ENDPOINT,
    }
}

/// The validation the flags ask for; `None` when they say nothing (the
/// journal's choice stands).
fn explicit(args: &Args) -> anyhow::Result<Option<Validation>> {
    Ok(args
        .validation
        .settings()
        .validation(alidns_default(args.sandbox), Spelling::Flags)?)
}

/// The validation of this run and, for `--sandbox`, how the in-process
/// sandbox is set up. `journal` is the directory's, read without the lock
/// (only to pick defaults; the engine reads it again under the lock).
pub(crate) fn choose(
    args: &Args,
    journal: Option<&Journal>,
) -> anyhow::Result<(Validation, Option<SandboxSetup>)> {
    let given = explicit(args)?;
    if !args.sandbox {
        return Ok((given.unwrap_or(Validation::Recorded), None));
    }
    let validate_type = match (args.validate_type, journal) {
        (Some(t), _) if args.new_order || journal.is_none() => t,
        (_, Some(j)) => j.validate_type.parse().unwrap_or(ValidateType::Dns),
        (t, None) => t.unwrap_or(ValidateType::Dns),
    };
    // By default the sandbox's own Alibaba Cloud DNS publishes; FILE
    // validation without --webroot has nobody to serve the file, so the
    // sandbox approves on its own.
    let validation = given.unwrap_or(match validate_type {
        ValidateType::File => Validation::Manual,
        _ => Validation::Provider(ProviderSpec::Alidns {
            endpoint: SANDBOX_LABEL.to_owned(),
        }),
    });
    let mut names: Vec<String> = args.domains.clone();
    if let Some(j) = journal {
        names.extend(j.domains.iter().cloned());
    }
    if let Some(csr) = &args.csr {
        names.extend(csr_names(csr));
    }
    let mut zones: Vec<String> = names.iter().map(|n| zone_of(n)).collect();
    zones.sort();
    zones.dedup();
    let own_alidns = matches!(
        &validation,
        Validation::Provider(ProviderSpec::Alidns { endpoint }) if endpoint == SANDBOX_LABEL
    );
    let mut product_codes: Vec<String> = args.product_code.iter().cloned().collect();
    product_codes.extend(journal.map(|j| j.product_code.clone()));
    let setup = SandboxSetup {
        zones,
        product_codes,
        verify: matches!(validation, Validation::Provider(_)),
        resolver: (!own_alidns)
            .then(|| {
                args.validation
                    .dns_resolver
                    .as_deref()
                    .and_then(socket_addr)
            })
            .flatten(),
        http_via: args.validation.http_via.as_deref().and_then(socket_addr),
    };
    Ok((validation, Some(setup)))
}

fn socket_addr(text: &str) -> Option<SocketAddr> {
    use std::net::ToSocketAddrs;
    text.to_socket_addrs().ok()?.next()
}

/// The DNS names of a CSR file (best effort: the engine checks it).
fn csr_names(path: &Path) -> Vec<String> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    let der = ::pem::parse(&bytes)
        .map(|p| p.into_contents())
        .unwrap_or(bytes);
    csrkit_validate::inspect(&der)
        .ok()
        .and_then(|v| v.into_iter().next())
        .map(|f| {
            f.sans
                .into_iter()
                .filter(|s| s.kind == "dns")
                .map(|s| s.value)
                .chain(f.common_name)
                .collect()
        })
        .unwrap_or_default()
}

/// The propagation settings of the flags; for the sandbox's own DNS, its
/// address.
pub(crate) fn propagation(args: &Args, sandbox_dns: Option<SocketAddr>) -> PropagationSettings {
    let mut p = args.validation.settings().propagation();
    if p.resolver.is_none() {
        p.resolver = sandbox_dns.map(|a| a.to_string());
    }
    p
}

/// The flags.
#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Validation")]
pub(crate) struct ValidationArgs {
    /// Who publishes the validation record: manual (csrkit prints it, you
    /// publish it), alidns, rfc2136 or hook [default: manual; with
    /// --sandbox: the sandbox's own Alibaba Cloud DNS]. Recorded in the
    /// journal: a re-run publishes (and cleans up) the same way.
    #[arg(long, value_enum, value_name = "PROVIDER")]
    pub(crate) dns: Option<DnsProvider>,
    /// The Alibaba Cloud DNS endpoint for --dns alidns
    /// [default: https://alidns.aliyuncs.com].
    #[arg(long, value_name = "URL", env = "CSRKIT_DNS_ENDPOINT")]
    pub(crate) dns_endpoint: Option<String>,
    /// The zone's primary server for --dns rfc2136 (port 53 by default).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub(crate) dns_server: Option<String>,
    /// The TSIG key for --dns rfc2136, as `tsig-keygen` prints it
    /// (hmac-sha256, -384 or -512).
    #[arg(long, value_name = "FILE")]
    pub(crate) tsig_key_file: Option<PathBuf>,
    /// Publish with your command (implies --dns hook): it runs as
    /// `CMD present -- FQDN TYPE VALUE`, later `CMD cleanup -- FQDN TYPE
    /// VALUE` (README, "Hands-off validation").
    #[arg(long, value_name = "CMD")]
    pub(crate) dns_hook: Option<String>,
    /// How long each run of a hook may take (e.g. 30s, 5m): --dns-hook,
    /// and --deploy-hook and --post-hook (recorded) [default: 5m].
    #[arg(long, value_name = "DURATION", value_parser = super::parse_duration)]
    pub(crate) hook_timeout: Option<Duration>,
    /// FILE validation: write the file into this web server's document
    /// root (DIR/.well-known/pki-validation/fileauth.txt), remove it after.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["dns", "dns_hook"])]
    pub(crate) webroot: Option<PathBuf>,
    /// Check propagation by asking this server (with recursion) instead of
    /// the zone's authoritative servers: split-horizon setups, tests.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) dns_resolver: Option<String>,
    /// Give up waiting for the record to propagate after this long (exit 4,
    /// the record stays published; run again to keep waiting) [default: 10m].
    #[arg(long, value_name = "DURATION", value_parser = super::parse_duration)]
    pub(crate) propagation_timeout: Option<Duration>,
    /// FILE validation: fetch http://DOMAIN/… by connecting to this address
    /// (with the domain as Host) when checking that the file is served: a
    /// load balancer in front of the site, or a local server in tests.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) http_via: Option<String>,
}
