//! Rules from the `community` authority.

pub(crate) mod v105_certificate_not_csr;
pub(crate) mod v106_private_key_in_input;
pub(crate) mod v220_san_duplicate;
pub(crate) mod v225_dns_name_uppercase;
pub(crate) mod v226_subject_san_text;
pub(crate) mod v311_rsa_modulus_too_large;
pub(crate) mod v317_rsa_modulus_bit_bias;
