//! The files are the journal's: the CSR and the key a directory's order was
//! placed with are checked against the journal's fingerprints before a
//! Create, before a resume and before a certificate is installed; and a new
//! key and CSR are written (a new key 0600, never over an existing file).

use std::path::Path;

use csrkit_csr::{FileToWrite, WriteMode};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::fsx::{create_dir, load_key};
use crate::journal::{JOURNAL_FILE, Journal};
use crate::lint;
use crate::plan::Material;

/// Checks the CSR and the key file against the journal (an input error on
/// a mismatch, naming the file and what to do).
pub(crate) fn check(dir: &Path, j: &Journal, passphrase: Option<&Zeroizing<String>>) -> Result<()> {
    let csr_path = dir.join(&j.files.csr);
    let der = lint::read_csr(&csr_path).map_err(|e| mismatch(dir, j, &csr_path, &e.to_string()))?;
    let have = hex::encode(Sha256::digest(&der));
    if have != j.csr_sha256 {
        return Err(mismatch(
            dir,
            j,
            &csr_path,
            &format!(
                "it is not the CSR the journal records (sha256 {have}, recorded {})",
                j.csr_sha256
            ),
        ));
    }
    check_key(dir, j, passphrase)
}

/// Checks the key file alone (before a certificate is installed).
pub(crate) fn check_key(
    dir: &Path,
    j: &Journal,
    passphrase: Option<&Zeroizing<String>>,
) -> Result<()> {
    let Some(key) = &j.files.key else {
        return Ok(());
    };
    let path = dir.join(key);
    if !path.exists() {
        return Err(mismatch(dir, j, &path, "it is missing"));
    }
    let key = load_key(&path, passphrase).map_err(|e| {
        Error::input(format!(
            "cannot read the key {} to check that it is the one the order was placed with ({e}); \
             for an encrypted key, set CSRKIT_KEY_PASSPHRASE. Nothing was sent",
            path.display()
        ))
    })?;
    if key.spki_sha256() != j.key_spki_sha256 {
        return Err(mismatch(
            dir,
            j,
            &path,
            &format!(
                "it is not the key the journal records (public key sha256 {}, recorded {})",
                key.spki_sha256(),
                j.key_spki_sha256
            ),
        ));
    }
    Ok(())
}

fn mismatch(dir: &Path, j: &Journal, path: &Path, what: &str) -> Error {
    let todo = if j.nothing_sent() {
        format!(
            "Nothing was sent for {} yet: put the original back, or remove {} to start over with \
             the files as they are now",
            dir.display(),
            dir.join(JOURNAL_FILE).display()
        )
    } else {
        format!(
            "Put the original back (the recorded order was placed with it), or order a \
             certificate for a new key with `csrkit apply --out-dir {} --new-order --key-type \
             TYPE` (the recorded order stays recorded)",
            dir.display()
        )
    };
    Error::input(format!(
        "{}: {what}. {todo}. Nothing was sent",
        path.display()
    ))
}

/// Writes a key and CSR that are not on disk yet (a new key 0600); a CSR
/// copied in from `--csr` may already be there from an interrupted run.
pub(crate) fn write(dir: &Path, m: &Material) -> Result<()> {
    let csr_path = dir.join(&m.csr_file);
    if let Some(parent) = csr_path.parent() {
        create_dir(parent)?;
    }
    let mut files = Vec::new();
    let key_path = m.key_file.as_ref().map(|k| dir.join(k));
    if let (Some(pem), Some(path)) = (&m.new_key_pem, &key_path) {
        files.push(FileToWrite::secret(path, pem.as_bytes()));
    }
    if m.write_csr {
        match std::fs::read(&csr_path) {
            Ok(existing) if lint::csr_der(&existing, &csr_path).is_ok_and(|d| d == m.csr_der) => {}
            Ok(_) => {
                return Err(Error::input(format!(
                    "{} already holds another CSR; move it away, or use another --out-dir",
                    csr_path.display()
                )));
            }
            Err(_) => files.push(FileToWrite::public(&csr_path, m.csr_pem.as_bytes())),
        }
    }
    csrkit_csr::write_files(&files, WriteMode::CreateNew)?;
    Ok(())
}
