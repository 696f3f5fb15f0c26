//! `webroot`: FILE validation by writing the file into the directory a web
//! server serves (certbot's `--webroot`).
//!
//! `DIR/.well-known/pki-validation/fileauth.txt` is written atomically (a
//! temporary file in the same directory, fsync'd, renamed into place) with
//! mode 0644; missing directories are created with mode 0755 and recorded,
//! so cleanup removes the file and then only the directories it created, and
//! only when they are empty.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::challenge::{Challenge, FileChallenge, Kind, Published};
use crate::error::{Error, Result};
use crate::{BoxFuture, Publisher};

const PROVIDER: &str = "webroot";

/// Publishes FILE challenges into a web server's document root.
#[derive(Debug, Clone)]
pub struct WebrootPublisher {
    dir: PathBuf,
}

impl WebrootPublisher {
    /// A publisher writing below `dir` (`--webroot DIR`): the directory your
    /// web server serves `http://DOMAIN/` from.
    ///
    /// # Errors
    /// [`Error::Config`] when `dir` is not an existing directory.
    pub fn new(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        match fs::metadata(dir) {
            Ok(m) if m.is_dir() => Ok(WebrootPublisher {
                dir: dir.to_path_buf(),
            }),
            Ok(_) => Err(Error::Config {
                setting: "--webroot",
                reason: format!(
                    "{} is not a directory; give the directory your web server serves http://DOMAIN/ from",
                    dir.display()
                ),
            }),
            Err(e) => Err(Error::Config {
                setting: "--webroot",
                reason: format!(
                    "{}: {e}; give the directory your web server serves http://DOMAIN/ from",
                    dir.display()
                ),
            }),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn present_file(&self, c: &FileChallenge) -> Result<Published> {
        let path = self.path_of(c);
        let parent = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.dir.clone());

        // Which directories are missing, outermost first.
        let mut missing = Vec::new();
        let mut d = parent.as_path();
        while d != self.dir && !d.exists() {
            missing.push(d.to_path_buf());
            match d.parent() {
                Some(p) => d = p,
                None => break,
            }
        }
        missing.reverse();
        let mut created = Vec::new();
        for dir in &missing {
            match fs::DirBuilder::new().mode(0o755).create(dir) {
                Ok(()) => {
                    // The umask may have taken bits away; a web server must read it.
                    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
                        .map_err(|source| io("set permissions of", dir, source))?;
                    created.push(dir.clone());
                }
                // Another process made it meanwhile: not ours to remove.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(source) => return Err(io("create directory", dir, source)),
            }
        }

        let preexisting = matches!(fs::read(&path), Ok(b) if b == c.content().as_bytes());
        if !preexisting {
            let mut tmp = tempfile::Builder::new()
                .prefix(".csrkit-")
                .tempfile_in(&parent)
                .map_err(|source| io("create a temporary file in", &parent, source))?;
            tmp.write_all(c.content().as_bytes())
                .and_then(|()| tmp.as_file().sync_all())
                .map_err(|source| io("write", tmp.path(), source))?;
            fs::set_permissions(tmp.path(), fs::Permissions::from_mode(0o644))
                .map_err(|source| io("set permissions of", &path, source))?;
            tmp.persist(&path)
                .map_err(|e| io("write", &path, e.error))?;
            if let Ok(d) = fs::File::open(&parent) {
                let _ = d.sync_all();
            }
        }
        Ok(Published {
            preexisting,
            created_dirs: created,
            ..self.planned(c)
        })
    }

    fn planned(&self, c: &FileChallenge) -> Published {
        Published {
            provider: PROVIDER.to_string(),
            zone: Some(self.dir.display().to_string()),
            name: self.path_of(c).display().to_string(),
            kind: Kind::File,
            value: c.content().to_string(),
            record_id: None,
            preexisting: false,
            ttl: None,
            domain: c.domain().to_string(),
            order_id: c.order_id().map(str::to_string),
            created_dirs: Vec::new(),
            present_output: None,
        }
    }

    fn path_of(&self, c: &FileChallenge) -> PathBuf {
        self.dir.join(c.uri().trim_start_matches('/'))
    }

    fn cleanup_file(&self, p: &Published) -> Result<()> {
        if p.kind != Kind::File {
            return Err(Error::Unsupported {
                provider: PROVIDER,
                what: "a DNS record",
                hint: "DNS records are removed by the provider that published them",
            });
        }
        let path = PathBuf::from(&p.name);
        let inside = |p: &Path| {
            p.starts_with(&self.dir)
                && !p
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
        };
        if !inside(&path) {
            return Err(Error::Config {
                setting: "--webroot",
                reason: format!(
                    "{} is not below {}; it was published with another --webroot",
                    path.display(),
                    self.dir.display()
                ),
            });
        }
        match fs::read(&path) {
            // Someone replaced it since: theirs now.
            Ok(b) if b != p.value.as_bytes() => {}
            Ok(_) => match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(io("remove", &path, source)),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(io("read", &path, source)),
        }
        for dir in p.created_dirs.iter().rev() {
            if !inside(dir) || dir == &self.dir {
                continue;
            }
            // Only when empty: anything else in it is not ours.
            match fs::remove_dir(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(_) => break,
            }
        }
        Ok(())
    }
}

fn dns_unsupported() -> Error {
    Error::Unsupported {
        provider: PROVIDER,
        what: "DNS validation",
        hint: "use --dns alidns, --dns rfc2136 or --dns-hook CMD, or --validate-type file",
    }
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

impl Publisher for WebrootPublisher {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn plan(&self, challenge: &Challenge) -> Result<Published> {
        match challenge {
            Challenge::File(c) => Ok(self.planned(c)),
            Challenge::Dns(_) => Err(dns_unsupported()),
        }
    }

    fn present<'a>(&'a self, challenge: &'a Challenge) -> BoxFuture<'a, Result<Published>> {
        Box::pin(async move {
            match challenge {
                Challenge::File(c) => self.present_file(c),
                Challenge::Dns(_) => Err(dns_unsupported()),
            }
        })
    }

    fn cleanup<'a>(&'a self, published: &'a Published) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move { self.cleanup_file(published) })
    }
}
