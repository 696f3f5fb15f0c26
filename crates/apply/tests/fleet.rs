//! The fleet runner as a library: what a job's local half settles, the
//! bound on certificates worked on at once, a failure (even a panic) that
//! stops only its own certificate, and orders waiting for the CA that give
//! their place to the next certificate; the last one against an in-process
//! sandbox with a rate limit.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use csrkit_apply::fleet::{
    self, ApplyJob, Certificate, Done, FleetEvent, FleetOptions, Job, Verdict,
};
use csrkit_apply::{Contact, Error, Event, Reporter, Request, Service};
use csrkit_sandbox::{Approval, Sandbox, SandboxConfig};
use csrkit_submit::{Client, ClientOptions, Credentials, Endpoint, RateLimiter};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A job that needs no service: names decide what it does.
struct Fake {
    running: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    /// Lets the running certificates go only once `n` of them run.
    together: Arc<tokio::sync::Barrier>,
}

impl Job for Fake {
    fn check(
        &self,
        cert: &Certificate,
        _label: &str,
        _reporter: &mut dyn Reporter,
    ) -> csrkit_apply::Result<Option<Done>> {
        match cert.name.as_str() {
            "refused" => Err(Error::Input {
                message: "refused locally".into(),
            }),
            "settled" => Ok(Some(done(Verdict::Unchanged))),
            _ => Ok(None),
        }
    }

    async fn run(
        &self,
        cert: Certificate,
        _service: &Service,
        reporter: &mut dyn Reporter,
    ) -> csrkit_apply::Result<Done> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        reporter.report(Event::Notice {
            message: format!("{} runs", cert.name),
        });
        self.together.wait().await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        match cert.name.as_str() {
            "panics" => panic!("a bug in one certificate's job"),
            "fails" => Err(Error::Refused {
                message: "the service said no".into(),
            }),
            _ => Ok(done(Verdict::Issued)),
        }
    }
}

fn done(verdict: Verdict) -> Done {
    Done::new(verdict, Some("1".into()), None)
}

fn service() -> Service {
    let options = ClientOptions {
        endpoint: Endpoint::parse("http://127.0.0.1:9").unwrap(),
        ..ClientOptions::default()
    };
    Service::new(Client::new(Credentials::new("id", "secret", None), options).unwrap())
}

fn at_once(concurrency: usize) -> FleetOptions {
    let mut o = FleetOptions::default();
    o.concurrency = NonZeroUsize::new(concurrency).unwrap();
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_refusals_settle_early_failures_stay_with_their_certificate_and_concurrency_holds() {
    let names = [
        "a", "refused", "b", "settled", "fails", "c", "panics", "d", "e", "f", "g",
    ];
    let certs: Vec<Certificate> = names
        .iter()
        .map(|n| Certificate::new(*n, Request::new(format!("/nonexistent/{n}"))))
        .collect();
    let job = Fake {
        running: Arc::new(AtomicUsize::new(0)),
        most: Arc::new(AtomicUsize::new(0)),
        together: Arc::new(tokio::sync::Barrier::new(3)),
    };
    let most = Arc::clone(&job.most);
    let mut events = Vec::new();
    let mut reporter = |e: FleetEvent| events.push(e);
    let checked = fleet::check(job, certs, "label", &at_once(3), &mut reporter);
    assert_eq!(checked.ready(), 9);
    let report = checked.run(&service(), &at_once(3), &mut reporter).await;

    assert_eq!(most.load(Ordering::SeqCst), 3, "three at once, never more");
    let by_name: BTreeMap<&str, (Verdict, Option<String>)> = report
        .certificates
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                (c.verdict, c.error.as_ref().map(|e| e.to_string())),
            )
        })
        .collect();
    assert_eq!(report.certificates.len(), names.len());
    assert_eq!(
        by_name["refused"],
        (Verdict::Failed, Some("refused locally".into()))
    );
    assert_eq!(by_name["settled"], (Verdict::Unchanged, None));
    assert_eq!(by_name["fails"].0, Verdict::Failed);
    let panicked = by_name["panics"].1.clone().unwrap();
    assert!(panicked.contains("internal error"), "{panicked}");
    for n in ["a", "b", "c", "d", "e", "f", "g"] {
        assert_eq!(by_name[n], (Verdict::Issued, None), "{n}");
    }
    assert_eq!(report.count(Verdict::Issued), 7);

    // The local half is over before the network half begins, and each
    // certificate starts before it finishes, once.
    let checked_at = events
        .iter()
        .position(|e| {
            matches!(
                e,
                FleetEvent::Checked {
                    total: 11,
                    ready: 9
                }
            )
        })
        .unwrap();
    for (i, e) in events.iter().enumerate() {
        if matches!(e, FleetEvent::Started { .. }) {
            assert!(i > checked_at);
        }
    }
    for (index, name) in names.iter().enumerate() {
        let finished = events
            .iter()
            .filter(|e| matches!(e, FleetEvent::Finished { index: i, .. } if *i == index))
            .count();
        assert_eq!(finished, 1, "{name}");
    }
    let notices = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                FleetEvent::Certificate {
                    event: Event::Notice { .. },
                    ..
                }
            )
        })
        .count();
    assert_eq!(notices, 9, "each run reports through its own reporter");
}

