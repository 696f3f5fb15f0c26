//! The validation settings as a user gives them (apply's `--dns…` flags, a
//! manifest's keys), turned into the engine's [`Validation`] and
//! [`PropagationSettings`]: one piece of code for both, so that a manifest
//! entry means exactly what the same flags mean.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use csrkit_dns::{DEFAULT_HOOK_TIMEOUT, ProviderSpec};

use crate::error::{Error, Result};
use crate::request::{PropagationSettings, Validation};

/// Who publishes the validation record, as the user names it (`--dns`,
/// `dns = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProviderName {
    /// Nobody: csrkit reports the record, you publish it.
    Manual,
    /// Alibaba Cloud DNS, with the certificate API's credentials.
    Alidns,
    /// Any standard server, by RFC 2136 UPDATE signed with TSIG.
    Rfc2136,
    /// Your command.
    Hook,
}

impl ProviderName {
    /// `manual`, `alidns`, `rfc2136`, `hook`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderName::Manual => "manual",
            ProviderName::Alidns => "alidns",
            ProviderName::Rfc2136 => "rfc2136",
            ProviderName::Hook => "hook",
        }
    }
}

impl FromStr for ProviderName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "manual" => Ok(ProviderName::Manual),
            "alidns" => Ok(ProviderName::Alidns),
            "rfc2136" => Ok(ProviderName::Rfc2136),
            "hook" => Ok(ProviderName::Hook),
            _ => Err(format!(
                "{s:?} is not a DNS provider; use manual, alidns, rfc2136 or hook"
            )),
        }
    }
}

/// How settings are called in messages: flags (`--dns-server`) or a
/// manifest's keys (`dns_server`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Spelling {
    /// `--dns-server`.
    Flags,
    /// `dns_server`.
    Manifest,
}

impl Spelling {
    /// The name of the setting `key` (written as a manifest key).
    fn name(self, key: &str) -> String {
        match self {
            Spelling::Flags => format!("--{}", key.replace('_', "-")),
            Spelling::Manifest => key.to_owned(),
        }
    }

    /// `--dns alidns` or `dns = "alidns"`.
    fn dns(self, p: ProviderName) -> String {
        match self {
            Spelling::Flags => format!("--dns {}", p.as_str()),
            Spelling::Manifest => format!("dns = \"{}\"", p.as_str()),
        }
    }
}

/// The validation settings as given, each `None` when not given (the
/// flags of `csrkit apply`, the keys of a manifest entry).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidationSettings {
    /// `--dns PROVIDER`.
    pub dns: Option<ProviderName>,
    /// `--dns-endpoint URL` (alidns).
    pub dns_endpoint: Option<String>,
    /// `--dns-server HOST[:PORT]` (rfc2136).
    pub dns_server: Option<String>,
    /// `--tsig-key-file FILE` (rfc2136).
    pub tsig_key_file: Option<PathBuf>,
    /// `--dns-hook CMD` (implies hook).
    pub dns_hook: Option<String>,
    /// `--hook-timeout DUR`.
    pub hook_timeout: Option<Duration>,
    /// `--webroot DIR` (FILE validation).
    pub webroot: Option<PathBuf>,
    /// `--dns-resolver HOST:PORT`.
    pub dns_resolver: Option<String>,
    /// `--propagation-timeout DUR`.
    pub propagation_timeout: Option<Duration>,
    /// `--http-via HOST:PORT`.
    pub http_via: Option<String>,
}

impl ValidationSettings {
    /// Whether these settings choose a provider (`dns`, `dns_hook` or
    /// `webroot`).
    pub fn chooses(&self) -> bool {
        self.dns.is_some() || self.dns_hook.is_some() || self.webroot.is_some()
    }

    /// These settings over `base`: each one given here wins; the choice of
    /// provider (`dns`, `dns_hook`, `webroot`) is taken as a whole, from
    /// here when these settings make one.
    pub fn over(self, base: &ValidationSettings) -> ValidationSettings {
        let (dns, dns_hook, webroot) = if self.chooses() {
            (self.dns, self.dns_hook, self.webroot)
        } else {
            (base.dns, base.dns_hook.clone(), base.webroot.clone())
        };
        ValidationSettings {
            dns,
            dns_hook,
            webroot,
            dns_endpoint: self.dns_endpoint.or_else(|| base.dns_endpoint.clone()),
            dns_server: self.dns_server.or_else(|| base.dns_server.clone()),
            tsig_key_file: self.tsig_key_file.or_else(|| base.tsig_key_file.clone()),
            hook_timeout: self.hook_timeout.or(base.hook_timeout),
            dns_resolver: self.dns_resolver.or_else(|| base.dns_resolver.clone()),
            propagation_timeout: self.propagation_timeout.or(base.propagation_timeout),
            http_via: self.http_via.or_else(|| base.http_via.clone()),
        }
    }

