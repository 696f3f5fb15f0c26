//! The local half of the engine: everything checked and decided before a
//! credential is used or a connection opened: the names, the key and the
//! CSR (made in memory), the lint, the journal and its files, the request
//! against the journal, the tags and the applicant's contact.
//!
//! [`make`] writes nothing; [`crate::material`] writes what the plan says,
//! when the caller decides (never for a dry run).

use std::path::{Path, PathBuf};

use csrkit_csr::{CsrRequest, KeyType};
use csrkit_submit::{OrderId, Tag, ValidateType};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::event::{Event, Reporter};
use crate::fsx::{CSR_FILE, KEY_FILE, load_key};
use crate::journal::{self, Files, Journal};
use crate::layout;
use crate::lint;
use crate::material;
use crate::request::{Contact, Request};

/// The tag key csrkit adds to every Create: the value is the attempt's id.
pub const ATTEMPT_TAG: &str = "csrkit-attempt";
/// Tags the service accepts on one Create, csrkit's own included.
const MAX_TAGS: usize = 20;
/// The resource plan spent when none is given (the service's own default).
pub const DEFAULT_PRODUCT_CODE: &str = "digicert-free-1-free";

/// A key and CSR for an order, in memory until [`material::write`].
pub(crate) struct Material {
    /// The CSR's DER.
    pub(crate) csr_der: Vec<u8>,
    /// The CSR as sent (PEM).
    pub(crate) csr_pem: String,
    /// SHA-256 of the key's SubjectPublicKeyInfo, hex.
    pub(crate) spki: String,
    /// The CSR's names, CN first (from the lint).
    pub(crate) domains: Vec<String>,
    /// Where the CSR lives, relative to the directory.
    pub(crate) csr_file: PathBuf,
    /// Whether the CSR must still be written there.
    pub(crate) write_csr: bool,
    /// The key file as the journal records it (relative when inside the
    /// directory), if there is one.
    pub(crate) key_file: Option<PathBuf>,
    /// A new key to write to `key_file` (PKCS #8 PEM).
    pub(crate) new_key_pem: Option<Zeroizing<String>>,
}

/// The applicant, required by every Create.
#[derive(Clone)]
pub(crate) struct Applicant {
    pub(crate) name: String,
    pub(crate) phone: String,
    pub(crate) email: String,
}

/// How a Create of this directory is made.
#[derive(Clone)]
pub(crate) struct OrderParams {
    pub(crate) product_code: String,
    pub(crate) validate_type: ValidateType,
    /// The user's tags (csrkit's attempt tag is added when sending).
    pub(crate) tags: Vec<Tag>,
    /// `None` when no Create can go out (an order is recorded; `--adopt`).
    pub(crate) contact: Option<Applicant>,
}

/// What the engine will do, decided locally.
pub(crate) struct Plan {
    pub(crate) dir: PathBuf,
    /// The journal as it stands (for a new directory: as it will be
    /// written).
    pub(crate) journal: Journal,
    /// A new directory: its key, CSR and journal are not written yet.
    pub(crate) fresh: Option<Material>,
    /// `--new-order` with a new key or CSR: written into the next
    /// generation when the new order is committed.
    pub(crate) next: Option<Material>,
    /// `--new-order`.
    pub(crate) new_order: bool,
    /// `--adopt ORDER_ID`.
    pub(crate) adopt: Option<OrderId>,
    /// How a Create is made.
    pub(crate) params: OrderParams,
}

/// Refuses more tags than fit beside csrkit's own, and csrkit's own key.
///
/// # Errors
/// [`Error::Input`] naming the tag count or the reserved key.
pub fn check_tags(tags: &[Tag]) -> Result<()> {
    if tags.len() >= MAX_TAGS {
        return Err(Error::input(format!(
            "{} --tag values given; at most {} fit: the service takes {MAX_TAGS} tags and csrkit \
             adds its own {ATTEMPT_TAG} tag, to find the order again after a lost answer",
            tags.len(),
            MAX_TAGS - 1
        )));
    }
    if let Some(t) = tags.iter().find(|t| t.key == ATTEMPT_TAG) {
        return Err(Error::input(format!(
            "--tag {}={}: the key {ATTEMPT_TAG} is csrkit's own; use another key",
            t.key, t.value
        )));
    }
    Ok(())
}

