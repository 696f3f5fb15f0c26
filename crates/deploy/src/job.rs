//! The deployment job: created once (journaled before it is sent, found by
//! its name when its answer was lost), started, and followed to each
//! resource's outcome.

use std::time::{Duration, Instant};

use csrkit_submit::{
    Client, CreateDeploymentJob, DescribeDeploymentJob, ListContact, ListDeploymentJob,
    UpdateDeploymentJobStatus, Worker,
};

use crate::Options;
use crate::error::{Error, Result};
use crate::journal::{JobEntry, Journal, OutcomeEntry, now};
use crate::report::Event;
use crate::target::Resource;

/// How a job ended: its id, its status, each resource's worker status.
pub(crate) struct Ended {
    pub(crate) job_id: u64,
    pub(crate) status: String,
    pub(crate) outcomes: Vec<(Resource, String)>,
}

/// Deploys certificate `cert_id` to `todo` (sorted by id) through one job,
/// resuming the one the journal has open for exactly this.
pub(crate) async fn run(
    client: &Client,
    fingerprint: &str,
    cert_id: u64,
    todo: &[Resource],
    journal: &mut Journal,
    options: &Options,
    emit: &mut (dyn FnMut(&Event) + Send),
) -> Result<Ended> {
    let ids: Vec<u64> = todo.iter().map(|r| r.id).collect();
    let (i, fresh) = match journal.open_job(fingerprint, cert_id, &ids) {
        Some(i) => (i, false),
        None => {
            let i = journal.push_job(JobEntry {
                name: format!(
                    "csrkit-{}-{}",
                    &fingerprint[..12],
                    &uuid::Uuid::new_v4().simple().to_string()[..8]
                ),
                fingerprint: fingerprint.to_owned(),
                cert_id,
                resource_ids: ids.clone(),
                targets: todo.iter().map(Resource::to_string).collect(),
                created_at: now(),
                ..JobEntry::default()
            });
            (i, true)
        }
    };
    let job_id = create(client, journal, i, fresh, emit).await?;
    start(client, journal, i, job_id, fresh, emit).await?;
    let status = follow(client, job_id, options, emit).await?;
    let workers = client.list_all_workers(job_id).await?;
    let outcomes: Vec<(Resource, String)> = todo
        .iter()
        .map(|r| {
            let st = worker_status(&workers, r.id).unwrap_or_else(|| status.clone());
            emit(&Event::ResourceDone {
                resource: r.clone(),
                status: st.clone(),
            });
            (r.clone(), st)
        })
        .collect();
    let entry = journal.job_mut(i);
    entry.status = Some(status.clone());
    entry.finished_at = Some(now());
    entry.outcomes = outcomes
        .iter()
        .map(|(r, st)| OutcomeEntry {
            resource_id: r.id,
            resource: r.to_string(),
            status: st.clone(),
        })
        .collect();
    journal.save()?;
    Ok(Ended {
        job_id,
        status,
        outcomes,
    })
}

fn worker_status(workers: &[Worker], resource_id: u64) -> Option<String> {
    workers
        .iter()
        .find(|w| w.resource_id == Some(resource_id))
        .map(|w| w.status.clone())
}

/// The job of journal entry `i`: the one it records, the one an earlier run
/// created under its name (its answer lost), or a new one, journaled before
/// it is sent.
async fn create(
    client: &Client,
    journal: &mut Journal,
    i: usize,
    fresh: bool,
    emit: &mut (dyn FnMut(&Event) + Send),
) -> Result<u64> {
    let entry = journal.job(i).clone();
    if let Some(id) = entry.job_id {
        emit(&Event::JobCreated {
            job_id: id,
            name: entry.name,
            found: true,
        });
        return Ok(id);
    }
    if !fresh && let Some(id) = find(client, &entry).await? {
        journal.job_mut(i).job_id = Some(id);
        journal.save()?;
        emit(&Event::JobCreated {
            job_id: id,
            name: entry.name.clone(),
            found: true,
        });
        return Ok(id);
    }
    let contact = contact(client).await?;
    // Journaled before it is sent: a run that dies before the answer finds
    // the job by this name instead of creating another.
    journal.save()?;
    let created = client
        .call(&CreateDeploymentJob {
            name: entry.name.clone(),
            job_type: "user".to_owned(),
            cert_ids: vec![entry.cert_id],
            resource_ids: entry.resource_ids.clone(),
            contact_ids: vec![contact],
            schedule_time: None,
        })
        .await?;
    journal.job_mut(i).job_id = Some(created.job_id);
    journal.save()?;
    emit(&Event::JobCreated {
        job_id: created.job_id,
        name: entry.name,
        found: false,
    });
    Ok(created.job_id)
}

