//! Getting the certificate into the account once: the journal's answer
//! (confirmed), else the account's own (found by serial as CERTIMATE does,
//! confirmed by content), else one upload, journaled with its `ClientToken`
//! before it is sent.

use csrkit_submit::{
    Client, GetUserCertificateDetail, ListUserCertificateOrder, PrivateKeyPem, Tag,
    UploadUserCertificate,
};

use crate::cert::LocalCert;
use crate::error::Result;
use crate::journal::{Journal, UploadEntry, now};
use crate::report::{Event, Held};

/// The certificate's id in the account, and how it got there.
pub(crate) async fn hold(
    client: &Client,
    cert: &LocalCert,
    key_pem: &str,
    journal: &mut Journal,
    emit: &mut (dyn FnMut(&Event) + Send),
) -> Result<(u64, Held)> {
    let fp = cert.fingerprint.clone();
    {
        let entry = journal.cert_mut(&fp);
        entry.serial.clone_from(&cert.serial);
        entry.common_name.clone_from(&cert.common_name);
        entry.not_after = cert.not_after;
    }
    if let Some(id) = journal.cert(&fp).and_then(|c| c.cert_id) {
        if confirm(client, id, cert).await? {
            emit(&Event::CertificateHeld {
                cert_id: id,
                how: Held::Journal,
            });
            return Ok((id, Held::Journal));
        }
        // Deleted from the account since: it is uploaded again, afresh.
        let entry = journal.cert_mut(&fp);
        entry.cert_id = None;
        entry.upload = None;
    }
    if let Some(id) = find(client, cert).await? {
        journal.cert_mut(&fp).cert_id = Some(id);
        journal.save()?;
        emit(&Event::CertificateHeld {
            cert_id: id,
            how: Held::Found,
        });
        return Ok((id, Held::Found));
    }
    // Not in the account. An upload an earlier run journaled but never heard
    // back from is sent again with its token and name: the service answers a
    // repeated token with the first upload, so it cannot make two.
    let upload = match journal.cert(&fp).and_then(|c| c.upload.clone()) {
        Some(u) if u.cert_id.is_none() => u,
        _ => UploadEntry {
            name: cert.upload_name(),
            client_token: uuid::Uuid::new_v4().to_string(),
            sent_at: now(),
            cert_id: None,
        },
    };
    journal.cert_mut(&fp).upload = Some(upload.clone());
    journal.save()?;
    emit(&Event::Uploading {
        name: upload.name.clone(),
    });
    let answer = client
        .call(&UploadUserCertificate {
            name: upload.name.clone(),
            cert: cert.chain_pem.clone(),
            key: PrivateKeyPem::new(key_pem),
            client_token: Some(upload.client_token.clone()),
            resource_group_id: None,
            tags: vec![Tag {
                key: "csrkit".to_owned(),
                value: "deploy".to_owned(),
            }],
        })
        .await?;
    let entry = journal.cert_mut(&fp);
    entry.cert_id = Some(answer.cert_id);
    if let Some(u) = entry.upload.as_mut() {
        u.cert_id = Some(answer.cert_id);
    }
    journal.save()?;
    emit(&Event::CertificateHeld {
        cert_id: answer.cert_id,
        how: Held::Uploaded,
    });
    Ok((answer.cert_id, Held::Uploaded))
}

/// A certificate of the account that is this one, with its key: listed
/// with this serial (or SHA-256) and holding this very certificate.
pub(crate) async fn find(client: &Client, cert: &LocalCert) -> Result<Option<u64>> {
    let keyword = cert.common_name.trim_start_matches("*.").to_owned();
    let listed = client
        .list_all_user_certificate_orders(&ListUserCertificateOrder {
            order_type: Some("CERT".to_owned()),
            keyword: Some(keyword),
            show_size: Some(50),
            ..ListUserCertificateOrder::default()
        })
        .await?;
    for entry in listed {
        let Some(id) = entry.certificate_id else {
            continue;
        };
        let same_serial = entry
            .serial_no
            .as_deref()
            .is_some_and(|s| cert.has_serial(s));
        let same_hash = entry
            .sha2
            .as_deref()
            .is_some_and(|h| h.eq_ignore_ascii_case(&cert.fingerprint));
        if (same_serial || same_hash) && confirm(client, id, cert).await? {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Whether certificate `id` of the account is this one and the account
/// holds its key (without it, no product can be given the certificate).
/// The key the service sends back is not kept.
async fn confirm(client: &Client, id: u64, cert: &LocalCert) -> Result<bool> {
    match client
        .call(&GetUserCertificateDetail {
            cert_id: id,
            cert_filter: false,
        })
        .await
    {
        Ok(d) => Ok(d.cert.as_deref().is_some_and(|c| cert.is_leaf_of(c)) && !d.key.is_empty()),
        Err(csrkit_submit::Error::Api {
            http_status, code, ..
        }) if http_status == 404
            || code.contains("NotFound")
            || code.starts_with("InvalidParameter") =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}
