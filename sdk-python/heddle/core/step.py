"""Steps: their config base class and what the SDK records about each registered step.

    class HashConfig(StepConfig[VaultConfig]):
        algorithm: str

    @plugin.step(name="hash", resource="vault")
    def hash_password(config: HashConfig, input: CredentialsTable) -> SecureTable:
        vault = config.resource  # the open `vault` instance bound to this call

`StepConfig[ResourceConfigT]` documents which resource config the step's
resource is built from; `config.resource` is the injected resource instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Generic, List, Mapping, Optional, TypeVar, Union

import pyarrow as pa

from .config import Config
from .schema import ConfigSchema
from .signature import Parameters

ResourceConfigT = TypeVar("ResourceConfigT")

RESERVED_CONFIG_FIELDS = ("resource", "resources")
"""Names a StepConfig may not use for fields: they give the injected resources."""


class StepConfig(Config, Generic[ResourceConfigT]):
    """Base of step config classes (fields are annotations, as for any Config).

    `resource` is the resource instance bound to the call when the step
    declares exactly one resource; `resources` maps every binding to its
    instance (None for an optional binding the call did not give).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        clash = [n for n in RESERVED_CONFIG_FIELDS if n in cls.__dict__.get("__annotations__", {})]
        if clash:
            raise TypeError(f"{cls.__name__}: a StepConfig cannot have a field named {clash[0]!r}; it is reserved for injected resources")

    @property
    def resource(self) -> Any:
        """The one injected resource instance.

        Raises LookupError when the step declares no resource or several (use `resources`).
        """
        resources: Dict[str, Any] = self.__dict__.get("_heddle_resources") or {}
        if len(resources) != 1:
            names = ", ".join(resources) or "none"
            raise LookupError(
                f"config.resource needs a step with exactly one resource (this one has: {names}); "
                "use config.resources[binding] or declare resource= on the step"
            )
        return next(iter(resources.values()))

    @property
    def resources(self) -> Mapping[str, Any]:
        """Binding name → injected resource instance."""
        return self.__dict__.get("_heddle_resources") or {}


@dataclass(frozen=True)
class ResourceBinding:
    """One resource a step needs: bound at call time under `binding` to an open instance of `kind`."""

    kind: str
    binding: str = ""
    optional: bool = False


BindingsArg = Union[None, str, Mapping[str, Union[str, ResourceBinding]]]


def normalize_bindings(what: str, resource: Optional[str], resources: BindingsArg) -> List[ResourceBinding]:
    """Turns the `resource=`/`resources=` decorator arguments into bindings.

    `resource="vault"` means binding `vault` of kind `vault`; `resources` maps
    binding → kind (or ResourceBinding). Raises TypeError for both at once or bad values.
    """
    if resource and resources:
        raise TypeError(f"{what}: give either resource= or resources=, not both")
    if resource:
        return [ResourceBinding(kind=resource, binding=resource)]
    if isinstance(resources, str):
        return [ResourceBinding(kind=resources, binding=resources)]
    bindings = []
    for binding, spec in (resources or {}).items():
        if isinstance(spec, str):
            bindings.append(ResourceBinding(kind=spec, binding=binding))
        elif isinstance(spec, ResourceBinding):
            bindings.append(ResourceBinding(kind=spec.kind, binding=binding, optional=spec.optional))
        else:
            raise TypeError(f"{what}: resources[{binding!r}] must be a kind name or ResourceBinding, got {spec!r}")
    return bindings


@dataclass
class StepDefinition:
    """Everything the SDK knows about one registered step or handler (built at registration)."""

    name: str
    fn: Callable[..., Any]
    description: str
    params: Parameters
    schema: ConfigSchema
    bindings: List[ResourceBinding]
    takes_input: bool
    input_schema: Optional[pa.Schema] = None
    output_schema: Optional[pa.Schema] = None
    kind: str = "step"

    @property
    def wants_resources_on_config(self) -> bool:
        """Whether the config object can carry injected resources (StepConfig subclasses)."""
        config_type = self.params.config_type
        return isinstance(config_type, type) and issubclass(config_type, StepConfig)
