//! Orders, quota and the CA: the state the sandbox keeps, its operations and its persistence.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ca::{Ca, CaMaterial};
use crate::config::{Approval, SandboxConfig};
use crate::csr::CheckedCsr;
use crate::error::{Error, Result};
use crate::products;
use crate::wire::ApiError;

/// `DescribeCertificateState.Type` of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OrderState {
    DomainVerify,
    Process,
    Certificate,
    VerifyFail,
    Payed,
}

impl OrderState {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            OrderState::DomainVerify => "domain_verify",
            OrderState::Process => "process",
            OrderState::Certificate => "certificate",
            OrderState::VerifyFail => "verify_fail",
            OrderState::Payed => "payed",
        }
    }

    /// The `ListUserCertificateOrder.Status` vocabulary.
    pub(crate) fn list_status(self) -> &'static str {
        match self {
            OrderState::DomainVerify | OrderState::Process => "CHECKING",
            OrderState::Certificate => "ISSUED",
            OrderState::VerifyFail => "CHECKED_FAIL",
            OrderState::Payed => "PAYED",
        }
    }
}

/// `DNS` or `FILE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ValidateType {
    #[serde(rename = "DNS")]
    Dns,
    #[serde(rename = "FILE")]
    File,
}

/// One order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Order {
    pub(crate) id: u64,
    pub(crate) domain: String,
    pub(crate) dns_names: Vec<String>,
    /// Base64 of the CSR's SubjectPublicKeyInfo DER.
    pub(crate) spki: String,
    pub(crate) algorithm: String,
    pub(crate) product_code: String,
    pub(crate) validate_type: ValidateType,
    pub(crate) username: String,
    pub(crate) phone: String,
    pub(crate) email: String,
    pub(crate) tags: Vec<(String, String)>,
    /// The CSR as submitted (PEM), for `GetInstanceDetail`; empty in older state files.
    #[serde(default)]
    pub(crate) csr_pem: String,
    pub(crate) state: OrderState,
    pub(crate) created_ms: i64,
    pub(crate) record_value: String,
    pub(crate) file_content: String,
    pub(crate) certificate: Option<String>,
    pub(crate) cert_id: Option<u64>,
    pub(crate) not_before_ms: Option<i64>,
    pub(crate) not_after_ms: Option<i64>,
    /// Set when `CancelCertificateForPackageRequest` revoked the issued certificate.
    #[serde(default)]
    pub(crate) revoked: Option<Revocation>,
}

/// A revoked certificate, as its CA's CRL lists it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Revocation {
    /// The leaf's serial number, hex.
    pub(crate) serial_hex: String,
    pub(crate) at_ms: i64,
}

impl Order {
    /// `ListUserCertificateOrder.Status` at `now`: the state's status, or `REVOKED`, `EXPIRED`
    /// or `WILLEXPIRED` (within 30 days of the end) for an issued certificate.
    pub(crate) fn list_status(&self, now_ms: i64) -> &'static str {
        if self.revoked.is_some() {
            return "REVOKED";
        }
        match (self.state, self.not_after_ms) {
            (OrderState::Certificate, Some(end)) if end <= now_ms => "EXPIRED",
            (OrderState::Certificate, Some(end)) if end - now_ms <= 30 * 86_400_000 => {
                "WILLEXPIRED"
            }
            _ => self.state.list_status(),
        }
    }
}

/// Quota of one product code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Quota {
    pub(crate) total: u64,
    pub(crate) used: u64,
    pub(crate) issued: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Data {
    pub(crate) next_order_id: u64,
    pub(crate) next_cert_id: u64,
    pub(crate) orders_created: u64,
    pub(crate) quotas: BTreeMap<String, Quota>,
    pub(crate) orders: BTreeMap<u64, Order>,
    /// The Alidns zones and their records (absent from state files of earlier versions).
    #[serde(default)]
    pub(crate) dns: crate::alidns::DnsData,
    /// Cloud resources, uploaded certificates and deployment jobs (absent from state files of
    /// earlier versions).
    #[serde(default)]
    pub(crate) deploy: crate::deploy::DeployData,
}

const FORMAT: u32 = 1;

#[derive(Serialize)]
struct Snapshot<'a> {
    format: u32,
    data: &'a Data,
    ca: &'a CaMaterial,
}

#[derive(Deserialize)]
struct Loaded {
    format: u32,
    data: Data,
    ca: CaMaterial,
}

fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// What a Create asks for, already checked.
#[derive(Debug)]
pub(crate) struct NewOrder {
    pub(crate) csr: CheckedCsr,
    pub(crate) product_code: String,
    pub(crate) validate_type: ValidateType,
    pub(crate) username: String,
    pub(crate) phone: String,
    pub(crate) email: String,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) csr_pem: String,
}

/// The sandbox's state.
pub(crate) struct State {
    pub(crate) data: Data,
    pub(crate) ca: Ca,
    /// Bumped on every change; persistence writes only newer generations.
    pub(crate) generation: u64,
    /// How long issued certificates are valid (`--cert-lifetime`).
    pub(crate) cert_lifetime: time::Duration,
}

/// The validity of a certificate issued at `now`: notBefore a little before issuance (one
/// minute, or a tenth of the lifetime when that is shorter, so that a short-lived test
/// certificate is not born half expired) and notAfter exactly `lifetime` after notBefore, both
/// in whole seconds as X.509 writes them. The API's times (`CertStartTime`, `NotBefore`, ...)
/// are the certificate's own.
pub(crate) fn validity(
    now: OffsetDateTime,
    lifetime: time::Duration,
) -> (OffsetDateTime, OffsetDateTime) {
    let backdate = (lifetime / 10_i32).min(time::Duration::minutes(1));
    let whole = |t: OffsetDateTime| t.replace_nanosecond(0).unwrap_or(t);
    let not_before = whole(now - backdate);
    (not_before, not_before + whole_seconds(lifetime))
}

fn whole_seconds(d: time::Duration) -> time::Duration {
    time::Duration::seconds(d.whole_seconds())
}

pub(crate) fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

impl State {
    /// Loads the state file if there is one, else starts fresh; the configured quotas set the
    /// totals (the used counts survive). `base_url` is where the sandbox serves its CA's
    /// certificates and CRLs, which issued certificates name.
    pub(crate) fn open(config: &SandboxConfig, base_url: &str) -> Result<State> {
        let loaded = match &config.state_file {
            Some(path) => read_state(path)?,
            None => None,
        };
        let mut generation = 1;
        let (mut data, ca) = match loaded {
            Some((data, material)) => {
                let (ca, changed) = Ca::load(material, base_url)?;
                if changed {
                    generation += 1;
                }
                (data, ca)
            }
            None => {
                let seed = uuid::Uuid::new_v4().as_u64_pair().0;
                (
                    Data {
                        // between 2^56 and 2^57: beyond 2^53, as the real ids are
                        next_order_id: (1u64 << 56) + (seed >> 8),
                        next_cert_id: 10_000_000 + (seed & 0xFFFF),
                        orders_created: 0,
                        quotas: BTreeMap::new(),
                        orders: BTreeMap::new(),
                        dns: crate::alidns::DnsData::default(),
                        deploy: crate::deploy::DeployData::default(),
                    },
                    Ca::generate(base_url)?,
                )
            }
        };
        for q in &config.quotas {
            data.quotas
                .entry(q.product_code.clone())
                .and_modify(|e| e.total = q.total)
                .or_insert(Quota {
                    total: q.total,
                    used: 0,
                    issued: 0,
                });
        }
        data.dns.host(&config.zones, OffsetDateTime::now_utc());
        data.deploy
            .host(&config.resources, OffsetDateTime::now_utc());
        Ok(State {
            data,
            ca,
            generation,
            cert_lifetime: time::Duration::try_from(config.cert_lifetime)
                .unwrap_or(time::Duration::days(90)),
        })
    }

    /// The state as the JSON the state file holds.
    pub(crate) fn snapshot(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(&Snapshot {
            format: FORMAT,
            data: &self.data,
            ca: &self.ca.material,
        })
    }

    pub(crate) fn touch(&mut self) {
        self.generation += 1;
    }

