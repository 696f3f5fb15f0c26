//! Writing files so that they are never half-written, a key is never
//! readable by others, a key and its CSR land together or not at all, and
//! nothing is replaced unless asked.
//!
//! Every write is anchored on one directory file descriptor, opened
//! `O_DIRECTORY|O_NOFOLLOW` (a symbolic link as the directory itself is
//! followed once, and reported): the temporary files are created, renamed
//! and removed relative to it (`openat`, `renameat2`, `unlinkat`), so no path
//! is resolved twice and swapping a directory for a link mid-write changes
//! nothing. Each file goes to a temporary file `.csrkit-XXXXXXXXXXXX.tmp`
//! (created `O_EXCL`, mode set with `fchmod` whatever the umask), is flushed
//! (`fsync`), then renamed into place; the directory is flushed last.
//!
//! Several files written by one [`OutputDir::write`] are committed as a set:
//! all are staged first; then each is renamed into place, and if one rename
//! fails the ones before it are rolled back (a new file goes back to its
//! temporary name and is deleted; a replaced one gets its old contents back
//! from a hard link taken before the rename). Without
//! [`WriteMode::Overwrite`] the renames refuse to replace anything
//! (`RENAME_NOREPLACE`), so even a race with another process cannot clobber
//! a key; the existence checks use `lstat` semantics, so a dangling symbolic
//! link counts as "exists".
//!
//! Interruption: [`abandon_writes`] (called by the CLI on SIGINT, SIGTERM and
//! SIGHUP) removes every temporary file still pending and every directory
//! this process created for them; a commit in progress finishes first (it
//! holds the same lock), so a signal never leaves a key without its CSR.
//! A process killed outright (SIGKILL) cannot clean up: each temporary file
//! is named for its process (`.csrkit-<pid>-<random>.tmp`) and holds an
//! advisory lock (`flock`) while it lives, and the next [`OutputDir::open`]
//! of that directory removes every `.csrkit-*.tmp` whose process is gone and
//! whose lock it can take, naming each in [`OutputDir::notes`].
//!
//! The directory itself is checked when opened: one anyone may write to
//! without the sticky bit is refused unless the caller allows it (anyone
//! could swap the files after they are written); a group-writable one, a
//! sticky world-writable one and one owned by another user are allowed with a
//! note.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rustix::fs::{self as rfs, AtFlags, FileType, FlockOperation, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use crate::Error;

/// The prefix of every temporary file (and backup) this crate writes.
pub const TEMP_PREFIX: &str = ".csrkit-";
/// The suffix of every temporary file (and backup) this crate writes.
pub const TEMP_SUFFIX: &str = ".tmp";

/// Whether `name` is one of this crate's temporary files
/// (`.csrkit-*.tmp`): what a killed `generate` may leave behind, possibly
/// holding a private key.
pub fn is_temp_file_name(name: &OsStr) -> bool {
    let b = name.as_encoded_bytes();
    b.len() > TEMP_PREFIX.len() + TEMP_SUFFIX.len()
        && b.starts_with(TEMP_PREFIX.as_bytes())
        && b.ends_with(TEMP_SUFFIX.as_bytes())
}

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

/// One file for [`write_files`] or [`OutputDir::write`].
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