async fn post(addr: std::net::SocketAddr, path: &str) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

/// Six orders with two certificates worked on at once: every order is
/// placed while the first ones still wait for the CA (a waiting
/// certificate gives its place back), and none is placed twice. The sandbox
/// approves only when told, so the orders wait until the test has seen all
/// six placed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_waiting_for_the_ca_give_their_place_to_the_next_certificate() {
    let mut config = SandboxConfig::default();
    config.approve = Approval::Manual;
    config.rate_limit = Some(5);
    let sb = Sandbox::start(config).await.unwrap();
    let key = sb.credentials();
    let creds = Credentials::new(key.access_key_id(), key.access_key_secret(), None);
    let limiter = RateLimiter::new(NonZeroU32::new(5).unwrap());
    let options = ClientOptions {
        endpoint: Endpoint::parse(&sb.endpoint()).unwrap(),
        rate_limiter: Some(limiter.clone()),
        ..ClientOptions::default()
    };
    let service = Service::new(Client::new(creds, options).unwrap()).with_fast_polling();
    let dir = tempfile::tempdir().unwrap();
    let certs: Vec<Certificate> = (0..6)
        .map(|i| {
            let mut r = Request::new(dir.path().join(format!("c{i}")));
            r.domains = vec![format!("c{i}.example.com")];
            r.contact = Contact::new("Zhang San", "13800000000", "ops@example.com");
            r.wait = Some(Duration::from_secs(600));
            Certificate::new(format!("c{i}"), r)
        })
        .collect();

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut forward = move |e: FleetEvent| {
        let _ = tx.send(e);
    };
    let label = service.label().to_owned();
    let checked = fleet::check(
        ApplyJob::default(),
        certs,
        &label,
        &at_once(2),
        &mut forward,
    );
    let run = tokio::spawn(async move { checked.run(&service, &at_once(2), &mut forward).await });

    let mut placed = Vec::new();
    let all_placed = tokio::time::timeout(Duration::from_secs(120), async {
        while placed.len() < 6 {
            match rx.recv().await.unwrap() {
                FleetEvent::Certificate {
                    event: Event::OrderPlaced { order_id },
                    ..
                } => placed.push(order_id),
                FleetEvent::Finished { result, .. } => {
                    panic!(
                        "{} finished before every order was placed: {result:?}",
                        result.name
                    )
                }
                _ => {}
            }
        }
    })
    .await;
    assert!(all_placed.is_ok(), "only {} orders placed", placed.len());
    for id in &placed {
        post(sb.addr(), &format!("/_sandbox/orders/{id}/approve")).await;
    }
    let report = run.await.unwrap();
    assert_eq!(report.count(Verdict::Issued), 6, "{report:?}");
    assert_eq!(sb.stats().orders_created, 6);
    assert_eq!(limiter.throttled_total(), 0);
    assert!(sb.stats().throttled.is_empty());
    sb.shutdown().await;
}
