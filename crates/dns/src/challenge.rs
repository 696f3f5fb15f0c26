//! What the CA asked for ([`Challenge`]) and what was published ([`Published`]).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The DNS record type the CA asked for (`RecordType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RecordType {
    /// A TXT record holding the value.
    #[serde(rename = "TXT")]
    Txt,
    /// A CNAME record pointing at the value.
    #[serde(rename = "CNAME")]
    Cname,
}

impl RecordType {
    /// `TXT` or `CNAME`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Txt => "TXT",
            RecordType::Cname => "CNAME",
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordType {
    type Err = Error;
    /// `TXT` or `CNAME`, in any case.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "TXT" => Ok(RecordType::Txt),
            "CNAME" => Ok(RecordType::Cname),
            _ => Err(Error::InvalidChallenge {
                field: "RecordType",
                reason: format!(
                    "{s:?} is not a record type csrkit publishes (TXT or CNAME); publish it by hand \
                     (--dns manual) and report the type the service asked for"
                ),
            }),
        }
    }
}

/// A DNS challenge: publish `value` as a `record_type` record at `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsChallenge {
    domain: String,
    name: String,
    record_type: RecordType,
    value: String,
    order_id: Option<String>,
}

impl DnsChallenge {
    /// The certificate's domain (A-labels, wildcard label removed).
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// The record's fully qualified name, lower case, without the final dot
    /// (`_dnsauth.example.com`).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// TXT or CNAME.
    pub fn record_type(&self) -> RecordType {
        self.record_type
    }
    /// The value: the TXT text, or the CNAME target (lower case, no final dot).
    pub fn value(&self) -> &str {
        &self.value
    }
    /// The order this challenge belongs to, when known (handed to hooks).
    pub fn order_id(&self) -> Option<&str> {
        self.order_id.as_deref()
    }
}

/// A FILE challenge: serve `content` at `http://domain` + `uri`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChallenge {
    domain: String,
    uri: String,
    content: String,
    order_id: Option<String>,
}

impl FileChallenge {
    /// The domain whose web server must serve the file (A-labels).
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// The path, e.g. `/.well-known/pki-validation/fileauth.txt`.
    pub fn uri(&self) -> &str {
        &self.uri
    }
    /// The exact content to serve.
    pub fn content(&self) -> &str {
        &self.content
    }
    /// The URL the CA fetches: `http://` + domain + uri.
    pub fn url(&self) -> String {
        format!("http://{}{}", self.domain, self.uri)
    }
    /// The order this challenge belongs to, when known.
    pub fn order_id(&self) -> Option<&str> {
        self.order_id.as_deref()
    }
}

/// What `DescribeCertificateState` asked to publish, checked and normalised.
///
/// Build it with [`Challenge::dns`], [`Challenge::file`] or
/// [`Challenge::from_verification`]; every constructor refuses what cannot
/// be published safely (a name that is not a DNS name, a URI that would
/// leave `.well-known/pki-validation/`, control characters in a value).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Challenge {
    /// A DNS record.
    Dns(DnsChallenge),
    /// A file over HTTP.
    File(FileChallenge),
}

/// The directory a FILE challenge's URI must be in.
pub const PKI_VALIDATION_DIR: &str = "/.well-known/pki-validation/";

impl Challenge {
    /// A DNS challenge: the record `record_domain` + "." + `domain` (the
    /// service's `RecordDomain` is relative to the domain; `@` or an empty
    /// one means the domain itself, and one that already ends in the domain
    /// is taken as it is). A wildcard domain's record goes at its base name
    /// (`*.example.com` → `_dnsauth.example.com`).
    ///
    /// # Errors
    /// [`Error::InvalidChallenge`] for a domain or record name that is not a
    /// DNS name, a type other than TXT or CNAME, an empty value, a value with
    /// control characters, or a CNAME value that is not a DNS name.
    pub fn dns(
        domain: &str,
        record_domain: &str,
        record_type: &str,
        value: &str,
    ) -> Result<Challenge> {
        let domain = normalise_domain(domain)?;
        let record_type: RecordType = record_type.parse()?;
        let rd = record_domain
            .trim()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let name = if rd.is_empty() || rd == "@" {
            domain.clone()
        } else if rd == domain || rd.ends_with(&format!(".{domain}")) {
            rd
        } else {
            format!("{rd}.{domain}")
        };
        check_record_name(&name)?;
        let value = match record_type {
            RecordType::Txt => check_txt_value(value)?,
            RecordType::Cname => {
                let v = value.trim().trim_end_matches('.').to_ascii_lowercase();
                check_record_name(&v).map_err(|_| Error::InvalidChallenge {
                    field: "RecordValue",
                    reason: format!("{value:?} is not a DNS name, so it cannot be a CNAME target"),
                })?;
                v
            }
        };
        Ok(Challenge::Dns(DnsChallenge {
            domain,
            name,
            record_type,
            value,
            order_id: None,
        }))
    }

