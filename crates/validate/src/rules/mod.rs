//! The rule catalogue: one rule per file, grouped by authority.
//!
//! Codes are stable and say nothing about severity: `V` plus a family
//! block: 1xx encoding and signature, 2xx subject and subjectAltName, 3xx
//! key, 4xx attributes and extensions, 9xx provider and policy.

use csrkit_names::ProblemKind;

use crate::csr::Csr;
use crate::rule::{Hit, Rule};

pub(crate) mod aliyun;
pub(crate) mod cabf_br;
pub(crate) mod community;
pub(crate) mod mozilla;
pub(crate) mod policy;
pub(crate) mod rfc2986;
pub(crate) mod rfc5280;

static RULES: &[&Rule] = &[
    &rfc2986::v100_not_a_csr::RULE,
    &rfc2986::v101_signature_invalid::RULE,
    &rfc2986::v102_version_not_v1::RULE,
    &cabf_br::v103_signature_algorithm_not_allowed::RULE,
    &cabf_br::v104_algorithm_encoding_improper::RULE,
    &community::v105_certificate_not_csr::RULE,
    &community::v106_private_key_in_input::RULE,
    &rfc2986::v107_trailing_data::RULE,
    &rfc2986::v108_signature_unverifiable::RULE,
    &rfc2986::v109_signature_algorithm_key_mismatch::RULE,
    &rfc2986::v110_der_not_strict::RULE,
    &cabf_br::v201_san_missing::RULE,
    &cabf_br::v202_san_type_prohibited::RULE,
    &cabf_br::v203_cn_multiple::RULE,
    &cabf_br::v204_cn_not_in_san::RULE,
    &rfc5280::v205_cn_too_long::RULE,
    &cabf_br::v206_dv_subject_attributes::RULE,
    &cabf_br::v207_cn_deprecated::RULE,
    &rfc5280::v208_dns_name_syntax::RULE,
    &rfc5280::v209_dns_label_too_long::RULE,
    &rfc5280::v210_dns_name_too_long::RULE,
    &cabf_br::v211_dns_name_underscore::RULE,
    &cabf_br::v212_dns_name_trailing_dot::RULE,
    &cabf_br::v213_wildcard_malformed::RULE,
    &cabf_br::v214_wildcard_public_suffix::RULE,
    &cabf_br::v215_dns_label_reserved::RULE,
    &cabf_br::v216_internal_name::RULE,
    &cabf_br::v217_onion_name_invalid::RULE,
    &cabf_br::v218_reverse_zone_name::RULE,
    &cabf_br::v219_ip_address_prohibited::RULE,
    &community::v220_san_duplicate::RULE,
    &rfc5280::v221_dns_name_bad_encoding::RULE,
    &rfc5280::v222_san_not_critical_empty_subject::RULE,
    &rfc5280::v223_san_critical_with_subject::RULE,
    &cabf_br::v224_subject_encoding::RULE,
    &community::v225_dns_name_uppercase::RULE,
    &community::v226_subject_san_text::RULE,
    &cabf_br::v227_san_absent::RULE,
    &cabf_br::v228_country_invalid::RULE,
    &cabf_br::v229_public_suffix_name::RULE,
    &cabf_br::v301_rsa_modulus_too_small::RULE,
    &mozilla::v302_rsa_modulus_not_multiple_of_8::RULE,
    &cabf_br::v303_rsa_exponent_invalid::RULE,
    &cabf_br::v304_rsa_exponent_not_recommended::RULE,
    &cabf_br::v305_rsa_modulus_small_factor::RULE,
    &cabf_br::v306_rsa_roca::RULE,
    &cabf_br::v307_rsa_close_primes::RULE,
    &cabf_br::v308_ec_curve_not_allowed::RULE,
    &cabf_br::v309_ec_point_invalid::RULE,
    &cabf_br::v310_key_algorithm_not_allowed::RULE,
    &community::v311_rsa_modulus_too_large::RULE,
    &cabf_br::v312_rsa_known_shared_prime::RULE,
    &cabf_br::v313_rsa_small_private_exponent::RULE,
    &cabf_br::v314_rsa_modulus_zero_chunks::RULE,
    &cabf_br::v315_rsa_modulus_repeated_bytes::RULE,
    &cabf_br::v316_rsa_xz_backdoor::RULE,
    &community::v317_rsa_modulus_bit_bias::RULE,
    &cabf_br::v318_key_blocklisted::RULE,
    &rfc2986::v401_attribute_unexpected::RULE,
    &rfc2986::v402_challenge_password::RULE,
    &rfc5280::v403_extension_duplicate::RULE,
    &rfc5280::v404_extension_critical_unknown::RULE,
    &cabf_br::v405_ca_requested::RULE,
    &rfc5280::v406_extension_unparseable::RULE,
    &rfc2986::v407_extension_request_multiple::RULE,
    &cabf_br::v408_eku_not_server_auth::RULE,
    &aliyun::v901_cn_missing::RULE,
    &aliyun::v902_key_type_not_accepted::RULE,
    &aliyun::v903_wildcard_needs_wildcard_product::RULE,
    &policy::v904_domain_not_allowed::RULE,
    &policy::v905_expected_domain_missing::RULE,
    &aliyun::v906_ip_address_not_accepted::RULE,
    &aliyun::v907_product_code_refuses::RULE,
    &aliyun::v908_product_name_counterpart::RULE,
];

/// Every rule, ordered by code.
pub fn rules() -> &'static [&'static Rule] {
    RULES
}

/// A rule's documentation by code (`V204`, any case) or name
/// (`cn-not-in-san`); `None` when no rule has it.
pub fn explain(rule: &str) -> Option<&'static Rule> {
    let t = rule.trim();
    RULES.iter().copied().find(|r| r.matches(t))
}

/// Runs the host-name syntax of `csrkit-names` over every name of the
/// request and reports the problems `pick` selects.
pub(crate) fn name_problems(csr: &Csr<'_>, out: &mut Vec<Hit>, pick: fn(&ProblemKind) -> bool) {
    for n in csr.names() {
        for p in &n.problems {
            if !pick(&p.kind) {
                continue;
            }
            let what = if n.field.starts_with("subject") {
                "subject CN"
            } else {
                "dNSName"
            };
            let msg = match &p.label {
                Some(label) if *label != n.name => {
                    format!("{what} \"{}\": label \"{}\": {}", n.name, label, p.kind)
                }
                _ => format!("{what} \"{}\": {}", n.name, p.kind),
            };
            out.push(Hit::new(msg).at(n.offset, n.field.clone()));
        }
    }
}

/// The name of an extension OID, for messages.
pub(crate) fn ext_name(oid: &str) -> &str {
    match oid {
        "2.5.29.17" => "subjectAltName",
        "2.5.29.19" => "basicConstraints",
        "2.5.29.15" => "keyUsage",
        "2.5.29.37" => "extKeyUsage",
        "2.5.29.14" => "subjectKeyIdentifier",
        "1.3.6.1.5.5.7.1.24" => "tlsFeature",
        "2.5.29.30" => "nameConstraints",
        "2.5.29.32" => "certificatePolicies",
        other => other,
    }
}