    /// The validation these settings ask for (`None`: they choose no
    /// provider, the journal's choice stands). `alidns_endpoint` is where
    /// `alidns` publishes without `dns_endpoint`. Paths are made absolute.
    ///
    /// # Errors
    /// [`Error::Input`] naming the settings that do not go together or are
    /// missing.
    pub fn validation(
        &self,
        alidns_endpoint: &str,
        spelling: Spelling,
    ) -> Result<Option<Validation>> {
        let name = |k: &str| spelling.name(k);
        if let Some(dir) = &self.webroot {
            if let Some(p) = self.dns {
                return Err(Error::input(format!(
                    "{} serves FILE validation; it does not go with {}",
                    name("webroot"),
                    spelling.dns(p)
                )));
            }
            if self.dns_hook.is_some() {
                return Err(Error::input(format!(
                    "{} serves FILE validation; it does not go with {}",
                    name("webroot"),
                    name("dns_hook")
                )));
            }
            return Ok(Some(Validation::Provider(ProviderSpec::Webroot {
                dir: absolute(dir),
            })));
        }
        let provider = match (self.dns, &self.dns_hook) {
            (Some(ProviderName::Hook) | None, Some(_)) => ProviderName::Hook,
            (Some(p), Some(_)) => {
                return Err(Error::input(format!(
                    "{} runs your command as the provider; it does not go with {}",
                    name("dns_hook"),
                    spelling.dns(p)
                )));
            }
            (Some(p), None) => p,
            (None, None) => return Ok(None),
        };
        let spec = match provider {
            ProviderName::Manual => return Ok(Some(Validation::Manual)),
            ProviderName::Alidns => ProviderSpec::Alidns {
                endpoint: self
                    .dns_endpoint
                    .clone()
                    .unwrap_or_else(|| alidns_endpoint.to_owned()),
            },
            ProviderName::Rfc2136 => {
                let (Some(server), Some(key)) = (&self.dns_server, &self.tsig_key_file) else {
                    let missing: Vec<String> = [
                        ("dns_server", " HOST[:PORT]", self.dns_server.is_none()),
                        ("tsig_key_file", " FILE", self.tsig_key_file.is_none()),
                    ]
                    .into_iter()
                    .filter(|(_, _, m)| *m)
                    .map(|(k, v, _)| match spelling {
                        Spelling::Flags => format!("{}{v}", name(k)),
                        Spelling::Manifest => name(k),
                    })
                    .collect();
                    return Err(Error::input(format!(
                        "{} needs {}: the zone's primary server and the TSIG key that may \
                         update it (README, \"Hands-off validation\")",
                        spelling.dns(ProviderName::Rfc2136),
                        missing.join(" and ")
                    )));
                };
                ProviderSpec::Rfc2136 {
                    server: server.clone(),
                    tsig_key_file: absolute(key),
                }
            }
            ProviderName::Hook => {
                let Some(command) = &self.dns_hook else {
                    return Err(Error::input(format!(
                        "{} needs {}: the command that publishes",
                        spelling.dns(ProviderName::Hook),
                        name("dns_hook")
                    )));
                };
                ProviderSpec::Hook {
                    command: command.clone(),
                    timeout_secs: self
                        .hook_timeout
                        .unwrap_or(DEFAULT_HOOK_TIMEOUT)
                        .as_secs()
                        .max(1),
                }
            }
        };
        Ok(Some(Validation::Provider(spec)))
    }

    /// The propagation settings (`dns_resolver`, `propagation_timeout`,
    /// `http_via`).
    pub fn propagation(&self) -> PropagationSettings {
        PropagationSettings {
            resolver: self.dns_resolver.clone(),
            timeout: self.propagation_timeout,
            http_via: self.http_via.clone(),
        }
    }
}

fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_owned())
}

/// The longest duration accepted: a year and a day.
const MAX_DURATION: Duration = Duration::from_secs(366 * 86_400);

/// Parses `90`, `90s`, `30m`, `2h`, `1d`, up to 366 days; every step of the
/// arithmetic is checked.
///
/// # Errors
/// A sentence saying what is wrong with `s`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration such as 90s, 30m or 2h"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{s:?}: use s, m, h or d, as in 90s, 30m or 2h")),
    };
    let d = n
        .checked_mul(scale)
        .map(Duration::from_secs)
        .filter(|d| *d <= MAX_DURATION && Instant::now().checked_add(*d).is_some())
        .ok_or_else(|| format!("{s:?} is too long; give at most 366d"))?;
    Ok(d)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn entry_settings_win_and_the_provider_is_chosen_as_a_whole() {
        let defaults = ValidationSettings {
            dns: Some(ProviderName::Alidns),
            dns_resolver: Some("127.0.0.1:53".into()),
            ..ValidationSettings::default()
        };
        let entry = ValidationSettings {
            webroot: Some("/srv/www".into()),
            ..ValidationSettings::default()
        };
        let merged = entry.over(&defaults);
        assert_eq!(merged.dns, None, "the entry's webroot replaces alidns");
        assert_eq!(merged.dns_resolver.as_deref(), Some("127.0.0.1:53"));
        assert_eq!(
            merged.validation("x", Spelling::Manifest).unwrap(),
            Some(Validation::Provider(ProviderSpec::Webroot {
                dir: "/srv/www".into()
            }))
        );
        let plain = ValidationSettings::default().over(&defaults);
        assert_eq!(plain.dns, Some(ProviderName::Alidns));
    }

    #[test]
    fn messages_name_the_settings_as_the_user_wrote_them() {
        let s = ValidationSettings {
            dns: Some(ProviderName::Rfc2136),
            ..ValidationSettings::default()
        };
        let flags = s.validation("x", Spelling::Flags).unwrap_err().to_string();
        assert!(
            flags.contains("--dns rfc2136 needs --dns-server HOST[:PORT] and --tsig-key-file FILE"),
            "{flags}"
        );
        let keys = s
            .validation("x", Spelling::Manifest)
            .unwrap_err()
            .to_string();
        assert!(
            keys.contains("dns = \"rfc2136\" needs dns_server and tsig_key_file"),
            "{keys}"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("2h").unwrap(), Duration::from_secs(7200));
        assert!(parse_duration("367d").is_err());
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}
