//! Builds the protocol `Manifest` (protocol §3) from a registered plugin.

use bytes::Bytes;

use crate::core::errors::HeddleError;
use crate::core::ipc;
use crate::core::options::Requirement;
use crate::core::step::ComponentKind;
use crate::proto;
use crate::sdk::plugin::Plugin;

/// The manifest of `plugin`. Fails with `INVALID_OUTPUT` if a published
/// Arrow schema cannot be encoded.
pub(crate) fn build(plugin: &Plugin) -> Result<proto::Manifest, HeddleError> {
    let mut manifest = proto::Manifest {
        namespace: plugin.namespace.clone(),
        version: plugin.version.clone(),
        description: plugin.description.clone(),
        ..Default::default()
    };
    for def in &plugin.resources {
        manifest.resources.push(proto::ResourceSpec {
            name: def.options.name.clone(),
            description: def.options.description.clone(),
            config_schema_json: def.schema.text().to_string(),
        });
    }
    for def in &plugin.steps {
        let resources = requirements(&def.resources);
        match def.kind {
            ComponentKind::Step => manifest.steps.push(proto::StepSpec {
                name: def.name.clone(),
                description: def.description.clone(),
                config_schema_json: def.schema.text().to_string(),
                resources,
                input_schema: schema_bytes(def.input_schema.as_deref())?,
                output_schema: schema_bytes(def.output_schema.as_deref())?,
                takes_input: def.takes_input,
            }),
            ComponentKind::Handler => manifest.handlers.push(proto::HandlerSpec {
                name: def.name.clone(),
                description: def.description.clone(),
                config_schema_json: def.schema.text().to_string(),
                resources,
            }),
        }
    }
    for def in &plugin.commands {
        let options = &def.options;
        manifest.commands.push(proto::CommandSpec {
            name: options.name.clone(),
            description: options.description.clone(),
            context_schema_json: def.schema.text().to_string(),
            mode: options.mode as i32,
            cluster_types: options.cluster_types.clone(),
            cluster_context_schema_json: options
                .cluster_context_schema
                .as_ref()
                .map(|s| s.text().to_string())
                .unwrap_or_default(),
        });
    }
    Ok(manifest)
}

fn requirements(needs: &[Requirement]) -> Vec<proto::ResourceRequirement> {
    needs
        .iter()
        .map(|n| proto::ResourceRequirement {
            binding: n.binding.clone(),
            kind: n.kind.clone(),
            optional: n.optional,
        })
        .collect()
}

fn schema_bytes(schema: Option<&arrow_schema::Schema>) -> Result<Bytes, HeddleError> {
    schema
        .map(ipc::encode_schema)
        .transpose()
        .map(Option::unwrap_or_default)
}
