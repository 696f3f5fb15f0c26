pub(crate) mod cancel;
pub(crate) mod connection;
pub(crate) mod generate;
pub(crate) mod orders;
pub(crate) mod quota;
pub(crate) mod sandbox;
pub(crate) mod status;
pub(crate) mod verification;
