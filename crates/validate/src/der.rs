//! Strict DER: what a lenient parser lets through and a CA's strict one
//! refuses. x509-parser reads BER lengths, `critical FALSE` written out and
//! bytes after an extension's value; this walks the request's bytes and
//! says where they break X.690's Distinguished Encoding Rules or the
//! string types' character sets.

/// One place where the encoding is not DER.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Byte offset in the request's DER.
    pub(crate) offset: usize,
    /// What is wrong, in words.
    pub(crate) what: String,
}

/// The ASN.1 name of a universal tag, for messages (`UTF8String`, never a
/// Rust `Debug` form).
pub(crate) fn tag_name(tag: u32) -> std::borrow::Cow<'static, str> {
    match tag {
        1 => "BOOLEAN".into(),
        2 => "INTEGER".into(),
        3 => "BIT STRING".into(),
        4 => "OCTET STRING".into(),
        5 => "NULL".into(),
        6 => "OBJECT IDENTIFIER".into(),
        10 => "ENUMERATED".into(),
        12 => "UTF8String".into(),
        16 => "SEQUENCE".into(),
        17 => "SET".into(),
        18 => "NumericString".into(),
        19 => "PrintableString".into(),
        20 => "TeletexString".into(),
        21 => "VideotexString".into(),
        22 => "IA5String".into(),
        23 => "UTCTime".into(),
        24 => "GeneralizedTime".into(),
        25 => "GraphicString".into(),
        26 => "VisibleString".into(),
        27 => "GeneralString".into(),
        28 => "UniversalString".into(),
        30 => "BMPString".into(),
        n => format!("the universal type {n}").into(),
    }
}

/// One TLV read strictly: (tag byte, header length, content length).
fn header(b: &[u8], at: usize, out: &mut Vec<Problem>) -> Option<(u8, usize, usize)> {
    let tag = *b.first()?;
    if tag & 0x1f == 0x1f {
        out.push(Problem {
            offset: at,
            what: "a tag in the multi-byte form, which no field of a request uses".into(),
        });
        return None;
    }
    let first = *b.get(1)?;
    if first < 0x80 {
        return Some((tag, 2, usize::from(first)));
    }
    if first == 0x80 {
        out.push(Problem {
            offset: at,
            what: "an indefinite length (BER); DER requires definite lengths (X.690 §10.1)".into(),
        });
        return None;
    }
    let n = usize::from(first & 0x7f);
    if n > 4 {
        return None;
    }
    let bytes = b.get(2..2 + n)?;
    let len = bytes.iter().fold(0usize, |v, &x| (v << 8) | usize::from(x));
    if bytes[0] == 0 || len < 0x80 {
        out.push(Problem {
            offset: at,
            what: format!(
                "the length {len} is not in its shortest form ({} length bytes); DER requires \
                 the shortest (X.690 §10.1)",
                n + 1
            ),
        });
    }
    Some((tag, 2 + n, len))
}

/// Every DER problem of the TLVs in `b` (which starts at `base` in the
/// request), depth first, up to `limit` problems.
pub(crate) fn problems(b: &[u8], limit: usize) -> Vec<Problem> {
    let mut out = Vec::new();
    walk(b, 0, 0, &mut out, limit);
    out
}

fn walk(mut b: &[u8], mut base: usize, depth: usize, out: &mut Vec<Problem>, limit: usize) {
    while !b.is_empty() && out.len() < limit && depth < 64 {
        let Some((tag, hdr, len)) = header(b, base, out) else {
            return;
        };
        let Some(content) = b.get(hdr..hdr + len) else {
            return;
        };
        if tag & 0x20 != 0 {
            walk(content, base + hdr, depth + 1, out, limit);
        } else if tag & 0xc0 == 0
            && let Some(what) = primitive(u32::from(tag & 0x1f), content)
        {
            out.push(Problem { offset: base, what });
        }
        b = &b[hdr + len..];
        base += hdr + len;
    }
}

