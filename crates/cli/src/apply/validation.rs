//! The validation flags of `apply` (`--dns`, `--dns-hook`, `--webroot`,
//! the propagation settings) as the engine's [`Validation`], and the
//! in-process sandbox they call for.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use csrkit_apply::{Journal, PropagationSettings, Validation};
use csrkit_dns::{ALIDNS_DEFAULT_ENDPOINT, DEFAULT_HOOK_TIMEOUT, ProviderSpec};
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

/// The validation the flags ask for; `None` when they say nothing (the
/// journal's choice stands).
fn explicit(args: &Args) -> anyhow::Result<Option<Validation>> {
    let v = &args.validation;
    if let Some(dir) = &v.webroot {
        return Ok(Some(Validation::Provider(ProviderSpec::Webroot {
            dir: absolute(dir),
        })));
    }
    let provider = match (v.dns, &v.dns_hook) {
        (Some(DnsProvider::Hook) | None, Some(_)) => DnsProvider::Hook,
        (Some(p), Some(_)) => anyhow::bail!(
            "--dns-hook runs your command as the provider; it does not go with --dns {}",
            flag_value(p)
        ),
        (Some(p), None) => p,
        (None, None) => return Ok(None),
    };
    let spec = match provider {
        DnsProvider::Manual => return Ok(Some(Validation::Manual)),
        DnsProvider::Alidns => ProviderSpec::Alidns {
            endpoint: match (&v.dns_endpoint, args.sandbox) {
                (Some(e), _) => e.clone(),
                (None, true) => SANDBOX_LABEL.to_owned(),
                (None, false) => ALIDNS_DEFAULT_ENDPOINT.to_owned(),
            },
        },
        DnsProvider::Rfc2136 => {
            let missing: Vec<&str> = [
                ("--dns-server HOST[:PORT]", v.dns_server.is_none()),
                ("--tsig-key-file FILE", v.tsig_key_file.is_none()),
            ]
            .into_iter()
            .filter_map(|(f, m)| m.then_some(f))
            .collect();
            let (Some(server), Some(key)) = (&v.dns_server, &v.tsig_key_file) else {
                anyhow::bail!(
                    "--dns rfc2136 needs {}: the zone's primary server and the TSIG key that \
                     may update it (README, \"Hands-off validation\")",
                    missing.join(" and ")
                );
            };
            ProviderSpec::Rfc2136 {
                server: server.clone(),
                tsig_key_file: absolute(key),
            }
        }
        DnsProvider::Hook => {
            let Some(command) = &v.dns_hook else {
                anyhow::bail!("--dns hook needs --dns-hook CMD: the command that publishes");
            };
            ProviderSpec::Hook {
                command: command.clone(),
                timeout_secs: v
                    .hook_timeout
                    .unwrap_or(DEFAULT_HOOK_TIMEOUT)
                    .as_secs()
                    .max(1),
            }
        }
    };
    Ok(Some(Validation::Provider(spec)))
}

/// What a provider is called on the command line (`alidns`, …).
fn flag_value(p: DnsProvider) -> String {
    clap::ValueEnum::to_possible_value(&p)
        .map(|v| v.get_name().to_owned())
        .unwrap_or_default()
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
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
    let v = &args.validation;
    let mut p = PropagationSettings::default();
    p.resolver = v
        .dns_resolver
        .clone()
        .or_else(|| sandbox_dns.map(|a| a.to_string()));
    p.timeout = v.propagation_timeout;
    p.http_via = v.http_via.clone();
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
