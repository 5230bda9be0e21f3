//! `usergraph serve` (binary only): opens the store, starts the plugins,
//! serves the API with its health and metrics endpoints, and stops
//! cleanly on SIGTERM or Ctrl-C.
//!
//! Shutdown: stop accepting connections, let in-flight requests finish
//! (up to `shutdown_timeout_secs`), let the plugins deliver the events
//! already published (up to the same timeout), then close the store. Each
//! backend makes a write durable before acknowledging it (redb and sled
//! sync every commit, PostgreSQL commits), so nothing acknowledged needs
//! flushing; closing the store releases its file lock.

use std::sync::Arc;

use usergraph::timed_storage::TimedStorage;
use usergraph_core::Service;
use usergraph_core::plugin::PluginHost;

use crate::config::Config;
use crate::{admin, backend};

/// A refused plugin setting, named as the configuration spells it
/// (`plugins.webhooks.endpoints[0].url: ...`), since the operator must find
/// it in a file or a variable.
fn plugin_error(error: &usergraph_core::Error) -> String {
    match error.field() {
        Some(field) => format!("invalid plugin settings: {field}: {error}"),
        None => format!("invalid plugin settings: {error}"),
    }
}

pub async fn serve(config: Config) -> Result<(), String> {
    let plugin_settings = config.plugin_settings()?;
    // Checked before the store is opened: a bad setting is named even when
    // the store is unreachable.
    let plugins =
        usergraph_plugins::from_settings(&plugin_settings).map_err(|e| plugin_error(&e))?;
    let storage = backend::connect(&config.database_url, config.store_settings())
        .await
        .map_err(|e| e.to_string())?;
    let metrics = if config.metrics {
        let handle = usergraph::metrics::install();
        if handle.is_none() {
            tracing::warn!("metrics are off: another metrics recorder is installed");
        }
        handle
    } else {
        None
    };
    let storage = match metrics {
        Some(_) => TimedStorage::wrap(storage),
        None => storage,
    };
    let service = Service::new(Arc::clone(&storage), config.service_settings())
        .map_err(|e| format!("invalid settings: {e}"))?;
    // Over the service's storage, so that the plugins' own log entries
    // reach live subscribers too.
    let host = PluginHost::new(
        plugins,
        Arc::clone(service.storage()),
        config.plugin_queue_capacity,
    )
    .map_err(|e| plugin_error(&e))?;
    let service = service.with_plugins(host.clone());
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let address = listener.local_addr().unwrap_or(config.listen);
    admin::bootstrap(&service, address, config.console).await?;
    tracing::info!(
        %address,
        database = %backend::redacted(&config.database_url),
        plugins = ?host.names(),
        metrics = metrics.is_some(),
        console = config.console,
        "usergraph listening; GraphiQL at http://{address}/graphql{}",
        if config.console {
            format!(", console at http://{address}/console/")
        } else {
            String::new()
        }
    );
    let app = usergraph::router(service, config.api_settings())
        .merge(usergraph::health::routes(Arc::clone(&storage), metrics));

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(usergraph::serve(listener, app, async move {
        // A dropped sender stops the server too.
        let _ = stopped.await;
    }));
    tokio::select! {
        joined = &mut server => return finished(joined),
        () = shutdown_signal() => {}
    }
    let _ = stop.send(());
    let deadline = config.shutdown_timeout();
    match tokio::time::timeout(deadline, &mut server).await {
        Ok(joined) => finished(joined)?,
        Err(_) => {
            tracing::warn!(
                timeout = ?deadline,
                "requests still in flight at the shutdown deadline were cut off"
            );
            server.abort();
        }
    }
    if !host.drain(deadline).await {
        tracing::warn!(
            timeout = ?deadline,
            "plugins had undelivered events at the shutdown deadline"
        );
    }
    tracing::info!("usergraph stopped");
    Ok(())
}

fn finished(joined: Result<std::io::Result<()>, tokio::task::JoinError>) -> Result<(), String> {
    match joined {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("server error: {e}")),
        Err(e) => Err(format!("server task failed: {e}")),
    }
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: no new connections; finishing requests in flight");
}
