//! Rules from the `mozilla` authority.

pub(crate) mod v302_rsa_modulus_not_multiple_of_8;
