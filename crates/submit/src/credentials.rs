//! Access keys, STS tokens and where to find them.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::error::Error;

const REDACTED: &str = "** redacted **";

/// Environment variable holding the AccessKey ID.
pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
/// Environment variable holding the AccessKey secret.
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
/// Environment variable holding an STS security token.
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
/// Environment variable naming the profile to use.
pub const ENV_PROFILE: &str = "ALIBABA_CLOUD_PROFILE";
/// Environment variable naming the INI credentials file.
pub const ENV_CREDENTIALS_FILE: &str = "ALIBABA_CLOUD_CREDENTIALS_FILE";
/// Set to `true` to skip the aliyun CLI's `config.json`.
pub const ENV_CLI_PROFILE_DISABLED: &str = "ALIBABA_CLOUD_CLI_PROFILE_DISABLED";

/// An AccessKey secret. Zeroed when dropped; `Debug` prints `** redacted **`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKeySecret(Zeroizing<String>);

impl AccessKeySecret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        AccessKeySecret(Zeroizing::new(secret.into()))
    }

    /// The secret itself, for the HMAC key and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// An STS security token. Zeroed when dropped; `Debug` prints `** redacted **`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecurityToken(Zeroizing<String>);

impl SecurityToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        SecurityToken(Zeroizing::new(token.into()))
    }

    /// The token itself, for the `x-acs-security-token` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecurityToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Where a set of [`Credentials`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Provider {
    /// Built in code with [`Credentials::new`].
    Static,
    /// `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` / `_SECURITY_TOKEN`.
    Env,
    /// The aliyun CLI's `~/.aliyun/config.json`.
    CliProfile,
    /// `~/.alibabacloud/credentials.ini` (or `ALIBABA_CLOUD_CREDENTIALS_FILE`).
    ProfileFile,
}

impl Provider {
    /// The name the official SDKs report, e.g. `default/env`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Static => "static",
            Provider::Env => "default/env",
            Provider::CliProfile => "default/cli_profile",
            Provider::ProfileFile => "default/profile_file",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An AccessKey pair, optionally with an STS token.
///
/// When `Credentials` is dropped its secret and token are zeroed in memory.
/// `Debug` prints the key ID and the provider, never the secret or the token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: AccessKeySecret,
    security_token: Option<SecurityToken>,
    provider: Provider,
}

impl Credentials {
    /// Credentials given in code (provider [`Provider::Static`]).
    pub fn new(access_key_id: &str, access_key_secret: &str, security_token: Option<&str>) -> Self {
        Credentials {
            access_key_id: access_key_id.to_string(),
            access_key_secret: AccessKeySecret::new(access_key_secret),
            security_token: security_token.map(SecurityToken::new),
            provider: Provider::Static,
        }
    }

    /// The AccessKey ID (not a secret: it travels in `Authorization`).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The AccessKey secret.
    pub fn access_key_secret(&self) -> &AccessKeySecret {
        &self.access_key_secret
    }

    /// The STS token, if these are temporary credentials.
    pub fn security_token(&self) -> Option<&SecurityToken> {
        self.security_token.as_ref()
    }

    /// Where these credentials were found.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// Resolves credentials from the process environment and home directory.
    /// Shorthand for `CredentialSources::from_process(profile).resolve()`.
    ///
    /// # Errors
    /// See [`CredentialSources::resolve`].
    pub fn from_env(profile: Option<&str>) -> Result<Self, Error> {
        CredentialSources::from_process(profile.map(str::to_string)).resolve()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &self.access_key_secret)
            .field("security_token", &self.security_token)
            .field("provider", &self.provider.name())
            .finish()
    }
}

/// The places [`CredentialSources::resolve`] looks into, made explicit so
/// tests never touch the process environment.
#[derive(Debug, Clone, Default)]
pub struct CredentialSources {
    /// Environment variables (only the `ALIBABA_CLOUD_*` ones are read).
    pub env: HashMap<String, String>,
    /// The home directory (`~`), if there is one.
    pub home: Option<PathBuf>,
    /// A profile name given explicitly (the CLI's `--profile`).
    pub profile: Option<String>,
}

fn non_empty(s: Option<&String>) -> Option<&str> {
    s.map(String::as_str).filter(|s| !s.is_empty())
}

impl CredentialSources {
    /// The current process's environment and home directory (`$HOME`, or
    /// `%USERPROFILE%` on Windows), with an optional explicit profile.
    pub fn from_process(profile: Option<String>) -> Self {
        let env: HashMap<String, String> = std::env::vars()
            .filter(|(k, _)| k.starts_with("ALIBABA_CLOUD_") || k == "HOME" || k == "USERPROFILE")
            .collect();
        let home = non_empty(env.get("HOME"))
            .or_else(|| non_empty(env.get("USERPROFILE")))
            .map(PathBuf::from);
        CredentialSources { env, home, profile }
    }

