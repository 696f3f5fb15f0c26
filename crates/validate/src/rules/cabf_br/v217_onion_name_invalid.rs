//! V217 `onion-name-invalid`: a .onion name MUST be a Tor v3 address: 56 base32 characters ending in a valid checksum and version 3
//!
//! Citation: BR Appendix B.

use crate::csr::Csr;
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};

pub(crate) static RULE: Rule = Rule {
    code: "V217",
    name: "onion-name-invalid",
    default_severity: Severity::Error,
    description: "a .onion name MUST be a Tor v3 address: 56 base32 characters ending in a valid checksum and version 3",
    citation: "BR Appendix B",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for crate::csr::Name {
        name,
        offset,
        field,
        ..
    } in csr.names()
    {
        let lower = name.to_ascii_lowercase();
        let Some(rest) = lower.strip_suffix(".onion") else {
            continue;
        };
        let base = rest.strip_prefix("*.").unwrap_or(rest);
        let label = base.rsplit('.').next().unwrap_or(base);
        if let Err(why) = onion_v3(label) {
            out.push(
                Hit::new(format!("\"{}\" is not a Tor v3 onion address: {why}", name))
                    .at(*offset, field.as_str()),
            );
        }
    }
}

/// Checks a v3 onion label: base32 of a 32-byte key, a 2-byte checksum and
/// the version byte 3, where the checksum is the first two bytes of
/// SHA3-256(".onion checksum" || key || version) (Tor rend-spec-v3 §6).
fn onion_v3(label: &str) -> Result<(), String> {
    if label.len() != 56 {
        return Err(format!(
            "the label has {} characters; a v3 address has 56",
            label.len()
        ));
    }
    let mut bits: u64 = 0;
    let mut nbits = 0;
    let mut bytes = Vec::with_capacity(35);
    for c in label.bytes() {
        let v = match c {
            b'a'..=b'z' => c - b'a',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return Err(format!("{:?} is not a base32 character", c as char)),
        };
        bits = (bits << 5) | u64::from(v);
        nbits += 5;
        if nbits >= 8 {
            nbits -= 8;
            bytes.push((bits >> nbits) as u8);
        }
    }
    match bytes.get(34) {
        Some(3) => {
            let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA3_256);
            ctx.update(b".onion checksum");
            ctx.update(&bytes[..32]);
            ctx.update(&[3]);
            let sum = ctx.finish();
            if sum.as_ref()[..2] == bytes[32..34] {
                Ok(())
            } else {
                Err("its checksum does not match (a mistyped address?)".into())
            }
        }
        Some(v) => Err(format!("the version byte is {v}, not 3")),
        None => Err("the address is too short".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::onion_v3;

    #[test]
    fn checksums() {
        // The Tor Project's and DuckDuckGo's v3 addresses.
        assert_eq!(
            onion_v3("2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid"),
            Ok(())
        );
        assert_eq!(
            onion_v3("duckduckgogg42xjoc72x3sjasowoarfbgcmvfimaftt6twagswzczad"),
            Ok(())
        );
        // One character changed: the version byte is still 3, the checksum is not.
        let err = onion_v3("2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53xid").unwrap_err();
        assert!(err.contains("checksum"), "{err}");
    }
}
