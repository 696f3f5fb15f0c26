//! Publishing the validation record, checking that it propagated, and
//! removing it again (DESIGN.md "Publishing the verification").
//!
//! Every record is journaled before it is published (`published[]`, with
//! `published_at` still empty: the provider's [`Publisher::plan`]), and
//! again with the provider's answer. So a run stopped at any moment leaves
//! a journal entry for whatever may be out there, and the next run finds it
//! (a provider's `present` looks before it adds) or removes it (a provider's
//! `cleanup` of a planned entry removes the value).
//!
//! Records are removed once their order is done: after issuance, after
//! `verify_fail`, when the order is cancelled, and when a newer order
//! replaced it. A record that cannot be removed yet stays in the journal
//! (`removed_at` empty), is reported as a warning, and is removed by the next
//! run (or `csrkit cancel DIR`); `csrkit status DIR` lists it.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use csrkit_dns::propagation::{self, Options};
use csrkit_dns::{Challenge, ProviderSpec, Publisher};
use csrkit_submit::{CertificateState, OrderId, ValidateType};

use crate::error::{Error, Result};
use crate::event::{Event, Reporter, Step};
use crate::journal::{self, Journal, PublishedRecord, Publishing};
use crate::request::{Interrupt, Request, Validation};
use crate::service::Service;

/// Who publishes for this run: the request's choice over the journal's,
/// with the request's propagation settings over the recorded ones.
pub(crate) fn choose(req: &Request, j: &Journal) -> Option<Publishing> {
    let recorded = j.dns.clone();
    let mut chosen = match &req.validation {
        Validation::Recorded => recorded.clone(),
        Validation::Manual => None,
        Validation::Provider(spec) => Some(match recorded {
            Some(r) if r.publisher == *spec => r,
            _ => Publishing::new(spec.clone()),
        }),
    }?;
    let p = &req.propagation;
    if let Some(r) = &p.resolver {
        chosen.resolver = Some(r.clone());
    }
    if let Some(t) = p.timeout {
        chosen.propagation_timeout_secs = t.as_secs().max(1);
    }
    if let Some(h) = &p.http_via {
        chosen.http_via = Some(h.clone());
    }
    Some(chosen)
}

/// Refuses a provider that cannot publish the order's kind of validation,
/// before anything is sent.
pub(crate) fn check_fits(p: &Publishing, validate_type: ValidateType) -> Result<()> {
    let file_provider = matches!(p.publisher, ProviderSpec::Webroot { .. });
    match validate_type {
        ValidateType::File if !file_provider => Err(Error::input(format!(
            "the {} provider publishes DNS records, but the order uses FILE validation: give \
             --webroot DIR, or --validate-type dns with --new-order. Nothing was sent",
            p.publisher.name()
        ))),
        ValidateType::Dns if file_provider => Err(Error::input(
            "--webroot serves FILE validation, but the order uses DNS validation: give --dns \
             PROVIDER, or --validate-type file with --new-order. Nothing was sent",
        )),
        _ => Ok(()),
    }
}

/// The provider's settings checked without credentials or the network
/// (the TSIG key file, the hook command, the webroot, the Alidns endpoint
/// unless it is the service's own `label`), so that a bad one stops the
/// run with the other local checks.
pub(crate) fn check_settings(p: &Publishing, label: &str) -> Result<()> {
    match &p.publisher {
        ProviderSpec::Alidns { endpoint } if endpoint == label => Ok(()),
        spec => spec.check().map_err(Error::from),
    }
}

/// Opens the provider and reads the propagation settings before anything is
/// sent: a missing key file, a webroot that is not a directory or a
/// resolver that is not `HOST:PORT` stops the run before the order.
pub(crate) async fn check_ready(service: &Service, p: &Publishing) -> Result<()> {
    service.open_publisher(&p.publisher)?;
    options(service, p).await.map(|_| ())
}

