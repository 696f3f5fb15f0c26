//! The local half of `apply`: everything checked and decided before a
//! credential is read or a connection opened: the names, the key and the
//! CSR (made in memory), the lint, the journal and its files, the flags
//! against the journal, the tags and the applicant's contact.
//!
//! [`make`] writes nothing; [`super::files`] writes what the plan says, when
//! the caller decides (never under `--dry-run`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use csrkit_csr::{CsrRequest, KeyType};
use csrkit_submit::{OrderId, Tag, ValidateType};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::files::{self, NEXT_DIR};
use super::journal::{self, Files, Journal};
use super::{Args, lint};
use crate::cmd::generate::{self, CSR_FILE, KEY_FILE};
use crate::cmd::quota::DEFAULT_PRODUCT_CODE;
use crate::exit;
use crate::settings::Settings;

/// The tag key csrkit adds to every Create: the value is the attempt's id.
pub(crate) const ATTEMPT_TAG: &str = "csrkit-attempt";
/// Tags the service accepts on one Create, csrkit's own included.
const MAX_TAGS: usize = 20;

/// The directory and, with `--domain`, the names asked for.
pub(crate) struct Target {
    /// `--domain`, checked.
    pub(crate) request: Option<CsrRequest>,
    /// The certificate's directory.
    pub(crate) dir: PathBuf,
}

impl Target {
    /// From the flags: the names are checked before anything else happens.
    pub(crate) fn from_args(args: &Args) -> anyhow::Result<Target> {
        let request = if args.domains.is_empty() {
            None
        } else {
            Some(CsrRequest::new(&args.domains)?)
        };
        let dir = match (&args.out_dir, &request, &args.csr) {
            (Some(d), _, _) => d.clone(),
            (None, Some(r), _) => generate::default_dir(r),
            (None, None, Some(csr)) => lint::csr_default_dir(csr)?,
            (None, None, None) => anyhow::bail!(
                "say what to certify: --domain D (repeat for more), --csr FILE, or --out-dir DIR \
                 to resume an order"
            ),
        };
        Ok(Target { request, dir })
    }
}

/// A key and CSR for an order, in memory until [`files::write_material`].
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
pub(crate) struct Contact {
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
    pub(crate) contact: Option<Contact>,
}

/// What `apply` will do, decided locally.
pub(crate) struct Plan {
    pub(crate) dir: PathBuf,
    /// The journal as it stands (for a new directory: as it will be
    /// written).
    pub(crate) journal: Journal,
    /// A new directory: its key, CSR and journal are not written yet.
    pub(crate) fresh: Option<Material>,
    /// `--new-order` with a new key or CSR: staged under `next/` when the
    /// new order is committed.
    pub(crate) next: Option<Material>,
    /// `--new-order`.
    pub(crate) new_order: bool,
    /// `--adopt ORDER_ID`.
    pub(crate) adopt: Option<OrderId>,
    /// How a Create is made.
    pub(crate) params: OrderParams,
    /// Warnings to show.
    pub(crate) notes: Vec<String>,
}

/// What the journal records as the endpoint, from the flags alone (no
/// credentials are read).
pub(crate) fn service_label(args: &Args) -> anyhow::Result<String> {
    if args.sandbox {
        return Ok(super::SANDBOX_LABEL.to_owned());
    }
    Ok(args.connection.options()?.endpoint.url())
}

/// Refuses more tags than fit beside csrkit's own, and csrkit's own key.
pub(crate) fn check_tags(tags: &[Tag]) -> anyhow::Result<()> {
    if tags.len() >= MAX_TAGS {
        anyhow::bail!(
            "{} --tag values given; at most {} fit: the service takes {MAX_TAGS} tags and csrkit \
             adds its own {ATTEMPT_TAG} tag, to find the order again after a lost answer",
            tags.len(),
            MAX_TAGS - 1
        );
    }
    if let Some(t) = tags.iter().find(|t| t.key == ATTEMPT_TAG) {
        anyhow::bail!(
            "--tag {}={}: the key {ATTEMPT_TAG} is csrkit's own; use another key",
            t.key,
            t.value
        );
    }
    Ok(())
}

