use std::any::Any;
use std::fmt;
use std::sync::Arc;

use usergraph_core::{Service, ServiceSettings, Storage};

/// A fresh, empty store for one behaviour, plus whatever must live as long
/// as it (a temporary directory, a database schema to drop).
pub struct Fixture {
    // Declared before the guard so the store closes before its directory goes.
    storage: Arc<dyn Storage>,
    _guard: Box<dyn Any + Send>,
}

impl Fixture {
    pub fn new(storage: Arc<dyn Storage>, guard: impl Any + Send) -> Self {
        Fixture {
            storage,
            _guard: Box::new(guard),
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
            .finish_non_exhaustive()
    }
}
