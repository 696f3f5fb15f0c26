//! The deployment journal, `DIR/deploy.json`: what this directory's
//! certificates became in the account and where they were deployed. Every
//! side effect is written here before it is sent (STYLE 28), so a run that
//! dies at any moment leaves enough to look it up instead of repeating it.
//!
//! ```json
//! {
//!   "schema": "csrkit.deploy-journal/1",
//!   "certificates": {
//!     "<sha256 of the leaf, hex>": {
//!       "serial": "0A1B…", "common_name": "www.example.com", "not_after": 1767225600,
//!       "cert_id": 12345678,
//!       "upload": { "name": "csrkit-www.example.com-…", "client_token": "uuid", "sent_at": "…",
//!                   "cert_id": 12345678 }
//!     }
//!   },
//!   "jobs": [
//!     { "name": "csrkit-…", "fingerprint": "…", "cert_id": 12345678, "resource_ids": [1, 2],
//!       "targets": ["CDN:www.example.com (id 1)", …], "created_at": "…", "job_id": 3000001,
//!       "started": true, "status": "success", "finished_at": "…",
//!       "outcomes": [{ "resource_id": 1, "resource": "CDN:www.example.com (id 1)", "status": "success" }] }
//!   ]
//! }
//! ```
//!
//! `upload.cert_id` and `job_id` are `null` from the moment the request is
//! decided until its answer is read; a run that finds them `null` looks the
//! upload up (by serial, then by the certificate itself) or the job (by its
//! name) before sending anything again. The file is written atomically
//! (a temporary file, fsync, rename, fsync of the directory).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The journal's file name in a certificate directory.
pub const JOURNAL_FILE: &str = "deploy.json";

/// The schema this version writes and reads.
pub(crate) const SCHEMA: &str = "csrkit.deploy-journal/1";