    /// Finds credentials.
    ///
    /// Resolution order (the first source that has credentials wins):
    ///
    /// 1. Environment: `ALIBABA_CLOUD_ACCESS_KEY_ID` and
    ///    `ALIBABA_CLOUD_ACCESS_KEY_SECRET`, both non-empty, plus
    ///    `ALIBABA_CLOUD_SECURITY_TOKEN` if set and non-empty
    ///    (provider `default/env`). Each may instead come from the file
    ///    that `<VAR>_FILE` names (e.g. `ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE`,
    ///    trailing newline removed), so a secret need not sit in the
    ///    environment; the variable itself wins when both are set.
    /// 2. The aliyun CLI's `~/.aliyun/config.json`, unless
    ///    `ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true`. The profile is the
    ///    explicit one ([`CredentialSources::profile`], the CLI's
    ///    `--profile`), else `ALIBABA_CLOUD_PROFILE`, else the file's
    ///    `current`. Modes `AK` and `StsToken` are supported; any other mode
    ///    is an error that names the mode and the profile. Empty strings count
    ///    as absent and unknown keys are ignored (provider
    ///    `default/cli_profile`).
    /// 3. The INI file `ALIBABA_CLOUD_CREDENTIALS_FILE`, else
    ///    `~/.alibabacloud/credentials.ini`; section = the explicit profile,
    ///    else `ALIBABA_CLOUD_PROFILE`, else `default`; `type = access_key`
    ///    with `access_key_id` and `access_key_secret`
    ///    (provider `default/profile_file`).
    ///
    /// A source that exists but is broken (unreadable JSON, a named profile
    /// with an unsupported mode or an empty key) stops the search with an
    /// error naming the file and the profile, rather than silently falling
    /// through to another account's keys.
    ///
    /// # Errors
    /// [`Error::Credentials`] naming the source at fault, or listing every
    /// source tried when none had credentials.
    pub fn resolve(&self) -> Result<Credentials, Error> {
        let mut tried: Vec<String> = Vec::new();

        // 1. environment (each variable, or the file its `_FILE` twin names)
        let id = self.env_or_file(ENV_ACCESS_KEY_ID)?;
        let secret = self.env_or_file(ENV_ACCESS_KEY_SECRET)?;
        match (&id, &secret) {
            (Some(id), Some(secret)) => {
                let token = self.env_or_file(ENV_SECURITY_TOKEN)?;
                let mut c = Credentials::new(id, secret, token.as_deref().map(String::as_str));
                c.provider = Provider::Env;
                return Ok(c);
            }
            (Some(_), None) => tried.push(format!(
                "env: {ENV_ACCESS_KEY_ID} is set but {ENV_ACCESS_KEY_SECRET}(_FILE) is empty or unset"
            )),
            (None, Some(_)) => tried.push(format!(
                "env: {ENV_ACCESS_KEY_SECRET} is set but {ENV_ACCESS_KEY_ID}(_FILE) is empty or unset"
            )),
            (None, None) => tried.push(format!(
                "env: {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET} are not set"
            )),
        }

        let env_profile = non_empty(self.env.get(ENV_PROFILE));
        let chosen_profile = self
            .profile
            .as_deref()
            .filter(|p| !p.is_empty())
            .or(env_profile);

        // 2. aliyun CLI config.json
        let cli_disabled = self
            .env
            .get(ENV_CLI_PROFILE_DISABLED)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if cli_disabled {
            tried.push(format!(
                "cli_profile: skipped ({ENV_CLI_PROFILE_DISABLED}=true)"
            ));
        } else if let Some(home) = &self.home {
            let path = home.join(".aliyun").join("config.json");
            match read_optional(&path)? {
                None => tried.push(format!("cli_profile: {} does not exist", path.display())),
                Some(text) => match cli_profile(&path, &text, chosen_profile)? {
                    Some(c) => return Ok(c),
                    None => tried.push(format!(
                        "cli_profile: {} has no profile named {:?}",
                        path.display(),
                        chosen_profile.unwrap_or("(current)")
                    )),
                },
            }
        } else {
            tried.push("cli_profile: no home directory".to_string());
        }

        // 3. credentials.ini
        let section = chosen_profile.unwrap_or("default");
        let explicit_file = non_empty(self.env.get(ENV_CREDENTIALS_FILE)).map(PathBuf::from);
        let ini_path = explicit_file.clone().or_else(|| {
            self.home
                .as_ref()
                .map(|h| h.join(".alibabacloud").join("credentials.ini"))
        });
        match ini_path {
            None => tried.push("profile_file: no home directory".to_string()),
            Some(path) => match read_optional(&path)? {
                None if explicit_file.is_some() => {
                    return Err(Error::Credentials {
                        source_name: Provider::ProfileFile.name().to_string(),
                        detail: format!(
                            "{ENV_CREDENTIALS_FILE} names {}, which does not exist; fix the path or unset the variable",
                            path.display()
                        ),
                    });
                }
                None => tried.push(format!("profile_file: {} does not exist", path.display())),
                Some(text) => match ini_profile(&path, &text, section)? {
                    Some(c) => return Ok(c),
                    None => tried.push(format!(
                        "profile_file: {} has no section [{section}]",
                        path.display()
                    )),
                },
            },
        }

        Err(Error::Credentials {
            source_name: "default".to_string(),
            detail: format!(
                "unable to get credentials from any of the providers in the chain: {}. \
                 Set {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET}, or run `aliyun configure`",
                tried.join("; ")
            ),
        })
    }
}

