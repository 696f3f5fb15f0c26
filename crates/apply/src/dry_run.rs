//! A dry run: every local check of a real run (names, key and CSR made in
//! memory, lint, the journal and its files, the request against it, the
//! contact), then the requests the run would send first, signed. Nothing is
//! sent, nothing is written: no key file, no journal, no lock file.

use csrkit_submit::{
    Client, DescribeCertificateState, DescribePackageState, ListTagResources,
    ListUserCertificateOrder, PreparedRequest, Tag,
};

use crate::error::Result;
use crate::event::Reporter;
use crate::journal::Journal;
use crate::order;
use crate::plan::{self, ATTEMPT_TAG, Plan};
use crate::request::Request;

/// The requests a run of `req` would send first (those that follow depend
/// on the service's answers), signed by `client` (print them redacted).
/// `label` is what the journal records for the service (see
/// [`crate::Service::with_label`]).
///
/// # Errors
/// Everything a real run would stop on before sending anything.
pub fn dry_run(
    req: &Request,
    client: &Client,
    label: &str,
    reporter: &mut dyn Reporter,
) -> Result<Vec<PreparedRequest>> {
    let journal = Journal::load(&req.dir)?;
    let plan = plan::make(req, journal, label, reporter)?;
    requests(client, &plan)
}

fn requests(client: &Client, plan: &Plan) -> Result<Vec<PreparedRequest>> {
    let mut out = Vec::new();
    let j = &plan.journal;
    let recorded = j.order()?;
    if plan.adopt.is_some() {
        out.push(client.prepare(&list_query(j))?);
        return Ok(out);
    }
    if let Some(id) = recorded {
        out.push(client.prepare(&DescribeCertificateState { order_id: id })?);
        if !plan.new_order {
            return Ok(out);
        }
    } else if j.unsettled() {
        if let Some(attempt) = j.submission.as_ref().and_then(|s| s.attempt_id.clone()) {
            out.push(client.prepare(&tag_query(client, &attempt))?);
        }
        out.push(client.prepare(&list_query(j))?);
    }
    out.push(client.prepare(&DescribePackageState {
        product_code: Some(plan.params.product_code.clone()),
    })?);
    let create = order::create_op(plan, &uuid::Uuid::new_v4().to_string())?;
    out.push(client.prepare(&create)?);
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
