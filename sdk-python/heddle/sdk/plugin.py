"""Plugin: registers resources, steps, handlers and commands, and serves them.

    plugin = Plugin(namespace="security")

    @plugin.resource(name="vault")
    def init_vault(config: VaultConfig) -> Vault: ...

    @plugin.step(name="hash", resource="vault")
    def hash_password(config: HashConfig, input: CredentialsTable) -> SecureTable: ...

    if __name__ == "__main__":
        plugin.serve()

Everything a call needs (config schemas, parameter layout, the manifest) is
worked out here at registration, so mistakes surface when the module loads
and calls do no reflection.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import sys
from typing import Any, Callable, Dict, Iterable, Optional, TypeVar, Union

import pyarrow as pa

from ..core.command import CommandContext, CommandDefinition, ExecutionMode
from ..core.logger import Logger, get_logger
from ..core.resource import ResourceDefinition
from ..core.schema import ConfigSchema
from ..core.signature import read_parameters
from ..core.step import BindingsArg, StepDefinition, normalize_bindings

F = TypeVar("F", bound=Callable[..., Any])

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_DEFAULT_VERSION = "0.0.0"


def _check_name(what: str, name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{what} name {name!r} is not valid: use letters, digits, '_' or '-', starting with a letter or '_'")
    return name


def _doc(fn: Any, description: Optional[str]) -> str:
    if description is not None:
        return description
    return inspect.cleandoc(fn.__doc__).split("\n\n")[0] if getattr(fn, "__doc__", None) else ""


class Plugin:
    """A plugin: a namespace of resources, steps, handlers and commands.

    `version` and `description` default to those in the plugin folder's
    `heddle-plugin.json` (found through `HEDDLE_PLUGIN_DIR` or the main
    script's folder), else "0.0.0" and "". Registration raises ValueError for
    a bad or duplicate name and TypeError for a function whose parameters or
    config types the SDK cannot use.
    """

    def __init__(self, namespace: str, version: Optional[str] = None, description: Optional[str] = None) -> None:
        self.namespace = _check_name("namespace", namespace)
        self._version = version
        self._description = description
        self.resources: Dict[str, ResourceDefinition] = {}
        self.steps: Dict[str, StepDefinition] = {}
        self.handlers: Dict[str, StepDefinition] = {}
        self.commands: Dict[str, CommandDefinition] = {}
        self.logger: Logger = get_logger()

    # -- metadata ---------------------------------------------------------------------

    @property
    def version(self) -> str:
        """The plugin version reported in the manifest."""
        if self._version is None:
            self._version = str(_plugin_json().get("version") or _DEFAULT_VERSION)
        return self._version

    @property
    def description(self) -> str:
        """The plugin description reported in the manifest."""
        if self._description is None:
            self._description = str(_plugin_json().get("description") or "")
        return self._description

    def callable(self, name: str) -> Optional[StepDefinition]:
        """The step or handler called `name`, or None."""
        return self.steps.get(name) or self.handlers.get(name)

    # -- registration -----------------------------------------------------------------

    def resource(
        self, name: Any = None, *, description: Optional[str] = None, config: Any = None
    ) -> Any:
        """Registers a resource kind built by the decorated function or class (bare or with arguments).

        The factory receives the validated config (its parameter annotated with
        a ResourceConfig subclass, TypedDict or dataclass; `config=` overrides
        the annotation) and returns the instance. Returns the factory unchanged.
        """
        if callable(name):  # used bare: @plugin.resource
            return self.resource()(name)

        def register(factory: F) -> F:
            kind = _check_name("resource", name or factory.__name__)
            if kind in self.resources:
                raise ValueError(f"resource {kind!r} is registered twice")
            what = f"resource {kind!r}"
            if inspect.isclass(factory):  # a Resource class: its constructor takes the config
                params = read_parameters(factory.__init__, what, skip_self=True)
            else:
                params = read_parameters(factory, what)
            if config is not None:
                params.config_type = config
            self.resources[kind] = ResourceDefinition(
                name=kind,
                factory=factory,
                description=_doc(factory, description),
                params=params,
                schema=ConfigSchema.for_type(params.config_type),
            )
            return factory

        return register

    def step(
        self,
        fn: Optional[F] = None,
        *,
        name: Optional[str] = None,
        resource: Optional[str] = None,
        resources: BindingsArg = None,
        description: Optional[str] = None,
        config: Any = None,
        takes_input: Optional[bool] = None,
        input_schema: Optional[pa.Schema] = None,
        output_schema: Optional[pa.Schema] = None,
    ) -> Any:
        """Registers a step (usable bare, `@plugin.step`, or with arguments).

        `resource="vault"` injects the `vault` instance bound to the call
        (`config.resource`, `ctx.resources["vault"]`); `resources` maps several
        binding names to kinds. `takes_input` defaults to whether the function
        has an input parameter. Returns the function unchanged.
        """
        options = dict(name=name, resource=resource, resources=resources, description=description, config=config)
        options.update(takes_input=takes_input, input_schema=input_schema, output_schema=output_schema)
        return self._decorate(fn, lambda f: self._add_callable(f, "step", self.steps, **options))

    def handler(
        self,
        fn: Optional[F] = None,
        *,
        name: Optional[str] = None,
        resource: Optional[str] = None,
        resources: BindingsArg = None,
        description: Optional[str] = None,
        config: Any = None,
    ) -> Any:
        """Registers an error handler: a step whose input is the errors table (see core/handler.py)."""
        options = dict(name=name, resource=resource, resources=resources, description=description, config=config)
        return self._decorate(fn, lambda f: self._add_callable(f, "handler", self.handlers, takes_input=True, **options))

    def command(
        self,
        fn: Optional[F] = None,
        *,
        name: Optional[str] = None,
        context: Any = None,
        mode: Union[str, ExecutionMode] = ExecutionMode.SYNC,
        cluster_types: Iterable[str] = (),
        cluster_context: Any = None,
        resource: Optional[str] = None,
        resources: BindingsArg = None,
        description: Optional[str] = None,
    ) -> Any:
        """Registers a Heimdall command: `fn(ctx: CommandContext[, context: MyContext])`.

        `context` (or the annotation of the function's config parameter) is the
        context's config type; `mode` is sync, async or both; `cluster_context`
        documents the context a cluster of `cluster_types` must carry.
        """

        def register(f: F) -> F:
            command_name = _check_name("command", name or f.__name__)
            if command_name in self.commands:
                raise ValueError(f"command {command_name!r} is registered twice")
            what = f"command {command_name!r}"
            params = read_parameters(f, what, context_base=CommandContext)
            if params.input is not None:
                raise TypeError(f"{what}: commands take no input table (parameter {params.input!r})")
            if context is not None:
                params.config_type = context
            self.commands[command_name] = CommandDefinition(
                name=command_name,
                fn=f,
                description=_doc(f, description),
                params=params,
                schema=ConfigSchema.for_type(params.config_type),
                mode=ExecutionMode(mode),
                cluster_types=list(cluster_types),
                cluster_schema=ConfigSchema.for_type(cluster_context) if cluster_context is not None else None,
                bindings=normalize_bindings(what, resource, resources),
            )
            return f

        return self._decorate(fn, register)

    def serve(self, options: Any = None) -> None:
        """Serves this plugin per docs/protocol.md §2 and exits the process when told to stop.

        Exits with status 3 when not started by a host (cookie), 4 when no
        protocol version is shared, 1 when the socket cannot be served.
        """
        from .serve import serve  # the server stack is only imported by processes that serve

        serve(self, options)

    # -- helpers ----------------------------------------------------------------------

    @staticmethod
    def _decorate(fn: Optional[F], register: Callable[[F], F]) -> Any:
        return register(fn) if fn is not None else register

    def _add_callable(self, fn: Callable[..., Any], kind: str, registry: Dict[str, StepDefinition], **opts: Any) -> Any:
        step_name = _check_name(kind, opts["name"] or fn.__name__)
        if step_name in self.steps or step_name in self.handlers:
            raise ValueError(f"{kind} {step_name!r}: a step or handler of that name is already registered")
        what = f"{kind} {step_name!r}"
        params = read_parameters(fn, what)
        if opts.get("config") is not None:
            params.config_type = opts["config"]
        takes_input = opts.get("takes_input")
        if takes_input is None:
            takes_input = params.input is not None
        registry[step_name] = StepDefinition(
            name=step_name,
            fn=fn,
            description=_doc(fn, opts.get("description")),
            params=params,
            schema=ConfigSchema.for_type(params.config_type),
            bindings=normalize_bindings(what, opts.get("resource"), opts.get("resources")),
            takes_input=bool(takes_input),
            input_schema=opts.get("input_schema"),
            output_schema=opts.get("output_schema"),
            kind=kind,
        )
        return fn


_plugin_json_cache: Optional[Dict[str, Any]] = None


def _plugin_json() -> Dict[str, Any]:
    """The plugin folder's heddle-plugin.json as a dict ({} when absent or unreadable)."""
    global _plugin_json_cache
    if _plugin_json_cache is None:
        folder = os.environ.get("HEDDLE_PLUGIN_DIR") or os.path.dirname(os.path.abspath(sys.argv[0] or "."))
        try:
            with open(os.path.join(folder, "heddle-plugin.json"), encoding="utf-8") as handle:
                data = json.load(handle)
            _plugin_json_cache = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            _plugin_json_cache = {}
    return _plugin_json_cache
