//! Keyword checks on arrays (`items`, `prefixItems`, sizes, uniqueness)
//! and objects (`required`, `properties`, `additionalProperties`, sizes).

use serde_json::{Map, Value};

use super::scalars::article;
use super::{child, describe, fail, Validator, Violation};

impl<'a> Validator<'a> {
    pub(super) fn check_array(
        &self,
        keywords: &Map<String, Value>,
        items: &[Value],
        at: &str,
    ) -> Result<(), Violation> {
        let name = describe(at);
        let count = items.len() as u64;
        if let Some(min) = keywords.get("minItems").and_then(Value::as_u64) {
            if count < min {
                return fail(
                    at,
                    format!("{name} must have at least {min} items (got {count})"),
                );
            }
        }
        if let Some(max) = keywords.get("maxItems").and_then(Value::as_u64) {
            if count > max {
                return fail(
                    at,
                    format!("{name} must have at most {max} items (got {count})"),
                );
            }
        }
        if keywords.get("uniqueItems") == Some(&Value::Bool(true)) {
            for (i, item) in items.iter().enumerate() {
                if items[..i].contains(item) {
                    return fail(
                        &child(at, &i.to_string()),
                        format!("{name} must not repeat items (item {i} is a duplicate)"),
                    );
                }
            }
        }
        let prefix = match keywords.get("prefixItems") {
            Some(Value::Array(schemas)) => schemas.as_slice(),
            _ => &[],
        };
        for (i, item) in items.iter().enumerate() {
            let item_schema = prefix.get(i).or_else(|| keywords.get("items"));
            if let Some(item_schema) = item_schema {
                self.check(item_schema, item, &child(at, &i.to_string()))?;
            }
        }
        Ok(())
    }

    pub(super) fn check_object(
        &self,
        keywords: &Map<String, Value>,
        fields: &Map<String, Value>,
        at: &str,
    ) -> Result<(), Violation> {
        let properties = keywords.get("properties").and_then(Value::as_object);
        if let Some(Value::Array(required)) = keywords.get("required") {
            for key in required.iter().filter_map(Value::as_str) {
                if !fields.contains_key(key) {
                    let pointer = child(at, key);
                    let expected = properties
                        .and_then(|p| p.get(key))
                        .and_then(|s| s.get("type"))
                        .map(|t| {
                            format!(
                                " (expected {})",
                                t.as_str().map(article).unwrap_or_else(|| t.to_string())
                            )
                        })
                        .unwrap_or_default();
                    return fail(
                        &pointer,
                        format!("{} is required but missing{expected}", describe(&pointer)),
                    );
                }
            }
        }
        let count = fields.len() as u64;
        if let Some(min) = keywords.get("minProperties").and_then(Value::as_u64) {
            if count < min {
                return fail(
                    at,
                    format!(
                        "{} must have at least {min} fields (got {count})",
                        describe(at)
                    ),
                );
            }
        }
        if let Some(max) = keywords.get("maxProperties").and_then(Value::as_u64) {
            if count > max {
                return fail(
                    at,
                    format!(
                        "{} must have at most {max} fields (got {count})",
                        describe(at)
                    ),
                );
            }
        }
        for (key, field) in fields {
            let pointer = child(at, key);
            if let Some(schema) = properties.and_then(|p| p.get(key)) {
                self.check(schema, field, &pointer)?;
                continue;
            }
            match keywords.get("additionalProperties") {
                Some(Value::Bool(false)) => {
                    let known: Vec<&str> = properties
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let hint = if known.is_empty() {
                        "it takes no fields".to_string()
                    } else {
                        format!("the known fields are {}", known.join(", "))
                    };
                    return fail(
                        &pointer,
                        format!("{} is unknown: remove {key:?} ({hint})", describe(&pointer)),
                    );
                }
                Some(schema) => self.check(schema, field, &pointer)?,
                None => {}
            }
        }
        Ok(())
    }
}
