//! The sandbox's own canonicalisation and signature computation for V3 (`ACS3-HMAC-SHA256`) and
//! V1 (HMAC-SHA1), written from the reference (alibaba-cas-api.md 2.1-2.2) and deliberately not
//! shared with the client crate: an emulator that reuses the client's canonicaliser cannot catch
//! the client's bugs.
//!
//! Everything works on the request *as received*: the raw query is split on `&`, each name and
//! value form-decoded (`+` is a space, `%XX` a byte), then re-encoded per RFC 3986.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Hex SHA-256 of the empty string (test vectors).
#[cfg(test)]
pub(crate) const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Decodes one `application/x-www-form-urlencoded` component to bytes: `+` is a space and `%XX`
/// a byte. A `%` not followed by two hex digits stays as it is (as Python's `parse_qsl` does).
/// Nothing is lost: bytes that are not UTF-8 stay what they are, so the canonical form is built
/// from the bytes the client sent (RFC 3986), not from a lossy text version of them.
pub(crate) fn form_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < s.len() => match (hex_val(s[i + 1]), hex_val(s[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// One decoded `name=value` pair, as bytes.
pub(crate) type RawPair = (Vec<u8>, Vec<u8>);

/// Splits a raw query (or form body) into decoded `(name, value)` byte pairs, in order. Empty
/// segments are skipped; a segment without `=` is a name with an empty value.
pub(crate) fn parse_pairs(raw: &[u8]) -> Vec<RawPair> {
    raw.split(|b| *b == b'&')
        .filter(|seg| !seg.is_empty())
        .map(|seg| match seg.iter().position(|b| *b == b'=') {
            Some(eq) => (form_decode(&seg[..eq]), form_decode(&seg[eq + 1..])),
            None => (form_decode(seg), Vec::new()),
        })
        .collect()
}

/// The pairs as text, for the operations; `Err` names the first parameter whose name or value
/// is not UTF-8.
pub(crate) fn pairs_to_text(pairs: &[RawPair]) -> Result<Vec<(String, String)>, String> {
    pairs
        .iter()
        .map(
            |(n, v)| match (std::str::from_utf8(n), std::str::from_utf8(v)) {
                (Ok(n), Ok(v)) => Ok((n.to_owned(), v.to_owned())),
                (Ok(n), Err(_)) => Err(n.to_owned()),
                (Err(_), _) => Err(String::from_utf8_lossy(n).into_owned()),
            },
        )
        .collect()
}

/// RFC 3986 percent-encoding: every byte but `A-Z a-z 0-9 - _ . ~` as `%XX`, uppercase hex.
pub(crate) fn percent_encode(s: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for &c in s {
        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(c));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 15)]));
        }
    }
    out
}

/// The canonical query string: pairs sorted by (name, value) in byte order, each encoded, joined
/// by `&`. `skip` names a parameter left out (V1 leaves out `Signature`).
pub(crate) fn canonical_query(pairs: &[RawPair], skip: Option<&str>) -> String {
    let mut sorted: Vec<&RawPair> = pairs
        .iter()
        .filter(|(n, _)| skip.is_none_or(|s| n.as_slice() != s.as_bytes()))
        .collect();
    sorted.sort();
    let mut out = String::new();
    for (i, (n, v)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(&percent_encode(n));
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

/// Hex SHA-256.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The parts of a V3 `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct V3Authorization {
    pub(crate) algorithm: String,
    pub(crate) access_key_id: String,
    pub(crate) signed_headers: Vec<String>,
    pub(crate) signature: String,
}

/// Parses `ALGO Credential=ID,SignedHeaders=a;b,Signature=HEX` exactly as the reference's
/// algorithm writes it (2.1: "comma-separated, no spaces after commas"): one space after the
/// algorithm, the three parts in this order, nothing else. On failure, says what is wrong.
pub(crate) fn parse_authorization(value: &str) -> Result<V3Authorization, String> {
    const FORM: &str =
        "write it as ACS3-HMAC-SHA256 Credential=ID,SignedHeaders=h1;h2,Signature=HEX";
    let (algorithm, rest) = value
        .split_once(' ')
        .ok_or_else(|| format!("the Authorization header has no Credential; {FORM}"))?;
    let mut parts = rest.split(',');
    let mut part = |name: &str| -> Result<String, String> {
        let p = parts.next().unwrap_or("");
        match p.strip_prefix(name).and_then(|v| v.strip_prefix('=')) {
            Some(v) if !v.is_empty() && !v.contains(char::is_whitespace) => Ok(v.to_owned()),
            Some(_) => Err(format!(
                "the Authorization header's {name} is empty or holds spaces; {FORM}"
            )),
            None => Err(format!(
                "the Authorization header has {p:?} where {name}= belongs; {FORM}"
            )),
        }
    };
    let cred = part("Credential")?;
    let signed = part("SignedHeaders")?;
    let sig = part("Signature")?;
    if let Some(extra) = parts.next() {
        return Err(format!(
            "the Authorization header has {extra:?} after Signature; {FORM}"
        ));
    }
    Ok(V3Authorization {
        algorithm: algorithm.to_owned(),
        access_key_id: cred,
        signed_headers: signed.split(';').map(str::to_owned).collect(),
        signature: sig,
    })
}

/// Checks a `SignedHeaders` list as the reference defines it (2.1: "lowercase names, sorted,
/// ';'-joined"): each name lowercase and non-empty, strictly ascending (so no repeats).
pub(crate) fn check_signed_headers(names: &[String]) -> Result<(), String> {
    for n in names {
        if n.is_empty() {
            return Err("SignedHeaders has an empty name (\";;\" or a trailing \";\")".to_owned());
        }
        if n.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!(
                "SignedHeaders names {n:?}; header names are signed in lowercase"
            ));
        }
    }
    if let Some(w) = names.windows(2).find(|w| w[0] >= w[1]) {
        return Err(format!(
            "SignedHeaders is not sorted without repeats: {:?} comes before {:?}",
            w[0], w[1]
        ));
    }
    Ok(())
}