/// Decides what to do, checking everything that can be checked locally.
/// The lint knows the product the order will spend (rule V907: what that
/// product refuses, such as a wildcard on a single-domain product, stops
/// the order before any request).
pub(crate) fn make(
    req: &Request,
    journal: Option<Journal>,
    label: &str,
    reporter: &mut dyn Reporter,
) -> Result<Plan> {
    check_tags(&req.tags)?;
    req.renewal.check()?;
    let product = match &journal {
        Some(j) if !req.new_order => j.product_code.clone(),
        Some(j) => req
            .product_code
            .clone()
            .unwrap_or_else(|| j.product_code.clone()),
        None => req
            .product_code
            .clone()
            .unwrap_or_else(|| DEFAULT_PRODUCT_CODE.to_owned()),
    };
    let mut req = req.clone();
    req.policy.set_product_code(&product);
    match journal {
        None => fresh(&req, label, reporter),
        Some(j) => recorded(&req, j, label, reporter),
    }
}

fn fresh(req: &Request, label: &str, reporter: &mut dyn Reporter) -> Result<Plan> {
    let dir = &req.dir;
    if req.adopt.is_some() {
        return Err(Error::input(format!(
            "{} has no order journal: there is nothing to adopt an order into. --adopt settles a \
             directory whose Create had an unknown outcome",
            dir.display()
        )));
    }
    let m = fresh_material(req, reporter)?;
    let params = OrderParams {
        product_code: req
            .product_code
            .clone()
            .unwrap_or_else(|| DEFAULT_PRODUCT_CODE.to_owned()),
        validate_type: req.validate_type.unwrap_or(ValidateType::Dns),
        tags: req.tags.clone(),
        contact: Some(applicant(req, None)?),
    };
    let journal = Journal {
        schema: journal::SCHEMA.into(),
        domains: m.domains.clone(),
        csr_sha256: hex::encode(Sha256::digest(&m.csr_der)),
        key_spki_sha256: m.spki.clone(),
        product_code: params.product_code.clone(),
        validate_type: params.validate_type.as_str().into(),
        endpoint: label.to_owned(),
        order_id: None,
        tags: params.tags.clone(),
        submission: None,
        previous_orders: Vec::new(),
        states: Vec::new(),
        verification: None,
        files: Files {
            key: m.key_file.clone(),
            csr: m.csr_file.clone(),
            ..Files::default()
        },
        not_after: None,
        dns: None,
        published: Vec::new(),
        generations: Vec::new(),
        current: None,
        contact: None,
        renewal: Default::default(),
        follow_ups: None,
    };
    Ok(Plan {
        dir: dir.clone(),
        journal,
        fresh: Some(m),
        next: None,
        new_order: false,
        adopt: None,
        params,
    })
}

fn recorded(req: &Request, j: Journal, label: &str, reporter: &mut dyn Reporter) -> Result<Plan> {
    let dir = &req.dir;
    check_same_certificate(dir, &j, req, label)?;
    if let (Some(id), Some(_)) = (&j.order_id, req.adopt) {
        return Err(Error::input(format!(
            "{} already records order {id}; --adopt is for a directory whose Create had an \
             unknown outcome (to replace the order, use --new-order)",
            dir.display()
        )));
    }
    let next = if req.new_order {
        new_material(req, dir, &j, reporter)?
    } else {
        check_flags_match(req, dir, &j)?;
        for message in ignored_flags(req, &j) {
            reporter.report(Event::Warning { message });
        }
        None
    };
    if next.is_none() {
        // The recorded key and CSR go on being used: they must be intact.
        material::check(dir, &j, req.key_passphrase.as_ref())?;
    }
    let params = order_params(req, &j, reporter)?;
    Ok(Plan {
        dir: dir.clone(),
        journal: j,
        fresh: None,
        next,
        new_order: req.new_order,
        adopt: req.adopt,
        params,
    })
}

/// The journal belongs to this endpoint and these names.
fn check_same_certificate(dir: &Path, j: &Journal, req: &Request, label: &str) -> Result<()> {
    if j.endpoint != label {
        return Err(Error::input(format!(
            "{} records an order at {}, not at {label}; use the same connection flags to resume \
             it (--sandbox for an order of the in-process sandbox), or another --out-dir. \
             Nothing was written",
            dir.join(journal::JOURNAL_FILE).display(),
            j.endpoint,
        )));
    }
    if let Some(r) = req.names()? {
        let asked: Vec<&str> = r.domains().iter().map(|d| d.as_str()).collect();
        if asked != j.domains {
            return Err(Error::input(format!(
                "{} is the directory of a certificate for {}; for {} use another --out-dir",
                dir.display(),
                j.domains.join(", "),
                asked.join(", ")
            )));
        }
    }
    Ok(())
}

