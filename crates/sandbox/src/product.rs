//! Which product answers a request: the API version it names (`x-acs-version` for V3, `Version`
//! for V1) picks the certificate service (CAS 2020-04-07) or Alibaba Cloud DNS (Alidns
//! 2015-01-09), both on the sandbox's one URL. Also the RAM denial (`--deny ACTION`), which both
//! products answer alike.

use serde::Serialize;

use crate::server::{self, Resp};
use crate::wire::{ApiError, ErrorBody};

/// A product served at `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Product {
    /// SSL Certificates Service, 2020-04-07.
    Cas,
    /// Alibaba Cloud DNS, 2015-01-09.
    Alidns,
}

impl Product {
    /// The product whose API version this is.
    pub(crate) fn for_version(version: &str) -> Option<Product> {
        [Product::Cas, Product::Alidns]
            .into_iter()
            .find(|p| p.version() == version)
    }

    pub(crate) fn version(self) -> &'static str {
        match self {
            Product::Cas => server::VERSION,
            Product::Alidns => crate::alidns::VERSION,
        }
    }

    /// The product's name in messages and in `Recommend` links.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Product::Cas => "cas",
            Product::Alidns => "Alidns",
        }
    }

    /// The product as `Recommend` links capitalise it (`product=Cas`, `product=Alidns`;
    /// attack-sandbox F16).
    pub(crate) fn recommend_name(self) -> &'static str {
        match self {
            Product::Cas => "Cas",
            Product::Alidns => "Alidns",
        }
    }

    pub(crate) fn host_id(self) -> &'static str {
        match self {
            Product::Cas => server::HOST_ID,
            Product::Alidns => crate::alidns::HOST_ID,
        }
    }

    /// The operations the sandbox implements for this product.
    pub(crate) fn actions(self) -> &'static [&'static str] {
        match self {
            Product::Cas => &server::ACTIONS,
            Product::Alidns => &crate::alidns::ACTIONS,
        }
    }

    /// The action named `name`, if the product has it.
    pub(crate) fn action(self, name: &str) -> Option<&'static str> {
        self.actions().iter().find(|a| **a == name).copied()
    }

    /// Both versions, for an `InvalidVersion` message.
    pub(crate) fn all_versions() -> String {
        format!(
            "{} (cas) or {} (Alidns)",
            Product::Cas.version(),
            Product::Alidns.version()
        )
    }
}

/// `AccessDeniedDetail`, as the SDK reads it from a RAM denial.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccessDeniedDetail {
    auth_principal_display_name: &'static str,
    auth_principal_owner_id: &'static str,
    auth_principal_type: &'static str,
    encoded_diagnostic_message: String,
    policy_type: &'static str,
    no_permission_type: &'static str,
}

/// Whether `action` is denied by `--deny` (an action name, or `*` for all).
pub(crate) fn is_denied(denied: &[String], action: &str) -> bool {
    denied.iter().any(|d| d == action || d == "*")
}

/// The answer to a denied action: `Forbidden.RAM` with the service's message and an
/// `AccessDeniedDetail`. Alidns answers it with HTTP 400 (observed: jeessy2/ddns-go#1155,
/// mgsky1/DDNS#27), the gateway's table says 403 (reference 1.6); both carry the same code.
pub(crate) fn denied(product: Product, action: &str, request_id: &str) -> Resp {
    let e = ApiError::new(
        if product == Product::Alidns { 400 } else { 403 },
        "Forbidden.RAM",
        "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
    );
    let body = ErrorBody {
        request_id,
        host_id: product.host_id(),
        code: &e.code,
        message: &e.message,
        recommend: server::recommend(product, &e.code, request_id),
    };
    let detail = AccessDeniedDetail {
        auth_principal_display_name: "sandbox-ram-user",
        auth_principal_owner_id: "1000000000000000",
        auth_principal_type: "SubUser",
        encoded_diagnostic_message: base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!(
                "implicit deny of {}:{action} (csrkit sandbox --deny)",
                product.name().to_ascii_lowercase()
            ),
        ),
        policy_type: "AccountLevelIdentityBasedPolicy",
        no_permission_type: "ImplicitDeny",
    };
    let mut value = serde_json::to_value(&body).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "AccessDeniedDetail".to_owned(),
            serde_json::to_value(&detail).unwrap_or_default(),
        );
    }
    server::error_response(e.status, request_id, &value)
}