/// Decides what to do, checking everything that can be checked locally.
pub(crate) fn make(
    args: &Args,
    settings: &Settings,
    target: &Target,
    journal: Option<Journal>,
    label: &str,
) -> anyhow::Result<Plan> {
    match journal {
        None => fresh(args, settings, target, label),
        Some(j) => recorded(args, settings, target, j, label),
    }
}

fn fresh(args: &Args, settings: &Settings, target: &Target, label: &str) -> anyhow::Result<Plan> {
    let dir = &target.dir;
    if args.adopt.is_some() {
        anyhow::bail!(
            "{} has no order journal: there is nothing to adopt an order into. --adopt settles a \
             directory whose Create had an unknown outcome",
            dir.display()
        );
    }
    let m = fresh_material(args, settings, target)?;
    let params = OrderParams {
        product_code: args
            .product_code
            .clone()
            .unwrap_or_else(|| DEFAULT_PRODUCT_CODE.to_owned()),
        validate_type: args.validate_type.unwrap_or(ValidateType::Dns),
        tags: args.tags.clone(),
        contact: Some(contact(args, settings)?),
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
    };
    Ok(Plan {
        dir: dir.clone(),
        journal,
        fresh: Some(m),
        next: None,
        new_order: false,
        adopt: None,
        params,
        notes: Vec::new(),
    })
}

fn recorded(
    args: &Args,
    settings: &Settings,
    target: &Target,
    mut j: Journal,
    label: &str,
) -> anyhow::Result<Plan> {
    let dir = &target.dir;
    files::follow_moved(dir, &mut j);
    check_same_certificate(dir, &j, target, label)?;
    if let (Some(id), Some(_)) = (&j.order_id, args.adopt) {
        anyhow::bail!(
            "{} already records order {id}; --adopt is for a directory whose Create had an \
             unknown outcome (to replace the order, use --new-order)",
            dir.display()
        );
    }
    let mut notes = Vec::new();
    let next = if args.new_order {
        new_material(args, settings, dir, &j)?
    } else {
        check_flags_match(args, dir, &j)?;
        notes.extend(ignored_flags(args, &j));
        None
    };
    if next.is_none() {
        // The recorded key and CSR go on being used: they must be intact.
        files::check(dir, &j)?;
    }
    let params = order_params(args, settings, &j, &mut notes)?;
    Ok(Plan {
        dir: dir.clone(),
        journal: j,
        fresh: None,
        next,
        new_order: args.new_order,
        adopt: args.adopt,
        params,
        notes,
    })
}

/// The journal belongs to this endpoint and these names.
fn check_same_certificate(
    dir: &Path,
    j: &Journal,
    target: &Target,
    label: &str,
) -> anyhow::Result<()> {
    if j.endpoint != label {
        anyhow::bail!(
            "{} records an order at {}, not at {label}; use the same connection flags to resume \
             it (--sandbox for an order of the in-process sandbox), or another --out-dir. \
             Nothing was written",
            dir.join(journal::JOURNAL_FILE).display(),
            j.endpoint,
        );
    }
    if let Some(r) = &target.request {
        let asked: Vec<&str> = r.domains().iter().map(|d| d.as_str()).collect();
        if asked != j.domains {
            anyhow::bail!(
                "{} is the directory of a certificate for {}; for {} use another --out-dir",
                dir.display(),
                j.domains.join(", "),
                asked.join(", ")
            );
        }
    }
    Ok(())
}

/// `--csr`, `--key` and `--key-type` on a recorded directory, without
/// `--new-order`: accepted only when they say what the directory holds.
fn check_flags_match(args: &Args, dir: &Path, j: &Journal) -> anyhow::Result<()> {
    let refuse = |what: String| {
        exit::fail(
            exit::USAGE,
            format!(
                "{what}. {} records an order for its own key and CSR; to order a certificate \
                 for the one you gave, add --new-order (the current order stays recorded), or \
                 use another --out-dir. Nothing was sent",
                dir.display()
            ),
        )
    };
    if let Some(csr) = &args.csr {
        let der = read_csr(csr)?;
        if hex::encode(Sha256::digest(&der)) != j.csr_sha256 {
            return Err(refuse(format!(
                "--csr {} is not this directory's CSR",
                csr.display()
            )));
        }
    }
    if let Some(key) = &args.key
        && generate::load(key, None)?.spki_sha256() != j.key_spki_sha256
    {
        return Err(refuse(format!(
            "--key {} is not this directory's key",
            key.display()
        )));
    }
    if let Some(t) = args.key_type {
        let have = csr_key_type(&dir.join(&j.files.csr))?;
        if have != t.name() {
            return Err(refuse(format!(
                "--key-type {t}: this directory's key is {have}"
            )));
        }
    }
    Ok(())
}

