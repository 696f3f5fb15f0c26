//! The rule type and what a rule's check returns.

use std::fmt;

use serde::Serialize;

use crate::csr::Csr;
use crate::model::{Location, Severity};
use crate::policy::{Policy, Profile};

/// The authority a rule comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Source {
    /// RFC 2986 (PKCS #10) and RFC 2985 (PKCS #9).
    Rfc2986,
    /// RFC 5280 and the DNS RFCs it points to.
    Rfc5280,
    /// The CA/Browser Forum TLS Baseline Requirements.
    CabfBr,
    /// The Mozilla Root Store Policy.
    Mozilla,
    /// Practice shared by linters and CAs, not a standard.
    Community,
    /// Alibaba Cloud SSL Certificates Service (CAS) requirements.
    Aliyun,
    /// The user's own policy file or command-line options.
    Policy,
}

impl Source {
    /// The short name used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Rfc2986 => "rfc2986",
            Source::Rfc5280 => "rfc5280",
            Source::CabfBr => "cabf-br",
            Source::Mozilla => "mozilla",
            Source::Community => "community",
            Source::Aliyun => "aliyun",
            Source::Policy => "policy",
        }
    }
}

/// What a check reports: the rule's metadata is added by the engine.
#[derive(Debug)]
pub(crate) struct Hit {
    pub(crate) message: String,
    pub(crate) location: Option<Location>,
    pub(crate) notes: Vec<String>,
}

impl Hit {
    pub(crate) fn new(message: impl Into<String>) -> Hit {
        Hit {
            message: message.into(),
            location: None,
            notes: Vec::new(),
        }
    }

    pub(crate) fn at(mut self, der_offset: Option<usize>, field: impl Into<String>) -> Hit {
        self.location = Some(Location {
            der_offset,
            field: field.into(),
        });
        self
    }

    pub(crate) fn note(mut self, note: impl Into<String>) -> Hit {
        self.notes.push(note.into());
        self
    }
}

pub(crate) type Applies = fn(&Csr<'_>, &Policy) -> bool;
pub(crate) type Check = fn(&Csr<'_>, &Policy, &mut Vec<Hit>);

/// One lint rule: stable metadata plus its check.
///
/// Obtain rules from [`crate::rules()`] or [`crate::explain`].
pub struct Rule {
    pub(crate) code: &'static str,
    pub(crate) name: &'static str,
    pub(crate) default_severity: Severity,
    pub(crate) description: &'static str,
    pub(crate) citation: &'static str,
    pub(crate) source: Source,
    pub(crate) since: &'static str,
    /// Why the rule is what it is, where a decision was made (empty
    /// otherwise); `csrkit explain` prints it.
    pub(crate) rationale: &'static str,
    /// The only profile the rule runs in; `None` for every profile.
    pub(crate) profile: Option<Profile>,
    pub(crate) applies: Applies,
    pub(crate) check: Check,
}

impl Rule {
    /// The stable code, such as `V204`.
    pub fn code(&self) -> &'static str {
        self.code
    }
    /// The kebab-case name, such as `cn-not-in-san`.
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// The severity before any policy remapping.
    pub fn default_severity(&self) -> Severity {
        self.default_severity
    }
    /// What the rule checks, in one sentence.
    pub fn description(&self) -> &'static str {
        self.description
    }
    /// The requirement it enforces, such as `BR 7.1.4.3`.
    pub fn citation(&self) -> &'static str {
        self.citation
    }
    /// The authority behind it.
    pub fn source(&self) -> Source {
        self.source
    }
    /// The csrkit version that introduced it.
    pub fn since(&self) -> &'static str {
        self.since
    }
    /// Why the rule is what it is, where a decision was made; empty
    /// otherwise.
    pub fn rationale(&self) -> &'static str {
        self.rationale
    }
    /// The only profile it runs in, or `None` for every profile.
    pub fn profile(&self) -> Option<Profile> {
        self.profile
    }
    /// Whether `text` names this rule: its code or its name, in any case.
    pub fn matches(&self, text: &str) -> bool {
        self.code.eq_ignore_ascii_case(text) || self.name.eq_ignore_ascii_case(text)
    }
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("code", &self.code)
            .field("name", &self.name)
            .field("default_severity", &self.default_severity)
            .field("citation", &self.citation)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Rule {
    /// The documentation `csrkit explain` prints.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.code, self.name)?;
        writeln!(f, "  {}", self.description)?;
        writeln!(f, "  default severity: {}", self.default_severity)?;
        if !self.citation.is_empty() {
            writeln!(f, "  citation: {}", self.citation)?;
        }
        writeln!(f, "  source: {}", self.source.as_str())?;
        if !self.rationale.is_empty() {
            writeln!(f, "  why: {}", self.rationale)?;
        }
        match self.profile {
            Some(p) => writeln!(f, "  profile: {} only", p.as_str())?,
            None => writeln!(f, "  profile: all")?,
        }
        write!(
            f,
            "  silence with: --allow {} (or [severity] {} = \"allow\" in csrkit.toml)",
            self.name, self.code
        )
    }
}

/// Rules that never run on a request: the engine reports them about the
/// input itself.
pub(crate) fn input_only(_: &Csr<'_>, _: &Policy) -> bool {
    false
}

/// A check that reports nothing, for input-only rules.
pub(crate) fn no_check(_: &Csr<'_>, _: &Policy, _: &mut Vec<Hit>) {}

/// Rules that run on every request.
pub(crate) fn always(_: &Csr<'_>, _: &Policy) -> bool {
    true
}
