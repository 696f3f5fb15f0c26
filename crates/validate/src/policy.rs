//! Profiles and the user's policy: severity remapping, allowed domains,
//! key requirements.

use std::fmt;

use crate::blocklist::Blocklist;
use crate::error::Error;
use crate::model::Severity;
use crate::rule::Rule;

/// A target profile: which set of rules applies by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Profile {
    /// What Alibaba Cloud CAS accepts for `CreateCertificateWithCsrRequest`
    /// on top of the Baseline Requirements: a CN present, at most 64
    /// characters and among the SANs; RSA ≥ 2048 or ECDSA P-256/P-384;
    /// SHA-256 or stronger.
    #[default]
    AlibabaDv,
    /// The CA/Browser Forum Baseline Requirements alone (CN optional).
    BrDv,
}

impl Profile {
    /// `alibaba-dv` or `br-dv`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::AlibabaDv => "alibaba-dv",
            Profile::BrDv => "br-dv",
        }
    }

    /// Parses `alibaba-dv` or `br-dv`.
    pub fn parse(text: &str) -> Result<Profile, Error> {
        match text {
            "alibaba-dv" => Ok(Profile::AlibabaDv),
            "br-dv" => Ok(Profile::BrDv),
            _ => Err(Error::UnknownProfile {
                profile: text.to_owned(),
            }),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A public-key type a policy may allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyType {
    /// RSA (of at least the policy's minimum size).
    Rsa,
    /// ECDSA on P-256.
    P256,
    /// ECDSA on P-384.
    P384,
    /// ECDSA on P-521.
    P521,
    /// Ed25519.
    Ed25519,
}

impl KeyType {
    /// Parses `rsa`, `p256` (or `ecdsa-p256`, `P-256`), `p384`, `p521`,
    /// `ed25519`.
    pub fn parse(text: &str) -> Result<KeyType, Error> {
        let t = text.to_ascii_lowercase().replace(['-', '_'], "");
        match t.trim_start_matches("ecdsa") {
            "rsa" => Ok(KeyType::Rsa),
            "p256" | "secp256r1" | "prime256v1" => Ok(KeyType::P256),
            "p384" | "secp384r1" => Ok(KeyType::P384),
            "p521" | "secp521r1" => Ok(KeyType::P521),
            "ed25519" => Ok(KeyType::Ed25519),
            _ => Err(Error::UnknownKeyType {
                key_type: text.to_owned(),
            }),
        }
    }

    /// The short name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::Rsa => "rsa",
            KeyType::P256 => "p256",
            KeyType::P384 => "p384",
            KeyType::P521 => "p521",
            KeyType::Ed25519 => "ed25519",
        }
    }
}

/// How to validate: the profile, severity overrides, allowed domains and
/// key requirements. Build one with [`Policy::new`] or
/// [`Policy::from_toml`] and adjust it with the knobs the CLI exposes.
///
/// ```
/// use csrkit_validate::{Policy, Profile, Severity};
///
/// let mut policy = Policy::from_toml(r#"
///     allowed_domains = ["example.com", "*.example.com"]
///     min_rsa_bits = 3072
///     [severity]
///     san-duplicate = "allow"
///     V204 = "warning"
/// "#)?;
/// policy.deny("V304")?;           // --deny
/// policy.expect_domain("www.example.com")?;
/// assert_eq!(policy.profile(), Profile::AlibabaDv);
/// assert_eq!(policy.fail_on(), Severity::Error);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Policy {
    profile: Profile,
    /// (rule code, severity or `None` for off), last wins.
    overrides: Vec<(&'static str, Option<Severity>)>,
    allowed_domains: Vec<String>,
    expected_domains: Vec<String>,
    min_rsa_bits: usize,
    key_types: Vec<KeyType>,
    fail_on: Severity,
    /// Parsed key blocklists (shared: a policy is cloned per thread).
    blocklists: Vec<std::sync::Arc<Blocklist>>,
    /// `blocklists` named by the policy file, for the caller to read.
    blocklist_files: Vec<String>,
    /// The CAS product the request is for (V907).
    product_code: Option<String>,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy::new(Profile::AlibabaDv)
    }
}

/// The key types Alibaba CAS accepts in a custom CSR.
const DEFAULT_KEY_TYPES: [KeyType; 3] = [KeyType::Rsa, KeyType::P256, KeyType::P384];

