//! One writer per certificate directory: an advisory lock on `DIR/.lock`,
//! held for the whole command by every command that writes the directory
//! (`apply`, `generate`, `status` of an in-process sandbox order).
//!
//! The lock is `flock(2)` (`LockFileEx` on Windows) through `fs4`, on the
//! open file: the kernel releases it when the holder exits, however it exits,
//! so the lock file a `kill -9`ed command leaves behind blocks nobody. Once it
//! holds the lock, the holder writes who it is into the file (pid, command
//! line, start time) so that a second command can say whom it waits for.
//! The file is never deleted (deleting a lock file races with a command
//! that has just opened it).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The lock file's name inside the directory.
pub const LOCK_FILE: &str = csrkit_csr::LOCK_FILE;

/// How often a waiting command tries again.
const POLL: Duration = Duration::from_millis(100);

/// Who holds a directory: what the lock file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Its process id.
    pub pid: u32,
    /// Its command line.
    pub command: String,
    /// When it took the lock (UTC, RFC 3339).
    pub since: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} ({}) since {}",
            self.pid, self.command, self.since
        )
    }
}

/// Why a directory could not be locked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another command holds it (and kept it for the whole wait, if any).
    #[error(
        "{} is in use by {}; {hint}",
        dir.display(),
        holder.as_ref().map_or_else(|| "another csrkit command".to_owned(), Holder::to_string)
    )]
    Busy {
        /// The directory.
        dir: PathBuf,
        /// Who holds it, when the lock file says.
        holder: Option<Holder>,
        /// What to do, in the caller's terms (e.g. its waiting flag).
        hint: String,
    },
    /// The lock file could not be opened, locked or written.
    #[error("cannot lock {}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
}

/// A held directory lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl Drop for DirLock {
    /// Unlocks before the file is closed: closing alone releases the lock
    /// only once no process holds the open file, and a child forked by
    /// another thread (a hook being started) holds it until it execs, so a
    /// lock dropped at that moment would stay held for an instant after.
    fn drop(&mut self) {
        let _ = fs4::FileExt::unlock(&self._file);
    }
}

impl DirLock {
    /// Locks `dir` (which must exist) for `command`, trying until `wait`
    /// has passed (`Duration::ZERO`: once). `hint` ends the message when
    /// another command holds it.
    pub fn acquire(
        dir: &Path,
        wait: Duration,
        command: &str,
        hint: &str,
    ) -> Result<DirLock, LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |source: std::io::Error| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = open(&path).map_err(io)?;
        let deadline = Instant::now().checked_add(wait);
        loop {
            match fs4::FileExt::try_lock(&file) {
                Ok(()) => break,
                Err(fs4::TryLockError::WouldBlock) => {}
                Err(fs4::TryLockError::Error(e)) => return Err(io(e)),
            }
            if deadline.is_none_or(|d| Instant::now() + POLL > d) {
                match settle(&path, &file).map_err(io)? {
                    Settled::Free => break,
                    Settled::Held(holder) => {
                        return Err(LockError::Busy {
                            dir: dir.to_owned(),
                            holder,
                            hint: hint.to_owned(),
                        });
                    }
                }
            }
            std::thread::sleep(POLL);
        }
        write_holder(&mut file, command).map_err(io)?;
        Ok(DirLock { _file: file })
    }
}

fn open(path: &Path) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    o.open(path)
}

fn write_holder(file: &mut File, command: &str) -> std::io::Result<()> {
    let holder = Holder {
        pid: std::process::id(),
        command: command.to_owned(),
        since: crate::journal::now(),
    };
    let mut bytes = serde_json::to_vec(&holder).unwrap_or_default();
    bytes.push(b'\n');
    // Overwrite, then cut what an earlier, longer holder left: the file
    // never reads as empty.
    file.seek(SeekFrom::Start(0))?;
    file.write_all(&bytes)?;
    file.set_len(bytes.len() as u64)?;
    file.sync_data()
}

/// How long a refused command waits for the holder to say who it is: the
/// holder writes the file right after it takes the lock, so a command that
/// comes in between would otherwise name nobody, or the dead holder before.
const HOLDER_WAIT: Duration = Duration::from_secs(2);