/// `--csr`, `--key` and `--key-type` on a recorded directory, without
/// `--new-order`: accepted only when they say what the directory holds.
fn check_flags_match(req: &Request, dir: &Path, j: &Journal) -> Result<()> {
    let refuse = |what: String| {
        Error::input(format!(
            "{what}. {} records an order for its own key and CSR; to order a certificate for \
             the one you gave, add --new-order (the current order stays recorded), or use \
             another --out-dir. Nothing was sent",
            dir.display()
        ))
    };
    if let Some(csr) = &req.csr {
        let der = lint::read_csr(csr)?;
        if hex::encode(Sha256::digest(&der)) != j.csr_sha256 {
            return Err(refuse(format!(
                "--csr {} is not this directory's CSR",
                csr.display()
            )));
        }
    }
    if let Some(key) = &req.key
        && load_key(key, req.key_passphrase.as_ref())?.spki_sha256() != j.key_spki_sha256
    {
        return Err(refuse(format!(
            "--key {} is not this directory's key",
            key.display()
        )));
    }
    if let Some(t) = req.key_type {
        let have = lint::csr_key_type(&lint::read_csr(&dir.join(&j.files.csr))?)?;
        if have != t.name() {
            return Err(refuse(format!(
                "--key-type {t}: this directory's key is {have}"
            )));
        }
    }
    Ok(())
}

/// Order flags that a recorded order overrides, without `--new-order`.
fn ignored_flags(req: &Request, j: &Journal) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(v) = req.validate_type
        && !v.as_str().eq_ignore_ascii_case(&j.validate_type)
    {
        notes.push(format!(
            "this directory's order uses {} validation; --validate-type {} is ignored (add \
             --new-order to place a new order with it)",
            j.validate_type,
            v.as_str().to_ascii_lowercase()
        ));
    }
    if let Some(c) = &req.product_code
        && *c != j.product_code
    {
        notes.push(format!(
            "this directory's order spends {}; --product-code {c} is ignored (add --new-order to \
             place a new order with it)",
            j.product_code
        ));
    }
    if !req.tags.is_empty() && req.tags != j.tags {
        notes.push(
            "this directory's order keeps its tags; --tag is ignored (add --new-order to place a \
             new order with them)"
                .to_owned(),
        );
    }
    notes
}

/// The journal's product code, validation type and tags, or with
/// `--new-order` the request's overrides (said in a notice).
fn order_params(req: &Request, j: &Journal, reporter: &mut dyn Reporter) -> Result<OrderParams> {
    let recorded_type: ValidateType = j.validate_type.parse().map_err(|_| {
        Error::input(format!(
            "the journal's validate_type {:?} is damaged",
            j.validate_type
        ))
    })?;
    let mut params = OrderParams {
        product_code: j.product_code.clone(),
        validate_type: recorded_type,
        tags: j.tags.clone(),
        contact: None,
    };
    if req.new_order {
        if let Some(c) = req.product_code.as_ref().filter(|c| **c != j.product_code) {
            reporter.report(Event::Notice {
                message: format!(
                    "the new order spends {c} (the last spent {})",
                    j.product_code
                ),
            });
            params.product_code = c.clone();
        }
        if let Some(v) = req.validate_type.filter(|v| *v != recorded_type) {
            reporter.report(Event::Notice {
                message: format!(
                    "the new order uses {v} validation (the last used {recorded_type})"
                ),
            });
            params.validate_type = v;
        }
        if !req.tags.is_empty() {
            params.tags = req.tags.clone();
        }
    }
    // A Create can go out unless an order is recorded and stays, or one is
    // adopted by hand.
    let may_create = req.adopt.is_none() && (req.new_order || j.order_id.is_none());
    if may_create {
        params.contact = Some(applicant(req, j.contact.as_ref())?);
    }
    Ok(params)
}

