//! The binary's access-control chores (binary only): the first start's
//! admin token, printed once, and `usergraph admin token`.

use std::io::Write;
use std::net::SocketAddr;

use usergraph_core::{Service, ServiceSettings};

use crate::backend;
use crate::cli::TokenArgs;

/// On an empty store, creates the `admin` user and prints its token, the
/// only time anyone sees it, with where to use it (the console when it is
/// served); on any store, makes sure the built-in `admin` role exists.
pub async fn bootstrap(
    service: &Service,
    address: SocketAddr,
    console: bool,
) -> Result<(), String> {
    let created = service
        .bootstrap()
        .await
        .map_err(|e| format!("cannot set up the admin user: {e}"))?;
    let Some(created) = created else {
        return Ok(());
    };
    let username = created.user.username.as_deref().unwrap_or("admin");
    let mut out = std::io::stdout().lock();
    out.write_all(announcement(username, &created.secret, address, console).as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot print the admin token: {e}"))
}

fn announcement(username: &str, secret: &str, address: SocketAddr, console: bool) -> String {
    let rule = "=".repeat(72);
    let console = if console {
        format!(
            "Use it in the console: open http://{address}/console/ and paste it
under \"Use an access token instead\".\n"
        )
    } else {
        String::new()
    };
    format!(
        "{rule}
usergraph created the user `{username}`, holding the built-in admin role.
Its access token (shown this once, never again; store it now):

    {secret}

{console}Use it in GraphiQL: open http://{address}/graphql, and in the Headers tab enter
    {{\"Authorization\": \"Bearer {secret}\"}}
Lost it? `usergraph admin token --username {username}` mints a new one.
{rule}
"
    )
}

/// `usergraph admin token`: prints the new token's secret alone on stdout,
/// so that scripts can capture it.
pub async fn mint_token(args: TokenArgs) -> Result<(), String> {
    let storage = backend::connect(&args.database_url, args.store.settings())
        .await
        .map_err(|e| e.to_string())?;
    let service = Service::new(storage, ServiceSettings::default())
        .map_err(|e| format!("invalid settings: {e}"))?;
    let now = usergraph_core::time::now();
    let expires_at = match args.expires_in_days {
        None => None,
        Some(days) => Some(
            chrono::TimeDelta::try_days(i64::from(days))
                .and_then(|days| now.checked_add_signed(days))
                .ok_or_else(|| format!("--expires-in-days {days} is too far away"))?,
        ),
    };
    let name = args
        .name
        .unwrap_or_else(|| format!("cli {}", now.format("%Y-%m-%d %H:%M:%S")));
    let created = service
        .mint_token_for(&args.username, &name, expires_at)
        .await
        .map_err(|e| format!("cannot mint a token for {:?}: {e}", args.username))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", created.secret)
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_announcement_says_how_to_use_the_token() {
        let text = announcement_for("admin", "ugp_0123456789abcdefghijklABCDEF");
        assert!(
            text.contains("\n    ugp_0123456789abcdefghijklABCDEF\n"),
            "{text}"
        );
        assert!(text.contains("http://127.0.0.1:8080/graphql"), "{text}");
        assert!(text.contains("http://127.0.0.1:8080/console/"), "{text}");
        let without_console =
            announcement("admin", "ugp_x", "127.0.0.1:8080".parse().unwrap(), false);
        assert!(!without_console.contains("/console/"), "{without_console}");
        assert!(
            text.contains(r#"{"Authorization": "Bearer ugp_0123456789abcdefghijklABCDEF"}"#),
            "{text}"
        );
        assert!(
            text.contains("usergraph admin token --username admin"),
            "{text}"
        );
    }

    fn announcement_for(username: &str, secret: &str) -> String {
        announcement(username, secret, "127.0.0.1:8080".parse().unwrap(), true)
    }
}
