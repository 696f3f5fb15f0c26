//! Manifests: many certificates in one TOML file (DESIGN.md "Manifests"),
//! for `csrkit apply --manifest` and `csrkit renew --manifest`.
//!
//! ```toml
//! [defaults]
//! product_code = "digicert-free-1-free"
//! dns = "alidns"
//! deploy_hook = "systemctl reload nginx"
//!
//! [[certificate]]
//! name = "shop"
//! domains = ["shop.example.com", "www.shop.example.com"]
//! dir = "certs/shop"              # default: ./<first domain>/, beside the manifest
//! key_type = "p256"
//! deploy = ["cdn:shop.example.com", "alb:lb-123/listener-443"]
//! ```
//!
//! Every key of `[defaults]` may also be given per certificate, where it
//! wins: `key_type`, `validate_type`, `product_code`, `tags` (a table),
//! `allow` (lint findings that do not stop the order), the validation
//! provider and its settings as apply's flags name them (`dns`,
//! `dns_endpoint`, `dns_server`, `tsig_key_file`, `dns_hook`,
//! `hook_timeout`, `webroot`, `dns_resolver`, `propagation_timeout`,
//! `http_via`), `deploy_hook` and `deploy`. `post_hook` (once per run) is a
//! default only; `name`, `domains` and `dir` belong to a certificate. The
//! choice of provider (`dns`, `dns_hook`, `webroot`) is taken as a whole:
//! a certificate that names one replaces the default's. Relative paths
//! (`dir`, `tsig_key_file`, `webroot`) are relative to the manifest.
//!
//! Parsing is strict: an unknown key, a value of the wrong type, a
//! malformed name, a duplicate `name` or `dir`, settings that do not go
//! together: each is an error naming the line, and nothing is done.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use csrkit_csr::{CsrRequest, KeyType};
use csrkit_submit::{Tag, ValidateType};
use serde::Deserialize;
use toml::Spanned;

use crate::error::{Error, Result};
use crate::plan::check_tags;
use crate::request::Request;
use crate::settings::{ProviderName, Spelling, ValidationSettings, parse_duration};

/// A manifest, read and checked.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Manifest {
    /// The file it was read from.
    pub path: PathBuf,
    /// `[defaults] post_hook`: run once after the whole run.
    pub post_hook: Option<String>,
    /// The certificates, in the file's order.
    pub certificates: Vec<ManifestEntry>,
    /// What is allowed but may not be meant: a name in two certificates
    /// (each is ordered, each spends a unit of quota). One sentence each.
    pub warnings: Vec<String>,
}

/// One `[[certificate]]`, with the defaults applied.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ManifestEntry {
    /// Its name (`name`, default the first domain); unique in the file.
    pub name: String,
    /// The line of its `[[certificate]]` header.
    pub line: usize,
    /// The names, CN first.
    pub domains: Vec<String>,
    /// The directory (`dir`, default `<first domain>/`), relative to the
    /// manifest's directory when given relative.
    pub dir: PathBuf,
    /// The type of a new key.
    pub key_type: Option<KeyType>,
    /// DNS or FILE.
    pub validate_type: Option<ValidateType>,
    /// The resource plan to spend.
    pub product_code: Option<String>,
    /// The order's tags (`None`: not given).
    pub tags: Option<Vec<Tag>>,
    /// Lint findings that do not stop the order.
    pub allow: Vec<String>,
    /// The validation provider and its settings.
    pub validation: ValidationSettings,
    /// Run after each certificate is installed.
    pub deploy_hook: Option<String>,
    /// `[defaults] post_hook`, recorded in the directory too (so that a
    /// bare `csrkit renew` there runs it).
    pub post_hook: Option<String>,
    /// Deployment targets, as `csrkit deploy --to` takes them
    /// (`cdn:shop.example.com`, a resource id); `None`: not given, `[]`
    /// removes the recorded ones.
    pub deploy: Option<Vec<String>>,
}

