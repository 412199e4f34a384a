//! Registration options for steps, handlers, resources and commands: what the
//! manifest says about each component besides its code and config type.
//! Each converts from a plain name (`plugin.step("echo", f)`).

use arrow_schema::SchemaRef;
use schemars::JsonSchema;

use crate::core::schema::ConfigSchema;
use crate::proto::ExecutionMode;

/// A resource a step or handler needs, bound at call time under `binding`
/// to an open instance of resource kind `kind`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    /// The binding name (`<binding=instance>` in a Heddle step).
    pub binding: String,
    /// The resource kind the instance must be.
    pub kind: String,
    /// Whether the call may leave it out.
    pub optional: bool,
}

/// What the manifest says about a step.
#[derive(Clone, Debug)]
pub struct StepOptions {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) resources: Vec<Requirement>,
    pub(crate) takes_input: bool,
    pub(crate) input_schema: Option<SchemaRef>,
    pub(crate) output_schema: Option<SchemaRef>,
}

impl StepOptions {
    /// A step called `name` (without namespace) that takes an input table.
    pub fn new(name: impl Into<String>) -> Self {
        StepOptions {
            name: name.into(),
            description: String::new(),
            resources: Vec::new(),
            takes_input: true,
            input_schema: None,
            output_schema: None,
        }
    }

    /// A one-line description for the manifest.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// Requires an open instance of resource `kind` under `binding`; calls
    /// without it fail with `MISSING_RESOURCE` before the step runs.
    pub fn resource(mut self, binding: impl Into<String>, kind: impl Into<String>) -> Self {
        self.resources.push(Requirement {
            binding: binding.into(),
            kind: kind.into(),
            optional: false,
        });
        self
    }

    /// Like [`resource`](Self::resource) but the call may leave it out.
    pub fn optional_resource(
        mut self,
        binding: impl Into<String>,
        kind: impl Into<String>,
    ) -> Self {
        self.resources.push(Requirement {
            binding: binding.into(),
            kind: kind.into(),
            optional: true,
        });
        self
    }

    /// Marks the step a source: it takes no input table (it gets an empty one).
    pub fn source(mut self) -> Self {
        self.takes_input = false;
        self
    }

    /// Publishes the input's Arrow schema in the manifest.
    pub fn input_schema(mut self, schema: SchemaRef) -> Self {
        self.input_schema = Some(schema);
        self
    }

    /// Publishes the output's Arrow schema in the manifest.
    pub fn output_schema(mut self, schema: SchemaRef) -> Self {
        self.output_schema = Some(schema);
        self
    }
}

/// What the manifest says about an error handler.
#[derive(Clone, Debug)]
pub struct HandlerOptions {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) resources: Vec<Requirement>,
}

impl HandlerOptions {
    /// A handler called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        HandlerOptions {
            name: name.into(),
            description: String::new(),
            resources: Vec::new(),
        }
    }

    /// A one-line description for the manifest.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// Requires an open instance of resource `kind` under `binding`.
    pub fn resource(mut self, binding: impl Into<String>, kind: impl Into<String>) -> Self {
        self.resources.push(Requirement {
            binding: binding.into(),
            kind: kind.into(),
            optional: false,
        });
        self
    }
}

/// What the manifest says about a resource kind.
#[derive(Clone, Debug)]
pub struct ResourceOptions {
    pub(crate) name: String,
    pub(crate) description: String,
}

impl ResourceOptions {
    /// A resource kind called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        ResourceOptions {
            name: name.into(),
            description: String::new(),
        }
    }

    /// A one-line description for the manifest.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }
}

/// What the manifest says about a Heimdall command.
#[derive(Clone, Debug)]
pub struct CommandOptions {
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) mode: ExecutionMode,
    pub(crate) cluster_types: Vec<String>,
    pub(crate) cluster_context_schema: Option<ConfigSchema>,
}

impl CommandOptions {
    /// A command called `name`, runnable sync and async (`EXECUTION_MODE_BOTH`).
    pub fn new(name: impl Into<String>) -> Self {
        CommandOptions {
            name: name.into(),
            description: String::new(),
            mode: ExecutionMode::Both,
            cluster_types: Vec::new(),
            cluster_context_schema: None,
        }
    }

    /// A one-line description for the manifest.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// How Heimdall may run it (sync, async or both).
    pub fn mode(mut self, mode: ExecutionMode) -> Self {
        self.mode = mode;
        self
    }

    /// Cluster types it can run on.
    pub fn cluster_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.cluster_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Publishes the schema of the cluster context it expects, generated
    /// from type `T`. Panics when `T`'s schema is not an object schema.
    pub fn cluster_context<T: JsonSchema>(mut self) -> Self {
        self.cluster_context_schema = Some(ConfigSchema::of::<T>());
        self
    }
}

macro_rules! from_name {
    ($($options:ty),*) => {$(
        impl From<&str> for $options {
            fn from(name: &str) -> Self {
                <$options>::new(name)
            }
        }
        impl From<String> for $options {
            fn from(name: String) -> Self {
                <$options>::new(name)
            }
        }
    )*};
}

from_name!(StepOptions, HandlerOptions, ResourceOptions, CommandOptions);