/// Writes several files, each atomically: the files of each directory are
/// committed as a set by [`OutputDir::write`] (directories in the order
/// first named). With [`WriteMode::CreateNew`] nothing is written if any
/// target exists. The directories must exist; stale temporary files in them
/// are removed silently (use [`OutputDir`] to see the notes).
pub fn write_files(files: &[FileToWrite<'_>], mode: WriteMode) -> Result<(), Error> {
    let mut dirs: Vec<&Path> = Vec::new();
    for f in files {
        let d = parent(f.path);
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    for d in dirs {
        let batch: Vec<FileToWrite<'_>> = files
            .iter()
            .filter(|f| parent(f.path) == d)
            .map(|f| FileToWrite {
                path: f.path.file_name().map_or(f.path, Path::new),
                ..*f
            })
            .collect();
        let mut out = OutputDir::open(d, &DirOptions::existing())?;
        out.write(&batch, mode)?;
    }
    Ok(())
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// How [`OutputDir::open`] treats the directory.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct DirOptions {
    /// Create it (mode 0700, with any missing parents) when it is missing.
    pub create: bool,
    /// Write into a directory anyone may write to (no sticky bit) instead of
    /// refusing (`--force`).
    pub allow_shared: bool,
}

impl DirOptions {
    /// Create it when missing; refuse a directory anyone may write to.
    pub fn create() -> Self {
        DirOptions {
            create: true,
            allow_shared: false,
        }
    }
    /// It must exist; a directory anyone may write to is allowed (with a
    /// note).
    pub fn existing() -> Self {
        DirOptions {
            create: false,
            allow_shared: true,
        }
    }
    /// Sets [`DirOptions::allow_shared`].
    pub fn allow_shared(mut self, allow: bool) -> Self {
        self.allow_shared = allow;
        self
    }
}

/// An output directory, opened once: every file written through it is
/// anchored on the same directory descriptor.
///
/// Dropping it before a successful [`OutputDir::write`] removes the
/// directories [`OutputDir::open`] created (when still empty), so a failed
/// run (a full disk, a refused name) leaves nothing behind.
#[derive(Debug)]
pub struct OutputDir {
    path: PathBuf,
    fd: Arc<OwnedFd>,
    created: Vec<PathBuf>,
    notes: Vec<String>,
}

impl OutputDir {
    /// Opens `path` for writing: creates it if asked, follows it once if it
    /// is a symbolic link (with a note), checks who may write to it, and
    /// removes the temporary files a killed csrkit left in it (with a note
    /// naming each).
    pub fn open(path: &Path, options: &DirOptions) -> Result<OutputDir, Error> {
        let path = if path.as_os_str().is_empty() {
            Path::new(".")
        } else {
            path
        };
        let mut notes = Vec::new();
        let mut created = Vec::new();
        let follow = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => false,
            Ok(meta) if meta.file_type().is_symlink() => match std::fs::metadata(path) {
                Ok(target) if target.is_dir() => {
                    let to = std::fs::read_link(path).unwrap_or_default();
                    notes.push(format!(
                        "{} is a symbolic link to {}; the files are written there",
                        path.display(),
                        to.display()
                    ));
                    true
                }
                Ok(_) => return Err(not_a_directory(path, "a symbolic link to a file")),
                Err(_) => return Err(not_a_directory(path, "a dangling symbolic link")),
            },
            Ok(meta) => return Err(not_a_directory(path, kind_of(meta.file_type()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && options.create => {
                created = create_dirs(path)?;
                false
            }
            Err(source) => {
                return Err(Error::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        if !follow {
            flags |= OFlags::NOFOLLOW;
        }
        let fd = match rfs::open(path, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(e) => {
                remove_created(&created);
                return Err(io_err(path, e));
            }
        };
        // From here on a failure drops `dir`, which removes what it created.
        let mut dir = OutputDir {
            path: path.to_owned(),
            fd: Arc::new(fd),
            created,
            notes,
        };
        dir.check_owner(options)?;
        dir.sweep();
        Ok(dir)
    }

    /// Keeps the directories [`OutputDir::open`] created even if nothing is
    /// written through this handle (for a caller that only needed the
    /// directory).
    pub fn keep(&mut self) {
        let mut reg = registry();
        reg.dirs.retain(|d| !self.created.contains(d));
        self.created.clear();
    }

    /// Fails with [`Error::AlreadyExists`] when any of `names` exists in the
    /// directory, a dangling symbolic link included (`lstat` semantics).
    pub fn refuse_existing(&self, names: &[&Path]) -> Result<(), Error> {
        match names
            .iter()
            .find(|n| self.entry_type(n.as_os_str()).is_some())
        {
            Some(name) => Err(Error::AlreadyExists {
                path: self.path.join(name),
            }),
            None => Ok(()),
        }
    }

    /// The directory as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the caller should tell the user: a symbolic link followed, a
    /// directory others may write to, stale temporary files removed.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Writes `files` (each path a plain file name inside this directory)
    /// as a set: all are staged and flushed first, then renamed into place;
    /// if one cannot be, the ones before it are rolled back. With
    /// [`WriteMode::CreateNew`] nothing is written if any name exists
    /// (a dangling symbolic link included).
    pub fn write(&mut self, files: &[FileToWrite<'_>], mode: WriteMode) -> Result<(), Error> {
        let mut names = Vec::with_capacity(files.len());
        for f in files {
            let mut parts = f.path.components();
            match (parts.next(), parts.next()) {
                (Some(Component::Normal(name)), None) => names.push(name),
                _ => {
                    return Err(Error::Io {
                        path: self.path.join(f.path),
                        source: std::io::Error::new(
                            std::io::ErrorKind::InvalidInput,
                            "not a plain file name",
                        ),
                    });
                }
            }
        }
        for name in &names {
            match self.entry_type(name) {
                Some(_) if mode == WriteMode::CreateNew => {
                    return Err(Error::AlreadyExists {
                        path: self.path.join(name),
                    });
                }
                Some(FileType::Directory) => {
                    return Err(self.io(name, Errno::ISDIR));
                }
                _ => {}
            }
        }
        let mut staged: Vec<Staged> = Vec::with_capacity(files.len());
        for (f, name) in files.iter().zip(&names) {
            match self.stage(name, f) {
                Ok(s) => staged.push(s),
                Err(e) => {
                    self.discard(&staged, &[]);
                    return Err(e);
                }
            }
        }
        hold_for_tests();
        let mut reg = registry();
        if ABANDONED.load(Ordering::SeqCst) {
            return Err(Error::Interrupted);
        }
        let mut backups: Vec<Option<OsString>> = Vec::new();
        for (i, (s, name)) in staged.iter().zip(&names).enumerate() {
            if let Err(e) = self.commit_one(&mut reg, s, name, mode, &mut backups) {
                self.roll_back(&mut reg, &staged[..i], &names[..i], &backups);
                let backup_names: Vec<OsString> = backups.iter().flatten().cloned().collect();
                drop(reg);
                self.discard(&staged[i..], &backup_names);
                return Err(e);
            }
        }
        for b in backups.iter().flatten() {
            let _ = rfs::unlinkat(&*self.fd, b.as_os_str(), AtFlags::empty());
        }
        reg.forget(&self.fd, staged.iter().map(|s| &s.temp));
        reg.forget(&self.fd, backups.iter().flatten());
        reg.dirs.retain(|d| !self.created.contains(d));
        self.created.clear();
        drop(reg);
        rfs::fsync(&*self.fd).map_err(|e| self.io(names[0], e))
    }

    /// The type of the entry `name` (not following a symbolic link), if any.
    fn entry_type(&self, name: &OsStr) -> Option<FileType> {
        rfs::statat(&*self.fd, name, AtFlags::SYMLINK_NOFOLLOW)
            .ok()
            .map(|st| FileType::from_raw_mode(st.st_mode))
    }

    /// Creates, locks, fills and flushes the temporary file for `f`.
    fn stage(&self, name: &OsStr, f: &FileToWrite<'_>) -> Result<Staged, Error> {
        let (temp, fd) = self.create_temp().map_err(|e| self.io(name, e))?;
        let staged = Staged { temp };
        let mut file = File::from(fd);
        let filled = (|| -> Result<(), Errno> {
            rfs::flock(&file, FlockOperation::LockExclusive)?;
            rfs::fchmod(&file, Mode::from_raw_mode(f.perm))?;
            Ok(())
        })()
        .map_err(std::io::Error::from)
        .and_then(|()| file.write_all(f.contents))
        .and_then(|()| file.sync_all());
        match filled {
            Ok(()) => Ok(staged),
            Err(source) => {
                self.discard(std::slice::from_ref(&staged), &[]);
                Err(Error::Io {
                    path: self.path.join(name),
                    source,
                })
            }
        }
    }

    /// A new `.csrkit-*.tmp` (mode 0600, `O_EXCL`), registered for
    /// [`abandon_writes`] before anything is written to it.
    fn create_temp(&self) -> Result<(OsString, OwnedFd), Errno> {
        let mut reg = registry();
        if ABANDONED.load(Ordering::SeqCst) {
            return Err(Errno::INTR);
        }
        for _ in 0..16 {
            let temp = temp_name(Errno::IO)?;
            match rfs::openat(
                &*self.fd,
                temp.as_os_str(),
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(0o600),
            ) {
                Ok(fd) => {
                    reg.temps.push((Arc::clone(&self.fd), temp.clone()));
                    return Ok((temp, fd));
                }
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Errno::EXIST)
    }

    /// Renames one staged file into place (keeping a hard link to the file
    /// it replaces, for a rollback).
    fn commit_one(
        &self,
        reg: &mut Registry,
        s: &Staged,
        name: &OsStr,
        mode: WriteMode,
        backups: &mut Vec<Option<OsString>>,
    ) -> Result<(), Error> {
        let fd = &*self.fd;
        let mut backup = None;
        if mode == WriteMode::Overwrite && self.entry_type(name).is_some() {
            let b = temp_name(Errno::IO).map_err(|e| self.io(name, e))?;
            rfs::linkat(fd, name, fd, b.as_os_str(), AtFlags::empty())
                .map_err(|e| self.io(name, e))?;
            reg.temps.push((Arc::clone(&self.fd), b.clone()));
            backup = Some(b);
        }
        backups.push(backup);
        let renamed = match mode {
            WriteMode::Overwrite => rfs::renameat(fd, s.temp.as_os_str(), fd, name),
            WriteMode::CreateNew => {
                match rfs::renameat_with(fd, s.temp.as_os_str(), fd, name, RenameFlags::NOREPLACE) {
                    // A file system without RENAME_NOREPLACE: a hard link
                    // fails just as atomically when the name exists.
                    Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
                        rfs::linkat(fd, s.temp.as_os_str(), fd, name, AtFlags::empty()).map(|()| {
                            let _ = rfs::unlinkat(fd, s.temp.as_os_str(), AtFlags::empty());
                        })
                    }
                    other => other,
                }
            }
        };
        match renamed {
            Ok(()) => Ok(()),
            Err(Errno::EXIST) => Err(Error::AlreadyExists {
                path: self.path.join(name),
            }),
            Err(e) => Err(self.io(name, e)),
        }
    }

    /// Undoes the renames of `done` (in reverse): a replaced file gets its
    /// backup back; a new one goes back to its temporary name and is deleted
    /// with the rest by [`OutputDir::discard`].
    fn roll_back(
        &self,
        reg: &mut Registry,
        done: &[Staged],
        names: &[&OsStr],
        backups: &[Option<OsString>],
    ) {
        let fd = &*self.fd;
        for ((s, name), backup) in done.iter().zip(names).zip(backups).rev() {
            match backup {
                Some(b) => {
                    let _ = rfs::renameat(fd, b.as_os_str(), fd, *name);
                }
                None => {
                    let _ = rfs::renameat_with(
                        fd,
                        *name,
                        fd,
                        s.temp.as_os_str(),
                        RenameFlags::NOREPLACE,
                    );
                }
            }
            let _ = rfs::unlinkat(fd, s.temp.as_os_str(), AtFlags::empty());
        }
        reg.forget(&self.fd, done.iter().map(|s| &s.temp));
    }

    /// Removes staged temporary files and backups that were not committed.
    fn discard(&self, staged: &[Staged], backups: &[OsString]) {
        let mut reg = registry();
        for temp in staged.iter().map(|s| &s.temp).chain(backups) {
            let _ = rfs::unlinkat(&*self.fd, temp.as_os_str(), AtFlags::empty());
        }
        reg.forget(&self.fd, staged.iter().map(|s| &s.temp).chain(backups));
    }

    /// Refuses a directory anyone may write to (unless allowed); notes a
    /// group-writable one, a sticky shared one and another user's.
    fn check_owner(&mut self, options: &DirOptions) -> Result<(), Error> {
        let st = rfs::fstat(&*self.fd).map_err(|e| io_err(&self.path, e))?;
        let perm = st.st_mode & 0o7777;
        let shown = self.path.display();
        if perm & 0o002 != 0 && perm & 0o1000 == 0 {
            if !options.allow_shared {
                return Err(Error::SharedDirectory {
                    path: self.path.clone(),
                    mode: perm,
                });
            }
            self.notes.push(format!(
                "{shown} is writable by every user (mode {perm:04o}); anyone can replace the files in it"
            ));
        } else if perm & 0o002 != 0 {
            self.notes.push(format!(
                "{shown} is a shared directory (mode {perm:04o}); prefer a private one for keys"
            ));
        } else if perm & 0o020 != 0 {
            self.notes.push(format!(
                "{shown} is writable by its group (mode {perm:04o}); its members can replace the files in it"
            ));
        }
        let me = rustix::process::geteuid().as_raw();
        if st.st_uid != me && st.st_uid != 0 {
            self.notes.push(format!(
                "{shown} belongs to another user (uid {}), who can replace the files in it",
                st.st_uid
            ));
        }
        Ok(())
    }

    /// Removes the `.csrkit-*.tmp` files no live csrkit holds (their lock is
    /// free), noting each.
    fn sweep(&mut self) {
        let Ok(dup) = rfs::openat(
            &*self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        ) else {
            return;
        };
        let Ok(entries) = rfs::Dir::read_from(&dup) else {
            return;
        };
        let mut stale = Vec::new();
        for entry in entries.flatten() {
            let name = OsStr::from_bytes(entry.file_name().to_bytes());
            if is_temp_file_name(name) {
                stale.push(name.to_owned());
            }
        }
        stale.sort();
        for name in stale {
            if written_by_a_live_process(&name) {
                continue;
            }
            let Ok(fd) = rfs::openat(
                &*self.fd,
                name.as_os_str(),
                OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
                Mode::empty(),
            ) else {
                continue;
            };
            let regular = rfs::fstat(&fd)
                .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::RegularFile);
            if regular
                && rfs::flock(&fd, FlockOperation::NonBlockingLockExclusive).is_ok()
                && rfs::unlinkat(&*self.fd, name.as_os_str(), AtFlags::empty()).is_ok()
            {
                self.notes.push(format!(
                    "removed {}, a temporary file left by a csrkit that was killed \
                     (it may have held a private key)",
                    self.path.join(&name).display()
                ));
            }
        }
    }

    fn io(&self, name: &OsStr, e: Errno) -> Error {
        io_err(&self.path.join(name), e)
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        remove_created(&self.created);
    }
}

/// The name of the directory lock csrkit's commands take in a certificate
/// directory (an advisory `flock` on this file, never deleted while the
/// directory is in use). A directory made for a write that fails is removed
/// with it.
pub const LOCK_FILE: &str = ".lock";

/// Removes directories made for a write that did not happen (innermost
/// first, only when empty but for their lock file) and forgets them.
fn remove_created(created: &[PathBuf]) {
    if created.is_empty() {
        return;
    }
    let mut reg = registry();
    for d in created.iter().rev() {
        let _ = std::fs::remove_file(d.join(LOCK_FILE));
        let _ = std::fs::remove_dir(d);
    }
    reg.dirs.retain(|d| !created.contains(d));
}

/// A staged temporary file, by name in the directory.
#[derive(Debug)]
struct Staged {
    temp: OsString,
}

/// Whether a temporary file's name carries the id of a process that is
/// still running (`.csrkit-<pid>-….tmp`); ours, of any age, or another
/// user's (EPERM) count as live.
fn written_by_a_live_process(name: &OsStr) -> bool {
    let rest = &name.as_encoded_bytes()[TEMP_PREFIX.len()..];
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || rest.get(digits) != Some(&b'-') {
        return false;
    }
    let pid = std::str::from_utf8(&rest[..digits])
        .ok()
        .and_then(|d| d.parse::<i32>().ok())
        .and_then(rustix::process::Pid::from_raw);
    match pid {
        Some(pid) => !matches!(rustix::process::test_kill_process(pid), Err(Errno::SRCH)),
        None => false,
    }
}

/// `mkdir -p` with mode 0700, returning the directories made (outermost
/// first); on failure removes them again.
fn create_dirs(path: &Path) -> Result<Vec<PathBuf>, Error> {
    use std::os::unix::fs::DirBuilderExt;
    let mut missing = Vec::new();
    let mut cur = path;
    loop {
        match std::fs::symlink_metadata(cur) {
            Ok(meta) if meta.is_dir() => break,
            Ok(meta) if meta.file_type().is_symlink() && cur.is_dir() => break,
            Ok(meta) => {
                let what = if meta.file_type().is_symlink() {
                    "a dangling symbolic link"
                } else {
                    kind_of(meta.file_type())
                };
                return Err(not_a_directory(cur, what));
            }
            Err(_) => missing.push(cur.to_owned()),
        }
        match cur.parent() {
            Some(p) if !p.as_os_str().is_empty() => cur = p,
            _ => break,
        }
    }
    let mut created = Vec::new();
    for dir in missing.into_iter().rev() {
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                registry().dirs.push(dir.clone());
                created.push(dir);
            }
            // Made a moment ago by someone else (another certificate of a
            // fleet under the same parent): there is nothing to make.
            Err(source) if source.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
            Err(source) => {
                remove_created(&created);
                return Err(Error::Io { path: dir, source });
            }
        }
    }
    Ok(created)
}

fn kind_of(t: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_file() {
        "a file"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_fifo() {
        "a named pipe"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a directory"
    }
}

fn not_a_directory(path: &Path, what: &'static str) -> Error {
    Error::NotADirectory {
        path: path.to_owned(),
        what,
    }
}

fn io_err(path: &Path, e: Errno) -> Error {
    Error::Io {
        path: path.to_owned(),
        source: std::io::Error::from(e),
    }
}

/// `.csrkit-` + this process's id + `-` + 12 random letters and digits +
/// `.tmp`. The id lets a sweep leave alone the files of a process still
/// running, even in the moment between creating a file and locking it.
fn temp_name(fail: Errno) -> Result<OsString, Errno> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut bytes = [0u8; 12];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|_| fail)?;
    let mut name = format!("{TEMP_PREFIX}{}-", std::process::id());
    name.extend(
        bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])),
    );
    name.push_str(TEMP_SUFFIX);
    Ok(name.into())
}

// ------------------------------------------------------------ interruption

/// What [`abandon_writes`] cleans up: pending temporary files (by directory
/// and name) and directories created for a write that has not committed.
struct Registry {
    temps: Vec<(Arc<OwnedFd>, OsString)>,
    dirs: Vec<PathBuf>,
}

impl Registry {
    fn forget<'a>(&mut self, fd: &Arc<OwnedFd>, names: impl Iterator<Item = &'a OsString>) {
        let names: Vec<&OsString> = names.collect();
        self.temps
            .retain(|(d, n)| !(Arc::ptr_eq(d, fd) && names.contains(&n)));
    }
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    temps: Vec::new(),
    dirs: Vec::new(),
});
static ABANDONED: AtomicBool = AtomicBool::new(false);