/// The keys `[defaults]` and `[[certificate]]` share, as written.
macro_rules! settings_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $name {
            $($(#[$fmeta])* $field: $ty,)*
            key_type: Option<Spanned<String>>,
            validate_type: Option<Spanned<String>>,
            product_code: Option<Spanned<String>>,
            tags: Option<Spanned<BTreeMap<String, String>>>,
            allow: Option<Vec<String>>,
            dns: Option<Spanned<String>>,
            dns_endpoint: Option<String>,
            dns_server: Option<String>,
            tsig_key_file: Option<PathBuf>,
            dns_hook: Option<String>,
            hook_timeout: Option<Spanned<String>>,
            webroot: Option<PathBuf>,
            dns_resolver: Option<String>,
            propagation_timeout: Option<Spanned<String>>,
            http_via: Option<String>,
            deploy_hook: Option<String>,
            deploy: Option<Spanned<Vec<String>>>,
        }
    };
}

settings_struct!(
    /// `[defaults]`.
    #[derive(Default)]
    RawDefaults {
        post_hook: Option<String>,
    }
);

settings_struct!(
    /// One `[[certificate]]`.
    RawEntry {
        name: Option<Spanned<String>>,
        domains: Spanned<Vec<String>>,
        dir: Option<Spanned<PathBuf>>,
    }
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    certificate: Vec<Spanned<RawEntry>>,
}

/// Where errors point: the file and its text.
struct Source<'a> {
    path: &'a Path,
    /// The offset of each newline, to find a line without counting from
    /// the start each time (every entry asks for its line).
    newlines: Vec<usize>,
}

impl<'a> Source<'a> {
    fn new(path: &'a Path, text: &str) -> Source<'a> {
        Source {
            path,
            newlines: text
                .bytes()
                .enumerate()
                .filter_map(|(i, b)| (b == b'\n').then_some(i))
                .collect(),
        }
    }

    /// The 1-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }

    fn error(&self, offset: usize, message: impl std::fmt::Display) -> Error {
        Error::input(format!(
            "{}:{}: {message}",
            self.path.display(),
            self.line(offset)
        ))
    }
}

impl Manifest {
    /// Reads and checks the manifest at `path`.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read; [`Error::Input`] naming the file
    /// and line of the first problem.
    pub fn load(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).map_err(Error::io("read", path))?;
        Manifest::parse(&text, path)
    }

    /// Checks `text` as the manifest at `path` (relative paths in it are
    /// relative to `path`'s directory).
    ///
    /// # Errors
    /// As [`Manifest::load`].
    pub fn parse(text: &str, path: &Path) -> Result<Manifest> {
        let src = Source::new(path, text);
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            Error::input(format!(
                "{} is not a valid manifest: {}",
                path.display(),
                e.to_string().trim_end()
            ))
        })?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if raw.certificate.is_empty() {
            return Err(Error::input(format!(
                "{} lists no certificate: add a [[certificate]] table with its domains",
                path.display()
            )));
        }
        let defaults = Settings::from_defaults(&src, base, &raw.defaults)?;
        if let Some(c) = &raw.defaults.post_hook {
            crate::hooks::check_command("post_hook", c).map_err(|e| src.error(0, e))?;
        }
        let mut certificates: Vec<ManifestEntry> = Vec::new();
        let mut warnings = Vec::new();
        // Indexes of what the certificates so far use, so that a fleet's
        // thousands of entries are not compared pairwise (each comparison
        // of directories resolved links on disk: 1,000 entries took 7.8 s).
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut by_dir: HashMap<PathBuf, usize> = HashMap::new();
        // a domain in lower case → the certificates naming it, in order
        let mut by_domain: HashMap<String, Vec<usize>> = HashMap::new();
        for spanned in &raw.certificate {
            let mut entry = entry(&src, base, &defaults, spanned)?;
            entry.post_hook = raw.defaults.post_hook.clone();
            let at = spanned.span().start;
            if let Some(other) = by_name.get(&entry.name).map(|&i| &certificates[i]) {
                return Err(src.error(
                    at,
                    format!(
                        "the name {:?} is taken by the certificate at line {}; give each a \
                         name of its own",
                        entry.name, other.line
                    ),
                ));
            }
            let dir = normal(&entry.dir);
            if let Some(other) = by_dir.get(&dir).map(|&i| &certificates[i]) {
                return Err(src.error(
                    at,
                    format!(
                        "{:?} uses the directory {} of {:?} (line {}); give each certificate a \
                         dir of its own",
                        entry.name,
                        entry.dir.display(),
                        other.name,
                        other.line
                    ),
                ));
            }
            // per earlier certificate, in order, the domains it shares with
            // this one, in this one's order
            let mut shared: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
            for d in &entry.domains {
                for &i in by_domain.get(&d.to_ascii_lowercase()).into_iter().flatten() {
                    shared.entry(i).or_default().push(d);
                }
            }
            for (i, shared) in shared {
                let other = &certificates[i];
                warnings.push(format!(
                    "{}:{}: {:?} names {} as {:?} (line {}) does: each is a certificate of \
                     its own, ordered and renewed on its own, spending a unit of quota each \
                     (meant for an RSA and an ECDSA certificate of one name); otherwise \
                     remove one",
                    path.display(),
                    entry.line,
                    entry.name,
                    shared.join(", "),
                    other.name,
                    other.line
                ));
            }
            let index = certificates.len();
            by_name.insert(entry.name.clone(), index);
            by_dir.insert(dir, index);
            for d in &entry.domains {
                let list = by_domain.entry(d.to_ascii_lowercase()).or_default();
                if list.last() != Some(&index) {
                    list.push(index);
                }
            }
            certificates.push(entry);
        }
        Ok(Manifest {
            path: path.to_owned(),
            post_hook: raw.defaults.post_hook.clone(),
            certificates,
            warnings,
        })
    }
}

