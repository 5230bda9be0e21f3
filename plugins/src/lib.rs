//! usergraph's built-in plugins (see `usergraph_core::plugin` for the
//! contract):
//!
//! - [`PasswordPolicy`]: length bounds, a zxcvbn strength floor, no
//!   username or email in the password (before-hook);
//! - [`EmailDomains`]: an allow-list or a deny-list of email domains
//!   (before-hook);
//! - [`Webhooks`]: signed JSON POSTs of committed events, retried with
//!   backoff, every outcome logged (after-hook).
//!
//! Each has a settings struct that deserializes from config;
//! [`from_settings`] builds the configured ones in a fixed order.

mod email_domains;
mod password_policy;
pub mod webhooks;

use std::sync::Arc;

use serde::Deserialize;
use usergraph_core::Result;
use usergraph_core::plugin::Plugin;

pub use email_domains::{EmailDomains, EmailDomainsSettings};
pub use password_policy::{PasswordPolicy, PasswordPolicySettings};
pub use webhooks::{EndpointSettings, Webhooks, WebhooksSettings};

/// The `[plugins]` section of the config: a plugin runs when its table is
/// present.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginsSettings {
    pub password_policy: Option<PasswordPolicySettings>,
    pub email_domains: Option<EmailDomainsSettings>,
    pub webhooks: Option<WebhooksSettings>,
}

/// Builds the configured plugins, in this order: `password-policy`,
/// `email-domains`, `webhooks`. Before-hooks run in that order, so when a
/// change breaks both rules the password's rejection is the one reported.
/// Any invalid setting is a `VALIDATION` error naming it (e.g.
/// `plugins.webhooks.endpoints[0].url`).
pub fn from_settings(settings: &PluginsSettings) -> Result<Vec<Arc<dyn Plugin>>> {
    let mut plugins: Vec<Arc<dyn Plugin>> = Vec::new();
    if let Some(policy) = &settings.password_policy {
        plugins.push(Arc::new(PasswordPolicy::new(policy)?));
    }
    if let Some(domains) = &settings.email_domains {
        plugins.push(Arc::new(EmailDomains::new(domains)?));
    }
    if let Some(webhooks) = &settings.webhooks {
        plugins.push(Arc::new(Webhooks::new(webhooks)?));
    }
    Ok(plugins)
}
