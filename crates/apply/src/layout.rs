//! The directory layout, designed once for the first certificate and every
//! renewal after it (DESIGN.md "Renewal"):
//!
//! ```text
//! example.com/
//!   order.json                 the journal
//!   current -> generations/2   switched with one rename(2) of a fresh link
//!   privkey.pem -> current/privkey.pem      stable names, relative links
//!   request.csr -> current/request.csr      through `current`
//!   cert.pem, chain.pem, fullchain.pem, combined.pem -> current/…
//!   generations/1/             a complete set, never changed once installed:
//!   generations/2/               privkey.pem request.csr cert.pem chain.pem
//!                                fullchain.pem combined.pem generation.json
//! ```
//!
//! [`install`] writes generation N completely (the key and CSR are linked
//! in, the certificate files written atomically, `combined.pem` = the key
//! and the full chain in one file, mode 0600, `generation.json` = the
//! order and certificate ids), and only then points `current` at it, with
//! one `rename(2)`. A reader that resolves `current` once (or reads
//! `combined.pem`) therefore always sees one generation's key and
//! certificate, and no reader ever sees a missing or half-written file
//! once the first certificate is installed. While generation N+1 waits for
//! its certificate, N keeps serving.
//!
//! Until the directory's first certificate is installed, its key and CSR
//! sit at the top level, as `csrkit generate` leaves them; a later order's
//! new key and CSR go straight into their generation. A key given with
//! `--key` from outside the directory is never copied: that generation has
//! no `privkey.pem` and no `combined.pem`.
//!
//! Directories of earlier csrkit versions (the certificate files at the top
//! level, no `current`) are migrated by [`migrate`] on the first `apply`:
//! the files are linked into `generations/1/` and each top-level name is
//! replaced by its link with one `rename(2)`, so a reader sees the same
//! bytes throughout; a key and CSR waiting in `next/` become the next
//! generation; `retired/` is left as it is.

use std::path::{Component, Path, PathBuf};

use csrkit_csr::{FileToWrite, WriteMode};
use serde_json::json;

use crate::chain::Issued;
use crate::error::{Error, Result};
use crate::fsx::{
    CSR_FILE, KEY_FILE, create_dir, link_file, links_to, present, remove_if_present,
    replace_symlink, sync_dir,
};
use crate::journal::{self, Files, Generation, Journal};

/// The directory holding the generations.
pub const GENERATIONS_DIR: &str = "generations";
/// The link to the generation in use.
pub const CURRENT_LINK: &str = "current";
/// The leaf certificate.
pub const CERT_FILE: &str = "cert.pem";
/// The intermediates.
pub const CHAIN_FILE: &str = "chain.pem";
/// The leaf, then the intermediates.
pub const FULLCHAIN_FILE: &str = "fullchain.pem";
/// The key, then the full chain, in one file (as HAProxy reads it).
pub const COMBINED_FILE: &str = "combined.pem";
/// A generation's order id, certificate id and validity.
pub const GENERATION_FILE: &str = "generation.json";

/// The stable top-level names, each a link through `current`.
const STABLE: [&str; 6] = [
    KEY_FILE,
    CSR_FILE,
    CERT_FILE,
    CHAIN_FILE,
    FULLCHAIN_FILE,
    COMBINED_FILE,
];
/// Where issue-10 directories staged a new key and CSR.
const LEGACY_NEXT: &str = "next";
/// Where files that no generation holds are moved aside.
const RETIRED_DIR: &str = "retired";

/// `generations/N`, relative to the certificate's directory.
pub fn generation_dir(n: u32) -> PathBuf {
    Path::new(GENERATIONS_DIR).join(n.to_string())
}

/// The generation a path relative to the directory lies in
/// (`generations/N/…`).
pub(crate) fn number_of(path: &Path) -> Option<u32> {
    let mut parts = path.components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(g)), Some(Component::Normal(n))) if g == GENERATIONS_DIR => {
            n.to_str()?.parse().ok()
        }
        _ => None,
    }
}

/// The number for a generation not made yet: above every one the journal
/// knows and every directory in `generations/` (an interrupted run may
/// have left one that nothing records).
pub(crate) fn next_number(dir: &Path, j: &Journal) -> u32 {
    let mut max = j.generations.iter().map(|g| g.number).max().unwrap_or(0);
    max = max.max(j.current.unwrap_or(0));
    max = max.max(number_of(&j.files.csr).unwrap_or(0));
    if let Ok(entries) = std::fs::read_dir(dir.join(GENERATIONS_DIR)) {
        for e in entries.flatten() {
            if let Some(n) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) {
                max = max.max(n);
            }
        }
    }
    max.saturating_add(1)
}

