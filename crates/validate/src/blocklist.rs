//! Lists of public keys known to be compromised: the Debian weak keys of
//! CVE-2008-0166 (BR 6.1.1.3(5)(1)), keys published in firmware,
//! documentation or by a key-compromise report (BR 6.1.1.3(4)).
//!
//! The lists are data the user supplies (they are tens of megabytes and
//! change); csrkit reads the two formats CAs and tools use:
//!
//! - 20 hex digits: the openssl-vulnkey / `openssl-blacklist` format, the
//!   last 80 bits of the SHA-1 of the line `Modulus=<HEX>\n` that
//!   `openssl rsa -noout -modulus` prints (RSA keys only);
//! - 64 hex digits: the SHA-256 of the DER SubjectPublicKeyInfo (any key
//!   type), which `csrkit inspect` and `csrkit generate` print as
//!   `spki_sha256`.
//!
//! Blank lines and text after `#` are ignored.

use std::collections::HashMap;
use std::fmt::Write as _;

use sha2::Digest as _;

use crate::csr::{Csr, Key};
use crate::error::Error;

/// A parsed blocklist; add it to a [`crate::Policy`] with
/// [`crate::Policy::add_blocklist`] and rule V318 checks every request's
/// key against it.
///
/// ```
/// use csrkit_validate::Blocklist;
///
/// let text = "3c430072d96e4a1e1809  # openssl-vulnkey format\n";
/// let list = Blocklist::parse("debian-rsa-2048.txt", text)?;
/// assert_eq!(list.len(), 1);
/// assert!(Blocklist::parse("bad.txt", "not hex").is_err());
/// # Ok::<(), csrkit_validate::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct Blocklist {
    name: String,
    /// Last 10 bytes of SHA-1("Modulus=HEX\n") → line number.
    modulus_sha1: HashMap<[u8; 10], usize>,
    /// SHA-256 of the SPKI DER → line number.
    spki_sha256: HashMap<[u8; 32], usize>,
}

/// The name and the sizes, not the entries (a list can hold a million).
impl std::fmt::Debug for Blocklist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocklist")
            .field("name", &self.name)
            .field("modulus_sha1", &self.modulus_sha1.len())
            .field("spki_sha256", &self.spki_sha256.len())
            .finish()
    }
}

/// Where a key was found: the list's name and the line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Listed {
    pub(crate) list: String,
    pub(crate) line: usize,
    pub(crate) format: &'static str,
}

impl Blocklist {
    /// Parses a list. `name` (usually the file name) is used in errors and
    /// findings.
    pub fn parse(name: &str, text: &str) -> Result<Blocklist, Error> {
        let mut list = Blocklist {
            name: name.to_owned(),
            ..Blocklist::default()
        };
        for (i, raw) in text.lines().enumerate() {
            let entry = raw.split('#').next().unwrap_or_default().trim();
            if entry.is_empty() {
                continue;
            }
            let bad = || Error::Blocklist {
                name: name.to_owned(),
                line: i + 1,
                text: raw.chars().take(80).collect(),
            };
            let bytes = hex::decode(entry).map_err(|_| bad())?;
            if let Ok(k) = <[u8; 10]>::try_from(bytes.as_slice()) {
                list.modulus_sha1.entry(k).or_insert(i + 1);
            } else if let Ok(k) = <[u8; 32]>::try_from(bytes.as_slice()) {
                list.spki_sha256.entry(k).or_insert(i + 1);
            } else {
                return Err(bad());
            }
        }
        Ok(list)
    }

    /// The list's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.modulus_sha1.len() + self.spki_sha256.len()
    }

    /// Whether it holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the request's key is on the list.
    pub(crate) fn find(&self, csr: &Csr<'_>) -> Option<Listed> {
        let listed = |line: usize, format| Listed {
            list: self.name.clone(),
            line,
            format,
        };
        if !self.spki_sha256.is_empty() {
            let spki = csr.req.certification_request_info.subject_pki.raw;
            let digest: [u8; 32] = sha2::Sha256::digest(spki).into();
            if let Some(&line) = self.spki_sha256.get(&digest) {
                return Some(listed(line, "the SHA-256 of its SubjectPublicKeyInfo"));
            }
        }
        if let (false, Key::Rsa { n, .. }) = (self.modulus_sha1.is_empty(), &csr.key) {
            let key = modulus_fingerprint(n);
            if let Some(&line) = self.modulus_sha1.get(&key) {
                return Some(listed(line, "its openssl-vulnkey modulus fingerprint"));
            }
        }
        None
    }
}

/// The last 80 bits of SHA-1 over `Modulus=<HEX>\n`, the modulus in
/// upper-case hex without leading zeros, as `openssl rsa -modulus` prints.
pub(crate) fn modulus_fingerprint(n: &[u8]) -> [u8; 10] {
    let mut line = String::with_capacity(n.len() * 2 + 9);
    line.push_str("Modulus=");
    for b in n {
        let _ = write!(line, "{b:02X}");
    }
    let hex_start = "Modulus=".len();
    let zeros = line[hex_start..]
        .bytes()
        .take_while(|&c| c == b'0')
        .count()
        .min(line.len() - hex_start - 1);
    line.replace_range(hex_start..hex_start + zeros, "");
    line.push('\n');
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
        line.as_bytes(),
    );
    let mut out = [0u8; 10];
    out.copy_from_slice(&digest.as_ref()[10..20]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_errors() {
        let text = "# comment\n\n3c430072d96e4a1e1809  # trailing\n\
                    ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789\n";
        let list = Blocklist::parse("l.txt", text).expect("parses");
        assert_eq!(list.len(), 2);
        assert_eq!(list.name(), "l.txt");
        let err = Blocklist::parse("l.txt", "3c43\n").expect_err("short");
        assert_eq!(
            err,
            Error::Blocklist {
                name: "l.txt".into(),
                line: 1,
                text: "3c43".into()
            }
        );
        let err = Blocklist::parse("l.txt", "\n\nzz").expect_err("not hex");
        assert!(err.to_string().starts_with("l.txt line 3:"), "{err}");
        assert!(Blocklist::parse("e", "").expect("empty").is_empty());
        assert_eq!(
            format!("{list:?}"),
            r#"Blocklist { name: "l.txt", modulus_sha1: 1, spki_sha256: 1 }"#
        );
    }

    #[test]
    fn fingerprint_drops_leading_zero_digits() {
        // 0x0A1B → "A1B"
        let a = modulus_fingerprint(&[0x0a, 0x1b]);
        let digest = aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY,
            b"Modulus=A1B\n",
        );
        assert_eq!(&a[..], &digest.as_ref()[10..]);
    }
}
