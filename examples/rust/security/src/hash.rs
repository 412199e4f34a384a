//! The `hash` step: `id` + `password` in, `id` + `hash` out.

use std::sync::Arc;

use heddle::arrow_array::cast::AsArray;
use heddle::arrow_array::{ArrayRef, RecordBatch, StringArray};
use heddle::arrow_schema::{DataType, Field, Schema, SchemaRef};
use heddle::{HeddleError, StepContext, Table};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use crate::vault::Vault;

/// Which digest to use.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// SHA-256 (64 hex characters).
    #[default]
    Sha256,
    /// SHA-512 (128 hex characters).
    Sha512,
}

/// `hash` config: `{algorithm?: "sha256" | "sha512" = "sha256"}`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HashConfig {
    /// The digest to use.
    #[serde(default)]
    pub algorithm: Algorithm,
}

/// The input the step expects: `id` (any type) and `password` (utf8).
pub fn credentials_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("password", DataType::Utf8, false),
    ]))
}

/// The output: `id` as given and `hash` (utf8, lower-case hex).
pub fn secure_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("hash", DataType::Utf8, true),
    ]))
}

/// The step: the vault is injected through the `vault` binding.
pub fn hash_step(
    config: HashConfig,
    input: Table,
    ctx: &StepContext,
) -> Result<Table, HeddleError> {
    let vault = ctx.resource::<Vault>("vault")?;
    hash_table(&input, &vault.api_key, config.algorithm)
}

/// Replaces `password` by `hash` = hex(digest(api_key + password)); nulls
/// stay null. Fails with `INVALID_INPUT` when `id` or a utf8 `password`
/// column is missing.
pub fn hash_table(
    input: &Table,
    api_key: &str,
    algorithm: Algorithm,
) -> Result<Table, HeddleError> {
    let id = input
        .schema()
        .index_of("id")
        .map_err(|_| HeddleError::invalid_input("the input needs an `id` column"))?;
    let password = input
        .schema()
        .index_of("password")
        .map_err(|_| HeddleError::invalid_input("the input needs a `password` column"))?;
    if input.schema().field(password).data_type() != &DataType::Utf8 {
        return Err(HeddleError::invalid_input(
            "the `password` column must be utf8 text",
        ));
    }
    input.map_batches(|batch| {
        let passwords = batch.column(password).as_string::<i32>();
        let hashes: StringArray = passwords
            .iter()
            .map(|p| p.map(|p| digest(algorithm, api_key, p)))
            .collect();
        let schema = Schema::new(vec![
            batch.schema().field(id).clone(),
            Field::new("hash", DataType::Utf8, true),
        ]);
        Ok(RecordBatch::try_new(
            Arc::new(schema),
            vec![batch.column(id).clone(), Arc::new(hashes) as ArrayRef],
        )?)
    })
}

fn digest(algorithm: Algorithm, api_key: &str, password: &str) -> String {
    let bytes: Vec<u8> = match algorithm {
        Algorithm::Sha256 => Sha256::new()
            .chain_update(api_key)
            .chain_update(password)
            .finalize()
            .to_vec(),
        Algorithm::Sha512 => Sha512::new()
            .chain_update(api_key)
            .chain_update(password)
            .finalize()
            .to_vec(),
    };
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use heddle::arrow_array::{Array, Int64Array};

    fn credentials() -> Table {
        Table::from_columns(vec![
            ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
            (
                "password",
                Arc::new(StringArray::from(vec![Some("hunter2"), None])) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    #[test]
    fn hashes_with_the_pepper_and_drops_passwords() {
        let out = hash_table(&credentials(), "k", Algorithm::Sha256).unwrap();
        assert_eq!(out.column_names(), ["id", "hash"]);
        let hashes = out.column("hash").unwrap();
        let hashes = hashes.as_string::<i32>();
        // sha256("k" + "hunter2")
        assert_eq!(hashes.value(0), digest(Algorithm::Sha256, "", "khunter2"));
        assert_eq!(hashes.value(0).len(), 64);
        assert!(hashes.is_null(1));
        let long = hash_table(&credentials(), "k", Algorithm::Sha512).unwrap();
        assert_eq!(
            long.column("hash")
                .unwrap()
                .as_string::<i32>()
                .value(0)
                .len(),
            128
        );
    }

    #[test]
    fn known_sha256_vector() {
        assert_eq!(
            digest(Algorithm::Sha256, "", "abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn needs_the_columns() {
        let no_password = Table::from_columns(vec![(
            "id",
            Arc::new(Int64Array::from(vec![1])) as ArrayRef,
        )])
        .unwrap();
        assert!(hash_table(&no_password, "k", Algorithm::Sha256).is_err());
    }
}
