//! Rules from the `policy` authority.

pub(crate) mod v904_domain_not_allowed;
pub(crate) mod v905_expected_domain_missing;
