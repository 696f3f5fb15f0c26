//! `validate`: split the input, parse each request, run the rules.

use x509_parser::prelude::{FromDer, X509Certificate};

use crate::csr::Csr;
use crate::input::{self, Item, Kind};
use crate::model::{Finding, Report, RequestReport};
use crate::policy::Policy;
use crate::rule::{Hit, Rule};
use crate::rules;

/// Validates every certification request in `bytes` against `policy`.
///
/// `bytes` is PEM (one or more `CERTIFICATE REQUEST` or `NEW CERTIFICATE
/// REQUEST` blocks; text around them is ignored) or DER. Nothing here does
/// I/O, and no input makes it panic: input that is not a request is
/// reported as a finding (`V100`, or `V105` for a certificate, `V106` for a
/// private key).
pub fn validate(bytes: &[u8], policy: &Policy) -> Report {
    let mut report = Report::default();
    let items = if input::is_pem(bytes) {
        input::pem_items(bytes)
    } else if bytes.is_empty() {
        input_finding(
            &mut report,
            policy,
            &rules::rfc2986::v100_not_a_csr::RULE,
            Hit::new("the input is empty; expected a PEM or DER certificate request"),
        );
        return report;
    } else if bytes.first() == Some(&0x30) {
        vec![Item {
            kind: Kind::Request,
            label: None,
            offset: 0,
            der: Ok(std::borrow::Cow::Borrowed(bytes)),
        }]
    } else if let Some(der) = input::bare_base64(bytes) {
        let key = input::key_container(&der);
        drop(der);
        match key {
            Some(what) => input_finding(
                &mut report,
                policy,
                &rules::community::v106_private_key_in_input::RULE,
                Hit::new(format!(
                    "the input is {what} in bare base64 (no PEM armour); a private key must \
                     never be submitted with a CSR or committed next to it"
                ))
                .at(Some(0), "base64 input")
                .note("if this file was shared or committed, treat the key as compromised and make a new one"),
            ),
            None => input_finding(
                &mut report,
                policy,
                &rules::rfc2986::v100_not_a_csr::RULE,
                Hit::new("the input is bare base64 without -----BEGIN CERTIFICATE REQUEST----- armour")
                    .note("a CSR is PEM with a CERTIFICATE REQUEST block, or its DER"),
            ),
        }
        return report;
    } else {
        let what = if std::str::from_utf8(bytes).is_ok() {
            "text without a -----BEGIN CERTIFICATE REQUEST----- block"
        } else {
            "binary data that is not DER (it does not start with a SEQUENCE)"
        };
        input_finding(
            &mut report,
            policy,
            &rules::rfc2986::v100_not_a_csr::RULE,
            Hit::new(format!(
                "the input is {what}; expected a certificate request"
            ))
            .note("a CSR is PEM with a CERTIFICATE REQUEST block, or its DER"),
        );
        return report;
    };

    for item in &items {
        check_item(&mut report, policy, item);
    }
    if items.is_empty() {
        input_finding(
            &mut report,
            policy,
            &rules::rfc2986::v100_not_a_csr::RULE,
            Hit::new("the input holds no PEM block at all"),
        );
    }
    report
}

