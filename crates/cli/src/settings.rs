//! `csrkit.toml`: the project's settings, found in the working directory
//! (or given with `--policy FILE`).
//!
//! ```toml
//! [contact]                 # the applicant, for `apply`
//! name = "Zhang San"
//! phone = "13800000000"
//! email = "ops@example.com"
//!
//! [validate]                # the lint policy (see csrkit_validate::Policy)
//! allowed_domains = ["example.com", "*.example.com"]
//! blocklists = ["blocklists/debian-rsa-2048.txt"]   # relative to this file
//! [validate.severity]
//! V204 = "warning"
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context;
use csrkit_validate::{Blocklist, Policy};
use serde::Deserialize;

/// The file looked for in the working directory.
pub(crate) const SETTINGS_FILE: &str = "csrkit.toml";

/// The applicant's contact.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContactSettings {
    pub(crate) name: Option<String>,
    pub(crate) phone: Option<String>,
    pub(crate) email: Option<String>,
}

/// What `csrkit.toml` says.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    /// `[contact]`.
    pub(crate) contact: ContactSettings,
    /// The lint policy.
    pub(crate) policy: Policy,
}

impl Settings {
    /// Reads `explicit`, else `./csrkit.toml` if it exists, else defaults.
    pub(crate) fn load(explicit: Option<&Path>) -> anyhow::Result<Settings> {
        let path = match explicit {
            Some(p) => p.to_owned(),
            None => {
                let p = PathBuf::from(SETTINGS_FILE);
                if !p.exists() {
                    return Ok(Settings::default());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the settings file {}", path.display()))?;
        let mut policy = Policy::from_toml(&text).with_context(|| format!("{}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        for file in policy.blocklist_files().to_vec() {
            let list = load_blocklist(&base.join(&file))
                .with_context(|| format!("{}: blocklists", path.display()))?;
            policy.add_blocklist(list);
        }
        let root: toml::Table = text
            .parse()
            .with_context(|| format!("{} is not valid TOML", path.display()))?;
        let contact = match root.get("contact") {
            Some(v) => v.clone().try_into().with_context(|| {
                format!("{}: [contact] takes name, phone and email", path.display())
            })?,
            None => ContactSettings::default(),
        };
        Ok(Settings { contact, policy })
    }
}

/// Reads a key blocklist (`--blocklist`, or `blocklists` in csrkit.toml).
pub(crate) fn load_blocklist(path: &Path) -> anyhow::Result<Blocklist> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the blocklist {}: give a file of key fingerprints, one per line",
            path.display()
        )
    })?;
    let name = path.display().to_string();
    Ok(Blocklist::parse(&name, &text)?)
}
