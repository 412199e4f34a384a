//! Resources: long-lived state (connections, clients, counters) that the host
//! opens once with a config and binds to many calls (protocol §4).

use std::any::Any;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::core::errors::HeddleError;
use crate::core::options::ResourceOptions;
use crate::core::schema::{self, ConfigSchema};

/// A resource instance. Implement it on the type your constructor returns;
/// it is shared (`Arc`) by every call bound to the instance, so use interior
/// mutability (`Mutex`, atomics) for state that changes.
pub trait Resource: Send + Sync + 'static {
    /// Releases the resource: runs once when the host closes the instance or
    /// the plugin shuts down. An error is logged and reported to the host but
    /// the instance is gone either way. Calls still running keep their `Arc`.
    fn close(&self) -> Result<(), HeddleError> {
        Ok(())
    }
}

type Closer = Arc<dyn Fn() -> Result<(), HeddleError> + Send + Sync>;

/// An open instance, type-erased.
#[derive(Clone)]
pub(crate) struct OpenResource {
    pub(crate) kind: String,
    instance: Arc<dyn Any + Send + Sync>,
    closer: Closer,
}

impl OpenResource {
    /// The instance as `T`, or `None` when it is another type.
    pub(crate) fn downcast<T: Resource>(&self) -> Option<Arc<T>> {
        self.instance.clone().downcast::<T>().ok()
    }

    /// Runs the resource's `close` hook.
    pub(crate) fn close(&self) -> Result<(), HeddleError> {
        (self.closer)()
    }
}

pub(crate) type ResourceFactory =
    Arc<dyn Fn(Value) -> Result<OpenResource, HeddleError> + Send + Sync>;

/// A registered resource kind.
pub(crate) struct ResourceDef {
    pub(crate) options: ResourceOptions,
    pub(crate) schema: ConfigSchema,
    pub(crate) open: ResourceFactory,
}

impl ResourceDef {
    /// Wraps a typed constructor: the validated config is decoded into `C`.
    pub(crate) fn new<C, R, F>(options: ResourceOptions, open: F) -> Self
    where
        C: DeserializeOwned + JsonSchema + 'static,
        R: Resource,
        F: Fn(C) -> Result<R, HeddleError> + Send + Sync + 'static,
    {
        let kind = options.name.clone();
        let factory: ResourceFactory = Arc::new(move |config: Value| {
            let config: C = schema::decode(config)?;
            let instance = Arc::new(open(config)?);
            let for_close = instance.clone();
            Ok(OpenResource {
                kind: kind.clone(),
                instance,
                closer: Arc::new(move || for_close.close()),
            })
        });
        ResourceDef {
            options,
            schema: ConfigSchema::of::<C>(),
            open: factory,
        }
    }
}

/// The instances open in this process, by id.
#[derive(Default)]
pub(crate) struct ResourceRegistry {
    next: AtomicU64,
    open: Mutex<HashMap<String, OpenResource>>,
}

impl ResourceRegistry {
    /// Stores an instance and returns its new id (`<kind>-<n>`, unique in the process).
    pub(crate) fn insert(&self, resource: OpenResource) -> String {
        let id = format!(
            "{}-{}",
            resource.kind,
            self.next.fetch_add(1, Ordering::Relaxed) + 1
        );
        self.lock().insert(id.clone(), resource);
        id
    }

    /// The instance of that id, if open.
    pub(crate) fn get(&self, id: &str) -> Option<OpenResource> {
        self.lock().get(id).cloned()
    }

    /// Removes and returns the instance of that id, if open.
    pub(crate) fn remove(&self, id: &str) -> Option<OpenResource> {
        self.lock().remove(id)
    }

    /// Removes and returns every open instance (at shutdown).
    pub(crate) fn drain(&self) -> Vec<(String, OpenResource)> {
        let mut all: Vec<_> = self.lock().drain().collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, OpenResource>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::sync::atomic::AtomicBool;

    #[derive(Deserialize, JsonSchema)]
    struct Config {
        start: i64,
    }

    struct Counter {
        start: i64,
        closed: Arc<AtomicBool>,
    }

    impl Resource for Counter {
        fn close(&self) -> Result<(), HeddleError> {
            self.closed.store(true, Ordering::SeqCst);
            Ok(())
        }
    }

    #[test]
    fn opens_downcasts_and_closes() {
        let closed = Arc::new(AtomicBool::new(false));
        let flag = closed.clone();
        let def = ResourceDef::new(ResourceOptions::new("counter"), move |c: Config| {
            Ok(Counter {
                start: c.start,
                closed: flag.clone(),
            })
        });
        let registry = ResourceRegistry::default();
        let id = registry.insert((def.open)(serde_json::json!({"start": 5})).unwrap());
        assert_eq!(id, "counter-1");
        let open = registry.get(&id).unwrap();
        assert_eq!(open.downcast::<Counter>().unwrap().start, 5);
        registry.remove(&id).unwrap().close().unwrap();
        assert!(closed.load(Ordering::SeqCst));
        assert!(registry.get(&id).is_none());
    }
}