/// The V3 canonical request. `header` returns the value of a (lower-case) header name.
pub(crate) fn v3_canonical_request<'a>(
    method: &str,
    path: &str,
    canonical_query: &str,
    signed_headers: &[String],
    header: impl Fn(&str) -> Option<&'a str>,
    payload_sha256: &str,
) -> String {
    let mut out = String::with_capacity(512 + canonical_query.len());
    out.push_str(method);
    out.push('\n');
    out.push_str(if path.is_empty() { "/" } else { path });
    out.push('\n');
    out.push_str(canonical_query);
    out.push('\n');
    for h in signed_headers {
        out.push_str(h);
        out.push(':');
        out.push_str(header(h).unwrap_or("").trim());
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_sha256);
    out
}

/// `ALGO\nhex(sha256(canonical request))`.
pub(crate) fn v3_string_to_sign(algorithm: &str, canonical_request: &str) -> String {
    format!("{algorithm}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// Lower-case hex HMAC-SHA256 of the string to sign, keyed with the secret.
pub(crate) fn v3_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// `METHOD&%2F&percentEncode(canonical query without Signature)`.
pub(crate) fn v1_string_to_sign(method: &str, pairs: &[RawPair]) -> String {
    format!(
        "{method}&%2F&{}",
        percent_encode(canonical_query(pairs, Some("Signature")).as_bytes())
    )
}

/// Base64 HMAC-SHA1 of the string to sign, keyed with `secret + "&"`.
pub(crate) fn v1_signature(secret: &str, string_to_sign: &str) -> String {
    let mut key = zeroize::Zeroizing::new(Vec::with_capacity(secret.len() + 1));
    key.extend_from_slice(secret.as_bytes());
    key.push(b'&');
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(&key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Compares two strings in time independent of where they differ.
pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<RawPair> {
        list.iter()
            .map(|(a, b)| (a.as_bytes().to_vec(), b.as_bytes().to_vec()))
            .collect()
    }

    fn headers<'a>(list: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |name| list.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    const V3_SIGNED: &str =
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version";

    #[test]
    fn v3_official_vector() {
        // reference 2.1, "Official worked example"
        let raw =
            "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai";
        let cq = canonical_query(&parse_pairs(raw.as_bytes()), None);
        assert_eq!(cq, raw);
        let h = [
            ("host", "ecs.cn-shanghai.aliyuncs.com"),
            ("x-acs-action", "RunInstances"),
            ("x-acs-content-sha256", EMPTY_SHA256),
            ("x-acs-date", "2023-10-26T10:22:32Z"),
            ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
            ("x-acs-version", "2014-05-26"),
        ];
        let auth = parse_authorization(&format!(
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders={V3_SIGNED},Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        ))
        .expect("parses");
        assert_eq!(auth.access_key_id, "YourAccessKeyId");
        let creq = v3_canonical_request(
            "POST",
            "/",
            &cq,
            &auth.signed_headers,
            headers(&h),
            &sha256_hex(b""),
        );
        let expected = "POST\n/\nImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai\nhost:ecs.cn-shanghai.aliyuncs.com\nx-acs-action:RunInstances\nx-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-acs-date:2023-10-26T10:22:32Z\nx-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\nx-acs-version:2014-05-26\n\nhost;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(creq, expected);
        let sts = v3_string_to_sign(&auth.algorithm, &creq);
        assert_eq!(
            sts,
            "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
        );
        assert_eq!(v3_signature("YourAccessKeySecret", &sts), auth.signature);
    }

    /// The CAS vector's query as the Python SDK puts it on the wire (`+` for spaces), and as an
    /// RFC 3986 client does (`%20`), and in another order: all canonicalise the same.
    #[test]
    fn v3_cas_vector_from_several_wire_forms() {
        let wires = [
            "Csr=-----BEGIN+CERTIFICATE+REQUEST-----%0AMIIBtest%2B%2F%3D%0A-----END+CERTIFICATE+REQUEST-----&Email=admin%40example.com&Phone=13800000000&ProductCode=digicert-free-1-free&Tags.1.Key=env&Tags.1.Value=prod+test&Username=Zhang+San&ValidateType=DNS",
            "ValidateType=DNS&Username=Zhang%20San&Tags.1.Value=prod%20test&Tags.1.Key=env&ProductCode=digicert-free-1-free&Phone=13800000000&Email=admin@example.com&Csr=-----BEGIN%20CERTIFICATE%20REQUEST-----%0aMIIBtest%2b%2f%3d%0A-----END%20CERTIFICATE%20REQUEST-----",
        ];
        for wire in wires {
            let cq = canonical_query(&parse_pairs(wire.as_bytes()), None);
            assert_eq!(
                cq,
                "Csr=-----BEGIN%20CERTIFICATE%20REQUEST-----%0AMIIBtest%2B%2F%3D%0A-----END%20CERTIFICATE%20REQUEST-----&Email=admin%40example.com&Phone=13800000000&ProductCode=digicert-free-1-free&Tags.1.Key=env&Tags.1.Value=prod%20test&Username=Zhang%20San&ValidateType=DNS"
            );
            let h = [
                ("host", "cas.aliyuncs.com"),
                ("x-acs-action", "CreateCertificateWithCsrRequest"),
                ("x-acs-content-sha256", EMPTY_SHA256),
                ("x-acs-date", "2024-01-01T00:00:00Z"),
                ("x-acs-signature-nonce", "0123456789abcdef0123456789abcdef"),
                ("x-acs-version", "2020-04-07"),
            ];
            let signed: Vec<String> = V3_SIGNED.split(';').map(str::to_owned).collect();
            let creq = v3_canonical_request("POST", "/", &cq, &signed, headers(&h), EMPTY_SHA256);
            assert_eq!(
                sha256_hex(creq.as_bytes()),
                "a8ef869d06e06a4201ed4b5f6edf45af8f3891593bffaf7a7b4469c38ea7ccd8"
            );
            let sts = v3_string_to_sign("ACS3-HMAC-SHA256", &creq);
            assert_eq!(
                v3_signature("testsecret", &sts),
                "4798ad18bc35854d8557aabb69f3d02085bdee35714d03ee2617e3bd3cae70ff"
            );
        }
    }

    #[test]
    fn v1_official_vector_a() {
        let p = pairs(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeDedicatedHosts"),
            ("Format", "JSON"),
            ("RegionId", "cn-beijing"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "edb2b34af0af9a6d14deaf7c1a5315eb"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2023-03-13T08:34:30Z"),
            ("Version", "2014-05-26"),
            ("Signature", "ignored"),
        ]);
        let sts = v1_string_to_sign("GET", &p);
        assert_eq!(
            sts,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeDedicatedHosts%26Format%3DJSON%26RegionId%3Dcn-beijing%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dedb2b34af0af9a6d14deaf7c1a5315eb%26SignatureVersion%3D1.0%26Timestamp%3D2023-03-13T08%253A34%253A30Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            v1_signature("testsecret", &sts),
            "9NaGiOspFP5UPcwX8Iwt2YJXXuk="
        );
    }

    #[test]
    fn v1_official_vector_b_from_raw_query() {
        // Timestamp colons raw on the wire, and the signature itself `+`-encoded.
        let raw = "Timestamp=2016-02-23T12:46:24Z&Format=XML&AccessKeyId=testid&Action=DescribeRegions&SignatureMethod=HMAC-SHA1&SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0&Version=2014-05-26&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D";
        let p = parse_pairs(raw.as_bytes());
        let sts = v1_string_to_sign("GET", &p);
        assert_eq!(
            sts,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        let sig = v1_signature("testsecret", &sts);
        assert_eq!(sig, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        let sent = p
            .iter()
            .find(|(n, _)| n == b"Signature")
            .map(|(_, v)| v.as_slice());
        assert_eq!(sent, Some(sig.as_bytes()));
    }

    #[test]
    fn v1_cas_vectors_get_and_post() {
        let p = pairs(&[
            ("AccessKeyId", "testid"),
            ("Action", "CreateCertificateWithCsrRequest"),
            (
                "Csr",
                "-----BEGIN CERTIFICATE REQUEST-----\nMIIBtest+/=\n-----END CERTIFICATE REQUEST-----",
            ),
            ("Email", "admin@example.com"),
            ("Format", "JSON"),
            ("Phone", "13800000000"),
            ("ProductCode", "digicert-free-1-free"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "0123456789abcdef0123456789abcdef"),
            ("SignatureVersion", "1.0"),
            ("Tags.1.Key", "env"),
            ("Tags.1.Value", "prod test"),
            ("Timestamp", "2024-01-01T00:00:00Z"),
            ("Username", "Zhang San"),
            ("ValidateType", "DNS"),
            ("Version", "2020-04-07"),
        ]);
        assert_eq!(
            v1_signature("testsecret", &v1_string_to_sign("GET", &p)),
            "S18fsSYMxhF1yljBkuG1dsqQhus="
        );
        assert_eq!(
            v1_signature("testsecret", &v1_string_to_sign("POST", &p)),
            "t9cgelV3/a3pIZTrW+zcAD9OMV4="
        );
    }

    #[test]
    fn decoding_edge_cases() {
        let d = |s: &str| form_decode(s.as_bytes());
        assert_eq!(d("a+b%20c"), b"a b c");
        assert_eq!(d("100%"), b"100%");
        assert_eq!(d("%zz%4"), b"%zz%4");
        assert_eq!(d("%E4%B8%AD"), "中".as_bytes());
        // bytes that are not UTF-8 stay as they are, and are signed as they are
        assert_eq!(d("%FF%FE"), [0xFF, 0xFE]);
        assert_eq!(
            canonical_query(&parse_pairs(b"ProductCode=%FF%FE"), None),
            "ProductCode=%FF%FE"
        );
        assert_eq!(
            pairs_to_text(&parse_pairs(b"A=1&ProductCode=%FF%FE")),
            Err("ProductCode".to_owned())
        );
        assert_eq!(
            percent_encode("a b*~/中".as_bytes()),
            "a%20b%2A~%2F%E4%B8%AD"
        );
        assert_eq!(
            parse_pairs(b"a=1&&b&c=x=y"),
            pairs(&[("a", "1"), ("b", ""), ("c", "x=y")])
        );
        assert!(ct_eq("abc", "abc") && !ct_eq("abc", "abd") && !ct_eq("abc", "ab"));
    }

    #[test]
    fn authorization_header_parts() {
        let ok = parse_authorization(
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;x-acs-date,Signature=b",
        )
        .expect("the reference's form");
        assert_eq!(ok.signed_headers, ["host", "x-acs-date"]);
        for (bad, says) in [
            ("ACS3-HMAC-SHA256", "no Credential"),
            (
                "ACS3-HMAC-SHA256 Credential=a,Signature=b",
                "where SignedHeaders=",
            ),
            (
                "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host",
                "where Signature=",
            ),
            (
                "ACS3-HMAC-SHA256 Credential=a, SignedHeaders=host,Signature=b",
                "where SignedHeaders=",
            ),
            (
                "ACS3-HMAC-SHA256  Credential=a,SignedHeaders=host,Signature=b",
                "where Credential=",
            ),
            (
                "ACS3-HMAC-SHA256 SignedHeaders=host,Credential=a,Signature=b",
                "where Credential=",
            ),
            (
                "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=b,X=y",
                "after Signature",
            ),
            (
                "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=b",
                "Credential is empty",
            ),
        ] {
            let e = parse_authorization(bad).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    #[test]
    fn signed_headers_must_be_lowercase_sorted_and_unique() {
        let v = |s: &str| s.split(';').map(str::to_owned).collect::<Vec<_>>();
        assert!(check_signed_headers(&v(V3_SIGNED)).is_ok());
        for (bad, says) in [
            ("x-acs-date;host", "not sorted"),
            ("host;host", "not sorted"),
            ("Host;x-acs-date", "lowercase"),
            ("host;;x-acs-date", "empty name"),
        ] {
            let e = check_signed_headers(&v(bad)).expect_err(bad);
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