/// Order flags that a recorded order overrides, without `--new-order`.
fn ignored_flags(args: &Args, j: &Journal) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(v) = args.validate_type
        && !v.as_str().eq_ignore_ascii_case(&j.validate_type)
    {
        notes.push(format!(
            "warning: this directory's order uses {} validation; --validate-type {} is ignored (add \
             --new-order to place a new order with it)",
            j.validate_type,
            v.as_str().to_ascii_lowercase()
        ));
    }
    if let Some(c) = &args.product_code
        && *c != j.product_code
    {
        notes.push(format!(
            "warning: this directory's order spends {}; --product-code {c} is ignored (add --new-order to \
             place a new order with it)",
            j.product_code
        ));
    }
    if !args.tags.is_empty() && args.tags != j.tags {
        notes.push(
            "warning: this directory's order keeps its tags; --tag is ignored (add --new-order to place a \
             new order with them)"
                .to_owned(),
        );
    }
    notes
}

/// The journal's product code, validation type and tags, or with
/// `--new-order` the flags that override them (said in a note).
fn order_params(
    args: &Args,
    settings: &Settings,
    j: &Journal,
    notes: &mut Vec<String>,
) -> anyhow::Result<OrderParams> {
    let recorded_type: ValidateType = j.validate_type.parse().with_context(|| {
        format!(
            "the journal's validate_type {:?} is damaged",
            j.validate_type
        )
    })?;
    let mut params = OrderParams {
        product_code: j.product_code.clone(),
        validate_type: recorded_type,
        tags: j.tags.clone(),
        contact: None,
    };
    if args.new_order {
        if let Some(c) = args.product_code.as_ref().filter(|c| **c != j.product_code) {
            notes.push(format!(
                "the new order spends {c} (the last spent {})",
                j.product_code
            ));
            params.product_code = c.clone();
        }
        if let Some(v) = args.validate_type.filter(|v| *v != recorded_type) {
            notes.push(format!(
                "the new order uses {v} validation (the last used {recorded_type})"
            ));
            params.validate_type = v;
        }
        if !args.tags.is_empty() {
            params.tags = args.tags.clone();
        }
    }
    // A Create can go out unless an order is recorded and stays, or one is
    // adopted by hand.
    let may_create = args.adopt.is_none() && (args.new_order || j.order_id.is_none());
    if may_create {
        params.contact = Some(contact(args, settings)?);
    }
    Ok(params)
}

/// The key and CSR of a new directory: `--csr`, a CSR left by `generate`,
/// or made now (in memory) from `--domain` with a new key or `--key`.
fn fresh_material(args: &Args, settings: &Settings, target: &Target) -> anyhow::Result<Material> {
    let dir = &target.dir;
    let csr_path = dir.join(CSR_FILE);
    if let Some(given) = &args.csr {
        return given_csr(args, settings, dir, given, PathBuf::from(CSR_FILE));
    }
    if csr_path.exists() {
        return csr_in_dir(args, settings, target, &csr_path);
    }
    let Some(request) = &target.request else {
        anyhow::bail!(
            "{} holds no CSR and no order; pass --domain or --csr",
            dir.display()
        );
    };
    let key_path = dir.join(KEY_FILE);
    if args.key.is_none() && key_path.exists() {
        anyhow::bail!(
            "{} exists, without a request.csr beside it; refusing to replace it. To make the CSR \
             with that key, pass --key {}; or use another --out-dir",
            key_path.display(),
            key_path.display()
        );
    }
    made_csr(
        args,
        settings,
        dir,
        request,
        PathBuf::from(CSR_FILE),
        PathBuf::from(KEY_FILE),
    )
}