impl CredentialSources {
    /// `VAR` if non-empty, else the content of the file `VAR_FILE` names
    /// (trailing line ends removed), else `None`.
    fn env_or_file(&self, var: &str) -> Result<Option<Zeroizing<String>>, Error> {
        if let Some(v) = non_empty(self.env.get(var)) {
            return clean_value(v, &format!("{var}(_FILE)"), Provider::Env.name());
        }
        let file_var = format!("{var}_FILE");
        let Some(path) = non_empty(self.env.get(&file_var)) else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map(Zeroizing::new).map_err(|e| Error::Credentials {
            source_name: Provider::Env.name().to_string(),
            detail: format!("{file_var} names {path}, which cannot be read: {e}; fix the path or unset {file_var}"),
        })?;
        clean_value(&text, &format!("{var}(_FILE)"), Provider::Env.name())
    }
}

/// A credential as it will be used: trimmed of surrounding whitespace (a
/// value pasted with a trailing space or newline), and refused when
/// whitespace or a control character remains inside (a token wrapped over
/// two lines), which no header can carry. `None` when empty. The error
/// names `what` and never quotes the value.
fn clean_value(raw: &str, what: &str, source: &str) -> Result<Option<Zeroizing<String>>, Error> {
    let value = raw.trim();
    if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::Credentials {
            source_name: source.to_string(),
            detail: format!(
                "{what} has a line break, space or control character inside its value; \
                 put the whole value on one line"
            ),
        });
    }
    Ok((!value.is_empty()).then(|| Zeroizing::new(value.to_string())))
}

fn read_optional(path: &Path) -> Result<Option<Zeroizing<String>>, Error> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(Zeroizing::new(s))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Credentials {
            source_name: path.display().to_string(),
            detail: format!("cannot read the file: {e}; check its permissions"),
        }),
    }
}

#[derive(Deserialize)]
struct CliConfig {
    #[serde(default)]
    current: Option<String>,
    #[serde(default)]
    profiles: Vec<CliProfile>,
}

#[derive(Deserialize)]
struct CliProfile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    access_key_id: Option<String>,
    #[serde(default)]
    access_key_secret: Option<String>,
    #[serde(default)]
    sts_token: Option<String>,
}

impl Drop for CliProfile {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.access_key_secret.zeroize();
        self.sts_token.zeroize();
    }
}

fn cli_profile(
    path: &Path,
    text: &str,
    chosen: Option<&str>,
) -> Result<Option<Credentials>, Error> {
    let file_err = |detail: String| Error::Credentials {
        source_name: format!("{} ({})", Provider::CliProfile.name(), path.display()),
        detail,
    };
    let config: CliConfig = serde_json::from_str(text).map_err(|e| {
        file_err(format!(
            "not valid aliyun CLI configuration JSON: {e}; repair it with `aliyun configure`"
        ))
    })?;
    let wanted = match chosen.or(config.current.as_deref().filter(|c| !c.is_empty())) {
        Some(w) => w.to_string(),
        None => return Ok(None),
    };
    let Some(profile) = config
        .profiles
        .iter()
        .find(|p| p.name.as_deref() == Some(wanted.as_str()))
    else {
        return Ok(None);
    };
    let mode = profile.mode.as_deref().unwrap_or("");
    let sts = match mode {
        "AK" => false,
        "StsToken" => true,
        "" => {
            return Err(file_err(format!(
                "profile {wanted:?} has no mode; set it up again with `aliyun configure --profile {wanted}`"
            )));
        }
        other => {
            return Err(file_err(format!(
                "profile {wanted:?} uses mode {other}, which is not supported yet (only AK and StsToken are); \
                 choose another profile with --profile or set {ENV_ACCESS_KEY_ID}/{ENV_ACCESS_KEY_SECRET}"
            )));
        }
    };
    let source = format!("{} ({})", Provider::CliProfile.name(), path.display());
    let field = |name: &str, v: &Option<String>| {
        clean_value(
            v.as_deref().unwrap_or_default(),
            &format!("profile {wanted:?}'s {name}"),
            &source,
        )
    };
    let id = field("access_key_id", &profile.access_key_id)?;
    let secret = field("access_key_secret", &profile.access_key_secret)?;
    let token = field("sts_token", &profile.sts_token)?;
    let (id, secret, token) = (
        id.as_deref().map(String::as_str),
        secret.as_deref().map(String::as_str),
        token.as_deref().map(String::as_str),
    );
    let (Some(id), Some(secret)) = (id, secret) else {
        return Err(file_err(format!(
            "profile {wanted:?} (mode {mode}) has an empty access_key_id or access_key_secret; \
             set it up again with `aliyun configure --profile {wanted}`"
        )));
    };
    if sts && token.is_none() {
        return Err(file_err(format!(
            "profile {wanted:?} (mode StsToken) has an empty sts_token; \
             set it up again with `aliyun configure --profile {wanted}`"
        )));
    }
    let mut c = Credentials::new(id, secret, if sts { token } else { None });
    c.provider = Provider::CliProfile;
    Ok(Some(c))
}

