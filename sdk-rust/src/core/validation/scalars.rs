//! Keyword checks on a single value: `type`, `enum`, `const`, numeric
//! bounds and integer formats, string lengths and patterns.

use serde_json::{Map, Value};

use super::{describe, fail, Validator, Violation};

/// A short rendering of a value for messages.
pub(super) fn shown(value: &Value) -> String {
    let kind = match value {
        Value::Null => return "null".into(),
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => return "an array".into(),
        Value::Object(_) => return "an object".into(),
    };
    let mut text = value.to_string();
    if text.len() > 60 {
        let mut cut = 57;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    format!("{kind} {text}")
}

fn is_type(value: &Value, name: &str) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => match value {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        },
        _ => true,
    }
}

pub(super) fn article(name: &str) -> String {
    match name {
        "integer" | "object" | "array" => format!("an {name}"),
        "null" => "null".into(),
        _ => format!("a {name}"),
    }
}

/// The inclusive range of an integer `format` that schema generators emit.
fn format_range(format: &str) -> Option<(f64, f64)> {
    Some(match format {
        "int8" => (i8::MIN as f64, i8::MAX as f64),
        "int16" => (i16::MIN as f64, i16::MAX as f64),
        "int32" => (i32::MIN as f64, i32::MAX as f64),
        "int64" => (i64::MIN as f64, i64::MAX as f64),
        "uint8" => (0.0, u8::MAX as f64),
        "uint16" => (0.0, u16::MAX as f64),
        "uint32" => (0.0, u32::MAX as f64),
        "uint64" | "uint" => (0.0, u64::MAX as f64),
        _ => return None,
    })
}

impl Validator<'_> {
    pub(super) fn check_type(
        &self,
        keywords: &Map<String, Value>,
        value: &Value,
        at: &str,
    ) -> Result<(), Violation> {
        let names: Vec<&str> = match keywords.get("type") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => return Ok(()),
        };
        if names.iter().any(|n| is_type(value, n)) {
            return Ok(());
        }
        let wanted: Vec<String> = names.iter().map(|n| article(n)).collect();
        fail(
            at,
            format!(
                "{} must be {} (got {})",
                describe(at),
                wanted.join(" or "),
                shown(value)
            ),
        )
    }

    pub(super) fn check_values(
        &self,
        keywords: &Map<String, Value>,
        value: &Value,
        at: &str,
    ) -> Result<(), Violation> {
        if let Some(Value::Array(allowed)) = keywords.get("enum") {
            if !allowed.contains(value) {
                let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
                return fail(
                    at,
                    format!(
                        "{} must be one of {} (got {})",
                        describe(at),
                        list.join(", "),
                        shown(value)
                    ),
                );
            }
        }
        if let Some(expected) = keywords.get("const") {
            if expected != value {
                return fail(
                    at,
                    format!("{} must be {expected} (got {})", describe(at), shown(value)),
                );
            }
        }
        Ok(())
    }

    pub(super) fn check_number(
        &self,
        keywords: &Map<String, Value>,
        value: &Value,
        at: &str,
    ) -> Result<(), Violation> {
        let n = value.as_f64().unwrap_or(f64::NAN);
        let bound = |key: &str| keywords.get(key).and_then(Value::as_f64);
        let name = describe(at);
        if let Some(min) = bound("minimum") {
            if n < min {
                return fail(
                    at,
                    format!("{name} must be >= {} (got {value})", keywords["minimum"]),
                );
            }
        }
        if let Some(max) = bound("maximum") {
            if n > max {
                return fail(
                    at,
                    format!("{name} must be <= {} (got {value})", keywords["maximum"]),
                );
            }
        }
        if let Some(min) = bound("exclusiveMinimum") {
            if n <= min {
                return fail(
                    at,
                    format!(
                        "{name} must be > {} (got {value})",
                        keywords["exclusiveMinimum"]
                    ),
                );
            }
        }
        if let Some(max) = bound("exclusiveMaximum") {
            if n >= max {
                return fail(
                    at,
                    format!(
                        "{name} must be < {} (got {value})",
                        keywords["exclusiveMaximum"]
                    ),
                );
            }
        }
        if let Some(step) = bound("multipleOf") {
            if step > 0.0 && (n / step).fract().abs() > 1e-9 {
                return fail(
                    at,
                    format!(
                        "{name} must be a multiple of {} (got {value})",
                        keywords["multipleOf"]
                    ),
                );
            }
        }
        if let Some((low, high)) = keywords
            .get("format")
            .and_then(Value::as_str)
            .and_then(format_range)
        {
            if n < low || n > high {
                return fail(
                    at,
                    format!(
                        "{name} is out of range for {} (got {value})",
                        keywords["format"]
                    ),
                );
            }
        }
        Ok(())
    }

    pub(super) fn check_string(
        &self,
        keywords: &Map<String, Value>,
        text: &str,
        at: &str,
    ) -> Result<(), Violation> {
        let length = text.chars().count() as u64;
        let name = describe(at);
        if let Some(min) = keywords.get("minLength").and_then(Value::as_u64) {
            if length < min {
                return fail(
                    at,
                    format!("{name} must be at least {min} characters long (got {length})"),
                );
            }
        }
        if let Some(max) = keywords.get("maxLength").and_then(Value::as_u64) {
            if length > max {
                return fail(
                    at,
                    format!("{name} must be at most {max} characters long (got {length})"),
                );
            }
        }
        if let Some(Value::String(pattern)) = keywords.get("pattern") {
            let regex = regex_lite::Regex::new(pattern).map_err(|e| Violation {
                pointer: at.to_string(),
                message: format!(
                    "the config schema's pattern {pattern:?} for {name} is not a valid regex: {e}"
                ),
            })?;
            if !regex.is_match(text) {
                return fail(
                    at,
                    format!("{name} must match the pattern {pattern:?} (got {text:?})"),
                );
            }
        }
        Ok(())
    }
}