/// The key and CSR of a new directory: `--csr`, a CSR left by `generate`,
/// or made now (in memory) from `--domain` with a new key or `--key`.
fn fresh_material(req: &Request, reporter: &mut dyn Reporter) -> Result<Material> {
    let dir = &req.dir;
    let csr_path = dir.join(CSR_FILE);
    if let Some(given) = &req.csr {
        return given_csr(req, given, PathBuf::from(CSR_FILE), reporter);
    }
    if csr_path.exists() {
        return csr_in_dir(req, &csr_path, reporter);
    }
    let Some(names) = req.names()? else {
        return Err(Error::input(format!(
            "{} holds no CSR and no order; pass --domain or --csr",
            dir.display()
        )));
    };
    let key_path = dir.join(KEY_FILE);
    if req.key.is_none() && key_path.exists() {
        return Err(Error::input(format!(
            "{} exists, without a request.csr beside it; refusing to replace it. To make the CSR \
             with that key, pass --key {}; or use another --out-dir",
            key_path.display(),
            key_path.display()
        )));
    }
    made_csr(
        req,
        &names,
        PathBuf::from(CSR_FILE),
        PathBuf::from(KEY_FILE),
        reporter,
    )
}

/// `--new-order` with `--csr`, `--key` or `--key-type`: a new key or CSR,
/// kept in the next generation's directory until its certificate is
/// installed. `None` when the flags name what the directory already holds.
fn new_material(
    req: &Request,
    dir: &Path,
    j: &Journal,
    reporter: &mut dyn Reporter,
) -> Result<Option<Material>> {
    let generation = layout::generation_dir(layout::next_number(dir, j));
    let staged_csr = generation.join(CSR_FILE);
    let m = if let Some(given) = &req.csr {
        let der = lint::read_csr(given)?;
        if hex::encode(Sha256::digest(&der)) == j.csr_sha256 {
            return Ok(None);
        }
        given_csr(req, given, staged_csr, reporter)?
    } else if req.same_key {
        let Some(key) = kept_key(dir, j)? else {
            return Ok(None);
        };
        let mut with_key = req.clone();
        with_key.key = Some(key);
        let names = CsrRequest::new(&j.domains)?;
        made_csr(
            &with_key,
            &names,
            staged_csr,
            generation.join(KEY_FILE),
            reporter,
        )?
    } else if req.key.is_some() || req.key_type.is_some() {
        if let Some(k) = &req.key
            && load_key(k, req.key_passphrase.as_ref())?.spki_sha256() == j.key_spki_sha256
        {
            return Ok(None);
        }
        let names = CsrRequest::new(&j.domains)?;
        made_csr(req, &names, staged_csr, generation.join(KEY_FILE), reporter)?
    } else {
        return Ok(None);
    };
    if m.domains != j.domains {
        return Err(Error::input(format!(
            "the new CSR is for {}, but {} is the directory of a certificate for {}; use another \
             --out-dir",
            m.domains.join(", "),
            dir.display(),
            j.domains.join(", ")
        )));
    }
    Ok(Some(m))
}

/// The key the directory's order was placed with, for a new CSR that keeps
/// it: inside the directory, the generation file it is (the stable name
/// `privkey.pem` is a link through `current`, which the new generation
/// will replace); outside, the file as given. `None` when there is no key
/// (a CSR given without one: it is sent again as it is).
fn kept_key(dir: &Path, j: &Journal) -> Result<Option<PathBuf>> {
    let Some(key) = &j.files.key else {
        return Ok(None);
    };
    if key.is_absolute() {
        return Ok(Some(key.clone()));
    }
    let resolve = |p: &Path| std::fs::canonicalize(p).map_err(Error::io("resolve", p));
    let real_dir = resolve(dir)?;
    let real_key = resolve(&dir.join(key))?;
    Ok(Some(match real_key.strip_prefix(&real_dir) {
        Ok(inside) => dir.join(inside),
        Err(_) => real_key,
    }))
}

/// A CSR given with `--csr` (and `--key`, checked against it), linted
/// where it is: a refused CSR is never copied in.
fn given_csr(
    req: &Request,
    given: &Path,
    csr_file: PathBuf,
    reporter: &mut dyn Reporter,
) -> Result<Material> {
    let dir = &req.dir;
    let der = lint::read_csr(given)?;
    let spki = lint::csr_spki_sha256(&der)?;
    if let Some(key) = &req.key
        && load_key(key, req.key_passphrase.as_ref())?.spki_sha256() != spki
    {
        return Err(Error::input(format!(
            "{} is not the key of {} (their public keys differ)",
            key.display(),
            given.display()
        )));
    }
    let domains = lint::gate(&der, &req.policy, &req.allow, given, reporter)?;
    let write_csr = !same_file(given, &dir.join(&csr_file));
    // Without --key, the directory's own key when it is this CSR's.
    let key_file = match &req.key {
        Some(k) => Some(relative(dir, k)),
        None => {
            let own = dir.join(KEY_FILE);
            (own.exists() && load_key(&own, req.key_passphrase.as_ref())?.spki_sha256() == spki)
                .then(|| PathBuf::from(KEY_FILE))
        }
    };
    Ok(Material {
        csr_pem: lint::pem_of(&der),
        csr_der: der,
        spki,
        domains,
        csr_file,
        write_csr,
        key_file,
        new_key_pem: None,
    })
}

