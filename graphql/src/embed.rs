//! usergraph inside another Rust program: [`Usergraph::builder`] turns a
//! [`Storage`], settings and plugins into the service, its GraphQL schema
//! and an axum [`Router`] the host mounts wherever it likes.
//!
//! ```no_run
//! # async fn host(storage: std::sync::Arc<dyn usergraph_core::Storage>) -> usergraph_core::Result<()> {
//! use usergraph::Usergraph;
//! use usergraph_core::Caller;
//!
//! let identity = Usergraph::builder(storage).build()?;
//! let app = axum::Router::new().nest("/identity", identity.router());
//! // The host's own code calls the service on its own authority ...
//! let someone = identity.service().user(&Caller::system(), "user-id").await?;
//! // ... or as the user a bearer token stands for (authorization applies).
//! let caller = identity.service().authenticate("ugp_...", None, None).await?;
//! let me = identity.service().me(&caller).await?;
//! # let _ = (app, someone, me); Ok(()) }
//! ```

use std::sync::Arc;

use async_graphql::Request;
use axum::Router;
use usergraph_core::plugin::{DEFAULT_QUEUE_CAPACITY, Plugin, PluginHost};
use usergraph_core::{Caller, Error, Result, Service, ServiceSettings, Storage};

use crate::errors::ensure_codes;
use crate::limits::ApiSettings;
use crate::schema::{UsergraphSchema, build_schema};

/// An assembled usergraph: the core [`Service`] (plugins included), its
/// GraphQL schema and the settings of its HTTP API. Cheap to clone; clones
/// share the service, its plugins and the schema.
#[derive(Clone)]
pub struct Usergraph {
    service: Service,
    schema: UsergraphSchema,
    api: ApiSettings,
}

/// Collects what [`Usergraph`] is made of; [`UsergraphBuilder::build`]
/// checks and assembles it.
#[derive(Debug)]
pub struct UsergraphBuilder {
    storage: Arc<dyn Storage>,
    settings: ServiceSettings,
    api: ApiSettings,
    plugins: Vec<Arc<dyn Plugin>>,
    queue_capacity: usize,
}

impl Usergraph {
    /// Starts a builder over `storage` (e.g. `usergraph_redb::RedbStorage`,
    /// `usergraph_sled::SledStorage` or `usergraph_postgres::PostgresStorage`),
    /// with default settings and no plugins.
    pub fn builder(storage: Arc<dyn Storage>) -> UsergraphBuilder {
        UsergraphBuilder {
            storage,
            settings: ServiceSettings::default(),
            api: ApiSettings::default(),
            plugins: Vec::new(),
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
        }
    }

    /// The core service, for the host's own code. Every call takes a
    /// [`Caller`] and is authorized and audited as if it came over HTTP:
    /// [`Caller::system()`] acts with every permission on the host's own
    /// authority (log entries then name no actor); a caller from
    /// [`Service::authenticate`] acts as the user its token stands for.
    /// Plugins see these calls too.
    pub fn service(&self) -> &Service {
        &self.service
    }

    /// The GraphQL schema, to run operations in-process (see
    /// [`Usergraph::execute`]) or to print its SDL.
    pub fn schema(&self) -> &UsergraphSchema {
        &self.schema
    }

    /// The registered plugins, e.g. to wait for their queued events at
    /// shutdown with [`PluginHost::drain`].
    pub fn plugins(&self) -> &PluginHost {
        self.service.plugins()
    }

    /// The HTTP API: `GET /graphql` serves GraphiQL, `POST /graphql` runs
    /// GraphQL, with the API settings' limits and `Authorization: Bearer`
    /// authentication. Mount it under a prefix with `Router::nest`
    /// (GraphiQL follows the prefix). Serve the host's app with
    /// `into_make_service_with_connect_info::<SocketAddr>()` (or
    /// [`crate::serve`]) so that the audit log records client addresses.
    pub fn router(&self) -> Router {
        crate::router::router_with_schema(
            self.service.clone(),
            self.schema.clone(),
            self.api.clone(),
        )
    }

    /// Runs one GraphQL operation as `caller`, without HTTP. Errors carry
    /// the same `extensions.code` as over HTTP.
    pub async fn execute(
        &self,
        caller: Caller,
        request: impl Into<Request>,
    ) -> async_graphql::Response {
        let request = crate::router::with_caller(request.into(), caller);
        let mut response = self.schema.execute(request).await;
        ensure_codes(&mut response.errors);
        response
    }
}

impl std::fmt::Debug for Usergraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Usergraph")
            .field("service", &self.service)
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

impl UsergraphBuilder {
    /// Password hashing, sessions, tokens and throttling.
    pub fn settings(mut self, settings: ServiceSettings) -> Self {
        self.settings = settings;
        self
    }

    /// The HTTP API's limits and introspection.
    pub fn api(mut self, api: ApiSettings) -> Self {
        self.api = api;
        self
    }

    /// Registers `plugin` after those already registered. Before-hooks run
    /// in registration order and the first rejection wins.
    pub fn plugin(mut self, plugin: Arc<dyn Plugin>) -> Self {
        self.plugins.push(plugin);
        self
    }

    /// Registers `plugins`, in order, after those already registered, e.g.
    /// the built-ins from `usergraph_plugins::from_settings`.
    pub fn plugins(mut self, plugins: impl IntoIterator<Item = Arc<dyn Plugin>>) -> Self {
        self.plugins.extend(plugins);
        self
    }

    /// How many events may wait for each plugin's after-hook before new
    /// ones are dropped ([`DEFAULT_QUEUE_CAPACITY`] unless set).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.queue_capacity = capacity;
        self
    }

    /// Assembles the service and starts the plugins' workers. Fails with
    /// `VALIDATION` when a setting is below its floor, when two plugins
    /// share a name, or when called outside a Tokio runtime (plugins
    /// handle events on tasks of their own).
    pub fn build(self) -> Result<Usergraph> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::Validation {
                field: None,
                message: "build usergraph inside a Tokio runtime: its plugins run on tasks of \
                          their own"
                    .to_owned(),
            });
        }
        let service = Service::new(self.storage, self.settings)?;
        // Over the service's storage, so that the plugins' own log entries
        // reach live subscribers too.
        let host = PluginHost::new(
            self.plugins,
            Arc::clone(service.storage()),
            self.queue_capacity,
        )?;
        let service = service.with_plugins(host);
        Ok(Usergraph {
            schema: build_schema(service.clone(), &self.api),
            service,
            api: self.api,
        })
    }
}