fn check_item(report: &mut Report, policy: &Policy, item: &Item<'_>) {
    let at = |h: Hit| -> Hit {
        let field = match &item.label {
            Some(l) => format!("PEM block \"{l}\""),
            None => "DER input".to_owned(),
        };
        h.at(Some(item.offset), field)
    };
    match item.kind {
        Kind::PrivateKey => {
            input_finding(
                report,
                policy,
                &rules::community::v106_private_key_in_input::RULE,
                Hit::new(format!(
                    "the input contains a private key ({}); a private key must never be \
                     submitted with a CSR or committed next to it",
                    item.label.as_deref().unwrap_or("DER")
                ))
                .at(Some(item.offset), "private key")
                .note("remove the key from this file and keep it only where the server reads it")
                .note("if this file was shared or committed, treat the key as compromised and make a new one"),
            );
            return;
        }
        Kind::Certificate => {
            input_finding(
                report,
                policy,
                &rules::community::v105_certificate_not_csr::RULE,
                at(Hit::new(
                    "this is a certificate, not a certificate request; give the CSR \
                     (-----BEGIN CERTIFICATE REQUEST-----) instead",
                )),
            );
            return;
        }
        Kind::Other
            if item
                .der
                .as_deref()
                .is_ok_and(|d| input::key_container(d).is_some()) =>
        {
            let mut k = item_clone(item);
            k.kind = Kind::PrivateKey;
            return check_item(report, policy, &k);
        }
        Kind::Other => {
            input_finding(
                report,
                policy,
                &rules::rfc2986::v100_not_a_csr::RULE,
                at(Hit::new(format!(
                    "the PEM block \"{}\" is not a certificate request",
                    item.label.as_deref().unwrap_or("")
                ))),
            );
            return;
        }
        Kind::Request => {}
    }
    let der = match &item.der {
        Ok(der) => der,
        Err(reason) => {
            input_finding(
                report,
                policy,
                &rules::rfc2986::v100_not_a_csr::RULE,
                at(Hit::new(reason.clone())),
            );
            return;
        }
    };
    match Csr::parse(der) {
        Ok(csr) => {
            let index = report.requests.len();
            report
                .requests
                .push(run_rules(&csr, policy, index, item.offset));
        }
        Err(reason) => {
            // Maybe a certificate or a key given by mistake, as DER or
            // inside armour with a request's label.
            if let Some(what) = input::key_container(der) {
                let mut k = item_clone(item);
                k.kind = Kind::PrivateKey;
                k.label = Some(match &item.label {
                    Some(l) => format!("{what}, under the PEM label \"{l}\""),
                    None => what.to_owned(),
                });
                return check_item(report, policy, &k);
            }
            if X509Certificate::from_der(der).is_ok() {
                let mut k = item_clone(item);
                k.kind = Kind::Certificate;
                return check_item(report, policy, &k);
            }
            input_finding(
                report,
                policy,
                &rules::rfc2986::v100_not_a_csr::RULE,
                at(Hit::new(format!("the request cannot be read: {reason}"))).note(
                    "regenerate the CSR; `openssl req -in FILE -noout -text` shows what it holds",
                ),
            );
        }
    }
}

fn item_clone(item: &Item<'_>) -> Item<'static> {
    Item {
        kind: item.kind,
        label: item.label.clone(),
        offset: item.offset,
        der: Err(String::new()),
    }
}

fn input_finding(report: &mut Report, policy: &Policy, rule: &'static Rule, hit: Hit) {
    if let Some(severity) = policy.severity_of(rule) {
        report.findings.push(finding(rule, severity, hit));
    }
}

fn finding(rule: &'static Rule, severity: crate::Severity, hit: Hit) -> Finding {
    Finding {
        code: rule.code,
        name: rule.name,
        severity,
        message: hit.message,
        location: hit.location,
        notes: hit.notes,
        citation: rule.citation,
    }
}

/// Runs every rule of the policy on one parsed request.
pub(crate) fn run_rules(
    csr: &Csr<'_>,
    policy: &Policy,
    index: usize,
    offset: usize,
) -> RequestReport {
    let mut findings = Vec::new();
    let mut hits = Vec::new();
    for rule in rules::rules() {
        let Some(severity) = policy.severity_of(rule) else {
            continue;
        };
        if !(rule.applies)(csr, policy) {
            continue;
        }
        (rule.check)(csr, policy, &mut hits);
        findings.extend(hits.drain(..).map(|h| finding(rule, severity, h)));
    }
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.code.cmp(b.code)));
    RequestReport {
        index,
        input_offset: offset,
        common_name: csr.cn(),
        findings,
    }
}
