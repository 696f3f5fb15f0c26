//! The engine as a library, against an in-process sandbox: the event
//! sequence of the hands-off loop, a resume that does nothing twice, and
//! the caller's interrupt.
#![allow(clippy::unwrap_used)]

use csrkit_apply::{Category, Ending, Event, Interrupt, Service, Step, Validation};
use csrkit_sandbox::{Approval, SandboxHandle};
use csrkit_submit::StateType;

mod support;

/// A sandbox approving as `approve`, hosting example.com and answering
/// DNS for it, and the service it is.
async fn sandbox(approve: Approval) -> (SandboxHandle, Service) {
    support::sandbox(|c| c.approve = approve).await
}

use support::request;

/// A short name for each event that says something happened.
fn names(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::OrderPlaced { .. } => Some("placed".to_owned()),
            Event::RecordPublished { .. } => Some("published".to_owned()),
            Event::Propagation(csrkit_dns::propagation::Event::Propagated { .. }) => {
                Some("propagated".to_owned())
            }
            Event::StateSeen { state, .. } => Some(format!("state {state}")),
            Event::Installed { generation, .. } => Some(format!("installed {generation}")),
            Event::CleanedUp { .. } => Some("cleaned up".to_owned()),
            Event::StepStarted { step: Step::Wait } => Some("wait".to_owned()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_hands_off_loop_in_order_and_a_resume_that_does_nothing_twice() {
    let (sb, service) = sandbox(Approval::Verify).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("www.example.com");
    let mut events = Vec::new();
    let outcome = csrkit_apply::apply(request(&sb, &dir), &service, &mut |e| events.push(e))
        .await
        .unwrap();
    assert_eq!(outcome.ending, Ending::Issued);
    assert_eq!(outcome.state, StateType::Certificate);
    assert_eq!(outcome.installed.as_ref().map(|g| g.number), Some(1));
    assert_eq!(
        names(&events),
        [
            "placed",
            "state domain_verify",
            "published",
            "propagated",
            "state certificate",
            "installed 1",
            "cleaned up"
        ]
    );
    let j = &outcome.journal;
    assert_eq!(j.generations.len(), 1);
    assert_eq!(j.generations[0].order_id, outcome.order_id.to_string());
    assert!(j.published.iter().all(|p| p.removed_at.is_some()));

    // Again: the recorded order, already installed; nothing is placed,
    // published or installed.
    let mut again = Vec::new();
    let second = csrkit_apply::apply(request(&sb, &dir), &service, &mut |e| again.push(e))
        .await
        .unwrap();
    assert_eq!(second.order_id, outcome.order_id);
    assert_eq!(names(&again), ["state certificate"]);
    assert_eq!(sb.stats().orders_created, 1);
    sb.shutdown().await;
}

#[tokio::test]
async fn an_interrupt_stops_a_wait_with_the_state_saved() {
    let (sb, service) = sandbox(Approval::Manual).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("www.example.com");
    let mut req = request(&sb, &dir);
    req.validation = Validation::Manual;
    let (trigger, interrupt) = Interrupt::new();
    req.interrupt = Some(interrupt);
    let mut trigger = Some(trigger);
    // Fired by the first wait: the engine must stop there.
    let mut on_event = |e: Event| {
        if let Event::Waiting { .. } = e
            && let Some(t) = trigger.take()
        {
            t.fire();
        }
    };
    let err = csrkit_apply::apply(req, &service, &mut on_event)
        .await
        .unwrap_err();
    assert_eq!(err.category(), Category::Interrupted, "{err}");
    assert!(err.to_string().contains("run apply again"), "{err}");
    let j = csrkit_apply::Journal::load(&dir).unwrap().unwrap();
    assert!(j.order_id.is_some());
    assert_eq!(sb.stats().orders_created, 1);
    sb.shutdown().await;
}
