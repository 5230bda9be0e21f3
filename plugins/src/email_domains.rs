//! Restricts which email domains new and changed primary emails may use.
//!
//! A pattern `example.com` matches that domain exactly (not its
//! subdomains); `*.example.com` matches every subdomain at any depth
//! (`a.example.com`, `a.b.example.com`) but not `example.com` itself, so
//! list both to cover both. Matching is case-insensitive, and
//! internationalized domains match in either their Unicode or their
//! punycode form.

use async_trait::async_trait;
use serde::Deserialize;
use usergraph_core::plugin::{HookContext, Plugin, Proposal, Rejection};
use usergraph_core::{Error, Result};

const FIELD: &str = "primaryEmail";

/// `[plugins.email_domains]`: exactly one of `allow` and `deny`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailDomainsSettings {
    /// Only these domains are accepted.
    pub allow: Option<Vec<String>>,
    /// Every domain but these is accepted.
    pub deny: Option<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Pattern {
    Exact(String),
    /// Holds `.example.com` for `*.example.com`.
    Subdomains(String),
}

impl Pattern {
    fn parse(raw: &str, field: &str) -> Result<Self> {
        let invalid =
            |why: &str| Error::validation(field, format!("{raw:?} is not a domain pattern: {why}"));
        let trimmed = raw.trim().trim_end_matches('.');
        let (wildcard, domain) = match trimmed.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        if domain.is_empty() {
            return Err(invalid("it names no domain"));
        }
        if domain.contains(['@', '*', '/', ':']) || domain.contains(char::is_whitespace) {
            return Err(invalid(
                "write a domain such as example.com, or *.example.com for its subdomains",
            ));
        }
        let domain = canonical_domain(domain).ok_or_else(|| invalid("it is not a valid domain"))?;
        Ok(if wildcard {
            Pattern::Subdomains(format!(".{domain}"))
        } else {
            Pattern::Exact(domain)
        })
    }

    fn matches(&self, domain: &str) -> bool {
        match self {
            Pattern::Exact(exact) => domain == exact,
            Pattern::Subdomains(suffix) => domain.ends_with(suffix.as_str()),
        }
    }

    fn shown(&self) -> String {
        match self {
            Pattern::Exact(exact) => exact.clone(),
            Pattern::Subdomains(suffix) => format!("*{suffix}"),
        }
    }
}

/// Lower-case ASCII (punycode) form, so `Bücher.example` and
/// `xn--bcher-kva.example` compare equal.
fn canonical_domain(domain: &str) -> Option<String> {
    match url::Host::parse(domain).ok()? {
        url::Host::Domain(ascii) => Some(ascii.trim_end_matches('.').to_owned()),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Rule {
    Allow(Vec<Pattern>),
    Deny(Vec<Pattern>),
}

#[derive(Debug)]
pub struct EmailDomains {
    rule: Rule,
}

impl EmailDomains {
    pub const NAME: &'static str = "email-domains";

    pub fn new(settings: &EmailDomainsSettings) -> Result<Self> {
        let parse_all = |list: &[String], name: &str| -> Result<Vec<Pattern>> {
            if list.is_empty() {
                return Err(Error::validation(
                    format!("plugins.email_domains.{name}"),
                    format!("{name} needs at least one domain"),
                ));
            }
            list.iter()
                .enumerate()
                .map(|(i, raw)| Pattern::parse(raw, &format!("plugins.email_domains.{name}[{i}]")))
                .collect()
        };
        let rule = match (&settings.allow, &settings.deny) {
            (Some(allow), None) => Rule::Allow(parse_all(allow, "allow")?),
            (None, Some(deny)) => Rule::Deny(parse_all(deny, "deny")?),
            _ => {
                return Err(Error::validation(
                    "plugins.email_domains",
                    "set exactly one of allow and deny",
                ));
            }
        };
        Ok(EmailDomains { rule })
    }

    /// The verdict on `email`, as a before-hook gives it.
    pub fn check(&self, email: &str) -> Result<(), Rejection> {
        let raw_domain = email.rsplit_once('@').map_or("", |(_, domain)| domain);
        let domain = canonical_domain(raw_domain).unwrap_or_else(|| raw_domain.to_lowercase());
        let reject = |message: String| Err(Rejection::new(message).on_field(FIELD));
        match &self.rule {
            Rule::Allow(patterns) if !patterns.iter().any(|p| p.matches(&domain)) => {
                let accepted: Vec<String> = patterns.iter().map(Pattern::shown).collect();
                reject(format!(
                    "Use an email address at one of these domains: {}.",
                    accepted.join(", ")
                ))
            }
            Rule::Deny(patterns) if patterns.iter().any(|p| p.matches(&domain)) => reject(format!(
                "Email addresses at {raw_domain} are not accepted; use another address."
            )),
            _ => Ok(()),
        }
    }
}

#[async_trait]
impl Plugin for EmailDomains {
    fn name(&self) -> &str {
        Self::NAME
    }

    /// Only addresses being set are checked: a stored address at a domain
    /// refused since stays usable until the user changes it.
    async fn before(
        &self,
        _context: &HookContext,
        proposal: &Proposal<'_>,
    ) -> Result<(), Rejection> {
        let email = match proposal {
            Proposal::CreateUser { user } => user.primary_email.as_deref(),
            Proposal::UpdateUser { before, after } => {
                after.primary_email.as_deref().filter(|new| {
                    before
                        .primary_email
                        .as_deref()
                        .is_none_or(|old| old.to_lowercase() != new.to_lowercase())
                })
            }
            _ => None,
        };
        email.map_or(Ok(()), |email| self.check(email))
    }
}
