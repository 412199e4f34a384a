//! [`Plugin`]: what a plugin provides. Register resources, steps, handlers
//! and commands on it, then call [`Plugin::serve`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use crate::core::command::{CommandContext, CommandDef};
use crate::core::context::StepContext;
use crate::core::errors::HeddleError;
use crate::core::options::{CommandOptions, HandlerOptions, ResourceOptions, StepOptions};
use crate::core::pace::Pace;
use crate::core::resource::{Resource, ResourceDef};
use crate::core::schema::ConfigSchema;
use crate::core::step::{self, ComponentKind, Output, StepDef, StepRunner};
use crate::core::table::Table;
use crate::proto;

/// A plugin: a namespace and its components.
///
/// Registration methods panic on a programming error (a duplicate name, a
/// config type whose schema is not an object), so such bugs stop the plugin
/// at start rather than surfacing mid-call.
pub struct Plugin {
    pub(crate) namespace: String,
    pub(crate) version: String,
    pub(crate) description: String,
    pub(crate) resources: Vec<Arc<ResourceDef>>,
    pub(crate) steps: Vec<Arc<StepDef>>,
    pub(crate) commands: Vec<Arc<CommandDef>>,
    step_index: HashMap<String, usize>,
    resource_index: HashMap<String, usize>,
    command_index: HashMap<String, usize>,
}

impl Plugin {
    /// A plugin whose steps are addressed as `namespace.step`; version `0.0.0`
    /// until [`version`](Self::version) sets it.
    pub fn new(namespace: impl Into<String>) -> Self {
        Plugin {
            namespace: namespace.into(),
            version: "0.0.0".into(),
            description: String::new(),
            resources: Vec::new(),
            steps: Vec::new(),
            commands: Vec::new(),
            step_index: HashMap::new(),
            resource_index: HashMap::new(),
            command_index: HashMap::new(),
        }
    }

    /// Sets the version published in the manifest.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Sets the description published in the manifest.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Registers a resource kind. `open` builds an instance from its config
    /// (type `C`, validated against its schema first); a plain error or panic
    /// from it is `RESOURCE_INIT_FAILED`. Panics if the name is taken.
    pub fn resource<C, R, F>(&mut self, options: impl Into<ResourceOptions>, open: F) -> &mut Self
    where
        C: DeserializeOwned + JsonSchema + 'static,
        R: Resource,
        F: Fn(C) -> Result<R, HeddleError> + Send + Sync + 'static,
    {
        let def = ResourceDef::new(options.into(), open);
        let name = def.options.name.clone();
        insert_unique(
            &mut self.resource_index,
            &name,
            self.resources.len(),
            "resource",
        );
        self.resources.push(Arc::new(def));
        self
    }

    /// Registers a blocking step: `f(config, input, ctx)` may block or burn
    /// CPU (it runs via `block_in_place`, the server keeps answering other
    /// calls meanwhile; once its last runs all took microseconds it runs in
    /// place, see `core/pace.rs`). The config (type `C`) is validated before it runs;
    /// a plain error or panic is `STEP_FAILED`, a typed error keeps its code.
    /// Panics if the name is taken.
    pub fn step<C, O, F>(&mut self, options: impl Into<StepOptions>, f: F) -> &mut Self
    where
        C: DeserializeOwned + JsonSchema + 'static,
        O: Into<Output>,
        F: Fn(C, Table, &StepContext) -> Result<O, HeddleError> + Send + Sync + 'static,
    {
        let (run, pace) = step::blocking(f);
        self.add_step::<C>(options.into(), run, pace)
    }