/// The shared keys, checked.
#[derive(Debug, Clone, Default)]
struct Settings {
    key_type: Option<KeyType>,
    validate_type: Option<ValidateType>,
    product_code: Option<String>,
    tags: Option<Vec<Tag>>,
    allow: Option<Vec<String>>,
    validation: ValidationSettings,
    deploy_hook: Option<String>,
    deploy: Option<Vec<String>>,
}

/// Reads the shared keys of a raw table (the same fields in both).
macro_rules! read_settings {
    ($src:expr, $base:expr, $raw:expr) => {{
        let src: &Source<'_> = $src;
        let base: &Path = $base;
        let raw = $raw;
        let mut v = ValidationSettings::default();
        v.dns = raw
            .dns
            .as_ref()
            .map(|s| {
                s.get_ref()
                    .parse::<ProviderName>()
                    .map_err(|e| src.error(s.span().start, format!("dns: {e}")))
            })
            .transpose()?;
        v.dns_endpoint = raw.dns_endpoint.clone();
        v.dns_server = raw.dns_server.clone();
        v.tsig_key_file = raw.tsig_key_file.as_ref().map(|p| base.join(p));
        v.dns_hook = raw.dns_hook.clone();
        v.hook_timeout = duration(src, "hook_timeout", raw.hook_timeout.as_ref())?;
        v.webroot = raw.webroot.as_ref().map(|p| base.join(p));
        v.dns_resolver = raw.dns_resolver.clone();
        v.propagation_timeout =
            duration(src, "propagation_timeout", raw.propagation_timeout.as_ref())?;
        v.http_via = raw.http_via.clone();
        Settings {
            key_type: raw
                .key_type
                .as_ref()
                .map(|s| {
                    s.get_ref()
                        .parse::<KeyType>()
                        .map_err(|e| src.error(s.span().start, format!("key_type: {e}")))
                })
                .transpose()?,
            validate_type: raw
                .validate_type
                .as_ref()
                .map(|s| {
                    s.get_ref()
                        .parse::<ValidateType>()
                        .map_err(|e| src.error(s.span().start, format!("validate_type: {e}")))
                })
                .transpose()?,
            product_code: raw
                .product_code
                .as_ref()
                .map(|s| {
                    let code = s.get_ref().trim();
                    if code.is_empty() || code.chars().any(char::is_control) {
                        return Err(
                            src.error(s.span().start, "product_code is empty or not printable")
                        );
                    }
                    Ok(code.to_owned())
                })
                .transpose()?,
            tags: raw.tags.as_ref().map(|t| tags(src, t)).transpose()?,
            allow: raw.allow.clone(),
            validation: v,
            deploy_hook: raw.deploy_hook.clone(),
            deploy: raw.deploy.as_ref().map(|d| targets(src, d)).transpose()?,
        }
    }};
}

