pub(crate) mod generate;