impl Policy {
    /// The defaults of a profile: no overrides, RSA ≥ 2048, failing on
    /// errors; key types RSA or ECDSA P-256/P-384 for `alibaba-dv`, and also
    /// P-521 for `br-dv`.
    pub fn new(profile: Profile) -> Policy {
        let key_types = match profile {
            Profile::AlibabaDv => DEFAULT_KEY_TYPES.to_vec(),
            Profile::BrDv => {
                let mut k = DEFAULT_KEY_TYPES.to_vec();
                k.push(KeyType::P521);
                k
            }
        };
        Policy {
            profile,
            overrides: Vec::new(),
            allowed_domains: Vec::new(),
            expected_domains: Vec::new(),
            min_rsa_bits: 2048,
            key_types,
            fail_on: Severity::Error,
            blocklists: Vec::new(),
            blocklist_files: Vec::new(),
            product_code: None,
        }
    }

    /// Reads the `csrkit.toml` policy format. Keys may sit at the top level
    /// or under a `[validate]` table (other tables, such as `[contact]`,
    /// are ignored):
    ///
    /// ```toml
    /// profile = "alibaba-dv"            # or "br-dv"
    /// fail_on = "warning"               # error | warning | info
    /// allowed_domains = ["example.com", "*.example.com"]
    /// min_rsa_bits = 3072
    /// allowed_key_types = ["rsa", "p256"]
    /// blocklists = ["debian-rsa-2048.txt"]  # see Policy::blocklist_files
    /// product_code = "digicert-free-1-free"  # the CAS product (V907)
    /// allow = ["V220"]                  # rules turned off
    /// deny = ["rsa-exponent-not-recommended"]  # rules made errors
    /// [severity]                        # remap by code or name
    /// V204 = "warning"
    /// cn-too-long = "allow"
    /// ```
    pub fn from_toml(text: &str) -> Result<Policy, Error> {
        let root: toml::Table = text.parse().map_err(|e: toml::de::Error| Error::Policy {
            reason: e.to_string(),
        })?;
        let (table, strict) = match root.get("validate") {
            Some(toml::Value::Table(t)) => (t.clone(), true),
            Some(_) => {
                return Err(Error::Policy {
                    reason: "`validate` must be a table ([validate])".into(),
                });
            }
            None => (root, false),
        };
        let profile = match table.get("profile") {
            Some(v) => Profile::parse(str_value(v, "profile")?)?,
            None => Profile::AlibabaDv,
        };
        let mut policy = Policy::new(profile);
        for (key, value) in &table {
            match key.as_str() {
                "profile" => {}
                "fail_on" | "fail-on" => {
                    let s = str_value(value, key)?;
                    policy.fail_on = Severity::parse(s).ok_or_else(|| Error::Policy {
                        reason: format!("`{key}` is {s:?}; use \"error\", \"warning\" or \"info\""),
                    })?;
                }
                "allowed_domains" | "allowed-domains" => {
                    for d in str_list(value, key)? {
                        policy.allow_domain(d)?;
                    }
                }
                "expect_domains" | "expect-domains" => {
                    for d in str_list(value, key)? {
                        policy.expect_domain(d)?;
                    }
                }
                "min_rsa_bits" | "min-rsa-bits" => {
                    let n = value.as_integer().ok_or_else(|| Error::Policy {
                        reason: format!("`{key}` must be an integer such as 2048"),
                    })?;
                    policy.set_min_rsa_bits(usize::try_from(n).unwrap_or(0))?;
                }
                "allowed_key_types" | "allowed-key-types" => {
                    let types = str_list(value, key)?
                        .into_iter()
                        .map(KeyType::parse)
                        .collect::<Result<Vec<_>, _>>()?;
                    policy.set_key_types(types);
                }
                "product_code" | "product-code" => {
                    policy.set_product_code(str_value(value, key)?);
                }
                "blocklists" => {
                    policy.blocklist_files = str_list(value, key)?
                        .into_iter()
                        .map(str::to_owned)
                        .collect();
                }
                "allow" => {
                    for r in str_list(value, key)? {
                        policy.set_rule(r, None, "policy file `allow`")?;
                    }
                }
                "deny" => {
                    for r in str_list(value, key)? {
                        policy.set_rule(r, Some(Severity::Error), "policy file `deny`")?;
                    }
                }
                "severity" => {
                    let t = value.as_table().ok_or_else(|| Error::Policy {
                        reason: "`severity` must be a table ([severity])".into(),
                    })?;
                    for (rule, sev) in t {
                        let s = str_value(sev, rule)?;
                        let level = match s {
                            "allow" | "off" => None,
                            other => Some(Severity::parse(other).ok_or_else(|| {
                                Error::InvalidSeverity {
                                    rule: rule.clone(),
                                    value: other.to_owned(),
                                }
                            })?),
                        };
                        policy.set_rule(rule, level, "policy file [severity]")?;
                    }
                }
                _ if !strict && value.is_table() => {}
                other => {
                    return Err(Error::Policy {
                        reason: format!(
                            "unknown key `{other}`; known keys are profile, fail_on, \
                             allowed_domains, expect_domains, min_rsa_bits, \
                             allowed_key_types, blocklists, product_code, allow, deny and [severity]"
                        ),
                    });
                }
            }
        }
        Ok(policy)
    }