/// The job named as `entry` says, among the jobs deploying its certificate.
async fn find(client: &Client, entry: &JobEntry) -> Result<Option<u64>> {
    for page in 1..=100u64 {
        let got = client
            .call(&ListDeploymentJob {
                cert_id: Some(entry.cert_id),
                job_type: Some("user".to_owned()),
                current_page: Some(page),
                show_size: Some(50),
                ..ListDeploymentJob::default()
            })
            .await?;
        if let Some(id) = got
            .data
            .iter()
            .find(|j| j.name.as_deref() == Some(entry.name.as_str()))
            .and_then(|j| j.id)
        {
            return Ok(Some(id));
        }
        let seen = page * 50;
        if got.data.len() < 50 || got.total.is_some_and(|t| seen >= t) {
            break;
        }
    }
    Ok(None)
}

/// The account's first contact (a job must name one).
async fn contact(client: &Client) -> Result<u64> {
    let page = client
        .call(&ListContact {
            show_size: Some(1),
            ..ListContact::default()
        })
        .await?;
    page.contact_list
        .first()
        .map(|c| c.contact_id)
        .ok_or(Error::NoContact)
}

/// Starts the job (`pending` without a schedule time: at once), unless an
/// earlier run did.
async fn start(
    client: &Client,
    journal: &mut Journal,
    i: usize,
    job_id: u64,
    fresh: bool,
    emit: &mut (dyn FnMut(&Event) + Send),
) -> Result<()> {
    if journal.job(i).started {
        return Ok(());
    }
    // A job from an earlier run may have been started already.
    let editing =
        fresh || client.call(&DescribeDeploymentJob { job_id }).await?.status == "editing";
    if editing {
        let started = client
            .call(&UpdateDeploymentJobStatus {
                job_id,
                status: "pending".to_owned(),
            })
            .await;
        if let Err(e) = started {
            // Refused because it is already under way (its answer was lost):
            // fine. Anything else stands.
            let now = client.call(&DescribeDeploymentJob { job_id }).await?;
            if now.status == "editing" {
                return Err(e.into());
            }
        }
        emit(&Event::JobStarted { job_id });
    }
    journal.job_mut(i).started = true;
    journal.save()
}

/// Polls the job, jittered and backing off, until it ends; its last status.
async fn follow(
    client: &Client,
    job_id: u64,
    options: &Options,
    emit: &mut (dyn FnMut(&Event) + Send),
) -> Result<String> {
    let began = Instant::now();
    let mut delay = options.poll_first;
    let mut last = String::new();
    loop {
        let job = client.call(&DescribeDeploymentJob { job_id }).await?;
        if job.status != last {
            emit(&Event::JobStatus {
                job_id,
                status: job.status.clone(),
            });
            last.clone_from(&job.status);
        }
        if job.is_finished() {
            return Ok(job.status);
        }
        let pause = jitter(delay);
        if began.elapsed() + pause > options.wait_timeout {
            return Err(Error::StillRunning {
                job_id,
                status: job.status,
                waited: began.elapsed(),
            });
        }
        tokio::time::sleep(pause).await;
        delay = (delay.mul_f64(1.5)).min(options.poll_max);
    }
}

/// `d` ± 20 %, so that many deployments polling at once spread out.
fn jitter(d: Duration) -> Duration {
    d.mul_f64(rand::random_range(0.8..1.2))
}