/// `--new-order` with `--csr`, `--key` or `--key-type`: a new key or CSR,
/// kept under `next/` until its certificate is installed. `None` when the
/// flags name what the directory already holds.
fn new_material(
    args: &Args,
    settings: &Settings,
    dir: &Path,
    j: &Journal,
) -> anyhow::Result<Option<Material>> {
    let wants_new = args.csr.is_some() || args.key.is_some() || args.key_type.is_some();
    let next = dir.join(NEXT_DIR);
    let staged_csr = PathBuf::from(NEXT_DIR).join(CSR_FILE);
    if wants_new && next.exists() {
        if j.files.csr == staged_csr {
            anyhow::bail!(
                "{} holds the new key and CSR of this directory's order, whose certificate is not \
                 saved yet; place the new order with them (--new-order without --csr, --key or \
                 --key-type), or wait for their certificate first",
                next.display()
            );
        }
        anyhow::bail!(
            "{} holds a key and CSR that no order uses (left by an interrupted --new-order); \
             move it away or delete it, then run again",
            next.display()
        );
    }
    let m = if let Some(given) = &args.csr {
        let der = read_csr(given)?;
        if hex::encode(Sha256::digest(&der)) == j.csr_sha256 {
            return Ok(None);
        }
        given_csr(args, settings, dir, given, staged_csr)?
    } else if args.key.is_some() || args.key_type.is_some() {
        if let Some(k) = &args.key
            && generate::load(k, None)?.spki_sha256() == j.key_spki_sha256
        {
            return Ok(None);
        }
        let request = CsrRequest::new(&j.domains)?;
        made_csr(
            args,
            settings,
            dir,
            &request,
            staged_csr,
            PathBuf::from(NEXT_DIR).join(KEY_FILE),
        )?
    } else {
        return Ok(None);
    };
    if m.domains != j.domains {
        anyhow::bail!(
            "the new CSR is for {}, but {} is the directory of a certificate for {}; use another \
             --out-dir",
            m.domains.join(", "),
            dir.display(),
            j.domains.join(", ")
        );
    }
    Ok(Some(m))
}