    /// Names the Alibaba Cloud CAS product the request will be ordered as
    /// (`--product-code`, `[validate] product_code`): rule V907 then makes
    /// an error of every combination the service refuses for it (an unknown
    /// or non-DV code, a wildcard on a single-domain product, more names
    /// than the product carries). `apply` sets the code it is about to buy.
    ///
    /// ```
    /// use csrkit_validate::Policy;
    ///
    /// let mut policy = Policy::default();
    /// policy.set_product_code("digicert-free-1-free");
    /// assert_eq!(policy.product_code(), Some("digicert-free-1-free"));
    /// ```
    pub fn set_product_code(&mut self, code: &str) {
        self.product_code = Some(code.trim().to_owned());
    }

    /// The product code set with [`Policy::set_product_code`].
    pub fn product_code(&self) -> Option<&str> {
        self.product_code.as_deref()
    }

    /// The profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// Changes the profile, keeping every other setting (the key types
    /// follow the profile's defaults unless they were set explicitly).
    pub fn set_profile(&mut self, profile: Profile) {
        if self.key_types == Policy::new(self.profile).key_types {
            self.key_types = Policy::new(profile).key_types;
        }
        self.profile = profile;
    }

    /// The level at or above which a finding fails the run (`--fail-on`).
    pub fn fail_on(&self) -> Severity {
        self.fail_on
    }

    /// Sets `--fail-on`.
    pub fn set_fail_on(&mut self, level: Severity) {
        self.fail_on = level;
    }

    /// Turns a rule off (`--allow RULE`): a code, a name, or a family such
    /// as `V3xx`.
    pub fn allow(&mut self, rule: &str) -> Result<(), Error> {
        self.set_rule(rule, None, "--allow")
    }

    /// Makes a rule an error (`--deny RULE`).
    pub fn deny(&mut self, rule: &str) -> Result<(), Error> {
        self.set_rule(rule, Some(Severity::Error), "--deny")
    }

    /// Sets a rule's severity, `None` turning it off. `rule` is a code, a
    /// name or a family (`V2xx`); `origin` names where it came from for the
    /// error message.
    pub fn set_rule(
        &mut self,
        rule: &str,
        severity: Option<Severity>,
        origin: &str,
    ) -> Result<(), Error> {
        let matched = select_rules(rule);
        if matched.is_empty() {
            return Err(Error::UnknownRule {
                rule: rule.to_owned(),
                origin: origin.to_owned(),
            });
        }
        for r in matched {
            self.overrides.push((r.code, severity));
        }
        Ok(())
    }

    /// Restricts the names a request may hold to these domains (and, for a
    /// `*.example.com` entry, the names directly under it).
    pub fn allow_domain(&mut self, domain: &str) -> Result<(), Error> {
        let d = normalise_domain(domain, "allowed_domains")?;
        self.allowed_domains.push(d);
        Ok(())
    }

    /// Requires the request to name this domain (`--expect-domain`).
    pub fn expect_domain(&mut self, domain: &str) -> Result<(), Error> {
        let d = normalise_domain(domain, "--expect-domain")?;
        self.expected_domains.push(d);
        Ok(())
    }

    /// The allowed domains, in A-label form.
    pub fn allowed_domains(&self) -> &[String] {
        &self.allowed_domains
    }

    /// The expected domains, in A-label form.
    pub fn expected_domains(&self) -> &[String] {
        &self.expected_domains
    }

    /// The smallest RSA modulus accepted, in bits (default 2048). It can be
    /// raised, never set below 2048.
    pub fn min_rsa_bits(&self) -> usize {
        self.min_rsa_bits
    }

    /// Sets the smallest RSA modulus; values below 2048 are refused.
    pub fn set_min_rsa_bits(&mut self, bits: usize) -> Result<(), Error> {
        if !(2048..=16384).contains(&bits) {
            return Err(Error::Policy {
                reason: format!(
                    "min_rsa_bits is {bits}; it must be between 2048 (the \
                     Baseline Requirements' minimum) and 16384"
                ),
            });
        }
        self.min_rsa_bits = bits;
        Ok(())
    }

    /// The key types allowed.
    pub fn key_types(&self) -> &[KeyType] {
        &self.key_types
    }

    /// Sets the key types allowed.
    pub fn set_key_types(&mut self, types: Vec<KeyType>) {
        self.key_types = types;
    }

    /// Adds a list of compromised keys: rule V318 checks every request's
    /// key against all lists added.
    pub fn add_blocklist(&mut self, list: Blocklist) {
        self.blocklists.push(std::sync::Arc::new(list));
    }

