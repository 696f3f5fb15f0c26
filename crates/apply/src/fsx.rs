//! Small file-system operations the layout needs: a key loaded with its
//! passphrase, directories made 0700, a file linked (or copied) into a
//! generation, a symbolic link replaced with one `rename(2)`.

use std::path::{Path, PathBuf};

use csrkit_csr::PrivateKey;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// The key file name inside a certificate's directory (and a generation).
pub const KEY_FILE: &str = "privkey.pem";
/// The CSR file name inside a certificate's directory (and a generation).
pub const CSR_FILE: &str = "request.csr";

/// Loads a key file; an encrypted one needs `passphrase`.
pub(crate) fn load_key(path: &Path, passphrase: Option<&Zeroizing<String>>) -> Result<PrivateKey> {
    let bytes =
        Zeroizing::new(std::fs::read(path).map_err(|e| {
            Error::input(format!("cannot read the key file {}: {e}", path.display()))
        })?);
    let name = path.display().to_string();
    match csrkit_csr::load_key(&bytes, &name, passphrase.map(|p| p.as_bytes())) {
        Err(csrkit_csr::Error::PassphraseRequired { .. }) => Err(Error::input(format!(
            "{} is encrypted: set CSRKIT_KEY_PASSPHRASE to its passphrase",
            path.display()
        ))),
        other => Ok(other?),
    }
}

/// Creates a directory (and its parents) 0700 when missing, as `csrkit
/// generate` does: it will hold a key. A name taken by something else is
/// refused; what a killed csrkit left in it is swept.
pub fn create_dir(dir: &Path) -> Result<()> {
    let options = csrkit_csr::DirOptions::create().allow_shared(true);
    csrkit_csr::OutputDir::open(dir, &options)?.keep();
    Ok(())
}

/// Flushes a directory's entries to disk.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("flush", dir))
}

/// Makes `to` name the file `from` names (a hard link: same bytes, same
/// mode, atomic). `from` is resolved through links first.
pub(crate) fn link_file(from: &Path, to: &Path) -> Result<()> {
    let real = std::fs::canonicalize(from).map_err(Error::io("resolve", from))?;
    std::fs::hard_link(&real, to).map_err(Error::io("link", to))
}

/// Points the symbolic link `link` at `target` with one `rename(2)` of a
/// fresh link over it: a reader sees the old target or the new one, never
/// no file.
pub(crate) fn replace_symlink(target: &Path, link: &Path) -> Result<()> {
    let dir = match link.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = link
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.csrkit-link-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::os::unix::fs::symlink(target, &tmp).map_err(Error::io("make the link", &tmp))?;
    if let Err(e) = std::fs::rename(&tmp, link) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("switch", link)(e));
    }
    Ok(())
}

/// Whether `path` is a symbolic link to exactly `target`.
pub(crate) fn links_to(path: &Path, target: &Path) -> bool {
    std::fs::read_link(path).is_ok_and(|t| t == target)
}

/// Removes a file or link if it is there.
pub(crate) fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io("remove", path)(e)),
    }
}

/// Whether `path` exists without following a final link.
pub(crate) fn present(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}
