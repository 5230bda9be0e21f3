//! Refuses new passwords that are too short, too long, easy to guess, or
//! built from the user's own username or email.

use async_trait::async_trait;
use serde::Deserialize;
use usergraph_core::plugin::{HookContext, Plugin, Proposal, Rejection};
use usergraph_core::{Error, Result, User};

const FIELD: &str = "password";
/// Shorter usernames and email local parts (`al`, `x`) occur inside many
/// good passwords by chance; refusing them would only annoy.
const MIN_PERSONAL_CHARS: usize = 3;

/// `[plugins.password_policy]`. Lengths count characters (Unicode scalar
/// values); core's own bounds (8 to 256) apply as well.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordPolicySettings {
    pub min_length: usize,
    pub max_length: usize,
    /// zxcvbn score the password must reach, 0 (anything) to 4 (very hard
    /// to guess). zxcvbn calls anything below 3 weak.
    pub min_strength: u8,
    /// Refuse passwords containing the username or the email's local part
    /// (case-insensitive, when that part has 3 characters or more).
    pub reject_personal_info: bool,
}

impl Default for PasswordPolicySettings {
    fn default() -> Self {
        PasswordPolicySettings {
            min_length: 10,
            max_length: 256,
            min_strength: 3,
            reject_personal_info: true,
        }
    }
}

#[derive(Debug)]
pub struct PasswordPolicy {
    settings: PasswordPolicySettings,
}

impl PasswordPolicy {
    pub const NAME: &'static str = "password-policy";

    pub fn new(settings: &PasswordPolicySettings) -> Result<Self> {
        let field = |name: &str| format!("plugins.password_policy.{name}");
        if settings.min_length == 0 {
            return Err(Error::validation(
                field("min_length"),
                "min_length must be at least 1",
            ));
        }
        if settings.max_length < settings.min_length {
            return Err(Error::validation(
                field("max_length"),
                "max_length must not be below min_length",
            ));
        }
        if settings.min_strength > 4 {
            return Err(Error::validation(
                field("min_strength"),
                "min_strength is a zxcvbn score from 0 to 4",
            ));
        }
        Ok(PasswordPolicy {
            settings: settings.clone(),
        })
    }

    /// The verdict on `password` for `user`, as a before-hook gives it.
    pub fn check(&self, user: &User, password: &str) -> Result<(), Rejection> {
        let reject = |message: String| Err(Rejection::new(message).on_field(FIELD));
        let chars = password.chars().count();
        if chars < self.settings.min_length {
            return reject(format!(
                "Use a password of at least {} characters.",
                self.settings.min_length
            ));
        }
        if chars > self.settings.max_length {
            return reject(format!(
                "Use a password of at most {} characters.",
                self.settings.max_length
            ));
        }
        let lowered = password.to_lowercase();
        let username = personal_part(user.username.as_deref());
        let local_part = personal_part(
            user.primary_email
                .as_deref()
                .and_then(|email| email.rsplit_once('@'))
                .map(|(local, _)| local),
        );
        if self.settings.reject_personal_info {
            if username.as_ref().is_some_and(|u| lowered.contains(u)) {
                return reject("Choose a password that does not contain your username.".into());
            }
            if local_part.as_ref().is_some_and(|l| lowered.contains(l)) {
                return reject(
                    "Choose a password that does not contain your email address.".into(),
                );
            }
        }
        if self.settings.min_strength > 0 {
            // zxcvbn matches whole inputs, so the name's words go in one by
            // one as well: "lovelace" alone is as guessable as the full name.
            let name_words = user.name.iter().flat_map(|name| name.split_whitespace());
            let inputs: Vec<&str> = [
                user.username.as_deref(),
                user.primary_email.as_deref(),
                local_part.as_deref(),
                user.name.as_deref(),
            ]
            .into_iter()
            .flatten()
            .chain(name_words)
            .collect();
            let entropy = zxcvbn::zxcvbn(password, &inputs);
            if u8::from(entropy.score()) < self.settings.min_strength {
                return reject(weak_message(entropy.feedback()));
            }
        }
        Ok(())
    }
}

fn personal_part(raw: Option<&str>) -> Option<String> {
    raw.filter(|part| part.chars().count() >= MIN_PERSONAL_CHARS)
        .map(str::to_lowercase)
}

/// zxcvbn's own explanation when it has one, then what to do about it.
fn weak_message(feedback: Option<&zxcvbn::feedback::Feedback>) -> String {
    let mut message = String::from("This password is too easy to guess.");
    if let Some(warning) = feedback.and_then(|f| f.warning()) {
        message.push(' ');
        message.push_str(warning.to_string().trim_end_matches('.'));
        message.push('.');
    }
    let suggestions = feedback.map(|f| f.suggestions()).unwrap_or_default();
    if suggestions.is_empty() {
        message.push_str(" Add more words or less common characters.");
    } else {
        for suggestion in suggestions {
            message.push(' ');
            message.push_str(suggestion.to_string().trim_end_matches('.'));
            message.push('.');
        }
    }
    message
}

#[async_trait]
impl Plugin for PasswordPolicy {
    fn name(&self) -> &str {
        Self::NAME
    }

    async fn before(
        &self,
        _context: &HookContext,
        proposal: &Proposal<'_>,
    ) -> Result<(), Rejection> {
        match proposal {
            Proposal::SetPassword { user, password } => self.check(user, password),
            _ => Ok(()),
        }
    }
}