    /// A FILE challenge for `domain`: `uri` must lie in
    /// `/.well-known/pki-validation/` (no `..`, no empty segment).
    ///
    /// # Errors
    /// [`Error::InvalidChallenge`] for a bad domain or URI, or empty content.
    pub fn file(domain: &str, uri: &str, content: &str) -> Result<Challenge> {
        if domain.trim().starts_with("*.") {
            return Err(Error::InvalidChallenge {
                field: "Domain",
                reason: "a wildcard name cannot be validated by FILE; use --validate-type dns"
                    .into(),
            });
        }
        let domain = normalise_domain(domain)?;
        check_uri(uri)?;
        if content.is_empty() {
            return Err(Error::InvalidChallenge {
                field: "Content",
                reason: "is empty; the service gave nothing to serve".into(),
            });
        }
        Ok(Challenge::File(FileChallenge {
            domain,
            uri: uri.to_string(),
            content: content.to_string(),
            order_id: None,
        }))
    }

    /// The challenge for `domain` described by the service's answer. The
    /// FILE challenge's domain is the service's `Domain` when it gives one.
    ///
    /// # Errors
    /// As [`Challenge::dns`] and [`Challenge::file`].
    pub fn from_verification(
        domain: &str,
        verification: &csrkit_submit::Verification,
    ) -> Result<Challenge> {
        match verification {
            csrkit_submit::Verification::Dns {
                record_type,
                record_domain,
                record_value,
            } => Challenge::dns(domain, record_domain, record_type, record_value),
            csrkit_submit::Verification::File {
                domain: file_domain,
                uri,
                content,
            } => Challenge::file(file_domain.as_deref().unwrap_or(domain), uri, content),
            _ => Err(Error::InvalidChallenge {
                field: "ValidateType",
                reason: "a validation method this version of csrkit does not know".into(),
            }),
        }
    }

    /// The same challenge, tagged with its order (hooks see it as
    /// `CSRKIT_ORDER_ID`).
    pub fn with_order_id(self, order_id: impl Into<String>) -> Challenge {
        let id = Some(order_id.into());
        match self {
            Challenge::Dns(d) => Challenge::Dns(DnsChallenge { order_id: id, ..d }),
            Challenge::File(f) => Challenge::File(FileChallenge { order_id: id, ..f }),
        }
    }

    /// The DNS challenge, or the error a DNS-only provider answers a FILE
    /// challenge with.
    pub(crate) fn dns_only(&self, provider: &'static str) -> Result<&DnsChallenge> {
        match self {
            Challenge::Dns(c) => Ok(c),
            Challenge::File(_) => Err(Error::Unsupported {
                provider,
                what: "FILE validation",
                hint: "use --webroot DIR, or --validate-type dns",
            }),
        }
    }

    /// The certificate's domain.
    pub fn domain(&self) -> &str {
        match self {
            Challenge::Dns(d) => &d.domain,
            Challenge::File(f) => &f.domain,
        }
    }
}

fn normalise_domain(domain: &str) -> Result<String> {
    let name =
        csrkit_names::DnsName::parse(domain.trim()).map_err(|e| Error::InvalidChallenge {
            field: "Domain",
            reason: e.to_string(),
        })?;
    Ok(name.base().to_string())
}

/// A record name: labels of letters, digits, `-` and `_` (the CA's
/// `_dnsauth` label), 1–63 octets each, at most 253 in all.
fn check_record_name(name: &str) -> Result<()> {
    let bad = |reason: String| Error::InvalidChallenge {
        field: "RecordDomain",
        reason,
    };
    if name.is_empty() || name.len() > 253 {
        return Err(bad(format!("{name:?} is not 1 to 253 characters long")));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(bad(format!(
                "{name:?} has a label that is empty or longer than 63 characters"
            )));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(bad(format!(
                "{name:?} contains {c:?}; a record name holds letters, digits, '-' and '_' only"
            )));
        }
    }
    Ok(())
}

