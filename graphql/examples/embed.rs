//! A host application that embeds usergraph: its own routes beside the
//! identity API mounted under `/identity`, and a plugin of its own that
//! refuses sign-ups from a block list.
//!
//! ```sh
//! cargo run -p usergraph --example embed            # store in ./data/embed.redb
//! curl -s localhost:3000/signup -H 'content-type: application/json' \
//!   -d '{"username": "ada", "email": "ada@example.com", "password": "mellow ferret juggles quietly"}'
//! curl -s localhost:3000/identity/graphql -H 'content-type: application/json' \
//!   -d '{"query": "mutation { signIn(identifier: \"ada\", password: \"mellow ferret juggles quietly\") { token } }"}'
//! curl -s localhost:3000/account -H "authorization: Bearer $TOKEN"
//! ```
//! GraphiQL is at <http://127.0.0.1:3000/identity/graphql>; the first start
//! prints the token of the `admin` user.
//!
//! The test `graphql/tests/embed.rs` drives [`app`] end to end, so `main`
//! stays a thin shell around [`identity`] and [`app`].

use std::collections::BTreeSet;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tracing_subscriber::EnvFilter;
use usergraph::Usergraph;
use usergraph_core::plugin::{HookContext, Plugin, Proposal, Rejection};
use usergraph_core::service::CreateUser;
use usergraph_core::{Caller, Error, Service, Storage};
use usergraph_plugins::{PasswordPolicySettings, PluginsSettings};

/// Where the example listens.
const LISTEN: &str = "127.0.0.1:3000";

/// Addresses this host refuses to sign up (matched ignoring case).
pub const BLOCKED_EMAILS: &[&str] = &["spam@example.com", "abuse@example.net"];

/// What [`BlockedEmails`] answers a blocked address.
pub const BLOCKED_MESSAGE: &str = "Sign-ups from this email address are not accepted.";

/// The host's own plugin: refuses new users, and email changes, to an
/// address on its block list.
#[derive(Debug)]
pub struct BlockedEmails {
    /// Lower-cased.
    emails: BTreeSet<String>,
}

impl BlockedEmails {
    pub fn new<'a>(emails: impl IntoIterator<Item = &'a str>) -> Self {
        BlockedEmails {
            emails: emails.into_iter().map(str::to_lowercase).collect(),
        }
    }

    fn is_blocked(&self, email: Option<&str>) -> bool {
        email.is_some_and(|email| self.emails.contains(&email.to_lowercase()))
    }
}

#[async_trait]
impl Plugin for BlockedEmails {
    fn name(&self) -> &str {
        "blocked-emails"
    }

    async fn before(&self, _: &HookContext, proposal: &Proposal<'_>) -> Result<(), Rejection> {
        let email = match proposal {
            Proposal::CreateUser { user } => user.primary_email.as_deref(),
            Proposal::UpdateUser { before, after }
                if before.primary_email != after.primary_email =>
            {
                after.primary_email.as_deref()
            }
            _ => None,
        };
        if self.is_blocked(email) {
            return Err(Rejection::new(BLOCKED_MESSAGE).on_field("primaryEmail"));
        }
        Ok(())
    }
}

/// usergraph as this host configures it: the built-in password policy
/// (as a config file would give it), then the host's own plugin. Must run
/// inside a Tokio runtime.
pub fn identity(storage: Arc<dyn Storage>) -> usergraph_core::Result<Usergraph> {
    let config = PluginsSettings {
        password_policy: Some(PasswordPolicySettings::default()),
        ..PluginsSettings::default()
    };
    Usergraph::builder(storage)
        .plugins(usergraph_plugins::from_settings(&config)?)
        .plugin(Arc::new(BlockedEmails::new(BLOCKED_EMAILS.iter().copied())))
        .build()
}

/// The host's whole app: its own routes, and usergraph under `/identity`.
pub fn app(identity: &Usergraph) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/signup", post(sign_up))
        .route("/account", get(account))
        .with_state(identity.service().clone())
        .nest("/identity", identity.router())
}

async fn home() -> &'static str {
    "Acme. Sign up with POST /signup; the identity API is at /identity/graphql.\n"
}

#[derive(Debug, Deserialize)]
struct SignUp {
    username: String,
    email: String,
    password: String,
}

/// A public sign-up. The host vouches for it, so it calls the service on
/// its own authority; validation and every plugin still apply.
async fn sign_up(
    State(service): State<Service>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(form): Json<SignUp>,
) -> Response {
    let caller = Caller::system().with_client(Some(client.ip().to_string()), user_agent(&headers));
    let input = CreateUser {
        username: Some(form.username),
        primary_email: Some(form.email),
        password: Some(form.password),
        ..CreateUser::default()
    };
    match service.create_user(&caller, input).await {
        Ok(user) => (
            StatusCode::CREATED,
            Json(json!({ "id": user.id.to_string(), "username": user.username })),
        )
            .into_response(),
        Err(error) => error_response(&error),
    }
}

/// The signed-in user's own record: the service acts as the user the
/// bearer token stands for, with that user's permissions.
async fn account(
    State(service): State<Service>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let Some(secret) = bearer(&headers) else {
        return error_response(&Error::Unauthenticated);
    };
    let ip = Some(client.ip().to_string());
    let me = match service.authenticate(secret, ip, user_agent(&headers)).await {
        Ok(caller) => service.me(&caller).await,
        Err(error) => Err(error),
    };
    match me {
        Ok(user) => {
            Json(json!({ "id": user.id.to_string(), "username": user.username })).into_response()
        }
        Err(error) => error_response(&error),
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(secret.trim())
}

fn user_agent(headers: &HeaderMap) -> Option<String> {
    let agent = headers.get(header::USER_AGENT)?.to_str().ok()?;
    Some(agent.chars().take(512).collect())
}

/// Core errors carry a stable code and a message fit for clients.
fn error_response(error: &Error) -> Response {
    let status = match error {
        Error::Validation { .. } | Error::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        Error::UsernameAlreadyInUse | Error::EmailAlreadyInUse | Error::PhoneAlreadyInUse => {
            StatusCode::CONFLICT
        }
        Error::Unauthenticated => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if let Error::Internal(source) = error {
        tracing::error!(error = %source, "internal error");
    }
    let body =
        json!({ "code": error.code(), "message": error.to_string(), "field": error.field() });
    (status, Json(body)).into_response()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).init();
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "./data/embed.redb".to_owned());
    let storage = Arc::new(usergraph_redb::RedbStorage::open(&path)?);
    let identity = identity(storage)?;
    if let Some(first) = identity.service().bootstrap().await? {
        // On stdout, not in the logs: a secret does not belong there.
        writeln!(
            std::io::stdout(),
            "created the user `admin`; its token, shown this once:\n\n    {}\n",
            first.secret
        )?;
    }
    let listener = tokio::net::TcpListener::bind(LISTEN).await?;
    tracing::info!("listening on http://{LISTEN}; GraphiQL at http://{LISTEN}/identity/graphql");
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    usergraph::serve(listener, app(&identity), shutdown).await?;
    // Let the plugins finish what the last requests gave them.
    identity.plugins().drain(Duration::from_secs(5)).await;
    Ok(())
}