/// A CSR already in the directory (from `csrkit generate`).
fn csr_in_dir(req: &Request, csr_path: &Path, reporter: &mut dyn Reporter) -> Result<Material> {
    let dir = &req.dir;
    let der = lint::read_csr(csr_path)?;
    let spki = lint::csr_spki_sha256(&der)?;
    let key_path = req.key.clone().unwrap_or_else(|| dir.join(KEY_FILE));
    if key_path.exists() && load_key(&key_path, req.key_passphrase.as_ref())?.spki_sha256() != spki
    {
        return Err(Error::input(format!(
            "{} and {} do not belong together (their public keys differ); move them away or \
             use another --out-dir",
            key_path.display(),
            csr_path.display()
        )));
    }
    if let Some(names) = req.names()? {
        lint::check_names_match(&der, &names, csr_path)?;
    }
    if let Some(t) = req.key_type {
        let have = lint::csr_key_type(&der)?;
        if have != t.name() {
            return Err(Error::input(format!(
                "--key-type {t}: {} holds a CSR for a {have} key; use another --out-dir",
                csr_path.display()
            )));
        }
    }
    let domains = lint::gate(&der, &req.policy, &req.allow, csr_path, reporter)?;
    Ok(Material {
        csr_pem: lint::pem_of(&der),
        csr_der: der,
        spki,
        domains,
        csr_file: PathBuf::from(CSR_FILE),
        write_csr: false,
        key_file: key_path.exists().then(|| relative(dir, &key_path)),
        new_key_pem: None,
    })
}

/// A CSR made now, with `--key` or a new key of `--key-type`; nothing is
/// written.
fn made_csr(
    req: &Request,
    names: &CsrRequest,
    csr_file: PathBuf,
    new_key_file: PathBuf,
    reporter: &mut dyn Reporter,
) -> Result<Material> {
    let dir = &req.dir;
    let (key, key_file, new_key_pem) = match &req.key {
        Some(path) => (
            load_key(path, req.key_passphrase.as_ref())?,
            relative(dir, path),
            None,
        ),
        None => {
            let key = csrkit_csr::generate_key(req.key_type.unwrap_or(KeyType::P256))?;
            let pem = Zeroizing::new(key.to_pkcs8_pem().to_string());
            (key, new_key_file, Some(pem))
        }
    };
    let csr = names.clone().sign(&key)?;
    let der = csr.der().to_vec();
    let domains = lint::gate(
        &der,
        &req.policy,
        &req.allow,
        &dir.join(&csr_file),
        reporter,
    )?;
    Ok(Material {
        csr_pem: csr.pem().to_owned(),
        csr_der: der,
        spki: key.spki_sha256(),
        domains,
        csr_file,
        write_csr: true,
        key_file: Some(key_file),
        new_key_pem,
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A path as the journal stores it: relative to the directory when inside
/// it, absolute otherwise.
fn relative(dir: &Path, path: &Path) -> PathBuf {
    match path.strip_prefix(dir) {
        Ok(rel) => rel.to_owned(),
        Err(_) => std::path::absolute(path).unwrap_or_else(|_| path.to_owned()),
    }
}

/// The applicant's contact, required when a Create may go out: each part
/// from the request, else from the one the journal recorded with the last
/// Create (so that a renewal from cron needs no contact flags).
fn applicant(req: &Request, recorded: Option<&Contact>) -> Result<Applicant> {
    let mut c = req.contact.clone();
    if let Some(r) = recorded {
        c.name = c.name.or_else(|| r.name.clone());
        c.phone = c.phone.or_else(|| r.phone.clone());
        c.email = c.email.or_else(|| r.email.clone());
    }
    let (name, phone, email) = c.complete()?;
    Ok(Applicant { name, phone, email })
}
