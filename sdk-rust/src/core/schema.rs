//! Config schemas: JSON Schema (draft 2020-12) generated from a config type
//! with `schemars`, published in the manifest, and enforced on every call
//! before the step runs (protocol §3, §5.1).
//!
//! Every object schema that lists `properties` is closed
//! (`additionalProperties: false`) unless the type says otherwise, so a
//! misspelt field is an error rather than silently ignored.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::core::errors::HeddleError;
use crate::core::validation;

/// A config schema, ready to publish and to validate against.
#[derive(Clone, Debug)]
pub struct ConfigSchema {
    json: Arc<Value>,
    text: Arc<str>,
}

impl ConfigSchema {
    /// The schema of config type `T` (derive `JsonSchema` and `Deserialize`
    /// on it). Panics when `T` is not a struct/map (its schema is not an
    /// object schema): a config is always a JSON object.
    pub fn of<T: JsonSchema>() -> Self {
        let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
        let schema = generator.into_root_schema_for::<T>().to_value();
        match Self::from_value(schema) {
            Ok(schema) => schema,
            Err(message) => panic!("config type {}: {message}", std::any::type_name::<T>()),
        }
    }

    /// A schema from JSON text or value written by hand. Fails (with a
    /// message) when it is not an object schema (`"type": "object"`).
    pub fn from_value(mut schema: Value) -> Result<Self, String> {
        if schema.get("type").and_then(Value::as_str) != Some("object") {
            return Err(format!(
                "a config schema must be an object schema ({{\"type\": \"object\", ...}}), got {schema}"
            ));
        }
        close_objects(&mut schema);
        let text: Arc<str> = Arc::from(schema.to_string());
        Ok(ConfigSchema {
            json: Arc::new(schema),
            text,
        })
    }

    /// The schema as JSON.
    pub fn json(&self) -> &Value {
        &self.json
    }

    /// The schema as JSON text (the manifest's `config_schema_json`).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Checks a config value. Fails with `INVALID_CONFIG` whose `field` is the
    /// JSON pointer of the first offending field and whose message names it.
    pub fn validate(&self, config: &Value) -> Result<(), HeddleError> {
        validation::validate(&self.json, config)
            .map_err(|v| HeddleError::invalid_config(v.pointer, v.message))
    }

    /// Parses config JSON text (empty text means `{}`), validates it, and
    /// returns the value. Fails with `INVALID_CONFIG` when the text is not
    /// JSON or the value breaks the schema.
    pub fn parse(&self, text: &str) -> Result<Value, HeddleError> {
        let value = parse_json(text)?;
        self.validate(&value)?;
        Ok(value)
    }
}

/// Parses config JSON text; empty (or blank) text is `{}`.
/// Fails with `INVALID_CONFIG` (field `""`) when it is not JSON.
pub fn parse_json(text: &str) -> Result<Value, HeddleError> {
    if text.trim().is_empty() {
        return Ok(Value::Object(Default::default()));
    }
    serde_json::from_str(text).map_err(|e| {
        HeddleError::invalid_config(
            "",
            format!("config is not valid JSON ({e}); send a JSON object"),
        )
    })
}

/// Turns a validated config value into the config type. Fails with
/// `INVALID_CONFIG` naming the field when the type rejects a value that its
/// schema allowed (e.g. a custom `Deserialize`).
pub fn decode<T: DeserializeOwned>(value: Value) -> Result<T, HeddleError> {
    T::deserialize(value)
        .map_err(|e| HeddleError::invalid_config("", format!("config does not fit its type: {e}")))
}

/// Sets `additionalProperties: false` on every object schema with
/// `properties` and no `additionalProperties` of its own.
fn close_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            for value in map.values_mut() {
                close_objects(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    // Serialize lets schemars publish the default value.
    #[derive(Deserialize, Serialize, JsonSchema)]
    #[serde(rename_all = "lowercase")]
    enum Mode {
        A,
        B,
    }

    fn default_mode() -> Mode {
        Mode::A
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Strict {
        name: String,
        #[schemars(range(min = 1))]
        count: i64,
        #[serde(default = "default_mode")]
        mode: Mode,
        nested: Option<Nested>,
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Nested {
        x: f64,
    }

    #[test]
    fn generates_closed_object_schemas() {
        let schema = ConfigSchema::of::<Strict>();
        let json = schema.json();
        assert_eq!(json["type"], "object");
        assert_eq!(json["additionalProperties"], false);
        assert_eq!(json["required"], json!(["name", "count"]));
        assert_eq!(json["$defs"]["Nested"]["additionalProperties"], false);
        assert_eq!(json["properties"]["count"]["minimum"], 1);
        assert!(
            schema.text().contains("\"default\":\"a\""),
            "{}",
            schema.text()
        );
    }

    #[test]
    fn validates_then_decodes() {
        let schema = ConfigSchema::of::<Strict>();
        let value = schema.parse(r#"{"name":"n","count":2}"#).unwrap();
        let strict: Strict = decode(value).unwrap();
        assert!(matches!(strict.mode, Mode::A));
        let err = schema
            .parse(r#"{"name":"n","count":2,"mode":"z"}"#)
            .unwrap_err();
        assert_eq!(err.field(), Some("/mode"));
        let err = schema.parse(r#"{"name":"n","count":0}"#).unwrap_err();
        assert_eq!(err.field(), Some("/count"));
        let err = schema
            .parse(r#"{"name":"n","count":1,"nested":{"x":1,"y":2}}"#)
            .unwrap_err();
        assert_eq!(err.field(), Some("/nested/y"));
        assert_eq!(schema.parse("{not json").unwrap_err().field(), Some(""));
    }

    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Named {
        #[schemars(pattern(r"^[a-z]+$"), length(max = 5))]
        name: String,
        #[serde(default)]
        tags: Vec<u8>,
    }

    #[test]
    fn patterns_lengths_and_item_formats_are_enforced() {
        let schema = ConfigSchema::of::<Named>();
        schema.parse(r#"{"name":"abc","tags":[1,255]}"#).unwrap();
        let err = schema.parse(r#"{"name":"ab1"}"#).unwrap_err();
        assert_eq!(err.field(), Some("/name"));
        assert!(err.message().contains("pattern"), "{}", err.message());
        assert_eq!(
            schema.parse(r#"{"name":"abcdef"}"#).unwrap_err().field(),
            Some("/name")
        );
        assert_eq!(
            schema
                .parse(r#"{"name":"a","tags":[256]}"#)
                .unwrap_err()
                .field(),
            Some("/tags/0")
        );
    }

    #[test]
    fn empty_text_is_an_empty_object() {
        assert_eq!(parse_json("  ").unwrap(), json!({}));
    }

    #[test]
    fn hand_written_schemas_must_be_objects() {
        assert!(ConfigSchema::from_value(json!({"type": "string"})).is_err());
        let closed = ConfigSchema::from_value(json!({"type": "object", "properties": {}})).unwrap();
        assert!(closed.validate(&json!({"x": 1})).is_err());
    }
}