/// Whether a PrintableString may hold this byte (X.680 §41.4).
fn printable(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&c)
}

/// What is wrong with a primitive universal value, if anything.
fn primitive(tag: u32, c: &[u8]) -> Option<String> {
    let name = tag_name(tag);
    match tag {
        1 if c.len() != 1 => Some("a BOOLEAN that is not one byte long".into()),
        1 if c[0] != 0 && c[0] != 0xff => Some(format!(
            "a BOOLEAN encoded as {:#04x}; DER writes TRUE as 0xff (X.690 §11.1)",
            c[0]
        )),
        2 | 10 if c.is_empty() => Some(format!("an empty {name}")),
        2 | 10 if c.len() > 1 && ((c[0] == 0 && c[1] < 0x80) || (c[0] == 0xff && c[1] >= 0x80)) => {
            Some(format!(
                "an {name} with a redundant leading byte; DER requires the shortest form \
                 (X.690 §8.3.2)"
            ))
        }
        3 if c.is_empty() => Some("a BIT STRING without its unused-bits byte".into()),
        3 if c[0] > 7 || (c.len() == 1 && c[0] != 0) => {
            Some(format!("a BIT STRING declaring {} unused bits", c[0]))
        }
        3 if c[0] > 0 && c.last().is_some_and(|l| l & ((1u8 << c[0]) - 1) != 0) => {
            Some("a BIT STRING whose unused bits are not zero (X.690 §11.2.1)".into())
        }
        5 if !c.is_empty() => Some("a NULL with contents".into()),
        6 if c.is_empty() || c.last().is_some_and(|l| l & 0x80 != 0) => {
            Some("an OBJECT IDENTIFIER that is cut short".into())
        }
        6 if c
            .iter()
            .enumerate()
            .any(|(i, &x)| x == 0x80 && (i == 0 || c[i - 1] & 0x80 == 0)) =>
        {
            Some("an OBJECT IDENTIFIER arc with a redundant leading byte (X.690 §8.19.2)".into())
        }
        12 if std::str::from_utf8(c).is_err() => {
            Some("a UTF8String that is not valid UTF-8 (X.690 §8.23.10)".into())
        }
        18 if !c.iter().all(|b| b.is_ascii_digit() || *b == b' ') => {
            Some("a NumericString holding characters other than digits and space".into())
        }
        19 if !c.iter().all(|&b| printable(b)) => Some(format!(
            "a PrintableString holding {}, outside its character set (A-Z a-z 0-9 space ' ( ) \
             + , - . / : = ?; X.680 §41.4)",
            c.iter()
                .find(|&&b| !printable(b))
                .map(|b| format!("the byte {b:#04x} ({:?})", char::from(*b)))
                .unwrap_or_default()
        )),
        22 if !c.is_ascii() => Some("an IA5String holding bytes above 0x7f".into()),
        26 if !c.iter().all(|b| (0x20..0x7f).contains(b)) => {
            Some("a VisibleString holding control or non-ASCII bytes".into())
        }
        28 if !c.len().is_multiple_of(4) => {
            Some("a UniversalString whose length is not a multiple of 4".into())
        }
        30 if !c.len().is_multiple_of(2) => Some("a BMPString of odd length".into()),
        _ => None,
    }
}

/// One requested extension as written: whether `critical FALSE` is spelt
/// out and how many bytes follow the value inside extnValue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawExt {
    /// Offset of the Extension SEQUENCE in the request.
    pub(crate) offset: usize,
    /// The extnID in dotted form.
    pub(crate) oid: String,
    /// `critical` is encoded with the value FALSE (its DEFAULT).
    pub(crate) critical_false: bool,
    /// Bytes after the first complete value inside extnValue.
    pub(crate) trailing: usize,
    /// extnValue is empty or does not start with a complete value.
    pub(crate) value_broken: bool,
}