/// What a refused command finds once the holder has had time to write.
enum Settled {
    /// The lock came free meanwhile, and is now ours.
    Free,
    /// Still held, by this holder (when the file names a live one).
    Held(Option<Holder>),
}

fn settle(path: &Path, file: &File) -> std::io::Result<Settled> {
    let give_up = Instant::now() + HOLDER_WAIT;
    loop {
        match fs4::FileExt::try_lock(file) {
            Ok(()) => return Ok(Settled::Free),
            Err(fs4::TryLockError::WouldBlock) => {}
            Err(fs4::TryLockError::Error(e)) => return Err(e),
        }
        let holder = read_holder(path);
        if holder.as_ref().is_some_and(|h| alive(h.pid)) || Instant::now() >= give_up {
            return Ok(Settled::Held(holder));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether a process with this id runs (on Linux; elsewhere assumed).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

/// What the lock file says about its holder (`None` while the holder has
/// not written it yet, or when it is not ours). The first JSON value is
/// read: a longer earlier holder may trail it for an instant.
fn read_holder(path: &Path) -> Option<Holder> {
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    serde_json::Deserializer::from_str(text.trim())
        .into_iter::<Holder>()
        .next()?
        .ok()
}

/// The command line of this process, for the lock file (arguments never
/// hold a secret: credentials come from the environment or files).
pub fn this_command() -> String {
    let mut args = std::env::args();
    let first = args.next().map(|a| {
        Path::new(&a)
            .file_name()
            .map_or(a.clone(), |n| n.to_string_lossy().into_owned())
    });
    first
        .into_iter()
        .chain(args)
        .map(|a| {
            if a.is_empty() || a.contains(char::is_whitespace) {
                format!("'{a}'")
            } else {
                a
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_naming_the_holder_and_free_after_drop() {
        let dir = tempfile::tempdir().unwrap();
        let hint = "wait for it, or pass --lock-timeout DUR";
        let held =
            DirLock::acquire(dir.path(), Duration::ZERO, "csrkit apply --out-dir x", hint).unwrap();
        let err =
            DirLock::acquire(dir.path(), Duration::from_millis(250), "second", hint).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.contains(&format!("pid {}", std::process::id()))
                && shown.contains("(csrkit apply --out-dir x)")
                && shown.contains("--lock-timeout"),
            "{shown}"
        );
        drop(held);
        DirLock::acquire(dir.path(), Duration::ZERO, "third", hint).unwrap();
    }

    /// A child forked by another thread shares the lock's open file until
    /// it execs (a clone of the file stands for it here): a dropped lock is
    /// free at once all the same. Without the unlock in `Drop` it stayed
    /// held, and one process renewing a directory twice in a row, while a
    /// hook was being started, found its own pid holding it.
    #[test]
    fn a_dropped_lock_is_free_while_a_forked_child_still_shares_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let held = DirLock::acquire(dir.path(), Duration::ZERO, "first", "h").unwrap();
        let child_copy = held._file.try_clone().unwrap();
        drop(held);
        DirLock::acquire(dir.path(), Duration::ZERO, "second", "h").expect("free once dropped");
        drop(child_copy);
    }

    #[test]
    fn a_refused_command_names_the_live_holder_not_a_dead_one_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        // A holder that has taken the lock but not yet written who it is;
        // the file still names a process that is gone.
        let mut held = open(&path).unwrap();
        fs4::FileExt::try_lock(&held).unwrap();
        let mut gone = std::process::Command::new("true").spawn().unwrap();
        let dead = gone.id();
        gone.wait().unwrap();
        std::fs::write(
            &path,
            format!("{{\"pid\":{dead},\"command\":\"old\",\"since\":\"then\"}}\n"),
        )
        .unwrap();
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            write_holder(&mut held, "csrkit apply --out-dir x").unwrap();
            held
        });
        let err = DirLock::acquire(dir.path(), Duration::ZERO, "second", "hint").unwrap_err();
        let _held = writer.join().unwrap();
        let shown = err.to_string();
        assert!(
            shown.contains(&format!("pid {}", std::process::id())) && !shown.contains("old"),
            "{shown}"
        );
    }
}
