//! The files are the journal's: the CSR and the key a directory's order was
//! placed with are checked against the journal's fingerprints before a
//! Create, before a resume and before a certificate is saved; and a
//! certificate is installed so that `cert.pem` never sits next to a
//! `privkey.pem` it does not match.
//!
//! A `--new-order` with a new key or CSR keeps them in `next/` while the
//! old certificate and key go on being served. When the new certificate is
//! issued, [`install`] moves the old set to `retired/<time>/` (certificate
//! files first, then the key and CSR), moves the new key and CSR up, and
//! only then writes the new certificate: at every moment the top level
//! holds a matching pair, or a key without a certificate.

use std::path::{Path, PathBuf};

use anyhow::Context;
use csrkit_csr::{FileToWrite, WriteMode};
use sha2::{Digest, Sha256};

use super::chain::Issued;
use super::journal::{JOURNAL_FILE, Journal};
use super::plan::{self, Material};
use crate::cmd::generate::{self, CSR_FILE, KEY_FILE};
use crate::exit;

/// Where a new key and CSR wait for their certificate.
pub(crate) const NEXT_DIR: &str = "next";
/// Where a replaced set goes.
const RETIRED_DIR: &str = "retired";
/// The certificate files, in the order they are moved aside.
const CERT_FILES: [&str; 3] = ["fullchain.pem", "cert.pem", "chain.pem"];

/// Checks `request.csr` and the key file against the journal (exit 2 on a
/// mismatch, naming the file and what to do). A file the journal places in
/// `next/` but that an interrupted [`install`] already moved up is found
/// there, and the journal follows it.
pub(crate) fn check(dir: &Path, j: &Journal) -> anyhow::Result<()> {
    let csr_path = dir.join(&j.files.csr);
    let der =
        plan::read_csr(&csr_path).map_err(|e| mismatch(dir, j, &csr_path, &format!("{e:#}")))?;
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
    check_key(dir, j)
}