/// What the request's attributes hold, read from its bytes: the
/// extensionRequest attributes with their value counts, and the raw
/// extensions of every value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RawAttrs {
    /// (offset, number of values) of each extensionRequest attribute.
    pub(crate) ext_requests: Vec<(usize, usize)>,
    /// Every Extension of every extensionRequest value.
    pub(crate) exts: Vec<RawExt>,
}

/// The TLV at the front of `b`: (tag, header length, whole length).
fn tlv(b: &[u8]) -> Option<(u8, usize, usize)> {
    let mut sink = Vec::new();
    let (tag, hdr, len) = header(b, 0, &mut sink)?;
    (hdr + len <= b.len()).then_some((tag, hdr, hdr + len))
}

/// The TLVs of `b` as (whole TLV, tag, contents), all slices of `b`.
fn children(b: &[u8]) -> Vec<(&[u8], u8, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let Some((tag, hdr, total)) = tlv(&b[at..]) else {
            break;
        };
        out.push((&b[at..at + total], tag, &b[at + hdr..at + total]));
        at += total;
    }
    out
}

/// Where the request's SEQUENCEs hold more or fewer fields than PKCS #10
/// and X.509 define (a lenient parser ignores extra fields; OpenSSL and a
/// CA's parser refuse them).
pub(crate) fn shape_problems(der: &[u8]) -> Vec<Problem> {
    let mut out = Vec::new();
    let at = |part: &[u8]| crate::csr::offset_in(der, part).unwrap_or(0);
    let mut check = |whole: &[u8], range: (usize, usize), what: &str| {
        let contents = tlv(whole).map_or(&whole[..0], |(_, hdr, total)| &whole[hdr..total]);
        let fields = children(contents);
        let covered: usize = fields.iter().map(|f| f.0.len()).sum();
        if covered != contents.len() {
            out.push(Problem {
                offset: at(whole),
                what: format!("{what} holds bytes that are not a complete field"),
            });
        } else if fields.len() < range.0 || fields.len() > range.1 {
            out.push(Problem {
                offset: at(whole),
                what: format!(
                    "{what} holds {} fields; its syntax has {}",
                    fields.len(),
                    if range.0 == range.1 {
                        range.0.to_string()
                    } else {
                        format!("{} or {}", range.0, range.1)
                    }
                ),
            });
        }
    };
    let mut problems_tag = Vec::new();
    let mut tags = |fields: &[(&[u8], u8, &[u8])], want: &[u8], what: &str| {
        for (i, (&(w, tag, _), &t)) in fields.iter().zip(want).enumerate() {
            if tag != t {
                problems_tag.push(Problem {
                    offset: at(w),
                    what: format!(
                        "field {} of {what} has the tag {tag:#04x} where its syntax has {t:#04x}",
                        i + 1
                    ),
                });
            }
        }
    };
    let Some(&(whole, _, request)) = children(der).first() else {
        return out;
    };
    let top = children(request);
    check(whole, (3, 3), "the CertificationRequest");
    tags(&top, &[0x30, 0x30, 0x03], "the CertificationRequest");
    if let Some(&(_, _, alg)) = top.get(1) {
        tags(&children(alg), &[0x06], "the signature AlgorithmIdentifier");
    }
    if let Some(&(_, _, cri)) = top.first() {
        let fields = children(cri);
        tags(
            &fields,
            &[0x02, 0x30, 0x30, 0xa0],
            "the CertificationRequestInfo",
        );
        if let Some(&(_, _, spki)) = fields.get(2) {
            let parts = children(spki);
            tags(&parts, &[0x30, 0x03], "the SubjectPublicKeyInfo");
            if let Some(&(_, _, alg)) = parts.first() {
                tags(
                    &children(alg),
                    &[0x06],
                    "the public key AlgorithmIdentifier",
                );
            }
        }
    }
    if let Some(&(w, _, _)) = top.get(1) {
        check(w, (1, 2), "the signature AlgorithmIdentifier");
    }
    if let Some(&(w, _, cri)) = top.first() {
        check(w, (3, 4), "the CertificationRequestInfo");
        if let Some(&(w, _, spki)) = children(cri).get(2) {
            check(w, (2, 2), "the SubjectPublicKeyInfo");
            if let Some(&(aw, _, _)) = children(spki).first() {
                check(aw, (1, 2), "the public key AlgorithmIdentifier");
            }
        }
    }
    out.extend(problems_tag);
    out
}

