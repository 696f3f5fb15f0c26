//! Writing files so that they are never half-written, a key is never
//! readable by others, and nothing is replaced unless asked.
//!
//! Every write goes to a temporary file in the target directory, is flushed
//! to disk (`fsync`), then renamed into place; the directory is flushed too,
//! so after a crash the file is either absent or whole. Without
//! [`WriteMode::Overwrite`] the rename refuses to replace an existing file
//! (a hard link, which fails atomically if the name exists), so even a race
//! with another process cannot clobber a key.

use std::fs::{File, Permissions};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::Error;

/// Whether an existing file may be replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// Refuse when the file exists (the default everywhere).
    CreateNew,
    /// Replace an existing file (`--force`).
    Overwrite,
}

/// Writes a private key: mode 0600 whatever the umask, atomically.
pub fn write_key_file(path: &Path, contents: &[u8], mode: WriteMode) -> Result<(), Error> {
    write_files(&[FileToWrite::secret(path, contents)], mode)
}

/// Writes a file that holds nothing secret (a CSR, a certificate, a journal):
/// mode 0644, atomically.
pub fn write_public_file(path: &Path, contents: &[u8], mode: WriteMode) -> Result<(), Error> {
    write_files(&[FileToWrite::public(path, contents)], mode)
}

/// One file for [`write_files`].
#[derive(Clone, Copy, Debug)]
pub struct FileToWrite<'a> {
    path: &'a Path,
    contents: &'a [u8],
    perm: u32,
}

impl<'a> FileToWrite<'a> {
    /// A file only its owner may read (0600): a private key.
    pub fn secret(path: &'a Path, contents: &'a [u8]) -> Self {
        FileToWrite {
            path,
            contents,
            perm: 0o600,
        }
    }
    /// A file anyone may read (0644): a CSR, a certificate, a journal.
    pub fn public(path: &'a Path, contents: &'a [u8]) -> Self {
        FileToWrite {
            path,
            contents,
            perm: 0o644,
        }
    }
}

/// Writes several files, each atomically, in order: every file is written to
/// a temporary file and flushed first, then each is renamed into place, then
/// each directory involved is flushed once. No file is renamed into place
/// unless every one was written, and with [`WriteMode::CreateNew`] the call
/// fails before writing anything if any target exists.
pub fn write_files(files: &[FileToWrite<'_>], mode: WriteMode) -> Result<(), Error> {
    if mode == WriteMode::CreateNew
        && let Some(f) = files.iter().find(|f| f.path.exists())
    {
        return Err(Error::AlreadyExists {
            path: f.path.to_owned(),
        });
    }
    let mut staged = Vec::with_capacity(files.len());
    for f in files {
        let io = |source| Error::Io {
            path: f.path.to_owned(),
            source,
        };
        // tempfile creates the file 0600; set the final mode explicitly so
        // the umask cannot widen or narrow it.
        let mut tmp = tempfile::Builder::new()
            .prefix(".csrkit-")
            .suffix(".tmp")
            .tempfile_in(parent(f.path))
            .map_err(io)?;
        tmp.as_file()
            .set_permissions(Permissions::from_mode(f.perm))
            .map_err(io)?;
        tmp.write_all(f.contents).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
        staged.push(tmp);
    }
    for (f, tmp) in files.iter().zip(staged) {
        let io = |source| Error::Io {
            path: f.path.to_owned(),
            source,
        };
        match mode {
            WriteMode::CreateNew => tmp.persist_noclobber(f.path).map_err(|e| {
                if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::AlreadyExists {
                        path: f.path.to_owned(),
                    }
                } else {
                    io(e.error)
                }
            })?,
            WriteMode::Overwrite => tmp.persist(f.path).map_err(|e| io(e.error))?,
        };
    }
    let mut dirs: Vec<&Path> = files.iter().map(|f| parent(f.path)).collect();
    dirs.dedup();
    for (dir, f) in dirs.into_iter().zip(files) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|source| Error::Io {
                path: f.path.to_owned(),
                source,
            })?;
    }
    Ok(())
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_0600_and_never_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("privkey.pem");
        write_key_file(&path, b"one", WriteMode::CreateNew).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        let err = write_key_file(&path, b"two", WriteMode::CreateNew).unwrap_err();
        assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        write_key_file(&path, b"three", WriteMode::Overwrite).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"three");
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["privkey.pem"]);
    }
}
