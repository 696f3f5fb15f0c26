//! Rules from the `aliyun` authority.

pub(crate) mod v901_cn_missing;
pub(crate) mod v902_key_type_not_accepted;
pub(crate) mod v903_wildcard_needs_wildcard_product;
pub(crate) mod v906_ip_address_not_accepted;
pub(crate) mod v907_product_code_refuses;
pub(crate) mod v908_product_name_counterpart;