/// The generation this order's certificate goes into: the one its key and
/// CSR were written to, else a new one.
fn target_number(dir: &Path, j: &Journal) -> u32 {
    match number_of(&j.files.csr) {
        Some(n) if !j.generations.iter().any(|g| g.number == n) => n,
        _ => next_number(dir, j),
    }
}

/// Whether the order the journal follows is the one `current` serves.
pub(crate) fn installed(dir: &Path, j: &Journal) -> bool {
    let Some(order) = &j.order_id else {
        return false;
    };
    j.files.cert.is_some()
        && j.current.is_some_and(|n| {
            j.generations
                .iter()
                .any(|g| g.number == n && &g.order_id == order)
                && links_to(&dir.join(CURRENT_LINK), &generation_dir(n))
        })
}

/// Writes the order's generation completely, switches `current` to it and
/// records it in the journal (see the module docs). The key and the CSR
/// must have been checked against the journal.
pub(crate) fn install(
    dir: &Path,
    j: &mut Journal,
    issued: &Issued,
    order_id: &str,
    cert_id: Option<String>,
) -> Result<Generation> {
    let n = target_number(dir, j);
    let rel = generation_dir(n);
    let gdir = dir.join(&rel);
    create_dir(&gdir)?;
    let key_inside = j.files.key.as_deref().filter(|k| k.is_relative());
    let has_key = match key_inside {
        Some(k) => adopt(dir, &gdir, k, KEY_FILE)?,
        None => false,
    };
    adopt(dir, &gdir, &j.files.csr, CSR_FILE)?;

    let generation = Generation {
        number: n,
        order_id: order_id.to_owned(),
        cert_id,
        key_spki_sha256: j.key_spki_sha256.clone(),
        not_before: issued.not_before.clone(),
        not_after: issued.not_after.clone(),
        installed_at: journal::now(),
        pruned_at: None,
    };
    write_certificate(&gdir, issued, &generation, has_key)?;
    switch(dir, n)?;

    j.generations.retain(|g| g.number != n);
    j.generations.push(generation.clone());
    j.current = Some(n);
    crate::hooks::mark_due(j, n);
    j.files = Files {
        key: if has_key {
            Some(PathBuf::from(KEY_FILE))
        } else {
            j.files.key.clone().filter(|k| k.is_absolute())
        },
        csr: PathBuf::from(CSR_FILE),
        cert: Some(PathBuf::from(CERT_FILE)),
        chain: Some(PathBuf::from(CHAIN_FILE)),
        fullchain: Some(PathBuf::from(FULLCHAIN_FILE)),
    };
    j.not_after = Some(issued.not_after.clone());
    j.save(dir)?;
    Ok(generation)
}

/// Makes `gdir/name` the file `from` (relative to `dir`) names: linked in,
/// or already there (the same file, or the same bytes from an interrupted
/// install). Returns true.
fn adopt(dir: &Path, gdir: &Path, from: &Path, name: &str) -> Result<bool> {
    let src = dir.join(from);
    let dst = gdir.join(name);
    if !present(&dst) {
        link_file(&src, &dst)?;
        return Ok(true);
    }
    let same = match (std::fs::canonicalize(&src), std::fs::canonicalize(&dst)) {
        (Ok(a), Ok(b)) if a == b => true,
        _ => match (std::fs::read(&src), std::fs::read(&dst)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        },
    };
    if !same {
        return Err(Error::input(format!(
            "{} holds another file than {}, which the journal records; move {} away and run \
             again",
            dst.display(),
            src.display(),
            gdir.display()
        )));
    }
    Ok(true)
}

/// The certificate files of a generation, `generation.json` and, with the
/// key, `combined.pem`, each written atomically and flushed together (the
/// generation is not served yet).
fn write_certificate(gdir: &Path, issued: &Issued, g: &Generation, has_key: bool) -> Result<()> {
    let full = format!("{}{}", issued.cert_pem, issued.chain_pem);
    let (cert, chain, fullchain) = (
        gdir.join(CERT_FILE),
        gdir.join(CHAIN_FILE),
        gdir.join(FULLCHAIN_FILE),
    );
    let mut files = vec![
        FileToWrite::public(&cert, issued.cert_pem.as_bytes()),
        FileToWrite::public(&chain, issued.chain_pem.as_bytes()),
        FileToWrite::public(&fullchain, full.as_bytes()),
    ];
    let extras = Extras::of(gdir, g, has_key.then_some(full.as_bytes()))?;
    extras.push_onto(&mut files);
    csrkit_csr::write_files(&files, WriteMode::Overwrite)?;
    Ok(())
}

