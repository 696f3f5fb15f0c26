//! Where to deploy: `PRODUCT:DOMAIN` or a resource id, resolved against
//! `ListCloudResources`.

use std::fmt;
use std::str::FromStr;

use csrkit_submit::{Client, CloudResource, ListCloudResources};
use serde::Serialize;

use crate::error::{Error, Result};

/// The products a certificate can be deployed to on Alibaba Cloud
/// (`ListCloudResources`'s `CloudProduct` for `CloudName=aliyun`), in the
/// service's spelling.
pub const PRODUCTS: [&str; 17] = [
    "CDN",
    "DCDN",
    "SLB",
    "ALB",
    "NLB",
    "OSS",
    "WAF",
    "GA",
    "FC",
    "APIGateway",
    "SAE",
    "MSE",
    "LIVE",
    "VOD",
    "DDOS",
    "CR",
    "webHosting",
];

/// A deployment target.
///
/// ```
/// use csrkit_deploy::Target;
/// let t: Target = "cdn:www.example.com".parse()?;
/// assert_eq!(t.to_string(), "CDN:www.example.com");
/// let lb: Target = "alb:lb-123/listener-443".parse()?;
/// assert_eq!(lb, Target::Domain { product: "ALB".into(), domain: "lb-123/listener-443".into() });
/// # Ok::<(), csrkit_deploy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// Every resource of `product` that serves `domain` (for load balancers
    /// and GA also an instance id, or `INSTANCE/LISTENER`).
    Domain {
        /// The product, in the service's spelling (`CDN`, `APIGateway`, ...).
        product: String,
        /// The domain (or instance, or `instance/listener`), as given.
        domain: String,
    },
    /// The resource with this id (`ListCloudResources`'s `Id`).
    ResourceId(u64),
}

impl FromStr for Target {
    type Err = Error;
    /// `PRODUCT:DOMAIN`, the product in any case.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason: String| Error::Input {
            what: format!("target {s:?}"),
            reason,
        };
        let (product, domain) = s.split_once(':').ok_or_else(|| {
            bad("write it as PRODUCT:DOMAIN, e.g. cdn:www.example.com".to_owned())
        })?;
        let product = PRODUCTS
            .iter()
            .find(|p| p.eq_ignore_ascii_case(product.trim()))
            .ok_or_else(|| {
                bad(format!(
                    "{product:?} is not a product certificates can be deployed to; use one of {}",
                    PRODUCTS.join(", ")
                ))
            })?;
        let domain = domain.trim().trim_end_matches('.');
        if domain.is_empty() || domain.len() > 253 || domain.chars().any(char::is_whitespace) {
            return Err(bad("the domain is empty, too long or has spaces".to_owned()));
        }
        Ok(Target::Domain {
            product: (*product).to_owned(),
            domain: domain.to_owned(),
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Domain { product, domain } => write!(f, "{product}:{domain}"),
            Target::ResourceId(id) => write!(f, "resource {id}"),
        }
    }
}

/// A cloud resource a certificate is deployed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Resource {
    /// Its id (`ListCloudResources`'s `Id`).
    pub id: u64,
    /// Its product.
    pub product: String,
    /// The domain it serves (or its instance and listener), for people.
    pub domain: String,
    /// The certificate it served when it was looked up.
    #[serde(skip)]
    pub cert_id: Option<u64>,
}

impl Resource {
    fn of(r: &CloudResource) -> Resource {
        let label = r.label();
        let product = r.cloud_product.clone().unwrap_or_default();
        let domain = label
            .strip_prefix(&format!("{product}:"))
            .unwrap_or(&label)
            .to_owned();
        Resource {
            id: r.id,
            product,
            domain,
            cert_id: r.cert_id,
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} (id {})", self.product, self.domain, self.id)
    }
}

/// Whether `r` is what `domain` names: its domain (in any case), or for a
/// listener its instance or `instance/listener`.
fn names(r: &CloudResource, domain: &str) -> bool {
    let eq = |v: &Option<String>| v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(domain));
    eq(&r.domain)
        || eq(&r.instance_id)
        || match (&r.instance_id, &r.listener_id) {
            (Some(i), Some(l)) => format!("{i}/{l}").eq_ignore_ascii_case(domain),
            _ => false,
        }
}

/// The resources the targets name (each once, in the order given), and
/// which target named each. Every target must name at least one.
pub(crate) async fn resolve(
    client: &Client,
    targets: &[Target],
) -> Result<Vec<(Target, Vec<Resource>)>> {
    let mut everything: Option<Vec<CloudResource>> = None;
    let mut out: Vec<(Target, Vec<Resource>)> = Vec::new();
    for t in targets {
        let found: Vec<CloudResource> = match t {
            Target::Domain { product, domain } => {
                // The keyword narrows the listing; the exact match is ours.
                let keyword = domain.split('/').next().unwrap_or(domain).to_owned();
                let listed = client
                    .list_all_cloud_resources(&ListCloudResources {
                        cloud_name: Some("aliyun".to_owned()),
                        cloud_product: Some(product.clone()),
                        keyword: Some(keyword),
                        show_size: Some(50),
                        ..ListCloudResources::default()
                    })
                    .await?;
                let hits: Vec<CloudResource> = listed
                    .iter()
                    .filter(|r| names(r, domain))
                    .cloned()
                    .collect();
                if hits.is_empty() {
                    let known: Vec<String> = listed.iter().map(CloudResource::label).collect();
                    return Err(Error::TargetNotFound {
                        target: t.to_string(),
                        known: if known.is_empty() {
                            format!("none of {product} matches {domain:?}")
                        } else {
                            format!("{product} resources near it: {}", known.join(", "))
                        },
                    });
                }
                hits
            }
            Target::ResourceId(id) => {
                if everything.is_none() {
                    everything = Some(
                        client
                            .list_all_cloud_resources(&ListCloudResources {
                                show_size: Some(50),
                                ..ListCloudResources::default()
                            })
                            .await?,
                    );
                }
                let all = everything.as_deref().unwrap_or_default();
                let hit: Vec<CloudResource> = all.iter().filter(|r| r.id == *id).cloned().collect();
                if hit.is_empty() {
                    return Err(Error::TargetNotFound {
                        target: t.to_string(),
                        known: format!(
                            "the account has {} resources, none with this id",
                            all.len()
                        ),
                    });
                }
                hit
            }
        };
        out.push((t.clone(), found.iter().map(Resource::of).collect()));
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(
            "WebHosting:Shop.example.com.".parse::<Target>().unwrap(),
            Target::Domain {
                product: "webHosting".into(),
                domain: "Shop.example.com".into()
            }
        );
        for bad in ["cdn", "ecs:a.example.com", "cdn:", "cdn:a b"] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
        let e = "ecs:x".parse::<Target>().unwrap_err().to_string();
        assert!(e.contains("CDN, DCDN"), "{e}");
    }
}