/// Jobs kept in the journal (the oldest finished ones leave first).
const KEEP_JOBS: usize = 50;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct UploadEntry {
    pub(crate) name: String,
    pub(crate) client_token: String,
    pub(crate) sent_at: String,
    pub(crate) cert_id: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct CertEntry {
    pub(crate) serial: String,
    pub(crate) common_name: String,
    pub(crate) not_after: i64,
    pub(crate) cert_id: Option<u64>,
    #[serde(default)]
    pub(crate) upload: Option<UploadEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OutcomeEntry {
    pub(crate) resource_id: u64,
    pub(crate) resource: String,
    pub(crate) status: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct JobEntry {
    pub(crate) name: String,
    pub(crate) fingerprint: String,
    pub(crate) cert_id: u64,
    pub(crate) resource_ids: Vec<u64>,
    pub(crate) targets: Vec<String>,
    pub(crate) created_at: String,
    pub(crate) job_id: Option<u64>,
    #[serde(default)]
    pub(crate) started: bool,
    #[serde(default)]
    pub(crate) status: Option<String>,
    #[serde(default)]
    pub(crate) finished_at: Option<String>,
    #[serde(default)]
    pub(crate) outcomes: Vec<OutcomeEntry>,
}

impl JobEntry {
    pub(crate) fn is_finished(&self) -> bool {
        self.finished_at.is_some()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct File {
    schema: String,
    #[serde(default)]
    certificates: BTreeMap<String, CertEntry>,
    #[serde(default)]
    jobs: Vec<JobEntry>,
}

/// The journal, loaded.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
    /// False for a dry run: nothing is written.
    writable: bool,
}

impl Journal {
    /// Loads `path` (an empty journal when it does not exist).
    pub(crate) fn load(path: &Path, writable: bool) -> Result<Journal> {
        let err = |reason: String| Error::Journal {
            path: path.to_owned(),
            reason,
        };
        let file = match std::fs::read(path) {
            Ok(bytes) => {
                let file: File = serde_json::from_slice(&bytes).map_err(|e| {
                    err(format!(
                        "it is not a deployment journal ({e}). Move it aside to start over: nothing in the \
                         account is lost, csrkit looks up what it uploaded before uploading again"
                    ))
                })?;
                if file.schema != SCHEMA {
                    return Err(err(format!(
                        "its schema is {:?}, this csrkit reads {SCHEMA}; use the csrkit that wrote it",
                        file.schema
                    )));
                }
                file
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => File {
                schema: SCHEMA.to_owned(),
                certificates: BTreeMap::new(),
                jobs: Vec::new(),
            },
            Err(e) => return Err(err(format!("cannot read it: {e}"))),
        };
        Ok(Journal {
            path: path.to_owned(),
            file,
            writable,
        })
    }

    pub(crate) fn cert(&self, fingerprint: &str) -> Option<&CertEntry> {
        self.file.certificates.get(fingerprint)
    }

    pub(crate) fn cert_mut(&mut self, fingerprint: &str) -> &mut CertEntry {
        self.file
            .certificates
            .entry(fingerprint.to_owned())
            .or_default()
    }

    /// The unfinished job for this certificate and exactly these resources.
    pub(crate) fn open_job(
        &self,
        fingerprint: &str,
        cert_id: u64,
        resource_ids: &[u64],
    ) -> Option<usize> {
        self.file.jobs.iter().position(|j| {
            !j.is_finished()
                && j.fingerprint == fingerprint
                && j.cert_id == cert_id
                && j.resource_ids == resource_ids
        })
    }

    pub(crate) fn job(&self, i: usize) -> &JobEntry {
        &self.file.jobs[i]
    }

    pub(crate) fn job_mut(&mut self, i: usize) -> &mut JobEntry {
        &mut self.file.jobs[i]
    }

    /// Adds a job entry; returns its index.
    pub(crate) fn push_job(&mut self, job: JobEntry) -> usize {
        if self.file.jobs.len() >= KEEP_JOBS
            && let Some(old) = self.file.jobs.iter().position(JobEntry::is_finished)
        {
            self.file.jobs.remove(old);
        }
        self.file.jobs.push(job);
        self.file.jobs.len() - 1
    }

    /// Writes the journal atomically (nothing for a dry run).
    pub(crate) fn save(&self) -> Result<()> {
        if !self.writable {
            return Ok(());
        }
        let err = |reason: String| Error::Journal {
            path: self.path.clone(),
            reason,
        };
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
            _ => PathBuf::from("."),
        };
        let mut bytes = serde_json::to_vec_pretty(&self.file)
            .map_err(|e| err(format!("cannot serialise it: {e}")))?;
        bytes.push(b'\n');
        let write = || -> std::io::Result<()> {
            let mut tmp = tempfile::Builder::new()
                .prefix(".deploy.json.")
                .tempfile_in(&dir)?;
            tmp.write_all(&bytes)?;
            tmp.as_file().sync_all()?;
            tmp.persist(&self.path).map_err(|e| e.error)?;
            #[cfg(unix)]
            std::fs::File::open(&dir)?.sync_all()?;
            Ok(())
        };
        write().map_err(|e| {
            err(format!(
                "cannot write it: {e}; check the directory's permissions and free space"
            ))
        })
    }
}

/// Now, RFC 3339 UTC.
pub(crate) fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_atomically_and_refuses_what_it_cannot_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let mut j = Journal::load(&path, true).unwrap();
        j.cert_mut("ab").cert_id = Some(7);
        let i = j.push_job(JobEntry {
            name: "n".into(),
            resource_ids: vec![1, 2],
            cert_id: 7,
            fingerprint: "ab".into(),
            ..JobEntry::default()
        });
        j.save().unwrap();
        let again = Journal::load(&path, true).unwrap();
        assert_eq!(again.cert("ab").unwrap().cert_id, Some(7));
        assert_eq!(again.open_job("ab", 7, &[1, 2]), Some(i));
        assert_eq!(again.open_job("ab", 7, &[1]), None);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");

        // A dry run writes nothing.
        let other = dir.path().join("other.json");
        Journal::load(&other, false).unwrap().save().unwrap();
        assert!(!other.exists());

        std::fs::write(&path, b"{\"schema\":\"csrkit.deploy-journal/9\"}").unwrap();
        let e = Journal::load(&path, true).unwrap_err().to_string();
        assert!(e.contains("deploy-journal/9"), "{e}");
        std::fs::write(&path, b"not json").unwrap();
        let e = Journal::load(&path, true).unwrap_err().to_string();
        assert!(e.contains("Move it aside"), "{e}");
    }
}
