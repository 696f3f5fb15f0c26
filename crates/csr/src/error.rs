//! The one error type of this crate.

use std::path::PathBuf;

/// What went wrong making or storing a key or CSR.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A domain is not a valid host name.
    #[error(transparent)]
    InvalidName(#[from] csrkit_names::NameError),
    /// No domain was given.
    #[error("no domain given: pass at least one --domain")]
    NoDomains,
    /// A subject attribute cannot be encoded.
    #[error("subject {field} {value:?} is not valid: {reason}")]
    InvalidSubject {
        /// The attribute, e.g. `C`.
        field: &'static str,
        /// The value given.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// The cryptographic backend could not make a key.
    #[error("could not generate a {key_type} key: {reason}")]
    KeyGeneration {
        /// The key type asked for.
        key_type: crate::KeyType,
        /// What the backend said.
        reason: String,
    },
    /// A key file could not be read as a private key.
    #[error("{source_name}: {reason}")]
    KeyParse {
        /// The file or source the key came from.
        source_name: String,
        /// What is wrong and what to do.
        reason: String,
    },
    /// The key is encrypted and no passphrase was given.
    #[error(
        "{source_name}: the key is encrypted; give its passphrase (--passphrase-file or CSRKIT_KEY_PASSPHRASE)"
    )]
    PassphraseRequired {
        /// The file or source the key came from.
        source_name: String,
    },
    /// The passphrase does not open the key.
    #[error("{source_name}: the passphrase does not decrypt this key")]
    WrongPassphrase {
        /// The file or source the key came from.
        source_name: String,
    },
    /// Signing the request failed.
    #[error("could not sign the CSR: {reason}")]
    Signing {
        /// What the backend said.
        reason: String,
    },
    /// Encrypting the key failed.
    #[error("could not encrypt the private key: {reason}")]
    Encryption {
        /// What the encoder said.
        reason: String,
    },
    /// The file exists (a dangling symbolic link counts) and overwriting was
    /// not asked for.
    #[error(
        "{} already exists; refusing to overwrite it (use --force to replace it, \
         or --out-dir for another directory)",
        path.display()
    )]
    AlreadyExists {
        /// The file.
        path: PathBuf,
    },
    /// The output directory's name is taken by something else.
    #[error(
        "{} exists and is not a directory (it is {what}); remove it, or choose \
         another --out-dir",
        path.display()
    )]
    NotADirectory {
        /// The name.
        path: PathBuf,
        /// What it is: "a dangling symbolic link", "a character device", …
        what: &'static str,
    },
    /// Every user may write to the output directory, so anyone could swap
    /// the files after they are written.
    #[error(
        "{} is writable by every user (mode {mode:04o}) without the sticky bit: anyone \
         could replace the key or the CSR once written; use a private directory \
         (chmod o-w, or another --out-dir), or pass --force to write there anyway",
        path.display()
    )]
    SharedDirectory {
        /// The directory.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The process was interrupted; nothing was written.
    #[error("interrupted; nothing was written")]
    Interrupted,
    /// A file could not be written. (The OS error is the source, shown once
    /// by a caller printing the chain.)
    #[error("could not write {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}
