//! Rules from the `rfc5280` authority.

pub(crate) mod v205_cn_too_long;
pub(crate) mod v208_dns_name_syntax;
pub(crate) mod v209_dns_label_too_long;
pub(crate) mod v210_dns_name_too_long;
pub(crate) mod v221_dns_name_bad_encoding;
pub(crate) mod v222_san_not_critical_empty_subject;
pub(crate) mod v223_san_critical_with_subject;
pub(crate) mod v403_extension_duplicate;
pub(crate) mod v404_extension_critical_unknown;
pub(crate) mod v406_extension_unparseable;
