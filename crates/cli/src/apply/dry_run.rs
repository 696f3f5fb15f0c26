//! `apply --dry-run`: every local check of a real run (names, key and CSR
//! made in memory, lint, the journal and its files, the flags, the
//! contact), then the requests the run would send first, signed and
//! redacted. Nothing is sent, nothing is written: no key file, no journal,
//! no lock file, no in-process sandbox state.

use std::process::ExitCode;

use csrkit_submit::{
    Client, ClientOptions, Credentials, DescribeCertificateState, DescribePackageState, Endpoint,
    ListTagResources, ListUserCertificateOrder, PreparedRequest, Tag,
};

use super::plan::{self, ATTEMPT_TAG, Plan, Target};
use super::{Args, Journal, order};
use crate::cmd::connection::{ConnectionArgs, print_dry_run};
use crate::exit;
use crate::settings::Settings;

/// Runs `apply --dry-run`.
pub(super) fn apply(args: &Args, settings: &Settings, target: &Target) -> anyhow::Result<ExitCode> {
    let journal = Journal::load(&target.dir)?;
    let label = plan::service_label(args)?;
    let plan = plan::make(args, settings, target, journal, &label)?;
    for n in &plan.notes {
        eprintln!("{n}");
    }
    let client = client(args.sandbox, &args.connection)?;
    let requests = requests(&client, &plan)?;
    print_dry_run(&requests, args.format)?;
    Ok(ExitCode::from(exit::OK))
}

/// The client that signs: the connection flags' (credentials from the
/// usual chain), or the in-process sandbox's credentials at a loopback
/// placeholder (no sandbox is started: it would write its state).
pub(crate) fn client(sandbox: bool, connection: &ConnectionArgs) -> anyhow::Result<Client> {
    if !sandbox {
        return connection.client();
    }
    let config = csrkit_sandbox::SandboxConfig::from_env()?;
    let creds = Credentials::new(
        config.credentials.access_key_id(),
        config.credentials.access_key_secret(),
        None,
    );
    let options = ClientOptions {
        endpoint: Endpoint::parse("http://127.0.0.1")?,
        ..connection.options()?
    };
    Ok(Client::new(creds, options)?)
}

/// The requests a real run would send first: those that follow depend on
/// the service's answers.
fn requests(client: &Client, plan: &Plan) -> anyhow::Result<Vec<PreparedRequest>> {
    let mut out = Vec::new();
    let j = &plan.journal;
    let mut add = |r: Result<PreparedRequest, csrkit_submit::Error>| -> anyhow::Result<()> {
        out.push(r?);
        Ok(())
    };
    let recorded = j.order()?;
    if plan.adopt.is_some() {
        add(client.prepare(&list_query(j)))?;
        return Ok(out);
    }
    if let Some(id) = recorded {
        add(client.prepare(&DescribeCertificateState { order_id: id }))?;
        if !plan.new_order {
            return Ok(out);
        }
    } else if j.unsettled() {
        if let Some(attempt) = j.submission.as_ref().and_then(|s| s.attempt_id.clone()) {
            add(client.prepare(&tag_query(client, &attempt)))?;
        }
        add(client.prepare(&list_query(j)))?;
    }
    add(client.prepare(&DescribePackageState {
        product_code: Some(plan.params.product_code.clone()),
    }))?;
    let create = order::create_op(plan, &uuid::Uuid::new_v4().to_string())?;
    add(client.prepare(&create))?;
    Ok(out)
}

fn list_query(j: &Journal) -> ListUserCertificateOrder {
    let cn = j.domains.first().map(String::as_str).unwrap_or_default();
    ListUserCertificateOrder {
        order_type: Some("CPACK".into()),
        keyword: Some(cn.trim_start_matches("*.").to_owned()),
        current_page: Some(1),
        show_size: Some(50),
        ..ListUserCertificateOrder::default()
    }
}

fn tag_query(client: &Client, attempt: &str) -> ListTagResources {
    ListTagResources {
        region_id: client.endpoint().region_id().to_owned(),
        tags: vec![Tag {
            key: ATTEMPT_TAG.to_owned(),
            value: attempt.to_owned(),
        }],
        ..ListTagResources::default()
    }
}
