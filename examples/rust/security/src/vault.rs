//! The `vault` resource: holds the API key used as a pepper.

use heddle::{HeddleError, Resource};
use schemars::JsonSchema;
use serde::Deserialize;

/// `vault` config: `{api_key: string}` (non-empty).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VaultConfig {
    /// The secret mixed into every hash.
    #[schemars(length(min = 1))]
    pub api_key: String,
}

/// An open vault.
pub struct Vault {
    pub api_key: String,
}

impl Resource for Vault {}

/// Opens a vault from its config. Never fails once the config is valid.
pub fn open(config: VaultConfig) -> Result<Vault, HeddleError> {
    Ok(Vault {
        api_key: config.api_key,
    })
}
