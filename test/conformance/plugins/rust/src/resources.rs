//! Resources `counter` (a running total) and `failing` (its constructor
//! always fails).

use std::sync::Mutex;

use heddle::{HeddleError, NoConfig, Plugin, Resource};
use schemars::JsonSchema;
use serde::Deserialize;

/// `counter` config: `{start?: integer = 0}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterConfig {
    /// The total to start from.
    #[serde(default)]
    pub start: i64,
}

/// A running total shared by every call bound to the instance.
pub struct Counter {
    total: Mutex<i64>,
}

impl Counter {
    /// Adds `rows` and returns the new total.
    pub fn add(&self, rows: i64) -> i64 {
        let mut total = self.total.lock().unwrap_or_else(|p| p.into_inner());
        *total += rows;
        *total
    }
}

impl Resource for Counter {}

/// Never built: `failing`'s constructor always fails.
pub struct Failing;

impl Resource for Failing {}

/// Registers `counter` and `failing`.
pub fn register(plugin: &mut Plugin) {
    plugin.resource("counter", |config: CounterConfig| {
        Ok(Counter {
            total: Mutex::new(config.start),
        })
    });
    plugin.resource("failing", |_: NoConfig| -> Result<Failing, HeddleError> {
        Err(HeddleError::msg("resource init failed on purpose"))
    });
}