    /// Registers an async step: `f(config, input, ctx)` returns a future that
    /// runs on the server's runtime (do not block in it). Otherwise as
    /// [`step`](Self::step).
    pub fn step_async<C, O, F, Fut>(&mut self, options: impl Into<StepOptions>, f: F) -> &mut Self
    where
        C: DeserializeOwned + JsonSchema + 'static,
        O: Into<Output>,
        F: Fn(C, Table, StepContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<O, HeddleError>> + Send + 'static,
    {
        self.add_step::<C>(options.into(), step::asynchronous(f), None)
    }

    /// Registers an error handler: a blocking function called like a step
    /// whose input is the errors table (see [`crate::core::handler`]).
    /// Panics if the name is taken by a step or handler.
    pub fn handler<C, O, F>(&mut self, options: impl Into<HandlerOptions>, f: F) -> &mut Self
    where
        C: DeserializeOwned + JsonSchema + 'static,
        O: Into<Output>,
        F: Fn(C, Table, &StepContext) -> Result<O, HeddleError> + Send + Sync + 'static,
    {
        let options = options.into();
        let (run, pace) = step::blocking(f);
        let def = StepDef {
            kind: ComponentKind::Handler,
            name: options.name,
            description: options.description,
            resources: options.resources,
            takes_input: true,
            input_schema: Some(crate::core::handler::errors_schema()),
            output_schema: None,
            schema: ConfigSchema::of::<C>(),
            run,
            pace,
        };
        self.push_step(def)
    }

    /// Registers a Heimdall command: `f(context, cmd)` runs on the blocking
    /// pool, writes lines with `cmd.stdout`/`cmd.stderr` and may return a
    /// result table. The context (type `C`) is validated first; a plain
    /// error or panic is `COMMAND_FAILED`. Panics if the name is taken.
    pub fn command<C, O, F>(&mut self, options: impl Into<CommandOptions>, f: F) -> &mut Self
    where
        C: DeserializeOwned + JsonSchema + 'static,
        O: Into<Output>,
        F: Fn(C, &CommandContext) -> Result<O, HeddleError> + Send + Sync + 'static,
    {
        let def = CommandDef::new(options.into(), f);
        let name = def.options.name.clone();
        insert_unique(
            &mut self.command_index,
            &name,
            self.commands.len(),
            "command",
        );
        self.commands.push(Arc::new(def));
        self
    }

    /// The protocol manifest (what `Describe` answers). Fails with
    /// `INVALID_OUTPUT` if a published Arrow schema cannot be encoded.
    pub fn manifest(&self) -> Result<proto::Manifest, HeddleError> {
        crate::sdk::manifest::build(self)
    }

    /// Problems that make the plugin unusable (a step needing a resource kind
    /// that is not registered), one message each; empty when all is well.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for def in &self.steps {
            for need in &def.resources {
                if !self.resource_index.contains_key(&need.kind) {
                    problems.push(format!(
                        "{} {:?} needs resource kind {:?} (binding {:?}) but the plugin registers no such resource",
                        if def.kind == ComponentKind::Handler { "handler" } else { "step" },
                        def.name,
                        need.kind,
                        need.binding
                    ));
                }
            }
        }
        problems
    }

    pub(crate) fn find_step(&self, name: &str) -> Option<&Arc<StepDef>> {
        self.step_index.get(name).map(|&i| &self.steps[i])
    }

    pub(crate) fn find_resource(&self, name: &str) -> Option<&Arc<ResourceDef>> {
        self.resource_index.get(name).map(|&i| &self.resources[i])
    }

    pub(crate) fn find_command(&self, name: &str) -> Option<&Arc<CommandDef>> {
        self.command_index.get(name).map(|&i| &self.commands[i])
    }

    fn add_step<C: JsonSchema>(
        &mut self,
        options: StepOptions,
        run: StepRunner,
        pace: Option<Arc<Pace>>,
    ) -> &mut Self {
        let def = StepDef {
            kind: ComponentKind::Step,
            name: options.name,
            description: options.description,
            resources: options.resources,
            takes_input: options.takes_input,
            input_schema: options.input_schema,
            output_schema: options.output_schema,
            schema: ConfigSchema::of::<C>(),
            run,
            pace,
        };
        self.push_step(def)
    }

    fn push_step(&mut self, def: StepDef) -> &mut Self {
        insert_unique(
            &mut self.step_index,
            &def.name,
            self.steps.len(),
            "step or handler",
        );
        self.steps.push(Arc::new(def));
        self
    }
}

fn insert_unique(index: &mut HashMap<String, usize>, name: &str, position: usize, what: &str) {
    assert!(!name.is_empty(), "a {what} needs a non-empty name");
    if index.insert(name.to_string(), position).is_some() {
        panic!("a {what} named {name:?} is already registered: names must be unique");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::step::NoConfig;

    fn echo(_: NoConfig, input: Table, _: &StepContext) -> Result<Table, HeddleError> {
        Ok(input)
    }

    #[test]
    fn builds_the_manifest_in_registration_order() {
        let mut plugin = Plugin::new("demo").version("1.2.3").description("d");
        plugin.step(StepOptions::new("b").source().description("second"), echo);
        plugin.step("a", echo);
        plugin.handler("h", echo);
        plugin.command("c", |_: NoConfig, _: &CommandContext| {
            Ok::<_, HeddleError>(())
        });
        let manifest = plugin.manifest().unwrap();
        assert_eq!(
            (manifest.namespace.as_str(), manifest.version.as_str()),
            ("demo", "1.2.3")
        );
        let steps: Vec<(&str, bool)> = manifest
            .steps
            .iter()
            .map(|s| (s.name.as_str(), s.takes_input))
            .collect();
        assert_eq!(steps, [("b", false), ("a", true)]);
        assert_eq!(manifest.handlers[0].name, "h");
        assert_eq!(manifest.commands[0].mode, proto::ExecutionMode::Both as i32);
        let schema: serde_json::Value =
            serde_json::from_str(&manifest.steps[0].config_schema_json).unwrap();
        assert_eq!(schema["additionalProperties"], false);
        assert!(plugin.problems().is_empty());
    }

    #[test]
    fn reports_steps_whose_resource_kind_is_missing() {
        let mut plugin = Plugin::new("demo");
        plugin.step(StepOptions::new("s").resource("db", "postgres"), echo);
        let problems = plugin.problems();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].contains("postgres") && problems[0].contains("\"s\""),
            "{}",
            problems[0]
        );
    }

    #[test]
    #[should_panic(expected = "already registered")]
    fn duplicate_names_panic_at_registration() {
        let mut plugin = Plugin::new("demo");
        plugin.step("x", echo);
        plugin.handler("x", echo);
    }
}
