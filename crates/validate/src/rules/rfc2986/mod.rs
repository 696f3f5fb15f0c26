//! Rules from the `rfc2986` authority.

pub(crate) mod v100_not_a_csr;
pub(crate) mod v101_signature_invalid;
pub(crate) mod v102_version_not_v1;
pub(crate) mod v107_trailing_data;
pub(crate) mod v108_signature_unverifiable;
pub(crate) mod v109_signature_algorithm_key_mismatch;
pub(crate) mod v110_der_not_strict;
pub(crate) mod v401_attribute_unexpected;
pub(crate) mod v402_challenge_password;
pub(crate) mod v407_extension_request_multiple;
