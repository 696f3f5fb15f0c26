//! Splitting an input into the objects it holds: PEM blocks or one DER
//! object, each classified before any rule runs.

use base64::Engine as _;

/// What one object of the input is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `CERTIFICATE REQUEST` or `NEW CERTIFICATE REQUEST` armour, or DER.
    Request,
    /// A certificate given by mistake.
    Certificate,
    /// A private key, in any armour (PKCS#1, PKCS#8, SEC1, encrypted).
    PrivateKey,
    /// Another PEM label.
    Other,
}

/// One object of the input.
#[derive(Debug)]
pub(crate) struct Item<'a> {
    pub(crate) kind: Kind,
    /// The PEM label, `None` for DER input.
    pub(crate) label: Option<String>,
    /// Byte offset of the object (its BEGIN line) in the input.
    pub(crate) offset: usize,
    /// The decoded DER, or why it could not be decoded.
    pub(crate) der: Result<std::borrow::Cow<'a, [u8]>, String>,
}

/// Classifies a PEM label.
fn kind_of(label: &str) -> Kind {
    match label {
        "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => Kind::Request,
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => Kind::Certificate,
        l if l.contains("PRIVATE KEY") => Kind::PrivateKey,
        _ => Kind::Other,
    }
}

/// Finds `needle` in `hay` from `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    memchr::memmem::find(&hay[from..], needle).map(|p| p + from)
}

/// Whether the input looks like PEM text (it has a BEGIN line).
pub(crate) fn is_pem(bytes: &[u8]) -> bool {
    find(bytes, b"-----BEGIN ", 0).is_some()
}

/// The PEM blocks of the input. Text outside blocks is ignored (as OpenSSL
/// does, so `openssl req -text` output followed by the PEM is accepted).
pub(crate) fn pem_items(bytes: &[u8]) -> Vec<Item<'static>> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let mut items = Vec::new();
    let mut pos = 0;
    while let Some(start) = find(bytes, BEGIN, pos) {
        // As OpenSSL: the BEGIN and END lines start a line.
        if start > 0 && bytes[start - 1] != b'\n' {
            pos = start + BEGIN.len();
            continue;
        }
        let label_start = start + BEGIN.len();
        let Some(label_end) = find(bytes, b"-----", label_start) else {
            break;
        };
        let label_bytes = &bytes[label_start..label_end];
        let label = String::from_utf8_lossy(label_bytes).into_owned();
        let body_start = label_end + 5;
        let end_marker = [b"-----END ".as_slice(), label_bytes, b"-----"].concat();
        let kind = kind_of(&label);
        let mut end_at = find(bytes, &end_marker, body_start);
        while let Some(e) = end_at
            && bytes[e - 1] != b'\n'
        {
            end_at = find(bytes, &end_marker, e + 1);
        }
        match end_at {
            Some(body_end) => {
                // A private key's body is never decoded: its bytes must not be
                // copied into memory that is freed without being wiped.
                let der = if kind == Kind::PrivateKey {
                    Ok(std::borrow::Cow::Owned(Vec::new()))
                } else {
                    decode_body(&bytes[body_start..body_end]).map(std::borrow::Cow::Owned)
                };
                items.push(Item {
                    kind,
                    label: Some(label),
                    offset: start,
                    der,
                });
                pos = body_end + end_marker.len();
            }
            None => {
                items.push(Item {
                    kind,
                    label: Some(label.clone()),
                    offset: start,
                    der: Err(format!(
                        "the PEM block \"{label}\" has no matching END line; \
                         the file is truncated"
                    )),
                });
                break;
            }
        }
    }
    items
}

/// Base64 as OpenSSL's PEM reader takes it: padded to whole blocks, and
/// non-zero bits in the last symbol ignored (the DER, and so the
/// signature, is the same either way).
const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireCanonical),
);

/// Decodes a PEM body: base64 with line breaks, skipping RFC 1421 headers
/// (`Proc-Type:`, `DEK-Info:`).
fn decode_body(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut b64 = Vec::with_capacity(body.len());
    let mut lines = body.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        if memchr::memchr(b':', line).is_some() {
            continue;
        }
        // The common line: base64 alone, maybe ended by a carriage return.
        let bare = line.strip_suffix(b"\r").unwrap_or(line);
        if !bare.is_empty() && !bare.iter().any(u8::is_ascii_whitespace) {
            b64.extend_from_slice(bare);
            continue;
        }
        let blank = line.iter().all(u8::is_ascii_whitespace);
        // As OpenSSL reads PEM: a blank line ends the headers, so one
        // between base64 lines (or before END) makes what precedes it
        // headers and the request unreadable. (The last piece is what
        // follows the final newline, before the END line.)
        if blank && !b64.is_empty() && lines.peek().is_some() {
            return Err(
                "the PEM body has a blank line after its base64 begins; OpenSSL \
                        reads the lines before it as headers and cannot load the request"
                    .into(),
            );
        }
        b64.extend(line.iter().filter(|b| !b.is_ascii_whitespace()));
    }
    LENIENT.decode(&b64).map_err(|e| {
        let why = match e {
            base64::DecodeError::InvalidByte(at, b) => {
                format!("the byte {b:#04x} at {at} is not a base64 character")
            }
            base64::DecodeError::InvalidLength(_) => "its length is not that of base64".into(),
            _ => "it is not valid base64".into(),
        };
        format!("the PEM body is not valid base64: {why}")
    })
}