/// A CSR given with `--csr` (and `--key`, checked against it), linted
/// where it is: a refused CSR is never copied in.
fn given_csr(
    args: &Args,
    settings: &Settings,
    dir: &Path,
    given: &Path,
    csr_file: PathBuf,
) -> anyhow::Result<Material> {
    let der = read_csr(given)?;
    let spki = lint::csr_spki_sha256(&der)?;
    if let Some(key) = &args.key
        && generate::load(key, None)?.spki_sha256() != spki
    {
        anyhow::bail!(
            "{} is not the key of {} (their public keys differ)",
            key.display(),
            given.display()
        );
    }
    let domains = lint::gate(&der, settings, &args.allow, given)?;
    let write_csr = !same_file(given, &dir.join(&csr_file));
    // Without --key, the directory's own key when it is this CSR's.
    let key_file = match &args.key {
        Some(k) => Some(relative(dir, k)),
        None => {
            let own = dir.join(KEY_FILE);
            (own.exists() && generate::load(&own, None)?.spki_sha256() == spki)
                .then(|| PathBuf::from(KEY_FILE))
        }
    };
    Ok(Material {
        csr_pem: pem_of(&der),
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
fn csr_in_dir(
    args: &Args,
    settings: &Settings,
    target: &Target,
    csr_path: &Path,
) -> anyhow::Result<Material> {
    let dir = &target.dir;
    let der = read_csr(csr_path)?;
    let spki = lint::csr_spki_sha256(&der)?;
    let key_path = args.key.clone().unwrap_or_else(|| dir.join(KEY_FILE));
    if key_path.exists() && generate::load(&key_path, None)?.spki_sha256() != spki {
        anyhow::bail!(
            "{} and {} do not belong together (their public keys differ); move them away or \
             use another --out-dir",
            key_path.display(),
            csr_path.display()
        );
    }
    if let Some(r) = &target.request {
        lint::check_names_match(&der, r, csr_path)?;
    }
    if let Some(t) = args.key_type {
        let have = csr_key_type(csr_path)?;
        if have != t.name() {
            anyhow::bail!(
                "--key-type {t}: {} holds a CSR for a {have} key; use another --out-dir",
                csr_path.display()
            );
        }
    }
    let domains = lint::gate(&der, settings, &args.allow, csr_path)?;
    Ok(Material {
        csr_pem: pem_of(&der),
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
    args: &Args,
    settings: &Settings,
    dir: &Path,
    request: &CsrRequest,
    csr_file: PathBuf,
    new_key_file: PathBuf,
) -> anyhow::Result<Material> {
    let (key, key_file, new_key_pem) = match &args.key {
        Some(path) => (generate::load(path, None)?, relative(dir, path), None),
        None => {
            let key = csrkit_csr::generate_key(args.key_type.unwrap_or(KeyType::P256))?;
            let pem = Zeroizing::new(key.to_pkcs8_pem().to_string());
            (key, new_key_file, Some(pem))
        }
    };
    let csr = request.clone().sign(&key)?;
    let der = csr.der().to_vec();
    let domains = lint::gate(&der, settings, &args.allow, &dir.join(&csr_file))?;
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

/// The DER of the CSR in `path`.
pub(crate) fn read_csr(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read the CSR {}", path.display()))?;
    lint::csr_der(&bytes, path)
}

/// The key type of the CSR in `path`, by its name (`p256`, `rsa2048`, …).
fn csr_key_type(path: &Path) -> anyhow::Result<String> {
    let facts = csrkit_validate::inspect(&read_csr(path)?)?
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("{} holds no CSR", path.display()))?;
    Ok(
        match (facts.key.kind, facts.key.curve.as_deref(), facts.key.bits) {
            ("ecdsa", Some("P-256"), _) => "p256".to_owned(),
            ("ecdsa", Some("P-384"), _) => "p384".to_owned(),
            ("rsa", _, Some(bits)) => format!("rsa{bits}"),
            (kind, curve, _) => format!("{kind} {}", curve.unwrap_or_default()),
        },
    )
}

/// The PEM text of a CSR's DER.
pub(crate) fn pem_of(der: &[u8]) -> String {
    ::pem::encode(&::pem::Pem::new("CERTIFICATE REQUEST", der.to_vec()))
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

/// The applicant's contact, from the flags, the environment or
/// `csrkit.toml` (the sandbox fills in an example).
fn contact(args: &Args, settings: &Settings) -> anyhow::Result<Contact> {
    let sandbox = args.sandbox;
    let pick = |flag: &Option<String>, env: &str, file: &Option<String>, example: &str| {
        flag.clone()
            .or_else(|| std::env::var(env).ok().filter(|v| !v.trim().is_empty()))
            .or_else(|| file.clone())
            .or_else(|| sandbox.then(|| example.to_owned()))
    };
    let name = pick(
        &args.contact_name,
        "CSRKIT_CONTACT_NAME",
        &settings.contact.name,
        "Sandbox User",
    );
    let phone = pick(
        &args.contact_phone,
        "CSRKIT_CONTACT_PHONE",
        &settings.contact.phone,
        "13800000000",
    );
    let email = pick(
        &args.contact_email,
        "CSRKIT_CONTACT_EMAIL",
        &settings.contact.email,
        "sandbox@example.com",
    );
    match (name, phone, email) {
        (Some(name), Some(phone), Some(email)) => Ok(Contact { name, phone, email }),
        (name, phone, email) => {
            let missing: Vec<&str> = [
                ("--contact-name", name.is_none()),
                ("--contact-phone", phone.is_none()),
                ("--contact-email", email.is_none()),
            ]
            .into_iter()
            .filter_map(|(f, m)| m.then_some(f))
            .collect();
            anyhow::bail!(
                "the service needs the applicant's contact: missing {} (or CSRKIT_CONTACT_NAME/\
                 _PHONE/_EMAIL, or [contact] in csrkit.toml); nothing was sent",
                missing.join(", ")
            )
        }
    }
}
