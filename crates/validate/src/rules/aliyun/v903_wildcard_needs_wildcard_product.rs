//! V903 `wildcard-needs-wildcard-product`: a wildcard CN needs a wildcard ProductCode (for example symantec-dv-1-starter); single-domain codes refuse it
//!
//! Citation: Alibaba CAS product codes (DV single vs wildcard).

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::policy::Profile;
use crate::rule::{Hit, Rule, Source};

pub(crate) static RULE: Rule = Rule {
    code: "V903",
    name: "wildcard-needs-wildcard-product",
    default_severity: Severity::Info,
    description: "a wildcard CN needs a wildcard ProductCode (for example symantec-dv-1-starter); single-domain codes refuse it",
    citation: "Alibaba CAS product codes (DV single vs wildcard)",
    source: Source::Aliyun,
    since: "0.1.0",
    rationale: "",
    profile: Some(Profile::AlibabaDv),
    // With a product code, V907 decides.
    applies: |csr, policy| csr.cns().next().is_some() && policy.product_code().is_none(),
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    if let Some((i, cn)) = csr.cns().next()
        && cn.text().is_some_and(|t| t.starts_with("*."))
    {
        out.push(
            Hit::new("the CN is a wildcard: order it with a wildcard ProductCode")
                .at(cn.offset, format!("subject/CN[{i}]"))
                .note("csrkit apply --product-code symantec-dv-1-starter (check `csrkit quota`)"),
        );
    }
}