fn check_txt_value(value: &str) -> Result<String> {
    if value.is_empty() {
        return Err(Error::InvalidChallenge {
            field: "RecordValue",
            reason: "is empty; the service gave no value to publish".into(),
        });
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(Error::InvalidChallenge {
            field: "RecordValue",
            reason: format!("contains the control character {c:?}; refusing to publish it"),
        });
    }
    if value.len() > 4000 {
        return Err(Error::InvalidChallenge {
            field: "RecordValue",
            reason: format!(
                "is {} bytes long; a TXT value csrkit publishes is at most 4000",
                value.len()
            ),
        });
    }
    Ok(value.to_string())
}

fn check_uri(uri: &str) -> Result<()> {
    let bad = |reason: String| Error::InvalidChallenge {
        field: "Uri",
        reason,
    };
    let Some(rest) = uri.strip_prefix(PKI_VALIDATION_DIR) else {
        return Err(bad(format!(
            "{uri:?} is not in {PKI_VALIDATION_DIR}; refusing to write a file elsewhere"
        )));
    };
    for seg in rest.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." {
            return Err(bad(format!(
                "{uri:?} has an empty, '.' or '..' path segment"
            )));
        }
        if let Some(c) = seg
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return Err(bad(format!(
                "{uri:?} contains {c:?}; a validation file name holds letters, digits, '-', '_' and '.' only"
            )));
        }
    }
    Ok(())
}

/// The kind of thing published (the journal's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Kind {
    /// A TXT record.
    #[serde(rename = "TXT")]
    Txt,
    /// A CNAME record.
    #[serde(rename = "CNAME")]
    Cname,
    /// A file in a webroot.
    #[serde(rename = "FILE")]
    File,
}

impl From<RecordType> for Kind {
    fn from(t: RecordType) -> Self {
        match t {
            RecordType::Txt => Kind::Txt,
            RecordType::Cname => Kind::Cname,
        }
    }
}

impl Kind {
    /// `TXT`, `CNAME` or `FILE`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Txt => "TXT",
            Kind::Cname => "CNAME",
            Kind::File => "FILE",
        }
    }

    /// The DNS record type, `None` for a file.
    pub fn record_type(self) -> Option<RecordType> {
        match self {
            Kind::Txt => Some(RecordType::Txt),
            Kind::Cname => Some(RecordType::Cname),
            Kind::File => None,
        }
    }
}

/// What a provider published: everything needed to remove exactly it later,
/// in this process or another one (it is serialisable for the journal).
///
/// JSON (the journal's `published[]` entry, less the engine's times):
/// `{"provider":"rfc2136","zone":"example.com","name":"_dnsauth.example.com",
/// "type":"TXT","value":"abc","preexisting":false,"domain":"example.com"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    /// The provider: `alidns`, `rfc2136`, `hook` or `webroot`.
    pub provider: String,
    /// The zone the record was put in (Alidns `DomainName`, the SOA owner),
    /// or the webroot directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<String>,
    /// The record's FQDN (no final dot), or the file's path.
    pub name: String,
    /// TXT, CNAME or FILE.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// The value published (the file's content for FILE).
    pub value: String,
    /// The provider's id for the record (Alidns `RecordId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    /// The value was already published when `present` looked (by an earlier
    /// run that stopped before journaling, by the CA's console automation,
    /// or by hand). The value is this order's own token, so `cleanup`
    /// removes it all the same; other values are never touched.
    #[serde(default)]
    pub preexisting: bool,
    /// The record's TTL, when the provider chose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u32>,
    /// The certificate's domain (hooks see it as `CSRKIT_DNS_DOMAIN`).
    #[serde(default)]
    pub domain: String,
    /// The order, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Directories `webroot` created (removed again when empty), outermost
    /// first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub created_dirs: Vec<PathBuf>,
    /// What the hook's `present` printed on stdout (handed to `cleanup` as
    /// `CSRKIT_DNS_PRESENT_OUTPUT`), at most 64 KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present_output: Option<String>,
}

impl Published {
    pub(crate) fn for_dns(provider: &str, c: &DnsChallenge) -> Published {
        Published {
            provider: provider.to_string(),
            zone: None,
            name: c.name.clone(),
            kind: c.record_type.into(),
            value: c.value.clone(),
            record_id: None,
            preexisting: false,
            ttl: None,
            domain: c.domain.clone(),
            order_id: c.order_id.clone(),
            created_dirs: Vec::new(),
            present_output: None,
        }
    }