fn ini_profile(path: &Path, text: &str, section: &str) -> Result<Option<Credentials>, Error> {
    let file_err = |detail: String| Error::Credentials {
        source_name: format!("{} ({})", Provider::ProfileFile.name(), path.display()),
        detail,
    };
    let mut in_section = false;
    let mut found = false;
    let mut values: HashMap<String, Zeroizing<String>> = HashMap::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix('[') {
            let name = rest.strip_suffix(']').unwrap_or(rest).trim();
            in_section = name == section;
            found |= in_section;
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            // Strip an inline comment introduced by " ;" or " #".
            let v = v.trim();
            let v = v
                .split_once(" ;")
                .or_else(|| v.split_once(" #"))
                .map_or(v, |(before, _)| before)
                .trim();
            let v = v.trim_matches('"');
            values.insert(k.trim().to_ascii_lowercase(), Zeroizing::new(v.to_string()));
        }
    }
    if !found {
        return Ok(None);
    }
    let get = |k: &str| values.get(k).map(|v| v.as_str()).filter(|v| !v.is_empty());
    match get("type") {
        Some("access_key") => {}
        Some(other) => {
            return Err(file_err(format!(
                "section [{section}] has type = {other}, which is not supported yet (only access_key is)"
            )));
        }
        None => {
            return Err(file_err(format!(
                "section [{section}] has no type; add `type = access_key`"
            )));
        }
    }
    let source = format!("{} ({})", Provider::ProfileFile.name(), path.display());
    let id = clean_value(
        get("access_key_id").unwrap_or_default(),
        &format!("[{section}] access_key_id"),
        &source,
    )?;
    let secret = clean_value(
        get("access_key_secret").unwrap_or_default(),
        &format!("[{section}] access_key_secret"),
        &source,
    )?;
    let (Some(id), Some(secret)) = (id.as_deref(), secret.as_deref()) else {
        return Err(file_err(format!(
            "section [{section}] needs non-empty access_key_id and access_key_secret"
        )));
    };
    let mut c = Credentials::new(id, secret, None);
    c.provider = Provider::ProfileFile;
    Ok(Some(c))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failing test should panic
mod tests {
    use super::*;

    #[test]
    fn debug_impl() {
        let c = Credentials::new("AKIDEXAMPLE", "TEST-SECRET-do-not-print", Some("TOKEN-x"));
        assert_eq!(
            format!("{c:?}"),
            "Credentials { access_key_id: \"AKIDEXAMPLE\", access_key_secret: ** redacted **, \
             security_token: Some(** redacted **), provider: \"static\" }"
        );
        let c = Credentials::new("AKIDEXAMPLE", "TEST-SECRET-do-not-print", None);
        assert_eq!(
            format!("{c:?}"),
            "Credentials { access_key_id: \"AKIDEXAMPLE\", access_key_secret: ** redacted **, \
             security_token: None, provider: \"static\" }"
        );
        assert_eq!(format!("{:?}", AccessKeySecret::new("s")), "** redacted **");
        assert_eq!(format!("{:?}", SecurityToken::new("s")), "** redacted **");
    }

    #[test]
    fn ini_parsing() {
        let text = "[default]\ntype = access_key ; comment\naccess_key_id = foo\naccess_key_secret = bar\n\n[other]\ntype = ecs_ram_role\nrole_name = x\n";
        let p = Path::new("x.ini");
        let c = ini_profile(p, text, "default").unwrap().unwrap();
        assert_eq!(c.access_key_id(), "foo");
        assert_eq!(c.access_key_secret().expose(), "bar");
        assert!(ini_profile(p, text, "missing").unwrap().is_none());
        let e = ini_profile(p, text, "other").unwrap_err().to_string();
        assert!(e.contains("ecs_ram_role") && e.contains("[other]"), "{e}");
    }
}
