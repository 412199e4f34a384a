//! A JSON Schema (draft 2020-12) validator for config objects, covering the
//! keywords that config schemas use: `type`, `enum`, `const`, `$ref`,
//! `properties`, `required`, `additionalProperties`, `items`, `prefixItems`,
//! numeric bounds and integer `format`s, string lengths and `pattern`,
//! array and object sizes, `allOf`/`anyOf`/`oneOf`/`not`. Unknown keywords
//! (annotations such as `title`, `default`, `description`) are ignored.
//!
//! Each failure names the offending field as a JSON pointer, which the SDK
//! sends as `Error.field` with `INVALID_CONFIG`.

use serde_json::{Map, Value};

mod containers;
mod scalars;
#[cfg(test)]
mod tests;

use scalars::shown;

/// One violation: where (JSON pointer, `""` for the whole config) and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// JSON pointer of the offending field.
    pub pointer: String,
    /// What was wrong, naming the field.
    pub message: String,
}

/// Checks `value` against `schema` (whose `$ref`s resolve inside itself) and
/// returns the first violation found.
pub fn validate(schema: &Value, value: &Value) -> Result<(), Violation> {
    Validator { root: schema }.check(schema, value, "")
}

/// How a pointer reads in a message: `config field /a/b`, or `config`.
pub fn describe(pointer: &str) -> String {
    if pointer.is_empty() {
        "config".to_string()
    } else {
        format!("config field {pointer}")
    }
}

/// Appends one reference token to a JSON pointer (escaping `~` and `/`).
pub fn child(pointer: &str, token: &str) -> String {
    format!("{pointer}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// Walks a value against a schema; `root` resolves `$ref`s.
struct Validator<'a> {
    root: &'a Value,
}

fn fail<T>(pointer: &str, message: String) -> Result<T, Violation> {
    Err(Violation {
        pointer: pointer.to_string(),
        message,
    })
}

impl<'a> Validator<'a> {
    fn check(&self, schema: &'a Value, value: &Value, at: &str) -> Result<(), Violation> {
        let keywords = match schema {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => return fail(at, format!("{} is not allowed", describe(at))),
            Value::Object(map) => map,
            _ => return Ok(()),
        };
        if let Some(Value::String(reference)) = keywords.get("$ref") {
            self.check(self.resolve(reference, at)?, value, at)?;
        }
        self.check_type(keywords, value, at)?;
        self.check_values(keywords, value, at)?;
        match value {
            Value::Number(_) => self.check_number(keywords, value, at)?,
            Value::String(text) => self.check_string(keywords, text, at)?,
            Value::Array(items) => self.check_array(keywords, items, at)?,
            Value::Object(fields) => self.check_object(keywords, fields, at)?,
            _ => {}
        }
        self.check_combinators(keywords, value, at)
    }

    fn resolve(&self, reference: &str, at: &str) -> Result<&'a Value, Violation> {
        let target = reference.strip_prefix('#').and_then(|p| {
            if p.is_empty() {
                Some(self.root)
            } else {
                self.root.pointer(p)
            }
        });
        match target {
            Some(schema) => Ok(schema),
            None => fail(at, format!("the config schema has an unresolvable $ref {reference:?} (a bug in the plugin's schema)")),
        }
    }

    fn check_combinators(
        &self,
        keywords: &'a Map<String, Value>,
        value: &Value,
        at: &str,
    ) -> Result<(), Violation> {
        if let Some(Value::Array(all)) = keywords.get("allOf") {
            for schema in all {
                self.check(schema, value, at)?;
            }
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(Value::Array(choices)) = keywords.get(key) {
                self.check_const_choices(choices, value, at)?;
            }
        }
        if let Some(Value::Array(any)) = keywords.get("anyOf") {
            let mut failures = Vec::new();
            for schema in any {
                match self.check(schema, value, at) {
                    Ok(()) => {
                        failures.clear();
                        break;
                    }
                    Err(v) => failures.push(v),
                }
            }
            if let Some(v) = deepest(failures) {
                return Err(v);
            }
        }
        if let Some(Value::Array(one)) = keywords.get("oneOf") {
            let mut failures = Vec::new();
            let mut matched = 0;
            for schema in one {
                match self.check(schema, value, at) {
                    Ok(()) => matched += 1,
                    Err(v) => failures.push(v),
                }
            }
            if matched > 1 {
                return fail(
                    at,
                    format!(
                        "{} matches more than one of the allowed forms",
                        describe(at)
                    ),
                );
            }
            if matched == 0 {
                if let Some(v) = deepest(failures) {
                    return Err(v);
                }
            }
        }
        if let Some(not) = keywords.get("not") {
            if self.check(not, value, at).is_ok() {
                return fail(
                    at,
                    format!(
                        "{} has a value that is not allowed (got {})",
                        describe(at),
                        shown(value)
                    ),
                );
            }
        }
        Ok(())
    }

    /// `oneOf`/`anyOf` whose alternatives are all `const` (how documented
    /// enum variants come out) read as one list: "must be one of a, b".
    fn check_const_choices(
        &self,
        choices: &[Value],
        value: &Value,
        at: &str,
    ) -> Result<(), Violation> {
        let consts: Option<Vec<&Value>> = choices.iter().map(|c| c.get("const")).collect();
        match consts {
            Some(allowed) if !allowed.is_empty() && !allowed.contains(&value) => {
                let list: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
                fail(
                    at,
                    format!(
                        "{} must be one of {} (got {})",
                        describe(at),
                        list.join(", "),
                        shown(value)
                    ),
                )
            }
            _ => Ok(()),
        }
    }
}

/// Of the reasons each alternative failed, the one that got furthest into
/// the value is the most useful to show (`Option<Struct>` fails "not null"
/// at the top, but the struct's own complaint is deeper and clearer).
fn deepest(failures: Vec<Violation>) -> Option<Violation> {
    if failures.is_empty() {
        return None;
    }
    let depth = |v: &Violation| v.pointer.matches('/').count();
    let best = failures.iter().map(depth).max().unwrap_or(0);
    let candidates: Vec<&Violation> = failures.iter().filter(|v| depth(v) == best).collect();
    if candidates.len() == 1 {
        return Some(candidates[0].clone());
    }
    // Several alternatives failed at the same place: list what each wanted.
    let first = candidates[0];
    let mut reasons: Vec<&str> = candidates.iter().map(|v| v.message.as_str()).collect();
    reasons.dedup();
    Some(Violation {
        pointer: first.pointer.clone(),
        message: if reasons.len() == 1 {
            reasons[0].to_string()
        } else {
            reasons.join("; or ")
        },
    })
}