fn registry() -> MutexGuard<'static, Registry> {
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// Stops every write of this process for good and removes what is pending:
/// the temporary files not yet renamed into place and the directories
/// created for them (when empty). A commit in progress finishes first, so
/// files written as a set are all there or none is. Returns how many
/// temporary files it removed. For a signal handler that then exits.
pub fn abandon_writes() -> usize {
    ABANDONED.store(true, Ordering::SeqCst);
    let mut reg = registry();
    let removed = reg
        .temps
        .drain(..)
        .filter(|(fd, name)| rfs::unlinkat(&**fd, name.as_os_str(), AtFlags::empty()).is_ok())
        .count();
    for d in reg.dirs.drain(..).rev() {
        let _ = std::fs::remove_file(d.join(LOCK_FILE));
        let _ = std::fs::remove_dir(d);
    }
    removed
}

/// Test hook (debug builds only): with `CSRKIT_TEST_HOLD_WRITE` naming a
/// FIFO, stop after the temporary files are written and flushed and before
/// any is renamed into place, until the test opens the FIFO and closes it.
/// Lets the end-to-end tests signal, race or kill the process at exactly
/// that point without timing.
fn hold_for_tests() {
    #[cfg(debug_assertions)]
    if let Some(fifo) = std::env::var_os("CSRKIT_TEST_HOLD_WRITE") {
        let _ = std::fs::read(fifo);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    /// Many directories made at once under one missing parent (a fleet's
    /// `certs/…`): each is made; the parent, made by one of them, is no
    /// error for the others.
    #[test]
    fn siblings_made_at_once_under_a_missing_parent_all_succeed() {
        let root = tempfile::tempdir().unwrap();
        for round in 0..20 {
            let parent = root.path().join(format!("round{round}/certs"));
            let start = std::sync::Barrier::new(8);
            std::thread::scope(|s| {
                for i in 0..8 {
                    let (parent, start) = (&parent, &start);
                    s.spawn(move || {
                        start.wait();
                        let dir = parent.join(format!("c{i}"));
                        OutputDir::open(&dir, &DirOptions::create())
                            .unwrap_or_else(|e| panic!("{}: {e}: {e:?}", dir.display()))
                            .keep();
                    });
                }
            });
            assert_eq!(names(&parent).len(), 8);
        }
    }

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
        // No temporary file or backup is left behind.
        assert_eq!(names(dir.path()), ["privkey.pem"]);
    }

    #[test]
    fn a_dangling_link_exists_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("nowhere", dir.path().join("request.csr")).unwrap();
        let mut out = OutputDir::open(dir.path(), &DirOptions::create()).unwrap();
        let err = out
            .write(
                &[
                    FileToWrite::secret(Path::new("privkey.pem"), b"k"),
                    FileToWrite::public(Path::new("request.csr"), b"c"),
                ],
                WriteMode::CreateNew,
            )
            .unwrap_err();
        assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
        assert_eq!(names(dir.path()), ["request.csr"]);
    }

    #[test]
    fn a_failed_second_rename_rolls_back_the_first() {
        // --force over a directory named request.csr: the key's rename
        // succeeds, the CSR's fails (EISDIR), and the old key comes back.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("privkey.pem"), b"old").unwrap();
        std::fs::create_dir(dir.path().join("request.csr")).unwrap();
        std::fs::write(dir.path().join("request.csr/x"), b"").unwrap();
        let mut out = OutputDir::open(dir.path(), &DirOptions::create()).unwrap();
        let files = [
            FileToWrite::secret(Path::new("privkey.pem"), b"new"),
            FileToWrite::public(Path::new("request.csr"), b"c"),
        ];
        let err = out.write(&files, WriteMode::Overwrite).unwrap_err();
        assert!(err.to_string().contains("request.csr"), "{err}");
        assert_eq!(
            std::fs::read(dir.path().join("privkey.pem")).unwrap(),
            b"old"
        );
        assert_eq!(names(dir.path()), ["privkey.pem", "request.csr"]);
    }

    #[test]
    fn created_directories_go_when_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b");
        std::fs::create_dir(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/taken"), b"").unwrap();
        {
            let mut out = OutputDir::open(&deep, &DirOptions::create()).unwrap();
            assert_eq!(
                std::fs::metadata(&deep).unwrap().permissions().mode() & 0o777,
                0o700
            );
            let bad = out.write(
                &[FileToWrite::public(Path::new("../x"), b"")],
                WriteMode::CreateNew,
            );
            assert!(bad.is_err());
        }
        assert!(!deep.exists(), "the new directory was left behind");
        assert!(dir.path().join("a/taken").exists());
    }

    #[test]
    fn stale_temp_files_are_swept_but_live_ones_are_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".csrkit-stale.tmp"), b"key").unwrap();
        let live = File::create(dir.path().join(".csrkit-live.tmp")).unwrap();
        rfs::flock(&live, FlockOperation::LockExclusive).unwrap();
        std::fs::write(dir.path().join(".csrkit-.tmp"), b"not ours").unwrap();
        let out = OutputDir::open(dir.path(), &DirOptions::create()).unwrap();
        assert_eq!(names(dir.path()), [".csrkit-.tmp", ".csrkit-live.tmp"]);
        assert_eq!(out.notes().len(), 1, "{:?}", out.notes());
        assert!(out.notes()[0].contains(".csrkit-stale.tmp"));
    }

    #[test]
    fn a_running_writer_is_never_swept() {
        // Our own pid, unlocked (as between create and flock): left alone.
        // A pid that cannot exist: swept.
        let dir = tempfile::tempdir().unwrap();
        let mine = format!(".csrkit-{}-abcdefabcdef.tmp", std::process::id());
        std::fs::write(dir.path().join(&mine), b"key").unwrap();
        std::fs::write(
            dir.path().join(".csrkit-2147483647-abcdefabcdef.tmp"),
            b"key",
        )
        .unwrap();
        let out = OutputDir::open(dir.path(), &DirOptions::create()).unwrap();
        assert_eq!(names(dir.path()), [mine]);
        assert_eq!(out.notes().len(), 1, "{:?}", out.notes());
    }

    #[test]
    fn temp_names() {
        assert!(is_temp_file_name(OsStr::new(".csrkit-abc.tmp")));
        assert!(!is_temp_file_name(OsStr::new(".csrkit-.tmp")));
        assert!(!is_temp_file_name(OsStr::new("csrkit-abc.tmp")));
        assert!(!is_temp_file_name(OsStr::new(".csrkit-abc.tmpx")));
        let n = temp_name(Errno::IO).unwrap();
        assert!(is_temp_file_name(&n), "{n:?}");
    }
}