/// Checks the key file alone (before a certificate is saved).
pub(crate) fn check_key(dir: &Path, j: &Journal) -> anyhow::Result<()> {
    let Some(key) = &j.files.key else {
        return Ok(());
    };
    let path = dir.join(key);
    if !path.exists() {
        return Err(mismatch(dir, j, &path, "it is missing"));
    }
    let key = generate::load(&path, None).map_err(|e| {
        exit::fail(
            exit::USAGE,
            format!(
                "cannot read the key {} to check that it is the one the order was placed with                  ({e:#}); for an encrypted key, set CSRKIT_KEY_PASSPHRASE. Nothing was sent",
                path.display()
            ),
        )
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

fn mismatch(dir: &Path, j: &Journal, path: &Path, what: &str) -> anyhow::Error {
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
    exit::fail(
        exit::USAGE,
        format!("{}: {what}. {todo}. Nothing was sent", path.display()),
    )
}

/// Writes a key and CSR that are not on disk yet (a new key 0600); a CSR
/// copied in from `--csr` may already be there from an interrupted run.
pub(crate) fn write_material(dir: &Path, m: &Material) -> anyhow::Result<()> {
    let csr_path = dir.join(&m.csr_file);
    if let Some(parent) = csr_path.parent() {
        generate::create_dir(parent)?;
    }
    let mut files = Vec::new();
    let key_path = m.key_file.as_ref().map(|k| dir.join(k));
    if let (Some(pem), Some(path)) = (&m.new_key_pem, &key_path) {
        files.push(FileToWrite::secret(path, pem.as_bytes()));
    }
    if m.write_csr {
        match std::fs::read(&csr_path) {
            Ok(existing)
                if super::lint::csr_der(&existing, &csr_path).is_ok_and(|d| d == m.csr_der) => {}
            Ok(_) => anyhow::bail!(
                "{} already holds another CSR; move it away, or use another --out-dir",
                csr_path.display()
            ),
            Err(_) => files.push(FileToWrite::public(&csr_path, m.csr_pem.as_bytes())),
        }
    }
    csrkit_csr::write_files(&files, WriteMode::CreateNew)
        .with_context(|| format!("cannot write the key and CSR into {}", dir.display()))?;
    Ok(())
}

/// Saves an issued certificate next to its key, moving a replaced key and
/// certificate aside first (see the module docs). Records the files in the
/// journal.
pub(crate) fn install(dir: &Path, j: &mut Journal, issued: &Issued) -> anyhow::Result<()> {
    // A top-level key that is not the certificate's goes aside with the
    // certificate it belongs to.
    let top_key = dir.join(KEY_FILE);
    let replaced =
        top_key.exists() && generate::load(&top_key, None)?.spki_sha256() != j.key_spki_sha256;
    let staged = j.files.csr.starts_with(NEXT_DIR);
    if replaced || staged {
        retire_top_level(dir, j, replaced)?;
    }
    if staged {
        promote(dir, j)?;
    }
    let full = format!("{}{}", issued.cert_pem, issued.chain_pem);
    let (cert, chain, fullchain) = (
        dir.join("cert.pem"),
        dir.join("chain.pem"),
        dir.join("fullchain.pem"),
    );
    csrkit_csr::write_files(
        &[
            FileToWrite::public(&cert, issued.cert_pem.as_bytes()),
            FileToWrite::public(&chain, issued.chain_pem.as_bytes()),
            FileToWrite::public(&fullchain, full.as_bytes()),
        ],
        WriteMode::Overwrite,
    )?;
    j.files.cert = Some("cert.pem".into());
    j.files.chain = Some("chain.pem".into());
    j.files.fullchain = Some("fullchain.pem".into());
    j.not_after = Some(issued.not_after.clone());
    j.save(dir)
}

/// Moves the certificate files, and with `key` the top-level key and CSR,
/// into `retired/<now>/`.
fn retire_top_level(dir: &Path, j: &Journal, key: bool) -> anyhow::Result<()> {
    let stamp = super::journal::now().replace(':', "");
    let to = dir.join(RETIRED_DIR).join(stamp);
    generate::create_dir(&to)?;
    let mut names: Vec<&str> = CERT_FILES.to_vec();
    if key {
        names.push(KEY_FILE);
    }
    if j.files.csr.starts_with(NEXT_DIR) {
        names.push(CSR_FILE);
    }
    for name in names {
        let from = dir.join(name);
        if from.exists() {
            std::fs::rename(&from, to.join(name))
                .with_context(|| format!("cannot move {} into {}", from.display(), to.display()))?;
        }
    }
    Ok(())
}

/// Moves `next/privkey.pem` and `next/request.csr` up, recording each move
/// in the journal as it happens.
fn promote(dir: &Path, j: &mut Journal) -> anyhow::Result<()> {
    for (name, is_key) in [(KEY_FILE, true), (CSR_FILE, false)] {
        let staged = PathBuf::from(NEXT_DIR).join(name);
        let slot = if is_key {
            j.files.key.as_mut()
        } else {
            Some(&mut j.files.csr)
        };
        let Some(slot) = slot.filter(|p| **p == staged) else {
            continue;
        };
        std::fs::rename(dir.join(&staged), dir.join(name))
            .with_context(|| format!("cannot move {} up", dir.join(&staged).display()))?;
        *slot = PathBuf::from(name);
        j.save(dir)?;
    }
    let _ = std::fs::remove_dir(dir.join(NEXT_DIR));
    Ok(())
}

/// A journal whose `next/` file was already moved up by an interrupted
/// [`install`]: point it at the top-level file when that one has the
/// recorded fingerprint (in memory; the next save records it).
pub(crate) fn follow_moved(dir: &Path, j: &mut Journal) {
    let csr_staged = PathBuf::from(NEXT_DIR).join(CSR_FILE);
    if j.files.csr == csr_staged && !dir.join(&csr_staged).exists() {
        let top = dir.join(CSR_FILE);
        if plan::read_csr(&top).is_ok_and(|d| hex::encode(Sha256::digest(&d)) == j.csr_sha256) {
            j.files.csr = PathBuf::from(CSR_FILE);
        }
    }
    let key_staged = PathBuf::from(NEXT_DIR).join(KEY_FILE);
    if j.files.key.as_ref() == Some(&key_staged) && !dir.join(&key_staged).exists() {
        let top = dir.join(KEY_FILE);
        if generate::load(&top, None).is_ok_and(|k| k.spki_sha256() == j.key_spki_sha256) {
            j.files.key = Some(PathBuf::from(KEY_FILE));
        }
    }
}