    /// The lists added with [`Policy::add_blocklist`].
    pub fn blocklists(&self) -> &[std::sync::Arc<Blocklist>] {
        &self.blocklists
    }

    /// The files the policy file's `blocklists` names, as written (relative
    /// paths are relative to the policy file). [`Policy::from_toml`] does no
    /// I/O: read each with [`Blocklist::parse`] and add it with
    /// [`Policy::add_blocklist`].
    pub fn blocklist_files(&self) -> &[String] {
        &self.blocklist_files
    }

    /// The severity a rule reports at under this policy, or `None` when it
    /// does not run (turned off, or not part of the profile).
    pub fn severity_of(&self, rule: &Rule) -> Option<Severity> {
        if let Some((_, level)) = self.overrides.iter().rev().find(|(c, _)| *c == rule.code) {
            return *level;
        }
        match rule.profile {
            Some(p) if p != self.profile => None,
            _ => Some(rule.default_severity),
        }
    }
}

/// The rules `text` names: a code, a name, or a family like `V3xx`.
fn select_rules(text: &str) -> Vec<&'static Rule> {
    let t = text.trim();
    if let Some(prefix) = t
        .strip_suffix("xx")
        .or_else(|| t.strip_suffix("XX"))
        .or_else(|| t.strip_suffix("**"))
        && prefix.len() == 2
    {
        return crate::rules::rules()
            .iter()
            .copied()
            .filter(|r| r.code[..2].eq_ignore_ascii_case(prefix))
            .collect();
    }
    crate::rules::rules()
        .iter()
        .copied()
        .filter(|r| r.matches(t))
        .collect()
}

fn normalise_domain(domain: &str, origin: &str) -> Result<String, Error> {
    csrkit_names::DnsName::parse(domain)
        .map(|d| d.as_str().to_owned())
        .map_err(|e| Error::InvalidDomain {
            domain: domain.to_owned(),
            origin: origin.to_owned(),
            reason: e.to_string(),
        })
}

fn str_value<'v>(v: &'v toml::Value, key: &str) -> Result<&'v str, Error> {
    v.as_str().ok_or_else(|| Error::Policy {
        reason: format!("`{key}` must be a string"),
    })
}

fn str_list<'v>(v: &'v toml::Value, key: &str) -> Result<Vec<&'v str>, Error> {
    let arr = v.as_array().ok_or_else(|| Error::Policy {
        reason: format!("`{key}` must be a list of strings"),
    })?;
    arr.iter().map(|x| str_value(x, key)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_remaps_and_restricts() {
        let p = Policy::from_toml(
            "profile = \"br-dv\"\nfail_on = \"warning\"\nallowed_domains = [\"Example.COM\"]\n\
             allow = [\"V220\"]\n[severity]\ncn-not-in-san = \"info\"\n",
        )
        .expect("valid policy");
        assert_eq!(p.profile(), Profile::BrDv);
        assert_eq!(p.fail_on(), Severity::Warning);
        assert_eq!(p.allowed_domains(), ["example.com"]);
        let v204 = crate::explain("V204").expect("V204 exists");
        assert_eq!(p.severity_of(v204), Some(Severity::Info));
        let v220 = crate::explain("san-duplicate").expect("exists");
        assert_eq!(p.severity_of(v220), None);
    }

    #[test]
    fn validate_table_is_strict() {
        let err = Policy::from_toml("[validate]\nfial_on = \"x\"\n").expect_err("typo");
        assert!(err.to_string().contains("fial_on"), "{err}");
        assert!(Policy::from_toml("[contact]\nname = \"x\"\n").is_ok());
    }

    #[test]
    fn unknown_rules_and_values_are_named() {
        let mut p = Policy::default();
        let err = p.allow("V999").expect_err("no such rule");
        assert!(err.to_string().contains("V999"));
        assert!(p.allow("V3xx").is_ok());
        let e = Policy::from_toml("[severity]\nV204 = \"fatal\"\n").expect_err("bad");
        assert!(matches!(e, Error::InvalidSeverity { .. }));
        assert!(Policy::from_toml("min_rsa_bits = 1024").is_err());
        assert!(Policy::from_toml("allowed_key_types = [\"dsa\"]").is_err());
        assert!(Policy::from_toml("profile = \"ev\"").is_err());
        assert!(p.expect_domain("bad_name.com").is_err());
    }

    #[test]
    fn profile_gates_rules() {
        let br = Policy::new(Profile::BrDv);
        let v901 = crate::explain("V901").expect("exists");
        assert_eq!(br.severity_of(v901), None);
        assert_eq!(Policy::default().severity_of(v901), Some(Severity::Error));
    }
}