const EXTENSION_REQUEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e];

/// Reads the attributes of a request (`der` the whole CertificationRequest).
pub(crate) fn attributes(der: &[u8]) -> RawAttrs {
    let mut out = RawAttrs::default();
    let at = |part: &[u8]| crate::csr::offset_in(der, part).unwrap_or(0);
    let Some(&(_, _, request)) = children(der).first() else {
        return out;
    };
    let Some(&(_, _, cri)) = children(request).first() else {
        return out;
    };
    // version, subject, subjectPKInfo, [0] attributes
    let Some(&(_, 0xa0, attrs)) = children(cri).get(3) else {
        return out;
    };
    for (whole, _, attr) in children(attrs) {
        let parts = children(attr);
        let (Some((_, 0x06, oid)), Some((_, 0x31, values))) = (parts.first(), parts.get(1)) else {
            continue;
        };
        if *oid != EXTENSION_REQUEST {
            continue;
        }
        let values = children(values);
        out.ext_requests.push((at(whole), values.len()));
        for (_, _, exts) in values {
            for (ext_whole, _, ext) in children(exts) {
                let fields = children(ext);
                let critical_false = fields
                    .get(1)
                    .is_some_and(|&(_, tag, c)| tag == 0x01 && c == [0]);
                let value = fields.iter().find(|(_, tag, _)| *tag == 0x04).map(|f| f.2);
                let (trailing, value_broken) = match value {
                    Some(v) => match tlv(v) {
                        Some((_, _, total)) => (v.len() - total, false),
                        None => (0, true),
                    },
                    None => (0, false),
                };
                let oid = match fields.first() {
                    Some(&(_, 0x06, o)) => dotted(o),
                    _ => String::new(),
                };
                out.exts.push(RawExt {
                    offset: at(ext_whole),
                    oid,
                    critical_false,
                    trailing,
                    value_broken,
                });
            }
        }
    }
    out
}

/// An OBJECT IDENTIFIER's contents in dotted form.
fn dotted(c: &[u8]) -> String {
    let mut arcs: Vec<u128> = Vec::new();
    let mut v: u128 = 0;
    for &b in c.iter().take(64) {
        v = (v << 7) | u128::from(b & 0x7f);
        if b & 0x80 == 0 {
            arcs.push(v);
            v = 0;
        }
    }
    let mut out = match arcs.first() {
        Some(&first) if first < 80 => format!("{}.{}", first / 40, first % 40),
        Some(&first) => format!("2.{}", first - 80),
        None => return String::new(),
    };
    for a in &arcs[1..] {
        out.push('.');
        out.push_str(&a.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_primitives() {
        // SEQUENCE with a long-form length of 3
        let p = problems(&[0x30, 0x81, 0x03, 0x02, 0x01, 0x05], 5);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].what.contains("shortest form"));
        assert!(problems(&[0x30, 0x03, 0x02, 0x01, 0x05], 5).is_empty());
        assert!(!problems(&[0x02, 0x02, 0x00, 0x05], 5).is_empty());
        assert!(!problems(&[0x01, 0x01, 0x01], 5).is_empty());
        assert!(!problems(&[0x0c, 0x01, 0xff], 5).is_empty());
        assert!(!problems(&[0x13, 0x01, b'*'], 5).is_empty());
        assert!(problems(&[0x13, 0x02, b'a', b'?'], 5).is_empty());
        assert!(!problems(&[0x30, 0x80, 0x00, 0x00], 5).is_empty());
        assert_eq!(tag_name(12), "UTF8String");
    }
}