impl Settings {
    fn from_defaults(src: &Source<'_>, base: &Path, raw: &RawDefaults) -> Result<Settings> {
        Ok(read_settings!(src, base, raw))
    }

    /// `self` (a certificate's) over `defaults`.
    fn over(self, defaults: &Settings) -> Settings {
        Settings {
            key_type: self.key_type.or(defaults.key_type),
            validate_type: self.validate_type.or(defaults.validate_type),
            product_code: self.product_code.or_else(|| defaults.product_code.clone()),
            tags: self.tags.or_else(|| defaults.tags.clone()),
            allow: self.allow.or_else(|| defaults.allow.clone()),
            validation: self.validation.over(&defaults.validation),
            deploy_hook: self.deploy_hook.or_else(|| defaults.deploy_hook.clone()),
            deploy: self.deploy.or_else(|| defaults.deploy.clone()),
        }
    }
}

fn entry(
    src: &Source<'_>,
    base: &Path,
    defaults: &Settings,
    spanned: &Spanned<RawEntry>,
) -> Result<ManifestEntry> {
    let raw = spanned.get_ref();
    let at = spanned.span().start;
    let domains = raw.domains.get_ref().clone();
    let names = CsrRequest::new(&domains)
        .map_err(|e| src.error(raw.domains.span().start, format!("domains: {e}")))?;
    let name = match &raw.name {
        Some(n) => {
            let text = n.get_ref().trim();
            if text.is_empty() || text.chars().any(char::is_control) {
                return Err(src.error(
                    n.span().start,
                    "name is empty or holds control characters; give a short printable name",
                ));
            }
            text.to_owned()
        }
        None => domains[0].clone(),
    };
    let dir = match &raw.dir {
        Some(d) if d.get_ref().as_os_str().is_empty() => {
            return Err(src.error(d.span().start, "dir is empty"));
        }
        Some(d) => base.join(d.get_ref()),
        None => base.join(names.domains()[0].file_stem()),
    };
    let own = read_settings!(src, base, raw);
    let s = own.over(defaults);
    if let Some(t) = &s.tags {
        check_tags(t).map_err(|e| src.error(at, e))?;
    }
    if let Some(c) = &s.deploy_hook {
        crate::hooks::check_command("deploy_hook", c).map_err(|e| src.error(at, e))?;
    }
    // The provider's settings go together (the files they name are read
    // when the certificate is prepared).
    s.validation
        .validation("https://alidns.invalid", Spelling::Manifest)
        .map_err(|e| src.error(at, format!("{name}: {e}")))?;
    Ok(ManifestEntry {
        name,
        line: src.line(at),
        domains,
        dir,
        key_type: s.key_type,
        validate_type: s.validate_type,
        product_code: s.product_code,
        tags: s.tags,
        allow: s.allow.unwrap_or_default(),
        validation: s.validation,
        deploy_hook: s.deploy_hook,
        post_hook: None,
        deploy: s.deploy,
    })
}

fn duration(
    src: &Source<'_>,
    key: &str,
    v: Option<&Spanned<String>>,
) -> Result<Option<std::time::Duration>> {
    v.map(|s| {
        parse_duration(s.get_ref()).map_err(|e| src.error(s.span().start, format!("{key}: {e}")))
    })
    .transpose()
}

fn tags(src: &Source<'_>, t: &Spanned<BTreeMap<String, String>>) -> Result<Vec<Tag>> {
    t.get_ref()
        .iter()
        .map(|(k, v)| {
            if k.trim().is_empty() {
                return Err(src.error(t.span().start, "tags: a tag key is empty"));
            }
            Ok(Tag {
                key: k.trim().to_owned(),
                value: v.clone(),
            })
        })
        .collect()
}

/// The deployment targets, checked as `--deploy-to` checks them.
fn targets(src: &Source<'_>, d: &Spanned<Vec<String>>) -> Result<Vec<String>> {
    d.get_ref()
        .iter()
        .map(|t| {
            crate::hooks::recorded_deploy_target(t)
                .map_err(|e| src.error(d.span().start, format!("deploy: {e}")))
        })
        .collect()
}