/// Before a new order is placed: the provider can publish for every name
/// (it has the zones; [`Publisher::preflight`]), so that no unit of quota is
/// spent on an order whose record cannot be published.
pub(crate) async fn preflight(
    service: &Service,
    p: &Publishing,
    domains: &[String],
    reporter: &mut dyn Reporter,
) -> Result<()> {
    reporter.report(Event::Notice {
        message: format!(
            "checking that {} can publish for {} before ordering…",
            p.publisher.name(),
            domains.join(", ")
        ),
    });
    let publisher = service.open_publisher(&p.publisher)?;
    publisher.preflight(domains).await.map_err(|e| {
        let message = format!("{e}. No order was placed (checked before ordering)");
        match e.category() {
            csrkit_dns::Category::Refused => Error::Refused { message },
            csrkit_dns::Category::Unavailable => Error::Unavailable { message },
            _ => Error::from(e),
        }
    })
}

/// The propagation check's options.
async fn options(service: &Service, p: &Publishing) -> Result<Options> {
    let mut options = Options::with_timeout(Duration::from_secs(p.propagation_timeout_secs));
    if let Some(r) = &p.resolver {
        options.resolver = Some(propagation::resolver_addr(r).await?);
    }
    if let Some(h) = &p.http_via {
        options.http_connect_to = Some(http_via(h)?);
    }
    if service.fast() {
        options.interval = Duration::from_millis(200);
        options.max_interval = Duration::from_secs(2);
    }
    Ok(options)
}

/// Records the run's choice in the journal. A different provider than the
/// recorded one first removes what the recorded one published.
pub(crate) async fn record_choice(
    service: &Service,
    dir: &Path,
    j: &mut Journal,
    chosen: Option<Publishing>,
    reporter: &mut dyn Reporter,
) -> Result<()> {
    let same_provider = match (&j.dns, &chosen) {
        (Some(a), Some(b)) => a.publisher == b.publisher,
        (None, None) => true,
        _ => false,
    };
    if !same_provider && j.live_records().next().is_some() {
        cleanup(service, dir, j, |_| true, reporter).await;
    }
    if j.dns != chosen {
        j.dns = chosen;
        j.save(dir)?;
    }
    Ok(())
}

/// The challenge the service's answer names, for the order.
pub(crate) fn challenge(
    state: &CertificateState,
    j: &Journal,
    order_id: OrderId,
) -> Result<Option<Challenge>> {
    let Some(v) = state.verification() else {
        return Ok(None);
    };
    let domain = j.domains.first().map(String::as_str).unwrap_or_default();
    Ok(Some(
        Challenge::from_verification(domain, &v)?.with_order_id(order_id.to_string()),
    ))
}

fn same_challenge(r: &PublishedRecord, planned: &csrkit_dns::Published) -> bool {
    r.live()
        && r.record.order_id == planned.order_id
        && r.record.provider == planned.provider
        && r.record.name == planned.name
        && r.record.kind == planned.kind
        && r.record.value == planned.value
}

/// Publishes the challenge (journaled before and after), unless the journal
/// says it is published already.
pub(crate) async fn publish(
    service: &Service,
    p: &Publishing,
    challenge: &Challenge,
    dir: &Path,
    j: &mut Journal,
    reporter: &mut dyn Reporter,
) -> Result<()> {
    let publisher = service.open_publisher(&p.publisher)?;
    let planned = publisher.plan(challenge)?;
    let at = match j.published.iter().position(|r| same_challenge(r, &planned)) {
        Some(i) if j.published[i].published_at.is_some() => {
            reporter.report(Event::Notice {
                message: format!(
                    "{} {} is published already (journaled)",
                    planned.name,
                    planned.kind.as_str()
                ),
            });
            return Ok(());
        }
        Some(i) => i,
        None => {
            j.published.push(PublishedRecord {
                record: planned,
                published_at: None,
                removed_at: None,
            });
            j.save(dir)?;
            j.published.len() - 1
        }
    };
    reporter.report(Event::StepStarted {
        step: Step::Publish,
    });
    let published = publisher.present(challenge).await?;
    let entry = &mut j.published[at];
    entry.record = published;
    entry.published_at = Some(journal::now());
    let shown = entry.clone();
    j.save(dir)?;
    reporter.report(Event::RecordPublished { record: shown });
    reporter.report(Event::StepFinished {
        step: Step::Publish,
    });
    Ok(())
}

