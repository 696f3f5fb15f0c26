//! What to publish so the CA can validate the domain, with the full names
//! filled in: shown by `status` and `apply`, and recorded in the journal.
//!
//! JSON: `{ "type": "DNS", "record_name", "record_type", "record_value",
//! "zone_line" }` or `{ "type": "FILE", "url", "content" }`.

use csrkit_submit::Verification;
use serde_json::{Value, json};

/// A verification step with the full names filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Publish {
    /// A DNS record.
    Dns {
        /// Fully qualified record name: `RecordDomain` + `.` + domain, or
        /// `RecordDomain` + `.<your domain>` when the domain is unknown.
        record_name: String,
        /// `TXT` or `CNAME`.
        record_type: String,
        /// The value to publish.
        record_value: String,
    },
    /// A file on the domain's web server.
    File {
        /// Where the CA will fetch it.
        url: String,
        /// What the file must contain.
        content: String,
    },
}

impl Publish {
    /// Fills in the names of the service's answer. `domain` is the
    /// certificate's domain (the CSR's CN); a wildcard label is dropped.
    /// `None` for a kind of verification this version does not know.
    pub fn new(v: &Verification, domain: Option<&str>) -> Option<Publish> {
        let base = domain.map(|d| d.strip_prefix("*.").unwrap_or(d));
        match v {
            Verification::Dns {
                record_type,
                record_domain,
                record_value,
            } => {
                let record_name = match base {
                    // The service may already answer with a full name.
                    Some(d) if record_domain.ends_with(d) => record_domain.clone(),
                    Some(d) => format!("{record_domain}.{d}"),
                    None => format!("{record_domain}.<your domain>"),
                };
                Some(Publish::Dns {
                    record_name,
                    record_type: record_type.clone(),
                    record_value: record_value.clone(),
                })
            }
            Verification::File {
                domain: file_domain,
                uri,
                content,
            } => {
                let host = file_domain.as_deref().or(base).unwrap_or("<your domain>");
                Some(Publish::File {
                    url: format!("http://{host}{uri}"),
                    content: content.clone(),
                })
            }
            _ => None,
        }
    }

    /// The JSON object of DESIGN.md.
    pub fn to_json(&self) -> Value {
        match self {
            Publish::Dns {
                record_name,
                record_type,
                record_value,
            } => json!({
                "type": "DNS",
                "record_name": record_name,
                "record_type": record_type,
                "record_value": record_value,
                "zone_line": self.zone_line(),
            }),
            Publish::File { url, content } => json!({
                "type": "FILE",
                "url": url,
                "content": content,
            }),
        }
    }

    /// A BIND zone-file line ready to paste (DNS only).
    pub fn zone_line(&self) -> Option<String> {
        match self {
            Publish::Dns {
                record_name,
                record_type,
                record_value,
            } => {
                let value = if record_type.eq_ignore_ascii_case("TXT") {
                    format!("\"{}\"", record_value.replace('"', "\\\""))
                } else {
                    record_value.clone()
                };
                Some(format!("{record_name}. 600 IN {record_type} {value}"))
            }
            Publish::File { .. } => None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dns_record_name_is_fully_qualified() {
        let v = Verification::Dns {
            record_type: "TXT".into(),
            record_domain: "_dnsauth".into(),
            record_value: "2020abc".into(),
        };
        let p = Publish::new(&v, Some("*.example.com")).unwrap();
        assert_eq!(
            p.to_json()["record_name"],
            "_dnsauth.example.com",
            "wildcard label dropped"
        );
        assert_eq!(
            p.zone_line().unwrap(),
            "_dnsauth.example.com. 600 IN TXT \"2020abc\""
        );
    }

    #[test]
    fn file_url() {
        let v = Verification::File {
            domain: None,
            uri: "/.well-known/pki-validation/fileauth.txt".into(),
            content: "abc".into(),
        };
        let p = Publish::new(&v, Some("www.example.com")).unwrap();
        assert_eq!(
            p.to_json()["url"],
            "http://www.example.com/.well-known/pki-validation/fileauth.txt"
        );
    }
}
