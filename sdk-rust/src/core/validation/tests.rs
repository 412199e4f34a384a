//! Unit tests of the config validator.

use super::*;
use serde_json::json;

fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "count": {"type": "integer", "format": "int64", "minimum": 1},
            "mode": {"$ref": "#/$defs/Mode", "default": "a"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "inner": {"anyOf": [{"$ref": "#/$defs/Inner"}, {"type": "null"}]},
            "small": {"type": "integer", "format": "uint8"}
        },
        "required": ["name", "count"],
        "additionalProperties": false,
        "$defs": {
            "Mode": {"type": "string", "enum": ["a", "b"]},
            "Inner": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"], "additionalProperties": false}
        }
    })
}

fn violation(value: Value) -> Violation {
    validate(&schema(), &value).unwrap_err()
}

#[test]
fn accepts_a_valid_config() {
    validate(
        &schema(),
        &json!({"name": "n", "count": 2, "mode": "b", "tags": ["x"], "inner": {"x": 1.5}}),
    )
    .unwrap();
    validate(
        &schema(),
        &json!({"name": "n", "count": 2.0, "inner": null}),
    )
    .unwrap();
}

#[test]
fn names_the_missing_field() {
    let v = violation(json!({"name": "n"}));
    assert_eq!(v.pointer, "/count");
    assert!(
        v.message
            .contains("/count is required but missing (expected an integer)"),
        "{}",
        v.message
    );
}

#[test]
fn rejects_unknown_fields() {
    let v = violation(json!({"name": "n", "count": 1, "colour": "red"}));
    assert_eq!(v.pointer, "/colour");
    assert!(
        v.message.contains("colour") && v.message.contains("name, count"),
        "{}",
        v.message
    );
}

#[test]
fn checks_types_bounds_enums_and_formats() {
    assert_eq!(violation(json!({"name": 42, "count": 1})).pointer, "/name");
    let v = violation(json!({"name": "n", "count": 0}));
    assert_eq!(
        (v.pointer.as_str(), v.message.as_str()),
        ("/count", "config field /count must be >= 1 (got 0)")
    );
    let v = violation(json!({"name": "n", "count": 1, "mode": "z"}));
    assert_eq!(v.pointer, "/mode");
    assert!(v.message.contains("\"a\", \"b\""), "{}", v.message);
    assert_eq!(
        violation(json!({"name": "n", "count": 1.5})).pointer,
        "/count"
    );
    assert_eq!(
        violation(json!({"name": "n", "count": 1, "small": 300})).pointer,
        "/small"
    );
    assert_eq!(violation(json!({"name": "", "count": 1})).pointer, "/name");
    assert_eq!(
        violation(json!({"name": "n", "count": 1, "tags": ["a", 2]})).pointer,
        "/tags/1"
    );
}

#[test]
fn reports_the_deepest_alternative() {
    let v = violation(json!({"name": "n", "count": 1, "inner": {"x": "no"}}));
    assert_eq!(v.pointer, "/inner/x");
}

#[test]
fn root_must_be_an_object() {
    let v = violation(json!([1]));
    assert_eq!(v.pointer, "");
    assert!(
        v.message.starts_with("config must be an object"),
        "{}",
        v.message
    );
}

#[test]
fn pointers_escape_tokens() {
    assert_eq!(child("/a", "b/c~d"), "/a/b~1c~0d");
}

#[test]
fn documented_enum_variants_read_as_one_list() {
    let schema = json!({"oneOf": [{"type": "string", "const": "sha256"}, {"type": "string", "const": "sha512"}]});
    let v = validate(&schema, &json!("md5")).unwrap_err();
    assert_eq!(
        v.message,
        r#"config must be one of "sha256", "sha512" (got string "md5")"#
    );
    validate(&schema, &json!("sha512")).unwrap();
}
