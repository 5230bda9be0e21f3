use std::any::Any;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use usergraph_core::{Service, ServiceSettings, Storage};

type Reopen = Box<dyn Fn() -> BoxFuture<'static, Arc<dyn Storage>> + Send + Sync>;

/// A fresh, empty store for one behaviour, plus whatever must live as long
/// as it (a temporary directory, a database schema to drop).
pub struct Fixture {
    // Declared before the guard so the store closes before its directory goes.
    storage: Arc<dyn Storage>,
    reopen: Option<Reopen>,
    _guard: Box<dyn Any + Send>,
}

impl Fixture {
    pub fn new(storage: Arc<dyn Storage>, guard: impl Any + Send) -> Self {
        Fixture {
            storage,
            reopen: None,
            _guard: Box::new(guard),
        }
    }

    /// Lets the behaviours that check what outlives a restart open the same
    /// store again with `reopen`.
    pub fn reopen_with<F, Fut>(mut self, reopen: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Arc<dyn Storage>> + Send + 'static,
    {
        self.reopen = Some(Box::new(move || reopen().boxed()));
        self
    }

    /// Whether [`Fixture::reopen`] can run.
    pub fn can_reopen(&self) -> bool {
        self.reopen.is_some()
    }

    /// Closes the store and opens it again. Every service over it must be
    /// dropped first: an embedded engine locks its files while open.
    pub async fn reopen(self) -> Fixture {
        let Fixture {
            storage,
            reopen,
            _guard,
        } = self;
        let reopen = reopen.expect("the backend gave the suite a way to reopen its store");
        // On a store several processes write, a dropped service's live
        // feed may still be reading it: it lets go when that read ends.
        for _ in 0..100 {
            if Arc::strong_count(&storage) == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            Arc::strong_count(&storage),
            1,
            "a service still holds the store"
        );
        drop(storage);
        Fixture {
            storage: reopen().await,
            reopen: Some(reopen),
            _guard,
        }
    }

    pub fn storage(&self) -> &Arc<dyn Storage> {
        &self.storage
    }

    /// A service over the store with the default (production) settings: the
    /// suite checks the real Argon2id parameters, so it does not lower them.
    pub fn service(&self) -> Service {
        Service::new(self.storage.clone(), ServiceSettings::default())
            .expect("default service settings are valid")
    }
}

impl fmt::Debug for Fixture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fixture")
            .field("storage", &self.storage)
            .field("can_reopen", &self.can_reopen())
            .finish_non_exhaustive()
    }
}