    /// The DNS record type, or an error naming the provider for a FILE entry.
    pub(crate) fn dns_type(&self, provider: &'static str) -> Result<RecordType> {
        self.kind.record_type().ok_or(Error::Unsupported {
            provider,
            what: "a FILE entry",
            hint: "FILE validation is removed by the webroot provider",
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dns(c: Challenge) -> DnsChallenge {
        match c {
            Challenge::Dns(d) => d,
            Challenge::File(_) => panic!("not DNS"),
        }
    }

    #[test]
    fn record_names() {
        let d = dns(Challenge::dns("Example.COM", "_dnsauth", "txt", "v").unwrap());
        assert_eq!(
            (d.name(), d.domain()),
            ("_dnsauth.example.com", "example.com")
        );
        let d = dns(Challenge::dns("*.example.com", "_dnsauth", "TXT", "v").unwrap());
        assert_eq!(d.name(), "_dnsauth.example.com");
        let d = dns(Challenge::dns("bücher.example", "_dnsauth", "TXT", "v").unwrap());
        assert_eq!(d.name(), "_dnsauth.xn--bcher-kva.example");
        let d = dns(Challenge::dns("example.com", "@", "TXT", "v").unwrap());
        assert_eq!(d.name(), "example.com");
        let d = dns(Challenge::dns("example.com", "_dnsauth.example.com.", "TXT", "v").unwrap());
        assert_eq!(d.name(), "_dnsauth.example.com");
        let d = dns(
            Challenge::dns("a.example.com", "X.Y.", "cname", "Target.DCV.example.net.").unwrap(),
        );
        assert_eq!(
            (d.name(), d.value()),
            ("x.y.a.example.com", "target.dcv.example.net")
        );
    }

    #[test]
    fn bad_challenges_are_refused() {
        for (domain, rd, t, v, needle) in [
            ("example.com", "_dnsauth", "MX", "v", "TXT or CNAME"),
            ("example.com", "_dns auth", "TXT", "v", "contains ' '"),
            ("example.com", "a..b", "TXT", "v", "empty"),
            ("example.com", "_dnsauth", "TXT", "", "is empty"),
            ("example.com", "_dnsauth", "TXT", "a\nb", "control"),
            ("example.com", "_dnsauth", "TXT", "a\0b", "control"),
            (
                "example.com",
                "_dnsauth",
                "CNAME",
                "not a name",
                "not a DNS name",
            ),
            ("exa mple.com", "_dnsauth", "TXT", "v", "Domain"),
            ("example.com", "$(reboot)", "TXT", "v", "contains '$'"),
        ] {
            let e = Challenge::dns(domain, rd, t, v).unwrap_err().to_string();
            assert!(e.contains(needle), "{domain} {rd} {t} {v:?}: {e}");
        }
    }

    #[test]
    fn file_uris_stay_in_pki_validation() {
        let Challenge::File(f) = Challenge::file(
            "example.com",
            "/.well-known/pki-validation/fileauth.txt",
            "c",
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            f.url(),
            "http://example.com/.well-known/pki-validation/fileauth.txt"
        );
        for uri in [
            "/.well-known/pki-validation/../../etc/passwd",
            "/etc/passwd",
            "/.well-known/pki-validation/",
            "/.well-known/pki-validation//x",
            "/.well-known/pki-validation/a b",
            "/.well-known/pki-validation/a\\b",
        ] {
            assert!(Challenge::file("example.com", uri, "c").is_err(), "{uri}");
        }
        assert!(Challenge::file("*.example.com", "/.well-known/pki-validation/f", "c").is_err());
        assert!(Challenge::file("example.com", "/.well-known/pki-validation/f", "").is_err());
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_challenges_never_panic(
            domain in proptest::prelude::any::<String>(),
            rd in proptest::prelude::any::<String>(),
            t in "(TXT|CNAME|txt|MX|)",
            v in proptest::prelude::any::<String>(),
        ) {
            let _ = Challenge::dns(&domain, &rd, &t, &v);
            let _ = Challenge::file(&domain, &rd, &v);
        }
    }

    #[test]
    fn published_round_trips_as_the_journal_entry() {
        let c = dns(Challenge::dns("example.com", "_dnsauth", "TXT", "abc").unwrap());
        let mut p = Published::for_dns("rfc2136", &c);
        p.zone = Some("example.com".into());
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            json,
            r#"{"provider":"rfc2136","zone":"example.com","name":"_dnsauth.example.com","type":"TXT","value":"abc","preexisting":false,"domain":"example.com"}"#
        );
        let back: Published = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
    }
}