    /// `CreateCertificateWithCsrRequest`: spends one unit of quota.
    pub(crate) fn create(
        &mut self,
        req: NewOrder,
        now: OffsetDateTime,
        max_orders: usize,
    ) -> Result<u64, ApiError> {
        let code_owned = req.product_code.clone();
        let code = code_owned.as_str();
        if products::dv(code).is_none() {
            return Err(products::not_dv(code));
        }
        let Some(quota) = self.data.quotas.get(code).copied() else {
            return Err(ApiError::new(
                404,
                "NotFoundPackage",
                format!(
                    "No certificate resource plan of product code \"{code}\" has been purchased. Buy one, or start the sandbox with --quota {code}=N."
                ),
            ));
        };
        if quota.used >= quota.total {
            return Err(ApiError::new(
                404,
                "NotRemainCount",
                format!(
                    "The resource plan \"{code}\" has no certificates left ({} of {} used). Delete cancelled or failed orders to get quota back, or buy more.",
                    quota.used, quota.total
                ),
            ));
        }
        if self.data.orders.len() >= max_orders {
            return Err(ApiError::new(
                403,
                "Sandbox.OrderLimitExceeded",
                format!(
                    "The sandbox keeps at most {max_orders} orders. Delete orders (CancelOrderRequest, then DeleteCertificateRequest) or restart the sandbox without its state file."
                ),
            ));
        }
        let id = self.data.next_order_id;
        self.data.next_order_id += 1;
        let order = Order {
            id,
            domain: req.csr.common_name.clone(),
            dns_names: req.csr.dns_names.clone(),
            spki: base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                &req.csr.spki_der,
            ),
            algorithm: req.csr.algorithm.to_owned(),
            product_code: req.product_code,
            validate_type: req.validate_type,
            username: req.username,
            phone: req.phone,
            email: req.email,
            tags: req.tags,
            csr_pem: req.csr_pem,
            state: OrderState::DomainVerify,
            created_ms: unix_ms(now),
            record_value: format!(
                "{:04}{:02}{:02}000000{}",
                now.year(),
                u8::from(now.month()),
                now.day(),
                &random_token()[..48]
            ),
            file_content: random_token(),
            certificate: None,
            cert_id: None,
            not_before_ms: None,
            not_after_ms: None,
            revoked: None,
        };
        self.data.orders.insert(id, order);
        if let Some(q) = self.data.quotas.get_mut(code) {
            q.used += 1;
        }
        self.data.orders_created += 1;
        self.touch();
        Ok(id)
    }

    /// Moves an order along with automatic approval.
    pub(crate) fn advance(
        &mut self,
        id: u64,
        approve: Approval,
        issue_after_ms: i64,
        now: OffsetDateTime,
    ) -> Result<(), ApiError> {
        let Some(order) = self.data.orders.get(&id) else {
            return Ok(());
        };
        if approve != Approval::Auto
            || !matches!(order.state, OrderState::DomainVerify | OrderState::Process)
        {
            return Ok(());
        }
        let elapsed = unix_ms(now) - order.created_ms;
        if elapsed >= issue_after_ms {
            self.issue(id, now)
        } else if issue_after_ms >= 2000 && elapsed >= issue_after_ms / 2 {
            if let Some(o) = self.data.orders.get_mut(&id)
                && o.state != OrderState::Process
            {
                o.state = OrderState::Process;
                self.touch();
            }
            Ok(())
        } else {
            Ok(())
        }
    }

    /// Issues the order's certificate (from `domain_verify` or `process`).
    pub(crate) fn issue(&mut self, id: u64, now: OffsetDateTime) -> Result<(), ApiError> {
        let order = self.order(id)?;
        if !matches!(order.state, OrderState::DomainVerify | OrderState::Process) {
            return Err(state_error(
                order,
                "be approved",
                "domain_verify or process",
            ));
        }
        let spki = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &order.spki)
            .map_err(ApiError::internal)?;
        let code = order.product_code.clone();
        let (not_before, not_after) = validity(now, self.cert_lifetime);
        let leaf = self
            .ca
            .issue(
                &spki,
                &order.domain,
                &order.dns_names,
                &order.algorithm,
                (not_before, not_after),
            )
            .map_err(ApiError::internal)?;
        let chain = format!("{}{}", leaf, self.ca.material.intermediate_pem);
        let cert_id = self.data.next_cert_id;
        self.data.next_cert_id += 1;
        if let Some(o) = self.data.orders.get_mut(&id) {
            o.state = OrderState::Certificate;
            o.certificate = Some(chain);
            o.cert_id = Some(cert_id);
            o.not_before_ms = Some(unix_ms(not_before));
            o.not_after_ms = Some(unix_ms(not_after));
        }
        if let Some(q) = self.data.quotas.get_mut(&code) {
            q.issued += 1;
        }
        self.touch();
        Ok(())
    }

    /// Fails the order's review (`verify_fail`).
    pub(crate) fn fail(&mut self, id: u64) -> Result<(), ApiError> {
        self.leave_review(id, OrderState::VerifyFail, "be failed")
    }

    /// `CancelOrderRequest`: back to `payed`.
    pub(crate) fn cancel(&mut self, id: u64) -> Result<(), ApiError> {
        self.leave_review(id, OrderState::Payed, "be cancelled")
    }

    /// Moves an order in `domain_verify` or `process` to `to`; `verb` says
    /// what was attempted, for the error.
    fn leave_review(&mut self, id: u64, to: OrderState, verb: &str) -> Result<(), ApiError> {
        let order = self.order(id)?;
        if !matches!(order.state, OrderState::DomainVerify | OrderState::Process) {
            return Err(state_error(order, verb, "domain_verify or process"));
        }
        if let Some(o) = self.data.orders.get_mut(&id) {
            o.state = to;
        }
        self.touch();
        Ok(())
    }

    /// `DeleteCertificateRequest`: removes a `payed` or `verify_fail` order and gives its quota
    /// back.
    pub(crate) fn delete(&mut self, id: u64) -> Result<(), ApiError> {
        let order = self.order(id)?;
        if !matches!(order.state, OrderState::Payed | OrderState::VerifyFail) {
            return Err(state_error(
                order,
                "be deleted",
                "payed (after CancelOrderRequest) or verify_fail",
            ));
        }
        let code = order.product_code.clone();
        self.data.orders.remove(&id);
        if let Some(q) = self.data.quotas.get_mut(&code) {
            q.used = q.used.saturating_sub(1);
        }
        self.touch();
        Ok(())
    }

    /// `CancelCertificateForPackageRequest`: revokes an issued certificate (reference 1.3.8);
    /// the unit of quota comes back only within 30 days of issuance. The order stays, listed
    /// as `REVOKED`; the reference's complete list of `DescribeCertificateState.Type` values
    /// has none for it, so it keeps `certificate`.
    pub(crate) fn revoke(&mut self, id: u64, now: OffsetDateTime) -> Result<(), ApiError> {
        let order = self.order(id)?;
        if order.state != OrderState::Certificate || order.revoked.is_some() {
            return Err(state_error(
                order,
                "be revoked",
                "certificate (issued, not yet revoked)",
            ));
        }
        let serial_hex = order
            .certificate
            .as_deref()
            .and_then(leaf_serial_hex)
            .ok_or_else(|| ApiError::internal("the issued certificate cannot be read"))?;
        let refund = order
            .not_before_ms
            .is_some_and(|nb| unix_ms(now) - nb <= 30 * 86_400_000);
        let code = order.product_code.clone();
        if let Some(o) = self.data.orders.get_mut(&id) {
            o.revoked = Some(Revocation {
                serial_hex,
                at_ms: unix_ms(now),
            });
        }
        if refund && let Some(q) = self.data.quotas.get_mut(&code) {
            q.used = q.used.saturating_sub(1);
        }
        self.touch();
        Ok(())
    }

    /// The intermediate's CRL now (DER).
    pub(crate) fn intermediate_crl(&self, now: OffsetDateTime) -> Result<Vec<u8>> {
        let revoked: Vec<(Vec<u8>, OffsetDateTime)> = self
            .data
            .orders
            .values()
            .filter_map(|o| o.revoked.as_ref())
            .filter_map(|r| {
                let serial = hex::decode(&r.serial_hex).ok()?;
                let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(r.at_ms) * 1_000_000)
                    .ok()?;
                Some((serial, at))
            })
            .collect();
        self.ca.intermediate_crl(&revoked, now)
    }

    pub(crate) fn order(&self, id: u64) -> Result<&Order, ApiError> {
        self.data.orders.get(&id).ok_or_else(|| {
            ApiError::new(
                404,
                "NotFoundOrder",
                format!("The order {id} does not exist (or was deleted). Check the OrderId."),
            )
        })
    }
}