/// A path made absolute with `.` and `..` resolved, and the part of it
/// that exists resolved through its links (so that `certs/shop` and a link
/// to it are one directory; what does not exist yet is compared by its
/// text).
fn normal(p: &Path) -> PathBuf {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_owned());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    let mut rest = Vec::new();
    let mut existing = out.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            return rest.iter().rev().fold(real, |acc, part| acc.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return out,
        }
    }
}

impl ManifestEntry {
    /// The engine's request for this certificate: `base` (what the command
    /// line says for every certificate: the contact, the policy, waiting,
    /// the lock timeout, the interrupt, and the flags a manifest may
    /// override) with this entry's settings over it. `validation` is the
    /// command line's validation settings, under the entry's; `alidns` is
    /// where `dns = "alidns"` publishes without `dns_endpoint`.
    ///
    /// # Errors
    /// [`Error::Input`] naming the entry when its settings and the command
    /// line's do not go together.
    pub fn request(
        &self,
        base: &Request,
        validation: &ValidationSettings,
        alidns: &str,
    ) -> Result<Request> {
        let mut r = base.clone();
        r.dir = self.dir.clone();
        r.domains = self.domains.clone();
        if self.key_type.is_some() {
            r.key_type = self.key_type;
        }
        if self.validate_type.is_some() {
            r.validate_type = self.validate_type;
        }
        if self.product_code.is_some() {
            r.product_code = self.product_code.clone();
        }
        if let Some(t) = &self.tags {
            r.tags = t.clone();
        }
        r.allow.extend(self.allow.iter().cloned());
        let settings = self.validation.clone().over(validation);
        if let Some(v) = settings
            .validation(alidns, Spelling::Manifest)
            .map_err(|e| Error::input(format!("{} (line {}): {e}", self.name, self.line)))?
        {
            r.validation = v;
        }
        r.propagation = settings.propagation();
        // What runs after installation is recorded in the directory (the
        // journal's `renewal`), where every later `renew` reads it; a key
        // the entry leaves out keeps what the command line (or, without
        // it, the journal) says.
        if let Some(c) = &self.deploy_hook {
            r.renewal.deploy_hook = Some(c.clone());
        }
        if let Some(c) = &self.post_hook {
            r.renewal.post_hook = Some(c.clone());
        }
        if let Some(t) = &self.deploy {
            r.renewal.deploy_to = Some(t.clone());
        }
        Ok(r)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest> {
        Manifest::parse(text, Path::new("/srv/certs.toml"))
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn the_design_example_reads_with_defaults_applied() {
        let m = parse(
            r#"
[defaults]
product_code = "digicert-free-1-free"
dns = "alidns"
deploy_hook = "systemctl reload nginx"
tags = { env = "prod" }

[[certificate]]
name = "shop"
domains = ["shop.example.com", "www.shop.example.com"]
dir = "certs/shop"
key_type = "p256"
deploy = ["cdn:shop.example.com", "alb:lb-123/listener-443"]

[[certificate]]
domains = ["blog.example.com"]
webroot = "www"
validate_type = "file"
tags = {}
"#,
        )
        .unwrap();
        let [shop, blog] = &m.certificates[..] else {
            panic!("{m:?}")
        };
        assert_eq!(shop.name, "shop");
        assert_eq!(shop.line, 8);
        assert_eq!(shop.dir, Path::new("/srv/certs/shop"));
        assert_eq!(shop.key_type, Some(KeyType::P256));
        assert_eq!(shop.product_code.as_deref(), Some("digicert-free-1-free"));
        assert_eq!(shop.validation.dns, Some(ProviderName::Alidns));
        assert_eq!(shop.deploy_hook.as_deref(), Some("systemctl reload nginx"));
        assert_eq!(
            shop.deploy.as_deref().unwrap(),
            ["CDN:shop.example.com", "ALB:lb-123/listener-443"]
        );
        assert_eq!(shop.tags.as_ref().unwrap()[0].key, "env");
        assert_eq!(blog.name, "blog.example.com");
        assert_eq!(blog.dir, Path::new("/srv/blog.example.com"));
        assert_eq!(blog.validation.dns, None, "its webroot replaces alidns");
        assert_eq!(blog.validation.webroot, Some(PathBuf::from("/srv/www")));
        assert_eq!(
            blog.tags.as_deref(),
            Some(&[][..]),
            "an empty table clears the tags"
        );
        assert_eq!(blog.deploy, None);
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_line() {
        let e = err("[[certificate]]\ndomains = [\"a.example.com\"]\nkey_tpye = \"p256\"\n");
        assert!(e.contains("line 3") && e.contains("key_tpye"), "{e}");
        let e = err("[defaults]\ncolour = 1\n[[certificate]]\ndomains = [\"a.example.com\"]\n");
        assert!(e.contains("line 2") && e.contains("colour"), "{e}");
        let e = err("[[certificate]]\ndomains = \"a.example.com\"\n");
        assert!(e.contains("line 2"), "{e}");
        let e = err("[[certificat]]\ndomains = [\"a.example.com\"]\n");
        assert!(e.contains("certificat"), "{e}");
    }

    #[test]
    fn bad_values_name_the_line_and_the_key() {
        let cases = [
            ("key_type = \"p999\"", "key_type"),
            (
                "dns = \"route53\"",
                "dns: \"route53\" is not a DNS provider",
            ),
            (
                "propagation_timeout = \"10 minutes\"",
                "propagation_timeout",
            ),
            ("deploy = [\"nowhere\"]", "deploy:"),
            ("validate_type = \"http\"", "validate_type"),
            ("dns = \"rfc2136\"", "needs dns_server and tsig_key_file"),
            (
                "webroot = \"w\"\ndns = \"alidns\"",
                "does not go with dns = \"alidns\"",
            ),
        ];
        for (line, expect) in cases {
            let e = err(&format!(
                "[[certificate]]\nname = \"x\"\ndomains = [\"a.example.com\"]\n{line}\n"
            ));
            assert!(e.contains(expect), "{line}: {e}");
            assert!(e.starts_with("/srv/certs.toml:"), "{line}: {e}");
        }
        let e = err("[[certificate]]\n\ndomains = [\"a..example.com\"]\n");
        assert!(e.starts_with("/srv/certs.toml:3: domains:"), "{e}");
    }

    #[test]
    fn duplicate_names_and_directories_are_refused() {
        let e = err(
            "[[certificate]]\nname = \"a\"\ndomains = [\"a.example.com\"]\n\
             [[certificate]]\nname = \"a\"\ndomains = [\"b.example.com\"]\n",
        );
        assert!(
            e.contains(":4:") && e.contains("taken by the certificate at line 1"),
            "{e}"
        );
        let e = err("[[certificate]]\ndomains = [\"a.example.com\"]\n\
             [[certificate]]\nname = \"other\"\ndomains = [\"b.example.com\"]\ndir = \"x/../a.example.com\"\n");
        assert!(e.contains(":3:") && e.contains("uses the directory"), "{e}");
        let e = err("[defaults]\ndns = \"alidns\"\n");
        assert!(e.contains("lists no certificate"), "{e}");
    }

    /// A link to another entry's directory is that directory: refused.
    #[test]
    fn a_directory_named_through_a_link_is_the_same_directory() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("certs/shop")).unwrap();
        std::os::unix::fs::symlink("certs/shop", tmp.path().join("alias")).unwrap();
        let text = "[[certificate]]\nname = \"shop\"\ndomains = [\"shop.example.com\"]\n\
                    dir = \"certs/shop\"\n[[certificate]]\nname = \"again\"\n\
                    domains = [\"again.example.com\"]\ndir = \"alias/sub/..\"\n";
        let e = Manifest::parse(text, &tmp.path().join("m.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("uses the directory") && e.contains("\"shop\""),
            "{e}"
        );
        // A directory that does not exist yet under the link, too.
        let text = text
            .replace("certs/shop\"", "certs/shop/new\"")
            .replace("alias/sub/..", "alias/new");
        let e = Manifest::parse(&text, &tmp.path().join("m.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("uses the directory"), "{e}");
    }

    /// A name in two certificates is allowed (an RSA and an ECDSA
    /// certificate of one name) and said.
    #[test]
    fn a_name_in_two_certificates_is_a_warning_naming_both_lines() {
        let m = parse(
            "[[certificate]]\nname = \"ec\"\ndomains = [\"shop.example.com\"]\n\
             [[certificate]]\nname = \"rsa\"\ndomains = [\"www.example.com\", \"SHOP.example.com\"]\n\
             dir = \"rsa\"\nkey_type = \"rsa2048\"\n",
        )
        .unwrap();
        assert_eq!(m.certificates.len(), 2);
        let [w] = &m.warnings[..] else {
            panic!("{:?}", m.warnings)
        };
        assert!(
            w.contains(":4:") && w.contains("SHOP.example.com") && w.contains("(line 1)"),
            "{w}"
        );
    }

    /// A fleet's manifest: 3,000 certificates, a name shared every 500th
    /// with the first (in another case), one certificate sharing two names
    /// with two earlier ones: a warning for each pair, in order, naming
    /// both lines; then a directory reused at the end is still found. (The checks compared every pair of entries,
    /// resolving both directories on disk each time, and counted each
    /// entry's line from the top: 1,000 entries took 7.8 s to read, 4,000
    /// took 120 s; now 0.03 s and 0.18 s.)
    #[test]
    fn a_fleet_manifest_is_checked_by_index() {
        let mut text = String::new();
        for i in 0..3_000 {
            let extra = if i > 0 && i % 500 == 0 {
                ", \"H0.example.com\""
            } else {
                ""
            };
            text.push_str(&format!(
                "[[certificate]]\ndomains = [\"h{i}.example.com\"{extra}]\n"
            ));
        }
        text.push_str(
            "[[certificate]]\nname = \"both\"\ndomains = [\"h7.example.com\", \"x.example.com\", \"h3.example.com\"]\ndir = \"both\"\n",
        );
        let m = parse(&text).unwrap();
        assert_eq!(m.certificates.len(), 3_001);
        // each of the five later holders of H0 is told of every earlier one
        assert_eq!(m.warnings.len(), 1 + 2 + 3 + 4 + 5 + 2, "{:?}", m.warnings);
        assert!(
            m.warnings[0].contains(":1001:")
                && m.warnings[0].contains("H0.example.com as \"h0.example.com\" (line 1)"),
            "{}",
            m.warnings[0]
        );
        assert!(m.warnings[14].contains(":5001:") && m.warnings[14].contains("(line 4001)"));
        let last = &m.warnings[15..];
        assert!(
            last[0].contains("h3.example.com as \"h3.example.com\" (line 7)"),
            "{}",
            last[0]
        );
        assert!(
            last[1].contains("h7.example.com as \"h7.example.com\" (line 15)"),
            "{}",
            last[1]
        );
        text.push_str("[[certificate]]\nname = \"again\"\ndomains = [\"y.example.com\"]\ndir = \"./h2999.example.com\"\n");
        let e = err(&text);
        assert!(
            e.contains("uses the directory") && e.contains("(line 5999)"),
            "{e}"
        );
    }

    #[test]
    fn a_request_takes_the_entry_over_the_command_line() {
        let m = parse(
            "[[certificate]]\ndomains = [\"a.example.com\"]\nproduct_code = \"p\"\n\
             dns_resolver = \"127.0.0.1:5353\"\n",
        )
        .unwrap();
        let mut base = Request::new("ignored");
        base.product_code = Some("cli".into());
        base.key_type = Some(KeyType::P384);
        let cli = ValidationSettings {
            dns: Some(ProviderName::Alidns),
            dns_resolver: Some("10.0.0.1:53".into()),
            ..ValidationSettings::default()
        };
        let r = m.certificates[0]
            .request(&base, &cli, "http://127.0.0.1:1")
            .unwrap();
        assert_eq!(r.dir, Path::new("/srv/a.example.com"));
        assert_eq!(r.product_code.as_deref(), Some("p"));
        assert_eq!(r.key_type, Some(KeyType::P384));
        assert_eq!(r.propagation.resolver.as_deref(), Some("127.0.0.1:5353"));
        assert_eq!(
            r.validation,
            crate::Validation::Provider(csrkit_dns::ProviderSpec::Alidns {
                endpoint: "http://127.0.0.1:1".into()
            })
        );
    }
}
