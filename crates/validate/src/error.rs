//! The crate's error type: only configuration can fail; input never does.

/// What can go wrong building a [`crate::Policy`]. Validating input never
/// fails: bad input is a finding.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A rule named by `--allow`, `--deny` or the policy file does not exist.
    #[error(
        "unknown rule {rule:?} (from {origin}): give a code such as V204 or a \
         name such as cn-not-in-san; `csrkit explain` lists them"
    )]
    UnknownRule {
        /// The text given.
        rule: String,
        /// Where it came from (`--allow`, `policy file [severity]`...).
        origin: String,
    },
    /// A severity that is not `error`, `warning`, `info` or `allow`.
    #[error(
        "invalid severity {value:?} for {rule:?} in the policy file: use \
         \"error\", \"warning\", \"info\" or \"allow\""
    )]
    InvalidSeverity {
        /// The rule it was meant for.
        rule: String,
        /// The text given.
        value: String,
    },
    /// A profile name that is not `alibaba-dv` or `br-dv`.
    #[error("unknown profile {profile:?}: use \"alibaba-dv\" or \"br-dv\"")]
    UnknownProfile {
        /// The text given.
        profile: String,
    },
    /// A key type that is not one of `rsa`, `p256`, `p384`, `p521`, `ed25519`.
    #[error(
        "unknown key type {key_type:?} in allowed_key_types: use \"rsa\", \
         \"p256\", \"p384\", \"p521\" or \"ed25519\""
    )]
    UnknownKeyType {
        /// The text given.
        key_type: String,
    },
    /// A domain in `allowed_domains` or `--expect-domain` that is not a
    /// valid host name.
    #[error("invalid domain {domain:?} in {origin}: {reason}")]
    InvalidDomain {
        /// The text given.
        domain: String,
        /// Where it came from.
        origin: String,
        /// Why it is not valid.
        reason: String,
    },
    /// `inspect` found no certificate request it could read.
    #[error("no readable certificate request: {reason}")]
    NotARequest {
        /// What the input is instead.
        reason: String,
    },
    /// A key blocklist line that is neither a 20-hex-digit openssl-vulnkey
    /// fingerprint nor a 64-hex-digit SHA-256 of a SubjectPublicKeyInfo.
    #[error(
        "{name} line {line}: {text:?} is not a blocklist entry; each line is 20 hex \
         digits (openssl-vulnkey: the last 20 of `openssl rsa -noout -modulus | sha1sum`) \
         or 64 (SHA-256 of the DER SubjectPublicKeyInfo, as `csrkit inspect` prints), \
         and # starts a comment"
    )]
    Blocklist {
        /// The list's name (its file name).
        name: String,
        /// The 1-based line number.
        line: usize,
        /// The line, cut to 80 characters.
        text: String,
    },
    /// The policy file is not valid TOML, or a key has the wrong type.
    #[error("the policy file is invalid: {reason}")]
    Policy {
        /// What is wrong, naming the key.
        reason: String,
    },
}