fn state_error(order: &Order, what: &str, allowed: &str) -> ApiError {
    ApiError::new(
        403,
        "OrderStateError",
        format!(
            "The order {} is in state {} and cannot {what}; this needs state {allowed}.",
            order.id,
            order.state.wire()
        ),
    )
}

/// The serial number (hex) of the first certificate of a PEM chain.
fn leaf_serial_hex(chain: &str) -> Option<String> {
    use x509_parser::prelude::{FromDer as _, X509Certificate};
    let (_, pem) = x509_parser::pem::parse_x509_pem(chain.as_bytes()).ok()?;
    let (_, cert) = X509Certificate::from_der(&pem.contents).ok()?;
    Some(hex::encode(cert.raw_serial()))
}

fn read_state(path: &Path) -> Result<Option<(Data, CaMaterial)>> {
    let err = |reason: String| Error::State {
        path: path.to_owned(),
        reason,
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(err(format!("cannot read it: {e}"))),
    };
    let loaded: Loaded =
        serde_json::from_slice(&bytes).map_err(|e| err(format!("not a sandbox state: {e}")))?;
    if loaded.format != FORMAT {
        return Err(err(format!(
            "format {} is not the supported {FORMAT}",
            loaded.format
        )));
    }
    Ok(Some((loaded.data, loaded.ca)))
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename,
/// fsync of the directory. The file is private to its owner (it holds the CA keys).
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let err = |reason: String| Error::State {
        path: path.to_owned(),
        reason,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| err("the path has no file name".to_owned()))?;
    let mut tmp_name = file_name.to_owned();
    tmp_name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let tmp = dir.join(tmp_name);
    let result = (|| -> std::io::Result<()> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        #[cfg(unix)]
        std::fs::File::open(&dir)?.sync_all()?;
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(format!("cannot write it: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_order() -> NewOrder {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut p = rcgen::CertificateParams::new(vec!["example.com".to_owned()]).expect("params");
        p.distinguished_name = rcgen::DistinguishedName::new();
        p.distinguished_name
            .push(rcgen::DnType::CommonName, "example.com");
        let pem = p.serialize_request(&key).expect("csr").pem().expect("pem");
        NewOrder {
            csr: crate::csr::check(&pem).expect("csr accepted"),
            product_code: "digicert-free-1-free".to_owned(),
            validate_type: ValidateType::Dns,
            username: "u".to_owned(),
            phone: "1".to_owned(),
            email: "a@b".to_owned(),
            tags: Vec::new(),
            csr_pem: pem,
        }
    }

    #[test]
    fn automatic_approval_goes_through_process_at_half_time() -> Result<()> {
        let mut s = State::open(&SandboxConfig::default(), "http://127.0.0.1:9")?;
        let t0 = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let id = s.create(new_order(), t0, 10).expect("created");
        assert!(id > 1 << 53);
        let at = |secs: i64| t0 + time::Duration::seconds(secs);
        let after = 60_000; // issue_after = 60 s
        s.advance(id, Approval::Auto, after, at(29))
            .expect("advance");
        assert_eq!(s.order(id).expect("order").state, OrderState::DomainVerify);
        s.advance(id, Approval::Auto, after, at(30))
            .expect("advance");
        assert_eq!(s.order(id).expect("order").state, OrderState::Process);
        s.advance(id, Approval::Manual, after, at(3600))
            .expect("advance");
        assert_eq!(
            s.order(id).expect("order").state,
            OrderState::Process,
            "manual approval never advances by itself"
        );
        s.advance(id, Approval::Auto, after, at(60))
            .expect("advance");
        let o = s.order(id).expect("order");
        assert_eq!(o.state, OrderState::Certificate);
        assert_eq!(
            o.not_after_ms.unwrap_or(0) - o.not_before_ms.unwrap_or(0),
            90 * 86_400_000,
            "the default lifetime, exactly"
        );
        assert_eq!(s.data.quotas["digicert-free-1-free"].issued, 1);
        Ok(())
    }

    #[test]
    fn snapshot_round_trips() -> Result<()> {
        let mut s = State::open(&SandboxConfig::default(), "http://127.0.0.1:9")?;
        let id = s
            .create(new_order(), OffsetDateTime::now_utc(), 10)
            .expect("created");
        let bytes = s.snapshot().expect("serialises");
        let loaded: Loaded = serde_json::from_slice(&bytes).expect("parses");
        assert_eq!(loaded.format, FORMAT);
        assert!(loaded.data.orders.contains_key(&id));
        let (ca, changed) = Ca::load(loaded.ca, "http://127.0.0.1:9")?;
        assert!(!changed, "the same address: the intermediate is kept");
        assert_eq!(ca.material.root_pem, s.ca.material.root_pem);
        // the CA keys are not in Debug output
        let d = format!("{:?}", s.ca.material);
        assert!(
            !d.contains("PRIVATE KEY") && d.contains("** redacted **"),
            "{d}"
        );
        Ok(())
    }
}
