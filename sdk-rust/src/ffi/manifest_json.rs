//! The manifest as JSON for `heddle_describe`: the protobuf JSON mapping of
//! `heddle.plugin.v1.Manifest` (lowerCamelCase names, `bytes` as base64), so
//! a host decodes it with the same code as a `Describe` answer.

use serde_json::{json, Value};

use crate::ffi::base64;
use crate::proto;

/// Converts a manifest to its protobuf-JSON form.
pub(crate) fn to_json(m: &proto::Manifest) -> Value {
    json!({
        "namespace": m.namespace,
        "version": m.version,
        "description": m.description,
        "resources": m.resources.iter().map(|r| json!({
            "name": r.name,
            "description": r.description,
            "configSchemaJson": r.config_schema_json,
        })).collect::<Vec<_>>(),
        "steps": m.steps.iter().map(|s| json!({
            "name": s.name,
            "description": s.description,
            "configSchemaJson": s.config_schema_json,
            "resources": requirements(&s.resources),
            "inputSchema": base64::encode(&s.input_schema),
            "outputSchema": base64::encode(&s.output_schema),
            "takesInput": s.takes_input,
        })).collect::<Vec<_>>(),
        "handlers": m.handlers.iter().map(|h| json!({
            "name": h.name,
            "description": h.description,
            "configSchemaJson": h.config_schema_json,
            "resources": requirements(&h.resources),
        })).collect::<Vec<_>>(),
        "commands": m.commands.iter().map(|c| json!({
            "name": c.name,
            "description": c.description,
            "contextSchemaJson": c.context_schema_json,
            "mode": c.mode,
            "clusterTypes": c.cluster_types,
            "clusterContextSchemaJson": c.cluster_context_schema_json,
        })).collect::<Vec<_>>(),
    })
}

fn requirements(list: &[proto::ResourceRequirement]) -> Vec<Value> {
    list.iter()
        .map(|r| json!({"binding": r.binding, "kind": r.kind, "optional": r.optional}))
        .collect()
}