/// Waits until the challenge is visible where the CA will look; an
/// interrupt stops the wait.
pub(crate) async fn propagate(
    service: &Service,
    p: &Publishing,
    challenge: &Challenge,
    interrupt: Option<&mut Interrupt>,
    dir: &Path,
    reporter: &mut dyn Reporter,
) -> Result<()> {
    let options = options(service, p).await?;
    reporter.report(Event::StepStarted {
        step: Step::Propagation,
    });
    let check = async {
        let mut forward = |e: propagation::Event| reporter.report(Event::Propagation(e));
        propagation::wait_for(challenge, &options, &mut forward).await
    };
    let checked = match interrupt {
        Some(i) => tokio::select! {
            r = check => r,
            () = i.wait() => {
                return Err(Error::Interrupted {
                    message: format!(
                        "interrupted while checking that the record propagated; it stays \
                         published and journaled in {}: run apply again to resume",
                        dir.join(journal::JOURNAL_FILE).display()
                    ),
                });
            }
        },
        None => check.await,
    };
    checked?;
    reporter.report(Event::StepFinished {
        step: Step::Propagation,
    });
    Ok(())
}

/// `--http-via HOST:PORT`.
fn http_via(text: &str) -> Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    text.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            Error::input(format!(
                "--http-via {text:?} is not HOST:PORT (e.g. 127.0.0.1:8080)"
            ))
        })
}

/// Removes every live record `which` selects, with the journal's provider.
/// A record that cannot be removed is reported and stays live. Returns
/// whether all of them were removed.
pub(crate) async fn cleanup(
    service: &Service,
    dir: &Path,
    j: &mut Journal,
    which: impl Fn(&PublishedRecord) -> bool,
    reporter: &mut dyn Reporter,
) -> bool {
    let todo: Vec<usize> = (0..j.published.len())
        .filter(|i| j.published[*i].live() && which(&j.published[*i]))
        .collect();
    if todo.is_empty() {
        return true;
    }
    reporter.report(Event::StepStarted {
        step: Step::Cleanup,
    });
    let publisher: Result<std::sync::Arc<dyn Publisher>> = match &j.dns {
        Some(p) => service.open_publisher(&p.publisher),
        None => Err(Error::input(
            "the journal records no provider to remove them with",
        )),
    };
    let mut all = true;
    for i in todo {
        let record = j.published[i].record.clone();
        let removed = match &publisher {
            Ok(p) if p.provider() == record.provider => {
                p.cleanup(&record).await.map_err(Error::from)
            }
            Ok(p) => Err(Error::input(format!(
                "it was published by {}, and the directory now publishes with {}",
                record.provider,
                p.provider()
            ))),
            Err(e) => Err(Error::input(e.to_string())),
        };
        match removed {
            Ok(()) => {
                j.published[i].removed_at = Some(journal::now());
                let shown = j.published[i].clone();
                if let Err(e) = j.save(dir) {
                    reporter.report(Event::Warning {
                        message: format!("the journal could not record the removal: {e}"),
                    });
                }
                reporter.report(Event::CleanedUp { record: shown });
            }
            Err(e) => {
                all = false;
                reporter.report(Event::Warning {
                    message: format!(
                        "{} {} {:?} could not be removed ({e}); it stays in the journal, and the \
                         next `csrkit apply --out-dir {}` (or `csrkit cancel {}`) removes it",
                        record.name,
                        record.kind.as_str(),
                        record.value,
                        dir.display(),
                        dir.display()
                    ),
                });
            }
        }
    }
    if all {
        reporter.report(Event::StepFinished {
            step: Step::Cleanup,
        });
    }
    all
}