/// `generation.json` and `combined.pem` (the key, then the full chain).
struct Extras {
    meta: Vec<u8>,
    combined: Option<zeroize::Zeroizing<Vec<u8>>>,
    paths: [PathBuf; 2],
}

impl Extras {
    /// With `full` (the full chain), the combined file is made from the
    /// generation's key.
    fn of(gdir: &Path, g: &Generation, full: Option<&[u8]>) -> Result<Extras> {
        let meta = serde_json::to_vec_pretty(&json!({
            "number": g.number,
            "order_id": g.order_id,
            "cert_id": g.cert_id,
            "not_before": g.not_before,
            "not_after": g.not_after,
            "key_spki_sha256": g.key_spki_sha256,
        }))
        .unwrap_or_default();
        let combined = match full {
            Some(full) => {
                let k = gdir.join(KEY_FILE);
                let mut b =
                    zeroize::Zeroizing::new(std::fs::read(&k).map_err(Error::io("read", &k))?);
                if !b.ends_with(b"\n") {
                    b.push(b'\n');
                }
                b.extend_from_slice(full);
                Some(b)
            }
            None => None,
        };
        Ok(Extras {
            meta,
            combined,
            paths: [gdir.join(GENERATION_FILE), gdir.join(COMBINED_FILE)],
        })
    }

    fn push_onto<'a>(&'a self, files: &mut Vec<FileToWrite<'a>>) {
        files.push(FileToWrite::public(&self.paths[0], &self.meta));
        if let Some(c) = &self.combined {
            files.push(FileToWrite::secret(&self.paths[1], c));
        }
    }
}

/// `generation.json` and, with the key, `combined.pem`, from the files
/// already in the generation (a migrated one).
fn write_extras(gdir: &Path, g: &Generation, has_key: bool) -> Result<()> {
    let full = if has_key {
        let f = gdir.join(FULLCHAIN_FILE);
        Some(std::fs::read(&f).map_err(Error::io("read", &f))?)
    } else {
        None
    };
    let extras = Extras::of(gdir, g, full.as_deref())?;
    let mut files = Vec::new();
    extras.push_onto(&mut files);
    csrkit_csr::write_files(&files, WriteMode::Overwrite)?;
    Ok(())
}

/// Switches the directory to generation `n`: first the stable names that
/// generation lacks go (a key given from outside the directory), then
/// `current` is replaced with one rename, then every stable name it has is
/// made a link through `current` (one rename each; a name that already is
/// one is left alone, so for a renewal the switch of `current` is the only
/// change a reader can see).
fn switch(dir: &Path, n: u32) -> Result<()> {
    let gdir = dir.join(generation_dir(n));
    let (has, lacks): (Vec<&str>, Vec<&str>) =
        STABLE.iter().partition(|name| present(&gdir.join(name)));
    for name in lacks {
        set_aside(dir, name)?;
    }
    replace_symlink(&generation_dir(n), &dir.join(CURRENT_LINK))?;
    for name in has {
        let target = Path::new(CURRENT_LINK).join(name);
        let link = dir.join(name);
        if !links_to(&link, &target) {
            replace_symlink(&target, &link)?;
        }
    }
    sync_dir(dir)
}

/// Removes a stable name the new generation does not have: a link goes; a
/// regular file (a key `csrkit generate` left that is not the order's) is
/// moved to `retired/<time>/`, never deleted.
fn set_aside(dir: &Path, name: &str) -> Result<()> {
    let path = dir.join(name);
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_symlink() => remove_if_present(&path),
        Ok(_) => {
            let to = dir.join(RETIRED_DIR).join(journal::now().replace(':', ""));
            create_dir(&to)?;
            std::fs::rename(&path, to.join(name)).map_err(Error::io("move aside", &path))
        }
        Err(_) => Ok(()),
    }
}