/// What a DER object holding private key material is, if it is one: a
/// bare private key (PKCS #1, PKCS #8, SEC1) or a PKCS #12 file (which
/// carries one).
pub(crate) fn key_container(der: &[u8]) -> Option<&'static str> {
    if der_looks_like_private_key(der) {
        return Some("a private key");
    }
    // PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo { id-data or
    // id-signedData, ... }, ... }
    let body = sequence_body(der)?;
    let rest = match body {
        [0x02, 0x01, 3, rest @ ..] => rest,
        _ => return None,
    };
    let (content_info, _) = split_tlv(rest)?;
    let inner = crate::csr::tlv_contents(content_info)?;
    let pkcs7 = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];
    (inner.len() > pkcs7.len() && inner.starts_with(&pkcs7) && matches!(inner[10], 1 | 2))
        .then_some("a PKCS #12 file (it carries a private key)")
}

/// The DER inside text that is bare base64 (no PEM armour), if the whole
/// text decodes.
pub(crate) fn bare_base64(bytes: &[u8]) -> Option<Vec<u8>> {
    // Lines starting with '#' are comments (as in csrkit's fixtures).
    let text: Vec<u8> = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"#"))
        .flatten()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if text.len() < 16 {
        return None;
    }
    LENIENT
        .decode(&text)
        .ok()
        .filter(|d| d.first() == Some(&0x30))
}

/// Whether DER bytes have the shape of a private key: a SEQUENCE that
/// starts with a small INTEGER version (0 or 1) followed by what PKCS#1,
/// PKCS#8 or SEC1 put next.
pub(crate) fn der_looks_like_private_key(der: &[u8]) -> bool {
    let Some(body) = sequence_body(der) else {
        return false;
    };
    // version INTEGER 0 or 1
    let rest = match body {
        [0x02, 0x01, v, rest @ ..] if *v <= 1 => rest,
        _ => return false,
    };
    match rest.first() {
        // PKCS#8: AlgorithmIdentifier SEQUENCE then OCTET STRING
        Some(0x30) => {
            let Some((_, after)) = split_tlv(rest) else {
                return false;
            };
            matches!(after.first(), Some(0x04))
        }
        // PKCS#1: modulus INTEGER, then at least 7 more INTEGERs
        Some(0x02) => {
            let mut n = 0;
            let mut cur = rest;
            while let Some((tlv, after)) = split_tlv(cur) {
                if tlv.first() != Some(&0x02) {
                    break;
                }
                n += 1;
                cur = after;
            }
            n >= 8
        }
        // SEC1: privateKey OCTET STRING
        Some(0x04) => true,
        _ => false,
    }
}

/// The contents of an outer SEQUENCE.
fn sequence_body(der: &[u8]) -> Option<&[u8]> {
    if der.first() != Some(&0x30) {
        return None;
    }
    let (hdr, len) = length(der.get(1..)?)?;
    der.get(1 + hdr..1 + hdr + len)
}

/// Splits one TLV off the front: (the whole TLV, the rest).
pub(crate) fn split_tlv(der: &[u8]) -> Option<(&[u8], &[u8])> {
    let (hdr, len) = length(der.get(1..)?)?;
    let total = 1usize.checked_add(hdr)?.checked_add(len)?;
    if total > der.len() {
        return None;
    }
    Some(der.split_at(total))
}

/// Reads a DER length: (bytes used, value).
fn length(b: &[u8]) -> Option<(usize, usize)> {
    let first = *b.first()?;
    if first < 0x80 {
        return Some((1, first as usize));
    }
    let n = (first & 0x7f) as usize;
    if n == 0 || n > 4 {
        return None;
    }
    let mut v = 0usize;
    for &byte in b.get(1..1 + n)? {
        v = (v << 8) | byte as usize;
    }
    Some((1 + n, v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_and_labels() {
        let text = b"junk\n-----BEGIN NEW CERTIFICATE REQUEST-----\nAAEC\n-----END NEW CERTIFICATE REQUEST-----\n-----BEGIN RSA PRIVATE KEY-----\nAAEC\n-----END RSA PRIVATE KEY-----\n";
        let items = pem_items(text);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].kind, Kind::Request);
        assert_eq!(items[0].offset, 5);
        assert_eq!(items[0].der.as_deref().ok(), Some([0u8, 1, 2].as_slice()));
        assert_eq!(items[1].kind, Kind::PrivateKey);
        // The key's body is never decoded (no copy of key material).
        assert_eq!(items[1].der.as_deref().ok(), Some([].as_slice()));
    }

    #[test]
    fn truncated_block_is_reported() {
        let items = pem_items(b"-----BEGIN CERTIFICATE REQUEST-----\nAAEC\n");
        assert_eq!(items.len(), 1);
        assert!(items[0].der.is_err());
    }

    #[test]
    fn private_key_shapes() {
        // SEC1: SEQ { INT 1, OCTET STRING }
        assert!(der_looks_like_private_key(&[
            0x30, 0x05, 0x02, 0x01, 0x01, 0x04, 0x00
        ]));
        // PKCS#8: SEQ { INT 0, SEQ {}, OCTET STRING }
        assert!(der_looks_like_private_key(&[
            0x30, 0x07, 0x02, 0x01, 0x00, 0x30, 0x00, 0x04, 0x00
        ]));
        assert!(!der_looks_like_private_key(&[0x30, 0x00]));
        assert!(!der_looks_like_private_key(b""));
    }
}