/// Migrates a directory of an earlier csrkit (see the module docs).
/// Returns a sentence saying what was done, or `None` when there was
/// nothing to do.
pub(crate) fn migrate(dir: &Path, j: &mut Journal) -> Result<Option<String>> {
    if j.current.is_some() || present(&dir.join(CURRENT_LINK)) {
        return Ok(None);
    }
    let mut done = Vec::new();
    if is_regular(&dir.join(CERT_FILE)) {
        let n = next_number(dir, j);
        migrate_flat(dir, j, n)?;
        done.push(format!("its certificate is generation {n}"));
    }
    let in_next = |p: &Path| p.starts_with(LEGACY_NEXT);
    let staged = in_next(&j.files.csr) || j.files.key.as_deref().is_some_and(in_next);
    if staged && dir.join(LEGACY_NEXT).is_dir() {
        let n = next_number(dir, j);
        let rel = generation_dir(n);
        create_dir(&dir.join(GENERATIONS_DIR))?;
        let next = dir.join(LEGACY_NEXT);
        std::fs::rename(&next, dir.join(&rel)).map_err(Error::io("move", &next))?;
        j.files.csr = moved_from_next(&j.files.csr, &rel);
        j.files.key = j.files.key.as_deref().map(|k| moved_from_next(k, &rel));
        done.push(format!("the new key and CSR in next/ are generation {n}"));
    }
    if done.is_empty() {
        return Ok(None);
    }
    j.save(dir)?;
    Ok(Some(format!(
        "{} now keeps its certificates in generations (current -> generations/N): {}",
        dir.display(),
        done.join("; ")
    )))
}

/// A journal path under `next/`, moved into the generation `rel`.
fn moved_from_next(p: &Path, rel: &Path) -> PathBuf {
    match p.strip_prefix(LEGACY_NEXT) {
        Ok(rest) => rel.join(rest),
        Err(_) => p.to_path_buf(),
    }
}

fn is_regular(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file())
}

/// Links the flat files of an installed certificate into generation `n`
/// and switches to it: every top-level name keeps its bytes throughout.
fn migrate_flat(dir: &Path, j: &mut Journal, n: u32) -> Result<()> {
    let gdir = dir.join(generation_dir(n));
    create_dir(&gdir)?;
    let cert_pem = std::fs::read_to_string(dir.join(CERT_FILE))
        .map_err(Error::io("read", dir.join(CERT_FILE)))?;
    let leaf = crate::chain::leaf_facts(&cert_pem)?;
    // The flat key is this certificate's, unless it provably is not (an
    // encrypted key cannot be read here: earlier versions never left a
    // key beside a certificate it did not match).
    let key = dir.join(KEY_FILE);
    let has_key =
        is_regular(&key) && crate::chain::key_file_spki(&key).is_none_or(|s| s == leaf.spki_sha256);
    let mut names = vec![CERT_FILE, CHAIN_FILE, FULLCHAIN_FILE, CSR_FILE];
    if has_key {
        names.push(KEY_FILE);
    }
    for name in names {
        let from = dir.join(name);
        if is_regular(&from) && !present(&gdir.join(name)) {
            link_file(&from, &gdir.join(name))?;
        }
    }
    let order_id = if j.files.cert.is_some() {
        j.order_id.clone()
    } else {
        j.previous_orders.last().map(|p| p.order_id.clone())
    }
    .unwrap_or_default();
    let generation = Generation {
        number: n,
        order_id,
        cert_id: None,
        key_spki_sha256: leaf.spki_sha256,
        not_before: leaf.not_before,
        not_after: leaf.not_after,
        installed_at: journal::now(),
        pruned_at: None,
    };
    write_extras(&gdir, &generation, has_key)?;
    switch(dir, n)?;
    j.generations.push(generation);
    j.current = Some(n);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn generation_numbers() {
        assert_eq!(number_of(Path::new("generations/3/request.csr")), Some(3));
        assert_eq!(number_of(Path::new("request.csr")), None);
        assert_eq!(number_of(Path::new("generations/x/request.csr")), None);
        assert_eq!(generation_dir(12), PathBuf::from("generations/12"));
    }

    #[test]
    fn replace_symlink_switches_in_one_rename() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("generations/1")).unwrap();
        std::fs::create_dir_all(d.path().join("generations/2")).unwrap();
        let cur = d.path().join(CURRENT_LINK);
        replace_symlink(&generation_dir(1), &cur).unwrap();
        assert!(links_to(&cur, &generation_dir(1)));
        replace_symlink(&generation_dir(2), &cur).unwrap();
        assert!(links_to(&cur, &generation_dir(2)));
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 2, "a temporary link was left: {names:?}");
    }
}
